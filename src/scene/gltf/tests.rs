//! Loader tests on files written by the test writer (tests/support/gltf_writer.rs): geometry,
//! hierarchy and instancing, lights, and every kind of bad input (located errors, all at once,
//! placeholders for missing images, no panic).

#[path = "../../../tests/support/gltf_writer.rs"]
mod gltf_writer;

use std::path::{Path, PathBuf};

use glam::{Mat4, Vec3};
use gltf_writer::GltfWriter;
use serde_json::json;

use super::{GltfError, Location, asset, load};

/// sin 45 degrees, for quarter-turn quaternions.
const H: f32 = std::f32::consts::FRAC_1_SQRT_2;

const QUAD_P: [f32; 12] = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0];
const QUAD_N: [f32; 12] = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
const QUAD_UV: [f32; 8] = [0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
const QUAD_I: [u32; 6] = [0, 1, 2, 0, 2, 3];

fn quad() -> GltfWriter {
    let mut w = GltfWriter::default();
    let m = w.mesh(&QUAD_P, &QUAD_N, &QUAD_UV, &QUAD_I, None);
    w.node(json!({"mesh": m}));
    w
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn problems(e: &GltfError) -> Vec<String> {
    e.problems().iter().map(|p| p.to_string()).collect()
}

#[test]
fn gltf_and_glb_load_the_same_quad() {
    let dir = tempfile::tempdir().unwrap();
    let w = quad();
    for p in [
        write(dir.path(), "q.gltf", w.to_gltf()),
        write(dir.path(), "q.glb", w.to_glb()),
    ] {
        let a = load(&p, Mat4::IDENTITY).unwrap();
        assert_eq!((a.vertices.len(), a.indices.len()), (4, 6), "{p:?}");
        assert_eq!(a.primitives.len(), 1);
        assert_eq!(a.instances.len(), 1);
        assert_eq!(a.vertices[2].position, [1.0, 1.0, 0.0]);
        assert_eq!(a.vertices[2].uv0, [1.0, 0.0]);
        let b = a.primitives[0].bounds;
        assert!((b.centre - Vec3::new(0.5, 0.5, 0.0)).length() < 1e-6);
        assert!((b.radius - 0.5f32.sqrt()).abs() < 1e-6);
        assert!(a.warnings.is_empty());
    }
}

#[test]
fn hierarchy_and_placement_compose_and_repeats_are_instanced() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = GltfWriter::default();
    let m = w.mesh(&QUAD_P, &QUAD_N, &[], &QUAD_I, None);
    let child = w.node(json!({"mesh": m, "translation": [0.0, 2.0, 0.0]}));
    w.node(json!({"translation": [1.0, 0.0, 0.0], "scale": [2.0, 2.0, 2.0], "children": [child]}));
    w.node(json!({"mesh": m, "translation": [-5.0, 0.0, 0.0]}));
    w.node(json!({"mesh": m, "rotation": [0.0, H, 0.0, H]}));
    let p = write(dir.path(), "h.gltf", w.to_gltf());
    let placement = Mat4::from_translation(Vec3::new(0.0, 0.0, -10.0));
    let a = load(&p, placement).unwrap();
    // One primitive, three instances (one draw), vertices stored once.
    assert_eq!(a.primitives.len(), 1);
    assert_eq!(a.primitives[0].instances, 0..3);
    assert_eq!(a.vertices.len(), 4);
    let origins: Vec<Vec3> = a
        .instances
        .iter()
        .map(|i| Mat4::from_cols_array_2d(&i.model).transform_point3(Vec3::ZERO))
        .collect();
    // Child: parent (1, 0, 0) scaled 2 -> (1, 4, 0), then the placement's -10 in z.
    for want in [
        Vec3::new(1.0, 4.0, -10.0),
        Vec3::new(-5.0, 0.0, -10.0),
        Vec3::new(0.0, 0.0, -10.0),
    ] {
        assert!(
            origins.iter().any(|o| (*o - want).length() < 1e-5),
            "{want} not in {origins:?}"
        );
    }
    // The rotated instance (90 degrees about +Y) maps the quad's +X edge to -Z; its normal +Z to +X.
    let rot = a
        .instances
        .iter()
        .find(|i| (i.model[0][2] + 1.0).abs() < 1e-5)
        .expect("rotated instance");
    let n = glam::Mat3::from_cols_array_2d(&rot.normal.map(|c| [c[0], c[1], c[2]])) * Vec3::Z;
    assert!((n - Vec3::X).length() < 1e-5, "{n}");
}

#[test]
fn missing_normals_become_flat_and_non_indexed_meshes_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = GltfWriter::default();
    // Two triangles, not indexed, in the z = 0 plane (counter-clockwise seen from +Z).
    let tris = [
        0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0,
    ];
    let m = w.mesh(&tris, &[], &[], &[], None);
    w.node(json!({"mesh": m}));
    let a = load(&write(dir.path(), "f.gltf", w.to_gltf()), Mat4::IDENTITY).unwrap();
    assert_eq!(a.indices, vec![0, 1, 2, 3, 4, 5]);
    assert!(a.vertices.iter().all(|v| v.normal == [0.0, 0.0, 1.0]));
}

#[test]
fn punctual_lights_are_placed_by_their_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = quad();
    w.extensions_used.push("KHR_lights_punctual".into());
    w.extra.insert(
        "extensions".into(),
        json!({"KHR_lights_punctual": {"lights": [
            {"type": "spot", "color": [1.0, 0.5, 0.25], "intensity": 4.0, "range": 10.0,
             "spot": {"innerConeAngle": 0.2, "outerConeAngle": 0.5}},
            {"type": "directional"}
        ]}}),
    );
    // Spot at (0, 3, 0) pointing down (-Z turned to -Y by -90 degrees about X).
    w.node(
        json!({"translation": [0.0, 3.0, 0.0], "rotation": [-H, 0.0, 0.0, H],
        "extensions": {"KHR_lights_punctual": {"light": 0}}}),
    );
    w.node(json!({"extensions": {"KHR_lights_punctual": {"light": 1}}}));
    let a = load(&write(dir.path(), "l.gltf", w.to_gltf()), Mat4::IDENTITY).unwrap();
    assert_eq!(a.lights.len(), 2);
    let s = a.lights.iter().find(|l| l.kind == 2).unwrap();
    assert!((s.position - Vec3::new(0.0, 3.0, 0.0)).length() < 1e-5);
    assert!(
        (s.direction - Vec3::NEG_Y).length() < 1e-5,
        "{}",
        s.direction
    );
    assert!((s.color - Vec3::new(4.0, 2.0, 1.0)).length() < 1e-6);
    assert!((s.cone_cos.0 - 0.2f32.cos()).abs() < 1e-6 && s.range == 10.0);
    let d = a.lights.iter().find(|l| l.kind == 0).unwrap();
    assert!((d.direction - Vec3::NEG_Z).length() < 1e-6);
}

#[test]
fn missing_file_and_malformed_json_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(&dir.path().join("nope.glb"), Mat4::IDENTITY)
        .err()
        .unwrap();
    assert!(matches!(e, GltfError::Io { .. }), "{e}");
    assert!(e.to_string().contains("nope.glb"));
    let p = write(
        dir.path(),
        "bad.gltf",
        "{\"asset\": {\"version\": \"2.0\"}, \"meshes\": [ }",
    );
    let e = load(&p, Mat4::IDENTITY).err().unwrap();
    assert!(matches!(e, GltfError::Malformed { .. }), "{e}");
    assert!(e.to_string().contains("bad.gltf"), "{e}");
    // A truncated GLB.
    let glb = quad().to_glb();
    let p = write(dir.path(), "cut.glb", &glb[..glb.len() / 2]);
    assert!(matches!(
        load(&p, Mat4::IDENTITY),
        Err(GltfError::Malformed { .. })
    ));
    // A GLB whose header gives a length shorter than the header (found by the fuzzer: the gltf
    // crate's subtraction overflowed): each length from 0 to 11.
    for length in 0u32..12 {
        let mut bad = glb.clone();
        bad[8..12].copy_from_slice(&length.to_le_bytes());
        let e = asset::from_bytes(&bad, Path::new("short.glb"), Mat4::IDENTITY)
            .err()
            .unwrap();
        assert!(matches!(e, GltfError::Malformed { .. }), "{e}");
        assert!(e.to_string().contains(&format!("is {length} bytes")), "{e}");
    }
}

#[test]
fn a_required_extension_we_lack_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = quad();
    w.extensions_used = vec![
        "KHR_draco_mesh_compression".into(),
        "KHR_texture_transform".into(),
    ];
    w.extensions_required = w.extensions_used.clone();
    let e = load(&write(dir.path(), "x.gltf", w.to_gltf()), Mat4::IDENTITY)
        .err()
        .unwrap();
    assert_eq!(e.problems().len(), 1, "{e}");
    assert_eq!(
        e.problems()[0].location,
        Location::Extension("KHR_draco_mesh_compression".into())
    );
    assert!(e.to_string().contains("KHR_draco_mesh_compression"), "{e}");
}

#[test]
fn out_of_range_accessor_index_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = quad().to_value();
    v["meshes"][0]["primitives"][0]["attributes"]["POSITION"] = json!(99);
    let e = load(&write(dir.path(), "a.gltf", v.to_string()), Mat4::IDENTITY)
        .err()
        .unwrap();
    let p = problems(&e);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("meshes[0].primitives[0].attributes") && p[0].contains("POSITION"),
        "{p:?}"
    );
    assert!(p[0].contains("index out of range"), "{p:?}");
    assert!(e.to_string().contains("a.gltf"));
}

#[test]
fn broken_accessor_data_and_indices_are_located_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    // Vertex index 7 of 4 vertices; an accessor whose count runs past its view; a stride too small.
    let mut w = GltfWriter::default();
    let m0 = w.mesh(&QUAD_P, &QUAD_N, &[], &[0, 1, 7], None);
    let m1 = w.mesh(&QUAD_P, &QUAD_N, &[], &QUAD_I, None);
    w.node(json!({"mesh": m0}));
    w.node(json!({"mesh": m1}));
    let mut v = w.to_value();
    v["accessors"][3]["count"] = json!(400); // m1 POSITION
    let p = write(dir.path(), "b.gltf", v.to_string());
    let e = load(&p, Mat4::IDENTITY).err().unwrap();
    let p = problems(&e);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p.iter().any(|s| s.starts_with("accessors[2]")
            && s.contains("index 2 is 7")
            && s.contains("meshes[0].primitives[0]")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|s| s.starts_with("accessors[3]") && s.contains("run past the end")),
        "{p:?}"
    );
    // Fuzz-ish: corrupt every number of the document in turn; loading never panics.
    let base = quad().to_value();
    for path in [
        ("accessors", 0, "count", json!(u32::MAX)),
        ("accessors", 0, "byteOffset", json!(1u64 << 40)),
        ("bufferViews", 0, "byteLength", json!(1_000_000)),
        ("bufferViews", 0, "byteOffset", json!(usize::MAX / 2)),
        ("bufferViews", 0, "byteStride", json!(4)),
        ("accessors", 0, "componentType", json!(5121)),
        ("accessors", 3, "componentType", json!(5126)),
        ("accessors", 0, "type", json!("MAT4")),
        ("nodes", 0, "mesh", json!(3)),
        ("nodes", 0, "children", json!([0])),
        (
            "nodes",
            0,
            "extensions",
            json!({"KHR_lights_punctual": {"light": 5}}),
        ),
        ("buffers", 0, "byteLength", json!(1u64 << 40)),
        (
            "buffers",
            0,
            "uri",
            json!("data:application/octet-stream;base64,!!!"),
        ),
        ("buffers", 0, "uri", json!("no-such-file.bin")),
        ("meshes", 0, "primitives", json!([{"attributes": {}}])),
        (
            "meshes",
            0,
            "primitives",
            json!([{"attributes": {"POSITION": 0}, "mode": 9}]),
        ),
    ] {
        let mut v = base.clone();
        v[path.0][path.1][path.2] = path.3.clone();
        let r = load(&write(dir.path(), "z.gltf", v.to_string()), Mat4::IDENTITY);
        assert!(r.is_err(), "{path:?} was accepted");
    }
    // Broken references from materials, textures and images, and a default scene out of range.
    for (k, broken) in [
        json!({"images": [{"bufferView": 0}]}),
        json!({"images": [{"bufferView": 0, "uri": "x.png"}]}),
        json!({"images": [{}]}),
        json!({"textures": [{"source": 0, "sampler": 4}]}),
        json!({"textures": [{"source": 7}]}),
        json!({"materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 3}}}]}),
        json!({"scene": 3}),
        json!({"scenes": [{"nodes": [9]}]}),
        json!({"accessors": [{"bufferView": 9, "componentType": 5126, "count": 4, "type": "VEC3"}]}),
    ]
    .into_iter()
    .enumerate()
    {
        let mut v = quad().to_value();
        for (key, value) in broken.as_object().unwrap() {
            v[key] = value.clone();
        }
        let r = load(&write(dir.path(), "r.gltf", v.to_string()), Mat4::IDENTITY);
        assert!(r.is_err(), "case {k} ({broken}) was accepted");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = quad().to_value();
    v["extensionsUsed"] = json!(["EXT_unknown_a"]);
    v["extensionsRequired"] = json!(["EXT_unknown_a"]);
    v["meshes"][0]["primitives"][0]["attributes"]["NORMAL"] = json!(50);
    v["meshes"][0]["primitives"][0]["indices"] = json!(60);
    v["meshes"][0]["primitives"][0]["material"] = json!(7);
    v["nodes"][0]["mesh"] = json!(2);
    let e = load(&write(dir.path(), "m.gltf", v.to_string()), Mat4::IDENTITY)
        .err()
        .unwrap();
    let p = problems(&e);
    assert_eq!(p.len(), 5, "{p:?}");
    for want in [
        "EXT_unknown_a",
        "NORMAL",
        "indices",
        "material",
        "nodes[0].mesh",
    ] {
        assert!(
            p.iter().any(|s| s.contains(want)),
            "{want} missing from {p:?}"
        );
    }
    assert!(e.to_string().contains("5 problems"), "{e}");
}

#[test]
fn a_missing_texture_is_a_checker_and_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = GltfWriter::default();
    w.images.push(json!({"uri": "missing.png"}));
    w.textures.push(json!({"source": 0}));
    w.materials
        .push(json!({"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}));
    let m = w.mesh(&QUAD_P, &QUAD_N, &QUAD_UV, &QUAD_I, Some(0));
    w.node(json!({"mesh": m}));
    // A second image that is not a PNG at all.
    w.images.push(json!({"uri": "data:image/png;base64,AAAA"}));
    let a = load(&write(dir.path(), "t.gltf", w.to_gltf()), Mat4::IDENTITY).unwrap();
    assert_eq!(a.warnings.len(), 2, "{:?}", a.warnings);
    assert_eq!(a.warnings[0].location, Location::Image(0));
    assert!(a.warnings[0].message.contains("checker"));
    assert_eq!(a.images[0].to_rgba8(), super::placeholder_image());
    assert_eq!(a.images[0].to_rgba8().get_pixel(0, 0).0, [255, 0, 255, 255]);
    assert_eq!(
        a.materials[0].textures[0].map(|t| (t.image, t.srgb)),
        Some((0, true))
    );
}

#[test]
fn materials_read_factors_modes_and_transforms() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = quad();
    let img = w.png(&image::RgbaImage::from_pixel(
        2,
        2,
        image::Rgba([10, 20, 30, 255]),
    ));
    w.textures.push(json!({"source": img}));
    w.extensions_used = vec!["KHR_materials_unlit".into(), "KHR_texture_transform".into()];
    w.materials.push(json!({
        "pbrMetallicRoughness": {"baseColorFactor": [0.5, 0.25, 1.0, 0.5], "metallicFactor": 0.0,
            "roughnessFactor": 0.3, "baseColorTexture": {"index": 0,
            "extensions": {"KHR_texture_transform": {"offset": [0.5, 0.0], "scale": [2.0, 2.0]}}}},
        "normalTexture": {"index": 0, "scale": 0.7, "texCoord": 1,
            "extensions": {"KHR_texture_transform": {"offset": [0.0, 0.25]}}},
        "emissiveFactor": [1.0, 0.0, 0.0], "alphaMode": "MASK", "alphaCutoff": 0.3,
        "doubleSided": true, "extensions": {"KHR_materials_unlit": {}}
    }));
    w.materials.push(json!({"alphaMode": "BLEND"}));
    let a = load(&write(dir.path(), "mat.gltf", w.to_gltf()), Mat4::IDENTITY).unwrap();
    let u = a.materials[0].uniform;
    assert_eq!(u.base_color, [0.5, 0.25, 1.0, 0.5]);
    assert_eq!(u.emissive_cutoff, [1.0, 0.0, 0.0, 0.3]);
    assert_eq!(&u.params[..3], &[0.0, 0.3, 0.7]);
    assert_eq!(u.flags, [super::material::ALPHA_MASK, 1, 0b101, 1]);
    assert_eq!(u.tex[0], [2.0, 0.0, 0.5, 0.0]);
    assert_eq!(
        u.tex[2 * super::material::SLOT_NORMAL],
        [1.0, 0.0, 0.0, 1.0]
    );
    assert_eq!(
        u.tex[2 * super::material::SLOT_NORMAL + 1],
        [0.0, 1.0, 0.25, 0.0]
    );
    assert!(a.materials[1].blended() && !a.materials[0].blended());
    // The default material comes last.
    assert_eq!(a.materials.len(), 3);
    assert_eq!(a.images[0].to_rgba8().get_pixel(1, 1).0, [10, 20, 30, 255]);
    assert!(matches!(a.images[0], image::DynamicImage::ImageRgba8(_)));
}

/// A 16-bit PNG texture keeps its 16-bit codes through loading, and is uploaded at full precision:
/// colour textures sRGB-decoded from each 16-bit code (the formula of IEC 61966-2-1, written here),
/// data textures as code / 65535, both within half-float rounding; two codes an 8-bit cut would
/// merge stay distinct.
#[test]
fn sixteen_bit_textures_keep_their_precision() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = quad();
    // Codes 0x8000 and 0x8040 differ below 8-bit resolution (both 0x80 when cut).
    let wide = image::ImageBuffer::<image::Rgba<u16>, _>::from_fn(2, 1, |x, _| {
        let c = if x == 0 { 0x8000 } else { 0x8040 };
        image::Rgba([c, c, c, u16::MAX])
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba16(wide)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let view = w.view(&png, None);
    w.images
        .push(json!({"bufferView": view, "mimeType": "image/png"}));
    w.textures.push(json!({"source": 0}));
    w.materials
        .push(json!({"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}));
    let m = w.mesh(&QUAD_P, &QUAD_N, &QUAD_UV, &QUAD_I, Some(0));
    w.node(json!({"mesh": m}));
    let a = load(&write(dir.path(), "wide.gltf", w.to_gltf()), Mat4::IDENTITY).unwrap();
    let image::DynamicImage::ImageRgba16(img) = &a.images[0] else {
        panic!("decoded to {:?}", a.images[0].color());
    };
    assert_eq!(img.get_pixel(1, 0).0[0], 0x8040);
    let srgb = |v: f64| {
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    for (is_srgb, decode) in [(true, &srgb as &dyn Fn(f64) -> f64), (false, &|v| v)] {
        let (format, bytes) = super::gpu::texels(&a.images[0], is_srgb);
        assert_eq!(format, wgpu::TextureFormat::Rgba16Float);
        let halves: &[half::f16] = bytemuck::cast_slice(&bytes);
        for (x, code) in [(0usize, 0x8000u16), (1, 0x8040)] {
            let want = decode(f64::from(code) / 65535.0);
            let got = halves[x * 4].to_f64();
            assert!(
                (got - want).abs() <= want * 2f64.powi(-11),
                "{got} vs {want}"
            );
        }
        assert!(
            halves[4] > halves[0],
            "codes an 8-bit cut merges stay distinct"
        );
    }
}

#[test]
fn sphere_bounds_transform_with_the_largest_scale() {
    let s =
        asset::Sphere::around([Vec3::new(-1.0, 0.0, 0.0), Vec3::new(1.0, 2.0, 0.0)].into_iter());
    assert_eq!(s.centre, Vec3::new(0.0, 1.0, 0.0));
    assert!((s.radius - 2f32.sqrt()).abs() < 1e-6);
    let m = Mat4::from_scale_rotation_translation(
        Vec3::new(1.0, 3.0, 2.0),
        glam::Quat::IDENTITY,
        Vec3::X,
    );
    let t = s.transformed(&m);
    assert_eq!(t.centre, Vec3::new(1.0, 3.0, 0.0));
    assert!((t.radius - 3.0 * 2f32.sqrt()).abs() < 1e-5);
}

#[test]
fn mutated_files_never_panic() {
    // Deterministic byte mutations of a textured, lit file, as .gltf (JSON) and .glb (binary): every
    // outcome is a value (loaded, or an error), never a panic.
    let dir = tempfile::tempdir().unwrap();
    let mut w = quad();
    let img = w.png(&image::RgbaImage::from_pixel(
        4,
        4,
        image::Rgba([9, 8, 7, 255]),
    ));
    w.textures.push(json!({"source": img}));
    w.materials.push(
        json!({"normalTexture": {"index": 0}, "occlusionTexture": {"index": 0},
        "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}),
    );
    w.meshes[0]["primitives"][0]["material"] = json!(0);
    w.extensions_used.push("KHR_lights_punctual".into());
    w.extra.insert(
        "extensions".into(),
        json!({"KHR_lights_punctual": {"lights": [{"type": "point"}]}}),
    );
    w.node(json!({"translation": [1.0, 2.0, 3.0], "extensions": {"KHR_lights_punctual": {"light": 0}}}));
    let sources = [w.to_gltf().into_bytes(), w.to_glb()];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut loaded, mut failed) = (0, 0);
    for (k, source) in sources.iter().enumerate() {
        let name = if k == 0 { "m.gltf" } else { "m.glb" };
        for _ in 0..300 {
            let mut bytes = source.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = match next() % 4 {
                    0 => b'0' + (next() % 10) as u8,
                    1 => b'9',
                    2 => bytes[at].wrapping_add(1),
                    _ => next() as u8,
                };
            }
            match load(&write(dir.path(), name, &bytes), Mat4::IDENTITY) {
                Ok(_) => loaded += 1,
                Err(_) => failed += 1,
            }
        }
    }
    assert!(
        loaded > 0 && failed > 0,
        "{loaded} loaded, {failed} refused"
    );
}
