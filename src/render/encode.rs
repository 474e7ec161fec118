//! Writing an output raster in its encoding: 8-bit sRGB PNG, PQ code values in a 16-bit PNG, or
//! linear half-float OpenEXR. Every file is written atomically.

use std::path::{Path, PathBuf};

use super::ReadImage;
use crate::colour::output::Encoding;
use crate::io::{WriteError, write_atomic, write_png};

/// The file name extension of an encoding's output: `png` or `exr`.
pub fn extension(encoding: &Encoding) -> &'static str {
    match encoding {
        Encoding::LinearExr => "exr",
        _ => "png",
    }
}

/// `v` (0..1, NaN as 0) as a `bits`-bit code value, most significant bits first in 16 bits:
/// `round(v * (2^bits - 1)) << (16 - bits)`.
pub fn code16(v: f32, bits: u32) -> u16 {
    let bits = bits.clamp(1, 16);
    let max = ((1u32 << bits) - 1) as f32;
    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
    ((v * max).round() as u32 as u16) << (16 - bits)
}

/// The image's values (linear float targets, or PQ code values) as 16-bit RGBA, `bits`-bit codes.
pub fn to_rgba16(img: &ReadImage, bits: u32) -> image::ImageBuffer<image::Rgba<u16>, Vec<u16>> {
    let mut out = image::ImageBuffer::new(img.width, img.height);
    for (x, y, p) in out.enumerate_pixels_mut() {
        let v = img.linear(x, y);
        *p = image::Rgba([
            code16(v[0], bits),
            code16(v[1], bits),
            code16(v[2], bits),
            u16::MAX,
        ]);
    }
    out
}

/// Writes `img` (an output raster read back) to `stem.png` or `stem.exr` in `encoding`; returns the
/// path. sRGB: the 8-bit texels as they are (hardware-encoded or dithered); PQ: the shader's code
/// values quantised to `bits` in a 16-bit PNG; linear EXR: half-float RGBA, values clamped to
/// +-65504.
pub fn write_output(
    stem: &Path,
    img: &ReadImage,
    encoding: &Encoding,
) -> Result<PathBuf, WriteError> {
    let path = stem.with_extension(extension(encoding));
    match encoding {
        Encoding::Srgb { .. } => write_png(&path, &img.to_rgba8())?,
        Encoding::Pq { bits, .. } => {
            let mut bytes = Vec::new();
            to_rgba16(img, *bits)
                .write_to(
                    &mut std::io::Cursor::new(&mut bytes),
                    image::ImageFormat::Png,
                )
                .map_err(|source| WriteError::Image {
                    path: path.clone(),
                    source,
                })?;
            write_atomic(&path, &bytes)?;
        }
        Encoding::LinearExr => write_atomic(
            &path,
            &exr_half(img).map_err(|e| WriteError::Io {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?,
        )?,
    }
    Ok(path)
}

/// Half-float RGBA OpenEXR bytes of `img`'s linear values (clamped to the half range).
pub fn exr_half(img: &ReadImage) -> Result<Vec<u8>, exr::error::Error> {
    use exr::prelude::*;
    let h = |v: f32| f16::from_f32(crate::colour::clamp_f16(f64::from(v)) as f32);
    let pixels = |p: Vec2<usize>| {
        let v = img.linear(p.0 as u32, p.1 as u32);
        (h(v[0]), h(v[1]), h(v[2]), h(v[3]))
    };
    let image = Image::from_channels(
        (img.width as usize, img.height as usize),
        SpecificChannels::rgba(pixels),
    );
    let mut bytes = Vec::new();
    image
        .write()
        .to_buffered(std::io::Cursor::new(&mut bytes))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_values_are_msb_aligned() {
        assert_eq!(code16(1.0, 10), 1023 << 6);
        assert_eq!(code16(0.5080784, 10), 520 << 6);
        assert_eq!(code16(1.0, 12), 4095 << 4);
        assert_eq!(code16(f32::NAN, 12), 0);
        assert_eq!(code16(2.0, 16), u16::MAX);
    }

    #[test]
    fn exr_round_trips_through_the_image_crate() {
        let vals: Vec<f32> = vec![0.25, 1.5, 100_000.0, 1.0, -0.5, 0.0, 3.0, 1.0];
        let img = ReadImage {
            width: 2,
            height: 1,
            format: wgpu::TextureFormat::Rgba32Float,
            bytes: bytemuck::cast_slice(&vals).to_vec(),
        };
        let bytes = exr_half(&img).unwrap();
        let back = image::load_from_memory_with_format(&bytes, image::ImageFormat::OpenExr)
            .unwrap()
            .to_rgba32f();
        let p = back.get_pixel(0, 0).0;
        assert_eq!(p, [0.25, 1.5, 65504.0, 1.0]);
        assert_eq!(back.get_pixel(1, 0).0, [-0.5, 0.0, 3.0, 1.0]);
    }
}
