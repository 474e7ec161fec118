//! Render nodes on loopback (explicit endpoints, multicast scouting off): a primary and two nodes
//! render a take; the union of their outputs equals the single-process run and `parallax render
//! --take` bit for bit, with the right frame number burnt in; a node killed mid-take is reported
//! and rejoins; a node with another stage revision refuses to present and says why.
//!
//! Each test uses its own ports, so they run in parallel.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use parallax::cluster::burnin;
use parallax::render::ReadImage;

const STAGE: &str = "tests/data/stage/nodes.ron";
const TAKE: &str = "assets/takes/demo-truck.take";
/// (output, node) of the test stage.
const OUTPUTS: [(&str, &str); 3] = [("left", "a"), ("right", "b"), ("top", "c")];

/// A `parallax` process whose stdout and stderr go to files; killed if the test fails first.
struct Proc {
    name: String,
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Proc {
    fn start(dir: &Path, name: &str, args: &[&str]) -> Proc {
        let out = dir.join(format!("{name}.stdout"));
        let err = dir.join(format!("{name}.stderr"));
        let child = Command::new(env!("CARGO_BIN_EXE_parallax"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NODEVICE_SELECT", "1")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .expect("parallax starts");
        Proc {
            name: name.into(),
            child,
            out,
            err,
        }
    }

    /// Waits for the process to exit (at most `limit`), asserting success; returns (stdout, stderr).
    fn finish(mut self, limit: Duration) -> (String, String) {
        let until = Instant::now() + limit;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < until,
                "{} still running after {limit:?}:\n{}",
                self.name,
                self.text().1
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let (out, err) = self.text();
        assert!(status.success(), "{} failed:\n{out}\n{err}", self.name);
        (out, err)
    }

    fn text(&self) -> (String, String) {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (read(&self.out), read(&self.err))
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

fn run_ok(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "parallax {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The switches of a cluster member: node `node`, files into `out`, on loopback port `port`.
fn member<'a>(node: &'a str, out: &'a str, endpoint: &'a str, primary: bool) -> Vec<&'a str> {
    let mut a = vec![
        "run",
        STAGE,
        "--no-watch",
        "--sink",
        "files",
        "--out",
        out,
        "--node",
        node,
        "--no-scouting",
    ];
    if primary {
        a.extend(["--primary", "--listen", endpoint]);
    } else {
        a.extend(["--connect", endpoint]);
    }
    a
}

fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The frame folders (numbers) under `dir`, sorted.
fn frames_in(dir: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_prefix("frame-")?
                    .parse()
                    .ok()
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The files of frame folder `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn decode_png(p: &Path) -> ReadImage {
    let img = image::open(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .to_rgba8();
    ReadImage {
        width: img.width(),
        height: img.height(),
        format: wgpu::TextureFormat::Rgba8Unorm,
        bytes: img.into_raw(),
    }
}

/// A primary ("a", with the take) and two nodes ("b", "c") render 6 frames of a take with the
/// frame number burnt in. Each delivers only its own output; each output equals, byte for byte,
/// the same output of a single-process run (with the burn-in), and outside the code's cells, the
/// pixels of `parallax render --take` (rendered apart, no burn-in); the code reads the frame
/// number of the folder it is in.
#[test]
fn a_primary_and_two_nodes_render_the_single_process_frames_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let endpoint = "tcp/127.0.0.1:47311";
    let (da, db, dc) = (d("a"), d("b"), d("c"));
    let mut pa = member("a", &da, endpoint, true);
    pa.extend([
        "--take",
        TAKE,
        "--frames",
        "6",
        "--unpaced",
        "--burn-in",
        "--barrier-timeout",
        "20000",
        "--join-timeout",
        "60",
    ]);
    let mut pb = member("b", &db, endpoint, false);
    pb.push("--burn-in");
    let mut pc = member("c", &dc, endpoint, false);
    pc.push("--burn-in");
    let a = Proc::start(dir.path(), "a", &pa);
    let b = Proc::start(dir.path(), "b", &pb);
    let c = Proc::start(dir.path(), "c", &pc);
    // Meanwhile, the single-process references.
    let (single, render) = (d("single"), d("render"));
    run_ok(&[
        "run",
        STAGE,
        "--take",
        TAKE,
        "--frames",
        "6",
        "--unpaced",
        "--no-watch",
        "--sink",
        "files",
        "--out",
        &single,
        "--burn-in",
    ]);
    run_ok(&[
        "render", STAGE, "--take", TAKE, "--frames", "0..6", "--out", &render,
    ]);
    let limit = Duration::from_secs(120);
    let (a_out, _) = a.finish(limit);
    let (b_out, b_err) = b.finish(limit);
    let (c_out, _) = c.finish(limit);
    assert!(
        a_out.contains("node 'b': 6 ready, 0 late, 0 refused"),
        "{a_out}"
    );
    assert!(
        a_out.contains("node 'c': 6 ready, 0 late, 0 refused"),
        "{a_out}"
    );
    assert!(
        b_err.contains("the primary ended its run after 6 frames"),
        "{b_err}"
    );
    assert!(b_out.contains("6 frames presented, 0 refused"), "{b_out}");
    assert!(c_out.contains("6 frames presented, 0 refused"), "{c_out}");
    let s = burnin::cell(64, 32) as usize;
    assert_eq!(s, 1);
    let mut moved = false;
    for n in 0..6u64 {
        let frame = format!("frame-{n:06}");
        for (output, node) in OUTPUTS {
            let mine = dir.path().join(node).join(&frame);
            assert_eq!(
                files_in(&mine),
                [format!("{output}.png")],
                "node {node} delivers only its output"
            );
            let got = bytes(&mine.join(format!("{output}.png")));
            let want = bytes(
                &dir.path()
                    .join("single")
                    .join(&frame)
                    .join(format!("{output}.png")),
            );
            assert!(
                got == want,
                "frame {n} {output}: node {node} differs from one process"
            );
            // Against render --take: every pixel but the code's cells (24 x s in the bottom rows).
            let img = decode_png(&mine.join(format!("{output}.png")));
            assert_eq!(
                burnin::read(&img),
                Some(n),
                "burnt-in frame of {output} {n}"
            );
            let reference = decode_png(
                &dir.path()
                    .join("render")
                    .join(&frame)
                    .join(format!("{output}.png")),
            );
            assert_eq!((img.width, img.height), (reference.width, reference.height));
            let (w, h) = (img.width as usize, img.height as usize);
            let mut differ = 0;
            for y in 0..h {
                for x in 0..w {
                    let in_code = y >= h - s && x < 24 * s;
                    let at = (y * w + x) * 4;
                    if !in_code && img.bytes[at..at + 4] != reference.bytes[at..at + 4] {
                        differ += 1;
                    }
                }
            }
            assert_eq!(
                differ, 0,
                "frame {n} {output}: pixels differ from render --take"
            );
            if n > 0 {
                let prev = decode_png(
                    &dir.path()
                        .join("render")
                        .join(format!("frame-{:06}", n - 1))
                        .join(format!("{output}.png")),
                );
                moved |= prev.bytes != reference.bytes;
            }
        }
    }
    assert!(
        moved,
        "the take does not change the outputs: the test would prove nothing"
    );
}

/// At 60 Hz over 420 frames: node "b" is killed once it has written frame 20; the primary
/// reports it dropped out and goes on (node "c" presents frames while "b" is away); "b" is
/// started again, joins at the primary's next tick and presents from there.
#[test]
fn a_node_killed_mid_take_is_reported_and_rejoins() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let endpoint = "tcp/127.0.0.1:47312";
    let (da, db, db2, dc) = (d("a"), d("b"), d("b2"), d("c"));
    let mut pa = member("a", &da, endpoint, true);
    pa.extend([
        "--take",
        TAKE,
        "--frames",
        "420",
        "--barrier-timeout",
        "200",
        "--join-timeout",
        "60",
    ]);
    let a = Proc::start(dir.path(), "a", &pa);
    let mut b = Proc::start(dir.path(), "b", &member("b", &db, endpoint, false));
    let c = Proc::start(dir.path(), "c", &member("c", &dc, endpoint, false));
    let wait_for = |what: &str, ok: &dyn Fn() -> bool| {
        let until = Instant::now() + Duration::from_secs(60);
        while !ok() {
            assert!(Instant::now() < until, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait_for("b's frame 20", &|| {
        frames_in(Path::new(&db)).iter().any(|&f| f >= 20)
    });
    b.kill();
    let killed_after = *frames_in(Path::new(&db)).last().unwrap();
    // c goes on without b.
    wait_for("c going on", &|| {
        frames_in(Path::new(&dc))
            .last()
            .is_some_and(|&f| f > killed_after + 30)
    });
    let b2 = Proc::start(dir.path(), "b2", &member("b", &db2, endpoint, false));
    let (a_out, a_err) = a.finish(Duration::from_secs(120));
    let (b2_out, b2_err) = b2.finish(Duration::from_secs(60));
    c.finish(Duration::from_secs(60));
    assert!(
        a_err.contains("node 'b' dropped out at frame"),
        "the primary does not report b:\n{a_err}"
    );
    let summary = a_out
        .lines()
        .find(|l| l.contains("node 'b':"))
        .unwrap_or_else(|| panic!("no summary for b:\n{a_out}"));
    assert!(summary.contains("dropped out at frame(s) ["), "{summary}");
    let joins = summary
        .split("joined at frame(s) [")
        .nth(1)
        .and_then(|s| s.split(']').next())
        .unwrap();
    assert_eq!(joins.split(',').count(), 2, "b joined twice: {summary}");
    // c went on: it presented only frames the primary rendered, frames while b was away, and
    // the last one. (Under load it may skip a tick to catch up: the newest tick wins.)
    let fa = frames_in(Path::new(&da));
    let fc = frames_in(Path::new(&dc));
    assert!(fa.len() > 5, "{fa:?}");
    assert!(
        fc.iter().all(|f| fa.contains(f)),
        "c presented a frame the primary did not"
    );
    assert_eq!(fc.last(), fa.last(), "c did not run to the end");
    // The restarted b joined at a tick after b was killed and presented from there on.
    let f2 = frames_in(Path::new(&db2));
    let first = *f2.first().expect("the restarted b presented frames");
    assert!(first > killed_after, "{first} <= {killed_after}");
    assert!(
        fc.iter().any(|&f| f > killed_after && f < first),
        "c presented nothing while b was away"
    );
    assert!(
        b2_err.contains(&format!("node 'b' joined at frame {first}")),
        "{b2_err}"
    );
    assert!(b2_out.contains("frames presented, 0 refused"), "{b2_out}");
    let last = *fa.last().unwrap();
    assert_eq!(f2.last(), Some(&last), "b2 did not run to the end");
}

/// Node "b" runs a copy of the stage file with one comment changed: its stage revision differs.
/// It refuses every frame (writes nothing) and says why, naming both revisions; the primary
/// counts and reports the refusal; "c", on the same stage as the primary, presents every frame.
/// 300 frames: more than the 256 releases a refusing node once left queued until it froze.
#[test]
fn a_node_with_another_stage_revision_refuses_to_present() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let stage_text = std::fs::read_to_string(STAGE).unwrap();
    let edited = dir.path().join("edited.ron");
    std::fs::write(
        &edited,
        stage_text.replacen("// Render-node", "// Edited render-node", 1),
    )
    .unwrap();
    let edited = edited.to_string_lossy().into_owned();
    let endpoint = "tcp/127.0.0.1:47313";
    let (da, db, dc) = (d("a"), d("b"), d("c"));
    let mut pa = member("a", &da, endpoint, true);
    pa.extend([
        "--take",
        TAKE,
        "--frames",
        "300",
        "--unpaced",
        "--barrier-timeout",
        "20000",
        "--join-timeout",
        "60",
    ]);
    let a = Proc::start(dir.path(), "a", &pa);
    let mut pb = member("b", &db, endpoint, false);
    pb[1] = &edited;
    let b = Proc::start(dir.path(), "b", &pb);
    let c = Proc::start(dir.path(), "c", &member("c", &dc, endpoint, false));
    let limit = Duration::from_secs(120);
    let (a_out, a_err) = a.finish(limit);
    let (b_out, b_err) = b.finish(limit);
    c.finish(limit);
    assert!(
        b_err.contains("node 'b' refuses frame 0: the primary's stage revision differs from this node's (primary: stage "),
        "{b_err}"
    );
    assert!(b_err.contains("; this node: stage "), "{b_err}");
    assert!(b_out.contains("0 frames presented, 300 refused"), "{b_out}");
    assert!(frames_in(Path::new(&db)).is_empty(), "b wrote frames");
    assert!(a_err.contains("node 'b' refuses frame 0"), "{a_err}");
    assert!(
        a_out.contains("node 'b': 0 ready, 0 late, 300 refused"),
        "{a_out}"
    );
    assert_eq!(frames_in(Path::new(&dc)), (0..300).collect::<Vec<u64>>());
    // The two revisions named differ.
    let line = b_err.lines().find(|l| l.contains("refuses")).unwrap();
    let hex = |after: &str| line.split(after).nth(1).unwrap()[..16].to_string();
    assert_ne!(hex("primary: stage "), hex("this node: stage "), "{line}");
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Outside the burn-in's cells (24 x `s` in the bottom `s` rows), whether `a` and `b` are equal.
fn same_but_code(a: &ReadImage, b: &ReadImage, s: usize) -> bool {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let (w, h) = (a.width as usize, a.height as usize);
    (0..h).all(|y| {
        (0..w).all(|x| {
            let at = (y * w + x) * 4;
            (y >= h - s && x < 24 * s) || a.bytes[at..at + 4] == b.bytes[at..at + 4]
        })
    })
}

/// Hot reload across nodes: a primary and two nodes run a copy of the stage file, watching it;
/// once frames are flowing, the test scene is switched off in it. The primary announces the reload with
/// a switch frame F; every output, on every node, is the old stage's frame at F - 1 and the new
/// stage's at F (against `parallax render --take` of each stage file, rendered apart), with F
/// burnt in; every node says it switched at F, and none refused a frame.
#[test]
fn a_hot_reload_switches_every_node_at_the_same_frame() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let old_text = std::fs::read_to_string(STAGE).unwrap();
    // The test scene off: most pixels of every output change (the floor and objects go).
    let new_text = old_text.replacen(
        "outer_resolution: 32)",
        "outer_resolution: 32, test_scene: false)",
        1,
    );
    assert_ne!(old_text, new_text);
    let (old, new, stage) = (d("old.ron"), d("new.ron"), d("stage.ron"));
    std::fs::write(&old, &old_text).unwrap();
    std::fs::write(&new, &new_text).unwrap();
    std::fs::write(&stage, &old_text).unwrap();
    let endpoint = "tcp/127.0.0.1:47314";
    let (da, db, dc) = (d("a"), d("b"), d("c"));
    // Watching (no --no-watch), on the copy, with the frame number burnt in.
    let args = |node, out, primary| {
        let mut v: Vec<String> = member(node, out, endpoint, primary)
            .into_iter()
            .filter(|a| *a != "--no-watch")
            .map(String::from)
            .collect();
        v[1] = stage.clone();
        v.push("--burn-in".into());
        v
    };
    let mut pa = args("a", &da, true);
    pa.extend(
        [
            "--take",
            TAKE,
            "--frames",
            "240",
            "--unpaced",
            "--barrier-timeout",
            "20000",
            "--join-timeout",
            "60",
            "--reload-lead",
            "1500",
        ]
        .map(String::from),
    );
    let a = Proc::start(dir.path(), "a", &strs(&pa));
    let b = Proc::start(dir.path(), "b", &strs(&args("b", &db, false)));
    let c = Proc::start(dir.path(), "c", &strs(&args("c", &dc, false)));
    let until = Instant::now() + Duration::from_secs(60);
    while frames_in(Path::new(&db)).len() < 10 {
        assert!(Instant::now() < until, "b wrote no frames:\n{}", b.text().1);
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(&stage, &new_text).unwrap();
    let limit = Duration::from_secs(120);
    let (a_out, a_err) = a.finish(limit);
    let (b_out, b_err) = b.finish(limit);
    let (c_out, c_err) = c.finish(limit);
    let f: u64 = a_err
        .split("every node switches at frame ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no reload announced:\n{a_err}"));
    assert!(f > 10 && f < 239, "switch frame {f}");
    assert!(a_err.contains(&format!("at frame {f}")), "{a_err}");
    for (name, err) in [("b", &b_err), ("c", &c_err)] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("node '{name}' switched to revision")))
            .unwrap_or_else(|| panic!("{name} did not switch:\n{err}"));
        assert!(line.ends_with(&format!("at frame {f}")), "{line}");
    }
    for out in [&a_out, &b_out, &c_out] {
        assert!(
            !out.contains("refused") || out.contains(" 0 refused"),
            "{out}"
        );
    }
    assert!(
        a_out.contains("node 'b': 240 ready, 0 late, 0 refused"),
        "{a_out}"
    );
    assert!(
        a_out.contains("node 'c': 240 ready, 0 late, 0 refused"),
        "{a_out}"
    );
    // The references: each stage file rendered apart, frames F - 1 and F.
    let range = format!("{}..{}", f - 1, f + 1);
    run_ok(&[
        "render",
        &old,
        "--take",
        TAKE,
        "--frames",
        &range,
        "--out",
        &d("old"),
    ]);
    run_ok(&[
        "render",
        &new,
        "--take",
        TAKE,
        "--frames",
        &range,
        "--out",
        &d("new"),
    ]);
    let s = burnin::cell(64, 32) as usize;
    for (output, node) in OUTPUTS {
        for (n, want, other) in [(f - 1, "old", "new"), (f, "new", "old")] {
            let png = |root: &str| {
                decode_png(
                    &dir.path()
                        .join(root)
                        .join(format!("frame-{n:06}"))
                        .join(format!("{output}.png")),
                )
            };
            let got = png(node);
            assert_eq!(burnin::read(&got), Some(n), "{output} frame {n}");
            assert!(
                !same_but_code(&png("old"), &png("new"), s),
                "frame {n} {output}: the edit does not change it: the test would prove nothing"
            );
            assert!(
                same_but_code(&got, &png(want), s),
                "frame {n} {output} (node {node}) is not the {want} stage's (switch at {f})"
            );
            assert!(!same_but_code(&got, &png(other), s));
        }
    }
}

/// Waits (at most 60 s) until `p`'s stderr contains `what`; returns the stderr.
fn wait_stderr(p: &Proc, what: &str) -> String {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let err = p.text().1;
        if err.contains(what) {
            return err;
        }
        assert!(Instant::now() < until, "{}: no '{what}' in:\n{err}", p.name);
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run_err(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("runs");
    assert!(!out.status.success(), "parallax {args:?} was not refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A node started with no primary on its endpoint says, within a few seconds, that no tick came
/// and where the primary should be, and keeps waiting; once a primary starts there, it says the
/// ticks are back, renders them, and its summary counts the silence.
#[test]
fn a_node_without_a_primary_says_so_and_keeps_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let endpoint = "tcp/127.0.0.1:47315";
    let (da, db) = (d("a"), d("b"));
    let mut b = Proc::start(dir.path(), "b", &member("b", &db, endpoint, false));
    let err = wait_stderr(&b, "no tick from the primary for ");
    let line = err.lines().find(|l| l.contains("no tick")).unwrap();
    assert!(line.contains("(none yet); still waiting"), "{line}");
    assert!(line.contains("listens on tcp/127.0.0.1:47315"), "{line}");
    assert!(
        b.child.try_wait().unwrap().is_none(),
        "the node did not keep waiting:\n{err}"
    );
    let mut pa = member("a", &da, endpoint, true);
    pa.extend([
        "--take",
        TAKE,
        "--frames",
        "4",
        "--unpaced",
        "--barrier-timeout",
        "20000",
        // c never comes: the primary starts without it after this (b, retrying its
        // connection at most every second, is there by then).
        "--join-timeout",
        "4",
    ]);
    let a = Proc::start(dir.path(), "a", &pa);
    let limit = Duration::from_secs(60);
    a.finish(limit);
    let (b_out, b_err) = b.finish(limit);
    assert!(
        b_err.contains("node 'b': ticks from the primary again (frame 0) after "),
        "{b_err}"
    );
    assert!(b_out.contains("4 frames presented, 0 refused"), "{b_out}");
    assert!(
        b_out.contains("no tick from the primary for ") && b_out.contains("(1 time(s))"),
        "{b_out}"
    );
}

/// Cluster switches that cannot work are refused before anything starts, saying what to add.
#[test]
fn cluster_switches_that_cannot_work_are_refused() {
    let err = run_err(&["run", STAGE, "--connect", "tcp/127.0.0.1:47399"]);
    assert!(
        err.starts_with("error: --connect is for render nodes, but this process is neither --node NAME nor --primary"),
        "{err}"
    );
    assert!(err.contains("add --node NAME"), "{err}");
    let err = run_err(&["run", STAGE, "--listen", "tcp/0.0.0.0:0", "--no-scouting"]);
    assert!(
        err.contains("--listen, --no-scouting are for render nodes"),
        "{err}"
    );
    let err = run_err(&["run", STAGE, "--node", "b", "--no-scouting"]);
    assert!(
        err.starts_with("error: --no-scouting without --listen or --connect"),
        "{err}"
    );
    let err = run_err(&["run", STAGE, "--node", "b", "--connect", "nonsense"]);
    assert!(
        err.starts_with("error: --connect nonsense: not an endpoint"),
        "{err}"
    );
    assert!(!err.contains(".rs:"), "source locations: {err}");
}

/// A primary without --node on a stage whose every output names a node says at start that it
/// delivers nothing; with no node there, its summary says no node reported (not a latency of 0).
#[test]
fn a_primary_without_node_or_nodes_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::start(
        dir.path(),
        "a",
        &[
            "run",
            STAGE,
            "--no-watch",
            "--sink",
            "null",
            "--primary",
            "--no-scouting",
            "--listen",
            "tcp/127.0.0.1:47316",
            "--take",
            TAKE,
            "--frames",
            "3",
            "--unpaced",
            "--join-timeout",
            "0",
        ],
    );
    let (out, err) = p.finish(Duration::from_secs(60));
    assert!(
        err.contains("note: --primary without --node, and every output of the stage names a node (a, b, c): this process renders and delivers no output"),
        "{err}"
    );
    assert!(
        out.contains("cluster: 3 frames ticked; tick to all ready: no nodes reported;"),
        "{out}"
    );
}

/// Two processes started as node "b": the primary reports the name claimed twice, on stderr and
/// in its summary. Two primaries on one cluster (another one, on its own port) each report the
/// other.
#[test]
fn a_node_name_claimed_twice_and_two_primaries_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let endpoint = "tcp/127.0.0.1:47317";
    let (da, db, db2, dc) = (d("a"), d("b"), d("b2"), d("c"));
    let b = Proc::start(dir.path(), "b", &member("b", &db, endpoint, false));
    let b2 = Proc::start(dir.path(), "b2", &member("b", &db2, endpoint, false));
    let c = Proc::start(dir.path(), "c", &member("c", &dc, endpoint, false));
    // Two primaries of cluster "other", connected to each other, without nodes.
    let primary = |name: &str, switch: &str| {
        let args = [
            "run",
            STAGE,
            "--no-watch",
            "--sink",
            "null",
            "--primary",
            "--cluster",
            "other",
            "--no-scouting",
            switch,
            "tcp/127.0.0.1:47318",
            "--take",
            TAKE,
            "--frames",
            "180",
            "--join-timeout",
            "0",
        ];
        Proc::start(dir.path(), name, &args)
    };
    let p1 = primary("p1", "--listen");
    let p2 = primary("p2", "--connect");
    for p in [&b, &b2, &c] {
        wait_stderr(p, "cluster 'default': node");
    }
    let mut pa = member("a", &da, endpoint, true);
    pa.extend([
        "--take",
        TAKE,
        "--frames",
        "20",
        "--barrier-timeout",
        "20000",
        "--join-timeout",
        "60",
    ]);
    let a = Proc::start(dir.path(), "a", &pa);
    let limit = Duration::from_secs(60);
    let (a_out, a_err) = a.finish(limit);
    for p in [b, b2, c] {
        p.finish(limit);
    }
    let line = a_err
        .lines()
        .find(|l| l.contains("is run by 2 processes"))
        .unwrap_or_else(|| panic!("the duplicate is not reported:\n{a_err}"));
    assert!(
        line.starts_with("cluster: WARNING: node 'b' is run by 2 processes at once"),
        "{line}"
    );
    assert!(
        line.contains("stop one, or start it with its own --node"),
        "{line}"
    );
    assert!(
        a_out.contains("cluster: WARNING: node 'b' is run by 2 processes at once"),
        "{a_out}"
    );
    assert!(!a_err.contains("another primary"), "{a_err}");
    for p in [p1, p2] {
        let name = p.name.clone();
        let (out, err) = p.finish(limit);
        assert!(
            err.contains("cluster: WARNING: another primary (instance "),
            "{name}: {err}"
        );
        assert!(
            out.contains("cluster: WARNING: another primary (instance "),
            "{name}: {out}"
        );
    }
}
