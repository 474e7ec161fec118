//! Frame-number burn-in (`--burn-in`): a small binary bar code of the frame number in the
//! bottom-left corner of every output delivered to files, so seams between nodes can be checked
//! on the wall and by tests. The code is [`BITS`] square cells in a row along the bottom edge,
//! most significant bit first, white for 1 and black for 0; a cell is `min(width, height) / 32`
//! pixels wide (at least 1, at most 8). An output narrower than [`BITS`] pixels gets no code.
//! The frame number is taken modulo 2^[`BITS`] (about 77 hours at 60 Hz). A held frame (the
//! last good frame repeated after a failed render) carries the code of the frame whose picture
//! it is, so a seam between a node that held and the others shows on the wall and in the files.

use crate::io::WriteError;
use crate::live::{Delivery, Sink};
use crate::render::ReadImage;

/// Bits of the frame number in the code.
pub const BITS: u32 = 24;

/// The cell size in pixels for an output of `width` x `height` (0: the code does not fit).
pub fn cell(width: u32, height: u32) -> u32 {
    let s = (width.min(height) / 32).clamp(1, 8);
    if BITS * s <= width && s <= height {
        s
    } else if BITS <= width && height >= 1 {
        1
    } else {
        0
    }
}

fn pixel_size(format: wgpu::TextureFormat) -> Option<usize> {
    use wgpu::TextureFormat as F;
    match format {
        F::Rgba8Unorm | F::Rgba8UnormSrgb => Some(4),
        F::Rgba16Float => Some(8),
        F::Rgba32Float => Some(16),
        _ => None,
    }
}

fn put(img: &mut ReadImage, x: u32, y: u32, on: bool) {
    let Some(px) = pixel_size(img.format) else {
        return;
    };
    let at = (y as usize * img.width as usize + x as usize) * px;
    let Some(p) = img.bytes.get_mut(at..at + px) else {
        return;
    };
    match px {
        4 => p.copy_from_slice(&if on { [255; 4] } else { [0, 0, 0, 255] }),
        8 => {
            let v = half::f16::from_f32(if on { 1.0 } else { 0.0 }).to_bits();
            let one = half::f16::ONE.to_bits();
            for (k, c) in p.chunks_exact_mut(2).enumerate() {
                c.copy_from_slice(&if k == 3 { one } else { v }.to_le_bytes());
            }
        }
        _ => {
            let v: f32 = if on { 1.0 } else { 0.0 };
            for (k, c) in p.chunks_exact_mut(4).enumerate() {
                c.copy_from_slice(&if k == 3 { 1.0f32 } else { v }.to_le_bytes());
            }
        }
    }
}

fn get(img: &ReadImage, x: u32, y: u32) -> Option<bool> {
    let px = pixel_size(img.format)?;
    let at = (y as usize * img.width as usize + x as usize) * px;
    let p = img.bytes.get(at..at + px)?;
    Some(match px {
        4 => p[0] >= 128,
        8 => half::f16::from_le_bytes([p[0], p[1]]).to_f32() >= 0.5,
        _ => f32::from_le_bytes([p[0], p[1], p[2], p[3]]) >= 0.5,
    })
}

/// Stamps frame number `frame` into `img` (see the module). Formats other than RGBA8, RGBA16F
/// and RGBA32F, and outputs too small, are left as they are.
pub fn stamp(img: &mut ReadImage, frame: u64) {
    let s = cell(img.width, img.height);
    if s == 0 {
        return;
    }
    for bit in 0..BITS {
        let on = (frame >> (BITS - 1 - bit)) & 1 == 1;
        for dy in 0..s {
            for dx in 0..s {
                put(img, bit * s + dx, img.height - s + dy, on);
            }
        }
    }
}

/// Reads the frame number stamped into `img` (its cells' centre pixels), or `None` when the
/// image has no room for the code or an unknown format.
pub fn read(img: &ReadImage) -> Option<u64> {
    let s = cell(img.width, img.height);
    if s == 0 {
        return None;
    }
    let mut n = 0u64;
    for bit in 0..BITS {
        let on = get(img, bit * s + s / 2, img.height - s + s / 2)?;
        n = (n << 1) | u64::from(on);
    }
    Some(n)
}

/// A sink that stamps the frame number into every output, then hands them to `inner`: the
/// frame delivered, or for a held frame the last fresh frame's (the picture shown).
pub struct BurnIn<'a> {
    inner: &'a mut dyn Sink,
    /// The last frame delivered fresh (rendered, not held).
    fresh: Option<u64>,
}

impl<'a> BurnIn<'a> {
    /// Stamps what goes to `inner`.
    pub fn new(inner: &'a mut dyn Sink) -> BurnIn<'a> {
        BurnIn { inner, fresh: None }
    }
}

impl Sink for BurnIn<'_> {
    fn wants(&self, frame: u64) -> bool {
        self.inner.wants(frame)
    }

    fn deliver(&mut self, d: &Delivery) -> Result<(), WriteError> {
        let code = if d.held {
            self.fresh.unwrap_or(d.frame)
        } else {
            self.fresh = Some(d.frame);
            d.frame
        };
        let stamped: Vec<(String, ReadImage)> = d
            .outputs
            .iter()
            .map(|(name, img)| {
                let mut img = img.clone();
                stamp(&mut img, code);
                (name.clone(), img)
            })
            .collect();
        self.inner.deliver(&Delivery {
            outputs: &stamped,
            ..*d
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: u32, h: u32, format: wgpu::TextureFormat, px: usize) -> ReadImage {
        ReadImage {
            width: w,
            height: h,
            format,
            bytes: vec![0x55; (w * h) as usize * px],
        }
    }

    #[test]
    fn the_code_reads_back_in_every_format() {
        use wgpu::TextureFormat as F;
        for (f, px) in [
            (F::Rgba8UnormSrgb, 4),
            (F::Rgba16Float, 8),
            (F::Rgba32Float, 16),
        ] {
            for n in [0u64, 1, 6, 0xABCDEF, (1 << 24) - 1] {
                let mut img = image(128, 64, f, px);
                stamp(&mut img, n);
                assert_eq!(read(&img), Some(n), "{f:?} {n}");
            }
        }
    }

    #[test]
    fn the_code_is_where_the_module_says() {
        // 128 x 64: cells of 2 px; frame 5 = ...0101: the last cell (bit 0) white, the one before
        // black, all in the bottom two rows; the third row from the bottom untouched.
        let mut img = image(128, 64, wgpu::TextureFormat::Rgba8Unorm, 4);
        stamp(&mut img, 5);
        let px = |x: u32, y: u32| {
            let at = ((y * 128 + x) * 4) as usize;
            [img.bytes[at], img.bytes[at + 1]]
        };
        assert_eq!(cell(128, 64), 2);
        assert_eq!(px(47, 63), [255, 255]); // bit 0: cell 23, x 46..48
        assert_eq!(px(45, 62), [0, 0]); // bit 1: cell 22
        assert_eq!(px(43, 63), [255, 255]); // bit 2
        assert_eq!(px(0, 63), [0, 0]); // most significant bit
        assert_eq!(px(48, 63), [0x55, 0x55]); // after the code
        assert_eq!(px(0, 61), [0x55, 0x55]); // above the code
        // Too narrow: nothing stamped, nothing read.
        let mut narrow = image(20, 64, wgpu::TextureFormat::Rgba8Unorm, 4);
        let before = narrow.bytes.clone();
        stamp(&mut narrow, 5);
        assert_eq!(narrow.bytes, before);
        assert_eq!(read(&narrow), None);
        assert_eq!(cell(24, 1), 1);
    }

    /// What a sink was handed: (frame, the code read from the first output, held).
    #[derive(Default)]
    struct Codes(Vec<(u64, Option<u64>, bool)>);

    impl Sink for Codes {
        fn wants(&self, _frame: u64) -> bool {
            true
        }

        fn deliver(&mut self, d: &Delivery) -> Result<(), WriteError> {
            self.0.push((d.frame, read(&d.outputs[0].1), d.held));
            Ok(())
        }
    }

    #[test]
    fn a_held_frame_carries_the_code_of_the_picture_it_repeats() {
        let mut codes = Codes::default();
        let mut b = BurnIn::new(&mut codes);
        let out = [(
            "o".to_string(),
            image(64, 32, wgpu::TextureFormat::Rgba8Unorm, 4),
        )];
        let info = crate::frame::FrameInfo {
            format: crate::frame::FRAME_FORMAT.into(),
            version: 1,
            frame: 0,
            cameras: Vec::new(),
            outer: crate::frame::FrameOuter {
                viewpoint: [0.0; 3],
                frozen: false,
            },
            outputs: Vec::new(),
            light_cards: Vec::new(),
            draw_order: Vec::new(),
        };
        for (frame, held) in [(7, true), (8, false), (9, true), (10, true), (11, false)] {
            let d = Delivery {
                frame,
                outputs: &out,
                encodings: &[],
                working_space: Default::default(),
                info: &info,
                held,
            };
            b.deliver(&d).unwrap();
        }
        assert_eq!(
            codes.0,
            [
                // Nothing fresh yet: its own number.
                (7, Some(7), true),
                (8, Some(8), false),
                (9, Some(8), true),
                (10, Some(8), true),
                (11, Some(11), false),
            ]
        );
    }
}
