//! The live loop (`parallax run`): a headless run of a take equals `render --take` bit for bit, a
//! failing frame holds the last good one, outputs go to their targets from the stage file, a lost
//! GPU device is re-created, and edits to the stage file are swapped in between two
//! frames (a broken edit keeps the running stage).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use parallax::gpu::Gpu;
use parallax::live::{FileSink, LiveLoop, Pacing, RunOptions, Sink};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::SceneSpec;
use parallax::stage::Stage;

fn parallax(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "parallax {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The take the live tests run.
const TAKE: &str = "assets/takes/demo-truck.take";

/// `parallax render STAGE --take TAKE --frames 0..6 --out OUT`: the frames a run is compared with.
fn render_take(stage: &str, out: &str) {
    parallax(&[
        "render", stage, "--take", TAKE, "--frames", "0..6", "--out", out,
    ]);
}

/// `parallax run STAGE --take TAKE --frames 6 --unpaced --no-watch`, then `extra`.
fn run_take(stage: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        stage,
        "--take",
        TAKE,
        "--frames",
        "6",
        "--unpaced",
        "--no-watch",
    ];
    args.extend_from_slice(extra);
    parallax(&args)
}

fn png(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `parallax run --take` with the files sink writes, frame for frame, the same PNG bytes as
/// `parallax render --take`; with faults injected at frames 2 and 3 those frames repeat frame 1
/// (never dark) and are counted in the stats, and the frame log has a line per frame.
#[test]
fn a_run_of_a_take_equals_render_take_and_holds_failed_frames() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let stage = "assets/stages/tiny.ron";
    render_take(stage, &d("render"));
    let out = run_take(
        stage,
        &[
            "--sink",
            "files",
            "--out",
            &d("run"),
            "--stats",
            &d("stats.json"),
            "--frame-log",
            &d("log.jsonl"),
            "--inject-fault",
            "2,3",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("6 frames at 60 Hz"), "{text}");
    let frame =
        |which: &str, n: u32| png(&dir.path().join(format!("{which}/frame-{n:06}/main.png")));
    for n in [0, 1, 4, 5] {
        assert!(
            frame("run", n) == frame("render", n),
            "frame {n} differs from render --take"
        );
    }
    for n in [2, 3] {
        assert!(
            frame("run", n) == frame("run", 1),
            "failed frame {n} does not hold frame 1"
        );
        assert!(
            frame("render", n) != frame("render", 1),
            "the take does not move the camera"
        );
    }
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["frames"], 6);
    assert_eq!(stats["failures"], 2);
    let held: Vec<bool> = stats["per_frame"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["held"].as_bool().unwrap())
        .collect();
    assert_eq!(held, [false, false, true, true, false, false]);
    assert!(stats["latency"]["p50_ms"].as_f64().unwrap() > 0.0);
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Held frames have no description of their own: 4 lines, frames 0, 1, 4, 5.
    let frames: Vec<u64> = lines.iter().map(|l| l["frame"].as_u64().unwrap()).collect();
    assert_eq!(frames, [0, 1, 4, 5]);
    assert_eq!(lines[3]["timecode"], "00:00:00:05");
}

/// Every file under `dir`, relative to it, sorted.
fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// `tiny.ron` with a second output, `top` (the ceiling's cabinets), and the given targets.
fn two_outputs(main_target: &str, top_target: &str) -> String {
    let tiny = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
    )
    .unwrap();
    let two = tiny
        .replace(
            r#"placement: Auto(outputs: ["main"], origin: (96, 0), rotation: 90)"#,
            r#"placement: Auto(outputs: ["top"], rotation: 90)"#,
        )
        .replace(
            r#"Output(name: "main", width: 128, height: 64),"#,
            &format!(
                r#"Output(name: "main", width: 128, height: 64{main_target}), Output(name: "top", width: 64, height: 64{top_target}),"#
            ),
        );
    assert_ne!(two, tiny);
    two
}

/// Targets from the stage file: `main` to files every 2nd frame (a folder relative to the stage
/// file), `top` to the null sink. A run of 6 take frames writes exactly main's frames 0, 2 and 4,
/// each equal, byte for byte, to `render --take`'s, with a `frame.json` equal to `render
/// --take`'s (the same camera, outer and output encodings); `--out`/`--every` on the command line
/// replace the folder and the interval, and `--sink files` sends every output to files.
#[test]
fn outputs_go_to_their_targets_from_the_stage_file() {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("two.ron");
    std::fs::write(
        &stage,
        two_outputs(
            r#", target: Files(dir: "files", every: 2)"#,
            ", target: Null",
        ),
    )
    .unwrap();
    let stage = stage.to_string_lossy().into_owned();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    render_take(&stage, &d("render"));
    let run = |extra: &[&str]| run_take(&stage, extra);
    run(&[]);
    assert_eq!(
        files_under(&dir.path().join("files")),
        [
            "frame-000000/frame.json",
            "frame-000000/main.png",
            "frame-000002/frame.json",
            "frame-000002/main.png",
            "frame-000004/frame.json",
            "frame-000004/main.png"
        ]
    );
    for n in [0, 2, 4] {
        let name = format!("frame-{n:06}/main.png");
        assert!(
            png(&dir.path().join("files").join(&name))
                == png(&dir.path().join("render").join(&name)),
            "{name} differs from render --take"
        );
        let name = format!("frame-{n:06}/frame.json");
        let run = json(&dir.path().join("files").join(&name));
        assert_eq!(run, json(&dir.path().join("render").join(&name)), "{name}");
        assert_eq!(run["frame"], n);
        assert_eq!(run["outputs"][1]["name"], "top");
    }
    // The command line overrides the stage file's folder and interval...
    run(&["--out", &d("cli"), "--every", "3"]);
    assert_eq!(
        files_under(&dir.path().join("cli")),
        [
            "frame-000000/frame.json",
            "frame-000000/main.png",
            "frame-000003/frame.json",
            "frame-000003/main.png"
        ]
    );
    // ... and `--sink files` sends every output to files, every frame.
    run(&["--sink", "files", "--out", &d("all"), "--every", "5"]);
    assert_eq!(
        files_under(&dir.path().join("all")),
        [
            "frame-000000/frame.json",
            "frame-000000/main.png",
            "frame-000000/top.png",
            "frame-000005/frame.json",
            "frame-000005/main.png",
            "frame-000005/top.png"
        ]
    );
    let name = "frame-000005/top.png";
    assert!(png(&dir.path().join("all").join(name)) == png(&dir.path().join("render").join(name)));
}

/// A real device loss (`wgpu::Device::destroy` before frame 2): frame 2 holds frame 1 (its
/// pictures and its `frame.json`, which names frame 1), the device, renderer and scene are
/// re-created, and frames 3 to 5 equal, byte for byte, those of an uninterrupted `render --take`;
/// the stats count one loss, one re-creation and one held frame.
#[test]
fn a_lost_device_is_recreated_and_the_run_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let stage = "assets/stages/tiny.ron";
    render_take(stage, &d("render"));
    let out = run_take(
        stage,
        &[
            "--sink",
            "files",
            "--out",
            &d("run"),
            "--stats",
            &d("stats.json"),
            "--inject-fault",
            "device-lost@2",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("GPU device re-created"), "{stderr}");
    let frame =
        |which: &str, n: u32| png(&dir.path().join(format!("{which}/frame-{n:06}/main.png")));
    for n in [0, 1, 3, 4, 5] {
        assert!(
            frame("run", n) == frame("render", n),
            "frame {n} differs from render --take"
        );
    }
    assert!(
        frame("run", 2) == frame("run", 1),
        "frame 2 does not hold frame 1"
    );
    let info = |n: u32| json(&dir.path().join(format!("run/frame-{n:06}/frame.json")));
    assert_eq!(info(2), info(1));
    assert_eq!(info(2)["frame"], 1);
    assert_eq!(info(3)["frame"], 3);
    assert!(
        frame("render", 2) != frame("render", 1),
        "the take does not move the camera"
    );
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("stats.json")).unwrap()).unwrap();
    assert_eq!(
        (
            &stats["frames"],
            &stats["failures"],
            &stats["device_lost"],
            &stats["recoveries"]
        ),
        (&6.into(), &1.into(), &1.into(), &1.into())
    );
    let per_frame = stats["per_frame"].as_array().unwrap();
    let flags = |key: &str| -> Vec<bool> {
        per_frame
            .iter()
            .map(|f| f[key].as_bool().unwrap())
            .collect()
    };
    assert_eq!(flags("held"), [false, false, true, false, false, false]);
    assert_eq!(
        flags("device_lost"),
        [false, false, true, false, false, false]
    );
}

/// A direct single-frame render of `stage` at rest: the reference a live frame must equal.
fn direct(gpu: &Gpu, stage: &Stage) -> image::RgbaImage {
    let options = RendererOptions {
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut r = Renderer::new(gpu, stage, options).unwrap();
    let scene =
        parallax::scene::build(&r.scene_context(gpu), &SceneSpec::for_stage(stage, None)).unwrap();
    r.prepare(
        gpu,
        &FrameInputs::at_rest(stage, &Overrides::default()).unwrap(),
    )
    .unwrap();
    r.render_frame(gpu, &scene).unwrap().outputs[0].1.to_rgba8()
}

/// Steps `live` into `sink` until `done` holds (failing after 10 s), then once more; the number of
/// the last frame stepped.
fn step_frames_until(
    live: &mut LiveLoop,
    sink: &mut FileSink,
    done: &dyn Fn(&LiveLoop) -> bool,
) -> u64 {
    let t = Instant::now();
    let mut sinks: [&mut dyn Sink; 1] = [sink];
    while !done(live) {
        assert!(t.elapsed() < Duration::from_secs(10), "nothing after 10 s");
        live.step(&mut sinks, Instant::now());
        std::thread::sleep(Duration::from_millis(30));
    }
    live.step(&mut sinks, Instant::now());
    live.frame() - 1
}

/// Hot reload: moving the arc's cabinets (radius 2 -> 2.5 m) while running: frames before the
/// swap equal a direct render of the old stage, frames after it one of the new stage. A broken
/// edit is refused and counted; the running stage goes on, no frame fails.
#[test]
fn edits_are_swapped_in_between_frames_and_broken_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.ron");
    let original = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
    )
    .unwrap();
    std::fs::write(&path, &original).unwrap();
    let edited = original.replace("radius: 2.0", "radius: 2.5");
    assert_ne!(edited, original);
    let options = RunOptions {
        pacing: Pacing::Unpaced,
        watch: true,
        ..Default::default()
    };
    let mut live = LiveLoop::new(&path, options).unwrap();
    let mut sink = FileSink::new(dir.path().join("out"), 1);
    let frame = |n: u64| {
        image::open(dir.path().join(format!("out/frame-{n:06}/main.png")))
            .unwrap()
            .to_rgba8()
    };
    let mut step_until = |live: &mut LiveLoop, done: &dyn Fn(&LiveLoop) -> bool| {
        step_frames_until(live, &mut sink, done)
    };
    let first = step_until(&mut live, &|l| l.frame() >= 2);
    std::fs::write(&path, &edited).unwrap();
    let after = step_until(&mut live, &|l| l.stats.reloads >= 1);
    std::fs::write(&path, "Stage(name: \"broken\", frame_rate: ").unwrap();
    let refused = step_until(&mut live, &|l| l.stats.reload_errors >= 1);
    assert_eq!(live.stats.failures, 0);
    assert_eq!(live.stats.reloads, 1);
    assert!(!live.status().contains("restart"), "{}", live.status());
    // An edit of the outputs' targets is swapped in too, but its targets wait for a restart: the
    // running sink keeps receiving every frame.
    let retargeted = edited.replace(
        "Output(name: \"main\", width: 128, height: 64)",
        "Output(name: \"main\", width: 128, height: 64, target: Null)",
    );
    assert_ne!(retargeted, edited);
    std::fs::write(&path, &retargeted).unwrap();
    let last = step_until(&mut live, &|l| l.stats.reloads >= 2);
    assert!(
        live.status()
            .contains("output targets edited: restart to apply"),
        "{}",
        live.status()
    );
    assert_eq!(live.stats.failures, 0);

    let gpu = Gpu::headless().unwrap();
    let old = direct(&gpu, &Stage::from_ron(&original, "tiny.ron").unwrap());
    let new = direct(&gpu, &Stage::from_ron(&edited, "tiny.ron").unwrap());
    assert!(old != new, "the edit changes nothing on the outputs");
    assert!(
        frame(0) == old && frame(first) == old,
        "frames before the edit"
    );
    assert!(
        frame(after) == new,
        "the first frame after the swap shows the new geometry"
    );
    assert!(
        frame(refused) == new,
        "a broken edit keeps the running stage"
    );
    // Every frame in between is one or the other, never a mix or a gap.
    for n in 0..=refused {
        let f = frame(n);
        assert!(f == old || f == new, "frame {n}");
    }
    assert!(
        frame(last) == new,
        "the retargeted stage still goes to the running sink"
    );
}

/// A take of the first 0.1 s of `demo-truck.take` (7 frames at 60 Hz), written into `dir`.
fn short_take(dir: &Path) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/takes/demo-truck.take"),
    )
    .unwrap();
    let short: Vec<&str> = text.lines().take(7).collect(); // header + t = 0.00 ..= 0.10
    assert!(short[6].contains("\"t\":0.1,"), "{}", short[6]);
    let path = dir.join("short.take");
    std::fs::write(&path, short.join("\n") + "\n").unwrap();
    path.to_string_lossy().into_owned()
}

/// A take replay without `--frames` stops at the take's last frame (and says so); with more
/// frames asked for it goes on, and frames without live tracking (dropout past the take's end)
/// are left out of the latency. `--sink null` prints its line like the other targets.
#[test]
fn a_take_replay_stops_at_its_end_and_latency_counts_live_frames() {
    let dir = tempfile::tempdir().unwrap();
    let take = short_take(dir.path());
    let stats = dir.path().join("s.json").to_string_lossy().into_owned();
    let base = [
        "run",
        "assets/stages/tiny.ron",
        "--take",
        &take,
        "--sink",
        "null",
        "--unpaced",
        "--no-watch",
        "--stats",
        &stats,
    ];
    let out = parallax(&base);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("main: null sink"), "{err}");
    assert!(
        err.contains("the take ended at frame 6 (its last); stopping"),
        "{err}"
    );
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(
        (s["frames"].as_u64(), s["dropped"].as_u64()),
        (Some(7), Some(0))
    );
    // Frame 0 (start-up) is left out of the latency: 6 of the 7 frames.
    assert_eq!(s["per_frame"][0]["startup"], true);
    assert_eq!(s["latency"]["frames"], 6);

    let mut more = base.to_vec();
    more.extend(["--frames", "20"]);
    let out = parallax(&more);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("with live tracking"), "{text}");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(s["frames"], 20);
    let per = s["per_frame"].as_array().unwrap();
    let live = per.iter().filter(|f| !f["latency_ms"].is_null()).count();
    // The last sample is at 0.1 s; the dropout timeout is 100 ms: from frame 13 (0.2167 s) on,
    // tracking is out and the frame has no latency.
    for f in &per[13..] {
        assert!(f["latency_ms"].is_null(), "{f}");
    }
    assert!((7..=13).contains(&live), "{live}");
    assert_eq!(s["latency"]["frames"].as_u64(), Some(live as u64 - 1));
}

/// Takes `ms` milliseconds to deliver every frame, and records the frame numbers.
struct SlowSink {
    ms: u64,
    frames: Vec<u64>,
}

impl Sink for SlowSink {
    fn wants(&self, _: u64) -> bool {
        true
    }
    fn deliver(&mut self, d: &parallax::live::Delivery) -> Result<(), parallax::io::WriteError> {
        std::thread::sleep(Duration::from_millis(self.ms));
        self.frames.push(d.frame);
        Ok(())
    }
}

/// On the timer, a loop slower than the frame rate skips slots: the frames rendered jump to the
/// slot of the current time (the take's position follows them), exactly the skipped slots are
/// counted as dropped, rendered + dropped = `--frames` slots, and the first frame (start-up) is
/// never late.
#[test]
fn a_slow_loop_skips_the_slots_it_counts_as_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let take = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/takes/demo-truck.take");
    let stage = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    let options = RunOptions {
        take: Some(take),
        frames: Some(24),
        frame_log: Some(dir.path().join("log.jsonl")),
        ..Default::default()
    };
    let mut live = LiveLoop::new(&stage, options).unwrap();
    // 60 Hz: 16.7 ms slots; 45 ms per delivery puts the loop at least a slot behind each frame.
    let mut sink = SlowSink {
        ms: 45,
        frames: Vec::new(),
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let stats = live.run(&mut [&mut sink as &mut dyn Sink], &stop);
    let rendered: Vec<u64> = stats.per_frame.iter().map(|f| f.frame).collect();
    assert_eq!(sink.frames, rendered);
    assert_eq!(rendered[0], 0);
    assert!(!stats.per_frame[0].late, "start-up counted as late");
    let skipped: u64 =
        rendered.windows(2).map(|w| w[1] - w[0] - 1).sum::<u64>() + (23 - rendered.last().unwrap());
    // The clock starts when frame 0 is delivered (after 45 ms and more of start-up): slot 1 is on
    // time, or a slot or two late on a busy machine (counting start-up, slot 1 would be several
    // slots away). From then on, 45 ms from a slot's start is more than two 16.7 ms slots: at least
    // one slot skipped per gap.
    assert!(
        rendered[1] <= 3,
        "start-up counted as dropped: {rendered:?}"
    );
    assert!(
        rendered[1..].windows(2).all(|w| w[1] - w[0] >= 2),
        "{rendered:?}"
    );
    assert_eq!(stats.dropped, skipped, "{rendered:?}");
    assert_eq!(stats.frames + stats.dropped, 24);
    let status = live.status();
    let counts = format!("{} late, {} dropped", stats.late, stats.dropped);
    assert!(status.contains(&counts), "{status}");
    // The frame log follows the slots: render times are the slots' times on the take's clock.
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    for (line, n) in log.lines().zip(&rendered) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["frame"].as_u64(), Some(*n));
        let t = v["render_time_s"].as_f64().unwrap();
        assert!((t - *n as f64 / 60.0).abs() < 1e-9, "frame {n}: {t}");
    }
    // Unpaced: every slot, nothing dropped.
    let options = RunOptions {
        pacing: Pacing::Unpaced,
        frames: Some(4),
        ..Default::default()
    };
    let mut live = LiveLoop::new(&stage, options).unwrap();
    let mut sink = SlowSink {
        ms: 45,
        frames: Vec::new(),
    };
    let stats = live.run(&mut [&mut sink as &mut dyn Sink], &stop);
    assert_eq!(sink.frames, [0, 1, 2, 3]);
    assert_eq!((stats.dropped, stats.late), (0, 0));
}

/// The first 16 hex digits of a file's SHA-256, as coreutils' `sha256sum` prints it.
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..16].to_string()
}

/// The stage's `.cube` LUT is watched: overwriting it reloads the stage (one line names the file,
/// the start of its SHA-256, and the first frame using it, and that frame shows the new LUT); a broken LUT is refused and
/// the running stage goes on.
#[test]
fn lut_edits_are_reloaded_and_broken_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
    )
    .unwrap();
    let anchor = "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),";
    assert!(tiny.contains(anchor));
    let text = tiny.replacen(
        anchor,
        &format!(
            "{anchor}\n    colour: (outputs: [(output: \"main\", lut: Some(\"look.cube\"))]),"
        ),
        1,
    );
    let path = dir.path().join("s13.ron");
    std::fs::write(&path, text).unwrap();
    let cube = dir.path().join("look.cube");
    let identity = "LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
    std::fs::write(&cube, identity).unwrap();
    let options = RunOptions {
        pacing: Pacing::Unpaced,
        watch: true,
        ..Default::default()
    };
    let mut live = LiveLoop::new(&path, options).unwrap();
    let mut sink = FileSink::new(dir.path().join("out"), 1);
    let mut step_until = |live: &mut LiveLoop, done: &dyn Fn(&LiveLoop) -> bool| {
        step_frames_until(live, &mut sink, done)
    };
    step_until(&mut live, &|l| l.frame() >= 1);
    // A constant LUT: every colour to pure red (1, 0, 0).
    let red = "LUT_3D_SIZE 2\n".to_string() + &"1 0 0\n".repeat(8);
    std::fs::write(&cube, red).unwrap();
    let after = step_until(&mut live, &|l| l.stats.reloads >= 1);
    let note = live
        .notices()
        .iter()
        .find(|n| n.starts_with("reloaded"))
        .expect("a reload line")
        .clone();
    let want = format!(
        "reloaded look.cube (sha256 {}) from frame ",
        sha256sum(&cube)
    );
    assert!(note.starts_with(&want), "{note}");
    let first: u64 = note.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(first <= after);
    std::fs::write(&cube, "LUT_3D_SIZE 2\n0 0 0\n1 0\n").unwrap();
    let refused = step_until(&mut live, &|l| l.stats.reload_errors >= 1);
    assert_eq!(live.stats.failures, 0);
    assert_eq!(live.stats.reloads, 1);
    // Located: the output and the LUT file's line (line 3 holds two numbers, not three).
    let why = live
        .last_refused()
        .expect("the refusal's message")
        .to_string();
    assert!(why.contains("look.cube:3"), "{why}");
    let frame = |n: u64| {
        image::open(dir.path().join(format!("out/frame-{n:06}/main.png")))
            .unwrap()
            .to_rgba8()
    };
    let (old, new) = (frame(0), frame(first));
    // Every LED pixel of the new frame is pure red; what the old frame left black (no LED) may
    // stay black.
    let mut reds = 0;
    for (a, b) in old.pixels().zip(new.pixels()) {
        if b.0[..3] == [255, 0, 0] {
            reds += 1;
        } else {
            assert!(
                a.0[..3] == [0, 0, 0] && b.0[..3] == [0, 0, 0],
                "{a:?} -> {b:?}"
            );
        }
    }
    assert!(reds >= new.pixels().len() / 4, "{reds} red pixels");
    assert!(old.pixels().any(|p| p.0[..3] != [255, 0, 0]));
    assert!(
        frame(refused) == new,
        "a broken LUT keeps the running stage"
    );
}

/// Colour edits are applied in place: the running renderer takes new grades, then a new LUT
/// table (with the outer frozen, whose outside bake holds graded, LUT-mapped pixels) without being
/// rebuilt, and the first frame after each reload equals a direct render of the edited stage by a
/// new renderer, every frame before it the previous one's. An edit that makes the outputs
/// ungraded changes the pipelines' colour stages: a new renderer, whose frames equal the direct
/// render too.
#[test]
fn colour_edits_apply_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
    )
    .unwrap();
    let anchor = "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32),";
    assert!(tiny.contains(anchor));
    // 2^3 tables, red fastest: channels swapped (b, g, r), and red halved (r / 2, g, b).
    let swap = "LUT_3D_SIZE 2\n0 0 0\n0 0 1\n0 1 0\n0 1 1\n1 0 0\n1 0 1\n1 1 0\n1 1 1\n";
    let half = "LUT_3D_SIZE 2\n0 0 0\n0.5 0 0\n0 1 0\n0.5 1 0\n0 0 1\n0.5 0 1\n0 1 1\n0.5 1 1\n";
    let cube = dir.path().join("look.cube");
    let with = |grades: &str| {
        let colour = format!(
            "{grades} outputs: [(output: \"main\", lut: Some({:?}))]",
            cube.display().to_string()
        );
        tiny.replacen(
            anchor,
            &format!(
                "render: Render(outer_viewpoint: Fixed(0.0, 1.0, 0.0), outer_resolution: 32, frozen_outer: true),\n    colour: ({colour}),"
            ),
            1,
        )
    };
    let original = with("inner: (exposure: 0.5), outer: (exposure: 0.5),");
    let graded = with(
        "inner: (exposure: -1.0, cdl: (slope: (1.2, 1.0, 0.8))), outer: (exposure: 1.0, cdl: (saturation: 0.5)),",
    );
    let neutral = with("");
    let path = dir.path().join("tiny.ron");
    std::fs::write(&cube, swap).unwrap();
    std::fs::write(&path, &original).unwrap();
    let options = RunOptions {
        pacing: Pacing::Unpaced,
        watch: true,
        ..Default::default()
    };
    let mut live = LiveLoop::new(&path, options).unwrap();
    let mut sink = FileSink::new(dir.path().join("out"), 1);
    let mut step_until = |live: &mut LiveLoop, done: &dyn Fn(&LiveLoop) -> bool| {
        step_frames_until(live, &mut sink, done)
    };
    // The first frame of the newest reload, from its line.
    let first_of = |live: &LiveLoop, starts: &str| {
        let note = live
            .notices()
            .iter()
            .rev()
            .find(|n| n.starts_with("reloaded"))
            .expect("a reload line")
            .clone();
        assert!(note.starts_with(starts), "{note}");
        note.rsplit(' ').next().unwrap().parse::<u64>().unwrap()
    };
    let frame = |n: u64| {
        image::open(dir.path().join(format!("out/frame-{n:06}/main.png")))
            .unwrap()
            .to_rgba8()
    };
    step_until(&mut live, &|l| l.frame() >= 2);
    std::fs::write(&path, &graded).unwrap();
    step_until(&mut live, &|l| l.stats.reloads >= 1);
    assert_eq!(
        live.stats.recolours, 1,
        "the grade edit rebuilt the renderer"
    );
    let regraded = first_of(
        &live,
        "reloaded tiny.ron in place (colour only) from frame ",
    );
    std::fs::write(&cube, half).unwrap();
    step_until(&mut live, &|l| l.stats.reloads >= 2);
    assert_eq!(live.stats.recolours, 2, "the LUT edit rebuilt the renderer");
    let relut = first_of(
        &live,
        &format!(
            "reloaded look.cube (sha256 {}) in place (colour only) from frame ",
            sha256sum(&cube)
        ),
    );
    std::fs::write(&path, &neutral).unwrap();
    let last = step_until(&mut live, &|l| l.stats.reloads >= 3);
    assert_eq!(
        live.stats.recolours, 2,
        "ungrading changes the colour stages"
    );
    let rebuilt = first_of(&live, "reloaded tiny.ron from frame ");
    assert_eq!(live.stats.failures, 0);

    let gpu = Gpu::headless().unwrap();
    let direct_of = |text: &str, lut: &str| {
        std::fs::write(&cube, lut).unwrap();
        direct(&gpu, &Stage::from_ron(text, "tiny.ron").unwrap())
    };
    let expected = [
        direct_of(&original, swap),
        direct_of(&graded, swap),
        direct_of(&graded, half),
        direct_of(&neutral, half),
    ];
    for (i, a) in expected.iter().enumerate() {
        for b in &expected[i + 1..] {
            assert!(a != b, "two edits show the same");
        }
    }
    let starts = [0, regraded, relut, rebuilt, last + 1];
    assert!(starts.is_sorted(), "{starts:?}");
    for (k, want) in expected.iter().enumerate() {
        for n in starts[k]..starts[k + 1] {
            assert!(frame(n) == *want, "frame {n}: not the picture of edit {k}");
        }
    }
}
