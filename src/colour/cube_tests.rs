//! Tests of the `.cube` reader; expected messages written from the specification's text.

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
/// The eight rows of a 2^3 identity, red fastest.
const ROWS8: &str = "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";

/// Every message of a refused file, one a line.
fn refused(text: &str, file: &str) -> String {
    match parse_cube(text, file) {
        Ok(_) => panic!("accepted {text:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_leading_byte_order_mark_is_skipped_and_any_other_is_shown_escaped() {
    let lut = parse_cube(
        &format!("\u{feff}TITLE \"t\"\nLUT_3D_SIZE 2\n{ROWS8}"),
        "a.cube",
    )
    .unwrap();
    assert_eq!(lut.title.as_deref(), Some("t"));
    assert_eq!(lut.lut3d.unwrap().at(1, 1, 0), [1.0, 1.0, 0.0]);
    // Not at the start of the file: refused, the mark written out.
    let e = refused(
        &format!("LUT_3D_SIZE 2\n\u{feff}TITLE \"t\"\n{ROWS8}"),
        "b.cube",
    );
    assert_eq!(e, "b.cube:2: unknown keyword '\\u{feff}TITLE'");
    // A control character in a data row (row 8 on line 9).
    let text = format!("LUT_3D_SIZE 2\n{}1\u{7} 1 1\n", &ROWS8[..ROWS8.len() - 6]);
    let e = refused(&text, "c.cube");
    assert_eq!(e, "c.cube:9: '1\\u{7}' is not a finite number");
}

#[test]
fn nan_and_inf_rows_are_data_rows_that_are_not_finite() {
    // Row 8 of a 2^3 table, on line 13: one message, no row count.
    let text = "# nan\nTITLE \"n\"\n\nLUT_3D_SIZE 2\n\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n\
                1 0 1\n0 1 1\nnan inf 0\n";
    assert_eq!(
        refused(text, "luts/nan.cube"),
        "luts/nan.cube:13: 'nan' is not a finite number"
    );
    for word in ["NaN", "INF", "Infinity", "-inf", "+nan"] {
        let text =
            format!("LUT_3D_SIZE 2\n{word} 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n");
        assert_eq!(
            refused(&text, "x.cube"),
            format!("x.cube:2: '{word}' is not a finite number")
        );
    }
}

#[test]
fn a_size_out_of_range_is_reported_once() {
    for (text, says) in [
        (
            format!("LUT_3D_SIZE 1\n{ROWS8}"),
            "s.cube:1: LUT_3D_SIZE must be an integer in 2..=256, got '1'",
        ),
        (
            format!("LUT_3D_SIZE 300\n{ROWS8}"),
            "s.cube:1: LUT_3D_SIZE must be an integer in 2..=256, got '300'",
        ),
        (
            "LUT_1D_SIZE 1\n0 0 0\n".to_string(),
            "s.cube:1: LUT_1D_SIZE must be an integer in 2..=65536, got '1'",
        ),
        (
            "LUT_1D_SIZE 65537\n0 0 0\n1 1 1\n".to_string(),
            "s.cube:1: LUT_1D_SIZE must be an integer in 2..=65536, got '65537'",
        ),
        // The other size is fine: no row count against it alone.
        (
            format!("LUT_1D_SIZE 2\nLUT_3D_SIZE 1\n0 0 0\n1 1 1\n{ROWS8}"),
            "s.cube:2: LUT_3D_SIZE must be an integer in 2..=256, got '1'",
        ),
    ] {
        assert_eq!(refused(&text, "s.cube"), says);
    }
}

#[test]
fn domain_problems_name_the_keywords_lines() {
    let text = format!(
        "LUT_3D_SIZE 2\nDOMAIN_MIN 1 1 1\nDOMAIN_MAX 0 0 0\n0 0 x\n{}",
        &ROWS8[6..]
    );
    assert_eq!(
        refused(&text, "d.cube"),
        "d.cube:3: DOMAIN_MIN 1 1 1 (line 2) must be below DOMAIN_MAX 0 0 0 (line 3) in every channel\n\
         d.cube:4: 'x' is not a finite number"
    );
    let text = format!("LUT_3D_SIZE 2\n\nDOMAIN_MAX 1 0.5 1\nDOMAIN_MIN 0 0.5 0\n{ROWS8}");
    assert_eq!(
        refused(&text, "d.cube"),
        "d.cube:4: DOMAIN_MIN 0 0.5 0 (line 4) must be below DOMAIN_MAX 1 0.5 1 (line 3) in every channel"
    );
    let text = format!("DOMAIN_MIN 2 2 2\nLUT_3D_SIZE 2\n{ROWS8}");
    assert_eq!(
        refused(&text, "d.cube"),
        "d.cube:1: DOMAIN_MIN 2 2 2 (line 1) must be below DOMAIN_MAX 1 1 1 (default) in every channel"
    );
    let text = format!("LUT_1D_SIZE 2\nLUT_3D_SIZE 2\nDOMAIN_MAX 2 2 2\n0 0 0\n1 1 1\n{ROWS8}");
    assert_eq!(
        refused(&text, "d.cube"),
        "d.cube:3: DOMAIN_MIN/MAX is ambiguous with both a 1D and a 3D table: use \
         LUT_1D_INPUT_RANGE and LUT_3D_INPUT_RANGE"
    );
    let text = format!("LUT_3D_SIZE 2\nLUT_3D_INPUT_RANGE 1 0\n{ROWS8}");
    assert_eq!(
        refused(&text, "d.cube"),
        "d.cube:2: LUT_3D_INPUT_RANGE: min 1 must be below max 0"
    );
}
