//! Cabinets that pass through each other in 3D: an exact test for two flat cabinets (parallelograms
//! in stage space) and a uniform spatial grid that finds the pairs worth testing, so that a volume of
//! thousands of cabinets is checked in about linear time. Pure functions over glam types.
//!
//! Neighbouring cabinets share an edge (a flat section) or meet at a line at an angle (an arc, a
//! ceiling resting on a wall): those only touch. A tolerance `tol` (metres) separates touching from
//! passing through: each cabinet is first shrunk by `tol` on every side, and the shrunk cabinets are
//! tested exactly. Cabinets whose planes are within `tol` of each other (and parallel within that)
//! count as one plane, so that two sections stacked on the same spot are found too.
//!
//! The exact test is the separating-plane test of two convex polygons: if one lies wholly on one side
//! of the other's plane they do not meet; otherwise both cross the line where the planes meet, each in
//! one segment, and they meet if the segments overlap (after Möller, "A fast triangle-triangle
//! intersection test", 1997, applied to parallelograms). Coplanar ones are tested with separating
//! axes in their plane.

use std::collections::HashMap;

use glam::DVec3;

use super::geometry::PanelFrame;

/// A cabinet shrunk by `tol` on every side (by `tol` along each edge from each end), or `None` when
/// it is no more than `2 * tol` across.
fn shrunk(f: &PanelFrame, tol: f64) -> Option<PanelFrame> {
    let (rl, dl) = (f.right.length(), f.down.length());
    if rl <= 2.0 * tol || dl <= 2.0 * tol {
        return None;
    }
    Some(PanelFrame {
        top_left: f.top_left + f.right * (tol / rl) + f.down * (tol / dl),
        right: f.right * (1.0 - 2.0 * tol / rl),
        down: f.down * (1.0 - 2.0 * tol / dl),
    })
}

/// Signed distances of `points` from the plane through `origin` with unit normal `n`.
fn distances(points: &[DVec3; 4], origin: DVec3, n: DVec3) -> [f64; 4] {
    points.map(|p| (p - origin).dot(n))
}

/// Whether all four values are strictly on one side of zero.
fn one_side(d: &[f64; 4]) -> bool {
    d.iter().all(|v| *v > 0.0) || d.iter().all(|v| *v < 0.0)
}

/// The interval along `dir` of the segment where a convex polygon (corners in order, signed distances
/// `d` from a plane it crosses) meets that plane.
fn crossing_interval(corners: &[DVec3; 4], d: &[f64; 4], dir: DVec3) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut take = |p: DVec3| {
        let t = p.dot(dir);
        lo = lo.min(t);
        hi = hi.max(t);
    };
    for i in 0..4 {
        let j = (i + 1) % 4;
        if d[i] == 0.0 {
            take(corners[i]);
        }
        if (d[i] < 0.0 && d[j] > 0.0) || (d[i] > 0.0 && d[j] < 0.0) {
            let s = d[i] / (d[i] - d[j]);
            take(corners[i] + (corners[j] - corners[i]) * s);
        }
    }
    (lo, hi)
}

/// The extent of `corners` along `axis`.
fn extent(corners: &[DVec3; 4], axis: DVec3) -> (f64, f64) {
    corners
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            let t = p.dot(axis);
            (lo.min(t), hi.max(t))
        })
}

/// Whether two coplanar parallelograms (normal `n`) overlap: no edge normal in the plane separates
/// them.
fn coplanar_overlap(a: &[DVec3; 4], b: &[DVec3; 4], n: DVec3) -> bool {
    let edges = [a[1] - a[0], a[3] - a[0], b[1] - b[0], b[3] - b[0]];
    edges.iter().all(|e| {
        let axis = n.cross(*e);
        let (alo, ahi) = extent(a, axis);
        let (blo, bhi) = extent(b, axis);
        alo < bhi && blo < ahi
    })
}

/// Whether two cabinets pass through (or lie over) each other by more than `tol` metres: touching
/// along an edge or at a line, or a gap, is not an intersection. Degenerate cabinets (no more than
/// `2 * tol` across) never intersect.
pub fn cabinets_intersect(a: &PanelFrame, b: &PanelFrame, tol: f64) -> bool {
    let (Some(a), Some(b)) = (shrunk(a, tol), shrunk(b, tol)) else {
        return false;
    };
    let (na, nb) = (a.normal(), b.normal());
    if na == DVec3::ZERO || nb == DVec3::ZERO {
        return false;
    }
    let (ca, cb) = (a.corners(), b.corners());
    let db = distances(&cb, a.top_left, na);
    let da = distances(&ca, b.top_left, nb);
    let flat = |d: &[f64; 4]| d.iter().all(|v| v.abs() <= tol);
    if flat(&da) && flat(&db) {
        return coplanar_overlap(&ca, &cb, na);
    }
    if one_side(&db) || one_side(&da) {
        return false;
    }
    let dir = na.cross(nb);
    if dir.length_squared() < 1e-24 {
        // Parallel planes more than `tol` apart cannot both straddle each other.
        return false;
    }
    let (alo, ahi) = crossing_interval(&ca, &da, dir);
    let (blo, bhi) = crossing_interval(&cb, &db, dir);
    alo < bhi && blo < ahi
}

/// Axis-aligned bounds of a cabinet.
fn bounds(f: &PanelFrame) -> (DVec3, DVec3) {
    let c = f.corners();
    let lo = c[1..].iter().fold(c[0], |m, p| m.min(*p));
    let hi = c[1..].iter().fold(c[0], |m, p| m.max(*p));
    (lo, hi)
}

/// Every pair `(i, j)`, `i < j`, of cabinets that intersect by more than `tol` metres (see
/// [`cabinets_intersect`]), sorted. Cabinets are bucketed into a uniform grid whose cell is the
/// largest cabinet's bounding-box side, so each spans at most 2 x 2 x 2 cells and only cabinets
/// sharing a cell are tested; each pair is tested once, in the first cell both occupy. Cabinets with
/// non-finite corners are skipped.
pub fn intersecting_pairs(frames: &[PanelFrame], tol: f64) -> Vec<(usize, usize)> {
    let boxes: Vec<Option<(DVec3, DVec3)>> = frames
        .iter()
        .map(|f| {
            let b = bounds(f);
            (b.0.is_finite() && b.1.is_finite()).then_some(b)
        })
        .collect();
    let cell = boxes
        .iter()
        .flatten()
        .map(|(lo, hi)| (*hi - *lo).max_element())
        .fold(0.0, f64::max)
        .max(1e-3);
    let key = |p: DVec3| {
        let q = (p / cell).floor();
        (q.x as i64, q.y as i64, q.z as i64)
    };
    let mut grid: HashMap<(i64, i64, i64), Vec<usize>> = HashMap::new();
    for (i, b) in boxes.iter().enumerate() {
        let Some((lo, hi)) = b else { continue };
        let (l, h) = (key(*lo), key(*hi));
        for x in l.0..=h.0 {
            for y in l.1..=h.1 {
                for z in l.2..=h.2 {
                    grid.entry((x, y, z)).or_default().push(i);
                }
            }
        }
    }
    let mut pairs = Vec::new();
    for (&c, members) in &grid {
        for (k, &i) in members.iter().enumerate() {
            let (ilo, ihi) = boxes[i].expect("only finite boxes are in the grid");
            for &j in &members[k + 1..] {
                let (jlo, jhi) = boxes[j].expect("only finite boxes are in the grid");
                // Boxes apart by more than the tolerance cannot meet.
                if (ilo - jhi).max_element() > tol || (jlo - ihi).max_element() > tol {
                    continue;
                }
                // Test the pair only in the first cell both occupy.
                if key(ilo.max(jlo)) != c {
                    continue;
                }
                if cabinets_intersect(&frames[i], &frames[j], tol) {
                    pairs.push((i.min(j), i.max(j)));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::pan_tilt_roll_to_quat;
    use crate::stage::file::Anchor;
    use crate::stage::geometry::{ArcLayout, arc_section, arc_step, flat_section};
    use glam::DQuat;

    const MM: f64 = 0.001;

    /// A 0.5 m square cabinet facing +Z with its top-left at `(x, y, z)`.
    fn square(x: f64, y: f64, z: f64) -> PanelFrame {
        PanelFrame {
            top_left: DVec3::new(x, y, z),
            right: DVec3::new(0.5, 0.0, 0.0),
            down: DVec3::new(0.0, -0.5, 0.0),
        }
    }

    /// A 0.5 m square ceiling cabinet at height `y`, facing down, spanning z from `z0` to `z0 + 0.5`.
    fn ceiling(x: f64, y: f64, z0: f64) -> PanelFrame {
        PanelFrame {
            top_left: DVec3::new(x, y, z0),
            right: DVec3::new(0.5, 0.0, 0.0),
            down: DVec3::new(0.0, 0.0, 0.5),
        }
    }

    #[test]
    fn neighbours_sharing_an_edge_only_touch() {
        let a = square(0.0, 1.0, -3.0);
        assert!(!cabinets_intersect(&a, &square(0.5, 1.0, -3.0), MM));
        assert!(!cabinets_intersect(&a, &square(0.0, 0.5, -3.0), MM));
        assert!(!cabinets_intersect(&a, &square(0.5, 0.5, -3.0), MM));
        // Overlapping by 0.5 mm in the plane: within the tolerance.
        assert!(!cabinets_intersect(&a, &square(0.4995, 1.0, -3.0), MM));
    }

    #[test]
    fn coplanar_overlap_is_an_intersection() {
        let a = square(0.0, 1.0, -3.0);
        // 10 cm over its neighbour, in the same plane and 0.5 mm in front of it.
        assert!(cabinets_intersect(&a, &square(0.4, 1.0, -3.0), MM));
        assert!(cabinets_intersect(&a, &square(0.4, 1.0, -2.9995), MM));
        // The same 5 mm in front: separate layers, not passing through each other.
        assert!(!cabinets_intersect(&a, &square(0.4, 1.0, -2.995), MM));
        assert!(cabinets_intersect(&a, &a, MM));
    }

    #[test]
    fn a_ceiling_through_a_wall_is_found_and_one_resting_on_it_is_not() {
        // Wall cabinet: x 0..0.5, y 0.5..1.0 at z = -3.
        let wall = square(0.0, 1.0, -3.0);
        // A ceiling cabinet at y = 0.8 spanning z -3.25..-2.75: through the wall.
        assert!(cabinets_intersect(&wall, &ceiling(0.0, 0.8, -3.25), MM));
        assert!(cabinets_intersect(&ceiling(0.0, 0.8, -3.25), &wall, MM));
        // Pushed only 0.5 mm behind the wall's face: within the tolerance.
        assert!(!cabinets_intersect(&wall, &ceiling(0.0, 0.8, -3.0005), MM));
        // Pushed 2 mm through: found.
        assert!(cabinets_intersect(&wall, &ceiling(0.0, 0.8, -3.002), MM));
        // Resting on the wall's top edge, in front of it or above it: touching.
        assert!(!cabinets_intersect(&wall, &ceiling(0.0, 1.0, -3.0), MM));
        assert!(!cabinets_intersect(&wall, &ceiling(0.0, 1.0, -3.5), MM));
        // Crossing the wall's plane above the wall: no.
        assert!(!cabinets_intersect(&wall, &ceiling(0.0, 1.2, -3.25), MM));
        // Beside the wall (x 0.6..1.1): no.
        assert!(!cabinets_intersect(&wall, &ceiling(0.6, 0.8, -3.25), MM));
    }

    #[test]
    fn crossing_planes_whose_lines_miss_do_not_intersect() {
        // A cabinet tilted through the wall's plane (z -3.2..-2.8), crossing it at y = 0.3, below the
        // wall (y 0.5..1).
        let wall = square(0.0, 1.0, -3.0);
        let tilted = PanelFrame {
            top_left: DVec3::new(0.0, 0.45, -3.2),
            right: DVec3::new(0.5, 0.0, 0.0),
            down: DVec3::new(0.0, -0.3, 0.4),
        };
        assert!(!cabinets_intersect(&wall, &tilted, MM));
        // Raised 0.3 m, it crosses at y = 0.6, through the wall.
        let raised = PanelFrame {
            top_left: tilted.top_left + DVec3::new(0.0, 0.3, 0.0),
            ..tilted
        };
        assert!(cabinets_intersect(&wall, &raised, MM));
    }

    /// An arc whose neighbouring columns meet exactly at a vertical line, at an angle: nothing
    /// intersects, nor with a ceiling resting on its top edge.
    #[test]
    fn an_arc_whose_neighbours_meet_exactly_has_no_intersections() {
        let step = arc_step(4.0, 0.5).unwrap();
        let arc = arc_section(&ArcLayout {
            centre: (0.0, 0.0),
            radius: 4.0,
            start: (-100.0f64).to_radians(),
            step,
            columns: 48,
            rows: 3,
            bottom: 0.0,
            height: 0.5,
        });
        assert!(intersecting_pairs(&arc, MM).is_empty());
        // A second copy of one cabinet, in place, lies over the original and nothing else.
        let mut doubled = arc.clone();
        doubled.push(arc[5]);
        assert_eq!(intersecting_pairs(&doubled, MM), vec![(5, arc.len())]);
    }

    #[test]
    fn the_grid_finds_what_testing_every_pair_finds() {
        // A flat wall (x -3..3, y 0..3 at z = -4), a ceiling through its top row and a side wall
        // through its first column: the grid's pairs are those of a test of every pair, and those
        // worked out by hand.
        let mut frames = flat_section(
            12,
            6,
            0.5,
            0.5,
            DVec3::new(-3.0, 3.0, -4.0),
            Anchor::TopLeft,
            DQuat::IDENTITY,
        );
        // Ceiling 4 x 4 at y = 2.8, x -1..1, rows from z = -3.75 backwards: its first row crosses
        // z = -4 within the wall's row 0 (y 2.5..3), each cabinet in one wall column (cols 4..7).
        frames.extend(flat_section(
            4,
            4,
            0.5,
            0.5,
            DVec3::new(-1.0, 2.8, -3.75),
            Anchor::TopLeft,
            pan_tilt_roll_to_quat(0.0, 90.0, 0.0),
        ));
        // Side wall 6 x 6 from (-2.8, 3, -3), columns running back at pan 100 (x falls 0.17 m per
        // metre, z 0.98): it reaches z = -4 at 1.02 m along, in its column 2, at x = -2.98, inside the
        // wall's column 0, in every row.
        frames.extend(flat_section(
            6,
            6,
            0.5,
            0.5,
            DVec3::new(-2.8, 3.0, -3.0),
            Anchor::TopLeft,
            pan_tilt_roll_to_quat(100.0, 0.0, 0.0),
        ));
        let mut every = Vec::new();
        for i in 0..frames.len() {
            for j in i + 1..frames.len() {
                if cabinets_intersect(&frames[i], &frames[j], MM) {
                    every.push((i, j));
                }
            }
        }
        let found = intersecting_pairs(&frames, MM);
        assert_eq!(found, every);
        let mut expected: Vec<(usize, usize)> = (0..4).map(|c| (4 + c, 72 + c)).collect();
        expected.extend((0..6).map(|r| (12 * r, 88 + 6 * r + 2)));
        expected.sort_unstable();
        assert_eq!(found, expected);
    }
}
