//! Golden-image checks of a stage (`parallax check`): render the stage headless at fixed camera
//! poses (or take frames), compare the outputs, the unwrapped wall and the simulated camera view with
//! approved reference images, and compare the pixel map exactly.
//!
//! A checks file (RON, `deny_unknown_fields`, paths relative to the file) names the stage, the
//! content, the poses and the cases; [`run`] renders every case and returns a [`Report`], which
//! [`junit_xml`] turns into a JUnit report. See `docs/check.md`.
//!
//! Parts: `file` (the checks file and its parsing), `tolerance` (how close an image must be),
//! `images` (a case's images: outputs, a remapped output's sub-frame regions, wall, camera),
//! `hdr` (the references of PQ and linear EXR outputs, compared by ΔE_ITP), `review` (the readable side-by-side image of
//! a failure), `run` (rendering the cases through
//! [`crate::render::FrameInputs::resolve`] and comparing), `pixel_map` (the pixel-map case) and `junit` (the JUnit report); the
//! pixel-map diff is [`crate::mapping::diff_maps`]. References are never updated under CI
//! ([`ensure_update_allowed`]).

mod file;
mod hdr;
mod images;
mod junit;
mod pixel_map;
mod review;
mod run;
mod tolerance;

use std::ffi::OsStr;
use std::path::PathBuf;

pub use file::{
    CaseSpec, CheckError, CheckRender, Checks, ChecksFile, Content, HdrToleranceSpec, ImageKind,
    PoseSpec, ToleranceSpec, parse,
};
pub use junit::{junit_xml, xml_escape};
pub use review::{MAX_LONG, MAX_SCALE, MIN_LONG, MIN_SHORT, review_image, scale_for};
pub use run::{RunOptions, run};

/// What happened to one test case (one image of a case, or the pixel map).
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Within tolerance; what was measured.
    Passed(String),
    /// Outside tolerance; why.
    Failed(String),
    /// No reference to compare with.
    Missing(String),
    /// The reference was written (`--update`).
    Updated(String),
    /// The case could not be rendered or compared.
    Error(String),
}

impl Outcome {
    /// Whether this outcome fails the run.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            Outcome::Failed(_) | Outcome::Missing(_) | Outcome::Error(_)
        )
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            Outcome::Passed(m)
            | Outcome::Failed(m)
            | Outcome::Missing(m)
            | Outcome::Updated(m)
            | Outcome::Error(m) => m,
        }
    }

    /// The same outcome with `what: ` put before its message (e.g. which sub-frame region).
    pub fn prefixed(self, what: &str) -> Outcome {
        let p = |m: String| format!("{what}: {m}");
        match self {
            Outcome::Passed(m) => Outcome::Passed(p(m)),
            Outcome::Failed(m) => Outcome::Failed(p(m)),
            Outcome::Missing(m) => Outcome::Missing(p(m)),
            Outcome::Updated(m) => Outcome::Updated(p(m)),
            Outcome::Error(m) => Outcome::Error(p(m)),
        }
    }

    /// A one-word label.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed(_) => "ok",
            Outcome::Failed(_) => "FAILED",
            Outcome::Missing(_) => "MISSING",
            Outcome::Updated(_) => "updated",
            Outcome::Error(_) => "ERROR",
        }
    }
}

/// The result of one test case.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseResult {
    /// The case it belongs to (`pixel-map` for the pixel map).
    pub case: String,
    /// The test case: `<case>/<image>`, e.g. `centre/output-wall`, `centre/camera`, or `pixel-map`.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// Files written for it (actual, difference and side-by-side images, or the reference).
    pub files: Vec<PathBuf>,
    /// Cabinets whose placement changed (pixel map only).
    pub changed_cabinets: Vec<String>,
    /// Seconds spent (the render is shared among a case's images).
    pub seconds: f64,
}

/// The results of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Name of the checks (the JUnit suite).
    pub suite: String,
    /// Every test case, in file order, the pixel map last.
    pub results: Vec<CaseResult>,
    /// Seconds for the whole run.
    pub seconds: f64,
}

impl Report {
    /// Whether any test case failed, lacks a reference or could not run.
    pub fn failed(&self) -> bool {
        self.results.iter().any(|r| r.outcome.is_failure())
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }

    /// One line: counts per outcome and the time.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!(
            "{} passed",
            self.count(|o| matches!(o, Outcome::Passed(_)))
        )];
        for (label, n) in [
            ("failed", self.count(|o| matches!(o, Outcome::Failed(_)))),
            (
                "missing reference",
                self.count(|o| matches!(o, Outcome::Missing(_))),
            ),
            ("errors", self.count(|o| matches!(o, Outcome::Error(_)))),
            ("updated", self.count(|o| matches!(o, Outcome::Updated(_)))),
        ] {
            if n > 0 {
                parts.push(format!("{n} {label}"));
            }
        }
        format!(
            "check {}: {} {} in {:.1} s: {}",
            self.suite,
            self.results.len(),
            if self.results.len() == 1 {
                "case"
            } else {
                "cases"
            },
            self.seconds,
            parts.join(", ")
        )
    }
}

/// Whether the value of the `CI` environment variable marks a CI run: set, non-empty, and neither
/// `0` nor `false` (in any case). GitHub Actions, GitLab CI and most other CI systems set `CI=true`.
pub fn is_ci(value: Option<&OsStr>) -> bool {
    match value {
        None => false,
        Some(v) => {
            let v = v.to_string_lossy();
            let v = v.trim();
            !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false"))
        }
    }
}

/// Refuses to write references in a CI run (vello's snapshot policy): a reference is evidence only
/// when a person approved it, so references are written on a workstation, reviewed and committed,
/// never by the job that checks against them. `ci` is the value of the `CI` environment variable
/// (`std::env::var_os("CI")`).
///
/// Errors: [`CheckError::UpdateUnderCi`] when [`is_ci`] says so.
pub fn ensure_update_allowed(ci: Option<&OsStr>) -> Result<(), CheckError> {
    match ci {
        Some(v) if is_ci(Some(v)) => Err(CheckError::UpdateUnderCi {
            value: v.to_string_lossy().into_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_is_any_value_but_empty_zero_or_false() {
        let ci = |v: &str| is_ci(Some(OsStr::new(v)));
        assert!(!is_ci(None));
        for off in ["", " ", "0", "false", "False", "FALSE"] {
            assert!(!ci(off), "{off:?}");
        }
        for on in ["true", "1", "yes", "True", "gitlab"] {
            assert!(ci(on), "{on:?}");
        }
    }

    #[test]
    fn updates_are_refused_under_ci_with_the_reason() {
        assert!(ensure_update_allowed(None).is_ok());
        assert!(ensure_update_allowed(Some(OsStr::new("false"))).is_ok());
        let e = ensure_update_allowed(Some(OsStr::new("true")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("never updated under CI"), "{e}");
        assert!(e.contains("\"true\""), "{e}");
    }
}
