//! GPU benchmarks of the headless frame on the adapter at hand (lavapipe in CI):
//! - `frame/<stage>`: a whole frame (outer cube map, inner frustum, every output) of demo.ron, and of
//!   large.ron when it exists;
//! - `composite_vs_copy/*`: the composite + map pass of the demo's outputs (live outer, and frozen
//!   outer: baked once, one load per pixel outside the inner frustum; with the demo camera, an
//!   85 mm lens, the 85 mm lens sampling the inner from level 0, and the camera turned away from
//!   the wall) vs a plain copy of the same output pixels;
//! - `cabinets/*`: the composite pass at equal pixel count with 10 and with 10,000 cabinets;
//! - `zoom/*`: whole frames of demo.ron along a zoom ramp (80 -> 18 mm and back, the inner resolution
//!   following the zoom), printing the renderer's allocations per frame after one warm-up ramp.
//! - `inner_sampling/*`: the composite pass of the demo's outputs sampling the inner frustum with
//!   each LED pixel's footprint (mip chain) vs from level 0 only, side by side, and the generation
//!   of the inner frustum's mip chain.
//! - `gltf_scene/*`: whole frames with a generated glTF scene of about 1 M triangles and 100
//!   materials, frustum culling on and off, vs the test scene (`benches/render/gltf.rs`).
//!
//! - `cameras/*`: the composite of the demo's outputs drawing four cameras vs one, inner renders
//!   excluded (`benches/render/cameras.rs`).
//!
//! - `live_loop/*`: frames of tiny.ron from the bundled take through the live loop's step (null
//!   sink) vs rendered directly, side by side: the loop's overhead (`benches/render/live.rs`).
//!
//! - `colour/*`: the composite of the demo's outputs with both layers graded (exposure, white
//!   balance, CDL) and a 33^3 LUT on every output vs without, side by side; and writing a
//!   1920 x 1080 output as a 16-bit PQ PNG and as a half-float EXR (CPU).
//!
//! With no adapter this prints why and registers nothing.

#[path = "render/cameras.rs"]
mod cameras_bench;
#[path = "render/gltf.rs"]
mod gltf_bench;
#[path = "../tests/support/gltf_writer.rs"]
mod gltf_writer;
#[path = "render/live.rs"]
mod live_bench;

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use parallax::gpu::Gpu;
use parallax::render::{FrameInputs, InnerSampling, Overrides, Renderer, RendererOptions, shaders};
use parallax::scene::{SceneList, SceneSpec};
use parallax::stage::Stage;

fn wait(gpu: &Gpu, encoder: wgpu::CommandEncoder) {
    gpu.queue.submit([encoder.finish()]);
    let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
}

fn encoder(gpu: &Gpu) -> wgpu::CommandEncoder {
    gpu.device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("bench"),
        })
}

/// Times `iters` recordings of one pass (`record`), submitted in batches: one recording per
/// submission on a CPU adapter (lavapipe), up to 16 on a GPU, where a pass over the demo's 2.35 M
/// LED pixels takes about as long as a submission's round trip, which would otherwise flatten every
/// ratio towards 1. Criterion divides by `iters`: the time reported is one pass's.
pub(crate) fn passes(
    gpu: &Gpu,
    iters: u64,
    mut record: impl FnMut(&mut wgpu::CommandEncoder),
) -> std::time::Duration {
    let batch = if gpu.info.device_type == wgpu::DeviceType::Cpu {
        1
    } else {
        16
    };
    let start = std::time::Instant::now();
    let mut left = iters;
    while left > 0 {
        let n = left.min(batch);
        let mut e = encoder(gpu);
        for _ in 0..n {
            record(&mut e);
        }
        wait(gpu, e);
        left -= n;
    }
    start.elapsed()
}

struct Setup {
    stage: Stage,
    renderer: Renderer,
    scene: SceneList,
    overrides: Overrides,
}

/// Share of the stage's LED pixels whose centre lies inside the inner frustum (weight > 0) for
/// the camera `overrides` give.
fn inner_share(stage: &Stage, overrides: &Overrides) -> f64 {
    let inputs = FrameInputs::at_rest(stage, overrides).expect("inputs");
    let (mut inside, mut all) = (0u64, 0u64);
    for p in &stage.panels {
        let facing = p.frame.normal().dot(inputs.eye - p.frame.top_left) > 0.0;
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                all += 1;
                let uv = inputs.inner_uv(p.pixel_centre(i, j));
                let seen = uv.is_some_and(|uv| {
                    uv.cmpge(glam::DVec2::ZERO).all() && uv.cmple(glam::DVec2::ONE).all()
                });
                inside += u64::from(facing && seen);
            }
        }
    }
    inside as f64 / all.max(1) as f64
}

fn setup(gpu: &Gpu, stage: Stage, overrides: &Overrides) -> Setup {
    setup_sampling(gpu, stage, overrides, InnerSampling::Footprint)
}

fn setup_sampling(
    gpu: &Gpu,
    stage: Stage,
    overrides: &Overrides,
    inner_sampling: InnerSampling,
) -> Setup {
    let options = RendererOptions {
        wall: false,
        camera: false,
        inner_sampling,
        ..Default::default()
    };
    let mut renderer = Renderer::new(gpu, &stage, options).expect("renderer");
    let inputs = FrameInputs::at_rest(&stage, overrides).expect("inputs");
    renderer.prepare(gpu, &inputs).expect("prepare");
    let spec = SceneSpec {
        test_scene: true,
        ..Default::default()
    };
    let scene = parallax::scene::build(&renderer.scene_context(gpu), &spec).expect("scene");
    let mut e = encoder(gpu);
    renderer.render_scene(&mut e, &scene).expect("scene passes");
    wait(gpu, e);
    Setup {
        stage,
        renderer,
        scene,
        overrides: overrides.clone(),
    }
}

fn output_views(r: &Renderer) -> Vec<wgpu::TextureView> {
    r.output_textures()
        .map(|t| t.create_view(&Default::default()))
        .collect()
}

/// A plain copy of the output pixels the panels use: the same instanced quads as the composite pass,
/// loading a same-size texture instead of compositing.
struct Copy {
    pipeline: wgpu::RenderPipeline,
    groups: Vec<(wgpu::BindGroup, std::ops::Range<u32>)>,
}

fn copy_setup(gpu: &Gpu, r: &Renderer) -> Copy {
    use wgpu::util::DeviceExt;
    let d = &gpu.device;
    let entry = |binding, ty| wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
        ty,
        count: None,
    };
    let layout = d.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("copy layout"),
        entries: &[
            entry(
                0,
                wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
            ),
            entry(
                1,
                wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: true },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
            ),
            entry(
                2,
                wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
            ),
        ],
    });
    let module = shaders::module(d, "copy", shaders::COPY);
    let pl = d.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("copy"),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let format = wgpu::TextureFormat::Rgba8UnormSrgb;
    let pipeline = d.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("copy"),
        layout: Some(&pl),
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vs_main"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: Default::default(),
        depth_stencil: None,
        multisample: Default::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fs_main"),
            compilation_options: Default::default(),
            targets: &[Some(format.into())],
        }),
        multiview_mask: None,
        cache: None,
    });
    let groups = r
        .output_textures()
        .enumerate()
        .map(|(k, t)| {
            let src = d.create_texture(&wgpu::TextureDescriptor {
                label: Some("copy source"),
                size: t.size(),
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage: wgpu::TextureUsages::TEXTURE_BINDING,
                view_formats: &[],
            });
            let size = [t.width() as f32, t.height() as f32, 0.0, 0.0];
            let size = d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("copy target"),
                contents: bytemuck::cast_slice(&size),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let group = d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("copy"),
                layout: &layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(
                            &src.create_view(&Default::default()),
                        ),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: r.panel_buffer().as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: size.as_entire_binding(),
                    },
                ],
            });
            (group, r.output_instances(k).unwrap_or(0..0))
        })
        .collect();
    Copy { pipeline, groups }
}

fn copy_pass(e: &mut wgpu::CommandEncoder, c: &Copy, views: &[wgpu::TextureView]) {
    for ((g, instances), v) in c.groups.iter().zip(views) {
        let mut pass = parallax::render::clear_pass(e, "copy pass", v);
        pass.set_pipeline(&c.pipeline);
        pass.set_bind_group(0, g, &[]);
        pass.draw(0..6, instances.clone());
    }
}

fn flat_stage(columns: u32, rows: u32, px: (u32, u32)) -> Stage {
    let (w, h) = (columns * px.0, rows * px.1);
    let text = format!(
        r#"Stage(name: "bench", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: {}, height_mm: {}, pixels: ({}, {}))],
  sections: [(name: "W", panel_type: "P",
    shape: Flat(columns: {columns}, rows: {rows}, position: (0.0, 1.5, -3.0), anchor: Centre),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: {w}, height: {h})],
  cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0), inner: Inner(resolution: (960, 640)))],
  render: Render(outer_resolution: 256))"#,
        4000.0 * px.0 as f64 / w as f64 * 1.0,
        2000.0 * px.1 as f64 / h as f64,
        px.0,
        px.1
    );
    Stage::from_ron(&text, "bench.ron").expect("bench stage")
}

fn benches(c: &mut Criterion) {
    let gpu = match Gpu::headless() {
        Ok(g) => g,
        Err(e) => {
            eprintln!("render benches skipped: {e}");
            return;
        }
    };
    let adapter = gpu.info.name.clone();
    eprintln!("adapter: {}", gpu.describe());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages");

    for name in ["demo.ron", "large.ron"] {
        let path = root.join(name);
        if !path.exists() {
            eprintln!("{name} not found: not benchmarked");
            continue;
        }
        let stage = parallax::stage::load(&path).expect("stage");
        let s = setup(&gpu, stage, &Overrides::default());
        let mut group = c.benchmark_group(format!("frame [{adapter}]"));
        group.sample_size(10);
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut e = encoder(&gpu);
                s.renderer.render(&mut e, &s.scene).expect("render");
                wait(&gpu, e);
            })
        });
        group.finish();

        if name == "demo.ron" {
            let views = output_views(&s.renderer);
            let refs: Vec<&wgpu::TextureView> = views.iter().collect();
            let copy = copy_setup(&gpu, &s.renderer);
            // The same frame with the outer frozen: baked once in `setup`, one load per pixel.
            let mut frozen_stage = s.stage.clone();
            frozen_stage.render.frozen_outer = true;
            let f = setup(&gpu, frozen_stage.clone(), &Overrides::default());
            let fviews = output_views(&f.renderer);
            let frefs: Vec<&wgpu::TextureView> = fviews.iter().collect();
            // The same frozen outer with the inner frustum on fewer LEDs: an 85 mm lens, and the
            // camera turned away from every cabinet (the frozen path's floor: copies only).
            let long = Overrides {
                focal_length_mm: Some(85.0),
                ..Default::default()
            };
            let away = Overrides {
                camera_rotation: Some((180.0, -60.0, 0.0)),
                ..Default::default()
            };
            let mut frozen_cases: Vec<(&str, Setup)> = [("85mm", long.clone()), ("away", away)]
                .into_iter()
                .map(|(n, o)| (n, setup(&gpu, frozen_stage.clone(), &o)))
                .collect();
            // The 85 mm frame sampling the inner from level 0 only (one bilinear tap per LED
            // pixel): how much of the frustum's cost is the footprint filter.
            let level0 = setup_sampling(&gpu, frozen_stage.clone(), &long, InnerSampling::Level0);
            frozen_cases.push(("85mm_level0", level0));
            for (n, o) in [
                ("demo camera", Overrides::default()),
                ("85mm", frozen_cases[0].1.overrides.clone()),
                ("away", frozen_cases[1].1.overrides.clone()),
            ] {
                let share = inner_share(&s.stage, &o);
                eprintln!(
                    "LED pixels inside the inner frustum, {n}: {:.1} %",
                    100.0 * share
                );
            }
            let mut group = c.benchmark_group(format!("composite_vs_copy [{adapter}]"));
            group.sample_size(10);
            group.bench_function("composite", |b| {
                b.iter_custom(|iters| {
                    passes(&gpu, iters, |e| {
                        s.renderer.render_outputs_into(e, &refs).expect("composite")
                    })
                })
            });
            group.bench_function("composite_frozen_outer", |b| {
                b.iter_custom(|iters| {
                    passes(&gpu, iters, |e| {
                        f.renderer
                            .render_outputs_into(e, &frefs)
                            .expect("composite")
                    })
                })
            });
            for (n, c) in &frozen_cases {
                let v = output_views(&c.renderer);
                let r: Vec<&wgpu::TextureView> = v.iter().collect();
                group.bench_function(format!("composite_frozen_outer_{n}"), |b| {
                    b.iter_custom(|iters| {
                        passes(&gpu, iters, |e| {
                            c.renderer.render_outputs_into(e, &r).expect("composite")
                        })
                    })
                });
            }
            group.bench_function("copy", |b| {
                b.iter_custom(|iters| passes(&gpu, iters, |e| copy_pass(e, &copy, &views)))
            });
            group.finish();
            eprintln!("demo outputs: {} LED pixels", s.stage.pixel_count());
            inner_sampling(c, &gpu, &adapter, &s);
            gltf_bench::gltf_scene(c, &gpu, &adapter, &s.stage);
            live_bench::live_loop(c, &gpu, &adapter);
            cameras_bench::cameras(c, &gpu, &adapter, &s.stage);
            colour(c, &gpu, &adapter, &s);
        }
    }

    // Equal pixel count, 10 vs 10,000 cabinets: at 640,000 pixels (tiny 8 x 8 cabinets, the worst
    // case for per-cabinet costs) and at 10,240,000 pixels (32 x 32 cabinets).
    let cases = [
        ("640k px/10", 10, 1, (320, 200)),
        ("640k px/10000", 100, 100, (8, 8)),
        ("10M px/10", 5, 2, (1024, 1000)),
        ("10M px/10000", 100, 100, (32, 32)),
    ];
    let mut group = c.benchmark_group(format!("cabinets [{adapter}]"));
    group.sample_size(10);
    for (label, cols, rows, px) in cases {
        let s = setup(&gpu, flat_stage(cols, rows, px), &Overrides::default());
        let views = output_views(&s.renderer);
        let refs: Vec<&wgpu::TextureView> = views.iter().collect();
        group.bench_function(label, |b| {
            b.iter_custom(|iters| {
                passes(&gpu, iters, |e| {
                    s.renderer.render_outputs_into(e, &refs).expect("composite")
                })
            })
        });
    }
    group.finish();
}

/// Inputs of frame `k` of a 200-frame zoom ramp (80 -> 18 mm over 100 frames, then back), the inner
/// resolution scaled from half the stage's at 80 mm to the stage's at 18 mm.
fn zoom_frame(stage: &Stage, k: u64) -> FrameInputs {
    let base = FrameInputs::at_rest(stage, &Overrides::default()).expect("inputs");
    let k = k % 200;
    let t = if k < 100 { k } else { 199 - k } as f64 / 99.0;
    let scale = 0.5 + 0.5 * t;
    let o = Overrides {
        focal_length_mm: Some(80.0 - 62.0 * t),
        inner_resolution: Some((
            ((base.inner_resolution.x as f64 * scale).round() as u32).max(1),
            ((base.inner_resolution.y as f64 * scale).round() as u32).max(1),
        )),
        ..Default::default()
    };
    FrameInputs::at_rest(stage, &o).expect("zoom inputs")
}

fn zoom(c: &mut Criterion) {
    let Ok(gpu) = Gpu::headless() else {
        return;
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/demo.ron");
    let stage = parallax::stage::load(&path).expect("demo stage");
    let mut s = setup(&gpu, stage, &Overrides::default());
    let frame = |s: &mut Setup, k: u64| {
        let inputs = zoom_frame(&s.stage, k);
        s.renderer.prepare(&gpu, &inputs).expect("prepare");
        let mut e = encoder(&gpu);
        s.renderer.render(&mut e, &s.scene).expect("render");
        wait(&gpu, e);
    };
    let before_warm_up = s.renderer.allocation_count();
    for k in 0..100 {
        frame(&mut s, k);
    }
    let warm = s.renderer.allocation_count();
    let warm_groups = s.renderer.bind_group_count();
    let mut k = 100u64;
    let mut group = c.benchmark_group(format!("zoom [{}]", gpu.info.name));
    group.sample_size(10);
    group.bench_function("demo.ron frame along a zoom ramp", |b| {
        b.iter(|| {
            frame(&mut s, k);
            k += 1;
        })
    });
    group.finish();
    gpu.take_uncaptured("the zoom ramp").expect("no GPU errors");
    let frames = k - 100;
    let after = s.renderer.allocation_count() - warm;
    let groups = s.renderer.bind_group_count() - warm_groups;
    eprintln!(
        "zoom: {} allocations during the warm-up ramp (100 frames), then {after} in {frames} frames \
         ({:.3} per frame); {groups} bind groups created in those frames",
        warm - before_warm_up,
        after as f64 / frames.max(1) as f64
    );
}

/// The demo's composite with footprint sampling (the renderer of `s`) vs level-0 sampling, side by
/// side, and the mip chain of an inner frustum of the demo's size.
fn inner_sampling(c: &mut Criterion, gpu: &Gpu, adapter: &str, s: &Setup) {
    let level0 = setup_sampling(
        gpu,
        s.stage.clone(),
        &Overrides::default(),
        InnerSampling::Level0,
    );
    let views = output_views(&s.renderer);
    let refs: Vec<&wgpu::TextureView> = views.iter().collect();
    let mut group = c.benchmark_group(format!("inner_sampling [{adapter}]"));
    group.sample_size(10);
    for (label, r) in [("footprint", &s.renderer), ("level0", &level0.renderer)] {
        group.bench_function(format!("composite/{label}"), |b| {
            b.iter_custom(|iters| {
                passes(gpu, iters, |e| {
                    r.render_outputs_into(e, &refs).expect("composite")
                })
            })
        });
    }
    let size = s.renderer.inputs().expect("prepared").inner_resolution;
    let format = parallax::scene::SCENE_COLOR_FORMAT;
    let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("bench inner"),
        size: wgpu::Extent3d {
            width: size.x,
            height: size.y,
            depth_or_array_layers: 1,
        },
        mip_level_count: parallax::render::mipmap::mip_level_count(size),
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::RENDER_ATTACHMENT,
        view_formats: &[],
    });
    let pass = parallax::render::mipmap::MipmapPass::new(&gpu.device, format);
    let chain = pass.chain(&gpu.device, &texture).expect("mip chain");
    group.bench_function(format!("mip chain {} x {}", size.x, size.y), |b| {
        b.iter_custom(|iters| passes(gpu, iters, |e| pass.record(e, &chain)))
    });
    group.finish();
}

/// Composite with grading + a 33^3 LUT vs without, and the PQ / EXR writers.
fn colour(c: &mut Criterion, gpu: &Gpu, adapter: &str, plain: &Setup) {
    use parallax::colour::cdl::Cdl;
    use parallax::colour::grade::Grade;
    let lut = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/colour/look33.cube");
    let lut = std::sync::Arc::new(parallax::colour::cube::read_cube(&lut).expect("look33.cube"));
    let grade = Grade {
        exposure: 0.3,
        white_balance_k: Some(5600.0),
        cdl: Cdl {
            slope: [1.1, 1.0, 0.9],
            power: [1.1, 1.0, 0.95],
            saturation: 1.2,
            ..Cdl::default()
        },
    };
    let variant = |grades: bool, luts: bool| {
        let mut stage = plain.stage.clone();
        if grades {
            stage.colour.inner = grade;
            stage.colour.outer = grade;
        }
        if luts {
            for o in &mut stage.colour.outputs {
                o.lut = Some(lut.clone());
            }
        }
        setup(gpu, stage, &Overrides::default())
    };
    let (graded, grades_only, lut_only) = (
        variant(true, true),
        variant(true, false),
        variant(false, true),
    );
    // Eight light cards around the wall (four under the inner frusta, four over), with the
    // cards graded like the layers.
    let carded = {
        use parallax::stage::{CardLayer, CardPlacement, CardShape, LightCard};
        let mut stage = plain.stage.clone();
        stage.colour.cards = grade;
        stage.light_cards = (0..8)
            .map(|k| LightCard {
                name: format!("card {k}"),
                shape: if k % 2 == 0 {
                    CardShape::Rectangle
                } else {
                    CardShape::Ellipse
                },
                placement: CardPlacement::Polar {
                    origin: (0.0, 1.5, 0.0),
                    azimuth_deg: -70.0 + 20.0 * k as f64,
                    elevation_deg: 10.0,
                    size_deg: (25.0, 20.0),
                    roll_deg: 0.0,
                },
                colour: (1.0, 0.9, 0.8),
                intensity_nits: 500.0,
                feather: 0.3,
                layer: if k < 4 {
                    CardLayer::Under
                } else {
                    CardLayer::Over
                },
            })
            .collect();
        setup(gpu, stage, &Overrides::default())
    };
    let mut group = c.benchmark_group(format!("colour [{adapter}]"));
    group.sample_size(10);
    let cases = [
        ("composite", plain),
        ("composite + grades + 33^3 LUT", &graded),
        ("composite + grades", &grades_only),
        ("composite + 33^3 LUT", &lut_only),
        ("composite + 8 graded light cards", &carded),
    ];
    for (name, s) in cases {
        let views = output_views(&s.renderer);
        let refs: Vec<&wgpu::TextureView> = views.iter().collect();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                passes(gpu, iters, |e| {
                    s.renderer.render_outputs_into(e, &refs).expect("composite")
                })
            })
        });
    }
    let (w, h) = (1920u32, 1080u32);
    let values: Vec<f32> = (0..w * h * 4).map(|i| (i % 997) as f32 / 997.0).collect();
    let img = parallax::render::ReadImage {
        width: w,
        height: h,
        format: wgpu::TextureFormat::Rgba32Float,
        bytes: bytemuck::cast_slice(&values).to_vec(),
    };
    let dir = std::env::temp_dir().join(format!("parallax-bench-{}", std::process::id()));
    let pq = parallax::colour::output::Encoding::Pq {
        white_nits: 100.0,
        peak_nits: 1000.0,
        bits: 12,
    };
    let exr = parallax::colour::output::Encoding::LinearExr;
    for (name, enc) in [
        ("write 1920x1080 PQ 16-bit PNG", pq),
        ("write 1920x1080 half EXR", exr),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                parallax::render::encode::write_output(
                    &dir.join("out"),
                    &img,
                    &enc,
                    Default::default(),
                )
                .expect("write")
            })
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    group.finish();
}

criterion_group!(render_benches, benches, zoom);
criterion_main!(render_benches);
