//! `pixel-map.csv`: the pixel map as one row per cabinet (per cabinet and sub-frame on a remapped
//! output) for spreadsheets, processor software and the LED crew. The columns are documented in
//! `docs/conventions.md`.

use super::{MapSubFrame, PixelMap};

/// The header row's column names, in order.
pub const CSV_COLUMNS: [&str; 37] = [
    "id",
    "section",
    "col",
    "row",
    "type",
    "width_px",
    "height_px",
    "output",
    "origin_x",
    "origin_y",
    "step_col_x",
    "step_col_y",
    "step_row_x",
    "step_row_y",
    "rect_x",
    "rect_y",
    "rect_width",
    "rect_height",
    "rotation",
    "mirror",
    "top_left_x",
    "top_left_y",
    "top_left_z",
    "right_x",
    "right_y",
    "right_z",
    "down_x",
    "down_y",
    "down_z",
    "processor",
    "port",
    "chain_position",
    "subframe",
    "subframe_kind",
    "subframe_source",
    "region_x",
    "region_y",
];

impl PixelMap {
    /// The CSV export: a header row ([`CSV_COLUMNS`]), then one row per panel in map order with the
    /// same fields (world vectors flattened), the output rectangle, rotation and mirror that
    /// processor software asks for, and the cabinet's processor, port and place in the port's chain
    /// (empty when no processor takes its output).
    ///
    /// On a remapped output (frame remapping) a cabinet has one row per sub-frame, in the regions'
    /// order: `subframe` (from 1), `subframe_kind` (`camera`, `chroma`, `solid`), `subframe_source`
    /// (the camera, or the solid colour as `r g b`), `region_x`, `region_y` (the region's top-left
    /// pixel), and `origin`, `rect_x`, `rect_y` in the whole raster (the region's origin plus the
    /// cabinet's place in the region, which is what `pixel-map.json` records). Without remapping the
    /// sub-frame columns are empty and the region is `0, 0`.
    pub fn to_csv(&self) -> String {
        let mut s = CSV_COLUMNS.join(",");
        s.push('\n');
        let none: [Option<(usize, &MapSubFrame)>; 1] = [None];
        for p in &self.panels {
            let subframes = self
                .outputs
                .iter()
                .find(|o| o.name == p.output)
                .map(|o| o.subframes.as_slice())
                .unwrap_or_default();
            let rows: Vec<Option<(usize, &MapSubFrame)>> = if subframes.is_empty() {
                none.to_vec()
            } else {
                subframes.iter().enumerate().map(Some).collect()
            };
            for sf in rows {
                let (rx, ry) = sf.map_or((0, 0), |(_, r)| (r.x as i32, r.y as i32));
                let origin = [p.origin[0] + rx, p.origin[1] + ry];
                let pl = crate::stage::Placement {
                    output: 0,
                    origin: origin.into(),
                    step_col: p.step_col.into(),
                    step_row: p.step_row.into(),
                };
                let r = pl.rect(p.pixels.into());
                let (rot, mirror) = pl.rotation_mirror();
                let w = &p.world;
                let opt = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
                let (index, kind, source) = match sf {
                    None => (String::new(), String::new(), String::new()),
                    Some((k, r)) => (
                        (k + 1).to_string(),
                        r.kind.clone(),
                        match (&r.camera, &r.colour) {
                            (Some(c), _) => c.clone(),
                            (None, Some([r, g, b])) => format!("{r} {g} {b}"),
                            (None, None) => String::new(),
                        },
                    ),
                };
                let cells: Vec<String> = [
                    csv_field(&p.id),
                    csv_field(&p.section),
                    p.col.to_string(),
                    p.row.to_string(),
                    csv_field(&p.panel_type),
                    p.pixels[0].to_string(),
                    p.pixels[1].to_string(),
                    csv_field(&p.output),
                    origin[0].to_string(),
                    origin[1].to_string(),
                    p.step_col[0].to_string(),
                    p.step_col[1].to_string(),
                    p.step_row[0].to_string(),
                    p.step_row[1].to_string(),
                    r.x0.to_string(),
                    r.y0.to_string(),
                    r.width().to_string(),
                    r.height().to_string(),
                    rot.to_string(),
                    mirror.to_string(),
                ]
                .into_iter()
                .chain(
                    w.top_left
                        .iter()
                        .chain(&w.right)
                        .chain(&w.down)
                        .map(|v| format!("{v:.6}")),
                )
                .chain([
                    csv_field(p.processor.as_deref().unwrap_or_default()),
                    opt(p.port),
                    opt(p.chain_position),
                    index,
                    csv_field(&kind),
                    csv_field(&source),
                    rx.to_string(),
                    ry.to_string(),
                ])
                .collect();
                debug_assert_eq!(cells.len(), CSV_COLUMNS.len());
                s.push_str(&cells.join(","));
                s.push('\n');
            }
        }
        s
    }
}

/// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
