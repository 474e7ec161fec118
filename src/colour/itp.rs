//! ICtCp (ITU-R BT.2100-2, PQ variant) and the colour difference ΔE_ITP (ITU-R BT.2124-0, 2019):
//! the metric of HDR golden checks (`parallax check` on PQ and linear EXR outputs).
//!
//! Input is absolute linear light: Rec.2020 / BT.2100 RGB in nits (cd/m^2). BT.2100 (table 7):
//! - `L = (1688 R + 2146 G + 262 B) / 4096`, `M = (683 R + 2951 G + 462 B) / 4096`,
//!   `S = (99 R + 309 G + 3688 B) / 4096`;
//! - `L' M' S'` = the PQ inverse EOTF of SMPTE ST 2084 of each, 10000 nits = 1.0
//!   ([`super::transfer::pq_encode`]);
//! - `I = (2048 L' + 2048 M') / 4096`, `Ct = (6610 L' - 13613 M' + 7003 S') / 4096`,
//!   `Cp = (17933 L' - 17390 M' - 543 S') / 4096`.
//!
//! BT.2124 (equation 1): `ΔE_ITP = 720 sqrt((I1 - I2)^2 + (T1 - T2)^2 + (P1 - P2)^2)` with
//! `T = 0.5 Ct`, `P = Cp`. A ΔE_ITP of 1 is about one just-noticeable difference in the most
//! critical viewing condition. Checked against colour-science's `RGB_to_ICtCp` and `delta_E_ITP`
//! (`scripts/itp_vectors.py`, `tests/data/colour/itp.json`).

use super::Rgb;
use super::transfer::{PQ_C1, PQ_C2, PQ_C3, PQ_M1, PQ_M2, PQ_PEAK_NITS};

/// BT.2100-2 table 7: Rec.2020 linear RGB -> LMS, as 4096ths, by rows.
pub const LMS_FROM_REC2020_4096: [[i32; 3]; 3] =
    [[1688, 2146, 262], [683, 2951, 462], [99, 309, 3688]];

/// BT.2100-2 table 7: PQ-encoded `L'M'S'` -> `I, Ct, Cp`, as 4096ths, by rows.
pub const ICTCP_FROM_LMS_PQ_4096: [[i32; 3]; 3] =
    [[2048, 2048, 0], [6610, -13613, 7003], [17933, -17390, -543]];

/// BT.2124 scale: ΔE_ITP is 720 times the Euclidean distance in ITP.
pub const ITP_SCALE: f64 = 720.0;

fn mul_4096(m: &[[i32; 3]; 3], v: Rgb) -> Rgb {
    m.map(|row| (row[0] as f64 * v[0] + row[1] as f64 * v[1] + row[2] as f64 * v[2]) / 4096.0)
}

/// The ST 2084 inverse EOTF of `nits` (10000 nits = 1.0), as [`super::transfer::pq_encode`] but
/// not clamped above 10000 nits: the curve goes on rising (towards `(c2 / c3)^m2`, about 1.99), as
/// colour-science's `eotf_inverse_ST2084` does, so that linear EXR light beyond PQ's range still
/// differs. Negative values and NaN give the code of 0 nits.
pub fn pq_signal_extended(nits: f64) -> f64 {
    let y = if nits.is_nan() {
        0.0
    } else {
        (nits / PQ_PEAK_NITS).max(0.0)
    };
    let p = y.powf(PQ_M1);
    let v = ((PQ_C1 + PQ_C2 * p) / (1.0 + PQ_C3 * p)).powf(PQ_M2);
    if v.is_finite() {
        v
    } else {
        (PQ_C2 / PQ_C3).powf(PQ_M2)
    }
}

/// `[I, Ct, Cp]` of a colour given as absolute linear Rec.2020 RGB in nits (cd/m^2). Negative
/// LMS values (out of gamut) encode as 0 nits; LMS above 10000 nits follow the extended curve
/// ([`pq_signal_extended`]).
pub fn ictcp_from_rec2020_nits(rgb: Rgb) -> Rgb {
    let lms = mul_4096(&LMS_FROM_REC2020_4096, rgb);
    mul_4096(&ICTCP_FROM_LMS_PQ_4096, lms.map(pq_signal_extended))
}

/// BT.2124 ΔE_ITP between two colours given as `[I, Ct, Cp]` (unitless; 1 is about one
/// just-noticeable difference).
pub fn delta_e_itp(a: Rgb, b: Rgb) -> f64 {
    let (di, dt, dp) = (a[0] - b[0], 0.5 * (a[1] - b[1]), a[2] - b[2]);
    ITP_SCALE * (di * di + dt * dt + dp * dp).sqrt()
}

/// ΔE_ITP between two colours given as absolute linear Rec.2020 RGB in nits.
pub fn delta_e_itp_nits(a: Rgb, b: Rgb) -> f64 {
    delta_e_itp(ictcp_from_rec2020_nits(a), ictcp_from_rec2020_nits(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SMPTE ST 2084 inverse EOTF written out here from the standard's constants (section 5.1),
    /// independently of `transfer::pq_encode`: `((c1 + c2 Y^m1) / (1 + c3 Y^m1))^m2`, `Y = nits /
    /// 10000`.
    fn st2084(nits: f64) -> f64 {
        let m1 = 0.1593017578125; // 2610 / 16384
        let m2 = 78.84375; // 2523 / 4096 * 128
        let c1 = 0.8359375; // 3424 / 4096
        let c2 = 18.8515625; // 2413 / 4096 * 32
        let c3 = 18.6875; // 2392 / 4096 * 32
        let y = (nits / 10000.0).powf(m1);
        ((c1 + c2 * y) / (1.0 + c3 * y)).powf(m2)
    }

    #[test]
    fn the_bt2100_matrices_keep_white_and_neutral() {
        // Each LMS row sums to 4096: grey RGB (Y, Y, Y) has L = M = S = Y.
        for row in LMS_FROM_REC2020_4096 {
            assert_eq!(row.iter().sum::<i32>(), 4096, "{row:?}");
        }
        // I's row sums to 4096 and the chroma rows to 0: grey has Ct = Cp = 0.
        let sums: Vec<i32> = ICTCP_FROM_LMS_PQ_4096
            .iter()
            .map(|r| r.iter().sum())
            .collect();
        assert_eq!(sums, [4096, 0, 0]);
    }

    #[test]
    fn grey_has_i_equal_to_its_pq_code_and_no_chroma() {
        for nits in [0.01, 1.0, 100.0, 203.0, 1000.0, 10000.0] {
            let [i, ct, cp] = ictcp_from_rec2020_nits([nits; 3]);
            assert!((i - st2084(nits)).abs() < 1e-12, "{nits}: I {i}");
            assert!(ct.abs() < 1e-12 && cp.abs() < 1e-12, "{nits}: {ct} {cp}");
        }
        // BT.2100's anchor: 100 nits is PQ 0.508078.
        assert!((ictcp_from_rec2020_nits([100.0; 3])[0] - 0.5080784).abs() < 1e-7);
    }

    #[test]
    fn identical_colours_differ_by_zero() {
        for c in [[0.0; 3], [100.0, 20.0, 3.0], [4000.0, 0.0, 1000.0]] {
            assert_eq!(delta_e_itp_nits(c, c), 0.0);
        }
    }

    #[test]
    fn a_grey_luminance_step_is_720_times_its_pq_step() {
        // Grey: T and P are 0, so ΔE_ITP = 720 |ΔI| = 720 |PQ(a) - PQ(b)|.
        for (a, b) in [
            (100.0, 101.0),
            (1000.0, 1010.0),
            (0.1, 0.11),
            (200.0, 400.0),
        ] {
            let expected = 720.0 * (st2084(b) - st2084(a));
            let got = delta_e_itp_nits([a; 3], [b; 3]);
            assert!(
                (got - expected).abs() < 1e-9,
                "{a} -> {b}: {got} vs {expected}"
            );
        }
        // 100 -> 101 nits (1 %) is just under one JND: 720 x 0.000999 = 0.72.
        let jnd = delta_e_itp_nits([100.0; 3], [101.0; 3]);
        assert!((0.7..0.74).contains(&jnd), "{jnd}");
        // Doubling 200 nits is far from it.
        assert!(delta_e_itp_nits([200.0; 3], [400.0; 3]) > 50.0);
    }

    #[test]
    fn t_is_half_weighted_and_the_formula_is_symmetric() {
        // BT.2124 equation 1 by hand: ΔI = 0.001, ΔCt = 0.002 (ΔT = 0.001), ΔCp = 0.002.
        let a = [0.5, 0.01, -0.02];
        let b = [0.501, 0.012, -0.018];
        let expected = 720.0 * (0.001f64.powi(2) + 0.001f64.powi(2) + 0.002f64.powi(2)).sqrt();
        assert!((delta_e_itp(a, b) - expected).abs() < 1e-9);
        assert_eq!(delta_e_itp(a, b), delta_e_itp(b, a));
        // colour-science's docstring example for `delta_E_ITP`: 1.42657228...
        let d = delta_e_itp(
            [0.4885468072, -0.04739350675, 0.07475401302],
            [0.4899203231, -0.04567508203, 0.07361341775],
        );
        assert!((d - 1.42657228).abs() < 1e-7, "{d}");
    }

    #[test]
    fn out_of_range_light_is_finite() {
        for c in [
            [-5.0, 0.0, 0.0],
            [1e9, 0.0, 0.0],
            [f64::NAN, 1.0, 1.0],
            [f64::INFINITY; 3],
        ] {
            let [i, ct, cp] = ictcp_from_rec2020_nits(c);
            assert!(i.is_finite() && ct.is_finite() && cp.is_finite(), "{c:?}");
        }
        // Beyond 10000 nits the curve still rises (linear EXR light can go there).
        assert!(pq_signal_extended(20000.0) > pq_signal_extended(10000.0));
        assert!((pq_signal_extended(10000.0) - 1.0).abs() < 1e-12);
    }
}
