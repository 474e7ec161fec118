//! `parallax render` through the built binary: no driver noise on a headless machine, every file
//! of the frame written (atomically) and following the contract, and every camera setting
//! overridable from the command line.

use std::path::Path;

/// A headless render on a machine without a display session prints no driver noise (Mesa's
/// device-select layer complains about `XDG_RUNTIME_DIR` four times unless switched off).
#[test]
fn headless_render_prints_no_driver_noise() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(["render", "assets/stages/tiny.ron", "--out"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("NODEVICE_SELECT")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("XDG_RUNTIME_DIR"), "{stderr}");
    // What remains is Parallax's own report (tiny.ron validates without warnings).
    for line in stderr.lines() {
        assert!(
            line.starts_with("adapter: ") || line.starts_with("rendered in "),
            "unexpected stderr line: {line}"
        );
    }
}

/// `parallax render STAGE --out DIR` writes every file, and the JSON files follow the contract.
#[test]
fn render_command_writes_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let stage = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args([
            "render",
            stage.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
        ])
        .args([
            "--camera-position",
            "0.1,1.1,0.4",
            "--camera-rotation",
            "-5,2,1",
            "--focal-length",
            "28",
        ])
        .args([
            "--sensor",
            "24x16",
            "--overscan",
            "0.2",
            "--soft-edge",
            "0.04",
        ])
        .args([
            "--outer-viewpoint",
            "0,1.5,0",
            "--inner-resolution",
            "64x40",
            "--outer-resolution",
            "24",
        ])
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "main.png",
        "wall.png",
        "camera.png",
        "pixel-map.json",
        "frame.json",
    ] {
        assert!(dir.path().join(f).is_file(), "missing {f}");
    }
    let main = image::open(dir.path().join("main.png")).unwrap();
    assert_eq!((main.width(), main.height()), (128, 64));
    let frame: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("frame.json")).unwrap()).unwrap();
    assert_eq!(frame["format"], "parallax-frame");
    let cam = &frame["cameras"][0];
    assert_eq!(cam["focal_length_mm"], 28.0);
    assert_eq!(cam["overscan"], 0.2);
    assert_eq!(
        frame["outer"]["viewpoint"],
        serde_json::json!([0.0, 1.5, 0.0])
    );
    let map: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("pixel-map.json")).unwrap()).unwrap();
    assert_eq!(map["format"], "parallax-pixel-map");
    // No temporary files are left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names.iter().all(|n| !n.to_string_lossy().ends_with(".tmp")),
        "{names:?}"
    );
}

/// Every camera setting of the stage file can be overridden from the command line: principal shift,
/// entrance pupil, per-side overscan and distortion reach `frame.json` as computed by hand.
#[test]
fn render_overrides_cover_every_camera_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(["render", "assets/stages/tiny.ron", "--out"])
        .arg(dir.path())
        .args(["--camera", "A", "--camera-position", "0,1,0.5"])
        .args(["--camera-rotation", "90,0,0", "--focal-length", "24"])
        .args(["--shift", "1.2,-0.6", "--entrance-pupil", "0.1"])
        .args([
            "--overscan",
            "0.3,0.4,0.25,0.35",
            "--distortion",
            "-0.05,0.01",
        ])
        .args(["--inner-resolution", "48x32", "--outer-resolution", "16"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NODEVICE_SELECT", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frame: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("frame.json")).unwrap()).unwrap();
    let cam = &frame["cameras"][0];
    let num = |v: &serde_json::Value| v.as_f64().unwrap();
    // Pan 90 looks along -X: the entrance pupil is 0.1 m along -X from the sensor.
    let p: Vec<f64> = cam["position"]
        .as_array()
        .unwrap()
        .iter()
        .map(num)
        .collect();
    assert!((p[0] + 0.1).abs() < 1e-9 && (p[1] - 1.0).abs() < 1e-9 && (p[2] - 0.5).abs() < 1e-9);
    // 36 x 24 mm sensor at 24 mm, shifted 1.2 mm right and 0.6 mm down: frame tangents
    // left (-18 + 1.2) / 24 = -0.7, right 0.8, bottom (-12 - 0.6) / 24 = -0.525, top 0.475; half
    // extents 0.75 and 0.5; each side grows by its overscan times the half extent.
    let t = &cam["inner_tangents"];
    for (k, v) in [
        ("left", -0.7 - 0.3 * 0.75),
        ("right", 0.8 + 0.4 * 0.75),
        ("bottom", -0.525 - 0.25 * 0.5),
        ("top", 0.475 + 0.35 * 0.5),
    ] {
        assert!((num(&t[k]) - v).abs() < 1e-9, "{k}: {} vs {v}", t[k]);
    }
    assert_eq!(cam["overscan"], 0.4);
    // The extra fields say how to reproduce the frame: the tracked position (not the eye), the lens
    // and the overscan per side, as given.
    assert_eq!(cam["tracked_position"], serde_json::json!([0.0, 1.0, 0.5]));
    assert_eq!(cam["entrance_pupil_m"], 0.1);
    assert_eq!(cam["shift_mm"], serde_json::json!([1.2, -0.6]));
    assert_eq!(cam["distortion"]["k1"], -0.05);
    assert_eq!(cam["distortion"]["k2"], 0.01);
    assert_eq!(
        cam["overscan_per_side"],
        serde_json::json!([0.3, 0.4, 0.25, 0.35])
    );
    // Soft edge 0.1 (tiny.ron): across, the band is 0.1 * (2 + 0.3 + 0.4) = 0.27 half-frames, inside
    // the 0.3 and 0.4 overscans; down, 0.1 * (2 + 0.25 + 0.35) = 0.26 > 0.25 at the bottom: the band
    // reaches into the picture, which frame.json says and the command warns about.
    assert_eq!(cam["band_outside_picture"], false);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the soft-edge band lies inside the camera's picture"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A negative overscan gets the parser's message, not clap's hint about '--'.
    let neg = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args([
            "render",
            "assets/stages/tiny.ron",
            "--overscan",
            "-1",
            "--out",
        ])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!neg.status.success());
    assert!(String::from_utf8_lossy(&neg.stderr).contains("overscan must be finite numbers >= 0"));
    // An unknown camera is refused, naming the stage's cameras.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(["render", "assets/stages/tiny.ron", "--camera", "B", "--out"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no camera 'B' (cameras: A)"));
}
