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
