//! Light cards on the wall: each LED pixel shows a card exactly where the card covers it (computed
//! here on the CPU from the card's definition, per LED pixel centre, feather included), under the
//! inner frustum (covered by it, blended at the soft edge) or over it. Oracles: card coverage by ray
//! and plane in the card's own frame (written here, apart from the renderer's), the CPU's
//! `inner_weight`, and the direction-coded environment.

use glam::{DQuat, DVec3};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions, inner_weight};
use parallax::stage::{CardLayer, CardPlacement, CardShape, LightCard, Stage};

use super::{direction_environment, gpu};

const STAGE: &str = r#"Stage(name: "cards", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
    shape: Flat(columns: 12, rows: 8, position: (0.0, 1.5, -3.0), anchor: Centre),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 384, height: 256)],
  cameras: [Camera(name: "A", position: (0.1, 1.4, 0.0), rotation: PanTiltRoll(4.0, -3.0, 6.0),
    lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0), entrance_pupil_m: 0.1),
    inner: Inner(resolution: (480, 320), overscan: Uniform(0.5), soft_edge: 0.1))],
  render: Render(outer_viewpoint: Fixed(1.2, 2.4, 1.5), outer_resolution: 256),
  light_cards: [
    LightCard(name: "under", shape: Rectangle,
      placement: Stage(position: (-1.6, 1.2, -2.0), rotation: PanTiltRoll(20.0, 10.0, 15.0),
        size_m: (1.2, 0.8)),
      colour: (1.0, 0.5, 0.2), intensity_nits: 150.0, feather: 0.3, layer: Under),
    LightCard(name: "over", shape: Ellipse,
      placement: Polar(origin: (0.0, 1.5, 0.0), azimuth_deg: 22.0, elevation_deg: 8.0,
        size_deg: (30.0, 18.0), roll_deg: 10.0),
      colour: (0.2, 0.4, 1.0), intensity_nits: 250.0, feather: 0.0, layer: Over),
  ])"#;

/// Opacity of `card` at `world` from its definition in stage-file terms: the card's frame is a
/// rotation of a card facing +Z (stage card: its PanTiltRoll about its centre; polar card: a card
/// at distance 1 along -Z, turned by `Ry(-azimuth) Rx(elevation) Rz(roll)` about the origin), the
/// LED seen from the card's eye; `None` near a hard edge (the GPU's f32 may fall either side).
fn oracle(card: &LightCard, outer_viewpoint: DVec3, world: DVec3) -> Option<f64> {
    let (rot, centre, eye, half) = match card.placement {
        CardPlacement::Stage {
            position,
            rotation,
            size_m,
        } => {
            let [p, t, r, _] = rotation.values();
            (
                parallax::camera::pan_tilt_roll_to_quat(p, t, r),
                DVec3::new(position.0, position.1, position.2),
                outer_viewpoint,
                (size_m.0 / 2.0, size_m.1 / 2.0),
            )
        }
        CardPlacement::Polar {
            origin,
            azimuth_deg,
            elevation_deg,
            size_deg,
            roll_deg,
        } => {
            let q = DQuat::from_rotation_y(-azimuth_deg.to_radians())
                * DQuat::from_rotation_x(elevation_deg.to_radians())
                * DQuat::from_rotation_z(roll_deg.to_radians());
            let o = DVec3::new(origin.0, origin.1, origin.2);
            let half = (
                (size_deg.0 / 2.0).to_radians().tan(),
                (size_deg.1 / 2.0).to_radians().tan(),
            );
            (q, o + q * DVec3::NEG_Z, o, half)
        }
    };
    // In the card's frame: the card is z = 0, |x| <= half.0, |y| <= half.1.
    let inv = rot.inverse();
    let e = inv * (eye - centre);
    let d = inv * (world - eye);
    let t = -e.z / d.z;
    if t.is_nan() || t <= 0.0 {
        return Some(0.0);
    }
    let h = e + t * d;
    let (x, y) = (h.x / half.0, h.y / half.1);
    let r = match card.shape {
        CardShape::Rectangle => x.abs().max(y.abs()),
        CardShape::Ellipse => (x * x + y * y).sqrt(),
    };
    if card.feather > 0.0 {
        return Some(((1.0 - r) / card.feather).clamp(0.0, 1.0));
    }
    if (r - 1.0).abs() < 1e-4 {
        return None;
    }
    Some(if r < 1.0 { 1.0 } else { 0.0 })
}

/// Every LED pixel: `mix(mix(mix(outer, under, a_u), inner, w), over, a_o)`, with card colours
/// `colour * nits / 100`; each card covers LEDs inside and outside the frustum. Then the same
/// renderer with no cards (per-frame API) shows no card, and five cards grow the card buffer.
#[test]
fn light_cards_cover_their_leds_over_or_under_the_frustum() {
    let gpu = gpu();
    let stage = Stage::from_ron(STAGE, "cards.ron").unwrap();
    assert_eq!(stage.light_cards.len(), 2);
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let scene = direction_environment(&gpu, &renderer);
    let base = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    let mut five = vec![stage.light_cards[1].clone(); 4];
    five.insert(0, stage.light_cards[0].clone());
    for cards in [stage.light_cards.clone(), vec![], five] {
        let inputs = base.clone().with_light_cards(cards.clone());
        renderer.prepare(&gpu, &inputs).unwrap();
        let img = &renderer.render_frame(&gpu, &scene).unwrap().outputs[0].1;
        let encode = |d: DVec3| d * 0.5 + DVec3::splat(0.5);
        // [card][inside frustum?][full / partial]
        let mut counts = [[[0usize; 2]; 2]; 2];
        let (mut worst, mut skipped) = (0.0f64, 0);
        for p in &stage.panels {
            'led: for j in 0..p.pixels.y {
                for i in 0..p.pixels.x {
                    let world = p.pixel_centre(i, j);
                    let w = inputs
                        .inner_uv(world)
                        .map_or(0.0, |uv| inner_weight(uv, inputs.soft_edge));
                    let mut c = encode((world - inputs.outer_viewpoint).normalize());
                    let inner = encode((world - inputs.eye).normalize());
                    for layer in [CardLayer::Under, CardLayer::Over] {
                        for card in cards.iter().filter(|c| c.layer == layer) {
                            let Some(a) = oracle(card, inputs.outer_viewpoint, world) else {
                                skipped += 1;
                                continue 'led;
                            };
                            let k = (card.intensity_nits / 100.0) as f32;
                            let col = card.colour;
                            let rad = DVec3::new(
                                (col.0 * k) as f64,
                                (col.1 * k) as f64,
                                (col.2 * k) as f64,
                            );
                            c = c.lerp(rad, a);
                            let ci = usize::from(layer == CardLayer::Over);
                            if a > 0.0 && (w <= 0.0 || w >= 1.0) && cards.len() == 2 {
                                counts[ci][usize::from(w >= 1.0)][usize::from(a < 1.0)] += 1;
                            }
                        }
                        if layer == CardLayer::Under {
                            c = c.lerp(inner, w);
                        }
                    }
                    let o = p.placement.output_pixel(i, j);
                    let g = img.linear(o.x as u32, o.y as u32);
                    let got = DVec3::new(g[0] as f64, g[1] as f64, g[2] as f64);
                    let err = (got - c).abs().max_element();
                    worst = worst.max(err);
                    assert!(
                        err < 0.003,
                        "{} cards: {} LED ({i}, {j}) w {w:.3}: got {got}, expected {c}",
                        cards.len(),
                        p.id
                    );
                }
            }
        }
        eprintln!(
            "{} cards: worst error {worst:.5}, {skipped} LEDs on a hard edge skipped; \
             [under, over] x [outside, inside the frustum] x [opaque, feathered] LEDs: {counts:?}",
            cards.len()
        );
        if cards.len() == 2 {
            // Both cards cover opaque LEDs inside and outside the frustum; the under card's
            // feather is seen on both sides too.
            for (ci, card) in counts.iter().enumerate() {
                for (inside, c) in card.iter().enumerate() {
                    assert!(c[0] > 100, "card {ci} inside {inside}: {counts:?}");
                }
            }
            assert!(counts[0][0][1] > 100 && counts[0][1][1] > 100, "{counts:?}");
        }
    }
}

/// The stage check names a bad card; the renderer refuses a bad per-frame card without panicking.
#[test]
fn bad_cards_are_reported() {
    let text = STAGE.replace("feather: 0.3", "feather: 2.0");
    let e = Stage::from_ron(&text, "cards.ron").unwrap_err().to_string();
    assert!(
        e.contains("light card 0 ('under')") && e.contains("feather"),
        "{e}"
    );
    let gpu = gpu();
    let stage = Stage::from_ron(STAGE, "cards.ron").unwrap();
    let mut renderer = Renderer::new(&gpu, &stage, RendererOptions::default()).unwrap();
    let mut card = stage.light_cards[1].clone();
    card.intensity_nits = f64::INFINITY;
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default())
        .unwrap()
        .with_light_cards(vec![card]);
    let e = renderer.prepare(&gpu, &inputs).unwrap_err().to_string();
    assert!(e.contains("light card 0 ('over')"), "{e}");
}

/// Absolute luminance (nits) of a PQ signal: the ST 2084 EOTF (SMPTE ST 2084:2014, equation 4.1),
/// from the standard's constants, written here apart from the renderer's.
fn pq_nits(e: f64) -> f64 {
    let (m1, m2) = (2610.0 / 16384.0, 2523.0 / 4096.0 * 128.0);
    let (c1, c2, c3) = (
        3424.0 / 4096.0,
        2413.0 / 4096.0 * 32.0,
        2392.0 / 4096.0 * 32.0,
    );
    let p = e.powf(1.0 / m2);
    10000.0 * ((p - c1).max(0.0) / (c2 - c3 * p)).powf(1.0 / m1)
}

/// A card's `intensity_nits` are nits on the LEDs on a PQ output whatever its `white_nits`: a
/// white 500-nit card over the frustum decodes to 500 nits on outputs of reference white 100 and
/// 203 (the wall's content, linear 1.0 = `white_nits`, is 2.03 times as bright on the second),
/// and a 1500-nit card is clamped to the 1000-nit peak on both.
#[test]
fn a_cards_nits_hold_on_pq_outputs_of_any_white() {
    let gpu = gpu();
    let options = RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut frames = Vec::new();
    let mut card = None;
    for white in [100.0, 203.0] {
        let colour = format!(
            "colour: (outputs: [(output: \"o\", encoding: Pq(white_nits: {white:.1}, peak_nits: 1000.0, bits: 12))]),\n  light_cards:"
        );
        let text = STAGE.replacen("light_cards:", &colour, 1);
        let stage = Stage::from_ron(&text, "cards.ron").unwrap();
        let mut renderer = Renderer::new(&gpu, &stage, options.clone()).unwrap();
        let scene = direction_environment(&gpu, &renderer);
        let base = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
        let mut per_nits = Vec::new();
        for nits in [500.0, 1500.0] {
            let mut c = stage.light_cards[1].clone();
            c.colour = (1.0, 1.0, 1.0);
            c.intensity_nits = nits;
            let inputs = base.clone().with_light_cards(vec![c.clone()]);
            renderer.prepare(&gpu, &inputs).unwrap();
            let img = renderer.render_frame(&gpu, &scene).unwrap().outputs[0]
                .1
                .clone();
            per_nits.push(img);
            card = Some((c, inputs.outer_viewpoint));
        }
        frames.push((stage, per_nits));
    }
    let (card, viewpoint) = card.unwrap();
    let stage = &frames[0].0;
    let (mut covered, mut content) = (0, 0);
    for p in &stage.panels {
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let o = p.placement.output_pixel(i, j);
                let nits = |white: usize, k: usize| {
                    let v = frames[white].1[k].linear(o.x as u32, o.y as u32);
                    [v[0], v[1], v[2]].map(|e| pq_nits(e as f64))
                };
                match oracle(&card, viewpoint, p.pixel_centre(i, j)) {
                    Some(1.0) => {
                        covered += 1;
                        for (white, k, want) in
                            [(0, 0, 500.0), (1, 0, 500.0), (0, 1, 1000.0), (1, 1, 1000.0)]
                        {
                            for got in nits(white, k) {
                                assert!(
                                    (got - want).abs() < want * 2e-3,
                                    "{} LED ({i}, {j}), white {}: {got} nits, expected {want}",
                                    p.id,
                                    [100, 203][white]
                                );
                            }
                        }
                    }
                    Some(0.0) => {
                        // The wall's own content scales with the reference white (below the
                        // peak, away from black).
                        let (a, b) = (nits(0, 0)[1], nits(1, 0)[1]);
                        if a > 1.0 && b < 900.0 {
                            content += 1;
                            assert!(
                                (b / a - 2.03).abs() < 0.01,
                                "{} LED ({i}, {j}): {a} -> {b}",
                                p.id
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(
        covered > 100 && content > 1000,
        "{covered} covered, {content} content LEDs"
    );
}
