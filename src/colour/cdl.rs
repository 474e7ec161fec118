//! The ASC Color Decision List (ASC CDL v1.2, American Society of Cinematographers, 2009).
//!
//! Per channel, the SOP: `out = (in * slope + offset) ^ power` (section 3.2, "Slope, Offset, Power"),
//! then saturation (section 3.3) with Rec.709 luma weights:
//! `luma = 0.2126 R + 0.7152 G + 0.0722 B; out = luma + sat * (in - luma)`.
//!
//! Clamping follows OpenColorIO's `CDLTransform` styles: [`CdlStyle::NoClamp`] is OCIO's default
//! (`CDL_NO_CLAMP`, and what scene-linear grading needs): nothing is clamped and the power is applied
//! to positive values only, negative values passing through it unchanged. [`CdlStyle::Asc`]
//! (`CDL_ASC`) is the v1.2 text: clamped to 0..1 after the SOP and after the saturation.

use serde::{Deserialize, Serialize};

use super::{REC709_LUMA, Rgb};

/// Clamping style (OpenColorIO `CDLStyle`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CdlStyle {
    /// No clamping; power applied to positive values only (OCIO's default, `CDL_NO_CLAMP`).
    #[default]
    NoClamp,
    /// ASC CDL v1.2: clamp to 0..1 after the SOP and after the saturation (OCIO `CDL_ASC`).
    Asc,
}

/// One CDL: slope, offset, power per channel and a saturation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cdl {
    /// Per-channel gain (>= 0).
    pub slope: Rgb,
    /// Per-channel offset, added after the slope.
    pub offset: Rgb,
    /// Per-channel power (> 0), applied after the offset.
    pub power: Rgb,
    /// Saturation (>= 0), 1 keeps it.
    pub saturation: f64,
    /// Clamping style.
    pub style: CdlStyle,
}

impl Default for Cdl {
    fn default() -> Self {
        Cdl {
            slope: [1.0; 3],
            offset: [0.0; 3],
            power: [1.0; 3],
            saturation: 1.0,
            style: CdlStyle::NoClamp,
        }
    }
}

impl Cdl {
    /// Whether this CDL leaves every value unchanged (slope 1, offset 0, power 1, sat 1, no clamp).
    pub fn is_identity(&self) -> bool {
        *self == Cdl::default()
    }

    /// Problems with the parameters (non-finite, beyond +-1000, negative slope or saturation,
    /// power <= 0), each naming its field.
    pub fn problems(&self) -> Vec<String> {
        // The largest slope, offset, power or saturation taken (in magnitude).
        const CDL_LIMIT: f64 = 1000.0;
        let mut out = Vec::new();
        for (name, v, min_excl) in [
            ("slope", self.slope, None),
            ("offset", self.offset, None),
            ("power", self.power, Some(0.0)),
        ] {
            for (k, x) in v.iter().enumerate() {
                if !x.is_finite() {
                    out.push(format!("{name}[{k}] is not finite"));
                } else if x.abs() > CDL_LIMIT {
                    out.push(format!(
                        "{name}[{k}] = {x} must be within +-{CDL_LIMIT} (no grade needs more; \
                         beyond, the GPU's 32-bit floats overflow)"
                    ));
                } else if name == "slope" && *x < 0.0 {
                    out.push(format!("slope[{k}] = {x} is negative"));
                } else if min_excl.is_some_and(|m| *x <= m) {
                    out.push(format!("{name}[{k}] = {x} must be > 0"));
                }
            }
        }
        if !self.saturation.is_finite() || !(0.0..=CDL_LIMIT).contains(&self.saturation) {
            out.push(format!(
                "saturation = {} must be within 0..{CDL_LIMIT}",
                self.saturation
            ));
        }
        out
    }

    /// Applies the CDL to `c` (ASC CDL v1.2 sections 3.2 and 3.3, clamping per [`Cdl::style`]).
    pub fn apply(&self, c: Rgb) -> Rgb {
        let clamp = self.style == CdlStyle::Asc;
        let mut v = [0.0; 3];
        for k in 0..3 {
            let mut x = c[k] * self.slope[k] + self.offset[k];
            if clamp {
                x = x.clamp(0.0, 1.0);
            }
            if x > 0.0 {
                x = x.powf(self.power[k]);
            }
            v[k] = x;
        }
        if self.saturation == 1.0 && !clamp {
            return v;
        }
        let luma = v[0] * REC709_LUMA[0] + v[1] * REC709_LUMA[1] + v[2] * REC709_LUMA[2];
        v.map(|x| {
            let y = luma + self.saturation * (x - luma);
            if clamp { y.clamp(0.0, 1.0) } else { y }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_values() {
        // OCIO 2.6 gives the same on these (with its fast pow, within 1e-4).
        let mut c = Cdl {
            power: [2.0; 3],
            ..Cdl::default()
        };
        assert_eq!(c.apply([-0.5, 0.5, 2.0]), [-0.5, 0.25, 4.0]);
        c.power = [1.0; 3];
        c.saturation = 2.0;
        // luma = 0.2126 * -0.5 + 0.7152 * 0.5 + 0.0722 * 2 = 0.3957
        let out = c.apply([-0.5, 0.5, 2.0]);
        for (o, e) in out.iter().zip([-1.3957, 0.6043, 3.6043]) {
            assert!((o - e).abs() < 1e-12, "{out:?}");
        }
        c.style = CdlStyle::Asc;
        // Clamped to (0, 0.5, 1) first: luma 0.4298; 0.5 -> 0.4298 + 2 * 0.0702.
        let out = c.apply([-0.5, 0.5, 2.0]);
        for (o, e) in out.iter().zip([0.0, 0.5702, 1.0]) {
            assert!((o - e).abs() < 1e-12, "{out:?}");
        }
        assert!(Cdl::default().is_identity());
        assert_eq!(Cdl::default().apply([0.1, 2.0, -3.0]), [0.1, 2.0, -3.0]);
    }

    #[test]
    fn problems_name_the_field() {
        let c = Cdl {
            power: [1.0, 0.0, 1.0],
            slope: [f64::NAN, 1.0, 1.0],
            saturation: -1.0,
            ..Cdl::default()
        };
        let p = c.problems().join("; ");
        assert!(p.contains("power[1]") && p.contains("slope[0]") && p.contains("saturation"));
        // Finite but absurd (a tryout's 1e300 offset reached the GPU as infinity).
        let c = Cdl {
            offset: [1e300, 0.0, -1000.0],
            slope: [1e39, 1000.0, 1.0],
            ..Cdl::default()
        };
        let p = c.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].starts_with("slope[0] = ") && p[1].starts_with("offset[0] = "),
            "{p:?}"
        );
    }
}
