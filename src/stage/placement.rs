//! Tile mapping: where each cabinet's LED pixels are in an output raster. Pure functions.

use glam::{IVec2, UVec2};

use super::file::{Corner, Order};

/// A cabinet's place in an output: LED pixel `(i, j)` is fed by output pixel
/// `origin + i * step_col + j * step_row`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placement {
    /// Index of the output in `Stage::outputs`.
    pub output: usize,
    pub origin: IVec2,
    pub step_col: IVec2,
    pub step_row: IVec2,
}

/// An axis-aligned rectangle of output pixels, `x0..x1` by `y0..y1` (exclusive ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

impl Rect {
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    pub fn width(&self) -> i64 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> i64 {
        self.y1 - self.y0
    }
}

impl Placement {
    /// Placement of a `pixels` cabinet whose image occupies the rectangle with top-left `(x, y)`,
    /// mirrored left-right if `mirror`, then turned `rotation` degrees clockwise (0, 90, 180, 270).
    /// `None` for any other rotation.
    pub fn from_rect(
        output: usize,
        x: u32,
        y: u32,
        pixels: UVec2,
        rotation: u32,
        mirror: bool,
    ) -> Option<Placement> {
        if !rotation.is_multiple_of(90) || rotation >= 360 {
            return None;
        }
        let (w, h) = (pixels.x as i32, pixels.y as i32);
        let (mut origin, mut sc, mut sr) = (IVec2::ZERO, IVec2::X, IVec2::Y);
        let mut height = h;
        let mut width = w;
        if mirror {
            origin = IVec2::new(w - 1, 0);
            sc = IVec2::NEG_X;
        }
        for _ in 0..rotation / 90 {
            // Clockwise quarter turn of a width x height image: (a, b) -> (height - 1 - b, a).
            origin = IVec2::new(height - 1 - origin.y, origin.x);
            sc = IVec2::new(-sc.y, sc.x);
            sr = IVec2::new(-sr.y, sr.x);
            std::mem::swap(&mut width, &mut height);
        }
        Some(Placement {
            output,
            origin: origin + IVec2::new(x as i32, y as i32),
            step_col: sc,
            step_row: sr,
        })
    }

    /// Output pixel of LED pixel `(i, j)`.
    pub fn output_pixel(&self, i: u32, j: u32) -> IVec2 {
        self.origin + self.step_col * i as i32 + self.step_row * j as i32
    }

    /// The rectangle of output pixels the cabinet occupies.
    pub fn rect(&self, pixels: UVec2) -> Rect {
        let a = self.origin.as_i64vec2();
        let b = self.output_pixel(pixels.x - 1, pixels.y - 1).as_i64vec2();
        Rect {
            x0: a.x.min(b.x),
            y0: a.y.min(b.y),
            x1: a.x.max(b.x) + 1,
            y1: a.y.max(b.y) + 1,
        }
    }

    /// Clockwise rotation (degrees) and mirror flag that give this placement's steps.
    pub fn rotation_mirror(&self) -> (u32, bool) {
        // Mirror flips the handedness of (step_col, step_row).
        let cross = self.step_col.x * self.step_row.y - self.step_col.y * self.step_row.x;
        let mirror = cross < 0;
        // Undo the mirror on the column step, then read the rotation off it.
        let sc = if mirror {
            -self.step_col
        } else {
            self.step_col
        };
        let rotation = match (sc.x, sc.y) {
            (1, 0) => 0,
            (0, 1) => 90,
            (-1, 0) => 180,
            _ => 270,
        };
        (rotation, mirror)
    }
}

/// The order in which an automatic placement visits a `columns x rows` grid: `(col, row)` pairs.
pub fn auto_sequence(
    columns: u32,
    rows: u32,
    start: Corner,
    order: Order,
    serpentine: bool,
) -> Vec<(u32, u32)> {
    let (flip_c, flip_r) = match start {
        Corner::TopLeft => (false, false),
        Corner::TopRight => (true, false),
        Corner::BottomLeft => (false, true),
        Corner::BottomRight => (true, true),
    };
    let (outer, inner) = match order {
        Order::Rows => (rows, columns),
        Order::Columns => (columns, rows),
    };
    let mut out = Vec::with_capacity((columns * rows) as usize);
    for a in 0..outer {
        for b0 in 0..inner {
            let b = if serpentine && a % 2 == 1 {
                inner - 1 - b0
            } else {
                b0
            };
            let (mut c, mut r) = match order {
                Order::Rows => (b, a),
                Order::Columns => (a, b),
            };
            if flip_c {
                c = columns - 1 - c;
            }
            if flip_r {
                r = rows - 1 - r;
            }
            out.push((c, r));
        }
    }
    out
}

/// Where cell `(col, row)` of a `columns x rows` grid comes in [`auto_sequence`]: sorting cells by
/// this key gives the sequence without visiting the whole grid (a sparse section).
pub fn sequence_key(
    (col, row): (u32, u32),
    columns: u32,
    rows: u32,
    start: Corner,
    order: Order,
    serpentine: bool,
) -> (u32, u32) {
    let (flip_c, flip_r) = match start {
        Corner::TopLeft => (false, false),
        Corner::TopRight => (true, false),
        Corner::BottomLeft => (false, true),
        Corner::BottomRight => (true, true),
    };
    let c = if flip_c { columns - 1 - col } else { col };
    let r = if flip_r { rows - 1 - row } else { row };
    let (outer, inner, width) = match order {
        Order::Rows => (r, c, columns),
        Order::Columns => (c, r, rows),
    };
    if serpentine && outer % 2 == 1 {
        (outer, width - 1 - inner)
    } else {
        (outer, inner)
    }
}

/// How many of `n` cabinets (in sequence) each output of an automatic placement takes, in the
/// outputs' order. `grids[k]` is output `k`'s `(cells per line, lines)`; `cap` limits the cabinets
/// of any one output.
///
/// Without `balance` each output is filled in turn (`min(capacity, what is left)`). With `balance`
/// whole lines are shared out as evenly as the outputs allow (water filling): every output gets
/// `t - 1` or `t` lines (fewer only when it holds fewer), `t` the smallest level whose lines hold
/// the `n` cabinets, the outputs listed first taking the extra lines; with a cap, an output holds
/// the whole lines within it (and when those do not hold every cabinet, the outputs are topped up
/// in turn to the cap). The last line used may be partial. E.g. 108 columns of 5 cabinets
/// over 6 outputs of 21 columns: 18 columns (90 cabinets) each; 100 columns: 17, 17, 17, 17, 16, 16.
///
/// The counts never exceed an output's capacity; their sum is less than `n` when the cabinets do
/// not all fit (the caller reports the rest).
pub fn output_counts(
    n: usize,
    grids: &[(u32, u32)],
    cap: Option<u32>,
    balance: bool,
) -> Vec<usize> {
    let cap = cap.map_or(usize::MAX, |c| c as usize);
    if !balance {
        let mut left = n;
        return grids
            .iter()
            .map(|&(per, lines)| {
                let take = (per as usize * lines as usize).min(cap).min(left);
                left -= take;
                take
            })
            .collect();
    }
    // Lines each output can hold (whole lines within the cap).
    let lines: Vec<usize> = grids
        .iter()
        .map(|&(per, lines)| match per {
            0 => 0,
            per => (lines as usize).min(cap / per as usize),
        })
        .collect();
    let held = |t: usize| -> usize {
        grids
            .iter()
            .zip(&lines)
            .map(|(g, &l)| l.min(t) * g.0 as usize)
            .sum()
    };
    let top = lines.iter().copied().max().unwrap_or(0);
    // Smallest level t whose lines hold n cabinets (`top` when they do not fit).
    let (mut lo, mut hi) = (0usize, top);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if held(mid) >= n {
            hi = mid
        } else {
            lo = mid + 1
        }
    }
    let t = lo;
    let mut quota: Vec<usize> = lines.iter().map(|&l| l.min(t.saturating_sub(1))).collect();
    let mut sum = held(t.saturating_sub(1));
    for (k, q) in quota.iter_mut().enumerate() {
        if sum >= n {
            break;
        }
        if lines[k] >= t && t > 0 {
            *q += 1;
            sum += grids[k].0 as usize;
        }
    }
    let mut counts: Vec<usize> = grids
        .iter()
        .zip(quota)
        .map(|(g, q)| q * g.0 as usize)
        .collect();
    // Whole lines within the caps may not hold them all: top the outputs up in turn.
    let mut sum: usize = counts.iter().sum();
    for (c, g) in counts.iter_mut().zip(grids) {
        let room = (g.0 as usize * g.1 as usize).min(cap).saturating_sub(*c);
        let add = room.min(n.saturating_sub(sum));
        *c += add;
        sum += add;
    }
    let mut left = n;
    counts
        .into_iter()
        .map(|c| {
            let take = c.min(left);
            left -= take;
            take
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_and_mirrors_cover_the_same_rectangle() {
        let px = UVec2::new(4, 3);
        for rot in [0, 90, 180, 270] {
            for mirror in [false, true] {
                let p = Placement::from_rect(0, 10, 20, px, rot, mirror).unwrap();
                let r = p.rect(px);
                let (w, h): (i64, i64) = if rot % 180 == 0 { (4, 3) } else { (3, 4) };
                assert_eq!(
                    r,
                    Rect {
                        x0: 10,
                        y0: 20,
                        x1: 10 + w,
                        y1: 20 + h
                    },
                    "{rot} {mirror}"
                );
                // Every LED pixel lands on a distinct output pixel inside the rectangle.
                let mut seen = std::collections::HashSet::new();
                for j in 0..3 {
                    for i in 0..4 {
                        let o = p.output_pixel(i, j).as_i64vec2();
                        assert!(o.x >= 10 && o.x < 10 + w && o.y >= 20 && o.y < 20 + h);
                        assert!(seen.insert(o));
                    }
                }
                assert_eq!(p.rotation_mirror(), (rot, mirror));
            }
        }
        assert!(Placement::from_rect(0, 0, 0, px, 45, false).is_none());
    }

    #[test]
    fn quarter_turn_clockwise_puts_the_top_left_led_top_right() {
        let p = Placement::from_rect(0, 0, 0, UVec2::new(4, 3), 90, false).unwrap();
        assert_eq!(p.origin, IVec2::new(2, 0));
        assert_eq!(p.step_col, IVec2::new(0, 1)); // the cabinet's "right" now points down
        assert_eq!(p.step_row, IVec2::new(-1, 0)); // its "down" points left
        let m = Placement::from_rect(0, 0, 0, UVec2::new(4, 3), 0, true).unwrap();
        assert_eq!(m.origin, IVec2::new(3, 0));
        assert_eq!(m.step_col, IVec2::new(-1, 0));
    }

    #[test]
    fn outputs_fill_in_turn_or_share_lines_evenly() {
        // 108 columns of 5 cabinets (column order: a line is a column), 6 outputs of 21 columns.
        let six = [(5, 21); 6];
        let filled = output_counts(540, &six, None, false);
        assert_eq!(filled, vec![105, 105, 105, 105, 105, 15]); // 5 x 21 + 3 columns
        assert_eq!(output_counts(540, &six, None, true), vec![90; 6]); // 18 columns each
        // 100 columns: 16 2/3 per output, the first four take the extra column.
        assert_eq!(
            output_counts(500, &six, None, true),
            vec![85, 85, 85, 85, 80, 80]
        );
        // A partial last line: 101 cabinets in lines of 5 over 2 outputs = 21 lines: 11 + 10
        // lines, the last of them holding one cabinet.
        assert_eq!(
            output_counts(101, &[(5, 21), (5, 21)], None, true),
            vec![55, 46]
        );
        // An output that holds fewer lines takes them all; the others share the rest.
        // 30 lines of 1 over outputs of 4, 20 and 20 lines: 4, 13, 13.
        assert_eq!(
            output_counts(30, &[(1, 4), (1, 20), (1, 20)], None, true),
            vec![4, 13, 13]
        );
        // A cap of 50 cabinets: 10 lines of 5 at most, filled in turn or balanced.
        assert_eq!(
            output_counts(120, &[(5, 21); 3], Some(50), false),
            vec![50, 50, 20]
        );
        assert_eq!(
            output_counts(120, &[(5, 21); 3], Some(50), true),
            vec![40, 40, 40]
        );
        // A cap of 52 that is not a whole number of lines: balanced, 10 whole lines each when
        // they hold every cabinet; topped up to the cap in turn when they do not.
        assert_eq!(
            output_counts(100, &[(5, 21); 2], Some(52), true),
            vec![50, 50]
        );
        assert_eq!(
            output_counts(104, &[(5, 21); 2], Some(52), false),
            vec![52, 52]
        );
        assert_eq!(
            output_counts(104, &[(5, 21); 2], Some(52), true),
            vec![52, 52]
        );
        assert_eq!(
            output_counts(103, &[(5, 21); 2], Some(52), true),
            vec![52, 51]
        );
        // Too many cabinets: every output full, the rest left over (reported by the caller).
        assert_eq!(output_counts(50, &[(5, 4); 2], None, true), vec![20, 20]);
        assert_eq!(output_counts(50, &[(5, 4); 2], None, false), vec![20, 20]);
        // Outputs with no room (zero cells per line or no line) take nothing.
        assert_eq!(
            output_counts(6, &[(0, 5), (3, 0), (3, 4)], None, true),
            vec![0, 0, 6]
        );
        assert_eq!(output_counts(0, &six, None, true), vec![0; 6]);
    }

    #[test]
    fn sorting_by_the_sequence_key_gives_the_sequence() {
        for (columns, rows) in [(3, 2), (4, 3), (1, 5), (5, 1)] {
            for start in [
                Corner::TopLeft,
                Corner::TopRight,
                Corner::BottomLeft,
                Corner::BottomRight,
            ] {
                for order in [Order::Rows, Order::Columns] {
                    for serpentine in [false, true] {
                        let mut cells: Vec<(u32, u32)> = (0..rows)
                            .flat_map(|r| (0..columns).map(move |c| (c, r)))
                            .collect();
                        cells.sort_by_key(|&cr| {
                            sequence_key(cr, columns, rows, start, order, serpentine)
                        });
                        assert_eq!(
                            cells,
                            auto_sequence(columns, rows, start, order, serpentine),
                            "{columns}x{rows} {start:?} {order:?} {serpentine}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn sequences() {
        assert_eq!(
            auto_sequence(3, 2, Corner::TopLeft, Order::Rows, false),
            vec![(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]
        );
        assert_eq!(
            auto_sequence(3, 2, Corner::BottomLeft, Order::Rows, true),
            vec![(0, 1), (1, 1), (2, 1), (2, 0), (1, 0), (0, 0)]
        );
        assert_eq!(
            auto_sequence(2, 2, Corner::TopRight, Order::Columns, true),
            vec![(1, 0), (1, 1), (0, 1), (0, 0)]
        );
    }
}
