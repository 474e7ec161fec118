//! A take looped under `parallax run` (scaled: 600 frames; the 10,000-frame run is
//! scripts/soak.sh): what the process holds, sampled every 100 frames by `--resources-every`, is
//! flat once warm.

use super::{TAKE, parallax};

/// One `resources:` line's figures.
#[derive(Debug, PartialEq)]
struct Sample {
    frame: u64,
    rss_kib: u64,
    fds: u64,
    /// Renderer allocations, renderer bind groups, then wgpu's live buffers, textures, views,
    /// bind groups, samplers, pipelines.
    gpu: Vec<u64>,
}

/// The integers of a `resources: frame N: rss K KiB, fds F, ...` line, in order.
fn parse(line: &str) -> Sample {
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("number"))
        .collect();
    assert_eq!(numbers.len(), 11, "{line}");
    Sample {
        frame: numbers[0],
        rss_kib: numbers[1],
        fds: numbers[2],
        gpu: numbers[3..].to_vec(),
    }
}

/// Runs the take looped for 600 frames (outputs every 100th, a frame log, a sample every 100): the
/// samples, the frame log's lines and the outputs' folder, after checking the run's figures.
fn soak(
    dir: &std::path::Path,
    backend: Option<&str>,
) -> (Vec<Sample>, Vec<serde_json::Value>, std::path::PathBuf) {
    let out = dir.join("out");
    let log = dir.join("frames.jsonl");
    let run = parallax(
        backend,
        &[
            "run",
            "assets/stages/tiny.ron",
            "--take",
            TAKE,
            "--loop",
            "--frames",
            "600",
            "--unpaced",
            "--no-watch",
            "--sink",
            "files",
            "--every",
            "100",
            "--out",
            out.to_str().expect("utf-8"),
            "--frame-log",
            log.to_str().expect("utf-8"),
            "--resources-every",
            "100",
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    if backend == Some("gl") {
        assert!(stderr.contains("(Gl,"), "not on GL: {stderr}");
    }
    eprintln!(
        "soak: {}",
        stderr
            .lines()
            .filter(|l| l.starts_with("resources:"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let samples: Vec<Sample> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("resources: "))
        .map(parse)
        .collect();
    // After frames 0, 100, ..., 500 (the next frame's number is printed).
    let frames: Vec<u64> = samples.iter().map(|s| s.frame).collect();
    assert_eq!(frames, vec![1, 101, 201, 301, 401, 501], "{stderr}");
    // The take (241 frames) looped: 600 frames rendered, none past the take's end held.
    assert!(
        String::from_utf8_lossy(&run.stdout)
            .contains("600 frames at 60 Hz: 0 late, 0 dropped, 0 failed"),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .expect("frame log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a whole JSON line"))
        .collect();
    (samples, lines, out)
}

/// 600 frames of the take looped: the loop replays it from its start after its last frame, and
/// once warm the process holds the same open files and the same GPU objects (created by the
/// renderer and live in wgpu).
#[test]
fn a_looped_take_keeps_fds_and_gpu_objects_flat() {
    let _serial = super::serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let (samples, lines, out) = soak(dir.path(), None);
    assert_eq!(lines.len(), 600);
    let pose = |n: usize| lines[n]["cameras"][0].clone();
    // The take's frames at 60 Hz: its last sample's time (3.98 s) in whole frames, and frame 0.
    let take = std::fs::read_to_string(super::root().join(TAKE)).expect("take");
    let last_t = take
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["t"].as_f64())
        .fold(0.0, f64::max);
    let count = (last_t * 60.0 + 1e-9).floor() as usize + 1;
    assert_eq!(count, 239);
    // Frame `count` is the take's frame 0 again, twice that too; mid-take is elsewhere.
    assert_eq!(pose(count), pose(0));
    assert_eq!(pose(2 * count), pose(0));
    assert_eq!(pose(count + 121), pose(121));
    assert_ne!(pose(120), pose(0));
    assert_eq!(lines[599]["frame"], 599);
    assert_eq!(
        super::files_under(&out).len(),
        12,
        "frames 0, 100, ..., 500 written, each an output and frame.json"
    );
    // Once warm (from frame 100): the same open files and the same GPU objects, created and live.
    let warm = &samples[1..];
    for s in warm {
        assert_eq!(
            s.fds, warm[0].fds,
            "open fds at frame {}: {samples:?}",
            s.frame
        );
        assert_eq!(
            s.gpu, warm[0].gpu,
            "GPU objects at frame {}: {samples:?}",
            s.frame
        );
    }
    // wgpu reports live objects on this backend (a report of nothing would prove nothing).
    assert!(warm[0].gpu[2] > 0 && warm[0].gpu[3] > 0, "{samples:?}");
}

/// Resident memory grows less than 5 % from frame 100 to frame 500, on `backend`.
fn resident_memory_flat(backend: Option<&str>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (samples, _, _) = soak(dir.path(), backend);
    let (first, last) = (samples[1].rss_kib as f64, samples[5].rss_kib as f64);
    let growth = last / first - 1.0;
    assert!(
        growth < 0.05,
        "RSS grew {:.1} % (on Debian 12's Mesa 22.3.6 lavapipe this is its leak: install \
         mesa-vulkan-drivers from bookworm-backports, as .ci/run does): {samples:?}",
        growth * 100.0
    );
}

/// On wgpu's GL backend (Mesa's llvmpipe GL) resident memory is flat.
#[test]
fn a_looped_take_keeps_resident_memory_flat_on_gl() {
    let _serial = super::serial();
    resident_memory_flat(Some("gl"));
}

/// On the default backend (Vulkan) resident memory is flat too. Mesa 22.3.6's lavapipe (Debian
/// 12's) fails this, growing about 1.4 MB a frame on the composite pass; Mesa 25's (CI installs it
/// from bookworm-backports) and NVIDIA's driver are flat (docs/reliability.md, Soak).
#[test]
fn a_looped_take_keeps_resident_memory_flat() {
    let _serial = super::serial();
    resident_memory_flat(None);
}
