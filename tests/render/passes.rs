//! GPU tests of the renderer's pass structure: reversed-Z depth, no reallocation during a zoom, and
//! GPU errors returned as data. On whatever adapter exists (lavapipe in CI); no adapter is a failure.

use std::path::Path;

use glam::DVec3;
use parallax::gpu::GpuError;
use parallax::render::{FrameInputs, Overrides, RenderError, Renderer, RendererOptions};
use parallax::scene::{
    Environment, SCENE_COLOR_FORMAT, SCENE_DEPTH_COMPARE, SCENE_DEPTH_FORMAT, Scene, SceneContext,
    SceneList, SceneSpec, ViewBinding,
};
use parallax::stage::Stage;

use super::gpu;

fn tiny() -> Stage {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    parallax::stage::load(&p).unwrap()
}

/// A uniform environment of linear colour `c`.
fn flat_environment(ctx: &SceneContext<'_>, c: [f32; 3]) -> Environment {
    let img = image::Rgba32FImage::from_pixel(8, 4, image::Rgba([c[0], c[1], c[2], 1.0]));
    Environment::from_image(ctx, &image::DynamicImage::ImageRgba32F(img), 0.0).unwrap()
}

const QUADS_WGSL: &str = r#"
@group(0) @binding(0) var<uniform> view: View;
struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) color: vec3<f32>,
}
@vertex
fn vs_main(@location(0) p: vec3<f32>, @location(1) c: vec3<f32>) -> VsOut {
    var out: VsOut;
    out.position = view.view_proj * vec4<f32>(p - view.eye.xyz, 1.0);
    out.color = c;
    return out;
}
@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return vec4<f32>(in.color, 1.0);
}
"#;

/// Flat, unlit coloured quads given as (centre, half right, half up, colour), drawn in that order.
struct Quads {
    pipeline: wgpu::RenderPipeline,
    vertices: wgpu::Buffer,
    count: u32,
}

impl Quads {
    fn new(ctx: &SceneContext<'_>, quads: &[(DVec3, DVec3, DVec3, [f32; 3])]) -> Quads {
        use wgpu::util::DeviceExt;
        let device = &ctx.gpu.device;
        let mut v: Vec<[f32; 6]> = Vec::new();
        for (c, r, u, col) in quads {
            let corner = |a: f64, b: f64| {
                let p = (*c + *r * a + *u * b).as_vec3();
                [p.x, p.y, p.z, col[0], col[1], col[2]]
            };
            for (a, b) in [
                (-1., -1.),
                (1., -1.),
                (1., 1.),
                (-1., -1.),
                (1., 1.),
                (-1., 1.),
            ] {
                v.push(corner(a, b));
            }
        }
        let vertices = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("test quads"),
            contents: bytemuck::cast_slice(&v),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let module = parallax::shaders::module(device, "test quads", QUADS_WGSL);
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: None,
            bind_group_layouts: &[Some(ctx.view_layout)],
            immediate_size: 0,
        });
        let attributes = wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3];
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("test quads"),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: 24,
                    step_mode: wgpu::VertexStepMode::Vertex,
                    attributes: &attributes,
                })],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: Some(wgpu::DepthStencilState {
                format: SCENE_DEPTH_FORMAT,
                depth_write_enabled: Some(true),
                depth_compare: Some(SCENE_DEPTH_COMPARE),
                stencil: Default::default(),
                bias: Default::default(),
            }),
            multisample: Default::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(SCENE_COLOR_FORMAT.into())],
            }),
            multiview_mask: None,
            cache: None,
        });
        Quads {
            pipeline,
            vertices,
            count: v.len() as u32,
        }
    }
}

impl Scene for Quads {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, view.bind_group, &[view.offset]);
        pass.set_vertex_buffer(0, self.vertices.slice(..));
        pass.draw(0..self.count, 0..1);
    }
}

/// A near red quad (1 m) drawn before a far blue one (5 km, beyond the old 2 km far plane), then
/// the green environment: the camera sees red in the middle, blue around it, green outside, whatever
/// the draw order.
#[test]
fn reversed_z_near_occludes_very_far_and_the_sky_stays_behind() {
    let gpu = gpu();
    let stage = tiny();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera_width: Some(96),
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let q = inputs.pose.rotation;
    let (right, up, fwd) = (q * DVec3::X, q * DVec3::Y, q * DVec3::NEG_Z);
    let quad = |d: f64, half_tan: f64, c: [f32; 3]| {
        (
            inputs.eye + fwd * d,
            right * (half_tan * d),
            up * (half_tan * d),
            c,
        )
    };
    let ctx = renderer.scene_context(&gpu);
    let quads = Quads::new(
        &ctx,
        &[
            quad(1.0, 0.2, [1.0, 0.0, 0.0]),
            quad(5000.0, 0.4, [0.0, 0.0, 1.0]),
        ],
    );
    let scene = SceneList {
        parts: vec![
            Box::new(quads),
            Box::new(flat_environment(&ctx, [0.0, 1.0, 0.0])),
        ],
    };
    let img = renderer.reference_view(&gpu, &scene).unwrap();
    // tiny.ron: 24 mm on 36 x 24 mm, so the frame spans tangents +-0.75 x +-0.5 over 96 x 64 px.
    let (fw, fh) = (0.75, 0.5);
    let px = |tx: f64, ty: f64| {
        let x = ((tx + fw) / (2.0 * fw) * 96.0) as u32;
        let y = ((fh - ty) / (2.0 * fh) * 64.0) as u32;
        img.linear(x, y)
    };
    let is = |c: [f32; 4], want: [f32; 3]| (0..3).all(|k| (c[k] - want[k]).abs() < 1e-3);
    for (t, want, what) in [
        ((0.0, 0.0), [1.0, 0.0, 0.0], "near quad"),
        ((0.1, -0.1), [1.0, 0.0, 0.0], "near quad"),
        ((0.3, 0.0), [0.0, 0.0, 1.0], "far quad"),
        ((-0.3, 0.3), [0.0, 0.0, 1.0], "far quad"),
        ((0.6, 0.0), [0.0, 1.0, 0.0], "sky"),
        ((-0.6, -0.45), [0.0, 1.0, 0.0], "sky"),
    ] {
        let c = px(t.0, t.1);
        assert!(is(c, want), "{what} at tangent {t:?}: {c:?}");
    }
}

fn zoom_inputs(stage: &Stage, focal_mm: f64) -> FrameInputs {
    // The inner resolution follows the zoom (constant texel density on the wall): 68 x 45 at 80 mm,
    // 300 x 200 at 18 mm, crossing the 256 px bucket.
    let o = Overrides {
        focal_length_mm: Some(focal_mm),
        inner_resolution: Some((
            (5400.0 / focal_mm).round() as u32,
            (3600.0 / focal_mm).round() as u32,
        )),
        ..Default::default()
    };
    FrameInputs::at_rest(stage, &o).unwrap()
}

/// A 100-frame zoom (80 -> 18 mm, inner resolution changing every frame) allocates nothing once the
/// targets' buckets have grown (one pass of the ramp), and a frame drawn by the warm renderer (whose
/// targets are larger than needed) equals the same frame from a fresh renderer.
#[test]
fn a_zoom_ramp_allocates_nothing_once_warm_and_draws_the_same_pictures() {
    let gpu = gpu();
    let stage = tiny();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        camera_width: Some(120),
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options.clone()).unwrap();
    let spec = SceneSpec {
        test_scene: true,
        ..Default::default()
    };
    let scene = parallax::scene::build(&renderer.scene_context(&gpu), &spec).unwrap();
    let focal = |k: usize| 80.0 - 62.0 * k as f64 / 99.0;
    let frame = |r: &mut Renderer, f: f64| {
        r.prepare(&gpu, &zoom_inputs(&stage, f)).unwrap();
        let mut e = gpu.device.create_command_encoder(&Default::default());
        r.render(&mut e, &scene).unwrap();
        gpu.queue.submit([e.finish()]);
    };
    let start = renderer.allocation_count();
    for k in 0..100 {
        frame(&mut renderer, focal(k));
    }
    let warm = renderer.allocation_count();
    let warm_groups = renderer.bind_group_count();
    eprintln!(
        "zoom ramp: {} allocations at creation, {} during the first ramp",
        start,
        warm - start
    );
    // Back and forth: every size met again.
    for k in (0..100).rev() {
        frame(&mut renderer, focal(k));
    }
    assert_eq!(
        renderer.allocation_count() - warm,
        0,
        "allocations after warm-up"
    );
    assert_eq!(
        renderer.bind_group_count() - warm_groups,
        0,
        "bind groups created after warm-up"
    );
    let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    // Frames submitted by hand: their GPU errors went to the recording handler.
    gpu.take_uncaptured("the zoom ramp").unwrap();

    // The 80 mm frame (68 x 45 inner texels in a target grown to hold 300 x 200) vs a fresh renderer.
    let inputs = zoom_inputs(&stage, 80.0);
    renderer.prepare(&gpu, &inputs).unwrap();
    let warm_frame = renderer.render_frame(&gpu, &scene).unwrap();
    let mut fresh = Renderer::new(&gpu, &stage, options).unwrap();
    fresh.prepare(&gpu, &inputs).unwrap();
    let fresh_scene = parallax::scene::build(&fresh.scene_context(&gpu), &spec).unwrap();
    let fresh_frame = fresh.render_frame(&gpu, &fresh_scene).unwrap();
    for ((name, a), (_, b)) in warm_frame.outputs.iter().zip(&fresh_frame.outputs) {
        assert!(a.bytes == b.bytes, "output {name} differs");
    }
    assert!(warm_frame.wall.unwrap().bytes == fresh_frame.wall.unwrap().bytes);
    assert!(warm_frame.camera.unwrap().bytes == fresh_frame.camera.unwrap().bytes);
}

/// The issue's case: a zoom (80 -> 18 mm) of a distorting lens with `Auto` overscan, the camera's
/// pixel budget fixed and the simulated camera view at its default size. The inner frustum's aspect,
/// hence the inner target's size, and the camera's pinhole view change every frame. Before buckets,
/// 70 of 100 frames of such a ramp rebuilt every target; now the targets grow a few times during the
/// first ramp (the need grows, each growth a bucket) and never again, whatever the direction.
#[test]
fn a_lens_zoom_with_auto_overscan_allocates_nothing_once_warm() {
    let gpu = gpu();
    let stage = tiny();
    let mut renderer = Renderer::new(&gpu, &stage, RendererOptions::default()).unwrap();
    let scene =
        parallax::scene::build(&renderer.scene_context(&gpu), &SceneSpec::default()).unwrap();
    let mut sizes = std::collections::HashSet::new();
    let mut frame = |k: usize| {
        let t = k as f64 / 99.0;
        let o = Overrides {
            focal_length_mm: Some(80.0 - 62.0 * t),
            // Barrel distortion growing towards the wide end, as lens tables have it; the
            // decentring (tangential) terms make the picture lopsided, so the aspect changes too.
            distortion: Some(parallax::camera::Distortion {
                k1: -0.01 - 0.05 * t,
                p1: 0.02 * t,
                p2: -0.015 * t,
                ..Default::default()
            }),
            overscan: Some(parallax::camera::OverscanRule::Auto { margin: 0.05 }),
            inner_resolution: Some((480, 320)),
            ..Default::default()
        };
        let inputs = FrameInputs::at_rest(&stage, &o).unwrap();
        sizes.insert(inputs.inner_resolution);
        renderer.prepare(&gpu, &inputs).unwrap();
        let mut e = gpu.device.create_command_encoder(&Default::default());
        renderer.render(&mut e, &scene).unwrap();
        gpu.queue.submit([e.finish()]);
        renderer.allocation_count()
    };
    let first = frame(0);
    let mut warm = first;
    for k in 1..100 {
        warm = frame(k);
    }
    for k in (0..100).rev().chain(0..100) {
        assert_eq!(
            frame(k),
            warm,
            "allocation after warm-up, at frame {k} of the ramp"
        );
    }
    assert!(
        sizes.len() > 5,
        "the inner size changes ({} sizes)",
        sizes.len()
    );
    eprintln!(
        "lens zoom: {} inner sizes; {} allocations during the first ramp after frame 0, none after",
        sizes.len(),
        warm - first
    );
    assert!(
        warm - first <= 12,
        "{} allocations in the first ramp",
        warm - first
    );
    let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
    gpu.take_uncaptured("the lens zoom").unwrap();
}

/// A scene that records an invalid draw (no pipeline set).
struct Broken;

impl Scene for Broken {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, _view: &ViewBinding<'_>) {
        pass.draw(0..3, 0..1);
    }
}

/// A wgpu validation error while rendering is an `Err` carrying wgpu's message, not a panic, and the
/// next valid frame renders.
#[test]
fn a_validation_error_is_an_error_with_a_message() {
    let gpu = gpu();
    let stage = tiny();
    let mut renderer = Renderer::new(&gpu, &stage, RendererOptions::default()).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let err = renderer.render_frame(&gpu, &Broken).unwrap_err();
    match &err {
        RenderError::Gpu(GpuError::Wgpu { what, message }) => {
            assert_eq!(what, "rendering a frame");
            assert!(message.to_lowercase().contains("pipeline"), "{message}");
        }
        e => panic!("expected a wgpu error, got {e}"),
    }
    eprintln!("{err}");
    let ok = SceneList {
        parts: vec![Box::new(flat_environment(
            &renderer.scene_context(&gpu),
            [0.2, 0.2, 0.2],
        ))],
    };
    renderer.render_frame(&gpu, &ok).unwrap();
}

/// An invalid resource: in a scope it is an error naming what was done; outside any scope the
/// handler records it (no panic) and it can be taken as an error.
#[test]
fn invalid_resources_are_errors_in_and_out_of_scopes() {
    let gpu = gpu();
    let bad = wgpu::BufferDescriptor {
        label: Some("mappable both ways"),
        size: 16,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::MAP_WRITE,
        mapped_at_creation: false,
    };
    let err = gpu
        .scoped("creating a test buffer", || gpu.device.create_buffer(&bad))
        .unwrap_err()
        .to_string();
    assert!(err.contains("creating a test buffer"), "{err}");
    assert!(err.to_lowercase().contains("usage"), "{err}");
    assert!(gpu.take_uncaptured("nothing").is_ok());
    let _b = gpu.device.create_buffer(&bad);
    let err = gpu.take_uncaptured("after").unwrap_err().to_string();
    assert!(err.to_lowercase().contains("usage"), "{err}");
}

/// A render node's renderer ([`Renderer::keep_outputs`], docs/nodes.md): with only "right" kept,
/// the other outputs' composite passes are not recorded (their textures stay as created, all
/// zero, where the full render lit them) and they read back empty; the kept output is bit for
/// bit the full renderer's.
#[test]
fn a_renderer_keeping_some_outputs_renders_only_those_and_the_same_bits() {
    let gpu = gpu();
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/stage/nodes.ron");
    let stage = parallax::stage::load(&p).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    let render = |keep: Option<&[String]>| {
        let mut r = Renderer::new(&gpu, &stage, RendererOptions::default()).unwrap();
        if let Some(k) = keep {
            r.keep_outputs(k);
        }
        r.prepare(&gpu, &inputs).unwrap();
        let scene =
            parallax::scene::build(&r.scene_context(&gpu), &SceneSpec::for_stage(&stage, None))
                .unwrap();
        let frame = r.render_frame(&gpu, &scene).unwrap();
        let textures: Vec<_> = r
            .output_textures()
            .map(|t| parallax::render::read_texture(&gpu, t).unwrap())
            .collect();
        (frame, textures)
    };
    let (full, _) = render(None);
    let (part, textures) = render(Some(&["right".to_string(), "no-such".to_string()]));
    let names: Vec<&str> = part.outputs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["left", "right", "top"]);
    assert_eq!(part.outputs[1].1.bytes, full.outputs[1].1.bytes, "right");
    assert_eq!(
        (part.outputs[1].1.width, part.outputs[1].1.height),
        (64, 32)
    );
    for k in [0, 2] {
        let (name, img) = &part.outputs[k];
        assert_eq!(
            (img.width, img.height, img.bytes.len()),
            (0, 0, 0),
            "{name}"
        );
        let lit = full.outputs[k].1.bytes.iter().filter(|&&b| b != 0).count();
        assert!(lit > 100, "{name}: the full render lights it ({lit} bytes)");
        assert!(
            textures[k].bytes.iter().all(|&b| b == 0),
            "{name}: its texture was drawn into"
        );
    }
}
