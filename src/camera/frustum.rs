//! Frustum extents as tangents, overscan, and where the soft-edge band lies: the inner frustum's
//! geometry in camera space (`x / -z`, `y / -z`, y up), pure maths tested without a GPU.

use glam::DVec2;
use serde::{Deserialize, Serialize};

use super::{Lens, LensError};

/// Camera-space extents of a frustum as tangents: `x / -z` for left/right, `y / -z` for bottom/top.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tangents {
    pub left: f64,
    pub right: f64,
    pub bottom: f64,
    pub top: f64,
}

impl Tangents {
    pub fn width(&self) -> f64 {
        self.right - self.left
    }

    pub fn height(&self) -> f64 {
        self.top - self.bottom
    }

    /// Whether a camera-space tangent lies inside.
    pub fn contains(&self, t: DVec2) -> bool {
        t.x >= self.left && t.x <= self.right && t.y >= self.bottom && t.y <= self.top
    }

    /// Maps a tangent to normalised frustum coordinates: (0, 0) at left/top, (1, 1) at right/bottom.
    pub fn to_uv(&self, t: DVec2) -> DVec2 {
        DVec2::new(
            (t.x - self.left) / self.width(),
            (self.top - t.y) / self.height(),
        )
    }

    /// Enlarges each side by its overscan fraction of half the frame's extent on that axis, so that a
    /// uniform overscan `o` makes the frustum `1 + o` times as wide and as high.
    pub fn expanded(&self, overscan: &Overscan) -> Tangents {
        let hw = self.width() * 0.5;
        let hh = self.height() * 0.5;
        Tangents {
            left: self.left - overscan.left * hw,
            right: self.right + overscan.right * hw,
            bottom: self.bottom - overscan.bottom * hh,
            top: self.top + overscan.top * hh,
        }
    }

    /// Off-axis perspective projection (wgpu depth 0..1, reversed-Z not used) for these extents.
    pub fn projection(&self, near: f64, far: f64) -> glam::DMat4 {
        let (l, r, b, t) = (
            self.left * near,
            self.right * near,
            self.bottom * near,
            self.top * near,
        );
        // Column-major: maps camera-space (looking along -Z) to clip space with z in 0..1.
        glam::DMat4::from_cols(
            glam::DVec4::new(2.0 * near / (r - l), 0.0, 0.0, 0.0),
            glam::DVec4::new(0.0, 2.0 * near / (t - b), 0.0, 0.0),
            glam::DVec4::new(
                (r + l) / (r - l),
                (t + b) / (t - b),
                far / (near - far),
                -1.0,
            ),
            glam::DVec4::new(0.0, 0.0, near * far / (near - far), 0.0),
        )
    }
}

/// Overscan per side, each a fraction of half the frame's extent on that axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overscan {
    pub left: f64,
    pub right: f64,
    pub bottom: f64,
    pub top: f64,
}

impl Overscan {
    pub fn uniform(o: f64) -> Overscan {
        Overscan {
            left: o,
            right: o,
            bottom: o,
            top: o,
        }
    }

    /// The largest side, for reports.
    pub fn max(&self) -> f64 {
        self.left.max(self.right).max(self.bottom).max(self.top)
    }
}

/// How a camera's overscan is chosen (resolved from the stage file's `overscan`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum OverscanRule {
    /// The same fraction on every side.
    Uniform(f64),
    /// A fraction per side.
    PerSide(Overscan),
    /// Sized per frame for the frame's lens: the distorted frame plus `margin` (a fraction of the half
    /// frame on each side), at least the lens calibration's stated overscan factor
    /// ([`crate::camera::Distortion::overscan`]), with the soft-edge band outside that.
    Auto {
        /// Extra fraction of the half frame on each side, beyond the distorted frame.
        margin: f64,
    },
}

impl OverscanRule {
    /// The per-side overscan for `lens` with a soft edge of `soft_edge` (fraction of the inner
    /// frustum's width and height, see [`crate::render::inner_weight`]).
    ///
    /// Errors: with `Auto`, a lens whose distortion has no inverse somewhere on the frame's edge
    /// ([`Lens::distorted_frame_tangents`]).
    pub fn overscan(&self, lens: &Lens, soft_edge: f64) -> Result<Overscan, LensError> {
        Ok(match *self {
            OverscanRule::Uniform(o) => Overscan::uniform(o),
            OverscanRule::PerSide(o) => o,
            OverscanRule::Auto { margin } => {
                let f = lens.frame_tangents();
                let mut covered = lens.distorted_frame_tangents()?.expanded_by(margin, &f);
                // Never less than the calibration's stated overscan factor (render / frame size).
                let stated = lens.distortion.overscan;
                if stated > 1.0 {
                    covered = covered.union(&f.expanded_by(stated - 1.0, &f));
                }
                f.overscan_to(&covered.with_band_outside(soft_edge))
            }
        })
    }
}

impl Tangents {
    /// The smallest extents containing both `self` and `other`.
    pub fn union(&self, other: &Tangents) -> Tangents {
        Tangents {
            left: self.left.min(other.left),
            right: self.right.max(other.right),
            bottom: self.bottom.min(other.bottom),
            top: self.top.max(other.top),
        }
    }

    /// Grows each side by `fraction` of `frame`'s half extent on that axis.
    pub fn expanded_by(&self, fraction: f64, frame: &Tangents) -> Tangents {
        self.expanded_relative(&Overscan::uniform(fraction), frame)
    }

    fn expanded_relative(&self, o: &Overscan, frame: &Tangents) -> Tangents {
        let hw = frame.width() * 0.5;
        let hh = frame.height() * 0.5;
        Tangents {
            left: self.left - o.left * hw,
            right: self.right + o.right * hw,
            bottom: self.bottom - o.bottom * hh,
            top: self.top + o.top * hh,
        }
    }

    /// The overscan that expands `self` (a frame) to `inner` ([`Tangents::expanded`] inverted).
    pub fn overscan_to(&self, inner: &Tangents) -> Overscan {
        let hw = self.width() * 0.5;
        let hh = self.height() * 0.5;
        Overscan {
            left: (self.left - inner.left) / hw,
            right: (inner.right - self.right) / hw,
            bottom: (self.bottom - inner.bottom) / hh,
            top: (inner.top - self.top) / hh,
        }
    }

    /// The smallest inner frustum whose soft-edge band (`soft_edge` of its width and height on each
    /// side, `0 <= soft_edge < 0.5`) lies entirely outside `self`: its full-weight region is `self`.
    pub fn with_band_outside(&self, soft_edge: f64) -> Tangents {
        let s = soft_edge.clamp(0.0, 0.499);
        let bw = s * self.width() / (1.0 - 2.0 * s);
        let bh = s * self.height() / (1.0 - 2.0 * s);
        Tangents {
            left: self.left - bw,
            right: self.right + bw,
            bottom: self.bottom - bh,
            top: self.top + bh,
        }
    }

    /// Where the inner frustum `self` shows at full weight: inside its soft-edge band.
    pub fn full_weight(&self, soft_edge: f64) -> Tangents {
        let bw = soft_edge * self.width();
        let bh = soft_edge * self.height();
        Tangents {
            left: self.left + bw,
            right: self.right - bw,
            bottom: self.bottom + bh,
            top: self.top - bh,
        }
    }

    /// Whether `other` lies inside `self` (within `1e-9` tangent units).
    pub fn covers(&self, other: &Tangents) -> bool {
        let e = 1e-9;
        other.left >= self.left - e
            && other.right <= self.right + e
            && other.bottom >= self.bottom - e
            && other.top <= self.top + e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Tangents = Tangents {
        left: -0.7,
        right: 0.8,
        bottom: -0.45,
        top: 0.55,
    };

    #[test]
    fn the_band_outside_a_region_leaves_it_at_full_weight() {
        for s in [0.0, 0.05, 0.1, 0.25, 0.4] {
            let inner = FRAME.with_band_outside(s);
            let full = inner.full_weight(s);
            for (a, b) in [
                (full.left, FRAME.left),
                (full.right, FRAME.right),
                (full.bottom, FRAME.bottom),
                (full.top, FRAME.top),
            ] {
                assert!((a - b).abs() < 1e-12, "soft edge {s}: {full:?}");
            }
        }
        // By hand: width 1.5 with s = 0.1 -> inner width 1.5 / 0.8 = 1.875, band 0.1875 a side.
        let inner = FRAME.with_band_outside(0.1);
        assert!((inner.left - (-0.7 - 0.1875)).abs() < 1e-12);
        assert!((inner.width() - 1.875).abs() < 1e-12);
    }

    #[test]
    fn overscan_to_inverts_expanded() {
        let o = Overscan {
            left: 0.1,
            right: 0.3,
            bottom: 0.05,
            top: 0.2,
        };
        let back = FRAME.overscan_to(&FRAME.expanded(&o));
        for (a, b) in [
            (back.left, o.left),
            (back.right, o.right),
            (back.bottom, o.bottom),
            (back.top, o.top),
        ] {
            assert!((a - b).abs() < 1e-12, "{back:?}");
        }
        assert!(FRAME.expanded(&o).covers(&FRAME));
        assert!(!FRAME.covers(&FRAME.expanded(&o)));
    }

    #[test]
    fn uniform_overscan_needs_2s_over_1_minus_2s_for_the_band() {
        // With uniform overscan o and soft edge s (fractions of the half frame and of the inner
        // frustum), the band clears the frame exactly when o = 2s / (1 - 2s).
        let lens = Lens::default();
        let frame = lens.frame_tangents();
        let s = 0.05;
        let o = 2.0 * s / (1.0 - 2.0 * s);
        let inner = frame.expanded(&Overscan::uniform(o));
        assert!((inner.full_weight(s).right - frame.right).abs() < 1e-12);
        let auto = OverscanRule::Auto { margin: 0.0 }
            .overscan(&lens, s)
            .unwrap();
        assert!(
            (auto.left - o).abs() < 1e-12 && (auto.top - o).abs() < 1e-12,
            "{auto:?}"
        );
    }

    #[test]
    fn auto_overscan_honours_the_stated_factor() {
        // A mild barrel lens needs little overscan; the calibration asks for 1.2x the frame.
        let mut lens = Lens::default();
        lens.distortion.k1 = -0.02;
        let rule = OverscanRule::Auto { margin: 0.0 };
        let own = rule.overscan(&lens, 0.0).unwrap();
        assert!(own.max() < 0.2, "{own:?}");
        lens.distortion.overscan = 1.2;
        let stated = rule.overscan(&lens, 0.0).unwrap();
        for v in [stated.left, stated.right, stated.bottom, stated.top] {
            assert!((v - 0.2).abs() < 1e-12, "{stated:?}");
        }
        // With a soft edge the band goes outside the stated region: 0.2 + band.
        let s = 0.1;
        let banded = rule.overscan(&lens, s).unwrap();
        let inner = lens.frame_tangents().expanded(&banded);
        let full = inner.full_weight(s);
        let want = lens.frame_tangents().expanded(&Overscan::uniform(0.2));
        assert!(
            (full.right - want.right).abs() < 1e-12,
            "{full:?} vs {want:?}"
        );
        // A stated factor below the lens's own need changes nothing.
        lens.distortion.overscan = 1.001;
        assert_eq!(rule.overscan(&lens, 0.0).unwrap(), own);
    }
}
