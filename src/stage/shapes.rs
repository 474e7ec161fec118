//! Resolving the section shapes real stages have beyond a flat grid, an arc and surveyed corners: a
//! faceted wall along a polyline and arcs joined into an oval (here), round ceilings (in
//! [`super::ceilings`]) and cabinets surveyed in an OBJ mesh (in [`super::obj`]), plus a section's
//! cut-outs. Each turns the file's fields into cabinets (column, row, frame) for the same
//! placement, mapping and checks as every other shape; every problem is collected, each ending
//! with `(at sections[i].shape.FIELD)` so that it is located in the stage file.

use std::f64::consts::TAU;
use std::path::Path;

use super::building::{Cells, MAX_GRID, too_many};
use super::checks::{Limits, Problems, finite};
use super::file::{self, ArcPiece};
use super::geometry::{self, PanelFrame};
use super::{SectionKind, Subject};

/// What a shape resolved to: its kind, its cabinets and a few words for reports.
pub(super) type Resolved = Option<(SectionKind, Cells, String)>;

/// A section's context while its shape is resolved.
pub(super) struct Ctx<'a> {
    pub sec: &'a file::Section,
    /// Index of the section in the file (for field paths).
    pub index: usize,
    /// Cabinet size in metres.
    pub w: f64,
    pub h: f64,
    pub limits: &'a Limits,
    /// Folder that relative paths of the stage file are resolved against (`None`: the working
    /// folder).
    pub base: Option<&'a Path>,
}

impl Ctx<'_> {
    pub(super) fn subject(&self) -> Subject {
        Subject::Section(self.sec.name.clone())
    }

    /// ` (at sections[i].shape.FIELD)`.
    pub(super) fn at(&self, field: &str) -> String {
        format!(" (at sections[{}].shape.{field})", self.index)
    }

    /// Whether every value of `fields` (`(field, value)`) is finite; a problem per value that is
    /// not, located at its field.
    pub(super) fn finite_fields(&self, fields: &[(&str, f64)], problems: &mut Problems) -> bool {
        let mut ok = true;
        for (name, v) in fields {
            if !v.is_finite() {
                let at = self.at(name);
                problems.push(self.subject(), format!("{name} must be finite{at}"));
                ok = false;
            }
        }
        ok
    }

    /// `(at sections[i].skip[k].FIELD)`.
    fn at_skip(&self, k: usize, field: &str) -> String {
        format!(" (at sections[{}].skip[{k}]{field})", self.index)
    }
}

/// Cabinets of a grid of walls in row-major order from frames of `columns` per row.
pub(super) fn grid(frames: Vec<PanelFrame>, columns: u32) -> Cells {
    frames
        .into_iter()
        .enumerate()
        .map(|(k, f)| ((k as u32) % columns, (k as u32) / columns, f))
        .collect()
}

/// `rows` above zero and `bottom` finite; reports and returns false otherwise.
fn rows_and_bottom(c: &Ctx, rows: u32, bottom: f64, problems: &mut Problems) -> bool {
    let mut ok = true;
    if rows == 0 {
        problems.push(
            c.subject(),
            format!("rows must be at least 1{}", c.at("rows")),
        );
        ok = false;
    }
    if !bottom.is_finite() {
        problems.push(
            c.subject(),
            format!("bottom must be a finite number{}", c.at("bottom")),
        );
        ok = false;
    }
    ok
}

/// Why `v` is not a number above zero: `negative`, `zero` or `not a finite number`.
pub(super) fn not_positive(v: f64) -> &'static str {
    if v < 0.0 {
        "negative"
    } else if v == 0.0 {
        "zero"
    } else {
        "not a finite number"
    }
}

pub(super) fn mm(m: f64) -> String {
    format!("{:.1} mm", m * 1000.0)
}

/// A faceted wall along a floor-plan polyline ([`geometry::polyline_columns`]).
pub(super) fn polyline(
    c: &Ctx,
    points: &[(f64, f64)],
    rows: u32,
    bottom: f64,
    problems: &mut Problems,
    warnings: &mut Problems,
) -> Resolved {
    let subj = c.subject();
    let mut ok = rows_and_bottom(c, rows, bottom, problems);
    if points.len() < 2 {
        problems.push(
            subj.clone(),
            format!(
                "a polyline needs at least 2 points, got {}{}",
                points.len(),
                c.at("points")
            ),
        );
        return None;
    }
    for (i, p) in points.iter().enumerate() {
        if !finite(&[p.0, p.1]) {
            problems.push(
                subj.clone(),
                format!(
                    "points[{i}] must be finite numbers{}",
                    c.at(&format!("points[{i}]"))
                ),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let (columns, fits) = geometry::polyline_columns(points, c.w, MAX_GRID as usize);
    for (k, fit) in fits.iter().enumerate() {
        let here = c.at(&format!("points[{}]", k + 1));
        if fit.length < 1e-3 {
            problems.push(
                subj.clone(),
                format!(
                    "points[{k}] and points[{}] are {} apart: a segment needs a length{here}",
                    k + 1,
                    mm(fit.length)
                ),
            );
            ok = false;
        } else if fit.columns == 0 {
            warnings.push(
                subj.clone(),
                format!(
                    "segment {k} (points[{k}] to points[{}]) is {:.3} m long, shorter than a cabinet ({} m): it holds no column{here}",
                    k + 1,
                    fit.length,
                    c.w
                ),
            );
        } else if fit.gap > 1e-4 {
            warnings.push(
                subj.clone(),
                format!(
                    "segment {k} (points[{k}] to points[{}], {:.3} m) holds {} columns and leaves a gap of {} at its end ({} columns would run past points[{}] by {}){here}",
                    k + 1,
                    fit.length,
                    fit.columns,
                    mm(fit.gap),
                    u64::from(fit.columns) + 1,
                    k + 1,
                    mm(c.w - fit.gap)
                ),
            );
        }
    }
    if !ok {
        return None;
    }
    let total: u64 = fits.iter().map(|f| u64::from(f.columns)).sum();
    let n = u32::try_from(total).unwrap_or(u32::MAX);
    if n == 0 {
        problems.push(
            subj,
            format!(
                "no segment is long enough for a cabinet ({} m wide){}",
                c.w,
                c.at("points")
            ),
        );
        return None;
    }
    if too_many(n, rows) {
        problems.push(
            subj,
            format!(
                "{n} x {rows} cabinets is more than any stage holds ({MAX_GRID} per side at most)"
            ),
        );
        return None;
    }
    let frames = geometry::columns_section(&columns, rows, bottom, c.h);
    let per: Vec<String> = fits.iter().map(|f| f.columns.to_string()).collect();
    let detail = format!(
        "{} segment{}: {} columns",
        fits.len(),
        if fits.len() == 1 { "" } else { "s" },
        per.join(" + ")
    );
    Some((SectionKind::Polyline, grid(frames, n), detail))
}

/// Arcs joined with tangent continuity ([`geometry::joined_arcs`]).
pub(super) fn arcs(
    c: &Ctx,
    centre: (f64, f64),
    start_deg: f64,
    pieces: &[ArcPiece],
    rows: u32,
    bottom: f64,
    problems: &mut Problems,
) -> Resolved {
    let subj = c.subject();
    let mut ok = rows_and_bottom(c, rows, bottom, problems);
    if !finite(&[centre.0, centre.1]) {
        problems.push(
            subj.clone(),
            format!("centre must be finite numbers{}", c.at("centre")),
        );
        ok = false;
    }
    if !start_deg.is_finite() {
        problems.push(
            subj.clone(),
            format!("start_deg must be a finite number{}", c.at("start_deg")),
        );
        ok = false;
    }
    if pieces.is_empty() {
        problems.push(
            subj.clone(),
            format!("a joined arc needs at least one arc{}", c.at("arcs")),
        );
        ok = false;
    }
    let mut resolved = Vec::new();
    for (k, p) in pieces.iter().enumerate() {
        let at = |f: &str| c.at(&format!("arcs[{k}].{f}"));
        if !p.radius.is_finite() || p.radius <= 0.0 {
            let what = not_positive(p.radius);
            problems.push(
                subj.clone(),
                format!(
                    "arcs[{k}]: radius {} m is {what}: it must be above zero{}",
                    p.radius,
                    at("radius")
                ),
            );
            ok = false;
            continue;
        }
        let Some(step) = geometry::arc_step(p.radius, c.w) else {
            problems.push(
                subj.clone(),
                format!(
                    "arcs[{k}]: radius {} m is smaller than half a cabinet's width ({} m){}",
                    p.radius,
                    c.w / 2.0,
                    at("radius")
                ),
            );
            ok = false;
            continue;
        };
        let columns = match (p.columns, p.sweep_deg) {
            (Some(n), None) => n,
            (None, Some(s)) if s.is_finite() && s > 0.0 => {
                (s.to_radians() / step + 1e-9).floor() as u32
            }
            (None, Some(s)) => {
                problems.push(
                    subj.clone(),
                    format!(
                        "arcs[{k}]: sweep_deg ({s}) must be a finite number above zero{}",
                        at("sweep_deg")
                    ),
                );
                ok = false;
                continue;
            }
            (Some(_), Some(_)) => {
                problems.push(
                    subj.clone(),
                    format!(
                        "arcs[{k}]: give either columns or sweep_deg, not both{}",
                        at("columns")
                    ),
                );
                ok = false;
                continue;
            }
            (None, None) => {
                problems.push(
                    subj.clone(),
                    format!(
                        "arcs[{k}]: an arc needs columns or sweep_deg{}",
                        c.at(&format!("arcs[{k}]"))
                    ),
                );
                ok = false;
                continue;
            }
        };
        if columns == 0 {
            problems.push(
                subj.clone(),
                format!(
                    "arcs[{k}] holds no column (a cabinet spans {:.3} degrees on it){}",
                    step.to_degrees(),
                    at(if p.columns.is_some() {
                        "columns"
                    } else {
                        "sweep_deg"
                    })
                ),
            );
            ok = false;
            continue;
        }
        resolved.push((p.radius, columns, step));
    }
    if !ok {
        return None;
    }
    let total: u64 = resolved.iter().map(|r| r.1 as u64).sum();
    let sweep: f64 = resolved.iter().map(|r| r.1 as f64 * r.2).sum();
    if total >= MAX_GRID as u64 || too_many(total as u32, rows) {
        problems.push(
            subj,
            format!("{total} x {rows} cabinets is more than any stage holds ({MAX_GRID} per side at most)"),
        );
        return None;
    }
    if sweep > TAU + 1e-9 {
        problems.push(
            subj,
            format!(
                "the arcs turn {:.3} degrees in all, more than once round{}",
                sweep.to_degrees(),
                c.at("arcs")
            ),
        );
        return None;
    }
    let joined = geometry::joined_arcs(centre, start_deg.to_radians(), &resolved);
    let columns = geometry::joined_arc_columns(&joined);
    let frames = geometry::columns_section(&columns, rows, bottom, c.h);
    let per: Vec<String> = joined
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let unit = if k == 0 { " columns" } else { "" };
            format!(
                "{}{unit} on r {} m (centre ({:.3}, {:.3}))",
                a.columns, a.radius, a.centre.0, a.centre.1
            )
        })
        .collect();
    let detail = format!(
        "{} arcs over {:.2} degrees: {}",
        joined.len(),
        sweep.to_degrees(),
        per.join(" + ")
    );
    Some((SectionKind::Arcs, grid(frames, total as u32), detail))
}

/// Removes a section's cut-outs from its cabinets. Returns the cells cut out (which keep their
/// places in automatic packing, empty) and a few words for reports; each range outside the
/// section's grid, reversed, or cutting out every cabinet is a problem.
pub(super) fn cut_outs(
    c: &Ctx,
    cells: &mut Cells,
    problems: &mut Problems,
) -> Option<(Vec<(u32, u32)>, String)> {
    let skip = &c.sec.skip;
    if skip.is_empty() {
        return Some((Vec::new(), String::new()));
    }
    let subj = c.subject();
    let columns = cells.iter().map(|x| x.0 + 1).max().unwrap_or(0);
    let rows = cells.iter().map(|x| x.1 + 1).max().unwrap_or(0);
    let mut ok = true;
    for (k, s) in skip.iter().enumerate() {
        for (name, range, n) in [("cols", s.cols, columns), ("rows", s.rows, rows)] {
            if let Some((a, b)) = range
                && (a > b || b >= n)
            {
                problems.push(
                    subj.clone(),
                    format!(
                        "skip[{k}].{name} ({a}, {b}) is not a range of its {n} {}: first <= last <= {}{}",
                        if name == "cols" { "columns" } else { "rows" },
                        n.saturating_sub(1),
                        c.at_skip(k, &format!(".{name}"))
                    ),
                );
                ok = false;
            }
        }
        if s.cols.is_none() && s.rows.is_none() {
            problems.push(
                subj.clone(),
                format!(
                    "skip[{k}] gives neither cols nor rows: it would cut out every cabinet{}",
                    c.at_skip(k, "")
                ),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let before = cells.len();
    let mut gone = Vec::new();
    cells.retain(|(col, row, _)| {
        let cut = skip.iter().any(|s| s.covers(*col, *row));
        if cut {
            gone.push((*col, *row));
        }
        !cut
    });
    if cells.is_empty() {
        problems.push(
            subj,
            format!(
                "its cut-outs leave no cabinet (all {before} skipped){}",
                c.at_skip(0, "")
            ),
        );
        return None;
    }
    let detail = format!(
        "{} cut-out{}, {} cabinet{} skipped",
        skip.len(),
        if skip.len() == 1 { "" } else { "s" },
        gone.len(),
        if gone.len() == 1 { "" } else { "s" }
    );
    Some((gone, detail))
}
