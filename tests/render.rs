//! GPU tests of the headless frame, on whatever adapter exists (Mesa's lavapipe in CI). No adapter is a
//! failure that says how to get one.

use std::path::{Path, PathBuf};

use glam::{DVec3, UVec2};
use parallax::compare::{Tolerance, compare};
use parallax::gpu::Gpu;
use parallax::render::{FrameInputs, Overrides, ReadImage, Renderer, RendererOptions};
use parallax::scene::{Environment, SceneList, SceneSpec};
use parallax::stage::Stage;

#[path = "render/blend.rs"]
mod blend;
#[path = "render/sampling.rs"]
mod sampling;

fn gpu() -> Gpu {
    match Gpu::headless() {
        Ok(g) => g,
        Err(e) => panic!(
            "GPU tests need an adapter: {e}\n(on Linux without a GPU: apt-get install -y mesa-vulkan-drivers libvulkan1)"
        ),
    }
}

fn stage_file(name: &str) -> Stage {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/stages")
        .join(name);
    parallax::stage::load(&p).unwrap()
}

/// An environment whose texels encode their own direction: rgb = d * 0.5 + 0.5 (linear floats).
fn direction_environment(gpu: &Gpu, renderer: &Renderer) -> SceneList {
    direction_environment_yawed(gpu, renderer, 0.0)
}

/// [`direction_environment`] turned by `yaw_deg` (positive turns it left): the stage direction `d`
/// then shows the colour of image direction `Ry(-yaw) d`.
fn direction_environment_yawed(gpu: &Gpu, renderer: &Renderer, yaw_deg: f64) -> SceneList {
    let (w, h) = (1024u32, 512u32);
    let img = image::Rgba32FImage::from_fn(w, h, |x, y| {
        let u = (x as f64 + 0.5) / w as f64;
        let v = (y as f64 + 0.5) / h as f64;
        // Inverse of conventions.md's mapping: u = 0.5 + atan2(x, -z) / 2pi, v = acos(y) / pi.
        let phi = (u - 0.5) * std::f64::consts::TAU;
        let theta = v * std::f64::consts::PI;
        let d = DVec3::new(
            theta.sin() * phi.sin(),
            theta.cos(),
            -theta.sin() * phi.cos(),
        );
        let (ub, vb) = parallax::scene::equirect_uv(d);
        assert!((ub - u).abs() < 1e-9 && (vb - v).abs() < 1e-9);
        image::Rgba([
            (d.x * 0.5 + 0.5) as f32,
            (d.y * 0.5 + 0.5) as f32,
            (d.z * 0.5 + 0.5) as f32,
            1.0,
        ])
    });
    let env = Environment::from_image(
        &renderer.scene_context(gpu),
        &image::DynamicImage::ImageRgba32F(img),
        yaw_deg,
    )
    .unwrap();
    SceneList {
        parts: vec![Box::new(env)],
    }
}

fn decode_direction(c: [f32; 4]) -> DVec3 {
    DVec3::new(
        c[0] as f64 * 2.0 - 1.0,
        c[1] as f64 * 2.0 - 1.0,
        c[2] as f64 * 2.0 - 1.0,
    )
    .normalize()
}

const VIEWPOINT_STAGE: &str = r#"
Stage(
  name: "Viewpoint test", frame_rate: 60.0,
  panel_types: [PanelType(name: "T", width_mm: 250.0, height_mm: 250.0, pixels: (16, 16))],
  sections: [
    (name: "A", panel_type: "T",
     shape: Arc(centre: (0.0, 0.0), radius: 2.0, start_deg: -30.0, columns: 8, rows: 4, bottom: 0.25),
     placement: Auto(outputs: ["o1"])),
    (name: "F", panel_type: "T",
     shape: Flat(columns: 4, rows: 4, position: (2.2, 0.25, -1.0), anchor: BottomLeft, rotation: PanTiltRoll(-60.0, 0.0, 0.0)),
     placement: Auto(outputs: ["o2"], rotation: 90, mirror: true)),
    (name: "C", panel_type: "T",
     shape: Flat(columns: 4, rows: 4, position: (0.0, 1.5, -1.0), anchor: Centre, rotation: PanTiltRoll(0.0, 90.0, 0.0)),
     placement: Auto(outputs: ["o2"], origin: (0, 64), rotation: 180)),
  ],
  outputs: [Output(name: "o1", width: 128, height: 64), Output(name: "o2", width: 128, height: 128)],
  cameras: [Camera(name: "A", position: (0.2, 1.0, 0.3), rotation: PanTiltRoll(10.0, 12.0, 8.0),
    lens: Lens(focal_length_mm: 24.0, sensor_mm: (36.0, 24.0), shift_mm: (2.0, -1.5), entrance_pupil_m: 0.15),
    inner: Inner(resolution: (192, 128), overscan: Uniform(0.1), soft_edge: 0.0))],
  render: Render(outer_viewpoint: Fixed(-0.3, 1.6, 0.6), outer_resolution: 128),
)
"#;

/// Every LED pixel inside the inner frustum shows the direction from the entrance pupil; every one
/// outside shows the direction from the outer viewpoint. Flat, arc and ceiling sections; pan, tilt,
/// roll, principal shift, entrance-pupil offset; rotated and mirrored tile placements.
#[test]
fn every_led_pixel_shows_the_right_viewpoint() {
    let gpu = gpu();
    let stage = Stage::from_ron(VIEWPOINT_STAGE, "viewpoint.ron").unwrap();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        camera_width: None,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let yaw = 90.0;
    let scenes = [
        direction_environment(&gpu, &renderer),
        direction_environment_yawed(&gpu, &renderer, yaw),
    ];
    let poses = [
        Overrides::default(),
        Overrides {
            camera_rotation: Some((20.0, -10.0, 5.0)),
            ..Default::default()
        },
        Overrides {
            camera_rotation: Some((-15.0, 40.0, -20.0)),
            ..Default::default()
        },
        Overrides {
            camera_rotation: Some((-55.0, -5.0, 30.0)),
            camera_position: Some(DVec3::new(-0.4, 1.2, 0.0)),
            ..Default::default()
        },
    ];
    // (inside, outside) counts per section.
    let mut counts = vec![(0usize, 0usize); stage.sections.len()];
    let tolerance = 0.01; // radians
    for (k, overrides) in poses.iter().enumerate() {
        // The second pose renders the environment turned by `yaw`.
        let yawed = k == 1;
        let turn = glam::DQuat::from_rotation_y(if yawed { -yaw } else { 0.0 }.to_radians());
        let inputs = FrameInputs::resolve(&stage, overrides).unwrap();
        renderer.prepare(&gpu, &inputs).unwrap();
        let frame = renderer
            .render_frame(&gpu, &scenes[usize::from(yawed)])
            .unwrap();
        let mut used = vec![vec![false; 128 * 128]; stage.outputs.len()];
        for p in &stage.panels {
            let img = &frame.outputs[p.placement.output].1;
            for j in 0..p.pixels.y {
                for i in 0..p.pixels.x {
                    let o = p.placement.output_pixel(i, j);
                    used[p.placement.output][(o.y * img.width as i32 + o.x) as usize] = true;
                    let world = p.pixel_centre(i, j);
                    let got = decode_direction(img.linear(o.x as u32, o.y as u32));
                    let margin = 0.01;
                    let (expected, inside) = match inputs.inner_uv(world) {
                        Some(uv)
                            if uv.min_element() > margin && uv.max_element() < 1.0 - margin =>
                        {
                            ((world - inputs.eye).normalize(), true)
                        }
                        Some(uv)
                            if uv.min_element() > -margin && uv.max_element() < 1.0 + margin =>
                        {
                            continue;
                        }
                        _ => ((world - inputs.outer_viewpoint).normalize(), false),
                    };
                    let expected = turn * expected;
                    let angle = got.angle_between(expected);
                    assert!(
                        angle < tolerance,
                        "{} LED ({i}, {j}) at {world} ({}) shows {got}, expected {expected} ({angle} rad off), pose {overrides:?}",
                        p.id,
                        if inside { "inside" } else { "outside" }
                    );
                    let c = &mut counts[p.section];
                    if inside {
                        c.0 += 1;
                    } else {
                        c.1 += 1;
                    }
                }
            }
        }
        // Unused output pixels stay black.
        for (k, (_, img)) in frame.outputs.iter().enumerate() {
            for y in 0..img.height {
                for x in 0..img.width {
                    if !used[k][(y * img.width + x) as usize] {
                        let c = img.linear(x, y);
                        assert_eq!(
                            &c[..3],
                            &[0.0, 0.0, 0.0],
                            "unused pixel ({x}, {y}) of output {k}"
                        );
                    }
                }
            }
        }
    }
    for (s, (inside, outside)) in stage.sections.iter().zip(&counts) {
        assert!(
            *inside > 100 && *outside > 100,
            "section {} was not tested on both sides: {inside} inside, {outside} outside",
            s.name
        );
    }
}

const FLAT_STAGE: &str = r#"
Stage(
  name: "Through-camera test", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (64, 64))],
  sections: [
    (name: "W", panel_type: "P",
     shape: Flat(columns: 10, rows: 7, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["wall"])),
  ],
  outputs: [Output(name: "wall", width: 640, height: 448)],
  cameras: [Camera(name: "A", position: (0.1, 1.5, 0.0), rotation: PanTiltRoll(5.0, 3.0, 2.0),
    lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0), shift_mm: (0.5, 0.3), entrance_pupil_m: 0.1),
    inner: Inner(resolution: (384, 256), overscan: Uniform(0.15), soft_edge: 0.05))],
  render: Render(outer_viewpoint: Fixed(0.0, 1.7, 1.0), outer_resolution: 64),
)
"#;

fn psnr_through_camera(test_scene: bool) -> f64 {
    let gpu = gpu();
    let stage = Stage::from_ron(FLAT_STAGE, "flat.ron").unwrap();
    let options = RendererOptions {
        wall: false,
        camera_width: Some(192),
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let mut scene = direction_environment(&gpu, &renderer);
    if test_scene {
        scene.parts.push(Box::new(parallax::scene::TestScene::new(
            &renderer.scene_context(&gpu),
        )));
    }
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let through = frame.camera.unwrap().to_rgba8();
    let direct = renderer.reference_view(&gpu, &scene).unwrap().to_rgba8();
    assert_eq!(through.dimensions(), (192, 128));
    let c = compare(&direct, &through, &Tolerance::default()).unwrap();
    eprintln!(
        "through-camera vs direct (test scene: {test_scene}): {}",
        c.summary()
    );
    c.psnr_db
}

/// The wall seen through the simulated pinhole camera equals a direct render of the scene from the
/// camera (the whole camera frame lies inside the inner frustum).
#[test]
fn wall_through_the_camera_matches_a_direct_render() {
    let smooth = psnr_through_camera(false);
    assert!(smooth >= 35.0, "PSNR {smooth:.1} dB < 35 dB");
    let boxes = psnr_through_camera(true);
    assert!(
        boxes >= 25.0,
        "PSNR with the test scene {boxes:.1} dB < 25 dB"
    );
}

/// An sRGB texel reaches the LED output with the same code value (+-2).
#[test]
fn colour_path_is_neutral() {
    let gpu = gpu();
    let stage = stage_file("tiny.ron");
    let options = RendererOptions {
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    for rgb in [
        [200u8, 100, 30],
        [1, 128, 254],
        [17, 17, 17],
        [255, 255, 255],
        [90, 180, 5],
    ] {
        let img = image::RgbaImage::from_pixel(64, 32, image::Rgba([rgb[0], rgb[1], rgb[2], 255]));
        let env = Environment::from_image(
            &renderer.scene_context(&gpu),
            &image::DynamicImage::ImageRgba8(img),
            0.0,
        )
        .unwrap();
        let scene = SceneList {
            parts: vec![Box::new(env)],
        };
        let frame = renderer.render_frame(&gpu, &scene).unwrap();
        let out = frame.outputs[0].1.to_rgba8();
        for p in &stage.panels {
            for j in 0..p.pixels.y {
                for i in 0..p.pixels.x {
                    let o = p.placement.output_pixel(i, j);
                    let c = out.get_pixel(o.x as u32, o.y as u32);
                    for k in 0..3 {
                        assert!(
                            c[k].abs_diff(rgb[k]) <= 2,
                            "{rgb:?} became {c:?} at {}",
                            p.id
                        );
                    }
                }
            }
        }
    }
}

/// An inner frustum over the adapter's texture limit is a clear error, not a crash.
#[test]
fn over_limit_targets_are_errors() {
    let gpu = gpu();
    let stage = stage_file("tiny.ron");
    let mut renderer = Renderer::new(&gpu, &stage, RendererOptions::default()).unwrap();
    let limit = gpu.device.limits().max_texture_dimension_2d;
    let o = Overrides {
        inner_resolution: Some((limit + 1, 16)),
        ..Default::default()
    };
    let inputs = FrameInputs::resolve(&stage, &o).unwrap();
    let err = renderer.prepare(&gpu, &inputs).unwrap_err().to_string();
    assert!(
        err.contains("inner frustum") && err.contains(&limit.to_string()),
        "{err}"
    );
}

// ---- Golden images ----

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn update_requested(name: &str) -> bool {
    std::env::var("UPDATE_GOLDEN")
        .map(|v| v.split(',').any(|n| n.trim() == "all" || n.trim() == name))
        .unwrap_or(false)
}

/// Compares `actual` with `tests/golden/<name>.png`; `UPDATE_GOLDEN=all|name,...` rewrites it.
fn check_golden(name: &str, actual: &ReadImage) {
    let actual = actual.to_rgba8();
    let path = golden_dir().join(format!("{name}.png"));
    if update_requested(name) {
        parallax::io::write_png(&path, &actual).unwrap();
        eprintln!("updated {}", path.display());
        return;
    }
    let failures = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/golden-failures");
    let expected = match image::open(&path) {
        Ok(i) => i.to_rgba8(),
        Err(e) => {
            let written = parallax::compare::write_failure(&failures, name, &actual, None).unwrap();
            panic!(
                "missing golden {} ({e}); actual image written to {}; run with UPDATE_GOLDEN={name} to create it",
                path.display(),
                written[0].display()
            );
        }
    };
    let tol = Tolerance::default();
    let c = match compare(&expected, &actual, &tol) {
        Ok(c) => c,
        Err(e) => {
            let written = parallax::compare::write_failure(&failures, name, &actual, None).unwrap();
            panic!(
                "golden {name}: {e}; actual written to {}",
                written[0].display()
            );
        }
    };
    if !c.passes(&tol) {
        let written =
            parallax::compare::write_failure(&failures, name, &actual, Some(&c.diff)).unwrap();
        panic!(
            "golden {name} differs: {}\n  actual: {}\n  diff:   {}\n  (UPDATE_GOLDEN={name} to accept)",
            c.summary(),
            written[0].display(),
            written[1].display()
        );
    }
}

#[test]
fn golden_tiny_outputs_and_wall() {
    let gpu = gpu();
    let stage = stage_file("tiny.ron");
    let mut renderer = Renderer::new(&gpu, &stage, RendererOptions::default()).unwrap();
    let inputs = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let scene = parallax::scene::build(
        &renderer.scene_context(&gpu),
        &SceneSpec {
            test_scene: true,
            ..Default::default()
        },
    )
    .unwrap();
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    check_golden("tiny_main", &frame.outputs[0].1);
    check_golden("tiny_wall", frame.wall.as_ref().unwrap());
}

#[test]
fn golden_demo_camera_view() {
    let gpu = gpu();
    let stage = stage_file("demo.ron");
    let options = RendererOptions {
        wall: false,
        camera_width: Some(240),
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let o = Overrides {
        camera_position: Some(DVec3::new(0.3, 1.4, 0.8)),
        camera_rotation: Some((8.0, 6.0, 0.0)),
        inner_resolution: Some((320, 214)),
        outer_resolution: Some(96),
        ..Default::default()
    };
    let inputs = FrameInputs::resolve(&stage, &o).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let scene = parallax::scene::build(
        &renderer.scene_context(&gpu),
        &SceneSpec {
            test_scene: true,
            ..Default::default()
        },
    )
    .unwrap();
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let camera = frame.camera.unwrap();
    assert_eq!(
        UVec2::new(camera.width, camera.height),
        UVec2::new(240, 160)
    );
    check_golden("demo_camera", &camera);
}

/// The simulated camera applies the lens: with barrel distortion, the sensor pixel at distorted
/// tangent `t` shows the wall where the undistorted ray `undistort(t)` from the entrance pupil meets
/// it, and (with auto overscan) that part of the wall shows the inner frustum.
#[test]
fn camera_view_applies_the_lens_distortion() {
    let gpu = gpu();
    let text = FLAT_STAGE
        .replace(
            "entrance_pupil_m: 0.1)",
            "entrance_pupil_m: 0.1, distortion: (k1: -0.2, k2: 0.03, p1: 0.002))",
        )
        .replace(
            "overscan: Uniform(0.15), soft_edge: 0.05",
            "overscan: Auto(margin: 0.15), soft_edge: 0.05",
        );
    let stage = Stage::from_ron(&text, "distorted.ron").unwrap();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera_width: Some(96),
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
    assert!(!inputs.lens.distortion.is_identity());
    renderer.prepare(&gpu, &inputs).unwrap();
    let scene = direction_environment(&gpu, &renderer);
    let camera = renderer.render_frame(&gpu, &scene).unwrap().camera.unwrap();
    let f = inputs.frame_tangents;
    let mut worst: f64 = 0.0;
    let mut pinhole_worst: f64 = 0.0;
    for y in 0..camera.height {
        for x in 0..camera.width {
            let s = glam::DVec2::new(
                (x as f64 + 0.5) / camera.width as f64,
                (y as f64 + 0.5) / camera.height as f64,
            );
            let t = glam::DVec2::new(f.left + s.x * f.width(), f.top - s.y * f.height());
            let u = inputs.lens.distortion.undistort_tangent(t).unwrap();
            let expected = inputs.pose.rotation * DVec3::new(u.x, u.y, -1.0).normalize();
            let pinhole = inputs.pose.rotation * DVec3::new(t.x, t.y, -1.0).normalize();
            let got = decode_direction(camera.linear(x, y));
            worst = worst.max(got.angle_between(expected));
            pinhole_worst = pinhole_worst.max(got.angle_between(pinhole));
        }
    }
    assert!(
        worst < 0.01,
        "camera pixels are up to {worst} rad off the distorted rays"
    );
    // The distortion is large enough that ignoring it would fail.
    assert!(pinhole_worst > 0.03, "{pinhole_worst}");
}

/// `parallax render STAGE --out DIR` writes every file, and the JSON files follow the contract.
#[test]
fn render_command_writes_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let stage = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args([
            "render",
            stage.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .args([
            "--camera-position",
            "0.1,1.1,0.4",
            "--camera-rotation",
            "-5,2,1",
            "--focal-length",
            "28",
        ])
        .args([
            "--sensor",
            "24x16",
            "--overscan",
            "0.2",
            "--soft-edge",
            "0.04",
        ])
        .args([
            "--outer-viewpoint",
            "0,1.5,0",
            "--inner-resolution",
            "64x40",
            "--outer-resolution",
            "24",
        ])
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "main.png",
        "wall.png",
        "camera.png",
        "pixel-map.json",
        "frame.json",
    ] {
        assert!(dir.path().join(f).is_file(), "missing {f}");
    }
    let main = image::open(dir.path().join("main.png")).unwrap();
    assert_eq!((main.width(), main.height()), (128, 64));
    let frame: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("frame.json")).unwrap()).unwrap();
    assert_eq!(frame["format"], "parallax-frame");
    let cam = &frame["cameras"][0];
    assert_eq!(cam["focal_length_mm"], 28.0);
    assert_eq!(cam["overscan"], 0.2);
    assert_eq!(
        frame["outer"]["viewpoint"],
        serde_json::json!([0.0, 1.5, 0.0])
    );
    let map: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("pixel-map.json")).unwrap()).unwrap();
    assert_eq!(map["format"], "parallax-pixel-map");
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")),
        "{names:?}"
    );
}

/// HDR environments stay linear floats all the way (values above 1 survive in a float output), and
/// an inner-frustum border shows its colour at the frustum's edge.
#[test]
fn hdr_environment_and_border() {
    let gpu = gpu();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("env.exr");
    image::Rgb32FImage::from_pixel(16, 8, image::Rgb([0.25f32, 0.5, 2.0]))
        .save(&path)
        .unwrap();
    let mut stage = stage_file("tiny.ron");
    stage.cameras[0].inner.border = Some((0.1, (1.0, 0.0, 0.0)));
    stage.cameras[0].inner.soft_edge = 0.0;
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        camera_width: None,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    // Turn left so that the frustum's right edge (and its border) crosses the wall.
    let o = Overrides {
        camera_rotation: Some((25.0, 0.0, 0.0)),
        ..Default::default()
    };
    let inputs = FrameInputs::resolve(&stage, &o).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let spec = SceneSpec {
        environment: Some(path),
        ..Default::default()
    };
    let scene = parallax::scene::build(&renderer.scene_context(&gpu), &spec).unwrap();
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let img = &frame.outputs[0].1;
    let (mut border, mut env) = (0, 0);
    for p in &stage.panels {
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let o = p.placement.output_pixel(i, j);
                let c = img.linear(o.x as u32, o.y as u32);
                let uv = inputs.inner_uv(p.pixel_centre(i, j));
                let edge = uv.map(|uv| uv.x.min(1.0 - uv.x).min(uv.y).min(1.0 - uv.y));
                match edge {
                    Some(e) if e > 0.005 && e < 0.095 => {
                        assert_eq!(&c[..3], &[1.0, 0.0, 0.0], "border at {}", p.id);
                        border += 1;
                    }
                    Some(e) if e > -0.005 && e < 0.105 => {}
                    _ => {
                        for (k, v) in [0.25f32, 0.5, 2.0].iter().enumerate() {
                            assert!((c[k] - v).abs() < 0.01 * v, "{c:?} at {}", p.id);
                        }
                        env += 1;
                    }
                }
            }
        }
    }
    assert!(
        border > 50 && env > 50,
        "{border} border, {env} environment pixels"
    );
}
