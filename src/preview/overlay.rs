//! The status band at the bottom of the window: a few lines of text drawn with the project's own
//! 8 x 8 font (`crate::draw`) into an image that the window shows over a dark strip.

use image::{Rgba, RgbaImage};

use crate::draw;

/// Lines of status text.
pub const LINES: u32 = 5;

/// Font scale for a window `width` pixels wide (bigger windows get bigger text).
pub fn scale(width: u32) -> u32 {
    if width >= 1600 { 2 } else { 1 }
}

/// Height in pixels of the status band of a window `width` pixels wide.
pub fn band_height(width: u32) -> u32 {
    LINES * 10 * scale(width) + 4
}

/// Draws the status band: `lines` of text (cut to the width) on a dark background.
pub fn status_image(width: u32, lines: &[String]) -> RgbaImage {
    let s = scale(width);
    let h = band_height(width);
    let mut img = RgbaImage::from_pixel(width.max(1), h, Rgba([20, 20, 24, 235]));
    let max_chars = (width / (8 * s)).saturating_sub(1) as usize;
    for (k, line) in lines.iter().take(LINES as usize).enumerate() {
        let text: String = line
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .take(max_chars)
            .collect();
        let colour = if k == 0 {
            Rgba([255, 255, 255, 255])
        } else {
            Rgba([190, 200, 210, 255])
        };
        draw::text(
            &mut img,
            (4 * s) as i64,
            (2 + k as u32 * 10 * s + s) as i64,
            s,
            &text,
            colour,
        );
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_drawn_and_cut_to_the_width() {
        let img = status_image(64, &["WWWWWWWWWWWWWWWWWWWW".into()]);
        assert_eq!(img.height(), band_height(64));
        let ink = img.pixels().filter(|p| p[0] == 255).count();
        assert!(ink > 0);
        // Nothing drawn in the last glyph cell (cut to 7 characters in 64 pixels).
        assert!((60..64).all(|x| (0..img.height()).all(|y| img.get_pixel(x, y)[0] != 255)));
    }
}
