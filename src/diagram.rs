//! Map diagrams: one overview image per output for a person, the same size as the output. Each
//! cabinet is drawn where it lands: a dark fill in its identification colour, a white outline, its
//! id (upright, for reading), an arrow towards the cabinet's top (its LED row 0, so it turns with
//! the cabinet) and a yellow square on the corner that holds its top-left LED.

use glam::IVec2;
use image::RgbaImage;

use crate::draw::{self, rgb};
use crate::pattern::{MARKER_YELLOW, PatternError, WHITE};
use crate::stage::Stage;

/// Draws the diagram of output `output`.
pub fn diagram(stage: &Stage, output: usize) -> Result<RgbaImage, PatternError> {
    let o = stage
        .outputs
        .get(output)
        .ok_or(PatternError::NoSuchOutput(output))?;
    let mut img = RgbaImage::from_pixel(o.width, o.height, rgb(0, 0, 0));
    for k in stage.panels_in_output(output) {
        let p = &stage.panels[k];
        let r = p.output_rect();
        let (rw, rh) = (r.width(), r.height());
        let fill = draw::shade(draw::index_colour(k), 0.5);
        draw::fill_rect(&mut img, r.x0, r.y0, rw, rh, fill);
        let edge = if rw.min(rh) >= 64 { 2 } else { 1 };
        draw::outline_rect(&mut img, r.x0, r.y0, rw, rh, edge, WHITE);
        // Top-left LED marker: a square growing from the origin along both steps.
        let pl = &p.placement;
        let m = (rw.min(rh) / 8).max(2) as i32;
        let a = pl.origin;
        let b = pl.origin + (pl.step_col + pl.step_row) * (m - 1);
        let lo = a.min(b);
        draw::fill_rect(
            &mut img,
            lo.x as i64,
            lo.y as i64,
            m as i64,
            m as i64,
            MARKER_YELLOW,
        );
        // Up arrow (towards LED row 0) in the upper middle; the id below the centre.
        let c = IVec2::new(((r.x0 + r.x1) / 2) as i32, ((r.y0 + r.y1) / 2) as i32);
        let up = -pl.step_row;
        let len = (rw.min(rh) * 2 / 5) as i32;
        if len >= 4 {
            let ac = c - IVec2::new(0, (rh / 6) as i32);
            draw::arrow(
                &mut img,
                ac - up * (len / 2),
                ac + up * (len / 2),
                (len / 3).max(2),
                (len / 4).max(2),
                (len / 24).max(0),
                WHITE,
            );
        }
        let scale = draw::fit_scale(&p.id, (rw - 8).max(0) as u32, (rh / 5) as u32).min(6);
        if scale >= 1 {
            let cy = c.y as i64 + rh / 4;
            draw::text_centred(
                &mut img,
                c.x as i64,
                cy,
                scale,
                &p.id,
                WHITE,
                Some(rgb(0, 0, 0)),
            );
        }
    }
    Ok(img)
}
