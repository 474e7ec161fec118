//! RGB colour spaces by their primaries, and conversions between them through CIE XYZ.
//!
//! The RGB -> XYZ matrix is derived from the primaries' and white's chromaticities (SMPTE RP
//! 177-1993, section 3.3): the columns are the primaries' XYZ scaled so that RGB (1, 1, 1) maps to the
//! white with `Y = 1`. Between spaces with different whites (ACES' ~D60 and D65) the XYZ values are
//! adapted with the linear Bradford transform (von Kries scaling in Bradford's cone space), as
//! OpenColorIO's built-in transforms do (`ACES-AP1_to_LINEAR-REC709_BFD`,
//! `ACES-AP1_to_LINEAR-REC2020_BFD`; the `_BFD` suffix names Bradford).

use glam::{DMat3, DVec3};
use serde::{Deserialize, Serialize};

use super::Rgb;

/// CIE 1931 chromaticity `(x, y)`.
pub type Xy = [f64; 2];

/// An RGB space's primaries and white point, as chromaticities.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Primaries {
    pub red: Xy,
    pub green: Xy,
    pub blue: Xy,
    pub white: Xy,
}

/// D65 white (ITU-R BT.709-6 item 1.4, BT.2020-2 table 3): `(0.3127, 0.3290)`.
pub const D65: Xy = [0.3127, 0.3290];
/// The ACES white (~D60, SMPTE ST 2065-1:2012 section 4.1): `(0.32168, 0.33767)`.
pub const ACES_WHITE: Xy = [0.32168, 0.33767];

/// Rec.709 / sRGB primaries, D65 (ITU-R BT.709-6, items 1.3 and 1.4).
pub const REC709: Primaries = Primaries {
    red: [0.64, 0.33],
    green: [0.30, 0.60],
    blue: [0.15, 0.06],
    white: D65,
};

/// ACES AP1 primaries (ACEScg, ACEScct; Academy S-2014-004, section 4.1), ACES white.
pub const ACES_AP1: Primaries = Primaries {
    red: [0.713, 0.293],
    green: [0.165, 0.830],
    blue: [0.128, 0.044],
    white: ACES_WHITE,
};

/// Rec.2020 primaries, D65 (ITU-R BT.2020-2, table 3), also those of BT.2100 (PQ outputs).
pub const REC2020: Primaries = Primaries {
    red: [0.708, 0.292],
    green: [0.170, 0.797],
    blue: [0.131, 0.046],
    white: D65,
};

/// A named scene-linear working space of the stage file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkingSpace {
    /// Linear Rec.709 / sRGB primaries, D65 (what the renderer has always used).
    #[default]
    Rec709,
    /// ACEScg: linear AP1 primaries, ACES white (`ACEScg`, the Academy's spelling, reads as
    /// well).
    #[serde(alias = "ACEScg")]
    AcesCg,
    /// Linear Rec.2020 primaries, D65.
    Rec2020,
}

impl WorkingSpace {
    /// The space's primaries and white.
    pub fn primaries(self) -> Primaries {
        match self {
            WorkingSpace::Rec709 => REC709,
            WorkingSpace::AcesCg => ACES_AP1,
            WorkingSpace::Rec2020 => REC2020,
        }
    }
}

/// `(x, y)` with `Y = 1` as XYZ.
pub fn xy_to_xyz(xy: Xy) -> DVec3 {
    DVec3::new(xy[0] / xy[1], 1.0, (1.0 - xy[0] - xy[1]) / xy[1])
}

/// The normalised primary matrix RGB -> XYZ (SMPTE RP 177-1993, equations 3.3-3.5): columns the
/// primaries' XYZ scaled so that `M (1, 1, 1)` is the white with `Y = 1`.
pub fn rgb_to_xyz(p: &Primaries) -> DMat3 {
    let m = DMat3::from_cols(xy_to_xyz(p.red), xy_to_xyz(p.green), xy_to_xyz(p.blue));
    let s = m.inverse() * xy_to_xyz(p.white);
    DMat3::from_cols(m.x_axis * s.x, m.y_axis * s.y, m.z_axis * s.z)
}

/// The Bradford cone-response matrix (Lam 1985; as in CIE 159:2004's CIECAT02 predecessor and
/// Lindbloom's tables): XYZ -> sharpened LMS.
pub fn bradford() -> DMat3 {
    DMat3::from_cols_array(&[
        0.8951, -0.7502, 0.0389, // column 0
        0.2664, 1.7135, -0.0685, // column 1
        -0.1614, 0.0367, 1.0296, // column 2
    ])
}

/// Linear Bradford chromatic adaptation XYZ -> XYZ from white `src` to white `dst` (von Kries
/// scaling of the Bradford cone responses; the non-linear blue term of the original is omitted, as
/// in every colour-management system).
pub fn bradford_adaptation(src: Xy, dst: Xy) -> DMat3 {
    let b = bradford();
    let s = b * xy_to_xyz(src);
    let d = b * xy_to_xyz(dst);
    b.inverse() * DMat3::from_diagonal(d / s) * b
}

/// The matrix converting linear RGB in `src` to linear RGB in `dst`, through XYZ, with Bradford
/// adaptation from `src.white` to `dst.white` when they differ; exactly the identity when `src ==
/// dst`.
pub fn conversion(src: &Primaries, dst: &Primaries) -> DMat3 {
    if src == dst {
        return DMat3::IDENTITY;
    }
    let adapt = if src.white == dst.white {
        DMat3::IDENTITY
    } else {
        bradford_adaptation(src.white, dst.white)
    };
    rgb_to_xyz(dst).inverse() * adapt * rgb_to_xyz(src)
}

/// `m * c`.
pub fn apply(m: &DMat3, c: Rgb) -> Rgb {
    (*m * DVec3::from_array(c)).to_array()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: DMat3, b: [[f64; 3]; 3], tol: f64) {
        // `b` written by rows, as papers print matrices.
        for (r, row) in b.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let got = a.col(c)[r];
                assert!((got - v).abs() < tol, "[{r}][{c}] {got} vs {v}");
            }
        }
    }

    #[test]
    fn rec709_matrix_matches_the_srgb_standard() {
        // IEC 61966-2-1:1999 section 5.2, rounded to 4 digits there.
        close(
            rgb_to_xyz(&REC709),
            [
                [0.4124, 0.3576, 0.1805],
                [0.2126, 0.7152, 0.0722],
                [0.0193, 0.1192, 0.9505],
            ],
            1e-4,
        );
    }

    #[test]
    fn rec2020_luma_row_matches_bt2020() {
        // ITU-R BT.2020-2 table 4: Y' = 0.2627 R + 0.6780 G + 0.0593 B.
        let m = rgb_to_xyz(&REC2020);
        for (c, v) in [0.2627, 0.6780, 0.0593].iter().enumerate() {
            assert!((m.col(c)[1] - v).abs() < 1e-4);
        }
    }

    #[test]
    fn conversions_keep_white_and_invert() {
        let spaces = [REC709, ACES_AP1, REC2020];
        for a in &spaces {
            for b in &spaces {
                let m = conversion(a, b);
                let w = apply(&m, [1.0, 1.0, 1.0]);
                assert!(w.iter().all(|v| (v - 1.0).abs() < 1e-9), "{w:?}");
                let back = conversion(b, a) * m;
                assert!(back.abs_diff_eq(DMat3::IDENTITY, 1e-9));
            }
        }
    }
}
