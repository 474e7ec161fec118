//! Small raster drawing helpers shared by the test patterns ([`crate::pattern`]) and the map
//! diagrams ([`crate::diagram`]): filled and outlined rectangles, 8x8 bitmap text scaled by an
//! integer factor, axis-aligned arrows and thick straight lines. Everything clips to the image; nothing panics on
//! coordinates outside it.

use glam::IVec2;
use image::{Rgba, RgbaImage};

/// Width and height in pixels of one glyph of the built-in font at scale 1.
pub const GLYPH: u32 = 8;

/// An opaque RGBA colour.
pub const fn rgb(r: u8, g: u8, b: u8) -> Rgba<u8> {
    Rgba([r, g, b, 255])
}

/// Sets one pixel if it is inside the image.
#[inline]
pub fn put(img: &mut RgbaImage, x: i64, y: i64, c: Rgba<u8>) {
    if x >= 0 && y >= 0 && x < img.width() as i64 && y < img.height() as i64 {
        img.put_pixel(x as u32, y as u32, c);
    }
}

/// Fills the rectangle `x0..x0+w` by `y0..y0+h`, clipped to the image.
pub fn fill_rect(img: &mut RgbaImage, x0: i64, y0: i64, w: i64, h: i64, c: Rgba<u8>) {
    let xa = x0.max(0);
    let ya = y0.max(0);
    let xb = (x0 + w).min(img.width() as i64);
    let yb = (y0 + h).min(img.height() as i64);
    for y in ya..yb {
        for x in xa..xb {
            img.put_pixel(x as u32, y as u32, c);
        }
    }
}

/// Draws the outline of the rectangle `x0..x0+w` by `y0..y0+h`, `t` pixels thick, inside it.
pub fn outline_rect(img: &mut RgbaImage, x0: i64, y0: i64, w: i64, h: i64, t: i64, c: Rgba<u8>) {
    let t = t.max(1).min(w.max(0)).min(h.max(0));
    fill_rect(img, x0, y0, w, t, c);
    fill_rect(img, x0, y0 + h - t, w, t, c);
    fill_rect(img, x0, y0, t, h, c);
    fill_rect(img, x0 + w - t, y0, t, h, c);
}

/// The 8x8 bitmap of an ASCII character (`?` for anything else). Bit `x` of row `y` is the pixel
/// at column `x` (0 = left).
pub fn glyph(ch: char) -> [u8; 8] {
    let code = if ch.is_ascii() {
        ch as usize
    } else {
        '?' as usize
    };
    font8x8::legacy::BASIC_LEGACY[code]
}

/// Size in pixels of `text` drawn at integer `scale` on one line.
pub fn text_size(text: &str, scale: u32) -> (u32, u32) {
    let n = text.chars().count() as u32;
    (n * GLYPH * scale, GLYPH * scale)
}

/// Whether pixel `(x, y)` of `text` drawn at `scale` (top-left at 0, 0) is ink.
pub fn text_ink(text: &str, scale: u32, x: u32, y: u32) -> bool {
    if scale == 0 {
        return false;
    }
    let (gx, gy) = (x / scale, y / scale);
    if gy >= GLYPH {
        return false;
    }
    match text.chars().nth((gx / GLYPH) as usize) {
        Some(ch) => glyph(ch)[gy as usize] >> (gx % GLYPH) & 1 == 1,
        None => false,
    }
}

/// Draws `text` with its top-left corner at `(x0, y0)`, each font pixel a `scale` x `scale` block.
pub fn text(img: &mut RgbaImage, x0: i64, y0: i64, scale: u32, text: &str, c: Rgba<u8>) {
    let s = scale as i64;
    for (k, ch) in text.chars().enumerate() {
        let g = glyph(ch);
        let gx0 = x0 + k as i64 * GLYPH as i64 * s;
        for (row, bits) in g.iter().enumerate() {
            for col in 0..GLYPH as i64 {
                if bits >> col & 1 == 1 {
                    fill_rect(img, gx0 + col * s, y0 + row as i64 * s, s, s, c);
                }
            }
        }
    }
}

/// The largest integer scale at which `text` fits in `max_w` x `max_h` pixels (0 if it does not
/// fit even at scale 1).
pub fn fit_scale(text: &str, max_w: u32, max_h: u32) -> u32 {
    let (w, h) = text_size(text, 1);
    if w == 0 || h == 0 {
        return 0;
    }
    (max_w / w).min(max_h / h)
}

/// Draws `text` centred on `(cx, cy)` at `scale`, with a one-scale-pixel `shadow` offset down-right
/// if given (for legibility on any background).
pub fn text_centred(
    img: &mut RgbaImage,
    cx: i64,
    cy: i64,
    scale: u32,
    s: &str,
    c: Rgba<u8>,
    shadow: Option<Rgba<u8>>,
) {
    let (w, h) = text_size(s, scale);
    let (x0, y0) = (cx - w as i64 / 2, cy - h as i64 / 2);
    if let Some(sh) = shadow {
        let d = (scale as i64 / 2).max(1);
        text(img, x0 + d, y0 + d, scale, s, sh);
    }
    text(img, x0, y0, scale, s, c);
}

/// Draws an arrow along an axis: from `tail` to `tip` (which must differ along exactly one axis;
/// otherwise nothing is drawn). The head is `head_len` long and `2 * head_half + 1` wide at its
/// base; the shaft is `2 * shaft_half + 1` wide.
pub fn arrow(
    img: &mut RgbaImage,
    tail: IVec2,
    tip: IVec2,
    head_len: i32,
    head_half: i32,
    shaft_half: i32,
    c: Rgba<u8>,
) {
    let d = tip - tail;
    if (d.x != 0) == (d.y != 0) {
        return;
    }
    let len = d.x.abs() + d.y.abs();
    let dir = d / len;
    let perp = IVec2::new(-dir.y, dir.x);
    let head_len = head_len.clamp(1, len + 1);
    for t in 0..=len {
        // Distance back from the tip.
        let back = len - t;
        let half = if back < head_len {
            // Widens linearly from the tip to `head_half` at the head's base.
            (head_half * back) / (head_len - 1).max(1)
        } else {
            shaft_half
        };
        let p = tail + dir * t;
        for s in -half..=half {
            let q = p + perp * s;
            put(img, q.x as i64, q.y as i64, c);
        }
    }
}

/// Draws a straight line from `a` to `b` (both ends included), each of its pixels a square of
/// `2 * half + 1` pixels centred on it (Bresenham's line), clipped to the image.
pub fn line(img: &mut RgbaImage, a: IVec2, b: IVec2, half: i32, c: Rgba<u8>) {
    let (dx, dy) = ((b.x - a.x).abs(), -(b.y - a.y).abs());
    let (sx, sy) = (
        if a.x < b.x { 1 } else { -1 },
        if a.y < b.y { 1 } else { -1 },
    );
    let (mut x, mut y, mut err) = (a.x, a.y, dx + dy);
    let side = 2 * half as i64 + 1;
    loop {
        fill_rect(img, (x - half) as i64, (y - half) as i64, side, side, c);
        if x == b.x && y == b.y {
            break;
        }
        let e2 = 2 * err;
        if e2 >= dy {
            err += dy;
            x += sx;
        }
        if e2 <= dx {
            err += dx;
            y += sy;
        }
    }
}

/// A colour for index `k` that differs clearly from those of `k - 1` and `k + 1`: hues follow the
/// golden-ratio sequence, saturation and value alternate between two levels. No channel ever
/// reaches 0 or 255, so the colour never equals pure red, green, blue, black or white.
pub fn index_colour(k: usize) -> Rgba<u8> {
    const GOLDEN: f64 = 0.618_033_988_749_895;
    let h = (k as f64 * GOLDEN).fract();
    let (s, v) = if k.is_multiple_of(2) {
        (0.55, 0.85)
    } else {
        (0.75, 0.7)
    };
    let [r, g, b] = hsv(h, s, v);
    let q = |x: f64| (x * 255.0).round().clamp(16.0, 239.0) as u8;
    rgb(q(r), q(g), q(b))
}

/// Scales an opaque colour's channels by `f` in 0..=1 (for darker variants).
pub fn shade(c: Rgba<u8>, f: f32) -> Rgba<u8> {
    let m = |x: u8| (x as f32 * f).round().clamp(0.0, 255.0) as u8;
    rgb(m(c[0]), m(c[1]), m(c[2]))
}

fn hsv(h: f64, s: f64, v: f64) -> [f64; 3] {
    let h6 = h * 6.0;
    let i = h6.floor();
    let f = h6 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    match i as i32 % 6 {
        0 => [v, t, p],
        1 => [q, v, p],
        2 => [p, v, t],
        3 => [p, q, v],
        4 => [t, p, v],
        _ => [v, p, q],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ink_matches_drawn_text() {
        let mut img = RgbaImage::new(40, 20);
        text(&mut img, 0, 0, 2, "A-1", rgb(255, 255, 255));
        for y in 0..20 {
            for x in 0..40 {
                let ink = img.get_pixel(x, y)[0] == 255;
                assert_eq!(ink, text_ink("A-1", 2, x, y), "({x}, {y})");
            }
        }
    }

    #[test]
    fn arrow_points_to_its_tip_and_clips() {
        let mut img = RgbaImage::new(11, 11);
        let c = rgb(1, 2, 3);
        arrow(&mut img, IVec2::new(5, 10), IVec2::new(5, 0), 4, 3, 1, c);
        // The tip is a single pixel; the head's base is wider than the shaft.
        assert_eq!(*img.get_pixel(5, 0), c);
        assert_ne!(*img.get_pixel(4, 0), c);
        assert_eq!(*img.get_pixel(2, 3), c);
        assert_ne!(*img.get_pixel(2, 4), c);
        assert_ne!(*img.get_pixel(3, 8), c);
        assert_eq!(*img.get_pixel(4, 8), c);
        // Far outside: no panic.
        arrow(&mut img, IVec2::new(-50, 3), IVec2::new(50, 3), 5, 2, 0, c);
    }

    #[test]
    fn neighbouring_index_colours_differ_and_avoid_pure_colours() {
        for k in 0..2000 {
            let (a, b) = (index_colour(k), index_colour(k + 1));
            let d: i32 = (0..3).map(|c| (a[c] as i32 - b[c] as i32).abs()).sum();
            assert!(d > 40, "{k}: {a:?} vs {b:?}");
            assert!(a.0[..3].iter().all(|&x| x > 0 && x < 255));
        }
    }
}
