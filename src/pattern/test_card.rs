//! A test card per output, in the output's own colour encoding: it checks the display chain (the
//! file, the processor, the LEDs), so it goes through no LUT and no grade; its values are code
//! values of the output's encoding, written by the writer `parallax render` uses
//! ([`crate::render::encode::write_output`]).
//!
//! Layout of an output `W x H` pixels (output raster coordinates, cabinets ignored: pixels no
//! cabinet uses are simply not shown), five bands of rows `k H / 5 .. (k + 1) H / 5` (integer
//! division), top to bottom:
//! 1. a grey ramp, 2. a red ramp, 3. a green ramp, 4. a blue ramp: column `x` holds code
//!    `round(x (2^bits - 1) / (W - 1))` (0 at the left, the largest code at the right) in the
//!    ramp's channels and 0 in the others; for a linear EXR output the value `x / (W - 1)`;
//! 5. a row of [`PATCH_COUNT`] grey patches, patch `i` over columns `i W / N .. (i + 1) W / N`:
//!    - PQ (SMPTE ST 2084): the luminances of [`PQ_NITS`] (0 to 10,000 nits), each clipped to the
//!      output's `peak_nits`, as `round(PQ(nits) (2^bits - 1))`;
//!    - sRGB: the fractions of reference white of [`SRGB_FRACTIONS`], as
//!      `round(sRGB(fraction) 255)` (IEC 61966-2-1);
//!    - linear EXR: the linear value `nits / 100` of [`PQ_NITS`] (the project's 1.0 = 100 nits, as
//!      for light cards), not clipped (a half float holds up to 65504).
//!
//! Ramps and patches are in the output's primaries (Rec.709 for sRGB, Rec.2020 for PQ, the working
//! space for EXR). A sidecar JSON ([`CardLayout`]) lists every rectangle with its intended
//! luminance and code value. See `docs/colour.md`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::colour::output::Encoding;
use crate::colour::primaries::WorkingSpace;
use crate::colour::transfer::{pq_encode, srgb_encode};
use crate::frame::FrameOutput;
use crate::io::WriteError;
use crate::render::ReadImage;
use crate::stage::Stage;

/// Luminances of the PQ patches, cd/m^2 (nits), before clipping to the output's peak.
pub const PQ_NITS: [f64; 9] = [0.0, 0.1, 1.0, 10.0, 100.0, 203.0, 1000.0, 4000.0, 10000.0];

/// Linear fractions of reference white of the sRGB patches.
pub const SRGB_FRACTIONS: [f64; 9] = [0.0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.18, 0.5, 1.0];

/// Number of patches on a card.
pub const PATCH_COUNT: usize = 9;

/// Nits of linear 1.0 on a linear EXR card.
pub const EXR_WHITE_NITS: f64 = 100.0;

/// `format` of the sidecar JSON.
pub const CARD_FORMAT: &str = "parallax-test-card";

/// Why a test card could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum TestCardError {
    /// The stage has no output with this index.
    #[error("no output with index {0}")]
    NoSuchOutput(usize),
    /// The output cannot hold the layout: at least [`PATCH_COUNT`] x 5 pixels.
    #[error(
        "output '{output}' ({width}x{height} px) is too small for a test card (needs at least {PATCH_COUNT}x5)"
    )]
    TooSmall {
        output: String,
        width: u32,
        height: u32,
    },
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// A rectangle of output pixels: columns `x .. x + width`, rows `y .. y + height`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    fn contains(&self, x: u32, y: u32) -> bool {
        x >= self.x && x - self.x < self.width && y >= self.y && y - self.y < self.height
    }
}

/// One ramp of the card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ramp {
    /// `grey`, `red`, `green` or `blue`.
    pub name: String,
    pub rect: Rect,
    /// Which of R, G, B carry the ramp (the others are 0).
    pub channels: [bool; 3],
    /// Value at the left and right columns: codes (`0` and `2^bits - 1`) or, for linear EXR,
    /// linear values (0 and 1). Column `x` holds `round((x - rect.x) last / (rect.width - 1))`
    /// (EXR: not rounded).
    pub first: f64,
    pub last: f64,
}

/// One grey patch of the card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Patch {
    pub rect: Rect,
    /// PQ and EXR: the luminance asked for, nits; none for sRGB.
    pub requested_nits: Option<f64>,
    /// PQ: the luminance shown (clipped to the peak); EXR: `linear x 100`; none for sRGB.
    pub nits: Option<f64>,
    /// The linear value: sRGB the fraction of reference white; PQ `nits / white_nits`; EXR the
    /// value stored.
    pub linear: f64,
    /// The encoded value before quantisation: sRGB and PQ 0..1, EXR the linear value.
    pub signal: f64,
    /// sRGB and PQ: the code value, `bits` bits (`round(signal (2^bits - 1))`); none for EXR.
    pub code: Option<u32>,
    /// The sample in the file: sRGB the 8-bit code, PQ `code << (16 - bits)` in the 16-bit PNG,
    /// EXR the half float (as `f64`).
    pub stored: f64,
}

/// The sidecar JSON written beside a card (`<output>.card.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardLayout {
    /// Always [`CARD_FORMAT`].
    pub format: String,
    /// Always 1.
    pub version: u32,
    pub output: String,
    pub width: u32,
    pub height: u32,
    /// The output's encoding, as in `frame.json` (`lut` is the LUT the stage file configures for
    /// the output, which the card does not go through).
    pub encoding: FrameOutput,
    /// Always false: a test card goes through no LUT and no grade.
    pub graded: bool,
    /// The file the card was written to (file name only).
    pub file: String,
    pub ramps: Vec<Ramp>,
    pub patches: Vec<Patch>,
}

/// The test card of one output: its layout and its pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct TestCard {
    pub layout: CardLayout,
    encoding: Encoding,
    /// The stage's working space (the primaries of a linear EXR card).
    working: WorkingSpace,
}

/// `bits`-bit maximum code of an encoding (`None`: linear EXR).
fn max_code(e: &Encoding) -> Option<u32> {
    match *e {
        Encoding::Srgb { .. } => Some(255),
        Encoding::Pq { bits, .. } => Some((1u32 << bits.clamp(1, 16)) - 1),
        Encoding::LinearExr => None,
    }
}

/// Part `k` of `0..len` cut into `n` parts at `k len / n` (integer division): `(start, length)`.
fn split(len: u32, n: u32, k: u32) -> (u32, u32) {
    let at = |k: u32| (u64::from(len) * u64::from(k) / u64::from(n)) as u32;
    (at(k), at(k + 1) - at(k))
}

impl TestCard {
    /// The card of output `output` of `stage`, in the output's encoding (`stage.colour`).
    pub fn new(stage: &Stage, output: usize) -> Result<TestCard, TestCardError> {
        let o = stage
            .outputs
            .get(output)
            .ok_or(TestCardError::NoSuchOutput(output))?;
        let encoding = stage
            .colour
            .outputs
            .get(output)
            .map(|c| c.encoding)
            .unwrap_or_default();
        let mut record = FrameOutput::of_stage(stage).swap_remove(output);
        // The card is not graded: the grades in effect on the wall are not the card's.
        record.sections.clear();
        let working = stage.colour.working_space;
        Self::of(&o.name, o.width, o.height, encoding, working, record)
    }

    /// The card of a `width x height` output named `name` in `encoding` (`working`: the stage's
    /// working space); `record` is the encoding as `frame.json` records it.
    pub fn of(
        name: &str,
        width: u32,
        height: u32,
        encoding: Encoding,
        working: WorkingSpace,
        record: FrameOutput,
    ) -> Result<TestCard, TestCardError> {
        if width < PATCH_COUNT as u32 || height < 5 {
            return Err(TestCardError::TooSmall {
                output: name.to_string(),
                width,
                height,
            });
        }
        let band = |k: u32| {
            let (y, h) = split(height, 5, k);
            Rect {
                x: 0,
                y,
                width,
                height: h,
            }
        };
        let max = max_code(&encoding);
        let last = max.map_or(1.0, f64::from);
        let ramps = [
            ("grey", [true; 3]),
            ("red", [true, false, false]),
            ("green", [false, true, false]),
            ("blue", [false, false, true]),
        ]
        .into_iter()
        .enumerate()
        .map(|(k, (name, channels))| Ramp {
            name: name.into(),
            rect: band(k as u32),
            channels,
            first: 0.0,
            last,
        })
        .collect();
        let row = band(4);
        let patches = (0..PATCH_COUNT)
            .map(|i| {
                let (x, w) = split(width, PATCH_COUNT as u32, i as u32);
                let rect = Rect {
                    x,
                    y: row.y,
                    width: w,
                    height: row.height,
                };
                patch(&encoding, i, rect)
            })
            .collect();
        let file = format!("{name}.{}", crate::render::encode::extension(&encoding));
        Ok(TestCard {
            layout: CardLayout {
                format: CARD_FORMAT.into(),
                version: 1,
                output: name.to_string(),
                width,
                height,
                encoding: record,
                graded: false,
                file,
                ramps,
                patches,
            },
            encoding,
            working,
        })
    }

    /// The value of pixel `(x, y)` per R, G, B: a code (sRGB, PQ) or a linear value (EXR).
    pub fn value(&self, x: u32, y: u32) -> [f64; 3] {
        let l = &self.layout;
        if let Some(p) = l.patches.iter().find(|p| p.rect.contains(x, y)) {
            let v = p.code.map_or(p.linear, f64::from);
            return [v; 3];
        }
        let Some(r) = l.ramps.iter().find(|r| r.rect.contains(x, y)) else {
            return [0.0; 3];
        };
        let t = f64::from(x - r.rect.x) * r.last / f64::from(r.rect.width - 1);
        let v = if max_code(&self.encoding).is_some() {
            t.round()
        } else {
            t
        };
        r.channels.map(|on| if on { v } else { 0.0 })
    }

    /// The card as a raster [`crate::render::encode::write_output`] writes in the encoding:
    /// `Rgba8Unorm` codes for sRGB, `Rgba32Float` code values (`code / (2^bits - 1)`) for PQ,
    /// `Rgba32Float` linear values for EXR; alpha 1.
    pub fn image(&self) -> ReadImage {
        let (w, h) = (self.layout.width, self.layout.height);
        let pixels = (0..h).flat_map(|y| (0..w).map(move |x| (x, y)));
        if let Encoding::Srgb { .. } = self.encoding {
            let bytes = pixels
                .flat_map(|(x, y)| {
                    let [r, g, b] = self.value(x, y).map(|v| v as u8);
                    [r, g, b, 255]
                })
                .collect();
            return ReadImage {
                width: w,
                height: h,
                format: wgpu::TextureFormat::Rgba8Unorm,
                bytes,
            };
        }
        let scale = max_code(&self.encoding).map_or(1.0, f64::from);
        let values: Vec<f32> = pixels
            .flat_map(|(x, y)| {
                let [r, g, b] = self.value(x, y).map(|v| (v / scale) as f32);
                [r, g, b, 1.0]
            })
            .collect();
        ReadImage {
            width: w,
            height: h,
            format: wgpu::TextureFormat::Rgba32Float,
            bytes: bytemuck::cast_slice(&values).to_vec(),
        }
    }

    /// Writes the card to `dir/<output>.png` (or `.exr`) with the output's writer, and its layout
    /// to `dir/<output>.card.json`, both atomically. Returns the two paths.
    pub fn write(&self, dir: &Path) -> Result<(PathBuf, PathBuf), TestCardError> {
        let stem = dir.join(&self.layout.output);
        let image = crate::render::encode::write_output(
            &stem,
            &self.image(),
            &self.encoding,
            self.working,
        )?;
        let json = dir.join(format!("{}.card.json", self.layout.output));
        crate::io::write_json(&json, &self.layout)?;
        Ok((image, json))
    }
}

/// Patch `i` of a card in `encoding`.
fn patch(encoding: &Encoding, i: usize, rect: Rect) -> Patch {
    match *encoding {
        Encoding::Srgb { .. } => {
            let f = SRGB_FRACTIONS[i];
            let signal = srgb_encode(f);
            let code = (signal * 255.0).round() as u32;
            Patch {
                rect,
                requested_nits: None,
                nits: None,
                linear: f,
                signal,
                code: Some(code),
                stored: f64::from(code),
            }
        }
        Encoding::Pq {
            white_nits,
            peak_nits,
            bits,
        } => {
            let nits = PQ_NITS[i].min(peak_nits);
            let signal = pq_encode(nits);
            let bits = bits.clamp(1, 16);
            let code = (signal * f64::from((1u32 << bits) - 1)).round() as u32;
            Patch {
                rect,
                requested_nits: Some(PQ_NITS[i]),
                nits: Some(nits),
                linear: nits / white_nits,
                signal,
                code: Some(code),
                stored: f64::from(code << (16 - bits)),
            }
        }
        Encoding::LinearExr => {
            let linear = PQ_NITS[i] / EXR_WHITE_NITS;
            Patch {
                rect,
                requested_nits: Some(PQ_NITS[i]),
                nits: Some(PQ_NITS[i]),
                linear,
                signal: linear,
                code: None,
                stored: half::f16::from_f64(linear).to_f64(),
            }
        }
    }
}

/// Writes the test card of every output of `stage` into `dir`; returns `(image, sidecar)` per
/// output, in stage order.
pub fn write_all(stage: &Stage, dir: &Path) -> Result<Vec<(PathBuf, PathBuf)>, TestCardError> {
    (0..stage.outputs.len())
        .map(|k| TestCard::new(stage, k)?.write(dir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> FrameOutput {
        FrameOutput {
            name: "o".into(),
            colour: crate::frame::OutputEncoding {
                encoding: "pq".into(),
                primaries: "Rec2020".into(),
                working_space: "Rec709".into(),
                bits: 12,
                white_nits: Some(100.0),
                peak_nits: Some(1000.0),
                lut: None,
                lut_title: None,
                lut_sha256: None,
            },
            sections: Vec::new(),
        }
    }

    #[test]
    fn too_small_outputs_are_refused_by_name() {
        let pq = Encoding::Pq {
            white_nits: 100.0,
            peak_nits: 1000.0,
            bits: 12,
        };
        for (w, h) in [(8, 64), (64, 4), (0, 0)] {
            let e = TestCard::of("o", w, h, pq, WorkingSpace::default(), record()).unwrap_err();
            assert!(e.to_string().contains("output 'o'"), "{e}");
        }
        assert!(TestCard::of("o", 9, 5, pq, WorkingSpace::default(), record()).is_ok());
    }

    #[test]
    fn bands_and_patches_tile_the_card() {
        // 9 x 5: one pixel per patch, one row per band; the ramps run 0 .. 4095 in 8 steps.
        let pq = Encoding::Pq {
            white_nits: 100.0,
            peak_nits: 1000.0,
            bits: 12,
        };
        let card = TestCard::of("o", 9, 5, pq, WorkingSpace::default(), record()).unwrap();
        for x in 0..9 {
            let want = (f64::from(x) * 4095.0 / 8.0).round();
            assert_eq!(card.value(x, 0), [want; 3]);
            assert_eq!(card.value(x, 2), [0.0, want, 0.0]);
        }
        // 100 nits (patch 4) in 12 bits is code 2081 (0.5080784 x 4095 = 2080.58).
        assert_eq!(card.value(4, 4), [2081.0; 3]);
        let img = card.image();
        assert_eq!(img.format, wgpu::TextureFormat::Rgba32Float);
        assert_eq!(
            crate::render::encode::code16(img.linear(4, 4)[0], 12),
            2081 << 4
        );
    }
}
