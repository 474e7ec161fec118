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

/// With the outer frozen, what the copied panels show (the outside bake) follows the frame's light
/// cards: a card that appears or moves is re-baked on that frame (an outside bake without a new
/// outer bake), an unchanged one is not, and every frame equals the live renderer's within one
/// code value. The card changes hundreds of pixels, so the comparison would see a stale bake.
#[test]
fn the_outside_bake_follows_the_light_cards() {
    use parallax::stage::{CardLayer, CardPlacement, CardShape, LightCard};
    let gpu = gpu();
    let mut stage = tiny();
    stage.render.frozen_outer = true;
    let options = RendererOptions {
        camera: false,
        ..Default::default()
    };
    let mut frozen = Renderer::new(&gpu, &stage, options.clone()).unwrap();
    let mut live = Renderer::new(&gpu, &stage, options).unwrap();
    live.set_frozen_outer(false);
    let spec = SceneSpec::default();
    let scene_f = parallax::scene::build(&frozen.scene_context(&gpu), &spec).unwrap();
    let scene_l = parallax::scene::build(&live.scene_context(&gpu), &spec).unwrap();
    let v = DVec3::new(0.2, 1.3, 0.8);
    let card = |azimuth_deg: f64| LightCard {
        name: "key".into(),
        shape: CardShape::Rectangle,
        placement: CardPlacement::Polar {
            origin: (0.2, 1.3, 0.8),
            azimuth_deg,
            elevation_deg: 0.0,
            size_deg: (12.0, 20.0),
            roll_deg: 0.0,
        },
        colour: (1.0, 0.9, 0.8),
        intensity_nits: 100.0,
        feather: 0.2,
        layer: CardLayer::Over,
    };
    // (cards, outside bakes after the frame)
    let frames = [
        (vec![], 1),
        (vec![card(-18.0)], 2),
        (vec![card(-18.0)], 2),
        (vec![card(-8.0)], 3),
    ];
    let mut images = Vec::new();
    for (cards, outside) in frames {
        let n_cards = cards.len();
        let inputs = frame_at(&stage, 0.0, 0.0, v).with_light_cards(cards);
        frozen.prepare(&gpu, &inputs).unwrap();
        live.prepare(&gpu, &inputs).unwrap();
        assert_eq!(frozen.outside_bakes(), outside);
        assert_eq!(frozen.outer_bakes(), 1, "the outer itself is baked once");
        let a = frozen.render_frame(&gpu, &scene_f).unwrap();
        let b = live.render_frame(&gpu, &scene_l).unwrap();
        let (worst, n) = diff(&a.outputs[0].1, &b.outputs[0].1);
        eprintln!("frozen vs live with {n_cards} card(s): {n} pixels differ, worst {worst}");
        assert!(worst <= 1, "worst difference {worst} code values");
        images.push(a.outputs[0].1.clone());
    }
    let (_, appeared) = diff(&images[0], &images[1]);
    let (_, moved) = diff(&images[1], &images[3]);
    eprintln!("pixels changed: card appeared {appeared}, card moved {moved}");
    assert!(appeared > 200 && moved > 200, "{appeared} {moved}");
}

/// The frozen path draws the composite only over the part of each cabinet where the inner frustum
/// may be seen (clipped in the vertex stage) and copies the outside bake elsewhere. On cabinets
/// placed rotated and mirrored in their outputs, flat and on an arc, with the frustum's edges
/// crossing cabinets, every output pixel equals the live renderer's within one code value. The
/// scene is direction-coded, so the inner (seen from the entrance pupil) and the outer (from the
/// outer viewpoint) differ at every LED: a clipped box that missed part of the frustum would show.
#[test]
fn frozen_outer_clips_the_composite_to_the_frustum_on_turned_cabinets() {
    let text = r#"Stage(name: "turned", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [
    (name: "W", panel_type: "P",
     shape: Flat(columns: 12, rows: 8, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o"], rotation: 90, mirror: true)),
    (name: "A", panel_type: "P",
     shape: Arc(centre: (0.0, 0.0), radius: 3.2, start_deg: 48.0, columns: 4, rows: 8, bottom: -0.5),
     placement: Auto(outputs: ["a"], rotation: 180))],
  outputs: [Output(name: "o", width: 256, height: 384), Output(name: "a", width: 128, height: 256)],
  cameras: [Camera(name: "A", position: (0.1, 1.4, 0.0), rotation: PanTiltRoll(4.0, -3.0, 6.0),
    lens: Lens(focal_length_mm: 50.0, sensor_mm: (36.0, 24.0)),
    inner: Inner(resolution: (480, 320), overscan: Uniform(0.1), soft_edge: 0.1))],
  render: Render(outer_viewpoint: Fixed(1.2, 2.4, 1.5), outer_resolution: 256, frozen_outer: true))"#;
    let stage = Stage::from_ron(text, "turned.ron").unwrap();
    let gpu = gpu();
    let options = RendererOptions {
        camera: false,
        wall: false,
        ..Default::default()
    };
    let mut frozen = Renderer::new(&gpu, &stage, options.clone()).unwrap();
    let mut live = Renderer::new(&gpu, &stage, options).unwrap();
    live.set_frozen_outer(false);
    let scene_f = super::direction_environment(&gpu, &frozen);
    let scene_l = super::direction_environment(&gpu, &live);
    let (mut worst, mut pixels) = (0u8, 0usize);
    for (x, pan, tilt, roll) in [
        (0.1, 4.0, -3.0, 6.0),
        (0.5, 38.0, 8.0, -20.0),
        (-0.4, -25.0, -9.0, 45.0),
    ] {
        let o = Overrides {
            camera_position: Some(DVec3::new(x, 1.4, 0.0)),
            camera_rotation: Some((pan, tilt, roll)),
            ..Default::default()
        };
        let inputs = FrameInputs::at_rest(&stage, &o).unwrap();
        frozen.prepare(&gpu, &inputs).unwrap();
        live.prepare(&gpu, &inputs).unwrap();
        let a = frozen.render_frame(&gpu, &scene_f).unwrap();
        let b = live.render_frame(&gpu, &scene_l).unwrap();
        for (p, q) in a.outputs.iter().zip(&b.outputs) {
            worst = worst.max(diff(&p.1, &q.1).0);
            pixels += (p.1.width * p.1.height) as usize;
        }
    }
    eprintln!(
        "turned cabinets, frozen vs live: {pixels} pixels over 3 poses, worst {worst} code value(s)"
    );
    assert_eq!(frozen.outer_bakes(), 1);
    assert!(worst <= 1, "worst difference {worst} code values");
}

/// A colour edit taken in place ([`Renderer::recolour`]) re-bakes the frozen outside, which holds
/// LUT-mapped pixels: with only the output's LUT table changed (the grades, which the outside
/// bake's key covers, unchanged), the next frame bakes the outside again and equals a new
/// renderer's frame of the edited stage; with a long lens most of the output is the outside bake,
/// so a stale one would show on thousands of pixels. An edit that drops the LUT changes the
/// pipelines' colour stages and cannot be taken in place.
#[test]
fn a_colour_edit_in_place_rebakes_the_outside() {
    use std::sync::Arc;
    let gpu = gpu();
    let mut stage = tiny();
    stage.render.frozen_outer = true;
    // 2^3 tables, red fastest: channels swapped (b, g, r), and red halved (r / 2, g, b).
    let swap = "LUT_3D_SIZE 2\n0 0 0\n0 0 1\n0 1 0\n0 1 1\n1 0 0\n1 0 1\n1 1 0\n1 1 1\n";
    let half = "LUT_3D_SIZE 2\n0 0 0\n0.5 0 0\n0 1 0\n0.5 1 0\n0 0 1\n0.5 0 1\n0 1 1\n0.5 1 1\n";
    let lut = |text: &str| {
        Some(Arc::new(
            parallax::colour::cube::parse_cube(text, "t").unwrap(),
        ))
    };
    stage.colour.outputs[0].lut = lut(swap);
    let mut edited = stage.clone();
    edited.colour.outputs[0].lut = lut(half);
    let options = RendererOptions {
        camera: false,
        wall: false,
        ..Default::default()
    };
    let spec = SceneSpec::default();
    let inputs = frame_at(&stage, 0.0, 0.0, DVec3::new(0.2, 1.3, 0.8));
    let mut r = Renderer::new(&gpu, &stage, options.clone()).unwrap();
    let scene = parallax::scene::build(&r.scene_context(&gpu), &spec).unwrap();
    r.prepare(&gpu, &inputs).unwrap();
    let before = r.render_frame(&gpu, &scene).unwrap().outputs.remove(0).1;
    assert_eq!(r.outside_bakes(), 1);
    let mut dropped = stage.clone();
    dropped.colour.outputs[0].lut = None;
    assert!(
        r.recolour_plan(&dropped).is_none(),
        "a LUT dropped in place"
    );
    let edit = r
        .recolour_plan(&edited)
        .expect("a LUT table edit is taken in place");
    r.recolour(&gpu, edit);
    r.prepare(&gpu, &inputs).unwrap();
    assert_eq!(r.outside_bakes(), 2, "the outside is baked again");
    assert_eq!(r.outer_bakes(), 1, "the outer itself is not");
    let after = r.render_frame(&gpu, &scene).unwrap().outputs.remove(0).1;
    let mut fresh = Renderer::new(&gpu, &edited, options).unwrap();
    let scene_f = parallax::scene::build(&fresh.scene_context(&gpu), &spec).unwrap();
    fresh.prepare(&gpu, &inputs).unwrap();
    let want = fresh
        .render_frame(&gpu, &scene_f)
        .unwrap()
        .outputs
        .remove(0)
        .1;
    let (worst, n) = diff(&after, &want);
    assert_eq!(
        (worst, n),
        (0, 0),
        "the edited frame differs from a new renderer's"
    );
    let (_, changed) = diff(&before, &after);
    eprintln!("a LUT edit in place changed {changed} pixels");
    assert!(changed > 1000, "{changed} pixels changed");
}
