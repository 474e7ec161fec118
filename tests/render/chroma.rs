//! Chroma key and tracking markers: the key fills the inner frustum only, blended at the soft edge
//! exactly as the inner is; markers sit on the unwrapped wall at the configured spacing and stay put
//! when the camera moves. Oracles: the CPU's `inner_weight` per LED pixel, the direction-coded
//! environment for the outer, LED positions from the stage's cabinet grid, and connected components
//! of marker-coloured LEDs measured on that grid.

use std::collections::HashMap;

use glam::DVec3;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions, inner_weight};
use parallax::stage::{Chroma, MarkerShape, Markers, Stage};

use super::{direction_environment, gpu};

const KEY: [f32; 3] = [0.0, 0.7, 0.1];
const MARK: [f32; 3] = [1.0, 0.2, 0.9];
/// LED pitch of the test wall: 500 mm / 32 px.
const PITCH: f64 = 15.625;

fn stage() -> Stage {
    // A flat wall (tiles rotated 90 degrees in the output) and an arc beside it (own coordinates).
    let text = r#"Stage(name: "chroma", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [
    (name: "W", panel_type: "P",
     shape: Flat(columns: 12, rows: 8, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o"], rotation: 90)),
    (name: "A", panel_type: "P",
     shape: Arc(centre: (0.0, 0.0), radius: 3.2, start_deg: 48.0, columns: 4, rows: 8, bottom: -0.5),
     placement: Auto(outputs: ["a"]))],
  outputs: [Output(name: "o", width: 256, height: 384), Output(name: "a", width: 128, height: 256)],
  cameras: [Camera(name: "A", position: (0.1, 1.4, 0.0), rotation: PanTiltRoll(4.0, -3.0, 6.0),
    lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0), entrance_pupil_m: 0.1),
    inner: Inner(resolution: (480, 320), overscan: Uniform(0.5), soft_edge: 0.1,
      chroma: Some(Chroma(colour: (0.0, 0.7, 0.1), markers: Some(Markers(shape: Square,
        size_mm: 40.0, spacing_mm: 300.0, colour: (1.0, 0.2, 0.9), offset_mm: (37.0, 61.0)))))))],
  render: Render(outer_viewpoint: Fixed(1.2, 2.4, 1.5), outer_resolution: 256))"#;
    Stage::from_ron(text, "chroma.ron").unwrap()
}

fn options() -> RendererOptions {
    RendererOptions {
        output_format: wgpu::TextureFormat::Rgba32Float,
        wall: false,
        camera: false,
        ..Default::default()
    }
}

/// Per LED pixel of `frame`: (panel index, i, j, inner weight, rgb).
type Led = (usize, u32, u32, f64, DVec3);

fn leds(stage: &Stage, inputs: &FrameInputs, frame: &parallax::render::RenderedFrame) -> Vec<Led> {
    let mut out = Vec::new();
    for (k, p) in stage.panels.iter().enumerate() {
        let img = &frame.outputs[p.placement.output].1;
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let world = p.pixel_centre(i, j);
                let facing = p.frame.normal().dot(inputs.eye - p.frame.top_left) > 0.0;
                let w = if facing {
                    inputs
                        .inner_uv(world)
                        .map_or(0.0, |uv| inner_weight(uv, inputs.soft_edge))
                } else {
                    0.0
                };
                let o = p.placement.output_pixel(i, j);
                let c = img.linear(o.x as u32, o.y as u32);
                out.push((
                    k,
                    i,
                    j,
                    w,
                    DVec3::new(c[0] as f64, c[1] as f64, c[2] as f64),
                ));
            }
        }
    }
    out
}

/// The LED's centre on its section's unwrapped wall, mm, from the cabinet grid (independent of the
/// renderer's `led_wall_mm`).
fn wall_mm(stage: &Stage, k: usize, i: u32, j: u32) -> (f64, f64) {
    let p = &stage.panels[k];
    (
        (p.col * 32 + i) as f64 * PITCH + PITCH / 2.0,
        (p.row * 32 + j) as f64 * PITCH + PITCH / 2.0,
    )
}

fn rgb(c: [f32; 3]) -> DVec3 {
    DVec3::new(c[0] as f64, c[1] as f64, c[2] as f64)
}

/// Fraction of the LED pixel centred at `q` (pitch PITCH) that a 40 mm square marker of the test
/// grid covers (hand-written: grid points at (37 + 300 m, 61 + 300 n); per axis, the overlap of
/// the pixel's span with the marker's, over the pitch).
fn marker_cover(q: (f64, f64)) -> f64 {
    let axis = |v: f64, o: f64| {
        let l = v - o;
        let d = (l - (l / 300.0).round() * 300.0).abs();
        let overlap = (d + PITCH / 2.0).min(20.0) - (d - PITCH / 2.0).max(-20.0);
        overlap.max(0.0) / PITCH
    };
    axis(q.0, 37.0) * axis(q.1, 61.0)
}

/// Inside the frustum (weight 1) the LEDs show the key colour or, on a marker, the marker colour,
/// blended by the marker's coverage of the LED pixel (antialiased edges); outside (weight 0) the outer (direction from the outer viewpoint); in the band
/// `mix(outer, key or marker, w)`.
#[test]
fn chroma_fills_the_frustum_only_and_blends_at_the_soft_edge() {
    let gpu = gpu();
    let stage = stage();
    let mut renderer = Renderer::new(&gpu, &stage, options()).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    assert!(
        inputs.chroma.is_some(),
        "the stage file's chroma is resolved"
    );
    renderer.prepare(&gpu, &inputs).unwrap();
    let scene = direction_environment(&gpu, &renderer);
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let encode = |d: DVec3| d * 0.5 + DVec3::splat(0.5);
    let (mut full, mut none, mut band, mut marks, mut worst) = (0, 0, 0, 0, 0.0f64);
    for (k, i, j, w, got) in leds(&stage, &inputs, &frame) {
        let p = &stage.panels[k];
        let outer = encode((p.pixel_centre(i, j) - inputs.outer_viewpoint).normalize());
        let cover = marker_cover(wall_mm(&stage, k, i, j));
        let marked = cover > 0.0;
        let key = rgb(KEY).lerp(rgb(MARK), cover);
        let expected = outer.lerp(key, w);
        let err = (got - expected).abs().max_element();
        let tolerance = if w >= 1.0 { 1e-6 } else { 0.003 };
        assert!(
            err <= tolerance,
            "{} LED ({i}, {j}): w {w:.3}, marker cover {cover:.3}, got {got}, expected {expected}",
            p.id
        );
        worst = worst.max(if w > 0.0 && w < 1.0 { err } else { 0.0 });
        match w {
            w if w >= 1.0 => {
                full += 1;
                marks += usize::from(marked);
            }
            w if w <= 0.0 => none += 1,
            _ => band += 1,
        }
    }
    eprintln!(
        "chroma: {full} LEDs at weight 1 ({marks} on markers), {band} in the band (worst {worst:.4}), \
         {none} outside"
    );
    assert!(full > 10_000 && marks > 300 && band > 3000 && none > 5000);
}

/// Connected components (4-neighbour) of LEDs a marker covers (any part) at weight 1 on section
/// `section`'s LED grid, dropping those that touch an LED below weight 1: per marker, its centroid in
/// unwrapped mm and its area in mm^2, both weighted by the coverage read back from the colour (the
/// red channel: 0 for the key, 1 for the marker colour).
fn marker_centroids(stage: &Stage, leds: &[Led], section: usize) -> Vec<(f64, f64, f64)> {
    let mut grid: HashMap<(i64, i64), (bool, f64)> = HashMap::new(); // (full, coverage)
    for &(k, i, j, w, c) in leds {
        let p = &stage.panels[k];
        if p.section != section {
            continue;
        }
        let g = ((p.col * 32 + i) as i64, (p.row * 32 + j) as i64);
        grid.insert(g, (w >= 1.0, c.x));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (&g, &(_, m)) in &grid {
        if m <= 1e-4 || !seen.insert(g) {
            continue;
        }
        let (mut stack, mut cells, mut clean) = (vec![g], Vec::new(), true);
        while let Some(c) = stack.pop() {
            cells.push(c);
            for n in [(1, 0), (-1, 0), (0, 1), (0, -1)] {
                let q = (c.0 + n.0, c.1 + n.1);
                match grid.get(&q) {
                    Some(&(full, mark)) => {
                        clean &= full;
                        if mark > 1e-4 && seen.insert(q) {
                            stack.push(q);
                        }
                    }
                    None => clean = false,
                }
            }
        }
        if clean && grid[&g].0 {
            let cover = |c: &(i64, i64)| grid[c].1;
            let n: f64 = cells.iter().map(cover).sum();
            let sx: f64 = cells.iter().map(|c| (c.0 as f64 + 0.5) * cover(c)).sum();
            let sy: f64 = cells.iter().map(|c| (c.1 as f64 + 0.5) * cover(c)).sum();
            out.push((sx / n * PITCH, sy / n * PITCH, n * PITCH * PITCH));
        }
    }
    out
}

/// Spacing between neighbouring markers measured on the unwrapped wall: mean and worst deviation
/// from `spacing` over horizontal and vertical neighbour pairs.
fn neighbour_spacing(c: &[(f64, f64, f64)], spacing: f64) -> (usize, f64, f64) {
    let (mut n, mut sum, mut worst) = (0usize, 0.0, 0.0f64);
    for a in c {
        for b in c {
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let along = if dx > 0.5 * spacing && dx < 1.5 * spacing && dy.abs() < 0.5 * spacing {
                dx
            } else if dy > 0.5 * spacing && dy < 1.5 * spacing && dx.abs() < 0.5 * spacing {
                dy
            } else {
                continue;
            };
            n += 1;
            sum += along;
            worst = worst.max((along - spacing).abs());
        }
    }
    (n, sum / n.max(1) as f64, worst)
}

/// The markers measured on the unwrapped wall (connected components of marker LEDs, centroids on the
/// LED grid) are `spacing_mm` apart, on the flat and the curved section, and the same LEDs show
/// markers after the camera moved (markers are fixed on the wall, not on the camera). Switching the
/// key off per frame shows the scene again.
#[test]
fn markers_keep_their_spacing_on_the_wall_and_stay_put() {
    let gpu = gpu();
    let stage = stage();
    let mut renderer = Renderer::new(&gpu, &stage, options()).unwrap();
    let scene = direction_environment(&gpu, &renderer);
    let at = |x: f64, pan: f64| {
        let o = Overrides {
            camera_position: Some(DVec3::new(x, 1.4, 0.0)),
            camera_rotation: Some((pan, -3.0, 6.0)),
            ..Default::default()
        };
        FrameInputs::at_rest(&stage, &o).unwrap()
    };
    let mut frames = Vec::new();
    for (x, pan) in [(0.1, 4.0), (0.6, -12.0), (0.3, -62.0)] {
        let inputs = at(x, pan);
        renderer.prepare(&gpu, &inputs).unwrap();
        let frame = renderer.render_frame(&gpu, &scene).unwrap();
        frames.push(leds(&stage, &inputs, &frame));
    }
    // Spacing on the flat wall (first pose) and on the arc (third pose, turned towards it).
    for (section, f) in [(0usize, &frames[0]), (1, &frames[2])] {
        let c = marker_centroids(&stage, f, section);
        let (pairs, mean, worst) = neighbour_spacing(&c, 300.0);
        eprintln!(
            "section {section}: {} whole markers, {pairs} neighbour pairs, spacing mean {mean:.3} mm, \
             worst {worst:.2} mm (configured 300, LED pitch {PITCH})",
            c.len()
        );
        assert!(pairs >= 20, "{pairs} pairs");
        // Coverage-weighted centroids land within a tenth of a pitch of the markers' centres (the
        // markers are 2.6 LEDs across); each marker's summed coverage is its 40 x 40 mm area (on
        // the arc too: the unwrapped wall is measured along the arc).
        assert!(
            (mean - 300.0).abs() < 1.0 && worst < PITCH / 10.0,
            "{mean} {worst}"
        );
        let (lo, hi) = c
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), m| (lo.min(m.2), hi.max(m.2)));
        eprintln!("section {section}: marker areas {lo:.1} to {hi:.1} mm^2 (1600 configured)");
        assert!(lo > 1600.0 * 0.99 && hi < 1600.0 * 1.01, "{lo} {hi}");
    }
    // Fixed on the wall: every LED at weight 1 in the first two poses shows the same in both.
    let (mut both, mut marked) = (0, 0);
    for (a, b) in frames[0].iter().zip(&frames[1]) {
        if a.3 >= 1.0 && b.3 >= 1.0 {
            both += 1;
            assert_eq!(a.4, b.4, "panel {} LED ({}, {}) changed", a.0, a.1, a.2);
            marked += usize::from(a.4.x > 1e-4);
        }
    }
    eprintln!("{both} LEDs inside the frustum in both poses, {marked} on markers, all unchanged");
    assert!(both > 1000 && marked > 30, "{both} {marked}");
    // Key off for one frame: the frustum shows the scene (direction from the entrance pupil).
    let inputs = at(0.1, 4.0).with_chroma(None);
    renderer.prepare(&gpu, &inputs).unwrap();
    let frame = renderer.render_frame(&gpu, &scene).unwrap();
    let mut checked = 0;
    for (k, i, j, w, got) in leds(&stage, &inputs, &frame) {
        if w >= 1.0 {
            let d = (stage.panels[k].pixel_centre(i, j) - inputs.eye).normalize();
            let err = (got - (d * 0.5 + DVec3::splat(0.5))).abs().max_element();
            assert!(err < 0.003, "key off: {err}");
            checked += 1;
        }
    }
    assert!(checked > 10_000);
}

/// Settings that cannot be rendered are an error of `prepare`, not a panic.
#[test]
fn bad_chroma_is_an_error() {
    let gpu = gpu();
    let stage = stage();
    let mut renderer = Renderer::new(&gpu, &stage, options()).unwrap();
    let bad = Chroma {
        colour: (0.0, 1.0, 0.0),
        markers: Some(Markers {
            shape: MarkerShape::Dot,
            size_mm: 40.0,
            spacing_mm: 0.0,
            colour: (1.0, 1.0, 1.0),
            offset_mm: (0.0, 0.0),
        }),
    };
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default())
        .unwrap()
        .with_chroma(Some(bad));
    let e = renderer.prepare(&gpu, &inputs).unwrap_err();
    assert!(e.to_string().contains("spacing_mm"), "{e}");
}
