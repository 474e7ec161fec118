//! One layer's grade in scene-linear light: exposure, white balance, then the ASC CDL.

use glam::{DMat3, DVec3};
use serde::{Deserialize, Serialize};

use super::cdl::Cdl;
use super::primaries::{Primaries, Xy, bradford_adaptation, rgb_to_xyz};
use super::{Rgb, clamp_f16_rgb};

/// Colour temperatures `white_balance_k` accepts, in kelvin: from a candle's flame to a blue sky.
pub const WHITE_BALANCE_K: std::ops::RangeInclusive<f64> = 1000.0..=25000.0;

/// Below this temperature (kelvin) the white balance's white is a black body's (tungsten); from it
/// up, CIE daylight's.
pub const PLANCKIAN_BELOW_K: f64 = 4000.0;

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

/// CIE 1960 UCS chromaticity (u, v) of a black body (Planckian radiator) at `kelvin`: Krystek's
/// rational approximation (M. Krystek, "An algorithm to calculate correlated colour temperature",
/// Color Research & Application 10(1), 1985, pp. 38-40), within 1e-4 of the locus from 1000 K to
/// 15000 K; input clamped to that range.
fn planckian_uv(kelvin: f64) -> [f64; 2] {
    let t = if kelvin.is_finite() {
        kelvin.clamp(1000.0, 15000.0)
    } else {
        6504.0
    };
    let t2 = t * t;
    let u = (0.860117757 + 1.54118254e-4 * t + 1.28641212e-7 * t2)
        / (1.0 + 8.42420235e-4 * t + 7.08145163e-7 * t2);
    let v = (0.317398726 + 4.22806245e-5 * t + 4.20481691e-8 * t2)
        / (1.0 - 2.89741816e-5 * t + 1.61456053e-7 * t2);
    [u, v]
}

/// Chromaticity (CIE 1931 xy) of a black body at `kelvin` (Krystek 1985, see [`planckian_uv`];
/// 1000 K to 15000 K, input clamped), from CIE 1960 UCS by `x = 3u / (2u - 8v + 4)`,
/// `y = 2v / (2u - 8v + 4)`.
pub fn planckian_xy(kelvin: f64) -> Xy {
    let [u, v] = planckian_uv(kelvin);
    let d = 2.0 * u - 8.0 * v + 4.0;
    [3.0 * u / d, 2.0 * v / d]
}

/// The white a white balance of `kelvin` makes neutral: a black body's below
/// [`PLANCKIAN_BELOW_K`] (tungsten light, e.g. 3200 K), CIE daylight's from there up (5600 K,
/// 6500 K). Unreal Engine's white balance chooses its white the same way, so a setting means the
/// same white in both.
pub fn white_balance_xy(kelvin: f64) -> Xy {
    if kelvin < PLANCKIAN_BELOW_K {
        planckian_xy(kelvin)
    } else {
        daylight_xy(kelvin)
    }
}

/// A grade: `cdl(white_balance(2^exposure * rgb))`, all in the working space's linear RGB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grade {
    /// Exposure in stops: values are multiplied by `2^exposure`.
    pub exposure: f64,
    /// White balance: the colour temperature (kelvin, 1000 to 25000) of the light that should
    /// become neutral, as a camera's white balance setting: its white ([`white_balance_xy`]: a
    /// black body's below 4000 K, CIE daylight's from 4000 K) is adapted to the working space's
    /// white (Bradford), so 3200 K turns a tungsten-lit picture neutral and makes neutral content
    /// bluer; above the working space's white (6504 K for D65) it makes it warmer. None leaves
    /// colours unchanged.
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
            && !WHITE_BALANCE_K.contains(&k)
        {
            out.push(format!(
                "white_balance_k = {k} must be within {}..{} K",
                WHITE_BALANCE_K.start(),
                WHITE_BALANCE_K.end()
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
            Some(k) => white_balance_matrix(space, white_balance_xy(k)) * gain,
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
        // The RGB of the 5000 K daylight white becomes neutral.
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

    #[test]
    fn planckian_locus_matches_colour_science_and_illuminant_a() {
        // colour-science's documented example of CCT_to_uv_Krystek1985 (6504.38938305 K).
        let [u, v] = planckian_uv(6504.38938305);
        assert!(
            (u - 0.2004720).abs() < 1e-7 && (v - 0.3102929).abs() < 1e-7,
            "{u} {v}"
        );
        // CIE standard illuminant A is a black body at 2856 K (c2 = 1.4388e-2 m K): its
        // chromaticity (CIE 15:2004, table T.3) is x = 0.44757, y = 0.40745, in CIE 1960 UCS
        // u = 4x / (-2x + 12y + 3), v = 6y / (-2x + 12y + 3); Krystek's fit is within about 1e-4.
        let (xa, ya) = (0.44757, 0.40745);
        let d = -2.0 * xa + 12.0 * ya + 3.0;
        let [u, v] = planckian_uv(2856.0);
        assert!(
            (u - 4.0 * xa / d).abs() < 2e-4 && (v - 6.0 * ya / d).abs() < 2e-4,
            "{u} {v}"
        );
        let [x, y] = planckian_xy(2856.0);
        assert!((x - xa).abs() < 1e-3 && (y - ya).abs() < 1e-3, "{x} {y}");
    }

    #[test]
    fn white_balance_white_is_planckian_below_4000k_and_daylight_from_it() {
        assert_eq!(white_balance_xy(3200.0), planckian_xy(3200.0));
        assert_eq!(white_balance_xy(3999.0), planckian_xy(3999.0));
        assert_eq!(white_balance_xy(4000.0), daylight_xy(4000.0));
        assert_eq!(white_balance_xy(5600.0), daylight_xy(5600.0));
        // Warmer light is redder: x falls as the temperature rises on each side.
        let xs: Vec<f64> = [1000.0, 1900.0, 2700.0, 3200.0, 3999.0]
            .iter()
            .map(|&k| white_balance_xy(k)[0])
            .collect();
        assert!(xs.windows(2).all(|w| w[1] < w[0]), "{xs:?}");
    }

    #[test]
    fn tungsten_white_balance_makes_tungsten_light_neutral_and_neutral_bluer() {
        let g = Grade {
            white_balance_k: Some(3200.0),
            ..Grade::default()
        };
        assert!(g.problems().is_empty(), "{:?}", g.problems());
        // A grey lit by a 3200 K black body, in Rec.709 (luminance 0.18).
        let m = rgb_to_xyz(&REC709);
        let xyz = crate::colour::primaries::xy_to_xyz(planckian_xy(3200.0)) * 0.18;
        let lit = (m.inverse() * xyz).to_array();
        assert!(
            lit[0] > lit[1] && lit[1] > lit[2],
            "tungsten is orange: {lit:?}"
        );
        let out = g.apply(&REC709, lit);
        assert!(
            (out[0] - out[1]).abs() < 1e-6 && (out[1] - out[2]).abs() < 1e-6,
            "{out:?}"
        );
        let grey = g.apply(&REC709, [0.18; 3]);
        assert!(grey[2] > grey[1] && grey[1] > grey[0], "bluer: {grey:?}");
        for k in [999.0, 25001.0, f64::NAN] {
            let bad = Grade {
                white_balance_k: Some(k),
                ..Grade::default()
            };
            assert_eq!(bad.problems().len(), 1, "{k}");
        }
    }
}
