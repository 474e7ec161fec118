//! Shading of glTF content on the wall against hand-computed colours: the ambient term (white
//! furnace, occlusion and metallic-roughness textures), alpha modes and emission.

use glam::{DVec3, Mat4, Quat, Vec3};
use parallax::render::{FrameInputs, Overrides, RenderedFrame};
use parallax::scene::{Ambient, Environment, GltfScene, SceneList};
use parallax::stage::Stage;
use serde_json::json;

use crate::gltf::{Pair, hit_uv, renderer_for};
use crate::gltf_writer::GltfWriter;
use crate::{VIEWPOINT_STAGE, gpu};

/// Calls `f(viewpoint, ray, colour)` for every LED pixel clearly inside (viewpoint: the entrance
/// pupil) or clearly outside (the outer viewpoint) the inner frustum.
pub(crate) fn for_each_led(
    stage: &Stage,
    inputs: &FrameInputs,
    frame: &RenderedFrame,
    mut f: impl FnMut(DVec3, DVec3, [f32; 4]),
) {
    for p in &stage.panels {
        let img = &frame.outputs[p.placement.output].1;
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let world = p.pixel_centre(i, j);
                let viewpoint = match inputs.inner_uv(world) {
                    Some(uv) if uv.min_element() > 0.01 && uv.max_element() < 0.99 => inputs.eye,
                    Some(uv) if uv.min_element() > -0.01 && uv.max_element() < 1.01 => continue,
                    _ => inputs.outer_viewpoint,
                };
                let o = p.placement.output_pixel(i, j);
                f(
                    viewpoint,
                    (world - viewpoint).normalize(),
                    img.linear(o.x as u32, o.y as u32),
                );
            }
        }
    }
}

/// The white furnace: under a uniform sky of radiance `c`, a white, rough dielectric shows exactly
/// `c` (all light is reflected: diffuse `(1 - F) c` plus glossy `F c`), a black one `F0 c` with the
/// spec's dielectric `F0 = 0.04` (roughness 1 leaves no other Fresnel term), in every view. This
/// checks the ambient term end to end: the environment's spherical-harmonic projection, the shader's
/// evaluation and the material's energy balance, independently of the normal and the view. Two more
/// quads check texture channels: a white one with an occlusion texture of 128/255 (ambient times
/// 128/255), and a black one with `metallicFactor` 1 whose metallic-roughness texture has blue 0
/// (metallic 0: the black dielectric's `0.04 c`; were the texture ignored, a black metal shows 0).
#[test]
fn white_furnace_a_white_rough_surface_vanishes_into_a_uniform_sky() {
    let gpu = gpu();
    let stage = Stage::from_ron(VIEWPOINT_STAGE, "viewpoint.ron").unwrap();
    let mut renderer = renderer_for(&gpu, &stage);
    let c = [0.6f32, 0.4, 0.2];
    let sky = image::DynamicImage::ImageRgba32F(image::Rgba32FImage::from_pixel(
        64,
        32,
        image::Rgba([c[0], c[1], c[2], 1.0]),
    ));
    let ctx = renderer.scene_context(&gpu);
    let env = Environment::from_image(&ctx, &sky, 30.0).unwrap();
    let ambient = Ambient::from_equirect(&sky, 30.0);
    let mut w = GltfWriter::default();
    let occlusion = w.png(&image::RgbaImage::from_pixel(
        4,
        4,
        image::Rgba([128, 0, 0, 255]),
    ));
    let metal_rough = w.png(&image::RgbaImage::from_pixel(
        4,
        4,
        image::Rgba([0, 255, 0, 255]),
    ));
    w.textures.push(json!({"source": occlusion}));
    w.textures.push(json!({"source": metal_rough}));
    let pbr = |base: f64, metallic: f64| {
        json!({
        "baseColorFactor": [base, base, base, 1.0], "metallicFactor": metallic, "roughnessFactor": 1.0})
    };
    let mut with_mr = pbr(0.0, 1.0);
    with_mr["metallicRoughnessTexture"] = json!({"index": 1});
    let materials = [
        (json!({"pbrMetallicRoughness": pbr(1.0, 0.0)}), 1.0),
        (json!({"pbrMetallicRoughness": pbr(0.0, 0.0)}), 0.04),
        (
            json!({"pbrMetallicRoughness": pbr(1.0, 0.0), "occlusionTexture": {"index": 0}}),
            128.0 / 255.0,
        ),
        (json!({"pbrMetallicRoughness": with_mr}), 0.04),
    ];
    for (k, (material, _)) in materials.iter().enumerate() {
        w.materials.push(material.clone());
        // Unit quads side by side: quad k covers x in [k, k + 1] of the file.
        let x = k as f32;
        let corners = [
            x,
            0.0,
            0.0,
            x + 1.0,
            0.0,
            0.0,
            x + 1.0,
            1.0,
            0.0,
            x,
            1.0,
            0.0,
        ];
        let normals = [0.0, 0.0, 1.0].repeat(4);
        let m = w.mesh(&corners, &normals, &[], &[0, 1, 2, 0, 2, 3], Some(k));
        w.node(json!({"mesh": m}));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("furnace.glb");
    std::fs::write(&path, w.to_glb()).unwrap();
    let placement = Mat4::from_scale_rotation_translation(
        Vec3::new(1.2, 2.5, 1.0),
        Quat::from_rotation_y(-15f32.to_radians()) * Quat::from_rotation_x(10f32.to_radians()),
        Vec3::new(-2.4, 0.2, -4.0),
    );
    let gltf = GltfScene::load(&ctx, &path, placement, &ambient).unwrap();
    let env_list = SceneList {
        parts: vec![Box::new(env)],
    };
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let frame = renderer
        .render_frame(
            &gpu,
            &Pair {
                env: &env_list,
                gltf: &gltf,
            },
        )
        .unwrap();
    let placement = placement.as_dmat4();
    // LEDs per quad, then the sky.
    let (mut counts, mut worst) = ([0usize; 5], 0.0f32);
    for_each_led(&stage, &inputs, &frame, |viewpoint, ray, got| {
        let hit = hit_uv(placement, viewpoint, ray);
        let expect = match hit {
            // hit_uv gives (x, 1 - y) of the file.
            Some((x, v))
                if (0.03..0.97).contains(&v)
                    && (0.06..0.94).contains(&x.fract())
                    && (0.0..4.0).contains(&x) =>
            {
                let k = x as usize;
                counts[k] += 1;
                materials[k].1
            }
            Some((x, v)) if !(-0.1..=4.1).contains(&x) || !(-0.1..=1.1).contains(&v) => {
                counts[4] += 1;
                1.0
            }
            None => 1.0,
            _ => return,
        };
        for k in 0..3 {
            let err = (got[k] - expect as f32 * c[k]).abs();
            worst = worst.max(err);
            assert!(
                err < 0.01,
                "ray {ray} from {viewpoint} (file (x, 1 - y) = {hit:?}): {got:?}, expected {expect} x {c:?}"
            );
        }
    });
    println!(
        "white furnace: LEDs on white, black, occluded, textured-dielectric quads and sky {counts:?}; worst error {worst:.5}"
    );
    assert!(counts.iter().all(|n| *n > 100), "{counts:?}");
}

/// Alpha modes and emission, against hand-computed colours over a black sky with no light: an
/// opaque unlit red quad, a blended blue quad (alpha 0.25) in front of half of it (listed first in
/// the file, drawn last: `0.25 blue + 0.75 red` over the red, `0.25 blue` over the sky), a masked
/// quad under its cutoff (invisible) and one over it (opaque green), and an emissive quad (exactly its
/// emissive factor).
#[test]
fn alpha_modes_and_emission_match_hand_computed_colours() {
    let gpu = gpu();
    let stage = Stage::from_ron(VIEWPOINT_STAGE, "viewpoint.ron").unwrap();
    let mut renderer = renderer_for(&gpu, &stage);
    let ctx = renderer.scene_context(&gpu);
    let black = image::DynamicImage::ImageRgba32F(image::Rgba32FImage::new(8, 4));
    let env = Environment::from_image(&ctx, &black, 0.0).unwrap();
    // (x0, x1, z, material): file-space rectangles x0..x1 by 0..2 m in the plane z.
    let quads = [
        (
            0.45,
            1.35,
            0.5,
            json!({"alphaMode": "BLEND", "extensions": {"KHR_materials_unlit": {}},
            "pbrMetallicRoughness": {"baseColorFactor": [0.0, 0.0, 1.0, 0.25]}}),
        ),
        (
            0.0,
            0.9,
            0.0,
            json!({"extensions": {"KHR_materials_unlit": {}},
            "pbrMetallicRoughness": {"baseColorFactor": [1.0, 0.0, 0.0, 1.0]}}),
        ),
        (
            1.5,
            2.4,
            0.0,
            json!({"alphaMode": "MASK", "alphaCutoff": 0.5, "extensions": {"KHR_materials_unlit": {}},
            "pbrMetallicRoughness": {"baseColorFactor": [0.0, 1.0, 0.0, 0.4]}}),
        ),
        (
            2.6,
            3.5,
            0.0,
            json!({"alphaMode": "MASK", "alphaCutoff": 0.5, "extensions": {"KHR_materials_unlit": {}},
            "pbrMetallicRoughness": {"baseColorFactor": [0.0, 1.0, 0.0, 0.6]}}),
        ),
        (
            3.7,
            4.6,
            0.0,
            json!({"emissiveFactor": [0.3, 0.6, 0.9],
            "pbrMetallicRoughness": {"baseColorFactor": [0.0, 0.0, 0.0, 1.0]}}),
        ),
    ];
    let mut w = GltfWriter::default();
    w.extensions_used.push("KHR_materials_unlit".into());
    for (k, (x0, x1, z, material)) in quads.iter().enumerate() {
        w.materials.push(material.clone());
        let (x0, x1, z) = (*x0 as f32, *x1 as f32, *z as f32);
        let m = w.mesh(
            &[x0, 0.0, z, x1, 0.0, z, x1, 2.0, z, x0, 2.0, z],
            &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
            &[],
            &[0, 1, 2, 0, 2, 3],
            Some(k),
        );
        w.node(json!({"mesh": m}));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alpha.glb");
    std::fs::write(&path, w.to_glb()).unwrap();
    let placement = Mat4::from_translation(Vec3::new(-2.2, 0.3, -4.0));
    let gltf = GltfScene::load(&ctx, &path, placement, &Ambient::default()).unwrap();
    let env_list = SceneList {
        parts: vec![Box::new(env)],
    };
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let frame = renderer
        .render_frame(
            &gpu,
            &Pair {
                env: &env_list,
                gltf: &gltf,
            },
        )
        .unwrap();
    let inv = placement.as_dmat4().inverse();
    let colours = [
        [0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0],
        [0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.3, 0.6, 0.9],
    ];
    let mut counts = [0usize; 7];
    let mut worst = 0.0f64;
    for_each_led(&stage, &inputs, &frame, |viewpoint, ray, got| {
        let (o, d) = (inv.transform_point3(viewpoint), inv.transform_vector3(ray));
        // Which quad the ray meets (None: clear of all), skipping rays within 5 cm of an edge.
        let mut hits = [false; 5];
        for (k, (x0, x1, z, _)) in quads.iter().enumerate() {
            let l = (z - o.z) / d.z;
            let p = o + d * l;
            let inside = |a: f64, lo: f64, hi: f64| a > lo + 0.05 && a < hi - 0.05;
            let outside = |a: f64, lo: f64, hi: f64| a < lo - 0.05 || a > hi + 0.05;
            if l > 0.0 && inside(p.x, *x0, *x1) && inside(p.y, 0.0, 2.0) {
                hits[k] = true;
            } else if !(l <= 0.0 || outside(p.x, *x0, *x1) || outside(p.y, 0.0, 2.0)) {
                return;
            }
        }
        let behind = (1..5).find(|k| hits[*k]);
        let base = behind.map_or([0.0; 3], |k| colours[k]);
        let expect: Vec<f64> = if hits[0] {
            (0..3)
                .map(|c| 0.25 * colours[0][c] + 0.75 * base[c])
                .collect()
        } else {
            base.to_vec()
        };
        let err = (0..3)
            .map(|c| (got[c] as f64 - expect[c]).abs())
            .fold(0.0, f64::max);
        assert!(
            err < 0.01,
            "ray {ray}: {got:?}, expected {expect:?} (hits {hits:?})"
        );
        worst = worst.max(err);
        counts[behind.unwrap_or(0)] += 1;
        if hits[0] {
            counts[5] += 1;
            if behind == Some(1) {
                counts[6] += 1;
            }
        }
    });
    println!(
        "alpha/emission: LEDs per quad (sky, red, masked-out, masked-in, emissive, blended, blended over red): {counts:?}; worst {worst:.5}"
    );
    assert!(counts.iter().all(|c| *c > 50), "{counts:?}");
}
