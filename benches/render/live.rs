//! `live_loop/*`: the live loop's overhead. Frames of tiny.ron from the bundled take rendered by
//! `LiveLoop::step` with the null sink (tracking lookup, resolve, render, wait, figures, frame
//! bookkeeping) vs the same frames rendered directly (take lookup, resolve, prepare, submit, wait),
//! side by side in one run.

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::Criterion;
use parallax::gpu::Gpu;
use parallax::live::{LiveLoop, NullSink, Pacing, RunOptions, Sink};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::SceneSpec;
use parallax::tracking::{Take, TakeCameras};

pub fn live_loop(c: &mut Criterion, gpu: &Gpu, adapter: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stage_path = root.join("assets/stages/tiny.ron");
    let take_path = root.join("assets/takes/demo-truck.take");
    let stage = parallax::stage::load(&stage_path).expect("tiny stage");
    let take = Take::load(&take_path).expect("take");
    let cams = TakeCameras::new(&take, &stage.camera_specs(), stage.frame_rate).expect("cameras");
    let frames = cams.frame_count().max(1);
    let name = stage.cameras[0].name.clone();
    let options = RendererOptions {
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut renderer = Renderer::new(gpu, &stage, options).expect("renderer");
    let scene = parallax::scene::build(
        &renderer.scene_context(gpu),
        &SceneSpec::for_stage(&stage, None),
    )
    .expect("scene");
    let mut live = LiveLoop::new(
        &stage_path,
        RunOptions {
            take: Some(take_path.clone()),
            pacing: Pacing::Unpaced,
            ..Default::default()
        },
    )
    .expect("live loop");
    let mut group = c.benchmark_group(format!("live_loop [{adapter}]"));
    let mut n = 0u64;
    let mut null = NullSink;
    // Each iteration renders a frame both ways, alternating, and times one of them: a load that
    // comes and goes on the machine weighs on both alike.
    let mut both = |time_step: bool, iters: u64| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let f = n % frames;
            n += 1;
            let t = Instant::now();
            let state = cams.camera_at_frame(&name, f).expect("tracked");
            let inputs = FrameInputs::resolve_tracked(&stage, &name, &state, &Overrides::default())
                .expect("inputs");
            renderer.prepare(gpu, &inputs).expect("prepare");
            renderer.submit_frame(gpu, &scene).expect("submit");
            gpu.wait_idle().expect("wait");
            let direct = t.elapsed();
            let t = Instant::now();
            let mut sinks: [&mut dyn Sink; 1] = [&mut null];
            live.step(&mut sinks, Instant::now());
            let step = t.elapsed();
            total += if time_step { step } else { direct };
        }
        total
    };
    group.bench_function("render (direct)", |b| {
        b.iter_custom(|iters| both(false, iters))
    });
    group.bench_function("run step (null sink)", |b| {
        b.iter_custom(|iters| both(true, iters))
    });
    group.finish();
}
