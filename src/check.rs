//! Golden-image checks of a stage (`parallax check`): render the stage headless at fixed camera
//! poses (or take frames), compare the outputs, the unwrapped wall and the simulated camera view with
//! approved reference images, and compare the pixel map exactly.
//!
//! A checks file (RON, `deny_unknown_fields`, paths relative to the file) names the stage, the
//! content, the poses and the cases; [`run`] renders every case and returns a [`Report`], which
//! [`junit_xml`] turns into a JUnit report. See `docs/check.md`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::camera::{CameraState, Orientation, Pose};
use crate::compare::{self, Comparison};
use crate::mapping::PixelMap;
use crate::render::{FrameInputs, Overrides, RenderedFrame, Renderer, RendererOptions};
use crate::stage::Stage;
use crate::tracking::TakeCameras;

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

/// How close an image must be to its reference.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToleranceSpec {
    /// Perceptual error (CIELAB delta E over a slight blur): its mean, and its value at a percentile.
    Perceptual {
        /// Largest mean delta E.
        mean: f64,
        /// Percentile (0..=100) of the pixels' delta E that is limited.
        percentile: f64,
        /// Largest delta E at that percentile.
        percentile_max: f64,
    },
    /// Per-channel difference (0..255) with a budget of bad pixels.
    Channel {
        /// Largest channel difference that does not count as bad.
        max_diff: u8,
        /// Fraction of pixels allowed to be bad.
        bad_fraction: f64,
    },
}

impl Default for ToleranceSpec {
    fn default() -> Self {
        ToleranceSpec::Perceptual {
            mean: 1.0,
            percentile: 99.0,
            percentile_max: 10.0,
        }
    }
}

impl ToleranceSpec {
    /// The tolerance for [`compare::compare`] (its channel threshold marks the difference image).
    fn base(&self) -> compare::Tolerance {
        match *self {
            ToleranceSpec::Perceptual { .. } => compare::Tolerance::default(),
            ToleranceSpec::Channel {
                max_diff,
                bad_fraction,
            } => compare::Tolerance {
                channel: max_diff,
                bad_fraction,
                ..Default::default()
            },
        }
    }

    /// Whether `c` is within the tolerance.
    pub fn passes(&self, c: &Comparison) -> bool {
        match *self {
            ToleranceSpec::Perceptual {
                mean,
                percentile,
                percentile_max,
            } => c.mean_delta_e <= mean && c.delta_e_percentile(percentile) <= percentile_max,
            ToleranceSpec::Channel { bad_fraction, .. } => {
                (c.bad_pixels as f64) <= bad_fraction * c.pixels as f64
            }
        }
    }

    /// What was measured, against the limits.
    pub fn describe(&self, c: &Comparison) -> String {
        match *self {
            ToleranceSpec::Perceptual {
                mean,
                percentile,
                percentile_max,
            } => format!(
                "delta E mean {:.3} (limit {mean}), p{percentile} {:.3} (limit {percentile_max}); {}",
                c.mean_delta_e,
                c.delta_e_percentile(percentile),
                c.summary()
            ),
            ToleranceSpec::Channel {
                max_diff,
                bad_fraction,
            } => format!(
                "{} of {} pixels differ by more than {max_diff} ({:.4} %, budget {:.4} %); {}",
                c.bad_pixels,
                c.pixels,
                100.0 * c.bad_pixels as f64 / c.pixels.max(1) as f64,
                100.0 * bad_fraction,
                c.summary()
            ),
        }
    }

    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        match *self {
            ToleranceSpec::Perceptual {
                mean,
                percentile,
                percentile_max,
            } => {
                if !(mean.is_finite() && mean >= 0.0) {
                    p.push(format!("mean must be a number >= 0 (got {mean})"));
                }
                if !(0.0..=100.0).contains(&percentile) {
                    p.push(format!("percentile must be in 0..=100 (got {percentile})"));
                }
                if !(percentile_max.is_finite() && percentile_max >= 0.0) {
                    p.push(format!(
                        "percentile_max must be a number >= 0 (got {percentile_max})"
                    ));
                }
            }
            ToleranceSpec::Channel { bad_fraction, .. } => {
                if !(0.0..=1.0).contains(&bad_fraction) {
                    p.push(format!(
                        "bad_fraction must be in 0..=1 (got {bad_fraction})"
                    ));
                }
            }
        }
        p
    }
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
    /// How close the images must be.
    #[serde(default)]
    pub tolerance: ToleranceSpec,
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

    /// Number of progress steps of [`run`]: one per case, plus one for the pixel map.
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
    }
    if f.render.downsample == Some(0) {
        p.push("render: downsample must be at least 1".into());
    }
    if f.render.camera_width == Some(0) {
        p.push("render: camera_width must be at least 1".into());
    }
    p
}

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

/// How to run the checks.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `None`: compare. `Some(names)`: write the references of the named cases (a case name, a
    /// test-case name such as `centre/camera`, or `pixel-map`), or of every case when empty.
    pub update: Option<Vec<String>>,
    /// Where failure images are written.
    pub out: PathBuf,
}

impl RunOptions {
    fn updates(&self, case: &str, name: &str) -> bool {
        match &self.update {
            None => false,
            Some(names) => names.is_empty() || names.iter().any(|n| n == case || n == name),
        }
    }
}

/// The image's part of a test-case and file name.
fn image_label(kind: &ImageKind, output: Option<&str>) -> String {
    match (kind, output) {
        (_, Some(o)) => format!("output-{o}"),
        (ImageKind::Wall, _) => "wall".into(),
        (ImageKind::Camera, _) => "camera".into(),
        _ => "outputs".into(),
    }
}

/// The camera (name) and its state (pose and lens) for a pose of the checks file: a fixed pose on
/// the named or first camera with its stage-file lens, or a take frame through the stage's tracking.
fn pose_state(
    stage: &Stage,
    pose: &PoseSpec,
    base: &Path,
    takes: &mut HashMap<PathBuf, TakeCameras>,
) -> Result<(String, CameraState), String> {
    let pick = |name: Option<&str>| -> Result<&crate::stage::Camera, String> {
        match name {
            Some(n) => stage
                .camera(n)
                .ok_or_else(|| format!("the stage has no camera named '{n}'")),
            None => stage
                .first_camera()
                .ok_or_else(|| "the stage has no camera".to_string()),
        }
    };
    match pose {
        PoseSpec::Pose {
            camera,
            position,
            rotation,
            focal_length_mm,
            ..
        } => {
            let cam = pick(camera.as_deref())?;
            let mut state = cam.rest;
            state.pose = Pose {
                position: glam::DVec3::new(position.0, position.1, position.2),
                rotation: rotation.to_quat(),
            };
            if let Some(f) = focal_length_mm {
                state.lens.focal_length_mm = *f;
            }
            Ok((cam.name.clone(), state))
        }
        PoseSpec::TakeFrame {
            take,
            frame,
            camera,
            ..
        } => {
            let path = base.join(take);
            if !takes.contains_key(&path) {
                let t = crate::tracking::Take::load(&path).map_err(|e| e.to_string())?;
                let cams = TakeCameras::new(&t, &stage.camera_specs(), stage.frame_rate)
                    .map_err(|e| e.to_string())?;
                takes.insert(path.clone(), cams);
            }
            let cams = &takes[&path];
            let name = pick(camera.as_deref())?.name.clone();
            let state = cams
                .camera_at_frame(&name, *frame)
                .ok_or_else(|| format!("take {} does not track camera '{name}'", path.display()))?;
            Ok((name, state.camera))
        }
    }
}

/// Compares (or updates) one image and returns its result.
fn check_image(
    case: &CaseSpec,
    name: String,
    file_stem: &str,
    actual: &image::RgbaImage,
    refs: &Path,
    options: &RunOptions,
) -> CaseResult {
    let started = Instant::now();
    let reference = refs.join(format!("{file_stem}.png"));
    let mut files = Vec::new();
    let outcome = (|| {
        if options.updates(&case.name, &name) {
            return match crate::io::write_png(&reference, actual) {
                Ok(()) => {
                    files.push(reference.clone());
                    Outcome::Updated(format!("wrote {}", reference.display()))
                }
                Err(e) => Outcome::Error(e.to_string()),
            };
        }
        let write_actual = |files: &mut Vec<PathBuf>| match compare::write_failure(
            &options.out,
            file_stem,
            actual,
            None,
        ) {
            Ok(p) => {
                files.extend(p);
                String::new()
            }
            Err(e) => format!(" ({e})"),
        };
        if !reference.exists() {
            let note = write_actual(&mut files);
            return Outcome::Missing(format!(
                "no reference {} (run with --update={} to write it){note}",
                reference.display(),
                case.name
            ));
        }
        let expected = match image::open(&reference) {
            Ok(i) => i.to_rgba8(),
            Err(e) => {
                return Outcome::Error(format!(
                    "cannot read reference {}: {e}",
                    reference.display()
                ));
            }
        };
        match compare::compare(&expected, actual, &case.tolerance.base()) {
            Err(e) => {
                let note = write_actual(&mut files);
                Outcome::Failed(format!("{e}{note}"))
            }
            Ok(c) if case.tolerance.passes(&c) => Outcome::Passed(case.tolerance.describe(&c)),
            Ok(c) => {
                let mut note = String::new();
                match compare::write_failure(&options.out, file_stem, actual, Some(&c.diff)) {
                    Ok(p) => files.extend(p),
                    Err(e) => note = format!(" ({e})"),
                }
                let sbs = options.out.join(format!("{file_stem}.side-by-side.png"));
                match crate::io::write_png(
                    &sbs,
                    &compare::side_by_side(&expected, actual, Some(&c.diff)),
                ) {
                    Ok(()) => files.push(sbs),
                    Err(e) => note = format!(" ({e})"),
                }
                Outcome::Failed(format!("{}{note}", case.tolerance.describe(&c)))
            }
        }
    })();
    CaseResult {
        case: case.name.clone(),
        name,
        outcome,
        files,
        changed_cabinets: Vec::new(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// One image of a rendered case.
struct CaseImage {
    /// Test-case name, `<case>/<image>`.
    name: String,
    /// File-name stem, `<case>.<image>`.
    stem: String,
    /// The image, or why the frame has none.
    image: Result<image::RgbaImage, String>,
}

/// The images of one rendered case.
fn case_images(case: &CaseSpec, frame: &RenderedFrame, downsample: u32) -> Vec<CaseImage> {
    let mut out = Vec::new();
    let mut push = |label: String, img: Option<image::RgbaImage>, scale: bool| {
        out.push(CaseImage {
            name: format!("{}/{label}", case.name),
            stem: format!("{}.{label}", case.name),
            image: match img {
                Some(i) if scale => Ok(compare::downsample(&i, downsample)),
                Some(i) => Ok(i),
                None => Err(format!("the frame has no {label} image")),
            },
        });
    };
    for kind in &case.images {
        match kind {
            ImageKind::Outputs => {
                for (o, img) in &frame.outputs {
                    push(image_label(kind, Some(o)), Some(img.to_rgba8()), true);
                }
            }
            ImageKind::Output(o) => {
                let img = frame
                    .outputs
                    .iter()
                    .find(|(n, _)| n == o)
                    .map(|(_, i)| i.to_rgba8());
                push(image_label(kind, Some(o)), img, true);
            }
            ImageKind::Wall => push(
                image_label(kind, None),
                frame.wall.as_ref().map(|i| i.to_rgba8()),
                true,
            ),
            ImageKind::Camera => push(
                image_label(kind, None),
                frame.camera.as_ref().map(|i| i.to_rgba8()),
                false,
            ),
        }
    }
    out
}

/// Runs every case of `checks` headless on `gpu` (created when `None`), calling `progress` with
/// each finished case's name. Problems that stop a case (a stage that does not load, no adapter)
/// become [`Outcome::Error`] results, so the report always lists every case.
pub fn run(
    checks: &Checks,
    gpu: Option<&crate::gpu::Gpu>,
    options: &RunOptions,
    progress: &mut dyn FnMut(&str),
) -> Report {
    let started = Instant::now();
    let mut results = Vec::new();
    let error_all = |results: &mut Vec<CaseResult>, message: String| {
        for c in &checks.file.cases {
            results.push(CaseResult {
                case: c.name.clone(),
                name: c.name.clone(),
                outcome: Outcome::Error(message.clone()),
                files: Vec::new(),
                changed_cabinets: Vec::new(),
                seconds: 0.0,
            });
        }
        if checks.file.pixel_map {
            results.push(CaseResult {
                case: "pixel-map".into(),
                name: "pixel-map".into(),
                outcome: Outcome::Error(message),
                files: Vec::new(),
                changed_cabinets: Vec::new(),
                seconds: 0.0,
            });
        }
    };
    let finish = |results: Vec<CaseResult>| Report {
        suite: checks.name.clone(),
        results,
        seconds: started.elapsed().as_secs_f64(),
    };
    let stage = match crate::stage::load(&checks.stage) {
        Ok(s) => s,
        Err(e) => {
            error_all(&mut results, e.to_string());
            return finish(results);
        }
    };
    if !checks.file.cases.is_empty() {
        run_cases(checks, &stage, gpu, options, progress, &mut results);
    }
    if checks.file.pixel_map {
        results.push(check_pixel_map(&stage, &checks.refs, options));
        progress("pixel-map");
    }
    finish(results)
}

fn run_cases(
    checks: &Checks,
    stage: &Stage,
    gpu: Option<&crate::gpu::Gpu>,
    options: &RunOptions,
    progress: &mut dyn FnMut(&str),
    results: &mut Vec<CaseResult>,
) {
    let fail_rest = |results: &mut Vec<CaseResult>, from: usize, message: &str| {
        for c in &checks.file.cases[from..] {
            results.push(CaseResult {
                case: c.name.clone(),
                name: c.name.clone(),
                outcome: Outcome::Error(message.to_string()),
                files: Vec::new(),
                changed_cabinets: Vec::new(),
                seconds: 0.0,
            });
        }
    };
    let owned;
    let gpu = match gpu {
        Some(g) => g,
        None => match crate::gpu::Gpu::headless() {
            Ok(g) => {
                owned = g;
                &owned
            }
            Err(e) => return fail_rest(results, 0, &e.to_string()),
        },
    };
    let f = &checks.file;
    let wants = |k: &ImageKind| f.cases.iter().any(|c| c.images.contains(k));
    let renderer_options = RendererOptions {
        wall: wants(&ImageKind::Wall),
        camera: wants(&ImageKind::Camera),
        camera_width: f.render.camera_width,
        ..Default::default()
    };
    let mut renderer = match Renderer::new(gpu, stage, renderer_options) {
        Ok(r) => r,
        Err(e) => return fail_rest(results, 0, &e.to_string()),
    };
    let spec = match &f.content {
        Content::Stage => crate::scene::SceneSpec {
            environment: stage
                .render
                .environment
                .as_deref()
                .map(|e| stage.resolve_path(e)),
            environment_yaw_deg: stage.render.environment_yaw_deg,
            test_scene: stage.render.test_scene,
        },
        Content::Sky => crate::scene::SceneSpec::default(),
        Content::TestScene => crate::scene::SceneSpec {
            test_scene: true,
            ..Default::default()
        },
        Content::Environment {
            path,
            yaw_deg,
            test_scene,
        } => crate::scene::SceneSpec {
            environment: Some(checks.base.join(path)),
            environment_yaw_deg: *yaw_deg,
            test_scene: *test_scene,
        },
    };
    let scene = match crate::scene::build(&renderer.scene_context(gpu), &spec) {
        Ok(s) => s,
        Err(e) => return fail_rest(results, 0, &e.to_string()),
    };
    let overrides = Overrides {
        inner_resolution: f.render.inner_resolution,
        outer_resolution: f.render.outer_resolution,
        ..Default::default()
    };
    let downsample = f.render.downsample.unwrap_or(1).max(1);
    let mut takes = HashMap::new();
    for case in &f.cases {
        let started = Instant::now();
        let rendered = (|| -> Result<RenderedFrame, String> {
            let pose = f
                .poses
                .iter()
                .find(|p| p.name() == case.pose)
                .ok_or_else(|| format!("no pose named '{}'", case.pose))?;
            let (camera, state) = pose_state(stage, pose, &checks.base, &mut takes)?;
            let inputs = FrameInputs::resolve(stage, &camera, &state, &overrides)
                .map_err(|e| e.to_string())?;
            renderer.prepare(gpu, &inputs).map_err(|e| e.to_string())?;
            renderer
                .render_frame(gpu, &scene)
                .map_err(|e| e.to_string())
        })();
        let render_seconds = started.elapsed().as_secs_f64();
        match rendered {
            Err(message) => results.push(CaseResult {
                case: case.name.clone(),
                name: case.name.clone(),
                outcome: Outcome::Error(message),
                files: Vec::new(),
                changed_cabinets: Vec::new(),
                seconds: render_seconds,
            }),
            Ok(frame) => {
                let images = case_images(case, &frame, downsample);
                let share = render_seconds / images.len().max(1) as f64;
                for img in images {
                    let mut r = match img.image {
                        Ok(i) => check_image(case, img.name, &img.stem, &i, &checks.refs, options),
                        Err(message) => CaseResult {
                            case: case.name.clone(),
                            name: img.name,
                            outcome: Outcome::Error(message),
                            files: Vec::new(),
                            changed_cabinets: Vec::new(),
                            seconds: 0.0,
                        },
                    };
                    r.seconds += share;
                    results.push(r);
                }
            }
        }
        progress(&case.name);
    }
}

fn check_pixel_map(stage: &Stage, refs: &Path, options: &RunOptions) -> CaseResult {
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
                        Outcome::Passed(format!(
                            "{} cabinets in {} outputs unchanged",
                            actual.panels.len(),
                            actual.outputs.len()
                        ))
                    } else {
                        changed = d.cabinets();
                        let path = options.out.join("pixel-map.actual.json");
                        let note = match crate::io::write_json(&path, &actual) {
                            Ok(()) => {
                                files.push(path);
                                String::new()
                            }
                            Err(e) => format!(" ({e})"),
                        };
                        Outcome::Failed(format!("{}{note}", d.describe()))
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

/// How a cabinet differs between two pixel maps.
#[derive(Clone, Debug, PartialEq)]
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

/// The differences between two pixel maps, by cabinet id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapDiff {
    /// Changed outputs: `name: what`.
    pub outputs: Vec<String>,
    /// Outputs whose every cabinet moved by the same offset (and nothing else changed), with the
    /// number of cabinets and the offset in output pixels: a shifted output.
    pub shifted_outputs: Vec<(String, usize, [i32; 2])>,
    /// Changed cabinets, in the new map's order (removed ones last).
    pub cabinets: Vec<(String, CabinetChange)>,
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

    /// A readable list: the outputs, then one line per cabinet.
    pub fn describe(&self) -> String {
        let mut lines = Vec::new();
        if !self.cabinets.is_empty() {
            lines.push(format!(
                "pixel map changed: {} cabinet{} changed: {}",
                self.cabinets.len(),
                if self.cabinets.len() == 1 { "" } else { "s" },
                self.cabinets().join(", ")
            ));
        } else {
            lines.push("pixel map changed".into());
        }
        for o in &self.outputs {
            lines.push(format!("  output {o}"));
        }
        for (o, n, [dx, dy]) in &self.shifted_outputs {
            lines.push(format!(
                "  output '{o}': all {n} cabinets shifted by ({dx:+}, {dy:+}) px"
            ));
        }
        for (id, c) in &self.cabinets {
            lines.push(match c {
                CabinetChange::Added => format!("  {id}: added"),
                CabinetChange::Removed => format!("  {id}: removed"),
                CabinetChange::Moved => format!("  {id}: moved in space"),
                CabinetChange::Placement(f) => format!("  {id}: {}", f.join(", ")),
            });
        }
        lines.join("\n")
    }
}

/// Compares two pixel maps by cabinet id: cabinets added, removed, placed differently (output,
/// origin, steps, pixel size) or moved in space, and outputs added, removed or resized.
pub fn diff_maps(expected: &PixelMap, actual: &PixelMap) -> MapDiff {
    let mut d = MapDiff::default();
    for o in &actual.outputs {
        match expected.outputs.iter().find(|e| e.name == o.name) {
            None => d.outputs.push(format!("'{}': added", o.name)),
            Some(e) if (e.width, e.height) != (o.width, o.height) => d.outputs.push(format!(
                "'{}': size {}x{} -> {}x{}",
                o.name, e.width, e.height, o.width, o.height
            )),
            Some(_) => {}
        }
    }
    for e in &expected.outputs {
        if !actual.outputs.iter().any(|o| o.name == e.name) {
            d.outputs.push(format!("'{}': removed", e.name));
        }
    }
    let old: HashMap<&str, &crate::mapping::MapPanel> =
        expected.panels.iter().map(|p| (p.id.as_str(), p)).collect();
    for p in &actual.panels {
        let Some(e) = old.get(p.id.as_str()) else {
            d.cabinets.push((p.id.clone(), CabinetChange::Added));
            continue;
        };
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
    let new: std::collections::HashSet<&str> =
        actual.panels.iter().map(|p| p.id.as_str()).collect();
    for e in &expected.panels {
        if !new.contains(e.id.as_str()) {
            d.cabinets.push((e.id.clone(), CabinetChange::Removed));
        }
    }
    d
}

/// Escapes text for XML content and attribute values; characters XML 1.0 cannot hold become U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The report as JUnit XML: one `<testsuite>` named after the checks, one `<testcase>` per image
/// and one for the pixel map; failures and missing references are `<failure>`s, cases that could
/// not run are `<error>`s, and the files written are listed in `<system-out>`.
pub fn junit_xml(report: &Report) -> String {
    let count = |f: fn(&Outcome) -> bool| report.results.iter().filter(|r| f(&r.outcome)).count();
    let failures = count(|o| matches!(o, Outcome::Failed(_) | Outcome::Missing(_)));
    let errors = count(|o| matches!(o, Outcome::Error(_)));
    let suite = xml_escape(&report.suite);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"parallax check\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{:.3}\">\n",
        report.results.len(),
        report.seconds
    ));
    x.push_str(&format!(
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{:.3}\">\n",
        report.results.len(),
        report.seconds
    ));
    for r in &report.results {
        x.push_str(&format!(
            "    <testcase classname=\"{suite}.{}\" name=\"{}\" time=\"{:.3}\"",
            xml_escape(&r.case),
            xml_escape(&r.name),
            r.seconds
        ));
        let body = |tag: &str, kind: &str, m: &str| {
            format!(
                "      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>\n",
                xml_escape(m.lines().next().unwrap_or("")),
                xml_escape(m)
            )
        };
        let mut inner = match &r.outcome {
            Outcome::Passed(_) | Outcome::Updated(_) => String::new(),
            Outcome::Failed(m) => body("failure", "mismatch", m),
            Outcome::Missing(m) => body("failure", "missing-reference", m),
            Outcome::Error(m) => body("error", "error", m),
        };
        let mut out = String::new();
        if !matches!(
            r.outcome,
            Outcome::Failed(_) | Outcome::Missing(_) | Outcome::Error(_)
        ) {
            out.push_str(r.outcome.message());
            out.push('\n');
        }
        for f in &r.files {
            out.push_str(&format!("{}\n", f.display()));
        }
        if !out.is_empty() {
            inner.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml_escape(&out)
            ));
        }
        if inner.is_empty() {
            x.push_str("/>\n");
        } else {
            x.push_str(">\n");
            x.push_str(&inner);
            x.push_str("    </testcase>\n");
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
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

    #[test]
    fn poses_give_the_camera_state() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let stage = crate::stage::load(&root.join("assets/stages/demo.ron")).unwrap();
        let mut takes = HashMap::new();
        let pose = PoseSpec::Pose {
            name: "p".into(),
            camera: None,
            position: (1.0, 2.0, 3.0),
            rotation: Orientation::PanTiltRoll(10.0, 0.0, 0.0),
            focal_length_mm: Some(50.0),
        };
        let (name, state) = pose_state(&stage, &pose, root, &mut takes).unwrap();
        assert_eq!(name, stage.cameras[0].name);
        assert_eq!(state.pose.position, glam::DVec3::new(1.0, 2.0, 3.0));
        let (pan, _, _) = crate::camera::quat_to_pan_tilt_roll(state.pose.rotation);
        assert!((pan - 10.0).abs() < 1e-9);
        assert_eq!(state.lens.focal_length_mm, 50.0);
        // The rest of the lens is the stage file's.
        assert_eq!(state.lens.sensor_mm, stage.cameras[0].rest.lens.sensor_mm);

        // A take frame: the first camera's state at that frame, through the stage's tracking.
        let frame = PoseSpec::TakeFrame {
            name: "t".into(),
            take: "assets/takes/demo-truck.take".into(),
            frame: 30,
            camera: None,
        };
        let (_, state) = pose_state(&stage, &frame, root, &mut takes).unwrap();
        let take = crate::tracking::Take::load(&root.join("assets/takes/demo-truck.take")).unwrap();
        let direct = TakeCameras::new(&take, &stage.camera_specs(), stage.frame_rate)
            .unwrap()
            .camera_at_frame(&stage.cameras[0].name, 30)
            .unwrap();
        assert_eq!(state, direct.camera);
        assert_ne!(
            state.pose, stage.cameras[0].rest.pose,
            "the take moved the camera"
        );

        let bad = PoseSpec::Pose {
            name: "p".into(),
            camera: Some("Z".into()),
            position: (0.0, 0.0, 0.0),
            rotation: Orientation::default(),
            focal_length_mm: None,
        };
        assert!(
            pose_state(&stage, &bad, root, &mut takes)
                .unwrap_err()
                .contains("'Z'")
        );
    }

    #[test]
    fn xml_escape_handles_markup_and_control_characters() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}"
        );
    }

    #[test]
    fn junit_counts_outcomes() {
        let r = |name: &str, outcome| CaseResult {
            case: name.into(),
            name: name.into(),
            outcome,
            files: vec![],
            changed_cabinets: vec![],
            seconds: 0.5,
        };
        let report = Report {
            suite: "demo".into(),
            results: vec![
                r("a", Outcome::Passed("fine".into())),
                r("b<", Outcome::Failed("bad & worse".into())),
                r("c", Outcome::Missing("none".into())),
                r("d", Outcome::Error("boom".into())),
            ],
            seconds: 2.0,
        };
        let x = junit_xml(&report);
        assert!(x.contains(r#"tests="4" failures="2" errors="1""#), "{x}");
        assert!(x.contains("name=\"b&lt;\""), "{x}");
        assert!(x.contains("bad &amp; worse"), "{x}");
        assert_eq!(x.matches("<testcase ").count(), 4);
        assert!(report.failed());
        assert!(
            report
                .summary()
                .contains("1 passed, 1 failed, 1 missing reference, 1 errors")
        );
    }
}
