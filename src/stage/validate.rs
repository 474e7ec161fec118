//! Resolving a parsed stage file into a [`Stage`] and checking it, reporting every problem at once.

use std::collections::{HashMap, HashSet};

use glam::{DVec3, UVec2};

use super::file::{self, PlacementFile, ShapeFile};
use super::geometry::{self, PanelFrame};
use super::placement::{self, Placement, Rect};
use super::{
    DEFAULT_MAX_TEXTURE_SIZE, Output, Panel, PanelType, Problem, Processor, Section, SectionKind,
    Stage, Subject, panel_id,
};

/// Limits a stage is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest output side in pixels (the GPU's 2D texture limit).
    pub max_texture_size: u32,
    /// Largest deviation in metres of a surveyed cabinet's fourth corner from a parallelogram before
    /// a warning.
    pub survey_tolerance_m: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_texture_size: DEFAULT_MAX_TEXTURE_SIZE,
            survey_tolerance_m: 0.005,
        }
    }
}

/// Pixels used in one output.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputUsage {
    pub output: String,
    pub panels: usize,
    pub pixels: u64,
    /// Share of the raster's pixels that feed cabinets.
    pub share: f64,
}

/// Pixels on one processor and on each of its ports.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessorUsage {
    pub processor: String,
    pub pixels: u64,
    pub capacity: u64,
    /// Pixels on each port (cabinets are assigned to ports in map order, a port filling up before the
    /// next one is used, a cabinet never split).
    pub ports: Vec<u64>,
    pub port_capacity: u64,
    /// Pixels of cabinets that did not fit on any port.
    pub unassigned: u64,
}

/// Stage totals for `parallax validate`.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub sections: usize,
    pub panels: usize,
    pub pixels: u64,
    pub outputs: Vec<OutputUsage>,
    pub processors: Vec<ProcessorUsage>,
}

struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, subject: Subject, message: impl Into<String>) {
        self.0.push(Problem {
            subject,
            message: message.into(),
        });
    }
}

fn finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

fn vec3(t: (f64, f64, f64)) -> DVec3 {
    DVec3::new(t.0, t.1, t.2)
}

/// Names end up in file names and ids: keep them to a safe alphabet.
fn check_name(kind: &str, name: &str, subject: Subject, problems: &mut Problems) {
    if name.is_empty() {
        problems.push(subject, format!("{kind} name is empty"));
    } else if name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        problems.push(
            subject,
            format!("{kind} name may hold only letters, digits, '-', '_' and '.', and may not start with '.'"),
        );
    }
}

fn duplicates<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    let mut dup = Vec::new();
    for n in names {
        if !seen.insert(n) && !dup.contains(&n) {
            dup.push(n);
        }
    }
    dup
}

pub(super) fn build(f: &file::Stage, limits: &Limits) -> Result<Stage, Vec<Problem>> {
    let mut problems = Problems(Vec::new());
    let mut warnings = Problems(Vec::new());

    if !(f.frame_rate.is_finite() && f.frame_rate > 0.0) {
        problems.push(
            Subject::Stage,
            format!("frame_rate must be a positive number, got {}", f.frame_rate),
        );
    }

    // Panel types.
    for d in duplicates(f.panel_types.iter().map(|t| t.name.as_str())) {
        problems.push(Subject::PanelType(d.into()), "duplicate panel type name");
    }
    let mut panel_types = Vec::new();
    for t in &f.panel_types {
        let s = Subject::PanelType(t.name.clone());
        if t.name.is_empty() {
            problems.push(s.clone(), "panel type name is empty");
        }
        if !(t.width_mm.is_finite()
            && t.width_mm > 0.0
            && t.height_mm.is_finite()
            && t.height_mm > 0.0)
        {
            problems.push(
                s.clone(),
                format!(
                    "size must be positive and finite, got {} x {} mm",
                    t.width_mm, t.height_mm
                ),
            );
        }
        if t.pixels.0 == 0 || t.pixels.1 == 0 {
            problems.push(
                s.clone(),
                format!(
                    "resolution must be at least 1 x 1, got {} x {}",
                    t.pixels.0, t.pixels.1
                ),
            );
        }
        if t.pixels.0 > limits.max_texture_size || t.pixels.1 > limits.max_texture_size {
            problems.push(
                s,
                format!(
                    "resolution {} x {} is larger than any output can hold",
                    t.pixels.0, t.pixels.1
                ),
            );
        }
        panel_types.push(PanelType {
            name: t.name.clone(),
            width_mm: t.width_mm,
            height_mm: t.height_mm,
            pixels: UVec2::new(t.pixels.0, t.pixels.1),
        });
    }
    let type_ok = |i: usize| {
        let t = &panel_types[i];
        t.width_mm.is_finite()
            && t.width_mm > 0.0
            && t.height_mm.is_finite()
            && t.height_mm > 0.0
            && t.pixels.x > 0
            && t.pixels.y > 0
            && t.pixels.x <= limits.max_texture_size
            && t.pixels.y <= limits.max_texture_size
    };

    // Outputs.
    for d in duplicates(f.outputs.iter().map(|o| o.name.as_str())) {
        problems.push(Subject::Output(d.into()), "duplicate output name");
    }
    let mut outputs = Vec::new();
    for o in &f.outputs {
        let s = Subject::Output(o.name.clone());
        check_name("output", &o.name, s.clone(), &mut problems);
        if o.width == 0 || o.height == 0 {
            problems.push(
                s.clone(),
                format!(
                    "size must be at least 1 x 1, got {} x {}",
                    o.width, o.height
                ),
            );
        }
        if o.width > limits.max_texture_size || o.height > limits.max_texture_size {
            problems.push(
                s,
                format!(
                    "{} x {} is larger than the GPU texture limit of {} pixels a side",
                    o.width, o.height, limits.max_texture_size
                ),
            );
        }
        outputs.push(Output {
            name: o.name.clone(),
            width: o.width,
            height: o.height,
            node: o.node.clone(),
        });
    }
    // The first of duplicate outputs is the one sections refer to; the others are reported once.
    let mut output_index: HashMap<&str, usize> = HashMap::new();
    let mut tainted: HashSet<usize> = HashSet::new();
    for (i, o) in f.outputs.iter().enumerate() {
        if output_index.contains_key(o.name.as_str()) {
            tainted.insert(i);
        } else {
            output_index.insert(o.name.as_str(), i);
        }
    }

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
        let before = problems.0.len();
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
            if !type_ok(ti) {
                break 'section; // already reported on the panel type
            }
            let pt = &panel_types[ti];
            let (w_m, h_m) = (pt.width_mm / 1000.0, pt.height_mm / 1000.0);
            let Some((kind, cells)) =
                section_geometry(sec, w_m, h_m, limits, &mut problems, &mut warnings)
            else {
                break 'section;
            };
            let places = section_placement(
                sec,
                &cells,
                pt.pixels,
                &f.outputs,
                &output_index,
                &mut problems,
            );
            let Some(places) = places else {
                break 'section;
            };
            let first = panels.len();
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
                panel_type: ti,
                panels: first..panels.len(),
            });
        }
        if problems.0.len() > before {
            // Its outputs may look emptier than they are: don't also blame them.
            tainted.extend(
                placement_outputs(&sec.placement).filter_map(|n| output_index.get(n).copied()),
            );
        }
    }
    // Sections that failed are skipped, so indices must be remapped to the built list.
    for (k, s) in sections.iter().enumerate() {
        for p in &mut panels[s.panels.clone()] {
            p.section = k;
        }
    }

    check_outputs(&outputs, &panels, &tainted, &mut problems);

    // Processors.
    for d in duplicates(f.processors.iter().map(|p| p.name.as_str())) {
        problems.push(Subject::Processor(d.into()), "duplicate processor name");
    }
    let mut processors = Vec::new();
    let mut fed_by: HashMap<usize, &str> = HashMap::new();
    for p in &f.processors {
        let s = Subject::Processor(p.name.clone());
        let mut inputs = Vec::new();
        for i in &p.inputs {
            match output_index.get(i.as_str()) {
                Some(&oi) => {
                    if let Some(other) = fed_by.insert(oi, &p.name) {
                        problems.push(
                            s.clone(),
                            format!("input '{i}' already feeds processor '{other}'"),
                        );
                    }
                    inputs.push(oi)
                }
                None => problems.push(s.clone(), format!("unknown input output '{i}'")),
            }
        }
        let rated = p.rated_hz.unwrap_or(f.frame_rate);
        if !(rated.is_finite() && rated > 0.0) {
            problems.push(
                s.clone(),
                format!("rated_hz must be a positive number, got {rated}"),
            );
            continue;
        }
        if p.ports == 0 || p.pixels_per_port == 0 || p.max_pixels == 0 {
            problems.push(
                s.clone(),
                "ports, pixels_per_port and max_pixels must be positive",
            );
        }
        let scale = if f.frame_rate.is_finite() && f.frame_rate > 0.0 {
            rated / f.frame_rate
        } else {
            1.0
        };
        processors.push(Processor {
            name: p.name.clone(),
            inputs,
            max_pixels: (p.max_pixels as f64 * scale).floor() as u64,
            ports: p.ports,
            pixels_per_port: (p.pixels_per_port as f64 * scale).floor() as u64,
        });
    }

    // Cameras and render settings, each problem naming the camera.
    let (cameras, render) = super::camera::resolve(f, &mut problems.0);

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
        source: None,
        warnings: warnings.0,
    };
    for u in processor_usage(&stage) {
        let s = Subject::Processor(u.processor.clone());
        if u.pixels > u.capacity {
            problems.push(
                s.clone(),
                format!(
                    "{} pixels exceed its capacity of {} at {} Hz ({:.0}%)",
                    u.pixels,
                    u.capacity,
                    stage.frame_rate,
                    100.0 * u.pixels as f64 / u.capacity.max(1) as f64
                ),
            );
        }
        if u.unassigned > 0 {
            problems.push(
                s,
                format!(
                    "{} pixels do not fit on its {} ports of {} pixels",
                    u.unassigned,
                    u.ports.len(),
                    u.port_capacity
                ),
            );
        }
    }
    if problems.0.is_empty() {
        stage.warnings.sort_by_key(|w| w.to_string());
        Ok(stage)
    } else {
        Err(problems.0)
    }
}

type Cells = Vec<(u32, u32, PanelFrame)>;

/// Largest number of cabinet columns or rows in a section (far beyond any real volume).
const MAX_GRID: u32 = 10_000;

fn too_many(columns: u32, rows: u32) -> bool {
    columns >= MAX_GRID || rows >= MAX_GRID || columns as u64 * rows as u64 > 1_000_000
}

fn section_geometry(
    sec: &file::Section,
    w_m: f64,
    h_m: f64,
    limits: &Limits,
    problems: &mut Problems,
    warnings: &mut Problems,
) -> Option<(SectionKind, Cells)> {
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
                (SectionKind::Flat, grid(frames, *columns))
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
            Some((SectionKind::Arc, grid(frames, cols)))
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
            ok.then_some((SectionKind::Surveyed, out))
        }
    }
}

fn section_placement(
    sec: &file::Section,
    cells: &Cells,
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
            if !ok {
                return None;
            }
            let columns = cells.iter().map(|c| c.0 + 1).max().unwrap_or(0);
            let rows = cells.iter().map(|c| c.1 + 1).max().unwrap_or(0);
            let index: HashMap<(u32, u32), usize> = cells
                .iter()
                .enumerate()
                .map(|(k, c)| ((c.0, c.1), k))
                .collect();
            let sequence: Vec<usize> =
                placement::auto_sequence(columns, rows, *start, *order, *serpentine)
                    .into_iter()
                    .filter_map(|cr| index.get(&cr).copied())
                    .collect();
            let (cw, ch) = if rotation % 180 == 0 {
                (pixels.x, pixels.y)
            } else {
                (pixels.y, pixels.x)
            };
            let mut out = vec![None; cells.len()];
            let mut next = 0usize;
            for (k, &oi) in targets.iter().enumerate() {
                let o = &outputs[oi];
                let (ox, oy) = if k == 0 { *origin } else { (0, 0) };
                let fit_x = o.width.saturating_sub(ox) / cw;
                let fit_y = o.height.saturating_sub(oy) / ch;
                // Cells per line run along x for row order, along y for column order.
                let (natural, fit_line, lines) = match order {
                    file::Order::Rows => (columns, fit_x, fit_y),
                    file::Order::Columns => (rows, fit_y, fit_x),
                };
                let per = per_line.unwrap_or(natural.min(fit_line)).min(fit_line);
                if per == 0 || lines == 0 {
                    continue;
                }
                let capacity = per as usize * lines as usize;
                for cell in 0..capacity {
                    if next >= sequence.len() {
                        break;
                    }
                    let (a, b) = ((cell % per as usize) as u32, (cell / per as usize) as u32);
                    let (cx, cy) = match order {
                        file::Order::Rows => (a, b),
                        file::Order::Columns => (b, a),
                    };
                    out[sequence[next]] = Placement::from_rect(
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
            if next < sequence.len() {
                problems.push(
                    subj,
                    format!(
                        "{} of its {} cabinets do not fit in output{} {}",
                        sequence.len() - next,
                        sequence.len(),
                        if names.len() == 1 { "" } else { "s" },
                        names
                            .iter()
                            .map(|n| format!("'{n}'"))
                            .collect::<Vec<_>>()
                            .join(", ")
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
                if p.x >= o.width.min(1 << 24) || p.y >= o.height.min(1 << 24) {
                    problems.push(
                        ps,
                        format!(
                            "top-left ({}, {}) is outside output '{}' ({} x {})",
                            p.x, p.y, o.name, o.width, o.height
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

/// Names of the outputs a section's placement refers to.
fn placement_outputs(p: &PlacementFile) -> Box<dyn Iterator<Item = &str> + '_> {
    match p {
        PlacementFile::Auto { outputs, .. } => Box::new(outputs.iter().map(String::as_str)),
        PlacementFile::Explicit(list) => Box::new(list.iter().map(|p| p.output.as_str())),
    }
}

/// Panels outside their raster, overlapping panels, outputs with no panel.
fn check_outputs(
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
        for (r, i) in rects.iter() {
            if r.x0 < 0 || r.y0 < 0 || r.x1 > o.width as i64 || r.y1 > o.height as i64 {
                problems.push(
                    Subject::Panel(panels[*i].id.clone()),
                    format!(
                        "pixels {}..{} x {}..{} fall outside output '{}' ({} x {})",
                        r.x0, r.x1, r.y0, r.y1, o.name, o.width, o.height
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

fn processor_usage(stage: &Stage) -> Vec<ProcessorUsage> {
    stage
        .processors
        .iter()
        .map(|p| {
            let mut ports = vec![0u64; p.ports as usize];
            let mut port = 0usize;
            let mut pixels = 0u64;
            let mut unassigned = 0u64;
            for panel in stage
                .panels
                .iter()
                .filter(|x| p.inputs.contains(&x.placement.output))
            {
                let n = panel.pixel_count();
                pixels += n;
                while port < ports.len() && ports[port] + n > p.pixels_per_port {
                    port += 1;
                }
                match ports.get_mut(port) {
                    Some(used) => *used += n,
                    None => unassigned += n,
                }
            }
            ProcessorUsage {
                processor: p.name.clone(),
                pixels,
                capacity: p.max_pixels,
                ports,
                port_capacity: p.pixels_per_port,
                unassigned,
            }
        })
        .collect()
}

pub(super) fn summary(stage: &Stage) -> Summary {
    let mut outputs: Vec<OutputUsage> = stage
        .outputs
        .iter()
        .map(|o| OutputUsage {
            output: o.name.clone(),
            panels: 0,
            pixels: 0,
            share: 0.0,
        })
        .collect();
    for p in &stage.panels {
        let u = &mut outputs[p.placement.output];
        u.panels += 1;
        u.pixels += p.pixel_count();
    }
    for (u, o) in outputs.iter_mut().zip(&stage.outputs) {
        u.share = u.pixels as f64 / (o.width as f64 * o.height as f64);
    }
    Summary {
        sections: stage.sections.len(),
        panels: stage.panels.len(),
        pixels: stage.pixel_count(),
        outputs,
        processors: processor_usage(stage),
    }
}
