//! Tests of the `colour:` section's resolution and checks (src/colour/settings.rs).

use super::*;

fn exposure(e: f64) -> Grade {
    Grade {
        exposure: e,
        ..Grade::default()
    }
}

/// Output over section over stage, per layer, written out by hand for every combination.
#[test]
fn the_most_specific_grade_wins_per_layer() {
    let f = ColourFile {
        inner: exposure(1.0),
        outer: exposure(2.0),
        cards: exposure(3.0),
        sections: vec![SectionColourFile {
            section: "b".into(),
            inner: Some(exposure(10.0)),
            cards: Some(exposure(11.0)),
            lut: Some("b.cube".into()),
            ..Default::default()
        }],
        outputs: vec![OutputColourFile {
            output: "y".into(),
            inner: Some(exposure(20.0)),
            ..Default::default()
        }],
        ..Default::default()
    };
    let (s, p) = ColourSettings::build(&f, &["a", "b"], &["x", "y"]);
    assert!(p.is_empty(), "{p:?}");
    let e = |g: Grades| [g.inner.exposure, g.outer.exposure, g.cards.exposure];
    assert_eq!(e(s.grades_for(Some(0), Some(0))), [1.0, 2.0, 3.0]);
    assert_eq!(e(s.grades_for(Some(1), Some(0))), [10.0, 2.0, 11.0]);
    assert_eq!(e(s.grades_for(Some(0), Some(1))), [20.0, 2.0, 3.0]);
    assert_eq!(e(s.grades_for(Some(1), Some(1))), [20.0, 2.0, 11.0]);
    assert_eq!(e(s.grades_for(None, None)), [1.0, 2.0, 3.0]);
    assert_eq!(s.lut_for(Some(1), Some(0)).0.as_deref(), Some("b.cube"));
    assert_eq!(s.lut_for(Some(0), Some(0)).0, None);
}

#[test]
fn problems_name_their_fields() {
    let f = ColourFile {
        cards: exposure(f64::NAN),
        sections: vec![
            SectionColourFile {
                section: "nope".into(),
                ..Default::default()
            },
            SectionColourFile {
                section: "a".into(),
                outer: Some(Grade {
                    white_balance_k: Some(100.0),
                    ..Grade::default()
                }),
                ..Default::default()
            },
        ],
        outputs: vec![OutputColourFile {
            output: "x".into(),
            encoding: Encoding::Pq {
                white_nits: 100.0,
                peak_nits: -1.0,
                bits: 12,
            },
            cards: Some(Grade {
                cdl: crate::colour::cdl::Cdl {
                    power: [1.0, 0.0, 1.0],
                    ..Default::default()
                },
                ..Grade::default()
            }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let (_, p) = ColourSettings::build(&f, &["a"], &["x"]);
    let text: Vec<&str> = p.iter().map(|p| p.message.as_str()).collect();
    for at in [
        "(at colour.cards.exposure)",
        "(at colour.sections[0].section)",
        "(at colour.sections[1].outer.white_balance_k)",
        "(at colour.outputs[0].encoding.peak_nits)",
        "(at colour.outputs[0].cards.cdl.power)",
    ] {
        assert!(text.iter().any(|m| m.ends_with(at)), "{at} in {text:#?}");
    }
    assert_eq!(p.len(), 5, "{text:#?}");
}
/// An entry naming an unknown section or output, or one listed twice, still has its grades,
/// encoding and LUT file checked.
#[test]
fn entries_that_do_not_resolve_are_still_checked() {
    let f = ColourFile {
        sections: vec![
            SectionColourFile {
                section: "a".into(),
                lut: Some("first.cube".into()),
                ..Default::default()
            },
            SectionColourFile {
                section: "a".into(),
                ..Default::default()
            },
            SectionColourFile {
                section: "nope".into(),
                lut: Some("gone.cube".into()),
                inner: Some(exposure(f64::INFINITY)),
                ..Default::default()
            },
        ],
        outputs: vec![OutputColourFile {
            output: "nope".into(),
            // The same file as the first section's: reported once, there.
            lut: Some("first.cube".into()),
            encoding: Encoding::Pq {
                white_nits: 100.0,
                peak_nits: -1.0,
                bits: 12,
            },
            ..Default::default()
        }],
        ..Default::default()
    };
    let (_, p) = ColourSettings::build(&f, &["a"], &["x"]);
    let at: Vec<&str> = p
        .iter()
        .map(|p| p.message.rsplit_once("(at ").unwrap().1)
        .collect();
    assert_eq!(
        at,
        [
            "colour.sections[1].section)",
            "colour.sections[2].section)",
            "colour.sections[2].inner.exposure)",
            "colour.outputs[0].output)",
            "colour.outputs[0].encoding.peak_nits)",
        ],
        "{p:#?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = f.lut_problems(|name| dir.path().join(name));
    let at: Vec<(&ColourScope, &str)> = p
        .iter()
        .map(|p| (&p.scope, p.message.rsplit_once("(at ").unwrap().1))
        .collect();
    assert_eq!(
        at,
        [
            (&ColourScope::Section("a".into()), "colour.sections[0].lut)"),
            (
                &ColourScope::Section("nope".into()),
                "colour.sections[2].lut)"
            ),
        ],
        "{p:#?}"
    );
    assert!(p[0].message.contains("first.cube: cannot read"), "{p:#?}");
}

/// The working space reads by our name and by the Academy's spelling.
#[test]
fn acescg_reads_by_either_spelling() {
    for text in ["(working_space: AcesCg)", "(working_space: ACEScg)"] {
        let f: ColourFile = ron::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(f.working_space, WorkingSpace::AcesCg, "{text}");
    }
    assert!(ron::from_str::<ColourFile>("(working_space: Acescg)").is_err());
}
