//! Tests of `frame.rs` (frame.json's record of a frame).

use super::*;
use crate::render::Overrides;

#[test]
fn frame_json_has_the_contract_fields() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
    let stage = crate::stage::load(std::path::Path::new(path)).unwrap();
    let inputs = crate::render::FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
    let v = serde_json::to_value(FrameInfo::of(&inputs, 7)).unwrap();
    assert_eq!(v["format"], "parallax-frame");
    assert_eq!(v["version"], 1);
    assert_eq!(v["frame"], 7);
    let c = &v["cameras"][0];
    for k in [
        "name",
        "position",
        "rotation",
        "focal_length_mm",
        "sensor_mm",
        "inner_tangents",
        "overscan",
        "soft_edge",
    ] {
        assert!(!c[k].is_null(), "missing {k}");
    }
    for k in ["left", "right", "bottom", "top"] {
        assert!(c["inner_tangents"][k].is_number());
    }
    assert_eq!(c["rotation"].as_array().unwrap().len(), 4);
    assert_eq!(v["outer"]["viewpoint"].as_array().unwrap().len(), 3);
    // Inner tangents include the overscan: wider than the bare frame.
    assert!(c["inner_tangents"]["right"].as_f64().unwrap() > inputs.frame_tangents.right);
    // No key, no cards: the fields are absent; the outer is live.
    assert!(c.get("chroma").is_none() && v.get("light_cards").is_none());
    assert_eq!(v["outer"]["frozen"], false);
}

/// Each output records the grades and LUT in effect per section (the rule's result, written
/// out here), and nothing when the stage grades nothing.
#[test]
fn outputs_record_the_grades_per_section() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
    let text = std::fs::read_to_string(path).unwrap();
    let plain = crate::stage::Stage::from_ron(&text, "tiny.ron").unwrap();
    let v = serde_json::to_value(FrameOutput::of_stage(&plain)).unwrap();
    assert!(v[0].get("sections").is_none(), "{v}");
    let colour = "colour: (outer: (exposure: -1.0), cards: (exposure: 0.5), \
        sections: [(section: \"C\", outer: Some((exposure: 2.0)))], \
        outputs: [(output: \"main\", cards: Some((exposure: 1.5)))]),\n)";
    let end = text.rfind(')').unwrap();
    let graded = format!("{}{colour}", &text[..end]);
    let stage = crate::stage::Stage::from_ron(&graded, "tiny.ron").unwrap();
    let v = serde_json::to_value(FrameOutput::of_stage(&stage)).unwrap();
    let s = &v[0]["sections"];
    assert_eq!(s[0]["section"], "A");
    assert_eq!(s[0]["outer"]["exposure"], -1.0);
    assert_eq!(s[1]["section"], "C");
    assert_eq!(s[1]["outer"]["exposure"], 2.0);
    for k in 0..2 {
        assert_eq!(s[k]["inner"]["exposure"], 0.0);
        assert_eq!(s[k]["cards"]["exposure"], 1.5, "the output's cards grade");
        assert!(s[k]["lut"].is_null());
    }
    let back: Vec<FrameOutput> = serde_json::from_value(v).unwrap();
    assert_eq!(back, FrameOutput::of_stage(&stage));
}

/// A LUT is recorded with its TITLE and the first 16 hex digits of the SHA-256 of its file
/// (the expected digests computed by `sha256sum`, independently), per output and per section;
/// a LUT without a title has no `lut_title`.
#[test]
fn luts_are_recorded_with_their_title_and_hash() {
    let dir = tempfile::tempdir().unwrap();
    let table = "LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
    std::fs::write(
        dir.path().join("warm.cube"),
        format!("TITLE \"Warm look\"\n{table}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("plain.cube"), table).unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
    let text = std::fs::read_to_string(path).unwrap();
    let colour = "colour: (sections: [(section: \"C\", lut: Some(\"plain.cube\"))], \
        outputs: [(output: \"main\", lut: Some(\"warm.cube\"))]),\n)";
    let end = text.rfind(')').unwrap();
    let stage_path = dir.path().join("s.ron");
    std::fs::write(&stage_path, format!("{}{colour}", &text[..end])).unwrap();
    let stage = crate::stage::load(&stage_path).unwrap();
    let v = serde_json::to_value(FrameOutput::of_stage(&stage)).unwrap();
    assert_eq!(v[0]["lut"], "warm.cube");
    assert_eq!(v[0]["lut_title"], "Warm look");
    assert_eq!(v[0]["lut_sha256"], "93d3214e4675d13c");
    // The output's LUT overrides the section's on its cabinets.
    assert_eq!(v[0]["sections"][1]["lut_sha256"], "93d3214e4675d13c");
    // Without the output's LUT, section C's own (no title) shows.
    let colour = "colour: (sections: [(section: \"C\", lut: Some(\"plain.cube\"))]),\n)";
    std::fs::write(&stage_path, format!("{}{colour}", &text[..end])).unwrap();
    let stage = crate::stage::load(&stage_path).unwrap();
    let v = serde_json::to_value(FrameOutput::of_stage(&stage)).unwrap();
    assert!(v[0].get("lut_sha256").is_none() && v[0].get("lut_title").is_none());
    let c = &v[0]["sections"][1];
    assert_eq!(
        (c["section"].as_str(), c["lut"].as_str()),
        (Some("C"), Some("plain.cube"))
    );
    assert_eq!(c["lut_sha256"], "c8bce4299c8606d5");
    assert!(c.get("lut_title").is_none(), "{c}");
    assert!(v[0]["sections"][0].get("lut_sha256").is_none());
}

/// A keyed frame with a light card and a frozen outer says so, and reads back equal.
#[test]
fn frame_json_records_chroma_cards_and_the_frozen_outer() {
    use crate::stage::{CardLayer, CardPlacement, CardShape, Chroma, LightCard};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
    let mut stage = crate::stage::load(std::path::Path::new(path)).unwrap();
    stage.render.frozen_outer = true;
    let card = LightCard {
        name: "fill".into(),
        shape: CardShape::Ellipse,
        placement: CardPlacement::Polar {
            origin: (0.0, 1.5, 0.0),
            azimuth_deg: 30.0,
            elevation_deg: 10.0,
            size_deg: (20.0, 10.0),
            roll_deg: 0.0,
        },
        colour: (1.0, 0.9, 0.8),
        intensity_nits: 400.0,
        feather: 0.3,
        layer: CardLayer::Over,
    };
    let key = Chroma {
        colour: (0.0, 0.7, 0.1),
        markers: None,
    };
    let inputs = crate::render::FrameInputs::at_rest(&stage, &Overrides::default())
        .unwrap()
        .with_chroma(Some(key))
        .with_light_cards(vec![card.clone()]);
    let info = FrameInfo::of_stage(&stage, std::slice::from_ref(&inputs), 3);
    let text = serde_json::to_string(&info).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["cameras"][0]["chroma"]["colour"][1].as_f64(), Some(0.7));
    assert_eq!(v["light_cards"][0]["name"], "fill");
    assert_eq!(v["light_cards"][0]["intensity_nits"], 400.0);
    assert_eq!(v["outer"]["frozen"], true);
    let back: FrameInfo = serde_json::from_str(&text).unwrap();
    assert_eq!(back.cameras[0].chroma, Some(key));
    assert_eq!(back.light_cards, vec![card]);
}

/// With several cameras, frame.json lists them (the primary first) with their priorities and
/// names the drawing order, reversed when the stage reverses it.
#[test]
fn frame_json_names_the_cameras_drawing_order() {
    let text = |reverse: bool| {
        format!(
            r#"Stage(name: "two", frame_rate: 50.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (8, 8))],
  sections: [(name: "W", panel_type: "P", shape: Flat(columns: 2, rows: 1, position: (0.0, 1.5, -3.0)),
placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 16, height: 8)],
  cameras: [Camera(name: "A", priority: 1), Camera(name: "B", position: (0.5, 1.6, 0.0))],
  render: Render(reverse_priority: {reverse}))"#
        )
    };
    for (reverse, order) in [(false, ["B", "A"]), (true, ["A", "B"])] {
        let stage = crate::stage::Stage::from_ron(&text(reverse), "two.ron").unwrap();
        let a = crate::render::FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
        let cams = crate::render::FrameInputs::with_stage_cameras(&stage, a, |_| None).unwrap();
        let v = serde_json::to_value(FrameInfo::of_stage(&stage, &cams, 0)).unwrap();
        assert_eq!(v["cameras"][0]["name"], "A");
        assert_eq!(v["cameras"][0]["priority"], 1);
        assert_eq!(v["cameras"][1]["name"], "B");
        assert_eq!(v["draw_order"], serde_json::json!(order));
    }
}
