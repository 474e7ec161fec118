//! The stage file's `colour:` section: bad LUT files and colour settings are located stage errors,
//! reported with the others; `validate` shows the colour each output and section gets; settings
//! that load but clip are located warnings, also beside errors.

use parallax::stage;

use super::{asset, position_of};

/// A bad `.cube` LUT named by the stage file's `colour:` section is a stage error naming the output
/// and every bad line as `file:line` at once; a missing LUT names its path; an unknown output and
/// a bad grade are named too.
#[test]
fn bad_lut_files_are_located_stage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(asset("tiny.ron")).unwrap();
    let cube = "# bad\nLUT_3D_SIZE 2\n0 0 0\n1 0\n0 1 0\n1 1 0\n0 0 1\n1 0 x\n0 1 1\n1 1 1\n";
    std::fs::write(dir.path().join("bad.cube"), cube).unwrap();
    let with = |colour: &str| {
        let text = tiny.replacen(
            "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),",
            &format!("render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),\n    colour: ({colour}),"),
            1,
        );
        assert!(text.contains("colour:"));
        let path = dir.path().join("stage.ron");
        std::fs::write(&path, text).unwrap();
        match stage::load(&path) {
            Ok(_) => panic!("accepted {colour}"),
            Err(e) => e.to_string(),
        }
    };
    let e = with(r#"outputs: [(output: "main", lut: Some("bad.cube"))]"#);
    assert!(e.contains("output 'main': LUT:"), "{e}");
    assert!(
        e.contains("bad.cube:4: expected 3 numbers, got 2 in '1 0'"),
        "{e}"
    );
    assert!(e.contains("bad.cube:8: 'x' is not a finite number"), "{e}");
    let e = with(r#"outputs: [(output: "main", lut: Some("missing.cube"))]"#);
    assert!(e.contains("missing.cube: cannot read"), "{e}");
    let e = with(r#"inner: (exposure: 100.0), outputs: [(output: "nope")]"#);
    assert!(
        e.contains("unknown output 'nope'") && e.contains("colour.inner.exposure"),
        "{e}"
    );
    // A misspelt field is a located syntax error like any other.
    let e = with(r#"inner: (exposur: 1.0)"#);
    assert!(e.contains("stage.ron:") && e.contains("exposur"), "{e}");
}

/// `validate` says what each output and section gets for colour, without rendering: working
/// space, stage-wide grades, per output its encoding with its parameters, its LUT (path and
/// TITLE) and where each layer's grade comes from, per overriding section its grades (only the
/// non-neutral parts) and LUT. The expected lines are written out from the stage text below by the
/// resolution rule (docs/colour.md); a stage without `colour:` prints the encoding name alone.
#[test]
fn validate_shows_the_colour_each_output_and_section_gets() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(asset("tiny.ron")).unwrap();
    // A 2^3 identity table with a title; its SHA-256 starts 93d3214e4675d13c (by `sha256sum`).
    let cube = "TITLE \"Warm look\"\nLUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
    std::fs::write(dir.path().join("warm.cube"), cube).unwrap();
    let validate = |colour: Option<&str>| {
        let text = match colour {
            Some(c) => tiny.replacen(
                "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),",
                &format!("render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),\n    colour: ({c}),"),
                1,
            ),
            None => tiny.clone(),
        };
        assert_eq!(text.contains("colour:"), colour.is_some());
        let path = dir.path().join("stage.ron");
        std::fs::write(&path, text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
            .arg("validate")
            .arg(&path)
            .output()
            .expect("run parallax");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    // Sections A and C are both in output main.
    let out = validate(Some(
        r#"working_space: AcesCg, inner: (exposure: 0.5, white_balance_k: Some(3200.0)),
        sections: [(section: "A", lut: Some("warm.cube"),
            inner: Some((exposure: 1.0, white_balance_k: Some(5600.0))),
            outer: Some((cdl: (slope: (1.1, 1.0, 0.9), saturation: 0.8))))],
        outputs: [(output: "main", encoding: Pq(white_nits: 203.0, peak_nits: 1000.0, bits: 10),
            cards: Some((exposure: -1.0)))]"#,
    ));
    let expected = "\
colour: working space AcesCg
  stage-wide   inner: exposure +0.5 stops, white balance 3200 K (black body)
output main: pq (10-bit in a 16-bit PNG, white 203 nits, peak 1000 nits, Rec.2020 primaries)
  LUT          per section: A: warm.cube (\"Warm look\", sha256 93d3214e4675d13c), input domain ends at 1: everything above 203 nits takes its edge values; C: none
  inner grade  section A, else stage-wide
  outer grade  section A, else stage-wide (neutral)
  cards grade  output (exposure -1 stops)
section A:
  LUT          warm.cube (\"Warm look\", sha256 93d3214e4675d13c)
  inner grade  exposure +1 stops, white balance 5600 K (daylight)
  outer grade  slope (1.1, 1, 0.9), saturation 0.8
";
    assert!(out.contains(expected), "{out}");
    // The output's own LUT; an identity LUT is not applied on an sRGB output, and says so.
    let out = validate(Some(
        r#"outputs: [(output: "main", lut: Some("warm.cube"), encoding: Srgb(dither: true))]"#,
    ));
    let expected = "\
colour: working space Rec709
  stage-wide   neutral
output main: srgb8-dither (8-bit sRGB, 8 x 8 ordered dither, Rec.709 primaries)
  LUT          warm.cube (\"Warm look\", sha256 93d3214e4675d13c), identity on 0..1: not applied on this sRGB output
  inner grade  stage-wide (neutral)
  outer grade  stage-wide (neutral)
  cards grade  stage-wide (neutral)
";
    assert!(out.contains(expected), "{out}");
    assert!(!out.contains("section A:"), "{out}");
    // Without a colour section: the encoding's name alone, as before.
    let out = validate(None);
    assert!(out.contains("\noutput main: srgb8\n"), "{out}");
    assert!(!out.contains("colour:") && !out.contains("grade"), "{out}");
}

/// A section listed twice does not stop the other colour checks: the broken LUT of its first entry,
/// the missing LUT of an unknown section and a stage-wide grade are reported with it, each at the
/// line and column of its field, the stage-wide problems under `colour:`.
#[test]
fn a_duplicate_section_does_not_hide_the_other_colour_problems() {
    let dir = tempfile::tempdir().unwrap();
    // Row 3 of 8, on line 4, is not numeric.
    let cube = "LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 one 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
    std::fs::write(dir.path().join("nonnum.cube"), cube).unwrap();
    let tiny = std::fs::read_to_string(asset("tiny.ron")).unwrap();
    let render = "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),";
    let colour = r#"colour: (
        inner: (cdl: (saturation: -1.0)),
        sections: [
            (section: "A", lut: Some("nonnum.cube")),
            (section: "A", inner: Some((exposure: 1.0))),
            (section: "Nope", lut: Some("missing.cube")),
        ],
    ),"#;
    let text = tiny.replacen(render, &format!("{render}\n    {colour}"), 1);
    assert!(text.contains("Nope"));
    let path = dir.path().join("stage.ron");
    std::fs::write(&path, &text).unwrap();
    let e = stage::load(&path).expect_err("accepted").to_string();
    let file = path.display().to_string();
    let at = |needle: &str| {
        let (line, col) = position_of(&text, needle);
        format!("  - {file}:{line}:{col}: ")
    };
    let dir_ = dir.path().display();
    let expected = [
        format!(
            "{}colour: cdl.saturation = -1 must be within 0..1000 (at colour.inner.cdl.saturation)",
            at("saturation: -1.0")
        ),
        format!(
            "{}section 'A': listed twice in colour.sections (at colour.sections[1].section)",
            at(r#"section: "A", inner"#)
        ),
        format!(
            "{}colour: unknown section 'Nope' (at colour.sections[2].section)",
            at(r#"section: "Nope""#)
        ),
        format!(
            "{}section 'A': LUT: {dir_}/nonnum.cube:4: 'one' is not a finite number (at colour.sections[0].lut)",
            at(r#"lut: Some("nonnum.cube")"#)
        ),
    ];
    for line in &expected {
        assert!(e.lines().any(|l| l == line), "{line}\nnot in\n{e}");
    }
    let missing = format!(
        "{}section 'Nope': LUT: {dir_}/missing.cube: cannot read: ",
        at(r#"lut: Some("missing.cube")"#)
    );
    assert!(
        e.lines()
            .any(|l| l.starts_with(&missing) && l.ends_with("(at colour.sections[2].lut)")),
        "{missing}\nnot in\n{e}"
    );
    assert!(e.starts_with(&format!("{file}: 5 problems:\n")), "{e}");
    // In the file's order: the LUT of entry 0 (line of `nonnum.cube`) before the duplicate of
    // entry 1, the unknown section of entry 2 before its LUT (same line, further right).
    let order: Vec<(usize, usize)> = e
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("  - {file}:")))
        .map(|rest| {
            let mut parts = rest.splitn(3, ':');
            let line = parts.next().unwrap().parse().unwrap();
            let col = parts.next().unwrap().parse().unwrap();
            (line, col)
        })
        .collect();
    assert_eq!(order.len(), 5, "{e}");
    assert!(order.is_sorted(), "{order:?}\n{e}");
}

/// Colour settings that load but clip are warnings at their fields: a PQ output whose
/// `white_nits` is above its `peak_nits` (linear values from peak / white up clip), and a LUT whose
/// input domain ends at 1 in effect on a PQ output (linear 1.0 is `white_nits` there, so everything
/// brighter takes the table's edge values), said once per LUT field even when several sections of
/// the output take it. The same LUT on an sRGB output is no warning.
#[test]
fn colour_settings_that_clip_are_warnings_at_their_fields() {
    let dir = tempfile::tempdir().unwrap();
    let cube = "LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
    std::fs::write(dir.path().join("unit.cube"), cube).unwrap();
    let tiny = std::fs::read_to_string(asset("tiny.ron")).unwrap();
    let render = "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),";
    let load = |colour: &str| {
        let text = tiny.replacen(render, &format!("{render}\n    colour: ({colour}),"), 1);
        assert!(text.contains(colour));
        let path = dir.path().join("stage.ron");
        std::fs::write(&path, &text).unwrap();
        let stage = stage::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let warnings: Vec<String> = stage.warnings.iter().map(|w| w.to_string()).collect();
        (text, path.display().to_string(), warnings)
    };
    let (text, file, warnings) = load(
        r#"outputs: [(output: "main", lut: Some("unit.cube"),
            encoding: Pq(white_nits: 400.0, peak_nits: 300.0, bits: 12))]"#,
    );
    let at = |needle: &str| {
        let (line, col) = position_of(&text, needle);
        format!("{file}:{line}:{col}: ")
    };
    let white = warnings
        .iter()
        .find(|w| w.contains("white_nits 400 is above peak_nits 300"))
        .unwrap_or_else(|| panic!("{warnings:?}"));
    assert!(white.starts_with(&at("encoding: Pq")), "{white}");
    // 300 / 400 = 0.75 of the reference white.
    assert!(white.contains("from 0.750 up"), "{white}");
    let lut = warnings
        .iter()
        .find(|w| w.contains("input domain ends at 1"))
        .unwrap_or_else(|| panic!("{warnings:?}"));
    assert!(lut.starts_with(&at(r#"lut: Some("unit.cube")"#)), "{lut}");
    assert!(lut.contains("above 400 nits"), "{lut}");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    // Sections A and C (both in output main) take the same section-level field once each: two
    // fields, two warnings; white under peak: no white warning.
    let (_, _, warnings) = load(
        r#"sections: [(section: "A", lut: Some("unit.cube")), (section: "C", lut: Some("unit.cube"))],
            outputs: [(output: "main", encoding: Pq(white_nits: 203.0, peak_nits: 1000.0, bits: 10))]"#,
    );
    let luts: Vec<&String> = warnings
        .iter()
        .filter(|w| w.contains("input domain ends at 1"))
        .collect();
    assert_eq!(luts.len(), 2, "{warnings:?}");
    assert!(
        luts.iter().all(|w| w.contains("above 203 nits")),
        "{luts:?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("peak_nits")),
        "{warnings:?}"
    );
    // On sRGB, linear 1.0 is the top of the signal: no warning.
    let (_, _, warnings) = load(r#"outputs: [(output: "main", lut: Some("unit.cube"))]"#);
    assert!(warnings.is_empty(), "{warnings:?}");

    // Beside errors, the white warning still comes, located: with a broken LUT (the stage builds,
    // its LUT does not load) and with a stage that does not build (an unknown section).
    std::fs::write(dir.path().join("bad.cube"), "LUT_3D_SIZE 2\n0 0 0\n1 0\n").unwrap();
    for (colour, problem) in [
        (
            r#"outputs: [(output: "main", lut: Some("bad.cube"),
            encoding: Pq(white_nits: 400.0, peak_nits: 300.0, bits: 12))]"#,
            "bad.cube:3: expected 3 numbers",
        ),
        (
            r#"sections: [(section: "nope")], outputs: [(output: "main",
            encoding: Pq(white_nits: 400.0, peak_nits: 300.0, bits: 12))]"#,
            "'nope'",
        ),
    ] {
        let text = tiny.replacen(render, &format!("{render}\n    colour: ({colour}),"), 1);
        let path = dir.path().join("broken.ron");
        std::fs::write(&path, &text).unwrap();
        let e = stage::load(&path).expect_err("a broken stage").to_string();
        let (line, col) = position_of(&text, "encoding: Pq");
        let at = format!("{}:{line}:{col}: ", path.display());
        assert!(e.contains(problem), "{e}");
        let (errors, warned) = e
            .split_once("and 1 warning:")
            .unwrap_or_else(|| panic!("{e}"));
        assert!(errors.contains(problem), "{e}");
        assert!(
            warned.contains(&format!(
                "{at}output 'main': white_nits 400 is above peak_nits 300"
            )),
            "{e}"
        );
    }
}
