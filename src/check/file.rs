//! The checks file: its types (RON, `deny_unknown_fields`, paths relative to the file), parsing with
//! located errors, and the semantic checks that report every problem at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use super::tolerance::{HdrToleranceSpec, ToleranceSpec};
use crate::camera::Orientation;

/// The root of a checks file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Checks", deny_unknown_fields)]
pub struct ChecksFile {
    /// The stage file, relative to the checks file (may instead be given on the command line).
    #[serde(default)]
    pub stage: Option<String>,
    /// Folder of the reference images, relative to the checks file (or given on the command line).
    #[serde(default)]
    pub refs: Option<String>,
    /// What the scene shows.
    #[serde(default)]
    pub content: Content,
    /// Resolutions for the checks (small ones keep references small and runs fast).
    #[serde(default)]
    pub render: CheckRender,
    /// Named camera poses.
    pub poses: Vec<PoseSpec>,
    /// The cases: a pose and the images to compare at it.
    pub cases: Vec<CaseSpec>,
    /// Whether to compare the pixel map exactly with `<refs>/pixel-map.json`.
    #[serde(default = "yes")]
    pub pixel_map: bool,
}

fn yes() -> bool {
    true
}

/// The scene the checks render.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Content {
    /// What the stage file's `render` settings say.
    #[default]
    Stage,
    /// The procedural sky alone.
    Sky,
    /// The procedural sky and the test scene (floor grid and boxes).
    TestScene,
    /// An equirectangular image (relative to the checks file), turned by `yaw_deg`, optionally
    /// with the test scene in front of it.
    Environment {
        /// Image file.
        path: String,
        /// Yaw in degrees (positive turns it left).
        #[serde(default)]
        yaw_deg: f64,
        /// Whether to draw the test scene too.
        #[serde(default)]
        test_scene: bool,
    },
}

/// Resolutions used for every case; each falls back to the stage file's value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Render", default, deny_unknown_fields)]
pub struct CheckRender {
    /// Inner frustum resolution `(width, height)`.
    pub inner_resolution: Option<(u32, u32)>,
    /// Edge of the outer cube map's faces.
    pub outer_resolution: Option<u32>,
    /// Width of the simulated camera view.
    pub camera_width: Option<u32>,
    /// Average `n x n` blocks of the outputs and the unwrapped wall before comparing (1 = full size).
    pub downsample: Option<u32>,
}

/// A named camera pose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PoseSpec {
    /// A fixed pose of a stage camera (default: the first); lens and frustum as in the stage file.
    Pose {
        /// Pose name, used by cases.
        name: String,
        /// Stage camera whose lens and frustum settings are used (default: the first).
        #[serde(default)]
        camera: Option<String>,
        /// Tracked sensor position in stage metres.
        position: (f64, f64, f64),
        /// Orientation (`PanTiltRoll(pan, tilt, roll)` in degrees or `Quaternion(x, y, z, w)`).
        #[serde(default)]
        rotation: Orientation,
        /// Focal length in millimetres (default: the camera's).
        #[serde(default)]
        focal_length_mm: Option<f64>,
    },
    /// A frame of a recorded take, through the stage camera's tracking settings and lens table.
    TakeFrame {
        /// Pose name, used by cases.
        name: String,
        /// Take file, relative to the checks file.
        take: String,
        /// Frame number at the stage frame rate (0 = the take's first sample).
        frame: u64,
        /// Tracked camera (default: the take's first).
        #[serde(default)]
        camera: Option<String>,
    },
}

impl PoseSpec {
    /// The pose's name.
    pub fn name(&self) -> &str {
        match self {
            PoseSpec::Pose { name, .. } | PoseSpec::TakeFrame { name, .. } => name,
        }
    }
}

/// An image a case compares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageKind {
    /// Every output raster.
    Outputs,
    /// One output raster, by name.
    Output(String),
    /// The unwrapped wall.
    Wall,
    /// The simulated camera view.
    Camera,
}

/// One case: a pose and the images compared there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Case", deny_unknown_fields)]
pub struct CaseSpec {
    /// Case name (letters, digits, `-`, `_`, `.`); reference files start with it.
    pub name: String,
    /// Name of a pose in `poses`.
    pub pose: String,
    /// What to compare.
    pub images: Vec<ImageKind>,
    /// How close the 8-bit images must be (sRGB outputs, the wall, the camera view).
    #[serde(default)]
    pub tolerance: ToleranceSpec,
    /// How close the images of PQ and linear EXR outputs must be (ΔE_ITP, BT.2124).
    #[serde(default)]
    pub hdr_tolerance: HdrToleranceSpec,
}

/// Why a checks file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The file could not be read.
    #[error("cannot read checks file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A syntax or type error, located in the file.
    #[error(transparent)]
    Syntax(#[from] crate::ron_file::SyntaxError),
    /// Semantic problems, all of them.
    #[error("{file}: {} problem{}:\n{}", .problems.len(), if .problems.len() == 1 { "" } else { "s" }, .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        file: String,
        /// The problems.
        problems: Vec<String>,
    },
    /// `--update` in a CI run (see [`super::ensure_update_allowed`]).
    #[error(
        "references are never updated under CI (the CI environment variable is {value:?}): update them \
         on a workstation with `parallax check --update`, review the images and commit them"
    )]
    UpdateUnderCi {
        /// The value of `CI`.
        value: String,
    },
}

/// Parses checks-file text; `label` names it in errors. Errors are located (file:line:col) like
/// the stage loader's.
pub fn parse(text: &str, label: &str) -> Result<ChecksFile, CheckError> {
    Ok(crate::ron_file::parse(text, label)?)
}

/// A loaded, validated checks file with its paths resolved.
#[derive(Clone, Debug)]
pub struct Checks {
    /// The file's contents.
    pub file: ChecksFile,
    /// Name of the checks (the file's stem), the JUnit suite name.
    pub name: String,
    /// The stage file.
    pub stage: PathBuf,
    /// The reference folder.
    pub refs: PathBuf,
    /// Folder relative paths in the file are resolved against.
    pub base: PathBuf,
}

impl Checks {
    /// Loads a checks file; `stage` and `refs` replace the file's (relative to the working folder).
    pub fn load(
        path: &Path,
        stage: Option<&Path>,
        refs: Option<&Path>,
    ) -> Result<Checks, CheckError> {
        let text = std::fs::read_to_string(path).map_err(|source| CheckError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let label = path.display().to_string();
        let file = parse(&text, &label)?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "checks".into());
        let name = name
            .strip_suffix(".ron")
            .unwrap_or(&name)
            .trim_end_matches(".checks")
            .to_string();
        Checks::new(file, &label, name, base, stage, refs)
    }

    /// Validates a parsed file and resolves its paths against `base`.
    pub fn new(
        file: ChecksFile,
        label: &str,
        name: String,
        base: PathBuf,
        stage: Option<&Path>,
        refs: Option<&Path>,
    ) -> Result<Checks, CheckError> {
        let mut problems = validate(&file);
        let resolve =
            |given: Option<&Path>, in_file: &Option<String>, what: &str| match (given, in_file) {
                (Some(p), _) => Ok(p.to_path_buf()),
                (None, Some(p)) => Ok(base.join(p)),
                (None, None) => Err(format!(
                    "no {what}: set '{what}' in the file or give it on the command line"
                )),
            };
        let stage = resolve(stage, &file.stage, "stage").map_err(|e| problems.push(e));
        let refs = resolve(refs, &file.refs, "refs").map_err(|e| problems.push(e));
        match (stage, refs) {
            (Ok(stage), Ok(refs)) if problems.is_empty() => Ok(Checks {
                file,
                name,
                stage,
                refs,
                base,
            }),
            _ => Err(CheckError::Invalid {
                file: label.to_string(),
                problems,
            }),
        }
    }

    /// Number of progress steps of [`super::run::run`]: one per case, plus one for the pixel map.
    pub fn steps(&self) -> u64 {
        self.file.cases.len() as u64 + self.file.pixel_map as u64
    }
}

/// Whether `name` is usable in a file name.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn validate(f: &ChecksFile) -> Vec<String> {
    let mut p = Vec::new();
    let mut poses = HashMap::new();
    for (k, pose) in f.poses.iter().enumerate() {
        if poses.insert(pose.name(), k).is_some() {
            p.push(format!("pose '{}' is defined twice", pose.name()));
        }
        if let PoseSpec::Pose {
            name,
            position,
            focal_length_mm,
            ..
        } = pose
        {
            if ![position.0, position.1, position.2]
                .iter()
                .all(|v| v.is_finite())
            {
                p.push(format!("pose '{name}': position is not finite"));
            }
            if let Some(fl) = focal_length_mm
                && !(fl.is_finite() && *fl > 0.0)
            {
                p.push(format!(
                    "pose '{name}': focal_length_mm must be positive (got {fl})"
                ));
            }
        }
    }
    let mut cases = HashMap::new();
    for c in &f.cases {
        if !safe_name(&c.name) {
            p.push(format!(
                "case '{}': names may use letters, digits, '-', '_' and '.' (not first)",
                c.name
            ));
        }
        if c.name == "pixel-map" {
            p.push("case name 'pixel-map' is reserved for the pixel map".into());
        }
        if cases.insert(c.name.as_str(), ()).is_some() {
            p.push(format!("case '{}' is defined twice", c.name));
        }
        if !poses.contains_key(c.pose.as_str()) {
            p.push(format!(
                "case '{}': no pose named '{}' (poses: {})",
                c.name,
                c.pose,
                f.poses
                    .iter()
                    .map(|p| format!("'{}'", p.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if c.images.is_empty() {
            p.push(format!("case '{}': no images to compare", c.name));
        }
        for e in c.tolerance.problems() {
            p.push(format!("case '{}': tolerance: {e}", c.name));
        }
        for e in c.hdr_tolerance.problems() {
            p.push(format!("case '{}': hdr_tolerance: {e}", c.name));
        }
    }
    if f.render.downsample == Some(0) {
        p.push("render: downsample must be at least 1".into());
    }
    if f.render.camera_width == Some(0) {
        p.push("render: camera_width must be at least 1".into());
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"Checks(
    stage: "stage.ron",
    refs: "refs",
    poses: [Pose(name: "p", position: (0.0, 1.5, 0.5))],
    cases: [Case(name: "c", pose: "p", images: [Camera])],
)"#;

    #[test]
    fn minimal_file_parses_with_defaults() {
        let f = parse(MINIMAL, "x.ron").unwrap();
        assert!(f.pixel_map);
        assert_eq!(f.content, Content::Stage);
        assert_eq!(f.cases[0].tolerance, ToleranceSpec::default());
        assert!(validate(&f).is_empty());
    }

    #[test]
    fn unknown_field_is_located() {
        let text = MINIMAL.replace("images: [Camera]", "images: [Camera], colour: 3");
        let e = parse(&text, "x.ron").unwrap_err().to_string();
        assert!(e.starts_with("x.ron:5:"), "{e}");
        assert!(e.contains("unknown field 'colour'"), "{e}");
        assert!(e.contains("cases[0]"), "{e}");
    }

    #[test]
    fn the_hdr_tolerance_is_parsed_strictly_and_validated() {
        let f = parse(MINIMAL, "x.ron").unwrap();
        assert_eq!(f.cases[0].hdr_tolerance, HdrToleranceSpec::default());
        assert_eq!(
            HdrToleranceSpec::default(),
            HdrToleranceSpec::Itp {
                mean: 1.0,
                percentile: 99.0,
                percentile_max: 10.0
            }
        );
        let with = |t: &str| MINIMAL.replace("images: [Camera]", &format!("images: [Camera], {t}"));
        let f = parse(
            &with("hdr_tolerance: Itp(mean: 0.5, percentile: 95.0, percentile_max: 3.0)"),
            "x.ron",
        )
        .unwrap();
        assert_eq!(
            f.cases[0].hdr_tolerance,
            HdrToleranceSpec::Itp {
                mean: 0.5,
                percentile: 95.0,
                percentile_max: 3.0
            }
        );
        let e = parse(
            &with("hdr_tolerance: Itp(mean: 0.5, percentile: 95.0, percentile_max: 3.0, max: 1.0)"),
            "x.ron",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("x.ron:5:") && e.contains("unknown field 'max'"),
            "{e}"
        );
        let f = parse(
            &with("hdr_tolerance: Itp(mean: -1.0, percentile: 101.0, percentile_max: 3.0)"),
            "x.ron",
        )
        .unwrap();
        let e = Checks::new(f, "x.ron", "x".into(), ".".into(), None, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("case 'c': hdr_tolerance: mean must be a number >= 0"),
            "{e}"
        );
        assert!(
            e.contains("case 'c': hdr_tolerance: percentile must be in 0..=100"),
            "{e}"
        );
    }

    #[test]
    fn semantic_problems_are_all_reported() {
        let text = MINIMAL.replace(
            r#"cases: [Case(name: "c", pose: "p", images: [Camera])]"#,
            r#"cases: [Case(name: "c", pose: "q", images: []), Case(name: "c", pose: "p", images: [Wall],
               tolerance: Channel(max_diff: 4, bad_fraction: 2.0)), Case(name: "../x", pose: "p", images: [Wall])]"#,
        );
        let f = parse(&text, "x.ron").unwrap();
        let e = Checks::new(f, "x.ron", "x".into(), ".".into(), None, None)
            .unwrap_err()
            .to_string();
        for needle in [
            "no pose named 'q'",
            "no images",
            "defined twice",
            "bad_fraction",
            "'../x'",
        ] {
            assert!(e.contains(needle), "{needle}: {e}");
        }
    }
}
