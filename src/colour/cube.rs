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
//! A UTF-8 byte-order mark at the very start of the file (written by some Windows tools) is
//! skipped, as other readers do; anywhere else it is an error like any other stray character. A
//! line is a data line when its first word starts like a number: a digit, a sign, `.`, or `nan` /
//! `inf` in any case (so `nan 0 0` is refused as not finite, not taken for a keyword).
//!
//! Every problem is reported at once, each as `file:line: message` ([`CubeError`]), in line order;
//! a token quoted in a message has its control and invisible characters escaped (`\u{feff}`).
//! Parsing never panics.

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
    /// The top of the LUT's input domain: the smallest channel of the first table's `DOMAIN_MAX`
    /// (the shaper's, else the 3D table's); inputs above it take the table's edge values. `None`
    /// without a table.
    pub fn input_top(&self) -> Option<f64> {
        let max = match (&self.shaper, &self.lut3d) {
            (Some(sh), _) => sh.domain_max,
            (None, Some(t)) => t.domain_max,
            (None, None) => return None,
        };
        Some(max.iter().copied().fold(f64::INFINITY, f64::min))
    }

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

/// The keywords read, each with the line it is on.
#[derive(Default)]
struct Header {
    title: Option<String>,
    size1d: Option<(usize, usize)>,
    size3d: Option<(usize, usize)>,
    /// A size keyword was given but refused (already reported): no row count is checked.
    size_refused: bool,
    domain_min: Option<(Rgb, usize)>,
    domain_max: Option<(Rgb, usize)>,
    range1d: Option<(f64, f64)>,
    range3d: Option<(f64, f64)>,
}

/// `s` as quoted in a message: control and invisible characters (byte-order mark, zero-width and
/// direction marks, soft hyphen) escaped as `\u{..}`, so that the token shown is the token read.
fn shown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let invisible = c.is_control()
            || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}' | '\u{feff}');
        if invisible {
            out += &format!("\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a line whose first word is `word` is a data line: the word starts like a number (a
/// digit, a sign, `.`, or `nan` / `inf` in any case).
fn starts_like_a_number(word: &str) -> bool {
    let lower = word.get(..3).map(str::to_ascii_lowercase);
    word.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
        || matches!(lower.as_deref(), Some("nan" | "inf"))
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
    // A byte-order mark is skipped at the start only.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
        if starts_like_a_number(key) {
            if first_data_line == 0 {
                first_data_line = n;
            }
            last_data_line = n;
            match numbers(line, 3) {
                Ok(v) => {
                    if v.iter().any(|x| (x.abs() as f32).is_infinite()) {
                        err(
                            n,
                            format!("value out of the float range: '{}'", shown(line)),
                        );
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
                format!(
                    "keyword '{}' after the table data (line {first_data_line})",
                    shown(key)
                ),
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
                    err(
                        n,
                        format!("TITLE needs a quoted string, got '{}'", shown(t)),
                    );
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
                        Ok(s) if (2..=max).contains(&s) => *slot = Some((s, n)),
                        _ => {
                            h.size_refused = true;
                            err(
                                n,
                                format!(
                                    "{key} must be an integer in 2..={max}, got '{}'",
                                    shown(v)
                                ),
                            )
                        }
                    },
                    _ => {
                        h.size_refused = true;
                        err(
                            n,
                            format!("{key} takes one integer, got {} values", rest.len()),
                        )
                    }
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
                    Ok(v) => *slot = Some(([v[0], v[1], v[2]], n)),
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
            _ => err(n, format!("unknown keyword '{}'", shown(key))),
        }
    }
    let lut = build(&h, rows, last_data_line, &mut err);
    // In line order; problems of the file as a whole (line 0) last.
    errs.sort_by_key(|e| (e.line == 0, e.line));
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

/// `r g b` as written in a message.
fn triple(v: Rgb) -> String {
    format!("{} {} {}", v[0], v[1], v[2])
}

/// Checks the header against the rows and builds the tables.
fn build(
    h: &Header,
    mut rows: Vec<[f32; 3]>,
    last_line: usize,
    err: &mut impl FnMut(usize, String),
) -> Option<CubeLut> {
    let both = h.size1d.is_some() && h.size3d.is_some();
    if both && let Some(line) = h.domain_min.or(h.domain_max).map(|d| d.1) {
        err(
            line,
            "DOMAIN_MIN/MAX is ambiguous with both a 1D and a 3D table: use LUT_1D_INPUT_RANGE and LUT_3D_INPUT_RANGE".to_string(),
        );
    }
    let dmin = h.domain_min.map_or([0.0; 3], |d| d.0);
    let dmax = h.domain_max.map_or([1.0; 3], |d| d.0);
    if (0..3).any(|k| dmin[k] >= dmax[k]) {
        // At the line of the keyword given last (one of them is, the defaults being in order).
        let written = |d: Option<(Rgb, usize)>| match d {
            Some((_, line)) => format!("line {line}"),
            None => "default".to_string(),
        };
        let line = [h.domain_min, h.domain_max]
            .iter()
            .flatten()
            .map(|d| d.1)
            .max()
            .unwrap_or(0);
        err(
            line,
            format!(
                "DOMAIN_MIN {} ({}) must be below DOMAIN_MAX {} ({}) in every channel",
                triple(dmin),
                written(h.domain_min),
                triple(dmax),
                written(h.domain_max),
            ),
        );
    }
    if h.size1d.is_none() && h.size3d.is_none() {
        if !h.size_refused {
            err(0, "no LUT_1D_SIZE or LUT_3D_SIZE".to_string());
        }
        return None;
    }
    if h.size_refused {
        // One size was refused (reported at its line): the row count would mislead.
        return None;
    }
    let size1d = h.size1d.map(|s| s.0);
    let size3d = h.size3d.map(|s| s.0);
    let domain = |range: Option<(f64, f64)>| match range {
        Some((a, b)) => ([a; 3], [b; 3]),
        None => (dmin, dmax),
    };
    let n1 = size1d.unwrap_or(0);
    let n3 = size3d.map_or(0, |s| s * s * s);
    if rows.len() != n1 + n3 {
        let what = match (size1d, size3d) {
            (Some(a), Some(b)) => format!("{a} (1D) + {b}^3 (3D) = {}", n1 + n3),
            (Some(a), None) => format!("LUT_1D_SIZE {a}"),
            (None, Some(b)) => format!("LUT_3D_SIZE {b}: {b}^3 = {n3}"),
            (None, None) => unreachable!("checked above"),
        };
        // At the last data line, or at the size keyword when there is no data.
        let size_line = h.size1d.or(h.size3d).map_or(0, |s| s.1);
        err(
            if last_line == 0 { size_line } else { last_line },
            format!("{} data rows, expected {what}", rows.len()),
        );
        return None;
    }
    let lut3 = size3d.map(|size| {
        let (a, b) = domain(h.range3d);
        Lut3d {
            size,
            domain_min: a,
            domain_max: b,
            table: rows.split_off(n1),
        }
    });
    let shaper = size1d.map(|_| {
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
            "expected {count} numbers, got {} in '{}'",
            words.len(),
            shown(s)
        ));
    }
    words
        .iter()
        .map(|w| match w.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("'{}' is not a finite number", shown(w))),
        })
        .collect()
}

#[cfg(test)]
#[path = "cube_tests.rs"]
mod tests;
