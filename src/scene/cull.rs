//! View-frustum culling: the frustum planes of a view (Gribb & Hartmann, "Fast Extraction of Viewing
//! Frustum Planes from the World-View-Projection Matrix", 2001) adapted to Parallax's views
//! (`clip = view_proj * (world - eye, 1)`, reversed-Z with an infinite far plane, so the far plane
//! is dropped), tested against bounding spheres.

use glam::{DMat4, DVec3, DVec4, Vec3};

/// The planes of a view, in eye-relative stage coordinates: a point `p` (relative to the eye) is
/// inside when `n . p + d >= 0` for every plane `(n, d)` (unit `n`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frustum {
    /// Left, right, bottom, top, near (reversed-Z: `depth <= 1`).
    pub planes: [DVec4; 5],
    /// The view's eye in stage metres.
    pub eye: DVec3,
}

impl Default for Frustum {
    /// A frustum that keeps everything.
    fn default() -> Self {
        Frustum {
            planes: [DVec4::new(0.0, 0.0, 0.0, 1.0); 5],
            eye: DVec3::ZERO,
        }
    }
}

impl Frustum {
    /// The frustum of a view: `x, y in [-w, w]` and `z <= w` of `clip = view_proj * (p - eye, 1)`.
    pub fn from_view_proj(view_proj: DMat4, eye: DVec3) -> Frustum {
        let r = |i: usize| view_proj.row(i);
        let raw = [
            r(3) + r(0),
            r(3) - r(0),
            r(3) + r(1),
            r(3) - r(1),
            r(3) - r(2),
        ];
        let planes = raw.map(|p| {
            let n = p.truncate().length();
            if n > 1e-12 {
                p / n
            } else {
                // Degenerate (never for a perspective view): keep everything.
                DVec4::new(0.0, 0.0, 0.0, 1.0)
            }
        });
        Frustum { planes, eye }
    }

    /// Whether a sphere (stage metres) may be visible: false only when it lies wholly outside one
    /// plane (conservative: a sphere near a corner outside the frustum may still count as visible).
    pub fn intersects_sphere(&self, centre: Vec3, radius: f32) -> bool {
        let c = centre.as_dvec3() - self.eye;
        self.planes
            .iter()
            .all(|p| p.truncate().dot(c) + p.w >= -(radius as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::view::{cube_face_view_proj, reversed_z_infinite};

    #[test]
    fn cube_face_frustum_keeps_its_axis_and_drops_the_others() {
        let eye = DVec3::new(1.0, 2.0, 3.0);
        // Face 5 looks along -Z.
        let f = Frustum::from_view_proj(cube_face_view_proj(5), eye);
        let at = |d: DVec3| (eye + d).as_vec3();
        assert!(f.intersects_sphere(at(DVec3::new(0.0, 0.0, -10.0)), 0.1));
        assert!(f.intersects_sphere(at(DVec3::new(9.0, 9.0, -10.0)), 0.1));
        assert!(!f.intersects_sphere(at(DVec3::new(0.0, 0.0, 10.0)), 1.0));
        // 45 degrees off to the right by more than the radius: outside; within the radius: inside.
        assert!(!f.intersects_sphere(at(DVec3::new(12.0, 0.0, -10.0)), 1.0));
        assert!(f.intersects_sphere(at(DVec3::new(11.0, 0.0, -10.0)), 1.0));
        // Behind the near plane (0.05 m), and a far point (no far plane).
        assert!(!f.intersects_sphere(at(DVec3::new(0.0, 0.0, -0.01)), 0.01));
        assert!(f.intersects_sphere(at(DVec3::new(0.0, 0.0, -1e6)), 1.0));
    }

    #[test]
    fn off_axis_frustum_planes_match_the_tangents() {
        let t = crate::camera::Tangents {
            left: -0.2,
            right: 0.6,
            bottom: -0.3,
            top: 0.1,
        };
        let f = Frustum::from_view_proj(reversed_z_infinite(&t, 0.05), DVec3::ZERO);
        // At d = 10 the frustum spans x in [-2, 6], y in [-3, 1]; unit spheres just outside each side
        // (distance to the plane > 1) are culled, those straddling are kept.
        let d = 10.0f32;
        for (x, y, inside) in [
            (-2.0 - 1.1, 0.0, false),
            (-2.0 - 0.9, 0.0, true),
            (6.0 + 1.2, 0.0, false),
            (6.0 + 0.9, 0.0, true),
            (0.0, -3.0 - 1.1, false),
            (0.0, 1.0 + 1.1, false),
            (0.0, 1.0 + 0.9, true),
        ] {
            assert_eq!(
                f.intersects_sphere(Vec3::new(x, y, -d), 1.0),
                inside,
                "({x}, {y})"
            );
        }
    }
}
