//! Map diagrams: one overview image per output for a person, the same size as the output. Each
//! cabinet is drawn where it lands: a dark fill in its identification colour, a white outline, its
//! id (upright, for reading), an arrow towards the cabinet's top (its LED row 0, so it turns with
//! the cabinet) and a yellow square on the corner that holds its top-left LED.
//!
//! The cabling is drawn over them: each processor port's chain as a line in the port's colour
//! ([`port_colour`]) from cabinet centre to cabinet centre in chain order ([`Stage::port_chains`]),
//! a square on the first cabinet with the port's label (`MX40 port 3`), and under each cabinet's id
//! its port and place in the chain (`port 3 #2`).
//!
//! A remapped output (frame remapping) shows every sub-frame region: its outline in the region's
//! colour ([`region_colour`]), its label in its bottom-left corner (`1: camera A`, `2: chroma A`,
//! `3: solid 0 0 0`) and its copy of the cabinets and chains, as the processor receives them.

use glam::IVec2;
use image::{Rgba, RgbaImage};

use crate::draw::{self, rgb};
use crate::pattern::{MARKER_YELLOW, PatternError, WHITE};
use crate::stage::Stage;
use crate::stage::file::SubFrame;

/// Colour of port `port`'s chain line (ports numbered from 1): bright, never pure red, green,
/// blue, black or white, and neighbouring ports clearly different ([`draw::index_colour`] at full
/// value; cabinet fills are those colours at half value, so a chain never takes a fill's colour).
pub fn port_colour(port: u32) -> Rgba<u8> {
    let c = draw::index_colour(port as usize);
    let top = c[0].max(c[1]).max(c[2]).max(1) as f32;
    draw::shade(c, 250.0 / top)
}

/// Outline colour of a sub-frame region: cyan for a camera, green for a chroma key, magenta for a
/// solid colour.
pub fn region_colour(sf: &SubFrame) -> Rgba<u8> {
    match sf {
        SubFrame::Camera(_) => rgb(0, 200, 255),
        SubFrame::Chroma(_) => rgb(40, 220, 40),
        SubFrame::Solid(..) => rgb(255, 0, 200),
    }
}

/// A region's label: `1: camera A`.
fn region_label(k: usize, sf: &SubFrame) -> String {
    match sf {
        SubFrame::Camera(c) => format!("{}: camera {c}", k + 1),
        SubFrame::Chroma(c) => format!("{}: chroma {c}", k + 1),
        SubFrame::Solid(r, g, b) => format!("{}: solid {r} {g} {b}", k + 1),
    }
}

/// Draws the diagram of output `output`.
///
/// Errors: [`PatternError::NoSuchOutput`] for an index past the stage's outputs.
pub fn diagram(stage: &Stage, output: usize) -> Result<RgbaImage, PatternError> {
    let o = stage
        .outputs
        .get(output)
        .ok_or(PatternError::NoSuchOutput(output))?;
    let mut img = RgbaImage::from_pixel(o.width, o.height, rgb(0, 0, 0));
    let regions: Vec<(IVec2, Option<&SubFrame>)> = match &o.remap {
        Some(r) => r
            .subframes
            .iter()
            .enumerate()
            .map(|(k, sf)| {
                let (x, y) = o.region_origin(k as u32);
                (IVec2::new(x as i32, y as i32), Some(sf))
            })
            .collect(),
        None => vec![(IVec2::ZERO, None)],
    };
    let ports = stage.cabinet_ports();
    let chains = stage.port_chains();
    for &(at, _) in &regions {
        for k in stage.panels_in_output(output) {
            let label = ports[k].map(|c| format!("port {} #{}", c.port, c.position));
            cabinet(&mut img, stage, k, at, label.as_deref());
        }
        for c in &chains {
            chain(&mut img, stage, output, c, at);
        }
    }
    let (rw, rh) = o.region_size();
    for (k, &(at, sf)) in regions.iter().enumerate() {
        let Some(sf) = sf else { continue };
        let c = region_colour(sf);
        let t = (rw.min(rh) as i64 / 200).clamp(2, 8);
        draw::outline_rect(
            &mut img,
            at.x as i64,
            at.y as i64,
            rw as i64,
            rh as i64,
            t,
            c,
        );
        let text = region_label(k, sf);
        let scale = draw::fit_scale(&text, rw / 3, (rh / 12).max(8)).clamp(1, 6);
        let (tw, th) = draw::text_size(&text, scale);
        let pad = 2 * scale as i64;
        // Bottom-left: packing starts at the top-left, so the label rarely hides a cabinet.
        let (x0, y0) = (
            at.x as i64 + t,
            at.y as i64 + rh as i64 - t - th as i64 - 2 * pad,
        );
        draw::fill_rect(
            &mut img,
            x0,
            y0,
            tw as i64 + 2 * pad,
            th as i64 + 2 * pad,
            rgb(0, 0, 0),
        );
        draw::text(&mut img, x0 + pad, y0 + pad, scale, &text, c);
    }
    Ok(img)
}

/// Draws cabinet `k` with its rectangle moved by `at` (a sub-frame region's origin), `extra` under
/// its id.
fn cabinet(img: &mut RgbaImage, stage: &Stage, k: usize, at: IVec2, extra: Option<&str>) {
    let p = &stage.panels[k];
    let r = p.output_rect();
    let (x0, y0) = (r.x0 + at.x as i64, r.y0 + at.y as i64);
    let (rw, rh) = (r.width(), r.height());
    let fill = draw::shade(draw::index_colour(k), 0.5);
    draw::fill_rect(img, x0, y0, rw, rh, fill);
    let edge = if rw.min(rh) >= 64 { 2 } else { 1 };
    draw::outline_rect(img, x0, y0, rw, rh, edge, WHITE);
    // Top-left LED marker: a square growing from the origin along both steps.
    let pl = &p.placement;
    let m = (rw.min(rh) / 8).max(2) as i32;
    let a = pl.origin + at;
    let b = a + (pl.step_col + pl.step_row) * (m - 1);
    let lo = a.min(b);
    draw::fill_rect(
        img,
        lo.x as i64,
        lo.y as i64,
        m as i64,
        m as i64,
        MARKER_YELLOW,
    );
    // Up arrow (towards LED row 0) in the upper middle; the id below the centre.
    let c = IVec2::new(((x0 * 2 + rw) / 2) as i32, ((y0 * 2 + rh) / 2) as i32);
    let up = -pl.step_row;
    let len = (rw.min(rh) * 2 / 5) as i32;
    if len >= 4 {
        let ac = c - IVec2::new(0, (rh / 6) as i32);
        draw::arrow(
            img,
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
        draw::text_centred(img, c.x as i64, cy, scale, &p.id, WHITE, Some(rgb(0, 0, 0)));
        if let Some(extra) = extra {
            let s2 = draw::fit_scale(extra, (rw - 8).max(0) as u32, (rh / 8) as u32).min(scale);
            if s2 >= 1 {
                let y = cy + (draw::GLYPH * scale) as i64 / 2 + (draw::GLYPH * s2) as i64;
                draw::text_centred(img, c.x as i64, y, s2, extra, WHITE, Some(rgb(0, 0, 0)));
            }
        }
    }
}

/// Centre of cabinet `k`'s rectangle moved by `at`, in output pixels.
fn centre(stage: &Stage, k: usize, at: IVec2) -> IVec2 {
    let r = stage.panels[k].output_rect();
    IVec2::new(((r.x0 + r.x1) / 2) as i32, ((r.y0 + r.y1) / 2) as i32) + at
}

/// Draws the part of a port's chain that runs through `output`'s cabinets (moved by `at`): lines
/// between consecutive cabinets of the chain that are both in the output, a square on the first
/// cabinet of the chain in the output and the port's label above it.
fn chain(
    img: &mut RgbaImage,
    stage: &Stage,
    output: usize,
    c: &crate::stage::PortChain,
    at: IVec2,
) {
    let colour = port_colour(c.port);
    let in_output = |k: usize| stage.panels[k].placement.output == output;
    let Some(&first) = c.panels.iter().find(|&&k| in_output(k)) else {
        return;
    };
    let size = {
        let r = stage.panels[first].output_rect();
        r.width().min(r.height())
    };
    let half = (size / 48).clamp(0, 4) as i32;
    for w in c.panels.windows(2) {
        if in_output(w[0]) && in_output(w[1]) {
            draw::line(
                img,
                centre(stage, w[0], at),
                centre(stage, w[1], at),
                half,
                colour,
            );
        }
    }
    let s = centre(stage, first, at);
    let m = (size / 10).max(3);
    draw::fill_rect(img, s.x as i64 - m / 2, s.y as i64 - m / 2, m, m, colour);
    let label = format!("{} port {}", stage.processors[c.processor].name, c.port);
    let scale = draw::fit_scale(&label, (size * 2).max(0) as u32, (size / 8) as u32).min(4);
    if scale >= 1 {
        let (tw, th) = draw::text_size(&label, scale);
        let y = s.y as i64 - m - th as i64;
        draw::fill_rect(
            img,
            s.x as i64 - tw as i64 / 2 - 1,
            y - 1,
            tw as i64 + 2,
            th as i64 + 2,
            rgb(0, 0, 0),
        );
        draw::text(img, s.x as i64 - tw as i64 / 2, y, scale, &label, colour);
    }
}
