//! Reading a glTF 2.0 file (`.gltf` JSON with external or embedded buffers, or `.glb`): parsing,
//! JSON validation (every index, enum and required field, Khronos glTF 2.0 section 5), required
//! extensions, buffers and buffer views, and image decoding. Images that cannot be read become a
//! visible placeholder with a warning.

use std::path::{Path, PathBuf};

use gltf::json::validation::Validate;

use super::error::{GltfError, GltfProblem, Location};

/// Extensions Parallax implements (a file requiring any other is refused).
pub const SUPPORTED_EXTENSIONS: [&str; 3] = [
    "KHR_materials_unlit",
    "KHR_lights_punctual",
    "KHR_texture_transform",
];

/// A glTF file read into memory, its references resolved.
pub(super) struct Loaded {
    pub path: PathBuf,
    pub doc: gltf::Document,
    /// One per `buffers[i]`, at least `byteLength` long.
    pub buffers: Vec<gltf::buffer::Data>,
    /// One per `images[i]`, decoded to RGBA: 8-bit, or 16-bit for 16-bit PNGs (a placeholder where
    /// it could not be read).
    pub images: Vec<image::DynamicImage>,
    /// The JSON as a tree, for extensions the `gltf` crate does not expose on normal and occlusion
    /// textures (`KHR_texture_transform`).
    pub raw: serde_json::Value,
    pub warnings: Vec<GltfProblem>,
}

/// The placeholder for an image that could not be read: a magenta and black checker of 8 x 8
/// squares, each 8 texels wide so that filtering blurs only the squares' edges (64 x 64 texels).
pub fn placeholder_image() -> image::RgbaImage {
    image::RgbaImage::from_fn(64, 64, |x, y| {
        if (x / 8 + y / 8) % 2 == 0 {
            image::Rgba([255, 0, 255, 255])
        } else {
            image::Rgba([0, 0, 0, 255])
        }
    })
}

/// Reads, parses and checks `path`. Errors: [`GltfError::Io`], [`GltfError::Malformed`], or
/// [`GltfError::Invalid`] with every JSON problem (or, when the JSON is valid, every buffer, view
/// and accessor-independent problem).
pub(super) fn read(path: &Path) -> Result<Loaded, GltfError> {
    let bytes = std::fs::read(path).map_err(|source| GltfError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_bytes(&bytes, path)
}

/// Parses and checks the contents of a glTF file read from `path` (which names it in errors and
/// locates its external buffers and images). Errors: as [`read`], without [`GltfError::Io`] for the
/// file itself.
pub(super) fn read_bytes(bytes: &[u8], path: &Path) -> Result<Loaded, GltfError> {
    let malformed = |message: String| GltfError::Malformed {
        path: path.to_path_buf(),
        message,
    };
    if let Some(length) = glb_length_too_short(bytes) {
        return Err(malformed(format!(
            "the GLB header's length is {length} bytes, less than the 12-byte header itself \
             (glTF 2.0, GLB file format: the length counts the header and every chunk)"
        )));
    }
    let gltf::Gltf { document, blob } =
        gltf::Gltf::from_slice_without_validation(bytes).map_err(|e| malformed(e.to_string()))?;
    let raw: serde_json::Value = if bytes.starts_with(b"glTF") {
        let glb = gltf::binary::Glb::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        serde_json::from_slice(&glb.json).map_err(|e| malformed(e.to_string()))?
    } else {
        serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?
    };
    let invalid = |problems: Vec<GltfProblem>| GltfError::Invalid {
        path: path.to_path_buf(),
        problems,
    };

    let problems = validate(&document);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut problems = Vec::new();
    let buffers = read_buffers(&document, base, blob, &mut problems);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let mut warnings = Vec::new();
    let images = document
        .images()
        .map(|img| {
            decode_image(&img, base, &buffers).unwrap_or_else(|why| {
                let w = GltfProblem::new(
                    Location::Image(img.index()),
                    format!("{why}; drawn as a magenta/black checker"),
                );
                log::warn!("{}: {w}", path.display());
                warnings.push(w);
                image::DynamicImage::ImageRgba8(placeholder_image())
            })
        })
        .collect();
    Ok(Loaded {
        path: path.to_path_buf(),
        doc: document,
        buffers,
        images,
        raw,
        warnings,
    })
}

/// The length a GLB header (`glTF` magic, version, length; little-endian `u32`s) gives when it is
/// shorter than the 12-byte header itself: the `gltf` crate subtracts the header's size from it
/// unchecked (an overflow panic in builds with overflow checks; found by the `gltf` fuzz target).
fn glb_length_too_short(bytes: &[u8]) -> Option<u32> {
    let header = bytes.get(..12)?;
    let length = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
    (header.starts_with(b"glTF") && length < 12).then_some(length)
}

/// Every JSON-level problem: the `gltf` crate's validation (indices, enums, required fields) and
/// each required extension Parallax does not implement.
fn validate(doc: &gltf::Document) -> Vec<GltfProblem> {
    let root = doc.as_json();
    let mut problems = Vec::new();
    for ext in &root.extensions_required {
        if !SUPPORTED_EXTENSIONS.contains(&ext.as_str()) {
            problems.push(GltfProblem::new(
                Location::Extension(ext.clone()),
                format!(
                    "required extension {ext} is not supported (supported: {})",
                    SUPPORTED_EXTENSIONS.join(", ")
                ),
            ));
        }
    }
    // The crate's validator indexes `accessors` with each POSITION attribute unchecked: report those
    // out of range here and validate a copy without them.
    let mut patched = root.clone();
    let mut skip = Vec::new();
    let position = gltf::json::validation::Checked::Valid(gltf::json::mesh::Semantic::Positions);
    for (i, mesh) in patched.meshes.iter_mut().enumerate() {
        for (j, prim) in mesh.primitives.iter_mut().enumerate() {
            if prim
                .attributes
                .get(&position)
                .is_some_and(|a| a.value() >= root.accessors.len())
            {
                prim.attributes.remove(&position);
                let at = format!("meshes[{i}].primitives[{j}].attributes[\"POSITION\"]");
                problems.push(GltfProblem::new(
                    Location::Json(at.clone()),
                    describe(gltf::json::validation::Error::IndexOutOfBounds),
                ));
                skip.push(at);
            }
        }
    }
    patched.validate(&patched, gltf::json::Path::new, &mut |path, error| {
        let p = path().to_string();
        if !p.starts_with("extensionsRequired") && !skip.contains(&p) {
            problems.push(GltfProblem::new(Location::Json(p), describe(error)));
        }
    });
    // Images need a URI, or a buffer view with a MIME type (the crate would panic otherwise).
    for (i, img) in root.images.iter().enumerate() {
        let view_without_mime = img.buffer_view.is_some() && img.mime_type.is_none();
        if view_without_mime || (img.uri.is_none() && img.buffer_view.is_none()) {
            problems.push(GltfProblem::new(
                Location::Image(i),
                "needs a uri, or a bufferView with a mimeType",
            ));
        }
    }
    problems
}

fn describe(e: gltf::json::validation::Error) -> String {
    use gltf::json::validation::Error as E;
    match e {
        E::IndexOutOfBounds => "index out of range".into(),
        E::Invalid => "invalid value".into(),
        E::Missing => "required value missing".into(),
        E::Oversize => "size or offset too large".into(),
        E::Unsupported => "not supported".into(),
    }
}

/// Loads every buffer and checks every buffer view's range against it.
fn read_buffers(
    doc: &gltf::Document,
    base: &Path,
    mut blob: Option<Vec<u8>>,
    problems: &mut Vec<GltfProblem>,
) -> Vec<gltf::buffer::Data> {
    let mut out = Vec::new();
    for b in doc.buffers() {
        let data = match gltf::buffer::Data::from_source_and_blob(b.source(), Some(base), &mut blob)
        {
            Ok(d) => {
                if d.len() < b.length() {
                    problems.push(GltfProblem::new(
                        Location::Buffer(b.index()),
                        format!("holds {} bytes, byteLength says {}", d.len(), b.length()),
                    ));
                }
                d
            }
            Err(e) => {
                problems.push(GltfProblem::new(
                    Location::Buffer(b.index()),
                    format!("cannot be read: {e}"),
                ));
                gltf::buffer::Data(Vec::new())
            }
        };
        out.push(data);
    }
    for v in doc.views() {
        let len = out.get(v.buffer().index()).map_or(0, |d| d.len());
        if v.offset().checked_add(v.length()).is_none_or(|e| e > len) {
            problems.push(GltfProblem::new(
                Location::BufferView(v.index()),
                format!(
                    "bytes {}..+{} run past the end of buffer {} ({len} bytes)",
                    v.offset(),
                    v.length(),
                    v.buffer().index()
                ),
            ));
        }
    }
    out
}

/// Decodes one image to RGBA: 16-bit images (16-bit PNG) to 16-bit RGBA, kept at full precision;
/// others to 8-bit RGBA (float data rounded to 8 bits).
fn decode_image(
    img: &gltf::Image<'_>,
    base: &Path,
    buffers: &[gltf::buffer::Data],
) -> Result<image::DynamicImage, String> {
    let data = gltf::image::Data::from_source(img.source(), Some(base), buffers)
        .map_err(|e| format!("cannot be read or decoded: {e}"))?;
    to_rgba(data).ok_or_else(|| "has an unexpected size".to_string())
}

fn to_rgba(d: gltf::image::Data) -> Option<image::DynamicImage> {
    use gltf::image::Format as F;
    let (w, h) = (d.width, d.height);
    let (channels, bytes_per) = match d.format {
        F::R8 => (1, 1),
        F::R8G8 => (2, 1),
        F::R8G8B8 => (3, 1),
        F::R8G8B8A8 => (4, 1),
        F::R16 => (1, 2),
        F::R16G16 => (2, 2),
        F::R16G16B16 => (3, 2),
        F::R16G16B16A16 => (4, 2),
        F::R32G32B32FLOAT => (3, 4),
        F::R32G32B32A32FLOAT => (4, 4),
    };
    let texel = channels * bytes_per;
    if w == 0 || h == 0 || d.pixels.len() != w as usize * h as usize * texel {
        return None;
    }
    // Channel values as 16-bit codes (8-bit codes scaled by 257, so 255 -> 65535).
    let value = |b: &[u8]| -> u16 {
        match bytes_per {
            1 => u16::from(b[0]) * 257,
            2 => u16::from_ne_bytes([b[0], b[1]]),
            _ => {
                let f = f32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                (f.clamp(0.0, 1.0) * 255.0).round() as u16 * 257
            }
        }
    };
    let mut out = Vec::with_capacity(w as usize * h as usize * 4);
    for px in d.pixels.chunks_exact(texel) {
        let c: Vec<u16> = px.chunks_exact(bytes_per).map(value).collect();
        let rgba = match channels {
            1 => [c[0], c[0], c[0], u16::MAX],
            2 => [c[0], c[0], c[0], c[1]],
            3 => [c[0], c[1], c[2], u16::MAX],
            _ => [c[0], c[1], c[2], c[3]],
        };
        out.extend_from_slice(&rgba);
    }
    let wide = image::ImageBuffer::<image::Rgba<u16>, _>::from_raw(w, h, out)?;
    Some(if bytes_per == 2 {
        image::DynamicImage::ImageRgba16(wide)
    } else {
        image::DynamicImage::ImageRgba8(image::DynamicImage::ImageRgba16(wide).to_rgba8())
    })
}
