//! `parallax pattern --kind test-card`: every output's card decoded from the written file and
//! checked against the transfer functions computed here from their specifications (SMPTE ST 2084's
//! constants, IEC 61966-2-1's formula), quantised as the encoding's bit depth says.

use std::path::Path;

use serde_json::Value;

/// SMPTE ST 2084:2014 inverse EOTF, from the spec's constants: nits -> signal 0..1.
fn pq(nits: f64) -> f64 {
    let m1 = 2610.0 / 16384.0;
    let m2 = 2523.0 / 4096.0 * 128.0;
    let c1 = 3424.0 / 4096.0;
    let c2 = 2413.0 / 4096.0 * 32.0;
    let c3 = 2392.0 / 4096.0 * 32.0;
    let y = (nits / 10000.0).powf(m1);
    ((c1 + c2 * y) / (1.0 + c3 * y)).powf(m2)
}

/// IEC 61966-2-1:1999 encoding: linear 0..1 -> signal 0..1.
fn srgb(x: f64) -> f64 {
    if x <= 0.0031308 {
        12.92 * x
    } else {
        1.055 * x.powf(1.0 / 2.4) - 0.055
    }
}

const NITS: [f64; 9] = [0.0, 0.1, 1.0, 10.0, 100.0, 203.0, 1000.0, 4000.0, 10000.0];
const FRACTIONS: [f64; 9] = [0.0, 0.001, 0.01, 0.02, 0.05, 0.1, 0.18, 0.5, 1.0];

/// Four outputs, one cabinet each: sRGB, PQ 12-bit (peak 1000), PQ 10-bit (peak 4000, white 203),
/// linear EXR. Sizes not multiples of 5 or 9, so the integer split of bands and patches shows.
fn stage_text() -> String {
    let mut sections = String::new();
    let outputs = [
        ("sdr", 301, 41),
        ("hdr", 100, 33),
        ("hdr10", 70, 17),
        ("lin", 40, 16),
    ];
    for (k, (name, _, _)) in outputs.iter().enumerate() {
        sections.push_str(&format!(
            r#"(name: "{name}", panel_type: "T16",
               shape: Flat(columns: 1, rows: 1, position: ({}.0, 1.0, -2.0), anchor: Centre, rotation: PanTiltRoll(0.0, 0.0, 0.0)),
               placement: Auto(outputs: ["{name}"])),
"#,
            k
        ));
    }
    let outs: Vec<String> = outputs
        .iter()
        .map(|(n, w, h)| format!(r#"Output(name: "{n}", width: {w}, height: {h})"#))
        .collect();
    format!(
        r#"Stage(
    name: "Cards",
    frame_rate: 60.0,
    panel_types: [PanelType(name: "T16", width_mm: 250.0, height_mm: 250.0, pixels: (16, 16))],
    sections: [{sections}],
    outputs: [{}],
    cameras: [
        Camera(name: "A", position: (0.0, 1.0, 0.5), lens: Lens(focal_length_mm: 24.0, sensor_mm: (36.0, 24.0)),
               inner: Inner(resolution: (96, 64), overscan: Uniform(0.3), soft_edge: 0.1)),
    ],
    render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),
    colour: (outputs: [
        (output: "hdr", lut: Some("look33.cube"), encoding: Pq(white_nits: 100.0, peak_nits: 1000.0, bits: 12)),
        (output: "hdr10", encoding: Pq(white_nits: 203.0, peak_nits: 4000.0, bits: 10)),
        (output: "lin", encoding: LinearExr),
    ]),
)"#,
        outs.join(", ")
    )
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rect(v: &Value) -> [u32; 4] {
    ["x", "y", "width", "height"].map(|k| v[k].as_u64().unwrap() as u32)
}

/// Patch `i` of `n` in a `w x h` card, and band `k` of 5 (docs/colour.md's layout).
fn patch_rect(w: u32, h: u32, i: u32) -> [u32; 4] {
    let (y0, x0, x1) = (4 * h / 5, i * w / 9, (i + 1) * w / 9);
    [x0, y0, x1 - x0, h - y0]
}
fn band(h: u32, k: u32) -> (u32, u32) {
    (k * h / 5, (k + 1) * h / 5)
}

/// Checks the four ramps of a card read as `value(x, y, channel)` (codes or linear values): the
/// ramp's channels hold `ramp(x)`, the others 0, on every row of its band.
fn check_ramps(w: u32, h: u32, value: impl Fn(u32, u32, usize) -> f64, ramp: impl Fn(u32) -> f64) {
    let channels = [
        [true; 3],
        [true, false, false],
        [false, true, false],
        [false, false, true],
    ];
    for (k, on) in channels.iter().enumerate() {
        let (y0, y1) = band(h, k as u32);
        for y in y0..y1 {
            let mut prev = f64::NEG_INFINITY;
            for x in 0..w {
                for (c, &carries) in on.iter().enumerate() {
                    let want = if carries { ramp(x) } else { 0.0 };
                    assert_eq!(value(x, y, c), want, "band {k} ({x}, {y}) channel {c}");
                }
                let v = value(x, y, on.iter().position(|&o| o).unwrap());
                assert!(v >= prev, "band {k} not monotonic at ({x}, {y})");
                prev = v;
            }
        }
    }
}

#[test]
fn test_cards_hold_the_specified_code_values() {
    // The issue's anchor for the PQ curve written above.
    assert!((pq(100.0) - 0.5080784).abs() < 1e-7, "{}", pq(100.0));
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("cards.ron");
    std::fs::write(&stage, stage_text()).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/colour/look33.cube"),
        dir.path().join("look33.cube"),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args([
            "pattern",
            stage.to_str().unwrap(),
            "--kind",
            "test-card",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for f in [
        "sdr.png",
        "hdr.png",
        "hdr10.png",
        "lin.exr",
        "lin.card.json",
    ] {
        assert!(stdout.contains(f), "{stdout}");
    }

    // PQ outputs: 16-bit PNGs of `bits`-bit codes, MSB-aligned.
    for (name, w, h, bits, peak, white) in [
        ("hdr", 100u32, 33u32, 12u32, 1000.0, 100.0),
        ("hdr10", 70, 17, 10, 4000.0, 203.0),
    ] {
        let image::DynamicImage::ImageRgba16(png) =
            image::open(out_dir.join(format!("{name}.png"))).unwrap()
        else {
            panic!("{name}.png is not 16-bit RGBA")
        };
        assert_eq!(png.dimensions(), (w, h));
        let shift = 16 - bits;
        let max = (1u32 << bits) - 1;
        assert!(
            png.pixels()
                .all(|p| p.0[..3].iter().all(|v| v % (1 << shift) == 0) && p.0[3] == u16::MAX)
        );
        let code = |x: u32, y: u32, c: usize| f64::from(png.get_pixel(x, y).0[c] >> shift);
        check_ramps(w, h, code, |x| {
            (f64::from(x) * f64::from(max) / f64::from(w - 1)).round()
        });
        assert_eq!(code(0, 0, 0), 0.0);
        assert_eq!(code(w - 1, 0, 0), f64::from(max));
        let side = json(&out_dir.join(format!("{name}.card.json")));
        assert_eq!(side["format"], "parallax-test-card");
        assert_eq!(side["graded"], false);
        assert_eq!(side["encoding"]["encoding"], "pq");
        assert_eq!(side["encoding"]["primaries"], "Rec2020");
        assert_eq!(side["encoding"]["bits"], bits);
        let patches = side["patches"].as_array().unwrap();
        assert_eq!(patches.len(), 9);
        let mut codes = Vec::new();
        for (i, p) in patches.iter().enumerate() {
            let nits = NITS[i].min(peak);
            let want = (pq(nits) * f64::from(max)).round();
            let r = rect(&p["rect"]);
            assert_eq!(r, patch_rect(w, h, i as u32), "{name} patch {i}");
            for y in r[1]..r[1] + r[3] {
                for x in r[0]..r[0] + r[2] {
                    for c in 0..3 {
                        assert_eq!(code(x, y, c), want, "{name} patch {i} at ({x}, {y})");
                    }
                }
            }
            assert_eq!(p["code"].as_f64().unwrap(), want, "{name} patch {i}");
            assert_eq!(
                p["stored"].as_f64().unwrap(),
                want * f64::from(1u32 << shift)
            );
            assert_eq!(p["nits"].as_f64().unwrap(), nits);
            assert_eq!(p["requested_nits"].as_f64().unwrap(), NITS[i]);
            assert!((p["linear"].as_f64().unwrap() - nits / white).abs() < 1e-12);
            codes.push(want as u32);
        }
        println!("{name}: PQ {bits}-bit patch codes {codes:?}");
        // Strictly increasing up to the peak, then held at the peak's code.
        let at_peak = NITS.iter().position(|&n| n >= peak).unwrap();
        assert!(
            codes[..=at_peak].windows(2).all(|p| p[0] < p[1]),
            "{codes:?}"
        );
        assert!(
            codes[at_peak..].iter().all(|&c| c == codes[at_peak]),
            "{codes:?}"
        );
    }
    // 100 nits in 12 bits: round(0.5080784 * 4095) = 2081; 10 bits: 520.
    let hdr = json(&out_dir.join("hdr.card.json"));
    assert_eq!(hdr["patches"][4]["code"], 2081);
    // The configured LUT is recorded, and not applied (the codes above are the bare PQ curve).
    assert_eq!(hdr["encoding"]["lut"], "look33.cube");
    assert_eq!(
        json(&out_dir.join("hdr10.card.json"))["patches"][4]["code"],
        520
    );

    // sRGB output: 8-bit codes.
    let (w, h) = (301u32, 41u32);
    let sdr = image::open(out_dir.join("sdr.png")).unwrap();
    assert!(matches!(sdr, image::DynamicImage::ImageRgba8(_)));
    let sdr = sdr.to_rgba8();
    let code = |x: u32, y: u32, c: usize| f64::from(sdr.get_pixel(x, y).0[c]);
    check_ramps(w, h, code, |x| {
        (f64::from(x) * 255.0 / f64::from(w - 1)).round()
    });
    assert_eq!((code(0, 0, 1), code(w - 1, h / 5, 0)), (0.0, 255.0));
    let side = json(&out_dir.join("sdr.card.json"));
    assert_eq!(side["encoding"]["encoding"], "srgb8");
    let mut codes = Vec::new();
    for (i, p) in side["patches"].as_array().unwrap().iter().enumerate() {
        let want = (srgb(FRACTIONS[i]) * 255.0).round();
        let r = rect(&p["rect"]);
        assert_eq!(r, patch_rect(w, h, i as u32));
        for (x, y) in [(r[0], r[1]), (r[0] + r[2] - 1, h - 1)] {
            assert_eq!(
                sdr.get_pixel(x, y).0,
                [want as u8, want as u8, want as u8, 255]
            );
        }
        assert_eq!(p["code"].as_f64().unwrap(), want);
        assert_eq!(p["linear"].as_f64().unwrap(), FRACTIONS[i]);
        assert!(p["nits"].is_null());
        codes.push(want as u32);
    }
    println!("sdr: sRGB patch codes {codes:?}");
    assert!(codes.windows(2).all(|p| p[0] < p[1]), "{codes:?}");

    // Linear EXR: half floats, nits / 100.
    let (w, h) = (40u32, 16u32);
    let exr = image::open(out_dir.join("lin.exr")).unwrap().to_rgba32f();
    assert_eq!(exr.dimensions(), (w, h));
    let value = |x: u32, y: u32, c: usize| f64::from(exr.get_pixel(x, y).0[c]);
    let half =
        |v: f64, exact: f64| (v - exact).abs() <= (exact * 2f64.powi(-11)).max(2f64.powi(-25));
    for k in 0..4 {
        let (y0, _) = band(h, k);
        assert_eq!(value(0, y0, 0) + value(0, y0, 1) + value(0, y0, 2), 0.0);
        assert_eq!(
            value(w - 1, y0, if k == 0 { 0 } else { k as usize - 1 }),
            1.0
        );
        for x in 1..w {
            let exact = f64::from(x) / f64::from(w - 1);
            let c = if k == 0 { 0 } else { k as usize - 1 };
            assert!(
                half(value(x, y0, c), exact),
                "band {k} x {x}: {}",
                value(x, y0, c)
            );
            assert!(value(x, y0, c) >= value(x - 1, y0, c));
        }
    }
    let side = json(&out_dir.join("lin.card.json"));
    assert_eq!(side["file"], "lin.exr");
    for (i, p) in side["patches"].as_array().unwrap().iter().enumerate() {
        let r = rect(&p["rect"]);
        assert_eq!(r, patch_rect(w, h, i as u32));
        let exact = NITS[i] / 100.0;
        assert!(
            half(value(r[0], r[1], 1), exact),
            "patch {i}: {}",
            value(r[0], r[1], 1)
        );
        assert!(p["code"].is_null());
        assert_eq!(p["stored"].as_f64().unwrap(), value(r[0], r[1], 1));
    }
}
