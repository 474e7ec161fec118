//! The light an output's LEDs emit, from the texels the composite wrote into it: what the simulated
//! camera and the preview's view of the wall show (`shaders/camera_view.wgsl`). An output's texels
//! are code values in its encoding and primaries (sRGB with dither, PQ in Rec.2020, linear EXR in
//! the working space); the LED processor decodes them into light, and so does the view, into
//! linear Rec.709 (the primaries of the camera picture and of the preview window), 1.0 at the
//! output's reference white. A LUT stays applied: it is part of the light on the wall.

use glam::DMat3;

use super::composite::RasterColour;
use crate::colour::output::{Encoding, OutputTransform};
use crate::colour::primaries::{Primaries, REC709, conversion};
use crate::colour::transfer::{PQ_PEAK_NITS, pq_decode, srgb_decode};

/// One output's decoding, as `shaders/camera_view.wgsl` reads it (uniform, 64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct EmittedLight {
    /// The output's primaries -> linear Rec.709, columns (xyz; w unused).
    pub(crate) m0: [f32; 4],
    pub(crate) m1: [f32; 4],
    pub(crate) m2: [f32; 4],
    /// x: what the texels hold (0 linear light, read as stored: float targets and the hardware's
    /// sRGB encoding; 1 sRGB code values; 2 PQ code values); y: for PQ, the nits of 1.0 after
    /// decoding, [`PQ_PEAK_NITS`] over the output's nits of linear 1.0; zw unused.
    pub(crate) decode: [f32; 4],
}

impl EmittedLight {
    /// Texels that are linear Rec.709 light already.
    pub const LINEAR_REC709: EmittedLight = EmittedLight {
        m0: [1.0, 0.0, 0.0, 0.0],
        m1: [0.0, 1.0, 0.0, 0.0],
        m2: [0.0, 0.0, 1.0, 0.0],
        decode: [0.0; 4],
    };

    /// The decoding of each output's raster (`rasters`: the composite's, outputs in stage order
    /// first, then the unwrapped wall's tiles), `outputs` of them, from `working`.
    pub(crate) fn of_outputs(
        rasters: &[RasterColour],
        outputs: usize,
        working: &Primaries,
    ) -> Vec<EmittedLight> {
        rasters
            .iter()
            .take(outputs)
            .map(|r| {
                r.slots
                    .first()
                    .map_or(Self::LINEAR_REC709, |t| Self::of(t, r.mode, working))
            })
            .collect()
    }

    /// The decoding of an output whose transform is `t`, written by the composite in shader
    /// encoding mode `mode` (`crate::render::grading::raster_format`: 0 linear or hardware sRGB,
    /// 1 sRGB with dither, 2 PQ), from working space `working`.
    pub fn of(t: &OutputTransform, mode: u32, working: &Primaries) -> EmittedLight {
        // to_output maps working -> output primaries; back to working, then to Rec.709.
        let m = conversion(working, &REC709) * t.to_output.inverse();
        let col = |v: glam::DVec3| [v.x as f32, v.y as f32, v.z as f32, 0.0];
        let scale = match t.encoding {
            Encoding::Pq { .. } => PQ_PEAK_NITS / t.encoding.nits_of_linear_one(),
            _ => 1.0,
        };
        EmittedLight {
            m0: col(m.x_axis),
            m1: col(m.y_axis),
            m2: col(m.z_axis),
            decode: [mode as f32, scale as f32, 0.0, 0.0],
        }
    }

    /// The light (linear Rec.709, 1.0 at reference white) of texel `c` (RGB): the CPU mirror of
    /// `emitted_light` in `shaders/camera_view.wgsl`.
    pub fn apply(&self, c: [f32; 3]) -> [f64; 3] {
        let c = c.map(|v| v as f64);
        let linear = match self.decode[0] as u32 {
            1 => c.map(srgb_decode),
            2 => c.map(|v| pq_decode(v.clamp(0.0, 1.0)) / PQ_PEAK_NITS * self.decode[1] as f64),
            _ => c,
        };
        let col = |k: [f32; 4]| glam::DVec3::new(k[0] as f64, k[1] as f64, k[2] as f64);
        let m = DMat3::from_cols(col(self.m0), col(self.m1), col(self.m2));
        (m * glam::DVec3::from(linear)).to_array()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::colour::Rgb;
    use crate::colour::primaries::{REC2020, WorkingSpace, apply};

    /// Decoding what the output transform encoded gives back the working colour converted to
    /// Rec.709 by the primaries conversion (checked against OpenColorIO in `colour::primaries`),
    /// for each encoding, from both working spaces, over colours in and out of 0..1; the dither
    /// is within half a code value.
    #[test]
    fn decoding_an_encoded_colour_gives_its_light_in_rec709() {
        let pq = Encoding::Pq {
            white_nits: 203.0,
            peak_nits: 1000.0,
            bits: 12,
        };
        // (encoding, shader mode, relative tolerance)
        let cases = [
            (Encoding::Srgb { dither: false }, 0, 1e-9),
            (Encoding::Srgb { dither: true }, 1, 0.5 / 255.0 * 2.5 / 0.1),
            (pq, 2, 1e-9),
            (Encoding::LinearExr, 0, 1e-9),
        ];
        for space in [WorkingSpace::Rec709, WorkingSpace::AcesCg] {
            let working = space.primaries();
            for (encoding, mode, tol) in cases {
                let t = OutputTransform {
                    lut: None,
                    to_output: conversion(&working, &encoding.primaries(space)),
                    encoding,
                };
                let light = EmittedLight::of(&t, mode, &working);
                for k in 0..200u32 {
                    let f = |s: u32| ((k * s + 7) % 97) as f64 / 96.0;
                    // Rec.709 light within each encoding's range: sRGB clamps to 0..1, PQ to its
                    // peak (1000 / 203 = 4.9 x reference white).
                    let want: Rgb = match encoding {
                        Encoding::Srgb { .. } => {
                            [0.1 + 0.8 * f(3), 0.1 + 0.8 * f(5), 0.1 + 0.8 * f(11)]
                        }
                        _ => [4.0 * f(3), 0.5 * f(5), 2.0 * f(11)],
                    };
                    let c = apply(&conversion(&REC709, &working), want);
                    // The texel: in mode 0 an sRGB target holds linear light (the hardware
                    // encodes it when writing and decodes it when reading).
                    let mut texel = t.apply(c, (k % 8, k / 8));
                    if mode == 0 && matches!(encoding, Encoding::Srgb { .. }) {
                        texel = texel.map(srgb_decode);
                    }
                    let got = light.apply(texel.map(|v| v as f32));
                    for i in 0..3 {
                        assert!(
                            (got[i] - want[i]).abs() <= (tol + 1e-5) * want[i].abs().max(1.0),
                            "{encoding:?} from {space:?}: {c:?} -> {texel:?} -> {got:?}, want {want:?}"
                        );
                    }
                }
            }
        }
        // PQ from Rec.709: the matrix is Rec.2020 -> Rec.709.
        let t = OutputTransform {
            lut: None,
            to_output: conversion(&REC709, &REC2020),
            encoding: pq,
        };
        let light = EmittedLight::of(&t, 2, &REC709);
        let m = conversion(&REC2020, &REC709);
        assert!((light.m0[0] as f64 - m.x_axis.x).abs() < 1e-6);
        assert!((light.m1[0] as f64 - m.y_axis.x).abs() < 1e-6);
    }
}
