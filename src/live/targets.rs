//! Where each output of a run goes: the stage file's per-output targets
//! ([`crate::stage::Target`]), overridden by the command line's switches, resolved into one plan:
//! the outputs shown in windows (with their placements) and the file sinks (outputs grouped by
//! folder and interval). Outputs in neither go to the null sink.
//!
//! Precedence, per output: `--display OUTPUT=...` (a window there); else `--windows` (a window, at
//! the stage file's placement if it gives one); else `--sink` (every output to that sink); else the
//! stage file's `target:` with `--out` / `--every` replacing a `Files` target's folder / interval;
//! else the null sink.

use std::path::PathBuf;

use super::sink::FileSink;
use super::window::Placement;
use crate::stage::{Stage, Target};

/// A headless sink chosen on the command line for every output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadlessSink {
    /// Rendered, then discarded.
    Null,
    /// Files every `--every` frames into `--out`.
    Files,
}

/// The command line's target switches (all optional: nothing given means the stage file's
/// targets).
#[derive(Clone, Debug, Default)]
pub struct TargetOverrides {
    /// `--windows`: every output in a window.
    pub windows: bool,
    /// `--sink`: every output to this sink.
    pub sink: Option<HeadlessSink>,
    /// `--display`: these outputs in windows placed so.
    pub displays: Vec<Placement>,
    /// `--out`: the folder of file targets (replacing the stage file's).
    pub out: Option<PathBuf>,
    /// `--every`: the interval of file targets (replacing the stage file's).
    pub every: Option<u64>,
}

/// Folder of `--sink files` without `--out`.
pub const DEFAULT_OUT: &str = "out-run";

/// An output shown in a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowTarget {
    /// The output's name.
    pub output: String,
    /// Where the window goes (`None`: an ordinary window of the output's size).
    pub placement: Option<Placement>,
}

/// Where every output of a run goes.
#[derive(Debug, Default)]
pub struct Plan {
    /// Outputs shown in windows, in stage order.
    pub windows: Vec<WindowTarget>,
    /// File sinks, each for the outputs sharing a folder and an interval.
    pub files: Vec<FileSink>,
    /// Outputs going to the null sink (rendered, then discarded), in stage order.
    pub null: Vec<String>,
}

impl Plan {
    /// Whether any output is shown in a window (the run then needs a window system).
    pub fn has_windows(&self) -> bool {
        !self.windows.is_empty()
    }

    /// One line per target group, for the terminal.
    pub fn describe(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .windows
            .iter()
            .map(|w| match &w.placement {
                Some(p) => format!(
                    "{}: window on display {}{}",
                    w.output,
                    p.monitor,
                    p.at.map(|(x, y)| format!(" at {x},{y}"))
                        .unwrap_or_default()
                ),
                None => format!("{}: window", w.output),
            })
            .collect();
        for f in &self.files {
            lines.push(format!(
                "{}: files every {} frame(s) into {}/frame-NNNNNN/",
                f.outputs.as_deref().unwrap_or_default().join(", "),
                f.every,
                f.dir.display()
            ));
        }
        if !self.null.is_empty() {
            lines.push(format!(
                "{}: null sink (rendered, then discarded)",
                self.null.join(", ")
            ));
        }
        lines
    }
}

/// Why the targets do not fit together.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// `--windows` and `--sink` both given.
    #[error(
        "--windows shows every output in a window; leave out --sink (or use --display for some outputs)"
    )]
    WindowsAndSink,
    /// `--display` names an output the stage does not have.
    #[error("--display {output}=...: the stage has no output '{output}' (outputs: {known})")]
    UnknownOutput {
        /// The name given.
        output: String,
        /// The stage's outputs, comma-separated.
        known: String,
    },
    /// `--every 0`.
    #[error("--every must be at least 1")]
    EveryZero,
}

/// Resolves where each output of `stage` goes under the command line's `overrides` (see the
/// module's precedence). A `Files` target's folder is resolved against the stage file's folder;
/// `--out` against the working folder.
pub fn plan(stage: &Stage, overrides: &TargetOverrides) -> Result<Plan, TargetError> {
    if overrides.windows && overrides.sink.is_some() {
        return Err(TargetError::WindowsAndSink);
    }
    if overrides.every == Some(0) {
        return Err(TargetError::EveryZero);
    }
    for d in &overrides.displays {
        if stage.output_index(&d.output).is_none() {
            return Err(TargetError::UnknownOutput {
                output: d.output.clone(),
                known: stage
                    .outputs
                    .iter()
                    .map(|o| o.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    let mut plan = Plan::default();
    let mut files: Vec<(PathBuf, u64, Vec<String>)> = Vec::new();
    let mut to_files = |dir: PathBuf, every: u64, name: &str| match files
        .iter_mut()
        .find(|(d, e, _)| *d == dir && *e == every)
    {
        Some((_, _, names)) => names.push(name.to_string()),
        None => files.push((dir, every, vec![name.to_string()])),
    };
    for o in &stage.outputs {
        let name = o.name.as_str();
        let stage_placement = match &o.target {
            Some(Target::Window { monitor, at }) => Some(Placement {
                output: o.name.clone(),
                monitor: monitor.clone(),
                at: *at,
            }),
            _ => None,
        };
        if let Some(p) = overrides.displays.iter().find(|p| p.output == name) {
            plan.windows.push(WindowTarget {
                output: o.name.clone(),
                placement: Some(p.clone()),
            });
            continue;
        }
        if overrides.windows {
            plan.windows.push(WindowTarget {
                output: o.name.clone(),
                placement: stage_placement,
            });
            continue;
        }
        let out = || {
            overrides
                .out
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT))
        };
        match (overrides.sink, &o.target) {
            (Some(HeadlessSink::Null), _) => plan.null.push(o.name.clone()),
            (Some(HeadlessSink::Files), _) => to_files(out(), overrides.every.unwrap_or(1), name),
            (None, Some(Target::Window { .. })) => plan.windows.push(WindowTarget {
                output: o.name.clone(),
                placement: stage_placement,
            }),
            (None, Some(Target::Files { dir, every })) => {
                let dir = match &overrides.out {
                    Some(d) => d.clone(),
                    None => stage.resolve_path(dir),
                };
                to_files(dir, overrides.every.unwrap_or(*every), name);
            }
            (None, Some(Target::Null) | None) => plan.null.push(o.name.clone()),
        }
    }
    plan.files = files
        .into_iter()
        .map(|(dir, every, names)| FileSink::for_outputs(dir, every, names))
        .collect();
    Ok(plan)
}

/// Whether two stages deliver their outputs to the same targets (names and targets in order):
/// when an edit changes them, the run must be restarted to apply them.
pub fn same_targets(a: &Stage, b: &Stage) -> bool {
    a.outputs
        .iter()
        .map(|o| (&o.name, &o.target))
        .eq(b.outputs.iter().map(|o| (&o.name, &o.target)))
}
