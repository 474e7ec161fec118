//! Chroma key and tracking markers of a camera's inner frustum (stage file
//! `inner: Inner(..., chroma: Some(Chroma(...)))`), and the pure maths the composite shader mirrors:
//! where an LED pixel lies on the unwrapped wall and whether a marker covers it.
//!
//! **Unwrapped wall coordinates** (millimetres, per section): `x` to the right along the section's
//! cabinet columns and `y` down its rows, as seen from the front, with the origin at the top-left
//! corner of the section's cabinet (column 0, row 0). Cabinet `(col, row)` of a panel type
//! `width_mm x height_mm` covers `[col * width_mm, (col + 1) * width_mm] x [row * height_mm, ...]`,
//! so on a curved (arc) section `x` is measured along the cabinets' faces, as the unwrapped wall
//! image shows them. Markers are laid out in these coordinates: they stay fixed on the wall whatever
//! the camera does.

use glam::DVec2;
use serde::{Deserialize, Serialize};

use super::{Panel, Stage};

/// A chroma key: the inner frustum shows `colour` instead of the scene.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chroma {
    /// Key colour, linear RGB (what the LED pixels show, before output encoding).
    pub colour: (f32, f32, f32),
    /// Optional grid of tracking markers on the key.
    #[serde(default)]
    pub markers: Option<Markers>,
}

/// Shape of a tracking marker, centred on a grid point, `size_mm` across.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarkerShape {
    /// A plus sign: two bars `size_mm` long and `size_mm / 5` thick.
    Cross,
    /// A disc of diameter `size_mm`.
    Dot,
    /// A filled square of side `size_mm`.
    Square,
}

/// A square grid of tracking markers, fixed on the wall (unwrapped wall coordinates of each section,
/// see the module docs). Grid points are at `offset_mm + (m, n) * spacing_mm` for all integers `m`,
/// `n`. An LED pixel shows the marker colour when its centre lies inside a marker (no antialiasing:
/// a marker thinner than the LED pitch may vanish).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Markers {
    pub shape: MarkerShape,
    /// Marker size in millimetres (see [`MarkerShape`]).
    pub size_mm: f64,
    /// Distance between neighbouring grid points in millimetres, along both axes.
    pub spacing_mm: f64,
    /// Marker colour, linear RGB.
    pub colour: (f32, f32, f32),
    /// Position of one grid point, unwrapped wall millimetres.
    #[serde(default)]
    pub offset_mm: (f64, f64),
}

impl Chroma {
    /// What is wrong with these settings, if anything: non-finite values, a size or spacing that is
    /// not positive, markers larger than their spacing.
    pub fn problem(&self) -> Option<String> {
        let c = self.colour;
        if ![c.0, c.1, c.2].iter().all(|v| v.is_finite()) {
            return Some("chroma colour must be finite".into());
        }
        let m = self.markers?;
        let mc = m.colour;
        let finite = [m.size_mm, m.spacing_mm, m.offset_mm.0, m.offset_mm.1]
            .iter()
            .all(|v| v.is_finite())
            && [mc.0, mc.1, mc.2].iter().all(|v| v.is_finite());
        if !finite {
            return Some("chroma markers: values must be finite".into());
        }
        if m.size_mm <= 0.0 || m.spacing_mm <= 0.0 {
            return Some(format!(
                "chroma markers: size_mm and spacing_mm must be positive (got {} and {})",
                m.size_mm, m.spacing_mm
            ));
        }
        if m.size_mm >= m.spacing_mm {
            return Some(format!(
                "chroma markers: size_mm ({}) must be less than spacing_mm ({}), or markers touch",
                m.size_mm, m.spacing_mm
            ));
        }
        None
    }
}

/// Fraction of the interval `[x - p/2, x + p/2]` (an LED pixel of pitch `p` centred at `x`) inside
/// `[-h, h]`: the exact box-filtered coverage along one axis.
fn span_cover(x: f64, h: f64, p: f64) -> f64 {
    (((x + 0.5 * p).min(h) - (x - 0.5 * p).max(-h)) / p).clamp(0.0, 1.0)
}

impl Markers {
    /// Fraction (0 to 1) of the LED pixel centred at unwrapped wall point `q` (mm), of pitch `pitch`
    /// (mm along the wall's x and y), that the nearest marker covers: what the composite blends
    /// between the key and the marker colour (antialiased markers). Exact (a box filter over the
    /// pixel) for squares and crosses; for dots, linear along the radius over one mean pitch.
    /// Mirrored by `marker_cover` in `shaders/composite.wgsl`.
    pub fn coverage(&self, q: DVec2, pitch: DVec2) -> f64 {
        let local = q - DVec2::new(self.offset_mm.0, self.offset_mm.1);
        let d = (local - (local / self.spacing_mm).round() * self.spacing_mm).abs();
        let h = 0.5 * self.size_mm;
        match self.shape {
            MarkerShape::Square => span_cover(d.x, h, pitch.x) * span_cover(d.y, h, pitch.y),
            MarkerShape::Dot => {
                let p = 0.5 * (pitch.x + pitch.y);
                ((h - d.length()) / p + 0.5).clamp(0.0, 1.0)
            }
            MarkerShape::Cross => {
                let t = 0.1 * self.size_mm;
                let (hx, hy) = (span_cover(d.x, h, pitch.x), span_cover(d.y, h, pitch.y));
                let (tx, ty) = (span_cover(d.x, t, pitch.x), span_cover(d.y, t, pitch.y));
                hx * ty + tx * hy - tx * ty
            }
        }
    }

    /// Whether a marker covers the unwrapped wall point `q` (millimetres). Mirrored by `marker_hit`
    /// in `shaders/composite.wgsl`.
    pub fn covers(&self, q: DVec2) -> bool {
        let local = q - DVec2::new(self.offset_mm.0, self.offset_mm.1);
        let d = (local - (local / self.spacing_mm).round() * self.spacing_mm).abs();
        let h = 0.5 * self.size_mm;
        match self.shape {
            MarkerShape::Square => d.x <= h && d.y <= h,
            MarkerShape::Dot => d.length() <= h,
            MarkerShape::Cross => {
                let t = 0.1 * self.size_mm;
                (d.x <= h && d.y <= t) || (d.y <= h && d.x <= t)
            }
        }
    }
}

/// Unwrapped wall position (millimetres, see the module docs) of the centre of LED pixel `(i, j)` of
/// `panel`, in its section's coordinates.
pub fn led_wall_mm(stage: &Stage, panel: &Panel, i: u32, j: u32) -> DVec2 {
    let (x0, y0, w, h) = panel_wall_rect(stage, panel);
    DVec2::new(
        x0 + (i as f64 + 0.5) / panel.pixels.x as f64 * w,
        y0 + (j as f64 + 0.5) / panel.pixels.y as f64 * h,
    )
}

/// The rectangle a panel covers on its section's unwrapped wall: `(x, y, width, height)`, mm.
pub fn panel_wall_rect(stage: &Stage, panel: &Panel) -> (f64, f64, f64, f64) {
    let t = &stage.panel_types[panel.panel_type];
    (
        panel.col as f64 * t.width_mm,
        panel.row as f64 * t.height_mm,
        t.width_mm,
        t.height_mm,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers(shape: MarkerShape) -> Markers {
        Markers {
            shape,
            size_mm: 40.0,
            spacing_mm: 300.0,
            colour: (1.0, 1.0, 1.0),
            offset_mm: (100.0, -50.0),
        }
    }

    #[test]
    fn shapes_cover_what_they_should() {
        let sq = markers(MarkerShape::Square);
        // Grid points at (100 + 300 m, -50 + 300 n).
        assert!(sq.covers(DVec2::new(400.0, 250.0)));
        assert!(sq.covers(DVec2::new(419.9, 269.9)));
        assert!(!sq.covers(DVec2::new(420.1, 250.0)));
        assert!(!sq.covers(DVec2::new(250.0, 100.0)));
        let dot = markers(MarkerShape::Dot);
        assert!(dot.covers(DVec2::new(-200.0 + 14.0, 550.0 + 14.0)));
        assert!(!dot.covers(DVec2::new(-200.0 + 15.0, 550.0 + 15.0))); // 21.2 mm from the centre
        let cross = markers(MarkerShape::Cross);
        assert!(cross.covers(DVec2::new(100.0 + 19.0, -50.0 + 3.9)));
        assert!(cross.covers(DVec2::new(100.0 - 3.9, -50.0 - 19.0)));
        assert!(!cross.covers(DVec2::new(100.0 + 10.0, -50.0 + 10.0)));
    }

    /// Summed over a grid of LED pixels, coverage times pixel area is the marker's area (hand
    /// formulas): exact for the square and the cross, within 1 % for the dot; pixels far from any
    /// marker edge are fully on or off.
    #[test]
    fn coverage_integrates_to_the_marker_area() {
        let pitch = DVec2::new(2.6, 3.1);
        let cases = [
            (MarkerShape::Square, 40.0 * 40.0, 1e-9),
            (MarkerShape::Cross, 2.0 * 40.0 * 8.0 - 8.0 * 8.0, 1e-9),
            (MarkerShape::Dot, std::f64::consts::PI * 20.0 * 20.0, 0.01),
        ];
        for (shape, area, tol) in cases {
            let m = markers(shape);
            // One marker at (400, 250), a grid phase that is no multiple of the pitch.
            let mut sum = 0.0;
            for j in 0..40 {
                for i in 0..40 {
                    let q = DVec2::new(350.3 + i as f64 * pitch.x, 190.7 + j as f64 * pitch.y);
                    let c = m.coverage(q, pitch);
                    assert!((0.0..=1.0).contains(&c));
                    sum += c * pitch.x * pitch.y;
                    if (q - DVec2::new(400.0, 250.0)).abs().max_element() < 2.0 {
                        assert_eq!(c, 1.0, "{shape:?} centre");
                    }
                }
            }
            assert!(
                (sum - area).abs() <= tol * area,
                "{shape:?}: {sum} mm^2 against {area} mm^2"
            );
        }
    }

    #[test]
    fn problems_are_reported() {
        let ok = Chroma {
            colour: (0.0, 0.7, 0.1),
            markers: Some(markers(MarkerShape::Dot)),
        };
        assert_eq!(ok.problem(), None);
        let mut big = ok;
        big.markers.as_mut().unwrap().size_mm = 300.0;
        assert!(big.problem().unwrap().contains("less than spacing"));
        let mut zero = ok;
        zero.markers.as_mut().unwrap().spacing_mm = 0.0;
        assert!(zero.problem().unwrap().contains("positive"));
        let mut nan = ok;
        nan.colour.1 = f32::NAN;
        assert!(nan.problem().is_some());
    }
}
