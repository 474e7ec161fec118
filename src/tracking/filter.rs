//! Smoothing of tracked poses: the One-Euro filter (Casiez, Roussel, Vogel 2012) per value, and per
//! pose (position per axis, rotation per quaternion component). Used by [`super::TrackedCamera`]
//! when a camera's tracking sets `filter: OneEuro(...)`.

use glam::{DQuat, DVec3};

use crate::camera::Pose;

/// One-Euro filter for one value (Casiez, Roussel, Vogel 2012): a low-pass whose cutoff rises with
/// the speed of the signal.
#[derive(Clone, Copy, Debug)]
pub struct OneEuro {
    min_cutoff: f64,
    beta: f64,
    d_cutoff: f64,
    prev: Option<(f64, f64, f64)>, // (t, x_hat, dx_hat)
}

fn alpha(cutoff: f64, dt: f64) -> f64 {
    let tau = 1.0 / (2.0 * std::f64::consts::PI * cutoff);
    1.0 / (1.0 + tau / dt)
}

impl OneEuro {
    /// A filter with the given cutoffs (Hz) and speed coefficient.
    pub fn new(min_cutoff: f64, beta: f64, d_cutoff: f64) -> OneEuro {
        OneEuro {
            min_cutoff,
            beta,
            d_cutoff,
            prev: None,
        }
    }

    /// Filters `x` observed at time `t` (seconds). A sample not after the previous one, or a
    /// non-finite one, resets the filter to it.
    pub fn filter(&mut self, t: f64, x: f64) -> f64 {
        match self.prev {
            Some((tp, xp, dxp)) if t > tp && x.is_finite() && t.is_finite() => {
                let dt = t - tp;
                let dx = (x - xp) / dt;
                let a_d = alpha(self.d_cutoff, dt);
                let dx_hat = dxp + a_d * (dx - dxp);
                let cutoff = self.min_cutoff + self.beta * dx_hat.abs();
                let a = alpha(cutoff, dt);
                let x_hat = xp + a * (x - xp);
                self.prev = Some((t, x_hat, dx_hat));
                x_hat
            }
            _ => {
                self.prev = Some((t, x, 0.0));
                x
            }
        }
    }
}

/// One-Euro filtering of a pose: position per axis, rotation per quaternion component (aligned to
/// the previous output's hemisphere, so that a pan through +-180 degrees never flips it) then
/// renormalised.
#[derive(Clone, Debug)]
pub struct PoseFilter {
    pos: [OneEuro; 3],
    rot: [OneEuro; 4],
    last_q: Option<DQuat>,
}

impl PoseFilter {
    /// A pose filter with the same settings on every channel.
    pub fn new(min_cutoff: f64, beta: f64, d_cutoff: f64) -> PoseFilter {
        let f = OneEuro::new(min_cutoff, beta, d_cutoff);
        PoseFilter {
            pos: [f; 3],
            rot: [f; 4],
            last_q: None,
        }
    }

    /// Filters a pose observed at time `t`.
    pub fn filter(&mut self, t: f64, pose: Pose) -> Pose {
        let p = pose.position;
        let position = DVec3::new(
            self.pos[0].filter(t, p.x),
            self.pos[1].filter(t, p.y),
            self.pos[2].filter(t, p.z),
        );
        let mut q = pose.rotation;
        if let Some(prev) = self.last_q
            && prev.dot(q) < 0.0
        {
            q = -q;
        }
        let f = DQuat::from_xyzw(
            self.rot[0].filter(t, q.x),
            self.rot[1].filter(t, q.y),
            self.rot[2].filter(t, q.z),
            self.rot[3].filter(t, q.w),
        );
        let rotation = if f.length_squared() > 1e-12 && f.is_finite() {
            f.normalize()
        } else {
            q
        };
        self.last_q = Some(rotation);
        Pose { position, rotation }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_euro_passes_constants_and_smooths_steps() {
        let mut f = OneEuro::new(1.0, 0.0, 1.0);
        for i in 0..10 {
            assert_eq!(f.filter(i as f64 * 0.02, 3.0), 3.0);
        }
        let y = f.filter(0.2, 4.0);
        assert!(y > 3.0 && y < 4.0, "{y}");
        // Converges towards the new value.
        let mut last = y;
        for i in 11..500 {
            last = f.filter(i as f64 * 0.02, 4.0);
        }
        assert!((last - 4.0).abs() < 1e-3, "{last}");
    }
}
