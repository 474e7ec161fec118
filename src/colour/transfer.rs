//! Transfer functions: sRGB (IEC 61966-2-1:1999) and SMPTE ST 2084 (PQ).

/// sRGB encoding (IEC 61966-2-1:1999, section 5.2, equation for `R'sRGB`): linear 0..1 -> encoded
/// 0..1; `12.92 x` up to 0.0031308, then `1.055 x^(1/2.4) - 0.055`. Input is clamped to 0..1.
pub fn srgb_encode(x: f64) -> f64 {
    let x = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
    if x <= 0.0031308 {
        12.92 * x
    } else {
        1.055 * x.powf(1.0 / 2.4) - 0.055
    }
}

/// sRGB decoding (IEC 61966-2-1:1999, section 5.2, inverse): encoded 0..1 -> linear 0..1; `x / 12.92`
/// up to 0.04045, then `((x + 0.055) / 1.055)^2.4`. Input is clamped to 0..1.
pub fn srgb_decode(x: f64) -> f64 {
    let x = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) };
    if x <= 0.04045 {
        x / 12.92
    } else {
        ((x + 0.055) / 1.055).powf(2.4)
    }
}

/// ST 2084 `m1 = 2610 / 16384` (SMPTE ST 2084:2014, section 5.1).
pub const PQ_M1: f64 = 2610.0 / 16384.0;
/// ST 2084 `m2 = 2523 / 4096 * 128`.
pub const PQ_M2: f64 = 2523.0 / 4096.0 * 128.0;
/// ST 2084 `c1 = 3424 / 4096 = c3 - c2 + 1`.
pub const PQ_C1: f64 = 3424.0 / 4096.0;
/// ST 2084 `c2 = 2413 / 4096 * 32`.
pub const PQ_C2: f64 = 2413.0 / 4096.0 * 32.0;
/// ST 2084 `c3 = 2392 / 4096 * 32`.
pub const PQ_C3: f64 = 2392.0 / 4096.0 * 32.0;
/// Luminance that PQ code value 1.0 stands for, cd/m^2 (nits).
pub const PQ_PEAK_NITS: f64 = 10000.0;

/// PQ inverse EOTF (SMPTE ST 2084:2014, section 5.3, equation 5.2): absolute luminance in nits
/// (cd/m^2) -> non-linear signal 0..1, with 10000 nits = 1.0. Negative input and NaN give 0; input
/// above 10000 nits is clamped to 1.0.
pub fn pq_encode(nits: f64) -> f64 {
    let y = if nits.is_nan() {
        0.0
    } else {
        (nits / PQ_PEAK_NITS).clamp(0.0, 1.0)
    };
    let p = y.powf(PQ_M1);
    ((PQ_C1 + PQ_C2 * p) / (1.0 + PQ_C3 * p)).powf(PQ_M2)
}

/// PQ EOTF (SMPTE ST 2084:2014, section 5.2, equation 5.1): non-linear signal 0..1 -> absolute
/// luminance in nits (0..10000). Input is clamped to 0..1 (NaN gives 0).
pub fn pq_decode(e: f64) -> f64 {
    let e = if e.is_nan() { 0.0 } else { e.clamp(0.0, 1.0) };
    let p = e.powf(1.0 / PQ_M2);
    let num = (p - PQ_C1).max(0.0);
    let den = PQ_C2 - PQ_C3 * p;
    PQ_PEAK_NITS * (num / den).powf(1.0 / PQ_M1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pq_anchor_100_nits() {
        // The anchor value quoted in the issue (and in ITU-R BT.2100 tables): 100 nits -> 0.5080784.
        assert!(
            (pq_encode(100.0) - 0.5080784).abs() < 1e-7,
            "{}",
            pq_encode(100.0)
        );
        assert!((pq_decode(0.5080784) - 100.0).abs() < 1e-4);
        assert_eq!(pq_encode(0.0), PQ_C1.powf(PQ_M2));
        assert!((pq_encode(10000.0) - 1.0).abs() < 1e-12);
        assert!((pq_decode(1.0) - 10000.0).abs() < 1e-9);
    }

    #[test]
    fn pq_and_srgb_round_trip_and_are_finite() {
        for k in 0..=1000 {
            let e = k as f64 / 1000.0;
            // PQ code 0 is 0 nits, whose encoding is c1^m2 = 7.3e-7, not 0.
            assert!((pq_encode(pq_decode(e)) - e).abs() < 1e-6, "{e}");
            assert!((srgb_encode(srgb_decode(e)) - e).abs() < 1e-12, "{e}");
        }
        for v in [f64::NAN, f64::INFINITY, -1.0, 1e30] {
            assert!(pq_encode(v).is_finite() && srgb_encode(v).is_finite());
        }
        // Both pieces of the sRGB curve meet at the threshold (to the spec's 4 digits).
        assert!((srgb_encode(0.0031308) - 0.04045).abs() < 1e-6);
    }
}
