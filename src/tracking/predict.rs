//! Prediction: the camera's pose extrapolated to the time the LEDs will emit the frame being
//! rendered, from its recent motion (constant velocity and constant angular velocity), and the
//! extra overscan that covers what the prediction cannot know (a change of motion within the
//! horizon).
//!
//! The wall shows a frustum rendered for where the camera *was* when the newest sample was taken;
//! by the time the LEDs emit it (render time + latency: render, transfer, processor, LED scan) the
//! camera has moved on. Rendering an older pose (a "delay") only adds to that lag; predicting
//! removes it for smooth moves.

use glam::{DQuat, DVec3};

use crate::camera::Pose;

/// Linear and angular velocity of a camera, stage frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Motion {
    /// Velocity in metres per second.
    pub velocity: DVec3,
    /// Angular velocity in radians per second, stage (world) frame: the rotation over `h`
    /// seconds is `DQuat::from_scaled_axis(angular_velocity * h)` applied on the left.
    pub angular_velocity: DVec3,
}

impl Motion {
    /// Angular speed in degrees per second.
    pub fn angular_speed_deg_s(&self) -> f64 {
        self.angular_velocity.length().to_degrees()
    }
}

/// The rotation from `a` to `b` in the world frame, as a rotation vector (radians), shortest way.
fn world_delta(a: DQuat, b: DQuat) -> DVec3 {
    let mut d = b * a.inverse();
    if d.w < 0.0 {
        d = -d;
    }
    d.normalize().to_scaled_axis()
}

/// Least-squares slope of `y` over `t` (zero with fewer than two distinct times).
fn slope<const N: usize>(pts: &[(f64, [f64; N])]) -> [f64; N] {
    let n = pts.len() as f64;
    let mut out = [0.0; N];
    if pts.len() < 2 {
        return out;
    }
    let tm = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let stt: f64 = pts.iter().map(|p| (p.0 - tm).powi(2)).sum();
    if stt.is_nan() || stt <= 1e-18 {
        return out;
    }
    for (k, o) in out.iter_mut().enumerate() {
        let ym = pts.iter().map(|p| p.1[k]).sum::<f64>() / n;
        *o = pts.iter().map(|p| (p.0 - tm) * (p.1[k] - ym)).sum::<f64>() / stt;
    }
    out
}

/// The motion fitted to time-stamped poses (seconds, any order): least-squares slopes of position
/// and of the world-frame rotation vector relative to the last pose. Exact for a constant
/// velocity and a constant angular velocity (below 180 degrees across the samples). Zero with
/// fewer than two distinct times.
pub fn fit_motion(samples: &[(f64, Pose)]) -> Motion {
    let Some(&(_, reference)) = samples.last() else {
        return Motion::default();
    };
    let pos: Vec<(f64, [f64; 3])> = samples
        .iter()
        .map(|(t, p)| (*t, p.position.to_array()))
        .collect();
    let rot: Vec<(f64, [f64; 3])> = samples
        .iter()
        .map(|(t, p)| (*t, world_delta(reference.rotation, p.rotation).to_array()))
        .collect();
    let m = Motion {
        velocity: DVec3::from_array(slope(&pos)),
        angular_velocity: DVec3::from_array(slope(&rot)),
    };
    if m.velocity.is_finite() && m.angular_velocity.is_finite() {
        m
    } else {
        Motion::default()
    }
}

/// `pose` moved on by `motion` for `h` seconds.
pub fn extrapolate(pose: Pose, motion: &Motion, h: f64) -> Pose {
    if !(h.is_finite() && h != 0.0) {
        return pose;
    }
    Pose {
        position: pose.position + motion.velocity * h,
        rotation: (DQuat::from_scaled_axis(motion.angular_velocity * h) * pose.rotation)
            .normalize(),
    }
}

/// Extra half-angle of view (degrees) that covers a camera turning at `angular_speed_deg_s`
/// changing its motion within a prediction horizon of `horizon_s` seconds: `fraction * speed *
/// horizon` (`fraction` 1: the camera may stop dead; 0: no extra). Non-finite or negative inputs
/// give 0.
pub fn speed_overscan_deg(angular_speed_deg_s: f64, horizon_s: f64, fraction: f64) -> f64 {
    let v = fraction * angular_speed_deg_s.abs() * horizon_s;
    if v.is_finite() && v > 0.0 { v } else { 0.0 }
}

/// The factor on a frustum's tangent that widens a half-angle of `half_fov_deg` by `extra_deg`:
/// `tan(half + extra) / tan(half)`, at least 1; the widened angle is capped just below 90 degrees.
pub fn overscan_factor(half_fov_deg: f64, extra_deg: f64) -> f64 {
    if !(half_fov_deg > 0.0 && half_fov_deg < 90.0 && extra_deg > 0.0) {
        return 1.0;
    }
    let wide = (half_fov_deg + extra_deg).min(89.0);
    (wide.to_radians().tan() / half_fov_deg.to_radians().tan()).max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pose(x: f64, yaw_deg: f64) -> Pose {
        Pose {
            position: DVec3::new(x, 0.0, 0.0),
            rotation: DQuat::from_rotation_y(yaw_deg.to_radians()),
        }
    }

    #[test]
    fn constant_motion_is_fitted_exactly() {
        // 2 m/s along x, 30 deg/s about y.
        let s: Vec<(f64, Pose)> = (0..4)
            .map(|i| {
                let t = i as f64 * 0.01;
                (t, pose(2.0 * t, 30.0 * t))
            })
            .collect();
        let m = fit_motion(&s);
        assert!((m.velocity - DVec3::new(2.0, 0.0, 0.0)).length() < 1e-9);
        assert!((m.angular_velocity - DVec3::new(0.0, 30f64.to_radians(), 0.0)).length() < 1e-9);
        let p = extrapolate(s[3].1, &m, 0.1);
        let want = pose(0.03 * 2.0 + 0.2, 30.0 * 0.13);
        assert!((p.position - want.position).length() < 1e-9);
        assert!(p.rotation.dot(want.rotation).abs() > 1.0 - 1e-12);
        assert_eq!(fit_motion(&s[..1]), Motion::default());
    }

    #[test]
    fn overscan_for_speed() {
        // 60 deg/s over 50 ms: 3 degrees; half of it with fraction 0.5.
        assert!((speed_overscan_deg(60.0, 0.05, 1.0) - 3.0).abs() < 1e-12);
        assert!((speed_overscan_deg(-60.0, 0.05, 0.5) - 1.5).abs() < 1e-12);
        assert_eq!(speed_overscan_deg(f64::NAN, 0.05, 1.0), 0.0);
        // tan(45 + 0) / tan(45) = 1; tan(48)/tan(45) = 1.1106...
        assert_eq!(overscan_factor(45.0, 0.0), 1.0);
        assert!((overscan_factor(45.0, 3.0) - 48f64.to_radians().tan()).abs() < 1e-12);
    }
}
