//! Where an LED pixel lands in the inner frustum and how large it is there: the CPU mirror of the
//! composite's analytic footprint (`uv_derivative` and `facing` in `shaders/composite.wgsl`), pure
//! and GPU-free. See `docs/rendering.md`, "Sampling".

use glam::{DVec2, DVec3};

use crate::render::FrameInputs;
use crate::stage::{Panel, PanelFrame};

/// An LED pixel's footprint in the inner frustum's uv (`(0, 0)` top-left, `(1, 1)` bottom-right).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Footprint {
    /// uv of the pixel's centre.
    pub uv: DVec2,
    /// Change of uv from one LED column to the next (along the panel's `right` edge).
    pub per_column: DVec2,
    /// Change of uv from one LED row to the next (along the panel's `down` edge).
    pub per_row: DVec2,
}

/// Whether the panel's front (`normalize(down x right)`, conventions.md) faces `eye`: cabinets that
/// face away from the entrance pupil show the outer, not the inner frustum.
pub fn faces(frame: &PanelFrame, eye: DVec3) -> bool {
    frame.down.cross(frame.right).dot(eye - frame.top_left) > 0.0
}

/// The footprint of LED pixel `(i, j)` of `panel` in the inner frustum of `inputs`: the projection
/// `uv = to_uv(x / -z, y / -z)` of the camera-space point and its derivatives by the quotient rule,
/// `d(x / -z) = (dx (-z) + x dz) / z^2`. `None` when the pixel's centre is not in front of the eye.
pub fn led_footprint(inputs: &FrameInputs, panel: &Panel, i: u32, j: u32) -> Option<Footprint> {
    let to_camera = |v: DVec3| inputs.pose.rotation.inverse() * v;
    let c = to_camera(panel.pixel_centre(i, j) - inputs.eye);
    if c.z >= -1e-9 {
        return None;
    }
    let t = inputs.inner_tangents;
    let tangent = |c: DVec3| DVec2::new(c.x / -c.z, c.y / -c.z);
    let derivative = |dc: DVec3| {
        let dt = DVec2::new(
            (dc.x * -c.z + c.x * dc.z) / (c.z * c.z),
            (dc.y * -c.z + c.y * dc.z) / (c.z * c.z),
        );
        DVec2::new(dt.x / t.width(), -dt.y / t.height())
    };
    Some(Footprint {
        uv: t.to_uv(tangent(c)),
        per_column: derivative(to_camera(panel.frame.right / panel.pixels.x as f64)),
        per_row: derivative(to_camera(panel.frame.down / panel.pixels.y as f64)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Overrides;

    fn tiny() -> crate::stage::Stage {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        crate::stage::load(std::path::Path::new(path)).unwrap()
    }

    /// The analytic derivatives equal central differences of `FrameInputs::inner_uv` over a tenth
    /// of an LED pixel, on every panel of a rolled, shifted, tilted view.
    #[test]
    fn derivatives_match_finite_differences() {
        let stage = tiny();
        let o = Overrides {
            camera_rotation: Some((12.0, -7.0, 15.0)),
            ..Default::default()
        };
        let inputs = FrameInputs::at_rest(&stage, &o).unwrap();
        let mut checked = 0;
        for p in &stage.panels {
            let (w, h) = (p.pixels.x as f64, p.pixels.y as f64);
            for (i, j) in [
                (0, 0),
                (p.pixels.x / 2, 3),
                (p.pixels.x - 1, p.pixels.y - 1),
            ] {
                let Some(f) = led_footprint(&inputs, p, i, j) else {
                    continue;
                };
                let at = |di: f64, dj: f64| {
                    let u = (i as f64 + 0.5 + di) / w;
                    let v = (j as f64 + 0.5 + dj) / h;
                    inputs.inner_uv(p.frame.point(u, v)).unwrap()
                };
                let e = 0.05;
                assert!((at(0.0, 0.0) - f.uv).length() < 1e-12);
                let col = (at(e, 0.0) - at(-e, 0.0)) / (2.0 * e);
                let row = (at(0.0, e) - at(0.0, -e)) / (2.0 * e);
                let scale = f.per_column.length().max(f.per_row.length());
                assert!((col - f.per_column).length() < 1e-6 * scale, "{}", p.id);
                assert!((row - f.per_row).length() < 1e-6 * scale, "{}", p.id);
                checked += 1;
            }
        }
        assert!(checked > 10, "{checked}");
    }

    #[test]
    fn a_panel_faces_the_side_its_normal_points_to() {
        // A panel in the plane z = -3, right along +x and down along -y: its front faces +z.
        let f = PanelFrame {
            top_left: DVec3::new(-1.0, 2.0, -3.0),
            right: DVec3::new(2.0, 0.0, 0.0),
            down: DVec3::new(0.0, -1.0, 0.0),
        };
        assert!(faces(&f, DVec3::new(0.3, 1.5, 0.0)));
        assert!(!faces(&f, DVec3::new(0.3, 1.5, -5.0)));
        // Mirrored (right along -x): the front faces -z.
        let m = PanelFrame {
            right: -f.right,
            ..f
        };
        assert!(!faces(&m, DVec3::new(0.3, 1.5, 0.0)));
    }
}
