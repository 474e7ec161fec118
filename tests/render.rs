//! GPU tests of the headless frame, on whatever adapter exists (Mesa's lavapipe in CI). No adapter is a
//! failure that says how to get one.

use std::path::Path;

use glam::DVec3;
use parallax::gpu::Gpu;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::{Environment, SceneList, SceneSpec};
use parallax::stage::Stage;

#[path = "render/blend.rs"]
mod blend;
#[path = "render/camera_light.rs"]
mod camera_light;
#[path = "render/camera_view.rs"]
mod camera_view;
#[path = "render/cameras.rs"]
mod cameras;
#[path = "render/cards.rs"]
mod cards;
#[path = "render/chroma.rs"]
mod chroma;
#[path = "render/ciede2000.rs"]
mod ciede2000;
#[path = "render/colour.rs"]
mod colour;
#[path = "render/colour_probe.rs"]
mod colour_probe;
#[path = "render/colour_sections.rs"]
mod colour_sections;
#[path = "render/command.rs"]
mod command;
#[path = "render/environment16.rs"]
mod environment16;
#[path = "render/frozen.rs"]
mod frozen;
#[path = "render/gltf.rs"]
mod gltf;
#[path = "render/gltf_lights.rs"]
mod gltf_lights;
#[path = "render/gltf_shading.rs"]
mod gltf_shading;
#[path = "support/gltf_writer.rs"]
mod gltf_writer;
#[path = "render/live.rs"]
mod live;
#[path = "render/passes.rs"]
mod passes;
#[path = "render/sampling.rs"]
mod sampling;
#[path = "render/tracked.rs"]
mod tracked;

// The flat wall of the camera-view tests, also used by `tracked.rs` and `sampling.rs`.
use camera_view::FLAT_STAGE;

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
        camera_supersample: 1,
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
        let inputs = FrameInputs::at_rest(&stage, overrides).unwrap();
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
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
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
        // A pixel budget of (limit + 1)^2 texels on a 3:2 frustum: wider than the limit.
        inner_resolution: Some((limit + 1, limit + 1)),
        ..Default::default()
    };
    let inputs = FrameInputs::at_rest(&stage, &o).unwrap();
    let err = renderer.prepare(&gpu, &inputs).unwrap_err().to_string();
    assert!(
        err.contains("inner frustum") && err.contains(&limit.to_string()),
        "{err}"
    );
}

// ---- Properties that need no reference image ----

/// The unwrapped wall and the outputs are two maps of the same LED pixels: every cabinet's LED pixel
/// `(i, j)` has the same colour in `wall.png` (unrotated, at the wall layout's origin) and in its
/// output (at `origin + i * step_col + j * step_row`), and output pixels no cabinet uses are black.
#[test]
fn the_wall_and_the_outputs_show_the_same_led_pixels() {
    let gpu = gpu();
    wall_matches_outputs(&gpu, &stage_file("tiny.ron"));
}

/// A wall wider than the adapter's texture limit (a flat row of 160 x 8 px cabinets, 3 wider than
/// the limit, over outputs of 100 cabinets) is rendered in tiles and stitched: `wall.png` is as wide as the
/// wall and every LED pixel in it equals the same LED pixel in its output.
#[test]
fn a_wall_wider_than_the_texture_limit_is_rendered_in_tiles() {
    let gpu = gpu();
    let limit = gpu.device.limits().max_texture_dimension_2d;
    let columns = limit / 160 + 3;
    // Outputs of at most 100 cabinets (16,000 px), within every adapter's limit.
    let n = columns.div_ceil(100);
    let names: Vec<String> = (1..=n).map(|k| format!("\"o{k}\"")).collect();
    let outputs: Vec<String> = (1..=n)
        .map(|k| format!("Output(name: \"o{k}\", width: 16000, height: 8)"))
        .collect();
    let text = format!(
        r#"Stage(name: "long", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 25.0, pixels: (160, 8))],
  sections: [(name: "W", panel_type: "P",
    shape: Flat(columns: {columns}, rows: 1, position: (0.0, 1.5, -3.0), anchor: Centre),
    placement: Auto(outputs: [{names}]))],
  outputs: [{outputs}],
  cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0), inner: Inner(resolution: (480, 320)))],
  render: Render(outer_resolution: 128))"#,
        names = names.join(", "),
        outputs = outputs.join(", ")
    );
    let stage = Stage::from_ron(&text, "long.ron").unwrap();
    let width = wall_matches_outputs(&gpu, &stage);
    assert_eq!(width, columns * 160);
    assert!(width > limit, "{width} px is wider than the limit {limit}");
}

/// Renders `stage` with the wall and checks that every cabinet's LED pixel has the same colour in
/// the wall image and in its output, that the wall is lit and that unused output pixels are black.
/// Returns the wall image's width.
fn wall_matches_outputs(gpu: &Gpu, stage: &Stage) -> u32 {
    let mut renderer = Renderer::new(gpu, stage, RendererOptions::default()).unwrap();
    let inputs = FrameInputs::at_rest(stage, &Overrides::default()).unwrap();
    renderer.prepare(gpu, &inputs).unwrap();
    let scene = parallax::scene::build(
        &renderer.scene_context(gpu),
        &SceneSpec {
            test_scene: true,
            ..Default::default()
        },
    )
    .unwrap();
    let frame = renderer.render_frame(gpu, &scene).unwrap();
    let wall = frame.wall.as_ref().unwrap().to_rgba8();
    let layout =
        parallax::render::layout::wall_layout(stage, gpu.device.limits().max_texture_dimension_2d);
    let mut used = std::collections::HashSet::new();
    let mut worst = 0i32;
    let mut lit = 0usize;
    for (p, origin) in stage.panels.iter().zip(&layout.origins) {
        let out = frame.outputs[p.placement.output].1.to_rgba8();
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let w = wall.get_pixel((origin.x + i as i32) as u32, (origin.y + j as i32) as u32);
                let o = p.placement.origin
                    + p.placement.step_col * i as i32
                    + p.placement.step_row * j as i32;
                used.insert((p.placement.output, o.x, o.y));
                let q = out.get_pixel(o.x as u32, o.y as u32);
                for c in 0..3 {
                    worst = worst.max((w[c] as i32 - q[c] as i32).abs());
                }
                lit += (w[0] as u32 + w[1] as u32 + w[2] as u32 > 30) as usize;
            }
        }
    }
    // The same LED pixel position, rasterised in a rotated quad: f32 rounding only.
    assert!(worst <= 1, "wall and output differ by {worst} code values");
    assert!(
        lit > stage.pixel_count() as usize / 2,
        "the wall is lit ({lit} pixels)"
    );
    for (k, (_, img)) in frame.outputs.iter().enumerate() {
        let img = img.to_rgba8();
        for (x, y, px) in img.enumerate_pixels() {
            if !used.contains(&(k, x as i32, y as i32)) {
                assert_eq!(
                    &px.0[..3],
                    &[0, 0, 0],
                    "unused output pixel ({x}, {y}) is black"
                );
            }
        }
    }
    wall.width()
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
    stage.cameras[0].inner.border = Some(parallax::stage::Border {
        width: 0.1,
        colour: [1.0, 0.0, 0.0],
    });
    stage.cameras[0].inner.soft_edge = 0.0;
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        camera_width: None,
        camera_supersample: 1,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    // Turn left so that the frustum's right edge (and its border) crosses the wall.
    let o = Overrides {
        camera_rotation: Some((25.0, 0.0, 0.0)),
        ..Default::default()
    };
    let inputs = FrameInputs::at_rest(&stage, &o).unwrap();
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
