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

/// Line and column (from 1) of the field at `path` in RON `text`, for semantic problems found
/// after parsing. `path` names fields by dots and list elements by `[index]`, from the root
/// struct's fields: `outputs[1].target.every`; struct, enum-variant and `Some` names are not part
/// of it. `None` when the path is not written in the text (a defaulted field).
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    struct Frame {
        list: bool,
        index: usize,
        field: Option<String>,
        base: String,
    }
    fn join(base: &str, field: &str) -> String {
        if base.is_empty() {
            field.to_string()
        } else {
            format!("{base}.{field}")
        }
    }
    // The path of the value being written at the top of the stack.
    fn here(stack: &[Frame]) -> String {
        match stack.last() {
            None => String::new(),
            Some(f) if f.list => format!("{}[{}]", f.base, f.index),
            Some(f) => match &f.field {
                Some(name) => join(&f.base, name),
                None => f.base.clone(),
            },
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut line, mut col) = (1usize, 1usize);
    let mut i = 0;
    let mut stack: Vec<Frame> = Vec::new();
    // Advances over `n` chars keeping line and column.
    let advance = |i: &mut usize, line: &mut usize, col: &mut usize, n: usize| {
        for _ in 0..n {
            if *i >= chars.len() {
                return;
            }
            if chars[*i] == '\n' {
                *line += 1;
                *col = 1;
            } else {
                *col += 1;
            }
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    advance(&mut i, &mut line, &mut col, 1);
                }
            }
            '/' if next == Some('*') => {
                let mut depth = 0;
                loop {
                    if i >= chars.len() {
                        break;
                    }
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        advance(&mut i, &mut line, &mut col, 2);
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        advance(&mut i, &mut line, &mut col, 2);
                        if depth == 0 {
                            break;
                        }
                    } else {
                        advance(&mut i, &mut line, &mut col, 1);
                    }
                }
            }
            '"' | '\'' => {
                advance(&mut i, &mut line, &mut col, 1);
                while i < chars.len() && chars[i] != c {
                    let n = if chars[i] == '\\' { 2 } else { 1 };
                    advance(&mut i, &mut line, &mut col, n);
                }
                advance(&mut i, &mut line, &mut col, 1);
            }
            'r' if matches!(next, Some('"' | '#')) => {
                let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
                advance(&mut i, &mut line, &mut col, 1 + hashes);
                if chars.get(i) == Some(&'"') {
                    advance(&mut i, &mut line, &mut col, 1);
                    while i < chars.len()
                        && !(chars[i] == '"'
                            && chars[i + 1..].iter().take_while(|c| **c == '#').count() >= hashes)
                    {
                        advance(&mut i, &mut line, &mut col, 1);
                    }
                    advance(&mut i, &mut line, &mut col, 1 + hashes);
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let (l0, c0) = (line, col);
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    advance(&mut i, &mut line, &mut col, 1);
                }
                let ident: String = chars[start..i].iter().collect();
                let colon = chars[i..]
                    .iter()
                    .find(|c| !c.is_whitespace())
                    .is_some_and(|c| *c == ':');
                if colon && let Some(top) = stack.last_mut().filter(|f| !f.list) {
                    top.field = Some(ident);
                    if here(&stack) == path {
                        return Some((l0, c0));
                    }
                }
            }
            '(' | '[' | '{' => {
                let base = here(&stack);
                stack.push(Frame {
                    list: c == '[',
                    index: 0,
                    field: None,
                    base,
                });
                advance(&mut i, &mut line, &mut col, 1);
            }
            ')' | ']' | '}' => {
                stack.pop();
                advance(&mut i, &mut line, &mut col, 1);
            }
            ',' => {
                if let Some(top) = stack.last_mut() {
                    if top.list {
                        top.index += 1;
                    } else {
                        top.field = None;
                    }
                }
                advance(&mut i, &mut line, &mut col, 1);
            }
            _ => advance(&mut i, &mut line, &mut col, 1),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_located_by_path() {
        let text = "Stage(\n  name: \"a, [b]: (c\", // outputs: [\n  outputs: [\n    Output(name: \"x\", target: Files(dir: \"d\")),\n    /* (every: */ Output(name: \"y\",\n      target: Some(Files(dir: r#\"e\"f\"#, every: 0))),\n  ],\n)\n";
        assert_eq!(locate(text, "name"), Some((2, 3)));
        assert_eq!(locate(text, "outputs"), Some((3, 3)));
        assert_eq!(locate(text, "outputs[0].target"), Some((4, 23)));
        assert_eq!(locate(text, "outputs[0].target.dir"), Some((4, 37)));
        assert_eq!(locate(text, "outputs[1].name"), Some((5, 26)));
        assert_eq!(locate(text, "outputs[1].target.every"), Some((6, 41)));
        assert_eq!(locate(text, "outputs[0].target.every"), None);
        assert_eq!(locate(text, "outputs[2].name"), None);
    }
}
