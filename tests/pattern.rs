//! Test patterns: the identification pattern decodes back to the stage's pixel map exactly, for
//! every rotation and mirror; unused pixels are black; the CLI's PNGs decode the same.

use std::collections::HashSet;
use std::path::Path;

use glam::{IVec2, UVec2};
use image::RgbaImage;
use parallax::mapping::PixelMap;
use parallax::pattern::{self, DecodeReport, PatternKind};
use parallax::stage::Stage;

#[path = "pattern/test_card.rs"]
mod test_card;

fn tiny() -> Stage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    parallax::stage::load(&path).expect("tiny.ron loads")
}

/// A stage that exercises every placement: 8 non-square cabinets placed by hand in the 4
/// rotations x 2 mirrors, and two automatically placed sections with serpentine orders from
/// other start corners, rotated and mirrored.
fn orientations_ron() -> String {
    let mut explicit = String::new();
    for k in 0..8u32 {
        let (col, row) = (k % 4, k / 4);
        explicit.push_str(&format!(
            "(col: {col}, row: {row}, output: \"ex\", x: {}, y: {}, rotation: {}, mirror: {}),\n",
            24 * col + 2,
            24 * row + 1,
            90 * (k % 4),
            k >= 4
        ));
    }
    format!(
        r#"Stage(
    name: "Orientations",
    frame_rate: 60.0,
    panel_types: [
        PanelType(name: "R", width_mm: 500.0, height_mm: 400.0, pixels: (20, 16)),
        PanelType(name: "T16", width_mm: 250.0, height_mm: 250.0, pixels: (16, 16)),
    ],
    sections: [
        (name: "E", panel_type: "R", shape: Flat(columns: 4, rows: 2, position: (-1.0, 2.0, -3.0)),
         placement: Explicit([{explicit}])),
        (name: "S", panel_type: "T16", shape: Flat(columns: 3, rows: 2, position: (1.5, 2.0, -3.0)),
         placement: Auto(outputs: ["auto"], start: BottomRight, order: Columns, serpentine: true, rotation: 270, mirror: true)),
        (name: "U", panel_type: "R", shape: Flat(columns: 3, rows: 2, position: (3.0, 2.0, -3.0)),
         placement: Auto(outputs: ["auto"], origin: (0, 40), start: TopRight, serpentine: true, rotation: 90)),
    ],
    outputs: [
        Output(name: "ex", width: 100, height: 50),
        Output(name: "auto", width: 64, height: 82),
    ],
)"#
    )
}

fn orientations() -> Stage {
    Stage::from_ron(&orientations_ron(), "orientations.ron").expect("test stage builds")
}

fn sizes(stage: &Stage) -> Vec<UVec2> {
    stage.panel_types.iter().map(|t| t.pixels).collect()
}

/// The pixel map rebuilt from a decode: the stage's own map with every panel's output, origin and
/// steps replaced by what the decoder read. Panics (fails the test) on a panel found twice or an
/// unreadable marker.
fn map_from_decode(stage: &Stage, report: &DecodeReport) -> PixelMap {
    assert!(
        report.unmatched.is_empty(),
        "unreadable markers: {:?}",
        report.unmatched
    );
    let mut map = PixelMap::of(stage);
    let mut seen = HashSet::new();
    for p in &mut map.panels {
        p.output = String::from("<not found>");
    }
    for d in &report.panels {
        assert!(seen.insert(d.panel), "panel {} decoded twice", d.panel);
        let p = map.panels.get_mut(d.panel).expect("decoded index in range");
        p.output = stage.outputs[d.output].name.clone();
        p.pixels = d.pixels.to_array();
        p.origin = d.origin.to_array();
        p.step_col = d.step_col.to_array();
        p.step_row = d.step_row.to_array();
    }
    map
}

fn round_trip(stage: &Stage) -> PixelMap {
    let images = pattern::render_all(stage, PatternKind::Id).expect("id pattern renders");
    for (img, o) in images.iter().zip(&stage.outputs) {
        assert_eq!((img.width(), img.height()), (o.width, o.height));
    }
    map_from_decode(stage, &pattern::decode_id(&images, &sizes(stage)))
}

#[test]
fn tiny_round_trip_gives_the_map_back_exactly() {
    let stage = tiny();
    assert_eq!(round_trip(&stage), PixelMap::of(&stage));
}

#[test]
fn every_rotation_and_mirror_round_trips_exactly() {
    let stage = orientations();
    // The stage really covers all eight orientations.
    let orientations: HashSet<(u32, bool)> = stage
        .panels
        .iter()
        .map(|p| p.placement.rotation_mirror())
        .collect();
    assert_eq!(orientations.len(), 8, "{orientations:?}");
    assert_eq!(round_trip(&stage), PixelMap::of(&stage));
}

/// Turns a cabinet 180 degrees in place (same rectangle).
fn turned(stage: &Stage, k: usize) -> Stage {
    let mut s = stage.clone();
    let p = &mut s.panels[k];
    let (w, h) = (p.pixels.x as i32, p.pixels.y as i32);
    let pl = &mut p.placement;
    pl.origin += pl.step_col * (w - 1) + pl.step_row * (h - 1);
    pl.step_col = -pl.step_col;
    pl.step_row = -pl.step_row;
    s
}

#[test]
fn a_misplaced_cabinet_is_detected() {
    let stage = orientations();
    let expected = PixelMap::of(&stage);
    for k in [0, 5, 9] {
        // The processor is fed by a stage where cabinet k is turned; decoding against the true
        // stage's map shows exactly that cabinet as different.
        let wrong = turned(&stage, k);
        let images = pattern::render_all(&wrong, PatternKind::Id).unwrap();
        let got = map_from_decode(&stage, &pattern::decode_id(&images, &sizes(&stage)));
        assert_ne!(got, expected);
        let differing: Vec<usize> = (0..expected.panels.len())
            .filter(|&n| got.panels[n] != expected.panels[n])
            .collect();
        assert_eq!(differing, vec![k]);
    }
    // Two cabinets swapped between their places.
    let mut swapped = stage.clone();
    let (a, b) = (1, 2);
    let pa = swapped.panels[a].placement;
    swapped.panels[a].placement = swapped.panels[b].placement;
    swapped.panels[b].placement = pa;
    let images = pattern::render_all(&swapped, PatternKind::Id).unwrap();
    let got = map_from_decode(&stage, &pattern::decode_id(&images, &sizes(&stage)));
    assert_eq!(got, PixelMap::of(&swapped));
    assert_ne!(got, expected);
}

fn covered(stage: &Stage, output: usize) -> HashSet<(i32, i32)> {
    let mut set = HashSet::new();
    for k in stage.panels_in_output(output) {
        let p = &stage.panels[k];
        for j in 0..p.pixels.y {
            for i in 0..p.pixels.x {
                let o = p.placement.output_pixel(i, j);
                assert!(set.insert((o.x, o.y)), "overlap at {o}");
            }
        }
    }
    set
}

#[test]
fn unused_pixels_are_black_and_solid_fills_every_led() {
    let colour = [12, 200, 77];
    for stage in [tiny(), orientations()] {
        for kind in [
            PatternKind::Id,
            PatternKind::Grid { every: 4 },
            PatternKind::ColourBars,
            PatternKind::Solid(colour),
        ] {
            let images = pattern::render_all(&stage, kind).unwrap();
            for (o, img) in images.iter().enumerate() {
                let used = covered(&stage, o);
                for (x, y, c) in img.enumerate_pixels() {
                    let inside = used.contains(&(x as i32, y as i32));
                    if !inside {
                        assert_eq!(c.0, [0, 0, 0, 255], "{kind:?} ({x}, {y})");
                    } else if let PatternKind::Solid([r, g, b]) = kind {
                        assert_eq!(c.0, [r, g, b, 255], "{kind:?} ({x}, {y})");
                    }
                }
            }
        }
    }
}

#[test]
fn bars_and_grid_follow_each_cabinet_orientation() {
    // Patterns that do not depend on the cabinet show the same colour at the same LED of every
    // cabinet of a type, however it is rotated or mirrored.
    let stage = orientations();
    for kind in [PatternKind::Grid { every: 4 }, PatternKind::ColourBars] {
        let images = pattern::render_all(&stage, kind).unwrap();
        let led = |k: usize, i: u32, j: u32| {
            let p = &stage.panels[k];
            let o = p.placement.output_pixel(i, j);
            *images[p.placement.output].get_pixel(o.x as u32, o.y as u32)
        };
        for t in 0..stage.panel_types.len() {
            let of_type: Vec<usize> = (0..stage.panels.len())
                .filter(|&k| stage.panels[k].panel_type == t)
                .collect();
            let first = of_type[0];
            let px = stage.panels[first].pixels;
            for &k in &of_type[1..] {
                for j in 0..px.y {
                    for i in 0..px.x {
                        assert_eq!(
                            led(k, i, j),
                            led(first, i, j),
                            "{kind:?} panel {k} ({i}, {j})"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_stray_marker_is_reported_not_decoded() {
    let stage = tiny();
    let mut images = pattern::render_all(&stage, PatternKind::Id).unwrap();
    let (w, h) = (images[0].width(), images[0].height());
    // Unused pixels exist in tiny's output; put a lone red pixel in the bottom-right corner.
    assert!(!covered(&stage, 0).contains(&(w as i32 - 1, h as i32 - 1)));
    images[0].put_pixel(w - 1, h - 1, pattern::ORIGIN_RED);
    let report = pattern::decode_id(&images, &sizes(&stage));
    assert_eq!(
        report.unmatched,
        vec![(0, IVec2::new(w as i32 - 1, h as i32 - 1))]
    );
    assert_eq!(report.panels.len(), stage.panels.len());
    // A flipped code bit fails the check sum: that cabinet is not decoded.
    let p = &stage.panels[3];
    let bit = p.placement.output_pixel(1, p.pixels.y - 2);
    let px = images[0].get_pixel_mut(bit.x as u32, bit.y as u32);
    px.0 = if px.0 == [0, 0, 0, 255] {
        [255, 255, 255, 255]
    } else {
        [0, 0, 0, 255]
    };
    let report = pattern::decode_id(&images, &sizes(&stage));
    assert!(report.panels.iter().all(|d| d.panel != 3));
    assert_eq!(report.panels.len(), stage.panels.len() - 1);
}

#[test]
fn cli_pattern_pngs_decode_to_the_map_and_map_writes_diagrams() {
    let dir = tempfile::tempdir().unwrap();
    let stage_path = dir.path().join("orientations.ron");
    std::fs::write(&stage_path, orientations_ron()).unwrap();
    let out = dir.path().join("out");
    let run = |args: &[&str]| {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
            .args(args)
            .arg(&stage_path)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    run(&["pattern"]);
    run(&["map"]);
    let stage = orientations();
    let images: Vec<RgbaImage> = stage
        .outputs
        .iter()
        .map(|o| {
            image::open(out.join(format!("{}.png", o.name)))
                .unwrap()
                .to_rgba8()
        })
        .collect();
    let got = map_from_decode(&stage, &pattern::decode_id(&images, &sizes(&stage)));
    assert_eq!(got, PixelMap::of(&stage));
    for o in &stage.outputs {
        let d = image::open(out.join(format!("{}-diagram.png", o.name))).unwrap();
        assert_eq!((d.width(), d.height()), (o.width, o.height));
    }
    // The map written next to them is the stage's.
    let json: PixelMap =
        serde_json::from_slice(&std::fs::read(out.join("pixel-map.json")).unwrap()).unwrap();
    assert_eq!(json, PixelMap::of(&stage));
}

#[test]
fn id_pattern_refuses_cabinets_too_small_for_the_code() {
    let ron = r#"Stage(name: "Small", frame_rate: 60.0,
        panel_types: [PanelType(name: "S", width_mm: 100.0, height_mm: 100.0, pixels: (6, 6))],
        sections: [(name: "A", panel_type: "S", shape: Flat(columns: 2, rows: 1, position: (0.0, 1.0, -2.0)),
                    placement: Auto(outputs: ["o"]))],
        outputs: [Output(name: "o", width: 16, height: 8)])"#;
    let stage = Stage::from_ron(ron, "small.ron").unwrap();
    let err = pattern::render_all(&stage, PatternKind::Id).unwrap_err();
    assert!(err.to_string().contains("A-000-00"), "{err}");
    // The other patterns still work.
    assert!(pattern::render_all(&stage, PatternKind::ColourBars).is_ok());
}
