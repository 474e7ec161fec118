//! Tests of the remote edits (src/remote/control.rs).

use super::*;

fn tiny() -> (StageFile, std::path::PathBuf) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    let text = std::fs::read_to_string(&path).unwrap();
    (crate::stage::parse(&text, "tiny.ron").unwrap(), path)
}

#[test]
fn a_bad_body_names_the_field() {
    let e = Edit::parse(Action::EnvironmentYaw, br#"{"yaw_deg": "x"}"#)
        .unwrap()
        .unwrap_err();
    assert_eq!(e.field, "yaw_deg");
    let e = Edit::parse(Action::EnvironmentYaw, b"{}")
        .unwrap()
        .unwrap_err();
    assert_eq!(e.field, "yaw_deg");
    let e = Edit::parse(Action::Camera, br#"{"camera": "A", "enabld": true}"#)
        .unwrap()
        .unwrap_err();
    assert!(e.message.contains("enabld"), "{e}");
    let body = br#"{"op": "add", "card": {"name": "k", "shape": "Rectangle",
        "placement": {"Stage": {"position": [0, 1, -1], "size_m": [1, "wide"]}},
        "colour": [1, 1, 1], "intensity_nits": 100}}"#;
    let e = Edit::parse(Action::LightCard, body).unwrap().unwrap_err();
    assert!(e.field.starts_with("card.placement"), "{e}");
    assert!(Edit::parse(Action::Save, b"{}").is_none());
}

#[test]
fn edits_change_the_file_and_resolve() {
    let (mut file, path) = tiny();
    let (b, a) = apply(&Edit::EnvironmentYaw(YawBody { yaw_deg: 30.0 }), &mut file).unwrap();
    assert_eq!((b, a), (json(&0.0), json(&30.0)));
    let edits = [r#"{"layer": "outer", "exposure": -1.5}"#];
    for e in edits {
        let edit = Edit::parse(Action::Grade, e.as_bytes()).unwrap().unwrap();
        apply(&edit, &mut file).unwrap();
    }
    let card = br#"{"op": "add", "card": {"name": "key", "shape": "Ellipse",
        "placement": {"Polar": {"origin": [0, 1, 0], "azimuth_deg": 10, "elevation_deg": 5, "size_deg": [20, 10]}},
        "colour": [1, 0.9, 0.8], "intensity_nits": 300}}"#;
    apply(
        &Edit::parse(Action::LightCard, card).unwrap().unwrap(),
        &mut file,
    )
    .unwrap();
    let cam = br#"{"camera": "A", "priority": 3}"#;
    apply(
        &Edit::parse(Action::Camera, cam).unwrap().unwrap(),
        &mut file,
    )
    .unwrap();
    let fr = br#"{"camera": "A", "overscan": {"Uniform": 0.2}, "soft_edge": 0.15}"#;
    apply(
        &Edit::parse(Action::Frustum, fr).unwrap().unwrap(),
        &mut file,
    )
    .unwrap();
    let stage = resolve(&file, &path).unwrap();
    assert_eq!(stage.render.environment_yaw_deg, 30.0);
    assert_eq!(stage.colour.outer.exposure, -1.5);
    assert_eq!(stage.light_cards.len(), 1);
    assert_eq!(stage.cameras[0].priority, 3);
    // The text written by save parses back to the same file.
    let text = to_ron(&file).unwrap();
    let back: StageFile = crate::stage::parse(&text, "saved.ron").unwrap();
    assert_eq!(back, file);
}

#[test]
fn out_of_range_and_unknown_names_are_refused_with_the_field() {
    let (mut file, _) = tiny();
    let keep = file.clone();
    let cases: [(Action, &[u8], &str); 5] = [
        (Action::EnvironmentYaw, br#"{"yaw_deg": 1e9}"#, "yaw_deg"),
        (
            Action::Grade,
            br#"{"layer": "inner", "exposure": 99}"#,
            "exposure",
        ),
        (
            Action::Camera,
            br#"{"camera": "Z", "enabled": false}"#,
            "camera",
        ),
        (
            Action::Frustum,
            br#"{"camera": "A", "soft_edge": 0.9}"#,
            "soft_edge",
        ),
        (
            Action::LightCard,
            br#"{"op": "remove", "name": "none"}"#,
            "name",
        ),
    ];
    for (action, body, at) in cases {
        let edit = Edit::parse(action, body).unwrap().unwrap();
        match apply(&edit, &mut file) {
            Err(EditError::Field { field, .. }) => assert_eq!(field, at),
            other => panic!("{action:?}: {other:?}"),
        }
    }
    assert_eq!(file, keep);
}

/// Content paths outside the stage's folder are refused, naming the field, and leave the file
/// as it was (found by a new-user tryout: `/etc/passwd` reached the image loader).
#[test]
fn content_paths_must_stay_in_the_stage_folder() {
    let (mut file, _) = tiny();
    let keep = file.clone();
    let cases = [
        (r#"{"environment": "/etc/passwd"}"#, "environment"),
        (r#"{"environment": "../../../etc/hostname"}"#, "environment"),
        (r#"{"environment": "sky/../../x.hdr"}"#, "environment"),
        (
            r#"{"scene": [{"Gltf": {"path": "set.glb"}}, {"Gltf": {"path": "/tmp/x.glb"}}]}"#,
            "scene[1].path",
        ),
    ];
    for (body, at) in cases {
        let edit = Edit::parse(Action::Content, body.as_bytes())
            .unwrap()
            .unwrap();
        match apply(&edit, &mut file) {
            Err(EditError::Field { field, message }) => {
                assert_eq!(field, at);
                assert!(message.contains("stage file's folder"), "{message}");
            }
            other => panic!("{body}: {other:?}"),
        }
    }
    assert_eq!(file, keep);
    for body in [
        r#"{"environment": "sky.hdr"}"#,
        r#"{"environment": "./env/sky.exr"}"#,
        r#"{"scene": [{"Gltf": {"path": "sets/set.glb"}}]}"#,
    ] {
        let edit = Edit::parse(Action::Content, body.as_bytes())
            .unwrap()
            .unwrap();
        assert!(apply(&edit, &mut file).is_ok(), "{body}");
    }
}

/// Broken JSON is the body's fault as a whole: field `.` (the tryout saw `?`), wherever the
/// parser stopped.
#[test]
fn broken_json_names_the_body_as_a_whole() {
    let cases: [(Action, &[u8]); 6] = [
        (Action::EnvironmentYaw, br#"{"yaw_deg": 1"#),
        (Action::EnvironmentYaw, b"nope"),
        (Action::EnvironmentYaw, br#"{"yaw_deg": 1,}"#),
        (Action::EnvironmentYaw, b""),
        (
            Action::Grade,
            br#"{"layer": "inner", "grade": {"cdl": {"slope": [1, 1"#,
        ),
        (Action::LightCard, br#"{"op": "add", "card": {"name": "#),
    ];
    for (action, body) in cases {
        let e = Edit::parse(action, body).unwrap().unwrap_err();
        assert_eq!(e.field, ".", "{}: {e}", String::from_utf8_lossy(body));
    }
    // One object and nothing after it (the tryout's second object and trailing text were
    // applied), and never an array read as the fields in order.
    for (action, body) in [
        (
            Action::EnvironmentYaw,
            &br#"{"yaw_deg": 11} this is not json"#[..],
        ),
        (Action::EnvironmentYaw, br#"{"yaw_deg": 12}{"yaw_deg": 99}"#),
        (Action::EnvironmentYaw, b"[25]"),
        (Action::Camera, br#" ["A", false, 5]"#),
    ] {
        let e = Edit::parse(action, body).unwrap().unwrap_err();
        assert_eq!(e.field, ".", "{}: {e}", String::from_utf8_lossy(body));
    }
    assert!(
        Edit::parse(Action::EnvironmentYaw, b" {\"yaw_deg\": 5}\n ")
            .unwrap()
            .is_ok()
    );
    // A body that is JSON but not an object of the route's: the body too.
    let e = Edit::parse(Action::EnvironmentYaw, b"\"left\"")
        .unwrap()
        .unwrap_err();
    assert_eq!(e.field, ".", "{e}");
}

fn refused(action: Action, body: &str, file: &mut StageFile) -> EditError {
    let edit = Edit::parse(action, body.as_bytes()).unwrap().unwrap();
    apply(&edit, file).expect_err(body)
}

/// A nested grade value names its whole path (the tryout saw only `grade`).
#[test]
fn nested_grade_errors_name_the_whole_path() {
    let (mut file, _) = tiny();
    let keep = file.clone();
    let cases = [
        (
            r#"{"layer": "inner", "grade": {"cdl": {"slope": [1, -1, 1]}}}"#,
            "grade.cdl.slope[1]",
        ),
        (
            r#"{"layer": "outer", "grade": {"cdl": {"power": [1, 1, 0]}}}"#,
            "grade.cdl.power[2]",
        ),
        (
            r#"{"layer": "cards", "grade": {"white_balance_k": 100}}"#,
            "grade.white_balance_k",
        ),
        (
            r#"{"layer": "cards", "grade": {"exposure": 99}}"#,
            "grade.exposure",
        ),
        (
            r#"{"layer": "cards", "grade": {"cdl": {"saturation": -1}}}"#,
            "grade.cdl.saturation",
        ),
        (r#"{"layer": "inner", "exposure": 99}"#, "exposure"),
    ];
    for (body, at) in cases {
        let e = refused(Action::Grade, body, &mut file);
        assert_eq!(e.field(), at, "{body}: {e}");
    }
    assert_eq!(file, keep);
}

/// Out-of-range light-card values name the body's field, before any rebuild (the tryout saw
/// `field: null` and a line of the server's in-memory copy).
#[test]
fn light_card_values_name_the_field() {
    let (mut file, _) = tiny();
    let card = |intensity: f64, size: f64| {
        format!(
            r#"{{"op": "add", "card": {{"name": "key", "shape": "Ellipse",
            "placement": {{"Polar": {{"origin": [0, 1, 0], "azimuth_deg": 10, "elevation_deg": 5,
            "size_deg": [{size}, 10]}}}}, "colour": [1, 1, 1], "intensity_nits": {intensity},
            "feather": 0.1}}}}"#
        )
    };
    let e = refused(Action::LightCard, &card(-5.0, 20.0), &mut file);
    assert_eq!(e.field(), "card.intensity_nits", "{e}");
    assert!(e.message().contains("-5"), "{e}");
    let e = refused(Action::LightCard, &card(100.0, 200.0), &mut file);
    assert_eq!(e.field(), "card.placement.size_deg", "{e}");
    let edit = Edit::parse(Action::LightCard, card(100.0, 20.0).as_bytes())
        .unwrap()
        .unwrap();
    apply(&edit, &mut file).unwrap();
    let keep = file.clone();
    let e = refused(
        Action::LightCard,
        r#"{"op": "move", "name": "key", "placement": {"Polar": {"origin": [0, 1, 0],
            "azimuth_deg": 0, "elevation_deg": 0, "size_deg": [0, 10]}}}"#,
        &mut file.clone(),
    );
    assert_eq!(e.field(), "placement.size_deg", "{e}");
    let e = refused(
        Action::LightCard,
        r#"{"op": "change", "name": "key", "feather": 2}"#,
        &mut file.clone(),
    );
    assert_eq!(e.field(), "feather", "{e}");
    assert_eq!(file, keep);
}

/// A stage that does not resolve names the stage file's field, and no line of the edited text
/// (which exists only in the server's memory).
#[test]
fn stage_problems_name_the_field_without_line_numbers() {
    let (file, path) = tiny();
    // A card as a stage file could hold it (the remote ops refuse it earlier): resolve names it.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut bad = file.clone();
    let edit = Edit::parse(
        Action::LightCard,
        br#"{"op": "add", "card": {"name": "k", "shape": "Rectangle",
        "placement": {"Stage": {"position": [0, 1, -1], "size_m": [1, 1]}},
        "colour": [1, 1, 1], "intensity_nits": 10}}"#,
    )
    .unwrap()
    .unwrap();
    apply(&edit, &mut bad).unwrap();
    bad.light_cards[0].intensity_nits = -3.0;
    let e = resolve(&bad, &path).unwrap_err();
    assert!(matches!(e, EditError::Stage { .. }), "{e:?}");
    assert_eq!(e.field(), "light_cards[0].intensity_nits", "{e}");
    assert!(!e.message().contains("tiny.ron:"), "{e}");
    assert!(
        !e.message().contains(":1") && !e.message().contains("line"),
        "{e}"
    );
    // A scene item's scale: its problem has no path, its subject names the item.
    let mut bad = file.clone();
    let edit = Edit::parse(
        Action::Content,
        br#"{"scene": [{"Gltf": {"path": "set.glb", "scale": 0}}]}"#,
    )
    .unwrap()
    .unwrap();
    apply(&edit, &mut bad).unwrap();
    let e = resolve(&bad, &path).unwrap_err();
    assert_eq!(e.field(), "scene[0].scale", "{e}");
    assert!(e.message().contains("scale"), "{e}");
    drop(text);
}

/// A content file that is not there is the request's fault, naming the field and the path (the
/// tryout got 503 with `field: null` from the loop).
#[test]
fn missing_content_files_name_the_field_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("stage.ron");
    std::fs::write(dir.path().join("sky.hdr"), b"x").unwrap();
    std::fs::create_dir(dir.path().join("sets")).unwrap();
    std::fs::write(dir.path().join("sets/set.glb"), b"x").unwrap();
    let check = |body: &str| {
        let edit = Edit::parse(Action::Content, body.as_bytes())
            .unwrap()
            .unwrap();
        check_files(&edit, &stage)
    };
    let e = check(r#"{"environment": "skye.hdr"}"#).unwrap_err();
    assert_eq!(e.field(), "environment");
    assert!(e.message().contains("skye.hdr"), "{e}");
    let e = check(
        r#"{"scene": [{"Gltf": {"path": "sets/set.glb"}}, {"Gltf": {"path": "sets/gone.glb"}}]}"#,
    )
    .unwrap_err();
    assert_eq!(e.field(), "scene[1].path");
    assert!(e.message().contains("sets/gone.glb"), "{e}");
    // A folder is not a file.
    assert_eq!(
        check(r#"{"environment": "sets"}"#).unwrap_err().field(),
        "environment"
    );
    assert!(
        check(r#"{"environment": "sky.hdr", "scene": [{"Gltf": {"path": "sets/set.glb"}}]}"#)
            .is_ok()
    );
    assert!(check(r#"{"environment": null, "test_scene": true}"#).is_ok());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
    /// Arbitrary bytes and near-valid JSON on every change: an error or an edit, never a
    /// panic; an edit that applies leaves a file that resolves or is refused with a message.
    #[test]
    fn fuzzed_bodies_never_panic(
        k in 0usize..7,
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
        x in proptest::prelude::any::<f64>(),
        name in "[A-Za-z]{0,3}",
    ) {
        let actions = [
            Action::EnvironmentYaw, Action::Grade, Action::LightCard, Action::Content,
            Action::Frustum, Action::FreezeOuter, Action::Camera,
        ];
        let near = [
            format!(r#"{{"yaw_deg": {x}}}"#),
            format!(r#"{{"layer": "{name}", "exposure": {x}}}"#),
            format!(r#"{{"op": "change", "name": "{name}", "feather": {x}}}"#),
            format!(r#"{{"environment": "{name}"}}"#),
            format!(r#"{{"camera": "{name}", "overscan": {{"Uniform": {x}}}}}"#),
            format!(r#"{{"frozen": {}}}"#, x > 0.0),
            format!(r#"{{"camera": "A", "priority": {}}}"#, x as i64),
        ];
        let (file, path) = tiny();
        for body in [bytes.clone(), near[k].clone().into_bytes()] {
            if let Some(Ok(edit)) = Edit::parse(actions[k], &body) {
                let mut f = file.clone();
                if apply(&edit, &mut f).is_ok() {
                    let _ = resolve(&f, &path);
                }
            }
        }
    }
}

/// A grade names only the fields it changes: the others keep the layer's values (the tryout's
/// `{"grade": {"cdl": {"saturation": 0.5}}}` reset exposure and slope to their defaults).
#[test]
fn a_partial_grade_keeps_the_fields_it_leaves_out() {
    let (mut file, _) = tiny();
    let set = |file: &mut StageFile, body: &str| {
        let edit = Edit::parse(Action::Grade, body.as_bytes())
            .unwrap()
            .unwrap();
        apply(&edit, file).unwrap();
    };
    set(
        &mut file,
        r#"{"layer": "outer", "grade": {"exposure": -1.5, "white_balance_k": 5600,
            "cdl": {"slope": [1.1, 1.0, 0.9], "power": [1.2, 1.2, 1.2]}}}"#,
    );
    set(
        &mut file,
        r#"{"layer": "outer", "grade": {"cdl": {"saturation": 0.5}}}"#,
    );
    let g = file.colour.outer;
    assert_eq!(g.exposure, -1.5);
    assert_eq!(g.white_balance_k, Some(5600.0));
    assert_eq!(g.cdl.slope, [1.1, 1.0, 0.9]);
    assert_eq!(g.cdl.power, [1.2, 1.2, 1.2]);
    assert_eq!(g.cdl.saturation, 0.5);
    // `null` removes the white balance; the inner layer was never touched.
    set(
        &mut file,
        r#"{"layer": "outer", "grade": {"white_balance_k": null}}"#,
    );
    assert_eq!(file.colour.outer.white_balance_k, None);
    assert_eq!(file.colour.outer.exposure, -1.5);
    assert_eq!(file.colour.inner, crate::colour::grade::Grade::default());
    // A wrong type in the patch is a bad body (400) naming its path.
    let e = Edit::parse(
        Action::Grade,
        br#"{"layer": "outer", "grade": {"cdl": {"slope": "x"}}}"#,
    )
    .unwrap()
    .unwrap_err();
    assert_eq!(e.field, "grade.cdl.slope", "{e}");
}

/// A card op's body names a field it does not take, and a field it needs, as a bad body (400):
/// the tryout's `remove` with `feather` named `shape`, and a missing name or placement was a 422.
#[test]
fn a_field_an_op_does_not_take_or_needs_is_named() {
    for (body, at, says) in [
        (
            r#"{"op": "remove", "name": "key", "feather": 0.2}"#,
            "feather",
            "does not take 'feather'",
        ),
        (
            r#"{"op": "move", "name": "key", "intensity_nits": 5}"#,
            "intensity_nits",
            "does not take",
        ),
        (
            r#"{"op": "remove", "name": "key", "layer": "Over"}"#,
            "layer",
            "does not take",
        ),
        (
            r#"{"op": "add", "name": "key"}"#,
            "name",
            "does not take 'name'",
        ),
        (r#"{"op": "add"}"#, "card", "needs the card"),
        (
            r#"{"op": "move", "name": "key"}"#,
            "placement",
            "needs the placement",
        ),
        (
            r#"{"op": "change", "colour": [1, 1, 1]}"#,
            "name",
            "needs the card's name",
        ),
        (
            r#"{"op": "add", "card": {"name": " ", "shape": "Ellipse",
                "placement": {"Polar": {"origin": [0, 1, 0], "azimuth_deg": 10,
                "elevation_deg": 5, "size_deg": [20, 10]}}, "colour": [1, 1, 1],
                "intensity_nits": 300}}"#,
            "card.name",
            "needs a name",
        ),
    ] {
        let e = Edit::parse(Action::LightCard, body.as_bytes())
            .unwrap()
            .unwrap_err();
        assert_eq!(e.field, at, "{body}: {e}");
        assert!(e.message.contains(says), "{body}: {e}");
    }
}

/// Messages carry no Rust type names, and a number beyond any float names its field.
#[test]
fn messages_speak_json_not_rust() {
    for (action, body, at) in [
        (Action::EnvironmentYaw, &br#""left""#[..], "."),
        (
            Action::EnvironmentYaw,
            br#"{"yaw_deg": {"x": 1}}"#,
            "yaw_deg",
        ),
        (
            Action::Camera,
            br#"{"camera": "A", "priority": 1.5}"#,
            "priority",
        ),
        (
            Action::Grade,
            br#"{"layer": "inner", "grade": {"cdl": 3}}"#,
            "grade.cdl",
        ),
        (Action::EnvironmentYaw, br#"{"yaw_deg": 1e400}"#, "yaw_deg"),
    ] {
        let e = Edit::parse(action, body).unwrap().unwrap_err();
        assert_eq!(e.field, at, "{}: {e}", String::from_utf8_lossy(body));
        for rust in ["struct", "f64", "i32", "Body", "map"] {
            assert!(
                !e.message.contains(rust),
                "{}: {e}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

/// The third tryout's bodies: a repeated field, a variant's name in the path, two exposures, a
/// priority beyond 32 bits, an absurd CDL value.
#[test]
fn third_tryout_bodies_name_their_fields() {
    for (action, body, at) in [
        (
            Action::EnvironmentYaw,
            &br#"{"yaw_deg": 5, "yaw_deg": 6}"#[..],
            "yaw_deg",
        ),
        (
            Action::LightCard,
            br#"{"op": "add", "card": {"name": "k", "shape": "Rectangle",
                "placement": {"Stage": {"position": [0, 1, -1], "size_m": [1, "wide"]}},
                "colour": [1, 1, 1], "intensity_nits": 100}}"#,
            "card.placement.size_m[1]",
        ),
        (
            Action::Grade,
            br#"{"layer": "inner", "exposure": 1, "grade": {"exposure": 2}}"#,
            "grade.exposure",
        ),
    ] {
        let e = Edit::parse(action, body).unwrap().unwrap_err();
        assert_eq!(e.field, at, "{}: {e}", String::from_utf8_lossy(body));
    }
    let (mut file, _) = tiny();
    for (action, body, at) in [
        (
            Action::Camera,
            r#"{"camera": "A", "priority": 1099511627776}"#,
            "priority",
        ),
        (
            Action::Grade,
            r#"{"layer": "outer", "grade": {"cdl": {"offset": [1e300, 0, 0]}}}"#,
            "grade.cdl.offset[0]",
        ),
    ] {
        let e = refused(action, body, &mut file);
        assert_eq!(e.field(), at, "{body}: {e}");
        assert!(e.message().contains("must be within"), "{e}");
    }
}

#[test]
fn switching_every_camera_off_warns() {
    let (mut file, _) = tiny();
    assert!(warnings(&file).is_empty());
    for c in &mut file.cameras {
        c.enabled = false;
    }
    assert_eq!(warnings(&file).len(), 1);
}
