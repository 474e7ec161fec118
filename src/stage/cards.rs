//! Light cards: emissive rectangles and ellipses shown on the wall (stage file `light_cards: [...]`,
//! or per frame through [`crate::render::FrameInputs::light_cards`]).
//!
//! A card is a flat shape in stage space, **projected onto the wall from a point** (the point it is
//! seen from): an LED pixel shows the card where the ray from that point through the LED pixel's
//! centre meets the card (in front of the point). A `Stage` card is seen from the frame's outer
//! viewpoint (as the outer render would see a card standing in the set); a `Polar` card is placed
//! by azimuth and elevation around its `origin` (as nDisplay places them) and seen from there, so
//! it stays on the same LEDs whatever the camera does.
//!
//! Intensity: linear light `1.0` is [`NITS_PER_LINEAR`] nits, so a card shows
//! `colour * intensity_nits / 100` (linear, before the output encoding), except on a PQ output,
//! where linear 1.0 is the output's `white_nits` and the card's radiance is scaled to keep its
//! nits ([`crate::colour::output::Encoding::nits_of_linear_one`]).

use glam::{DQuat, DVec2, DVec3};
use serde::{Deserialize, Serialize};

use crate::camera::Orientation;

/// Nits (cd/m²) of linear light 1.0: a card of `intensity_nits` shows `colour * intensity_nits /
/// NITS_PER_LINEAR`.
pub const NITS_PER_LINEAR: f64 = 100.0;

/// A card's outline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardShape {
    Rectangle,
    /// The ellipse inscribed in the card's rectangle.
    Ellipse,
}

/// Whether a card shows over the inner frustum or only where the outer shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CardLayer {
    /// Under the inner frustum: composited onto the outer, so the frustum (blended at its soft edge)
    /// covers it.
    #[default]
    Under,
    /// Over everything, the inner frustum included.
    Over,
}

/// Where a card is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum CardPlacement {
    /// A flat card in stage space, `size_m` (width, height) metres, centred on `position`.
    /// Unrotated it faces +Z with its width along +X and its height along +Y; `rotation` turns it
    /// about its centre (the convention of cameras and flat sections). Seen from the frame's outer
    /// viewpoint.
    Stage {
        position: (f64, f64, f64),
        #[serde(default)]
        rotation: Orientation,
        size_m: (f64, f64),
    },
    /// On the wall by polar position around `origin` (metres): centred on the direction
    /// `(sin az cos el, sin el, -cos az cos el)` (azimuth 0 towards -Z, positive towards +X;
    /// elevation positive up), `size_deg` (width, height) the full angles it spans through its
    /// centre, `roll_deg` turning it about that direction (positive counter-clockwise as seen from
    /// `origin`). Seen from `origin`: the card is the rectangle (or ellipse) of half extents
    /// `tan(size / 2)` on the plane at distance 1 facing `origin`.
    Polar {
        origin: (f64, f64, f64),
        azimuth_deg: f64,
        elevation_deg: f64,
        size_deg: (f64, f64),
        #[serde(default)]
        roll_deg: f64,
    },
}

/// An emissive card shown on the wall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightCard {
    /// Name for reports (optional).
    #[serde(default)]
    pub name: String,
    pub shape: CardShape,
    pub placement: CardPlacement,
    /// Linear RGB colour.
    pub colour: (f32, f32, f32),
    /// Brightness in nits for colour 1.0 on the LEDs, before the cards grade ([`NITS_PER_LINEAR`]
    /// nits = linear 1.0 but on PQ outputs, see the module).
    pub intensity_nits: f64,
    /// Soft edge as a fraction of the card's half size (0: hard edge, up to 1): the card's opacity
    /// falls linearly from 1 at `1 - feather` to 0 at the outline, in the shape's normalised radius
    /// (`max(|x|, |y|)` for a rectangle, `sqrt(x² + y²)` for an ellipse, `x`, `y` in half sizes).
    #[serde(default)]
    pub feather: f64,
    #[serde(default)]
    pub layer: CardLayer,
}

/// A card resolved for a frame: the plane shape and the point it is seen from, stage metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CardFrame {
    pub centre: DVec3,
    /// Unit vector along the card's width.
    pub right: DVec3,
    /// Unit vector along the card's height.
    pub up: DVec3,
    /// Half width and half height, metres.
    pub half: DVec2,
    /// The point the card is projected onto the wall from.
    pub eye: DVec3,
}

impl LightCard {
    /// What is wrong with the card, if anything: the first of [`LightCard::problems`].
    pub fn problem(&self) -> Option<String> {
        self.problems()
            .into_iter()
            .next()
            .map(|(field, message)| format!("{field}: {message}"))
    }

    /// Everything wrong with the card, each with the field it concerns (`placement.size_m`,
    /// `intensity_nits`, ...): non-finite numbers, a size or intensity below zero, a feather
    /// outside 0..1, a polar size not in 0..180 degrees.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let c = self.colour;
        if ![c.0, c.1, c.2].iter().all(|v| v.is_finite()) {
            out.push(("colour", "must be finite".to_string()));
        }
        let mut placement = Vec::new();
        match self.placement {
            CardPlacement::Stage {
                position,
                rotation,
                size_m,
            } => {
                placement.extend([position.0, position.1, position.2]);
                placement.extend(rotation.values());
                if !(size_m.0.is_finite() && size_m.1.is_finite()) {
                    out.push(("placement.size_m", "must be finite".to_string()));
                } else if size_m.0 <= 0.0 || size_m.1 <= 0.0 {
                    out.push((
                        "placement.size_m",
                        format!("must be positive (got {} x {})", size_m.0, size_m.1),
                    ));
                }
            }
            CardPlacement::Polar {
                origin,
                azimuth_deg,
                elevation_deg,
                size_deg,
                roll_deg,
            } => {
                placement.extend([origin.0, origin.1, origin.2, azimuth_deg, elevation_deg]);
                placement.push(roll_deg);
                let inside = |v: f64| v > 0.0 && v < 180.0;
                if !(inside(size_deg.0) && inside(size_deg.1)) {
                    out.push((
                        "placement.size_deg",
                        format!(
                            "must be in 0..180 degrees, exclusive (got {} x {})",
                            size_deg.0, size_deg.1
                        ),
                    ));
                }
            }
        }
        if !placement.iter().all(|v| v.is_finite()) {
            out.push(("placement", "values must be finite".to_string()));
        }
        if !self.intensity_nits.is_finite() {
            out.push(("intensity_nits", "must be finite".to_string()));
        } else if self.intensity_nits < 0.0 {
            out.push((
                "intensity_nits",
                format!("must not be negative (got {})", self.intensity_nits),
            ));
        }
        if !(0.0..=1.0).contains(&self.feather) {
            out.push(("feather", format!("must be in 0..1 (got {})", self.feather)));
        }
        out
    }

    /// The card's plane shape and projection point for a frame whose outer viewpoint is
    /// `outer_viewpoint`.
    pub fn frame(&self, outer_viewpoint: DVec3) -> CardFrame {
        match self.placement {
            CardPlacement::Stage {
                position,
                rotation,
                size_m,
            } => {
                let q: DQuat = rotation.to_quat();
                CardFrame {
                    centre: DVec3::new(position.0, position.1, position.2),
                    right: q * DVec3::X,
                    up: q * DVec3::Y,
                    half: DVec2::new(size_m.0, size_m.1) * 0.5,
                    eye: outer_viewpoint,
                }
            }
            CardPlacement::Polar {
                origin,
                azimuth_deg,
                elevation_deg,
                size_deg,
                roll_deg,
            } => {
                let (a, e) = (azimuth_deg.to_radians(), elevation_deg.to_radians());
                let dir = DVec3::new(a.sin() * e.cos(), e.sin(), -a.cos() * e.cos());
                let right0 = DVec3::new(a.cos(), 0.0, a.sin());
                let up0 = DVec3::new(-a.sin() * e.sin(), e.cos(), a.cos() * e.sin());
                // Counter-clockwise as seen from the origin, looking along `dir`.
                let roll = DQuat::from_axis_angle(-dir, roll_deg.to_radians());
                let eye = DVec3::new(origin.0, origin.1, origin.2);
                CardFrame {
                    centre: eye + dir,
                    right: roll * right0,
                    up: roll * up0,
                    half: DVec2::new(
                        (size_deg.0.to_radians() * 0.5).tan(),
                        (size_deg.1.to_radians() * 0.5).tan(),
                    ),
                    eye,
                }
            }
        }
    }

    /// Linear radiance the card shows: `colour * intensity_nits / NITS_PER_LINEAR`.
    pub fn radiance(&self) -> [f32; 3] {
        let k = (self.intensity_nits / NITS_PER_LINEAR) as f32;
        [self.colour.0 * k, self.colour.1 * k, self.colour.2 * k]
    }
}

impl CardFrame {
    /// The card's opacity (0..1) at the LED pixel centred on `world`, for `shape` and `feather`.
    /// Mirrored by `card_alpha` in `shaders/composite.wgsl`.
    pub fn alpha(&self, world: DVec3, shape: CardShape, feather: f64) -> f64 {
        let d = world - self.eye;
        let n = self.right.cross(self.up);
        let denom = d.dot(n);
        if denom.abs() < 1e-12 {
            return 0.0;
        }
        let t = (self.centre - self.eye).dot(n) / denom;
        if t <= 0.0 {
            return 0.0;
        }
        let h = self.eye + t * d - self.centre;
        let p = DVec2::new(
            h.dot(self.right) / self.half.x,
            h.dot(self.up) / self.half.y,
        );
        let r = match shape {
            CardShape::Rectangle => p.abs().max_element(),
            CardShape::Ellipse => p.length(),
        };
        if feather <= 0.0 {
            f64::from(u8::from(r <= 1.0))
        } else {
            ((1.0 - r) / feather).clamp(0.0, 1.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(placement: CardPlacement, shape: CardShape, feather: f64) -> LightCard {
        LightCard {
            name: "c".into(),
            shape,
            placement,
            colour: (1.0, 0.5, 0.25),
            intensity_nits: 400.0,
            feather,
            layer: CardLayer::Over,
        }
    }

    #[test]
    fn stage_card_projects_from_the_outer_viewpoint() {
        // A 2 x 1 m card at z = -2 facing +Z, seen from the origin; points on a wall at z = -4
        // (twice as far) are inside when within 2 x 1 m of its projected centre.
        let c = card(
            CardPlacement::Stage {
                position: (0.0, 1.0, -2.0),
                rotation: Orientation::default(),
                size_m: (2.0, 1.0),
            },
            CardShape::Rectangle,
            0.0,
        );
        let f = c.frame(DVec3::new(0.0, 1.0, 0.0));
        assert_eq!(f.alpha(DVec3::new(1.99, 1.99, -4.0), c.shape, 0.0), 1.0);
        assert_eq!(f.alpha(DVec3::new(2.01, 1.0, -4.0), c.shape, 0.0), 0.0);
        assert_eq!(f.alpha(DVec3::new(0.0, 2.01, -4.0), c.shape, 0.0), 0.0);
        // Behind the viewpoint: never.
        assert_eq!(f.alpha(DVec3::new(0.0, 1.0, 4.0), c.shape, 0.0), 0.0);
        // Feather 0.5: opacity 1 up to half the half size, 0.5 at three quarters.
        assert!((f.alpha(DVec3::new(1.5, 1.0, -4.0), c.shape, 0.5) - 0.5).abs() < 1e-12);
        assert_eq!(c.radiance(), [4.0, 2.0, 1.0]);
    }

    #[test]
    fn polar_card_spans_its_angles() {
        // 20 x 10 degrees at azimuth 90 (towards +X), elevation 0, ellipse.
        let c = card(
            CardPlacement::Polar {
                origin: (0.0, 1.5, 0.0),
                azimuth_deg: 90.0,
                elevation_deg: 0.0,
                size_deg: (20.0, 10.0),
                roll_deg: 0.0,
            },
            CardShape::Ellipse,
            0.0,
        );
        let f = c.frame(DVec3::ZERO);
        let at = |az: f64, el: f64| {
            let (a, e) = (az.to_radians(), el.to_radians());
            DVec3::new(0.0, 1.5, 0.0)
                + 5.0 * DVec3::new(a.sin() * e.cos(), e.sin(), -a.cos() * e.cos())
        };
        assert_eq!(f.alpha(at(90.0, 0.0), c.shape, 0.0), 1.0);
        assert_eq!(f.alpha(at(99.9, 0.0), c.shape, 0.0), 1.0);
        assert_eq!(f.alpha(at(100.1, 0.0), c.shape, 0.0), 0.0);
        assert_eq!(f.alpha(at(90.0, 4.9), c.shape, 0.0), 1.0);
        assert_eq!(f.alpha(at(90.0, -5.1), c.shape, 0.0), 0.0);
        // Roll 90: width and height swap.
        let mut r = c.clone();
        if let CardPlacement::Polar { roll_deg, .. } = &mut r.placement {
            *roll_deg = 90.0;
        }
        let f = r.frame(DVec3::ZERO);
        assert_eq!(f.alpha(at(90.0, 9.9), c.shape, 0.0), 1.0);
        assert_eq!(f.alpha(at(95.1, 0.0), c.shape, 0.0), 0.0);
    }

    #[test]
    fn problems_are_reported() {
        let mut c = card(
            CardPlacement::Stage {
                position: (0.0, 1.0, -2.0),
                rotation: Orientation::default(),
                size_m: (2.0, 1.0),
            },
            CardShape::Rectangle,
            0.2,
        );
        assert_eq!(c.problem(), None);
        c.feather = 1.5;
        assert!(c.problem().unwrap().contains("feather"));
        c.feather = 0.0;
        c.intensity_nits = f64::NAN;
        assert!(c.problem().unwrap().contains("finite"));
    }

    /// Every problem of a card at once, each with its field; and located in the stage file by
    /// line and column.
    #[test]
    fn every_problem_is_reported_with_its_field_and_place() {
        let mut c = card(
            CardPlacement::Stage {
                position: (0.0, 1.0, -2.0),
                rotation: Orientation::default(),
                size_m: (-2.0, 1.0),
            },
            CardShape::Rectangle,
            1.5,
        );
        c.intensity_nits = -5.0;
        let fields: Vec<&str> = c.problems().iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["placement.size_m", "intensity_nits", "feather"]);
        let text = r#"Stage(name: "cards", frame_rate: 50.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (8, 8))],
  sections: [(name: "W", panel_type: "P", shape: Flat(columns: 2, rows: 1, position: (0.0, 1.5, -3.0)),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 16, height: 8)],
  light_cards: [LightCard(name: "key", shape: Rectangle,
    placement: Stage(position: (0.0, 1.0, -2.0), size_m: (-2.0, 1.0)),
    colour: (1.0, 1.0, 1.0), intensity_nits: -5.0, feather: 1.5)])"#;
        let e = crate::stage::Stage::from_ron(text, "cards.ron")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("3 problems") || e.matches("light card 0 ('key')").count() == 3,
            "{e}"
        );
        // Lines and columns (1-based) of the field names in `text`.
        assert!(
            e.contains("cards.ron:7:50: light card 0 ('key'): placement.size_m must be positive"),
            "{e}"
        );
        assert!(
            e.contains("cards.ron:8:30: light card 0 ('key'): intensity_nits must not be negative"),
            "{e}"
        );
        assert!(
            e.contains("cards.ron:8:52: light card 0 ('key'): feather must be in 0..1"),
            "{e}"
        );
    }
}
