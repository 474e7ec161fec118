//! View matrices for the passes: pure maths over glam types, mirrored by `shaders/common.wgsl`.
//! Every view maps positions relative to its eye: `clip = view_proj * (world - eye, 1)`, which keeps
//! f32 precision on large stages.

use glam::{DMat4, DQuat, DVec3, DVec4};

use crate::camera::Tangents;

/// Near plane of every view in metres.
pub const NEAR: f64 = 0.05;
/// Far plane of every view in metres.
pub const FAR: f64 = 2000.0;

/// Size in bytes of the `View` uniform (two matrices and the eye).
pub const VIEW_UNIFORM_SIZE: u64 = std::mem::size_of::<ViewUniform>() as u64;
/// Stride between views in the uniform buffer (the dynamic-offset alignment).
pub const VIEW_STRIDE: u64 = 256;

/// The `View` uniform of `shaders/common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ViewUniform {
    /// Clip from eye-relative world.
    pub view_proj: [[f32; 4]; 4],
    /// Inverse of `view_proj`.
    pub inv_view_proj: [[f32; 4]; 4],
    /// Eye position (w unused).
    pub eye: [f32; 4],
}

impl ViewUniform {
    /// Packs a view.
    pub fn new(view_proj: DMat4, eye: DVec3) -> ViewUniform {
        ViewUniform {
            view_proj: view_proj.as_mat4().to_cols_array_2d(),
            inv_view_proj: view_proj.inverse().as_mat4().to_cols_array_2d(),
            eye: [eye.x as f32, eye.y as f32, eye.z as f32, 1.0],
        }
    }
}

/// Off-axis view-projection of a camera with world-from-camera `rotation` over `tangents`.
pub fn camera_view_proj(rotation: DQuat, tangents: &Tangents) -> DMat4 {
    tangents.projection(NEAR, FAR) * DMat4::from_quat(rotation.inverse())
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

/// View-projection of cube face `face` (90 degree square frustum, depth 0..1 from NEAR to FAR).
pub fn cube_face_view_proj(face: usize) -> DMat4 {
    let (r, u, f) = cube_face_basis(face);
    let a = FAR / (FAR - NEAR);
    let b = -FAR * NEAR / (FAR - NEAR);
    DMat4::from_cols(
        DVec4::new(r.x, u.x, a * f.x, f.x),
        DVec4::new(r.y, u.y, a * f.y, f.y),
        DVec4::new(r.z, u.z, a * f.z, f.z),
        DVec4::new(0.0, 0.0, b, 0.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cube_faces_cover_their_axis_and_depth_runs_zero_to_one() {
        for face in 0..6 {
            let (_, _, f) = cube_face_basis(face);
            let m = cube_face_view_proj(face);
            let c = m * (f * 10.0).extend(1.0);
            assert!((c.x / c.w).abs() < 1e-12 && (c.y / c.w).abs() < 1e-12);
            let n = m * (f * NEAR).extend(1.0);
            assert!((n.z / n.w).abs() < 1e-9);
            let far = m * (f * FAR).extend(1.0);
            assert!((far.z / far.w - 1.0).abs() < 1e-9);
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
        let c = m * (q * DVec3::NEG_Z * 3.0).extend(1.0);
        assert!((c.x / c.w).abs() < 1e-9 && (c.y / c.w).abs() < 1e-9);
        // Image up is the camera's +Y.
        let up = m * (q * DVec3::new(0.0, 0.3, -1.0)).extend(1.0);
        assert!((up.y / up.w - 1.0).abs() < 1e-9);
    }
}
