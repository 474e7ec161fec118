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
        let mut message = describe_ron_error(&e.code);
        let mut path = path;
        // serde_path_to_error names the field being read as `?` when the error comes between
        // fields (a missing comma): name the field just read instead, from the text.
        if let Some(field) = field_before(text, line, column) {
            if path.is_empty() || path == "?" || path == "." {
                path = field.clone();
            } else if let Some(parent) = path.strip_suffix(".?") {
                path = format!("{parent}.{field}");
            }
            if matches!(e.code, ron::Error::ExpectedComma) {
                message = format!("expected a comma after field '{field}'");
                if let Some(next) = word_at(text, line, column) {
                    message.push_str(&format!(", before '{next}'"));
                }
            }
        }
        // A quoted enum value (`working_space: "Rec709"`): RON writes them bare.
        if matches!(e.code, ron::Error::ExpectedIdentifier)
            && let Some(quoted) = quoted_at(text, line, column)
        {
            message = format!(
                "expected a name, not the string \"{quoted}\": write choices such as this one \
                 without quotes ({quoted})"
            );
        }
        SyntaxError {
            file: file.to_string(),
            line,
            column,
            message,
            path,
        }
    };
    if text.trim().is_empty() {
        // ron would say it expected the root's opening parenthesis.
        return Err(SyntaxError {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: "the file is empty (a save in progress, or a file truncated?)".into(),
            path: String::new(),
        });
    }
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

/// Byte offset of (1-based) `line` and character `column` in `text`, if inside it.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let rest = text.get(start..)?;
    let within = rest
        .char_indices()
        .nth(column.checked_sub(1)?)
        .map_or(rest.len(), |(i, _)| i);
    Some(start + within)
}

/// The identifier starting at `line:column`, if any.
fn word_at(text: &str, line: usize, column: usize) -> Option<String> {
    let rest = &text[offset_of(text, line, column)?..];
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty() && !word.starts_with(|c: char| c.is_ascii_digit())).then_some(word)
}

/// The text of the string literal starting at `line:column` (without its quotes), if one does and
/// it is a plain name (letters, digits, `_`).
fn quoted_at(text: &str, line: usize, column: usize) -> Option<String> {
    let rest = text[offset_of(text, line, column)?..].strip_prefix('"')?;
    let (inner, _) = rest.split_once('"')?;
    let name = !inner.is_empty()
        && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !inner.starts_with(|c: char| c.is_ascii_digit());
    name.then(|| inner.to_string())
}

/// The last field (`name:`) written in the struct that is open at `line:column`, read from the text
/// before it: strings, characters and comments are skipped, and fields of structs nested in it and
/// already closed do not count. `None` when the innermost open bracket holds no field yet (a list,
/// a tuple) or the position is outside the text.
fn field_before(text: &str, line: usize, column: usize) -> Option<String> {
    let end = offset_of(text, line, column)?;
    let bytes = &text.as_bytes()[..end];
    // The last field at each open depth (the root is depth 0).
    let mut fields: Vec<Option<&str>> = vec![None];
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'"' | b'\'' => {
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => fields.push(None),
            // The root is never popped (an unbalanced closer is ron's error to report).
            b')' | b']' | b'}' if fields.len() > 1 => {
                fields.pop();
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &text[start..i];
                let mut j = i;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                if bytes.get(j) == Some(&b':') && bytes.get(j + 1) != Some(&b':') {
                    *fields.last_mut().expect("the root is never popped") = Some(word);
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    fields.last().copied().flatten().map(str::to_string)
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
        /// In a list: the current element has not started yet.
        pending: bool,
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
        // A list element is located at its first character (`points[3]` of `[(0, 1), ...]`).
        let comment = c == '/' && matches!(next, Some('/' | '*'));
        if !c.is_whitespace()
            && !comment
            && !matches!(c, ']' | ',')
            && let Some(top) = stack.last_mut().filter(|f| f.list && f.pending)
        {
            top.pending = false;
            if here(&stack) == path {
                return Some((line, col));
            }
        }
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
                    pending: c == '[',
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
                        top.pending = true;
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

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        a: f64,
        b: (f64, f64),
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Root {
        name: String,
        items: Vec<Inner>,
        last: u32,
    }

    fn error(text: &str) -> SyntaxError {
        parse::<Root>(text, "t.ron").expect_err("must fail")
    }

    #[test]
    fn a_missing_comma_names_the_field_before_it_and_its_path() {
        // Between two fields of a nested struct: line 2, column 24 is `b`.
        let e = error("Root(name: \"x\",\n  items: [Inner(a: 1.0 b: (1.0, 2.0))], last: 1)");
        assert_eq!((e.line, e.column), (2, 24), "{e}");
        assert_eq!(e.message, "expected a comma after field 'a', before 'b'");
        assert_eq!(e.path, "items[0].a");
        assert_eq!(
            e.to_string(),
            "t.ron:2:24: expected a comma after field 'a', before 'b' (at items[0].a)"
        );
        // After a nested value, at the root: the field whose value was the list.
        let e = error("Root(name: \"x\", items: [Inner(a: 1.0, b: (1.0, 2.0))] last: 1)");
        assert_eq!(
            e.message,
            "expected a comma after field 'items', before 'last'"
        );
        assert_eq!(e.path, "items");
    }

    /// An empty file (an editor's save caught between truncating and writing) says so.
    #[test]
    fn an_empty_file_says_it_is_empty() {
        for text in ["", " \n\t\n"] {
            let e = error(text);
            assert_eq!(
                e.to_string(),
                "t.ron:1:1: the file is empty (a save in progress, or a file truncated?)"
            );
        }
    }

    #[test]
    fn strings_and_comments_do_not_count_as_fields() {
        // A string holding `x: (` and a comment holding `c: [` before the missing comma.
        let e = error("Root(name: \"x: (\" // c: [\n, items: [], /* d: ( */ last: 1 extra: 2)");
        assert_eq!(e.path, "last", "{e}");
        assert_eq!(
            e.message,
            "expected a comma after field 'last', before 'extra'"
        );
    }

    #[test]
    fn a_quoted_enum_value_is_told_to_go_without_quotes() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        enum Space {
            Rec709,
            AcesCg,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct S {
            space: Space,
        }
        let e = parse::<S>("S(\n  space: \"Rec709\")", "t.ron").expect_err("quoted");
        assert_eq!((e.line, e.column), (2, 10), "{e}");
        assert_eq!(
            e.message,
            "expected a name, not the string \"Rec709\": write choices such as this one without quotes (Rec709)"
        );
        assert_eq!(e.path, "space");
        // Bare, it parses; a number where a name belongs keeps RON's words.
        assert!(parse::<S>("S(space: AcesCg)", "t.ron").is_ok());
        let e = parse::<S>("S(space: 3)", "t.ron").expect_err("number");
        assert!(!e.message.contains("quotes"), "{e}");
    }

    #[test]
    fn a_missing_comma_between_list_items_keeps_ron_s_words() {
        let e = error(
            "Root(name: \"x\", items: [Inner(a: 1.0, b: (1.0, 2.0)) Inner(a: 1.0, b: (1.0, 2.0))], last: 1)",
        );
        assert_eq!(e.message, "expected comma", "{e}");
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let text = "é: 1\nab: 2";
        assert_eq!(offset_of(text, 1, 2), Some(2));
        assert_eq!(offset_of(text, 2, 1), Some(6));
        assert_eq!(word_at(text, 2, 1).as_deref(), Some("ab"));
        // RON identifiers are ASCII: `é` is not a field.
        assert_eq!(field_before(text, 2, 1), None);
        assert_eq!(field_before(text, 2, 5).as_deref(), Some("ab"));
    }

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
        // List elements without a field name: at their first character, comments skipped.
        assert_eq!(locate(text, "outputs[0]"), Some((4, 5)));
        assert_eq!(locate(text, "outputs[1]"), Some((5, 19)));
        let points = "(points: [(0.0, 1.0),\n  (2.0, 3.0) , [4, 5]])";
        assert_eq!(locate(points, "points[1]"), Some((2, 3)));
        assert_eq!(locate(points, "points[2]"), Some((2, 16)));
        assert_eq!(locate(points, "points[3]"), None);
    }
}
