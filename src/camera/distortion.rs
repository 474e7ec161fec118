//! The lens model: Brown-Conrady distortion (k1, k2, k3, p1, p2, OpenCV's meaning) and its inverse.
//!
//! The inverse is written twice, as mirrors: here in f64 for the CPU ([`Distortion::undistort_cv_checked`])
//! and in `shaders/lens_warp.wgsl` (`undistort_cv`) in f32 for the simulated camera's lens pass. Both
//! run the same algorithm with the same constants (a unit test compares the WGSL constants with the
//! ones below, and a GPU test in `tests/render.rs` compares the results at the frame corners of strong
//! lenses):
//!
//! 1. start from the distorted point, `p = d`;
//! 2. at most [`UNDISTORT_MAX_STEPS`] Newton steps on `F(p) = distort(p) - d` with the analytic
//!    Jacobian [`Distortion::jacobian_cv`];
//! 3. before each step (and after the last): fail with [`InverseFailure::NotFinite`] if `F` is not
//!    finite, fail with [`InverseFailure::Folded`] unless `det J(p) > 0` (the lens map is locally
//!    invertible and orientation-preserving there: past the radius where the polynomial turns back
//!    there is no inverse on the sheet that contains the image centre), succeed if
//!    `|F(p)| <= tol * max(1, |d|)` (tolerance [`UNDISTORT_TOLERANCE`] in f64,
//!    [`UNDISTORT_TOLERANCE_F32`] in the shader);
//! 4. each step `J(p)^-1 F(p)` is shortened to at most [`UNDISTORT_MAX_STEP`] (normalised units) so
//!    that a nearly singular Jacobian cannot throw the iterate onto another sheet;
//! 5. no convergence after the last step is [`InverseFailure::NoConvergence`].
//!
//! Source: OpenCV's distortion model (`cv::projectPoints`, "Camera Calibration and 3D Reconstruction"
//! in the OpenCV documentation); Newton's method for a 2x2 system.

use glam::{DMat2, DVec2};
use serde::{Deserialize, Serialize};

/// Most Newton steps of the lens inverse (mirrored by `UNDISTORT_MAX_STEPS` in `lens_warp.wgsl`).
pub const UNDISTORT_MAX_STEPS: u32 = 20;
/// Longest Newton step of the lens inverse, in normalised image units (mirrored in `lens_warp.wgsl`).
pub const UNDISTORT_MAX_STEP: f64 = 0.5;
/// Residual tolerance of the f64 inverse, relative to `max(1, |d|)`.
pub const UNDISTORT_TOLERANCE: f64 = 1e-12;
/// Residual tolerance of the f32 mirror in `lens_warp.wgsl`, relative to `max(1, |d|)`: about 30 f32
/// ulps at 1, above the rounding of `distort_cv` in f32, far below a camera pixel (a 4K sensor pixel
/// is about 5e-4 normalised units at 35 mm).
pub const UNDISTORT_TOLERANCE_F32: f64 = 4e-6;

/// Brown-Conrady distortion coefficients with OpenCV's meaning (image y down, normalised coordinates):
/// they map an undistorted point (what a pinhole would see) to the distorted point on the sensor.
///
/// The distortion is centred on `centre` (normalised, relative to the principal point; zero, the
/// default, is OpenCV's model): `distort(p) = c + D(p - c)` with `D` OpenCV's polynomial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Distortion {
    /// Radial coefficient of `r²`.
    pub k1: f64,
    /// Radial coefficient of `r⁴`.
    pub k2: f64,
    /// Radial coefficient of `r⁶`.
    pub k3: f64,
    /// First tangential coefficient.
    pub p1: f64,
    /// Second tangential coefficient.
    pub p2: f64,
    /// Centre of distortion `(x, y)` relative to the principal point, in normalised image units
    /// (sensor millimetres divided by the focal length), OpenCV's axes: x right, y **down**.
    /// OpenLensIO's `distortionOffset` (see `tracking::opentrackio::lens`).
    pub centre: [f64; 2],
    /// Overscan factor the calibration states for this distortion (OpenLensIO's per-model
    /// `overscan`, the render's size over the frame's, >= 1); 0 (the default) or 1: not stated.
    /// `OverscanRule::Auto` never renders less than it asks.
    pub overscan: f64,
}

/// Why the lens inverse failed at a point (see the module documentation for the algorithm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InverseFailure {
    /// The point, a coefficient or an iterate is not a finite number.
    #[error("the iteration left the finite numbers")]
    NotFinite,
    /// The Jacobian is not positive there: the distortion polynomial turns back (the point lies
    /// beyond the calibration's valid image circle).
    #[error("the distortion model folds over there (its Jacobian is not positive)")]
    Folded,
    /// Newton's method did not reach the tolerance.
    #[error("Newton's method did not converge in {UNDISTORT_MAX_STEPS} steps")]
    NoConvergence,
}

impl Distortion {
    /// Linear interpolation `self + (other - self) t` of every coefficient and the centre (lens
    /// tables, samples); the stated overscan is interpolated as a factor (an unstated one counts
    /// as 1).
    pub fn lerp(&self, other: &Distortion, t: f64) -> Distortion {
        let l = |a: f64, b: f64| a + (b - a) * t;
        let stated = |o: f64| o.max(1.0);
        Distortion {
            k1: l(self.k1, other.k1),
            k2: l(self.k2, other.k2),
            k3: l(self.k3, other.k3),
            p1: l(self.p1, other.p1),
            p2: l(self.p2, other.p2),
            centre: [
                l(self.centre[0], other.centre[0]),
                l(self.centre[1], other.centre[1]),
            ],
            overscan: if self.overscan <= 1.0 && other.overscan <= 1.0 {
                0.0
            } else {
                l(stated(self.overscan), stated(other.overscan))
            },
        }
    }

    /// True when every coefficient is zero (a pinhole lens; the centre and the stated overscan
    /// do not distort).
    pub fn is_identity(&self) -> bool {
        self.k1 == 0.0 && self.k2 == 0.0 && self.k3 == 0.0 && self.p1 == 0.0 && self.p2 == 0.0
    }

    /// Distorts normalised undistorted coordinates in OpenCV's frame (x right, y down, divided by
    /// depth): `x' = x R + 2 p1 x y + p2 (r² + 2 x²)`, `y' = y R + p1 (r² + 2 y²) + 2 p2 x y` with
    /// `R = 1 + k1 r² + k2 r⁴ + k3 r⁶`, where `(x, y)` is measured from [`Distortion::centre`] (the
    /// result is moved back by it). Mirrored by `distort_cv` in `lens_warp.wgsl`.
    pub fn distort_cv(&self, p: DVec2) -> DVec2 {
        let c = DVec2::from(self.centre);
        let (x, y) = (p.x - c.x, p.y - c.y);
        let r2 = x * x + y * y;
        let radial = 1.0 + r2 * (self.k1 + r2 * (self.k2 + r2 * self.k3));
        c + DVec2::new(
            x * radial + 2.0 * self.p1 * x * y + self.p2 * (r2 + 2.0 * x * x),
            y * radial + self.p1 * (r2 + 2.0 * y * y) + 2.0 * self.p2 * x * y,
        )
    }

    /// Analytic Jacobian of [`Distortion::distort_cv`] at `p`: columns `∂/∂x` and `∂/∂y`. With
    /// `R' = dR/d(r²) = k1 + 2 k2 r² + 3 k3 r⁴`:
    /// `∂x'/∂x = R + 2x² R' + 2 p1 y + 6 p2 x`, `∂x'/∂y = ∂y'/∂x = 2xy R' + 2 p1 x + 2 p2 y`,
    /// `∂y'/∂y = R + 2y² R' + 6 p1 y + 2 p2 x` (`x`, `y` from the centre). Mirrored by
    /// `distort_jacobian_cv` in `lens_warp.wgsl`.
    pub fn jacobian_cv(&self, p: DVec2) -> DMat2 {
        let (x, y) = (p.x - self.centre[0], p.y - self.centre[1]);
        let r2 = x * x + y * y;
        let radial = 1.0 + r2 * (self.k1 + r2 * (self.k2 + r2 * self.k3));
        let dradial = self.k1 + r2 * (2.0 * self.k2 + 3.0 * r2 * self.k3);
        let xx = radial + 2.0 * x * x * dradial + 2.0 * self.p1 * y + 6.0 * self.p2 * x;
        let xy = 2.0 * x * y * dradial + 2.0 * self.p1 * x + 2.0 * self.p2 * y;
        let yy = radial + 2.0 * y * y * dradial + 6.0 * self.p1 * y + 2.0 * self.p2 * x;
        DMat2::from_cols(DVec2::new(xx, xy), DVec2::new(xy, yy))
    }

    /// Inverse of [`Distortion::distort_cv`]: the undistorted point whose distortion is `d`, on the
    /// sheet that contains the image centre. Newton's method with the analytic Jacobian, mirrored by
    /// `undistort_cv` in `shaders/lens_warp.wgsl`; see the module documentation.
    ///
    /// Errors: [`InverseFailure`] says why there is no inverse at `d` (typically beyond the radius
    /// where a strong barrel lens's polynomial turns back).
    pub fn undistort_cv_checked(&self, d: DVec2) -> Result<DVec2, InverseFailure> {
        self.invert_cv(d, UNDISTORT_TOLERANCE)
    }

    /// [`Distortion::undistort_cv_checked`] without the reason; `None` where the inverse fails.
    pub fn undistort_cv(&self, d: DVec2) -> Option<DVec2> {
        self.undistort_cv_checked(d).ok()
    }

    fn invert_cv(&self, d: DVec2, tolerance: f64) -> Result<DVec2, InverseFailure> {
        if !d.is_finite() {
            return Err(InverseFailure::NotFinite);
        }
        let tol = tolerance * d.length().max(1.0);
        let mut p = d;
        for n in 0..=UNDISTORT_MAX_STEPS {
            let f = self.distort_cv(p) - d;
            if !f.is_finite() {
                return Err(InverseFailure::NotFinite);
            }
            let j = self.jacobian_cv(p);
            let (a, b, c, e) = (j.x_axis.x, j.y_axis.x, j.x_axis.y, j.y_axis.y);
            let det = a * e - b * c;
            // Also rejects a NaN determinant.
            if det.is_nan() || det <= 0.0 {
                return Err(InverseFailure::Folded);
            }
            if f.length() <= tol {
                return Ok(p);
            }
            if n == UNDISTORT_MAX_STEPS {
                break;
            }
            let mut step = DVec2::new(e * f.x - b * f.y, a * f.y - c * f.x) / det;
            let len = step.length();
            if len > UNDISTORT_MAX_STEP {
                step *= UNDISTORT_MAX_STEP / len;
            }
            p -= step;
        }
        Err(InverseFailure::NoConvergence)
    }

    /// Distorts camera-space tangents (`x / -z`, `y / -z`, y up).
    pub fn distort_tangent(&self, t: DVec2) -> DVec2 {
        let d = self.distort_cv(DVec2::new(t.x, -t.y));
        DVec2::new(d.x, -d.y)
    }

    /// Undistorts camera-space tangents (`x / -z`, `y / -z`, y up); see
    /// [`Distortion::undistort_cv_checked`].
    pub fn undistort_tangent_checked(&self, t: DVec2) -> Result<DVec2, InverseFailure> {
        self.undistort_cv_checked(DVec2::new(t.x, -t.y))
            .map(|u| DVec2::new(u.x, -u.y))
    }

    /// Undistorts camera-space tangents (`x / -z`, `y / -z`, y up); `None` where the inverse fails.
    pub fn undistort_tangent(&self, t: DVec2) -> Option<DVec2> {
        self.undistort_tangent_checked(t).ok()
    }
}

/// A point of the camera's (distorted) frame, for messages: where it is and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct FramePoint {
    /// In words, e.g. "the top-left corner" or "the left edge, 40 % up".
    pub place: String,
    /// Distorted camera-space tangent (`x / -z`, `y / -z`, y up).
    pub tangent: DVec2,
    /// Position on the sensor in millimetres from the sensor's centre (x right, y up).
    pub sensor_mm: DVec2,
}

/// A lens that cannot be used as it is.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LensError {
    /// The distortion has no inverse at a point of the frame: the sensor would see a direction the
    /// lens model cannot give. The calibration is not valid this far from the centre.
    #[error(
        "the lens distortion (k1 {k1}, k2 {k2}, k3 {k3}, p1 {p1}, p2 {p2}) cannot be inverted at {} of the frame \
         (sensor point ({:.2}, {:.2}) mm from the centre, tangent ({:.4}, {:.4})): {reason}; {failed} of {checked} \
         points along the frame's edge fail; check the coefficients against the lens calibration",
        point.place, point.sensor_mm.x, point.sensor_mm.y, point.tangent.x, point.tangent.y,
        k1 = distortion.k1, k2 = distortion.k2, k3 = distortion.k3, p1 = distortion.p1, p2 = distortion.p2
    )]
    NotInvertible {
        distortion: Box<Distortion>,
        /// The first failing point (corners are checked first).
        point: FramePoint,
        reason: InverseFailure,
        failed: usize,
        checked: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strong lenses of the tests: barrel with every sign of tangential terms, and pincushion.
    fn strong_lenses() -> Vec<Distortion> {
        let mut v = Vec::new();
        for p1 in [-0.002, 0.002] {
            for p2 in [-0.002, 0.002] {
                v.push(Distortion {
                    k1: -0.35,
                    k2: 0.12,
                    k3: -0.02,
                    p1,
                    p2,
                    ..Default::default()
                });
            }
        }
        v.push(Distortion {
            k1: 0.25,
            k2: 0.08,
            k3: 0.01,
            p1: 0.002,
            p2: -0.002,
            ..Default::default()
        });
        // Off-centre: a decentred zoom's distortion centre, 0.04 right and 0.03 up of the axis.
        v.push(Distortion {
            k1: -0.3,
            k2: 0.1,
            centre: [0.04, -0.03],
            ..Default::default()
        });
        v
    }

    #[test]
    fn the_centre_moves_the_whole_distortion() {
        // distort(c + v) = c + D0(v), with D0 the same coefficients about the principal point.
        let c = DVec2::new(0.05, -0.02);
        let d0 = Distortion {
            k1: -0.2,
            k2: 0.05,
            p1: 0.001,
            ..Default::default()
        };
        let d = Distortion {
            centre: c.into(),
            ..d0
        };
        for v in [DVec2::ZERO, DVec2::new(0.3, 0.1), DVec2::new(-0.5, 0.4)] {
            let want = c + d0.distort_cv(v);
            assert!((d.distort_cv(c + v) - want).length() < 1e-15, "{v}");
            let back = d.undistort_cv(want).expect("inverse");
            assert!((back - (c + v)).length() < 1e-10, "{v}");
        }
        // The centre itself stays where it is; the principal point moves (by -k1 |c|^2 c ...).
        assert!((d.distort_cv(c) - c).length() < 1e-15);
        assert!(d.distort_cv(DVec2::ZERO).length() > 1e-6);
        // A centre alone does not distort.
        let only = Distortion {
            centre: [0.1, 0.1],
            ..Default::default()
        };
        assert!(only.is_identity());
        assert_eq!(only.distort_cv(DVec2::new(0.3, 0.2)), DVec2::new(0.3, 0.2));
    }

    #[test]
    fn analytic_jacobian_matches_central_differences() {
        let h = 1e-6;
        for d in strong_lenses() {
            for &(x, y) in &[
                (0.0, 0.0),
                (0.3, -0.2),
                (-0.7, 0.45),
                (0.9, 0.6),
                (-1.1, -0.2),
            ] {
                let p = DVec2::new(x, y);
                let j = d.jacobian_cv(p);
                let dx =
                    (d.distort_cv(p + DVec2::X * h) - d.distort_cv(p - DVec2::X * h)) / (2.0 * h);
                let dy =
                    (d.distort_cv(p + DVec2::Y * h) - d.distort_cv(p - DVec2::Y * h)) / (2.0 * h);
                assert!((j.x_axis - dx).length() < 1e-8, "{d:?} at {p}: {j} vs {dx}");
                assert!((j.y_axis - dy).length() < 1e-8, "{d:?} at {p}: {j} vs {dy}");
            }
        }
    }

    /// Over a dense grid of the distorted frame of a wide lens (36 x 24 mm at 28 mm, corners included),
    /// distorting the inverse gives the point back; over a dense grid of the undistorted extents that
    /// frame reaches, the inverse of the distortion is the point itself (the right sheet).
    #[test]
    fn inverse_round_trips_over_the_frame_of_a_wide_lens() {
        let (hw, hh) = (18.0 / 28.0, 12.0 / 28.0);
        let n = 240;
        for d in strong_lenses() {
            let mut worst: f64 = 0.0;
            let mut ext = DVec2::ZERO;
            for j in 0..=n {
                for i in 0..=n {
                    let t = DVec2::new(
                        -hw + 2.0 * hw * i as f64 / n as f64,
                        -hh + 2.0 * hh * j as f64 / n as f64,
                    );
                    let u = d
                        .undistort_cv_checked(t)
                        .unwrap_or_else(|e| panic!("{d:?} at {t}: {e}"));
                    worst = worst.max((d.distort_cv(u) - t).length());
                    ext = ext.max(u.abs());
                }
            }
            assert!(
                worst <= UNDISTORT_TOLERANCE * 2.0,
                "{d:?}: residual {worst}"
            );
            let mut worst: f64 = 0.0;
            for j in 0..=n {
                for i in 0..=n {
                    let p = DVec2::new(
                        -ext.x + 2.0 * ext.x * i as f64 / n as f64,
                        -ext.y + 2.0 * ext.y * j as f64 / n as f64,
                    );
                    let back = d.undistort_cv_checked(d.distort_cv(p)).unwrap();
                    worst = worst.max((back - p).length());
                }
            }
            assert!(worst < 1e-11, "{d:?}: round trip off by {worst}");
        }
    }

    /// Pure radial k1: the inverse radius solves `r + k1 r³ = r_d`, found here by bisection (an
    /// independent algorithm) on the branch below the fold `r = 1 / sqrt(-3 k1)`.
    #[test]
    fn radial_inverse_matches_bisection() {
        let d = Distortion {
            k1: -0.3,
            ..Default::default()
        };
        let fold = 1.0 / (3.0f64 * 0.3).sqrt();
        for &(x, y) in &[(0.1, 0.05), (0.4, -0.3), (-0.55, 0.2), (0.5, 0.4)] {
            let t = DVec2::new(x, y);
            let rd = t.length();
            let (mut lo, mut hi) = (0.0, fold);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if mid - 0.3 * mid * mid * mid < rd {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let expected = t * (lo / rd);
            let got = d.undistort_cv(t).unwrap();
            assert!(
                (got - expected).length() < 1e-12,
                "{t}: {got} vs {expected}"
            );
        }
    }

    /// Beyond the fold (the largest distorted radius of k1 = -0.3 is 2 / (3 sqrt 0.9) = 0.703) there is
    /// no inverse, and the failure says so; so does a NaN coefficient.
    #[test]
    fn points_beyond_the_fold_fail_visibly() {
        let d = Distortion {
            k1: -0.3,
            ..Default::default()
        };
        for r in [0.72, 0.8, 1.2, 3.0] {
            let t = DVec2::new(r * 0.8, r * 0.6);
            assert_eq!(
                d.undistort_cv_checked(t),
                Err(InverseFailure::Folded),
                "r {r}"
            );
        }
        assert!(d.undistort_cv(DVec2::new(0.69 * 0.8, 0.69 * 0.6)).is_some());
        let nan = Distortion {
            k1: f64::NAN,
            ..Default::default()
        };
        assert_eq!(
            nan.undistort_cv_checked(DVec2::new(0.1, 0.1)),
            Err(InverseFailure::NotFinite)
        );
        assert_eq!(
            d.undistort_cv_checked(DVec2::new(f64::INFINITY, 0.0)),
            Err(InverseFailure::NotFinite)
        );
    }

    /// A strong barrel lens on a wide frame (36 x 24 mm at 18 mm: corner radius 1.2, beyond the
    /// largest distorted radius, about 0.89) is refused, naming the corner; at 28 mm it is fine.
    #[test]
    fn a_lens_that_folds_inside_the_frame_is_refused_by_name() {
        let lens = crate::camera::Lens {
            focal_length_mm: 18.0,
            distortion: strong_lenses()[0],
            ..Default::default()
        };
        let err = lens.distorted_frame_tangents().unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("the top-left corner")
                && msg.contains("sensor point (-18.00, 12.00) mm")
                && msg.contains("k1 -0.35")
                && msg.contains("folds over"),
            "{msg}"
        );
        assert!(lens.auto_overscan().is_err());
        let c = lens.distorted_frame_coverage();
        assert_eq!(c.checked, 4 + 4 * 63);
        assert!(
            c.failures.len() >= 4 && c.failures.len() < c.checked,
            "{}",
            c.failures.len()
        );
        let fine = crate::camera::Lens {
            focal_length_mm: 28.0,
            ..lens
        };
        let t = fine.distorted_frame_tangents().unwrap();
        assert!(t.left < fine.frame_tangents().left);
        assert!(fine.distorted_frame_coverage().failures.is_empty());
    }

    /// The WGSL mirror uses the same constants (`shaders/lens_warp.wgsl`).
    #[test]
    fn wgsl_mirror_uses_the_same_constants() {
        let src = crate::render::shaders::LENS_WARP;
        for line in [
            format!("const UNDISTORT_MAX_STEPS: i32 = {UNDISTORT_MAX_STEPS};"),
            format!("const UNDISTORT_MAX_STEP: f32 = {UNDISTORT_MAX_STEP:?};"),
            format!("const UNDISTORT_TOLERANCE: f32 = {UNDISTORT_TOLERANCE_F32:e};"),
        ] {
            assert!(src.contains(&line), "lens_warp.wgsl lacks `{line}`");
        }
    }
}
