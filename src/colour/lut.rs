//! LUT tables and their interpolation on the CPU: linear 1D, trilinear and tetrahedral 3D. The GPU's
//! tetrahedral interpolation (`shaders/colour.wgsl`) mirrors [`Lut3d::tetrahedral`].

use super::{Rgb, clamp_f16_rgb};

/// A 1D table per channel over `domain_min..domain_max` (per channel), entries evenly spaced.
#[derive(Clone, Debug, PartialEq)]
pub struct Lut1d {
    /// Lower end of the input domain per channel.
    pub domain_min: Rgb,
    /// Upper end of the input domain per channel.
    pub domain_max: Rgb,
    /// `size` entries; entry `i` is the output at `min + i / (size - 1) * (max - min)`.
    pub table: Vec<[f32; 3]>,
}

/// A 3D table over `domain_min..domain_max`, `size^3` entries, red fastest: entry
/// `r + size * (g + size * b)` (Adobe Cube LUT Specification 1.0, "Table data").
#[derive(Clone, Debug, PartialEq)]
pub struct Lut3d {
    /// Lattice points per axis (>= 2).
    pub size: usize,
    /// Lower end of the input domain per channel.
    pub domain_min: Rgb,
    /// Upper end of the input domain per channel.
    pub domain_max: Rgb,
    /// `size^3` entries, red fastest.
    pub table: Vec<[f32; 3]>,
}

/// Continuous lattice coordinate of `x` in `min..max` over `n` entries: `0..n-1`, clamped (NaN
/// gives 0).
fn lattice(x: f64, min: f64, max: f64, n: usize) -> f64 {
    let t = (x - min) / (max - min) * (n - 1) as f64;
    if t.is_nan() {
        0.0
    } else {
        t.clamp(0.0, (n - 1) as f64)
    }
}

/// Lower lattice index and fraction of a continuous coordinate in `0..=n-1`.
fn split(t: f64, n: usize) -> (usize, f64) {
    let i = (t.floor() as usize).min(n - 2);
    (i, t - i as f64)
}

impl Lut1d {
    /// The identity table of `size` entries over 0..1.
    pub fn identity(size: usize) -> Lut1d {
        let table = (0..size)
            .map(|i| [(i as f64 / (size - 1) as f64) as f32; 3])
            .collect();
        Lut1d {
            domain_min: [0.0; 3],
            domain_max: [1.0; 3],
            table,
        }
    }

    /// Whether the domain is 0..1 and every entry is within `tol` of its input value: then the table
    /// changes nothing in 0..1 (and clamps outside it).
    pub fn is_unit_identity(&self, tol: f64) -> bool {
        let n = self.table.len();
        self.domain_min == [0.0; 3]
            && self.domain_max == [1.0; 3]
            && self.table.iter().enumerate().all(|(i, e)| {
                let x = i as f64 / (n - 1) as f64;
                e.iter().all(|v| (f64::from(*v) - x).abs() <= tol)
            })
    }

    /// Linear interpolation per channel; input outside the domain takes the end entries.
    pub fn apply(&self, c: Rgb) -> Rgb {
        let n = self.table.len();
        let mut out = [0.0; 3];
        for k in 0..3 {
            let t = lattice(c[k], self.domain_min[k], self.domain_max[k], n);
            let (i, f) = split(t, n);
            let a = self.table[i][k] as f64;
            let b = self.table[i + 1][k] as f64;
            out[k] = a + f * (b - a);
        }
        clamp_f16_rgb(out)
    }
}

impl Lut3d {
    /// The identity lattice of `size^3` entries over 0..1.
    pub fn identity(size: usize) -> Lut3d {
        let s = |i: usize| (i as f64 / (size - 1) as f64) as f32;
        let mut table = Vec::with_capacity(size * size * size);
        for b in 0..size {
            for g in 0..size {
                for r in 0..size {
                    table.push([s(r), s(g), s(b)]);
                }
            }
        }
        Lut3d {
            size,
            domain_min: [0.0; 3],
            domain_max: [1.0; 3],
            table,
        }
    }

    /// Whether the domain is 0..1 and every entry is within `tol` of its lattice point: then the
    /// table changes nothing in 0..1 (and clamps outside it).
    pub fn is_unit_identity(&self, tol: f64) -> bool {
        let n = self.size;
        let s = |i: usize| i as f64 / (n - 1) as f64;
        self.domain_min == [0.0; 3]
            && self.domain_max == [1.0; 3]
            && self.table.iter().enumerate().all(|(k, e)| {
                let p = [s(k % n), s(k / n % n), s(k / (n * n))];
                (0..3).all(|c| (f64::from(e[c]) - p[c]).abs() <= tol)
            })
    }

    /// Entry at lattice point `(r, g, b)`.
    pub fn at(&self, r: usize, g: usize, b: usize) -> [f64; 3] {
        self.table[r + self.size * (g + self.size * b)].map(f64::from)
    }

    /// Lower lattice corner and fractions of `c`.
    fn cell(&self, c: Rgb) -> ([usize; 3], [f64; 3]) {
        let mut i = [0; 3];
        let mut f = [0.0; 3];
        for k in 0..3 {
            let t = lattice(c[k], self.domain_min[k], self.domain_max[k], self.size);
            (i[k], f[k]) = split(t, self.size);
        }
        (i, f)
    }

    /// Trilinear interpolation (eight lattice points); input outside the domain is clamped to it.
    pub fn trilinear(&self, c: Rgb) -> Rgb {
        let ([r, g, b], [fr, fg, fb]) = self.cell(c);
        let mut out = [0.0; 3];
        for (db, wb) in [(0, 1.0 - fb), (1, fb)] {
            for (dg, wg) in [(0, 1.0 - fg), (1, fg)] {
                for (dr, wr) in [(0, 1.0 - fr), (1, fr)] {
                    let v = self.at(r + dr, g + dg, b + db);
                    let w = wr * wg * wb;
                    for k in 0..3 {
                        out[k] += w * v[k];
                    }
                }
            }
        }
        clamp_f16_rgb(out)
    }

    /// Tetrahedral interpolation (Kasson, Nin, Plouffe and Hafner 1995, "Performing color space
    /// conversions with three-dimensional linear interpolation", J. Electronic Imaging 4(3)): the
    /// lattice cell is split along its neutral diagonal into six tetrahedra, chosen by the order of
    /// the fractions; the result is the barycentric mix of the tetrahedron's four corners. This is
    /// OpenColorIO's `INTERP_TETRAHEDRAL`. Input outside the domain is clamped to it.
    pub fn tetrahedral(&self, c: Rgb) -> Rgb {
        let ([r, g, b], [fr, fg, fb]) = self.cell(c);
        let p = |dr: usize, dg: usize, db: usize| self.at(r + dr, g + dg, b + db);
        let c000 = p(0, 0, 0);
        let c111 = p(1, 1, 1);
        // (weight of c000, first corner and its weight, second corner and its weight, weight of c111)
        let (w0, ca, wa, cb, wb, w1) = if fr > fg {
            if fg > fb {
                (1.0 - fr, p(1, 0, 0), fr - fg, p(1, 1, 0), fg - fb, fb)
            } else if fr > fb {
                (1.0 - fr, p(1, 0, 0), fr - fb, p(1, 0, 1), fb - fg, fg)
            } else {
                (1.0 - fb, p(0, 0, 1), fb - fr, p(1, 0, 1), fr - fg, fg)
            }
        } else if fb > fg {
            (1.0 - fb, p(0, 0, 1), fb - fg, p(0, 1, 1), fg - fr, fr)
        } else if fb > fr {
            (1.0 - fg, p(0, 1, 0), fg - fb, p(0, 1, 1), fb - fr, fr)
        } else {
            (1.0 - fg, p(0, 1, 0), fg - fr, p(1, 1, 0), fr - fb, fb)
        };
        let mut out = [0.0; 3];
        for k in 0..3 {
            out[k] = w0 * c000[k] + wa * ca[k] + wb * cb[k] + w1 * c111[k];
        }
        clamp_f16_rgb(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lattice whose entries are an affine function of the lattice point: both interpolations must
    /// reproduce that function exactly anywhere inside (both are exact for affine functions).
    fn affine_lut(n: usize) -> (Lut3d, impl Fn(Rgb) -> Rgb) {
        let f = |c: Rgb| {
            [
                0.5 * c[0] + 0.2 * c[1] - 0.1 * c[2] + 0.05,
                -0.3 * c[0] + 0.9 * c[1] + 0.25 * c[2],
                0.1 * c[0] + 0.1 * c[1] + 0.7 * c[2] + 0.1,
            ]
        };
        let mut lut = Lut3d::identity(n);
        for e in &mut lut.table {
            *e = f(e.map(f64::from)).map(|v| v as f32);
        }
        (lut, f)
    }

    #[test]
    fn interpolations_are_exact_on_affine_tables() {
        let (lut, f) = affine_lut(5);
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..2000 {
            let c = [rnd(), rnd(), rnd()];
            let e = f(c);
            for got in [lut.tetrahedral(c), lut.trilinear(c)] {
                for k in 0..3 {
                    assert!((got[k] - e[k]).abs() < 1e-6, "{c:?}: {got:?} vs {e:?}");
                }
            }
        }
    }

    #[test]
    fn tetrahedral_hits_lattice_points_and_clamps_outside() {
        let (lut, _) = affine_lut(3);
        assert_eq!(lut.tetrahedral([0.5, 1.0, 0.0]), lut.at(1, 2, 0));
        assert_eq!(lut.tetrahedral([-5.0, 7.0, f64::NAN]), lut.at(0, 2, 0));
        assert!(Lut3d::identity(5).is_unit_identity(1e-7) && !lut.is_unit_identity(1e-3));
        let id = Lut1d::identity(4);
        assert!(id.is_unit_identity(1e-7));
        let out = id.apply([0.5, -1.0, 2.0]);
        assert!(
            (out[0] - 0.5).abs() < 1e-7 && out[1] == 0.0 && out[2] == 1.0,
            "{out:?}"
        );
    }
}
