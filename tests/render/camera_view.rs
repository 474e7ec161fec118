//! The simulated camera's view of the lit wall (`parallax::render::camera_view`): through the
//! pinhole it matches a direct render of the scene, a wall seen from behind is dark, and the lens
//! distortion (and its inverse, on the GPU) is applied. What the LEDs' light is for each output
//! encoding: `camera_light.rs`.

use glam::DVec3;
use parallax::camera::Distortion;
use parallax::compare::{Tolerance, compare};
use parallax::gpu::Gpu;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::SceneSpec;
use parallax::stage::Stage;

use super::{decode_direction, direction_environment, gpu, stage_file};

pub(super) const FLAT_STAGE: &str = r#"
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

pub(super) fn psnr_through_camera(stage_text: &str, test_scene: bool, supersample: u32) -> f64 {
    let gpu = gpu();
    let stage = Stage::from_ron(stage_text, "flat.ron").unwrap();
    let options = RendererOptions {
        wall: false,
        camera_width: Some(192),
        camera_supersample: supersample,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let mut scene = direction_environment(&gpu, &renderer);
    if test_scene {
        scene.parts.push(Box::new(parallax::scene::TestScene::new(
            &renderer.scene_context(&gpu),
            1.0,
        )));
    }
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let through = frame.camera.unwrap().to_rgba8();
    let direct = renderer.reference_view(&gpu, &scene).unwrap().to_rgba8();
    assert_eq!(through.dimensions(), (192, 128));
    let c = compare(&direct, &through, &Tolerance::default()).unwrap();
    eprintln!(
        "through-camera vs direct (test scene: {test_scene}, supersample {supersample}): {}",
        c.summary()
    );
    c.psnr_db
}

/// [`FLAT_STAGE`] with a fine-pitch wall (2.6 mm LEDs, 0.16 camera pixels) and an inner render of
/// the same density (1536 x 1024, 2.3 mm on the wall).
fn fine_flat_stage() -> String {
    FLAT_STAGE
        .replace("pixels: (64, 64)", "pixels: (192, 192)")
        .replace("width: 640, height: 448", "width: 1920, height: 1344")
        .replace("resolution: (384, 256)", "resolution: (1536, 1024)")
}

/// The wall seen through the simulated pinhole camera equals a direct render of the scene from the
/// camera (the whole camera frame lies inside the inner frustum, soft edge included), both through
/// the same supersampled lens pass (3 x 3 sub-samples per camera pixel).
///
/// Figures on lavapipe (192 x 128 camera pixels, the wall 3 m away, 16 mm of wall per camera pixel):
/// - smooth direction-coded environment: 57.6 dB (8-bit rounding alone allows about 59 dB);
/// - the box scene on the coarse wall (7.8 mm LEDs = 0.49 camera pixels, inner texels 9.2 mm =
///   0.58 camera pixels): 37.0 dB with 3 x 3 sub-samples (32.7 dB without, 37.5 dB with 4 x 4). What
///   remains is at the boxes' edges: the wall shows each edge as a staircase of LED pixels (and of
///   inner texels) half a camera pixel high, which no supersampling of the camera undoes;
/// - the same box scene on a fine-pitch wall (2.6 mm LEDs, inner texels 2.3 mm): 42.6 dB.
#[test]
fn wall_through_the_camera_matches_a_direct_render() {
    let smooth = psnr_through_camera(FLAT_STAGE, false, 3);
    assert!(smooth >= 50.0, "PSNR {smooth:.1} dB < 50 dB");
    let coarse = psnr_through_camera(FLAT_STAGE, true, 3);
    assert!(
        coarse >= 36.0,
        "PSNR with the box scene on the coarse wall {coarse:.1} dB < 36 dB"
    );
    let unfiltered = psnr_through_camera(FLAT_STAGE, true, 1);
    assert!(
        coarse >= unfiltered + 3.0,
        "supersampling gains too little: {unfiltered:.1} -> {coarse:.1} dB"
    );
    let fine = psnr_through_camera(&fine_flat_stage(), true, 3);
    assert!(
        fine >= 40.0,
        "PSNR with the box scene on the fine-pitch wall {fine:.1} dB < 40 dB"
    );
}

/// LEDs emit forwards: a wall turned to face away from the camera (pan 180) is dark in the
/// simulated camera view where the same wall facing the camera is lit.
#[test]
fn a_wall_seen_from_behind_is_dark_in_the_camera_view() {
    let gpu = gpu();
    let centre_of_view = |pan: f64| {
        let text = format!(
            r#"Stage(name: "back", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
    shape: Flat(columns: 8, rows: 6, position: (0.0, 1.5, -3.0), anchor: Centre,
                rotation: PanTiltRoll({pan}, 0.0, 0.0)),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 256, height: 192)],
  cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0),
    lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0)),
    inner: Inner(resolution: (240, 160)))],
  render: Render(outer_viewpoint: Fixed(0.0, 1.5, 1.0), outer_resolution: 64))"#
        );
        let stage = Stage::from_ron(&text, "back.ron").unwrap();
        let options = RendererOptions {
            camera_width: Some(96),
            ..Default::default()
        };
        let mut r = Renderer::new(&gpu, &stage, options).unwrap();
        let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
        r.prepare(&gpu, &inputs).unwrap();
        let scene = parallax::scene::build(&r.scene_context(&gpu), &SceneSpec::default()).unwrap();
        let camera = r
            .render_frame(&gpu, &scene)
            .unwrap()
            .camera
            .unwrap()
            .to_rgba8();
        // The 35 mm frame sees +-1.54 m of the 4 x 3 m wall at 3 m: the centre 16 x 16 pixels are
        // all wall.
        let (cx, cy) = (camera.width() / 2, camera.height() / 2);
        let mut sum = 0u64;
        for y in cy - 8..cy + 8 {
            for x in cx - 8..cx + 8 {
                let p = camera.get_pixel(x, y);
                sum += (p[0] as u64 + p[1] as u64 + p[2] as u64) / 3;
            }
        }
        sum / 256
    };
    let facing = centre_of_view(0.0);
    let away = centre_of_view(180.0);
    assert!(
        facing > 40,
        "the wall facing the camera is lit: mean {facing}"
    );
    assert_eq!(away, 0, "the wall seen from behind is dark");
}

/// The demo's simulated camera at an off-centre pose equals a direct render of the scene from that
/// camera (an independent render: no wall, no mapping) wherever the camera sees the wall (the whole
/// picture lies inside the inner frustum; beyond the wall's edges the camera view is black).
#[test]
fn demo_camera_view_matches_a_direct_render() {
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
        inner_resolution: Some((480, 320)),
        outer_resolution: Some(96),
        ..Default::default()
    };
    let inputs = FrameInputs::at_rest(&stage, &o).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    // The direction-coded sky is never black (every channel is d * 0.5 + 0.5 > 0 off the axes).
    let scene = direction_environment(&gpu, &renderer);
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let camera = frame.camera.unwrap().to_rgba8();
    assert_eq!(camera.dimensions(), (240, 160));
    let direct = renderer.reference_view(&gpu, &scene).unwrap().to_rgba8();
    // Pixels where the wall is seen, away from its edges (a 1-pixel margin).
    let seen = |x: u32, y: u32| camera.get_pixel(x, y).0[..3].iter().any(|&c| c > 0);
    let (mut sq, mut n) = (0.0f64, 0usize);
    for y in 1..159 {
        for x in 1..239 {
            if (x - 1..=x + 1).all(|a| (y - 1..=y + 1).all(|b| seen(a, b))) {
                for c in 0..3 {
                    let d = camera.get_pixel(x, y).0[c] as f64 - direct.get_pixel(x, y).0[c] as f64;
                    sq += d * d;
                }
                n += 3;
            }
        }
    }
    assert!(
        n > 240 * 160 * 3 / 2,
        "the wall fills most of the picture ({n} samples)"
    );
    let psnr = 10.0 * (255.0f64 * 255.0 / (sq / n as f64)).log10();
    eprintln!("demo camera vs direct where the wall is seen: PSNR {psnr:.1} dB");
    assert!(psnr >= 35.0, "PSNR {psnr:.1} dB");
}

/// The simulated camera applies the lens: with barrel distortion, the sensor pixel at distorted
/// tangent `t` shows the wall where the undistorted ray `undistort(t)` from the entrance pupil meets
/// it, and (with auto overscan) that part of the wall shows the inner frustum. Within 0.005 rad
/// (measured 0.0022 on lavapipe: the direction-coded environment's texels are 0.006 rad).
#[test]
fn camera_view_applies_the_lens_distortion() {
    camera_view_applies(
        "distortion: (k1: -0.2, k2: 0.03, p1: 0.002)",
        "focal_length_mm: 35.0",
    );
    // The strong barrel lens of the inverse tests (at 35 mm the whole picture stays on the wall).
    camera_view_applies(
        "distortion: (k1: -0.35, k2: 0.12, k3: -0.02, p1: 0.002, p2: -0.002)",
        "focal_length_mm: 35.0",
    );
}

fn camera_view_applies(distortion: &str, focal_length: &str) {
    let gpu = gpu();
    let text = FLAT_STAGE
        .replace(
            "entrance_pupil_m: 0.1)",
            &format!("entrance_pupil_m: 0.1, {distortion})"),
        )
        .replace("focal_length_mm: 35.0", focal_length)
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
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
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
    eprintln!("{distortion}: worst {worst} rad, pinhole {pinhole_worst} rad");
    assert!(
        worst < 0.005,
        "camera pixels are up to {worst} rad off the distorted rays"
    );
    // The distortion is large enough that ignoring it would fail.
    assert!(pinhole_worst > 0.03, "{pinhole_worst}");
}

/// A compute entry point appended to `shaders/lens_warp.wgsl`: runs its `undistort_cv` (the
/// function the lens pass runs) on a list of points.
const INVERSE_PROBE: &str = r#"
struct InverseProbeLens {
    k: vec4<f32>,
    p2_centre: vec4<f32>,
}
@group(0) @binding(10) var<uniform> probe_lens: InverseProbeLens;
@group(0) @binding(11) var<storage, read> probe_points: array<vec2<f32>>;
@group(0) @binding(12) var<storage, read_write> probe_out: array<vec4<f32>>;

@compute @workgroup_size(64)
fn probe_main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= arrayLength(&probe_points)) {
        return;
    }
    probe_out[id.x] = vec4<f32>(undistort_cv(probe_points[id.x], probe_lens.k, probe_lens.p2_centre.x, probe_lens.p2_centre.yz), 0.0);
}
"#;

/// The WGSL lens inverse on the GPU: `(x, y, converged)` per distorted point (OpenCV's frame).
fn gpu_undistort(gpu: &Gpu, d: &Distortion, points: &[[f32; 2]]) -> Vec<[f32; 4]> {
    use wgpu::util::DeviceExt;
    let device = &gpu.device;
    let source =
        parallax::render::shaders::source(parallax::render::shaders::LENS_WARP) + INVERSE_PROBE;
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("lens inverse probe"),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("lens inverse probe"),
        layout: None,
        module: &module,
        entry_point: Some("probe_main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let lens: [f32; 8] = [
        d.k1 as f32,
        d.k2 as f32,
        d.k3 as f32,
        d.p1 as f32,
        d.p2 as f32,
        d.centre[0] as f32,
        d.centre[1] as f32,
        0.0,
    ];
    let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("probe lens"),
        contents: bytemuck::cast_slice(&lens),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let input = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("probe points"),
        contents: bytemuck::cast_slice(points),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let size = (points.len() * 16) as u64;
    let output = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("probe results"),
        size,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("probe readback"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("probe bind group"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry {
                binding: 10,
                resource: uniform.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 11,
                resource: input.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 12,
                resource: output.as_entire_binding(),
            },
        ],
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups((points.len() as u32).div_ceil(64), 1, 1);
    }
    encoder.copy_buffer_to_buffer(&output, 0, &staging, 0, size);
    gpu.queue.submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| tx.send(r).unwrap());
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    rx.recv().unwrap().unwrap();
    let data = staging.get_mapped_range(..).unwrap();
    bytemuck::cast_slice::<u8, [f32; 4]>(&data).to_vec()
}

/// The GPU's lens inverse (WGSL, f32) agrees with the CPU's (Rust, f64) within 3e-5 tangent units
/// over the frame of a wide lens (36 x 24 mm at 28 mm, corners included) for strong barrel lenses
/// (every sign of p1, p2) and a pincushion lens; both fail beyond the barrel lenses' fold (the
/// corners of the same sensor at 18 mm), and both succeed there for the pincushion lens.
#[test]
fn gpu_lens_inverse_matches_the_cpu_at_the_frame_corners() {
    let gpu = gpu();
    let mut lenses = Vec::new();
    for p1 in [-0.002, 0.002] {
        for p2 in [-0.002, 0.002] {
            lenses.push(Distortion {
                k1: -0.35,
                k2: 0.12,
                k3: -0.02,
                p1,
                p2,
                ..Default::default()
            });
        }
    }
    lenses.push(Distortion {
        k1: 0.25,
        k2: 0.08,
        k3: 0.01,
        p1: 0.002,
        p2: -0.002,
        ..Default::default()
    });
    // A pincushion lens with its distortion centre off the axis (an OpenLensIO distortionOffset).
    lenses.push(Distortion {
        k1: 0.2,
        k2: 0.05,
        centre: [0.05, -0.03],
        ..Default::default()
    });
    let (hw, hh) = (18.0 / 28.0, 12.0 / 28.0);
    let mut points = Vec::new();
    let n = 48;
    for j in 0..=n {
        for i in 0..=n {
            let x = -hw + 2.0 * hw * i as f64 / n as f64;
            let y = -hh + 2.0 * hh * j as f64 / n as f64;
            points.push([x as f32, y as f32]);
        }
    }
    // Corners of the same sensor at 18 mm: beyond the barrel lenses' fold (distorted radius 0.89).
    for (x, y) in [(-1.0, -0.667), (1.0, -0.667), (-1.0, 0.667), (1.0, 0.667)] {
        points.push([x, y]);
    }
    let mut worst: f64 = 0.0;
    let (mut agreed, mut failed) = (0, 0);
    for d in &lenses {
        // The GPU gets f32 coefficients: compare with the CPU on the same values.
        let d32 = Distortion {
            k1: d.k1 as f32 as f64,
            k2: d.k2 as f32 as f64,
            k3: d.k3 as f32 as f64,
            p1: d.p1 as f32 as f64,
            p2: d.p2 as f32 as f64,
            centre: d.centre.map(|c| c as f32 as f64),
            overscan: 0.0,
        };
        let got = gpu_undistort(&gpu, d, &points);
        for (p, g) in points.iter().zip(&got) {
            let p64 = glam::DVec2::new(p[0] as f64, p[1] as f64);
            match d32.undistort_cv_checked(p64) {
                Ok(u) => {
                    assert_eq!(
                        g[2], 1.0,
                        "{d:?}: the GPU failed at {p64}, the CPU gives {u}"
                    );
                    let e = (glam::DVec2::new(g[0] as f64, g[1] as f64) - u).length();
                    assert!(e < 3e-5, "{d:?} at {p64}: GPU {g:?}, CPU {u} ({e} off)");
                    worst = worst.max(e);
                    agreed += 1;
                }
                Err(e) => {
                    assert_eq!(
                        g[2], 0.0,
                        "{d:?}: the CPU failed at {p64} ({e}), the GPU gives {g:?}"
                    );
                    failed += 1;
                }
            }
        }
    }
    eprintln!("lens inverse: {agreed} points agree within {worst:e}, {failed} fail on both");
    assert_eq!(failed, 16, "the 4 corners at 18 mm of the 4 barrel lenses");
}

/// Where the lens inverse fails (a strong barrel lens whose fold lies inside the frame of an 18 mm
/// lens), the camera view shows the failure marker (magenta), and nowhere else.
#[test]
fn camera_view_marks_failed_lens_inversions() {
    let gpu = gpu();
    let text = FLAT_STAGE.replace(
        "focal_length_mm: 35.0, sensor_mm: (36.0, 24.0), shift_mm: (0.5, 0.3), entrance_pupil_m: 0.1)",
        "focal_length_mm: 18.0, sensor_mm: (36.0, 24.0), shift_mm: (0.5, 0.3), entrance_pupil_m: 0.1, \
         distortion: (k1: -0.35, k2: 0.12, k3: -0.02, p1: 0.002, p2: -0.002))",
    )
    // The strong lens sees far beyond its pinhole frame: an overscan that keeps the soft edge off
    // camera (validate refuses Uniform(0.15) here).
    .replace("overscan: Uniform(0.15)", "overscan: Uniform(1.5)");
    let stage = Stage::from_ron(&text, "folding.ron").unwrap();
    let supersample = 2;
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera_width: Some(96),
        camera_supersample: supersample,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    let err = inputs
        .lens
        .distorted_frame_tangents()
        .unwrap_err()
        .to_string();
    assert!(err.contains("corner"), "{err}");
    renderer.prepare(&gpu, &inputs).unwrap();
    let scene = direction_environment(&gpu, &renderer);
    let camera = renderer.render_frame(&gpu, &scene).unwrap().camera.unwrap();
    let f = inputs.frame_tangents;
    let d = inputs.lens.distortion;
    // Whether any sub-sample of pixel (x, y), scaled about the optical axis by `scale`, fails.
    let fails = |x: u32, y: u32, scale: f64| {
        (0..supersample * supersample).any(|k| {
            let s = glam::DVec2::new(
                (x as f64 + ((k % supersample) as f64 + 0.5) / supersample as f64)
                    / camera.width as f64,
                (y as f64 + ((k / supersample) as f64 + 0.5) / supersample as f64)
                    / camera.height as f64,
            );
            let t = glam::DVec2::new(f.left + s.x * f.width(), f.top - s.y * f.height());
            d.undistort_tangent(t * scale).is_none()
        })
    };
    let (mut marked, mut clean) = (0, 0);
    for y in 0..camera.height {
        for x in 0..camera.width {
            let expected = fails(x, y, 1.0);
            if fails(x, y, 0.99) != expected || fails(x, y, 1.01) != expected {
                continue; // within 1 % of the fold: f32 and f64 may differ
            }
            let c = camera.linear(x, y);
            let magenta = c[..3] == [1.0, 0.0, 1.0];
            assert_eq!(magenta, expected, "pixel ({x}, {y}) shows {c:?}");
            if expected {
                marked += 1;
            } else {
                clean += 1;
            }
        }
    }
    eprintln!("{marked} marked pixels, {clean} clean");
    assert!(
        marked > 100 && clean > 1000,
        "{marked} marked, {clean} clean"
    );
}
