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
