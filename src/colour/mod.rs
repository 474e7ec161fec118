//! Colour science on the CPU: the reference for the GPU colour path and for the tests.
//!
//! Everything here is plain functions over `f64` RGB triples (`[f64; 3]`), no GPU:
//! - [`primaries`]: RGB <-> CIE XYZ matrices from chromaticities (SMPTE RP 177), Rec.709 / sRGB,
//!   ACEScg (AP1) and Rec.2020 primaries, Bradford chromatic adaptation between white points;
//! - [`transfer`]: the sRGB piecewise curve (IEC 61966-2-1) and SMPTE ST 2084 (PQ);
//! - [`cdl`]: the ASC CDL v1.2 (slope, offset, power, saturation);
//! - [`grade`]: exposure (stops) and white balance, with the CDL, one layer's grade;
//! - [`cube`]: the `.cube` LUT format (Adobe Cube LUT Specification 1.0, Resolve's 1D shaper + 3D);
//! - [`lut`]: 1D, trilinear and tetrahedral 3D interpolation;
//! - [`settings`]: the stage file's `colour:` section, which grades and LUT each cabinet gets;
//! - [`output`]: each output's transform and encoding;
//! - [`itp`]: ICtCp (BT.2100, PQ) and the colour difference ΔE_ITP (BT.2124), for HDR checks.
//!
//! Test vectors from OpenColorIO and colour-science (`scripts/colour_vectors.py`, committed under
//! `tests/data/colour/`) check these functions; the GPU is checked against these functions.

pub mod cdl;
pub mod cube;
pub mod grade;
pub mod itp;
pub mod lut;
pub mod output;
pub mod primaries;
pub mod settings;
pub mod transfer;
#[cfg(test)]
mod vectors;

/// An RGB triple (or XYZ), scene-linear unless said otherwise.
pub type Rgb = [f64; 3];

/// Largest finite half-float value (IEEE 754 binary16).
pub const F16_MAX: f64 = 65504.0;

/// `v` made safe for a half-float target: NaN becomes 0, values are clamped to +-[`F16_MAX`] (so
/// infinities become +-65504).
pub fn clamp_f16(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-F16_MAX, F16_MAX)
    }
}

/// [`clamp_f16`] per channel.
pub fn clamp_f16_rgb(c: Rgb) -> Rgb {
    c.map(clamp_f16)
}

/// Rec.709 luma weights (ITU-R BT.709-6, item 3.2), used by the CDL saturation.
pub const REC709_LUMA: Rgb = [0.2126, 0.7152, 0.0722];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_f16_never_returns_non_finite() {
        assert_eq!(clamp_f16(f64::NAN), 0.0);
        assert_eq!(clamp_f16(f64::INFINITY), 65504.0);
        assert_eq!(clamp_f16(f64::NEG_INFINITY), -65504.0);
        assert_eq!(clamp_f16(100_000.0), 65504.0);
        assert_eq!(clamp_f16(0.25), 0.25);
        // 65504 is exactly representable in half precision and is the largest finite one.
        assert_eq!(half::f16::MAX.to_f64(), F16_MAX);
    }
}
