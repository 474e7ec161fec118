//! What `parallax validate` prints about colour: the working space, per output its encoding, LUT
//! and where each layer's grade comes from, and per section that overrides anything its grades
//! and LUT. Nothing is printed for a stage without colour settings (no `colour:` section, or one
//! that sets nothing), so such a stage's report is as before.

use std::fmt::Write;

use parallax::colour::cube::CubeLut;
use parallax::colour::grade::{Grade, PLANCKIAN_BELOW_K};
use parallax::colour::output::{
    ColourSettings, Encoding, GradeOverrides, IDENTITY_TOLERANCE, OutputColour,
};
use parallax::stage::Stage;

/// Width of the label column of the indented lines.
const LABEL: usize = 12;

/// Whether the stage's colour settings differ from having no `colour:` section.
pub fn is_set(c: &ColourSettings) -> bool {
    let overrides =
        |g: &GradeOverrides| g.inner.is_some() || g.outer.is_some() || g.cards.is_some();
    c.working_space != Default::default()
        || !(c.inner.is_neutral() && c.outer.is_neutral() && c.cards.is_neutral())
        || c.sections
            .iter()
            .any(|s| s.lut_path.is_some() || overrides(&s.grades))
        || c.outputs.iter().any(|o| {
            o.lut_path.is_some() || overrides(&o.grades) || o.encoding != Encoding::default()
        })
}

/// A number without trailing zeros (`1`, `0.25`, `1.1`).
fn num(v: f64) -> String {
    format!("{v}")
}

fn triple(v: [f64; 3]) -> String {
    format!("({}, {}, {})", num(v[0]), num(v[1]), num(v[2]))
}

/// The non-neutral parts of a grade (`exposure +1, white balance 5600 K, slope (1.1, 1, 0.9)`),
/// or `neutral`.
pub fn grade_text(g: &Grade) -> String {
    let mut parts = Vec::new();
    if g.exposure != 0.0 {
        parts.push(format!("exposure {:+} stops", g.exposure));
    }
    if let Some(k) = g.white_balance_k {
        let locus = if k < PLANCKIAN_BELOW_K {
            "black body"
        } else {
            "daylight"
        };
        parts.push(format!("white balance {} K ({locus})", num(k)));
    }
    let c = &g.cdl;
    if c.slope != [1.0; 3] {
        parts.push(format!("slope {}", triple(c.slope)));
    }
    if c.offset != [0.0; 3] {
        parts.push(format!("offset {}", triple(c.offset)));
    }
    if c.power != [1.0; 3] {
        parts.push(format!("power {}", triple(c.power)));
    }
    if c.saturation != 1.0 {
        parts.push(format!("saturation {}", num(c.saturation)));
    }
    if c.style != Default::default() {
        parts.push(format!("CDL style {:?}", c.style));
    }
    if parts.is_empty() {
        "neutral".to_string()
    } else {
        parts.join(", ")
    }
}

/// The encoding with its parameters: `pq (12-bit in a 16-bit PNG, white 100 nits, peak 1000
/// nits, Rec.2020 primaries)`.
pub fn encoding_text(e: &Encoding, working: &str) -> String {
    let how = match e {
        Encoding::Srgb { dither: false } => "8-bit sRGB, Rec.709 primaries".to_string(),
        Encoding::Srgb { dither: true } => {
            "8-bit sRGB, 8 x 8 ordered dither, Rec.709 primaries".to_string()
        }
        Encoding::Pq {
            white_nits,
            peak_nits,
            bits,
        } => format!(
            "{bits}-bit in a 16-bit PNG, white {} nits, peak {} nits, Rec.2020 primaries",
            num(*white_nits),
            num(*peak_nits)
        ),
        Encoding::LinearExr => format!("half-float EXR, {working} primaries"),
    };
    format!("{} ({how})", e.name())
}

/// A LUT as `path ("TITLE", sha256 0123456789abcdef)` (the first 16 hex digits of the file's
/// SHA-256) on an output of encoding `encoding`: on sRGB, where a LUT that is the identity on 0..1
/// is not applied, said so; on PQ, where linear 1.0 is `white_nits`, a LUT whose input domain ends
/// at 1 or below clips everything brighter to its edge values: said with the nits.
fn lut_text(path: &str, lut: Option<&CubeLut>, encoding: &Encoding) -> String {
    let srgb = matches!(encoding, Encoding::Srgb { .. });
    let mut s = path.to_string();
    let title = lut
        .and_then(|l| l.title.as_ref())
        .map(|t| format!("\"{t}\""));
    let hash = lut
        .and_then(|l| l.sha256.as_ref())
        .map(|h| format!("sha256 {h}"));
    let about: Vec<String> = title.into_iter().chain(hash).collect();
    if !about.is_empty() {
        let _ = write!(s, " ({})", about.join(", "));
    }
    if srgb && lut.is_some_and(|l| l.is_unit_identity(IDENTITY_TOLERANCE)) {
        s.push_str(", identity on 0..1: not applied on this sRGB output");
    }
    let top = lut.and_then(|l| l.input_top());
    if let (Encoding::Pq { white_nits, .. }, Some(top)) = (encoding, top)
        && top <= 1.0
    {
        let nits = top * white_nits;
        let _ = write!(
            s,
            ", input domain ends at {}: everything above {} nits takes its edge values",
            num(top),
            num(nits)
        );
    }
    s
}

/// The colour header: working space and the stage-wide grades that are not neutral.
pub fn header(stage: &Stage) -> String {
    let c = &stage.colour;
    let mut out = format!("colour: working space {:?}\n", c.working_space);
    let layers: Vec<String> = [
        ("inner", &c.inner),
        ("outer", &c.outer),
        ("cards", &c.cards),
    ]
    .into_iter()
    .filter(|(_, g)| !g.is_neutral())
    .map(|(l, g)| format!("{l}: {}", grade_text(g)))
    .collect();
    let grades = if layers.is_empty() {
        "neutral".to_string()
    } else {
        layers.join("; ")
    };
    let _ = writeln!(out, "  {:<LABEL$} {grades}", "stage-wide");
    out
}

/// Where a layer's grade comes from on output `o`'s cabinets: `output (...)`, `section A, C`,
/// `section A, else stage-wide`, or `stage-wide`.
fn source(
    stage: &Stage,
    o: &OutputColour,
    secs: &[usize],
    layer: fn(&GradeOverrides) -> Option<Grade>,
    stage_grade: &Grade,
) -> String {
    if let Some(g) = layer(&o.grades) {
        return format!("output ({})", grade_text(&g));
    }
    let (set, unset): (Vec<usize>, Vec<usize>) = secs.iter().partition(|&&s| {
        stage
            .colour
            .sections
            .get(s)
            .is_some_and(|c| layer(&c.grades).is_some())
    });
    let stage_wide = if stage_grade.is_neutral() {
        "stage-wide (neutral)"
    } else {
        "stage-wide"
    };
    let names = |v: &[usize]| {
        v.iter()
            .map(|&s| stage.sections[s].name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (set.is_empty(), unset.is_empty()) {
        (true, _) => stage_wide.to_string(),
        (false, true) => format!("section {}", names(&set)),
        (false, false) => format!("section {}, else {stage_wide}", names(&set)),
    }
}

/// The encoding after `output NAME: ` and the indented lines under it: LUT and grade sources.
pub fn output(stage: &Stage, k: usize) -> (String, String) {
    let c = &stage.colour;
    let o = &c.outputs[k];
    let working = format!("{:?}", c.working_space);
    let head = encoding_text(&o.encoding, &working);
    let secs = &stage.sections_in_output(k);
    let lut = match &o.lut_path {
        Some(p) => lut_text(p, o.lut.as_deref(), &o.encoding),
        None if secs
            .iter()
            .any(|&s| c.sections.get(s).is_some_and(|s| s.lut_path.is_some())) =>
        {
            let per: Vec<String> = secs
                .iter()
                .map(|&s| {
                    let name = &stage.sections[s].name;
                    match c
                        .sections
                        .get(s)
                        .and_then(|s| s.lut_path.as_ref().map(|p| (p, s)))
                    {
                        Some((p, s)) => {
                            format!("{name}: {}", lut_text(p, s.lut.as_deref(), &o.encoding))
                        }
                        None => format!("{name}: none"),
                    }
                })
                .collect();
            format!("per section: {}", per.join("; "))
        }
        None => "none".to_string(),
    };
    let mut lines = String::new();
    let _ = writeln!(lines, "  {:<LABEL$} {lut}", "LUT");
    for (name, layer, g) in [
        (
            "inner",
            (|g: &GradeOverrides| g.inner) as fn(&GradeOverrides) -> Option<Grade>,
            &c.inner,
        ),
        ("outer", |g: &GradeOverrides| g.outer, &c.outer),
        ("cards", |g: &GradeOverrides| g.cards, &c.cards),
    ] {
        let _ = writeln!(
            lines,
            "  {:<LABEL$} {}",
            format!("{name} grade"),
            source(stage, o, secs, layer, g)
        );
    }
    (head, lines)
}

/// One block per section that sets a LUT or a grade: `section NAME:` and its settings.
pub fn sections(stage: &Stage) -> String {
    let mut out = String::new();
    for (s, sec) in stage.colour.sections.iter().enumerate() {
        let g = &sec.grades;
        if sec.lut_path.is_none() && g.inner.is_none() && g.outer.is_none() && g.cards.is_none() {
            continue;
        }
        let _ = writeln!(out, "section {}:", stage.sections[s].name);
        if let Some(p) = &sec.lut_path {
            let _ = writeln!(
                out,
                "  {:<LABEL$} {}",
                "LUT",
                lut_text(p, sec.lut.as_deref(), &Encoding::LinearExr)
            );
        }
        for (name, grade) in [("inner", g.inner), ("outer", g.outer), ("cards", g.cards)] {
            if let Some(grade) = grade {
                let _ = writeln!(
                    out,
                    "  {:<LABEL$} {}",
                    format!("{name} grade"),
                    grade_text(&grade)
                );
            }
        }
    }
    out
}
