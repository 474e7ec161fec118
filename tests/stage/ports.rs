//! Processors' ports and the chains of cabinets on them, in the stage model, the pixel map (JSON
//! and CSV) and automatic placement's caps and balance. Every expected value is worked out by hand
//! in the comments.

use std::collections::HashMap;

use parallax::mapping::PixelMap;
use parallax::stage::Stage;

/// A 4 x 2 wall of 32 x 32 px cabinets (1,024 px each) on output `o`, packed from the bottom-left
/// corner, row by row, serpentine; processor `X` with 4 ports of `per_port` px. `remap`: the
/// output's remap clause (or empty).
fn wall(per_port: u64, remap: &str, width: u32) -> Stage {
    let text = wall_text(per_port, remap, width);
    Stage::from_ron(&text, "ports.ron").unwrap_or_else(|e| panic!("{e}"))
}

fn wall_text(per_port: u64, remap: &str, width: u32) -> String {
    format!(
        r#"Stage(name: "ports", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
     shape: Flat(columns: 4, rows: 2, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o"], start: BottomLeft, order: Rows, serpentine: true))],
  outputs: [Output(name: "o", width: {width}, height: 64{remap})],
  processors: [Processor(name: "X", inputs: ["o"], max_pixels: 1000000, ports: 4, pixels_per_port: {per_port})],
  cameras: [Camera(name: "A"), Camera(name: "B", position: (0.5, 1.5, 0.0))])"#
    )
}

/// The chains as cabinet ids, port by port.
fn chains(s: &Stage) -> Vec<(String, u32, Vec<String>)> {
    s.port_chains()
        .into_iter()
        .map(|c| {
            (
                s.processors[c.processor].name.clone(),
                c.port,
                c.panels.iter().map(|&k| s.panels[k].id.clone()).collect(),
            )
        })
        .collect()
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn cabinets_run_along_the_placement_sequence_port_after_port() {
    // Sequence from the bottom-left, serpentine: row 1 left to right, then row 0 right to left:
    // W-000-01 W-001-01 W-002-01 W-003-01 W-003-00 W-002-00 W-001-00 W-000-00.
    // 3,072 px a port holds 3 cabinets of 1,024 px.
    let s = wall(3072, "", 128);
    assert_eq!(
        chains(&s),
        vec![
            ("X".into(), 1, ids(&["W-000-01", "W-001-01", "W-002-01"])),
            ("X".into(), 2, ids(&["W-003-01", "W-003-00", "W-002-00"])),
            ("X".into(), 3, ids(&["W-001-00", "W-000-00"])),
        ]
    );
    let ports = s.cabinet_ports();
    let at = |id: &str| ports[s.panel_index(id).unwrap()].unwrap();
    assert_eq!((at("W-003-00").port, at("W-003-00").position), (2, 2));
    assert_eq!((at("W-000-00").port, at("W-000-00").position), (3, 2));
    // The usage summary agrees: 3, 3 and 2 cabinets, port 4 empty.
    assert_eq!(s.summary().processors[0].ports, vec![3072, 3072, 2048, 0]);
}

#[test]
fn validate_names_each_ports_first_and_last_cabinet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ports.ron");
    std::fs::write(&path, wall_text(3072, "", 128)).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .arg("validate")
        .arg(&path)
        .output()
        .expect("run parallax");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "W-000-01 .. W-002-01 (3 cabinets)",
        "W-003-01 .. W-002-00 (3 cabinets)",
        "W-001-00 .. W-000-00 (2 cabinets)",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

#[test]
fn a_remapped_output_takes_each_cabinet_once_per_subframe_on_its_port() {
    // Two sub-frames: a cabinet is 2,048 px a frame, so a port of 3,072 px holds one cabinet and
    // a port of 4,096 px two; 8 cabinets on 4 ports of 4,096 px: 2 each.
    let remap = r#", remap: Some(Remap(layout: Columns, subframes: [Camera("A"), Camera("B")]))"#;
    let s = wall(4096, remap, 256);
    assert_eq!(
        chains(&s),
        vec![
            ("X".into(), 1, ids(&["W-000-01", "W-001-01"])),
            ("X".into(), 2, ids(&["W-002-01", "W-003-01"])),
            ("X".into(), 3, ids(&["W-003-00", "W-002-00"])),
            ("X".into(), 4, ids(&["W-001-00", "W-000-00"])),
        ]
    );
}

#[test]
fn the_pixel_map_records_each_cabinets_port_in_json_and_csv() {
    let s = wall(3072, "", 128);
    let map = PixelMap::of(&s);
    let json = serde_json::to_value(&map).unwrap();
    let panel = json["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "W-002-00")
        .unwrap();
    assert_eq!(panel["processor"], "X");
    assert_eq!(panel["port"], 2);
    assert_eq!(panel["chain_position"], 3);
    // Read back, the map is the same (the fields round-trip).
    let back: PixelMap = serde_json::from_value(json).unwrap();
    assert_eq!(back, map);

    let rows = parse_csv(&map.to_csv());
    assert_eq!(rows.len(), 8, "one row per cabinet");
    let row = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap();
    for (id, port, n) in [
        ("W-000-01", "1", "1"),
        ("W-002-01", "1", "3"),
        ("W-003-01", "2", "1"),
        ("W-002-00", "2", "3"),
        ("W-000-00", "3", "2"),
    ] {
        let r = row(id);
        assert_eq!(
            (
                r["processor"].as_str(),
                r["port"].as_str(),
                r["chain_position"].as_str()
            ),
            ("X", port, n),
            "{id}"
        );
        assert_eq!(r["subframe"], "", "no remapping: no sub-frame");
        assert_eq!((r["region_x"].as_str(), r["region_y"].as_str()), ("0", "0"));
    }
    // Placement by hand: the sequence packs row by row into a 128 px wide output, 4 a line, so
    // W-000-00 (8th) is at (96, 32), W-003-01 (4th) at (96, 0).
    assert_eq!(
        (
            row("W-000-00")["rect_x"].as_str(),
            row("W-000-00")["rect_y"].as_str()
        ),
        ("96", "32")
    );
    assert_eq!(row("W-003-01")["rect_x"], "96");
}

#[test]
fn a_cabinet_on_no_processor_has_no_port() {
    let text = r#"Stage(name: "np", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
     shape: Flat(columns: 2, rows: 1, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 64, height: 32)])"#;
    let s = Stage::from_ron(text, "np.ron").unwrap();
    assert!(s.port_chains().is_empty());
    let map = PixelMap::of(&s);
    assert!(map.panels.iter().all(|p| p.port.is_none()));
    let json = serde_json::to_string(&map).unwrap();
    assert!(!json.contains("chain_position"), "absent, not null");
    let rows = parse_csv(&map.to_csv());
    assert!(rows.iter().all(|r| r["port"].is_empty()));
}

/// A 108 x 2 wall of 32 px cabinets over six outputs 21 cabinets (672 px) wide, packed column by
/// column, with `extra` placement options.
fn wide(extra: &str) -> Result<Stage, String> {
    let outputs: Vec<String> = (1..=6)
        .map(|k| format!(r#"Output(name: "o{k}", width: 680, height: 64)"#))
        .collect();
    let text = format!(
        r#"Stage(name: "wide", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
     shape: Flat(columns: 108, rows: 2, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o1", "o2", "o3", "o4", "o5", "o6"], order: Columns{extra}))],
  outputs: [{}])"#,
        outputs.join(", ")
    );
    Stage::from_ron(&text, "wide.ron").map_err(|e| e.to_string())
}

/// Cabinets per output, in output order.
fn per_output(s: &Stage) -> Vec<usize> {
    (0..s.outputs.len())
        .map(|k| s.panels_in_output(k).count())
        .collect()
}

#[test]
fn placement_fills_outputs_in_turn_or_balances_them() {
    // 680 / 32 = 21 columns an output: 5 x 21 + 3 columns (42 cabinets, 6 in the last).
    assert_eq!(per_output(&wide("").unwrap()), vec![42, 42, 42, 42, 42, 6]);
    // Balanced: 108 / 6 = 18 columns, 36 cabinets each.
    let s = wide(", balance: true").unwrap();
    assert_eq!(per_output(&s), vec![36; 6]);
    // Column 18 starts the second output at its left edge; column 17 is the first output's last.
    let at = |id: &str| {
        let p = &s.panels[s.panel_index(id).unwrap()];
        (
            s.outputs[p.placement.output].name.clone(),
            p.output_rect().x0,
            p.output_rect().y0,
        )
    };
    assert_eq!(at("W-017-01"), ("o1".into(), 17 * 32, 32));
    assert_eq!(at("W-018-00"), ("o2".into(), 0, 0));
    assert_eq!(at("W-107-01"), ("o6".into(), 17 * 32, 32));
    // A cap of 40 cabinets: 20 columns an output, filled in turn: 5 x 40 + 16.
    let capped = wide(", max_cabinets_per_output: 40").unwrap();
    assert_eq!(per_output(&capped), vec![40, 40, 40, 40, 40, 16]);
    // A cap too small for the wall: 6 x 30 = 180 of 216 cabinets fit; the rest are reported.
    let e = wide(", max_cabinets_per_output: 30").unwrap_err();
    assert!(
        e.contains("36 of its 216 cabinets do not fit") && e.contains("at most 30 per output"),
        "{e}"
    );
    let e = wide(", max_cabinets_per_output: 0").unwrap_err();
    assert!(
        e.contains("max_cabinets_per_output must be at least 1"),
        "{e}"
    );
}

/// A CSV with plain fields (no quotes) as maps from column name to value, header checked.
pub fn parse_csv(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, parallax::mapping::CSV_COLUMNS.to_vec());
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{l}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn the_diagram_draws_each_port_chain_through_its_cabinets() {
    use parallax::diagram::{diagram, port_colour};
    // Output pixels (see above): row 0 holds W-000-01, W-001-01, W-002-01, W-003-01 at x = 0, 32,
    // 64, 96; row 1 (y = 32) W-003-00, W-002-00, W-001-00, W-000-00. Centres at 16 + 32 n.
    let s = wall(3072, "", 128);
    let img = diagram(&s, 0).unwrap();
    let at = |x: u32, y: u32| *img.get_pixel(x, y);
    let (p1, p2, p3) = (port_colour(1), port_colour(2), port_colour(3));
    assert!(p1 != p2 && p2 != p3 && p1 != p3);
    let white = image::Rgba([255, 255, 255, 255]);
    // Port 1: W-000-01 -> W-001-01 -> W-002-01 crosses the seams at x = 32 and 64 on y = 16.
    assert_eq!(at(32, 16), p1);
    assert_eq!(at(64, 16), p1);
    // W-002-01 -> W-003-01 are neighbours in the sequence but on ports 1 and 2: no line, the
    // seam keeps the cabinet's white outline.
    assert_eq!(at(96, 16), white);
    // Port 2: W-003-01 (112, 16) -> W-003-00 (16, 48) passes (64, 32); W-003-00 -> W-002-00
    // crosses x = 32 on y = 48.
    assert_eq!(at(64, 32), p2);
    assert_eq!(at(32, 48), p2);
    // Ports 2 and 3 meet between W-002-00 and W-001-00: no line at x = 64; port 3 at x = 96.
    assert_eq!(at(64, 48), white);
    assert_eq!(at(96, 48), p3);
    // The first cabinet of each chain carries the port's square on its centre.
    assert_eq!(at(16, 16), p1);
    assert_eq!(at(112, 16), p2);
    assert_eq!(at(80, 48), p3);
}
