//! The `pixel-map` test case: the stage's pixel map compared exactly with `refs/pixel-map.json`
//! ([`crate::mapping::diff_maps`]), the message summarising each section before a limited
//! per-cabinet detail, and the whole diff written to `--out` as `pixel-map.diff.json`.

use std::path::Path;
use std::time::Instant;

use super::run::RunOptions;
use super::{CaseResult, Outcome};
use crate::mapping::{DETAIL_LIMIT, OTHERS_LIMIT, PixelMap, diff_maps};
use crate::stage::Stage;

/// Compares (or, with `--update`, writes) the pixel map of `stage` against `refs/pixel-map.json`.
pub(super) fn check_pixel_map(stage: &Stage, refs: &Path, options: &RunOptions) -> CaseResult {
    let started = Instant::now();
    let reference = refs.join("pixel-map.json");
    let actual = PixelMap::of(stage);
    let mut files = Vec::new();
    let mut changed = Vec::new();
    let outcome = if options.updates("pixel-map", "pixel-map") {
        match crate::io::write_json(&reference, &actual) {
            Ok(()) => {
                files.push(reference.clone());
                Outcome::Updated(format!("wrote {}", reference.display()))
            }
            Err(e) => Outcome::Error(e.to_string()),
        }
    } else {
        match std::fs::read_to_string(&reference) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Missing(format!(
                "no reference {} (run with --update=pixel-map to write it)",
                reference.display()
            )),
            Err(e) => Outcome::Error(format!("cannot read {}: {e}", reference.display())),
            Ok(text) => match serde_json::from_str::<PixelMap>(&text) {
                Err(e) => Outcome::Error(format!("cannot parse {}: {e}", reference.display())),
                Ok(expected) => {
                    let d = diff_maps(&expected, &actual);
                    if d.is_empty() {
                        let (cabinets, outputs) = (actual.panels.len(), actual.outputs.len());
                        let s = |n: usize| if n == 1 { "" } else { "s" };
                        Outcome::Passed(format!(
                            "{cabinets} cabinet{} in {outputs} output{} unchanged",
                            s(cabinets),
                            s(outputs)
                        ))
                    } else {
                        changed = d.cabinets();
                        // The actual map, and the whole diff (every cabinet) that the message
                        // only summarises past a few lines.
                        let mut note = String::new();
                        let path = options.out.join("pixel-map.actual.json");
                        match crate::io::write_json(&path, &actual) {
                            Ok(()) => files.push(path),
                            Err(e) => note = format!(" ({e})"),
                        }
                        let diff_path = options.out.join("pixel-map.diff.json");
                        let full = match crate::io::write_json(&diff_path, &d) {
                            Ok(()) => {
                                files.push(diff_path.clone());
                                Some(diff_path.display().to_string())
                            }
                            Err(e) => {
                                note = format!(" ({e})");
                                None
                            }
                        };
                        let text = d.describe_limited(DETAIL_LIMIT, OTHERS_LIMIT, full.as_deref());
                        Outcome::Failed(format!("{text}{note}"))
                    }
                }
            },
        }
    };
    CaseResult {
        case: "pixel-map".into(),
        name: "pixel-map".into(),
        outcome,
        files,
        changed_cabinets: changed,
        seconds: started.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stage whose section 'W' is 53 x 27 = 1,431 cabinets of 16 px, placed at `x` in output
    /// 'o', and a section 'C' of 2 x 2 below it.
    fn big_section(x: i32) -> Stage {
        let text = format!(
            r#"Stage(
    name: "Big", frame_rate: 60.0,
    panel_types: [PanelType(name: "T16", width_mm: 250.0, height_mm: 250.0, pixels: (16, 16))],
    sections: [
        (name: "W", panel_type: "T16",
         shape: Flat(columns: 53, rows: 27, position: (-6.0, 1.5, -6.0)),
         placement: Auto(outputs: ["o"], origin: ({x}, 0))),
        (name: "C", panel_type: "T16",
         shape: Flat(columns: 2, rows: 2, position: (0.0, 9.0, -6.0)),
         placement: Auto(outputs: ["o"], origin: (0, 448))),
    ],
    outputs: [Output(name: "o", width: 1024, height: 512)],
    cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0), lens: Lens(focal_length_mm: 24.0, sensor_mm: (36.0, 24.0)))],
)"#
        );
        Stage::from_ron(&text, "big.ron").unwrap()
    }

    #[test]
    fn a_section_shifted_by_one_column_is_one_line_and_the_full_list_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let refs = dir.path().join("refs");
        crate::io::write_json(&refs.join("pixel-map.json"), &PixelMap::of(&big_section(0)))
            .unwrap();
        let options = RunOptions {
            update: None,
            out: dir.path().join("out"),
        };
        // One column (16 px) to the right.
        let r = check_pixel_map(&big_section(16), &refs, &options);
        let Outcome::Failed(text) = &r.outcome else {
            panic!("{:?}", r.outcome)
        };
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "pixel map changed: 1,431 cabinets changed in 1 section"
        );
        let sections: Vec<usize> = (0..lines.len())
            .filter(|&k| lines[k].trim_start().starts_with("section '"))
            .collect();
        assert_eq!(sections, vec![1], "{text}");
        assert_eq!(
            lines[1].trim(),
            "section 'W': all 1,431 cabinets moved +16 px in x in output 'o'"
        );
        let cabinet_lines: Vec<usize> = (0..lines.len())
            .filter(|&k| lines[k].trim_start().starts_with("W-"))
            .collect();
        assert_eq!(cabinet_lines.len(), crate::mapping::DETAIL_LIMIT, "{text}");
        assert!(cabinet_lines[0] > 1);
        let diff_path = options.out.join("pixel-map.diff.json");
        assert_eq!(
            *lines.last().unwrap(),
            format!("  and 1,421 more (all in {})", diff_path.display())
        );
        assert!(lines.len() < 20, "{} lines", lines.len());
        let diff: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&diff_path).unwrap()).unwrap();
        assert_eq!(diff["cabinets"].as_array().unwrap().len(), 1431);
        assert_eq!(r.changed_cabinets.len(), 1431);
        assert!(r.files.contains(&diff_path));
    }
}
