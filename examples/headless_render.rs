//! Renders one frame of the demo stage headless and writes one PNG per output.
//!
//! `cargo run --release --example headless_render [STAGE] [OUT_DIR]`

use std::path::PathBuf;

use parallax::gpu::Gpu;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::SceneSpec;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let stage_path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/stages/demo.ron")
    });
    let out = PathBuf::from(args.next().unwrap_or_else(|| "out/example".into()));

    // The stage: panels, outputs, the camera and its inner frustum.
    let stage = parallax::stage::load(&stage_path)?;
    // Pose the camera: overrides replace what the stage file says.
    let overrides = Overrides {
        camera_rotation: Some((10.0, 4.0, 0.0)),
        ..Default::default()
    };
    let inputs = FrameInputs::at_rest(&stage, &overrides)?;

    // GPU, renderer (pipelines and output textures, created once) and the scene.
    let gpu = Gpu::headless()?;
    println!("adapter: {}", gpu.describe());
    let mut renderer = Renderer::new(&gpu, &stage, RendererOptions::default())?;
    let spec = SceneSpec {
        test_scene: true,
        ..Default::default()
    };
    let scene = parallax::scene::build(&renderer.scene_context(&gpu), &spec)?;

    // One frame: upload the frame's uniforms, record the passes, read back.
    renderer.prepare(&gpu, &inputs)?;
    let frame = renderer.render_frame(&gpu, &scene)?;
    for (name, image) in &frame.outputs {
        let path = out.join(format!("{name}.png"));
        parallax::io::write_png(&path, &image.to_rgba8())?;
        println!("wrote {}", path.display());
    }
    if let Some(camera) = &frame.camera {
        parallax::io::write_png(&out.join("camera.png"), &camera.to_rgba8())?;
    }
    Ok(())
}
