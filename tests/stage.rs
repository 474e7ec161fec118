//! The stage model against the conventions, and every kind of bad input.

use std::path::Path;

use glam::DVec3;
use parallax::stage::{self, Stage, StageError};
use proptest::prelude::*;

#[path = "stage/colour.rs"]
mod colour;
#[path = "stage/geometry.rs"]
mod geometry;
#[path = "stage/ports.rs"]
mod ports;
#[path = "stage/remap.rs"]
mod remap;
#[path = "stage/shapes.rs"]
mod shapes;

fn asset(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/stages")
        .join(name)
}

fn demo_text() -> String {
    std::fs::read_to_string(asset("demo.ron")).unwrap()
}

/// Builds stage text from the demo by replacing one snippet (which must be present).
fn demo_with(from: &str, to: &str) -> String {
    let text = demo_text();
    assert!(text.contains(from), "demo.ron no longer contains {from:?}");
    text.replacen(from, to, 1)
}

fn error_of(text: &str) -> String {
    match Stage::from_ron(text, "demo.ron") {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

/// Line and column (1-based) of the first occurrence of `needle` in `text`.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap();
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = at - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

#[test]
fn every_bundled_stage_validates() {
    for entry in std::fs::read_dir(asset("")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            let s = stage::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(!s.panels.is_empty(), "{}", path.display());
            // No bundled stage has a warning: tiny.ron's outer viewpoint is below its ceiling
            // (it faces down), so the viewpoint sees it from the front.
            let warnings = s.warnings.clone();
            assert!(warnings.is_empty(), "{}: {:?}", path.display(), warnings);
        }
    }
}

#[test]
fn large_stage_is_production_sized() {
    let s = stage::load(&asset("large.ron")).unwrap();
    assert!(
        (1200..=1400).contains(&s.panels.len()),
        "{}",
        s.panels.len()
    );
    assert!((38_000_000..=42_000_000).contains(&s.pixel_count()));
    assert!(
        s.outputs
            .iter()
            .all(|o| (o.width, o.height) == (3840, 2160))
    );
}

#[test]
fn neighbouring_led_pixels_are_one_pitch_apart_and_fronts_face_inside() {
    let s = stage::load(&asset("demo.ron")).unwrap();
    for p in &s.panels {
        let t = &s.panel_types[p.panel_type];
        let pitch_x = t.width_mm / 1000.0 / t.pixels.x as f64;
        let pitch_y = t.height_mm / 1000.0 / t.pixels.y as f64;
        for (i, j) in [(0, 0), (10, 20), (t.pixels.x - 2, t.pixels.y - 2)] {
            let a = p.pixel_centre(i, j);
            assert!(((p.pixel_centre(i + 1, j) - a).length() - pitch_x).abs() < 1e-9);
            assert!(((p.pixel_centre(i, j + 1) - a).length() - pitch_y).abs() < 1e-9);
        }
        // The performance area (around the camera's position) is in front of every cabinet.
        let inside = DVec3::new(0.0, 1.5, 0.0);
        let n = p.frame.normal();
        assert!(
            n.dot(inside - p.frame.centre()) > 0.0,
            "{} faces away",
            p.id
        );
    }
    // Ceiling cabinets face down.
    let c = &s.sections[1];
    for p in &s.panels[c.panels.clone()] {
        assert!((p.frame.normal() - DVec3::NEG_Y).length() < 1e-9);
    }
}

#[test]
fn arc_cabinets_meet_edge_to_edge_in_the_built_stage() {
    let s = stage::load(&asset("demo.ron")).unwrap();
    let wall = &s.panels[s.sections[0].panels.clone()];
    for a in wall {
        if let Some(b) = wall.iter().find(|b| b.row == a.row && b.col == a.col + 1) {
            assert!((a.frame.top_left + a.frame.right - b.frame.top_left).length() < 1e-9);
            // The last LED pixel of one and the first of the next are one pitch apart along the
            // polygon (within the tiny bend at the hinge).
            let gap = (b.pixel_centre(0, 0) - a.pixel_centre(175, 0)).length();
            assert!((gap - 0.5 / 176.0).abs() < 1e-5, "{gap}");
        }
    }
}

#[test]
fn surveyed_panels_follow_their_corners() {
    let text = r#"Stage(name: "s", frame_rate: 60.0,
        panel_types: [PanelType(name: "T", width_mm: 500.0, height_mm: 500.0, pixels: (10, 10))],
        sections: [(name: "S", panel_type: "T", shape: Surveyed(panels: [
            (col: 0, row: 0, top_left: (0.0, 1.0, -3.0), top_right: (0.5, 1.0, -3.0), bottom_left: (0.0, 0.5, -3.0)),
            (col: 1, row: 0, top_left: (0.5, 1.0, -3.0), top_right: (1.0, 1.0, -2.9), bottom_left: (0.5, 0.5, -3.0),
             bottom_right: (1.0, 0.5, -2.9)),
        ]), placement: Auto(outputs: ["o"]))],
        outputs: [Output(name: "o", width: 20, height: 10)])"#;
    let s = Stage::from_ron(text, "s.ron").unwrap();
    let p = &s.panels[0];
    assert!((p.pixel_centre(0, 0) - DVec3::new(0.025, 0.975, -3.0)).length() < 1e-12);
    let q = &s.panels[1];
    assert_eq!(q.id, "S-001-00");
    assert!((q.frame.right - DVec3::new(0.5, 0.0, 0.1)).length() < 1e-12);
    // Its size differs from the type by more than 1 cm: a warning, not an error.
    assert!(
        s.warnings.is_empty()
            || s.warnings
                .iter()
                .all(|w| w.to_string().contains("S-001-00"))
    );
}

#[test]
fn syntax_errors_name_file_line_column_and_field() {
    let text = demo_with("pixels: (176, 176)", "pitch: 2.84, pixels: (176, 176)");
    let err = error_of(&text);
    let (line, _) = position_of(&text, "pitch: 2.84");
    assert!(err.starts_with(&format!("demo.ron:{line}:")), "{err}");
    assert!(err.contains("unknown field 'pitch' in PanelType, expected one of 'name', 'width_mm', 'height_mm', 'pixels'"), "{err}");
    assert!(err.contains("(at panel_types[0].pitch)"), "{err}");

    let text = demo_with("radius: 4.0", "radius: \"four\"");
    let err = error_of(&text);
    let (line, col) = position_of(&text, "\"four\"");
    assert!(err.starts_with(&format!("demo.ron:{line}:{col}:")), "{err}");
    assert!(err.contains("sections[0].shape"), "{err}");

    let text = demo_with("frame_rate: 50.0,", "");
    let err = error_of(&text);
    assert!(err.contains("missing field 'frame_rate'"), "{err}");

    let err = error_of(&demo_with("Arc(", "Ark("));
    assert!(err.contains("sections[0].shape"), "{err}");

    let err = error_of(&(demo_text() + "trailing"));
    assert!(err.starts_with("demo.ron:"), "{err}");
}

#[test]
fn io_error_names_the_file() {
    let err = stage::load(Path::new("/no/such/stage.ron")).unwrap_err();
    assert!(matches!(err, StageError::Io { .. }));
    assert!(err.to_string().contains("/no/such/stage.ron"));
}

#[test]
fn semantic_problems_are_all_reported_at_once() {
    let text = demo_text()
        // duplicate output name, and an output over the texture limit
        .replacen(
            "Output(name: \"ceiling-1\", width: 1920, height: 1080, node: \"node-1\"),",
            "Output(name: \"ceiling-1\", width: 1920, height: 1080, node: \"node-1\"),\n        Output(name: \"ceiling-1\", width: 100, height: 100),\n        Output(name: \"huge\", width: 20000, height: 100),",
            1,
        )
        // zero-size panel type
        .replacen(
            "PanelType(name: \"BP2\", width_mm: 500.0, height_mm: 500.0, pixels: (176, 176)),",
            "PanelType(name: \"BP2\", width_mm: 500.0, height_mm: 500.0, pixels: (176, 176)),\n        PanelType(name: \"Z\", width_mm: 0.0, height_mm: NaN, pixels: (0, 16)),",
            1,
        )
        // radius smaller than a cabinet
        .replacen("radius: 4.0", "radius: 0.2", 1)
        // unknown panel type
        .replacen("panel_type: \"BP2\",\n            // A 4 x 4", "panel_type: \"BP9\",\n            // A 4 x 4", 1)
        // processor overflow
        .replacen("max_pixels: 9000000, ports: 10", "max_pixels: 100, ports: 1", 1);
    let err = error_of(&text);
    for expected in [
        "output 'ceiling-1': duplicate output name",
        "output 'huge': 20000 x 100 is larger than the GPU texture limit of 16384",
        "panel type 'Z': size must be positive and finite",
        "panel type 'Z': resolution must be at least 1 x 1",
        "section 'W': radius 0.2 m is smaller than half a cabinet's width",
        "section 'C': unknown panel type 'BP9'",
        "output 'huge': no panel is placed in it",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // Outputs whose sections failed are not also blamed for being empty.
    assert!(!err.contains("output 'wall-1': no panel"), "{err}");
}

const TWO_OUTPUTS: &str = r#"Stage(name: "t", frame_rate: 60.0,
    panel_types: [PanelType(name: "T", width_mm: 250.0, height_mm: 250.0, pixels: (16, 16))],
    sections: [SECTIONS],
    outputs: [Output(name: "a", width: 64, height: 32), Output(name: "b", width: 32, height: 32)],
    processors: [PROCESSORS])"#;

fn two_outputs(sections: &str, processors: &str) -> String {
    TWO_OUTPUTS
        .replace("SECTIONS", sections)
        .replace("PROCESSORS", processors)
}

const FLAT: &str = r#"Flat(columns: 2, rows: 1, position: (0.0, 1.0, -2.0))"#;

#[test]
fn placement_problems_name_the_panel_or_output() {
    let sections = format!(
        r#"(name: "A", panel_type: "T", shape: {FLAT}, placement: Explicit([
              (col: 0, row: 0, output: "a", x: 0, y: 0),
              (col: 1, row: 0, output: "a", x: 8, y: 8, rotation: 90),
          ])),
          (name: "B", panel_type: "T", shape: {FLAT}, placement: Explicit([
              (col: 0, row: 0, output: "a", x: 56, y: 0),
              (col: 0, row: 0, output: "b", x: 0, y: 0),
              (col: 5, row: 0, output: "b", x: 0, y: 0),
              (col: 1, row: 0, output: "nowhere", x: 0, y: 0),
          ]))"#
    );
    let err = error_of(&two_outputs(&sections, ""));
    for expected in [
        "panel 'A-001-00': overlaps panel 'A-000-00' in output 'a'",
        "panel 'B-000-00': pixels 56..72 x 0..16 fall outside output 'a' (64 x 32)",
        "panel 'B-000-00': placed twice",
        "panel 'B-005-00': placed, but section 'B' has no cabinet at column 5, row 0",
        "panel 'B-001-00': unknown output 'nowhere'",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // Output b holds nothing but is named by a failed section: not blamed.
    assert!(!err.contains("output 'b': no panel"), "{err}");

    let sections = format!(
        r#"(name: "A", panel_type: "T", shape: {FLAT}, placement: Explicit([(col: 0, row: 0, output: "a", x: 0, y: 0)]))"#
    );
    let err = error_of(&two_outputs(&sections, ""));
    assert!(
        err.contains("panel 'A-001-00': has no place in any output"),
        "{err}"
    );
    assert!(
        err.contains("output 'b': no panel is placed in it"),
        "{err}"
    );
}

#[test]
fn automatic_packing_fills_outputs_in_turn_and_reports_what_does_not_fit() {
    // 4 x 3 cabinets of 16 px: output a holds 4 x 2 of them, b holds 2 x 2 (per_line 4 is too wide).
    let shape = r#"Flat(columns: 4, rows: 3, position: (0.0, 2.0, -2.0))"#;
    let ok = two_outputs(
        &format!(
            r#"(name: "A", panel_type: "T", shape: {shape}, placement: Auto(outputs: ["a", "b"]))"#
        ),
        "",
    );
    let s = Stage::from_ron(&ok, "t.ron").unwrap();
    let placed_b: Vec<_> = s
        .panels
        .iter()
        .filter(|p| p.placement.output == 1)
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(placed_b, ["A-000-02", "A-001-02", "A-002-02", "A-003-02"]);
    let p = s.panels.iter().find(|p| p.id == "A-002-02").unwrap();
    assert_eq!(p.placement.origin.to_array(), [0, 16]); // second line of output b

    let too_big = two_outputs(
        &format!(
            r#"(name: "A", panel_type: "T", shape: {shape}, placement: Auto(outputs: ["a"], origin: (16, 0)))"#
        ),
        "",
    );
    let err = error_of(&too_big);
    assert!(
        err.contains("section 'A': 6 of its 12 cabinets do not fit in output 'a'"),
        "{err}"
    );
}

#[test]
fn processor_overflow_names_the_processor() {
    let shape = r#"Flat(columns: 4, rows: 2, position: (0.0, 2.0, -2.0))"#;
    let sections = format!(
        r#"(name: "A", panel_type: "T", shape: {shape}, placement: Auto(outputs: ["a"])),
           (name: "B", panel_type: "T", shape: {FLAT}, placement: Auto(outputs: ["b"]))"#
    );
    // 8 cabinets of 256 px on output a: 2048 px; ports of 600 px hold 2 cabinets each.
    let text = two_outputs(
        &sections,
        r#"Processor(name: "P", inputs: ["a"], max_pixels: 2000, ports: 3, pixels_per_port: 600),
           Processor(name: "Q", inputs: ["b", "zz"], max_pixels: 100000, ports: 1, pixels_per_port: 1000, rated_hz: 30.0)"#,
    );
    let err = error_of(&text);
    assert!(
        err.contains("processor 'P': 2,048 px > 2,000 px, its capacity at 60 Hz (102%)"),
        "{err}"
    );
    assert!(
        err.contains("processor 'P': 512 pixels do not fit on its 3 ports of 600 pixels"),
        "{err}"
    );
    assert!(
        err.contains("processor 'Q': unknown input output 'zz'"),
        "{err}"
    );

    // At 30 Hz rating and a 60 Hz stage, capacity halves.
    let text = two_outputs(
        &sections,
        r#"Processor(name: "P", inputs: ["a", "b"], max_pixels: 6000, ports: 4, pixels_per_port: 1024, rated_hz: 30.0)"#,
    );
    let err = error_of(&text);
    assert!(!err.contains(" px > "), "2560 pixels fit in 3000: {err}");
    assert!(
        err.contains("processor 'P': 512 pixels do not fit on its 4 ports of 512 pixels"),
        "{err}"
    );
}

/// Processor MX40 of the demo (rated 9,000,000 px and 525,000 px per port at 60 Hz, 10 ports) at
/// other stage frame rates: capacity and port capacity at the stage rate, and the first port's load.
/// The demo's 76 cabinets of 176 x 176 = 30,976 px fill ports in map order, never split.
#[test]
fn processor_capacity_never_grows_below_the_rated_rate() {
    let at = |hz: &str| {
        let text = demo_with("frame_rate: 50.0", &format!("frame_rate: {hz}"));
        let stage = Stage::from_ron(&text, "demo.ron").unwrap_or_else(|e| panic!("{e}"));
        stage.summary().processors[0].clone()
    };
    // 24 and 60 Hz: the rated figures. 525,000 / 30,976 = 16.9: 16 cabinets = 495,616 px a port.
    for hz in ["24.0", "60.0"] {
        let u = at(hz);
        assert_eq!(
            (u.capacity, u.port_capacity),
            (9_000_000, 525_000),
            "{hz} Hz"
        );
        assert_eq!(u.ports[0], 16 * 30_976, "{hz} Hz");
    }
    // 120 Hz: half. 262,500 / 30,976 = 8.5: 8 cabinets = 247,808 px a port, 76 cabinets on 10 ports.
    let u = at("120.0");
    assert_eq!((u.capacity, u.port_capacity), (4_500_000, 262_500));
    assert_eq!(u.ports[0], 8 * 30_976);
    assert_eq!(u.ports.iter().filter(|&&p| p > 0).count(), 10);
    assert_eq!(u.unassigned, 0);
    assert_eq!(u.pixels, 76 * 30_976);
}

/// `validate` says in advance how big `wall.png` is and whether it is rendered in tiles: large.ron's
/// arc is 76 x 14 cabinets of 176 px (13,376 x 2,464) and its 16 x 15 ceiling (2,816 x 2,640) goes
/// on a second band below a 16 px gap (over an 8,192 px limit): 13,376 x 5,120, two tiles across.
#[test]
fn validate_gives_the_wall_image_size_and_its_tiles() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/large.ron");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(["validate", "--max-texture-size", "8192"])
        .arg(&path)
        .output()
        .expect("run parallax");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "unwrapped wall (wall.png): 13376 x 5120 px, rendered in 2 tiles of at most 8192 px"
        ),
        "{stdout}"
    );
}

/// The field case: a 40 x 10 wall of 176 x 176 cabinets (40 * 10 * 176 * 176 = 12,390,400 px) on one
/// processor rated 9,000,000 px at 60 Hz, at 24 fps. `parallax validate` refuses it.
#[test]
fn validate_refuses_a_processor_over_its_rated_pixels_at_24_fps() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/processor-capacity-24fps.ron");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run parallax");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "validated:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("processor 'SX40': 12,390,400 px > 9,000,000 px"),
        "{stderr}"
    );
    // Its 40 ports of 525,000 px take 16 cabinets each: the wall's 400 cabinets fit on 25 of them.
    assert!(!stderr.contains("do not fit on its"), "{stderr}");
    assert!(stderr.contains("1 problem:"), "{stderr}");
}

#[test]
fn degenerate_geometry_is_reported() {
    let cases = [
        (
            r#"Flat(columns: 0, rows: 2, position: (0.0, 1.0, -2.0))"#,
            "needs at least 1 x 1 cabinets",
        ),
        (
            r#"Flat(columns: 2, rows: 1, position: (0.0, inf, -2.0))"#,
            "must be finite",
        ),
        (
            r#"Flat(columns: 2, rows: 1, position: (0.0, 1.0, -2.0), rotation: Quaternion(0.0, 0.0, 0.0, 0.0))"#,
            "zero length",
        ),
        (
            r#"Flat(columns: 4000000, rows: 4000000, position: (0.0, 1.0, -2.0))"#,
            "more than any stage holds",
        ),
        (
            r#"Arc(centre: (0.0, 0.0), radius: 0.1, start_deg: 0.0, columns: 3, rows: 1, bottom: 0.0)"#,
            "smaller than half a cabinet",
        ),
        (
            r#"Arc(centre: (0.0, 0.0), radius: 2.0, start_deg: 10.0, end_deg: 5.0, rows: 1, bottom: 0.0)"#,
            "must be greater than start_deg",
        ),
        (
            r#"Arc(centre: (0.0, 0.0), radius: 2.0, start_deg: 0.0, rows: 1, bottom: 0.0)"#,
            "needs columns or end_deg",
        ),
        (
            r#"Arc(centre: (0.0, 0.0), radius: 2.0, start_deg: 0.0, end_deg: 10.0, columns: 2, rows: 1, bottom: 0.0)"#,
            "not both",
        ),
        (
            r#"Arc(centre: (0.0, 0.0), radius: 1.0, start_deg: 0.0, columns: 100, rows: 1, bottom: 0.0)"#,
            "more than once round",
        ),
        (
            r#"Surveyed(panels: [(col: 0, row: 0, top_left: (0.0, 1.0, 0.0), top_right: (0.0, 1.0, 0.0), bottom_left: (0.0, 0.5, 0.0))])"#,
            "degenerate",
        ),
        (
            r#"Surveyed(panels: [(col: 0, row: 0, top_left: (0.0, 1.0, 0.0), top_right: (0.5, 1.0, 0.0), bottom_left: (1.0, 1.0, 0.0))])"#,
            "nearly parallel",
        ),
        (r#"Surveyed(panels: [])"#, "at least one panel"),
    ];
    for (shape, expected) in cases {
        let text = two_outputs(
            &format!(
                r#"(name: "A", panel_type: "T", shape: {shape}, placement: Auto(outputs: ["a", "b"]))"#
            ),
            "",
        );
        let err = error_of(&text);
        assert!(
            err.contains("section 'A'") || err.contains("panel 'A-"),
            "{shape}: {err}"
        );
        assert!(
            err.contains(expected),
            "{shape}: missing {expected:?} in {err}"
        );
    }
}

#[test]
fn names_that_would_escape_the_output_folder_are_refused() {
    let text = demo_with("Output(name: \"wall-1\"", "Output(name: \"../wall\"");
    let err = error_of(&text);
    assert!(
        err.contains("output '../wall': output name may hold only"),
        "{err}"
    );
}

#[test]
fn camera_settings_are_checked() {
    let text = demo_with("soft_edge: 0.05", "soft_edge: 0.7").replacen(
        "focal_length_mm: 35.0",
        "focal_length_mm: -1.0",
        1,
    );
    let err = error_of(&text);
    assert!(
        err.contains("camera 'A': soft_edge must be in 0..0.5"),
        "{err}"
    );
    assert!(
        err.contains("camera 'A': focal length and sensor size must be positive"),
        "{err}"
    );
}

#[test]
fn tracking_settings_are_checked_with_the_stage() {
    let text = demo_with(
        "inner: Inner(",
        "tracking: CameraTracking(transform: TrackerTransform(axes: (X, X, Z), scale: (1.0, NaN, 1.0))),\n            inner: Inner(",
    );
    let err = error_of(&text);
    assert!(err.contains("camera 'A': tracking: "), "{err}");
}

/// Two cameras whose tracking settings cannot work together: one port with two protocols, the
/// same source feeding both, a FreeD id beyond FreeD's byte. All reported, each naming the camera.
#[test]
fn tracking_settings_that_conflict_between_cameras_are_refused() {
    let two = |a: &str, b: &str| {
        demo_with(
            "        Camera(\n            name: \"A\",",
            &format!(
                "        Camera(name: \"B\", tracking: Some(CameraTracking({b}))),\n        Camera(\n            name: \"A\", tracking: Some(CameraTracking({a})),"
            ),
        )
    };
    let mixed = two(
        "protocol: FreeD, camera_id: 1, bind: Some(\"0.0.0.0:40000\")",
        "protocol: OpenTrackIO, camera_id: 1, bind: Some(\"0.0.0.0:40000\")",
    );
    let err = error_of(&mixed);
    assert!(err.contains("camera 'A': tracking: listens on 0.0.0.0:40000 for freed but camera 'B' listens there for opentrackio"), "{err}");
    let same = two(
        "protocol: FreeD, camera_id: 3",
        "protocol: FreeD, camera_id: 3",
    );
    let err = error_of(&same);
    assert!(
        err.contains("freed id 3 on 0.0.0.0:40000 is camera 'B''s already"),
        "{err}"
    );
    let wide = two(
        "protocol: FreeD, camera_id: 300",
        "protocol: FreeD, camera_id: 2",
    );
    let err = error_of(&wide);
    assert!(
        err.contains("camera 'A': tracking: camera_id 300 cannot be a FreeD camera id"),
        "{err}"
    );
    // Different ids on one port, or the same id on two ports, are fine.
    for ok in [
        two(
            "protocol: FreeD, camera_id: 1",
            "protocol: FreeD, camera_id: 2",
        ),
        two(
            "protocol: FreeD, camera_id: 1",
            "protocol: FreeD, camera_id: 1, bind: Some(\"0.0.0.0:40001\")",
        ),
    ] {
        Stage::from_ron(&ok, "demo.ron").unwrap_or_else(|e| panic!("{e}"));
    }
}

/// A latency the prediction cannot reach (2 frames at 24 Hz = 83.3 ms over the default 50 ms cap)
/// is a warning naming the shortfall and the setting to raise; within the cap, none.
#[test]
fn a_latency_beyond_max_prediction_is_a_warning() {
    let text = demo_with("frame_rate: 50.0", "frame_rate: 24.0").replace(
        "            name: \"A\",",
        "            name: \"A\", tracking: Some(CameraTracking(protocol: FreeD, latency: Frames(2.0))),",
    );
    let s = Stage::from_ron(&text, "demo.ron").unwrap_or_else(|e| panic!("{e}"));
    let w: Vec<String> = s.warnings.iter().map(ToString::to_string).collect();
    assert!(
        w.iter().any(|w| w.contains(
            "latency 83.3 ms + interpolation margin 0.0 ms is more than max_prediction_ms 50.0"
        ) && w.contains("33.3 ms short")
            && w.contains("raise max_prediction_ms to 84")),
        "{w:?}"
    );
    let ok = text.replace("latency: Frames(2.0)", "latency: Frames(1.0)");
    let s = Stage::from_ron(&ok, "demo.ron").unwrap();
    assert!(
        !s.warnings
            .iter()
            .any(|w| w.to_string().contains("max_prediction_ms"))
    );
}

/// Mutations of a valid stage file: replace, delete or duplicate a token-sized span.
fn mutate(text: &str, ops: &[(usize, usize, u8)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(pos, len, kind) in ops {
        if bytes.is_empty() {
            break;
        }
        let pos = pos % bytes.len();
        let end = (pos + len % 12).min(bytes.len());
        match kind % 4 {
            0 => {
                bytes.drain(pos..end);
            }
            1 => {
                let span: Vec<u8> = bytes[pos..end].to_vec();
                bytes.splice(pos..pos, span);
            }
            2 => {
                let tokens: [&[u8]; 10] = [
                    b"NaN",
                    b"-1",
                    b"0",
                    b"inf",
                    b"4294967295",
                    b"(",
                    b")",
                    b",",
                    b"\"",
                    b"1e308",
                ];
                bytes.splice(pos..end, tokens[len % tokens.len()].iter().copied());
            }
            _ => {
                if let Some(b) = bytes.get_mut(pos) {
                    *b = b.wrapping_add(len as u8);
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = Stage::from_ron(&text, "fuzz.ron");
    }

    #[test]
    fn mutated_stage_files_never_panic(ops in proptest::collection::vec((0usize..100_000, 0usize..64, 0u8..4), 1..6)) {
        for base in [demo_text(), std::fs::read_to_string(asset("tiny.ron")).unwrap()] {
            let text = mutate(&base, &ops);
            if let Err(e) = Stage::from_ron(&text, "fuzz.ron") {
                // Every error names the file.
                prop_assert!(e.to_string().starts_with("fuzz.ron"), "{}", e);
            }
        }
    }

    #[test]
    fn random_numbers_in_a_stage_never_panic(
        radius in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -10.0f64..50.0],
        columns in 0u32..200, rows in 0u32..40,
        x in 0u32..5000, y in 0u32..5000, rotation in 0u32..400, mirror in any::<bool>(),
        width in 0u32..20000, height in 0u32..20000,
        pixels in 0u32..300,
    ) {
        let text = format!(r#"Stage(name: "p", frame_rate: 60.0,
            panel_types: [PanelType(name: "T", width_mm: 500.0, height_mm: 500.0, pixels: ({pixels}, {pixels}))],
            sections: [
              (name: "A", panel_type: "T", shape: Arc(centre: (0.0, 0.0), radius: {radius}, start_deg: -30.0, columns: {columns}, rows: {rows}, bottom: 0.0),
               placement: Auto(outputs: ["o"], origin: ({x}, {y}), rotation: {rotation}, mirror: {mirror}, serpentine: true, start: BottomRight, order: Columns)),
              (name: "B", panel_type: "T", shape: Flat(columns: 1, rows: 1, position: (0.0, 0.0, -1.0)),
               placement: Explicit([(col: 0, row: 0, output: "o", x: {x}, y: {y}, rotation: {rotation}, mirror: {mirror})])),
            ],
            outputs: [Output(name: "o", width: {width}, height: {height})])"#);
        let _ = Stage::from_ron(&text, "p.ron");
    }
}

/// The soft-edge band must lie outside the camera's picture: a `Uniform` overscan smaller than the
/// band is reported (a warning naming the camera, the side and the smallest uniform overscan that
/// leaves room). With soft edge s and uniform overscan o (fractions of the whole inner frustum and of
/// the half frame), the band is s * (2 + 2o) half-frames wide, so it clears the picture when
/// o >= s * (2 + 2o), i.e. o >= 2s / (1 - 2s): 0.1111 for s = 0.05.
#[test]
fn an_overscan_without_room_for_the_soft_edge_is_reported() {
    let inner = "inner: Inner(resolution: (1920, 1280), overscan: Uniform(0.15), soft_edge: 0.05)";
    for (overscan, clear) in [
        ("0.1", false),
        ("0.11", false),
        ("0.112", true),
        ("0.15", true),
    ] {
        let text = demo_with(
            inner,
            &inner.replace("Uniform(0.15)", &format!("Uniform({overscan})")),
        );
        let stage = Stage::from_ron(&text, "demo.ron").unwrap();
        let warned: Vec<String> = stage.warnings.iter().map(|w| w.to_string()).collect();
        let band = warned
            .iter()
            .find(|w| w.contains("no room for the soft edge"));
        match (clear, band) {
            (true, None) => {}
            (false, Some(w)) => {
                assert!(w.starts_with("camera 'A': "), "{w}");
                // The smallest uniform overscan, 2s / (1 - 2s) = 0.1111, rounded up.
                assert!(w.contains("`Uniform(0.112)`"), "{w}");
            }
            _ => panic!("Uniform({overscan}) with soft edge 0.05: {warned:?}"),
        }
    }
    // The default overscan (Auto) always leaves room.
    let text = demo_with(
        inner,
        "inner: Inner(resolution: (1920, 1280), soft_edge: 0.2)",
    );
    assert!(
        Stage::from_ron(&text, "demo.ron")
            .unwrap()
            .warnings
            .is_empty()
    );
}

/// `validate` reads the stage's 3D content as `render` does: a missing glTF file and a broken one
/// fail validation (both reported, each naming its scene item), and a readable one is summarised
/// with its triangle and material counts beside the stage's other content.
#[test]
fn validate_reads_the_scene_files() {
    let dir = tempfile::tempdir().unwrap();
    let demo_set = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sets/demo-set.glb");
    std::fs::write(
        dir.path().join("broken.glb"),
        b"glTF\x02\x00\x00\x00 not really",
    )
    .unwrap();
    let stage = |scene: &str| {
        let text = demo_text().replacen("scene: [", &format!("scene: [{scene}, "), 1);
        assert!(text.contains(scene));
        let path = dir.path().join("s.ron");
        std::fs::write(
            &path,
            text.replace("../sets/demo-set.glb", &demo_set.display().to_string()),
        )
        .unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
            .arg("validate")
            .arg(&path)
            .output()
            .expect("run parallax")
    };
    let out = stage(r#"Gltf(path: "missing.glb"), Gltf(path: "broken.glb")"#);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("scene item 0 ('missing.glb')"), "{stderr}");
    assert!(stderr.contains("scene item 1 ('broken.glb')"), "{stderr}");
    assert!(
        stderr.contains("2 of 3 scene files cannot be loaded"),
        "{stderr}"
    );
    let out = stage(
        r#"Gltf(path: "missing.glb", position: (9.0, 0.0, 0.0))"#
            .replace("missing.glb", &demo_set.display().to_string())
            .as_str(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("scene:") && stdout.contains("triangles"),
        "{stdout}"
    );
    assert!(stdout.contains("render: outer live"), "{stdout}");
    assert!(stdout.contains("camera A: priority 0"), "{stdout}");
}
