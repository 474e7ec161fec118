//! Frame remapping in `parallax check`: an output carrying several cameras' sub-frames is checked
//! region by region, each region its own test case.

use super::{check, junit_cases, stdout};

/// A stage whose output carries two sub-frames: camera A's view and camera B's chroma key, with B
/// at `b_x` metres. The wall: 8 x 4 cabinets of 0.5 m and 32 px, centred 3 m in front of the
/// cameras (x from -2 to 2 m, y from 0.5 to 2.5 m); one region is 256 x 128 px.
fn remapped_stage(b_x: f64) -> String {
    format!(
        r#"Stage(name: "remap", frame_rate: 60.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (32, 32))],
  sections: [(name: "W", panel_type: "P",
     shape: Flat(columns: 8, rows: 4, position: (0.0, 1.5, -3.0), anchor: Centre),
     placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 512, height: 128,
    remap: Some(Remap(layout: Columns, subframes: [Camera("A"), Chroma("B")])))],
  cameras: [Camera(name: "A", position: (0.0, 1.5, 0.0)), Camera(name: "B", position: ({b_x:?}, 1.5, 0.0))])"#
    )
}

/// With frame remapping, each sub-frame region is its own test case (compared and reported on its
/// own), and a region that shows another camera than the pose's shows that camera (at its rest
/// pose from the stage file), not the outer alone.
#[test]
fn a_remapped_output_is_checked_region_by_region() {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("remap.ron");
    std::fs::write(&stage, remapped_stage(0.5)).unwrap();
    let checks = dir.path().join("remap.checks.ron");
    std::fs::write(
        &checks,
        format!(
            r#"Checks(stage: {:?}, refs: "refs", content: TestScene,
    render: (inner_resolution: (96, 64), outer_resolution: 16, camera_width: 48),
    poses: [Pose(name: "front", position: (0.0, 1.5, 0.0))],
    cases: [Case(name: "c", pose: "front", images: [Outputs])],
    pixel_map: false)"#,
            stage.display().to_string()
        ),
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let run = |extra: &[&str]| {
        let mut args = vec![checks.to_str().unwrap(), "--junit", junit.to_str().unwrap()];
        let fail = dir.path().join("fail");
        args.extend_from_slice(&["--out", fail.to_str().unwrap()]);
        args.extend_from_slice(extra);
        check(&args)
    };
    let o = run(&["--update"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert_eq!(
        junit_cases(&junit).keys().cloned().collect::<Vec<_>>(),
        vec![
            "c/output-o/sub-1".to_string(),
            "c/output-o/sub-2".to_string()
        ]
    );
    let refs = dir.path().join("refs");
    assert!(!refs.join("c.output-o.png").exists());
    let read = |n: &str| image::open(refs.join(n)).unwrap().to_rgba8();
    let (a, b) = (read("c.output-o.sub-1.png"), read("c.output-o.sub-2.png"));
    assert_eq!((a.width(), a.height()), (256, 128));

    // Camera B's key: linear (0, 0.7, 0.1) in sRGB 8-bit is (0, 218, 89). B (35 mm on a 36 mm
    // sensor: half-width 18 / 35 of the distance, 1.54 m at 3 m; plus 10 % overscan, 1.70 m) keys
    // the wall from x = 0.5 - 1.70 = -1.2 m (output x = 51) to its right edge, its full height:
    // 80 % of the region; before the soft edge (to about -1.4 m, x = 38) nothing is keyed.
    let keyed =
        |p: &image::Rgba<u8>| p[0] <= 3 && (215..=221).contains(&p[1]) && (86..=92).contains(&p[2]);
    let count = |img: &image::RgbaImage| img.pixels().filter(|p| keyed(p)).count();
    let share = count(&b) as f64 / (256.0 * 128.0);
    assert!((0.65..0.9).contains(&share), "keyed share {share}");
    assert!((0..128).all(|y| (0..30).all(|x| !keyed(b.get_pixel(x, y)))));
    assert!((8..120).all(|y| keyed(b.get_pixel(120, y)) && keyed(b.get_pixel(250, y))));
    assert_eq!(count(&a), 0, "camera A's region shows no key");

    // Camera B moved by 1 m: only its region fails, and the report says which region it is.
    std::fs::write(&stage, remapped_stage(-0.5)).unwrap();
    let o = run(&[]);
    assert!(!o.status.success());
    let cases = junit_cases(&junit);
    assert_eq!(cases["c/output-o/sub-1"], "", "{}", stdout(&o));
    assert_ne!(cases["c/output-o/sub-2"], "", "{}", stdout(&o));
    assert!(
        stdout(&o).contains("c/output-o/sub-2: sub-frame 2 of 2, chroma key of camera B"),
        "{}",
        stdout(&o)
    );
    // Refreshing the output refreshes both regions.
    let o = run(&["--update=c/output-o"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(run(&[]).status.success());
}
