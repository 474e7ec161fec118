//! The composite's choice of viewpoint per LED pixel: back-facing cabinets show the outer, and the
//! blend band equals `mix(outer, inner, w)` with `w` from the CPU's `inner_weight`. Oracles: the
//! direction-coded environment (directions from the entrance pupil and the outer viewpoint).

use glam::DVec3;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions, inner_weight};
use parallax::scene::SceneList;
use parallax::stage::Stage;

use super::{decode_direction, direction_environment, gpu};

// ---- Back-facing cabinets ----

const BACK_FACING_STAGE: &str = r#"
Stage(
  name: "Back-facing test", frame_rate: 60.0,
  panel_types: [PanelType(name: "T", width_mm: 250.0, height_mm: 250.0, pixels: (16, 16))],
  sections: [
    (name: "Front", panel_type: "T",
     shape: Flat(columns: 8, rows: 4, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o1"])),
    (name: "Back", panel_type: "T",
     shape: Flat(columns: 2, rows: 2, position: (0.0, 1.5, -2.0), anchor: Centre,
       rotation: PanTiltRoll(180.0, 0.0, 0.0)),
     placement: Auto(outputs: ["o2"])),
    (name: "Edge", panel_type: "T",
     shape: Flat(columns: 2, rows: 2, position: (0.5, 1.5, -1.5), anchor: Centre,
       rotation: PanTiltRoll(100.0, 0.0, 0.0)),
     placement: Auto(outputs: ["o2"], origin: (32, 0))),
  ],
  outputs: [Output(name: "o1", width: 128, height: 64), Output(name: "o2", width: 64, height: 32)],
  cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0),
    lens: Lens(focal_length_mm: 20.0, sensor_mm: (36.0, 24.0)),
    inner: Inner(resolution: (192, 128), overscan: Uniform(0.1), soft_edge: 0.0))],
  render: Render(outer_viewpoint: Fixed(0.4, 1.2, -4.5), outer_resolution: 64),
)
"#;

/// Cabinets whose front (`normalize(down x right)`) faces away from the entrance pupil show the
/// outer (the direction from the outer viewpoint) even where they project inside the inner frustum;
/// cabinets facing the pupil show the inner there.
#[test]
fn back_facing_cabinets_show_the_outer() {
    let gpu = gpu();
    let stage = Stage::from_ron(BACK_FACING_STAGE, "back.ron").unwrap();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let scene = direction_environment(&gpu, &renderer);
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let (mut front, mut back) = (0, 0);
    for p in &stage.panels {
        let facing = p.frame.normal().dot(inputs.eye - p.frame.top_left) > 0.0;
        let img = &frame.outputs[p.placement.output].1;
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let world = p.pixel_centre(i, j);
                let Some(uv) = inputs.inner_uv(world) else {
                    continue;
                };
                if uv.min_element() < 0.01 || uv.max_element() > 0.99 {
                    continue;
                }
                let expected = if facing {
                    front += 1;
                    (world - inputs.eye).normalize()
                } else {
                    back += 1;
                    (world - inputs.outer_viewpoint).normalize()
                };
                let o = p.placement.output_pixel(i, j);
                let got = decode_direction(img.linear(o.x as u32, o.y as u32));
                let angle = got.angle_between(expected);
                assert!(
                    angle < 0.01,
                    "{} ({}) LED ({i}, {j}) shows {got}, expected {expected}",
                    p.id,
                    if facing { "facing" } else { "back-facing" }
                );
            }
        }
    }
    // All of Back and Edge (turned 100 degrees: seen from behind, nearly edge-on) project inside.
    assert!(
        front > 1000 && back == 2 * 4 * 256,
        "{front} facing, {back} back-facing LED pixels inside the frustum"
    );
}

// ---- The blend band ----

/// Across the soft edge the wall shows `mix(outer, inner, w)` per LED pixel, with `w` the CPU's
/// `inner_weight` at the pixel's frustum uv, inner the direction from the entrance pupil and outer
/// the direction from the outer viewpoint (both encoded as colours, which mix linearly).
#[test]
fn blend_band_follows_inner_weight() {
    let gpu = gpu();
    let text = r#"Stage(name: "band", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
    shape: Flat(columns: 12, rows: 8, position: (0.0, 1.5, -3.0), anchor: Centre),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 384, height: 256)],
  cameras: [Camera(name: "A", position: (0.1, 1.4, 0.0), rotation: PanTiltRoll(4.0, -3.0, 6.0),
    lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0), entrance_pupil_m: 0.1),
    inner: Inner(resolution: (480, 320), overscan: Uniform(0.5), soft_edge: 0.1))],
  render: Render(outer_viewpoint: Fixed(1.2, 2.4, 1.5), outer_resolution: 256))"#;
    let stage = Stage::from_ron(text, "band.ron").unwrap();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let scene: SceneList = direction_environment(&gpu, &renderer);
    let img = &renderer.render_frame(&gpu, &scene).unwrap().outputs[0].1;
    let encode = |d: DVec3| d * 0.5 + DVec3::splat(0.5);
    let (mut band, mut worst, mut contrast) = (0usize, 0.0f64, 0.0f64);
    let tolerance = 0.003;
    for p in &stage.panels {
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let world = p.pixel_centre(i, j);
                let w = inputs
                    .inner_uv(world)
                    .map_or(0.0, |uv| inner_weight(uv, inputs.soft_edge));
                let inner = encode((world - inputs.eye).normalize());
                let outer = encode((world - inputs.outer_viewpoint).normalize());
                let expected = outer.lerp(inner, w);
                let o = p.placement.output_pixel(i, j);
                let c = img.linear(o.x as u32, o.y as u32);
                let got = DVec3::new(c[0] as f64, c[1] as f64, c[2] as f64);
                let err = (got - expected).abs().max_element();
                worst = worst.max(err);
                assert!(
                    err < tolerance,
                    "{} LED ({i}, {j}): w {w:.3}, got {got}, expected {expected} (inner {inner}, outer {outer})",
                    p.id
                );
                if w > 0.05 && w < 0.95 {
                    band += 1;
                    contrast += (inner - outer).abs().max_element();
                }
            }
        }
    }
    let contrast = contrast / band as f64;
    eprintln!(
        "blend band: {band} LED pixels with 0.05 < w < 0.95, worst error {worst:.4} over the wall, \
         mean |inner - outer| {contrast:.3} in the band"
    );
    // The band is well covered, and inner and outer differ there by far more than the tolerance, so
    // a weight off by 0.05 would fail.
    assert!(band > 5000, "{band} band pixels");
    assert!(contrast * 0.05 > tolerance, "contrast {contrast}");
}
