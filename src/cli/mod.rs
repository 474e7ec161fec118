//! Subcommands of the `parallax` binary.

pub mod burnin;
pub mod check;
pub mod map;
pub mod nodes;
pub mod pattern;
pub mod preview;
pub mod remote;
pub mod render;
pub mod run;
pub mod track;
pub mod validate;

use std::path::{Path, PathBuf};

/// The bundled demo stage, used when a command is given no stage.
pub fn default_stage() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/demo.ron")
}

/// Loads a stage, printing its warnings to stderr.
pub fn load_stage(path: &Path) -> anyhow::Result<parallax::stage::Stage> {
    let stage = parallax::stage::load(path)?;
    for w in &stage.warnings {
        eprintln!("warning: {w}");
    }
    Ok(stage)
}
