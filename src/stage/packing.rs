//! Packing cabinets into outputs: each section's placement (automatic or explicit) resolved to a
//! rectangle in an output raster, then every output checked for cabinets outside its raster,
//! overlapping cabinets and outputs that feed no cabinet.

use std::collections::{HashMap, HashSet};

use glam::UVec2;

use super::building::Cells;
use super::checks::Problems;
use super::file::{self, PlacementFile};
use super::placement::{self, Placement, Rect};
use super::{Output, Panel, Subject, panel_id};

/// Outputs by name, for sections and processors to refer to.
pub(super) struct OutputIndex<'a> {
    /// Index in the file's outputs of each name's first output.
    pub by_name: HashMap<&'a str, usize>,
    /// Outputs not to blame for holding no cabinet: the later ones of duplicate names (already
    /// reported) and those of sections that failed (they may look emptier than they are).
    pub tainted: HashSet<usize>,
}

impl<'a> OutputIndex<'a> {
    /// The first of duplicate outputs is the one sections refer to; the others are tainted.
    pub fn new(outputs: &'a [file::Output]) -> OutputIndex<'a> {
        let mut by_name = HashMap::new();
        let mut tainted = HashSet::new();
        for (i, o) in outputs.iter().enumerate() {
            if by_name.contains_key(o.name.as_str()) {
                tainted.insert(i);
            } else {
                by_name.insert(o.name.as_str(), i);
            }
        }
        OutputIndex { by_name, tainted }
    }

    /// Marks the outputs a (failed) section's placement refers to.
    pub fn taint_outputs_of(&mut self, p: &PlacementFile) {
        let names: Vec<&str> = match p {
            PlacementFile::Auto { outputs, .. } => outputs.iter().map(String::as_str).collect(),
            PlacementFile::Explicit(list) => list.iter().map(|p| p.output.as_str()).collect(),
        };
        for n in names {
            if let Some(&i) = self.by_name.get(n) {
                self.tainted.insert(i);
            }
        }
    }
}

/// The placement of each of a section's cells (`None` for a cabinet left without one, which is
/// reported), or `None` when the placement itself is wrong (unknown output, bad rotation).
/// `holes` are cells cut out of the section (`skip`): automatic packing leaves their places empty,
/// so that the cabinets around keep the places they have without the cut-out.
pub(super) fn section_placement(
    sec: &file::Section,
    cells: &Cells,
    holes: &[(u32, u32)],
    pixels: UVec2,
    outputs: &[file::Output],
    output_index: &HashMap<&str, usize>,
    problems: &mut Problems,
) -> Option<Vec<Option<Placement>>> {
    let subj = Subject::Section(sec.name.clone());
    match &sec.placement {
        PlacementFile::Auto {
            outputs: names,
            origin,
            start,
            order,
            serpentine,
            per_line,
            max_cabinets_per_output,
            balance,
            rotation,
            mirror,
        } => {
            let mut ok = true;
            let mut targets = Vec::new();
            for n in names {
                match output_index.get(n.as_str()) {
                    Some(&i) => targets.push(i),
                    None => {
                        problems.push(subj.clone(), format!("unknown output '{n}'"));
                        ok = false;
                    }
                }
            }
            if names.is_empty() {
                problems.push(
                    subj.clone(),
                    "automatic placement needs at least one output",
                );
                ok = false;
            }
            if !matches!(rotation, 0 | 90 | 180 | 270) {
                problems.push(
                    subj.clone(),
                    format!("rotation must be 0, 90, 180 or 270, got {rotation}"),
                );
                ok = false;
            }
            if *max_cabinets_per_output == Some(0) {
                problems.push(subj.clone(), "max_cabinets_per_output must be at least 1");
                ok = false;
            }
            if !ok {
                return None;
            }
            let columns = grid_columns(cells, holes);
            let rows = grid_rows(cells, holes);
            // The places in packing order: a cabinet (`Some`), or a hole kept empty (`None`), so
            // that the cabinets around a cut-out keep the places they have without it.
            let key = |cr| placement::sequence_key(cr, columns, rows, *start, *order, *serpentine);
            let mut slots: Vec<((u32, u32), Option<usize>)> = cells
                .iter()
                .enumerate()
                .map(|(k, c)| (key((c.0, c.1)), Some(k)))
                .chain(holes.iter().map(|&h| (key(h), None)))
                .collect();
            slots.sort_by_key(|s| s.0);
            let sequence: Vec<Option<usize>> = slots.into_iter().map(|s| s.1).collect();
            let (cw, ch) = if rotation % 180 == 0 {
                (pixels.x, pixels.y)
            } else {
                (pixels.y, pixels.x)
            };
            // Each output's grid of cells: its origin, cells per line and lines.
            let grids: Vec<(usize, u32, u32, u32, u32)> = targets
                .iter()
                .enumerate()
                .map(|(k, &oi)| {
                    let (ox, oy) = if k == 0 { *origin } else { (0, 0) };
                    let (ow, oh) = outputs[oi].region_size();
                    let fit_x = ow.saturating_sub(ox) / cw;
                    let fit_y = oh.saturating_sub(oy) / ch;
                    // Cells per line run along x for row order, along y for column order.
                    let (natural, fit_line, lines) = match order {
                        file::Order::Rows => (columns, fit_x, fit_y),
                        file::Order::Columns => (rows, fit_y, fit_x),
                    };
                    let per = per_line.unwrap_or(natural.min(fit_line)).min(fit_line);
                    let lines = if per == 0 { 0 } else { lines };
                    (oi, ox, oy, per, lines)
                })
                .collect();
            let shares: Vec<(u32, u32)> = grids.iter().map(|g| (g.3, g.4)).collect();
            let counts = placement::output_counts(
                sequence.len(),
                &shares,
                *max_cabinets_per_output,
                *balance,
            );
            let mut out = vec![None; cells.len()];
            let mut next = 0usize;
            for (&(oi, ox, oy, per, _), &count) in grids.iter().zip(&counts) {
                for cell in 0..count {
                    let (a, b) = ((cell % per as usize) as u32, (cell / per as usize) as u32);
                    let (cx, cy) = match order {
                        file::Order::Rows => (a, b),
                        file::Order::Columns => (b, a),
                    };
                    let Some(k) = sequence[next] else {
                        next += 1;
                        continue;
                    };
                    out[k] = Placement::from_rect(
                        oi,
                        ox + cx * cw,
                        oy + cy * ch,
                        pixels,
                        *rotation,
                        *mirror,
                    );
                    next += 1;
                }
            }
            let left = sequence[next.min(sequence.len())..]
                .iter()
                .flatten()
                .count();
            if left > 0 {
                problems.push(
                    subj,
                    format!(
                        "{} of its {} cabinets do not fit in output{} {}{}",
                        left,
                        cells.len(),
                        if names.len() == 1 { "" } else { "s" },
                        names
                            .iter()
                            .map(|n| format!("'{n}'"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        max_cabinets_per_output
                            .map(|m| format!(" (at most {m} per output)"))
                            .unwrap_or_default()
                    ),
                );
            }
            Some(out)
        }
        PlacementFile::Explicit(list) => {
            let index: HashMap<(u32, u32), usize> = cells
                .iter()
                .enumerate()
                .map(|(k, c)| ((c.0, c.1), k))
                .collect();
            let mut out: Vec<Option<Placement>> = vec![None; cells.len()];
            let mut reported = HashSet::new();
            for p in list {
                let id = panel_id(&sec.name, p.col, p.row);
                let ps = Subject::Panel(id);
                let Some(&k) = index.get(&(p.col, p.row)) else {
                    problems.push(
                        ps,
                        format!(
                            "placed, but section '{}' has no cabinet at column {}, row {}",
                            sec.name, p.col, p.row
                        ),
                    );
                    continue;
                };
                let Some(&oi) = output_index.get(p.output.as_str()) else {
                    problems.push(ps, format!("unknown output '{}'", p.output));
                    reported.insert(k);
                    continue;
                };
                let o = &outputs[oi];
                let (ow, oh) = o.region_size();
                if p.x >= ow.min(1 << 24) || p.y >= oh.min(1 << 24) {
                    problems.push(
                        ps,
                        format!(
                            "top-left ({}, {}) is outside output '{}' ({ow} x {oh}{})",
                            p.x,
                            p.y,
                            o.name,
                            if o.remap.is_some() {
                                ", one sub-frame"
                            } else {
                                ""
                            }
                        ),
                    );
                    reported.insert(k);
                    continue;
                }
                let Some(pl) = Placement::from_rect(oi, p.x, p.y, pixels, p.rotation, p.mirror)
                else {
                    problems.push(
                        ps,
                        format!("rotation must be 0, 90, 180 or 270, got {}", p.rotation),
                    );
                    reported.insert(k);
                    continue;
                };
                if out[k].is_some() {
                    problems.push(ps, "placed twice");
                    continue;
                }
                out[k] = Some(pl);
            }
            for (k, c) in cells.iter().enumerate() {
                if out[k].is_none() && !reported.contains(&k) {
                    problems.push(
                        Subject::Panel(panel_id(&sec.name, c.0, c.1)),
                        "has no place in any output",
                    );
                }
            }
            Some(out)
        }
    }
}

/// Largest grid (columns x rows) whose empty cells [`grid_holes`] lists; past it (a surveyed
/// section with far-apart ids) only the cut-outs keep places.
const MAX_GRID_CELLS: u64 = 16_000_000;

/// The cells of a section's grid (the bounding grid of its cabinets and cut-outs) that hold no
/// cabinet: the cut-outs `holes`, and the cells a shape leaves out (a disc's corners, the end of
/// a ring shorter than the longest one). Automatic packing keeps their places empty, so that the
/// output looks like the section.
pub(super) fn grid_holes(cells: &Cells, holes: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    let (columns, rows) = (grid_columns(cells, &holes), grid_rows(cells, &holes));
    if columns as u64 * rows as u64 > MAX_GRID_CELLS {
        return holes;
    }
    let taken: HashSet<(u32, u32)> = cells
        .iter()
        .map(|c| (c.0, c.1))
        .chain(holes.iter().copied())
        .collect();
    let mut out = holes;
    for row in 0..rows {
        for col in 0..columns {
            if !taken.contains(&(col, row)) {
                out.push((col, row));
            }
        }
    }
    out
}

/// Columns of a section's grid: its cabinets' and its cut-out cells'.
fn grid_columns(cells: &Cells, holes: &[(u32, u32)]) -> u32 {
    let cols = cells.iter().map(|c| c.0).chain(holes.iter().map(|h| h.0));
    cols.map(|c| c + 1).max().unwrap_or(0)
}

/// Rows of a section's grid: its cabinets' and its cut-out cells'.
fn grid_rows(cells: &Cells, holes: &[(u32, u32)]) -> u32 {
    let rows = cells.iter().map(|c| c.1).chain(holes.iter().map(|h| h.1));
    rows.map(|r| r + 1).max().unwrap_or(0)
}

/// A section's cells (indices into `cells`) in the order their data runs along a port's chain:
/// an automatic placement's sequence (`start` corner, `order`, `serpentine`, over the section's
/// grid with its cut-out cells `holes`; the order it packs them in), or row by row from the
/// top-left cabinet (as seen from the front) for an explicit placement.
pub(super) fn chain_order(p: &PlacementFile, cells: &Cells, holes: &[(u32, u32)]) -> Vec<usize> {
    match p {
        PlacementFile::Auto {
            start,
            order,
            serpentine,
            ..
        } => {
            let (columns, rows) = (grid_columns(cells, holes), grid_rows(cells, holes));
            // Sorted by their place in the grid's sequence (a section's cells are distinct).
            let mut k: Vec<usize> = (0..cells.len()).collect();
            k.sort_by_key(|&k| {
                let (c, r) = (cells[k].0, cells[k].1);
                placement::sequence_key((c, r), columns, rows, *start, *order, *serpentine)
            });
            k
        }
        PlacementFile::Explicit(_) => {
            let mut k: Vec<usize> = (0..cells.len()).collect();
            k.sort_by_key(|&k| (cells[k].1, cells[k].0));
            k
        }
    }
}

/// Panels outside their raster, overlapping panels, outputs with no panel.
pub(super) fn check_outputs(
    outputs: &[Output],
    panels: &[Panel],
    tainted: &HashSet<usize>,
    problems: &mut Problems,
) {
    let mut per_output: Vec<Vec<(Rect, usize)>> = vec![Vec::new(); outputs.len()];
    for (i, p) in panels.iter().enumerate() {
        per_output[p.placement.output].push((p.output_rect(), i));
    }
    const MAX_OVERLAPS: usize = 20;
    for (oi, o) in outputs.iter().enumerate() {
        let rects = &mut per_output[oi];
        if rects.is_empty() {
            if !tainted.contains(&oi) {
                problems.push(Subject::Output(o.name.clone()), "no panel is placed in it");
            }
            continue;
        }
        let (ow, oh) = o.region_size();
        let sub = if o.remap.is_some() {
            ", one sub-frame"
        } else {
            ""
        };
        for (r, i) in rects.iter() {
            if r.x0 < 0 || r.y0 < 0 || r.x1 > ow as i64 || r.y1 > oh as i64 {
                problems.push(
                    Subject::Panel(panels[*i].id.clone()),
                    format!(
                        "pixels {}..{} x {}..{} fall outside output '{}' ({ow} x {oh}{sub})",
                        r.x0, r.x1, r.y0, r.y1, o.name
                    ),
                );
            }
        }
        // Sweep along x: only rectangles whose x ranges meet can overlap.
        rects.sort_by_key(|(r, _)| r.x0);
        let mut found = 0usize;
        let mut active: Vec<(Rect, usize)> = Vec::new();
        for &(r, i) in rects.iter() {
            active.retain(|(a, _)| a.x1 > r.x0);
            for (a, j) in &active {
                if a.overlaps(&r) {
                    found += 1;
                    if found <= MAX_OVERLAPS {
                        problems.push(
                            Subject::Panel(panels[i].id.clone()),
                            format!("overlaps panel '{}' in output '{}'", panels[*j].id, o.name),
                        );
                    }
                }
            }
            active.push((r, i));
        }
        if found > MAX_OVERLAPS {
            problems.push(
                Subject::Output(o.name.clone()),
                format!("{} more overlapping pairs of panels", found - MAX_OVERLAPS),
            );
        }
    }
}
