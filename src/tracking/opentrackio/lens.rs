//! OpenLensIO distortion, as OpenTrackIO carries it, converted to Parallax's lens model.
//!
//! OpenLensIO states a distortion entry in sensor millimetres: radii are measured on the sensor in
//! mm from the distortion centre, so a coefficient of the `r^(2n)` term has units of `mm^(-2n)`,
//! and tangential terms `mm^(-1)`. `radial` lists numerator and denominator terms alternating:
//! `[a1, b1, a2, b2, a3, b3]` for the rational model
//!
//! ```text
//! r_out = r_in (1 + a1 r^2 + a2 r^4 + a3 r^6) / (1 + b1 r^2 + b2 r^4 + b3 r^6)
//! ```
//!
//! (a shorter list leaves the missing terms zero). `model` names the direction: `"Brown-Conrady
//! U-D"` maps undistorted to distorted coordinates (OpenCV's sense), `"Brown-Conrady D-U"` (the
//! default when `model` is absent) distorted to undistorted.
//!
//! Parallax's [`Distortion`] is OpenCV's polynomial model on normalised coordinates (sensor mm
//! divided by the focal length `F`, undistorted to distorted), so a term of `r^(2n)` scales by
//! `F^(2n)` and a tangential term by `F`. The denominator is folded into the polynomial by its series
//! to third order in `r^2`; a D-U model is inverted by series reversion to third order, tangential
//! terms by negation (first order).

use crate::camera::Distortion;

/// The OpenLensIO distortion models Parallax understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LensModel {
    /// `"Brown-Conrady U-D"`: undistorted to distorted.
    BrownConradyUd,
    /// `"Brown-Conrady D-U"` (the default): distorted to undistorted.
    BrownConradyDu,
}

impl LensModel {
    /// The model of a `model` string: absent means the default D-U; an unknown name gives `None`
    /// (the entry is skipped rather than misread). Case and surrounding spaces are ignored.
    pub fn parse(name: Option<&str>) -> Option<LensModel> {
        let Some(name) = name else {
            return Some(LensModel::BrownConradyDu);
        };
        let n = name.trim();
        if n.eq_ignore_ascii_case("Brown-Conrady U-D") {
            Some(LensModel::BrownConradyUd)
        } else if n.eq_ignore_ascii_case("Brown-Conrady D-U") {
            Some(LensModel::BrownConradyDu)
        } else {
            None
        }
    }
}

/// Parallax's normalised distortion from an OpenLensIO entry.
///
/// - `radial_mm`: `[a1, b1, a2, b2, a3, b3]` (numerator and denominator terms alternating), mm units;
/// - `tangential_mm`: `[p1, p2]` in mm units (absent terms zero);
/// - `focal_mm`: the pinhole focal length of the same sample, mm.
///
/// Returns `None` when the focal length is not positive or a coefficient is not finite.
pub fn to_normalised(
    model: LensModel,
    radial_mm: &[f64],
    tangential_mm: &[f64],
    focal_mm: f64,
) -> Option<Distortion> {
    if !(focal_mm.is_finite() && focal_mm > 0.0) {
        return None;
    }
    let r = |i: usize| radial_mm.get(i).copied().unwrap_or(0.0);
    let f2 = focal_mm * focal_mm;
    // Numerator and denominator in normalised units.
    let (a1, a2, a3) = (r(0) * f2, r(2) * f2 * f2, r(4) * f2 * f2 * f2);
    let (b1, b2, b3) = (r(1) * f2, r(3) * f2 * f2, r(5) * f2 * f2 * f2);
    // 1 / (1 + b1 x + b2 x^2 + b3 x^3) = 1 + d1 x + d2 x^2 + d3 x^3 + O(x^4).
    let d1 = -b1;
    let d2 = b1 * b1 - b2;
    let d3 = -b1 * b1 * b1 + 2.0 * b1 * b2 - b3;
    // (1 + a1 x + a2 x^2 + a3 x^3)(1 + d1 x + d2 x^2 + d3 x^3), to x^3.
    let c1 = a1 + d1;
    let c2 = a2 + a1 * d1 + d2;
    let c3 = a3 + a2 * d1 + a1 * d2 + d3;
    let t = |i: usize| tangential_mm.get(i).copied().unwrap_or(0.0) * focal_mm;
    let (p1, p2) = (t(0), t(1));
    let d = match model {
        LensModel::BrownConradyUd => Distortion {
            k1: c1,
            k2: c2,
            k3: c3,
            p1,
            p2,
            ..Default::default()
        },
        // r_u = r_d (1 + c1 r_d^2 + c2 r_d^4 + c3 r_d^6)  =>
        // r_d = r_u (1 - c1 r_u^2 + (3 c1^2 - c2) r_u^4 + (-12 c1^3 + 8 c1 c2 - c3) r_u^6).
        LensModel::BrownConradyDu => Distortion {
            k1: -c1,
            k2: 3.0 * c1 * c1 - c2,
            k3: -12.0 * c1 * c1 * c1 + 8.0 * c1 * c2 - c3,
            p1: -p1,
            p2: -p2,
            ..Default::default()
        },
    };
    [d.k1, d.k2, d.k3, d.p1, d.p2]
        .iter()
        .all(|v| v.is_finite())
        .then_some(d)
}

/// Parallax's distortion centre ([`Distortion::centre`]: normalised, relative to the principal
/// point, y down) from OpenLensIO's `distortionOffset` and `projectionOffset` (both mm on the sensor
/// from its centre, x right, y up; an absent projection offset is zero) at focal length `focal_mm`:
/// `((dx - px) / F, -(dy - py) / F)`.
pub fn centre_from_offsets(
    distortion_offset_mm: (f64, f64),
    projection_offset_mm: Option<(f64, f64)>,
    focal_mm: f64,
) -> [f64; 2] {
    let (px, py) = projection_offset_mm.unwrap_or((0.0, 0.0));
    let (dx, dy) = distortion_offset_mm;
    [(dx - px) / focal_mm, -(dy - py) / focal_mm]
}

/// The OpenLensIO entry (`"Brown-Conrady U-D"`, mm units, alternating radial terms with zero
/// denominators) for Parallax's normalised distortion at focal length `focal_mm`: the inverse of
/// [`to_normalised`] for a U-D entry. `None` for a non-positive focal length.
pub fn from_normalised(d: &Distortion, focal_mm: f64) -> Option<([f64; 6], [f64; 2])> {
    if !(focal_mm.is_finite() && focal_mm > 0.0) {
        return None;
    }
    let f2 = focal_mm * focal_mm;
    Some((
        [
            d.k1 / f2,
            0.0,
            d.k2 / (f2 * f2),
            0.0,
            d.k3 / (f2 * f2 * f2),
            0.0,
        ],
        [d.p1 / focal_mm, d.p2 / focal_mm],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::DVec2;

    #[test]
    fn distortion_centre_is_relative_to_the_principal_point() {
        // Both offsets are mm from the sensor centre, y up; the centre is normalised, y down.
        let c = centre_from_offsets((0.5, 0.25), Some((0.1, -0.15)), 20.0);
        assert!((c[0] - 0.4 / 20.0).abs() < 1e-15);
        assert!((c[1] + 0.4 / 20.0).abs() < 1e-15);
        assert_eq!(centre_from_offsets((0.5, 0.0), None, 25.0), [0.02, 0.0]);
    }

    #[test]
    fn model_names() {
        assert_eq!(LensModel::parse(None), Some(LensModel::BrownConradyDu));
        assert_eq!(
            LensModel::parse(Some(" brown-conrady u-d ")),
            Some(LensModel::BrownConradyUd)
        );
        assert_eq!(LensModel::parse(Some("Fisheye")), None);
    }

    #[test]
    fn rational_denominator_matches_the_exact_model_near_the_centre() {
        // r_d = r (1 + a1 r^2) / (1 + b1 r^2) in mm, F = 20 mm.
        let (a1, b1, f) = (-2.0e-4, 1.0e-4, 20.0);
        let d = to_normalised(LensModel::BrownConradyUd, &[a1, b1], &[], f).expect("finite");
        for r_mm in [1.0, 2.0, 4.0] {
            let exact = r_mm * (1.0 + a1 * r_mm * r_mm) / (1.0 + b1 * r_mm * r_mm);
            let ours = d.distort_cv(DVec2::new(r_mm / f, 0.0)).x * f;
            // Truncation after the r^6 term: error of order (b1 r^2)^4 relative.
            assert!(
                (ours - exact).abs() < 1e-9 * r_mm,
                "{r_mm}: {ours} vs {exact}"
            );
        }
    }

    #[test]
    fn du_is_inverted() {
        let f: f64 = 24.0;
        let radial = [
            0.05 / (f * f),
            0.0,
            -0.01 / f.powi(4),
            0.0,
            0.002 / f.powi(6),
        ];
        let d = to_normalised(LensModel::BrownConradyDu, &radial, &[], f).expect("finite");
        for r_u in [0.05, 0.1, 0.2] {
            let r_d = d.distort_cv(DVec2::new(r_u, 0.0)).x;
            let r2 = r_d * r_d;
            let back = r_d * (1.0 + r2 * (0.05 + r2 * (-0.01 + r2 * 0.002)));
            assert!((back - r_u).abs() < 1e-4 * r_u, "{r_u} -> {back}");
        }
    }
}
