//! Keyboard and mouse control of the flown camera (used when neither live tracking nor a take
//! drives it): pure state updated from held keys and mouse drags, no window types.

use glam::DVec3;

use crate::camera::{Pose, pan_tilt_roll_to_quat, quat_to_pan_tilt_roll};

/// Movement keys held down, as a direction in the camera's frame.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Held {
    /// Forward (+1, W) or back (-1, S).
    pub forward: f64,
    /// Right (+1, D) or left (-1, A).
    pub right: f64,
    /// Up (+1, E) or down (-1, Q).
    pub up: f64,
    /// Pan left (+1, left arrow) or right (-1, right arrow).
    pub pan: f64,
    /// Tilt up (+1, up arrow) or down (-1, down arrow).
    pub tilt: f64,
    /// Shift: four times faster.
    pub fast: bool,
}

/// A camera flown by keyboard and mouse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlyCamera {
    /// Sensor position in stage metres.
    pub position: DVec3,
    /// Pan in degrees (positive turns left).
    pub pan: f64,
    /// Tilt in degrees (positive looks up).
    pub tilt: f64,
    /// Roll in degrees.
    pub roll: f64,
}

/// Metres per second when flying.
pub const FLY_SPEED: f64 = 1.0;
/// Degrees per second when turning with the arrow keys.
pub const TURN_SPEED: f64 = 45.0;
/// Degrees per pixel of mouse drag.
pub const LOOK_PER_PIXEL: f64 = 0.2;

impl FlyCamera {
    /// Starts from a pose.
    pub fn from_pose(pose: &Pose) -> FlyCamera {
        let (pan, tilt, roll) = quat_to_pan_tilt_roll(pose.rotation);
        FlyCamera {
            position: pose.position,
            pan,
            tilt,
            roll,
        }
    }

    /// The pose.
    pub fn pose(&self) -> Pose {
        Pose {
            position: self.position,
            rotation: pan_tilt_roll_to_quat(self.pan, self.tilt, self.roll),
        }
    }

    /// Advances by `dt` seconds with `held` keys: moves along the camera's horizontal heading
    /// (so flying forward does not change height) and turns.
    pub fn step(&mut self, held: &Held, dt: f64) {
        let dt = dt.clamp(0.0, 0.25);
        let speed = FLY_SPEED * if held.fast { 4.0 } else { 1.0 };
        let p = self.pan.to_radians();
        let forward = DVec3::new(-p.sin(), 0.0, -p.cos());
        let right = DVec3::new(p.cos(), 0.0, -p.sin());
        self.position +=
            (forward * held.forward + right * held.right + DVec3::Y * held.up) * speed * dt;
        self.pan += held.pan * TURN_SPEED * dt;
        self.tilt = (self.tilt + held.tilt * TURN_SPEED * dt).clamp(-89.0, 89.0);
    }

    /// Turns by a mouse drag of `(dx, dy)` pixels (drag right turns right, drag up looks up).
    pub fn look(&mut self, dx: f64, dy: f64) {
        self.pan -= dx * LOOK_PER_PIXEL;
        self.tilt = (self.tilt - dy * LOOK_PER_PIXEL).clamp(-89.0, 89.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flying_forward_follows_the_heading_and_keeps_height() {
        let mut c = FlyCamera {
            position: DVec3::new(0.0, 1.5, 0.0),
            pan: 90.0,
            tilt: 20.0,
            roll: 0.0,
        };
        let held = Held {
            forward: 1.0,
            ..Default::default()
        };
        c.step(&held, 0.1);
        // Pan 90 looks towards -X.
        assert!((c.position - DVec3::new(-0.1, 1.5, 0.0)).length() < 1e-12);
        let f = c.pose().forward();
        assert!(f.x < 0.0 && f.y > 0.0);
    }

    #[test]
    fn the_pose_round_trips() {
        let pose = Pose {
            position: DVec3::new(1.0, 2.0, 3.0),
            rotation: pan_tilt_roll_to_quat(30.0, -10.0, 5.0),
        };
        let c = FlyCamera::from_pose(&pose);
        assert!(c.pose().rotation.angle_between(pose.rotation) < 1e-9);
    }
}
