//! A stage's colour settings (the stage file's `colour:` section, resolved) and the per-output
//! transform: the CPU reference of the composite's colour path (`shaders/colour.wgsl`).
//!
//! Order in the composite, per LED pixel: each layer's colour (inner, outer) is converted from the
//! scene's Rec.709 linear into the working space and graded ([`Grade`]); the soft edge blends the
//! graded layers; then the output's transform: the `.cube` LUT (1D shaper, 3D table) on working-space
//! values, the working space converted to the output's primaries (Rec.709 for sRGB, Rec.2020 for PQ,
//! the working space for linear EXR), then the encoding.

use std::sync::Arc;

use glam::DMat3;
use serde::{Deserialize, Serialize};

use super::cube::CubeLut;
use super::primaries::{Primaries, REC709, REC2020, WorkingSpace, apply};
pub use super::settings::{
    ColourFile, ColourProblem, ColourScope, ColourSettings, GradeOverrides, Grades, OutputColour,
    OutputColourFile, SectionColour, SectionColourFile,
};
use super::transfer::{pq_encode, srgb_encode};
use super::{Rgb, clamp_f16_rgb};

/// How an output's pixels are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Encoding {
    /// 8-bit sRGB (IEC 61966-2-1), Rec.709 primaries: what LED processors take by default. With
    /// `dither`, an 8 x 8 ordered dither of +-0.5 code value is added before quantisation (the
    /// default, no dither, is the renderer's historical output, bit for bit).
    Srgb {
        #[serde(default)]
        dither: bool,
    },
    /// SMPTE ST 2084 (PQ), Rec.2020 primaries (ITU-R BT.2100): linear 1.0 is `white_nits`,
    /// luminance is clamped to `peak_nits` (the wall's peak), written as `bits`-bit code values
    /// (10 or 12) in a 16-bit PNG, most significant bits first (`code << (16 - bits)`).
    Pq {
        #[serde(default = "default_white")]
        white_nits: f64,
        #[serde(default = "default_peak")]
        peak_nits: f64,
        #[serde(default = "default_bits")]
        bits: u32,
    },
    /// Linear working-space values in a half-float OpenEXR file (clamped to +-65504).
    LinearExr,
}

fn default_white() -> f64 {
    100.0
}
fn default_peak() -> f64 {
    1000.0
}
fn default_bits() -> u32 {
    12
}

impl Default for Encoding {
    fn default() -> Self {
        Encoding::Srgb { dither: false }
    }
}

impl Encoding {
    /// Nits (cd/m²) that linear 1.0 shows at on this output: `white_nits` for PQ, otherwise
    /// [`crate::stage::cards::NITS_PER_LINEAR`] (100, the SDR reference white of ITU-R BT.1886 and
    /// sRGB's reference display; an SDR wall's real white is set at its processor). Light cards'
    /// `intensity_nits` are divided by it, so that a card shows its nits on a PQ output.
    pub fn nits_of_linear_one(&self) -> f64 {
        match self {
            Encoding::Pq { white_nits, .. } => *white_nits,
            _ => crate::stage::cards::NITS_PER_LINEAR,
        }
    }

    /// Short name recorded in `frame.json`: `srgb8`, `srgb8-dither`, `pq`, `linear-exr`.
    pub fn name(&self) -> &'static str {
        match self {
            Encoding::Srgb { dither: false } => "srgb8",
            Encoding::Srgb { dither: true } => "srgb8-dither",
            Encoding::Pq { .. } => "pq",
            Encoding::LinearExr => "linear-exr",
        }
    }

    /// The primaries of the encoded values.
    pub fn primaries(&self, working: WorkingSpace) -> Primaries {
        match self {
            Encoding::Srgb { .. } => REC709,
            Encoding::Pq { .. } => REC2020,
            Encoding::LinearExr => working.primaries(),
        }
    }

    /// Problems with the parameters.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Encoding::Pq {
            white_nits,
            peak_nits,
            bits,
        } = *self
        {
            if !(white_nits.is_finite() && white_nits > 0.0 && white_nits <= 10000.0) {
                out.push(format!(
                    "Pq white_nits = {white_nits} must be in (0, 10000]"
                ));
            }
            if !(peak_nits.is_finite() && peak_nits > 0.0 && peak_nits <= 10000.0) {
                out.push(format!("Pq peak_nits = {peak_nits} must be in (0, 10000]"));
            }
            if !matches!(bits, 10 | 12 | 16) {
                out.push(format!("Pq bits = {bits} must be 10, 12 or 16"));
            }
        }
        out
    }
}

/// Largest difference from the identity of a LUT treated as the identity on sRGB outputs,
/// far below half an 8-bit code value (1/510).
pub const IDENTITY_TOLERANCE: f64 = 1e-6;

/// An output's transform of working-space linear colour.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputTransform {
    pub lut: Option<Arc<CubeLut>>,
    /// Working space -> output primaries.
    pub to_output: DMat3,
    pub encoding: Encoding,
}

/// 8 x 8 ordered-dither threshold in (-0.5, 0.5) at pixel `(x, y)` (Bayer's matrix, by interleaving
/// the bits of `x ^ y` and `x`). Mirrors `bayer8` in `shaders/colour.wgsl`.
pub fn bayer8(x: u32, y: u32) -> f64 {
    let (x, y) = (x & 7, y & 7);
    let v = x ^ y;
    let b = ((v & 1) << 5)
        | ((x & 1) << 4)
        | ((v & 2) << 2)
        | ((x & 2) << 1)
        | ((v & 4) >> 1)
        | ((x & 4) >> 2);
    (b as f64 + 0.5) / 64.0 - 0.5
}

impl OutputTransform {
    /// The encoded value (before quantisation) of working-space colour `c` at output pixel
    /// `pixel`: sRGB code 0..1 (+ dither), PQ code 0..1, or linear (clamped to the half range).
    pub fn apply(&self, c: Rgb, pixel: (u32, u32)) -> Rgb {
        let c = clamp_f16_rgb(c);
        let c = self.lut.as_ref().map_or(c, |l| l.apply(c));
        let c = clamp_f16_rgb(apply(&self.to_output, c));
        match self.encoding {
            Encoding::Srgb { dither } => {
                let d = if dither {
                    bayer8(pixel.0, pixel.1) / 255.0
                } else {
                    0.0
                };
                c.map(|v| srgb_encode(v) + d)
            }
            Encoding::Pq {
                white_nits,
                peak_nits,
                ..
            } => c.map(|v| pq_encode((v.max(0.0) * white_nits).min(peak_nits))),
            Encoding::LinearExr => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colour::grade::Grade;

    #[test]
    fn bayer_is_a_permutation_of_64_levels() {
        let mut seen = [false; 64];
        for y in 0..8 {
            for x in 0..8 {
                let k = ((bayer8(x, y) + 0.5) * 64.0 - 0.5).round() as usize;
                assert!(!seen[k]);
                seen[k] = true;
            }
        }
        // Neighbours differ by half the range at least somewhere: it is not a ramp.
        assert!((bayer8(0, 0) - bayer8(1, 0)).abs() >= 0.25);
    }

    #[test]
    fn default_settings_are_neutral_srgb() {
        let (s, p) = ColourSettings::build(&ColourFile::default(), &[], &["a", "b"]);
        assert!(p.is_empty());
        let t = s.output_transform(1);
        assert_eq!(t.to_output, DMat3::IDENTITY);
        assert_eq!(
            t.apply([0.5, 0.0, 1.0], (0, 0)),
            [srgb_encode(0.5), 0.0, srgb_encode(1.0)]
        );
        assert_eq!(s.grade_layer(&s.inner, [0.1, 0.2, 0.3]), [0.1, 0.2, 0.3]);
    }

    #[test]
    fn pq_output_clamps_to_the_peak() {
        let f = ColourFile {
            outputs: vec![OutputColourFile {
                output: "a".into(),
                lut: None,
                encoding: Encoding::Pq {
                    white_nits: 100.0,
                    peak_nits: 1000.0,
                    bits: 12,
                },
                ..OutputColourFile::default()
            }],
            ..ColourFile::default()
        };
        let (s, p) = ColourSettings::build(&f, &[], &["a"]);
        assert!(p.is_empty());
        let t = s.output_transform(0);
        let sun = t.apply([f64::INFINITY, 100_000.0, f64::NAN], (0, 0));
        // Infinity is clamped to 65504 and NaN to 0 before the Rec.709 -> Rec.2020 matrix: every
        // channel is then far above the peak.
        assert!(
            sun.iter().all(|v| (v - pq_encode(1000.0)).abs() < 1e-12),
            "{sun:?}"
        );
        // White at 100 nits is the anchor.
        let w = t.apply([1.0, 1.0, 1.0], (0, 0));
        assert!(w.iter().all(|v| (v - 0.5080784).abs() < 1e-6), "{w:?}");
    }

    #[test]
    fn unknown_outputs_and_bad_parameters_are_named() {
        let f = ColourFile {
            outputs: vec![OutputColourFile {
                output: "nope".into(),
                lut: None,
                encoding: Encoding::default(),
                ..OutputColourFile::default()
            }],
            inner: Grade {
                exposure: f64::NAN,
                ..Grade::default()
            },
            ..ColourFile::default()
        };
        let (_, p) = ColourSettings::build(&f, &[], &["a"]);
        let text: Vec<String> = p.into_iter().map(|p| p.message).collect();
        assert!(
            text.iter().any(|m| m.contains("unknown output 'nope'")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|m| m.contains("colour.inner.exposure")),
            "{text:?}"
        );
    }
}
