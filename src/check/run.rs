//! Running the checks: each case's pose resolved to a camera state, rendered through
//! [`FrameInputs::resolve`] and compared (or its reference written), then the pixel map compared with
//! its reference (`pixel_map`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::hdr::check_hdr_image;
use super::images::{CheckedImage, case_images, subframe_cameras};
use super::pixel_map::check_pixel_map;
use super::review::{Region, differing_region, review_image};
use super::{CaseResult, CaseSpec, Checks, Content, ImageKind, Outcome, PoseSpec, Report};
use crate::camera::Pose;
use crate::compare;
use crate::render::{FrameInputs, Overrides, RenderedFrame, Renderer, RendererOptions};
use crate::stage::Stage;
use crate::tracking::TakeCameras;
use crate::tracking::TrackedState;

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
    pub(super) fn updates(&self, case: &str, name: &str) -> bool {
        match &self.update {
            None => false,
            // A name also covers the test cases under it (`centre/output-wall-1` covers the
            // sub-frame regions `centre/output-wall-1/sub-1`, ...).
            Some(names) => {
                names.is_empty()
                    || names
                        .iter()
                        .any(|n| n == case || n == name || name.starts_with(&format!("{n}/")))
            }
        }
    }
}

/// The camera (name) and its state (pose and lens) for a pose of the checks file: a fixed pose on
/// the named or first camera with its stage-file lens, or a take frame through the stage's tracking.
fn pose_state(
    stage: &Stage,
    pose: &PoseSpec,
    base: &Path,
    takes: &mut HashMap<PathBuf, TakeCameras>,
) -> Result<(String, TrackedState), String> {
    let pick = |name: Option<&str>| stage.camera_or_first(name).map_err(|e| e.to_string());
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
            Ok((cam.name.clone(), TrackedState::untracked(state)))
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
            cams.check_feeds(&name).map_err(|e| e.to_string())?;
            if *frame >= cams.frame_count() {
                return Err(format!(
                    "frame {frame} is beyond the take {} ({} frames at {} Hz)",
                    path.display(),
                    cams.frame_count(),
                    stage.frame_rate
                ));
            }
            let state = cams
                .camera_at_frame(&name, *frame)
                .ok_or_else(|| format!("take {} does not track camera '{name}'", path.display()))?;
            Ok((name, state))
        }
    }
}

/// Where an image differs, for the failure message: `; differs in x 600..603, y 80..83 of
/// 1188 x 176 (full size: x 9600..9663, y 1280..1343)` (inclusive ranges; full size when the image
/// was downsampled).
pub(super) fn describe_region(r: &Region, (w, h): (u32, u32), downsample: u32) -> String {
    let mut s = format!(
        "; differs in x {}..{}, y {}..{} of {w} x {h}",
        r.x0,
        r.x1 - 1,
        r.y0,
        r.y1 - 1
    );
    if downsample > 1 {
        let n = downsample;
        s.push_str(&format!(
            " (full size: x {}..{}, y {}..{})",
            r.x0 * n,
            r.x1 * n - 1,
            r.y0 * n,
            r.y1 * n - 1
        ));
    }
    s
}

/// Compares (or updates) one image and returns its result.
fn check_image(
    case: &CaseSpec,
    name: String,
    file_stem: &str,
    downsample: u32,
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
            Ok(i) if i.color().bytes_per_pixel() > i.color().channel_count() => {
                // A 16-bit PNG is a PQ output's reference: the output's encoding changed.
                let note = write_actual(&mut files);
                return Outcome::Missing(format!(
                    "reference {} is a 16-bit PNG (a PQ output's) but this image is compared as 8-bit sRGB (run with --update={} to replace it, and review it){note}",
                    reference.display(),
                    case.name
                ));
            }
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
                match crate::io::write_png(&sbs, &review_image(&expected, actual, &c.diff)) {
                    Ok(()) => files.push(sbs),
                    Err(e) => note = format!(" ({e})"),
                }
                let place = differing_region(&c.diff)
                    .map(|r| describe_region(&r, actual.dimensions(), downsample))
                    .unwrap_or_default();
                Outcome::Failed(format!("{}{place}{note}", case.tolerance.describe(&c)))
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
    let mut renderer = match Renderer::new(gpu, stage, renderer_options.clone()) {
        Ok(r) => r,
        Err(e) => return fail_rest(results, 0, &e.to_string()),
    };
    let spec = match &f.content {
        Content::Stage => crate::scene::SceneSpec::for_stage(stage, None),
        Content::Sky => crate::scene::SceneSpec::default(),
        Content::TestScene => crate::scene::SceneSpec {
            test_scene: true,
            test_scene_scale: crate::scene::test_scene::scale_for(stage),
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
            test_scene_scale: crate::scene::test_scene::scale_for(stage),
            ..Default::default()
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
            let inputs = FrameInputs::resolve_tracked(stage, &camera, &state, &overrides)
                .map_err(|e| e.to_string())?;
            // The pose's camera first (the primary one), then the other cameras that a
            // remapped output's sub-frames show, each at its rest pose from the stage file.
            let mut cameras = vec![inputs];
            for name in subframe_cameras(stage) {
                if name != camera {
                    let rest = stage
                        .camera_or_first(Some(&name))
                        .map_err(|e| e.to_string())?;
                    cameras.push(
                        FrameInputs::resolve(stage, &name, &rest.rest, &overrides)
                            .map_err(|e| e.to_string())?,
                    );
                }
            }
            renderer
                .prepare_cameras(gpu, &cameras)
                .map_err(|e| e.to_string())?;
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
                let images = case_images(case, stage, &frame, downsample, &renderer_options);
                let share = render_seconds / images.len().max(1) as f64;
                for img in images {
                    let mut r = match img.image {
                        Ok(i) => {
                            let mut r = match &i {
                                CheckedImage::Sdr(i) => check_image(
                                    case,
                                    img.name,
                                    &img.stem,
                                    img.downsample,
                                    i,
                                    &checks.refs,
                                    options,
                                ),
                                CheckedImage::Hdr(i) => check_hdr_image(
                                    case,
                                    img.name,
                                    &img.stem,
                                    img.downsample,
                                    i,
                                    &checks.refs,
                                    options,
                                ),
                            };
                            if let Some(about) = &img.about {
                                r.outcome = r.outcome.prefixed(about);
                            }
                            r
                        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::Orientation;

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
        let (name, tracked) = pose_state(&stage, &pose, root, &mut takes).unwrap();
        let state = tracked.camera;
        assert_eq!(tracked.video, state);
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
        assert_eq!(state, direct);
        assert_ne!(
            state.camera.pose, stage.cameras[0].rest.pose,
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
    fn a_failure_says_where_the_image_differs() {
        let r = Region {
            x0: 600,
            y0: 80,
            x1: 604,
            y1: 84,
        };
        assert_eq!(
            describe_region(&r, (1188, 176), 16),
            "; differs in x 600..603, y 80..83 of 1188 x 176 (full size: x 9600..9663, y 1280..1343)"
        );
        assert_eq!(
            describe_region(&r, (1188, 176), 1),
            "; differs in x 600..603, y 80..83 of 1188 x 176"
        );
    }
}
