//! Cameras and render settings of a stage, resolved from the stage file and checked.
//!
//! A [`Camera`] holds what does not change from frame to frame (name, inner-frustum settings,
//! tracking configuration) and the rest pose and lens written in the stage file. What does change, the
//! pose and lens of one frame, is a [`CameraState`]; `render::FrameInputs::resolve` combines the two.

use glam::{DVec3, UVec2};

use super::file;
use super::{Problem, Subject};
use crate::camera::{CameraState, Overscan, OverscanRule, Pose};
use crate::tracking::config::CameraTracking;

/// A camera of the stage, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Camera {
    /// The camera's name (unique in the stage).
    pub name: String,
    /// The pose and lens written in the stage file: used when nothing tracks the camera.
    pub rest: CameraState,
    /// Inner-frustum settings.
    pub inner: InnerSettings,
    /// Tracking configuration, if the camera is tracked.
    pub tracking: Option<CameraTracking>,
    /// Overlap priority: higher on top (see [`super::file::Camera::priority`]).
    pub priority: i32,
    /// Whether its inner frustum is drawn.
    pub enabled: bool,
}

/// How a camera's inner frustum is rendered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InnerSettings {
    /// Pixel budget of the inner render `(w, h)`: the target has `w * h` texels (within rounding)
    /// with the inner frustum's aspect, so that texels are square on any sensor and overscan.
    pub resolution: UVec2,
    /// How the overscan is chosen.
    pub overscan: OverscanRule,
    /// Fraction of the inner frustum's width and height, inside its edge, over which it blends into
    /// the outer (0 to 0.5).
    pub soft_edge: f64,
    /// Optional visible border for setup.
    pub border: Option<Border>,
    /// Optional chroma key: the inner frustum shows a key colour (and tracking markers) instead of
    /// the scene; see [`super::chroma`].
    pub chroma: Option<super::chroma::Chroma>,
}

/// A visible border around the inner frustum (for setup).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Border {
    /// Width as a fraction of the frustum's width and height.
    pub width: f64,
    /// Linear RGB colour.
    pub colour: [f32; 3],
}

/// Where the outer wall is rendered from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OuterViewpoint {
    /// A fixed stage point (metres).
    Fixed(DVec3),
    /// The rendered camera's entrance pupil.
    FollowCamera,
}

/// Render settings of a stage, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderSettings {
    /// Where the outer wall is rendered from.
    pub outer_viewpoint: OuterViewpoint,
    /// Edge of the outer cube map's faces in pixels.
    pub outer_resolution: u32,
    /// Equirectangular environment image, as written (relative to the stage file's folder, see
    /// [`super::Stage::resolve_path`]).
    pub environment: Option<String>,
    /// Environment yaw in degrees (positive turns the image to the left, like pan).
    pub environment_yaw_deg: f64,
    /// Draw the procedural test scene (boxes) in front of the environment.
    pub test_scene: bool,
    /// Bake the outer once per scene and outer viewpoint (`crate::render::Renderer::set_frozen_outer`).
    pub frozen_outer: bool,
    /// Where inner frusta overlap, the lower priority on top instead of the higher.
    pub reverse_priority: bool,
}

impl Default for RenderSettings {
    fn default() -> Self {
        RenderSettings::from_file(&file::Render::default())
    }
}

impl RenderSettings {
    fn from_file(r: &file::Render) -> RenderSettings {
        RenderSettings {
            outer_viewpoint: match r.outer_viewpoint {
                file::ViewpointFile::Fixed(x, y, z) => OuterViewpoint::Fixed(DVec3::new(x, y, z)),
                file::ViewpointFile::FollowCamera => OuterViewpoint::FollowCamera,
            },
            outer_resolution: r.outer_resolution,
            environment: r.environment.clone(),
            environment_yaw_deg: r.environment_yaw_deg,
            test_scene: r.test_scene,
            frozen_outer: r.frozen_outer,
            reverse_priority: r.reverse_priority,
        }
    }
}

/// The camera a stage without cameras gets: `A`, at 1.6 m at the origin looking along -Z, with the
/// default lens and inner settings.
pub fn default_camera() -> file::Camera {
    file::Camera {
        name: "A".into(),
        position: (0.0, 1.6, 0.0),
        rotation: Default::default(),
        lens: Default::default(),
        inner: Default::default(),
        tracking: None,
        priority: 0,
        enabled: true,
    }
}

impl Camera {
    fn from_file(c: &file::Camera) -> Camera {
        Camera {
            name: c.name.clone(),
            rest: CameraState {
                pose: Pose {
                    position: DVec3::new(c.position.0, c.position.1, c.position.2),
                    rotation: c.rotation.to_quat(),
                },
                lens: c.lens,
            },
            inner: InnerSettings {
                resolution: UVec2::new(c.inner.resolution.0, c.inner.resolution.1),
                overscan: match c.inner.overscan {
                    file::OverscanFile::Uniform(o) => OverscanRule::Uniform(o),
                    file::OverscanFile::PerSide {
                        left,
                        right,
                        bottom,
                        top,
                    } => OverscanRule::PerSide(Overscan {
                        left,
                        right,
                        bottom,
                        top,
                    }),
                    file::OverscanFile::Auto { margin } => OverscanRule::Auto { margin },
                },
                soft_edge: c.inner.soft_edge,
                border: c
                    .inner
                    .border
                    .filter(|(w, _)| *w > 0.0)
                    .map(|(width, (r, g, b))| Border {
                        width,
                        colour: [r, g, b],
                    }),
                chroma: c.inner.chroma,
            },
            tracking: c.tracking.clone(),
            priority: c.priority,
            enabled: c.enabled,
        }
    }

    /// How far the soft-edge band of the inner frustum reaches into the camera's picture for `lens`,
    /// and on which side (`None` when it lies outside, as it should): the region where the inner
    /// frustum shows at full weight must cover the distorted picture. `Auto` overscan always leaves
    /// room; a `Uniform` or `PerSide` overscan may be too small for the soft edge. The shortfall is in
    /// tangent units (`x / -z`, `y / -z`) on the worst side.
    ///
    /// Errors: with `Auto` overscan, a lens whose distortion has no inverse on the frame's edge.
    pub fn band_shortfall(
        &self,
        lens: &crate::camera::Lens,
    ) -> Result<Option<(f64, &'static str)>, crate::camera::LensError> {
        band_shortfall(&self.inner.overscan, self.inner.soft_edge, lens)
    }

    /// The warning for an overscan that leaves the soft-edge band inside the picture at `lens`, with
    /// the smallest `Uniform` overscan that would leave room; `None` when the band is outside.
    pub fn band_warning(&self, lens: &crate::camera::Lens) -> Option<String> {
        let (short, side) = match self.band_shortfall(lens) {
            Ok(Some(s)) => s,
            Ok(None) => return None,
            Err(e) => return Some(format!("lens: {e}")),
        };
        // The smallest uniform overscan that clears the band: the shortfall falls as the overscan
        // grows, so bisect.
        let soft = self.inner.soft_edge;
        let clear = |o: f64| {
            matches!(
                band_shortfall(&OverscanRule::Uniform(o), soft, lens),
                Ok(None)
            )
        };
        let (mut lo, mut hi) = (0.0, 16.0);
        let needed = clear(hi).then(|| {
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if clear(mid) { hi = mid } else { lo = mid }
            }
            hi
        });
        Some(format!(
            "the overscan leaves no room for the soft edge at the stage file's lens: on the {side} \
             side the blend band reaches {short:.4} (tangent units) into the camera's picture, so the \
             outer would show on camera; {}reduce soft_edge, or use `overscan: Auto(margin: ...)`, \
             which sizes the overscan for each frame's lens",
            needed.map_or(String::new(), |o| format!(
                "use at least `Uniform({:.3})` (overscan is a fraction of the half frame; soft_edge \
                 a fraction of the whole inner frustum), ",
                (o * 1000.0).ceil() / 1000.0
            ))
        ))
    }
}

/// See [`Camera::band_shortfall`].
fn band_shortfall(
    rule: &OverscanRule,
    soft_edge: f64,
    lens: &crate::camera::Lens,
) -> Result<Option<(f64, &'static str)>, crate::camera::LensError> {
    let frame = lens.frame_tangents();
    let overscan = rule.overscan(lens, soft_edge)?;
    let full = frame.expanded(&overscan).full_weight(soft_edge);
    // Edge points past the lens model's fold are left out here (the picture there is not
    // modelled); `Auto` overscan refuses such a lens above.
    let seen = lens.distorted_frame_coverage().tangents;
    let worst = [
        (full.left - seen.left, "left"),
        (seen.right - full.right, "right"),
        (full.bottom - seen.bottom, "bottom"),
        (seen.top - full.top, "top"),
    ]
    .into_iter()
    .fold((0.0f64, "left"), |a, b| if b.0 > a.0 { b } else { a });
    Ok((worst.0 > 1e-9).then_some(worst))
}

fn finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

/// Resolves and checks the stage file's cameras (a default camera `A` when it has none) and render
/// settings. Problems are appended to `problems` and warnings (an overscan that leaves the soft-edge
/// band inside the picture) to `warnings`, each naming the camera.
pub(super) fn resolve(
    f: &file::Stage,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> (Vec<Camera>, RenderSettings) {
    let mut push = |subject: Subject, message: String| problems.push(Problem { subject, message });
    let mut seen = std::collections::HashSet::new();
    let files: Vec<file::Camera> = if f.cameras.is_empty() {
        vec![default_camera()]
    } else {
        f.cameras.clone()
    };
    let mut cameras = Vec::new();
    for (k, c) in files.iter().enumerate() {
        if !seen.insert(c.name.as_str()) {
            push(
                Subject::Camera(c.name.clone()),
                "duplicate camera name".into(),
            );
        }
        if check_camera(k, c, &mut push) {
            let cam = Camera::from_file(c);
            if let Some(w) = cam.band_warning(&cam.rest.lens) {
                warnings.push(Problem {
                    subject: Subject::Camera(cam.name.clone()),
                    message: w,
                });
            }
            cameras.push(cam);
        }
    }
    check_tracking_together(&files, &mut push);
    for c in &files {
        if let Some(w) = c
            .tracking
            .as_ref()
            .and_then(|t| prediction_warning(t, f.frame_rate))
        {
            warnings.push(Problem {
                subject: Subject::Camera(c.name.clone()),
                message: w,
            });
        }
    }
    check_render(&f.render, &mut push);
    (cameras, RenderSettings::from_file(&f.render))
}

/// Checks what cameras' tracking settings must agree on: one protocol per listening address, no
/// two cameras listening for the same source, FreeD ids in FreeD's one byte.
fn check_tracking_together(files: &[file::Camera], push: &mut impl FnMut(Subject, String)) {
    use crate::tracking::config::Protocol;
    let tracked: Vec<(&file::Camera, &CameraTracking)> = files
        .iter()
        .filter_map(|c| c.tracking.as_ref().map(|t| (c, t)))
        .collect();
    for (k, (c, t)) in tracked.iter().enumerate() {
        let s = || Subject::Camera(c.name.clone());
        if t.protocol == Protocol::FreeD && t.camera_id > 255 {
            push(
                s(),
                format!(
                    "tracking: camera_id {} cannot be a FreeD camera id (one byte: 0 to 255)",
                    t.camera_id
                ),
            );
        }
        for (other, u) in &tracked[..k] {
            if t.bind_addr() != u.bind_addr() {
                continue;
            }
            if t.protocol != u.protocol {
                push(
                    s(),
                    format!(
                        "tracking: listens on {} for {} but camera '{}' listens there for {}: one port carries one protocol",
                        t.bind_addr(),
                        t.protocol,
                        other.name,
                        u.protocol
                    ),
                );
            } else if t.camera_id == u.camera_id {
                push(
                    s(),
                    format!(
                        "tracking: {} id {} on {} is camera '{}''s already: each tracked source feeds one camera",
                        t.protocol,
                        t.camera_id,
                        t.bind_addr(),
                        other.name
                    ),
                );
            }
        }
    }
}

/// A warning when the prediction cannot reach the LEDs' emission time: `latency` plus the
/// interpolation margin beyond `max_prediction_ms` (the wall then lags by the difference).
fn prediction_warning(t: &CameraTracking, frame_rate: f64) -> Option<String> {
    let latency_ms = t.latency.seconds(frame_rate) * 1000.0;
    let need = latency_ms + t.interpolation_margin_ms;
    (need > t.max_prediction_ms + 1e-9).then(|| {
        format!(
            "tracking: latency {latency_ms:.1} ms + interpolation margin {:.1} ms is more than max_prediction_ms {:.1}: the prediction stops {:.1} ms short and the wall lags by that much during moves; raise max_prediction_ms to {:.0}",
            t.interpolation_margin_ms,
            t.max_prediction_ms,
            need - t.max_prediction_ms,
            need.ceil()
        )
    })
}

/// Checks one camera (`cameras[k]` of the file); true when its numbers are sound enough to resolve
/// it. Lens-table problems end with `(at cameras[k].tracking.lens_table.points[i].FIELD)`, so that
/// loading the file locates them (`file:line:column` of the point's `zoom`, or of its
/// `focal_length_mm` when that is the problem).
fn check_camera(k: usize, c: &file::Camera, push: &mut impl FnMut(Subject, String)) -> bool {
    let s = || Subject::Camera(c.name.clone());
    if let Some(t) = &c.tracking {
        for p in t.problems() {
            let point = p
                .strip_prefix("lens_table.points[")
                .and_then(|rest| rest.split_once(']'))
                .map(|(i, _)| {
                    // A field of the point (the locator finds fields, not list elements).
                    let field = if p.contains("focal_length_mm") {
                        "focal_length_mm"
                    } else {
                        "zoom"
                    };
                    format!(" (at cameras[{k}].tracking.lens_table.points[{i}].{field})")
                });
            push(s(), format!("tracking: {p}{}", point.unwrap_or_default()));
        }
    }
    let l = &c.lens;
    let d = &l.distortion;
    let nums = [
        c.position.0,
        c.position.1,
        c.position.2,
        l.focal_length_mm,
        l.sensor_mm.0,
        l.sensor_mm.1,
        l.shift_mm.0,
        l.shift_mm.1,
        l.entrance_pupil_m,
        l.focus_distance_m,
        l.squeeze,
        d.k1,
        d.k2,
        d.k3,
        d.p1,
        d.p2,
        c.inner.soft_edge,
    ];
    if !finite(&nums) || !finite(&c.rotation.values()) {
        push(
            s(),
            "position, rotation and lens values must be finite numbers".into(),
        );
        return false;
    }
    let mut ok = true;
    if l.focal_length_mm <= 0.0 || l.sensor_mm.0 <= 0.0 || l.sensor_mm.1 <= 0.0 {
        push(s(), "focal length and sensor size must be positive".into());
        ok = false;
    }
    if l.squeeze <= 0.0 {
        push(
            s(),
            format!(
                "lens squeeze must be positive (got {}; 1 for a spherical lens)",
                l.squeeze
            ),
        );
        ok = false;
    }
    if c.inner.resolution.0 == 0 || c.inner.resolution.1 == 0 {
        push(s(), "inner resolution must be at least 1 x 1".into());
        ok = false;
    }
    if !(0.0..0.5).contains(&c.inner.soft_edge) {
        push(
            s(),
            format!("soft_edge must be in 0..0.5, got {}", c.inner.soft_edge),
        );
        ok = false;
    }
    let overscan_ok = match c.inner.overscan {
        file::OverscanFile::Uniform(o) => o.is_finite() && o >= 0.0,
        file::OverscanFile::PerSide {
            left,
            right,
            bottom,
            top,
        } => [left, right, bottom, top]
            .iter()
            .all(|o| o.is_finite() && *o >= 0.0),
        file::OverscanFile::Auto { margin } => margin.is_finite() && margin >= 0.0,
    };
    if !overscan_ok {
        push(s(), "overscan must be finite and not negative".into());
        ok = false;
    }
    if let Some((width, colour)) = c.inner.border
        && (!(0.0..0.5).contains(&width)
            || ![colour.0, colour.1, colour.2].iter().all(|v| v.is_finite()))
    {
        push(
            s(),
            "border width must be in 0..0.5 and its colour finite".into(),
        );
        ok = false;
    }
    if let Some(problem) = c.inner.chroma.and_then(|k| k.problem()) {
        push(s(), problem);
        ok = false;
    }
    ok
}

fn check_render(r: &file::Render, push: &mut impl FnMut(Subject, String)) {
    if let file::ViewpointFile::Fixed(x, y, z) = r.outer_viewpoint
        && !finite(&[x, y, z])
    {
        push(
            Subject::Stage,
            "render.outer_viewpoint must be finite".into(),
        );
    }
    if r.outer_resolution == 0 {
        push(
            Subject::Stage,
            "render.outer_resolution must be at least 1".into(),
        );
    }
    if !r.environment_yaw_deg.is_finite() {
        push(
            Subject::Stage,
            "render.environment_yaw_deg must be finite".into(),
        );
    }
}
