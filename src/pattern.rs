//! Test patterns for the LED processors, one raster per output, and the decoder that reads the
//! identification pattern back.
//!
//! Each cabinet's pattern is drawn once in its own LED-pixel coordinates `(i, j)` (a "tile") and
//! mapped into the output through its [`Placement`](crate::stage::Placement), so rotation and mirroring appear exactly as
//! the processor will see them. Output rows are filled in parallel; each output pixel finds its
//! LED pixel by inverting the placement (`i = d · step_col`, `j = d · step_row` with
//! `d = pixel - origin`, since the steps are orthogonal unit axes). Pixels no cabinet uses are
//! black.
//!
//! The identification pattern ([`PatternKind::Id`]) carries, besides what a person reads (colour,
//! white edge, id text, up arrow, yellow top-left marker), a machine code: the corner LEDs
//! `(0, 0)`, `(w-1, 0)` and `(0, h-1)` are pure red, green and blue (colours nothing else in the
//! pattern uses), and the cabinet's index in the stage plus a CRC-8 is written in black and white
//! cells along the bottom rows. [`decode_id`] finds every cabinet, its index and its placement
//! from the output images alone. See `docs/patterns.md`.

pub mod test_card;

use glam::{IVec2, UVec2};
use image::{Rgba, RgbaImage};
use rayon::prelude::*;

use crate::draw::{self, rgb};
use crate::stage::{Panel, Stage};

/// Which test pattern to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternKind {
    /// Identification: per-cabinet colour, white edge, id text, up arrow, top-left marker and a
    /// machine-readable code.
    Id,
    /// A grey line every `every` LED pixels on black, a white cabinet edge and a yellow top-left
    /// marker.
    Grid { every: u32 },
    /// SMPTE-like colour bars across each cabinet, in the cabinet's own coordinates.
    ColourBars,
    /// Every LED pixel one colour (RGB).
    Solid([u8; 3]),
}

/// Why a pattern could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    /// The stage has no output with this index.
    #[error("no output with index {0}")]
    NoSuchOutput(usize),
    /// A caller's buffer does not match the output's size.
    #[error("buffer for output '{output}' holds {got} bytes, expected {expected}")]
    BufferSize {
        output: String,
        got: usize,
        expected: usize,
    },
    /// A cabinet too small to carry the identification code.
    #[error(
        "panel '{panel}' ({w}x{h} px) is too small for the identification code (needs at least {MIN_ID_SIZE}x{MIN_ID_SIZE})"
    )]
    PanelTooSmall { panel: String, w: u32, h: u32 },
    /// More cabinets than the identification code can number.
    #[error("the identification code holds at most {max} panels, the stage has {count}")]
    TooManyPanels { count: usize, max: u64 },
    /// A grid with lines every 0 pixels.
    #[error("grid spacing must be at least 1 LED pixel")]
    ZeroGrid,
}

/// Colour of LED `(0, 0)` in the identification pattern.
pub const ORIGIN_RED: Rgba<u8> = rgb(255, 0, 0);
/// Colour of LED `(w-1, 0)` in the identification pattern.
pub const COLUMN_GREEN: Rgba<u8> = rgb(0, 255, 0);
/// Colour of LED `(0, h-1)` in the identification pattern.
pub const ROW_BLUE: Rgba<u8> = rgb(0, 0, 255);
/// Cabinet edges (and code bit 1).
pub const WHITE: Rgba<u8> = rgb(255, 255, 255);
/// Unused output pixels (and code bit 0).
pub const BLACK: Rgba<u8> = rgb(0, 0, 0);
/// The top-left marker people look for.
pub const MARKER_YELLOW: Rgba<u8> = rgb(255, 255, 0);

/// Bits of the panel index in the identification code.
pub const INDEX_BITS: u32 = 20;
/// Bits of the check sum (CRC-8) in the identification code.
pub const CHECK_BITS: u32 = 8;
const CODE_BITS: u32 = INDEX_BITS + CHECK_BITS;
/// Smallest cabinet side (LED pixels) the identification pattern supports.
pub const MIN_ID_SIZE: u32 = 8;

/// CRC-8 (polynomial 0x07) of the panel index's three low bytes.
pub fn crc8(index: u32) -> u8 {
    let mut crc = 0u8;
    for byte in index.to_le_bytes().iter().take(3) {
        crc ^= byte;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Number of code rows a cabinet `w` LED pixels wide needs (cells run from column 1 to `w-2`).
fn code_rows(w: u32) -> u32 {
    CODE_BITS.div_ceil(w.saturating_sub(2).max(1))
}

/// The LED pixel `(i, j)` that holds bit `k` of the identification code of a `w x h` cabinet:
/// bits fill the row just above the bottom edge from column 1 to `w-2`, then the row above.
pub fn code_cell(k: u32, w: u32, h: u32) -> (u32, u32) {
    let per = w.saturating_sub(2).max(1);
    (1 + k % per, h.saturating_sub(2 + k / per))
}

/// Size of the yellow top-left marker square.
fn marker_size(w: u32, h: u32) -> u32 {
    (w.min(h) / 10).max(2)
}

fn id_supported(w: u32, h: u32) -> bool {
    w >= MIN_ID_SIZE && h >= MIN_ID_SIZE && code_rows(w) + marker_size(w, h) + 4 <= h
}

/// The identification tile of panel number `index` (LED-pixel coordinates).
fn id_tile(panel: &Panel, index: usize) -> RgbaImage {
    let (w, h) = (panel.pixels.x, panel.pixels.y);
    let mut t = RgbaImage::from_pixel(w, h, draw::index_colour(index));
    let ink = BLACK;
    // Content area: below the marker, above the code rows.
    let m = marker_size(w, h);
    let rows = code_rows(w);
    let top = 2i64;
    let bottom = h as i64 - 1 - rows as i64 - 2; // last free row, one clear of the code
    let cx = w as i64 / 2;
    let avail = (bottom - top + 1).max(0);
    // Text, if it fits at scale 1 or more in the lower part of the content area.
    let scale = draw::fit_scale(&panel.id, w.saturating_sub(4), (avail / 3) as u32).min(8);
    let arrow_bottom = if scale >= 1 {
        let th = (draw::GLYPH * scale) as i64;
        let pad = (th / 4).max(1);
        let cy = bottom - pad - th / 2;
        draw::text_centred(&mut t, cx, cy, scale, &panel.id, ink, None);
        cy - th / 2 - 2 * pad
    } else {
        bottom
    };
    let pad = (avail / 12).max(0);
    let (tip, tail) = (top + pad, arrow_bottom - pad);
    let len = (tail - tip) as i32;
    if len >= 2 {
        let head_len = (len * 2 / 5).max(2);
        let head_half = (w as i32 / 6).clamp(1, head_len.max(1));
        let shaft_half = (w as i32 / 40).max(0);
        draw::arrow(
            &mut t,
            IVec2::new(cx as i32, tail as i32),
            IVec2::new(cx as i32, tip as i32),
            head_len,
            head_half,
            shaft_half,
            ink,
        );
    }
    draw::fill_rect(&mut t, 1, 1, m as i64, m as i64, MARKER_YELLOW);
    draw::outline_rect(&mut t, 0, 0, w as i64, h as i64, 1, WHITE);
    let word = (index as u32 & ((1 << INDEX_BITS) - 1)) | (crc8(index as u32) as u32) << INDEX_BITS;
    for k in 0..CODE_BITS {
        let (i, j) = code_cell(k, w, h);
        t.put_pixel(i, j, if word >> k & 1 == 1 { WHITE } else { BLACK });
    }
    t.put_pixel(0, 0, ORIGIN_RED);
    t.put_pixel(w - 1, 0, COLUMN_GREEN);
    t.put_pixel(0, h - 1, ROW_BLUE);
    t
}

fn grid_tile(pixels: UVec2, every: u32) -> RgbaImage {
    let (w, h) = (pixels.x, pixels.y);
    let line = rgb(128, 128, 128);
    let mut t = RgbaImage::from_fn(w, h, |i, j| {
        if i % every == 0 || j % every == 0 {
            line
        } else {
            BLACK
        }
    });
    let m = marker_size(w, h) as i64;
    draw::fill_rect(&mut t, 1, 1, m, m, MARKER_YELLOW);
    draw::outline_rect(&mut t, 0, 0, w as i64, h as i64, 1, WHITE);
    t
}

/// SMPTE-like bars: seven 75% bars over the top two thirds, a castellation band, then -I, white,
/// +Q, black and a near-black pluge.
fn bars_tile(pixels: UVec2) -> RgbaImage {
    let (w, h) = (pixels.x, pixels.y);
    const TOP: [[u8; 3]; 7] = [
        [191, 191, 191],
        [191, 191, 0],
        [0, 191, 191],
        [0, 191, 0],
        [191, 0, 191],
        [191, 0, 0],
        [0, 0, 191],
    ];
    const MID: [[u8; 3]; 7] = [
        [0, 0, 191],
        [0, 0, 0],
        [191, 0, 191],
        [0, 0, 0],
        [0, 191, 191],
        [0, 0, 0],
        [191, 191, 191],
    ];
    const BOTTOM: [[u8; 3]; 7] = [
        [0, 33, 76],
        [255, 255, 255],
        [50, 0, 106],
        [0, 0, 0],
        [0, 0, 0],
        [10, 10, 10],
        [0, 0, 0],
    ];
    RgbaImage::from_fn(w, h, |i, j| {
        let bar = ((i as u64 * 7) / w as u64) as usize;
        let band = if (j as u64) * 3 < 2 * h as u64 {
            &TOP
        } else if (j as u64) * 4 < 3 * h as u64 {
            &MID
        } else {
            &BOTTOM
        };
        let [r, g, b] = band[bar.min(6)];
        rgb(r, g, b)
    })
}

/// A pattern ready to render: every cabinet's tile, drawn once.
pub struct Pattern<'a> {
    stage: &'a Stage,
    tiles: Vec<RgbaImage>,
    /// Tile of each panel (patterns that do not depend on the panel share one tile per type).
    tile_of: Vec<usize>,
}

impl<'a> Pattern<'a> {
    /// Draws the tiles of `kind` for every cabinet of `stage`.
    pub fn new(stage: &'a Stage, kind: PatternKind) -> Result<Pattern<'a>, PatternError> {
        if kind == PatternKind::Id {
            if stage.panels.len() as u64 > 1u64 << INDEX_BITS {
                return Err(PatternError::TooManyPanels {
                    count: stage.panels.len(),
                    max: 1u64 << INDEX_BITS,
                });
            }
            if let Some(p) = stage
                .panels
                .iter()
                .find(|p| !id_supported(p.pixels.x, p.pixels.y))
            {
                return Err(PatternError::PanelTooSmall {
                    panel: p.id.clone(),
                    w: p.pixels.x,
                    h: p.pixels.y,
                });
            }
            let tiles = stage
                .panels
                .par_iter()
                .enumerate()
                .map(|(k, p)| id_tile(p, k))
                .collect();
            return Ok(Pattern {
                stage,
                tiles,
                tile_of: (0..stage.panels.len()).collect(),
            });
        }
        if let PatternKind::Grid { every: 0 } = kind {
            return Err(PatternError::ZeroGrid);
        }
        let tiles = stage
            .panel_types
            .iter()
            .map(|t| match kind {
                PatternKind::Grid { every } => grid_tile(t.pixels, every),
                PatternKind::ColourBars => bars_tile(t.pixels),
                PatternKind::Solid([r, g, b]) => {
                    RgbaImage::from_pixel(t.pixels.x, t.pixels.y, rgb(r, g, b))
                }
                PatternKind::Id => RgbaImage::new(0, 0),
            })
            .collect();
        Ok(Pattern {
            stage,
            tiles,
            tile_of: stage.panels.iter().map(|p| p.panel_type).collect(),
        })
    }

    /// Renders output `output` into a new image.
    pub fn render(&self, output: usize) -> Result<RgbaImage, PatternError> {
        let o = self
            .stage
            .outputs
            .get(output)
            .ok_or(PatternError::NoSuchOutput(output))?;
        let mut buf = vec![0u8; o.width as usize * o.height as usize * 4];
        self.render_into(output, &mut buf)?;
        RgbaImage::from_raw(o.width, o.height, buf).ok_or(PatternError::BufferSize {
            output: o.name.clone(),
            got: 0,
            expected: o.width as usize * o.height as usize * 4,
        })
    }

    /// Renders every output, in parallel.
    pub fn render_all(&self) -> Result<Vec<RgbaImage>, PatternError> {
        (0..self.stage.outputs.len())
            .into_par_iter()
            .map(|o| self.render(o))
            .collect()
    }

    /// Renders output `output` into `buf` (RGBA8, rows top to bottom, `width * height * 4` bytes).
    pub fn render_into(&self, output: usize, buf: &mut [u8]) -> Result<(), PatternError> {
        let o = self
            .stage
            .outputs
            .get(output)
            .ok_or(PatternError::NoSuchOutput(output))?;
        let (width, height) = (o.width as i64, o.height as i64);
        let expected = (width * height * 4) as usize;
        if buf.len() != expected {
            return Err(PatternError::BufferSize {
                output: o.name.clone(),
                got: buf.len(),
                expected,
            });
        }
        if expected == 0 {
            return Ok(());
        }
        // The cabinets of this output as clipped spans, sorted left to right, bucketed by row
        // (compressed: `start[y]..start[y + 1]` indexes `entries`).
        let mut spans: Vec<Span> = self
            .stage
            .panels_in_output(output)
            .filter_map(|k| {
                let p = &self.stage.panels[k];
                let r = p.output_rect();
                let (x0, x1) = (r.x0.max(0), r.x1.min(width));
                let (y0, y1) = (r.y0.max(0), r.y1.min(height));
                (x0 < x1 && y0 < y1).then_some(Span {
                    panel: k,
                    x0,
                    x1,
                    y0,
                    y1,
                })
            })
            .collect();
        spans.sort_by_key(|s| s.x0);
        let mut start = vec![0usize; height as usize + 1];
        for s in &spans {
            for y in s.y0..s.y1 {
                start[y as usize + 1] += 1;
            }
        }
        for y in 0..height as usize {
            start[y + 1] += start[y];
        }
        let mut fill = start.clone();
        let mut entries = vec![0u32; start[height as usize]];
        for (n, s) in spans.iter().enumerate() {
            for y in s.y0..s.y1 {
                entries[fill[y as usize]] = n as u32;
                fill[y as usize] += 1;
            }
        }
        buf.par_chunks_mut(width as usize * 4)
            .enumerate()
            .for_each(|(y, row)| {
                let mut cursor = 0usize; // next byte not yet written
                for &n in &entries[start[y]..start[y + 1]] {
                    let s = &spans[n as usize];
                    let (a, b) = (s.x0 as usize * 4, s.x1 as usize * 4);
                    if a > cursor {
                        fill_black(&mut row[cursor..a]);
                    }
                    self.copy_span(s, y as i64, &mut row[a..b]);
                    cursor = cursor.max(b);
                }
                if cursor < row.len() {
                    fill_black(&mut row[cursor..]);
                }
            });
        Ok(())
    }

    /// Copies the LED pixels of span `s` on output row `y` into `out` (its pixels `s.x0..s.x1`).
    fn copy_span(&self, s: &Span, y: i64, out: &mut [u8]) {
        let p = &self.stage.panels[s.panel];
        let tile = &self.tiles[self.tile_of[s.panel]];
        let src = tile.as_raw();
        let w = tile.width() as i64;
        let pl = &p.placement;
        let (o, sc, sr) = (
            pl.origin.as_i64vec2(),
            pl.step_col.as_i64vec2(),
            pl.step_row.as_i64vec2(),
        );
        let (dx0, dy) = (s.x0 - o.x, y - o.y);
        // LED pixel of the span's first output pixel, and its step per output pixel to the right.
        let i0 = dx0 * sc.x + dy * sc.y;
        let j0 = dx0 * sr.x + dy * sr.y;
        let n = s.x1 - s.x0;
        if sc.x == 1 {
            // Cabinet rows run left to right: one contiguous copy.
            let a = (j0 * w + i0) * 4;
            if let Some(from) = usize::try_from(a)
                .ok()
                .and_then(|a| src.get(a..a.checked_add(n as usize * 4)?))
            {
                out.copy_from_slice(from);
            }
            return;
        }
        // Step in the tile (in pixels) per output pixel to the right.
        let step = sc.x + sr.x * w;
        let mut idx = j0 * w + i0;
        for px in out.chunks_exact_mut(4) {
            if let Some(from) = usize::try_from(idx * 4)
                .ok()
                .and_then(|a| src.get(a..a.checked_add(4)?))
            {
                px.copy_from_slice(from);
            }
            idx += step;
        }
    }
}

fn fill_black(row: &mut [u8]) {
    for px in row.chunks_exact_mut(4) {
        px.copy_from_slice(&[0, 0, 0, 255]);
    }
}

struct Span {
    panel: usize,
    x0: i64,
    x1: i64,
    y0: i64,
    y1: i64,
}

/// Renders one output of `stage` with pattern `kind`.
pub fn render(stage: &Stage, output: usize, kind: PatternKind) -> Result<RgbaImage, PatternError> {
    Pattern::new(stage, kind)?.render(output)
}

/// Renders every output of `stage` with pattern `kind`, in output order.
pub fn render_all(stage: &Stage, kind: PatternKind) -> Result<Vec<RgbaImage>, PatternError> {
    Pattern::new(stage, kind)?.render_all()
}

/// A cabinet found in an identification-pattern image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The cabinet's index in the stage (`Stage::panels`), read from its code.
    pub panel: usize,
    /// Index of the image (output) it was found in.
    pub output: usize,
    /// Its size in LED pixels (the panel type that matched).
    pub pixels: UVec2,
    /// Output pixel of LED `(0, 0)`.
    pub origin: IVec2,
    /// Output step per LED column.
    pub step_col: IVec2,
    /// Output step per LED row.
    pub step_row: IVec2,
}

/// What [`decode_id`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DecodeReport {
    /// Every cabinet whose corners and code were read, ordered by output then position.
    pub panels: Vec<Decoded>,
    /// Red origin markers with no readable cabinet around them: `(output, pixel)`.
    pub unmatched: Vec<(usize, IVec2)>,
}

const AXES: [IVec2; 4] = [IVec2::X, IVec2::Y, IVec2::NEG_X, IVec2::NEG_Y];

/// Reads the identification pattern back: finds every cabinet in `images` (one per output, in
/// output order) and recovers its index, origin and steps. `sizes` are the stage's panel-type
/// resolutions; nothing else about the stage is used.
pub fn decode_id(images: &[RgbaImage], sizes: &[UVec2]) -> DecodeReport {
    let mut sizes: Vec<UVec2> = sizes
        .iter()
        .copied()
        .filter(|s| id_supported(s.x, s.y) && s.x <= 1 << 16 && s.y <= 1 << 16)
        .collect();
    sizes.sort_by_key(|s| (s.x, s.y));
    sizes.dedup();
    let mut report = DecodeReport::default();
    for (out, img) in images.iter().enumerate() {
        let row_bytes = (img.width() as usize * 4).max(1);
        let found: Vec<(IVec2, Option<Decoded>)> = img
            .as_raw()
            .par_chunks(row_bytes)
            .enumerate()
            .flat_map_iter(|(y, row)| {
                row.chunks_exact(4)
                    .enumerate()
                    .filter(|(_, c)| *c == ORIGIN_RED.0)
                    .map(|(x, _)| {
                        let p = IVec2::new(x as i32, y as i32);
                        (p, read_cabinet(img, p, &sizes, out))
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut found = found;
        found.sort_by_key(|(p, _)| (p.y, p.x));
        for (p, d) in found {
            match d {
                Some(d) => report.panels.push(d),
                None => report.unmatched.push((out, p)),
            }
        }
    }
    report
}

fn pixel_at(img: &RgbaImage, p: IVec2) -> Option<Rgba<u8>> {
    (p.x >= 0 && p.y >= 0 && (p.x as u32) < img.width() && (p.y as u32) < img.height())
        .then(|| *img.get_pixel(p.x as u32, p.y as u32))
}

fn read_cabinet(img: &RgbaImage, origin: IVec2, sizes: &[UVec2], output: usize) -> Option<Decoded> {
    for &sc in &AXES {
        for sr in [IVec2::new(-sc.y, sc.x), IVec2::new(sc.y, -sc.x)] {
            for &size in sizes {
                let (w, h) = (size.x as i32, size.y as i32);
                if pixel_at(img, origin + sc * (w - 1)) != Some(COLUMN_GREEN)
                    || pixel_at(img, origin + sr * (h - 1)) != Some(ROW_BLUE)
                {
                    continue;
                }
                let mut word = 0u32;
                let mut ok = true;
                for k in 0..CODE_BITS {
                    let (i, j) = code_cell(k, size.x, size.y);
                    match pixel_at(img, origin + sc * i as i32 + sr * j as i32) {
                        Some(c) if c == WHITE => word |= 1 << k,
                        Some(c) if c == BLACK => {}
                        _ => {
                            ok = false;
                            break;
                        }
                    }
                }
                let index = word & ((1 << INDEX_BITS) - 1);
                if ok && (word >> INDEX_BITS) as u8 == crc8(index) {
                    return Some(Decoded {
                        panel: index as usize,
                        output,
                        pixels: size,
                        origin,
                        step_col: sc,
                        step_row: sr,
                    });
                }
            }
        }
    }
    None
}
