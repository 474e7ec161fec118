//! Grades and LUTs per section and per output, and the light cards' grade, through the composite:
//! every LED pixel of each section equals the CPU reference (`parallax::colour`, itself checked
//! against OpenColorIO) of the grade and LUT that section should get by the resolution rule
//! (output over section over stage-wide, per layer), written out here by hand, not asked of the
//! code; and the `colour:` section's problems, each located at the line and column of its field
//! (found with `str::find` in the test's own text), all reported at once with a broken `.cube`.

use std::path::{Path, PathBuf};

use parallax::colour::Rgb;
use parallax::colour::cube::read_cube;
use parallax::colour::grade::Grade;
use parallax::colour::output::{ColourSettings, Encoding, OutputTransform};
use parallax::colour::primaries::{REC2020, WorkingSpace, conversion};
use parallax::render::{
    FrameInputs, Overrides, ReadImage, Renderer, RendererOptions, inner_weight,
};
use parallax::stage::Stage;

use super::{direction_environment, gpu};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/colour")
        .join(name)
}

/// Three sections side by side: L and M in output `a`, R in output `b`.
const STAGE: &str = r#"Stage(name: "sections", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [
    (name: "L", panel_type: "P", shape: Flat(columns: 4, rows: 8, position: (-2.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["a"])),
    (name: "M", panel_type: "P", shape: Flat(columns: 4, rows: 8, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["a"], origin: (128, 0))),
    (name: "R", panel_type: "P", shape: Flat(columns: 4, rows: 8, position: (2.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["b"])),
  ],
  outputs: [Output(name: "a", width: 256, height: 256), Output(name: "b", width: 128, height: 256)],
  cameras: [Camera(name: "A", position: (0.1, 1.4, 0.0), rotation: PanTiltRoll(4.0, -3.0, 6.0),
    lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0), entrance_pupil_m: 0.1),
    inner: Inner(resolution: (480, 320), overscan: Uniform(0.2), soft_edge: 0.1))],
  render: Render(outer_viewpoint: Fixed(1.2, 2.4, 1.5), outer_resolution: 256),
  CARDS
  COLOUR)"#;

/// Stage-wide grades, a section overriding some layers (L: inner; M: outer and cards; R: outer,
/// inner and a LUT that output `b` overrides), output `b` overriding R's inner and LUT.
const COLOUR: &str = r#"colour: (working_space: AcesCg,
    inner: (exposure: 0.5),
    outer: (exposure: -0.5, cdl: (saturation: 0.6)),
    cards: (exposure: -1.0, white_balance_k: Some(5000.0)),
    sections: [
      (section: "L", inner: Some((exposure: 1.0, cdl: (slope: (1.2, 1.0, 0.8)))), lut: Some("look33.cube")),
      (section: "M", outer: Some((white_balance_k: Some(4500.0))), cards: Some((exposure: 0.5, cdl: (power: (1.1, 1.0, 0.9)))),
       lut: Some("shaper17.cube")),
      (section: "R", inner: Some((exposure: -2.0)), outer: Some((exposure: 0.25)), lut: Some("curve1d.cube")),
    ],
    outputs: [
      (output: "a", encoding: Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12)),
      (output: "b", encoding: LinearExr, inner: Some((cdl: (offset: (0.02, 0.0, -0.01), saturation: 1.4))),
       lut: Some("domain17.cube")),
    ])"#;

/// Two light cards over everything (layer Over, far bigger than the wall): every LED shows the
/// second, drawn last. The first, of another colour, makes the second's graded radiance sit at
/// index 1 of each grade set's pair in the composite's table (a wrong stride shows).
const CARD: &str = r#"light_cards: [LightCard(name: "below", shape: Rectangle,
    placement: Stage(position: (0.0, 1.5, -2.5), rotation: PanTiltRoll(0.0, 0.0, 0.0), size_m: (100.0, 100.0)),
    colour: (0.1, 0.8, 0.2), intensity_nits: 300.0, layer: Over),
    LightCard(name: "all", shape: Rectangle,
    placement: Stage(position: (0.0, 1.5, -2.5), rotation: PanTiltRoll(0.0, 0.0, 0.0), size_m: (100.0, 100.0)),
    colour: (0.9, 0.6, 0.3), intensity_nits: 120.0, layer: Over)],"#;

fn exposure(e: f64) -> Grade {
    Grade {
        exposure: e,
        ..Grade::default()
    }
}

/// The grades (inner, outer, cards) each section should get, written out from the rule.
fn expected_grades(section: &str) -> [Grade; 3] {
    let mut stage_outer = exposure(-0.5);
    stage_outer.cdl.saturation = 0.6;
    let mut stage_cards = exposure(-1.0);
    stage_cards.white_balance_k = Some(5000.0);
    match section {
        "L" => {
            let mut inner = exposure(1.0);
            inner.cdl.slope = [1.2, 1.0, 0.8];
            [inner, stage_outer, stage_cards]
        }
        "M" => {
            let outer = Grade {
                white_balance_k: Some(4500.0),
                ..Grade::default()
            };
            let mut cards = exposure(0.5);
            cards.cdl.power = [1.1, 1.0, 0.9];
            [exposure(0.5), outer, cards]
        }
        _ => {
            let mut inner = Grade::default();
            inner.cdl.offset = [0.02, 0.0, -0.01];
            inner.cdl.saturation = 1.4;
            [inner, exposure(0.25), stage_cards]
        }
    }
}

/// The output transform each section should get: its output's encoding and primaries, the LUT by
/// the rule (R's own `curve1d` is overridden by output `b`'s `domain17`).
fn expected_transform(section: &str) -> OutputTransform {
    let (lut, encoding, to) = match section {
        "L" | "M" => (
            if section == "L" {
                "look33.cube"
            } else {
                "shaper17.cube"
            },
            Encoding::Pq {
                white_nits: 100.0,
                peak_nits: 1000.0,
                bits: 12,
            },
            REC2020,
        ),
        _ => (
            "domain17.cube",
            Encoding::LinearExr,
            WorkingSpace::AcesCg.primaries(),
        ),
    };
    OutputTransform {
        lut: Some(std::sync::Arc::new(read_cube(&data(lut)).unwrap())),
        to_output: conversion(&WorkingSpace::AcesCg.primaries(), &to),
        encoding,
    }
}

/// Renders the stage (`colour`, `cards` spliced in) in `dir`; every output.
fn render(dir: &Path, colour: &str, cards: &str) -> (Vec<ReadImage>, Stage, FrameInputs) {
    let gpu = gpu();
    let text = STAGE.replace("COLOUR", colour).replace("CARDS", cards);
    let path = dir.join(format!("stage-{}-{}.ron", colour.len(), cards.len()));
    std::fs::write(&path, text).unwrap();
    let stage = parallax::stage::load(&path).unwrap_or_else(|e| panic!("{e}"));
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
    let images = frame.outputs.iter().map(|(_, i)| i.clone()).collect();
    (images, stage, inputs)
}

fn rgb(p: [f32; 4]) -> Rgb {
    [p[0] as f64, p[1] as f64, p[2] as f64]
}

/// Per section, every LED pixel fully inside the inner frustum or fully outside it is its
/// section's CPU reference applied to the same pixel of an ungraded render; with cards over
/// everything, every LED pixel is the top card's radiance through its section's cards grade and
/// transform.
#[test]
fn each_section_gets_its_grades_and_lut_by_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "look33.cube",
        "shaper17.cube",
        "curve1d.cube",
        "domain17.cube",
    ] {
        std::fs::copy(data(f), dir.path().join(f)).unwrap();
    }
    let (plain, ..) = render(dir.path(), "", "");
    let (graded, stage, inputs) = render(dir.path(), COLOUR, "");
    let (carded, ..) = render(dir.path(), COLOUR, CARD);
    let reference = ColourSettings {
        working_space: WorkingSpace::AcesCg,
        ..ColourSettings::default()
    };
    let radiance = [0.9 * 1.2, 0.6 * 1.2, 0.3 * 1.2];
    for (s, section) in stage.sections.iter().enumerate() {
        let [g_inner, g_outer, g_cards] = expected_grades(&section.name);
        let t = expected_transform(&section.name);
        let (mut n_inner, mut n_outer, mut worst, mut worst_card) = (0, 0, 0.0f64, 0.0f64);
        for p in stage.panels.iter().filter(|p| p.section == s) {
            let k = p.placement.output;
            for j in 0..p.pixels.y {
                for i in 0..p.pixels.x {
                    let o = p.placement.output_pixel(i, j);
                    let (x, y) = (o.x as u32, o.y as u32);
                    let card = t.apply(reference.grade_card(&g_cards, radiance), (x, y));
                    let got = rgb(carded[k].linear(x, y));
                    for c in 0..3 {
                        let d = (got[c] - card[c]).abs();
                        worst_card = worst_card.max(d);
                        assert!(d < 1e-3, "{} card: {got:?}, expected {card:?}", p.id);
                    }
                    let w = inputs
                        .inner_uv(p.pixel_centre(i, j))
                        .map_or(0.0, |uv| inner_weight(uv, inputs.soft_edge));
                    let layer = if w >= 1.0 {
                        n_inner += 1;
                        &g_inner
                    } else if w <= 0.0 {
                        n_outer += 1;
                        &g_outer
                    } else {
                        continue;
                    };
                    let u = rgb(plain[k].linear(x, y));
                    let e = t.apply(reference.grade_layer(layer, u), (x, y));
                    let g = rgb(graded[k].linear(x, y));
                    for c in 0..3 {
                        let d = (g[c] - e[c]).abs() / e[c].abs().max(1.0);
                        worst = worst.max(d);
                        assert!(
                            d < 1e-3,
                            "{} ({i}, {j}) w {w}: {u:?} -> {g:?}, expected {e:?}",
                            p.id
                        );
                    }
                }
            }
        }
        eprintln!(
            "section {}: max error {worst:.2e} over {n_inner} inner and {n_outer} outer LED pixels; card {worst_card:.2e}",
            section.name
        );
        assert!(
            n_inner > 1000 && n_outer > 1000,
            "section {}: {n_inner} inner, {n_outer} outer",
            section.name
        );
    }
}

/// `file:line:column` of the first `needle` in `text` (columns counted in characters, from 1).
fn at(text: &str, needle: &str) -> String {
    let i = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in the text"));
    let before = &text[..i];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap().chars().count() + 1;
    format!("{line}:{col}")
}

/// Several colour problems, a broken `.cube` file and a problem elsewhere in the stage: all
/// reported at once, each colour problem at the line and column of its field.
#[test]
fn colour_problems_are_located_and_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.cube"),
        "TITLE \"bad\"\nLUT_3D_SIZE 2\n0 0 0\n1 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 x\n1 1 1\n",
    )
    .unwrap();
    let colour = r#"colour: (
    cards: (exposure: 99.0),
    sections: [
      (section: "M", outer: Some((white_balance_k: Some(100.0)))),
      (section: "Q", lut: Some("look33.cube")),
      (section: "R", lut: Some("bad.cube")),
    ],
    outputs: [
      (output: "b", encoding: Pq(peak_nits: -5.0), inner: Some((cdl: (power: (1.0, 0.0, 1.0))))),
    ])"#;
    // A problem outside the colour section: the cards' feather (the first card's is checked).
    let cards = CARD.replace("layer: Over", "feather: 5.0, layer: Over");
    let text = STAGE.replace("COLOUR", colour).replace("CARDS", &cards);
    let path = dir.path().join("broken.ron");
    std::fs::write(&path, &text).unwrap();
    let e = parallax::stage::load(&path)
        .expect_err("must fail")
        .to_string();
    let file = path.display().to_string();
    let located = [
        ("exposure: 99.0", "exposure"),
        ("white_balance_k: Some(100.0)", "white_balance_k"),
        ("section: \"Q\"", "unknown section 'Q'"),
        ("lut: Some(\"bad.cube\")", "section 'R': LUT: "),
        ("peak_nits: -5.0", "peak_nits"),
        ("power: (1.0, 0.0, 1.0)", "power[1]"),
    ];
    for (needle, says) in located {
        let prefix = format!("{file}:{}:", at(&text, needle));
        let line = e
            .lines()
            .find(|l| l.contains(&prefix))
            .unwrap_or_else(|| panic!("no problem at {prefix} ({needle}) in\n{e}"));
        assert!(line.contains(says), "{line} does not say {says}");
    }
    // The .cube file's own lines: every bad line of it, with the parser's file:line.
    let cube = dir.path().join("bad.cube").display().to_string();
    for line in [4, 9] {
        assert!(
            e.contains(&format!("{cube}:{line}: ")),
            "{cube}:{line} in\n{e}"
        );
    }
    // And the problem outside the colour section, in the same report.
    let feather = format!(
        "{file}:{}: light card 0 ('below'): feather",
        at(&text, "feather: 5.0")
    );
    assert!(e.contains(&feather), "{feather} in\n{e}");
    eprintln!("{e}");
}
