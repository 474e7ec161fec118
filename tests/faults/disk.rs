//! Outputs and the frame log written where they cannot be: an error is reported, no partial file
//! is left, and the loop goes on rendering. The tests run as root too (where a folder's 0555 mode
//! does not stop writes), so the "read-only folder" is one whose path runs through a file, and the
//! full disk is `/dev/full` or a file-size limit (`prlimit --fsize`).

use std::path::Path;
use std::process::Command;

use parallax::live::{FileSink, LiveLoop, Pacing, RunOptions, Sink};

use super::{TAKE, files_under, root};

/// Frames written into a folder that cannot be made (its parent is a file) and the frame log into
/// `/dev/full` (every write fails "no space left on device"): both errors are reported, nothing
/// is left behind, no frame fails or is held, every slot is rendered.
#[test]
fn an_unwritable_output_folder_and_a_full_disk_are_reported_and_the_loop_goes_on() {
    let _serial = super::serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"a file").expect("write");
    let full = Path::new("/dev/full");
    assert!(full.exists(), "/dev/full is needed for this test");
    let options = RunOptions {
        take: Some(root().join(TAKE)),
        frames: Some(12),
        pacing: Pacing::Unpaced,
        frame_log: Some(full.to_path_buf()),
        ..Default::default()
    };
    let mut live = LiveLoop::new(&root().join("assets/stages/tiny.ron"), options).expect("loop");
    let mut sink = FileSink::new(blocker.join("out"), 1);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let stats = live.run(&mut [&mut sink as &mut dyn Sink], &stop);
    let errors = live.errors().join("\n");
    assert_eq!((stats.frames, stats.failures), (12, 0), "{errors}");
    assert_eq!(sink.written, 0);
    assert!(errors.contains("not-a-folder"), "{errors}");
    assert!(
        errors.contains("frame log could not be written"),
        "{errors}"
    );
    // Reported once each, not once a frame (the folder's message differs only in the frame's
    // number).
    assert_eq!(live.errors().len(), 2, "{errors}");
    assert_eq!(files_under(dir.path()), vec!["not-a-folder".to_string()]);
    assert_eq!(std::fs::read(&blocker).expect("read"), b"a file");
}

/// A folder made read-only (mode 0555) while frames are written into it: the writes fail, are
/// reported, and leave nothing. A user that writes into 0555 folders anyway (root, as the tests
/// often run) gets a folder whose path runs through a file instead, so that a fault is always
/// checked.
#[test]
fn a_read_only_output_folder_is_reported_and_left_empty() {
    let _serial = super::serial();
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let probe = out.join("probe");
    if std::fs::write(&probe, b"x").is_ok() {
        std::fs::remove_file(&probe).expect("rm probe");
        eprintln!("this user writes into 0555 folders (root): a folder under a file instead");
        std::fs::write(dir.path().join("file"), b"").expect("write");
        out = dir.path().join("file").join("out");
    }
    let options = RunOptions {
        take: Some(root().join(TAKE)),
        frames: Some(4),
        pacing: Pacing::Unpaced,
        ..Default::default()
    };
    let mut live = LiveLoop::new(&root().join("assets/stages/tiny.ron"), options).expect("loop");
    let mut sink = FileSink::new(out.clone(), 1);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let stats = live.run(&mut [&mut sink as &mut dyn Sink], &stop);
    std::fs::set_permissions(
        dir.path().join("out"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    assert_eq!((stats.frames, stats.failures, sink.written), (4, 0, 0));
    let errors = live.errors().join("\n");
    assert!(errors.contains("frame-000000"), "{errors}");
    assert_eq!(live.errors().len(), 1, "{errors}");
    assert!(files_under(&dir.path().join("out")).is_empty());
}

/// The disk fills up mid-run, as a file-size limit (`prlimit --fsize`, SIGXFSZ ignored so that a
/// write past it fails with EFBIG rather than killing the process): the frame log stops at its
/// last whole line, every PNG present decodes whole, no temporary file is left, the errors are
/// reported, and `parallax run` renders every frame and exits normally. On wgpu's GL backend: the
/// limit holds for every file the process writes, and Mesa 25's lavapipe keeps GPU memory in
/// memory files (memfd) of megabytes, so under a 24 KiB limit it dies of SIGBUS before the first
/// frame (a limit of the technique, not a disk's: a full disk leaves memfds alone).
#[test]
fn a_disk_filling_up_mid_run_leaves_whole_lines_and_whole_files() {
    let _serial = super::serial();
    let limit = 24 * 1024;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let log = dir.path().join("frames.jsonl");
    let script = format!(
        "trap '' XFSZ; exec prlimit --fsize={limit} \"$0\" run assets/stages/tiny.ron --take {TAKE} \
         --frames 60 --unpaced --no-watch --sink files --every 1 --out '{}' --frame-log '{}'",
        out.display(),
        log.display()
    );
    let run = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_parallax")])
        .current_dir(root())
        .env("NODEVICE_SELECT", "1")
        .env("WGPU_BACKEND", "gl")
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stderr}");
    assert!(stdout.contains("60 frames at 60 Hz"), "{stdout}");
    assert!(stdout.contains("0 failed"), "{stdout}");
    assert!(
        stderr.contains("frame log could not be written"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&log).expect("frame log");
    assert!(text.len() <= limit, "{}", text.len());
    assert!(text.ends_with('\n'), "the log ends in a partial line");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a whole JSON line"))
        .collect();
    assert!(
        !lines.is_empty() && lines.len() < 60,
        "{} lines",
        lines.len()
    );
    // The lines are the first frames, in order.
    for (n, l) in lines.iter().enumerate() {
        assert_eq!(l["frame"], n as u64);
    }
    let files = files_under(&out);
    let mut whole = 0;
    for f in &files {
        if f.ends_with("frame.json") {
            let bytes = std::fs::read(out.join(f)).expect("read");
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|e| panic!("{f}: {e}"));
        } else {
            assert!(f.ends_with("main.png"), "{files:?}");
            image::open(out.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
            whole += 1;
        }
    }
    eprintln!(
        "disk full: {} log lines of 60 kept whole, {whole} PNGs whole, errors: {}",
        lines.len(),
        stderr
            .lines()
            .filter(|l| l.contains("ERROR") || l.contains("error"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
}
