//! Output targets: where `parallax run` delivers each output (a window on a display, files every Nth
//! frame, or nothing), as written in the stage file ([`file::TargetFile`]) and checked here. Which
//! monitors exist is known only when the windows open (`crate::live::window`); everything else is
//! checked with the stage: an empty display name, a `Files` target with `every: 0` or an empty
//! `dir`, and two windows on the same display whose regions overlap. Each problem names its output
//! and its field path (`outputs[1].target.every`), which [`super::load`] turns into
//! `file:line:column`.

use super::checks::Problems;
use super::file;
use super::{Output, Subject};

/// A monitor, as a target names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Monitor {
    /// By the name the window system reports (e.g. `HDMI-1`, `DP-2`).
    Name(String),
    /// By index in the window system's list of monitors, from 0.
    Index(usize),
}

impl Monitor {
    /// A display as written: digits are an index, anything else a name (trimmed).
    pub fn parse(s: &str) -> Monitor {
        let s = s.trim();
        match s.parse::<usize>() {
            Ok(i) => Monitor::Index(i),
            Err(_) => Monitor::Name(s.to_string()),
        }
    }
}

impl std::fmt::Display for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Monitor::Name(n) => write!(f, "'{n}'"),
            Monitor::Index(i) => write!(f, "{i}"),
        }
    }
}

/// Where an output goes (resolved from [`file::TargetFile`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A borderless window on `monitor`: fullscreen (`at: None`) or of the output's size at `at`
    /// (pixels from the monitor's top-left corner).
    Window {
        monitor: Monitor,
        at: Option<(i32, i32)>,
    },
    /// Every `every`th frame (at least 1) into `dir` (as written: relative to the stage file, see
    /// [`super::Stage::resolve_path`]).
    Files { dir: String, every: u64 },
    /// Rendered, then discarded.
    Null,
}

impl Target {
    fn of(t: &file::TargetFile) -> Target {
        match t {
            file::TargetFile::Window { display, position } => Target::Window {
                monitor: Monitor::parse(display),
                at: *position,
            },
            file::TargetFile::Files { dir, every } => Target::Files {
                dir: dir.clone(),
                every: (*every).max(1),
            },
            file::TargetFile::Null => Target::Null,
        }
    }
}

/// The region a window covers on its monitor: `None` for the whole monitor (fullscreen), else
/// `(x, y, width, height)` in pixels.
pub type Region = Option<(i64, i64, i64, i64)>;

/// Whether two window regions on the same monitor overlap (a fullscreen window overlaps every
/// other window on its monitor; rectangles overlap when they share at least one pixel).
pub fn regions_overlap(a: Region, b: Region) -> bool {
    match (a, b) {
        (Some((ax, ay, aw, ah)), Some((bx, by, bw, bh))) => {
            ax < bx + bw && bx < ax + aw && ay < by + bh && by < ay + ah
        }
        _ => true,
    }
}

/// Checks every output's target and resolves it into `outputs[k].target`. Problems name the
/// output and end with `(at outputs[k].target.FIELD)`.
pub(super) fn check(f: &file::Stage, outputs: &mut [Output], problems: &mut Problems) {
    let mut windows: Vec<(usize, Monitor, Region)> = Vec::new();
    for (k, o) in f.outputs.iter().enumerate() {
        let Some(t) = &o.target else { continue };
        let subject = Subject::Output(o.name.clone());
        let at = |field: &str| format!("(at outputs[{k}].target{field})");
        match t {
            file::TargetFile::Window { display, position } => {
                if display.trim().is_empty() {
                    problems.push(
                        subject,
                        format!(
                            "the window's display is empty: give a monitor name (e.g. \"HDMI-1\") or an index (\"0\") {}",
                            at(".display")
                        ),
                    );
                } else {
                    let region = position
                        .map(|(x, y)| (x as i64, y as i64, o.width as i64, o.height as i64));
                    let monitor = Monitor::parse(display);
                    for (j, m, r) in &windows {
                        if *m == monitor && regions_overlap(*r, region) {
                            problems.push(
                                subject.clone(),
                                format!(
                                    "its window overlaps output '{}''s window on display {monitor}{} {}",
                                    f.outputs[*j].name,
                                    if r.is_none() || region.is_none() {
                                        " (a window without a position fills the display)"
                                    } else {
                                        ""
                                    },
                                    at("")
                                ),
                            );
                        }
                    }
                    windows.push((k, monitor, region));
                }
            }
            file::TargetFile::Files { dir, every } => {
                if *every == 0 {
                    problems.push(
                        subject.clone(),
                        format!(
                            "every must be at least 1 (1 writes every frame) {}",
                            at(".every")
                        ),
                    );
                }
                if dir.trim().is_empty() {
                    problems.push(subject, format!("the folder (dir) is empty {}", at(".dir")));
                }
            }
            file::TargetFile::Null => {}
        }
        if let Some(out) = outputs.get_mut(k) {
            out.target = Some(Target::of(t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::{Stage, StageError};

    /// `tiny.ron` with two more outputs, `left` (the ceiling's cabinets) and `right` (one more
    /// cabinet, section `D`, written on the ceiling's line so that line numbers stay), each output
    /// given the target written for it (line 23 holds `main`, 24 `left`, 25 `right`).
    fn tiny_with(main: &str, left: &str, right: &str) -> String {
        let tiny = include_str!("../../assets/stages/tiny.ron");
        let outputs = format!(
            "        Output(name: \"main\", width: 128, height: 64{main}),\n        Output(name: \"left\", width: 100, height: 50{left}),\n        Output(name: \"right\", width: 100, height: 50{right}),"
        );
        let text = tiny.replace(
            "        Output(name: \"main\", width: 128, height: 64),",
            &outputs,
        );
        let text = text.replace(
            r#"placement: Auto(outputs: ["main"], origin: (96, 0), rotation: 90),"#,
            r#"placement: Auto(outputs: ["left"], rotation: 90)), (name: "D", panel_type: "T16", shape: Flat(columns: 1, rows: 1, position: (3.0, 1.2, -1.5)), placement: Auto(outputs: ["right"]),"#,
        );
        assert_ne!(text, tiny);
        assert!(text.lines().nth(23).unwrap().contains("\"left\""));
        text
    }

    /// The stage's problems (none when it is valid).
    fn problems(text: &str) -> Vec<String> {
        match Stage::from_ron(text, "tiny.ron") {
            Err(StageError::Invalid { problems, .. }) => {
                problems.iter().map(|p| p.to_string()).collect()
            }
            Err(e) => panic!("not a semantic error: {e}"),
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn targets_parse_into_the_stage() {
        let text = tiny_with(
            r#", target: Files(dir: "out-run", every: 10)"#,
            r#", target: Window(display: "HDMI-1", position: Some((0, 0)))"#,
            r#", target: Window(display: "1")"#,
        );
        let stage = Stage::from_ron(&text, "tiny.ron").unwrap_or_else(|e| panic!("{e}"));
        let targets: Vec<_> = stage.outputs.iter().map(|o| o.target.clone()).collect();
        assert_eq!(
            targets,
            [
                Some(Target::Files {
                    dir: "out-run".into(),
                    every: 10
                }),
                Some(Target::Window {
                    monitor: Monitor::Name("HDMI-1".into()),
                    at: Some((0, 0))
                }),
                Some(Target::Window {
                    monitor: Monitor::Index(1),
                    at: None
                }),
            ]
        );
        // `every` defaults to 1; `Null`; no target at all.
        let text = tiny_with(r#", target: Files(dir: "d")"#, ", target: Null", "");
        let stage = Stage::from_ron(&text, "tiny.ron").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            stage.outputs[0].target,
            Some(Target::Files {
                dir: "d".into(),
                every: 1
            })
        );
        assert_eq!(stage.outputs[1].target, Some(Target::Null));
        assert_eq!(stage.outputs[2].target, None);
    }

    #[test]
    fn a_misspelt_target_is_a_located_syntax_error() {
        let text = tiny_with(r#", target: Files(dir: "d", evry: 2)"#, "", "");
        let e = Stage::from_ron(&text, "tiny.ron").unwrap_err().to_string();
        // Line 23: `        Output(name: "main", width: 128, height: 64, target: Files(dir: "d", evry: 2)),`
        assert!(e.starts_with("tiny.ron:23:"), "{e}");
        assert!(e.contains("unknown field 'evry'"), "{e}");
        assert!(e.contains("outputs[0].target"), "{e}");
    }

    #[test]
    fn bad_targets_are_all_reported_with_line_and_column() {
        // main: every 0 and an empty folder; left: an empty display; right: fine.
        let text = tiny_with(
            r#", target: Files(dir: "", every: 0)"#,
            r#", target: Window(display: " ")"#,
            r#", target: Window(display: "0")"#,
        );
        let p = problems(&text);
        // Line 23 is 8 spaces + `Output(name: "main", width: 128, height: 64, target: Files(dir: "", every: 0)),`:
        // by hand, `dir` starts at column 8 + 59 + 1 = 68, `every` 9 characters later.
        let line23 = text.lines().nth(22).unwrap();
        let col = |s: &str| line23.find(s).unwrap() + 1;
        assert_eq!((col("dir:"), col("every:")), (68, 77));
        assert!(
            p.contains(&format!(
                "tiny.ron:23:{}: output 'main': every must be at least 1 (1 writes every frame) (at outputs[0].target.every)",
                col("every:")
            )),
            "{p:#?}"
        );
        assert!(
            p.contains(&"tiny.ron:23:68: output 'main': the folder (dir) is empty (at outputs[0].target.dir)".to_string()),
            "{p:#?}"
        );
        let line24 = text.lines().nth(23).unwrap();
        let display = line24.find("display:").unwrap() + 1;
        assert!(
            p.iter().any(|m| m.starts_with(&format!(
                "tiny.ron:24:{display}: output 'left': the window's display is empty"
            ))),
            "{p:#?}"
        );
        assert_eq!(p.len(), 3, "{p:#?}");
    }

    #[test]
    fn overlapping_windows_on_one_display_are_refused() {
        // 100 x 50 windows at (0, 0) and (99, 49) on HDMI-1 share a pixel; at (100, 0) they would not.
        let at = |x: i32, y: i32| {
            format!(r#", target: Window(display: "HDMI-1", position: Some(({x}, {y})))"#)
        };
        let overlap = |p: &[String]| {
            p.iter()
                .filter(|m| m.contains("overlaps"))
                .cloned()
                .collect::<Vec<_>>()
        };
        let p = problems(&tiny_with("", &at(0, 0), &at(99, 49)));
        let line25 = tiny_with("", &at(0, 0), &at(99, 49))
            .lines()
            .nth(24)
            .unwrap()
            .to_string();
        let target = line25.find("target:").unwrap() + 1;
        assert_eq!(
            overlap(&p),
            [format!(
                "tiny.ron:25:{target}: output 'right': its window overlaps output 'left''s window on display 'HDMI-1' (at outputs[2].target)"
            )]
        );
        assert!(overlap(&problems(&tiny_with("", &at(0, 0), &at(100, 0)))).is_empty());
        // The same position on another display is fine; a fullscreen window on the display is not.
        let other = r#", target: Window(display: "HDMI-2", position: Some((0, 0)))"#;
        assert!(overlap(&problems(&tiny_with("", &at(0, 0), other))).is_empty());
        let full = r#", target: Window(display: "HDMI-1")"#;
        assert_eq!(
            overlap(&problems(&tiny_with(full, &at(5000, 0), ""))).len(),
            1
        );
    }

    #[test]
    fn displays_parse_as_index_or_name() {
        assert_eq!(Monitor::parse("1"), Monitor::Index(1));
        assert_eq!(Monitor::parse(" 02 "), Monitor::Index(2));
        assert_eq!(Monitor::parse("HDMI-1"), Monitor::Name("HDMI-1".into()));
    }

    #[test]
    fn window_regions_overlap_by_hand() {
        // 100 x 50 at (0, 0) and at (100, 0) touch but share no pixel.
        assert!(!regions_overlap(
            Some((0, 0, 100, 50)),
            Some((100, 0, 100, 50))
        ));
        assert!(!regions_overlap(
            Some((0, 0, 100, 50)),
            Some((0, 50, 100, 50))
        ));
        // One pixel shared at (99, 49).
        assert!(regions_overlap(
            Some((0, 0, 100, 50)),
            Some((99, 49, 10, 10))
        ));
        // A fullscreen window overlaps everything on its display.
        assert!(regions_overlap(None, Some((5000, 5000, 1, 1))));
        assert!(regions_overlap(None, None));
    }
}
