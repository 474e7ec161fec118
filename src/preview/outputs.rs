//! The Outputs view: the output rasters as the processors receive them, laid out in the window,
//! with an optional overlay of cabinet outlines and ids. Pure layout and drawing, no GPU.

use glam::UVec2;
use image::{Rgba, RgbaImage};

use super::gpu::PixelRect;
use crate::draw;
use crate::stage::Stage;

/// Height in window pixels of the band above each row of rasters that holds their name labels
/// ([`label_image`] at scale 1 is 10 pixels high), so that labels never cover a raster.
pub const LABEL_BAND: f32 = 12.0;

/// Lays out rasters of `sizes` in `area`: a grid (the column count that shows them largest),
/// all at one scale, which is a whole number whenever they fit at 1:1 or more (so LED pixels stay
/// square and sharp), centred, each row below a [`LABEL_BAND`] for the rasters' name labels.
pub fn layout(area: PixelRect, sizes: &[UVec2]) -> Vec<PixelRect> {
    let n = sizes.len();
    if n == 0 || area.w <= 0.0 || area.h <= 0.0 {
        return Vec::new();
    }
    let gap = 4.0f32;
    let mut best = (0.0f32, 1usize, 0.0f32, 0.0f32);
    for cols in 1..=n {
        let rows = n.div_ceil(cols);
        let col_w: Vec<f32> = (0..cols)
            .map(|c| {
                (c..n)
                    .step_by(cols)
                    .map(|k| sizes[k].x as f32)
                    .fold(0.0, f32::max)
            })
            .collect();
        let row_h: Vec<f32> = (0..rows)
            .map(|r| {
                sizes[r * cols..((r + 1) * cols).min(n)]
                    .iter()
                    .map(|s| s.y as f32)
                    .fold(0.0, f32::max)
            })
            .collect();
        let (tw, th) = (col_w.iter().sum::<f32>(), row_h.iter().sum::<f32>());
        let avail_w = area.w - gap * (cols - 1) as f32;
        let avail_h = area.h - gap * (rows - 1) as f32 - LABEL_BAND * rows as f32;
        if tw <= 0.0 || th <= 0.0 || avail_w <= 0.0 || avail_h <= 0.0 {
            continue;
        }
        let mut s = (avail_w / tw).min(avail_h / th);
        if s >= 1.0 {
            s = s.floor();
        }
        if s > best.0 {
            best = (
                s,
                cols,
                tw * s + gap * (cols - 1) as f32,
                th * s + gap * (rows - 1) as f32 + LABEL_BAND * rows as f32,
            );
        }
    }
    let (s, cols, w, h) = best;
    if s <= 0.0 {
        return Vec::new();
    }
    let x0 = (area.x + (area.w - w) * 0.5).floor();
    let y0 = (area.y + (area.h - h) * 0.5).floor();
    let mut rects = Vec::with_capacity(n);
    let mut y = y0;
    for r in 0..n.div_ceil(cols) {
        let row = r * cols..((r + 1) * cols).min(n);
        y += LABEL_BAND;
        let mut x = x0;
        for k in row.clone() {
            rects.push(PixelRect {
                x,
                y,
                w: sizes[k].x as f32 * s,
                h: sizes[k].y as f32 * s,
            });
            let col_w = (k % cols..n)
                .step_by(cols)
                .map(|i| sizes[i].x as f32)
                .fold(0.0, f32::max);
            x += col_w * s + gap;
        }
        let row_h = sizes[row].iter().map(|s| s.y as f32).fold(0.0, f32::max);
        y += row_h * s + gap;
    }
    rects
}

/// The overlay of output `output` drawn at `size` (the size the output is shown at in the
/// window, so that ids stay legible on small cabinets): transparent, with each cabinet's outline,
/// its id (where it fits) and a square on its top-left LED.
pub fn overlay_image(stage: &Stage, output: usize, size: UVec2) -> RgbaImage {
    let size = size.max(UVec2::ONE);
    let mut img = RgbaImage::new(size.x, size.y);
    let Some(o) = stage.outputs.get(output) else {
        return img;
    };
    let sx = size.x as f64 / o.width.max(1) as f64;
    let sy = size.y as f64 / o.height.max(1) as f64;
    let white = Rgba([255, 255, 255, 255]);
    for k in stage.panels_in_output(output) {
        let p = &stage.panels[k];
        let r = p.output_rect();
        let x0 = (r.x0 as f64 * sx).round() as i64;
        let y0 = (r.y0 as f64 * sy).round() as i64;
        let rw = (r.x1 as f64 * sx).round() as i64 - x0;
        let rh = (r.y1 as f64 * sy).round() as i64 - y0;
        draw::outline_rect(&mut img, x0, y0, rw, rh, 1, white);
        // The top-left LED's corner.
        let pl = &p.placement;
        let m = (rw.min(rh) / 8).max(2);
        let led = glam::DVec2::new(pl.origin.x as f64 * sx, pl.origin.y as f64 * sy);
        let fx = if pl.step_col.x + pl.step_row.x < 0 {
            led.x + sx - m as f64
        } else {
            led.x
        };
        let fy = if pl.step_col.y + pl.step_row.y < 0 {
            led.y + sy - m as f64
        } else {
            led.y
        };
        draw::fill_rect(
            &mut img,
            fx as i64,
            fy as i64,
            m,
            m,
            Rgba([255, 220, 0, 255]),
        );
        let scale = draw::fit_scale(&p.id, (rw as u32).saturating_sub(4), (rh as u32) / 3);
        if scale > 0 {
            draw::text_centred(
                &mut img,
                x0 + rw / 2,
                y0 + rh / 2,
                scale,
                &p.id,
                white,
                Some(Rgba([0, 0, 0, 255])),
            );
        }
    }
    img
}

/// The name label of output `output` in the Outputs view: its name and raster size (and its
/// sub-frame count when remapped), e.g. `wall-1  3840 x 2160`, in white at `scale` on an opaque dark
/// band, at most `max_width` pixels wide (the text cut to fit). `None` for an unknown output.
pub fn label_image(stage: &Stage, output: usize, scale: u32, max_width: u32) -> Option<RgbaImage> {
    let o = stage.outputs.get(output)?;
    let mut text = format!("{}  {} x {}", o.name, o.width, o.height);
    if let Some(r) = &o.remap {
        text += &format!("  {} sub-frames", r.subframes.len());
    }
    let scale = scale.max(1);
    let (glyph_w, h) = draw::text_size("M", scale);
    let pad = scale as i64;
    let fits = ((max_width as i64 - 2 * pad) / glyph_w.max(1) as i64).max(0) as usize;
    let text: String = text.chars().take(fits).collect();
    let (w, _) = draw::text_size(&text, scale);
    let mut img = RgbaImage::from_pixel(
        (w as i64 + 2 * pad).max(1) as u32,
        h + 2 * scale,
        Rgba([0, 0, 0, 200]),
    );
    draw::text(&mut img, pad, pad, scale, &text, Rgba([255, 255, 255, 255]));
    Some(img)
}

/// The cabinet shown at window pixel `(px, py)` of the Outputs view: (output, panel index,
/// output pixel).
pub fn pick(
    stage: &Stage,
    rects: &[PixelRect],
    px: f64,
    py: f64,
) -> Option<(usize, usize, (i64, i64))> {
    let (k, r) = rects.iter().enumerate().find(|(_, r)| r.contains(px, py))?;
    let o = stage.outputs.get(k)?;
    let x = ((px - r.x as f64) / r.w as f64 * o.width as f64).floor() as i64;
    let y = ((py - r.y as f64) / r.h as f64 * o.height as f64).floor() as i64;
    stage.panels_in_output(k).find_map(|i| {
        let rr = stage.panels[i].output_rect();
        (x >= rr.x0 && x < rr.x1 && y >= rr.y0 && y < rr.y1).then_some((k, i, (x, y)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(w: f32, h: f32) -> PixelRect {
        PixelRect {
            x: 0.0,
            y: 0.0,
            w,
            h,
        }
    }

    #[test]
    fn one_output_gets_a_whole_scale_and_is_centred() {
        let r = layout(area(320.0, 200.0), &[UVec2::new(128, 64)]);
        assert_eq!(
            r,
            vec![PixelRect {
                x: 32.0,
                y: 42.0,
                w: 256.0,
                h: 128.0
            }]
        );
        // 188 px of height left under the label band: scale 2 (2.94 would not be whole), the
        // band and the raster (12 + 128 px) centred in 200 px from y = 30.
    }

    #[test]
    fn rasters_never_overlap_and_stay_inside() {
        let sizes = [
            UVec2::new(3840, 2160),
            UVec2::new(1920, 1080),
            UVec2::new(640, 2000),
        ];
        let a = area(1280.0, 700.0);
        let r = layout(a, &sizes);
        assert_eq!(r.len(), 3);
        for (i, x) in r.iter().enumerate() {
            assert!(x.x >= 0.0 && x.y >= 0.0 && x.x + x.w <= a.w + 0.01 && x.y + x.h <= a.h + 0.01);
            // Its label band above it lies inside the area and covers no raster.
            let band = PixelRect {
                x: x.x,
                y: x.y - LABEL_BAND,
                w: x.w,
                h: LABEL_BAND,
            };
            assert!(band.y >= 0.0, "{band:?}");
            for y in &r {
                let overlap = band.x < y.x + y.w
                    && y.x < band.x + band.w
                    && band.y < y.y + y.h
                    && y.y < band.y + band.h;
                assert!(!overlap, "label band {band:?} over {y:?}");
            }
            for y in &r[i + 1..] {
                let overlap =
                    x.x < y.x + y.w && y.x < x.x + x.w && x.y < y.y + y.h && y.y < x.y + x.h;
                assert!(!overlap, "{x:?} {y:?}");
            }
        }
        // One scale for all.
        assert!((r[0].w / 3840.0 - r[1].w / 1920.0).abs() < 1e-6);
    }

    #[test]
    fn labels_name_each_output_and_fit_their_raster() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/demo.ron");
        let stage = crate::stage::load(&path).unwrap();
        for (k, o) in stage.outputs.iter().enumerate() {
            let full = format!("{}  {} x {}", o.name, o.width, o.height);
            let img = label_image(&stage, k, 2, 10_000).unwrap();
            // One glyph cell per character plus the padding, at scale 2.
            let (w, h) = draw::text_size(&full, 2);
            assert_eq!((img.width(), img.height()), (w + 4, h + 4), "{full}");
            // Some text pixels are white, the band is dark.
            assert!(img.pixels().any(|p| p.0 == [255, 255, 255, 255]));
            assert_eq!(img.get_pixel(0, 0).0, [0, 0, 0, 200]);
            // Cut to a narrow raster.
            let narrow = label_image(&stage, k, 2, 60).unwrap();
            assert!(narrow.width() <= 60, "{}", narrow.width());
        }
        assert!(label_image(&stage, 99, 2, 100).is_none());
    }

    #[test]
    fn picking_finds_the_cabinet_under_the_pointer() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let stage = crate::stage::load(std::path::Path::new(path)).unwrap();
        let sizes: Vec<UVec2> = stage
            .outputs
            .iter()
            .map(|o| UVec2::new(o.width, o.height))
            .collect();
        let rects = layout(area(256.0, 128.0), &sizes);
        for (k, p) in stage.panels.iter().enumerate() {
            let r = p.output_rect();
            let (x, y) = (r.x0 as f64 + 0.5, r.y0 as f64 + 0.5);
            let s = rects[0].w as f64 / stage.outputs[0].width as f64;
            let got = pick(
                &stage,
                &rects,
                rects[0].x as f64 + x * s,
                rects[0].y as f64 + y * s,
            );
            assert_eq!(got.map(|g| g.1), Some(k));
        }
        assert_eq!(pick(&stage, &rects, -5.0, -5.0), None);
    }
}
