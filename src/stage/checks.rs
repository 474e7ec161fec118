//! Checks of a stage file's plain values: numbers, names and limits, for the stage, its panel types
//! and its outputs. Each problem names its subject; none stops the others from being found.

use std::collections::HashSet;

use glam::UVec2;

use super::file;
use super::{DEFAULT_MAX_TEXTURE_SIZE, Output, PanelType, Problem, Subject};

/// Limits a stage is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest output side in pixels (the GPU's 2D texture limit).
    pub max_texture_size: u32,
    /// Largest deviation in metres of a surveyed cabinet's fourth corner from a parallelogram before
    /// a warning.
    pub survey_tolerance_m: f64,
    /// Depth in metres by which cabinets may pass through each other before it is a problem
    /// (neighbours touch along an edge or a line; see [`super::intersect`]).
    pub intersection_tolerance_m: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_texture_size: DEFAULT_MAX_TEXTURE_SIZE,
            survey_tolerance_m: 0.005,
            intersection_tolerance_m: 0.001,
        }
    }
}

/// Problems (or warnings) found so far, in the order found.
#[derive(Default)]
pub(super) struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn push(&mut self, subject: Subject, message: impl Into<String>) {
        self.0.push(Problem {
            subject,
            message: message.into(),
        });
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Whether every value is a finite number.
pub(super) fn finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// Whether `v` is a finite number above zero.
pub(super) fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// Names end up in file names and ids: keep them to a safe alphabet.
pub(super) fn check_name(kind: &str, name: &str, subject: Subject, problems: &mut Problems) {
    if name.is_empty() {
        problems.push(subject, format!("{kind} name is empty"));
    } else if name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        problems.push(
            subject,
            format!("{kind} name may hold only letters, digits, '-', '_' and '.', and may not start with '.'"),
        );
    }
}

/// Names seen more than once, each once, in order of their second appearance.
pub(super) fn duplicates<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    let mut dup = Vec::new();
    for n in names {
        if !seen.insert(n) && !dup.contains(&n) {
            dup.push(n);
        }
    }
    dup
}

/// The stage's frame rate must be a positive number.
pub(super) fn frame_rate(f: &file::Stage, problems: &mut Problems) {
    if !positive(f.frame_rate) {
        problems.push(
            Subject::Stage,
            format!("frame_rate must be a positive number, got {}", f.frame_rate),
        );
    }
}

/// The panel types, in file order, with their size, resolution and name checked.
pub(super) fn panel_types(
    f: &file::Stage,
    limits: &Limits,
    problems: &mut Problems,
) -> Vec<PanelType> {
    for d in duplicates(f.panel_types.iter().map(|t| t.name.as_str())) {
        problems.push(Subject::PanelType(d.into()), "duplicate panel type name");
    }
    let mut panel_types = Vec::new();
    for t in &f.panel_types {
        let s = Subject::PanelType(t.name.clone());
        if t.name.is_empty() {
            problems.push(s.clone(), "panel type name is empty");
        }
        if !(positive(t.width_mm) && positive(t.height_mm)) {
            problems.push(
                s.clone(),
                format!(
                    "size must be positive and finite, got {} x {} mm",
                    t.width_mm, t.height_mm
                ),
            );
        }
        if t.pixels.0 == 0 || t.pixels.1 == 0 {
            problems.push(
                s.clone(),
                format!(
                    "resolution must be at least 1 x 1, got {} x {}",
                    t.pixels.0, t.pixels.1
                ),
            );
        }
        if t.pixels.0 > limits.max_texture_size || t.pixels.1 > limits.max_texture_size {
            problems.push(
                s,
                format!(
                    "resolution {} x {} is larger than any output can hold",
                    t.pixels.0, t.pixels.1
                ),
            );
        }
        panel_types.push(PanelType {
            name: t.name.clone(),
            width_mm: t.width_mm,
            height_mm: t.height_mm,
            pixels: UVec2::new(t.pixels.0, t.pixels.1),
        });
    }
    panel_types
}

/// Whether a panel type passed [`panel_types`]' checks (sections of a bad type are not built; the
/// problem is reported once, on the type).
pub(super) fn panel_type_ok(t: &PanelType, limits: &Limits) -> bool {
    positive(t.width_mm)
        && positive(t.height_mm)
        && t.pixels.x > 0
        && t.pixels.y > 0
        && t.pixels.x <= limits.max_texture_size
        && t.pixels.y <= limits.max_texture_size
}

/// The outputs, in file order, with their name and size checked against the texture limit.
pub(super) fn outputs(f: &file::Stage, limits: &Limits, problems: &mut Problems) -> Vec<Output> {
    for d in duplicates(f.outputs.iter().map(|o| o.name.as_str())) {
        problems.push(Subject::Output(d.into()), "duplicate output name");
    }
    let mut outputs = Vec::new();
    for o in &f.outputs {
        let s = Subject::Output(o.name.clone());
        check_name("output", &o.name, s.clone(), problems);
        if o.width == 0 || o.height == 0 {
            problems.push(
                s.clone(),
                format!(
                    "size must be at least 1 x 1, got {} x {}",
                    o.width, o.height
                ),
            );
        }
        if o.width > limits.max_texture_size || o.height > limits.max_texture_size {
            problems.push(
                s.clone(),
                format!(
                    "{} x {} is larger than the GPU texture limit of {} pixels a side",
                    o.width, o.height, limits.max_texture_size
                ),
            );
        }
        if let Some(r) = &o.remap {
            remap(o, r, f, &s, problems);
        }
        outputs.push(Output {
            name: o.name.clone(),
            width: o.width,
            height: o.height,
            node: o.node.clone(),
            remap: o.remap.clone(),
            target: None,
        });
    }
    outputs
}

/// A frame remapping that can be laid out: sub-frames to show, regions that divide the raster
/// exactly, cameras that exist, finite colours.
fn remap(o: &file::Output, r: &file::Remap, f: &file::Stage, s: &Subject, problems: &mut Problems) {
    let k = r.subframes.len() as u32;
    if k == 0 {
        problems.push(s.clone(), "remap: list at least one sub-frame");
        return;
    }
    let (side, along) = match r.layout {
        file::RemapLayout::Columns => ("width", o.width),
        file::RemapLayout::Rows => ("height", o.height),
    };
    if along % k != 0 {
        problems.push(
            s.clone(),
            format!("remap: {k} sub-frames do not divide the {side} of {along} pixels into equal regions"),
        );
    }
    for sf in &r.subframes {
        match sf {
            file::SubFrame::Camera(c) | file::SubFrame::Chroma(c) => {
                // A stage without cameras gets the default camera `A`.
                let known = f.cameras.iter().any(|x| &x.name == c);
                if !(known || f.cameras.is_empty() && c == "A") {
                    let known: Vec<&str> = f.cameras.iter().map(|x| x.name.as_str()).collect();
                    problems.push(
                        s.clone(),
                        format!(
                            "remap: unknown camera '{c}' (cameras: {})",
                            if known.is_empty() {
                                "A".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                }
            }
            file::SubFrame::Solid(r, g, b) => {
                if ![r, g, b].iter().all(|v| v.is_finite()) {
                    problems.push(
                        s.clone(),
                        "remap: a solid sub-frame's colour must be finite",
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_listed_once_each() {
        let names = ["a", "b", "a", "c", "b", "a"];
        assert_eq!(duplicates(names.into_iter()), vec!["a", "b"]);
        assert!(duplicates(["x", "y"].into_iter()).is_empty());
    }

    #[test]
    fn names_keep_to_a_safe_alphabet() {
        let problems_of = |name: &str| {
            let mut p = Problems::default();
            check_name("output", name, Subject::Output(name.into()), &mut p);
            p.0.into_iter().map(|p| p.message).collect::<Vec<_>>()
        };
        assert!(problems_of("wall-1_a.b").is_empty());
        assert_eq!(problems_of(""), vec!["output name is empty"]);
        for bad in [".hidden", "a/b", "a b", "é"] {
            assert_eq!(problems_of(bad).len(), 1, "{bad}");
        }
    }

    #[test]
    fn positive_refuses_zero_negative_and_non_finite() {
        assert!(positive(1e-9));
        for v in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(!positive(v), "{v}");
        }
    }
}
