//! The stage file's `colour:` section resolved against the stage's sections and outputs, and its
//! `.cube` files read, every problem a [`Problem`] whose message ends with `(at colour.FIELD)` (the
//! loader locates it as `file:line:column`). See `crate::colour::settings`.

use std::path::{Path, PathBuf};

use super::{Problem, Subject, file};
use crate::colour::settings::{ColourProblem, ColourScope, ColourSettings};

fn problem(p: ColourProblem) -> Problem {
    Problem {
        subject: match p.scope {
            ColourScope::Stage => Subject::Colour,
            ColourScope::Section(n) => Subject::Section(n),
            ColourScope::Output(n) => Subject::Output(n),
        },
        message: p.message,
    }
}

/// The colour settings of `f` (sections and outputs by the file's names, in file order) and every
/// problem of its `colour:` section but the LUT files'.
pub(super) fn colour_settings(f: &file::Stage) -> (ColourSettings, Vec<Problem>) {
    let sections: Vec<&str> = f.sections.iter().map(|s| s.name.as_str()).collect();
    let outputs: Vec<&str> = f.outputs.iter().map(|o| o.name.as_str()).collect();
    let (settings, problems) = ColourSettings::build(&f.colour, &sections, &outputs);
    (settings, problems.into_iter().map(problem).collect())
}

/// `p` as written in the stage file, resolved against the folder of `source` (the working folder
/// without one) unless absolute.
pub(super) fn resolve(source: Option<&Path>, p: &str) -> PathBuf {
    let p = Path::new(p);
    match (source, p.is_absolute()) {
        (Some(s), false) => s.parent().unwrap_or(Path::new(".")).join(p),
        _ => p.to_path_buf(),
    }
}

/// Reads the LUTs of `settings` (see [`ColourSettings::load_luts`]): one problem per file that
/// fails, with the `.cube` parser's `file:line: message` lines.
pub(super) fn load_luts(settings: &mut ColourSettings, source: Option<&Path>) -> Vec<Problem> {
    let failed = settings.load_luts(|p| resolve(source, p));
    failed.into_iter().map(problem).collect()
}

/// The LUT files' problems of a stage file that did not build (so that a broken `.cube` file is
/// reported with the other problems, not after they are fixed): of every entry of `colour:`,
/// whether or not it resolves.
pub(super) fn lut_problems(f: &file::Stage, source: Option<&Path>) -> Vec<Problem> {
    // Every entry's file, also an entry that does not resolve (unknown name, listed twice).
    let failed = f.colour.lut_problems(|p| resolve(source, p));
    failed.into_iter().map(problem).collect()
}

/// Warnings about a stage file's colour settings that need nothing built (so that they come with
/// the file's problems too), each ending with `(at colour.FIELD)` for the loader to locate: a PQ
/// output whose `white_nits` is above its `peak_nits` (linear values from `peak / white` up, below
/// 1.0, clip at the peak).
pub(super) fn file_colour_warnings(f: &file::Stage) -> Vec<Problem> {
    use crate::colour::output::Encoding;
    let mut out = Vec::new();
    for (i, e) in f.colour.outputs.iter().enumerate() {
        if let Encoding::Pq {
            white_nits,
            peak_nits,
            ..
        } = e.encoding
            && white_nits > peak_nits
        {
            out.push(Problem {
                subject: Subject::Output(e.output.clone()),
                message: format!(
                    "white_nits {white_nits} is above peak_nits {peak_nits}: linear values from {:.3} up (below the reference white 1.0) clip at the peak (at colour.outputs[{i}].encoding)",
                    peak_nits / white_nits
                ),
            });
        }
    }
    out
}

/// Warnings about a built stage's colour settings, its LUTs read, those of
/// [`file_colour_warnings`] first (`f` is the file it was built from, for the fields' paths): and a
/// LUT whose input domain ends at 1 or below in effect on a PQ output (linear 1.0 is `white_nits`
/// there: everything brighter takes the table's edge values), once per LUT field and output (a LUT
/// that did not load is not looked at).
pub(super) fn colour_warnings(f: &file::Stage, stage: &super::Stage) -> Vec<Problem> {
    use crate::colour::output::Encoding;
    let c = &stage.colour;
    let mut out = file_colour_warnings(f);
    for (k, o) in stage.outputs.iter().enumerate() {
        let Some(Encoding::Pq { white_nits, .. }) = c.outputs.get(k).map(|oc| oc.encoding) else {
            continue;
        };
        let subject = Subject::Output(o.name.clone());
        // The LUT fields in effect on this output's cabinets, each once.
        let mut fields: Vec<(String, std::sync::Arc<crate::colour::cube::CubeLut>)> = Vec::new();
        for s in stage.sections_in_output(k) {
            let o_lut = c.outputs.get(k).filter(|oc| oc.lut.is_some());
            let (at, lut) = match o_lut {
                Some(oc) => (oc.lut_at.clone(), oc.lut.clone()),
                None => c
                    .sections
                    .get(s)
                    .map_or((None, None), |sc| (sc.lut_at.clone(), sc.lut.clone())),
            };
            if let (Some(at), Some(lut)) = (at, lut)
                && !fields.iter().any(|(a, _)| *a == at)
            {
                fields.push((at, lut));
            }
        }
        for (at, lut) in fields {
            if let Some(top) = lut.input_top()
                && top <= 1.0
            {
                out.push(Problem {
                    subject: subject.clone(),
                    message: format!(
                        "the LUT's input domain ends at {top}: on this PQ output (white {white_nits} nits) everything above {} nits takes its edge values; give a PQ output a LUT made for scene-linear HDR input (a shaper or a wider DOMAIN_MAX) (at {at})",
                        top * white_nits
                    ),
                });
            }
        }
    }
    out
}
