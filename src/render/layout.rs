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

/// One tile of the unwrapped wall: the wall image's pixels `origin .. origin + size`, rendered into
/// a texture of its own when the wall is larger than the adapter's texture limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WallTile {
    /// Top-left pixel in the wall image.
    pub origin: UVec2,
    /// Size in pixels (at most the limit each way).
    pub size: UVec2,
}

/// The wall image of `size` cut into a grid of tiles of at most `max` x `max` pixels, row by row
/// (one tile when it fits). `max` of 0 is taken as 1.
pub fn wall_tiles(size: UVec2, max: u32) -> Vec<WallTile> {
    let max = max.max(1);
    let mut tiles = Vec::new();
    for y in (0..size.y.max(1)).step_by(max as usize) {
        for x in (0..size.x.max(1)).step_by(max as usize) {
            tiles.push(WallTile {
                origin: UVec2::new(x, y),
                size: UVec2::new(max.min(size.x.max(1) - x), max.min(size.y.max(1) - y)),
            });
        }
    }
    tiles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_wall_once_within_the_limit() {
        // 108 cabinets of 176 px: 19,008 x 2,816 with a 16,384 limit -> two tiles side by side.
        let t = wall_tiles(UVec2::new(19_008, 2_816), 16_384);
        assert_eq!(
            t,
            vec![
                WallTile {
                    origin: UVec2::ZERO,
                    size: UVec2::new(16_384, 2_816)
                },
                WallTile {
                    origin: UVec2::new(16_384, 0),
                    size: UVec2::new(2_624, 2_816)
                },
            ]
        );
        for (size, max) in [
            (UVec2::new(100, 37), 16),
            (UVec2::new(5, 5), 5),
            (UVec2::new(1, 90), 7),
        ] {
            let mut seen = vec![0u8; (size.x * size.y) as usize];
            for tile in wall_tiles(size, max) {
                assert!(tile.size.x <= max && tile.size.y <= max && tile.size.min_element() > 0);
                for y in tile.origin.y..tile.origin.y + tile.size.y {
                    for x in tile.origin.x..tile.origin.x + tile.size.x {
                        seen[(y * size.x + x) as usize] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "{size} / {max}");
        }
    }

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
