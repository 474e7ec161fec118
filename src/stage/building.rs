//! Building a [`Stage`] from a parsed stage file: panel types and outputs checked, every section's
//! cabinets resolved in space (flat, arc or surveyed) and packed into its outputs, processors and
//! cameras resolved, and capacities checked. Every problem is collected, each naming its subject;
//! the stage is returned only when there is none.

use std::collections::HashSet;
use std::path::Path;

use glam::DVec3;

use super::checks::{self, Limits, Problems, check_name, duplicates, finite};
use super::file::{self, ShapeFile};
use super::geometry::{self, PanelFrame};
use super::{
    Panel, Problem, Section, SectionKind, Stage, Subject, capacity, geometry_checks, packing,
    panel_id,
};

/// `base` is the folder that relative paths (OBJ files) are resolved against (`None`: the working
/// folder).
/// Errors: every problem, with the warnings found beside them (`(problems, warnings)`).
pub(super) fn build(
    f: &file::Stage,
    limits: &Limits,
    base: Option<&Path>,
) -> Result<Stage, (Vec<Problem>, Vec<Problem>)> {
    let mut problems = Problems::default();
    let mut warnings = Problems::default();

    checks::frame_rate(f, &mut problems);
    let panel_types = checks::panel_types(f, limits, &mut problems);
    let mut outputs = checks::outputs(f, limits, &mut problems);
    super::target::check(f, &mut outputs, &mut problems);
    let mut index = packing::OutputIndex::new(&f.outputs);

    // Sections: geometry, then placement.
    for d in duplicates(f.sections.iter().map(|s| s.name.as_str())) {
        problems.push(Subject::Section(d.into()), "duplicate section name");
    }
    if f.sections.is_empty() {
        problems.push(Subject::Stage, "no sections: a stage needs at least one");
    }
    let mut sections = Vec::new();
    let mut panels: Vec<Panel> = Vec::new();
    for (si, sec) in f.sections.iter().enumerate() {
        let before = problems.len();
        'section: {
            let subj = Subject::Section(sec.name.clone());
            check_name("section", &sec.name, subj.clone(), &mut problems);
            let Some(ti) = f.panel_types.iter().position(|t| t.name == sec.panel_type) else {
                problems.push(
                    subj,
                    format!(
                        "unknown panel type '{}', expected one of {}",
                        sec.panel_type,
                        f.panel_types
                            .iter()
                            .map(|t| format!("'{}'", t.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                break 'section;
            };
            let pt = &panel_types[ti];
            if !checks::panel_type_ok(pt, limits) {
                break 'section; // already reported on the panel type
            }
            let (w_m, h_m) = (pt.width_mm / 1000.0, pt.height_mm / 1000.0);
            let ctx = super::shapes::Ctx {
                sec,
                index: si,
                w: w_m,
                h: h_m,
                limits,
                base,
            };
            let Some((kind, mut cells, mut detail)) =
                section_geometry(&ctx, &mut problems, &mut warnings)
            else {
                break 'section;
            };
            let Some((holes, cut)) = super::shapes::cut_outs(&ctx, &mut cells, &mut problems)
            else {
                break 'section;
            };
            if !cut.is_empty() {
                detail = if detail.is_empty() {
                    cut
                } else {
                    format!("{detail}; {cut}")
                };
            }
            let holes = packing::grid_holes(&cells, holes);
            let places = packing::section_placement(
                sec,
                &cells,
                &holes,
                pt.pixels,
                &f.outputs,
                &index.by_name,
                &mut problems,
            );
            let Some(places) = places else {
                break 'section;
            };
            let first = panels.len();
            let chain: Vec<usize> = packing::chain_order(&sec.placement, &cells, &holes)
                .into_iter()
                .map(|k| first + k)
                .collect();
            for ((col, row, frame), placement) in cells.into_iter().zip(places) {
                let Some(placement) = placement else {
                    break 'section;
                };
                panels.push(Panel {
                    id: panel_id(&sec.name, col, row),
                    section: si,
                    col,
                    row,
                    panel_type: ti,
                    pixels: pt.pixels,
                    frame,
                    placement,
                });
            }
            sections.push(Section {
                name: sec.name.clone(),
                kind,
                detail,
                panel_type: ti,
                panels: first..panels.len(),
                chain,
            });
        }
        if problems.len() > before {
            // Its outputs may look emptier than they are: don't also blame them.
            index.taint_outputs_of(&sec.placement);
        }
    }
    // Sections that failed are skipped, so indices must be remapped to the built list.
    for (k, s) in sections.iter().enumerate() {
        for p in &mut panels[s.panels.clone()] {
            p.section = k;
        }
    }

    packing::check_outputs(&outputs, &panels, &index.tainted, &mut problems);
    let processors = capacity::processors(f, &index.by_name, &mut problems);

    // Cameras and render settings, each problem naming the camera.
    let (cameras, render) = super::camera::resolve(f, &mut problems.0, &mut warnings.0);
    let scene = super::scene::resolve(f, &mut problems);
    // Every problem of every card, each located by its field (`light_cards[i].feather`).
    for (i, card) in f.light_cards.iter().enumerate() {
        for (field, p) in card.problems() {
            problems.push(
                Subject::LightCard(format!("{i} ('{}')", card.name)),
                format!("{field} {p} (at light_cards[{i}].{field})"),
            );
        }
    }

    // Colour settings; LUT files are read by `load` (they are relative to the stage file).
    // Every problem located by its field (`colour.sections[1].inner.exposure`). Sections are
    // resolved by the file's names: with every section built (no problem) they are the stage's.
    let (colour, colour_problems) = super::colour::colour_settings(f);
    for p in colour_problems {
        problems.push(p.subject, p.message);
    }

    if let Some(primary) = &f.primary_node
        && !f.outputs.iter().any(|o| o.node.as_ref() == Some(primary))
    {
        let mut named: Vec<&str> = f.outputs.iter().filter_map(|o| o.node.as_deref()).collect();
        named.sort();
        named.dedup();
        problems.push(
            Subject::Stage,
            format!(
                "primary_node '{primary}' is not a node any output names ({}) (at primary_node)",
                if named.is_empty() {
                    "no output names a node".to_string()
                } else {
                    format!("nodes named: {}", named.join(", "))
                }
            ),
        );
    }

    let mut stage = Stage {
        name: f.name.clone(),
        frame_rate: f.frame_rate,
        panel_types,
        sections,
        panels,
        outputs,
        processors,
        cameras,
        render,
        scene,
        colour,
        light_cards: f.light_cards.clone(),
        primary_node: f.primary_node.clone(),
        source: None,
        warnings: Vec::new(),
    };
    capacity::check_capacity(&stage, &mut problems);
    geometry_checks::intersections(&stage, limits, &mut problems);
    geometry_checks::facing(&stage, f, &mut warnings);
    stage.warnings = warnings.0;
    stage.warnings.sort_by_key(|w| w.to_string());
    if problems.0.is_empty() {
        Ok(stage)
    } else {
        Err((problems.0, stage.warnings))
    }
}

fn vec3(t: (f64, f64, f64)) -> DVec3 {
    DVec3::new(t.0, t.1, t.2)
}

/// A section's cabinets: column, row and frame in stage space, in the section's order.
pub(super) type Cells = Vec<(u32, u32, PanelFrame)>;

/// Largest number of cabinet columns or rows in a section (far beyond any real volume).
pub(super) const MAX_GRID: u32 = 10_000;

/// Largest number of cabinets in a section's grid (before cut-outs or clipping; far beyond any
/// real volume, a few thousand).
pub(super) const MAX_CABINETS: u64 = 1_000_000;

/// Whether a grid of `columns` x `rows` is more than any stage holds ([`MAX_GRID`] a side,
/// [`MAX_CABINETS`] in all).
pub(super) fn too_many(columns: u32, rows: u32) -> bool {
    columns >= MAX_GRID || rows >= MAX_GRID || columns as u64 * rows as u64 > MAX_CABINETS
}

fn section_geometry(
    ctx: &super::shapes::Ctx,
    problems: &mut Problems,
    warnings: &mut Problems,
) -> super::shapes::Resolved {
    let (sec, w_m, h_m, limits) = (ctx.sec, ctx.w, ctx.h, ctx.limits);
    let subj = Subject::Section(sec.name.clone());
    let grid = |frames: Vec<PanelFrame>, columns: u32| -> Cells {
        frames
            .into_iter()
            .enumerate()
            .map(|(k, f)| ((k as u32) % columns, (k as u32) / columns, f))
            .collect()
    };
    match &sec.shape {
        ShapeFile::Flat {
            columns,
            rows,
            position,
            anchor,
            rotation,
        } => {
            let mut ok = true;
            if *columns == 0 || *rows == 0 {
                problems.push(
                    subj.clone(),
                    format!("a flat section needs at least 1 x 1 cabinets, got {columns} x {rows}"),
                );
                ok = false;
            }
            if too_many(*columns, *rows) {
                problems.push(subj.clone(), format!("{columns} x {rows} cabinets is more than any stage holds ({MAX_GRID} per side at most)"));
                ok = false;
            }
            if !finite(&[position.0, position.1, position.2]) || !finite(&rotation.values()) {
                problems.push(subj.clone(), "position and rotation must be finite numbers");
                ok = false;
            }
            if let crate::camera::Orientation::Quaternion(x, y, z, w) = rotation
                && (x * x + y * y + z * z + w * w).sqrt() < 1e-9
            {
                problems.push(subj, "rotation quaternion has zero length");
                ok = false;
            }
            ok.then(|| {
                let frames = geometry::flat_section(
                    *columns,
                    *rows,
                    w_m,
                    h_m,
                    vec3(*position),
                    *anchor,
                    rotation.to_quat(),
                );
                (SectionKind::Flat, grid(frames, *columns), String::new())
            })
        }
        ShapeFile::Arc {
            centre,
            radius,
            start_deg,
            end_deg,
            columns,
            rows,
            bottom,
        } => {
            let nums = [
                centre.0,
                centre.1,
                *radius,
                *start_deg,
                end_deg.unwrap_or(0.0),
                *bottom,
            ];
            if !finite(&nums) {
                problems.push(
                    subj,
                    "centre, radius, angles and bottom must be finite numbers",
                );
                return None;
            }
            if *radius <= 0.0 {
                let what = if *radius < 0.0 { "negative" } else { "zero" };
                problems.push(
                    subj,
                    format!("radius {radius} m is {what}: it is the distance from the centre to the cabinets' vertical edges, above zero"),
                );
                return None;
            }
            let Some(step) = geometry::arc_step(*radius, w_m) else {
                problems.push(
                    subj,
                    format!("radius {radius} m is smaller than half a cabinet's width ({} m): the cabinets cannot stand on that circle", w_m / 2.0),
                );
                return None;
            };
            let cols = match (columns, end_deg) {
                (Some(c), None) => *c,
                (None, Some(e)) => {
                    let span = (e - start_deg).to_radians();
                    if span <= 0.0 {
                        problems.push(
                            subj,
                            format!("end_deg ({e}) must be greater than start_deg ({start_deg})"),
                        );
                        return None;
                    }
                    (span / step + 1e-9).floor() as u32
                }
                (Some(_), Some(_)) => {
                    problems.push(subj, "give either columns or end_deg, not both");
                    return None;
                }
                (None, None) => {
                    problems.push(subj, "an arc needs columns or end_deg");
                    return None;
                }
            };
            if cols == 0 || *rows == 0 {
                problems.push(
                    subj,
                    format!("an arc needs at least 1 x 1 cabinets, got {cols} x {rows}"),
                );
                return None;
            }
            if too_many(cols, *rows) {
                problems.push(subj, format!("{cols} x {rows} cabinets is more than any stage holds ({MAX_GRID} per side at most)"));
                return None;
            }
            if step * cols as f64 > std::f64::consts::TAU + 1e-9 {
                problems.push(
                    subj,
                    format!("{cols} columns go more than once round the circle"),
                );
                return None;
            }
            let frames = geometry::arc_section(&geometry::ArcLayout {
                centre: *centre,
                radius: *radius,
                start: start_deg.to_radians(),
                step,
                columns: cols,
                rows: *rows,
                bottom: *bottom,
                height: h_m,
            });
            Some((SectionKind::Arc, grid(frames, cols), String::new()))
        }
        ShapeFile::Surveyed { panels } => {
            if panels.is_empty() {
                problems.push(subj, "a surveyed section needs at least one panel");
                return None;
            }
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            let mut ok = true;
            for p in panels {
                let id = panel_id(&sec.name, p.col, p.row);
                let ps = Subject::Panel(id.clone());
                if p.col >= MAX_GRID || p.row >= MAX_GRID {
                    problems.push(ps, format!("col and row must be below {MAX_GRID}"));
                    ok = false;
                    continue;
                }
                if !seen.insert((p.col, p.row)) {
                    problems.push(ps, "surveyed twice (duplicate col and row)");
                    ok = false;
                    continue;
                }
                let br = p.bottom_right.unwrap_or((0.0, 0.0, 0.0));
                let all = [p.top_left, p.top_right, p.bottom_left, br];
                if !all.iter().all(|c| finite(&[c.0, c.1, c.2])) {
                    problems.push(ps, "corner coordinates must be finite numbers");
                    ok = false;
                    continue;
                }
                let (frame, dev) = geometry::surveyed_panel(
                    vec3(p.top_left),
                    vec3(p.top_right),
                    vec3(p.bottom_left),
                    p.bottom_right.map(vec3),
                );
                let (rl, dl) = (frame.right.length(), frame.down.length());
                if rl < 1e-3 || dl < 1e-3 {
                    problems.push(
                        ps,
                        format!("degenerate: edges of {:.4} m and {:.4} m", rl, dl),
                    );
                    ok = false;
                    continue;
                }
                let sin = frame.right.cross(frame.down).length() / (rl * dl);
                if sin < 0.5 {
                    problems.push(ps, "degenerate: its edges are nearly parallel");
                    ok = false;
                    continue;
                }
                if dev > limits.survey_tolerance_m {
                    warnings.push(
                        ps.clone(),
                        format!(
                            "measured corners are {:.1} mm off a flat parallelogram",
                            dev * 1000.0
                        ),
                    );
                }
                let size_dev = (rl - w_m).abs().max((dl - h_m).abs());
                if size_dev > 0.01 {
                    warnings.push(
                        ps,
                        format!(
                            "measures {:.0} x {:.0} mm, its type is {:.0} x {:.0} mm",
                            rl * 1000.0,
                            dl * 1000.0,
                            w_m * 1000.0,
                            h_m * 1000.0
                        ),
                    );
                }
                out.push((p.col, p.row, frame));
            }
            ok.then_some((SectionKind::Surveyed, out, String::new()))
        }
        ShapeFile::Polyline {
            points,
            rows,
            bottom,
        } => super::shapes::polyline(ctx, points, *rows, *bottom, problems, warnings),
        ShapeFile::Arcs {
            centre,
            start_deg,
            arcs,
            rows,
            bottom,
        } => super::shapes::arcs(ctx, *centre, *start_deg, arcs, *rows, *bottom, problems),
        ShapeFile::Rings {
            centre,
            height,
            start_deg,
            rings,
        } => super::ceilings::rings(ctx, *centre, *height, *start_deg, rings, problems),
        ShapeFile::Disc {
            centre,
            height,
            radius,
            pan_deg,
        } => super::ceilings::disc(ctx, *centre, *height, *radius, *pan_deg, problems),
        ShapeFile::Obj { path, scale } => super::obj::section(ctx, path, *scale, problems),
    }
}
