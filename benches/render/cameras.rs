//! `cameras/*`: the composite + map pass of the demo's outputs drawing four cameras' inner frusta
//! vs one, the inner renders done once beforehand (excluded), side by side in one run. The four
//! cameras are the demo camera and three copies panned -20, +20 and +40 degrees, so their frusta
//! overlap and cover more of the wall than one; with the demo's 35 mm lens and with 85 mm lenses
//! (each frustum on about 15 % of the wall).

use criterion::Criterion;
use parallax::gpu::Gpu;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::SceneSpec;
use parallax::stage::Stage;

fn encoder(gpu: &Gpu) -> wgpu::CommandEncoder {
    gpu.device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("bench"),
        })
}

fn wait(gpu: &Gpu, encoder: wgpu::CommandEncoder) {
    gpu.queue.submit([encoder.finish()]);
    let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
}

pub fn cameras(c: &mut Criterion, gpu: &Gpu, adapter: &str, demo: &Stage) {
    let mut stage = demo.clone();
    let first = stage.cameras[0].clone();
    for (k, pan) in [(1, -20.0f64), (2, 20.0), (3, 40.0)] {
        let mut cam = first.clone();
        cam.name = format!("C{k}");
        let turn = glam::DQuat::from_rotation_y(pan.to_radians());
        cam.rest.pose.rotation = turn * cam.rest.pose.rotation;
        stage.cameras.push(cam);
    }
    let options = RendererOptions {
        wall: false,
        camera: false,
        ..Default::default()
    };
    let primary = FrameInputs::at_rest(&stage, &Overrides::default()).expect("inputs");
    let four = FrameInputs::with_stage_cameras(&stage, primary.clone(), |_| None).expect("cameras");
    assert_eq!(four.len(), 4);
    // The same four with 85 mm lenses: each frustum on about 15 % of the wall, as on a stage
    // larger than the demo's.
    let long = Overrides {
        focal_length_mm: Some(85.0),
        ..Default::default()
    };
    let at_85 = |c: &FrameInputs| {
        let cam = stage.camera(&c.camera_name).expect("camera");
        FrameInputs::resolve(&stage, &c.camera_name, &cam.rest, &long).expect("inputs")
    };
    let four_85: Vec<FrameInputs> = four.iter().map(at_85).collect();
    let one_85 = vec![four_85[0].clone()];
    let setups: Vec<(&str, Renderer)> = [
        ("one", vec![primary]),
        ("four", four),
        ("one_85mm", one_85),
        ("four_85mm", four_85),
    ]
    .into_iter()
    .map(|(name, cams)| {
        let mut r = Renderer::new(gpu, &stage, options.clone()).expect("renderer");
        r.prepare_cameras(gpu, &cams).expect("prepare");
        let spec = SceneSpec {
            test_scene: true,
            ..Default::default()
        };
        let scene = parallax::scene::build(&r.scene_context(gpu), &spec).expect("scene");
        let mut e = encoder(gpu);
        r.render_scene(&mut e, &scene).expect("scene passes");
        wait(gpu, e);
        (name, r)
    })
    .collect();
    let mut group = c.benchmark_group(format!("cameras [{adapter}]"));
    group.sample_size(10);
    for (name, r) in &setups {
        let views: Vec<wgpu::TextureView> = r
            .output_textures()
            .map(|t| t.create_view(&Default::default()))
            .collect();
        let refs: Vec<&wgpu::TextureView> = views.iter().collect();
        group.bench_function(format!("composite_{name}"), |b| {
            b.iter_custom(|iters| {
                super::passes(gpu, iters, |e| {
                    r.render_outputs_into(e, &refs).expect("composite")
                })
            })
        });
    }
    group.finish();
}
