//! Opens the preview window on a stage from the library: `cargo run --example preview [STAGE]`.
//! The same as `parallax preview [STAGE]`; see docs/preview.md for the keys.

use std::path::PathBuf;

use parallax::preview::{PreviewOptions, View};
use parallax::scene::SceneSpec;

fn main() -> anyhow::Result<()> {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/stages/demo.ron")
        });
    let stage = parallax::stage::load(&path)?;
    let options = PreviewOptions {
        view: View::Stage,
        scene: SceneSpec {
            environment: None,
            environment_yaw_deg: stage.render.environment_yaw_deg,
            test_scene: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let report = parallax::preview::run(stage, options)?;
    println!("{} frames on {}", report.frames, report.adapter);
    Ok(())
}
