//! How close an image must be to its reference: [`ToleranceSpec`] for 8-bit images (sRGB outputs,
//! the unwrapped wall, the camera view) and [`HdrToleranceSpec`] for PQ and linear EXR outputs.

use serde::{Deserialize, Serialize};

use crate::compare::hdr::ItpComparison;
use crate::compare::{self, Comparison};

/// How close an image must be to its reference.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToleranceSpec {
    /// Perceptual error (CIELAB delta E over a slight blur): its mean, and its value at a percentile.
    Perceptual {
        /// Largest mean delta E.
        mean: f64,
        /// Percentile (0..=100) of the pixels' delta E that is limited.
        percentile: f64,
        /// Largest delta E at that percentile.
        percentile_max: f64,
    },
    /// Per-channel difference (0..255) with a budget of bad pixels.
    Channel {
        /// Largest channel difference that does not count as bad.
        max_diff: u8,
        /// Fraction of pixels allowed to be bad.
        bad_fraction: f64,
    },
}

impl Default for ToleranceSpec {
    fn default() -> Self {
        ToleranceSpec::Perceptual {
            mean: 1.0,
            percentile: 99.0,
            percentile_max: 10.0,
        }
    }
}

impl ToleranceSpec {
    /// The tolerance for [`compare::compare`] (its channel threshold marks the difference image).
    pub(super) fn base(&self) -> compare::Tolerance {
        match *self {
            ToleranceSpec::Perceptual { .. } => compare::Tolerance::default(),
            ToleranceSpec::Channel {
                max_diff,
                bad_fraction,
            } => compare::Tolerance {
                channel: max_diff,
                bad_fraction,
                ..Default::default()
            },
        }
    }

    /// Whether `c` is within the tolerance.
    pub fn passes(&self, c: &Comparison) -> bool {
        match *self {
            ToleranceSpec::Perceptual {
                mean,
                percentile,
                percentile_max,
            } => c.mean_delta_e <= mean && c.delta_e_percentile(percentile) <= percentile_max,
            ToleranceSpec::Channel { bad_fraction, .. } => {
                (c.bad_pixels as f64) <= bad_fraction * c.pixels as f64
            }
        }
    }

    /// What was measured, against the limits.
    pub fn describe(&self, c: &Comparison) -> String {
        match *self {
            ToleranceSpec::Perceptual {
                mean,
                percentile,
                percentile_max,
            } => format!(
                "delta E mean {:.3} (limit {mean}), p{percentile} {:.3} (limit {percentile_max}); {}",
                c.mean_delta_e,
                c.delta_e_percentile(percentile),
                c.pixel_summary()
            ),
            ToleranceSpec::Channel {
                max_diff,
                bad_fraction,
            } => format!(
                "{} of {} pixels differ by more than {max_diff} ({:.4} %, budget {:.4} %); {}",
                c.bad_pixels,
                c.pixels,
                100.0 * c.bad_pixels as f64 / c.pixels.max(1) as f64,
                100.0 * bad_fraction,
                c.summary()
            ),
        }
    }

    pub(super) fn problems(&self) -> Vec<String> {
        match *self {
            ToleranceSpec::Perceptual {
                mean,
                percentile,
                percentile_max,
            } => mean_percentile_problems(mean, percentile, percentile_max),
            ToleranceSpec::Channel { bad_fraction, .. } => {
                if (0.0..=1.0).contains(&bad_fraction) {
                    Vec::new()
                } else {
                    vec![format!(
                        "bad_fraction must be in 0..=1 (got {bad_fraction})"
                    )]
                }
            }
        }
    }
}

/// How close the image of a PQ or linear EXR output must be to its reference (16-bit PNG or
/// half-float EXR): ΔE_ITP (ITU-R BT.2124-0) per pixel on absolute light
/// ([`crate::compare::hdr`]). A ΔE_ITP of 1 is about one just-noticeable difference.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum HdrToleranceSpec {
    /// ΔE_ITP: its mean, and its value at a percentile.
    Itp {
        /// Largest mean ΔE_ITP.
        mean: f64,
        /// Percentile (0..=100) of the pixels' ΔE_ITP that is limited.
        percentile: f64,
        /// Largest ΔE_ITP at that percentile; pixels above it are red in the difference image.
        percentile_max: f64,
    },
}

impl Default for HdrToleranceSpec {
    fn default() -> Self {
        HdrToleranceSpec::Itp {
            mean: 1.0,
            percentile: 99.0,
            percentile_max: 10.0,
        }
    }
}

impl HdrToleranceSpec {
    /// The ΔE_ITP above which a pixel is marked in the difference image.
    pub fn mark(&self) -> f64 {
        match *self {
            HdrToleranceSpec::Itp { percentile_max, .. } => percentile_max,
        }
    }

    /// Whether `c` is within the tolerance.
    pub fn passes(&self, c: &ItpComparison) -> bool {
        match *self {
            HdrToleranceSpec::Itp {
                mean,
                percentile,
                percentile_max,
            } => c.mean <= mean && c.percentile(percentile) <= percentile_max,
        }
    }

    /// What was measured, against the limits.
    pub fn describe(&self, c: &ItpComparison) -> String {
        match *self {
            HdrToleranceSpec::Itp {
                mean,
                percentile,
                percentile_max,
            } => format!(
                "delta E ITP mean {:.3} (limit {mean}), p{percentile} {:.3} (limit {percentile_max}); {}",
                c.mean,
                c.percentile(percentile),
                c.summary()
            ),
        }
    }

    pub(super) fn problems(&self) -> Vec<String> {
        match *self {
            HdrToleranceSpec::Itp {
                mean,
                percentile,
                percentile_max,
            } => mean_percentile_problems(mean, percentile, percentile_max),
        }
    }
}

/// Problems of a (mean, percentile, percentile_max) limit.
fn mean_percentile_problems(mean: f64, percentile: f64, percentile_max: f64) -> Vec<String> {
    let mut p = Vec::new();
    if !(mean.is_finite() && mean >= 0.0) {
        p.push(format!("mean must be a number >= 0 (got {mean})"));
    }
    if !(0.0..=100.0).contains(&percentile) {
        p.push(format!("percentile must be in 0..=100 (got {percentile})"));
    }
    if !(percentile_max.is_finite() && percentile_max >= 0.0) {
        p.push(format!(
            "percentile_max must be a number >= 0 (got {percentile_max})"
        ));
    }
    p
}
