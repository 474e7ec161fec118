//! The stage file's `colour:` section and its resolution: which grade (per layer: inner, outer,
//! light cards) and which `.cube` LUT each cabinet gets.
//!
//! **Resolution rule: the most specific setting wins, per layer.** For a cabinet of section `s` in
//! output `o`, a layer's grade is `o`'s grade for that layer if `colour.outputs` sets one, else
//! `s`'s if `colour.sections` sets one, else the stage-wide grade (`colour.inner`, `outer`,
//! `cards`; neutral by default). A grade replaces the less specific one as a whole (they are not
//! combined). The LUT follows the same rule without a stage-wide level: the output's `lut`, else
//! the section's, else none.

use std::path::PathBuf;
use std::sync::Arc;

use glam::DMat3;
use serde::{Deserialize, Serialize};

use super::cube::{CubeLut, read_cube};
use super::grade::Grade;
use super::output::{Encoding, IDENTITY_TOLERANCE, OutputTransform};
use super::primaries::{REC709, WorkingSpace, apply, conversion};
use super::{Rgb, clamp_f16_rgb};

/// One output's colour settings as written in the stage file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputColourFile {
    /// The output's name.
    pub output: String,
    /// A `.cube` LUT, relative to the stage file; overrides the sections' LUTs for every cabinet
    /// of this output.
    #[serde(default)]
    pub lut: Option<String>,
    /// The output's encoding (default sRGB 8-bit).
    #[serde(default)]
    pub encoding: Encoding,
    /// Grade of the inner frustum on this output's cabinets (overrides sections and stage).
    #[serde(default)]
    pub inner: Option<Grade>,
    /// Grade of the outer on this output's cabinets.
    #[serde(default)]
    pub outer: Option<Grade>,
    /// Grade of the light cards on this output's cabinets.
    #[serde(default)]
    pub cards: Option<Grade>,
}

/// One section's colour settings as written in the stage file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionColourFile {
    /// The section's name.
    pub section: String,
    /// A `.cube` LUT for the section's cabinets, relative to the stage file (an output's `lut`
    /// overrides it).
    #[serde(default)]
    pub lut: Option<String>,
    /// Grade of the inner frustum on the section's cabinets (overrides the stage-wide one).
    #[serde(default)]
    pub inner: Option<Grade>,
    /// Grade of the outer on the section's cabinets.
    #[serde(default)]
    pub outer: Option<Grade>,
    /// Grade of the light cards on the section's cabinets.
    #[serde(default)]
    pub cards: Option<Grade>,
}

/// The stage file's `colour:` section.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ColourFile {
    /// The scene-linear space grading happens in (default Rec709).
    pub working_space: WorkingSpace,
    /// Stage-wide grade of the inner frustum.
    pub inner: Grade,
    /// Stage-wide grade of the outer wall.
    pub outer: Grade,
    /// Stage-wide grade of the light cards' radiance.
    pub cards: Grade,
    /// Per-section grades and LUT.
    pub sections: Vec<SectionColourFile>,
    /// Per-output grades, LUT and encoding; outputs not listed are sRGB 8-bit.
    pub outputs: Vec<OutputColourFile>,
}

impl ColourFile {
    /// The problems of every LUT file the section lists, entry by entry, whether or not the entry
    /// resolves (an unknown name, a name listed twice): what [`ColourSettings::load_luts`]
    /// reports, for a stage that did not build, so that every problem is reported at once. Each
    /// file is read once, its problem on the first field naming it.
    pub fn lut_problems(&self, resolve: impl Fn(&str) -> PathBuf) -> Vec<ColourProblem> {
        let mut files = LutFiles::default();
        for (i, s) in self.sections.iter().enumerate() {
            if let Some(p) = &s.lut {
                let scope = ColourScope::Section(s.section.clone());
                files.read(p, &format!("colour.sections[{i}].lut"), scope, &resolve);
            }
        }
        for (i, o) in self.outputs.iter().enumerate() {
            if let Some(p) = &o.lut {
                let scope = ColourScope::Output(o.output.clone());
                files.read(p, &format!("colour.outputs[{i}].lut"), scope, &resolve);
            }
        }
        files.problems
    }
}

/// `.cube` files read so far (each once, by the path as written) and the problems of those that
/// failed.
#[derive(Default)]
struct LutFiles {
    loaded: Vec<(String, Option<Arc<CubeLut>>)>,
    problems: Vec<ColourProblem>,
}

impl LutFiles {
    /// The LUT at `path` (as written; read through `resolve`) named at field `at`: read the first
    /// time, a problem of `scope` if it fails (`None`, then and after).
    fn read(
        &mut self,
        path: &str,
        at: &str,
        scope: ColourScope,
        resolve: &impl Fn(&str) -> PathBuf,
    ) -> Option<Arc<CubeLut>> {
        if let Some((_, l)) = self.loaded.iter().find(|(q, _)| q == path) {
            return l.clone();
        }
        let l = match read_cube(&resolve(path)) {
            Ok(l) => Some(Arc::new(l)),
            Err(e) => {
                self.problems.push(ColourProblem {
                    scope,
                    message: format!("LUT: {} (at {at})", e.to_string().replace('\n', "\n      ")),
                });
                None
            }
        };
        self.loaded.push((path.to_string(), l.clone()));
        l
    }
}

/// The grades of the three layers for one set of cabinets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Grades {
    pub inner: Grade,
    pub outer: Grade,
    pub cards: Grade,
}

impl Grades {
    /// Whether every layer is neutral.
    pub fn is_neutral(&self) -> bool {
        self.inner.is_neutral() && self.outer.is_neutral() && self.cards.is_neutral()
    }
}

/// Grades a section or an output sets (`None`: the less specific level's).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GradeOverrides {
    pub inner: Option<Grade>,
    pub outer: Option<Grade>,
    pub cards: Option<Grade>,
}

/// One section's resolved colour settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SectionColour {
    /// The section's name.
    pub name: String,
    /// The LUT path as written (relative to the stage file).
    pub lut_path: Option<String>,
    /// The loaded LUT (after [`ColourSettings::load_luts`]).
    pub lut: Option<Arc<CubeLut>>,
    /// The field the LUT is written at (`colour.sections[i].lut`).
    pub lut_at: Option<String>,
    pub grades: GradeOverrides,
}

/// One output's resolved colour settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OutputColour {
    /// The output's name.
    pub name: String,
    /// The LUT path as written (relative to the stage file).
    pub lut_path: Option<String>,
    /// The loaded LUT (after [`ColourSettings::load_luts`]).
    pub lut: Option<Arc<CubeLut>>,
    /// The field the LUT is written at (`colour.outputs[i].lut`).
    pub lut_at: Option<String>,
    pub encoding: Encoding,
    pub grades: GradeOverrides,
}

/// A stage's resolved colour settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ColourSettings {
    pub working_space: WorkingSpace,
    /// Stage-wide grades.
    pub inner: Grade,
    pub outer: Grade,
    pub cards: Grade,
    /// One per stage section, in stage order.
    pub sections: Vec<SectionColour>,
    /// One per stage output, in stage order.
    pub outputs: Vec<OutputColour>,
}

/// What a colour problem is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColourScope {
    /// The `colour:` section as a whole: a stage-wide grade, a name it lists that the stage lacks.
    Stage,
    Section(String),
    Output(String),
}

/// One problem of the `colour:` section. The message ends with `(at colour.FIELD)`, the path of
/// the field (e.g. `colour.sections[1].inner.exposure`), which the stage loader turns into
/// `file:line:column`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColourProblem {
    pub scope: ColourScope,
    pub message: String,
}

/// The field a grade or encoding problem message names: its first word up to `[` (`slope[0] ...`
/// is at `slope`).
fn field_of(message: &str) -> &str {
    message.split([' ', '[']).next().unwrap_or_default()
}

fn grade_problems(g: &Grade, at: &str, scope: &ColourScope, out: &mut Vec<ColourProblem>) {
    for p in g.problems() {
        out.push(ColourProblem {
            scope: scope.clone(),
            message: format!("{p} (at {at}.{})", field_of(&p)),
        });
    }
}

fn overrides_problems(
    g: &GradeOverrides,
    at: &str,
    scope: &ColourScope,
    out: &mut Vec<ColourProblem>,
) {
    for (layer, g) in [
        ("inner", &g.inner),
        ("outer", &g.outer),
        ("cards", &g.cards),
    ] {
        if let Some(g) = g {
            grade_problems(g, &format!("{at}.{layer}"), scope, out);
        }
    }
}

/// The index in `names` (the stage's sections or outputs) of `name`, listed at `at`
/// (`colour.sections[i]`, `colour.outputs[i]`): an unknown name is a problem of the `colour:`
/// section, one listed a second time (`seen`) a problem of `scope` (and still resolved, the later
/// entry replacing the earlier). Either way the entry's other fields are still checked.
fn listed(
    names: &[&str],
    seen: &mut [bool],
    name: &str,
    at: &str,
    scope: &ColourScope,
    problems: &mut Vec<ColourProblem>,
) -> Option<usize> {
    let (kind, list) = match scope {
        ColourScope::Output(_) => ("output", "outputs"),
        _ => ("section", "sections"),
    };
    let Some(k) = names.iter().position(|n| *n == name) else {
        problems.push(ColourProblem {
            scope: ColourScope::Stage,
            message: format!("unknown {kind} '{name}' (at {at}.{kind})"),
        });
        return None;
    };
    if std::mem::replace(&mut seen[k], true) {
        problems.push(ColourProblem {
            scope: scope.clone(),
            message: format!("listed twice in colour.{list} (at {at}.{kind})"),
        });
    }
    Some(k)
}

impl ColourSettings {
    /// Resolves the file section against the stage's section and output names (in stage order).
    /// Every problem is returned, each naming its field.
    pub fn build(
        f: &ColourFile,
        sections: &[&str],
        outputs: &[&str],
    ) -> (ColourSettings, Vec<ColourProblem>) {
        let mut problems = Vec::new();
        for (layer, g) in [
            ("inner", &f.inner),
            ("outer", &f.outer),
            ("cards", &f.cards),
        ] {
            grade_problems(
                g,
                &format!("colour.{layer}"),
                &ColourScope::Stage,
                &mut problems,
            );
        }
        let mut secs = vec![SectionColour::default(); sections.len()];
        let mut seen = vec![false; sections.len()];
        for (i, s) in f.sections.iter().enumerate() {
            let at = format!("colour.sections[{i}]");
            let scope = ColourScope::Section(s.section.clone());
            let k = listed(sections, &mut seen, &s.section, &at, &scope, &mut problems);
            let grades = GradeOverrides {
                inner: s.inner,
                outer: s.outer,
                cards: s.cards,
            };
            overrides_problems(&grades, &at, &scope, &mut problems);
            let Some(k) = k else { continue };
            secs[k] = SectionColour {
                name: s.section.clone(),
                lut_path: s.lut.clone(),
                lut: None,
                lut_at: s.lut.as_ref().map(|_| format!("{at}.lut")),
                grades,
            };
        }
        let mut out = vec![OutputColour::default(); outputs.len()];
        let mut seen = vec![false; outputs.len()];
        for (i, o) in f.outputs.iter().enumerate() {
            let at = format!("colour.outputs[{i}]");
            let scope = ColourScope::Output(o.output.clone());
            let k = listed(outputs, &mut seen, &o.output, &at, &scope, &mut problems);
            for p in o.encoding.problems() {
                // "Pq white_nits = ...": the field is the second word.
                let field = p.split(' ').nth(1).unwrap_or_default();
                problems.push(ColourProblem {
                    scope: scope.clone(),
                    message: format!("{p} (at {at}.encoding.{field})"),
                });
            }
            let grades = GradeOverrides {
                inner: o.inner,
                outer: o.outer,
                cards: o.cards,
            };
            overrides_problems(&grades, &at, &scope, &mut problems);
            let Some(k) = k else { continue };
            out[k] = OutputColour {
                name: o.output.clone(),
                lut_path: o.lut.clone(),
                lut: None,
                lut_at: o.lut.as_ref().map(|_| format!("{at}.lut")),
                encoding: o.encoding,
                grades,
            };
        }
        let settings = ColourSettings {
            working_space: f.working_space,
            inner: f.inner,
            outer: f.outer,
            cards: f.cards,
            sections: secs,
            outputs: out,
        };
        (settings, problems)
    }

    /// Reads every LUT the sections and outputs name (each file once), paths resolved by
    /// `resolve`. Every file that fails is one problem, on the first field naming it: `LUT: ` and
    /// the `.cube` parser's `file:line: message` lines, then `(at colour.…lut)`.
    pub fn load_luts(&mut self, resolve: impl Fn(&str) -> PathBuf) -> Vec<ColourProblem> {
        let mut files = LutFiles::default();
        let places = self
            .sections
            .iter_mut()
            .map(|s| {
                let scope = ColourScope::Section(s.name.clone());
                (&s.lut_path, &mut s.lut, &s.lut_at, scope)
            })
            .chain(self.outputs.iter_mut().map(|o| {
                let scope = ColourScope::Output(o.name.clone());
                (&o.lut_path, &mut o.lut, &o.lut_at, scope)
            }));
        for (path, lut, at, scope) in places {
            if let Some(p) = path {
                *lut = files.read(p, at.as_deref().unwrap_or_default(), scope, &resolve);
            }
        }
        files.problems
    }

    /// The grades in effect on a cabinet of section `section` in output `output` (either may be
    /// `None`: not known, or the unwrapped wall): per layer, the output's, else the section's,
    /// else the stage-wide grade.
    pub fn grades_for(&self, section: Option<usize>, output: Option<usize>) -> Grades {
        let s = section.and_then(|k| self.sections.get(k)).map(|s| s.grades);
        let o = output.and_then(|k| self.outputs.get(k)).map(|o| o.grades);
        let pick = |f: fn(&GradeOverrides) -> Option<Grade>, stage: Grade| {
            o.as_ref()
                .and_then(f)
                .or_else(|| s.as_ref().and_then(f))
                .unwrap_or(stage)
        };
        Grades {
            inner: pick(|g| g.inner, self.inner),
            outer: pick(|g| g.outer, self.outer),
            cards: pick(|g| g.cards, self.cards),
        }
    }

    /// The LUT in effect on a cabinet of section `section` in output `output`: the output's (path
    /// as written, loaded LUT; an output with either set has one), else the section's, else none.
    pub fn lut_for(
        &self,
        section: Option<usize>,
        output: Option<usize>,
    ) -> (Option<String>, Option<Arc<CubeLut>>) {
        let o = output.and_then(|k| self.outputs.get(k));
        if let Some(o) = o.filter(|o| o.lut_path.is_some() || o.lut.is_some()) {
            return (o.lut_path.clone(), o.lut.clone());
        }
        match section.and_then(|k| self.sections.get(k)) {
            Some(s) => (s.lut_path.clone(), s.lut.clone()),
            None => (None, None),
        }
    }

    /// Rec.709 (the scene's linear) -> working space.
    pub fn input_matrix(&self) -> DMat3 {
        conversion(&REC709, &self.working_space.primaries())
    }

    /// A layer's linear part: grade matrix after the input conversion.
    pub fn layer_matrix(&self, g: &Grade) -> DMat3 {
        g.matrix(&self.working_space.primaries()) * self.input_matrix()
    }

    /// The CPU reference of a layer: Rec.709 linear scene colour -> graded working-space colour.
    pub fn grade_layer(&self, g: &Grade, c: Rgb) -> Rgb {
        let m = self.layer_matrix(g);
        clamp_f16_rgb(g.cdl.apply(clamp_f16_rgb(apply(&m, c))))
    }

    /// The CPU reference of a light card's graded radiance: a card's colour is linear RGB in the
    /// working space already (as a solid sub-frame's), so only the grade applies.
    pub fn grade_card(&self, g: &Grade, c: Rgb) -> Rgb {
        g.apply(&self.working_space.primaries(), c)
    }

    /// The output transform of output `k` with the output's own LUT (no section's): see
    /// [`ColourSettings::transform`].
    pub fn output_transform(&self, k: usize) -> OutputTransform {
        self.transform(None, k)
    }

    /// The output transform of a cabinet of section `section` in output `k` (any `k` past the
    /// outputs: sRGB, no LUT, as the unwrapped wall), its LUT per [`ColourSettings::lut_for`]. An
    /// sRGB output clamps to 0..1 anyway, so a LUT that is the identity on 0..1 (entries within
    /// [`IDENTITY_TOLERANCE`] of their lattice points) is left out there: an identity LUT leaves
    /// the 8-bit output bit for bit as without one.
    pub fn transform(&self, section: Option<usize>, k: usize) -> OutputTransform {
        let encoding = self.outputs.get(k).map(|o| o.encoding).unwrap_or_default();
        let to = encoding.primaries(self.working_space);
        let srgb = matches!(encoding, Encoding::Srgb { .. });
        let lut = if k < self.outputs.len() {
            self.lut_for(section, Some(k)).1
        } else {
            None
        };
        let lut = lut.filter(|l| !(srgb && l.is_unit_identity(IDENTITY_TOLERANCE)));
        OutputTransform {
            lut,
            to_output: conversion(&self.working_space.primaries(), &to),
            encoding,
        }
    }
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
