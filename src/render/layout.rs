//! The unwrapped wall (`wall.png`): every section's cabinets laid out by column and row as seen from
//! the front, sections side by side, one image pixel per LED pixel. A virtual output drawn by the same
//! composite pipeline as the real outputs.

use glam::{IVec2, UVec2};

use crate::stage::Stage;

/// Gap in pixels between sections in the unwrapped view.
pub const SECTION_GAP: u32 = 16;

/// Where each panel lands in the unwrapped wall, and the wall image's size.
#[derive(Clone, Debug, PartialEq)]
pub struct WallLayout {
    /// Image size in pixels.
    pub size: UVec2,
    /// Output pixel of LED pixel (0, 0) of each panel, in `Stage::panels` order (unrotated).
    pub origins: Vec<IVec2>,
}

/// Lays the sections out left to right, wrapping to a new band when a band would exceed `max_width`.
pub fn wall_layout(stage: &Stage, max_width: u32) -> WallLayout {
    let mut origins = vec![IVec2::ZERO; stage.panels.len()];
    let (mut x, mut y, mut band_h, mut width) = (0u32, 0u32, 0u32, 0u32);
    for section in &stage.sections {
        let panels = &stage.panels[section.panels.clone()];
        let Some(first) = panels.first() else {
            continue;
        };
        let px = first.pixels;
        let cols = panels.iter().map(|p| p.col).max().unwrap_or(0) + 1;
        let rows = panels.iter().map(|p| p.row).max().unwrap_or(0) + 1;
        let (w, h) = (cols * px.x, rows * px.y);
        if x > 0 && x + w > max_width {
            x = 0;
            y += band_h + SECTION_GAP;
            band_h = 0;
        }
        for (k, p) in panels.iter().enumerate() {
            origins[section.panels.start + k] =
                IVec2::new((x + p.col * px.x) as i32, (y + p.row * px.y) as i32);
        }
        width = width.max(x + w);
        band_h = band_h.max(h);
        x += w + SECTION_GAP;
    }
    WallLayout {
        size: UVec2::new(width.max(1), (y + band_h).max(1)),
        origins,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_wall_sits_side_by_side_without_overlap() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let stage = crate::stage::load(std::path::Path::new(path)).unwrap();
        let l = wall_layout(&stage, 16384);
        // 6 x 2 cabinets of 16 px, a gap, then 2 x 2.
        assert_eq!(l.size, UVec2::new(96 + SECTION_GAP + 32, 32));
        let mut seen = std::collections::HashSet::new();
        for (p, o) in stage.panels.iter().zip(&l.origins) {
            for j in 0..p.pixels.y as i32 {
                for i in 0..p.pixels.x as i32 {
                    assert!(seen.insert((o.x + i, o.y + j)));
                }
            }
        }
    }
}
