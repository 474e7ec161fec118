//! Differences between two pixel maps, by cabinet id: cabinets added, removed, placed differently or
//! moved in space, outputs added, removed, resized or encoded differently, and outputs whose every
//! cabinet shifted by the same offset; the changed cabinets grouped per section by how they moved
//! ([`super::moves`]). `parallax check` compares a stage's map with its approved `pixel-map.json`
//! with it.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::moves::{Changed, SectionChange, group, motion, thousands};
use super::{MapPanel, PixelMap};

/// Per-cabinet lines [`MapDiff::describe_limited`] prints for cabinets that moved with their
/// section's majority (the cabinets that moved differently are listed up to [`OTHERS_LIMIT`]).
pub const DETAIL_LIMIT: usize = 10;
/// Cabinets that moved differently from their section that [`MapDiff::describe_limited`] lists.
pub const OTHERS_LIMIT: usize = 200;

/// How a cabinet differs between two pixel maps.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CabinetChange {
    /// Only in the new map.
    Added,
    /// Only in the reference.
    Removed,
    /// Its place in the outputs changed: each changed field as `field: old -> new`.
    Placement(Vec<String>),
    /// It moved in space (corner or edge vectors changed by more than a micrometre).
    Moved,
}

/// The differences between two pixel maps, by cabinet id (serialised as `pixel-map.diff.json` by
/// `parallax check`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MapDiff {
    /// Changed outputs: `name: what`.
    pub outputs: Vec<String>,
    /// Outputs whose every cabinet moved by the same offset (and nothing else changed), with the
    /// number of cabinets and the offset in output pixels: a shifted output.
    pub shifted_outputs: Vec<(String, usize, [i32; 2])>,
    /// Changed cabinets, in the new map's order (removed ones last).
    pub cabinets: Vec<(String, CabinetChange)>,
    /// The changed cabinets per section (sections in order of their first changed cabinet), each
    /// with the motion most of them share and the cabinets that moved otherwise.
    pub sections: Vec<SectionChange>,
}

impl MapDiff {
    /// Whether the maps are the same.
    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty() && self.cabinets.is_empty() && self.shifted_outputs.is_empty()
    }

    /// Ids of the changed cabinets.
    pub fn cabinets(&self) -> Vec<String> {
        self.cabinets.iter().map(|(id, _)| id.clone()).collect()
    }

    /// Every line, no limit: see [`MapDiff::describe_limited`].
    pub fn describe(&self) -> String {
        self.describe_limited(usize::MAX, usize::MAX, None)
    }

    /// A readable report: a head line; one line per section with changed cabinets (what moved, by
    /// how much, how many cabinets); the changed outputs; the cabinets that moved differently from
    /// their section's majority, one line each (at most `others`); then the other cabinets' lines
    /// (at most `detail`, the rarest changes first, then `and N more`). `full`: where the full list
    /// is (named after `and N more`).
    pub fn describe_limited(&self, detail: usize, others: usize, full: Option<&str>) -> String {
        let mut lines = Vec::new();
        let n = self.cabinets.len();
        if n > 0 {
            lines.push(format!(
                "pixel map changed: {} cabinet{} changed in {} section{}",
                thousands(n),
                if n == 1 { "" } else { "s" },
                self.sections.len(),
                if self.sections.len() == 1 { "" } else { "s" },
            ));
        } else {
            lines.push("pixel map changed".into());
        }
        for s in &self.sections {
            lines.push(format!("  {}", s.describe()));
        }
        for o in &self.outputs {
            lines.push(format!("  output {o}"));
        }
        for (o, n, [dx, dy]) in &self.shifted_outputs {
            lines.push(format!(
                "  output '{o}': all {} cabinets shifted by ({dx:+}, {dy:+}) px",
                thousands(*n)
            ));
        }
        let line = |id: &str, c: &CabinetChange| match c {
            CabinetChange::Added => format!("  {id}: added"),
            CabinetChange::Removed => format!("  {id}: removed"),
            CabinetChange::Moved => format!("  {id}: moved in space"),
            CabinetChange::Placement(f) => format!("  {id}: {}", f.join(", ")),
        };
        let odd: HashSet<&str> = self
            .sections
            .iter()
            .flat_map(|s| s.others.iter().map(String::as_str))
            .collect();
        let more = |lines: &mut Vec<String>, left: usize| {
            if left > 0 {
                lines.push(format!(
                    "  and {} more{}",
                    thousands(left),
                    full.map(|f| format!(" (all in {f})")).unwrap_or_default()
                ));
            }
        };
        if !odd.is_empty() {
            lines.push("  moved differently from their section:".into());
            let listed: Vec<&(String, CabinetChange)> = self
                .cabinets
                .iter()
                .filter(|(id, _)| odd.contains(id.as_str()))
                .collect();
            for (id, c) in listed.iter().take(others) {
                lines.push(format!("  {}", line(id, c)));
            }
            more(&mut lines, listed.len().saturating_sub(others));
        }
        // The rarest changes first: a cabinet that changed alone comes before a section's 1,431.
        let group_size: HashMap<&str, usize> = self
            .sections
            .iter()
            .flat_map(|s| s.members.iter().map(|id| (id.as_str(), s.count)))
            .collect();
        let mut rest: Vec<&(String, CabinetChange)> = self
            .cabinets
            .iter()
            .filter(|(id, _)| !odd.contains(id.as_str()))
            .collect();
        rest.sort_by_key(|(id, _)| group_size.get(id.as_str()).copied().unwrap_or(1));
        for (id, c) in rest.iter().take(detail) {
            lines.push(line(id, c));
        }
        more(&mut lines, rest.len().saturating_sub(detail));
        lines.join("\n")
    }
}

/// Compares two pixel maps by cabinet id: cabinets added, removed, placed differently (output,
/// origin, steps, pixel size, and processor port and place in its chain when the reference records
/// the cabling) or moved in space, and outputs added, removed, resized, encoded differently (when
/// both maps record the encoding) or remapped differently (sub-frame regions).
pub fn diff_maps(expected: &PixelMap, actual: &PixelMap) -> MapDiff {
    let mut d = MapDiff::default();
    for o in &actual.outputs {
        match expected.outputs.iter().find(|e| e.name == o.name) {
            None => d.outputs.push(format!("'{}': added", o.name)),
            Some(e) => {
                if (e.width, e.height) != (o.width, o.height) {
                    d.outputs.push(format!(
                        "'{}': size {}x{} -> {}x{}",
                        o.name, e.width, e.height, o.width, o.height
                    ));
                }
                // Maps written before the encoding was recorded have none: not a change.
                if let (Some(a), Some(b)) = (&e.colour, &o.colour)
                    && a != b
                {
                    d.outputs.push(format!(
                        "'{}': colour {} -> {}",
                        o.name,
                        a.describe(),
                        b.describe()
                    ));
                }
                // Frame remapping: the regions and what each shows.
                if e.subframes != o.subframes {
                    d.outputs.push(format!(
                        "'{}': sub-frames {} -> {}",
                        o.name,
                        describe_subframes(&e.subframes),
                        describe_subframes(&o.subframes)
                    ));
                }
            }
        }
    }
    for e in &expected.outputs {
        if !actual.outputs.iter().any(|o| o.name == e.name) {
            d.outputs.push(format!("'{}': removed", e.name));
        }
    }
    let old: HashMap<&str, &MapPanel> =
        expected.panels.iter().map(|p| (p.id.as_str(), p)).collect();
    let cables = expected.panels.iter().any(|p| p.port.is_some());
    let mut changed: Vec<Changed> = Vec::new();
    for p in &actual.panels {
        let Some(e) = old.get(p.id.as_str()) else {
            d.cabinets.push((p.id.clone(), CabinetChange::Added));
            changed.push(Changed {
                id: &p.id,
                section: &p.section,
                output: &p.output,
                motion: super::moves::Motion::Added,
            });
            continue;
        };
        if let Some(m) = motion(e, p, cables) {
            changed.push(Changed {
                id: &p.id,
                section: &p.section,
                output: &p.output,
                motion: m,
            });
        }
        let mut fields = Vec::new();
        if e.output != p.output {
            fields.push(format!("output '{}' -> '{}'", e.output, p.output));
        }
        let mut field = |name: &str, a: [i32; 2], b: [i32; 2]| {
            if a != b {
                fields.push(format!("{name} {a:?} -> {b:?}"));
            }
        };
        field("origin", e.origin, p.origin);
        field("step_col", e.step_col, p.step_col);
        field("step_row", e.step_row, p.step_row);
        if e.pixels != p.pixels {
            fields.push(format!("pixels {:?} -> {:?}", e.pixels, p.pixels));
        }
        // The cabling, when the reference records it (maps written before did not).
        let cabling = |m: &MapPanel| (m.processor.clone(), m.port, m.chain_position);
        if cables && cabling(e) != cabling(p) {
            fields.push(format!(
                "cabling {} -> {}",
                describe_cabling(e),
                describe_cabling(p)
            ));
        }
        let near = |a: &[f64; 3], b: &[f64; 3]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-6);
        let moved = !(near(&e.world.top_left, &p.world.top_left)
            && near(&e.world.right, &p.world.right)
            && near(&e.world.down, &p.world.down));
        if !fields.is_empty() {
            if moved {
                fields.push("moved in space".into());
            }
            d.cabinets
                .push((p.id.clone(), CabinetChange::Placement(fields)));
        } else if moved {
            d.cabinets.push((p.id.clone(), CabinetChange::Moved));
        }
    }
    for o in &actual.outputs {
        let offsets: Vec<Option<[i32; 2]>> = actual
            .panels
            .iter()
            .filter(|p| p.output == o.name)
            .map(|p| {
                let e = old.get(p.id.as_str())?;
                let same = e.output == p.output
                    && e.step_col == p.step_col
                    && e.step_row == p.step_row
                    && e.pixels == p.pixels;
                same.then(|| [p.origin[0] - e.origin[0], p.origin[1] - e.origin[1]])
            })
            .collect();
        if let Some(Some(first)) = offsets.first()
            && *first != [0, 0]
            && offsets.iter().all(|x| *x == Some(*first))
        {
            d.shifted_outputs
                .push((o.name.clone(), offsets.len(), *first));
        }
    }
    let new: HashSet<&str> = actual.panels.iter().map(|p| p.id.as_str()).collect();
    for e in &expected.panels {
        if !new.contains(e.id.as_str()) {
            d.cabinets.push((e.id.clone(), CabinetChange::Removed));
            changed.push(Changed {
                id: &e.id,
                section: &e.section,
                output: &e.output,
                motion: super::moves::Motion::Removed,
            });
        }
    }
    let size = |s: &str| {
        let n = actual.panels.iter().filter(|p| p.section == s).count();
        if n > 0 {
            n
        } else {
            expected.panels.iter().filter(|p| p.section == s).count()
        }
    };
    d.sections = group(&changed, &size);
    d
}

/// Sub-frame regions in a line: `camera A at (0, 0), solid (0, 0, 0) at (1920, 0)`; `none`.
fn describe_subframes(list: &[super::MapSubFrame]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(|r| {
            let what = match (&r.camera, &r.colour) {
                (Some(c), _) => format!("{} {c}", r.kind),
                (None, Some([a, b, c])) => format!("{} ({a}, {b}, {c})", r.kind),
                (None, None) => r.kind.clone(),
            };
            format!("{what} at ({}, {}) {}x{}", r.x, r.y, r.width, r.height)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cabinet's cabling: `MX40 port 3 #2`, or `no port`.
fn describe_cabling(p: &MapPanel) -> String {
    match (&p.processor, p.port, p.chain_position) {
        (Some(proc), Some(port), Some(n)) => format!("{proc} port {port} #{n}"),
        _ => "no port".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn map() -> PixelMap {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        PixelMap::of(&crate::stage::load(Path::new(path)).unwrap())
    }

    #[test]
    fn map_diff_lists_exactly_the_changed_cabinets() {
        let a = map();
        assert!(diff_maps(&a, &a).is_empty());
        let mut b = a.clone();
        b.panels[1].origin[0] += 1;
        b.panels[3].step_col = [0, 1];
        b.panels[5].world.top_left[1] += 0.01;
        let removed = b.panels.remove(7);
        b.outputs[0].width += 1;
        let d = diff_maps(&a, &b);
        assert_eq!(
            d.cabinets(),
            vec![
                a.panels[1].id.clone(),
                a.panels[3].id.clone(),
                a.panels[5].id.clone(),
                removed.id.clone()
            ]
        );
        assert_eq!(d.cabinets[2].1, CabinetChange::Moved);
        assert_eq!(d.cabinets[3].1, CabinetChange::Removed);
        assert_eq!(d.outputs.len(), 1);
        let back = diff_maps(&b, &a);
        assert!(
            back.cabinets
                .contains(&(removed.id.clone(), CabinetChange::Added))
        );
    }

    #[test]
    fn a_shifted_output_is_named() {
        let a = map();
        let mut b = a.clone();
        for p in b.panels.iter_mut().filter(|p| p.output == "main") {
            p.origin[0] += 2;
            p.origin[1] -= 1;
        }
        let d = diff_maps(&a, &b);
        assert_eq!(d.cabinets.len(), a.panels.len());
        assert_eq!(
            d.shifted_outputs,
            vec![("main".to_string(), a.panels.len(), [2, -1])]
        );
        assert!(
            d.describe()
                .contains("output 'main': all 16 cabinets shifted by (+2, -1) px")
        );
        b.panels[0].origin[0] += 1;
        assert!(diff_maps(&a, &b).shifted_outputs.is_empty());
    }

    /// tiny.ron with its output in PQ (12 bits, peak 1000) or, with `exr`, linear EXR.
    fn encoded(exr: bool) -> PixelMap {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let encoding = if exr {
            "LinearExr"
        } else {
            "Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12)"
        };
        let text = std::fs::read_to_string(path).unwrap().replacen(
            "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),",
            &format!(
                "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32), colour: (outputs: [(output: \"main\", encoding: {encoding})]),"
            ),
            1,
        );
        PixelMap::of(&crate::stage::Stage::from_ron(&text, "tiny.ron").unwrap())
    }

    #[test]
    fn the_map_records_each_output_encoding() {
        let json: serde_json::Value = serde_json::to_value(encoded(false)).unwrap();
        let c = &json["outputs"][0]["colour"];
        assert_eq!(c["encoding"], "pq");
        assert_eq!(c["primaries"], "Rec2020");
        assert_eq!(c["bits"], 12);
        assert_eq!(c["peak_nits"], 1000.0);
        assert_eq!(c["white_nits"], 100.0);
        let plain = serde_json::to_value(map()).unwrap();
        assert_eq!(plain["outputs"][0]["colour"]["encoding"], "srgb8");
        assert_eq!(plain["outputs"][0]["colour"]["bits"], 8);
        assert!(plain["outputs"][0]["colour"]["white_nits"].is_null());
    }

    #[test]
    fn an_encoding_change_is_an_output_change_unless_the_reference_predates_it() {
        let (pq, exr) = (encoded(false), encoded(true));
        let d = diff_maps(&pq, &exr);
        assert!(d.cabinets.is_empty());
        assert_eq!(d.outputs.len(), 1, "{:?}", d.outputs);
        assert!(
            d.outputs[0].contains("'main': colour pq, Rec2020, 12 bits")
                && d.outputs[0].ends_with("-> linear-exr, Rec709, 16 bits"),
            "{}",
            d.outputs[0]
        );
        // A reference written before the encoding was recorded: the field is absent, not a change.
        let mut old = serde_json::to_value(&pq).unwrap();
        old["outputs"][0].as_object_mut().unwrap().remove("colour");
        let old: PixelMap = serde_json::from_value(old).unwrap();
        assert_eq!(old.outputs[0].colour, None);
        assert!(diff_maps(&old, &exr).is_empty());
    }

    #[test]
    fn cabling_and_subframe_changes_are_reported() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/demo.ron");
        let a = PixelMap::of(&crate::stage::load(Path::new(path)).unwrap());
        assert!(
            a.panels.iter().all(|p| p.port.is_some()),
            "demo: one processor"
        );
        let mut b = a.clone();
        b.panels[0].port = Some(2);
        b.panels[0].chain_position = Some(1);
        let d = diff_maps(&a, &b);
        assert_eq!(d.cabinets(), vec![a.panels[0].id.clone()]);
        let text = d.describe();
        assert!(
            text.contains("cabling MX40 port 1 #1 -> MX40 port 2 #1"),
            "{text}"
        );
        // A reference written before the cabling was recorded: not a change.
        let mut old = a.clone();
        for p in &mut old.panels {
            (p.processor, p.port, p.chain_position) = (None, None, None);
        }
        assert!(diff_maps(&old, &b).is_empty());
        // A cabinet taken off its processor is a change.
        let mut c = a.clone();
        c.panels[3].port = None;
        assert_eq!(diff_maps(&a, &c).cabinets(), vec![a.panels[3].id.clone()]);

        // Sub-frames: added to an output, or reordered.
        let region = |kind: &str, camera: &str, x: u32| crate::mapping::MapSubFrame {
            kind: kind.into(),
            camera: Some(camera.into()),
            colour: None,
            x,
            y: 0,
            width: 1920,
            height: 2160,
        };
        let mut r = a.clone();
        r.outputs[0].subframes = vec![region("camera", "A", 0), region("chroma", "A", 1920)];
        let d = diff_maps(&a, &r);
        assert!(d.cabinets.is_empty());
        assert_eq!(
            d.outputs,
            vec![format!(
                "'{}': sub-frames none -> camera A at (0, 0) 1920x2160, chroma A at (1920, 0) 1920x2160",
                a.outputs[0].name
            )]
        );
        let mut swapped = r.clone();
        swapped.outputs[0].subframes.swap(0, 1);
        assert_eq!(diff_maps(&r, &swapped).outputs.len(), 1);
        assert!(diff_maps(&r, &r).is_empty());
    }
}
