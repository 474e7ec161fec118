//! Sampling on the GPU: the mip chain's filter, the inner frustum sampled with each LED pixel's
//! footprint against a supersampled reference, flicker under a slow pan, and the environment's seam.
//! Oracles are analytic (hand-computed values, a procedural pattern averaged over each LED pixel's
//! area on the CPU, an analytic environment), never images made by the renderer.

use std::f64::consts::TAU;

use glam::{DVec2, DVec3, UVec2};
use parallax::gpu::Gpu;
use parallax::render::mipmap::{MipmapPass, mip_level_count, mip_size};
use parallax::render::{
    FrameInputs, InnerSampling, Overrides, Renderer, RendererOptions, read_texture,
};
use parallax::scene::{
    SCENE_COLOR_FORMAT, SCENE_DEPTH_FORMAT, Scene, SceneContext, SceneList, ViewBinding,
};
use parallax::stage::{Panel, Stage};

use super::gpu;

// ---- The mip chain ----

/// Uploads `texels` (RGBA f32, `size`) as a mip-mapped Rgba32Float texture, generates its chain and
/// reads every level back (red channel).
fn gpu_mips(gpu: &Gpu, size: UVec2, texels: &[f32]) -> Vec<Vec<f32>> {
    let format = wgpu::TextureFormat::Rgba32Float;
    let d = &gpu.device;
    let extent = |s: UVec2| wgpu::Extent3d {
        width: s.x,
        height: s.y,
        depth_or_array_layers: 1,
    };
    let texture = d.create_texture(&wgpu::TextureDescriptor {
        label: Some("mip test"),
        size: extent(size),
        mip_level_count: mip_level_count(size),
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING
            | wgpu::TextureUsages::RENDER_ATTACHMENT
            | wgpu::TextureUsages::COPY_DST
            | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    gpu.queue.write_texture(
        texture.as_image_copy(),
        bytemuck::cast_slice(texels),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(size.x * 16),
            rows_per_image: Some(size.y),
        },
        extent(size),
    );
    let pass = MipmapPass::new(d, format);
    let chain = pass.chain(d, &texture).unwrap();
    assert_eq!(chain.level_count(), mip_level_count(size));
    let mut encoder = d.create_command_encoder(&Default::default());
    pass.record(&mut encoder, &chain);
    gpu.queue.submit([encoder.finish()]);
    (0..texture.mip_level_count())
        .map(|level| {
            let s = mip_size(size, level);
            let copy = d.create_texture(&wgpu::TextureDescriptor {
                label: Some("mip level copy"),
                size: extent(s),
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage: wgpu::TextureUsages::COPY_DST | wgpu::TextureUsages::COPY_SRC,
                view_formats: &[],
            });
            let mut e = d.create_command_encoder(&Default::default());
            e.copy_texture_to_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: &texture,
                    mip_level: level,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                copy.as_image_copy(),
                extent(s),
            );
            gpu.queue.submit([e.finish()]);
            let img = read_texture(gpu, &copy).unwrap();
            (0..s.y)
                .flat_map(|y| (0..s.x).map(move |x| (x, y)))
                .map(|(x, y)| img.linear(x, y)[0])
                .collect()
        })
        .collect()
}

/// Odd sizes are box-filtered by area: hand-computed values on a 5 x 3 ramp, and every level of a
/// random 37 x 23 image keeps its mean (a filter that drops or doubles a row or column would not).
#[test]
fn mip_chain_is_an_area_weighted_box_filter() {
    let gpu = gpu();
    // Red = x + 10 y on 5 x 3. Level 1 is 2 x 1: texel 0 covers x in [0, 2.5), so
    // (0 + 1 + 0.5 * 2) / 2.5 = 0.8, texel 1 covers [2.5, 5): (0.5 * 2 + 3 + 4) / 2.5 = 3.2; rows
    // average to 10 * 1. Level 2 is 1 x 1: the mean 12.
    let size = UVec2::new(5, 3);
    let texels: Vec<f32> = (0..15)
        .flat_map(|k| [(k % 5) as f32 + 10.0 * (k / 5) as f32, 0.0, 0.0, 1.0])
        .collect();
    let levels = gpu_mips(&gpu, size, &texels);
    let expected = [vec![10.8f32, 13.2], vec![12.0]];
    for (got, want) in levels[1..].iter().zip(&expected) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "levels {levels:?}");
        }
    }

    let size = UVec2::new(37, 23);
    let mut state = 0x2545_f491_u32;
    let texels: Vec<f32> = (0..size.x * size.y)
        .flat_map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            [(state % 1000) as f32 / 1000.0, 0.0, 0.0, 1.0]
        })
        .collect();
    let levels = gpu_mips(&gpu, size, &texels);
    let mean = |v: &[f32]| v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
    let m0 = mean(&levels[0]);
    for (k, l) in levels.iter().enumerate() {
        assert!(
            (mean(l) - m0).abs() < 1e-5,
            "level {k}: mean {} vs level 0's {m0}",
            mean(l)
        );
    }
    assert_eq!(levels.last().unwrap().len(), 1);
}

// ---- A procedural pattern at infinity ----

/// Periods (in tangent units of the stage's -Z direction) of the three channels' gratings.
const PERIODS: [f64; 3] = [0.0078, 0.0091, 0.0110];

/// The pattern's linear colour along a stage direction: sinusoidal gratings in `x / -z` (red),
/// `y / -z` (green) and their sum (blue). Mirrors `pattern` in the WGSL below.
fn pattern(d: DVec3) -> [f64; 3] {
    let t = DVec2::new(d.x / -d.z, d.y / -d.z);
    let s = [t.x, t.y, t.x + t.y];
    [0, 1, 2].map(|k| 0.5 + 0.5 * (TAU * s[k] / PERIODS[k]).sin())
}

const PATTERN_WGSL: &str = r#"
@group(0) @binding(0) var<uniform> view: View;
struct Periods { p: vec4<f32> }
@group(1) @binding(0) var<uniform> periods: Periods;

struct VsOut {
    @builtin(position) position: vec4<f32>,
    @location(0) ndc: vec2<f32>,
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32) -> VsOut {
    let x = f32((vi << 1u) & 2u) * 2.0 - 1.0;
    let y = f32(vi & 2u) * 2.0 - 1.0;
    var out: VsOut;
    out.position = vec4<f32>(x, y, 1.0, 1.0);
    out.ndc = vec2<f32>(x, y);
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let d = view_direction(view, in.ndc);
    let t = d.xy / -d.z;
    let s = vec3<f32>(t.x, t.y, t.x + t.y);
    return vec4<f32>(0.5 + 0.5 * sin(2.0 * PI * s / periods.p.xyz), 1.0);
}
"#;

/// [`pattern`] drawn as a background at infinity.
struct Pattern {
    pipeline: wgpu::RenderPipeline,
    group: wgpu::BindGroup,
}

impl Pattern {
    fn new(ctx: &SceneContext<'_>) -> Pattern {
        use wgpu::util::DeviceExt;
        let d = &ctx.gpu.device;
        let layout = d.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("pattern layout"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }],
        });
        let p = [PERIODS[0] as f32, PERIODS[1] as f32, PERIODS[2] as f32, 1.0];
        let buffer = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("pattern periods"),
            contents: bytemuck::cast_slice(&p),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("pattern"),
            layout: &layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: buffer.as_entire_binding(),
            }],
        });
        let module = parallax::render::shaders::module(d, "pattern", PATTERN_WGSL);
        let pl = d.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("pattern"),
            bind_group_layouts: &[Some(ctx.view_layout), Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = d.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("pattern"),
            layout: Some(&pl),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: Default::default(),
            depth_stencil: Some(wgpu::DepthStencilState {
                format: SCENE_DEPTH_FORMAT,
                depth_write_enabled: Some(false),
                depth_compare: Some(wgpu::CompareFunction::Always),
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
        Pattern { pipeline, group }
    }
}

impl Scene for Pattern {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, view.bind_group, &[view.offset]);
        pass.set_bind_group(1, &self.group, &[]);
        pass.draw(0..3, 0..1);
    }
}

/// A 5 x 3.5 m wall of 15.6 mm pixels 3 m in front of a 35 mm camera whose inner frustum has about
/// three texels per LED pixel (648 x 432 over 1.13 x 0.75 tangent units; an LED pixel spans 0.0052).
/// `pan` turns the wall about the vertical axis (an oblique wall: anisotropic footprints).
fn sampling_stage(pan: f64) -> Stage {
    let text = format!(
        r#"Stage(name: "sampling", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
    shape: Flat(columns: 10, rows: 7, position: (0.0, 1.5, -3.0), anchor: Centre,
      rotation: PanTiltRoll({pan}, 0.0, 0.0)),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 320, height: 224)],
  cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0), rotation: PanTiltRoll(3.0, 2.0, 0.0),
    lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0)),
    inner: Inner(resolution: (648, 432), overscan: Uniform(0.1), soft_edge: 0.0))],
  render: Render(outer_viewpoint: Fixed(0.0, 1.5, 0.0), outer_resolution: 64))"#
    );
    Stage::from_ron(&text, "sampling.ron").unwrap()
}

/// The pattern averaged over LED pixel `(i, j)`'s area on its cabinet (`n x n` sub-samples), seen
/// from `eye`.
fn footprint_average(panel: &Panel, i: u32, j: u32, eye: DVec3, n: u32) -> [f64; 3] {
    let mut sum = [0.0; 3];
    for b in 0..n {
        for a in 0..n {
            let u = (i as f64 + (a as f64 + 0.5) / n as f64) / panel.pixels.x as f64;
            let v = (j as f64 + (b as f64 + 0.5) / n as f64) / panel.pixels.y as f64;
            let c = pattern(panel.frame.point(u, v) - eye);
            for k in 0..3 {
                sum[k] += c[k];
            }
        }
    }
    sum.map(|s| s / (n * n) as f64)
}

/// LED pixels well inside the inner frustum (uv in 0.02..0.98): `(panel, i, j, output pixel)`.
fn inside_pixels(stage: &Stage, inputs: &FrameInputs) -> Vec<(usize, u32, u32, UVec2)> {
    let mut v = Vec::new();
    for (k, p) in stage.panels.iter().enumerate() {
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                if let Some(uv) = inputs.inner_uv(p.pixel_centre(i, j))
                    && uv.min_element() > 0.02
                    && uv.max_element() < 0.98
                {
                    let o = p.placement.output_pixel(i, j);
                    v.push((k, i, j, UVec2::new(o.x as u32, o.y as u32)));
                }
            }
        }
    }
    v
}

fn sampling_renderer(gpu: &Gpu, stage: &Stage, sampling: InnerSampling) -> Renderer {
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        inner_sampling: sampling,
        ..Default::default()
    };
    Renderer::new(gpu, stage, options).unwrap()
}

/// RMS difference (over LED pixels inside the frustum and the three channels) between the output
/// and the pattern averaged over each LED pixel's footprint, for both sampling modes.
fn footprint_errors(gpu: &Gpu, stage: &Stage) -> (f64, f64, usize) {
    let inputs = FrameInputs::at_rest(stage, &Overrides::default()).unwrap();
    let pixels = inside_pixels(stage, &inputs);
    let reference: Vec<[f64; 3]> = pixels
        .iter()
        .map(|&(k, i, j, _)| footprint_average(&stage.panels[k], i, j, inputs.eye, 8))
        .collect();
    let mut rms = [0.0; 2];
    for (m, sampling) in [InnerSampling::Footprint, InnerSampling::Level0]
        .into_iter()
        .enumerate()
    {
        let mut r = sampling_renderer(gpu, stage, sampling);
        r.prepare(gpu, &inputs).unwrap();
        let scene = Pattern::new(&r.scene_context(gpu));
        let img = &r.render_frame(gpu, &scene).unwrap().outputs[0].1;
        let mut sum = 0.0;
        for (&(_, _, _, o), want) in pixels.iter().zip(&reference) {
            let got = img.linear(o.x, o.y);
            for k in 0..3 {
                sum += (got[k] as f64 - want[k]).powi(2);
            }
        }
        rms[m] = (sum / (3 * pixels.len()) as f64).sqrt();
    }
    (rms[0], rms[1], pixels.len())
}

/// A fine pattern (periods of 1.5 to 2 LED pixels, 4.5 to 6 inner texels) minified about 3x onto
/// the wall matches, per LED pixel, the pattern averaged over that LED pixel's area (64 sub-samples
/// projected from the entrance pupil) within an RMS of 0.03 on a wall facing the camera and 0.045 on
/// a wall turned 55 degrees (anisotropic footprints); point-sampling level 0 (the old composite) is
/// at least 3x worse.
#[test]
fn footprint_sampling_matches_a_supersampled_reference() {
    let gpu = gpu();
    for (pan, bound) in [(0.0, 0.03), (55.0, 0.045)] {
        let stage = sampling_stage(pan);
        let (mips, level0, n) = footprint_errors(&gpu, &stage);
        eprintln!(
            "wall panned {pan} deg: RMS error vs supersampled reference over {n} LED pixels: \
             footprint {mips:.4}, level 0 {level0:.4} ({:.1}x)",
            level0 / mips
        );
        assert!(n > 10_000, "only {n} LED pixels inside the frustum");
        assert!(mips < bound, "footprint sampling RMS {mips:.4} >= {bound}");
        assert!(
            level0 > 3.0 * mips,
            "level 0 ({level0:.4}) is not clearly worse than footprint sampling ({mips:.4})"
        );
    }
}

/// A static pattern on a static wall must not change while the camera pans slowly (a third of an
/// inner texel per frame): the temporal RMS of each LED pixel's value is small with footprint
/// sampling, and much larger with level 0 (crawling moire).
#[test]
fn a_slow_pan_does_not_crawl() {
    let gpu = gpu();
    let stage = sampling_stage(0.0);
    let frames = 8;
    let poses: Vec<Overrides> = (0..frames)
        .map(|k| Overrides {
            camera_rotation: Some((3.0 + 0.033 * k as f64, 2.0 + 0.011 * k as f64, 0.0)),
            ..Default::default()
        })
        .collect();
    // LED pixels inside the frustum in every frame.
    let first = FrameInputs::at_rest(&stage, &poses[0]).unwrap();
    let last = FrameInputs::at_rest(&stage, &poses[frames - 1]).unwrap();
    let last_inside: std::collections::HashSet<_> =
        inside_pixels(&stage, &last).into_iter().collect();
    let pixels: Vec<_> = inside_pixels(&stage, &first)
        .into_iter()
        .filter(|p| last_inside.contains(p))
        .collect();
    assert!(pixels.len() > 10_000);
    let mut flicker = [0.0; 2];
    for (m, sampling) in [InnerSampling::Footprint, InnerSampling::Level0]
        .into_iter()
        .enumerate()
    {
        let mut r = sampling_renderer(&gpu, &stage, sampling);
        let scene = Pattern::new(&r.scene_context(&gpu));
        let mut values = vec![[0.0f64; 3]; pixels.len() * frames];
        for (f, pose) in poses.iter().enumerate() {
            r.prepare(&gpu, &FrameInputs::at_rest(&stage, pose).unwrap())
                .unwrap();
            let img = &r.render_frame(&gpu, &scene).unwrap().outputs[0].1;
            for (n, &(_, _, _, o)) in pixels.iter().enumerate() {
                let c = img.linear(o.x, o.y);
                values[n * frames + f] = [c[0] as f64, c[1] as f64, c[2] as f64];
            }
        }
        let mut sum = 0.0;
        for v in values.chunks(frames) {
            for k in 0..3 {
                let mean = v.iter().map(|c| c[k]).sum::<f64>() / frames as f64;
                sum += v.iter().map(|c| (c[k] - mean).powi(2)).sum::<f64>() / frames as f64;
            }
        }
        flicker[m] = (sum / (3 * pixels.len()) as f64).sqrt();
    }
    eprintln!(
        "temporal RMS over {frames} frames of a slow pan, {} LED pixels: footprint {:.4}, level 0 {:.4} ({:.1}x)",
        pixels.len(),
        flicker[0],
        flicker[1],
        flicker[1] / flicker[0]
    );
    assert!(flicker[0] < 0.015, "footprint flicker {:.4}", flicker[0]);
    assert!(
        flicker[1] > 2.0 * flicker[0],
        "level 0 flicker {:.4} is not clearly worse than {:.4}",
        flicker[1],
        flicker[0]
    );
}

// ---- The environment's seam ----

/// An environment whose colour is a smooth function of u (continuous across the wrap) is sampled,
/// through its mip chain, as that function on both sides of the seam at u = 0 = 1 (behind the
/// default view, along +Z): no line of blurred (mean) colour where atan2 jumps.
#[test]
fn environment_has_no_seam() {
    let gpu = gpu();
    let stage = Stage::from_ron(super::FLAT_STAGE, "flat.ron").unwrap();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera_width: Some(240),
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    // Look along +Z (pan 180), level, no roll: the seam runs down the middle of the view.
    let o = Overrides {
        camera_rotation: Some((180.0, 0.0, 0.0)),
        ..Default::default()
    };
    let inputs = FrameInputs::at_rest(&stage, &o).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let f = |u: f64| 0.5 + 0.5 * (TAU * 3.0 * u).cos();
    let (w, h) = (1024u32, 512u32);
    let img = image::Rgba32FImage::from_fn(w, h, |x, _| {
        let v = f((x as f64 + 0.5) / w as f64) as f32;
        image::Rgba([v, v, v, 1.0])
    });
    let env = parallax::scene::Environment::from_image(
        &renderer.scene_context(&gpu),
        &image::DynamicImage::ImageRgba32F(img),
        0.0,
    )
    .unwrap();
    let scene = SceneList {
        parts: vec![Box::new(env)],
    };
    let view = renderer.reference_view(&gpu, &scene).unwrap();
    let t = inputs.frame_tangents;
    let (mut near_seam, mut worst) = (0, 0.0f64);
    for y in 0..view.height {
        for x in 0..view.width {
            let tx = t.left + (x as f64 + 0.5) / view.width as f64 * t.width();
            let ty = t.top - (y as f64 + 0.5) / view.height as f64 * t.height();
            let d = inputs.pose.rotation * DVec3::new(tx, ty, -1.0);
            let (u, _) = parallax::scene::equirect_uv(d);
            // Pixel footprint in u: about 1/240 of the view's 54 degree width.
            if !(0.01..=0.99).contains(&u) {
                near_seam += 1;
            }
            let err = (view.linear(x, y)[0] as f64 - f(u)).abs();
            worst = worst.max(err);
            assert!(err < 0.02, "pixel ({x}, {y}) at u {u:.4}: {err:.4} off");
        }
    }
    eprintln!(
        "environment seam: worst error {worst:.4}, {near_seam} pixels within 0.01 of the seam"
    );
    assert!(near_seam > 500, "{near_seam}");
}
