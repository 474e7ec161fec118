//! Synthetic stages for benchmarks and scale tests: a flat wall of `columns x rows` cabinets packed
//! into as many outputs as it needs, and a 270-degree volume with a ceiling.

/// Stage-file text of a flat wall of `columns x rows` cabinets of `pixels` each (1 mm per pixel), packed
/// row by row into outputs of `output` pixels (`out-1`, `out-2`, ...).
pub fn flat_wall(columns: u32, rows: u32, pixels: (u32, u32), output: (u32, u32)) -> String {
    let per_line = (output.0 / pixels.0.max(1)).max(1);
    let lines = (output.1 / pixels.1.max(1)).max(1);
    let per_output = (per_line * lines).max(1) as u64;
    let count = (columns as u64 * rows as u64).div_ceil(per_output).max(1);
    let names: Vec<String> = (1..=count).map(|k| format!("out-{k}")).collect();
    let outputs: Vec<String> = names
        .iter()
        .map(|n| {
            format!(
                "Output(name: \"{n}\", width: {}, height: {})",
                output.0, output.1
            )
        })
        .collect();
    format!(
        r#"Stage(
    name: "Synthetic {columns} x {rows}",
    frame_rate: 60.0,
    panel_types: [PanelType(name: "P", width_mm: {w}.0, height_mm: {h}.0, pixels: ({w}, {h}))],
    sections: [(
        name: "S",
        panel_type: "P",
        shape: Flat(columns: {columns}, rows: {rows}, position: (0.0, {top}, -5.0), anchor: TopCentre),
        placement: Auto(outputs: [{quoted}]),
    )],
    outputs: [{outputs}],
    cameras: [Camera(name: "A", position: (0.0, {eye}, 0.0))],
)
"#,
        w = pixels.0,
        h = pixels.1,
        top = rows as f64 * pixels.1 as f64 / 1000.0,
        eye = rows as f64 * pixels.1 as f64 / 2000.0,
        quoted = names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", "),
        outputs = outputs.join(", "),
    )
}

/// Output names `out-{first}` .. `out-{first + count - 1}`, quoted and comma-separated, and their
/// `Output(...)` entries of UHD size.
fn uhd_outputs(first: u32, count: u32) -> (String, Vec<String>) {
    let names: Vec<String> = (first..first + count).map(|k| format!("out-{k}")).collect();
    let quoted = names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let outputs = names
        .iter()
        .map(|n| format!("Output(name: \"{n}\", width: 3840, height: 2160)"))
        .collect();
    (quoted, outputs)
}

/// Stage-file text of a volume of 0.5 m cabinets of 176 x 176 px: an arc of `arc_columns x rows`
/// cabinets over 270 degrees (from -135 to 135, the open side behind the cameras; the radius is the
/// one on which that many cabinets span 270 degrees) and a flat ceiling of `ceiling.0 x
/// ceiling.1` cabinets facing down, centred 0.1 m above the wall's top. Two cameras stand inside it.
/// Each section is packed into its own UHD outputs (252 cabinets each).
pub fn volume(arc_columns: u32, rows: u32, ceiling: (u32, u32)) -> String {
    let per_output = 21 * 12;
    let arc_outputs = (arc_columns * rows).div_ceil(per_output).max(1);
    let ceiling_outputs = (ceiling.0 * ceiling.1).div_ceil(per_output).max(1);
    let (arc_names, mut outputs) = uhd_outputs(1, arc_outputs);
    let (ceiling_names, more) = uhd_outputs(arc_outputs + 1, ceiling_outputs);
    outputs.extend(more);
    let step = 270f64.to_radians() / arc_columns.max(1) as f64;
    let radius = 0.5 / (2.0 * (step / 2.0).sin());
    format!(
        r#"Stage(
    name: "Synthetic volume",
    frame_rate: 60.0,
    panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (176, 176))],
    sections: [
        (name: "W", panel_type: "P",
         shape: Arc(centre: (0.0, 0.0), radius: {radius}, start_deg: -135.0, columns: {arc_columns}, rows: {rows}, bottom: 0.0),
         placement: Auto(outputs: [{arc_names}], per_line: 21)),
        (name: "C", panel_type: "P",
         shape: Flat(columns: {cc}, rows: {cr}, position: (0.0, {top}, 0.0), anchor: Centre, rotation: PanTiltRoll(0.0, 90.0, 0.0)),
         placement: Auto(outputs: [{ceiling_names}], per_line: 21)),
    ],
    outputs: [{outputs}],
    cameras: [
        Camera(name: "A", position: (0.0, 1.7, 0.0)),
        Camera(name: "B", position: (2.0, 1.7, 3.0), rotation: PanTiltRoll(30.0, 0.0, 0.0)),
    ],
)
"#,
        cc = ceiling.0,
        cr = ceiling.1,
        top = rows as f64 * 0.5 + 0.1,
        outputs = outputs.join(", "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::Stage;

    #[test]
    fn synthetic_walls_build_with_equal_pixel_counts() {
        let few = Stage::from_ron(&flat_wall(5, 2, (640, 1000), (3200, 2000)), "few").unwrap();
        let many = Stage::from_ron(&flat_wall(100, 100, (32, 20), (3200, 2000)), "many").unwrap();
        assert_eq!(few.panels.len(), 10);
        assert_eq!(many.panels.len(), 10_000);
        assert_eq!(few.pixel_count(), many.pixel_count());
        assert_eq!(few.outputs.len(), 1);
        assert_eq!(many.outputs.len(), 1);
    }

    #[test]
    fn the_synthetic_volume_has_its_cabinets_and_no_findings() {
        let s =
            Stage::from_ron(&volume(96, 16, (16, 29)), "volume").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.panels.len(), 96 * 16 + 16 * 29);
        assert_eq!(s.panels.len(), 2000);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        // The arc spans 270 degrees: its first and last cabinet edges are 135 degrees either side
        // of -Z.
        let first = s.panels[0].frame.top_left;
        let last = s.panels[95].frame.top_left + s.panels[95].frame.right;
        let angle = |p: glam::DVec3| p.x.atan2(-p.z).to_degrees();
        assert!((angle(first) + 135.0).abs() < 1e-9, "{}", angle(first));
        assert!((angle(last) - 135.0).abs() < 1e-6, "{}", angle(last));
    }
}
