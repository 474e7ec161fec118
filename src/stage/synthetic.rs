//! Synthetic stages for benchmarks and scale tests: a flat wall of `columns x rows` cabinets packed
//! into as many outputs as it needs.

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
}
