//! The colour path on the GPU: the WGSL colour functions (`shaders/colour.wgsl`) against the CPU
//! reference (`parallax::colour`, itself checked against OpenColorIO) and OCIO's own values, over
//! thousands of colours; and the composite: grades per layer before the blend, an identity LUT with
//! a neutral grade leaves the 8-bit outputs bit for bit, an HDR sun gives finite LEDs at the peak.

use std::path::{Path, PathBuf};

use parallax::colour::Rgb;
use parallax::colour::cube::read_cube;
use parallax::colour::output::{ColourFile, ColourSettings, Encoding, OutputColourFile};
use parallax::colour::transfer::{pq_encode, srgb_encode};
use parallax::gpu::Gpu;
use parallax::render::grading::{grade_uniform, output_uniform};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions, inner_weight};
use parallax::scene::{Environment, SceneList};
use parallax::stage::Stage;
use serde_json::Value;

use super::{direction_environment, gpu};
use crate::ciede2000::{ciede2000, lab};
use crate::colour_probe::probe;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/colour")
        .join(name)
}

fn json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data(name)).unwrap()).unwrap()
}

fn rgbs(v: &Value) -> Vec<Rgb> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let f: Vec<f64> = c
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            [f[0], f[1], f[2]]
        })
        .collect()
}

/// Max abs difference, asserted within `tol` (relative above 1 for HDR values).
fn check(what: &str, got: &[Rgb], expected: &[Rgb], inputs: &[Rgb], tol: f64) -> f64 {
    assert_eq!(got.len(), expected.len());
    let mut worst = 0.0f64;
    for (k, (g, e)) in got.iter().zip(expected).enumerate() {
        for c in 0..3 {
            let d = (g[c] - e[c]).abs() / e[c].abs().max(1.0);
            assert!(
                d <= tol,
                "{what}: input {:?} gave {g:?}, expected {e:?}",
                inputs[k]
            );
            worst = worst.max(d);
        }
    }
    eprintln!("{what}: max error {worst:.2e} over {} colours", got.len());
    worst
}

fn settings(f: ColourFile) -> ColourSettings {
    let (s, problems) = ColourSettings::build(&f, &[], &["o"]);
    assert!(problems.is_empty(), "{problems:?}");
    s
}

/// The WGSL CDL, LUTs (tetrahedral, shaper), PQ and dithered sRGB agree with OCIO's values and
/// with the CPU reference within 1e-3 over thousands of colours.
#[test]
fn gpu_colour_functions_match_ocio_and_the_cpu() {
    let gpu = gpu();
    let neutral = ColourSettings::default();
    let plain = neutral.output_transform(0);
    // Linear output, nothing else: the probe's output is the graded colour.
    let linear_out = output_uniform(&plain, 0);

    // CDL: 8 parameter sets (both clamp styles) against OCIO's CDLTransform.
    let cdl = json("cdl.json");
    let rgb = rgbs(&cdl["rgb"]);
    let mut count = 0;
    for c in cdl["cases"].as_array().unwrap() {
        let v3 = |k: &str| {
            let f: Vec<f64> = c[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            [f[0], f[1], f[2]]
        };
        let g = parallax::colour::grade::Grade {
            cdl: parallax::colour::cdl::Cdl {
                slope: v3("slope"),
                offset: v3("offset"),
                power: v3("power"),
                saturation: c["saturation"].as_f64().unwrap(),
                style: if c["style"] == "Asc" {
                    parallax::colour::cdl::CdlStyle::Asc
                } else {
                    parallax::colour::cdl::CdlStyle::NoClamp
                },
            },
            ..Default::default()
        };
        let gpu_out = probe(
            &gpu,
            &rgb,
            &grade_uniform(&glam::DMat3::IDENTITY, &g),
            &linear_out,
            None,
        );
        check(
            &format!("GPU CDL vs OCIO ({})", c["style"]),
            &gpu_out,
            &rgbs(&c["out"]),
            &rgb,
            1e-3,
        );
        let cpu: Vec<Rgb> = rgb.iter().map(|x| g.cdl.apply(*x)).collect();
        check("GPU CDL vs CPU", &gpu_out, &cpu, &rgb, 1e-4);
        count += rgb.len();
    }

    // LUTs through the 3D texture and the shaper texture, against OCIO (tetrahedral).
    let lut = json("lut.json");
    for c in lut["cases"].as_array().unwrap() {
        let file = c["file"].as_str().unwrap();
        let cube = std::sync::Arc::new(read_cube(&data(file)).unwrap());
        let inputs = rgbs(&lut[c["inputs"].as_str().unwrap()]);
        let mut t = plain.clone();
        t.lut = Some(cube.clone());
        let gpu_out = probe(
            &gpu,
            &inputs,
            &grade_uniform(&glam::DMat3::IDENTITY, &Default::default()),
            &output_uniform(&t, 0),
            Some(&cube),
        );
        check(
            &format!("GPU {file} vs OCIO"),
            &gpu_out,
            &rgbs(&c["tetrahedral"]),
            &inputs,
            1e-3,
        );
        count += inputs.len();
    }

    // Fractions that tie (two or three equal, within a 33^3 cell and on its faces): the shader picks
    // its tetrahedron without branches, so ties must give the CPU's value (the tied corner weighs 0).
    let cube = std::sync::Arc::new(read_cube(&data("look33.cube")).unwrap());
    let step = 1.0 / 32.0;
    let mut ties = Vec::new();
    for (a, b) in [
        (0.25, 0.75),
        (0.5, 0.125),
        (0.0, 0.9),
        (0.6, 0.6),
        (1.0, 0.3),
    ] {
        let (fa, fb) = ((10.0 + a) * step, (20.0 + b) * step);
        ties.extend([
            [fa, fa, fb],
            [fa, fb, fa],
            [fb, fa, fa],
            [fa, fa, fa],
            [fb, fb, fa],
        ]);
    }
    let mut t = plain.clone();
    t.lut = Some(cube.clone());
    let gpu_out = probe(
        &gpu,
        &ties,
        &grade_uniform(&glam::DMat3::IDENTITY, &Default::default()),
        &output_uniform(&t, 0),
        Some(&cube),
    );
    let cpu: Vec<Rgb> = ties.iter().map(|c| cube.apply(*c)).collect();
    check(
        "GPU look33 at tied fractions vs CPU",
        &gpu_out,
        &cpu,
        &ties,
        1e-5,
    );
    count += ties.len();

    // A whole chain: ACEScg working space, exposure and white balance, look33, PQ in Rec.2020 at
    // 100 nits white and 1000 nits peak, against the CPU reference.
    let hdr = rgbs(&lut["hdr"]);
    let grade = parallax::colour::grade::Grade {
        exposure: -1.5,
        white_balance_k: Some(5600.0),
        ..Default::default()
    };
    let mut s = settings(ColourFile {
        working_space: parallax::colour::primaries::WorkingSpace::AcesCg,
        inner: grade,
        outputs: vec![OutputColourFile {
            output: "o".into(),
            lut: None,
            encoding: Encoding::Pq {
                white_nits: 100.0,
                peak_nits: 1000.0,
                bits: 12,
            },
            ..Default::default()
        }],
        ..Default::default()
    });
    s.outputs[0].lut = Some(std::sync::Arc::new(
        read_cube(&data("look33.cube")).unwrap(),
    ));
    let t = s.output_transform(0);
    let gu = grade_uniform(&s.layer_matrix(&grade), &grade);
    let gpu_out = probe(&gpu, &hdr, &gu, &output_uniform(&t, 2), t.lut.as_deref());
    let cpu: Vec<Rgb> = hdr
        .iter()
        .enumerate()
        .map(|(i, c)| t.apply(s.grade_layer(&grade, *c), (i as u32 % 8, i as u32 / 8)))
        .collect();
    check("GPU grade + LUT + PQ vs CPU", &gpu_out, &cpu, &hdr, 1e-3);
    // PQ alone at the anchor: linear 1.0 at 100 nits is 0.5080784.
    let pq_only = settings(ColourFile {
        outputs: vec![OutputColourFile {
            output: "o".into(),
            lut: None,
            encoding: Encoding::Pq {
                white_nits: 100.0,
                peak_nits: 10000.0,
                bits: 12,
            },
            ..Default::default()
        }],
        ..Default::default()
    })
    .output_transform(0);
    let white = probe(
        &gpu,
        &[[1.0; 3], [1e6, 0.0, f64::NAN]],
        &grade_uniform(&glam::DMat3::IDENTITY, &Default::default()),
        &output_uniform(&pq_only, 2),
        None,
    );
    assert!(
        white[0].iter().all(|v| (v - 0.5080784).abs() < 2e-5),
        "{white:?}"
    );
    assert!(white[1].iter().all(|v| v.is_finite()), "{white:?}");
    count += hdr.len();

    // Dithered sRGB: the encoding plus the ordered dither of the CPU's bayer8.
    let d = settings(ColourFile {
        outputs: vec![OutputColourFile {
            output: "o".into(),
            lut: None,
            encoding: Encoding::Srgb { dither: true },
            ..Default::default()
        }],
        ..Default::default()
    })
    .output_transform(0);
    let rgb8 = &rgbs(&lut["rgb"]);
    let gpu_out = probe(
        &gpu,
        rgb8,
        &grade_uniform(&glam::DMat3::IDENTITY, &Default::default()),
        &output_uniform(&d, 1),
        None,
    );
    let cpu: Vec<Rgb> = rgb8
        .iter()
        .enumerate()
        .map(|(i, c)| d.apply(*c, (i as u32 % 8, i as u32 / 8)))
        .collect();
    check("GPU sRGB + dither vs CPU", &gpu_out, &cpu, rgb8, 1e-4);
    assert!(
        (d.apply([0.5; 3], (0, 0))[0] - srgb_encode(0.5)).abs() > 1e-3,
        "the dither is not zero"
    );
    count += rgb8.len();
    assert!(count > 10_000, "{count} colours");
}

// ---- The composite ----

const BAND_STAGE: &str = r#"Stage(name: "band", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
    shape: Flat(columns: 12, rows: 8, position: (0.0, 1.5, -3.0), anchor: Centre),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 384, height: 256)],
  cameras: [Camera(name: "A", position: (0.1, 1.4, 0.0), rotation: PanTiltRoll(4.0, -3.0, 6.0),
    lens: Lens(focal_length_mm: 35.0, sensor_mm: (36.0, 24.0), entrance_pupil_m: 0.1),
    inner: Inner(resolution: (480, 320), overscan: Uniform(0.5), soft_edge: 0.1))],
  render: Render(outer_viewpoint: Fixed(1.2, 2.4, 1.5), outer_resolution: 256),
  COLOUR)"#;

fn band_stage(colour: &str) -> String {
    BAND_STAGE.replace("COLOUR", colour)
}

/// Renders `stage` (text; LUT paths relative to `dir`) with `scene`, returns output 0 and the
/// stage.
fn render_text(
    text: &str,
    dir: &Path,
    format: wgpu::TextureFormat,
    scene: impl Fn(&Gpu, &Renderer) -> SceneList,
) -> (parallax::render::ReadImage, Stage, FrameInputs) {
    let gpu = gpu();
    let path = dir.join(format!("stage-{}.ron", text.len()));
    std::fs::write(&path, text).unwrap();
    let stage = parallax::stage::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let options = RendererOptions {
        output_format: format,
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut renderer = Renderer::new(&gpu, &stage, options).unwrap();
    let inputs = FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    renderer.prepare(&gpu, &inputs).unwrap();
    let s = scene(&gpu, &renderer);
    let frame = renderer.render_frame(&gpu, &s).unwrap();
    (frame.outputs[0].1.clone(), stage, inputs)
}

fn identity_cube(n: usize) -> String {
    let mut s = format!("TITLE \"identity\"\nLUT_3D_SIZE {n}\n");
    for b in 0..n {
        for g in 0..n {
            for r in 0..n {
                let f = |i: usize| i as f64 / (n - 1) as f64;
                s += &format!("{:.6} {:.6} {:.6}\n", f(r), f(g), f(b));
            }
        }
    }
    s
}

/// An identity LUT with an explicitly neutral grade leaves the 8-bit output bit for bit as with no
/// `colour:` section; a grade of a quarter stop does change it (the comparison can fail).
#[test]
fn identity_lut_and_neutral_grade_are_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("id.cube"), identity_cube(17)).unwrap();
    let fmt = wgpu::TextureFormat::Rgba8UnormSrgb;
    let env = |g: &Gpu, r: &Renderer| direction_environment(g, r);
    let (plain, ..) = render_text(&band_stage(""), dir.path(), fmt, env);
    let neutral = "colour: (working_space: Rec709, inner: (exposure: 0.0, cdl: (slope: (1.0, 1.0, 1.0), power: (1.0, 1.0, 1.0), saturation: 1.0)), outer: (), outputs: [(output: \"o\", lut: Some(\"id.cube\"), encoding: Srgb(dither: false))])";
    let (same, stage, _) = render_text(&band_stage(neutral), dir.path(), fmt, env);
    assert!(stage.colour.outputs[0].lut.is_some(), "the LUT was loaded");
    assert!(
        plain.bytes == same.bytes,
        "identity LUT + neutral grade changed the output"
    );
    let graded = "colour: (inner: (exposure: 0.25), outer: (exposure: 0.25))";
    let (other, ..) = render_text(&band_stage(graded), dir.path(), fmt, env);
    let changed = plain
        .bytes
        .iter()
        .zip(&other.bytes)
        .filter(|(a, b)| a != b)
        .count();
    assert!(
        changed > 10_000,
        "a quarter stop changed only {changed} bytes"
    );
}

/// Per-layer grades are applied to each layer before the blend: with different inner and outer
/// grades, a LUT and PQ, every LED pixel fully inside the inner (w = 1) or outside it (w = 0) is the
/// CPU reference applied to the same pixel of an ungraded render (thousands of colours from the
/// direction-coded environment).
#[test]
fn composite_grades_each_layer_then_applies_the_output_transform() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(data("look33.cube"), dir.path().join("look33.cube")).unwrap();
    let fmt = wgpu::TextureFormat::Rgba32Float;
    let env = |g: &Gpu, r: &Renderer| direction_environment(g, r);
    let (plain, ..) = render_text(&band_stage(""), dir.path(), fmt, env);
    let colour = "colour: (working_space: AcesCg, \
        inner: (exposure: 0.5, white_balance_k: Some(4500.0), cdl: (slope: (1.1, 1.0, 0.9), offset: (0.01, 0.0, -0.01), power: (1.2, 1.0, 0.9), saturation: 1.3)), \
        outer: (exposure: -0.5, cdl: (saturation: 0.5)), \
        outputs: [(output: \"o\", lut: Some(\"look33.cube\"), encoding: Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12))])";
    let (graded, stage, inputs) = render_text(&band_stage(colour), dir.path(), fmt, env);
    let c = &stage.colour;
    let t = c.output_transform(0);
    let (mut n_inner, mut n_outer, mut worst) = (0, 0, 0.0f64);
    for p in &stage.panels {
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let w = inputs
                    .inner_uv(p.pixel_centre(i, j))
                    .map_or(0.0, |uv| inner_weight(uv, inputs.soft_edge));
                let layer = if w >= 1.0 {
                    n_inner += 1;
                    &c.inner
                } else if w <= 0.0 {
                    n_outer += 1;
                    &c.outer
                } else {
                    continue;
                };
                let o = p.placement.output_pixel(i, j);
                let u = plain.linear(o.x as u32, o.y as u32);
                let g = graded.linear(o.x as u32, o.y as u32);
                let e = t.apply(
                    c.grade_layer(layer, [u[0] as f64, u[1] as f64, u[2] as f64]),
                    (o.x as u32, o.y as u32),
                );
                for k in 0..3 {
                    let d = (g[k] as f64 - e[k]).abs();
                    worst = worst.max(d);
                    assert!(
                        d < 1e-3,
                        "{} LED ({i}, {j}) w {w}: {u:?} -> {g:?}, expected {e:?}",
                        p.id
                    );
                }
            }
        }
    }
    eprintln!(
        "composite vs CPU reference: max error {worst:.2e} over {n_inner} inner and {n_outer} outer LED pixels"
    );
    assert!(
        n_inner > 5000 && n_outer > 5000,
        "{n_inner} inner, {n_outer} outer"
    );
}

/// With the same grade on both layers, the soft-edge band shows no step: every band LED pixel is
/// within CIEDE2000 1 of the colour inside (a uniform environment, so inner and outer see the same
/// colour). Grading one layer only makes a visible step (the check can fail).
#[test]
fn soft_edge_band_with_identical_grading_shows_no_step() {
    let dir = tempfile::tempdir().unwrap();
    let fmt = wgpu::TextureFormat::Rgba32Float;
    let uniform = |g: &Gpu, r: &Renderer| {
        let img = image::Rgba32FImage::from_pixel(64, 32, image::Rgba([0.18, 0.12, 0.06, 1.0]));
        let env = Environment::from_image(
            &r.scene_context(g),
            &image::DynamicImage::ImageRgba32F(img),
            0.0,
        )
        .unwrap();
        SceneList {
            parts: vec![Box::new(env)],
        }
    };
    let grade = "(exposure: 1.0, white_balance_k: Some(5000.0), cdl: (slope: (1.2, 1.0, 0.8), power: (1.1, 1.0, 0.9), saturation: 1.2))";
    let worst_step = |colour: String| {
        let (img, stage, inputs) = render_text(&band_stage(&colour), dir.path(), fmt, uniform);
        let (mut inside, mut band) = (None, Vec::new());
        for p in &stage.panels {
            for j in 0..p.pixels.y {
                for i in 0..p.pixels.x {
                    let w = inputs
                        .inner_uv(p.pixel_centre(i, j))
                        .map_or(0.0, |uv| inner_weight(uv, inputs.soft_edge));
                    let o = p.placement.output_pixel(i, j);
                    let c = img.linear(o.x as u32, o.y as u32);
                    if w >= 1.0 && inside.is_none() {
                        inside = Some(lab(c));
                    } else if w > 0.0 && w < 1.0 {
                        band.push(lab(c));
                    }
                }
            }
        }
        let inside = inside.expect("an inner pixel");
        assert!(band.len() > 5000, "{} band pixels", band.len());
        band.iter()
            .map(|b| ciede2000(inside, *b))
            .fold(0.0f64, f64::max)
    };
    let same = worst_step(format!("colour: (inner: {grade}, outer: {grade})"));
    let one = worst_step(format!("colour: (inner: {grade})"));
    eprintln!(
        "soft-edge band: worst CIEDE2000 {same:.3} with identical grades, {one:.1} with the inner graded alone"
    );
    assert!(same < 1.0, "{same}");
    assert!(one > 5.0, "{one}");
}

/// An HDR environment with a sun at 100,000 (beyond the half-float range) gives finite LEDs: PQ
/// at the 1000-nit peak where the sun is, in the 32-bit PQ raster of a PQ output.
#[test]
fn hdr_sun_gives_finite_leds_at_the_peak() {
    let dir = tempfile::tempdir().unwrap();
    let fmt = wgpu::TextureFormat::Rgba8UnormSrgb;
    let sun = |g: &Gpu, r: &Renderer| {
        // The lower half of the image (the half-sphere below the horizon, y < 0) is a 100,000 sun.
        let img = image::Rgba32FImage::from_fn(128, 64, |_, y| {
            if y >= 32 {
                image::Rgba([100_000.0, 100_000.0, 100_000.0, 1.0])
            } else {
                image::Rgba([0.2, 0.3, 0.5, 1.0])
            }
        });
        let env = Environment::from_image(
            &r.scene_context(g),
            &image::DynamicImage::ImageRgba32F(img),
            0.0,
        )
        .unwrap();
        SceneList {
            parts: vec![Box::new(env)],
        }
    };
    let colour = "colour: (outputs: [(output: \"o\", encoding: Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12))])";
    let (img, stage, _) = render_text(&band_stage(colour), dir.path(), fmt, sun);
    assert_eq!(img.format, wgpu::TextureFormat::Rgba32Float);
    let peak = pq_encode(1000.0);
    let (mut at_peak, mut total) = (0, 0);
    for p in &stage.panels {
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let o = p.placement.output_pixel(i, j);
                let c = img.linear(o.x as u32, o.y as u32);
                total += 1;
                assert!(
                    c[..3]
                        .iter()
                        .all(|v| v.is_finite() && *v >= 0.0 && *v as f64 <= peak + 1e-5),
                    "{} ({i}, {j}): {c:?}",
                    p.id
                );
                if c[..3].iter().all(|v| (*v as f64 - peak).abs() < 1e-4) {
                    at_peak += 1;
                }
            }
        }
    }
    eprintln!("sun: {at_peak} of {total} LED pixels at the 1000-nit peak");
    assert!(at_peak > 1000, "{at_peak} LED pixels at the peak");
}

/// `parallax render` writes each output in its encoding: a half-float EXR for a linear output, a
/// 16-bit PNG of 10-bit PQ code values (multiples of 64) for a PQ output, and records both in
/// `frame.json`.
#[test]
fn render_command_writes_each_encoding_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
    )
    .unwrap();
    let text = tiny
        .replacen(
            r#"placement: Auto(outputs: ["main"], origin: (96, 0), rotation: 90)"#,
            r#"placement: Auto(outputs: ["hdr"], rotation: 90)"#,
            1,
        )
        .replacen(
            r#"Output(name: "main", width: 128, height: 64),"#,
            r#"Output(name: "main", width: 128, height: 64), Output(name: "hdr", width: 32, height: 32),"#,
            1,
        )
        .replacen(
            "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),",
            r#"render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),
    colour: (outputs: [(output: "main", encoding: LinearExr),
                       (output: "hdr", encoding: Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 10))]),"#,
            1,
        );
    assert_eq!(text.matches("hdr").count(), 3, "{text}");
    let stage = dir.path().join("stage.ron");
    std::fs::write(&stage, text).unwrap();
    let out_dir = dir.path().join("out");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args([
            "render",
            stage.to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exr = image::open(out_dir.join("main.exr")).unwrap().to_rgba32f();
    assert_eq!(exr.dimensions(), (128, 64));
    let lit = exr
        .pixels()
        .filter(|p| p.0[..3].iter().any(|v| *v > 0.0))
        .count();
    assert!(lit > 3000, "{lit} lit pixels in main.exr");
    assert!(exr.pixels().all(|p| p.0.iter().all(|v| v.is_finite())));
    let png = image::open(out_dir.join("hdr.png")).unwrap();
    let image::DynamicImage::ImageRgba16(png) = png else {
        panic!("hdr.png is not 16-bit RGBA")
    };
    assert!(png.pixels().all(|p| p.0[..3].iter().all(|v| v % 64 == 0)));
    assert!(png.pixels().filter(|p| p.0[0] > 0).count() > 500);
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("frame.json")).unwrap())
            .unwrap();
    let o = &info["outputs"];
    assert_eq!(o[0]["name"], "main");
    assert_eq!(o[0]["encoding"], "linear-exr");
    assert_eq!(o[1]["encoding"], "pq");
    assert_eq!(o[1]["primaries"], "Rec2020");
    assert_eq!(o[1]["bits"], 10);
    assert_eq!(o[1]["peak_nits"], 1000.0);
}
