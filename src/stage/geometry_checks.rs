//! Checks of the built volume as a whole: cabinets that face away from where they are seen from, and
//! cabinets that pass through each other in 3D. Findings are grouped per section (and per pair of
//! sections), never one line per cabinet: a section turned the wrong way is one finding.

use std::collections::BTreeMap;

use glam::DVec3;

use super::checks::{Limits, Problems};
use super::{OuterViewpoint, Stage, Subject, file, intersect};

/// A point the wall is seen from: the fixed outer viewpoint or a camera of the stage file.
struct Viewpoint {
    /// How findings name it, e.g. `the outer viewpoint (0, 1.7, 0)` or `camera 'A' (at (1, 1.6, 2))`.
    label: String,
    at: DVec3,
}

fn point(p: DVec3) -> String {
    format!("({}, {}, {})", p.x, p.y, p.z)
}

/// The outer viewpoint when fixed, then every camera the stage file names (not the default camera of
/// a stage file without cameras), at the sensor position written in the file.
fn viewpoints(stage: &Stage, f: &file::Stage) -> Vec<Viewpoint> {
    let mut out = Vec::new();
    if let OuterViewpoint::Fixed(p) = stage.render.outer_viewpoint {
        out.push(Viewpoint {
            label: format!("the outer viewpoint {}", point(p)),
            at: p,
        });
    }
    if !f.cameras.is_empty() {
        for c in &stage.cameras {
            let p = c.rest.pose.position;
            out.push(Viewpoint {
                label: format!("camera '{}' (at {})", c.name, point(p)),
                at: p,
            });
        }
    }
    out.retain(|v| v.at.is_finite());
    out
}

/// Indices of the cabinets of the sections that were built (while a stage with problems is built,
/// cabinets of a section that failed part-way may follow them in `stage.panels`).
fn built(stage: &Stage) -> impl Iterator<Item = usize> + '_ {
    stage.sections.iter().flat_map(|s| s.panels.clone())
}

/// `1 cabinet (A-003-01)` or `12 cabinets (cols 0-3, rows 0-2)`: the cabinets' column and row
/// ranges.
fn cabinets_phrase(stage: &Stage, members: &[usize]) -> String {
    if let [one] = members {
        return format!("1 cabinet ({})", stage.panels[*one].id);
    }
    let range = |f: &dyn Fn(usize) -> u32| {
        let lo = members.iter().map(|&i| f(i)).min().unwrap_or(0);
        let hi = members.iter().map(|&i| f(i)).max().unwrap_or(0);
        if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}-{hi}")
        }
    };
    let cols = range(&|i| stage.panels[i].col);
    let rows = range(&|i| stage.panels[i].row);
    format!("{} cabinets (cols {cols}, rows {rows})", members.len())
}

/// Words joined as `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Warns about cabinets whose front faces away from the fixed outer viewpoint or from a camera of
/// the stage file: LEDs emit forwards, so from there a cabinet is seen from behind (dark). A cabinet
/// faces away from a point when the point lies behind the plane of its LED face (more than 1 um,
/// measured from the cabinet's centre along its front normal). One warning per section and set of
/// viewpoints, naming the cabinets by their column and row ranges.
pub(super) fn facing(stage: &Stage, f: &file::Stage, warnings: &mut Problems) {
    let views = viewpoints(stage, f);
    if views.is_empty() {
        return;
    }
    // (section, viewpoints faced away from) -> cabinets, in stage order.
    let mut groups: BTreeMap<(usize, Vec<usize>), Vec<usize>> = BTreeMap::new();
    for i in built(stage) {
        let p = &stage.panels[i];
        let (c, n) = (p.frame.centre(), p.frame.normal());
        let away: Vec<usize> = views
            .iter()
            .enumerate()
            .filter(|(_, v)| n.dot(v.at - c) < -1e-6)
            .map(|(k, _)| k)
            .collect();
        if !away.is_empty() {
            groups.entry((p.section, away)).or_default().push(i);
        }
    }
    for ((section, away), members) in groups {
        let labels: Vec<&str> = away.iter().map(|&k| views[k].label.as_str()).collect();
        warnings.push(
            Subject::Section(stage.sections[section].name.clone()),
            format!(
                "{} of {} face away from {}: LEDs emit forwards, so there they are seen from behind (is the section turned the wrong way?)",
                cabinets_phrase(stage, &members),
                stage.sections[section].panels.len(),
                and_list(&labels)
            ),
        );
    }
}

/// Reports cabinets that pass through (or lie over) other cabinets in 3D by more than
/// `limits.intersection_tolerance_m` (see [`intersect::cabinets_intersect`]): one problem per pair
/// of sections, with the number of cabinets and pairs and an example pair.
pub(super) fn intersections(stage: &Stage, limits: &Limits, problems: &mut Problems) {
    let index: Vec<usize> = built(stage).collect();
    let frames: Vec<_> = index.iter().map(|&i| stage.panels[i].frame).collect();
    let pairs = intersect::intersecting_pairs(&frames, limits.intersection_tolerance_m);
    // (section a, section b), a <= b -> pairs (cabinet of a, cabinet of b).
    let mut groups: BTreeMap<(usize, usize), Vec<(usize, usize)>> = BTreeMap::new();
    for (i, j) in pairs.into_iter().map(|(a, b)| (index[a], index[b])) {
        let (si, sj) = (stage.panels[i].section, stage.panels[j].section);
        let key = (si.min(sj), si.max(sj));
        let pair = if si <= sj { (i, j) } else { (j, i) };
        groups.entry(key).or_default().push(pair);
    }
    let tol_mm = limits.intersection_tolerance_m * 1000.0;
    for ((sa, sb), pairs) in groups {
        let name = |s: usize| stage.sections[s].name.clone();
        let (ei, ej) = pairs[0];
        let example = format!("e.g. {} and {}", stage.panels[ei].id, stage.panels[ej].id);
        let n = pairs.len();
        let plural = if n == 1 { "" } else { "s" };
        let message = if sa == sb {
            format!(
                "{n} pair{plural} of its cabinets pass through each other in 3D ({example}); cabinets may touch, not cross (tolerance {tol_mm} mm)"
            )
        } else {
            let distinct = |side: fn(&(usize, usize)) -> usize| {
                let mut v: Vec<usize> = pairs.iter().map(side).collect();
                v.sort_unstable();
                v.dedup();
                v.len()
            };
            format!(
                "{} of its cabinets pass through {} cabinets of section '{}' in 3D ({n} pair{plural}, {example}); cabinets may touch, not cross (tolerance {tol_mm} mm)",
                distinct(|p| p.0),
                distinct(|p| p.1),
                name(sb)
            )
        };
        problems.push(Subject::Section(name(sa)), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
        assert_eq!(point(DVec3::new(0.0, 1.7, -2.5)), "(0, 1.7, -2.5)");
    }
}
