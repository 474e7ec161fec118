//! Overrides: values that replace a stage camera's or a camera state's for one frame (the
//! command line's `--camera-position`, `--focal-length`, ...), applied and checked by
//! [`super::FrameInputs::resolve`].

use glam::DVec3;

use super::InputError;
use crate::camera::{CameraState, Distortion, OverscanRule, Pose};

/// Values that replace the stage camera's or the camera state's, so that scripts can reproduce a pose
/// and lens from a report without editing the stage file. Every field is optional; `None` keeps the
/// value from the stage file or the camera state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// Tracked sensor position in stage metres.
    pub camera_position: Option<DVec3>,
    /// Pan, tilt, roll in degrees (`Ry(pan) * Rx(tilt) * Rz(roll)`, world-from-camera).
    pub camera_rotation: Option<(f64, f64, f64)>,
    /// Focal length in millimetres.
    pub focal_length_mm: Option<f64>,
    /// Sensor size `(width, height)` in millimetres.
    pub sensor_mm: Option<(f64, f64)>,
    /// Principal-point shift `(x, y)` in millimetres on the sensor (x right, y up).
    pub shift_mm: Option<(f64, f64)>,
    /// Entrance-pupil offset in metres along the optical axis (positive towards the subject).
    pub entrance_pupil_m: Option<f64>,
    /// Brown-Conrady distortion (OpenCV's meaning).
    pub distortion: Option<Distortion>,
    /// Overscan rule.
    pub overscan: Option<OverscanRule>,
    /// Soft-edge fraction.
    pub soft_edge: Option<f64>,
    /// Fixed outer viewpoint in stage metres.
    pub outer_viewpoint: Option<DVec3>,
    /// Inner render pixel budget `(w, h)` (see [`crate::stage::InnerSettings::resolution`]).
    pub inner_resolution: Option<(u32, u32)>,
    /// Edge of the outer cube map's faces in pixels.
    pub outer_resolution: Option<u32>,
}

/// The pose and lens of `state` with `overrides` applied, checked (finite, positive focal length
/// and sensor, a non-degenerate rotation, normalised).
pub(super) fn camera_state(
    camera: &str,
    state: &CameraState,
    overrides: &Overrides,
) -> Result<(Pose, crate::camera::Lens), InputError> {
    let bad = |message: String| InputError::Invalid {
        camera: camera.to_string(),
        message,
    };
    let finite = |what: &str, v: f64| finite(camera, what, v);
    let mut lens = state.lens;
    let o = overrides;
    lens.focal_length_mm = o.focal_length_mm.unwrap_or(lens.focal_length_mm);
    lens.sensor_mm = o.sensor_mm.unwrap_or(lens.sensor_mm);
    lens.shift_mm = o.shift_mm.unwrap_or(lens.shift_mm);
    lens.entrance_pupil_m = o.entrance_pupil_m.unwrap_or(lens.entrance_pupil_m);
    lens.distortion = o.distortion.unwrap_or(lens.distortion);
    for (what, v) in [
        ("focal length", lens.focal_length_mm),
        ("sensor width", lens.sensor_mm.0),
        ("sensor height", lens.sensor_mm.1),
    ] {
        if finite(what, v)? <= 0.0 {
            return Err(bad(format!("{what} must be positive (got {v})")));
        }
    }
    finite("entrance-pupil offset", lens.entrance_pupil_m)?;
    finite("principal shift", lens.shift_mm.0 + lens.shift_mm.1)?;
    let d = lens.distortion;
    for v in [
        d.k1,
        d.k2,
        d.k3,
        d.p1,
        d.p2,
        d.centre[0],
        d.centre[1],
        d.overscan,
    ] {
        finite("distortion coefficient", v)?;
    }
    let position = o.camera_position.unwrap_or(state.pose.position);
    let rotation = match o.camera_rotation {
        Some((p, t, r)) => crate::camera::pan_tilt_roll_to_quat(p, t, r),
        None => state.pose.rotation,
    };
    if !position.is_finite() || !rotation.is_finite() || rotation.length_squared() < 1e-12 {
        return Err(bad("camera pose is not finite".into()));
    }
    let pose = Pose {
        position,
        rotation: rotation.normalize(),
    };
    Ok((pose, lens))
}

/// `v` when it is finite, else the error naming `what` of camera `camera`.
pub(super) fn finite(camera: &str, what: &str, v: f64) -> Result<f64, InputError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(InputError::Invalid {
            camera: camera.to_string(),
            message: format!("{what} is not a finite number"),
        })
    }
}
