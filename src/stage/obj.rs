//! Cabinets surveyed in a Wavefront OBJ file ([`section`]), and the small, strict reader of the OBJ
//! subset that survey and CAD tools export for LED
//! cabinets: vertices (`v`) and polygon faces (`f`) in named objects or groups (`o`, `g`). Every
//! problem is reported at once, as `file:line: message`.
//!
//! Format: the OBJ appendix of the Wavefront Advanced Visualizer manual (public, e.g.
//! <https://paulbourke.net/dataformats/obj/>). A face lists vertex references `v`, `v/vt`, `v//vn`
//! or `v/vt/vn`, each counted from 1, or from the end of the vertices read so far when negative;
//! only the positions are used. Texture coordinates, normals, smoothing groups and materials
//! (`vt`, `vn`, `vp`, `s`, `usemtl`, `mtllib`) are read past; any other statement is an error, so
//! that a file that is not what it seems is never half read. No crate is used: `tobj` (the
//! maintained one) does not say on which line a face is, and located errors are what a stage crew
//! needs to fix a survey.

use std::collections::HashMap;
use std::path::Path;

use glam::DVec3;

use super::building::MAX_GRID;
use super::checks::Problems;
use super::geometry;
use super::shapes::{Ctx, Resolved, mm};
use super::{SectionKind, Subject, panel_id};

/// A face of an OBJ file: the object or group it belongs to, where it is and its corners in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Face {
    /// Name of the latest `o` or `g` statement before the face (`None` before any).
    pub name: Option<String>,
    /// Line of the `f` statement, from 1.
    pub line: usize,
    /// Vertex positions as written, in the face's order.
    pub corners: Vec<DVec3>,
}

/// Reads the faces of the OBJ file at `path`; `label` names it in messages.
///
/// Errors: every unreadable line as `label:line: message`, or one message naming the file when it
/// cannot be read.
pub fn read(path: &Path, label: &str) -> Result<Vec<Face>, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("cannot read OBJ file {}: {e}", path.display())])?;
    parse(&text, label)
}

/// Parses OBJ text; `label` names the file in messages (see [`read`]).
pub fn parse(text: &str, label: &str) -> Result<Vec<Face>, Vec<String>> {
    let mut vertices: Vec<DVec3> = Vec::new();
    let mut faces = Vec::new();
    let mut name: Option<String> = None;
    let mut errors = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line = k + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        let mut words = content.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        let args: Vec<&str> = words.collect();
        let mut fail = |m: String| errors.push(format!("{label}:{line}: {m}"));
        match keyword {
            "v" => {
                if !(3..=4).contains(&args.len()) {
                    fail(format!("a vertex has 3 coordinates, got {}", args.len()));
                    vertices.push(DVec3::NAN);
                    continue;
                }
                let mut xyz = [0.0; 3];
                let mut ok = true;
                for (slot, a) in xyz.iter_mut().zip(&args) {
                    match a.parse::<f64>() {
                        Ok(v) if v.is_finite() => *slot = v,
                        _ => {
                            fail(format!("'{a}' is not a finite number"));
                            ok = false;
                        }
                    }
                }
                vertices.push(if ok { DVec3::from(xyz) } else { DVec3::NAN });
            }
            "f" => {
                let mut corners = Vec::with_capacity(args.len());
                for a in &args {
                    let index = a.split('/').next().unwrap_or("");
                    let n = vertices.len() as i64;
                    let at = match index.parse::<i64>() {
                        Ok(i) if i > 0 && i <= n => Some((i - 1) as usize),
                        Ok(i) if i < 0 && -i <= n => Some((n + i) as usize),
                        _ => None,
                    };
                    match at {
                        Some(i) if vertices[i].is_finite() => corners.push(vertices[i]),
                        Some(_) => corners.push(DVec3::NAN), // the vertex's own line is reported
                        None => fail(format!(
                            "'{a}' is not a vertex: {n} vertices are defined before this line"
                        )),
                    }
                }
                if corners.len() == args.len() {
                    faces.push(Face {
                        name: name.clone(),
                        line,
                        corners,
                    });
                }
            }
            "o" | "g" => {
                name = (!args.is_empty()).then(|| args.join(" "));
            }
            "vt" | "vn" | "vp" | "s" | "usemtl" | "mtllib" => {}
            other => fail(format!(
                "unknown statement '{other}' (a cabinet survey holds v, f, o and g)"
            )),
        }
    }
    if errors.is_empty() {
        Ok(faces)
    } else {
        Err(errors)
    }
}

// ---- Cabinets of a section from an OBJ file ----

/// The column and row of an OBJ object named `<section>-<col>-<row>` or `<col>-<row>`:
/// `Ok(None)` for another section's cabinet, `Err` for a name that is not a cabinet id.
fn cabinet_of(name: &str, section: &str) -> Result<Option<(u32, u32)>, ()> {
    let mut parts = name.rsplitn(3, '-');
    let row = parts.next().and_then(|s| s.parse::<u32>().ok());
    let col = parts.next().and_then(|s| s.parse::<u32>().ok());
    let (Some(col), Some(row)) = (col, row) else {
        return Err(());
    };
    match parts.next() {
        None => Ok(Some((col, row))),
        Some(prefix) if prefix == section => Ok(Some((col, row))),
        Some(_) => Ok(None),
    }
}

/// Cabinets surveyed as quads of an OBJ file (see [`read`]): each face `TL BL BR TR`
/// (counter-clockwise seen from the front, OBJ's rule for a front face, from the top-left corner)
/// must be a rectangle of the cabinet's size within `limits.survey_tolerance_m`; each problem
/// names the OBJ file and line.
pub(super) fn section(c: &Ctx, path: &str, scale: f64, problems: &mut Problems) -> Resolved {
    let subj = c.subject();
    if !(scale.is_finite() && scale > 0.0) {
        problems.push(
            subj,
            format!(
                "scale must be a finite number above zero, got {scale}{}",
                c.at("scale")
            ),
        );
        return None;
    }
    let full = match c.base {
        Some(b) if Path::new(path).is_relative() => b.join(path),
        _ => Path::new(path).to_path_buf(),
    };
    let faces = match read(&full, path) {
        Ok(f) => f,
        Err(errors) => {
            for e in errors {
                problems.push(subj.clone(), format!("{e}{}", c.at("path")));
            }
            return None;
        }
    };
    let tol = c.limits.survey_tolerance_m;
    let mut ok = true;
    let mut seen: HashMap<(u32, u32), usize> = HashMap::new();
    let mut cells = Vec::new();
    for f in &faces {
        let here = format!("{path}:{}", f.line);
        let located = |s: Subject| Subject::At(here.clone(), Box::new(s));
        let Some(name) = &f.name else {
            problems.push(located(subj.clone()), "a face before any object or group name (o, g): every cabinet's quad is named by its id");
            ok = false;
            continue;
        };
        let cabinet = cabinet_of(name, &c.sec.name);
        if cabinet == Ok(None) {
            continue; // another section's cabinet
        }
        // A face that is not a quad is reported even when its name is wrong too.
        let quad = f.corners.len() == 4;
        if !quad {
            problems.push(
                located(subj.clone()),
                format!(
                    "'{name}': a face of {} vertices: a cabinet is one quad (4 vertices)",
                    f.corners.len()
                ),
            );
            ok = false;
        }
        let (col, row) = match cabinet {
            Ok(Some(cr)) if quad => cr,
            Ok(_) => continue,
            Err(()) => {
                problems.push(
                    located(subj.clone()),
                    format!("'{name}' is not a cabinet id: name each quad's object '{}-<col>-<row>' or '<col>-<row>'", c.sec.name),
                );
                ok = false;
                continue;
            }
        };
        let ps = Subject::Panel(panel_id(&c.sec.name, col, row));
        if col >= MAX_GRID || row >= MAX_GRID {
            problems.push(located(ps), format!("col and row must be below {MAX_GRID}"));
            ok = false;
            continue;
        }
        if let Some(first) = seen.insert((col, row), f.line) {
            problems.push(
                located(ps),
                format!("a second quad for this cabinet (the first is on line {first})"),
            );
            ok = false;
            continue;
        }
        let p: Vec<DVec3> = f.corners.iter().map(|v| *v * scale).collect();
        if !p.iter().all(|v| v.is_finite()) {
            ok = false; // the vertex's line is reported by the reader
            continue;
        }
        // TL, BL, BR, TR.
        let edges = [
            (p[1] - p[0]).length(),
            (p[2] - p[1]).length(),
            (p[3] - p[2]).length(),
            (p[0] - p[3]).length(),
        ];
        let sizes = [c.h, c.w, c.h, c.w];
        let diagonals = [(p[2] - p[0]).length(), (p[3] - p[1]).length()];
        let (frame, dev) = geometry::surveyed_panel(p[0], p[3], p[1], Some(p[2]));
        let off = edges
            .iter()
            .zip(sizes)
            .map(|(e, s)| (e - s).abs())
            .fold(0.0, f64::max)
            .max((diagonals[0] - diagonals[1]).abs())
            .max(dev);
        if off > tol {
            let swapped = (edges[0] - c.w).abs() < tol
                && (edges[1] - c.h).abs() < tol
                && (c.w - c.h).abs() > tol;
            problems.push(
                located(ps),
                format!(
                    "the quad is not a {:.0} x {:.0} mm rectangle within {}: edges {} (TL-BL, BL-BR, BR-TR, TR-TL), diagonals {} and {}, corners {} off a flat parallelogram{}",
                    c.w * 1000.0,
                    c.h * 1000.0,
                    mm(tol),
                    edges.map(mm).join(", "),
                    mm(diagonals[0]),
                    mm(diagonals[1]),
                    mm(dev),
                    if swapped { " (its vertices start at another corner: a face lists top-left, bottom-left, bottom-right, top-right)" } else { "" }
                ),
            );
            ok = false;
            continue;
        }
        cells.push((col, row, frame));
    }
    if ok && cells.is_empty() {
        problems.push(
            subj,
            format!(
                "{path} holds no quad named for this section ('{}-<col>-<row>' or '<col>-<row>'){}",
                c.sec.name,
                c.at("path")
            ),
        );
        return None;
    }
    if !ok {
        return None;
    }
    cells.sort_by_key(|(col, row, _)| (*row, *col));
    let detail = format!("{} quads from {path}", cells.len());
    Some((SectionKind::Obj, cells, detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faces_take_their_object_names_and_indices_in_every_form() {
        let text = "# survey\nmtllib a.mtl\nv 0 1 0\nv 0 0 0\nv 1 0 0\nv 1 1 0\nvn 0 0 1\n\
                    o W-000-00\nf 1 2 3 4\ng 1-0\nusemtl x\nf -4/1 -3/2/1 3//1 4/4/4\n";
        let faces = parse(text, "s.obj").unwrap();
        assert_eq!(faces.len(), 2);
        assert_eq!(faces[0].name.as_deref(), Some("W-000-00"));
        assert_eq!(faces[0].line, 9);
        assert_eq!(faces[1].name.as_deref(), Some("1-0"));
        assert_eq!(faces[0].corners, faces[1].corners);
        assert_eq!(faces[0].corners[3], DVec3::new(1.0, 1.0, 0.0));
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let text = "v 0 0 0\nv 1 x 0\nv 1 1\nf 1 2 9\nl 1 2\nf 1 0 1\n";
        let e = parse(text, "s.obj").unwrap_err();
        assert_eq!(
            e,
            vec![
                "s.obj:2: 'x' is not a finite number",
                "s.obj:3: a vertex has 3 coordinates, got 2",
                "s.obj:4: '9' is not a vertex: 3 vertices are defined before this line",
                "s.obj:5: unknown statement 'l' (a cabinet survey holds v, f, o and g)",
                "s.obj:6: '0' is not a vertex: 3 vertices are defined before this line",
            ]
        );
        let missing = read(Path::new("/nonexistent/survey.obj"), "survey.obj").unwrap_err();
        assert!(
            missing[0].contains("/nonexistent/survey.obj"),
            "{missing:?}"
        );
    }
}
