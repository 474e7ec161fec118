//! Panel geometry: where every LED pixel is in stage space. Pure functions over glam types.

use glam::{DQuat, DVec3};

use super::file::Anchor;

/// A placed cabinet in space: top-left corner as seen from the front and the full edge vectors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PanelFrame {
    pub top_left: DVec3,
    pub right: DVec3,
    pub down: DVec3,
}

impl PanelFrame {
    /// Centre of LED pixel `(i, j)` of a `w x h` panel:
    /// `T + (i + 0.5) / w * right + (j + 0.5) / h * down`.
    pub fn pixel_centre(&self, i: u32, j: u32, w: u32, h: u32) -> DVec3 {
        self.top_left
            + (i as f64 + 0.5) / w as f64 * self.right
            + (j as f64 + 0.5) / h as f64 * self.down
    }

    /// Point at normalised panel coordinates (0..1 from the left, 0..1 from the top).
    pub fn point(&self, u: f64, v: f64) -> DVec3 {
        self.top_left + u * self.right + v * self.down
    }

    /// The front normal `normalize(down x right)`.
    pub fn normal(&self) -> DVec3 {
        self.down.cross(self.right).normalize_or_zero()
    }

    /// Corners: top-left, top-right, bottom-right, bottom-left.
    pub fn corners(&self) -> [DVec3; 4] {
        [
            self.top_left,
            self.top_left + self.right,
            self.top_left + self.right + self.down,
            self.top_left + self.down,
        ]
    }

    pub fn centre(&self) -> DVec3 {
        self.top_left + 0.5 * (self.right + self.down)
    }
}

/// Cabinets of a flat `columns x rows` section of cabinets `width x height` metres. Returns frames in
/// row-major order (row 0 first, columns left to right).
pub fn flat_section(
    columns: u32,
    rows: u32,
    width: f64,
    height: f64,
    position: DVec3,
    anchor: Anchor,
    rotation: DQuat,
) -> Vec<PanelFrame> {
    let right_u = rotation * DVec3::X;
    let down_u = rotation * DVec3::NEG_Y;
    let total_w = columns as f64 * width;
    let total_h = rows as f64 * height;
    let top_left = match anchor {
        Anchor::TopLeft => position,
        Anchor::TopCentre => position - right_u * total_w * 0.5,
        Anchor::Centre => position - right_u * total_w * 0.5 - down_u * total_h * 0.5,
        Anchor::BottomLeft => position - down_u * total_h,
        Anchor::BottomCentre => position - right_u * total_w * 0.5 - down_u * total_h,
    };
    let mut out = Vec::with_capacity((columns * rows) as usize);
    for r in 0..rows {
        for c in 0..columns {
            out.push(PanelFrame {
                top_left: top_left + right_u * (width * c as f64) + down_u * (height * r as f64),
                right: right_u * width,
                down: down_u * height,
            });
        }
    }
    out
}

/// Angle in radians between neighbouring column edges of an arc of cabinets `width` wide on a circle
/// of `radius` (the cabinet is a chord). `None` when the cabinet is wider than the circle.
pub fn arc_step(radius: f64, width: f64) -> Option<f64> {
    let s = width / (2.0 * radius);
    (radius > 0.0 && width > 0.0 && s <= 1.0).then(|| 2.0 * s.asin())
}

/// Point on the arc's circle at `angle` radians (0 towards -Z, positive towards +X) and height `y`.
pub fn arc_point(centre: (f64, f64), radius: f64, angle: f64, y: f64) -> DVec3 {
    DVec3::new(
        centre.0 + radius * angle.sin(),
        y,
        centre.1 - radius * angle.cos(),
    )
}

/// An arc of cabinet columns: `columns` flat columns from `start` radians, `step` radians apart,
/// `rows` cabinets of `height` metres high from `bottom`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArcLayout {
    pub centre: (f64, f64),
    pub radius: f64,
    pub start: f64,
    pub step: f64,
    pub columns: u32,
    pub rows: u32,
    pub bottom: f64,
    pub height: f64,
}

/// Cabinets of an arc section, row-major (row 0 is the top row).
pub fn arc_section(a: &ArcLayout) -> Vec<PanelFrame> {
    let mut out = Vec::with_capacity((a.columns * a.rows) as usize);
    for r in 0..a.rows {
        let top = a.bottom + a.height * (a.rows - r) as f64;
        for c in 0..a.columns {
            let p = arc_point(a.centre, a.radius, a.start + a.step * c as f64, top);
            let q = arc_point(a.centre, a.radius, a.start + a.step * (c + 1) as f64, top);
            out.push(PanelFrame {
                top_left: p,
                right: q - p,
                down: DVec3::new(0.0, -a.height, 0.0),
            });
        }
    }
    out
}

/// Point on the floor plan `(x, z)` as a stage point at height `y`.
pub fn floor_point(p: (f64, f64), y: f64) -> DVec3 {
    DVec3::new(p.0, y, p.1)
}

/// A column's place on the floor plan: `(x, z)` of its left and right vertical edges, as seen from
/// the front.
pub type Chord = ((f64, f64), (f64, f64));

/// Cabinets of a wall of vertical columns, row-major (row 0 is the top row): column `c` stands on
/// the floor-plan chord `columns[c] = (left, right)` (`(x, z)` of its left and right vertical
/// edges as seen from the front), `rows` cabinets of `height` metres from `bottom` up. The front
/// is `normalize(down x right)`: to the right of the direction from `left` to `right` seen from
/// above, e.g. `+Z` for a column running along `+X`.
pub fn columns_section(columns: &[Chord], rows: u32, bottom: f64, height: f64) -> Vec<PanelFrame> {
    let mut out = Vec::with_capacity(columns.len() * rows as usize);
    for r in 0..rows {
        let top = bottom + height * (rows - r) as f64;
        for &(l, rt) in columns {
            let p = floor_point(l, top);
            out.push(PanelFrame {
                top_left: p,
                right: floor_point(rt, top) - p,
                down: DVec3::new(0.0, -height, 0.0),
            });
        }
    }
    out
}

/// One straight segment of a polyline wall: how many cabinet columns it holds and what is left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SegmentFit {
    /// Length of the segment in metres.
    pub length: f64,
    /// Whole columns that fit on it (the first starts at the segment's first point).
    pub columns: u32,
    /// Length left uncovered at the segment's end, in metres (`length - columns * width`, >= 0).
    pub gap: f64,
}

/// Columns of a faceted wall along the floor-plan polyline `points` (`(x, z)`, metres), cabinets
/// `width` metres wide: each segment holds the whole columns that fit on it from its first point,
/// so that no column crosses a corner (no overlap at the joins) and what is left of a segment is a
/// gap at its end. Columns are chords `(left, right)` in order along the polyline; the fits are
/// per segment. Lengths within 1 um of a whole number of columns count as whole. At most
/// `max_columns` chords are made (the fits still count every column): a polyline too long for any
/// stage, a typo such as a point 1e30 m away, is refused on its fits without making its columns.
pub fn polyline_columns(
    points: &[(f64, f64)],
    width: f64,
    max_columns: usize,
) -> (Vec<Chord>, Vec<SegmentFit>) {
    let mut cols = Vec::new();
    let mut fits = Vec::new();
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dz) = (b.0 - a.0, b.1 - a.1);
        let length = (dx * dx + dz * dz).sqrt();
        let n = if width > 0.0 && length > 0.0 {
            ((length + 1e-6) / width).floor().min(u32::MAX as f64) as u32
        } else {
            0
        };
        let (ux, uz) = if length > 0.0 {
            (dx / length, dz / length)
        } else {
            (0.0, 0.0)
        };
        for k in 0..n.min(max_columns.saturating_sub(cols.len()) as u32) {
            let s0 = width * k as f64;
            let s1 = width * (k + 1) as f64;
            cols.push((
                (a.0 + ux * s0, a.1 + uz * s0),
                (a.0 + ux * s1, a.1 + uz * s1),
            ));
        }
        fits.push(SegmentFit {
            length,
            columns: n,
            gap: (length - width * n as f64).max(0.0),
        });
    }
    (cols, fits)
}

/// One arc of a joined-arc wall as resolved: its centre, radius, the angle of its first column
/// edge, the angle between column edges and its column count (angles in radians, as
/// [`arc_point`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JoinedArc {
    pub centre: (f64, f64),
    pub radius: f64,
    pub start: f64,
    pub step: f64,
    pub columns: u32,
}

impl JoinedArc {
    /// Angle of the arc's last column edge.
    pub fn end(&self) -> f64 {
        self.start + self.step * self.columns as f64
    }
}

/// Arcs joined end to start with tangent continuity: the first has its centre at `centre`, radius
/// `pieces[0].0` and its first column edge at `start` radians; each next arc (radius `r`) begins at
/// the last column edge `P` of the one before, at the same angle `a`, its centre on the line from
/// `P` to the previous centre at `r` from `P` (`C' = P - r * (sin a, -cos a)`), so both circles
/// share `P` and their tangent there and the wall turns the same way. `pieces` are
/// `(radius, columns, step)`; all arcs face their centres (the volume's inside).
pub fn joined_arcs(centre: (f64, f64), start: f64, pieces: &[(f64, u32, f64)]) -> Vec<JoinedArc> {
    let mut out: Vec<JoinedArc> = Vec::with_capacity(pieces.len());
    for &(radius, columns, step) in pieces {
        let (c, a) = match out.last() {
            None => (centre, start),
            Some(prev) => {
                let a = prev.end();
                let (s, k) = (a.sin(), -a.cos());
                let d = prev.radius - radius;
                ((prev.centre.0 + d * s, prev.centre.1 + d * k), a)
            }
        };
        out.push(JoinedArc {
            centre: c,
            radius,
            start: a,
            step,
            columns,
        });
    }
    out
}

/// The floor-plan chords of joined arcs' columns, in order.
pub fn joined_arc_columns(arcs: &[JoinedArc]) -> Vec<Chord> {
    let xz = |p: DVec3| (p.x, p.z);
    arcs.iter()
        .flat_map(|a| {
            (0..a.columns).map(move |c| {
                let s = a.start + a.step * c as f64;
                (
                    xz(arc_point(a.centre, a.radius, s, 0.0)),
                    xz(arc_point(a.centre, a.radius, s + a.step, 0.0)),
                )
            })
        })
        .collect()
}

/// A ring of a round ceiling: `count` cabinets `width x height` metres, facing down at height `y`,
/// evenly spread round the circle of `radius` about `centre` (`(x, z)`), their inner (top, as seen
/// from below looking out) edges chords of that circle, from `start` radians in increasing angle
/// (columns left to right as seen from the centre looking out). Cabinet `c` is centred on the angle
/// `start + (c + 0.5) * 2 pi / count`; `down` points away from the centre, so neighbours in a ring
/// never overlap (they only touch at their inner corners when the ring is full).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RingLayout {
    pub centre: (f64, f64),
    pub y: f64,
    pub radius: f64,
    pub count: u32,
    pub start: f64,
    pub width: f64,
    pub height: f64,
}

/// The cabinets of a ring, in column order (`None` when the cabinet is wider than the circle).
pub fn ring_cabinets(r: &RingLayout) -> Option<Vec<PanelFrame>> {
    let step = arc_step(r.radius, r.width)?;
    let slot = std::f64::consts::TAU / r.count.max(1) as f64;
    Some(
        (0..r.count)
            .map(|c| {
                let mid = r.start + slot * (c as f64 + 0.5);
                let tl = arc_point(r.centre, r.radius, mid - 0.5 * step, r.y);
                let tr = arc_point(r.centre, r.radius, mid + 0.5 * step, r.y);
                PanelFrame {
                    top_left: tl,
                    right: tr - tl,
                    down: DVec3::new(mid.sin(), 0.0, -mid.cos()) * r.height,
                }
            })
            .collect(),
    )
}

/// Distance from the centre of a ring's outer corners (cabinets `width x height` whose inner edge
/// is a chord of the circle of `radius`): `sqrt((sqrt(r^2 - w^2/4) + h)^2 + w^2/4)`.
pub fn ring_reach(radius: f64, width: f64, height: f64) -> f64 {
    let inner = (radius * radius - 0.25 * width * width).max(0.0).sqrt();
    ((inner + height).powi(2) + 0.25 * width * width).sqrt()
}

/// The smallest radius of a ring of cabinets `width` wide that lies wholly outside the circle of
/// `reach` (another ring's [`ring_reach`]): its inner edges, chords, come within
/// `sqrt(r^2 - w^2/4)` of the centre, so `r = sqrt(reach^2 + w^2/4)`.
pub fn ring_clear_of(reach: f64, width: f64) -> f64 {
    (reach * reach + 0.25 * width * width).sqrt()
}

/// A surveyed cabinet from three or four measured corners. With four, the parallelogram that best
/// fits them is returned along with the largest distance of a measured corner from it.
pub fn surveyed_panel(
    top_left: DVec3,
    top_right: DVec3,
    bottom_left: DVec3,
    bottom_right: Option<DVec3>,
) -> (PanelFrame, f64) {
    match bottom_right {
        None => (
            PanelFrame {
                top_left,
                right: top_right - top_left,
                down: bottom_left - top_left,
            },
            0.0,
        ),
        Some(br) => {
            let right = 0.5 * ((top_right - top_left) + (br - bottom_left));
            let down = 0.5 * ((bottom_left - top_left) + (br - top_right));
            let centre = 0.25 * (top_left + top_right + bottom_left + br);
            let frame = PanelFrame {
                top_left: centre - 0.5 * (right + down),
                right,
                down,
            };
            let c = frame.corners();
            let dev = [top_left, top_right, br, bottom_left]
                .iter()
                .zip(c.iter())
                .map(|(m, f)| (*m - *f).length())
                .fold(0.0, f64::max);
            (frame, dev)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::pan_tilt_roll_to_quat;

    #[test]
    fn pixel_centres_follow_the_convention() {
        let f = PanelFrame {
            top_left: DVec3::new(-1.0, 2.0, -3.0),
            right: DVec3::new(0.5, 0.0, 0.0),
            down: DVec3::new(0.0, -0.5, 0.0),
        };
        let p = f.pixel_centre(0, 0, 176, 176);
        assert!((p - DVec3::new(-1.0 + 0.25 / 176.0, 2.0 - 0.25 / 176.0, -3.0)).length() < 1e-12);
        let q = f.pixel_centre(175, 175, 176, 176);
        assert!((q - DVec3::new(-0.5 - 0.25 / 176.0, 1.5 + 0.25 / 176.0, -3.0)).length() < 1e-12);
        // Neighbours are one pitch apart.
        let pitch = 0.5 / 176.0;
        assert!(((f.pixel_centre(1, 0, 176, 176) - p).length() - pitch).abs() < 1e-12);
        assert!(((f.pixel_centre(0, 1, 176, 176) - p).length() - pitch).abs() < 1e-12);
        // Front faces +Z (towards a camera at the origin looking along -Z).
        assert!((f.normal() - DVec3::Z).length() < 1e-12);
    }

    #[test]
    fn flat_section_anchors_and_rotation() {
        let frames = flat_section(
            4,
            2,
            0.5,
            0.5,
            DVec3::new(0.0, 3.0, -4.0),
            Anchor::BottomCentre,
            DQuat::IDENTITY,
        );
        assert_eq!(frames.len(), 8);
        assert!((frames[0].top_left - DVec3::new(-1.0, 4.0, -4.0)).length() < 1e-12);
        assert!((frames[7].corners()[2] - DVec3::new(1.0, 3.0, -4.0)).length() < 1e-12);
        // A ceiling: tilt 90 makes the front face down.
        let ceiling = flat_section(
            2,
            2,
            0.5,
            0.5,
            DVec3::new(0.0, 5.0, 0.0),
            Anchor::Centre,
            pan_tilt_roll_to_quat(0.0, 90.0, 0.0),
        );
        for f in &ceiling {
            assert!((f.normal() - DVec3::NEG_Y).length() < 1e-12);
            assert!((f.top_left.y - 5.0).abs() < 1e-12);
        }
        // Neighbouring cabinets share edges.
        assert!((ceiling[0].top_left + ceiling[0].right - ceiling[1].top_left).length() < 1e-12);
    }

    #[test]
    fn arc_columns_meet_and_face_the_centre() {
        let step = arc_step(5.0, 0.5).unwrap();
        let frames = arc_section(&ArcLayout {
            centre: (1.0, 2.0),
            radius: 5.0,
            start: (-30.0f64).to_radians(),
            step,
            columns: 12,
            rows: 3,
            bottom: 0.2,
            height: 0.5,
        });
        for r in 0..3 {
            for c in 0..12 {
                let f = frames[r * 12 + c];
                // Cabinet width is exactly the panel width (a chord).
                assert!((f.right.length() - 0.5).abs() < 1e-12);
                // Corners on the circle.
                for p in [f.top_left, f.top_left + f.right] {
                    let d = ((p.x - 1.0).powi(2) + (p.z - 2.0).powi(2)).sqrt();
                    assert!((d - 5.0).abs() < 1e-9);
                }
                // Front normal points towards the centre axis.
                let to_centre = DVec3::new(1.0, f.centre().y, 2.0) - f.centre();
                assert!(f.normal().dot(to_centre.normalize()) > 0.99);
                if c + 1 < 12 {
                    let next = frames[r * 12 + c + 1];
                    assert!(
                        (f.top_left + f.right - next.top_left).length() < 1e-12,
                        "edges meet"
                    );
                }
                if r + 1 < 3 {
                    let below = frames[(r + 1) * 12 + c];
                    assert!((f.top_left + f.down - below.top_left).length() < 1e-12);
                }
            }
        }
        assert!((frames[2 * 12].corners()[3].y - 0.2).abs() < 1e-12);
        assert!(arc_step(0.2, 0.5).is_none());
    }

    #[test]
    fn surveyed_four_corners_fit_a_parallelogram() {
        let tl = DVec3::new(0.0, 1.0, -2.0);
        let tr = DVec3::new(0.5, 1.0, -2.0);
        let bl = DVec3::new(0.0, 0.5, -2.0);
        let (f3, d3) = surveyed_panel(tl, tr, bl, None);
        assert_eq!(d3, 0.0);
        let (f4, d4) = surveyed_panel(tl, tr, bl, Some(DVec3::new(0.5, 0.5, -2.0)));
        assert!(d4 < 1e-12);
        assert!((f3.top_left - f4.top_left).length() < 1e-12);
        let (_, bent) = surveyed_panel(tl, tr, bl, Some(DVec3::new(0.5, 0.5, -1.99)));
        assert!((bent - 0.0025).abs() < 1e-9, "{bent}");
    }

    #[test]
    fn polyline_segments_hold_whole_columns_from_their_start() {
        // 1.0 m then 1.3 m with 0.5 m cabinets: 2 columns exactly, then 2 and a 0.3 m gap.
        let (cols, fits) = polyline_columns(&[(0.0, 0.0), (1.0, 0.0), (1.0, -1.3)], 0.5, 100);
        assert_eq!(fits.iter().map(|f| f.columns).collect::<Vec<_>>(), [2, 2]);
        assert!(fits[0].gap.abs() < 1e-12 && (fits[1].gap - 0.3).abs() < 1e-12);
        assert_eq!(cols[1], ((0.5, 0.0), (1.0, 0.0)));
        assert_eq!(cols[2], ((1.0, 0.0), (1.0, -0.5)));
        // Facing: along +X the front is +Z; along -Z it is +X (right of travel from above).
        let f = columns_section(&cols, 1, 0.0, 0.5);
        assert!((f[0].normal() - DVec3::Z).length() < 1e-12);
        assert!((f[2].normal() - DVec3::X).length() < 1e-12);
        assert!((f[2].top_left - DVec3::new(1.0, 0.5, 0.0)).length() < 1e-12);
    }

    #[test]
    fn a_polyline_too_long_for_any_stage_makes_no_more_chords_than_asked() {
        // A point 1e30 m away (a typo the fuzzer found): the fit counts the columns, no chord is
        // made past the limit.
        let (cols, fits) = polyline_columns(&[(0.0, 0.0), (1e30, 0.0), (1e30, 1.0)], 0.5, 7);
        assert_eq!(fits[0].columns, u32::MAX);
        assert_eq!(fits[1].columns, 2);
        assert_eq!(cols.len(), 7);
    }

    #[test]
    fn joined_arcs_share_their_end_point_and_tangent() {
        // Quarter turns by hand: on radius 2 from angle 0, 4 columns of step pi/8 end at
        // angle pi/2, at (2, 0) about the origin; a radius-1 arc then has its centre at (1, 0).
        let step = std::f64::consts::FRAC_PI_8;
        let arcs = joined_arcs((0.0, 0.0), 0.0, &[(2.0, 4, step), (1.0, 2, step)]);
        assert!((arcs[1].centre.0 - 1.0).abs() < 1e-12 && arcs[1].centre.1.abs() < 1e-12);
        assert!((arcs[1].start - std::f64::consts::FRAC_PI_2).abs() < 1e-12);
        let cols = joined_arc_columns(&arcs);
        assert_eq!(cols.len(), 6);
        let (a, b) = (cols[3].1, cols[4].0);
        assert!((a.0 - 2.0).abs() < 1e-12 && a.1.abs() < 1e-12);
        assert!((a.0 - b.0).abs() < 1e-12 && (a.1 - b.1).abs() < 1e-12);
    }

    #[test]
    fn a_full_ring_touches_at_its_inner_corners_and_faces_down() {
        // Six cabinets 1 m wide on a radius of 1 m: a hexagon, each spanning 60 degrees.
        let ring = ring_cabinets(&RingLayout {
            centre: (0.0, 0.0),
            y: 3.0,
            radius: 1.0,
            count: 6,
            start: 0.0,
            width: 1.0,
            height: 0.5,
        })
        .unwrap();
        assert_eq!(ring.len(), 6);
        for (k, f) in ring.iter().enumerate() {
            assert!((f.normal() - DVec3::NEG_Y).length() < 1e-12);
            let next = ring[(k + 1) % 6];
            assert!((f.corners()[1] - next.top_left).length() < 1e-12);
        }
        // Cabinet 0's top-left corner is at angle 0: (0, 3, -1).
        assert!((ring[0].top_left - DVec3::new(0.0, 3.0, -1.0)).length() < 1e-12);
        // Its outer corners: the inner chord at sqrt(1 - 0.25) plus 0.5, half a metre aside.
        let reach = ((0.75f64.sqrt() + 0.5).powi(2) + 0.25).sqrt();
        assert!((ring_reach(1.0, 1.0, 0.5) - reach).abs() < 1e-12);
        assert!(
            ((ring[0].corners()[2] - DVec3::new(0.0, 3.0, 0.0)).length() - reach).abs() < 1e-12
        );
    }
}
