//! Tracker-to-stage transform and lens-table interpolation: plain functions over glam types.

use glam::{DMat3, DQuat, DVec3};

use super::config::{LensPoint, LensTable, TableEncoders, TrackerTransform};
use super::sample::TrackerSample;
use crate::camera::{Distortion, Pose};

/// Our camera-local axes (X right, Y up, Z back) expressed in the tracker's camera-local axes
/// (X right, Y forward, Z up): a rotation of +90 degrees about X.
fn camera_axes() -> DQuat {
    DQuat::from_rotation_x(std::f64::consts::FRAC_PI_2)
}

/// A [`TrackerTransform`] checked and ready to apply.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageTransform {
    axes: DMat3,
    axes_q: DQuat,
    scale: DVec3,
    invert: [bool; 3],
    rotation: DQuat,
    offset: DVec3,
}

impl StageTransform {
    /// Checks a transform (the axes must be a rotation, numbers finite).
    pub fn new(t: &TrackerTransform) -> Result<StageTransform, String> {
        let axes = t.axes_matrix()?;
        let scale = DVec3::new(t.scale.0, t.scale.1, t.scale.2);
        let offset = DVec3::new(t.offset.0, t.offset.1, t.offset.2);
        let rotation = t.rotation.to_quat();
        if !scale.is_finite() || !offset.is_finite() || !rotation.is_finite() {
            return Err("transform values must be finite numbers".into());
        }
        Ok(StageTransform {
            axes,
            axes_q: DQuat::from_mat3(&axes),
            scale,
            invert: [t.invert_pan, t.invert_tilt, t.invert_roll],
            rotation,
            offset,
        })
    }

    /// The stage pose (tracked sensor position and world-from-camera rotation) of a sample.
    pub fn apply(&self, s: &TrackerSample) -> Pose {
        let p = self.axes * (self.scale * s.position());
        let q = self.axes_q * s.tracker_rotation(self.invert) * camera_axes();
        let mut rotation = (self.rotation * q).normalize();
        // Canonical sign (w >= 0) so that printed and recorded quaternions are stable.
        if rotation.w < 0.0 {
            rotation = -rotation;
        }
        Pose {
            position: self.rotation * p + self.offset,
            rotation,
        }
    }
}

impl Default for StageTransform {
    fn default() -> Self {
        // The default transform is always valid.
        StageTransform::new(&TrackerTransform::default()).unwrap_or(StageTransform {
            axes: DMat3::IDENTITY,
            axes_q: DQuat::IDENTITY,
            scale: DVec3::ONE,
            invert: [false; 3],
            rotation: DQuat::IDENTITY,
            offset: DVec3::ZERO,
        })
    }
}

/// Lens parameters read from a lens table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TableLens {
    /// Pinhole focal length in millimetres.
    pub focal_length_mm: f64,
    /// Focus distance in metres.
    pub focus_distance_m: f64,
    /// Entrance-pupil offset in metres.
    pub entrance_pupil_m: f64,
    /// Distortion.
    pub distortion: Distortion,
}

impl TableLens {
    fn of(p: &LensPoint) -> TableLens {
        TableLens {
            focal_length_mm: p.focal_length_mm,
            focus_distance_m: p.focus_distance_m,
            entrance_pupil_m: p.entrance_pupil_m,
            distortion: p.distortion,
        }
    }

    /// Linear between `a` and `b` at fraction `s`, except the focus distance, which is linear in
    /// diopters (`1 / d`): focus encoders are close to linear in diopters, and halfway between 1 m
    /// and infinity is 2 m, not infinity. A distance `<= 0` counts as infinity.
    fn lerp(a: TableLens, b: TableLens, s: f64) -> TableLens {
        let l = |x: f64, y: f64| x + (y - x) * s;
        let diopters = |d: f64| if d > 0.0 { 1.0 / d } else { 0.0 };
        let dio = l(diopters(a.focus_distance_m), diopters(b.focus_distance_m));
        let (da, db) = (a.distortion, b.distortion);
        TableLens {
            focal_length_mm: l(a.focal_length_mm, b.focal_length_mm),
            focus_distance_m: if dio > 0.0 { 1.0 / dio } else { f64::INFINITY },
            entrance_pupil_m: l(a.entrance_pupil_m, b.entrance_pupil_m),
            distortion: da.lerp(&db, s),
        }
    }
}

/// One zoom row of a lens table: (focus encoder value, lens) sorted by focus.
type FocusRow = Vec<(f64, TableLens)>;

/// Zoom values within this fraction of a lens table's zoom range belong to one zoom row (0.5 %).
pub const ZOOM_ROW_TOLERANCE: f64 = 0.005;

/// A lens table sorted for lookups: rows of (nearly) equal zoom, each sorted by focus.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LensLookup {
    rows: Vec<(f64, FocusRow)>,
    encoders: TableEncoders,
}

impl LensLookup {
    /// Sorts a table into zoom rows (points with non-finite numbers are skipped). Points whose zoom
    /// values lie within [`ZOOM_ROW_TOLERANCE`] of the table's zoom range from a row's first point
    /// join that row (real calibrations read a slightly different zoom encoder value at each focus
    /// point); the row's zoom is their mean.
    pub fn new(table: &LensTable) -> LensLookup {
        // (sum of zooms, points) per row.
        let groups: Vec<(f64, FocusRow)> = zoom_rows(&table.points)
            .into_iter()
            .map(|row| {
                let sum = row.iter().map(|&i| table.points[i].zoom).sum();
                let points = row
                    .iter()
                    .map(|&i| (table.points[i].focus, TableLens::of(&table.points[i])))
                    .collect();
                (sum, points)
            })
            .collect();
        let rows = groups
            .into_iter()
            .map(|(sum, mut row)| {
                let zoom = sum / row.len() as f64;
                row.sort_by(|a, b| a.0.total_cmp(&b.0));
                (zoom, row)
            })
            .collect();
        LensLookup {
            rows,
            encoders: table.encoders,
        }
    }

    /// The lens for a sample's encoders (raw or normalised, as the table says), any subset: a
    /// missing zoom is allowed when the table has one zoom row, a missing focus when every row has
    /// one point. `None` when the table is empty or the sample lacks an encoder the table needs.
    pub fn lookup_sample(&self, s: &TrackerSample) -> Option<TableLens> {
        let (zoom, focus) = match self.encoders {
            TableEncoders::Raw => (s.zoom, s.focus),
            TableEncoders::Normalised => {
                let e = s.lens.as_ref().and_then(|l| l.encoders).unwrap_or_default();
                (e.zoom, e.focus)
            }
        };
        let zoom = zoom.or_else(|| (self.rows.len() == 1).then(|| self.rows[0].0))?;
        let focus = focus.or_else(|| self.rows.iter().all(|r| r.1.len() == 1).then_some(0.0))?;
        self.lookup(zoom, focus)
    }

    /// The zoom of the table's only zoom row (`None` with none or several).
    pub fn single_zoom(&self) -> Option<f64> {
        (self.rows.len() == 1).then(|| self.rows[0].0)
    }

    /// Whether the table has no points.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The lens at raw (zoom, focus): linear along focus within the two rows bracketing zoom, then
    /// linear between them; the nearest edge outside the calibrated range. `None` for an empty table.
    pub fn lookup(&self, zoom: f64, focus: f64) -> Option<TableLens> {
        let (i, j, s) = bracket(&self.rows, |r| r.0, zoom)?;
        let a = along_focus(&self.rows[i].1, focus)?;
        let b = along_focus(&self.rows[j].1, focus)?;
        Some(TableLens::lerp(a, b, s))
    }
}

impl LensLookup {
    /// The zoom encoder value at which the table's focal length is `focal_mm`, at focus encoder value
    /// `focus` (held at each row's first or last calibrated focus outside them): the inverse of
    /// [`Self::lookup`] along zoom, so that `lookup(zoom, focus)` gives `focal_mm` back (within
    /// rounding). Rows are walked in increasing zoom and the first segment whose focal lengths
    /// bracket `focal_mm` is used (a zoom lens's focal length is monotonic in its encoder; a table
    /// that is not gives the lowest such zoom). Errors: `(shortest, longest)` focal length the table
    /// reaches at that focus when `focal_mm` is outside it (or the table is empty: NaN, NaN).
    pub fn zoom_for_focal_length(&self, focal_mm: f64, focus: f64) -> Result<f64, (f64, f64)> {
        let rows: Vec<(f64, f64)> = self
            .rows
            .iter()
            .filter_map(|(zoom, row)| Some((*zoom, along_focus(row, focus)?.focal_length_mm)))
            .collect();
        let (lo, hi) = rows.iter().fold((f64::NAN, f64::NAN), |(lo, hi), r| {
            (lo.min(r.1), hi.max(r.1))
        });
        if !focal_mm.is_finite() {
            return Err((lo, hi));
        }
        if let Some(&(zoom, _)) = rows.iter().find(|r| r.1 == focal_mm) {
            return Ok(zoom);
        }
        for w in rows.windows(2) {
            let ((za, fa), (zb, fb)) = (w[0], w[1]);
            if (fa - focal_mm) * (fb - focal_mm) < 0.0 {
                return Ok(za + (focal_mm - fa) / (fb - fa) * (zb - za));
            }
        }
        Err((lo, hi))
    }
}

/// A lens table's points grouped into zoom rows, as indices into `points`, rows in increasing zoom
/// and each row in increasing zoom then focus. Points with non-finite zoom or focus, or a focal
/// length that is not positive, are left out. A point joins the current row when its zoom is within
/// [`ZOOM_ROW_TOLERANCE`] of the table's zoom range from the row's first point.
pub(crate) fn zoom_rows(points: &[LensPoint]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let p = &points[i];
            p.zoom.is_finite() && p.focus.is_finite() && p.focal_length_mm > 0.0
        })
        .collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&points[a], &points[b]);
        a.zoom.total_cmp(&b.zoom).then(a.focus.total_cmp(&b.focus))
    });
    let span = match (order.first(), order.last()) {
        (Some(&a), Some(&b)) => points[b].zoom - points[a].zoom,
        _ => 0.0,
    };
    let tolerance = span * ZOOM_ROW_TOLERANCE;
    // (first zoom, indices) per row.
    let mut rows: Vec<(f64, Vec<usize>)> = Vec::new();
    for i in order {
        let zoom = points[i].zoom;
        match rows.last_mut() {
            Some((first, row)) if zoom - *first <= tolerance => row.push(i),
            _ => rows.push((zoom, vec![i])),
        }
    }
    rows.into_iter().map(|(_, row)| row).collect()
}

fn along_focus(row: &[(f64, TableLens)], focus: f64) -> Option<TableLens> {
    let (i, j, s) = bracket(row, |r| r.0, focus)?;
    Some(TableLens::lerp(row[i].1, row[j].1, s))
}

/// The two neighbours of `x` in a sorted slice and the fraction between them (edges held).
fn bracket<T>(items: &[T], key: impl Fn(&T) -> f64, x: f64) -> Option<(usize, usize, f64)> {
    let n = items.len();
    if n == 0 {
        return None;
    }
    if !x.is_finite() || x <= key(&items[0]) {
        return Some((0, 0, 0.0));
    }
    if x >= key(&items[n - 1]) {
        return Some((n - 1, n - 1, 0.0));
    }
    let j = items.partition_point(|it| key(it) <= x);
    let i = j - 1;
    let (a, b) = (key(&items[i]), key(&items[j]));
    let s = if b > a { (x - a) / (b - a) } else { 0.0 };
    Some((i, j, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_for_focal_length_inverts_the_lookup_along_zoom() {
        // Focal lengths 24, 40, 70 mm at zoom 0, 1000, 3000 (focus 0), and 26, 43, 75 mm at focus 100.
        let mut points = Vec::new();
        for (zoom, f0, f1) in [
            (0.0, 24.0, 26.0),
            (1000.0, 40.0, 43.0),
            (3000.0, 70.0, 75.0),
        ] {
            points.push(point(zoom, 0.0, f0, 1.0));
            points.push(point(zoom, 100.0, f1, 10.0));
        }
        let table = LensTable {
            encoders: TableEncoders::Raw,
            points,
        };
        let l = LensLookup::new(&table);
        // 55 mm at focus 0: between 40 (zoom 1000) and 70 (zoom 3000), halfway: zoom 2000.
        assert_eq!(l.zoom_for_focal_length(55.0, 0.0), Ok(2000.0));
        // At focus 50 the rows give 25, 41.5, 72.5 mm: 41.5 is row 1000 exactly.
        let z = l.zoom_for_focal_length(41.5, 50.0).unwrap();
        assert!((z - 1000.0).abs() < 1e-9, "{z}");
        // Round trip at random focal lengths and focus values.
        for k in 0..50 {
            let focus = (k * 7 % 101) as f64;
            let f = 26.0 + (k as f64) * 0.8;
            let z = l.zoom_for_focal_length(f, focus).unwrap();
            let back = l.lookup(z, focus).unwrap().focal_length_mm;
            assert!(
                (back - f).abs() < 1e-9,
                "{f} mm at focus {focus}: zoom {z} gives {back}"
            );
        }
        // Outside the range: the range at that focus.
        assert_eq!(l.zoom_for_focal_length(80.0, 100.0), Err((26.0, 75.0)));
        assert_eq!(l.zoom_for_focal_length(20.0, 0.0), Err((24.0, 70.0)));
        assert!(l.zoom_for_focal_length(f64::NAN, 0.0).is_err());
        assert!(
            LensLookup::default()
                .zoom_for_focal_length(35.0, 0.0)
                .is_err()
        );
    }

    fn point(zoom: f64, focus: f64, f: f64, fd: f64) -> LensPoint {
        LensPoint {
            zoom,
            focus,
            focal_length_mm: f,
            focus_distance_m: fd,
            entrance_pupil_m: f / 1000.0,
            distortion: Distortion {
                k1: -f / 1000.0,
                ..Default::default()
            },
        }
    }

    #[test]
    fn bilinear_between_calibrated_points() {
        let table = LensTable {
            encoders: Default::default(),
            points: vec![
                point(0.0, 0.0, 20.0, 1.0),
                point(0.0, 100.0, 22.0, 10.0),
                point(1000.0, 0.0, 100.0, 1.0),
                point(1000.0, 100.0, 104.0, 10.0),
            ],
        };
        let l = LensLookup::new(&table);
        let mid = l.lookup(500.0, 50.0).expect("table");
        assert!((mid.focal_length_mm - (21.0 + 102.0) / 2.0).abs() < 1e-12);
        // Focus distance in diopters: halfway between 1 m (1 D) and 10 m (0.1 D) is 0.55 D.
        assert!((mid.focus_distance_m - 1.0 / 0.55).abs() < 1e-12);
        assert!((mid.distortion.k1 + mid.focal_length_mm / 1000.0).abs() < 1e-12);
        // Exactly at points, and held outside the range.
        assert_eq!(
            l.lookup(1000.0, 100.0).map(|x| x.focal_length_mm),
            Some(104.0)
        );
        assert_eq!(l.lookup(-5.0, -5.0).map(|x| x.focal_length_mm), Some(20.0));
        assert_eq!(l.lookup(5e6, 5e6).map(|x| x.focal_length_mm), Some(104.0));
        assert_eq!(
            l.lookup(f64::NAN, 0.0).map(|x| x.focal_length_mm),
            Some(20.0)
        );
        assert!(
            LensLookup::new(&LensTable::default())
                .lookup(1.0, 1.0)
                .is_none()
        );
    }

    #[test]
    fn zoom_only_table_interpolates_in_zoom() {
        let table = LensTable {
            encoders: Default::default(),
            points: vec![point(2000.0, 0.0, 50.0, 5.0), point(0.0, 0.0, 18.0, 5.0)],
        };
        let l = LensLookup::new(&table);
        let q = l.lookup(500.0, 12345.0).expect("table");
        assert!((q.focal_length_mm - 26.0).abs() < 1e-12);
    }

    #[test]
    fn focus_distance_is_interpolated_in_diopters() {
        // Halfway (in encoder counts) between focus at 1 m and at infinity is 2 m (0.5 diopter),
        // and a quarter of the way from 1 m to 4 m is 1 / (1 - 0.25 * 0.75) = 1.2308 m.
        let table = LensTable {
            encoders: Default::default(),
            points: vec![
                point(0.0, 0.0, 35.0, 1.0),
                point(0.0, 100.0, 35.0, f64::INFINITY),
                point(10.0, 0.0, 35.0, 1.0),
                point(10.0, 100.0, 35.0, 4.0),
            ],
        };
        let l = LensLookup::new(&table);
        assert!((l.lookup(0.0, 50.0).unwrap().focus_distance_m - 2.0).abs() < 1e-12);
        let q = l.lookup(10.0, 25.0).unwrap().focus_distance_m;
        assert!((q - 1.0 / (1.0 - 0.25 * 0.75)).abs() < 1e-12, "{q}");
        assert_eq!(
            l.lookup(0.0, 100.0).unwrap().focus_distance_m,
            f64::INFINITY
        );
    }

    #[test]
    fn zoom_rows_are_matched_with_a_tolerance() {
        // Zoom read as 999, 1000 and 1002 at three focus points (span 0..2000: tolerance 10 counts)
        // is one row at their mean, 1000.33; without the tolerance it would be three one-point rows
        // and focus would be ignored between them.
        let table = LensTable {
            encoders: Default::default(),
            points: vec![
                point(0.0, 0.0, 18.0, 1.0),
                point(0.0, 100.0, 18.0, 1.0),
                point(999.0, 0.0, 30.0, 1.0),
                point(1000.0, 50.0, 32.0, 1.0),
                point(1002.0, 100.0, 34.0, 1.0),
                point(2000.0, 0.0, 50.0, 1.0),
                point(2000.0, 100.0, 50.0, 1.0),
            ],
        };
        let l = LensLookup::new(&table);
        assert_eq!(l.rows.len(), 3);
        assert!((l.rows[1].0 - 3001.0 / 3.0).abs() < 1e-9);
        // On the row, focus interpolates between its points: focus 75 -> 33 mm.
        let q = l.lookup(3001.0 / 3.0, 75.0).unwrap();
        assert!(
            (q.focal_length_mm - 33.0).abs() < 1e-9,
            "{}",
            q.focal_length_mm
        );
    }
}
