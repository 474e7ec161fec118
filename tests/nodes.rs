//! Render nodes on loopback (explicit endpoints, multicast scouting off): a primary and two nodes
//! render a take; the union of their outputs equals the single-process run and `parallax render
//! --take` bit for bit, with the right frame number burnt in; a node killed mid-take is reported
//! and rejoins; a node with another stage revision refuses to present and says why; a hot reload
//! switches every node at one frame. `faults`: a frozen node, a second primary, a node's failed
//! frames; `switches`: set-ups that cannot work, said.
//!
//! Each test uses its own ports, so they run in parallel.

#[path = "nodes/faults.rs"]
mod faults;
#[path = "nodes/support.rs"]
mod support;
#[path = "nodes/switches.rs"]
mod switches;

use std::path::Path;
use std::time::{Duration, Instant};

use parallax::cluster::burnin;

use support::*;

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
    assert!(
        b_out.contains("6 frames presented (0 of them its last good frame held), 0 refused"),
        "{b_out}"
    );
    assert!(
        c_out.contains("6 frames presented (0 of them its last good frame held), 0 refused"),
        "{c_out}"
    );
    let s = burnin::cell(64, 32) as usize;
    assert_eq!(s, 1);
    let mut moved = false;
    for n in 0..6u64 {
        let frame = format!("frame-{n:06}");
        for (output, node) in OUTPUTS {
            let mine = dir.path().join(node).join(&frame);
            assert_eq!(
                files_in(&mine),
                ["frame.json".to_string(), format!("{output}.png")],
                "node {node} delivers only its output, and the frame's frame.json"
            );
            assert_eq!(
                bytes(&mine.join("frame.json")),
                bytes(&dir.path().join("single").join(&frame).join("frame.json")),
                "frame {n}: node {node}'s frame.json differs from one process's"
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
    // `parallax burn-in` over the three nodes' folders finds nothing to report.
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let out = run_ok(&["burn-in", &d("a"), &d("b"), &d("c")]);
    assert!(
        out.contains("burn-in: 18 images of 6 frames in 3 folder(s)")
            && out.contains(
                "every image carries its frame's number, and every folder has every frame"
            ),
        "{out}"
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
    assert!(
        b2_out.contains("of them its last good frame held), 0 refused"),
        "{b2_out}"
    );
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
    assert!(
        b_out.contains("0 frames presented (0 of them its last good frame held), 300 refused"),
        "{b_out}"
    );
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
