//! HDR outputs in `parallax check`: a PQ output (named with a dot, `pq.1`) and a linear EXR
//! output get references in their own format at full depth, compared by delta E ITP; a change
//! that the old 8-bit comparison could not see fails; an old 8-bit reference is missing, with the
//! update that replaces it; so is a PQ output's 16-bit reference once the output is sRGB or
//! linear EXR (said to be PQ's, not 8-bit).

use std::path::Path;

use image::DynamicImage;
use parallax::compare::{Tolerance, compare};

use super::{check, junit_cases, stdout};

/// Two sections of 4 x 2 cabinets (16 px, 0.5 m), side by side 3 m in front of the camera, each
/// filling its own 64 x 32 output: `pq.1` (PQ, 12 bits) and `lin` (linear EXR). `pq_stops` and
/// `lin_stops` are each output's exposure (inner and outer).
fn hdr_stage(pq_stops: f64, lin_stops: f64) -> String {
    let grade = |s: f64| format!("inner: Some((exposure: {s:?})), outer: Some((exposure: {s:?}))");
    format!(
        r#"Stage(name: "hdr", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (16, 16))],
  sections: [
    (name: "A", panel_type: "P", shape: Flat(columns: 4, rows: 2, position: (-1.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["pq.1"])),
    (name: "B", panel_type: "P", shape: Flat(columns: 4, rows: 2, position: (1.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["lin"])),
  ],
  outputs: [Output(name: "pq.1", width: 64, height: 32), Output(name: "lin", width: 64, height: 32)],
  cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0))],
  colour: (outputs: [
    (output: "pq.1", encoding: Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12), {}),
    (output: "lin", encoding: LinearExr, {}),
  ]),
)"#,
        grade(pq_stops),
        grade(lin_stops)
    )
}

/// The 8-bit image the old comparison made of an output: its float values (PQ code values, or
/// linear light clamped to 0..1) sRGB-encoded in 8 bits (`ReadImage::to_rgba8`).
fn old_eight_bit(values: &image::Rgba32FImage) -> image::RgbaImage {
    let raster = parallax::render::ReadImage {
        width: values.width(),
        height: values.height(),
        format: wgpu::TextureFormat::Rgba32Float,
        bytes: bytemuck::cast_slice(values.as_raw()).to_vec(),
    };
    raster.to_rgba8()
}

/// A 16-bit PQ PNG's code values (12 bits, MSB-aligned) as 0..1.
fn pq_values(path: &Path) -> image::Rgba32FImage {
    let img = image::open(path).unwrap().to_rgba16();
    image::Rgba32FImage::from_fn(img.width(), img.height(), |x, y| {
        let p = img.get_pixel(x, y);
        image::Rgba([0, 1, 2, 3].map(|c| (p[c] >> 4) as f32 / 4095.0))
    })
}

fn exr_values(path: &Path) -> image::Rgba32FImage {
    image::open(path).unwrap().to_rgba32f()
}

#[test]
fn hdr_outputs_are_checked_in_their_own_format_by_delta_e_itp() {
    let dir = tempfile::tempdir().unwrap();
    // An environment brighter than 1.0 everywhere (120 to 300 nits): the EXR output is above 1.0
    // at every pixel.
    let env = image::Rgba32FImage::from_fn(64, 32, |x, y| {
        let u = x as f32 / 63.0;
        image::Rgba([
            1.2 + 1.8 * u,
            2.0 - 0.5 * (y as f32 / 31.0),
            3.0 - 1.6 * u,
            1.0,
        ])
    });
    DynamicImage::ImageRgba32F(env)
        .save(dir.path().join("env.exr"))
        .unwrap();
    let stage = dir.path().join("hdr.ron");
    std::fs::write(&stage, hdr_stage(0.0, 0.0)).unwrap();
    let checks = dir.path().join("hdr.checks.ron");
    std::fs::write(
        &checks,
        format!(
            r#"Checks(stage: {:?}, refs: "refs", content: Environment(path: "env.exr"),
    render: (inner_resolution: (64, 48), outer_resolution: 16, downsample: 2),
    poses: [Pose(name: "front", position: (0.0, 1.5, 0.0))],
    cases: [Case(name: "h", pose: "front", images: [Outputs])],
    pixel_map: false)"#,
            stage.display().to_string()
        ),
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let fail = dir.path().join("fail");
    let run = |extra: &[&str]| {
        let mut args = vec![checks.to_str().unwrap(), "--junit", junit.to_str().unwrap()];
        args.extend_from_slice(&["--out", fail.to_str().unwrap()]);
        args.extend_from_slice(extra);
        check(&args)
    };
    let refs = dir.path().join("refs");
    let (pq_ref, lin_ref) = (
        refs.join("h.output-pq.1.png"),
        refs.join("h.output-lin.exr"),
    );

    // --update writes a 16-bit PNG with 12 significant bits and a half-float EXR, 32 x 16
    // (64 x 32 downsampled 2 x), under names that keep the output's dot.
    let o = run(&["--update"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("(PQ, 12-bit codes in a 16-bit PNG)"),
        "{}",
        stdout(&o)
    );
    let png = image::open(&pq_ref).unwrap();
    assert!(
        matches!(png, DynamicImage::ImageRgba16(_)),
        "{:?}",
        png.color()
    );
    assert_eq!((png.width(), png.height()), (32, 16));
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&pq_ref).unwrap(),
    ));
    let reader = decoder.read_info().unwrap();
    assert_eq!(reader.info().sbit.as_deref(), Some(&[12u8, 12, 12, 12][..]));
    assert!(!refs.join("h.output-pq.png").exists());
    let exr = std::fs::read(&lin_ref).unwrap();
    assert_eq!(&exr[..4], &[0x76, 0x2f, 0x31, 0x01], "OpenEXR magic number");
    let lin = exr_values(&lin_ref);
    assert_eq!((lin.width(), lin.height()), (32, 16));
    // Linear light above 1.0 is kept: every pixel (all of the output is wall).
    assert!(lin.pixels().all(|p| p[0] > 1.1 && p[1] > 1.1 && p[2] > 1.1));

    // A re-run passes with delta E ITP 0 on both.
    let o = run(&[]);
    assert!(o.status.success(), "{}", stdout(&o));
    let report = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(
        report
            .matches("delta E ITP mean 0.000 (limit 1), p99 0.000 (limit 10)")
            .count(),
        2,
        "{report}"
    );

    // The EXR output 1 stop brighter (every pixel above 1.0 linear, 100 nits) and the PQ output
    // 0.07 stops brighter: both fail...
    std::fs::write(&stage, hdr_stage(0.07, 1.0)).unwrap();
    let o = run(&[]);
    assert!(!o.status.success(), "{}", stdout(&o));
    let cases = junit_cases(&junit);
    assert_eq!(cases["h/output-pq.1"], "mismatch", "{}", stdout(&o));
    assert_eq!(cases["h/output-lin"], "mismatch", "{}", stdout(&o));
    let text = stdout(&o);
    for name in ["h/output-pq.1", "h/output-lin"] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.contains("FAILED") && line.contains("delta E ITP mean"),
            "{line}"
        );
        eprintln!("{line}");
    }
    // ... with the actual images in the output's format, and readable review images.
    let (pq_actual, lin_actual) = (
        fail.join("h.output-pq.1.actual.png"),
        fail.join("h.output-lin.actual.exr"),
    );
    for f in [
        &pq_actual,
        &lin_actual,
        &fail.join("h.output-pq.1.diff.png"),
        &fail.join("h.output-lin.side-by-side.png"),
    ] {
        assert!(f.exists(), "{}", f.display());
        assert!(text.contains(&f.display().to_string()), "{text}");
    }
    let side = image::open(fail.join("h.output-pq.1.side-by-side.png")).unwrap();
    assert!(side.width() >= 3 * 512, "{}", side.width());
    // ... while the old 8-bit comparison saw nothing: the EXR output's 8-bit images are equal
    // (clamped at 1.0), and the PQ output's pass the old default tolerance (delta E 1976 mean 1,
    // p99 10).
    let (lin_old, lin_new) = (exr_values(&lin_ref), exr_values(&lin_actual));
    assert!(
        lin_new
            .pixels()
            .zip(lin_old.pixels())
            .all(|(n, o)| n[0] > 1.9 * o[0])
    );
    assert_eq!(old_eight_bit(&lin_old), old_eight_bit(&lin_new));
    let (pq_old, pq_new) = (pq_values(&pq_ref), pq_values(&pq_actual));
    assert_ne!(pq_old, pq_new);
    let c = compare(
        &old_eight_bit(&pq_old),
        &old_eight_bit(&pq_new),
        &Tolerance::default(),
    )
    .unwrap();
    eprintln!("old 8-bit comparison of h/output-pq.1: {}", c.summary());
    assert!(
        c.mean_delta_e <= 1.0 && c.delta_e_percentile(99.0) <= 10.0,
        "the old comparison would have failed too: {}",
        c.summary()
    );

    // Old 8-bit references (from before HDR checks) are missing, with the update that replaces
    // them; not a pass, not a crash.
    std::fs::write(&stage, hdr_stage(0.0, 0.0)).unwrap();
    std::fs::remove_file(&lin_ref).unwrap();
    for stem in ["h.output-pq.1", "h.output-lin"] {
        parallax::io::write_png(
            &refs.join(format!("{stem}.png")),
            &image::RgbaImage::new(32, 16),
        )
        .unwrap();
    }
    let o = run(&[]);
    assert!(!o.status.success(), "{}", stdout(&o));
    let cases = junit_cases(&junit);
    assert_eq!(cases["h/output-pq.1"], "missing-reference");
    assert_eq!(cases["h/output-lin"], "missing-reference");
    let text = stdout(&o);
    assert!(
        text.contains("is an 8-bit PNG from before HDR checks"),
        "{text}"
    );
    assert!(
        text.contains("is an 8-bit reference from before HDR checks"),
        "{text}"
    );
    assert_eq!(
        text.matches("run with --update=h to write it").count(),
        2,
        "{text}"
    );
    let o = run(&["--update=h"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(
            "before HDR checks (or from when the output was sRGB) and no longer used: delete it"
        ),
        "{}",
        stdout(&o)
    );
    assert!(run(&[]).status.success());

    // The PQ output made linear EXR: its 16-bit PQ reference is not taken for an 8-bit one.
    let exr = hdr_stage(0.0, 0.0).replace(
        "encoding: Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12)",
        "encoding: LinearExr",
    );
    std::fs::write(&stage, exr).unwrap();
    let o = run(&[]);
    assert!(!o.status.success(), "{}", stdout(&o));
    assert_eq!(junit_cases(&junit)["h/output-pq.1"], "missing-reference");
    let want = format!(
        "{} is a 16-bit PQ reference (from when the output was PQ), which linear EXR outputs do not use",
        pq_ref.display()
    );
    assert!(stdout(&o).contains(&want), "{}", stdout(&o));
    let o = run(&["--update=h"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let want = format!(
        "{} is a 16-bit PQ reference (from when the output was PQ) and no longer used: delete it",
        pq_ref.display()
    );
    assert!(stdout(&o).contains(&want), "{}", stdout(&o));
    assert!(refs.join("h.output-pq.1.exr").exists());

    // The PQ output made sRGB again: its 16-bit reference is missing (not read as 8-bit, not a
    // crash), with the update that replaces it by an 8-bit one; the EXR output still passes.
    let srgb = hdr_stage(0.0, 0.0).replace(
        "encoding: Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12), ",
        "",
    );
    assert_ne!(srgb, hdr_stage(0.0, 0.0));
    std::fs::write(&stage, srgb).unwrap();
    let o = run(&[]);
    assert!(!o.status.success(), "{}", stdout(&o));
    let cases = junit_cases(&junit);
    assert_eq!(cases["h/output-pq.1"], "missing-reference");
    assert_eq!(cases["h/output-lin"], "");
    let want = format!(
        "reference {} is a 16-bit PNG (a PQ output's) but this image is compared as 8-bit sRGB (run with --update=h to replace it",
        pq_ref.display()
    );
    assert!(stdout(&o).contains(&want), "{}", stdout(&o));
    let o = run(&["--update=h"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let png = image::open(&pq_ref).unwrap();
    assert!(
        matches!(png, DynamicImage::ImageRgba8(_)),
        "{:?}",
        png.color()
    );
    assert!(run(&[]).status.success());
}
