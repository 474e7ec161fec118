//! Several cameras: each draws its own inner frustum; where frusta overlap the higher priority is on
//! top and its soft edge blends over the lower one (reversed with `render.reverse_priority`).
//! Oracles: the CPU's `inner_weight` per LED pixel and camera, and a direction-coded environment (a
//! camera's inner shows the direction from its own entrance pupil, the outer the direction from the
//! outer viewpoint), composited by hand in drawing order.

use glam::DVec3;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions, inner_weight};
use parallax::stage::Stage;

use super::{direction_environment, gpu};

/// A flat wall and two cameras whose frusta overlap in the middle: A (priority 1) left of centre
/// looking right, B (priority 0) right of centre looking left.
fn stage(reverse: bool, frozen: bool) -> Stage {
    let text = format!(
        r#"Stage(name: "two cameras", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
     shape: Flat(columns: 12, rows: 8, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o"], rotation: 90))],
  outputs: [Output(name: "o", width: 256, height: 384)],
  cameras: [
    Camera(name: "A", position: (-0.4, 1.5, 0.0), rotation: PanTiltRoll(-6.0, 0.0, 0.0), priority: 1,
      lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0)),
      inner: Inner(resolution: (480, 320), overscan: Uniform(0.1), soft_edge: 0.1)),
    Camera(name: "B", position: (0.4, 1.4, 0.0), rotation: PanTiltRoll(6.0, 2.0, 0.0),
      lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0)),
      inner: Inner(resolution: (480, 320), overscan: Uniform(0.1), soft_edge: 0.1))],
  render: Render(outer_viewpoint: Fixed(0.0, 2.0, 1.0), outer_resolution: 256,
    reverse_priority: {reverse}, frozen_outer: {frozen}))"#
    );
    Stage::from_ron(&text, "two.ron").unwrap()
}

fn options() -> RendererOptions {
    RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        ..Default::default()
    }
}

/// The frame's cameras at rest: A first (primary), then B.
fn cameras(stage: &Stage) -> Vec<FrameInputs> {
    let a = FrameInputs::at_rest(stage, &Overrides::default()).unwrap();
    FrameInputs::with_stage_cameras(stage, a, |_| None).unwrap()
}

fn encode(d: DVec3) -> DVec3 {
    d * 0.5 + DVec3::splat(0.5)
}

/// A camera's soft-edge weight at an LED (0 where the panel faces away from its pupil).
fn weight(c: &FrameInputs, p: &parallax::stage::Panel, world: DVec3) -> f64 {
    if p.frame.normal().dot(c.eye - p.frame.top_left) <= 0.0 {
        return 0.0;
    }
    c.inner_uv(world)
        .map_or(0.0, |uv| inner_weight(uv, c.soft_edge))
}

/// Per LED: (weight of A, weight of B, rendered rgb, expected rgb with `order` drawn bottom first,
/// the LED's centre).
fn leds(
    stage: &Stage,
    cams: &[FrameInputs],
    order: [usize; 2],
    frame: &parallax::render::RenderedFrame,
) -> Vec<(f64, f64, DVec3, DVec3, DVec3)> {
    let mut out = Vec::new();
    let viewpoint = cams[0].outer_viewpoint;
    for p in &stage.panels {
        let img = &frame.outputs[p.placement.output].1;
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let world = p.pixel_centre(i, j);
                let mut expected = encode((world - viewpoint).normalize());
                for &k in &order {
                    let c = &cams[k];
                    let w = weight(c, p, world);
                    expected = expected.lerp(encode((world - c.eye).normalize()), w);
                }
                let o = p.placement.output_pixel(i, j);
                let g = img.linear(o.x as u32, o.y as u32);
                let got = DVec3::new(g[0] as f64, g[1] as f64, g[2] as f64);
                let (wa, wb) = (weight(&cams[0], p, world), weight(&cams[1], p, world));
                out.push((wa, wb, got, expected, world));
            }
        }
    }
    out
}

/// Both orders: with A's priority higher, the overlap shows A (B below it, its soft edge blending
/// over B's inner); reversed, B. Every LED within 0.003 of the hand composite; the overlap's LEDs
/// at full weight of both cameras show the top camera's direction, which differs from the other's.
#[test]
fn the_higher_priority_camera_is_on_top_where_frusta_overlap() {
    let gpu = gpu();
    for (reverse, order, top) in [(false, [1, 0], "A"), (true, [0, 1], "B")] {
        let stage = stage(reverse, false);
        let cams = cameras(&stage);
        assert_eq!(cams.len(), 2);
        assert_eq!((cams[0].priority, cams[1].priority), (1, 0));
        let mut r = Renderer::new(&gpu, &stage, options()).unwrap();
        r.prepare_cameras(&gpu, &cams).unwrap();
        let drawn: Vec<&str> = r.cameras().iter().map(|c| c.camera_name.as_str()).collect();
        assert_eq!(drawn[1], top, "drawn last (on top)");
        let scene = direction_environment(&gpu, &r);
        let frame = r.render_frame(&gpu, &scene).unwrap();
        let (mut worst, mut overlap, mut banded, mut distinct) = (0.0f64, 0, 0, 0);
        let low_cam = &cams[order[0]];
        for (wa, wb, got, expected, world) in leds(&stage, &cams, order, &frame) {
            worst = worst.max((got - expected).abs().max_element());
            if wa >= 1.0 && wb >= 1.0 {
                overlap += 1;
                // Not what the lower camera would show there.
                let low = encode((world - low_cam.eye).normalize());
                distinct += usize::from((got - low).abs().max_element() > 0.01);
            }
            banded +=
                usize::from(wa > 0.0 && wa < 1.0 && wb >= 1.0 || wb > 0.0 && wb < 1.0 && wa >= 1.0);
        }
        eprintln!(
            "{top} on top: worst {worst:.4}, {overlap} LEDs at full weight of both, {banded} in one's band over the other's inner"
        );
        assert!(worst < 0.003, "worst {worst}");
        assert!(overlap > 2000 && banded > 500, "{overlap} {banded}");
        // The overlap shows the top camera, not the lower one (their directions differ by more
        // than 0.01 at nearly every LED there).
        assert!(distinct * 100 >= overlap * 95, "{distinct} of {overlap}");
    }
}

/// Disabling a camera leaves the other exactly as a single-camera render: a renderer that drew A
/// and B, then A alone, gives the same bytes as a fresh renderer drawing only A; a stage with B
/// `enabled: false` resolves to A alone.
#[test]
fn a_disabled_camera_leaves_the_others_as_a_single_camera_render() {
    let gpu = gpu();
    let stage = stage(false, false);
    let cams = cameras(&stage);
    let mut both = Renderer::new(&gpu, &stage, options()).unwrap();
    let scene = direction_environment(&gpu, &both);
    both.prepare_cameras(&gpu, &cams).unwrap();
    let with_b = both.render_frame(&gpu, &scene).unwrap();
    both.prepare_cameras(&gpu, &cams[..1]).unwrap();
    let after = both.render_frame(&gpu, &scene).unwrap();
    let mut single = Renderer::new(&gpu, &stage, options()).unwrap();
    let scene_s = direction_environment(&gpu, &single);
    single.prepare(&gpu, &cams[0]).unwrap();
    let alone = single.render_frame(&gpu, &scene_s).unwrap();
    assert_eq!(after.outputs[0].1.bytes, alone.outputs[0].1.bytes);
    assert_ne!(
        with_b.outputs[0].1.bytes, alone.outputs[0].1.bytes,
        "B showed while enabled"
    );
    let mut off = stage.clone();
    off.cameras[1].enabled = false;
    let resolved = cameras(&off);
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].camera_name, "A");
    // The first camera disabled: B alone, and B is the camera used when none is named.
    let mut first_off = stage.clone();
    first_off.cameras[0].enabled = false;
    let resolved = cameras(&first_off);
    let names: Vec<&str> = resolved.iter().map(|c| c.camera_name.as_str()).collect();
    assert_eq!(names, ["B"]);
    // Five cameras are refused, not drawn wrongly.
    let five = vec![cams[0].clone(); 5];
    assert!(both.prepare_cameras(&gpu, &five).is_err());
}

/// With the outer frozen, the composite is clipped to the union of the cameras' frusta: two
/// cameras give the same outputs as the live renderer within 1e-3 (half-float bake).
#[test]
fn frozen_outer_with_two_cameras_matches_the_live_outer() {
    let gpu = gpu();
    let stage = stage(false, true);
    let cams = cameras(&stage);
    let mut frozen = Renderer::new(&gpu, &stage, options()).unwrap();
    let mut live = Renderer::new(&gpu, &stage, options()).unwrap();
    live.set_frozen_outer(false);
    let scene_f = direction_environment(&gpu, &frozen);
    let scene_l = direction_environment(&gpu, &live);
    frozen.prepare_cameras(&gpu, &cams).unwrap();
    live.prepare_cameras(&gpu, &cams).unwrap();
    let a = frozen.render_frame(&gpu, &scene_f).unwrap();
    let b = live.render_frame(&gpu, &scene_l).unwrap();
    let (x, y) = (&a.outputs[0].1, &b.outputs[0].1);
    let mut worst = 0.0f32;
    for py in 0..x.height {
        for px in 0..x.width {
            let (p, q) = (x.linear(px, py), y.linear(px, py));
            for c in 0..3 {
                worst = worst.max((p[c] - q[c]).abs());
            }
        }
    }
    eprintln!("two cameras, frozen vs live: worst {worst}");
    assert!(worst < 1e-3, "{worst}");
}

/// The two-camera stage with its output four regions wide: camera A, camera B, A keyed, a solid
/// colour. With `a_chroma`, camera A has chroma settings of its own (the default key, no markers).
fn remapped_stage_with(a_chroma: bool) -> Stage {
    let ron = r#"Stage(name: "two cameras", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
     shape: Flat(columns: 12, rows: 8, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o"], rotation: 90))],
  outputs: [Output(name: "o", width: 1024, height: 384, remap: Some(Remap(layout: Columns,
    subframes: [Camera("A"), Camera("B"), Chroma("A"), Solid(0.25, 0.5, 0.75)])))],
  cameras: [
    Camera(name: "A", position: (-0.4, 1.5, 0.0), rotation: PanTiltRoll(-6.0, 0.0, 0.0), priority: 1,
      lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0)),
      inner: Inner(resolution: (480, 320), overscan: Uniform(0.1), soft_edge: 0.1A_CHROMA)),
    Camera(name: "B", position: (0.4, 1.4, 0.0), rotation: PanTiltRoll(6.0, 2.0, 0.0),
      lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0)),
      inner: Inner(resolution: (480, 320), overscan: Uniform(0.1), soft_edge: 0.1))],
  render: Render(outer_viewpoint: Fixed(0.0, 2.0, 1.0), outer_resolution: 256))"#;
    let chroma = if a_chroma {
        ", chroma: Some(Chroma(colour: (0.0, 0.7, 0.1), markers: None))"
    } else {
        ""
    };
    Stage::from_ron(&ron.replace("A_CHROMA", chroma), "remapped.ron").unwrap()
}

fn remapped_stage() -> Stage {
    remapped_stage_with(false)
}

/// A remapped output carries four sub-frames side by side: camera A's view, camera B's, A's frustum
/// as a chroma key and a solid colour. Region k equals, bit for bit, the single-camera render of
/// that camera on a stage whose output is one region (the chroma region: A with a green key and no
/// markers); the solid region holds the colour on every cabinet pixel.
#[test]
fn a_remapped_output_carries_each_subframe_as_a_single_camera_render() {
    remapped_subframes_equal_single_camera_renders(false);
}

/// The same with camera A keyed on the wall (`inner.chroma`): its Camera sub-frame still shows its
/// scene (the hidden-frame use: scene in one sub-frame, key in another), its Chroma sub-frame the
/// key.
#[test]
fn a_chroma_camera_shows_its_scene_in_its_camera_subframe() {
    remapped_subframes_equal_single_camera_renders(true);
}

fn remapped_subframes_equal_single_camera_renders(a_chroma: bool) {
    let gpu = gpu();
    let plain = stage(false, false);
    let remapped = remapped_stage_with(a_chroma);
    let cams = cameras(&remapped);
    let mut r = Renderer::new(&gpu, &remapped, options()).unwrap();
    let scene = direction_environment(&gpu, &r);
    r.prepare_cameras(&gpu, &cams).unwrap();
    let multi = r.render_frame(&gpu, &scene).unwrap();
    let img = &multi.outputs[0].1;
    assert_eq!((img.width, img.height), (1024, 384));
    // Single-camera references on the plain stage (one 256 x 384 region).
    let single = |inputs: FrameInputs| {
        let mut s = Renderer::new(&gpu, &plain, options()).unwrap();
        let scene = direction_environment(&gpu, &s);
        s.prepare(&gpu, &inputs).unwrap();
        s.render_frame(&gpu, &scene).unwrap().outputs[0].1.clone()
    };
    let plain_cams = cameras(&plain);
    let key = parallax::stage::Chroma {
        colour: (0.0, 0.7, 0.1),
        markers: None,
    };
    let refs = [
        single(plain_cams[0].clone()),
        single(plain_cams[1].clone()),
        single(plain_cams[0].clone().with_chroma(Some(key))),
    ];
    let region = |k: u32| -> Vec<[f32; 4]> {
        (0..384)
            .flat_map(|y| (0..256).map(move |x| (x, y)))
            .map(|(x, y)| img.linear(k * 256 + x, y))
            .collect()
    };
    for (k, reference) in refs.iter().enumerate() {
        let want: Vec<[f32; 4]> = (0..384)
            .flat_map(|y| (0..256).map(move |x| (x, y)))
            .map(|(x, y)| reference.linear(x, y))
            .collect();
        let got = region(k as u32);
        let differing = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        eprintln!(
            "sub-frame {k}: {differing} of {} pixels differ from the single render",
            got.len()
        );
        assert_eq!(differing, 0, "sub-frame {k}");
    }
    // The regions differ from each other where the cameras' frusta are.
    assert_ne!(region(0), region(1));
    assert_ne!(region(0), region(2));
    // Solid: every cabinet pixel (this stage's cabinets cover the region) is the colour.
    let solid = region(3);
    assert!(
        solid.iter().all(|p| p[..3] == [0.25, 0.5, 0.75]),
        "solid region"
    );
}

/// With frame remapping, the simulated camera view of a camera reads the sub-frame that shows it:
/// camera B's view on the remapped stage (A drawn too) equals, bit for bit, its view on the
/// one-region stage with B alone.
#[test]
fn the_simulated_camera_reads_its_own_subframe() {
    let gpu = gpu();
    let with_camera = RendererOptions {
        camera: true,
        ..options()
    };
    let view_of_b = |stage: &Stage, others: bool| {
        let b = stage.camera("B").unwrap();
        let inputs = FrameInputs::resolve(stage, "B", &b.rest, &Overrides::default()).unwrap();
        let cams = if others {
            FrameInputs::with_stage_cameras(stage, inputs, |_| None).unwrap()
        } else {
            vec![inputs]
        };
        let mut r = Renderer::new(&gpu, stage, with_camera.clone()).unwrap();
        let scene = direction_environment(&gpu, &r);
        r.prepare_cameras(&gpu, &cams).unwrap();
        r.render_frame(&gpu, &scene).unwrap().camera.unwrap()
    };
    let remapped = view_of_b(&remapped_stage(), true);
    let alone = view_of_b(&stage(false, false), false);
    assert_eq!(remapped.bytes, alone.bytes);
    // Read from the first region (A's sub-frame), B's view would show A's frustum: different.
    let first_region = view_of_b(&stage(false, false), true);
    assert_ne!(
        first_region.bytes, alone.bytes,
        "A's frustum shows in B's view"
    );
}
