//! What tracking adds to a frame: the simulated camera view drawn from the camera as its own video
//! sees it (`video_delay`), and the inner frustum widened for camera speed.

use glam::{DQuat, DVec3};
use parallax::camera::{CameraState, Pose, Tangents, pan_tilt_roll_to_quat};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::stage::Stage;

use super::{FLAT_STAGE, decode_direction, direction_environment, gpu};

/// The wall's camera is at rest; the video camera (where the camera was when its picture was taken)
/// is 2 degrees of pan and 5 cm to the left. Every camera-view pixel whose ray (from the video
/// camera's entrance pupil) hits the wall inside the wall camera's full-weight frustum must show the
/// direction from the *wall camera's* entrance pupil to that wall point: the LED shows the frustum
/// rendered for the wall camera, seen by the video camera. Oracle: ray-plane intersection on the CPU.
#[test]
fn the_camera_view_is_seen_from_the_video_camera() {
    let gpu = gpu();
    let stage = Stage::from_ron(FLAT_STAGE, "flat.ron").unwrap();
    let (w, h) = (192u32, 128u32);
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera_width: Some(w),
        camera_supersample: 1,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let cam = stage.camera_or_first(None).unwrap();
    let wall_state = cam.rest;
    let (pan, tilt, roll) = parallax::camera::quat_to_pan_tilt_roll(wall_state.pose.rotation);
    let video_state = CameraState {
        pose: Pose {
            position: wall_state.pose.position - DVec3::new(0.05, 0.0, 0.0),
            rotation: pan_tilt_roll_to_quat(pan + 2.0, tilt, roll),
        },
        lens: wall_state.lens,
    };
    let o = Overrides::default();
    let inputs = FrameInputs::resolve(&stage, &cam.name, &wall_state, &o)
        .unwrap()
        .with_video(&video_state, &o)
        .unwrap();
    assert_eq!(inputs.video.pose.position, video_state.pose.position);
    renderer.prepare(&gpu, &inputs).unwrap();
    let scene = direction_environment(&gpu, &renderer);
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let img = frame.camera.expect("camera view");
    assert_eq!((img.width, img.height), (w, h));

    // The wall: the plane z = -3 (a flat section centred at (0, 1.5, -3), 5 m x 3.5 m).
    let hit = |origin: DVec3, dir: DVec3| -> Option<DVec3> {
        let s = (-3.0 - origin.z) / dir.z;
        let p = origin + dir * s;
        (s > 0.0 && p.x.abs() < 2.45 && (p.y - 1.5).abs() < 1.7).then_some(p)
    };
    let (mut checked, mut worst, mut wrong_best) = (0, 0.0f64, f64::MAX);
    let (soft, margin) = (inputs.soft_edge, 0.01);
    for j in (0..h).step_by(3) {
        for i in (0..w).step_by(3) {
            let v = &inputs.video;
            let Some(p) = hit(
                v.eye,
                pixel_ray(v.pose.rotation, &v.frame_tangents, i, j, w, h),
            ) else {
                continue;
            };
            let Some(uv) = inputs.inner_uv(p) else {
                continue;
            };
            if uv.min_element() < soft + margin || uv.max_element() > 1.0 - soft - margin {
                continue;
            }
            let want = (p - inputs.eye).normalize();
            let got = decode_direction(img.linear(i, j));
            worst = worst.max(got.angle_between(want));
            // What the wall camera itself would have seen at this pixel (the bug this guards).
            let r = pixel_ray(inputs.pose.rotation, &inputs.frame_tangents, i, j, w, h);
            if let Some(q) = hit(inputs.eye, r) {
                wrong_best = wrong_best.min(got.angle_between((q - inputs.eye).normalize()));
            }
            checked += 1;
        }
    }
    eprintln!(
        "video camera: {checked} pixels, worst {worst:.4} rad; seen from the wall camera instead: \
         at best {wrong_best:.4} rad off"
    );
    assert!(checked > 1000, "{checked}");
    assert!(worst < 0.01, "worst {worst} rad");
    assert!(
        wrong_best > 0.02,
        "the view from the wall camera would also pass ({wrong_best})"
    );
}

/// Stage direction of the centre of pixel `(i, j)` of a `w x h` pinhole picture covering `t`.
fn pixel_ray(rotation: DQuat, t: &Tangents, i: u32, j: u32, w: u32, h: u32) -> DVec3 {
    rotation
        * DVec3::new(
            t.left + (i as f64 + 0.5) / w as f64 * (t.right - t.left),
            t.top - (j as f64 + 0.5) / h as f64 * (t.top - t.bottom),
            -1.0,
        )
}

/// Speed overscan: every side widens by the given half-angle (by hand: `tan(atan(t) + a)`), the
/// overscan and the inner target follow, the pixel budget is kept, and 0 changes nothing.
#[test]
fn speed_overscan_widens_every_side_by_the_angle() {
    let stage = Stage::from_ron(FLAT_STAGE, "flat.ron").unwrap();
    let base = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    assert_eq!(base.clone().with_speed_overscan(0.0), base);
    assert_eq!(base.clone().with_speed_overscan(f64::NAN), base);
    let a = 3.0f64;
    let wide = base.clone().with_speed_overscan(a);
    let (b, t) = (base.inner_tangents, wide.inner_tangents);
    for (got, was, sign) in [
        (t.left, b.left, -1.0),
        (t.right, b.right, 1.0),
        (t.bottom, b.bottom, -1.0),
        (t.top, b.top, 1.0),
    ] {
        let want = (was.atan() + sign * a.to_radians()).tan();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    assert_eq!(wide.frame_tangents, base.frame_tangents);
    assert_eq!(
        wide.frame_tangents.expanded(&wide.overscan),
        wide.inner_tangents
    );
    let texels = |r: glam::UVec2| r.x as f64 * r.y as f64;
    let budget = texels(base.inner_budget);
    assert!((texels(wide.inner_resolution) / budget - 1.0).abs() < 0.02);
    assert_eq!(wide.speed_overscan_deg, a);
    // A huge angle stops at the limit on each side rather than folding over.
    let huge = base.with_speed_overscan(170.0);
    let limit = parallax::render::inputs::MAX_HALF_ANGLE_DEG
        .to_radians()
        .tan();
    assert!((huge.inner_tangents.right - limit).abs() < 1e-9);
    assert!((huge.inner_tangents.left + limit).abs() < 1e-9);
}
