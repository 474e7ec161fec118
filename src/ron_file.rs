//! Hand-written RON files (stage files, checks files): parsing with errors located by file, line,
//! column and field path.

use serde::de::DeserializeOwned;

/// A syntax or type error in a hand-written RON file, located in it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}{}", at_path(.path))]
pub struct SyntaxError {
    /// The file, as named to the parser.
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// Field path, e.g. `sections[1].shape.radius`; empty at the root.
    pub path: String,
}

fn at_path(path: &str) -> String {
    if path.is_empty() || path == "." {
        String::new()
    } else {
        format!(" (at {path})")
    }
}

/// Parses RON text into `T`; `file` names the source in errors. Optional fields may be written bare
/// (`columns: 12`) or as `Some(12)`.
pub fn parse<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, SyntaxError> {
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let syntax = |e: ron::error::SpannedError, path: String| {
        let (line, column) = skip_blanks(text, e.span.start.line, e.span.start.col);
        SyntaxError {
            file: file.to_string(),
            line,
            column,
            message: describe_ron_error(&e.code),
            path,
        }
    };
    let mut de = ron::Deserializer::from_str_with_options(text, &options)
        .map_err(|e| syntax(e, String::new()))?;
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let code = e.into_inner();
            return Err(syntax(de.span_error(code), path));
        }
    };
    de.end()
        .map_err(|code| syntax(de.span_error(code), String::new()))?;
    Ok(value)
}

/// ron reports some errors at the blank before the offending value: move to the value itself.
fn skip_blanks(text: &str, line: usize, col: usize) -> (usize, usize) {
    let Some(rest) = text.lines().nth(line.saturating_sub(1)) else {
        return (line, col);
    };
    let skipped = rest
        .chars()
        .skip(col.saturating_sub(1))
        .take_while(|c| *c == ' ' || *c == '\t')
        .count();
    if col.saturating_sub(1) + skipped < rest.chars().count() {
        (line, col + skipped)
    } else {
        (line, col)
    }
}

/// Rewords ron's messages in the stage file's own terms.
fn describe_ron_error(code: &ron::Error) -> String {
    match code {
        ron::Error::NoSuchStructField {
            expected,
            found,
            outer,
        } => format!(
            "unknown field '{found}'{}, expected one of {}",
            outer
                .as_ref()
                .map(|o| format!(" in {o}"))
                .unwrap_or_default(),
            expected
                .iter()
                .map(|e| format!("'{e}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ron::Error::MissingStructField { field, outer } => format!(
            "missing field '{field}'{}",
            outer
                .as_ref()
                .map(|o| format!(" in {o}"))
                .unwrap_or_default()
        ),
        other => {
            // ron's messages start with a capital; ours continue a sentence.
            let m = other.to_string();
            let mut c = m.chars();
            match c.next() {
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => m,
            }
        }
    }
}
