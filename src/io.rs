//! Writing output files safely: every file is written to a temporary file in the same folder and
//! renamed into place, so a reader never sees a half-written file and a failure loses nothing.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot encode {path}: {source}")]
    Image {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
    #[error("cannot encode {path}: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes `bytes` to `path` atomically (temporary file + rename), creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io)?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Writes an 8-bit sRGB RGBA image as a PNG with an `sRGB` chunk ([`write_png_colour`],
/// [`PngColour::Srgb`]), atomically. Errors: the path and what failed.
pub fn write_png(path: &Path, image: &image::RgbaImage) -> Result<(), WriteError> {
    write_png_colour(
        path,
        image.width(),
        image.height(),
        png::BitDepth::Eight,
        image.as_raw(),
        PngColour::Srgb,
    )
}

/// The colour information a PNG written by [`write_png_colour`] carries, in chunks placed after
/// `IHDR` and before `IDAT` (PNG Specification, Third Edition, W3C Recommendation 2025,
/// sections 11.3.2.5 `sRGB`, 11.3.2.6 `cICP`, 11.3.3.4 `sBIT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PngColour {
    /// 8-bit samples in the sRGB colour space (IEC 61966-2-1): an `sRGB` chunk, rendering intent
    /// 0 (perceptual).
    Srgb,
    /// 16-bit PQ code values, Rec.2020 primaries, `bits` significant bits stored most significant
    /// first (`code << (16 - bits)`): a `cICP` chunk (ITU-T H.273 code points: colour primaries 9
    /// = BT.2020, transfer 16 = SMPTE ST 2084, matrix 0 = RGB, full range 1) and an `sBIT` chunk
    /// of `bits` for each of R, G, B and alpha.
    Pq { bits: u8 },
}

/// PNG bytes of an RGBA image: `samples` holds `width * height * 4` samples of `depth` 8 or 16
/// bits (16-bit samples big-endian, as PNG stores them), with the chunks of `colour`.
pub fn png_bytes(
    width: u32,
    height: u32,
    depth: png::BitDepth,
    samples: &[u8],
    colour: PngColour,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(depth);
    if colour == PngColour::Srgb {
        enc.set_source_srgb(png::SrgbRenderingIntent::Perceptual);
    }
    let mut w = enc.write_header()?;
    if let PngColour::Pq { bits } = colour {
        w.write_chunk(png::chunk::cICP, &[9, 16, 0, 1])?;
        w.write_chunk(png::chunk::sBIT, &[bits; 4])?;
    }
    w.write_image_data(samples)?;
    w.finish()?;
    Ok(bytes)
}

/// Writes an RGBA image as a PNG with the colour chunks of `colour` (see [`png_bytes`]),
/// atomically. Errors: the path and what failed.
pub fn write_png_colour(
    path: &Path,
    width: u32,
    height: u32,
    depth: png::BitDepth,
    samples: &[u8],
    colour: PngColour,
) -> Result<(), WriteError> {
    let bytes =
        png_bytes(width, height, depth, samples, colour).map_err(|e| WriteError::Image {
            path: path.to_path_buf(),
            source: image::ImageError::Encoding(image::error::EncodingError::new(
                image::error::ImageFormatHint::Exact(image::ImageFormat::Png),
                e,
            )),
        })?;
    write_atomic(path, &bytes)
}

/// Serialises a value as pretty JSON and writes it atomically.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), WriteError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| WriteError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
    }

    /// The previews' and patterns' PNGs say sRGB (an `sRGB` chunk, perceptual intent) and keep
    /// their texels.
    #[test]
    fn write_png_says_srgb_and_keeps_the_texels() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.png");
        let img = image::RgbaImage::from_raw(2, 1, vec![0, 128, 255, 255, 3, 25, 188, 40]).unwrap();
        write_png(&p, &img).unwrap();
        let bytes = fs::read(&p).unwrap();
        let reader = png::Decoder::new(std::io::Cursor::new(&bytes))
            .read_info()
            .unwrap();
        assert_eq!(
            reader.info().srgb,
            Some(png::SrgbRenderingIntent::Perceptual)
        );
        assert_eq!(image::open(&p).unwrap().to_rgba8(), img);
    }

    #[test]
    fn failed_write_reports_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        let err = write_atomic(&blocker.join("child.txt"), b"y").unwrap_err();
        assert!(err.to_string().contains("child.txt"), "{err}");
    }
}
