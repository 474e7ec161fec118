//! Frozen outer: the baked outer gives the same outputs as the live cube map (within one 8-bit code
//! value) while the camera moves, and bakes once per scene and outer viewpoint. Oracle: the live
//! path of a second renderer, independent of the bake.

use std::path::Path;

use glam::DVec3;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::SceneSpec;
use parallax::stage::Stage;

use super::gpu;

fn tiny() -> Stage {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    parallax::stage::load(&p).unwrap()
}

fn frame_at(stage: &Stage, x: f64, pan: f64, viewpoint: DVec3) -> FrameInputs {
    let o = Overrides {
        camera_position: Some(DVec3::new(x, 1.0, 0.5)),
        camera_rotation: Some((pan, 2.0, 0.0)),
        outer_viewpoint: Some(viewpoint),
        outer_resolution: Some(128),
        // A long lens: most of the wall shows the outer.
        focal_length_mm: Some(70.0),
        ..Default::default()
    };
    FrameInputs::at_rest(stage, &o).unwrap()
}

/// Largest difference in code values between two 8-bit images, and how many pixels differ.
fn diff(a: &parallax::render::ReadImage, b: &parallax::render::ReadImage) -> (u8, usize) {
    let mut worst = 0u8;
    let mut n = 0;
    for (p, q) in a.bytes.chunks(4).zip(b.bytes.chunks(4)) {
        let d = p.iter().zip(q).map(|(x, y)| x.abs_diff(*y)).max().unwrap();
        worst = worst.max(d);
        n += usize::from(d > 0);
    }
    (worst, n)
}

#[test]
fn frozen_outer_matches_the_live_outer_and_bakes_once() {
    let gpu = gpu();
    let mut stage = tiny();
    stage.render.frozen_outer = true;
    let options = RendererOptions {
        camera: false,
        ..Default::default()
    };
    let mut frozen = Renderer::new(&gpu, &stage, options.clone()).unwrap();
    assert!(
        frozen.frozen_outer(),
        "the stage file's setting is the initial state"
    );
    let mut live = Renderer::new(&gpu, &stage, options).unwrap();
    live.set_frozen_outer(false);
    let spec = SceneSpec::default();
    let scene_f = parallax::scene::build(&frozen.scene_context(&gpu), &spec).unwrap();
    let scene_l = parallax::scene::build(&live.scene_context(&gpu), &spec).unwrap();
    let v1 = DVec3::new(0.2, 1.3, 0.8);
    let v2 = DVec3::new(-0.4, 1.1, 0.2);
    // Camera moving over four frames at v1, then the outer viewpoint moves, then the scene
    // "changes" (invalidate): bakes 1, 1, 1, 1, 2, 3.
    let poses = [
        (0.0, 0.0, v1, false, 1),
        (0.1, 3.0, v1, false, 1),
        (0.2, 6.0, v1, false, 1),
        (0.3, 9.0, v1, false, 1),
        (0.3, 9.0, v2, false, 2),
        (0.1, -4.0, v2, true, 3),
    ];
    let (mut worst, mut differing, mut pixels) = (0u8, 0usize, 0usize);
    for (x, pan, v, invalidate, bakes) in poses {
        let inputs = frame_at(&stage, x, pan, v);
        if invalidate {
            frozen.invalidate_outer();
        }
        frozen.prepare(&gpu, &inputs).unwrap();
        live.prepare(&gpu, &inputs).unwrap();
        assert_eq!(
            frozen.outer_bakes(),
            bakes,
            "bakes after the frame at x {x}"
        );
        assert_eq!(live.outer_bakes(), 0);
        let a = frozen.render_frame(&gpu, &scene_f).unwrap();
        let b = live.render_frame(&gpu, &scene_l).unwrap();
        let images = a.outputs.iter().map(|o| &o.1).chain(a.wall.iter());
        let others = b.outputs.iter().map(|o| &o.1).chain(b.wall.iter());
        for (p, q) in images.zip(others) {
            let (w, n) = diff(p, q);
            worst = worst.max(w);
            differing += n;
            pixels += (p.width * p.height) as usize;
        }
    }
    eprintln!(
        "frozen vs live outer: {pixels} output and wall pixels over 6 frames, {differing} differ, \
         worst {worst} code value(s); {} bakes",
        frozen.outer_bakes()
    );
    assert!(worst <= 1, "worst difference {worst} code values");
    // Unfreezing and freezing again bakes again.
    frozen.set_frozen_outer(false);
    frozen.set_frozen_outer(true);
    frozen
        .prepare(&gpu, &frame_at(&stage, 0.0, 0.0, v2))
        .unwrap();
    assert_eq!(frozen.outer_bakes(), 4);
}

/// The frozen outer is what the cube map gave when it was baked: after the scene changes (one flat
/// colour to another) without `invalidate_outer`, the outer still shows the old scene (so the bake
/// is really what is read), and the inner the new one.
#[test]
fn frozen_outer_keeps_the_baked_scene_until_invalidated() {
    let gpu = gpu();
    let mut stage = tiny();
    stage.render.frozen_outer = true;
    let options = RendererOptions {
        camera: false,
        wall: false,
        ..Default::default()
    };
    let mut r = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = frame_at(&stage, 0.0, 0.0, DVec3::new(0.2, 1.3, 0.8));
    let flat = |c: f32| {
        let img = image::Rgba32FImage::from_pixel(8, 4, image::Rgba([c, 0.5, 0.2, 1.0]));
        let env = parallax::scene::Environment::from_image(
            &r.scene_context(&gpu),
            &image::DynamicImage::ImageRgba32F(img),
            0.0,
        )
        .unwrap();
        parallax::scene::SceneList {
            parts: vec![Box::new(env)],
        }
    };
    let with_boxes = flat(0.9);
    let sky_only = flat(0.1);
    r.prepare(&gpu, &inputs).unwrap();
    let first = r.render_frame(&gpu, &with_boxes).unwrap();
    r.prepare(&gpu, &inputs).unwrap();
    let stale = r.render_frame(&gpu, &sky_only).unwrap();
    r.invalidate_outer();
    r.prepare(&gpu, &inputs).unwrap();
    let fresh = r.render_frame(&gpu, &sky_only).unwrap();
    r.set_frozen_outer(false);
    r.prepare(&gpu, &inputs).unwrap();
    let live = r.render_frame(&gpu, &sky_only).unwrap();
    let (_, n_fresh) = diff(&fresh.outputs[0].1, &live.outputs[0].1);
    let (w_fresh, _) = diff(&fresh.outputs[0].1, &live.outputs[0].1);
    let (_, n_stale) = diff(&stale.outputs[0].1, &live.outputs[0].1);
    let (_, n_first) = diff(&first.outputs[0].1, &live.outputs[0].1);
    eprintln!(
        "pixels differing from live sky-only: stale {n_stale}, first {n_first}, re-baked {n_fresh}"
    );
    assert!(w_fresh <= 1);
    let out = &stale.outputs[0].1;
    let (mut old, mut new) = (0, 0);
    for px in out.bytes.chunks(4) {
        let r = parallax::render::srgb_to_linear(px[0] as f32 / 255.0);
        old += usize::from((r - 0.9).abs() < 0.01);
        new += usize::from((r - 0.1).abs() < 0.01);
    }
    eprintln!("stale frame: {old} pixels of the baked (old) outer, {new} of the new inner");
    assert!(
        n_stale > 100 && old > 100 && new > 100,
        "{n_stale} {old} {new}"
    );
}
