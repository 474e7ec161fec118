//! Round ceilings: rings of flat cabinets facing down ([`rings`]) and a grid of cabinets clipped to a
//! disc ([`disc`]). Problems are located by field, as for every shape (see [`super::shapes`]).

use std::f64::consts::TAU;

use glam::DVec3;

use super::SectionKind;
use super::building::{Cells, MAX_CABINETS, MAX_GRID, too_many};
use super::checks::Problems;
use super::file::{self, Ring};
use super::geometry;
use super::shapes::{Ctx, Resolved, grid, not_positive};

/// Rings of a round ceiling ([`geometry::ring_cabinets`]); row `k` is ring `k`.
pub(super) fn rings(
    c: &Ctx,
    centre: (f64, f64),
    height: f64,
    start_deg: f64,
    rings: &[Ring],
    problems: &mut Problems,
) -> Resolved {
    let subj = c.subject();
    let mut ok = c.finite_fields(
        &[
            ("centre", centre.0),
            ("centre", centre.1),
            ("height", height),
            ("start_deg", start_deg),
        ],
        problems,
    );
    if rings.is_empty() {
        problems.push(
            subj.clone(),
            format!("a round ceiling needs at least one ring{}", c.at("rings")),
        );
        ok = false;
    }
    if rings.len() >= MAX_GRID as usize {
        problems.push(subj, format!("more than {MAX_GRID} rings"));
        return None;
    }
    // (ring index, radius, count)
    let mut resolved: Vec<(usize, f64, u32)> = Vec::new();
    for (k, r) in rings.iter().enumerate() {
        let at = |f: &str| c.at(&format!("rings[{k}].{f}"));
        if !r.radius.is_finite() || r.radius <= 0.0 {
            let what = not_positive(r.radius);
            problems.push(
                subj.clone(),
                format!(
                    "rings[{k}]: radius {} m is {what}: it must be above zero{}",
                    r.radius,
                    at("radius")
                ),
            );
            ok = false;
            continue;
        }
        let Some(step) = geometry::arc_step(r.radius, c.w) else {
            problems.push(
                subj.clone(),
                format!(
                    "rings[{k}]: radius {} m is smaller than half a cabinet's width ({} m){}",
                    r.radius,
                    c.w / 2.0,
                    at("radius")
                ),
            );
            ok = false;
            continue;
        };
        let fit = ((TAU / step) + 1e-9).floor() as u32;
        let count = r.count.unwrap_or(fit);
        if count == 0 || count > fit {
            problems.push(
                subj.clone(),
                format!(
                    "rings[{k}]: {count} cabinets {} m wide do not go round a circle of radius {} m: {fit} at most, at least 1{}",
                    c.w,
                    r.radius,
                    at("count")
                ),
            );
            ok = false;
            continue;
        }
        if count >= MAX_GRID {
            problems.push(
                subj.clone(),
                format!("rings[{k}]: more than {MAX_GRID} cabinets{}", at("count")),
            );
            ok = false;
            continue;
        }
        resolved.push((k, r.radius, count));
    }
    let total: u64 = resolved.iter().map(|&(_, _, n)| u64::from(n)).sum();
    if total > MAX_CABINETS {
        problems.push(
            subj,
            format!("{total} cabinets in the rings is more than any stage holds ({MAX_CABINETS} in a section at most)"),
        );
        return None;
    }
    // Rings in the same plane must not overlap: each ring's inner edge must lie outside the
    // cabinets of the next smaller ring.
    let mut by_radius = resolved.clone();
    by_radius.sort_by(|a, b| a.1.total_cmp(&b.1));
    for pair in by_radius.windows(2) {
        let ((ki, ri, _), (ko, ro, _)) = (pair[0], pair[1]);
        let reach = geometry::ring_reach(ri, c.w, c.h);
        let least = geometry::ring_clear_of(reach, c.w);
        if ro < least - 1e-6 {
            problems.push(
                subj.clone(),
                format!(
                    "rings[{ko}] (radius {ro} m) reaches into the cabinets of rings[{ki}], which reach {reach:.4} m from the centre: its radius must be at least {least:.4} m (its inner edges are chords, nearer the centre than its radius){}",
                    c.at(&format!("rings[{ko}].radius"))
                ),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let mut cells = Vec::new();
    for &(k, radius, count) in &resolved {
        let frames = geometry::ring_cabinets(&geometry::RingLayout {
            centre,
            y: height,
            radius,
            count,
            start: start_deg.to_radians(),
            width: c.w,
            height: c.h,
        })?;
        cells.extend(
            frames
                .into_iter()
                .enumerate()
                .map(|(col, f)| (col as u32, k as u32, f)),
        );
    }
    let counts: Vec<String> = resolved.iter().map(|(_, _, n)| n.to_string()).collect();
    let radii: Vec<String> = resolved.iter().map(|(_, r, _)| r.to_string()).collect();
    let outer = by_radius
        .last()
        .map(|(_, r, _)| geometry::ring_reach(*r, c.w, c.h))
        .unwrap_or(0.0);
    let detail = format!(
        "{} ring{} at height {height} m, facing down: {} cabinets at r {} m, reaching {outer:.3} m from the centre",
        resolved.len(),
        if resolved.len() == 1 { "" } else { "s" },
        counts.join(" + "),
        radii.join(", ")
    );
    Some((SectionKind::Rings, cells, detail))
}

/// A grid ceiling clipped to a disc: the cabinets of a `Flat` grid at tilt 90 (and `pan_deg`),
/// centred on the disc's centre with a cabinet corner there, whose four corners are within
/// `radius` (1 um of slack) of the centre's vertical axis.
pub(super) fn disc(
    c: &Ctx,
    centre: (f64, f64),
    height: f64,
    radius: f64,
    pan_deg: f64,
    problems: &mut Problems,
) -> Resolved {
    let subj = c.subject();
    let mut ok = c.finite_fields(
        &[
            ("centre", centre.0),
            ("centre", centre.1),
            ("height", height),
            ("pan_deg", pan_deg),
        ],
        problems,
    );
    if !(radius.is_finite() && radius > 0.0) {
        problems.push(
            subj.clone(),
            format!(
                "radius {radius} m is {}: it must be above zero{}",
                not_positive(radius),
                c.at("radius")
            ),
        );
        ok = false;
    }
    if !ok {
        return None;
    }
    let half = |size: f64| (radius / size - 1e-9).ceil().max(1.0);
    let (hc, hr) = (half(c.w), half(c.h));
    // Counted before any cabinet is made (the fuzzer's radius of 222 m made 1.6 million).
    if 2.0 * hc >= MAX_GRID as f64
        || 2.0 * hr >= MAX_GRID as f64
        || too_many(2 * hc as u32, 2 * hr as u32)
    {
        problems.push(
            subj,
            format!("a disc of radius {radius} m is more than any stage holds ({MAX_GRID} cabinets per side, {MAX_CABINETS} in its grid at most){}", c.at("radius")),
        );
        return None;
    }
    let (columns, rows) = (2 * hc as u32, 2 * hr as u32);
    let frames = geometry::flat_section(
        columns,
        rows,
        c.w,
        c.h,
        DVec3::new(centre.0, height, centre.1),
        file::Anchor::Centre,
        crate::camera::pan_tilt_roll_to_quat(pan_deg, 90.0, 0.0),
    );
    let inside = |p: DVec3| (p.x - centre.0).hypot(p.z - centre.1) <= radius + 1e-6;
    let cells: Cells = grid(frames, columns)
        .into_iter()
        .filter(|(_, _, f)| f.corners().into_iter().all(inside))
        .collect();
    if cells.is_empty() {
        problems.push(
            subj,
            format!(
                "no {} x {} mm cabinet fits inside a disc of radius {radius} m{}",
                c.w * 1000.0,
                c.h * 1000.0,
                c.at("radius")
            ),
        );
        return None;
    }
    let cover = cells.len() as f64 * c.w * c.h / (std::f64::consts::PI * radius * radius);
    let detail = format!(
        "{} cabinets of a {columns} x {rows} grid within r {radius} m at height {height} m, facing down, covering {:.1}% of the disc",
        cells.len(),
        cover * 100.0
    );
    Some((SectionKind::Disc, cells, detail))
}
