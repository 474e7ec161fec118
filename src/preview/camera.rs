//! The Camera view: the simulated camera's picture (the lit wall through the lens, distortion
//! included) and, as a toggle, its difference against a direct render of the scene from the
//! camera, so that a wrong map, wrong geometry or a wrong delay shows up as bright error. The
//! images come from [`crate::render::Renderer::render_camera`] and
//! [`crate::render::Renderer::render_reference`]; this module places them and picks. No GPU.

use glam::{DVec2, DVec3, UVec2};

use super::gpu::PixelRect;
use crate::render::FrameInputs;

/// Gain applied to the difference image: an error of 1/8 of full scale shows as full brightness.
pub const DIFFERENCE_GAIN: f32 = 8.0;

/// The largest rectangle of the camera image's aspect that fits in `area`, centred.
pub fn fit(area: PixelRect, image: UVec2) -> PixelRect {
    if image.x == 0 || image.y == 0 {
        return area;
    }
    let s = (area.w / image.x as f32).min(area.h / image.y as f32);
    let (w, h) = ((image.x as f32 * s).floor(), (image.y as f32 * s).floor());
    PixelRect {
        x: (area.x + (area.w - w) * 0.5).floor(),
        y: (area.y + (area.h - h) * 0.5).floor(),
        w,
        h,
    }
}

/// The world ray (origin at the entrance pupil, direction) through window pixel `(px, py)` of the
/// camera image shown in `rect`: the pixel's distorted tangent, undistorted through the lens.
pub fn ray(inputs: &FrameInputs, rect: PixelRect, px: f64, py: f64) -> Option<(DVec3, DVec3)> {
    if !rect.contains(px, py) {
        return None;
    }
    let u = (px - rect.x as f64) / rect.w as f64;
    let v = (py - rect.y as f64) / rect.h as f64;
    let f = inputs.frame_tangents;
    let td = DVec2::new(f.left + u * f.width(), f.top - v * f.height());
    let t = inputs.lens.distortion.undistort_tangent(td)?;
    Some((
        inputs.eye,
        inputs.pose.rotation * DVec3::new(t.x, t.y, -1.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Overrides;

    #[test]
    fn the_image_centre_looks_along_the_optical_axis() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let stage = crate::stage::load(std::path::Path::new(path)).unwrap();
        let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
        let r = fit(
            PixelRect {
                x: 0.0,
                y: 0.0,
                w: 400.0,
                h: 400.0,
            },
            UVec2::new(300, 200),
        );
        assert_eq!((r.w, r.h), (400.0, 266.0));
        let (o, d) = ray(
            &inputs,
            r,
            (r.x + r.w * 0.5) as f64,
            (r.y + r.h * 0.5) as f64,
        )
        .unwrap();
        assert_eq!(o, inputs.eye);
        assert!((d.normalize() - inputs.pose.forward()).length() < 1e-9);
        assert!(ray(&inputs, r, -1.0, 0.0).is_none());
    }
}
