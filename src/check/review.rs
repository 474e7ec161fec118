//! The review image of a failed case (`<case>.<image>.side-by-side.png`): reference, actual and
//! difference at a size a person can read, and the region that differs enlarged.
//!
//! Compared images are small (an output downsampled 16 x is 240 x 135; a 108-cabinet wall is
//! 1,188 x 176) and a fault is often a few of their pixels, so the review image is:
//! - row 1: the three whole images, enlarged by a whole factor (nearest neighbour: every compared
//!   pixel stays a sharp square) until the longer side is at least [`MIN_LONG`] and the shorter at
//!   least [`MIN_SHORT`] pixels (never past [`MAX_LONG`] or [`MAX_SCALE`] x), with the zoomed
//!   region outlined in yellow;
//! - row 2, when the differing pixels are few enough to gain from it: the same three images
//!   cropped to the box around the differing pixels plus [`context`] on each side, enlarged
//!   likewise (shown when that enlarges at least twice as much as row 1).
//!
//! Images much wider than tall (more than 2:1, e.g. the unwrapped wall) are stacked top to bottom
//! in a row, the others placed left to right; panels are separated by [`GAP`] grey pixels.

use image::{Rgba, RgbaImage};

/// The longer side of each panel is enlarged to at least this (pixels).
pub const MIN_LONG: u32 = 512;
/// The shorter side of each panel is enlarged to at least this (pixels), unless that would pass
/// [`MAX_LONG`].
pub const MIN_SHORT: u32 = 128;
/// No panel is enlarged past this on its longer side.
pub const MAX_LONG: u32 = 4096;
/// Largest enlargement.
pub const MAX_SCALE: u32 = 64;
/// Grey pixels between panels and rows.
pub const GAP: u32 = 8;

const BACKGROUND: Rgba<u8> = Rgba([64, 64, 64, 255]);
const OUTLINE: Rgba<u8> = Rgba([255, 220, 0, 255]);

/// The whole-number enlargement for a `w x h` panel (see the module docs), at least 1.
pub fn scale_for(w: u32, h: u32) -> u32 {
    let (long, short) = (w.max(h).max(1), w.min(h).max(1));
    let want = MIN_LONG.div_ceil(long).max(MIN_SHORT.div_ceil(short));
    want.min(MAX_SCALE).min(MAX_LONG / long).max(1)
}

/// Pixels of context around a differing box `w x h`: a quarter of its larger side, at least 4.
pub fn context(w: u32, h: u32) -> u32 {
    (w.max(h) / 4).max(4)
}

/// A box of pixels: `x0..x1`, `y0..y1` (ends exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Region {
    fn width(&self) -> u32 {
        self.x1 - self.x0
    }
    fn height(&self) -> u32 {
        self.y1 - self.y0
    }
}

/// The box around the pixels a difference image (from [`crate::compare::compare`]) marks red
/// (over the channel threshold), or else around every pixel that differs at all; `None` when none
/// does.
pub fn differing_region(diff: &RgbaImage) -> Option<Region> {
    let bbox = |keep: &dyn Fn(&Rgba<u8>) -> bool| {
        let mut r: Option<Region> = None;
        for (x, y, p) in diff.enumerate_pixels() {
            if keep(p) {
                let b = r.get_or_insert(Region {
                    x0: x,
                    y0: y,
                    x1: x + 1,
                    y1: y + 1,
                });
                b.x0 = b.x0.min(x);
                b.y0 = b.y0.min(y);
                b.x1 = b.x1.max(x + 1);
                b.y1 = b.y1.max(y + 1);
            }
        }
        r
    };
    bbox(&|p| p.0 == [255, 0, 0, 255]).or_else(|| bbox(&|p| p[0] > 0 || p[1] > 0 || p[2] > 0))
}

fn enlarge(img: &RgbaImage, k: u32) -> RgbaImage {
    image::imageops::resize(
        img,
        img.width() * k,
        img.height() * k,
        image::imageops::FilterType::Nearest,
    )
}

/// Panels placed in a row (left to right) or, for wide panels, a column; `None` for no panels.
fn strip(panels: &[RgbaImage]) -> RgbaImage {
    let (w, h) = panels.first().map_or((1, 1), |p| p.dimensions());
    let stacked = w > 2 * h;
    let n = panels.len() as u32;
    let (sw, sh) = if stacked {
        (w, h * n + GAP * (n - 1))
    } else {
        (w * n + GAP * (n - 1), h)
    };
    let mut out = RgbaImage::from_pixel(sw, sh, BACKGROUND);
    for (k, p) in panels.iter().enumerate() {
        let k = k as u32;
        let (x, y) = if stacked {
            (0, k * (h + GAP))
        } else {
            (k * (w + GAP), 0)
        };
        image::imageops::replace(&mut out, p, x as i64, y as i64);
    }
    out
}

/// Draws the outline of `r` (in the image's pixels) `t` pixels thick.
fn outline(img: &mut RgbaImage, r: Region, t: u32) {
    let (w, h) = img.dimensions();
    for y in r.y0..r.y1.min(h) {
        for x in r.x0..r.x1.min(w) {
            let edge = x < r.x0 + t || x + t >= r.x1 || y < r.y0 + t || y + t >= r.y1;
            if edge {
                img.put_pixel(x, y, OUTLINE);
            }
        }
    }
}

/// The review image of a failure: reference, actual and difference (alpha made opaque) enlarged,
/// then the region that differs enlarged further (see the module docs). `expected`, `actual` and
/// `diff` have the same size.
pub fn review_image(expected: &RgbaImage, actual: &RgbaImage, diff: &RgbaImage) -> RgbaImage {
    let opaque = |i: &RgbaImage| {
        let mut i = i.clone();
        i.pixels_mut().for_each(|p| p[3] = 255);
        i
    };
    let images = [opaque(expected), opaque(actual), opaque(diff)];
    let (w, h) = expected.dimensions();
    let zoom = differing_region(diff).map(|r| {
        let c = context(r.width(), r.height());
        Region {
            x0: r.x0.saturating_sub(c),
            y0: r.y0.saturating_sub(c),
            x1: (r.x1 + c).min(w),
            y1: (r.y1 + c).min(h),
        }
    });
    let k = scale_for(w, h);
    // Zoomed only when that enlarges at least twice as much as the whole images are.
    let zoom = zoom.filter(|z| scale_for(z.width(), z.height()) >= 2 * k);
    let whole: Vec<RgbaImage> = images
        .iter()
        .map(|i| {
            let mut e = enlarge(i, k);
            if let Some(z) = zoom {
                let scaled = Region {
                    x0: z.x0 * k,
                    y0: z.y0 * k,
                    x1: z.x1 * k,
                    y1: z.y1 * k,
                };
                outline(&mut e, scaled, 2);
            }
            e
        })
        .collect();
    let top = strip(&whole);
    let Some(z) = zoom else {
        return top;
    };
    let kz = scale_for(z.width(), z.height());
    let crops: Vec<RgbaImage> = images
        .iter()
        .map(|i| {
            enlarge(
                &image::imageops::crop_imm(i, z.x0, z.y0, z.width(), z.height()).to_image(),
                kz,
            )
        })
        .collect();
    let bottom = strip(&crops);
    let mut out = RgbaImage::from_pixel(
        top.width().max(bottom.width()),
        top.height() + GAP + bottom.height(),
        BACKGROUND,
    );
    image::imageops::replace(&mut out, &top, 0, 0);
    image::imageops::replace(&mut out, &bottom, 0, (top.height() + GAP) as i64);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| {
            Rgba([(x % 7 * 30) as u8, (y % 5 * 40) as u8, 90, 255])
        })
    }

    /// A difference image as `compare` makes it: red where `a` and `b` differ by more than 8.
    fn diff(a: &RgbaImage, b: &RgbaImage) -> RgbaImage {
        crate::compare::compare(
            a,
            b,
            &crate::compare::Tolerance {
                channel: 8,
                ..Default::default()
            },
        )
        .unwrap()
        .diff
    }

    #[test]
    fn a_small_image_is_enlarged_to_the_minimum() {
        // 24 x 16 (16:9-ish, not wide): 512 / 24 -> 22, 128 / 16 -> 8: x22, panels 528 x 352
        // side by side. One pixel differs at (10, 8): the box 6..15, 4..13 (context 4) is
        // enlarged by 512 / 9 -> 57, panels 513 x 513.
        let a = flat(24, 16);
        let mut b = a.clone();
        b.put_pixel(10, 8, Rgba([255, 255, 255, 255]));
        let d = diff(&a, &b);
        assert_eq!(
            differing_region(&d),
            Some(Region {
                x0: 10,
                y0: 8,
                x1: 11,
                y1: 9
            })
        );
        let r = review_image(&a, &b, &d);
        let top = (3 * 528 + 2 * GAP, 352);
        let bottom = (3 * 513 + 2 * GAP, 513);
        assert_eq!(
            r.dimensions(),
            (top.0.max(bottom.0), top.1 + GAP + bottom.1)
        );
        // Each panel meets the minimum sizes.
        assert!(24 * scale_for(24, 16) >= MIN_LONG && 16 * scale_for(24, 16) >= MIN_SHORT);
        // The changed pixel, enlarged in the zoomed actual panel: its centre is white.
        let (zx, zy) = (
            513 + GAP + (10 - 6) * 57 + 28,
            top.1 + GAP + (8 - 4) * 57 + 28,
        );
        assert_eq!(r.get_pixel(zx, zy).0, [255, 255, 255, 255]);
        // And the zoomed region is outlined in the whole reference panel.
        assert_eq!(r.get_pixel(6 * 22, 4 * 22), &OUTLINE);
    }

    #[test]
    fn a_wide_wall_is_stacked_and_its_fault_zoomed() {
        // The unwrapped wall of 108 cabinets of 176 px, downsampled 16 x: 1,188 x 176. Wide
        // (more than 2:1): the three panels stacked, at 1 x (1,188 >= 512, 176 >= 128). A 4 x 4
        // block differs at (600, 80): zoomed box 596..608, 76..88 (12 x 12), x43 -> 516 x 516,
        // placed side by side: 3 x 516 + 2 x 8 = 1,564 wide.
        let a = flat(1188, 176);
        let mut b = a.clone();
        for y in 80..84 {
            for x in 600..604 {
                b.put_pixel(x, y, Rgba([255, 0, 255, 255]));
            }
        }
        let r = review_image(&a, &b, &diff(&a, &b));
        assert_eq!(scale_for(1188, 176), 1);
        let top = (1188, 3 * 176 + 2 * GAP);
        let bottom = (3 * 516 + 2 * GAP, 516);
        assert_eq!(bottom.0, 1564);
        assert_eq!(r.dimensions(), (1564, top.1 + GAP + bottom.1));
        // The actual panel (second in the stack) shows the block where it is.
        assert_eq!(r.get_pixel(601, 176 + GAP + 81).0, [255, 0, 255, 255]);
    }

    #[test]
    fn no_zoom_when_the_whole_image_differs_and_large_images_are_not_enlarged() {
        let a = flat(10, 4);
        let b = RgbaImage::from_pixel(10, 4, Rgba([255, 255, 255, 255]));
        let r = review_image(&a, &b, &diff(&a, &b));
        // 10 x 4: 512 / 10 -> 52 (128 / 4 = 32), panels 520 x 208: wide, stacked.
        assert_eq!(r.dimensions(), (520, 3 * 208 + 2 * GAP));
        assert_eq!(scale_for(4, 4), MAX_SCALE, "512 / 4 = 128, capped");
        assert_eq!(scale_for(3840, 2160), 1);
        assert_eq!(scale_for(5000, 2), 1, "never past MAX_LONG");
    }
}
