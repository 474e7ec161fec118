//! What one frame is rendered from: the camera pose and lens, the inner-frustum settings and the
//! outer viewpoint, resolved from the stage file and command-line overrides. Pure and GPU-free.

use glam::{DVec2, DVec3, UVec2};

use crate::camera::{Lens, Overscan, Pose, Tangents};
use crate::stage::Stage;
use crate::stage::file::{self, OverscanFile, ViewpointFile};

/// Values that replace the stage file's, so that scripts can pose the camera without editing it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// The whole pose (e.g. from tracking or a take); `camera_position` and `camera_rotation` still
    /// apply on top of it.
    pub pose: Option<Pose>,
    /// The whole lens (e.g. from a lens table); `focal_length_mm` and `sensor_mm` still apply on top.
    pub lens: Option<Lens>,
    /// Tracked sensor position in metres.
    pub camera_position: Option<DVec3>,
    /// Pan, tilt, roll in degrees.
    pub camera_rotation: Option<(f64, f64, f64)>,
    /// Focal length in millimetres.
    pub focal_length_mm: Option<f64>,
    /// Sensor size in millimetres.
    pub sensor_mm: Option<(f64, f64)>,
    /// Uniform overscan.
    pub overscan: Option<f64>,
    /// Soft edge fraction.
    pub soft_edge: Option<f64>,
    /// Fixed outer viewpoint.
    pub outer_viewpoint: Option<DVec3>,
    /// Inner render resolution.
    pub inner_resolution: Option<(u32, u32)>,
    /// Edge of the outer cube map's faces.
    pub outer_resolution: Option<u32>,
}

/// A setting that cannot be rendered.
#[derive(Debug, thiserror::Error)]
#[error("invalid render setting: {0}")]
pub struct InputError(pub String);

/// Everything one frame is rendered from, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameInputs {
    /// Name of the camera.
    pub camera_name: String,
    /// Tracked pose (sensor position, world-from-camera rotation).
    pub pose: Pose,
    /// The lens.
    pub lens: Lens,
    /// The render eye: the entrance pupil.
    pub eye: DVec3,
    /// Undistorted pinhole frame of the sensor (principal shift included).
    pub frame_tangents: Tangents,
    /// Overscan per side (fractions of the frame's half extents).
    pub overscan: Overscan,
    /// Extents of the inner frustum on the wall: the frame enlarged by the overscan.
    pub inner_tangents: Tangents,
    /// Render resolution of the whole inner frustum (overscan included).
    pub inner_resolution: UVec2,
    /// Fraction of the inner frustum's width and height, inside its edge, that blends into the outer.
    pub soft_edge: f64,
    /// Optional visible border: width as a fraction of the frustum, linear RGB colour.
    pub border: Option<(f64, [f32; 3])>,
    /// Where the outer wall is rendered from.
    pub outer_viewpoint: DVec3,
    /// Edge of the outer cube map's faces in pixels.
    pub outer_resolution: u32,
}

fn finite(what: &str, v: f64) -> Result<f64, InputError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(InputError(format!("{what} is not a finite number")))
    }
}

impl FrameInputs {
    /// Resolves the first camera of `stage` (a default camera at 1.6 m if it has none) with `overrides`.
    pub fn resolve(stage: &Stage, overrides: &Overrides) -> Result<FrameInputs, InputError> {
        let default_camera = file::Camera {
            name: "A".into(),
            position: (0.0, 1.6, 0.0),
            rotation: Default::default(),
            lens: Default::default(),
            inner: Default::default(),
            tracking: None,
        };
        let cam = stage.cameras.first().unwrap_or(&default_camera);
        let mut lens = overrides.lens.unwrap_or(cam.lens);
        if let Some(f) = overrides.focal_length_mm {
            lens.focal_length_mm = f;
        }
        if let Some(s) = overrides.sensor_mm {
            lens.sensor_mm = s;
        }
        for (what, v) in [
            ("focal length", lens.focal_length_mm),
            ("sensor width", lens.sensor_mm.0),
            ("sensor height", lens.sensor_mm.1),
        ] {
            if finite(what, v)? <= 0.0 {
                return Err(InputError(format!("{what} must be positive (got {v})")));
            }
        }
        finite("entrance-pupil offset", lens.entrance_pupil_m)?;
        finite("principal shift", lens.shift_mm.0 + lens.shift_mm.1)?;
        let base = overrides.pose.unwrap_or(Pose {
            position: DVec3::new(cam.position.0, cam.position.1, cam.position.2),
            rotation: cam.rotation.to_quat(),
        });
        let position = overrides.camera_position.unwrap_or(base.position);
        let rotation = match overrides.camera_rotation {
            Some((p, t, r)) => crate::camera::pan_tilt_roll_to_quat(p, t, r),
            None => base.rotation,
        };
        if !position.is_finite() || !rotation.is_finite() {
            return Err(InputError("camera pose is not finite".into()));
        }
        let pose = Pose { position, rotation };
        let eye = pose.eye(lens.entrance_pupil_m);
        let overscan = match overrides.overscan {
            Some(o) => Overscan::uniform(o),
            None => match cam.inner.overscan {
                OverscanFile::Uniform(o) => Overscan::uniform(o),
                OverscanFile::PerSide {
                    left,
                    right,
                    bottom,
                    top,
                } => Overscan {
                    left,
                    right,
                    bottom,
                    top,
                },
                OverscanFile::Auto { margin } => {
                    let a = lens
                        .auto_overscan()
                        .map_err(|e| InputError(format!("camera '{}': {e}", cam.name)))?;
                    Overscan {
                        left: a.left + margin,
                        right: a.right + margin,
                        bottom: a.bottom + margin,
                        top: a.top + margin,
                    }
                }
            },
        };
        for v in [overscan.left, overscan.right, overscan.bottom, overscan.top] {
            if finite("overscan", v)? <= -1.0 {
                return Err(InputError(format!(
                    "overscan {v} shrinks the frustum to nothing"
                )));
            }
        }
        let soft_edge = finite(
            "soft edge",
            overrides.soft_edge.unwrap_or(cam.inner.soft_edge),
        )?;
        if !(0.0..=0.5).contains(&soft_edge) {
            return Err(InputError(format!(
                "soft edge must be in 0..=0.5 (got {soft_edge})"
            )));
        }
        let (iw, ih) = overrides.inner_resolution.unwrap_or(cam.inner.resolution);
        if iw == 0 || ih == 0 {
            return Err(InputError("inner resolution must not be zero".into()));
        }
        let outer_resolution = overrides
            .outer_resolution
            .unwrap_or(stage.render.outer_resolution);
        if outer_resolution == 0 {
            return Err(InputError("outer resolution must not be zero".into()));
        }
        let outer_viewpoint = match (overrides.outer_viewpoint, stage.render.outer_viewpoint) {
            (Some(v), _) => v,
            (None, ViewpointFile::Fixed(x, y, z)) => DVec3::new(x, y, z),
            (None, ViewpointFile::FollowCamera) => eye,
        };
        if !outer_viewpoint.is_finite() {
            return Err(InputError("outer viewpoint is not finite".into()));
        }
        let border = match cam.inner.border {
            Some((w, (r, g, b))) if w > 0.0 => Some((finite("border width", w)?, [r, g, b])),
            _ => None,
        };
        let frame_tangents = lens.frame_tangents();
        Ok(FrameInputs {
            camera_name: cam.name.clone(),
            pose,
            lens,
            eye,
            frame_tangents,
            overscan,
            inner_tangents: frame_tangents.expanded(&overscan),
            inner_resolution: UVec2::new(iw, ih),
            soft_edge,
            border,
            outer_viewpoint,
            outer_resolution,
        })
    }

    /// Where a stage point lands in the inner frustum: `(0, 0)` top-left, `(1, 1)` bottom-right;
    /// `None` behind the eye.
    pub fn inner_uv(&self, world: DVec3) -> Option<DVec2> {
        crate::camera::tangent_of(self.pose.to_camera(self.eye, world))
            .map(|t| self.inner_tangents.to_uv(t))
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
            overscan: Some(0.2),
            soft_edge: Some(0.1),
            inner_resolution: Some((64, 32)),
            outer_resolution: Some(16),
            outer_viewpoint: Some(DVec3::new(0.0, 1.0, 0.0)),
            ..Default::default()
        };
        let f = FrameInputs::resolve(&stage, &o).unwrap();
        assert_eq!(f.eye, DVec3::new(1.0, 2.0, 3.0));
        assert!((f.pose.forward() - DVec3::NEG_X).length() < 1e-12);
        // 36 mm sensor at 50 mm: half width 0.36, overscan 0.2 -> 0.432.
        assert!((f.inner_tangents.right - 0.36 * 1.2).abs() < 1e-12);
        assert_eq!(f.inner_resolution, UVec2::new(64, 32));
        assert_eq!(f.outer_resolution, 16);
    }

    #[test]
    fn entrance_pupil_moves_the_eye_forward() {
        let mut stage = tiny();
        stage.cameras[0].lens.entrance_pupil_m = 0.12;
        stage.cameras[0].rotation = crate::camera::Orientation::PanTiltRoll(0.0, 0.0, 0.0);
        let f = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
        assert!((f.eye - DVec3::new(0.0, 1.0, 0.5 - 0.12)).length() < 1e-12);
    }

    #[test]
    fn auto_overscan_covers_barrel_distortion() {
        let mut stage = tiny();
        stage.cameras[0].lens.distortion.k1 = -0.15;
        stage.cameras[0].inner.overscan = OverscanFile::Auto { margin: 0.01 };
        let f = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
        let d = f.lens.distorted_frame_tangents().unwrap();
        assert!(f.inner_tangents.left < d.left && f.inner_tangents.top > d.top);
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
        ] {
            assert!(FrameInputs::resolve(&stage, &o).is_err(), "{o:?}");
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
        stage.render.outer_viewpoint = ViewpointFile::FollowCamera;
        stage.cameras[0].lens.entrance_pupil_m = 0.1;
        let f = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
        assert_eq!(f.outer_viewpoint, f.eye);
        assert_ne!(f.eye, f.pose.position);
    }

    #[test]
    fn the_camera_axis_lands_in_the_frame_centre() {
        let stage = tiny();
        let f = FrameInputs::resolve(&stage, &Overrides::default()).unwrap();
        let uv = f.inner_uv(f.eye + f.pose.forward() * 3.0).unwrap();
        assert!((uv - DVec2::splat(0.5)).length() < 1e-12);
    }
}
