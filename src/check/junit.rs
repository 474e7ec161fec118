//! The run's report as JUnit XML, for CI systems that display test cases.

use super::{Outcome, Report};

/// Escapes text for XML content and attribute values; characters XML 1.0 cannot hold become U+FFFD.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The report as JUnit XML: one `<testsuite>` named after the checks, one `<testcase>` per image
/// and one for the pixel map; failures and missing references are `<failure>`s, cases that could
/// not run are `<error>`s, and the files written are listed in `<system-out>`.
pub fn junit_xml(report: &Report) -> String {
    let count = |f: fn(&Outcome) -> bool| report.results.iter().filter(|r| f(&r.outcome)).count();
    let failures = count(|o| matches!(o, Outcome::Failed(_) | Outcome::Missing(_)));
    let errors = count(|o| matches!(o, Outcome::Error(_)));
    let suite = xml_escape(&report.suite);
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"parallax check\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{:.3}\">\n",
        report.results.len(),
        report.seconds
    ));
    x.push_str(&format!(
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"{:.3}\">\n",
        report.results.len(),
        report.seconds
    ));
    for r in &report.results {
        x.push_str(&format!(
            "    <testcase classname=\"{suite}.{}\" name=\"{}\" time=\"{:.3}\"",
            xml_escape(&r.case),
            xml_escape(&r.name),
            r.seconds
        ));
        let body = |tag: &str, kind: &str, m: &str| {
            format!(
                "      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>\n",
                xml_escape(m.lines().next().unwrap_or("")),
                xml_escape(m)
            )
        };
        let mut inner = match &r.outcome {
            Outcome::Passed(_) | Outcome::Updated(_) => String::new(),
            Outcome::Failed(m) => body("failure", "mismatch", m),
            Outcome::Missing(m) => body("failure", "missing-reference", m),
            Outcome::Error(m) => body("error", "error", m),
        };
        let mut out = String::new();
        if !matches!(
            r.outcome,
            Outcome::Failed(_) | Outcome::Missing(_) | Outcome::Error(_)
        ) {
            out.push_str(r.outcome.message());
            out.push('\n');
        }
        for f in &r.files {
            out.push_str(&format!("{}\n", f.display()));
        }
        if !out.is_empty() {
            inner.push_str(&format!(
                "      <system-out>{}</system-out>\n",
                xml_escape(&out)
            ));
        }
        if inner.is_empty() {
            x.push_str("/>\n");
        } else {
            x.push_str(">\n");
            x.push_str(&inner);
            x.push_str("    </testcase>\n");
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CaseResult;

    #[test]
    fn xml_escape_handles_markup_and_control_characters() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{FFFD}"
        );
    }

    #[test]
    fn junit_counts_outcomes() {
        let r = |name: &str, outcome| CaseResult {
            case: name.into(),
            name: name.into(),
            outcome,
            files: vec![],
            changed_cabinets: vec![],
            seconds: 0.5,
        };
        let report = Report {
            suite: "demo".into(),
            results: vec![
                r("a", Outcome::Passed("fine".into())),
                r("b<", Outcome::Failed("bad & worse".into())),
                r("c", Outcome::Missing("none".into())),
                r("d", Outcome::Error("boom".into())),
            ],
            seconds: 2.0,
        };
        let x = junit_xml(&report);
        assert!(x.contains(r#"tests="4" failures="2" errors="1""#), "{x}");
        assert!(x.contains("name=\"b&lt;\""), "{x}");
        assert!(x.contains("bad &amp; worse"), "{x}");
        assert_eq!(x.matches("<testcase ").count(), 4);
        assert!(report.failed());
        assert!(
            report
                .summary()
                .contains("1 passed, 1 failed, 1 missing reference, 1 errors")
        );
    }
}
