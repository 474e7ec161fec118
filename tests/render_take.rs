//! `parallax render --take`: frames of a recorded take, each with the camera the take gives.

use std::path::Path;

use parallax::tracking::{Take, TakeCameras};

fn root(p: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn take_frames_render_with_the_tracked_camera() {
    let dir = tempfile::tempdir().unwrap();
    let stage_path = root("assets/stages/tiny.ron");
    let take_path = root("assets/takes/demo-truck.take");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .arg("render")
        .arg(&stage_path)
        .arg("--take")
        .arg(&take_path)
        .args([
            "--frames",
            "3..=5",
            "--inner-resolution",
            "48x32",
            "--outer-resolution",
            "16",
        ])
        .arg("--out")
        .arg(dir.path())
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("pixel-map.json").is_file());
    assert!(!dir.path().join("frame-000002").exists());
    assert!(!dir.path().join("frame-000006").exists());

    let stage = parallax::stage::load(&stage_path).unwrap();
    let take = Take::load(&take_path).unwrap();
    let cams = TakeCameras::new(&take, &stage.camera_specs(), stage.frame_rate).unwrap();
    let mut positions = Vec::new();
    for n in 3..=5u64 {
        let d = dir.path().join(format!("frame-{n:06}"));
        assert!(d.join("main.png").is_file(), "{}", d.display());
        let info: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("frame.json")).unwrap()).unwrap();
        assert_eq!(info["frame"], n);
        let state = cams.camera_at_frame(&stage.cameras[0].name, n).unwrap();
        let eye = state.camera.pose.eye(state.camera.lens.entrance_pupil_m);
        let p: Vec<f64> = info["cameras"][0]["position"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(
            (glam::DVec3::from_slice(&p) - eye).length() < 1e-6,
            "frame {n}: {p:?} vs {eye}"
        );
        positions.push(eye);
    }
    // The take moves the camera: frames differ.
    assert!((positions[0] - positions[2]).length() > 1e-4);
}

#[test]
fn frames_outside_the_take_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .arg("render")
        .arg(root("assets/stages/tiny.ron"))
        .arg("--take")
        .arg(root("assets/takes/demo-truck.take"))
        .args(["--frames", "100000..100002"])
        .arg("--out")
        .arg(dir.path())
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("outside the take"), "{err}");
}
