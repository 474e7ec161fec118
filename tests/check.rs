//! `parallax check` end to end, through the built binary: the shipped demo checks pass; a broken copy
//! of the demo stage fails with the right cases and cabinets; a missing reference fails and
//! `--update` (scoped or not) fixes it, but is refused under CI; the JUnit report is well-formed and
//! lists every case.
//! Runs on any adapter (lavapipe in CI). HDR outputs (PQ, linear EXR): `check/hdr.rs`; frame
//! remapping (a case per sub-frame region): `check/remapped.rs`.

#[path = "check/hdr.rs"]
mod hdr;
#[path = "check/remapped.rs"]
mod remapped;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn asset(p: &str) -> PathBuf {
    Path::new(ROOT).join("assets").join(p)
}

/// Runs `parallax check ARGS` outside CI (`CI` removed, so that `--update` is allowed even when the
/// tests themselves run in a CI job).
fn check(args: &[&str]) -> Output {
    check_with_ci(args, None)
}

/// Runs `parallax check ARGS` with the `CI` environment variable set to `ci`, or removed.
fn check_with_ci(args: &[&str], ci: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parallax"));
    command
        .arg("check")
        .args(args)
        .env("NODEVICE_SELECT", "1")
        .env_remove("CI");
    if let Some(v) = ci {
        command.env("CI", v);
    }
    let out = command.output().expect("run parallax");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("no GPU adapter"),
        "these tests need a GPU adapter: on Linux without a GPU, install Mesa's lavapipe \
         (apt-get install -y mesa-vulkan-drivers libvulkan1)\n{text}"
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Parses a JUnit file with a real XML parser (so it must be well-formed) and returns each test
/// case's name with its failure type ("" when it passed, "error" for an `<error>`).
fn junit_cases(path: &Path) -> BTreeMap<String, String> {
    use xml::reader::{EventReader, XmlEvent};
    let file = std::fs::File::open(path).expect("JUnit file written");
    let mut cases = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut suites = 0;
    for event in EventReader::new(std::io::BufReader::new(file)) {
        match event.expect("well-formed XML") {
            XmlEvent::StartElement {
                name, attributes, ..
            } => {
                let attr = |k: &str| {
                    attributes
                        .iter()
                        .find(|a| a.name.local_name == k)
                        .map(|a| a.value.clone())
                };
                match name.local_name.as_str() {
                    "testsuite" => {
                        suites += 1;
                        let tests: usize = attr("tests").unwrap().parse().unwrap();
                        assert!(tests > 0);
                    }
                    "testcase" => {
                        let n = attr("name").expect("testcase name");
                        cases.insert(n.clone(), String::new());
                        current = Some(n);
                    }
                    "failure" => {
                        let n = current.clone().expect("failure inside a testcase");
                        cases.insert(n, attr("type").unwrap_or_default());
                    }
                    "error" => {
                        let n = current.clone().expect("error inside a testcase");
                        cases.insert(n, "error".into());
                    }
                    _ => {}
                }
            }
            XmlEvent::EndElement { name } if name.local_name == "testcase" => current = None,
            _ => {}
        }
    }
    assert_eq!(suites, 1);
    cases
}

/// The demo checks file rewritten to use `stage` and `refs`, with every other path absolute.
fn demo_checks(dir: &Path, stage: &Path, refs: &Path) -> PathBuf {
    let text = std::fs::read_to_string(asset("checks/demo.checks.ron")).unwrap();
    let text = text
        .replace(
            "stage: \"../stages/demo.ron\"",
            &format!("stage: {:?}", stage.display().to_string()),
        )
        .replace(
            "refs: \"demo-refs\"",
            &format!("refs: {:?}", refs.display().to_string()),
        )
        .replace("\"../takes/", &format!("\"{}/", asset("takes").display()))
        .replace(
            "\"checker-sky.png\"",
            &format!(
                "{:?}",
                asset("checks/checker-sky.png").display().to_string()
            ),
        );
    let path = dir.join("demo.checks.ron");
    std::fs::write(&path, text).unwrap();
    path
}

const DEMO_CASES: [&str; 8] = [
    "centre/output-wall-1",
    "centre/output-ceiling-1",
    "centre/wall",
    "centre-camera/camera",
    "left-up/output-ceiling-1",
    "left-up/camera",
    "truck/camera",
    "pixel-map",
];

#[test]
fn the_demo_stage_passes_its_shipped_checks() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let o = check(&[
        asset("checks/demo.checks.ron").to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--out",
        dir.path().join("fail").to_str().unwrap(),
    ]);
    assert!(
        o.status.success(),
        "{}\n{}",
        stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout(&o).contains("8 cases"), "{}", stdout(&o));
    let cases = junit_cases(&junit);
    assert_eq!(
        cases.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        DEMO_CASES.into_iter().collect()
    );
    assert!(cases.values().all(String::is_empty), "{cases:?}");
    assert!(
        !dir.path().join("fail").exists(),
        "no failure images when all pass"
    );
}

/// The demo stage with the wall's output packed 32 px right and 16 px down, and the ceiling
/// placed by hand as Auto places it except cabinet C-001-02, rotated 180 degrees in its output.
fn broken_demo(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(asset("stages/demo.ron")).unwrap();
    let wall = "placement: Auto(outputs: [\"wall-1\"]),";
    let ceiling = "placement: Auto(outputs: [\"ceiling-1\"]),";
    assert!(
        text.contains(wall) && text.contains(ceiling),
        "demo.ron changed"
    );
    let mut cells = Vec::new();
    for row in 0..4 {
        for col in 0..4 {
            let rotation = if (col, row) == (1, 2) { 180 } else { 0 };
            cells.push(format!(
                "PanelPlacement(col: {col}, row: {row}, output: \"ceiling-1\", x: {}, y: {}, rotation: {rotation})",
                col * 176,
                row * 176
            ));
        }
    }
    let text = text
        .replace(
            wall,
            "placement: Auto(outputs: [\"wall-1\"], origin: (32, 16)),",
        )
        .replace(
            ceiling,
            &format!("placement: Explicit([{}]),", cells.join(", ")),
        );
    let path = dir.join("broken.ron");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_broken_demo_stage_fails_with_the_right_cases_and_cabinets() {
    let dir = tempfile::tempdir().unwrap();
    let stage = broken_demo(dir.path());
    let checks = demo_checks(dir.path(), &stage, &asset("checks/demo-refs"));
    let junit = dir.path().join("junit.xml");
    let fail = dir.path().join("fail");
    let o = check(&[
        checks.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
        "--out",
        fail.to_str().unwrap(),
    ]);
    let text = stdout(&o);
    assert!(!o.status.success(), "{text}");

    let cases = junit_cases(&junit);
    let failed: BTreeSet<&str> = cases
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k.as_str())
        .collect();
    // The outputs change; what the wall shows (and so the camera) does not: the mapping is
    // consistent, only not the approved one.
    assert_eq!(
        failed,
        BTreeSet::from([
            "centre/output-wall-1",
            "centre/output-ceiling-1",
            "left-up/output-ceiling-1",
            "pixel-map"
        ]),
        "{text}"
    );
    assert!(cases.values().all(|v| v.is_empty() || v == "mismatch"));
    assert_eq!(cases.len(), DEMO_CASES.len());

    // The pixel map summarises each section in one line before any cabinet: the wall's 60
    // cabinets (12 columns x 5 rows) moved with their output by (+32, +16), and one ceiling
    // cabinet turned by 180 degrees in its output.
    let lines: Vec<&str> = text.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.contains("pixel-map: pixel map changed: 61 cabinets changed in 2 sections"))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(
        lines[head + 1].trim(),
        "section 'W': all 60 cabinets moved +32 px in x and +16 px in y in output 'wall-1'",
        "{text}"
    );
    assert_eq!(
        lines[head + 2].trim(),
        "section 'C': 1 of 16 cabinets (C-001-02) turned or mirrored in output 'ceiling-1': step_col [1, 0] -> [-1, 0], step_row [0, 1] -> [0, -1]",
        "{text}"
    );
    // The detail is limited (10 lines, then "and 51 more"); the whole list is in pixel-map.diff.json.
    let diff_json = fail.join("pixel-map.diff.json");
    assert!(
        text.contains(&format!("and 51 more (all in {})", diff_json.display())),
        "{text}"
    );
    let diff: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&diff_json).unwrap()).unwrap();
    let listed: BTreeSet<&str> = diff["cabinets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[0].as_str().unwrap())
        .collect();
    let mut expected: BTreeSet<String> = (0..12)
        .flat_map(|c| (0..5).map(move |r| format!("W-{c:03}-{r:02}")))
        .collect();
    expected.insert("C-001-02".into());
    assert_eq!(
        listed,
        expected.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    assert!(
        text.contains("W-000-00: origin [0, 0] -> [32, 16]"),
        "{text}"
    );
    assert!(
        text.contains("output 'wall-1': all 60 cabinets shifted by (+32, +16) px"),
        "{text}"
    );
    assert!(
        text.contains("C-001-02: origin [176, 352] -> [351, 527], step_col [1, 0] -> [-1, 0], step_row [0, 1] -> [0, -1]"),
        "{text}"
    );

    // Every failing image has its actual, diff and side-by-side, and the paths are printed.
    for name in [
        "centre.output-wall-1",
        "centre.output-ceiling-1",
        "left-up.output-ceiling-1",
    ] {
        for kind in ["actual", "diff", "side-by-side"] {
            let p = fail.join(format!("{name}.{kind}.png"));
            assert!(p.exists(), "{}", p.display());
            assert!(text.contains(&p.display().to_string()), "{text}");
        }
    }
    let side = image::open(fail.join("centre.output-wall-1.side-by-side.png")).unwrap();
    // 240 x 135 (3840 x 2160 downsampled 16 x) enlarged 3 x (512 / 240 -> 3) to at least the
    // minimum review size, three side by side; the zoomed region, if any, below.
    assert!(side.width() >= 3 * 720 + 2 * 8, "{}", side.width());
    assert!(side.height() >= 405, "{}", side.height());
    let wall_line = text
        .lines()
        .find(|l| l.contains("centre/output-wall-1:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(wall_line.contains("; differs in x "), "{wall_line}");
    assert!(
        wall_line.contains(" of 240 x 135 (full size: x "),
        "{wall_line}"
    );
    assert!(fail.join("pixel-map.actual.json").exists());
    assert!(!fail.join("centre.wall.actual.png").exists());
}

#[test]
fn a_missing_reference_fails_and_update_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let refs = dir.path().join("refs");
    let checks = dir.path().join("tiny.checks.ron");
    std::fs::write(
        &checks,
        format!(
            r#"Checks(
    stage: {:?},
    refs: "refs",
    content: TestScene,
    render: (inner_resolution: (48, 32), outer_resolution: 16, camera_width: 48),
    poses: [
        Pose(name: "front", position: (0.0, 1.0, 0.5)),
        Pose(name: "turned", position: (0.2, 1.1, 0.4), rotation: PanTiltRoll(15.0, 10.0, 0.0)),
    ],
    cases: [
        Case(name: "a", pose: "front", images: [Outputs, Camera]),
        Case(name: "b", pose: "turned", images: [Wall], tolerance: Channel(max_diff: 4, bad_fraction: 0.0)),
    ],
)"#,
            asset("stages/tiny.ron").display().to_string()
        ),
    )
    .unwrap();
    let junit = dir.path().join("out/junit.xml");
    let fail = dir.path().join("fail");
    let run = |extra: &[&str]| {
        let mut args = vec![
            checks.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
            "--out",
            fail.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        check(&args)
    };
    let all = ["a/output-main", "a/camera", "b/wall", "pixel-map"];

    let o = run(&[]);
    assert!(!o.status.success(), "{}", stdout(&o));
    let cases = junit_cases(&junit);
    assert_eq!(cases.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut v = all.to_vec();
        v.sort();
        v
    });
    assert!(
        cases.values().all(|v| v == "missing-reference"),
        "{cases:?}"
    );
    assert!(fail.join("a.camera.actual.png").exists());
    assert!(stdout(&o).contains("--update=a"), "{}", stdout(&o));

    // Scoped update: only case b's references are written.
    let o = run(&["--update=b"]);
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(refs.join("b.wall.png").exists());
    assert!(!refs.join("a.camera.png").exists());
    let cases = junit_cases(&junit);
    assert_eq!(cases["b/wall"], "");
    assert_eq!(cases["a/camera"], "missing-reference");

    // An unknown name is refused before anything is rendered.
    let o = run(&["--update=nope"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nope"));

    let o = run(&["--update"]);
    assert!(o.status.success(), "{}", stdout(&o));
    let o = run(&[]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("4 passed"), "{}", stdout(&o));
    assert!(junit_cases(&junit).values().all(String::is_empty));
}

#[test]
fn stage_with_poses_and_refs_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let poses = dir.path().join("poses.ron");
    std::fs::write(
        &poses,
        r#"Checks(
    render: (inner_resolution: (48, 32), outer_resolution: 16),
    poses: [Pose(name: "front", position: (0.0, 1.0, 0.5))],
    cases: [Case(name: "front", pose: "front", images: [Output("main")])],
    pixel_map: false,
)"#,
    )
    .unwrap();
    let refs = dir.path().join("r");
    let stage = asset("stages/tiny.ron");
    let base = [
        stage.to_str().unwrap(),
        "--poses",
        poses.to_str().unwrap(),
        "--refs",
        refs.to_str().unwrap(),
    ];
    let o = check(&[&base[..], &["--update"]].concat());
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(refs.join("front.output-main.png").exists());
    let o = check(&base);
    assert!(o.status.success(), "{}", stdout(&o));
    // Without --refs the command says what is missing.
    let o = check(&base[..3]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--refs"));
}

/// References are never updated under CI: with `CI=true`, `--update` (all or scoped) exits non-zero,
/// says why, and writes nothing; the same command with `CI=false` writes the reference.
#[test]
fn update_is_refused_under_ci() {
    let dir = tempfile::tempdir().unwrap();
    let poses = dir.path().join("poses.ron");
    std::fs::write(
        &poses,
        r#"Checks(
    render: (inner_resolution: (48, 32), outer_resolution: 16),
    poses: [Pose(name: "front", position: (0.0, 1.0, 0.5))],
    cases: [Case(name: "front", pose: "front", images: [Output("main")])],
)"#,
    )
    .unwrap();
    let refs = dir.path().join("r");
    let fail = dir.path().join("fail");
    let junit = dir.path().join("junit.xml");
    let stage = asset("stages/tiny.ron");
    let base = [
        stage.to_str().unwrap(),
        "--poses",
        poses.to_str().unwrap(),
        "--refs",
        refs.to_str().unwrap(),
        "--out",
        fail.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ];
    for update in ["--update", "--update=front", "--update=pixel-map"] {
        let o = check_with_ci(&[&base[..], &[update]].concat(), Some("true"));
        assert!(!o.status.success(), "{update}: {}", stdout(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("never updated under CI"), "{update}: {err}");
        assert!(!refs.exists(), "{update} wrote references under CI");
        assert!(
            !fail.exists() && !junit.exists(),
            "{update} wrote files under CI"
        );
    }
    let o = check_with_ci(&[&base[..], &["--update"]].concat(), Some("false"));
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(refs.join("front.output-main.png").exists());
    assert!(refs.join("pixel-map.json").exists());
    // Comparing is what CI does, and it still runs there.
    let o = check_with_ci(&base, Some("true"));
    assert!(o.status.success(), "{}", stdout(&o));
}

#[test]
fn a_bad_checks_file_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.ron");
    std::fs::write(
        &p,
        "Checks(\n    stage: \"s.ron\",\n    refs: \"r\",\n    poses: [],\n    cases: [],\n    colour: 1,\n)\n",
    )
    .unwrap();
    let o = check(&[p.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("bad.ron:6:"), "{e}");
    assert!(e.contains("unknown field 'colour'"), "{e}");
}

#[test]
fn a_stage_that_does_not_load_errors_every_case_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("stage.ron");
    std::fs::write(
        &stage,
        "Stage(\n    name: \"x\",\n    frame_rate: 50.0,\n    pitch: 2,\n)\n",
    )
    .unwrap();
    let checks = demo_checks(dir.path(), &stage, &asset("checks/demo-refs"));
    let junit = dir.path().join("junit.xml");
    let o = check(&[checks.to_str().unwrap(), "--junit", junit.to_str().unwrap()]);
    assert!(!o.status.success());
    let text = stdout(&o);
    assert!(text.contains("stage.ron:4:"), "{text}");
    let cases = junit_cases(&junit);
    // One test case per check case (its images are unknown before rendering) and the pixel map.
    assert_eq!(
        cases.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from(["centre", "centre-camera", "left-up", "truck", "pixel-map"])
    );
    assert!(cases.values().all(|v| v == "error"), "{cases:?}");
}
