//! View matrices for the passes: pure maths over glam types, mirrored by `shaders/common.wgsl`.
//! Every view maps positions relative to its eye: `clip = view_proj * (world - eye, 1)`, which keeps
//! f32 precision on large stages.
//!
//! Depth is **reversed-Z with an infinite far plane**: `z_clip = NEAR`, `w_clip = d` (the distance
//! along the view axis), so depth `z / w = NEAR / d` is 1 at the near plane and falls towards 0 at
//! infinity. Floating-point depth then has its precision where perspective needs it, and nothing is
//! ever clipped by a far plane (Reed, "Depth Precision Visualized", NVIDIA 2015; Upchurch & Desbrun,
//! "Tightening the Precision of Perspective Rendering", JGT 2012). Scene passes clear depth to 0 and
//! keep fragments whose depth is greater or equal (`scene::SCENE_DEPTH_COMPARE`).

use glam::{DMat4, DQuat, DVec3, DVec4};

use crate::camera::Tangents;
pub use crate::gpu::layout::{VIEW_UNIFORM_SIZE, ViewUniform};

/// Near plane of every view in metres (depth 1).
pub const NEAR: f64 = 0.05;

/// Reversed-Z, infinite-far off-axis projection for a camera looking along its -Z over `tangents`
/// (extents of `x / d` and `y / d` at distance `d = -z`): `ndc.x = (2 x/d - (R + L)) / (R - L)`,
/// `ndc.y` likewise, depth `near / d`.
pub fn reversed_z_infinite(tangents: &Tangents, near: f64) -> DMat4 {
    let (l, r, b, t) = (tangents.left, tangents.right, tangents.bottom, tangents.top);
    // Column-major. x_clip = (2 x + (R + L) z) / (R - L) so that x_clip / w = (2 x/d - (R + L)) / (R - L)
    // with w = -z = d.
    DMat4::from_cols(
        DVec4::new(2.0 / (r - l), 0.0, 0.0, 0.0),
        DVec4::new(0.0, 2.0 / (t - b), 0.0, 0.0),
        DVec4::new((r + l) / (r - l), (t + b) / (t - b), 0.0, -1.0),
        DVec4::new(0.0, 0.0, near, 0.0),
    )
}

/// Off-axis view-projection (reversed-Z, infinite far) of a camera with world-from-camera
/// `rotation` over `tangents`.
pub fn camera_view_proj(rotation: DQuat, tangents: &Tangents) -> DMat4 {
    reversed_z_infinite(tangents, NEAR) * DMat4::from_quat(rotation.inverse())
}

/// (right, up, forward) of cube face `face` in wgpu's order (+X, -X, +Y, -Y, +Z, -Z), such that a
/// direction `d` lands at normalised device coordinates `(right.d, up.d) / forward.d` of that face
/// as the cube map is sampled.
pub fn cube_face_basis(face: usize) -> (DVec3, DVec3, DVec3) {
    match face {
        0 => (DVec3::NEG_Z, DVec3::Y, DVec3::X),
        1 => (DVec3::Z, DVec3::Y, DVec3::NEG_X),
        2 => (DVec3::X, DVec3::NEG_Z, DVec3::Y),
        3 => (DVec3::X, DVec3::Z, DVec3::NEG_Y),
        4 => (DVec3::X, DVec3::Y, DVec3::Z),
        _ => (DVec3::NEG_X, DVec3::Y, DVec3::NEG_Z),
    }
}

/// View-projection of cube face `face`: 90 degree square frustum, reversed-Z with an infinite far
/// plane (depth `NEAR / (forward . p)`).
pub fn cube_face_view_proj(face: usize) -> DMat4 {
    let (r, u, f) = cube_face_basis(face);
    DMat4::from_cols(
        DVec4::new(r.x, u.x, 0.0, f.x),
        DVec4::new(r.y, u.y, 0.0, f.y),
        DVec4::new(r.z, u.z, 0.0, f.z),
        DVec4::new(0.0, 0.0, NEAR, 0.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ndc(m: DMat4, p: DVec3) -> DVec3 {
        let c = m * p.extend(1.0);
        c.truncate() / c.w
    }

    #[test]
    fn reversed_z_hand_computed_clip_values() {
        // Tangents (-0.5, 1.5, -0.25, 0.75), near 0.1. Camera-space point (1, 0.5, -2): d = 2,
        // x/d = 0.5, y/d = 0.25. ndc.x = (2 * 0.5 - 1) / 2 = 0, ndc.y = (2 * 0.25 - 0.5) / 1 = 0,
        // clip = (0 * 2, 0, 0.1, 2), depth 0.05.
        let t = Tangents {
            left: -0.5,
            right: 1.5,
            bottom: -0.25,
            top: 0.75,
        };
        let m = reversed_z_infinite(&t, 0.1);
        let c = m * DVec4::new(1.0, 0.5, -2.0, 1.0);
        assert!(
            (c - DVec4::new(0.0, 0.0, 0.1, 2.0)).abs().max_element() < 1e-12,
            "{c}"
        );
        // The frame's corners: (R d, T d, -d) -> ndc (1, 1) and (L d, B d, -d) -> (-1, -1) at any d.
        for d in [0.1, 3.0, 1e6] {
            let a = ndc(m, DVec3::new(1.5 * d, 0.75 * d, -d));
            assert!((a.x - 1.0).abs() < 1e-12 && (a.y - 1.0).abs() < 1e-12);
            let b = ndc(m, DVec3::new(-0.5 * d, -0.25 * d, -d));
            assert!((b.x + 1.0).abs() < 1e-12 && (b.y + 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn near_plane_is_depth_one_and_far_points_go_to_zero() {
        let t = Tangents {
            left: -0.7,
            right: 0.5,
            bottom: -0.3,
            top: 0.4,
        };
        let m = reversed_z_infinite(&t, NEAR);
        assert!((ndc(m, DVec3::new(0.0, 0.0, -NEAR)).z - 1.0).abs() < 1e-12);
        // d = 10 NEAR -> 0.1; 2 km -> 2.5e-5; 1e9 m still positive and ordered.
        assert!((ndc(m, DVec3::new(0.0, 0.0, -10.0 * NEAR)).z - 0.1).abs() < 1e-12);
        let far = ndc(m, DVec3::new(0.0, 0.0, -2000.0)).z;
        assert!((far - 2.5e-5).abs() < 1e-15, "{far}");
        let very_far = ndc(m, DVec3::new(0.0, 0.0, -1e9)).z;
        assert!(very_far > 0.0 && very_far < far);
        // Nearer is greater, also in f32 (what the GPU stores) between 100 m and 101 m.
        let a = ndc(m, DVec3::new(0.0, 0.0, -100.0)).z as f32;
        let b = ndc(m, DVec3::new(0.0, 0.0, -101.0)).z as f32;
        assert!(a > b);
    }

    #[test]
    fn cube_faces_cover_their_axis_with_reversed_depth() {
        for face in 0..6 {
            let (r, u, f) = cube_face_basis(face);
            let m = cube_face_view_proj(face);
            let c = ndc(m, f * 10.0);
            assert!(c.x.abs() < 1e-12 && c.y.abs() < 1e-12);
            assert!((c.z - NEAR / 10.0).abs() < 1e-15);
            assert!((ndc(m, f * NEAR).z - 1.0).abs() < 1e-12);
            assert!(ndc(m, f * 1e7).z < 1e-8);
            // The face's corner (right + up + forward) lands at ndc (1, 1).
            let k = ndc(m, r + u + f);
            assert!((k.x - 1.0).abs() < 1e-12 && (k.y - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn camera_view_proj_centres_the_optical_axis() {
        let q = crate::camera::pan_tilt_roll_to_quat(30.0, 10.0, 5.0);
        let t = Tangents {
            left: -0.5,
            right: 0.5,
            bottom: -0.3,
            top: 0.3,
        };
        let m = camera_view_proj(q, &t);
        let c = ndc(m, q * DVec3::NEG_Z * 3.0);
        assert!(c.x.abs() < 1e-9 && c.y.abs() < 1e-9);
        assert!((c.z - NEAR / 3.0).abs() < 1e-12);
        // Image up is the camera's +Y.
        let up = ndc(m, q * DVec3::new(0.0, 0.3, -1.0));
        assert!((up.y - 1.0).abs() < 1e-9);
    }
}
