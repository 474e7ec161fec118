//! Cabinets that changed together: each changed cabinet's [`Motion`] (how it moved in its output
//! and in space), grouped per section, so that a moved section reads as one line ("section 'W': all
//! 1,431 cabinets moved +176 px in x in output 'wall-1'") before any per-cabinet detail, and the
//! cabinets that moved differently from their section's majority stand out.

use serde::Serialize;

use super::MapPanel;

/// How far a cabinet moved in space, between two maps.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpaceMotion {
    /// Where it was (within a micrometre).
    Same,
    /// Translated by this displacement, in micrometres (stage x, y, z), edges unchanged.
    Translated([i64; 3]),
    /// Its right or down edge changed: turned, tilted or resized in space.
    Turned,
}

/// A cabinet's `[step_col, step_row]` in its output (output pixels per LED column and row).
pub type Steps = [[i32; 2]; 2];

/// How one cabinet changed between two maps, in terms that cabinets moving together share.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Motion {
    /// Only in the new map.
    Added,
    /// Only in the reference.
    Removed,
    /// In both maps, placed or positioned differently.
    Changed {
        /// The output it moved from and to, when it changed output.
        output: Option<(String, String)>,
        /// Offset of its origin in output pixels (new - old); zero when its steps changed (then
        /// the offset differs cabinet by cabinet and `steps` says how it turned).
        offset: [i32; 2],
        /// `(step_col, step_row)` before and after, when they changed (turned or mirrored in the
        /// output).
        steps: Option<(Steps, Steps)>,
        /// Its LED pixel count changed.
        pixels: bool,
        /// Its processor, port or place in the chain changed.
        cabling: bool,
        /// How it moved in space.
        space: SpaceMotion,
    },
}

/// How `p` changed from `e`, or `None` when it did not. `cables`: whether the reference records
/// the cabling (a map written before it did has none: not a change).
pub(super) fn motion(e: &MapPanel, p: &MapPanel, cables: bool) -> Option<Motion> {
    let steps = (e.step_col != p.step_col || e.step_row != p.step_row)
        .then_some(([e.step_col, e.step_row], [p.step_col, p.step_row]));
    let offset = if steps.is_some() {
        [0, 0]
    } else {
        [p.origin[0] - e.origin[0], p.origin[1] - e.origin[1]]
    };
    let near = |a: &[f64; 3], b: &[f64; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-6);
    let space = if !(near(&e.world.right, &p.world.right) && near(&e.world.down, &p.world.down)) {
        SpaceMotion::Turned
    } else if near(&e.world.top_left, &p.world.top_left) {
        SpaceMotion::Same
    } else {
        let d = |k: usize| ((p.world.top_left[k] - e.world.top_left[k]) * 1e6).round() as i64;
        SpaceMotion::Translated([d(0), d(1), d(2)])
    };
    let cabling = |m: &MapPanel| (m.processor.clone(), m.port, m.chain_position);
    let m = Motion::Changed {
        output: (e.output != p.output).then(|| (e.output.clone(), p.output.clone())),
        offset,
        steps,
        pixels: e.pixels != p.pixels,
        cabling: cables && cabling(e) != cabling(p),
        space,
    };
    let unchanged = Motion::Changed {
        output: None,
        offset: [0, 0],
        steps: None,
        pixels: false,
        cabling: false,
        space: SpaceMotion::Same,
    };
    (m != unchanged).then_some(m)
}

/// `1431` as `1,431`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (k, c) in s.chars().enumerate() {
        if k > 0 && (s.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A signed offset along named axes: `+176 px in x`, `+32 px in x and -16 px in y`.
fn along(values: &[(f64, &str)], unit: &str, decimals: usize) -> String {
    let parts: Vec<String> = values
        .iter()
        .filter(|(v, _)| *v != 0.0)
        .map(|(v, axis)| format!("{v:+.decimals$} {unit} in {axis}"))
        .collect();
    match parts.len() {
        0 => format!("0 {unit}"),
        1 => parts[0].clone(),
        _ => {
            let (last, rest) = parts.split_last().unwrap_or((&parts[0], &[]));
            format!("{} and {last}", rest.join(", "))
        }
    }
}

impl Motion {
    /// In words, for a summary line; `outputs` are the outputs the cabinets are in (new map).
    pub fn describe(&self, outputs: &[String]) -> String {
        let Motion::Changed {
            output,
            offset,
            steps,
            pixels,
            cabling,
            space,
        } = self
        else {
            return match self {
                Motion::Added => "added".into(),
                _ => "removed".into(),
            };
        };
        let quoted = |names: &[String]| {
            let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
            format!(
                "output{} {}",
                if list.len() == 1 { "" } else { "s" },
                list.join(", ")
            )
        };
        let mut parts = Vec::new();
        let px = along(&[(offset[0] as f64, "x"), (offset[1] as f64, "y")], "px", 0);
        match output {
            Some((from, to)) => parts.push(format!(
                "moved from output '{from}' to '{to}' (origin {px})"
            )),
            None if *offset != [0, 0] => parts.push(format!("moved {px} in {}", quoted(outputs))),
            None => {}
        }
        if let Some(([c0, r0], [c1, r1])) = steps {
            parts.push(format!(
                "turned or mirrored in {}: step_col {c0:?} -> {c1:?}, step_row {r0:?} -> {r1:?}",
                quoted(outputs)
            ));
        }
        if *pixels {
            parts.push("LED pixel count changed".into());
        }
        if *cabling {
            parts.push("cabling changed".into());
        }
        match space {
            SpaceMotion::Same => {}
            SpaceMotion::Translated(d) => parts.push(format!(
                "moved {} in space",
                along(
                    &[
                        (d[0] as f64 / 1000.0, "x"),
                        (d[1] as f64 / 1000.0, "y"),
                        (d[2] as f64 / 1000.0, "z"),
                    ],
                    "mm",
                    1
                )
            )),
            SpaceMotion::Turned => parts.push("turned in space".into()),
        }
        parts.join(", ")
    }
}

/// The changed cabinets of one section, summarised by the motion most of them share.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SectionChange {
    /// The section's name.
    pub section: String,
    /// Its cabinets (in the new map; in the reference when the section was removed).
    pub cabinets: usize,
    /// How many of them changed.
    pub changed: usize,
    /// The motion most of the changed cabinets share (`None` when no two share one: each changed
    /// differently).
    pub motion: Option<Motion>,
    /// How many share it.
    pub count: usize,
    /// The outputs the cabinets that share it are in (new map; the reference's for removed ones).
    pub outputs: Vec<String>,
    /// The cabinets that share it, by id.
    pub members: Vec<String>,
    /// Changed cabinets that moved differently from the majority, by id.
    pub others: Vec<String>,
}

impl SectionChange {
    /// One line: `section 'W': all 1,431 cabinets moved +176 px in x in output 'wall-1'`.
    pub fn describe(&self) -> String {
        let head = format!("section '{}': ", self.section);
        match &self.motion {
            None => format!(
                "{head}{} of {} cabinets changed, each differently",
                thousands(self.changed),
                thousands(self.cabinets)
            ),
            Some(m) => {
                let who = if self.count == self.cabinets && self.count > 1 {
                    format!("all {} cabinets", thousands(self.count))
                } else {
                    format!(
                        "{} of {} cabinet{}",
                        thousands(self.count),
                        thousands(self.cabinets),
                        if self.cabinets == 1 { "" } else { "s" }
                    )
                };
                let rest = match self.others.len() {
                    0 => String::new(),
                    n => format!("; {} more changed differently (listed below)", thousands(n)),
                };
                // A few cabinets are named.
                let named = if self.count <= 3 && self.count < self.cabinets {
                    format!(" ({})", self.members.join(", "))
                } else {
                    String::new()
                };
                format!("{head}{who}{named} {}{rest}", m.describe(&self.outputs))
            }
        }
    }
}

/// One changed cabinet: id, section, output (new map; the reference's when removed) and motion.
pub(super) struct Changed<'a> {
    pub id: &'a str,
    pub section: &'a str,
    pub output: &'a str,
    pub motion: Motion,
}

/// Groups changed cabinets by section (sections in order of first appearance); `sizes` gives each
/// section's cabinet count.
pub(super) fn group(changed: &[Changed], sizes: &dyn Fn(&str) -> usize) -> Vec<SectionChange> {
    let mut sections: Vec<&str> = Vec::new();
    for c in changed {
        if !sections.contains(&c.section) {
            sections.push(c.section);
        }
    }
    sections
        .into_iter()
        .map(|s| {
            let members: Vec<&Changed> = changed.iter().filter(|c| c.section == s).collect();
            // The most common motion; the first met wins a tie.
            let mut counts: Vec<(&Motion, usize)> = Vec::new();
            for c in &members {
                match counts.iter_mut().find(|(m, _)| **m == c.motion) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((&c.motion, 1)),
                }
            }
            let best = counts
                .iter()
                .fold(None::<(&Motion, usize)>, |b, &(m, n)| match b {
                    Some((_, bn)) if bn >= n => b,
                    _ => Some((m, n)),
                });
            let majority = best.filter(|&(_, n)| n >= 2 || members.len() == 1);
            let mut outputs: Vec<String> = Vec::new();
            for c in members
                .iter()
                .filter(|c| majority.is_some_and(|(m, _)| *m == c.motion))
            {
                if !outputs.iter().any(|o| o == c.output) {
                    outputs.push(c.output.to_string());
                }
            }
            SectionChange {
                section: s.to_string(),
                cabinets: sizes(s).max(members.len()),
                changed: members.len(),
                motion: majority.map(|(m, _)| m.clone()),
                count: majority.map_or(0, |(_, n)| n),
                outputs,
                members: members
                    .iter()
                    .filter(|c| majority.is_some_and(|(m, _)| *m == c.motion))
                    .map(|c| c.id.to_string())
                    .collect(),
                others: members
                    .iter()
                    .filter(|c| !majority.is_some_and(|(m, _)| *m == c.motion))
                    .map(|c| c.id.to_string())
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{PixelMap, diff_maps};

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1431), "1,431");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn motions_read_as_offsets_along_axes() {
        let m = |offset, space| Motion::Changed {
            output: None,
            offset,
            steps: None,
            pixels: false,
            cabling: false,
            space,
        };
        let o = vec!["wall-1".to_string()];
        assert_eq!(
            m([176, 0], SpaceMotion::Same).describe(&o),
            "moved +176 px in x in output 'wall-1'"
        );
        assert_eq!(
            m([32, -16], SpaceMotion::Same).describe(&o),
            "moved +32 px in x and -16 px in y in output 'wall-1'"
        );
        assert_eq!(
            m([0, 0], SpaceMotion::Translated([500_000, 0, -2_500])).describe(&o),
            "moved +500.0 mm in x and -2.5 mm in z in space"
        );
    }

    /// Two flat sections of 16 px cabinets: 'W' (6 columns x 3 rows at `w_origin` in output 'o',
    /// at `w_x` metres) and 'C' (2 x 2 below it at (0, 64)).
    fn two_sections(w_origin: (i32, i32), w_x: f64) -> PixelMap {
        let text = format!(
            r#"Stage(
    name: "Two", frame_rate: 60.0,
    panel_types: [PanelType(name: "T16", width_mm: 250.0, height_mm: 250.0, pixels: (16, 16))],
    sections: [
        (name: "W", panel_type: "T16",
         shape: Flat(columns: 6, rows: 3, position: ({w_x}, 1.5, -3.0)),
         placement: Auto(outputs: ["o"], origin: ({}, {}))),
        (name: "C", panel_type: "T16",
         shape: Flat(columns: 2, rows: 2, position: (0.0, 3.0, -3.0)),
         placement: Auto(outputs: ["o"], origin: (0, 64))),
    ],
    outputs: [Output(name: "o", width: 128, height: 96)],
    cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0), lens: Lens(focal_length_mm: 24.0, sensor_mm: (36.0, 24.0)))],
)"#,
            w_origin.0, w_origin.1
        );
        PixelMap::of(&crate::stage::Stage::from_ron(&text, "two.ron").unwrap())
    }

    /// Lines of a report that summarise sections, in order, and the index of the first
    /// per-cabinet line.
    fn summary_lines(text: &str) -> (Vec<&str>, usize) {
        let lines: Vec<&str> = text.lines().collect();
        let sections = lines
            .iter()
            .copied()
            .filter(|l| l.starts_with("  section '"))
            .collect();
        let first_cabinet = lines
            .iter()
            .position(|l| l.trim_start().starts_with("W-") || l.trim_start().starts_with("C-"))
            .unwrap_or(lines.len());
        (sections, first_cabinet)
    }

    #[test]
    fn a_section_shifted_by_one_column_reads_as_one_line_before_the_detail() {
        // Section W's placement origin moved one cabinet (16 px) right: its 6 x 3 = 18 cabinets
        // moved +16 px in x, and nothing else changed.
        let (a, b) = (two_sections((0, 0), -1.0), two_sections((16, 0), -1.0));
        let d = diff_maps(&a, &b);
        assert_eq!(d.cabinets.len(), 18);
        let text = d.describe_limited(4, 100, Some("pixel-map.diff.json"));
        let (sections, first_cabinet) = summary_lines(&text);
        assert_eq!(
            sections,
            vec!["  section 'W': all 18 cabinets moved +16 px in x in output 'o'"],
            "{text}"
        );
        let at = text.lines().position(|l| l == sections[0]).unwrap();
        assert!(at < first_cabinet, "{text}");
        // The detail is limited: 4 lines, then the rest counted and where to find it.
        assert_eq!(
            text.lines()
                .filter(|l| l.trim_start().starts_with("W-"))
                .count(),
            4,
            "{text}"
        );
        assert!(
            text.ends_with("  and 14 more (all in pixel-map.diff.json)"),
            "{text}"
        );
        assert!(!text.contains("moved differently"), "{text}");
        // The whole list is in the JSON.
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["cabinets"].as_array().unwrap().len(), 18);
        assert_eq!(json["sections"][0]["count"], 18);
        assert_eq!(
            json["sections"][0]["motion"]["changed"]["offset"],
            serde_json::json!([16, 0])
        );
    }

    #[test]
    fn a_section_moved_in_space_gives_its_displacement() {
        // W placed 0.5 m further right in space: 18 cabinets moved +500 mm in x, same pixels.
        let d = diff_maps(&two_sections((0, 0), -1.0), &two_sections((0, 0), -0.5));
        let text = d.describe();
        let (sections, _) = summary_lines(&text);
        assert_eq!(
            sections,
            vec!["  section 'W': all 18 cabinets moved +500.0 mm in x in space"]
        );
    }

    #[test]
    fn a_cabinet_that_moved_differently_is_listed_on_its_own() {
        let a = two_sections((0, 0), -1.0);
        let mut b = two_sections((16, 0), -1.0);
        // One of W's cabinets moved 3 px further down as well.
        let odd = b
            .panels
            .iter()
            .position(|p| p.id.starts_with("W-"))
            .unwrap()
            + 7;
        b.panels[odd].origin[1] += 3;
        let id = b.panels[odd].id.clone();
        // And one of C's cabinets moved on its own.
        let c = b.panels.iter().position(|p| p.section == "C").unwrap();
        b.panels[c].origin[0] += 1;
        let d = diff_maps(&a, &b);
        let text = d.describe_limited(2, 100, None);
        let (sections, first_cabinet) = summary_lines(&text);
        assert_eq!(
            sections,
            vec![
                "  section 'W': 17 of 18 cabinets moved +16 px in x in output 'o'; 1 more changed differently (listed below)",
                format!(
                    "  section 'C': 1 of 4 cabinets ({}) moved +1 px in x in output 'o'",
                    b.panels[c].id
                )
                .as_str(),
            ],
            "{text}"
        );
        // The rarest change first in the detail: C's lone cabinet before W's 17.
        assert_eq!(
            text.lines().nth(first_cabinet + 1),
            Some(format!("  {}: origin [0, 64] -> [1, 64]", b.panels[c].id).as_str()),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .position(|l| *l == "  moved differently from their section:")
            .unwrap_or_else(|| panic!("{text}"));
        assert_eq!(header, first_cabinet - 1, "{text}");
        let origin = a.panels[odd].origin;
        assert_eq!(
            lines[header + 1],
            format!(
                "    {id}: origin {:?} -> {:?}",
                origin,
                [origin[0] + 16, origin[1] + 3]
            )
        );
        assert_eq!(d.sections[0].others, vec![id]);
        assert!(d.sections[1].others.is_empty());
    }
}
