//! Lit glTF content on the wall against glTF 2.0 Appendix B evaluated on the CPU per LED ray:
//! punctual lights and normal maps.

use glam::{DVec3, Mat4, Quat, Vec3};
use parallax::render::{FrameInputs, Overrides};
use parallax::scene::{Ambient, Environment, GltfScene, SceneList};
use parallax::stage::Stage;
use serde_json::json;

use crate::gltf::{Pair, renderer_for};
use crate::gltf_shading::for_each_led;
use crate::gltf_writer::GltfWriter;
use crate::{VIEWPOINT_STAGE, gpu};

/// `Lo` of glTF 2.0 Appendix B for one light: `(f_diffuse + f_specular) * E * (n . l)` with
/// `f_diffuse = (1 - F) c_diff / pi`, `f_specular = F D V`, Schlick's `F`, the Trowbridge-Reitz `D`,
/// the height-correlated Smith `V`, `alpha = roughness^2`, dielectric `F0 = 0.04`.
fn appendix_b(base: DVec3, roughness: f64, n: DVec3, v: DVec3, l: DVec3, e: DVec3) -> DVec3 {
    let n_l = n.dot(l).clamp(0.0, 1.0);
    if n_l == 0.0 {
        return DVec3::ZERO;
    }
    let n_v = n.dot(v).clamp(1e-4, 1.0);
    let h = (l + v).normalize();
    let (n_h, v_h) = (n.dot(h).max(0.0), v.dot(h).clamp(0.0, 1.0));
    let a2 = roughness.powi(4);
    let f = 0.04 + 0.96 * (1.0 - v_h).powi(5);
    let d = a2 / (std::f64::consts::PI * (n_h * n_h * (a2 - 1.0) + 1.0).powi(2));
    let vis = 0.5
        / (n_l * (n_v * n_v * (1.0 - a2) + a2).sqrt() + n_v * (n_l * n_l * (1.0 - a2) + a2).sqrt());
    ((1.0 - f) * base / std::f64::consts::PI + DVec3::splat(f * d * vis)) * e * n_l
}

/// Punctual lights (`KHR_lights_punctual`): a directional light, a point light (inverse-square) and
/// a spot (the extension's cone attenuation) on a rough dielectric quad under a black sky, against
/// Appendix B evaluated on the CPU for the LED's ray (from the pupil or the outer viewpoint).
/// Tolerance 2 % + 0.003: the LED reads the scene targets (rendered 4x finer than the stage asks,
/// 768 x 512 inner, 512 px cube faces) between pixel centres, where the shading (highlight and cone
/// edge included) is close to linear.
#[test]
fn punctual_lights_match_the_spec_brdf() {
    let gpu = gpu();
    let stage = Stage::from_ron(VIEWPOINT_STAGE, "viewpoint.ron").unwrap();
    let mut renderer = renderer_for(&gpu, &stage);
    let ctx = renderer.scene_context(&gpu);
    let black = image::DynamicImage::ImageRgba32F(image::Rgba32FImage::new(8, 4));
    let env = Environment::from_image(&ctx, &black, 0.0).unwrap();
    let (base, roughness) = (DVec3::new(0.8, 0.6, 0.4), 0.5);
    let (x0, x1, y0, y1, z) = (-1.5, 1.5, 0.2, 2.7, -4.0);
    let mut w = GltfWriter::default();
    w.extensions_used.push("KHR_lights_punctual".into());
    w.materials.push(json!({"pbrMetallicRoughness": {
        "baseColorFactor": [base.x, base.y, base.z, 1.0], "metallicFactor": 0.0, "roughnessFactor": roughness}}));
    let (a, b, c) = (x0 as f32, x1 as f32, z as f32);
    let m = w.mesh(
        &[
            a, y0 as f32, c, b, y0 as f32, c, b, y1 as f32, c, a, y1 as f32, c,
        ],
        &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        &[],
        &[0, 1, 2, 0, 2, 3],
        Some(0),
    );
    w.node(json!({"mesh": m}));
    // (kind, colour x intensity, position, direction the light shines along).
    let sun_dir = DVec3::new(0.3, -0.5, -1.0).normalize();
    let spot_pos = DVec3::new(-1.0, 1.5, -2.0);
    let spot_dir = DVec3::new(0.2, -0.3, -1.0).normalize();
    let point_pos = DVec3::new(0.5, 2.0, -2.5);
    let (inner, outer) = (0.3f64, 0.5f64);
    w.extra.insert(
        "extensions".into(),
        json!({"KHR_lights_punctual": {"lights": [
            {"type": "directional", "color": [1.0, 0.9, 0.8], "intensity": 1.5},
            {"type": "point", "color": [0.6, 0.8, 1.0], "intensity": 3.0},
            {"type": "spot", "color": [1.0, 1.0, 1.0], "intensity": 8.0,
             "spot": {"innerConeAngle": inner, "outerConeAngle": outer}}
        ]}}),
    );
    let aim = |d: DVec3| Quat::from_rotation_arc(Vec3::NEG_Z, d.as_vec3()).to_array();
    w.node(json!({"rotation": aim(sun_dir), "extensions": {"KHR_lights_punctual": {"light": 0}}}));
    w.node(json!({"translation": point_pos.as_vec3().to_array(), "extensions": {"KHR_lights_punctual": {"light": 1}}}));
    w.node(
        json!({"translation": spot_pos.as_vec3().to_array(), "rotation": aim(spot_dir),
        "extensions": {"KHR_lights_punctual": {"light": 2}}}),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lights.glb");
    std::fs::write(&path, w.to_glb()).unwrap();
    let gltf = GltfScene::load(&ctx, &path, Mat4::IDENTITY, &Ambient::default()).unwrap();
    let env_list = SceneList {
        parts: vec![Box::new(env)],
    };
    let mut worst = 0.0f64;
    let (mut lit, mut spot_lit) = (0usize, 0usize);
    // Fine scene targets (4x the stage's): the check is of the shading, not of target sampling.
    let fine = Overrides {
        inner_resolution: Some((768, 512)),
        outer_resolution: Some(512),
        ..Default::default()
    };
    for overrides in [
        fine.clone(),
        Overrides {
            camera_rotation: Some((-70.0, 35.0, 0.0)),
            ..fine.clone()
        },
    ] {
        let inputs = FrameInputs::at_rest(&stage, &overrides).unwrap();
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
        for_each_led(&stage, &inputs, &frame, |viewpoint, ray, got| {
            let l = (z - viewpoint.z) / ray.z;
            let p = viewpoint + ray * l;
            let m = 0.05;
            if l <= 0.0 || p.x < x0 + m || p.x > x1 - m || p.y < y0 + m || p.y > y1 - m {
                return;
            }
            let (n, v) = (DVec3::Z, -ray);
            let mut expect = appendix_b(
                base,
                roughness,
                n,
                v,
                -sun_dir,
                DVec3::new(1.0, 0.9, 0.8) * 1.5,
            );
            let to_point = point_pos - p;
            expect += appendix_b(
                base,
                roughness,
                n,
                v,
                to_point.normalize(),
                DVec3::new(0.6, 0.8, 1.0) * 3.0 / to_point.length_squared(),
            );
            let to_spot = spot_pos - p;
            let scale = 1.0 / (inner.cos() - outer.cos()).max(0.001);
            let cone =
                (spot_dir.dot(-to_spot.normalize()) * scale - outer.cos() * scale).clamp(0.0, 1.0);
            if cone > 0.0 {
                spot_lit += 1;
            }
            expect += appendix_b(
                base,
                roughness,
                n,
                v,
                to_spot.normalize(),
                DVec3::splat(8.0 * cone * cone / to_spot.length_squared()),
            );
            for k in 0..3 {
                let err = (got[k] as f64 - expect[k]).abs();
                assert!(
                    err < 0.02 * expect[k] + 0.003,
                    "ray {ray} from {viewpoint} meets {p}: {got:?}, expected {expect}"
                );
                worst = worst.max(err / expect[k].max(0.05));
            }
            lit += 1;
        });
    }
    println!(
        "punctual lights: {lit} LEDs on the quad ({spot_lit} in the spot's cone); worst relative error {worst:.4}"
    );
    assert!(lit > 1000 && spot_lit > 100, "{lit} {spot_lit}");
}

/// Normal maps: a constant tangent-space normal tilted 30 degrees towards the texture's +u, on a quad
/// with a `TANGENT` attribute and on one without (the shader's derivative frame), each lit by a
/// directional light, against Appendix B with the tilted normal (+u is stage +X on both quads; the
/// normal map's +Y is the image's up, stage +Y).
#[test]
fn normal_maps_tilt_the_shading_normal() {
    let gpu = gpu();
    let stage = Stage::from_ron(VIEWPOINT_STAGE, "viewpoint.ron").unwrap();
    let mut renderer = renderer_for(&gpu, &stage);
    let ctx = renderer.scene_context(&gpu);
    let black = image::DynamicImage::ImageRgba32F(image::Rgba32FImage::new(8, 4));
    let env = Environment::from_image(&ctx, &black, 0.0).unwrap();
    let texel = [191u8, 128, 238];
    let decoded = DVec3::new(
        texel[0] as f64 / 255.0 * 2.0 - 1.0,
        texel[1] as f64 / 255.0 * 2.0 - 1.0,
        texel[2] as f64 / 255.0 * 2.0 - 1.0,
    )
    .normalize();
    let mut w = GltfWriter::default();
    let img = w.png(&image::RgbaImage::from_pixel(
        4,
        4,
        image::Rgba([texel[0], texel[1], texel[2], 255]),
    ));
    w.textures.push(json!({"source": img}));
    let (base, roughness) = (DVec3::new(0.7, 0.7, 0.7), 0.6);
    w.materials.push(json!({"normalTexture": {"index": 0}, "pbrMetallicRoughness": {
        "baseColorFactor": [base.x, base.y, base.z, 1.0], "metallicFactor": 0.0, "roughnessFactor": roughness}}));
    // Two 1.4 x 2.5 m quads at z = -4: x in [-1.5, -0.1] with TANGENT, [0.1, 1.5] without.
    for (k, x0) in [-1.5f32, 0.1].into_iter().enumerate() {
        let x1 = x0 + 1.4;
        let m = w.mesh(
            &[x0, 0.2, -4.0, x1, 0.2, -4.0, x1, 2.7, -4.0, x0, 2.7, -4.0],
            &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
            &[0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
            &[0, 1, 2, 0, 2, 3],
            Some(0),
        );
        if k == 0 {
            let t = w.floats(&[1.0, 0.0, 0.0, 1.0].repeat(4), 4, "VEC4");
            w.meshes[m]["primitives"][0]["attributes"]["TANGENT"] = json!(t);
        }
        w.node(json!({"mesh": m}));
    }
    let sun_dir = DVec3::new(0.6, -0.2, -1.0).normalize();
    w.extensions_used.push("KHR_lights_punctual".into());
    w.extra.insert(
        "extensions".into(),
        json!({"KHR_lights_punctual": {"lights": [{"type": "directional", "intensity": 2.0}]}}),
    );
    let aim = Quat::from_rotation_arc(Vec3::NEG_Z, sun_dir.as_vec3()).to_array();
    w.node(json!({"rotation": aim, "extensions": {"KHR_lights_punctual": {"light": 0}}}));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("normals.glb");
    std::fs::write(&path, w.to_glb()).unwrap();
    let gltf = GltfScene::load(&ctx, &path, Mat4::IDENTITY, &Ambient::default()).unwrap();
    let env_list = SceneList {
        parts: vec![Box::new(env)],
    };
    let fine = Overrides {
        inner_resolution: Some((768, 512)),
        outer_resolution: Some(512),
        ..Default::default()
    };
    // Tangent frame: T = +X, B = +Y, N = +Z, so the mapped normal is the decoded one as it is.
    // (inside, outside) LEDs per quad.
    let (mut counts, mut worst) = ([[0usize; 2]; 2], 0.0f64);
    for overrides in [
        fine.clone(),
        Overrides {
            camera_rotation: Some((-70.0, 35.0, 0.0)),
            ..fine.clone()
        },
    ] {
        let inputs = FrameInputs::at_rest(&stage, &overrides).unwrap();
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
        for_each_led(&stage, &inputs, &frame, |viewpoint, ray, got| {
            let l = (-4.0 - viewpoint.z) / ray.z;
            let p = viewpoint + ray * l;
            let m = 0.05;
            let quad = if p.x > -1.5 + m && p.x < -0.1 - m {
                0
            } else if p.x > 0.1 + m && p.x < 1.5 - m {
                1
            } else {
                return;
            };
            if l <= 0.0 || p.y < 0.2 + m || p.y > 2.7 - m {
                return;
            }
            let expect = appendix_b(base, roughness, decoded, -ray, -sun_dir, DVec3::splat(2.0));
            let flat = appendix_b(base, roughness, DVec3::Z, -ray, -sun_dir, DVec3::splat(2.0));
            assert!(
                (expect - flat).abs().max_element() > 0.05,
                "the tilt must show"
            );
            for k in 0..3 {
                let err = (got[k] as f64 - expect[k]).abs();
                assert!(
                    err < 0.02 * expect[k] + 0.003,
                    "quad {quad}, ray {ray} meets {p}: {got:?}, expected {expect} (untilted {flat})"
                );
                worst = worst.max(err / expect[k].max(0.05));
            }
            counts[quad][usize::from(viewpoint != inputs.eye)] += 1;
        });
    }
    println!(
        "normal maps: {counts:?} LEDs ([inside, outside] with, then without TANGENT); worst relative error {worst:.4}"
    );
    assert!(counts.iter().flatten().all(|c| *c > 200), "{counts:?}");
}
