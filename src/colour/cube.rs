//! The `.cube` LUT format: Adobe's Cube LUT Specification 1.0 (2013) and DaVinci Resolve's variant
//! with a 1D shaper before the 3D table.
//!
//! A file is keyword lines, then data lines of three numbers (red fastest for 3D). Keywords:
//! `TITLE "text"`, `LUT_1D_SIZE N` (2..65536), `LUT_3D_SIZE N` (2..256), `DOMAIN_MIN r g b`,
//! `DOMAIN_MAX r g b` (Adobe, default 0 0 0 and 1 1 1; for a file with one table), and Resolve's
//! `LUT_1D_INPUT_RANGE min max` / `LUT_3D_INPUT_RANGE min max`. Lines starting with `#` are comments;
//! blank lines are ignored. A file with both sizes holds the 1D rows first, then the 3D rows (Resolve),
//! and is applied as the 1D shaper followed by the 3D table.
//!
//! Every problem is reported at once, each as `file:line: message` ([`CubeError`]); parsing never
//! panics.

use std::fmt;
use std::path::Path;

use super::Rgb;
use super::lut::{Lut1d, Lut3d};

/// A parsed `.cube` file: an optional 1D table (a shaper when a 3D table follows) and an optional 3D
/// table; at least one is present.
#[derive(Clone, Debug, PartialEq)]
pub struct CubeLut {
    /// `TITLE`, if given.
    pub title: Option<String>,
    /// The 1D table, applied first.
    pub shaper: Option<Lut1d>,
    /// The 3D table.
    pub lut3d: Option<Lut3d>,
    /// For a LUT read from a file ([`read_cube`]): the first 16 hex digits of the SHA-256 (FIPS
    /// 180-4) of the file's bytes, what `sha256sum FILE | cut -c1-16` prints; it tells which
    /// version of the file was used. None for parsed text.
    pub sha256: Option<String>,
}

impl CubeLut {
    /// Applies the 1D table (linear) then the 3D table (tetrahedral); finite output.
    pub fn apply(&self, c: Rgb) -> Rgb {
        let c = self.shaper.as_ref().map_or(c, |s| s.apply(c));
        self.lut3d.as_ref().map_or(c, |l| l.tetrahedral(c))
    }
}

impl CubeLut {
    /// Whether every table is the identity on 0..1 within `tol` (see
    /// [`Lut3d::is_unit_identity`]): on values in 0..1 the LUT changes nothing.
    pub fn is_unit_identity(&self, tol: f64) -> bool {
        self.shaper.as_ref().is_none_or(|s| s.is_unit_identity(tol))
            && self.lut3d.as_ref().is_none_or(|l| l.is_unit_identity(tol))
    }
}

/// One problem, at a line of a file (1-based; 0 = the file as a whole).
#[derive(Clone, Debug, PartialEq)]
pub struct CubeLineError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for CubeLineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Why a `.cube` file was refused.
#[derive(Debug, thiserror::Error)]
pub enum CubeError {
    /// The file could not be read.
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    /// Every problem found, in line order.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<CubeLineError>),
}

/// Reads and parses a `.cube` file; errors name the path as given.
pub fn read_cube(path: &Path) -> Result<CubeLut, CubeError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| CubeError::Io {
        file: file.clone(),
        message: e.to_string(),
    })?;
    let mut lut = parse_cube(&String::from_utf8_lossy(&bytes), &file)?;
    lut.sha256 = Some(sha256_16(&bytes));
    Ok(lut)
}

/// The first 16 lower-case hex digits (64 bits) of the SHA-256 of `bytes`.
pub fn sha256_16(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const MAX_1D: usize = 65536;
const MAX_3D: usize = 256;

#[derive(Default)]
struct Header {
    title: Option<String>,
    size1d: Option<usize>,
    size3d: Option<usize>,
    domain_min: Option<Rgb>,
    domain_max: Option<Rgb>,
    range1d: Option<(f64, f64)>,
    range3d: Option<(f64, f64)>,
}

/// Parses `.cube` text; `file` names it in errors.
pub fn parse_cube(text: &str, file: &str) -> Result<CubeLut, CubeError> {
    let mut errs = Vec::new();
    let mut err = |line: usize, message: String| {
        errs.push(CubeLineError {
            file: file.to_string(),
            line,
            message,
        })
    };
    let mut h = Header::default();
    let mut rows: Vec<[f32; 3]> = Vec::new();
    let mut first_data_line = 0;
    let mut last_data_line = 0;
    for (k, raw) in text.lines().enumerate() {
        let n = k + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let key = words.next().unwrap_or_default();
        let rest: Vec<&str> = words.collect();
        let is_number = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'));
        if is_number {
            if first_data_line == 0 {
                first_data_line = n;
            }
            last_data_line = n;
            match numbers(line, 3) {
                Ok(v) => {
                    if v.iter().any(|x| (x.abs() as f32).is_infinite()) {
                        err(n, format!("value out of the float range: '{line}'"));
                    }
                    rows.push([v[0] as f32, v[1] as f32, v[2] as f32]);
                }
                Err(m) => {
                    err(n, m);
                    // Counted all the same, so that the row count is not reported as well.
                    rows.push([0.0; 3]);
                }
            }
            continue;
        }
        if first_data_line != 0 {
            err(
                n,
                format!("keyword '{key}' after the table data (line {first_data_line})"),
            );
            continue;
        }
        let dup = |set: bool| {
            if set {
                Some(format!("{key} given twice"))
            } else {
                None
            }
        };
        match key {
            "TITLE" => {
                let t = line["TITLE".len()..].trim();
                if let Some(m) = dup(h.title.is_some()) {
                    err(n, m);
                } else if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
                    h.title = Some(t[1..t.len() - 1].to_string());
                } else {
                    err(n, format!("TITLE needs a quoted string, got '{t}'"));
                }
            }
            "LUT_1D_SIZE" | "LUT_3D_SIZE" => {
                let (slot, max) = if key == "LUT_1D_SIZE" {
                    (&mut h.size1d, MAX_1D)
                } else {
                    (&mut h.size3d, MAX_3D)
                };
                if let Some(m) = dup(slot.is_some()) {
                    err(n, m);
                    continue;
                }
                match rest.as_slice() {
                    [v] => match v.parse::<usize>() {
                        Ok(s) if (2..=max).contains(&s) => *slot = Some(s),
                        _ => err(
                            n,
                            format!("{key} must be an integer in 2..={max}, got '{v}'"),
                        ),
                    },
                    _ => err(
                        n,
                        format!("{key} takes one integer, got {} values", rest.len()),
                    ),
                }
            }
            "DOMAIN_MIN" | "DOMAIN_MAX" => {
                let slot = if key == "DOMAIN_MIN" {
                    &mut h.domain_min
                } else {
                    &mut h.domain_max
                };
                if let Some(m) = dup(slot.is_some()) {
                    err(n, m);
                    continue;
                }
                match numbers(&rest.join(" "), 3) {
                    Ok(v) => *slot = Some([v[0], v[1], v[2]]),
                    Err(m) => err(n, format!("{key}: {m}")),
                }
            }
            "LUT_1D_INPUT_RANGE" | "LUT_3D_INPUT_RANGE" => {
                let slot = if key == "LUT_1D_INPUT_RANGE" {
                    &mut h.range1d
                } else {
                    &mut h.range3d
                };
                if let Some(m) = dup(slot.is_some()) {
                    err(n, m);
                    continue;
                }
                match numbers(&rest.join(" "), 2) {
                    Ok(v) if v[0] < v[1] => *slot = Some((v[0], v[1])),
                    Ok(v) => err(n, format!("{key}: min {} must be below max {}", v[0], v[1])),
                    Err(m) => err(n, format!("{key}: {m}")),
                }
            }
            _ => err(n, format!("unknown keyword '{key}'")),
        }
    }
    let lut = build(&h, rows, last_data_line, &mut err);
    match lut {
        Some(l) if errs.is_empty() => Ok(l),
        _ => {
            if errs.is_empty() {
                errs.push(CubeLineError {
                    file: file.to_string(),
                    line: 0,
                    message: "no table".to_string(),
                });
            }
            Err(CubeError::Invalid(errs))
        }
    }
}

/// Checks the header against the rows and builds the tables.
fn build(
    h: &Header,
    mut rows: Vec<[f32; 3]>,
    last_line: usize,
    err: &mut impl FnMut(usize, String),
) -> Option<CubeLut> {
    if h.size1d.is_none() && h.size3d.is_none() {
        err(0, "no LUT_1D_SIZE or LUT_3D_SIZE".to_string());
        return None;
    }
    let both = h.size1d.is_some() && h.size3d.is_some();
    if both && (h.domain_min.is_some() || h.domain_max.is_some()) {
        err(
            0,
            "DOMAIN_MIN/MAX is ambiguous with both a 1D and a 3D table: use LUT_1D_INPUT_RANGE and LUT_3D_INPUT_RANGE".to_string(),
        );
    }
    let dmin = h.domain_min.unwrap_or([0.0; 3]);
    let dmax = h.domain_max.unwrap_or([1.0; 3]);
    for k in 0..3 {
        if dmin[k] >= dmax[k] {
            err(
                0,
                format!(
                    "DOMAIN_MIN {:?} must be below DOMAIN_MAX {:?} in every channel",
                    dmin, dmax
                ),
            );
            break;
        }
    }
    let domain = |range: Option<(f64, f64)>| match range {
        Some((a, b)) => ([a; 3], [b; 3]),
        None => (dmin, dmax),
    };
    let n1 = h.size1d.unwrap_or(0);
    let n3 = h.size3d.map_or(0, |s| s * s * s);
    if rows.len() != n1 + n3 {
        let what = match (h.size1d, h.size3d) {
            (Some(a), Some(b)) => format!("{a} (1D) + {b}^3 (3D) = {}", n1 + n3),
            (Some(a), None) => format!("LUT_1D_SIZE {a}"),
            (None, Some(b)) => format!("LUT_3D_SIZE {b}: {b}^3 = {n3}"),
            (None, None) => unreachable!("checked above"),
        };
        err(
            last_line,
            format!("{} data rows, expected {what}", rows.len()),
        );
        return None;
    }
    let lut3 = h.size3d.map(|size| {
        let (a, b) = domain(h.range3d);
        Lut3d {
            size,
            domain_min: a,
            domain_max: b,
            table: rows.split_off(n1),
        }
    });
    let shaper = h.size1d.map(|_| {
        let (a, b) = domain(h.range1d);
        Lut1d {
            domain_min: a,
            domain_max: b,
            table: rows,
        }
    });
    Some(CubeLut {
        title: h.title.clone(),
        shaper,
        lut3d: lut3,
        sha256: None,
    })
}

/// Exactly `count` finite numbers separated by white space.
fn numbers(s: &str, count: usize) -> Result<Vec<f64>, String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() != count {
        return Err(format!(
            "expected {count} numbers, got {} in '{s}'",
            words.len()
        ));
    }
    words
        .iter()
        .map(|w| match w.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("'{w}' is not a finite number")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_small_3d_cube_red_fastest() {
        let text = "# comment\nTITLE \"two\"\nLUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2\n\n\
                    0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
        let lut = parse_cube(text, "a.cube").unwrap();
        assert_eq!(lut.title.as_deref(), Some("two"));
        let l = lut.lut3d.as_ref().unwrap();
        assert_eq!(l.at(1, 0, 0), [1.0, 0.0, 0.0]);
        assert_eq!(l.at(0, 1, 1), [0.0, 1.0, 1.0]);
        // Domain 0..2: input 1 is the middle of the cell.
        assert_eq!(lut.apply([1.0, 2.0, 0.0]), [0.5, 1.0, 0.0]);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_line() {
        let text = "TITLE no quotes\nLUT_3D_SIZE 2\nLUT_3D_SIZE 3\nFOO 1\n0 0 0\n1 0\n0 x 0\n\
                    1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\nDOMAIN_MIN 0 0 0\n";
        let Err(CubeError::Invalid(errs)) = parse_cube(text, "bad.cube") else {
            panic!("accepted")
        };
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 3, 4, 6, 7, 13], "{errs:?}");
        let msg = CubeError::Invalid(errs).to_string();
        assert!(msg.contains("bad.cube:6: expected 3 numbers"), "{msg}");
        assert!(msg.contains("bad.cube:4: unknown keyword 'FOO'"), "{msg}");
    }

    #[test]
    fn wrong_row_count_and_missing_size_and_garbage_never_panic() {
        let e = parse_cube("LUT_3D_SIZE 2\n0 0 0\n", "x.cube")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.cube:2: 1 data rows, expected LUT_3D_SIZE 2: 2^3 = 8"),
            "{e}"
        );
        let e = parse_cube("0 0 0\n", "y.cube").unwrap_err().to_string();
        assert!(e.contains("y.cube: no LUT_1D_SIZE"), "{e}");
        for text in [
            "",
            "\u{0}\u{ff}",
            "LUT_3D_SIZE 1000000000000000000000",
            "LUT_1D_SIZE -2",
            "1e400 0 0",
        ] {
            assert!(parse_cube(text, "z").is_err());
        }
    }

    #[test]
    fn shaper_then_3d() {
        let mut text =
            String::from("LUT_1D_SIZE 2\nLUT_1D_INPUT_RANGE 0 4\nLUT_3D_SIZE 2\n0 0 0\n1 1 1\n");
        for b in 0..2 {
            for g in 0..2 {
                for r in 0..2 {
                    text += &format!("{r} {g} {b}\n");
                }
            }
        }
        let lut = parse_cube(&text, "s.cube").unwrap();
        assert_eq!(lut.shaper.as_ref().unwrap().domain_max, [4.0; 3]);
        assert_eq!(lut.apply([2.0, 4.0, 8.0]), [0.5, 1.0, 1.0]);
    }
}
