//! What one frame is rendered from: one stage camera's pose and lens for this frame, its
//! inner-frustum settings and the outer viewpoint, resolved. Pure and GPU-free.
//!
//! [`FrameInputs::resolve`] is the one path from (stage, camera name, camera state) to a frame's
//! inputs, used by `parallax render`, takes, `parallax check`, the preview and the live loop alike.

use glam::{DVec2, DVec3, UVec2};

use crate::camera::{CameraState, Overscan, Pose, Tangents};
use crate::stage::{OuterViewpoint, Stage};

pub use super::overrides::Overrides;
use super::overrides::{camera_state, finite};

/// A setting that cannot be rendered.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The stage has no camera of that name.
    #[error(transparent)]
    UnknownCamera(#[from] crate::stage::UnknownCamera),
    /// A value that cannot be rendered.
    #[error("camera '{camera}': {message}")]
    Invalid {
        /// The camera being resolved.
        camera: String,
        /// What is wrong.
        message: String,
    },
}

/// The camera as its own video sees the wall: the simulated camera view (and its direct-render
/// reference) is drawn from it, never the wall. The same as the frame's camera unless tracking
/// states a `video_delay` (the camera's picture is older than its newest tracking sample), see
/// [`FrameInputs::with_video`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoCamera {
    /// Pose (sensor position, world-from-camera rotation), stage metres.
    pub pose: Pose,
    /// The lens.
    pub lens: crate::camera::Lens,
    /// The entrance pupil, stage metres.
    pub eye: DVec3,
    /// Undistorted pinhole frame of the sensor (tangents, principal shift included).
    pub frame_tangents: Tangents,
}

impl VideoCamera {
    fn new(pose: Pose, lens: crate::camera::Lens) -> VideoCamera {
        VideoCamera {
            pose,
            lens,
            eye: pose.eye(lens.entrance_pupil_m),
            frame_tangents: lens.frame_tangents(),
        }
    }
}

/// Largest half-angle (degrees) [`FrameInputs::with_speed_overscan`] widens a side to: a frustum
/// must stay narrower than a half space.
pub const MAX_HALF_ANGLE_DEG: f64 = 85.0;

/// Everything one frame is rendered from, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameInputs {
    /// Name of the camera.
    pub camera_name: String,
    /// Tracked pose (sensor position, world-from-camera rotation).
    pub pose: Pose,
    /// The lens.
    pub lens: crate::camera::Lens,
    /// The render eye: the entrance pupil.
    pub eye: DVec3,
    /// Undistorted pinhole frame of the sensor (principal shift included).
    pub frame_tangents: Tangents,
    /// Overscan per side (fractions of the frame's half extents).
    pub overscan: Overscan,
    /// Extents of the inner frustum on the wall: the frame enlarged by the overscan.
    pub inner_tangents: Tangents,
    /// Render resolution of the whole inner frustum (overscan included): the camera's pixel budget
    /// with the inner frustum's aspect (square texels).
    pub inner_resolution: UVec2,
    /// The camera's inner pixel budget `(w, h)` as configured (or overridden): constant while the
    /// frustum's aspect, hence `inner_resolution`, changes with the lens.
    pub inner_budget: UVec2,
    /// Fraction of the inner frustum's width and height, inside its edge, that blends into the outer.
    pub soft_edge: f64,
    /// Optional visible border: width as a fraction of the frustum, linear RGB colour.
    pub border: Option<(f64, [f32; 3])>,
    /// Where the outer wall is rendered from.
    pub outer_viewpoint: DVec3,
    /// Edge of the outer cube map's faces in pixels.
    pub outer_resolution: u32,
    /// The camera the simulated camera view is drawn from (see [`VideoCamera`]).
    pub video: VideoCamera,
    /// Extra half-angle (degrees) added to every side for camera speed
    /// ([`FrameInputs::with_speed_overscan`]); 0 without.
    pub speed_overscan_deg: f64,
    /// The tracked state the frame was resolved from ([`FrameInputs::resolve_tracked`]): status,
    /// prediction horizon, newest sample time. `None` for a camera given outright or without
    /// tracking data yet ([`crate::tracking::TrackedState::untracked`]).
    pub tracking: Option<crate::tracking::TrackedState>,
    /// Chroma key of the inner frustum (from the stage camera's `inner.chroma`): when set, the inner
    /// frustum shows the key colour and markers instead of the scene. Flip it per frame with
    /// [`FrameInputs::with_chroma`] (the live loop's toggle).
    pub chroma: Option<crate::stage::Chroma>,
    /// Light cards shown on the wall this frame (the stage file's `light_cards`; replace them per
    /// frame with [`FrameInputs::with_light_cards`]).
    pub light_cards: Vec<crate::stage::LightCard>,
    /// Overlap priority (the stage camera's `priority`): higher is drawn on top.
    pub priority: i32,
}

/// The inner target size for a pixel budget `budget` (`w * h` texels) and an inner frustum of
/// `tangents`: the same texel count (within rounding) with square texels, each side at least 1.
/// (The renderer refuses sizes over the adapter's texture limit, naming the inner frustum.)
pub fn inner_target_size(budget: UVec2, tangents: &Tangents) -> UVec2 {
    let texels = budget.x as f64 * budget.y as f64;
    let aspect = tangents.width() / tangents.height();
    let side = |v: f64| v.sqrt().round().clamp(1.0, u32::MAX as f64) as u32;
    UVec2::new(side(texels * aspect), side(texels / aspect))
}

impl FrameInputs {
    /// Resolves the frame of camera `camera` of `stage` in the state `state` (pose and lens for this
    /// frame: tracking, a take, or [`crate::stage::Camera::rest`]), with `overrides` on top.
    ///
    /// `Auto` overscan is sized for this frame's lens (so a zoom keeps the soft-edge band outside the
    /// picture); the inner target keeps the camera's pixel budget with the frustum's aspect.
    ///
    /// Errors: an unknown camera name; a lens or pose that is not finite or not positive; a soft edge
    /// outside 0..0.5; a zero resolution.
    pub fn resolve(
        stage: &Stage,
        camera: &str,
        state: &CameraState,
        overrides: &Overrides,
    ) -> Result<FrameInputs, InputError> {
        let cam = stage.camera_or_first(Some(camera))?;
        let bad = |message: String| InputError::Invalid {
            camera: cam.name.clone(),
            message,
        };
        let finite = |what: &str, v: f64| finite(&cam.name, what, v);
        let o = &overrides.through_lens_table(cam)?;
        let (pose, lens) = camera_state(&cam.name, state, o)?;
        let eye = pose.eye(lens.entrance_pupil_m);
        let soft_edge = finite("soft edge", o.soft_edge.unwrap_or(cam.inner.soft_edge))?;
        if !(0.0..0.5).contains(&soft_edge) {
            return Err(bad(format!(
                "soft edge must be in 0..0.5 (got {soft_edge})"
            )));
        }
        let rule = o.overscan.unwrap_or(cam.inner.overscan);
        let overscan = rule
            .overscan(&lens, soft_edge)
            .map_err(|e| bad(e.to_string()))?;
        for v in [overscan.left, overscan.right, overscan.bottom, overscan.top] {
            if finite("overscan", v)? <= -1.0 {
                return Err(bad(format!("overscan {v} shrinks the frustum to nothing")));
            }
        }
        let frame_tangents = lens.frame_tangents();
        let inner_tangents = frame_tangents.expanded(&overscan);
        let (bw, bh) = o
            .inner_resolution
            .unwrap_or((cam.inner.resolution.x, cam.inner.resolution.y));
        if bw == 0 || bh == 0 {
            return Err(bad("inner resolution must not be zero".into()));
        }
        let inner_budget = UVec2::new(bw, bh);
        let inner_resolution = inner_target_size(inner_budget, &inner_tangents);
        let outer_resolution = o.outer_resolution.unwrap_or(stage.render.outer_resolution);
        if outer_resolution == 0 {
            return Err(bad("outer resolution must not be zero".into()));
        }
        let outer_viewpoint = match (o.outer_viewpoint, stage.render.outer_viewpoint) {
            (Some(v), _) => v,
            (None, OuterViewpoint::Fixed(v)) => v,
            (None, OuterViewpoint::FollowCamera) => eye,
        };
        if !outer_viewpoint.is_finite() {
            return Err(bad("outer viewpoint is not finite".into()));
        }
        let border = match cam.inner.border {
            Some(b) => Some((finite("border width", b.width)?, b.colour)),
            None => None,
        };
        Ok(FrameInputs {
            camera_name: cam.name.clone(),
            pose,
            lens,
            eye,
            frame_tangents,
            overscan,
            inner_tangents,
            inner_resolution,
            inner_budget,
            soft_edge,
            border,
            outer_viewpoint,
            outer_resolution,
            video: VideoCamera::new(pose, lens),
            speed_overscan_deg: 0.0,
            tracking: None,
            chroma: cam.inner.chroma,
            light_cards: stage.light_cards.clone(),
            priority: cam.priority,
        })
    }

    /// [`FrameInputs::resolve`] for a tracked camera's state: the wall's camera (predicted), the
    /// video camera ([`FrameInputs::with_video`]) and the speed overscan
    /// ([`FrameInputs::with_speed_overscan`]) from `tracked`.
    pub fn resolve_tracked(
        stage: &Stage,
        camera: &str,
        tracked: &crate::tracking::TrackedState,
        overrides: &Overrides,
    ) -> Result<FrameInputs, InputError> {
        let cam = stage.camera_or_first(Some(camera))?;
        let overrides = &overrides.through_lens_table(cam)?;
        let mut f = FrameInputs::resolve(stage, camera, &tracked.camera, overrides)?
            .with_video(&tracked.video, overrides)?
            .with_speed_overscan(tracked.extra_overscan_deg);
        // A camera given outright (or not yet tracked) records no tracking.
        f.tracking = (*tracked != crate::tracking::TrackedState::untracked(tracked.camera))
            .then_some(*tracked);
        Ok(f)
    }

    /// The same frame with the simulated camera view drawn from `video` (the camera when its
    /// picture was taken: `video_delay` before the wall's camera), `overrides` applied to it as to
    /// the wall's camera. The wall's frustum is unchanged.
    ///
    /// Errors: a lens or pose that is not finite or not positive.
    pub fn with_video(
        mut self,
        video: &CameraState,
        overrides: &Overrides,
    ) -> Result<FrameInputs, InputError> {
        let (pose, lens) = camera_state(&self.camera_name, video, overrides)?;
        self.video = VideoCamera::new(pose, lens);
        Ok(self)
    }

    /// The same frame with every side of the inner frustum widened by `extra_deg` degrees of
    /// half-angle (the speed overscan of [`crate::tracking::TrackedState::extra_overscan_deg`]):
    /// `tan(atan(t) + extra)` per side, at most [`MAX_HALF_ANGLE_DEG`] from the optical axis. The
    /// overscan and the inner target size (same pixel budget) follow; `extra_deg <= 0` or not
    /// finite changes nothing.
    pub fn with_speed_overscan(mut self, extra_deg: f64) -> FrameInputs {
        if !(extra_deg.is_finite() && extra_deg > 0.0) {
            return self;
        }
        let max = MAX_HALF_ANGLE_DEG.to_radians();
        let widen = |t: f64, sign: f64| {
            let a = (t.atan() + sign * extra_deg.to_radians()).clamp(-max, max);
            // Never narrower than it was (a side already past the limit stays).
            if sign > 0.0 {
                a.tan().max(t)
            } else {
                a.tan().min(t)
            }
        };
        let t = self.inner_tangents;
        self.inner_tangents = Tangents {
            left: widen(t.left, -1.0),
            right: widen(t.right, 1.0),
            bottom: widen(t.bottom, -1.0),
            top: widen(t.top, 1.0),
        };
        self.overscan = self.frame_tangents.overscan_to(&self.inner_tangents);
        self.inner_resolution = inner_target_size(self.inner_budget, &self.inner_tangents);
        self.speed_overscan_deg = extra_deg;
        self
    }

    /// [`FrameInputs::resolve`] for the stage's first camera at its rest pose and lens (what the
    /// stage file says), with `overrides`: the frame `parallax render STAGE` draws.
    pub fn at_rest(stage: &Stage, overrides: &Overrides) -> Result<FrameInputs, InputError> {
        let cam = stage.camera_or_first(None)?;
        FrameInputs::resolve(stage, &cam.name, &cam.rest, overrides)
    }

    /// Where a stage point lands in the inner frustum: `(0, 0)` top-left, `(1, 1)` bottom-right;
    /// `None` behind the eye.
    pub fn inner_uv(&self, world: DVec3) -> Option<DVec2> {
        crate::camera::tangent_of(self.pose.to_camera(self.eye, world))
            .map(|t| self.inner_tangents.to_uv(t))
    }

    /// Whether the soft-edge band lies outside the camera's (distorted) picture: where the camera
    /// looks, the wall shows the inner frustum at full weight. Edge points where the lens model has
    /// no inverse (past its fold) are left out: see [`crate::camera::Lens::distorted_frame_coverage`].
    pub fn band_outside_picture(&self) -> bool {
        self.inner_tangents
            .full_weight(self.soft_edge)
            .covers(&self.lens.distorted_frame_coverage().tangents)
    }
}

/// Weight of the inner frustum at frustum uv (0..1 inside): 1 inside the soft edge, falling smoothly to
/// 0 at the border, 0 outside. Mirrors `inner_weight` in `shaders/composite.wgsl`.
pub fn inner_weight(uv: DVec2, soft_edge: f64) -> f64 {
    if uv.x < 0.0 || uv.y < 0.0 || uv.x > 1.0 || uv.y > 1.0 {
        return 0.0;
    }
    if soft_edge <= 0.0 {
        return 1.0;
    }
    let s = |e: f64| {
        let w = (e / soft_edge).clamp(0.0, 1.0);
        w * w * (3.0 - 2.0 * w)
    };
    s(uv.x.min(1.0 - uv.x)) * s(uv.y.min(1.0 - uv.y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::{Distortion, OverscanRule};

    fn tiny() -> Stage {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        crate::stage::load(std::path::Path::new(path)).unwrap()
    }

    #[test]
    fn overrides_replace_the_stage_values() {
        let stage = tiny();
        let o = Overrides {
            camera_position: Some(DVec3::new(1.0, 2.0, 3.0)),
            camera_rotation: Some((90.0, 0.0, 0.0)),
            focal_length_mm: Some(50.0),
            overscan: Some(OverscanRule::Uniform(0.2)),
            soft_edge: Some(0.05),
            inner_resolution: Some((64, 32)),
            outer_resolution: Some(16),
            outer_viewpoint: Some(DVec3::new(0.0, 1.0, 0.0)),
            shift_mm: Some((1.0, -0.5)),
            ..Default::default()
        };
        let f = FrameInputs::at_rest(&stage, &o).unwrap();
        assert_eq!(f.eye, DVec3::new(1.0, 2.0, 3.0));
        assert!((f.pose.forward() - DVec3::NEG_X).length() < 1e-12);
        // 36 mm sensor at 50 mm with a 1 mm shift: frame 0.34 .. 0.38 wide by 0.36 each half;
        // overscan 0.2 of the half width (0.36) on each side.
        assert!((f.inner_tangents.right - (0.38 + 0.2 * 0.36)).abs() < 1e-12);
        assert!((f.inner_tangents.left - (-0.34 - 0.2 * 0.36)).abs() < 1e-12);
        // Pixel budget 64 x 32 = 2048 texels at the frustum's 3:2 aspect: 55 x 37 (square texels).
        assert_eq!(f.inner_resolution, UVec2::new(55, 37));
        assert_eq!(f.outer_resolution, 16);
    }

    #[test]
    fn inner_target_keeps_the_budget_with_square_texels() {
        let t = Tangents {
            left: -0.75,
            right: 0.75,
            bottom: -0.5,
            top: 0.5,
        };
        // 16:9 budget on a 3:2 frustum: 1920 * 1080 = 2,073,600 texels -> 1764 x 1176.
        let s = inner_target_size(UVec2::new(1920, 1080), &t);
        assert_eq!(s, UVec2::new(1764, 1176));
        let texel_w = t.width() / s.x as f64;
        let texel_h = t.height() / s.y as f64;
        assert!((texel_w / texel_h - 1.0).abs() < 1e-3);
        assert_eq!(inner_target_size(UVec2::new(1, 1), &t), UVec2::new(1, 1));
    }

    #[test]
    fn an_unknown_camera_is_an_error_naming_the_cameras() {
        let stage = tiny();
        let rest = stage.cameras[0].rest;
        let e = FrameInputs::resolve(&stage, "Z", &rest, &Overrides::default()).unwrap_err();
        assert_eq!(e.to_string(), "the stage has no camera 'Z' (cameras: A)");
    }

    #[test]
    fn the_camera_state_supplies_pose_and_lens() {
        let stage = tiny();
        let mut state = stage.cameras[0].rest;
        state.pose.position = DVec3::new(0.5, 1.5, 1.0);
        state.lens.focal_length_mm = 50.0;
        let f = FrameInputs::resolve(&stage, "A", &state, &Overrides::default()).unwrap();
        assert_eq!(f.pose.position, state.pose.position);
        assert_eq!(f.lens.focal_length_mm, 50.0);
        assert!((f.frame_tangents.right - 18.0 / 50.0).abs() < 1e-12);
    }

    #[test]
    fn entrance_pupil_moves_the_eye_forward() {
        let stage = tiny();
        let mut state = stage.cameras[0].rest;
        state.lens.entrance_pupil_m = 0.12;
        state.pose.rotation = glam::DQuat::IDENTITY;
        let f = FrameInputs::resolve(&stage, "A", &state, &Overrides::default()).unwrap();
        assert!((f.eye - DVec3::new(0.0, 1.0, 0.5 - 0.12)).length() < 1e-12);
    }

    #[test]
    fn auto_overscan_keeps_the_band_outside_the_distorted_picture() {
        let stage = tiny();
        for (k1, soft) in [(-0.15, 0.05), (0.0, 0.1), (-0.12, 0.2), (0.1, 0.0)] {
            let o = Overrides {
                distortion: Some(Distortion {
                    k1,
                    ..Default::default()
                }),
                overscan: Some(OverscanRule::Auto { margin: 0.0 }),
                soft_edge: Some(soft),
                ..Default::default()
            };
            let f = FrameInputs::at_rest(&stage, &o).unwrap();
            assert!(f.band_outside_picture(), "k1 {k1}, soft edge {soft}");
            // Tight: at the widest side, the band starts exactly at the picture's edge.
            let d = f.lens.distorted_frame_tangents().unwrap();
            let full = f.inner_tangents.full_weight(soft);
            assert!((full.right - d.right).abs() < 1e-9, "{full:?} vs {d:?}");
            // The CPU weight is 1 at the picture's corners and edges.
            let corner = DVec2::new(d.right, d.top);
            assert_eq!(inner_weight(f.inner_tangents.to_uv(corner), soft), 1.0);
        }
    }

    #[test]
    fn auto_overscan_follows_the_zoom() {
        // A zoom from 80 mm to 18 mm with Auto overscan and distortion: the band stays outside the
        // picture at every focal length (the overscan is sized per frame, not for the file's lens).
        let stage = tiny();
        let mut state = stage.cameras[0].rest;
        state.lens.distortion.k1 = -0.08;
        let o = Overrides {
            overscan: Some(OverscanRule::Auto { margin: 0.02 }),
            ..Default::default()
        };
        for f_mm in [80.0, 50.0, 35.0, 24.0, 18.0] {
            state.lens.focal_length_mm = f_mm;
            let f = FrameInputs::resolve(&stage, "A", &state, &o).unwrap();
            assert!(f.band_outside_picture(), "{f_mm} mm");
        }
    }

    #[test]
    fn bad_values_are_errors() {
        let stage = tiny();
        for o in [
            Overrides {
                focal_length_mm: Some(0.0),
                ..Default::default()
            },
            Overrides {
                soft_edge: Some(0.7),
                ..Default::default()
            },
            Overrides {
                inner_resolution: Some((0, 10)),
                ..Default::default()
            },
            Overrides {
                camera_position: Some(DVec3::NAN),
                ..Default::default()
            },
            Overrides {
                distortion: Some(Distortion {
                    k2: f64::INFINITY,
                    ..Default::default()
                }),
                ..Default::default()
            },
        ] {
            let e = FrameInputs::at_rest(&stage, &o).unwrap_err();
            assert!(e.to_string().starts_with("camera 'A': "), "{e}");
        }
    }

    #[test]
    fn soft_edge_weight_is_one_inside_and_zero_at_the_border() {
        assert_eq!(inner_weight(DVec2::new(0.5, 0.5), 0.1), 1.0);
        assert_eq!(inner_weight(DVec2::new(0.0, 0.5), 0.1), 0.0);
        assert_eq!(inner_weight(DVec2::new(-0.1, 0.5), 0.0), 0.0);
        let a = inner_weight(DVec2::new(0.03, 0.5), 0.1);
        let b = inner_weight(DVec2::new(0.06, 0.5), 0.1);
        assert!(0.0 < a && a < b && b < 1.0);
    }

    #[test]
    fn outer_viewpoint_can_follow_the_camera() {
        let mut stage = tiny();
        stage.render.outer_viewpoint = OuterViewpoint::FollowCamera;
        let o = Overrides {
            entrance_pupil_m: Some(0.1),
            ..Default::default()
        };
        let f = FrameInputs::at_rest(&stage, &o).unwrap();
        assert_eq!(f.outer_viewpoint, f.eye);
        assert_ne!(f.eye, f.pose.position);
    }

    #[test]
    fn the_camera_axis_lands_in_the_frame_centre() {
        let stage = tiny();
        let f = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
        let uv = f.inner_uv(f.eye + f.pose.forward() * 3.0).unwrap();
        assert!((uv - DVec2::splat(0.5)).length() < 1e-12);
    }
}
