//! Writing an output raster in its encoding: 8-bit sRGB PNG, PQ code values in a 16-bit PNG, or
//! linear half-float OpenEXR. Every file is written atomically.

use std::path::{Path, PathBuf};

use super::ReadImage;
use crate::colour::output::Encoding;
use crate::colour::primaries::{Primaries, WorkingSpace};
use crate::io::{PngColour, WriteError, write_atomic, write_png_colour};

/// The file name extension of an encoding's output: `png` or `exr`.
pub fn extension(encoding: &Encoding) -> &'static str {
    match encoding {
        Encoding::LinearExr => "exr",
        _ => "png",
    }
}

/// `stem` with the encoding's extension appended (`wall.1` -> `wall.1.png`): never replacing what
/// follows a dot in the stem, as [`Path::with_extension`] would (`wall.1` -> `wall.png`).
pub fn output_path(stem: &Path, encoding: &Encoding) -> PathBuf {
    let mut name = stem.as_os_str().to_owned();
    name.push(".");
    name.push(extension(encoding));
    PathBuf::from(name)
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
/// path. The extension is appended to the whole stem, so an output named `wall.1` is written to
/// `wall.1.png` ([`output_path`]). sRGB: the 8-bit texels as they are (hardware-encoded or dithered), with an `sRGB` chunk;
/// PQ: the shader's code values quantised to `bits` in a 16-bit PNG with `cICP` (BT.2020, PQ) and
/// `sBIT` (`bits`) chunks ([`PngColour`]); linear EXR: half-float RGBA, values clamped to
/// +-65504, with the `chromaticities` attribute of `working`, the stage's working space (the
/// values' primaries and white).
pub fn write_output(
    stem: &Path,
    img: &ReadImage,
    encoding: &Encoding,
    working: WorkingSpace,
) -> Result<PathBuf, WriteError> {
    let path = output_path(stem, encoding);
    match encoding {
        Encoding::Srgb { .. } => {
            let img = img.to_rgba8();
            write_png_colour(
                &path,
                img.width(),
                img.height(),
                png::BitDepth::Eight,
                img.as_raw(),
                PngColour::Srgb,
            )?
        }
        Encoding::Pq { bits, .. } => {
            let img = to_rgba16(img, *bits);
            let samples: Vec<u8> = img.as_raw().iter().flat_map(|v| v.to_be_bytes()).collect();
            write_png_colour(
                &path,
                img.width(),
                img.height(),
                png::BitDepth::Sixteen,
                &samples,
                PngColour::Pq {
                    bits: (*bits).clamp(1, 16) as u8,
                },
            )?
        }
        Encoding::LinearExr => write_atomic(
            &path,
            &exr_half(img, &encoding.primaries(working)).map_err(|e| WriteError::Io {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })?,
        )?,
    }
    Ok(path)
}

/// Half-float RGBA OpenEXR bytes of `img`'s linear values (clamped to the half range), with the
/// `chromaticities` header attribute of `primaries` (OpenEXR's standard attribute: the CIE xy of
/// the red, green and blue primaries and the white point; readers assume Rec.709 / D65 without
/// it).
pub fn exr_half(img: &ReadImage, primaries: &Primaries) -> Result<Vec<u8>, exr::error::Error> {
    use exr::prelude::*;
    let h = |v: f32| f16::from_f32(crate::colour::clamp_f16(f64::from(v)) as f32);
    let pixels = |p: Vec2<usize>| {
        let v = img.linear(p.0 as u32, p.1 as u32);
        (h(v[0]), h(v[1]), h(v[2]), h(v[3]))
    };
    let mut image = Image::from_channels(
        (img.width as usize, img.height as usize),
        SpecificChannels::rgba(pixels),
    );
    let xy = |c: [f64; 2]| Vec2(c[0] as f32, c[1] as f32);
    image.attributes.chromaticities = Some(exr::meta::attribute::Chromaticities {
        red: xy(primaries.red),
        green: xy(primaries.green),
        blue: xy(primaries.blue),
        white: xy(primaries.white),
    });
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

    /// CRC-32 of PNG (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), bit by bit.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    }

    /// A PNG file's chunks as (type, data), each chunk's CRC checked, read by hand: signature,
    /// then per chunk a big-endian length, the 4-byte type, the data and the CRC of type + data.
    fn chunks(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let mut out = Vec::new();
        let mut at = 8;
        while at < bytes.len() {
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let body = &bytes[at + 4..at + 8 + len];
            let crc = u32::from_be_bytes(bytes[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc, crc32(body), "CRC of {:?}", &body[..4]);
            out.push((
                String::from_utf8(body[..4].to_vec()).unwrap(),
                body[4..].to_vec(),
            ));
            at += 12 + len;
        }
        assert_eq!(at, bytes.len());
        out
    }

    /// A PQ output's PNG carries cICP (BT.2020 = 9, SMPTE ST 2084 = 16, RGB = 0, full range = 1)
    /// and sBIT (the bit depth per channel) between IHDR and the first IDAT, and its pixels are
    /// the code values shifted to the top bits.
    #[test]
    fn pq_pngs_say_bt2020_pq_and_their_significant_bits() {
        let dir = tempfile::tempdir().unwrap();
        // PQ code values: 0, 100 nits (0.5080784, the anchor), 1.0 and 0.25.
        let vals: Vec<f32> = vec![0.0, 0.5080784, 1.0, 1.0, 0.25, 0.25, 0.25, 1.0];
        let img = ReadImage {
            width: 2,
            height: 1,
            format: wgpu::TextureFormat::Rgba32Float,
            bytes: bytemuck::cast_slice(&vals).to_vec(),
        };
        for (bits, expected) in [
            // round(v (2^bits - 1)) << (16 - bits), by hand: 0.5080784 * 4095 = 2080.58,
            // 0.25 * 4095 = 1023.75; 0.5080784 * 1023 = 519.76, 0.25 * 1023 = 255.75.
            (12u32, [[0, 2081 << 4, 4095 << 4], [1024 << 4; 3]]),
            (10, [[0, 520 << 6, 1023 << 6], [256 << 6; 3]]),
        ] {
            let enc = Encoding::Pq {
                white_nits: 100.0,
                peak_nits: 1000.0,
                bits,
            };
            let path = write_output(
                &dir.path().join(format!("pq{bits}")),
                &img,
                &enc,
                WorkingSpace::default(),
            )
            .unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let c = chunks(&bytes);
            let names: Vec<&str> = c.iter().map(|(n, _)| n.as_str()).collect();
            let at = |n: &str| names.iter().position(|m| *m == n).unwrap();
            assert_eq!(names[0], "IHDR");
            assert_eq!(names.last(), Some(&"IEND"));
            // 16-bit RGBA (colour type 6).
            assert_eq!(&c[0].1[8..10], &[16, 6]);
            assert!(
                at("cICP") < at("IDAT") && at("sBIT") < at("IDAT"),
                "{names:?}"
            );
            assert!(!names.contains(&"PLTE") && !names.contains(&"sRGB"));
            assert_eq!(c[at("cICP")].1, [9, 16, 0, 1]);
            assert_eq!(c[at("sBIT")].1, [bits as u8; 4]);
            let back = image::open(&path).unwrap().to_rgba16();
            for (x, e) in expected.iter().enumerate() {
                let p = back.get_pixel(x as u32, 0).0;
                assert_eq!([p[0], p[1], p[2]], *e, "{bits} bits, pixel {x}");
                assert_eq!(p[3], u16::MAX);
            }
        }
    }

    /// An sRGB output's PNG carries an sRGB chunk (perceptual intent) before IDAT, and its 8-bit
    /// texels unchanged.
    #[test]
    fn srgb_pngs_say_srgb() {
        let dir = tempfile::tempdir().unwrap();
        let texels = [0u8, 128, 255, 255, 3, 25, 188, 255];
        let img = ReadImage {
            width: 2,
            height: 1,
            format: wgpu::TextureFormat::Rgba8UnormSrgb,
            bytes: texels.to_vec(),
        };
        let path = write_output(
            &dir.path().join("s"),
            &img,
            &Encoding::default(),
            WorkingSpace::default(),
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let c = chunks(&bytes);
        let names: Vec<&str> = c.iter().map(|(n, _)| n.as_str()).collect();
        let at = |n: &str| names.iter().position(|m| *m == n).unwrap();
        assert!(at("sRGB") < at("IDAT"), "{names:?}");
        assert_eq!(c[at("sRGB")].1, [0]);
        assert!(!names.contains(&"cICP") && !names.contains(&"sBIT"));
        // 8-bit RGBA (colour type 6).
        assert_eq!(&c[0].1[8..10], &[8, 6]);
        let back = image::open(&path).unwrap().to_rgba8();
        assert_eq!(back.as_raw().as_slice(), &texels);
    }

    /// A dot in an output's name is part of the name: `wall.1` is written to `wall.1.png` (it
    /// was written to `wall.png`, over output `wall`'s file) and `wall.1.exr`.
    #[test]
    fn dots_in_output_names_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let img = ReadImage {
            width: 1,
            height: 1,
            format: wgpu::TextureFormat::Rgba8UnormSrgb,
            bytes: vec![1, 2, 3, 255],
        };
        let stem = dir.path().join("wall.1");
        let png = write_output(&stem, &img, &Encoding::default(), WorkingSpace::default()).unwrap();
        assert_eq!(png, dir.path().join("wall.1.png"));
        let exr = write_output(&stem, &img, &Encoding::LinearExr, WorkingSpace::default()).unwrap();
        assert_eq!(exr, dir.path().join("wall.1.exr"));
        assert!(png.exists() && exr.exists());
        assert!(!dir.path().join("wall.png").exists());
        assert_eq!(
            output_path(Path::new("out/a.b.c"), &Encoding::default()),
            Path::new("out/a.b.c.png")
        );
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
        let bytes = exr_half(&img, &WorkingSpace::default().primaries()).unwrap();
        let back = image::load_from_memory_with_format(&bytes, image::ImageFormat::OpenExr)
            .unwrap()
            .to_rgba32f();
        let p = back.get_pixel(0, 0).0;
        assert_eq!(p, [0.25, 1.5, 65504.0, 1.0]);
        assert_eq!(back.get_pixel(1, 0).0, [-0.5, 0.0, 3.0, 1.0]);
    }

    /// A linear EXR output says its primaries: the `chromaticities` attribute holds the working
    /// space's, here ACEScg's AP1 primaries and the ACES white as SMPTE ST 2065-1:2012 section
    /// 4.1 and Academy S-2014-004 section 4.1 give them (written out, not taken from our table).
    #[test]
    fn exr_outputs_carry_the_working_space_chromaticities() {
        let img = ReadImage {
            width: 1,
            height: 1,
            format: wgpu::TextureFormat::Rgba32Float,
            bytes: bytemuck::cast_slice(&[0.5f32, 0.5, 0.5, 1.0]).to_vec(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = write_output(
            &dir.path().join("wall"),
            &img,
            &Encoding::LinearExr,
            WorkingSpace::AcesCg,
        )
        .unwrap();
        let meta = exr::meta::MetaData::read_from_file(&path, false).unwrap();
        let c = meta.headers[0]
            .shared_attributes
            .chromaticities
            .expect("no chromaticities attribute");
        let got = [c.red, c.green, c.blue, c.white].map(|v| [v.0, v.1]);
        let want = [
            [0.713, 0.293],
            [0.165, 0.830],
            [0.128, 0.044],
            [0.32168, 0.33767],
        ];
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g[0] - w[0]).abs() < 1e-6 && (g[1] - w[1]).abs() < 1e-6,
                "{got:?}"
            );
        }
    }
}
