//! Writes the demo stage's glTF set, `assets/sets/demo-set.glb`: a small courtyard made by this
//! program (no third-party content), lit by a sun, a warm point light and a spot. It exercises what
//! the glTF loader draws: textures (sRGB base colour, tiled with `KHR_texture_transform`),
//! metallic-roughness, emissive, alpha blending, instancing (the columns share one mesh) and
//! `KHR_lights_punctual`.
//!
//! `cargo run --example make_demo_set [OUT.glb]`

#[path = "../tests/support/gltf_writer.rs"]
mod gltf_writer;

use gltf_writer::GltfWriter;
use serde_json::json;

/// A deterministic hash noise in 0..1.
fn noise(x: u32, y: u32, seed: u32) -> f32 {
    let mut h =
        x.wrapping_mul(374_761_393) ^ y.wrapping_mul(668_265_263) ^ seed.wrapping_mul(0x9E37_79B9);
    h = (h ^ (h >> 13)).wrapping_mul(1_274_126_177);
    ((h ^ (h >> 16)) & 0xFFFF) as f32 / 65535.0
}

/// Flagstones: 4 x 4 stones per tile with dark joints (sRGB).
fn stones(size: u32) -> image::RgbaImage {
    image::RgbaImage::from_fn(size, size, |x, y| {
        let cell = size / 4;
        let joint = x % cell < 2 || y % cell < 2;
        let tint = noise(x / cell, y / cell, 1) * 0.25;
        let grain = noise(x, y, 2) * 0.08;
        let v = if joint { 0.18 } else { 0.55 + tint + grain };
        let c = |k: f32| (v * k * 255.0).min(255.0) as u8;
        image::Rgba([c(1.0), c(0.95), c(0.85), 255])
    })
}

/// Sandstone with horizontal courses (sRGB).
fn sandstone(size: u32) -> image::RgbaImage {
    image::RgbaImage::from_fn(size, size, |x, y| {
        let course = y % (size / 8) < 1;
        let v = if course {
            0.45
        } else {
            0.78 + noise(x / 3, y / 3, 3) * 0.12
        };
        image::Rgba([(v * 235.0) as u8, (v * 190.0) as u8, (v * 140.0) as u8, 255])
    })
}

/// A box of size `s` centred at `c`: 24 vertices (flat faces), uvs 0..1 per face.
fn cuboid(c: [f32; 3], s: [f32; 3]) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<u32>) {
    let (mut p, mut n, mut t, mut i) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for axis in 0..3 {
        for sign in [-1.0f32, 1.0] {
            let (a1, a2) = ((axis + 1) % 3, (axis + 2) % 3);
            let base = (p.len() / 3) as u32;
            for (u, v) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)] {
                let mut q = c;
                q[axis] += sign * s[axis] * 0.5;
                q[a1] += (u - 0.5) * s[a1];
                q[a2] += (v - 0.5) * s[a2];
                p.extend_from_slice(&q);
                let mut nn = [0.0; 3];
                nn[axis] = sign;
                n.extend_from_slice(&nn);
                t.extend_from_slice(&[u, 1.0 - v]);
            }
            // Counter-clockwise seen from outside.
            if sign > 0.0 {
                i.extend_from_slice(&[base, base + 1, base + 2, base, base + 2, base + 3]);
            } else {
                i.extend_from_slice(&[base, base + 2, base + 1, base, base + 3, base + 2]);
            }
        }
    }
    (p, n, t, i)
}

/// A UV sphere of radius `r`: `rings` x `segments`.
fn sphere(r: f32, rings: u32, segments: u32) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<u32>) {
    let (mut p, mut n, mut t, mut i) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for a in 0..=rings {
        let theta = std::f32::consts::PI * a as f32 / rings as f32;
        for b in 0..=segments {
            let phi = std::f32::consts::TAU * b as f32 / segments as f32;
            let d = [
                theta.sin() * phi.cos(),
                theta.cos(),
                -theta.sin() * phi.sin(),
            ];
            p.extend(d.iter().map(|v| v * r));
            n.extend_from_slice(&d);
            t.extend_from_slice(&[b as f32 / segments as f32, a as f32 / rings as f32]);
        }
    }
    let row = segments + 1;
    for a in 0..rings {
        for b in 0..segments {
            let (k, l) = (a * row + b, (a + 1) * row + b);
            i.extend_from_slice(&[k, l, k + 1, k + 1, l, l + 1]);
        }
    }
    (p, n, t, i)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sets/demo-set.glb").into());
    let mut w = GltfWriter {
        extensions_used: vec!["KHR_texture_transform".into(), "KHR_lights_punctual".into()],
        ..Default::default()
    };
    let stone_img = w.png(&stones(128));
    let sand_img = w.png(&sandstone(64));
    w.samplers
        .push(json!({"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}));
    w.textures.push(json!({"source": stone_img, "sampler": 0}));
    w.textures.push(json!({"source": sand_img, "sampler": 0}));
    // 0 ground: the stone tile repeated 10 x 10 over 30 m.
    w.materials.push(json!({"name": "ground", "pbrMetallicRoughness": {
        "baseColorTexture": {"index": 0, "extensions": {"KHR_texture_transform": {"scale": [10.0, 10.0]}}},
        "metallicFactor": 0.0, "roughnessFactor": 0.9}}));
    // 1 sandstone columns and lintels.
    w.materials
        .push(json!({"name": "sandstone", "pbrMetallicRoughness": {
        "baseColorTexture": {"index": 1}, "metallicFactor": 0.0, "roughnessFactor": 0.8}}));
    // 2 gold sphere.
    w.materials.push(json!({"name": "gold", "pbrMetallicRoughness": {
        "baseColorFactor": [1.0, 0.71, 0.29, 1.0], "metallicFactor": 1.0, "roughnessFactor": 0.3}}));
    // 3 glowing sign.
    w.materials.push(json!({"name": "sign", "emissiveFactor": [1.0, 0.45, 0.1],
        "pbrMetallicRoughness": {"baseColorFactor": [0.1, 0.05, 0.02, 1.0], "metallicFactor": 0.0}}));
    // 4 tinted glass.
    w.materials.push(json!({"name": "glass", "alphaMode": "BLEND", "doubleSided": true,
        "pbrMetallicRoughness": {"baseColorFactor": [0.3, 0.6, 0.9, 0.35], "metallicFactor": 0.0, "roughnessFactor": 0.1}}));

    let ground = {
        let (p, n, t, i) = cuboid([0.0, -0.05, -10.0], [30.0, 0.1, 30.0]);
        w.mesh(&p, &n, &t, &i, Some(0))
    };
    let column = {
        let (p, n, t, i) = cuboid([0.0, 1.5, 0.0], [0.6, 3.0, 0.6]);
        w.mesh(&p, &n, &t, &i, Some(1))
    };
    let lintel = {
        let (p, n, t, i) = cuboid([0.0, 0.0, 0.0], [7.2, 0.5, 0.8]);
        w.mesh(&p, &n, &t, &i, Some(1))
    };
    let ball = {
        let (p, n, t, i) = sphere(0.8, 24, 48);
        w.mesh(&p, &n, &t, &i, Some(2))
    };
    let sign = {
        let (p, n, t, i) = cuboid([0.0, 0.0, 0.0], [2.4, 0.6, 0.1]);
        w.mesh(&p, &n, &t, &i, Some(3))
    };
    let glass = {
        let (p, n, t, i) = cuboid([0.0, 0.0, 0.0], [2.0, 2.4, 0.04]);
        w.mesh(&p, &n, &t, &i, Some(4))
    };
    w.node(json!({"name": "ground", "mesh": ground}));
    // Two rows of columns (one mesh, ten instances) with a lintel over each pair.
    let mut arcade = Vec::new();
    for k in 0..5 {
        let z = -6.0 - 2.5 * k as f32;
        for x in [-3.3f32, 3.3] {
            arcade.push(w.node(json!({"mesh": column, "translation": [x, 0.0, z]})));
        }
        arcade.push(w.node(json!({"mesh": lintel, "translation": [0.0, 3.25, z]})));
    }
    w.node(json!({"name": "arcade", "children": arcade}));
    w.node(json!({"name": "ball", "mesh": ball, "translation": [0.0, 0.8, -11.0]}));
    w.node(json!({"name": "sign", "mesh": sign, "translation": [0.0, 2.7, -16.2]}));
    let q = |q: glam::Quat| q.to_array();
    w.node(
        json!({"name": "glass", "mesh": glass, "translation": [1.4, 1.2, -8.0],
        "rotation": q(glam::Quat::from_rotation_y(30f32.to_radians()))}),
    );
    w.extra.insert("extensions".into(), json!({"KHR_lights_punctual": {"lights": [
        {"name": "sun", "type": "directional", "color": [1.0, 0.95, 0.85], "intensity": 2.5},
        {"name": "lamp", "type": "point", "color": [1.0, 0.6, 0.3], "intensity": 6.0, "range": 8.0},
        {"name": "spot", "type": "spot", "intensity": 25.0, "spot": {"innerConeAngle": 0.2, "outerConeAngle": 0.35}}
    ]}}));
    // The sun from above-left-behind; the lamp under the sign; the spot over the ball, pointing down.
    let sun = glam::Quat::from_rotation_arc(
        glam::Vec3::NEG_Z,
        glam::Vec3::new(0.45, -0.8, -0.4).normalize(),
    );
    w.node(json!({"name": "sun", "rotation": q(sun),
        "extensions": {"KHR_lights_punctual": {"light": 0}}}));
    w.node(json!({"name": "lamp", "translation": [0.0, 2.2, -15.5], "extensions": {"KHR_lights_punctual": {"light": 1}}}));
    w.node(json!({"name": "spot", "translation": [0.0, 4.5, -11.0], "rotation": q(glam::Quat::from_rotation_x(-90f32.to_radians())),
        "extensions": {"KHR_lights_punctual": {"light": 2}}}));
    let glb = w.to_glb();
    if let Some(dir) = std::path::Path::new(&out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = format!("{out}.tmp");
    std::fs::write(&tmp, &glb)?;
    std::fs::rename(&tmp, &out)?;
    println!("wrote {out} ({} bytes)", glb.len());
    Ok(())
}
