//! The Stage view: the volume in 3D from an orbiting viewer. The cabinets (with their live LED
//! content) come from [`crate::render::Renderer::render_wall_view`]; this module adds the viewer,
//! the lines (the tracked camera's frustum, the inner frustum's outline on the wall, the outer
//! viewpoint, a floor grid) and picking. Pure maths, no GPU.

use glam::{DMat4, DVec2, DVec3, Vec4};

use crate::camera::{Tangents, pan_tilt_roll_to_quat};
use crate::render::FrameInputs;
use crate::render::view::camera_view_proj;
use crate::stage::Stage;

/// Vertical field of view of the orbiting viewer in degrees.
pub const ORBIT_FOV_DEG: f64 = 50.0;

/// A viewer orbiting a point of the stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Orbit {
    /// The point looked at.
    pub target: DVec3,
    /// Angle around +Y in radians (0: the viewer is on the +Z side of the target).
    pub yaw: f64,
    /// Elevation in radians (positive: above the target).
    pub pitch: f64,
    /// Distance from the target in metres.
    pub distance: f64,
}

impl Orbit {
    /// A viewer that frames the whole wall and the camera, from the audience side, a little above.
    pub fn framing(stage: &Stage, camera: DVec3) -> Orbit {
        let mut lo = camera;
        let mut hi = camera;
        for p in &stage.panels {
            let f = &p.frame;
            for c in [
                f.top_left,
                f.top_left + f.right,
                f.top_left + f.down,
                f.top_left + f.right + f.down,
            ] {
                lo = lo.min(c);
                hi = hi.max(c);
            }
        }
        let target = (lo + hi) * 0.5;
        // Frame the width and height; depth matters less seen from the front.
        let h = (hi - lo) * 0.5;
        let radius = h.x.max(h.y).max(h.z * 0.5).max(0.25);
        let distance = radius / (ORBIT_FOV_DEG.to_radians() * 0.5).tan() * 1.25;
        Orbit {
            target,
            yaw: 0.5,
            pitch: 0.35,
            distance,
        }
    }

    /// The viewer's position.
    pub fn eye(&self) -> DVec3 {
        let p = self.pitch.clamp(-1.5, 1.5);
        self.target
            + self.distance
                * DVec3::new(self.yaw.sin() * p.cos(), p.sin(), self.yaw.cos() * p.cos())
    }

    /// View-projection (eye-relative, depth 0..1) for a target of `aspect` = width / height.
    pub fn view_proj(&self, aspect: f64) -> DMat4 {
        let f = (self.target - self.eye()).normalize_or(DVec3::NEG_Z);
        let pan = (-f.x).atan2(-f.z).to_degrees();
        let tilt = f.y.clamp(-1.0, 1.0).asin().to_degrees();
        let t = (ORBIT_FOV_DEG.to_radians() * 0.5).tan();
        let a = aspect.max(1e-3);
        camera_view_proj(
            pan_tilt_roll_to_quat(pan, tilt, 0.0),
            &Tangents {
                left: -t * a,
                right: t * a,
                bottom: -t,
                top: t,
            },
        )
    }

    /// Turns the viewer by a mouse drag (pixels).
    pub fn drag(&mut self, dx: f64, dy: f64) {
        self.yaw -= dx * 0.005;
        self.pitch = (self.pitch + dy * 0.005).clamp(-1.5, 1.5);
    }

    /// Moves the viewer closer (positive steps) or further.
    pub fn zoom(&mut self, steps: f64) {
        self.distance = (self.distance * 0.9f64.powf(steps)).clamp(0.2, 5000.0);
    }
}

/// Where a ray meets the wall.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    /// Index of the panel in `stage.panels`.
    pub panel: usize,
    /// Distance along the ray (in units of the ray direction's length).
    pub t: f64,
    /// The stage point hit.
    pub point: DVec3,
    /// LED pixel (column, row) of the panel hit.
    pub pixel: (u32, u32),
}

/// The nearest cabinet hit by the ray `origin + t * dir`, `t > 0`.
pub fn ray_cast(stage: &Stage, origin: DVec3, dir: DVec3) -> Option<Hit> {
    let mut best: Option<Hit> = None;
    for (k, p) in stage.panels.iter().enumerate() {
        let f = &p.frame;
        let n = f.right.cross(f.down);
        let denom = n.dot(dir);
        if denom.abs() < 1e-12 {
            continue;
        }
        let t = n.dot(f.top_left - origin) / denom;
        if t <= 0.0 || best.is_some_and(|b| b.t <= t) {
            continue;
        }
        let q = origin + t * dir - f.top_left;
        let u = q.dot(f.right) / f.right.length_squared();
        let v = q.dot(f.down) / f.down.length_squared();
        if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
            let i = ((u * p.pixels.x as f64) as u32).min(p.pixels.x.saturating_sub(1));
            let j = ((v * p.pixels.y as f64) as u32).min(p.pixels.y.saturating_sub(1));
            best = Some(Hit {
                panel: k,
                t,
                point: origin + t * dir,
                pixel: (i, j),
            });
        }
    }
    best
}

/// The world direction through normalised device coordinates `ndc` of a view.
pub fn ray_direction(view_proj: DMat4, ndc: DVec2) -> DVec3 {
    let p = view_proj.inverse() * glam::DVec4::new(ndc.x, ndc.y, 0.5, 1.0);
    (p.truncate() / p.w).normalize_or(DVec3::NEG_Z)
}

/// Colour of the tracked camera's frustum lines (linear RGBA).
pub const FRUSTUM_COLOUR: Vec4 = Vec4::new(1.0, 0.8, 0.0, 1.0);
/// Colour of the inner frustum's outline on the wall.
pub const OUTLINE_COLOUR: Vec4 = Vec4::new(0.0, 1.0, 0.3, 1.0);
/// Colour of the outer viewpoint's marker.
pub const OUTER_COLOUR: Vec4 = Vec4::new(1.0, 0.1, 0.9, 1.0);
/// Colour of the floor grid.
pub const GRID_COLOUR: Vec4 = Vec4::new(0.12, 0.12, 0.14, 1.0);

/// Line segments (pairs of points with a colour) drawn over the Stage view.
pub fn lines(stage: &Stage, inputs: &FrameInputs, grid_centre: DVec3) -> Vec<(DVec3, Vec4)> {
    let mut out = Vec::new();
    let mut seg = |a: DVec3, b: DVec3, c: Vec4| {
        out.push((a, c));
        out.push((b, c));
    };
    // Floor grid, 1 m cells, 10 m around the stage's centre.
    let (cx, cz) = (grid_centre.x.round(), grid_centre.z.round());
    for k in -5..=5 {
        let k = k as f64;
        seg(
            DVec3::new(cx + k, 0.0, cz - 5.0),
            DVec3::new(cx + k, 0.0, cz + 5.0),
            GRID_COLOUR,
        );
        seg(
            DVec3::new(cx - 5.0, 0.0, cz + k),
            DVec3::new(cx + 5.0, 0.0, cz + k),
            GRID_COLOUR,
        );
    }
    // The tracked camera: a small body and its frustum to the wall.
    let eye = inputs.eye;
    let q = inputs.pose.rotation;
    let t = inputs.inner_tangents;
    let dir = |x: f64, y: f64| q * DVec3::new(x, y, -1.0);
    let reach = |d: DVec3| ray_cast(stage, eye, d).map_or(eye + d.normalize() * 3.0, |h| h.point);
    let corners = [
        dir(t.left, t.top),
        dir(t.right, t.top),
        dir(t.right, t.bottom),
        dir(t.left, t.bottom),
    ];
    for c in corners {
        seg(eye, reach(c), FRUSTUM_COLOUR);
    }
    let s = 0.15;
    for k in 0..4 {
        seg(
            eye + corners[k] * s,
            eye + corners[(k + 1) % 4] * s,
            FRUSTUM_COLOUR,
        );
    }
    // The inner frustum's outline where it lands on the wall.
    const STEPS: usize = 24;
    for k in 0..4 {
        let (a, b) = (corners[k], corners[(k + 1) % 4]);
        let mut prev: Option<DVec3> = None;
        for i in 0..=STEPS {
            let d = a.lerp(b, i as f64 / STEPS as f64);
            let hit = ray_cast(stage, eye, d).map(|h| h.point);
            if let (Some(p), Some(h)) = (prev, hit) {
                seg(p, h, OUTLINE_COLOUR);
            }
            prev = hit;
        }
    }
    // The outer viewpoint: a small three-axis cross.
    let o = inputs.outer_viewpoint;
    for axis in [DVec3::X, DVec3::Y, DVec3::Z] {
        seg(o - axis * 0.2, o + axis * 0.2, OUTER_COLOUR);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Overrides;

    fn tiny() -> Stage {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        crate::stage::load(std::path::Path::new(path)).unwrap()
    }

    #[test]
    fn the_orbit_looks_at_its_target() {
        let o = Orbit {
            target: DVec3::new(1.0, 2.0, -3.0),
            yaw: 0.7,
            pitch: 0.3,
            distance: 5.0,
        };
        let m = o.view_proj(1.5);
        let c = m * (o.target - o.eye()).extend(1.0);
        assert!((c.x / c.w).abs() < 1e-9 && (c.y / c.w).abs() < 1e-9);
        assert!(c.z / c.w > 0.0 && c.z / c.w < 1.0);
    }

    #[test]
    fn a_ray_through_a_panel_centre_hits_that_panel() {
        let stage = tiny();
        let eye = DVec3::new(0.0, 1.0, 0.5);
        for (k, p) in stage.panels.iter().enumerate() {
            let (w, h) = (p.pixels.x, p.pixels.y);
            let target = p.frame.pixel_centre(3, 5, w, h);
            let hit = ray_cast(&stage, eye, target - eye).expect("hit");
            assert_eq!(hit.panel, k, "{}", p.id);
            assert!((hit.point - target).length() < 1e-9);
            assert_eq!(hit.pixel, (3, 5));
        }
    }

    #[test]
    fn the_frustum_outline_lies_on_the_wall_inside_the_inner_frustum() {
        let stage = tiny();
        // A long lens low enough that the frustum's sides cross the wall.
        let o = Overrides {
            focal_length_mm: Some(100.0),
            camera_position: Some(DVec3::new(0.0, 0.75, 0.5)),
            ..Default::default()
        };
        let inputs = FrameInputs::at_rest(&stage, &o).unwrap();
        let l = lines(&stage, &inputs, DVec3::ZERO);
        let outline: Vec<DVec3> = l
            .iter()
            .filter(|(_, c)| *c == OUTLINE_COLOUR)
            .map(|(p, _)| *p)
            .collect();
        assert!(!outline.is_empty());
        for p in outline {
            let uv = inputs.inner_uv(p).expect("in front of the camera");
            // On the frustum's border: one coordinate at 0 or 1.
            let edge = [uv.x, 1.0 - uv.x, uv.y, 1.0 - uv.y]
                .iter()
                .fold(f64::MAX, |m, v| m.min(v.abs()));
            assert!(edge < 1e-6, "{uv:?}");
        }
    }
}
