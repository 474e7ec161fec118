//! glTF content on the wall, checked per LED pixel against rays cast on the CPU.

use glam::{DMat4, DVec3, Mat4, Quat, Vec3};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::{Ambient, GltfScene, Scene, SceneList, ViewBinding};
use parallax::stage::Stage;
use serde_json::json;

use crate::gltf_writer::GltfWriter;
use crate::{VIEWPOINT_STAGE, decode_direction, direction_environment, gpu};

/// Side of the coordinate-coded texture in texels.
const TEX: u32 = 256;

fn srgb_encode(x: f64) -> u8 {
    let s = if x <= 0.0031308 {
        12.92 * x
    } else {
        1.055 * x.powf(1.0 / 2.4) - 0.055
    };
    (s * 255.0).round().clamp(0.0, 255.0) as u8
}

/// The quad the oracle test draws is byte for byte `tests/data/gltf/coded-quad.glb`, which the
/// Khronos glTF validator passed (its report is beside it).
#[test]
fn the_test_quad_is_the_validated_file() {
    let committed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/gltf/coded-quad.glb"
    ))
    .unwrap();
    assert!(
        coded_quad().to_glb() == committed,
        "the test quad changed: write it to tests/data/gltf/coded-quad.glb and validate it again"
    );
}

/// A unit quad in the file's z = 0 plane, (0, 0)..(1, 1), whose unlit base-colour texture encodes its
/// own coordinates: texel (i, j) holds linear red = u = (i + 0.5) / TEX and green = v = (j + 0.5) /
/// TEX (stored sRGB-encoded, as glTF base colour is). Bilinear filtering of a linear ramp is exact
/// inside the outer half texel, so the rendered colour is (u, v, 0) up to 8-bit rounding.
fn coded_quad() -> GltfWriter {
    let mut w = GltfWriter::default();
    let img = image::RgbaImage::from_fn(TEX, TEX, |i, j| {
        let u = (i as f64 + 0.5) / TEX as f64;
        let v = (j as f64 + 0.5) / TEX as f64;
        image::Rgba([srgb_encode(u), srgb_encode(v), 0, 255])
    });
    let image = w.png(&img);
    w.samplers
        .push(json!({"magFilter": 9729, "minFilter": 9987, "wrapS": 33071, "wrapT": 33071}));
    w.textures.push(json!({"source": image, "sampler": 0}));
    w.extensions_used.push("KHR_materials_unlit".into());
    w.materials.push(json!({
        "pbrMetallicRoughness": {"baseColorTexture": {"index": 0}},
        "extensions": {"KHR_materials_unlit": {}}
    }));
    // glTF UVs: (0, 0) top-left of the image, v down; the quad's top edge is y = 1.
    let m = w.mesh(
        &[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        &[0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0],
        &[0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
        &[0, 1, 2, 0, 2, 3],
        Some(0),
    );
    w.node(json!({"mesh": m}));
    w
}

/// Where the ray `origin + l dir` (l > 0) meets the placed quad, as its texture coordinates.
pub(crate) fn hit_uv(placement: DMat4, origin: DVec3, dir: DVec3) -> Option<(f64, f64)> {
    let inv = placement.inverse();
    let o = inv.transform_point3(origin);
    let d = inv.transform_vector3(dir);
    if d.z.abs() < 1e-12 {
        return None;
    }
    let l = -o.z / d.z;
    let p = o + d * l;
    (l > 0.0).then_some((p.x, 1.0 - p.y))
}

/// Every LED pixel shows the texel of a coordinate-coded glTF quad 4 m behind the wall that the ray
/// from its viewpoint (the entrance pupil inside the inner frustum, the outer viewpoint outside it)
/// hits, and the environment where that ray misses the quad.
///
/// Tolerance 0.02 in u and v (the quad is 3 x 2.5 m, so 6 cm and 5 cm): 8-bit sRGB storage of the
/// texture rounds u near 1 by up to 0.0045; the rest is the scene targets' resolution (the inner
/// frustum's pixels are about 0.45 degrees, the outer cube faces' 0.7 degrees, 3.5 to 5.5 cm or 0.012
/// to 0.018 in u at 4.5 m), of which bilinear sampling of the target leaves only the curvature of the
/// perspective mapping. LEDs whose ray meets the quad's plane within 0.03 (inside) or 0.06 (outside)
/// of its edge, on either side, are skipped: bilinear sampling of target pixels straddling the edge
/// mixes quad and sky over up to two pixels (0.025 in u, 0.05 in v for the outer cube faces), as do
/// LEDs in the soft-edge band.
#[test]
fn every_led_pixel_shows_the_gltf_texel_its_ray_hits() {
    let (inside, outside, miss, worst) = oracle(coded_quad(), |u, v| (u, v));
    println!(
        "glTF oracle: {inside} LEDs on the quad inside the frustum, {outside} outside, {miss} missing it; worst texel error {worst:.5}"
    );
}

/// The same with `KHR_texture_transform` (offset (0.2, 0.7), rotation 90 degrees, scale 0.5): by the
/// extension's matrix `T R S` with `R = [[cos, sin], [-sin, cos]]`, texture coordinates (u, v) read
/// the texel at (0.5 v + 0.2, -0.5 u + 0.7).
#[test]
fn texture_transform_moves_the_texels_on_the_wall() {
    let mut w = coded_quad();
    w.extensions_used.push("KHR_texture_transform".into());
    w.materials[0]["pbrMetallicRoughness"]["baseColorTexture"]["extensions"] = json!({
        "KHR_texture_transform": {"offset": [0.2, 0.7], "rotation": std::f64::consts::FRAC_PI_2, "scale": [0.5, 0.5]}
    });
    let (inside, outside, miss, worst) = oracle(w, |u, v| (0.5 * v + 0.2, -0.5 * u + 0.7));
    println!(
        "glTF texture transform: {inside} inside, {outside} outside, {miss} missing; worst texel error {worst:.5}"
    );
}

/// Renders the coordinate-coded quad `w` (placed 4 m behind the wall) over three poses and checks
/// every LED against the texel `texel(u, v)` of the quad coordinates its ray meets (or the sky).
/// Returns the LED counts (on the quad inside, outside the frustum, missing it) and the worst error.
fn oracle(w: GltfWriter, texel: impl Fn(f64, f64) -> (f64, f64)) -> (usize, usize, usize, f64) {
    let gpu = gpu();
    let stage = Stage::from_ron(VIEWPOINT_STAGE, "viewpoint.ron").unwrap();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        camera_width: None,
        camera_supersample: 1,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coded.glb");
    std::fs::write(&path, w.to_glb()).unwrap();
    // 3 m wide, 2.5 m tall, its bottom-left corner at (-1.2, 0.2, -4), turned 20 degrees about +Y.
    let placement = Mat4::from_scale_rotation_translation(
        Vec3::new(3.0, 2.5, 1.0),
        Quat::from_rotation_y(20f32.to_radians()),
        Vec3::new(-1.2, 0.2, -4.0),
    );
    let quad = GltfScene::load(
        &renderer.scene_context(&gpu),
        &path,
        placement,
        &Ambient::default(),
    )
    .unwrap();
    assert!(quad.warnings().is_empty(), "{:?}", quad.warnings());
    let mut scene: SceneList = direction_environment(&gpu, &renderer);
    scene.parts.push(Box::new(quad));
    let placement = placement.as_dmat4();

    let poses = [
        Overrides::default(),
        Overrides {
            camera_rotation: Some((-25.0, 5.0, 10.0)),
            camera_position: Some(DVec3::new(-0.3, 1.2, 0.4)),
            ..Default::default()
        },
        // Looking away to the right and up: the arc sees the quad from the outer viewpoint.
        Overrides {
            camera_rotation: Some((-70.0, 35.0, 0.0)),
            ..Default::default()
        },
    ];
    let (tolerance, angle_tol) = (0.02, 0.01);
    let (mut inside, mut outside, mut miss, mut worst) = (0usize, 0usize, 0usize, 0.0f64);
    for overrides in &poses {
        let inputs = FrameInputs::at_rest(&stage, overrides).unwrap();
        renderer.prepare(&gpu, &inputs).unwrap();
        let frame = renderer.render_frame(&gpu, &scene).unwrap();
        for p in &stage.panels {
            let img = &frame.outputs[p.placement.output].1;
            for j in 0..p.pixels.y {
                for i in 0..p.pixels.x {
                    let o = p.placement.output_pixel(i, j);
                    let world = p.pixel_centre(i, j);
                    let got = img.linear(o.x as u32, o.y as u32);
                    let margin = 0.01;
                    let (viewpoint, is_inside) = match inputs.inner_uv(world) {
                        Some(uv)
                            if uv.min_element() > margin && uv.max_element() < 1.0 - margin =>
                        {
                            (inputs.eye, true)
                        }
                        Some(uv)
                            if uv.min_element() > -margin && uv.max_element() < 1.0 + margin =>
                        {
                            continue;
                        }
                        _ => (inputs.outer_viewpoint, false),
                    };
                    let ray = (world - viewpoint).normalize();
                    let edge = if is_inside { 0.03 } else { 0.06 };
                    match hit_uv(placement, viewpoint, ray) {
                        Some((u, v)) if (0.0..=1.0).contains(&u) && (0.0..=1.0).contains(&v) => {
                            if u.min(v) < edge || u.max(v) > 1.0 - edge {
                                continue;
                            }
                            let (tu, tv) = texel(u, v);
                            let err = (got[0] as f64 - tu).abs().max((got[1] as f64 - tv).abs());
                            assert!(
                                err < tolerance && got[2].abs() < 1e-3,
                                "{} LED ({i}, {j}) ({}) shows {got:?}, expected texel ({tu:.4}, {tv:.4}) ({err:.4} off), pose {overrides:?}",
                                p.id,
                                if is_inside { "inside" } else { "outside" }
                            );
                            worst = worst.max(err);
                            if is_inside {
                                inside += 1;
                            } else {
                                outside += 1;
                            }
                        }
                        Some((u, v))
                            if u < -edge || v < -edge || u > 1.0 + edge || v > 1.0 + edge =>
                        {
                            let angle = decode_direction(got).angle_between(ray);
                            assert!(
                                angle < angle_tol,
                                "{} LED ({i}, {j}) at {world} misses the quad (uv ({u:.3}, {v:.3}) from {viewpoint}, inner uv {:?}) but shows {got:?} ({angle} rad off the environment)",
                                p.id,
                                inputs.inner_uv(world)
                            );
                            miss += 1;
                        }
                        None => {
                            let angle = decode_direction(got).angle_between(ray);
                            assert!(angle < angle_tol, "{} LED ({i}, {j}) behind", p.id);
                            miss += 1;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert!(
        inside > 200 && outside > 200 && miss > 200,
        "not tested on every side: {inside} inside, {outside} outside, {miss} missing"
    );
    (inside, outside, miss, worst)
}

pub(crate) fn renderer_for(gpu: &parallax::gpu::Gpu, stage: &Stage) -> Renderer {
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        camera_width: None,
        camera_supersample: 1,
        ..Default::default()
    };
    Renderer::new(gpu, stage, options).unwrap()
}

/// The environment and a glTF scene, the latter kept reachable for its statistics.
pub(crate) struct Pair<'a> {
    pub env: &'a SceneList,
    pub gltf: &'a GltfScene,
}

impl Scene for Pair<'_> {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>) {
        self.env.draw(pass, view);
        self.gltf.draw(pass, view);
    }
}

/// Culling changes nothing that is seen: the same outputs, bit for bit, with it on and off; with it
/// on, the inner frustum (the last view drawn) skips the instances behind the camera, and the
/// visible instances of the one mesh are drawn in at most as many draws as runs of them.
#[test]
fn frustum_culling_skips_only_what_is_not_seen() {
    let gpu = gpu();
    let stage = Stage::from_ron(VIEWPOINT_STAGE, "viewpoint.ron").unwrap();
    let mut renderer = renderer_for(&gpu, &stage);
    let mut w = coded_quad();
    // Four more instances of the same mesh: two in view, two behind the camera (+Z).
    for t in [
        [-3.0, 0.0, -1.0],
        [2.0, 1.0, -2.0],
        [0.0, 0.0, 12.0],
        [4.0, 1.0, 9.0],
    ] {
        w.node(json!({"mesh": 0, "translation": t}));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.gltf");
    std::fs::write(&path, w.to_gltf()).unwrap();
    let placement = Mat4::from_translation(Vec3::new(-0.5, 0.5, -4.0));
    let ctx = renderer.scene_context(&gpu);
    let gltf = GltfScene::load(&ctx, &path, placement, &Ambient::default()).unwrap();
    assert_eq!(gltf.triangle_count(), 10);
    let env = direction_environment(&gpu, &renderer);
    let pair = Pair {
        env: &env,
        gltf: &gltf,
    };
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let on = renderer.render_frame(&gpu, &pair).unwrap();
    let culled = gltf.last_stats();
    gltf.set_culling(false);
    let off = renderer.render_frame(&gpu, &pair).unwrap();
    let all = gltf.last_stats();
    assert_eq!(all.instances, 5, "{all:?}");
    assert_eq!((all.draws, all.culled), (1, 0), "{all:?}");
    assert!(
        culled.culled >= 2 && culled.instances + culled.culled == 5,
        "{culled:?}"
    );
    for ((_, a), (_, b)) in on.outputs.iter().zip(&off.outputs) {
        assert!(a.bytes == b.bytes, "culling changed an output");
    }
    println!("culling: on {culled:?}, off {all:?}");
}

/// A texture that cannot be read shows as the magenta/black checker on the wall, with a warning.
#[test]
fn a_missing_texture_shows_the_checker_on_the_wall() {
    let gpu = gpu();
    let stage = Stage::from_ron(VIEWPOINT_STAGE, "viewpoint.ron").unwrap();
    let mut renderer = renderer_for(&gpu, &stage);
    let mut w = coded_quad();
    w.images[0] = json!({"uri": "not-there.png"});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.gltf");
    std::fs::write(&path, w.to_gltf()).unwrap();
    // A 20 x 20 m quad 4 m away fills the view: every LED inside the frustum shows the checker.
    let placement = Mat4::from_scale_rotation_translation(
        Vec3::new(20.0, 20.0, 1.0),
        Quat::IDENTITY,
        Vec3::new(-10.0, -8.0, -4.0),
    );
    let gltf = GltfScene::load(
        &renderer.scene_context(&gpu),
        &path,
        placement,
        &Ambient::default(),
    )
    .unwrap();
    assert_eq!(gltf.warnings().len(), 1);
    assert!(gltf.warnings()[0].to_string().starts_with("images[0]"));
    let env = direction_environment(&gpu, &renderer);
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let frame = renderer
        .render_frame(
            &gpu,
            &Pair {
                env: &env,
                gltf: &gltf,
            },
        )
        .unwrap();
    let (mut magenta, mut black, mut other) = (0, 0, 0);
    for p in &stage.panels {
        let img = &frame.outputs[p.placement.output].1;
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let world = p.pixel_centre(i, j);
                if !inputs
                    .inner_uv(world)
                    .is_some_and(|uv| uv.min_element() > 0.01 && uv.max_element() < 0.99)
                {
                    continue;
                }
                let o = p.placement.output_pixel(i, j);
                let c = img.linear(o.x as u32, o.y as u32);
                // Each checker square is 2.5 m: LEDs are far from a square's edge most of the time.
                if c[0] > 0.99 && c[1] < 0.01 && c[2] > 0.99 {
                    magenta += 1;
                } else if c[0] < 0.01 && c[1] < 0.01 && c[2] < 0.01 {
                    black += 1;
                } else {
                    other += 1;
                }
            }
        }
    }
    assert!(
        magenta > 100 && black > 100 && other < (magenta + black) / 4,
        "{magenta} magenta, {black} black, {other} between"
    );
}

/// `scene:` items in a stage file load relative to the stage file, in front of the environment; a
/// broken one fails the build naming the glTF file and the problem.
#[test]
fn stage_file_scene_items_resolve_against_the_stage_file() {
    let gpu = gpu();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sets")).unwrap();
    std::fs::write(dir.path().join("sets/quad.glb"), coded_quad().to_glb()).unwrap();
    let stage_text = VIEWPOINT_STAGE.trim_end().trim_end_matches(')').to_string()
        + r#"  scene: [Gltf(path: "sets/quad.glb", position: (-1.5, 0.0, -4.0), scale: (3.0, 3.0, 1.0))],
)"#;
    let stage_path = dir.path().join("stage.ron");
    std::fs::write(&stage_path, &stage_text).unwrap();
    let stage = parallax::stage::load(&stage_path).unwrap();
    let mut renderer = renderer_for(&gpu, &stage);
    let spec = parallax::scene::SceneSpec::for_stage(&stage, None);
    assert_eq!(spec.gltf.len(), 1);
    let scene = parallax::scene::build(&renderer.scene_context(&gpu), &spec).unwrap();
    // Environment, test scene (the stage's default), glTF.
    assert_eq!(scene.parts.len(), 3);
    // The LED straight ahead of the camera on the arc shows the quad, not the sky: blue near 0.
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let p = &stage.panels[stage.panel_index("A-003-01").unwrap()];
    let o = p.placement.output_pixel(8, 8);
    let c = frame.outputs[p.placement.output]
        .1
        .linear(o.x as u32, o.y as u32);
    assert!(c[2] < 1e-3 && c[0] > 0.05 && c[1] > 0.05, "{c:?}");

    std::fs::write(dir.path().join("sets/quad.glb"), b"not a glb").unwrap();
    let e = parallax::scene::build(&renderer.scene_context(&gpu), &spec)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("quad.glb") && e.contains("not a valid glTF"),
        "{e}"
    );
}
