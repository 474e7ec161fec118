//! Stage files that are wrong in ways a stage engineer makes: a section turned out of the volume,
//! sections passing through each other, lens tables with two rows for one setting, processor
//! capacities at other frame rates, and typing slips (a negative radius, a missing comma). Each test
//! reads a small stage file of `tests/data/stage/` whose comment gives the hand-worked figures.

use std::path::{Path, PathBuf};

use parallax::stage::{Stage, StageError};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/stage")
        .join(name)
}

fn text(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap()
}

/// `text` with `from` (which must be there) replaced once by `to`.
fn edited(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is not in the file");
    text.replacen(from, to, 1)
}

fn problems(text: &str) -> Vec<String> {
    match Stage::from_ron(text, "t.ron") {
        Ok(_) => panic!("expected problems"),
        Err(StageError::Invalid { problems, .. }) => {
            problems.iter().map(|p| p.to_string()).collect()
        }
        Err(e) => panic!("expected semantic problems, got {e}"),
    }
}

fn warnings(text: &str) -> Vec<String> {
    let s = Stage::from_ron(text, "t.ron").unwrap_or_else(|e| panic!("{e}"));
    s.warnings.iter().map(|w| w.to_string()).collect()
}

#[test]
fn a_door_facing_out_is_named_once_for_its_section() {
    let door = text("door-facing-out.ron");
    let w = warnings(&door);
    assert_eq!(
        w,
        vec![
            "section 'D': 12 cabinets (cols 0-3, rows 0-2) of 12 face away from the outer viewpoint \
             (0, 1.7, 0), camera 'A' (at (0, 1.6, 0)) and camera 'B' (at (1, 1.6, 2)): LEDs emit \
             forwards, so there they are seen from behind (is the section turned the wrong way?)"
        ]
    );
    // With an error elsewhere (frame rate 0), the warning is still reported, after the problems.
    let broken = edited(&door, "frame_rate: 25.0", "frame_rate: 0.0");
    let e = Stage::from_ron(&broken, "t.ron").unwrap_err();
    let StageError::Invalid {
        warnings: beside, ..
    } = &e
    else {
        panic!("expected semantic problems, got {e}");
    };
    assert_eq!(beside.len(), 1, "{e}");
    let shown = e.to_string();
    assert!(
        shown.contains("and 1 warning:") && shown.contains("section 'D': 12 cabinets"),
        "{shown}"
    );
    // Turned to pan 180 it faces into the volume: no warning.
    let fixed = edited(
        &door,
        "PanTiltRoll(0.0, 0.0, 0.0)",
        "PanTiltRoll(180.0, 0.0, 0.0)",
    );
    assert_eq!(warnings(&fixed), Vec::<String>::new());
    // A camera outside the volume, behind the (correct) door at z = 4: the door faces away from it
    // alone; the back wall (facing +Z) still faces it.
    let outside = edited(
        &fixed,
        "Camera(name: \"A\", position: (0.0, 1.6, 0.0))",
        "Camera(name: \"A\", position: (0.5, 1.6, 5.0))",
    );
    let w = warnings(&outside);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].starts_with(
            "section 'D': 12 cabinets (cols 0-3, rows 0-2) of 12 face away from camera 'A' (at (0.5, 1.6, 5)):"
        ),
        "{w:?}"
    );
    // A following outer viewpoint is the camera's: only the cameras are checked.
    let follow = edited(
        &door,
        "    cameras: [",
        "    render: Render(outer_viewpoint: FollowCamera),\n    cameras: [",
    );
    let w = warnings(&follow);
    assert!(
        w.len() == 1 && w[0].contains("face away from camera 'A' (at (0, 1.6, 0)) and camera 'B'"),
        "{w:?}"
    );
}

#[test]
fn a_ceiling_strip_through_the_wall_is_refused_naming_both_sections() {
    let ceiling = text("ceiling-through-wall.ron");
    assert_eq!(
        problems(&ceiling),
        vec![
            "section 'W': 8 of its cabinets pass through 8 cabinets of section 'C' in 3D (8 pairs, \
             e.g. W-000-00 and C-000-03); cabinets may touch, not cross (tolerance 1 mm)"
        ]
    );
    // Moved up to rest on the wall's top edge (y = 2, ending at z = -4.0): it touches, no more.
    let resting = edited(&ceiling, "(-2.0, 1.8, -2.2)", "(-2.0, 2.0, -2.0)");
    Stage::from_ron(&resting, "t.ron").unwrap_or_else(|e| panic!("{e}"));
    // Its last row 0.5 mm behind the wall's face: within the 1 mm tolerance.
    let shy = edited(&ceiling, "(-2.0, 1.8, -2.2)", "(-2.0, 1.8, -2.0005)");
    Stage::from_ron(&shy, "t.ron").unwrap_or_else(|e| panic!("{e}"));
    // 2 mm through it: refused.
    let through = edited(&ceiling, "(-2.0, 1.8, -2.2)", "(-2.0, 1.8, -2.002)");
    let p = problems(&through);
    assert!(p.len() == 1 && p[0].contains("(8 pairs,"), "{p:?}");
}

#[test]
fn arcs_whose_neighbours_meet_exactly_are_not_intersections() {
    let arcs = text("arcs-meeting.ron");
    let s = Stage::from_ron(&arcs, "t.ron").unwrap_or_else(|e| panic!("{e}"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    // A's last cabinet and B's first share their edge to well under a micrometre.
    let a_last = &s.panels[s.panel_index("A-019-00").unwrap()].frame;
    let b_first = &s.panels[s.panel_index("B-000-00").unwrap()].frame;
    assert!((a_last.top_left + a_last.right - b_first.top_left).length() < 1e-9);
    // B started one column early: its first column lies over A's last, in both rows.
    let early = edited(
        &arcs,
        "start_deg: 8.332867938878906",
        "start_deg: 1.1662245419349802",
    );
    let p = problems(&early);
    assert_eq!(
        p,
        vec![
            "section 'A': 2 of its cabinets pass through 2 cabinets of section 'B' in 3D (2 pairs, \
             e.g. A-019-00 and B-000-00); cabinets may touch, not cross (tolerance 1 mm)"
        ]
    );
}

#[test]
fn two_lens_table_points_at_the_same_encoder_values_are_an_error() {
    let table = text("lens-table-duplicate.ron");
    // Located at the duplicate point's `zoom` (the 52 mm point, points[3]).
    let line = table
        .lines()
        .position(|l| l.contains("focal_length_mm: 52.0"))
        .unwrap();
    let column = table.lines().nth(line).unwrap().find("zoom").unwrap() + 1;
    assert_eq!(
        problems(&table),
        vec![format!(
            "t.ron:{}:{column}: camera 'A': tracking: lens_table.points[3] (zoom 1000, focus 2000) \
             is at the same encoder values as points[1] (zoom 1000, focus 2000): keep one \
             (at cameras[0].tracking.lens_table.points[3].zoom)",
            line + 1
        )]
    );
    // Zoom 1003 is within the table's zoom row tolerance (0.5 % of 0..1003): the same setting.
    let near = edited(
        &table,
        "LensPoint(zoom: 1000.0, focus: 2000.0, focal_length_mm: 52.0)",
        "LensPoint(zoom: 1003.0, focus: 2000.0, focal_length_mm: 52.0)",
    );
    let p = problems(&near);
    assert!(
        p.len() == 1 && p[0].contains("points[3] (zoom 1003, focus 2000)"),
        "{p:?}"
    );
    // At another focus it is a calibrated point of its own.
    let apart = edited(
        &table,
        "LensPoint(zoom: 1000.0, focus: 2000.0, focal_length_mm: 52.0)",
        "LensPoint(zoom: 1000.0, focus: 4000.0, focal_length_mm: 52.0)",
    );
    Stage::from_ron(&apart, "t.ron").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_negative_radius_says_negative() {
    let arcs = text("arcs-meeting.ron");
    let negative = edited(
        &arcs,
        "radius: 4.0, start_deg: -135.0",
        "radius: -4.0, start_deg: -135.0",
    );
    let p = problems(&negative);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("section 'A': radius -4 m is negative:"),
        "{p:?}"
    );
    let zero = edited(
        &arcs,
        "radius: 4.0, start_deg: -135.0",
        "radius: 0.0, start_deg: -135.0",
    );
    assert!(
        problems(&zero)[0].starts_with("section 'A': radius 0 m is zero:"),
        "{:?}",
        problems(&zero)
    );
}

#[test]
fn a_missing_comma_names_the_field_path() {
    let arcs = text("arcs-meeting.ron");
    // In B's shape, between `radius` and `start_deg`.
    let missing = edited(
        &arcs,
        "radius: 4.0, start_deg: 8.33",
        "radius: 4.0 start_deg: 8.33",
    );
    let err = Stage::from_ron(&missing, "arcs.ron")
        .unwrap_err()
        .to_string();
    let line = missing
        .lines()
        .position(|l| l.contains("radius: 4.0 start_deg"))
        .unwrap()
        + 1;
    let column = missing
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("start_deg")
        .unwrap()
        + 1;
    assert_eq!(
        err,
        format!(
            "arcs.ron:{line}:{column}: expected a comma after field 'radius', before 'start_deg' \
             (at sections[1].shape.Arc.radius)"
        )
    );
    // After a nested value: between an output's `name` and `width`.
    let missing = edited(
        &arcs,
        "Output(name: \"b\", width",
        "Output(name: \"b\" width",
    );
    let err = Stage::from_ron(&missing, "arcs.ron")
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("expected a comma after field 'name', before 'width' (at outputs[1].name)"),
        "{err}"
    );
}

#[test]
fn processor_figures_are_taken_at_the_rate_stated_at_or_above_the_stage_rate() {
    let rates = text("processor-rates.ron");
    let at = |hz: &str| {
        let t = edited(&rates, "frame_rate: 23.976", &format!("frame_rate: {hz}"));
        let s = Stage::from_ron(&t, "t.ron").unwrap_or_else(|e| panic!("{e}"));
        s.summary().processors[0].clone()
    };
    // 23.976 and 60: the 60 Hz figures; 16 cabinets of 30,976 px on the first port.
    for hz in ["23.976", "60.0"] {
        let u = at(hz);
        assert_eq!((u.capacity, u.port_capacity), (9_000_000, 525_000), "{hz}");
        assert_eq!(u.ports[0], 16 * 30_976, "{hz}");
    }
    // 100: the 120 Hz figures (not 60 Hz's scaled by 0.6, 315,000): 8 cabinets a port.
    for hz in ["100.0", "120.0"] {
        let u = at(hz);
        assert_eq!((u.capacity, u.port_capacity), (4_500_000, 262_500), "{hz}");
        assert_eq!(u.ports[0], 8 * 30_976, "{hz}");
        assert_eq!(u.ports.iter().filter(|&&p| p > 0).count(), 10, "{hz}");
    }
    // 144: the 120 Hz figures times 120 / 144: 3,750,000 and 218,750 (7 cabinets a port, so the
    // wall's 80 cabinets do not fit on 10 ports).
    let t = edited(&rates, "frame_rate: 23.976", "frame_rate: 144.0");
    let p = problems(&t);
    assert_eq!(
        p,
        vec!["processor 'SX40': 309,760 pixels do not fit on its 10 ports of 218,750 pixels"]
    );
    // The same rate stated twice, and a rate stating nothing.
    let twice = edited(
        &rates,
        "rates: [(hz: 120.0,",
        "rates: [(hz: 60.0, pixels_per_port: 500000), (hz: 90.0), (hz: 120.0,",
    );
    // Located at each entry's `hz`.
    let line = twice.lines().position(|l| l.contains("rates: [")).unwrap();
    let l = twice.lines().nth(line).unwrap();
    let col0 = l.find("hz: 60.0").unwrap() + 1;
    let col1 = l.find("hz: 90.0").unwrap() + 1;
    let line = line + 1;
    assert_eq!(
        problems(&twice),
        vec![
            format!(
                "t.ron:{line}:{col0}: processor 'SX40': rates[0]: a figure for 60 Hz is stated \
                 twice (at processors[0].rates[0].hz)"
            ),
            format!(
                "t.ron:{line}:{col1}: processor 'SX40': rates[1] (90 Hz) states neither \
                 max_pixels nor pixels_per_port (at processors[0].rates[1].hz)"
            ),
        ]
    );
}

/// `rated_hz` alone never scales a figure up below its rate: the field case of a 40 x 10 wall of
/// 176 x 176 cabinets (12,390,400 px) on a processor rated 9,000,000 px at 60 Hz, at 23.976 fps, is
/// over capacity (scaling by 60 / 23.976 would have allowed 22,522,522 px).
#[test]
fn rated_hz_alone_is_not_scaled_up_at_23_976_fps() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/processor-capacity-24fps.ron");
    let t = edited(
        &std::fs::read_to_string(path).unwrap(),
        "frame_rate: 24.0",
        "frame_rate: 23.976",
    );
    assert_eq!(
        problems(&t),
        vec!["processor 'SX40': 12,390,400 px > 9,000,000 px, its capacity at 23.976 Hz (138%)"]
    );
}
