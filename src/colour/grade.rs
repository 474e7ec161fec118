//! One layer's grade in scene-linear light: exposure, white balance, then the ASC CDL.

use glam::{DMat3, DVec3};
use serde::{Deserialize, Serialize};

use super::cdl::Cdl;
use super::primaries::{Primaries, Xy, bradford_adaptation, rgb_to_xyz};
use super::{Rgb, clamp_f16_rgb};

/// Chromaticity of CIE daylight at correlated colour temperature `kelvin` (CIE 15:2004, equations
/// 3.3 and 3.4; defined for 4000 K to 25000 K, input clamped to that range). Note that D65 is at
/// 6504 K on this locus.
pub fn daylight_xy(kelvin: f64) -> Xy {
    let t = if kelvin.is_finite() {
        kelvin.clamp(4000.0, 25000.0)
    } else {
        6504.0
    };
    let x = if t <= 7000.0 {
        -4.6070e9 / t.powi(3) + 2.9678e6 / t.powi(2) + 0.09911e3 / t + 0.244063
    } else {
        -2.0064e9 / t.powi(3) + 1.9018e6 / t.powi(2) + 0.24748e3 / t + 0.237040
    };
    [x, -3.000 * x * x + 2.870 * x - 0.275]
}

/// A grade: `cdl(white_balance(2^exposure * rgb))`, all in the working space's linear RGB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grade {
    /// Exposure in stops: values are multiplied by `2^exposure`.
    pub exposure: f64,
    /// White balance: the colour temperature (kelvin, CIE daylight locus) of the light that should
    /// become neutral; the white at that temperature is adapted to the working space's white
    /// (Bradford). None leaves colours unchanged.
    pub white_balance_k: Option<f64>,
    /// ASC CDL applied last.
    pub cdl: Cdl,
}

impl Grade {
    /// Whether this grade leaves every value unchanged.
    pub fn is_neutral(&self) -> bool {
        self.exposure == 0.0 && self.white_balance_k.is_none() && self.cdl.is_identity()
    }

    /// Problems with the parameters, each naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.exposure.is_finite() || self.exposure.abs() > 30.0 {
            out.push(format!(
                "exposure = {} must be within +-30 stops",
                self.exposure
            ));
        }
        if let Some(k) = self.white_balance_k
            && !(4000.0..=25000.0).contains(&k)
        {
            out.push(format!(
                "white_balance_k = {k} must be within 4000..25000 K (CIE daylight)"
            ));
        }
        out.extend(self.cdl.problems().into_iter().map(|p| format!("cdl.{p}")));
        out
    }

    /// The linear part (exposure and white balance) as one matrix on the working space's RGB.
    pub fn matrix(&self, space: &Primaries) -> DMat3 {
        let gain = DMat3::from_diagonal(DVec3::splat(self.exposure.exp2()));
        match self.white_balance_k {
            None => gain,
            Some(k) => white_balance_matrix(space, daylight_xy(k)) * gain,
        }
    }

    /// Applies the grade to `c`; the result is clamped to the half-float range (never NaN or
    /// infinite).
    pub fn apply(&self, space: &Primaries, c: Rgb) -> Rgb {
        let lin = (self.matrix(space) * DVec3::from_array(c)).to_array();
        clamp_f16_rgb(self.cdl.apply(clamp_f16_rgb(lin)))
    }
}

/// RGB -> RGB matrix adapting white `from` to the space's white (Bradford), in the space's RGB.
pub fn white_balance_matrix(space: &Primaries, from: Xy) -> DMat3 {
    let m = rgb_to_xyz(space);
    m.inverse() * bradford_adaptation(from, space.white) * m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colour::primaries::REC709;

    #[test]
    fn daylight_locus_gives_d65_at_6504k() {
        let [x, y] = daylight_xy(6504.0);
        assert!(
            (x - 0.3127).abs() < 2e-4 && (y - 0.3290).abs() < 2e-4,
            "{x} {y}"
        );
    }

    #[test]
    fn exposure_doubles_per_stop_and_neutral_is_identity() {
        let g = Grade {
            exposure: 1.0,
            ..Grade::default()
        };
        assert_eq!(g.apply(&REC709, [0.25, 0.5, 1.0]), [0.5, 1.0, 2.0]);
        assert!(Grade::default().is_neutral());
        assert_eq!(
            Grade::default().apply(&REC709, [0.1, 7.0, 0.0]),
            [0.1, 7.0, 0.0]
        );
        let big = Grade {
            exposure: 20.0,
            ..Grade::default()
        };
        assert_eq!(big.apply(&REC709, [1.0, 0.0, 0.0])[0], 65504.0);
    }

    #[test]
    fn white_balance_neutralises_its_white() {
        // The RGB of the 3200 K... (clamped to 4000 K) daylight white becomes neutral.
        let from = daylight_xy(5000.0);
        let m = rgb_to_xyz(&REC709);
        let xyz = crate::colour::primaries::xy_to_xyz(from);
        let rgb = m.inverse() * xyz;
        let out = white_balance_matrix(&REC709, from) * rgb;
        assert!(
            (out.x - out.y).abs() < 1e-9 && (out.y - out.z).abs() < 1e-9,
            "{out}"
        );
    }
}
