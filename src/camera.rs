//! Camera pose and lens: pure maths over glam types, shared by tracking and the renderer.
//!
//! Conventions (see `docs/conventions.md`): stage space is right-handed, metres, +Y up. Camera space
//! follows glTF: the camera looks along -Z, +X is image right, +Y is image up. Pan, tilt and roll in
//! degrees mean `R = Ry(pan) * Rx(tilt) * Rz(roll)` (world-from-camera).

use glam::{DMat3, DQuat, DVec2, DVec3};
use serde::{Deserialize, Serialize};

mod distortion;
mod frustum;

pub use distortion::{
    Distortion, FramePoint, InverseFailure, LensError, UNDISTORT_MAX_STEP, UNDISTORT_MAX_STEPS,
    UNDISTORT_TOLERANCE, UNDISTORT_TOLERANCE_F32,
};
pub use frustum::{Overscan, OverscanRule, Tangents};

/// Rotation (world-from-camera) from pan, tilt, roll in degrees: `Ry(pan) * Rx(tilt) * Rz(roll)`.
pub fn pan_tilt_roll_to_quat(pan_deg: f64, tilt_deg: f64, roll_deg: f64) -> DQuat {
    DQuat::from_rotation_y(pan_deg.to_radians())
        * DQuat::from_rotation_x(tilt_deg.to_radians())
        * DQuat::from_rotation_z(roll_deg.to_radians())
}

/// Pan, tilt, roll in degrees of a world-from-camera rotation (inverse of [`pan_tilt_roll_to_quat`]).
/// Tilt is in -90..=90; at exactly +-90 the split between pan and roll is arbitrary (roll = 0).
pub fn quat_to_pan_tilt_roll(q: DQuat) -> (f64, f64, f64) {
    let (pan, tilt, roll) = q.normalize().to_euler(glam::EulerRot::YXZ);
    (pan.to_degrees(), tilt.to_degrees(), roll.to_degrees())
}

/// A camera orientation as written in files: pan/tilt/roll in degrees, or a quaternion `[x, y, z, w]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Orientation {
    /// `PanTiltRoll(pan, tilt, roll)` in degrees.
    PanTiltRoll(f64, f64, f64),
    /// `Quaternion(x, y, z, w)`, world-from-camera; normalised on use.
    Quaternion(f64, f64, f64, f64),
}

impl Default for Orientation {
    fn default() -> Self {
        Orientation::PanTiltRoll(0.0, 0.0, 0.0)
    }
}

impl Orientation {
    /// The world-from-camera rotation.
    pub fn to_quat(self) -> DQuat {
        match self {
            Orientation::PanTiltRoll(p, t, r) => pan_tilt_roll_to_quat(p, t, r),
            Orientation::Quaternion(x, y, z, w) => DQuat::from_xyzw(x, y, z, w).normalize(),
        }
    }

    /// The numbers as written, for finiteness checks.
    pub fn values(self) -> [f64; 4] {
        match self {
            Orientation::PanTiltRoll(p, t, r) => [p, t, r, 0.0],
            Orientation::Quaternion(x, y, z, w) => [x, y, z, w],
        }
    }
}

/// Where the camera is: the tracked sensor (film-plane) position and the world-from-camera rotation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// Tracked position in stage metres (before the entrance-pupil offset).
    pub position: DVec3,
    /// World-from-camera rotation.
    pub rotation: DQuat,
}

impl Default for Pose {
    fn default() -> Self {
        Pose {
            position: DVec3::ZERO,
            rotation: DQuat::IDENTITY,
        }
    }
}

impl Pose {
    /// Camera forward (-Z in camera space) in stage space.
    pub fn forward(&self) -> DVec3 {
        self.rotation * DVec3::NEG_Z
    }

    /// The render eye: the tracked position moved by `entrance_pupil_m` along the optical axis
    /// (positive = towards the subject, camera -Z).
    pub fn eye(&self, entrance_pupil_m: f64) -> DVec3 {
        self.position + self.forward() * entrance_pupil_m
    }

    /// Transforms a stage-space point into camera space relative to `eye`.
    pub fn to_camera(&self, eye: DVec3, world: DVec3) -> DVec3 {
        self.rotation.inverse() * (world - eye)
    }

    /// Camera-from-world rotation matrix.
    pub fn view_rotation(&self) -> DMat3 {
        DMat3::from_quat(self.rotation.inverse())
    }
}

/// A lens at one zoom/focus setting, on a sensor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Lens {
    /// Pinhole focal length in millimetres.
    pub focal_length_mm: f64,
    /// Active sensor area `(width, height)` in millimetres.
    pub sensor_mm: (f64, f64),
    /// Principal-point shift in millimetres on the sensor: moves the frame's window right/up relative to
    /// the optical axis (an off-centre frustum).
    pub shift_mm: (f64, f64),
    /// Entrance-pupil offset in metres along the optical axis, positive towards the subject.
    pub entrance_pupil_m: f64,
    /// Focus distance in metres (reported, not used by the wall image).
    pub focus_distance_m: f64,
    /// Brown-Conrady distortion, applied to the de-squeezed picture's tangents.
    pub distortion: Distortion,
    /// Anamorphic squeeze: how much narrower the lens images the scene across the sensor than
    /// along it (OpenTrackIO's `static.camera.anamorphicSqueeze`, the height / width ratio of a
    /// square's image on the sensor): 1 for spherical lenses, 2 for a 2x anamorphic. The picture is
    /// de-squeezed, so its horizontal tangents are the sensor's times the squeeze.
    pub squeeze: f64,
}

impl Default for Lens {
    fn default() -> Self {
        Lens {
            focal_length_mm: 35.0,
            sensor_mm: (36.0, 24.0),
            shift_mm: (0.0, 0.0),
            entrance_pupil_m: 0.0,
            focus_distance_m: 5.0,
            distortion: Distortion::default(),
            squeeze: 1.0,
        }
    }
}

impl Lens {
    /// Undistorted pinhole frame extents (what the sensor covers), shift included; horizontally
    /// times the anamorphic squeeze (the de-squeezed picture).
    pub fn frame_tangents(&self) -> Tangents {
        let f = self.focal_length_mm;
        let (w, h) = self.sensor_mm;
        let (sx, sy) = self.shift_mm;
        let q = self.squeeze;
        Tangents {
            left: q * (-w * 0.5 + sx) / f,
            right: q * (w * 0.5 + sx) / f,
            bottom: (-h * 0.5 + sy) / f,
            top: (h * 0.5 + sy) / f,
        }
    }

    /// Horizontal and vertical field of view in degrees (unshifted pinhole, de-squeezed).
    pub fn field_of_view_deg(&self) -> (f64, f64) {
        let f = self.focal_length_mm;
        (
            (2.0 * (self.squeeze * self.sensor_mm.0 / (2.0 * f)).atan()).to_degrees(),
            (2.0 * (self.sensor_mm.1 / (2.0 * f)).atan()).to_degrees(),
        )
    }

    /// Points along the edge of the (distorted) frame: the four corners first, then `n - 1` points
    /// inside each edge.
    fn frame_edge_points(&self, n: usize) -> Vec<FramePoint> {
        let frame = self.frame_tangents();
        let f = self.focal_length_mm;
        let shift = DVec2::new(self.shift_mm.0, self.shift_mm.1);
        let point = |place: String, t: DVec2| FramePoint {
            place,
            tangent: t,
            sensor_mm: DVec2::new(t.x / self.squeeze, t.y) * f - shift,
        };
        let (l, r, b, t) = (frame.left, frame.right, frame.bottom, frame.top);
        let mut v = vec![
            point("the top-left corner".into(), DVec2::new(l, t)),
            point("the top-right corner".into(), DVec2::new(r, t)),
            point("the bottom-left corner".into(), DVec2::new(l, b)),
            point("the bottom-right corner".into(), DVec2::new(r, b)),
        ];
        for k in 1..n {
            let s = k as f64 / n as f64;
            let pct = s * 100.0;
            let x = l + s * frame.width();
            let y = b + s * frame.height();
            v.push(point(
                format!("the top edge, {pct:.0} % from the left"),
                DVec2::new(x, t),
            ));
            v.push(point(
                format!("the bottom edge, {pct:.0} % from the left"),
                DVec2::new(x, b),
            ));
            v.push(point(
                format!("the left edge, {pct:.0} % up"),
                DVec2::new(l, y),
            ));
            v.push(point(
                format!("the right edge, {pct:.0} % up"),
                DVec2::new(r, y),
            ));
        }
        v
    }

    /// Where the edge of the distorted image on the sensor lands once undistorted (every sensor point
    /// `t` sees the direction `undistort(t)`), sampled at the corners and 63 points inside each edge.
    /// Never fails: the points where the lens inverse fails are listed (corners first) and left out of
    /// the extents. The simulated camera uses this (and shows the failures as a marker colour); the
    /// overscan uses [`Lens::distorted_frame_tangents`], which refuses such a lens.
    pub fn distorted_frame_coverage(&self) -> FrameCoverage {
        let frame = self.frame_tangents();
        let mut out = FrameCoverage {
            tangents: frame,
            failures: Vec::new(),
            checked: 0,
        };
        if self.distortion.is_identity() {
            return out;
        }
        let points = self.frame_edge_points(64);
        out.checked = points.len();
        for p in points {
            match self.distortion.undistort_tangent_checked(p.tangent) {
                Ok(u) => {
                    let t = &mut out.tangents;
                    t.left = t.left.min(u.x);
                    t.right = t.right.max(u.x);
                    t.bottom = t.bottom.min(u.y);
                    t.top = t.top.max(u.y);
                }
                Err(e) => out.failures.push((p, e)),
            }
        }
        out
    }

    /// The undistorted extents that the distorted image on the sensor reaches: every sensor point
    /// sees the direction `undistort(point)`. Contains [`Lens::frame_tangents`]; for a pinhole lens it
    /// is that.
    ///
    /// Errors: [`LensError::NotInvertible`] names the first frame point (corners first) where the
    /// lens inverse fails, i.e. where the calibration's polynomial folds over inside the frame.
    pub fn distorted_frame_tangents(&self) -> Result<Tangents, LensError> {
        let c = self.distorted_frame_coverage();
        match c.failures.first() {
            None => Ok(c.tangents),
            Some((point, reason)) => Err(LensError::NotInvertible {
                distortion: Box::new(self.distortion),
                point: point.clone(),
                reason: *reason,
                failed: c.failures.len(),
                checked: c.checked,
            }),
        }
    }

    /// The per-side overscan that makes the inner frustum cover the distorted frame (zero for a
    /// pinhole lens or for pincushion distortion that stays inside the frame).
    ///
    /// Errors: as [`Lens::distorted_frame_tangents`].
    pub fn auto_overscan(&self) -> Result<Overscan, LensError> {
        let f = self.frame_tangents();
        let d = self.distorted_frame_tangents()?;
        let hw = f.width() * 0.5;
        let hh = f.height() * 0.5;
        Ok(Overscan {
            left: ((f.left - d.left) / hw).max(0.0),
            right: ((d.right - f.right) / hw).max(0.0),
            bottom: ((f.bottom - d.bottom) / hh).max(0.0),
            top: ((d.top - f.top) / hh).max(0.0),
        })
    }
}

/// The camera for one frame: where it is and the lens it has at that instant. This is what tracking,
/// a take, a stage file's rest pose or a script supplies; [`crate::render::FrameInputs::resolve`] turns
/// it, with the stage camera's inner-frustum settings, into the frame's inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CameraState {
    /// Tracked sensor position and world-from-camera rotation in stage space.
    pub pose: Pose,
    /// The lens at this instant (a lens table's row for the current encoders, or the stage file's).
    pub lens: Lens,
}

/// Where the edge of a lens's distorted frame lands once undistorted: see
/// [`Lens::distorted_frame_coverage`].
#[derive(Clone, Debug, PartialEq)]
pub struct FrameCoverage {
    /// The frame's tangents enlarged to every undistorted edge point (those that inverted).
    pub tangents: Tangents,
    /// The edge points where the lens inverse failed, corners first, with the reason.
    pub failures: Vec<(FramePoint, InverseFailure)>,
    /// How many edge points were checked (0 for a pinhole lens).
    pub checked: usize,
}

/// Camera-space tangent (`x / -z`, `y / -z`) of a camera-space point; `None` behind the eye.
pub fn tangent_of(camera_space: DVec3) -> Option<DVec2> {
    if camera_space.z >= -1e-9 {
        return None;
    }
    Some(DVec2::new(
        camera_space.x / -camera_space.z,
        camera_space.y / -camera_space.z,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: DVec3, b: DVec3) -> bool {
        (a - b).length() < 1e-9
    }

    #[test]
    fn pan_positive_turns_left_and_tilt_looks_up() {
        let left = pan_tilt_roll_to_quat(90.0, 0.0, 0.0) * DVec3::NEG_Z;
        assert!(close(left, DVec3::NEG_X), "{left}");
        let up = pan_tilt_roll_to_quat(0.0, 90.0, 0.0) * DVec3::NEG_Z;
        assert!(close(up, DVec3::Y), "{up}");
        // Roll turns the image's up vector about the optical axis.
        let roll_up = pan_tilt_roll_to_quat(0.0, 0.0, 90.0) * DVec3::Y;
        assert!(close(roll_up, DVec3::NEG_X), "{roll_up}");
    }

    #[test]
    fn euler_round_trip() {
        for &(p, t, r) in &[
            (10.0, 20.0, 30.0),
            (-170.0, -45.0, 5.0),
            (179.0, 80.0, -120.0),
        ] {
            let q = pan_tilt_roll_to_quat(p, t, r);
            let (p2, t2, r2) = quat_to_pan_tilt_roll(q);
            let q2 = pan_tilt_roll_to_quat(p2, t2, r2);
            assert!(
                q.dot(q2).abs() > 1.0 - 1e-12,
                "{p},{t},{r} -> {p2},{t2},{r2}"
            );
        }
    }

    #[test]
    fn entrance_pupil_moves_towards_subject() {
        let pose = Pose {
            position: DVec3::new(1.0, 2.0, 3.0),
            rotation: pan_tilt_roll_to_quat(90.0, 0.0, 0.0),
        };
        assert!(close(pose.eye(0.1), DVec3::new(0.9, 2.0, 3.0)));
    }

    #[test]
    fn frame_tangents_follow_field_of_view() {
        let lens = Lens::default();
        let t = lens.frame_tangents();
        let (hfov, _) = lens.field_of_view_deg();
        assert!((t.right - (hfov.to_radians() / 2.0).tan()).abs() < 1e-12);
        assert_eq!(t.left, -t.right);
        let shifted = Lens {
            shift_mm: (1.0, -2.0),
            ..lens
        };
        let s = shifted.frame_tangents();
        assert!((s.left - t.left - 1.0 / 35.0).abs() < 1e-12);
        assert!((s.top - t.top + 2.0 / 35.0).abs() < 1e-12);
    }

    #[test]
    fn undistort_inverts_distort() {
        let d = Distortion {
            k1: -0.12,
            k2: 0.03,
            k3: -0.004,
            p1: 0.001,
            p2: -0.0015,
            ..Default::default()
        };
        for &(x, y) in &[(0.0, 0.0), (0.3, -0.2), (-0.5, 0.35), (0.6, 0.4)] {
            let p = DVec2::new(x, y);
            let back = d.undistort_cv(d.distort_cv(p)).expect("converges");
            assert!((back - p).length() < 1e-9, "{p} -> {back}");
        }
    }

    #[test]
    fn barrel_distortion_needs_overscan() {
        let lens = Lens {
            distortion: Distortion {
                k1: -0.1,
                ..Default::default()
            },
            ..Lens::default()
        };
        let o = lens.auto_overscan().unwrap();
        assert!(o.left > 0.0 && o.top > 0.0, "{o:?}");
        assert!((o.left - o.right).abs() < 1e-9);
        assert_eq!(Lens::default().auto_overscan(), Ok(Overscan::uniform(0.0)));
    }

    #[test]
    fn projection_maps_extents_to_clip_edges() {
        let t = Tangents {
            left: -0.7,
            right: 0.5,
            bottom: -0.3,
            top: 0.4,
        };
        let m = t.projection(0.1, 100.0);
        let p = m * glam::DVec4::new(0.5 * 2.0, 0.4 * 2.0, -2.0, 1.0);
        assert!((p.x / p.w - 1.0).abs() < 1e-12 && (p.y / p.w - 1.0).abs() < 1e-12);
        let near = m * glam::DVec4::new(0.0, 0.0, -0.1, 1.0);
        assert!((near.z / near.w).abs() < 1e-12);
        let far = m * glam::DVec4::new(0.0, 0.0, -100.0, 1.0);
        assert!((far.z / far.w - 1.0).abs() < 1e-9);
    }
}
