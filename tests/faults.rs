//! Faults injected into a running Parallax (issue 17), each scaled to run in CI in seconds; the
//! figures of the full-scale runs are in docs/reliability.md.
//!
//! - `soak`: a take looped under `parallax run`: resident memory, open file descriptors and GPU
//!   objects stay flat once warm.
//! - `tracking`: tracking silent then back, a flood of garbage datagrams, a sender clock that
//!   jumps by hours.
//! - `disk`: outputs and the frame log written where they cannot be (a folder that is a file, a
//!   full disk, a file-size limit): an error, no partial file, the loop goes on.
//! - `reload`: content made unreadable under a running loop: the old content stays, refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use parallax::live::{FrameHook, FrameStats, LiveLoop};
use parallax::tracking::{TrackedState, TrackingStatus};

#[path = "faults/disk.rs"]
mod disk;
#[path = "faults/reload.rs"]
mod reload;
#[path = "faults/remote.rs"]
mod remote;
#[path = "faults/soak.rs"]
mod soak;
#[path = "faults/tracking.rs"]
mod tracking;

/// Held by every test of this binary: they measure frame times and resources, which other
/// tests rendering on the same (2 shared) cores would disturb.
static SERIAL: Mutex<()> = Mutex::new(());

/// Takes [`SERIAL`] (a test that failed while holding it does not poison the others).
fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled take (4 s, 241 frames at the tiny stage's 60 Hz).
const TAKE: &str = "assets/takes/demo-truck.take";

/// The tiny stage's text.
fn tiny() -> String {
    std::fs::read_to_string(root().join("assets/stages/tiny.ron")).expect("tiny stage")
}

/// Runs `parallax ARGS` in the repository's root, on wgpu backend `backend` (`WGPU_BACKEND`)
/// when given.
fn parallax(backend: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parallax"));
    if let Some(b) = backend {
        c.env("WGPU_BACKEND", b);
    }
    c.args(args)
        .current_dir(root())
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("parallax runs")
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(
                    p.strip_prefix(dir)
                        .unwrap_or(&p)
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

/// What a frame showed, seen from a [`FrameHook`].
#[derive(Clone, Debug)]
struct Seen {
    /// When the frame was delivered.
    at: Instant,
    frame: u64,
    status: TrackingStatus,
    /// The primary camera's position, stage metres.
    position: glam::DVec3,
    held: bool,
}

/// Records every frame's tracked state (a [`FrameHook`]).
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Recorder {
    fn seen(&self) -> Vec<Seen> {
        self.0.lock().expect("recorder").clone()
    }
}

impl FrameHook for Recorder {
    fn before_frame(&mut self, _: &mut LiveLoop) {}

    fn after_frame(&mut self, _: &LiveLoop, stats: &FrameStats, tracked: &TrackedState) {
        self.0.lock().expect("recorder").push(Seen {
            at: Instant::now(),
            frame: stats.frame,
            status: tracked.status,
            position: tracked.camera.pose.position,
            held: stats.held,
        });
    }
}

/// The longest time between two frames delivered one after the other (seconds).
fn longest_gap(seen: &[Seen]) -> f64 {
    seen.windows(2)
        .map(|w| w[1].at.duration_since(w[0].at).as_secs_f64())
        .fold(0.0, f64::max)
}
