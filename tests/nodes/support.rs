//! What the render-node tests share: the test stage, a `parallax` process with its output in
//! files, the cluster switches of a member, and reading frames back.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use parallax::render::ReadImage;

pub const STAGE: &str = "tests/data/stage/nodes.ron";
pub const TAKE: &str = "assets/takes/demo-truck.take";
/// (output, node) of the test stage.
pub const OUTPUTS: [(&str, &str); 3] = [("left", "a"), ("right", "b"), ("top", "c")];

/// A `parallax` process whose stdout and stderr go to files; killed if the test fails first.
pub struct Proc {
    pub name: String,
    pub child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Proc {
    pub fn start(dir: &Path, name: &str, args: &[&str]) -> Proc {
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
    pub fn finish(mut self, limit: Duration) -> (String, String) {
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

    pub fn text(&self) -> (String, String) {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        (read(&self.out), read(&self.err))
    }

    pub fn kill(&mut self) {
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

/// Runs `parallax args` to its end (in the repository, Mesa's device-select layer off).
fn parallax(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NODEVICE_SELECT", "1")
        .output()
        .expect("runs")
}

/// Runs `parallax args`: whether it succeeded, and its stdout then stderr.
pub fn run_status(args: &[&str]) -> (bool, String) {
    let out = parallax(args);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Runs `parallax args`, which must succeed: its stdout.
pub fn run_ok(args: &[&str]) -> String {
    let out = parallax(args);
    assert!(
        out.status.success(),
        "parallax {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The switches of a cluster member: node `node`, files into `out`, on loopback `endpoint`
/// (the primary, `--primary`, listens there; a node connects).
pub fn member<'a>(node: &'a str, out: &'a str, endpoint: &'a str, primary: bool) -> Vec<&'a str> {
    let mut a = member_on(STAGE, node, out, endpoint, primary);
    if primary {
        a.push("--primary");
    }
    a
}

/// [`member`] on stage file `stage`, without `--primary`; `listen`: `--listen` (the primary),
/// else `--connect`.
pub fn member_on<'a>(
    stage: &'a str,
    node: &'a str,
    out: &'a str,
    endpoint: &'a str,
    listen: bool,
) -> Vec<&'a str> {
    vec![
        "run",
        stage,
        "--no-watch",
        "--sink",
        "files",
        "--out",
        out,
        "--node",
        node,
        "--no-scouting",
        if listen { "--listen" } else { "--connect" },
        endpoint,
    ]
}

pub fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The frame folders (numbers) under `dir`, sorted.
pub fn frames_in(dir: &Path) -> Vec<u64> {
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
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

pub fn decode_png(p: &Path) -> ReadImage {
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

pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Outside the burn-in's cells (24 x `s` in the bottom `s` rows), whether `a` and `b` are equal.
pub fn same_but_code(a: &ReadImage, b: &ReadImage, s: usize) -> bool {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let (w, h) = (a.width as usize, a.height as usize);
    (0..h).all(|y| {
        (0..w).all(|x| {
            let at = (y * w + x) * 4;
            (y >= h - s && x < 24 * s) || a.bytes[at..at + 4] == b.bytes[at..at + 4]
        })
    })
}

/// Waits (at most 60 s) until `p`'s stderr contains `what`; returns the stderr.
pub fn wait_stderr(p: &Proc, what: &str) -> String {
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

/// Runs `parallax args`, which must fail: its stderr.
pub fn run_err(args: &[&str]) -> String {
    let out = parallax(args);
    assert!(!out.status.success(), "parallax {args:?} was not refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A copy of the test stage in `dir` with `primary_node: NAME` added; its path.
pub fn stage_naming_primary(dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(STAGE).unwrap();
    let text = text.replacen(
        "    outputs: [",
        &format!("    primary_node: \"{name}\",\n    outputs: ["),
        1,
    );
    let path = dir.join("stage.ron");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// Node `node`'s figures as the primary's summary (stdout) gives them: (ready, late, refused,
/// held).
pub fn counted(primary_out: &str, node: &str) -> (u64, u64, u64, u64) {
    let line = primary_out
        .lines()
        .find(|l| l.starts_with(&format!("cluster: node '{node}': ")))
        .unwrap_or_else(|| panic!("no figures of node {node}:\n{primary_out}"));
    let n = |what: &str| -> u64 {
        let before = line.split(&format!(" {what}")).next().unwrap();
        before.rsplit(' ').next().unwrap().parse().unwrap()
    };
    (n("ready,"), n("late,"), n("refused,"), n("held"))
}

/// Stops (`SIGSTOP`) or continues (`SIGCONT`) process `p`.
pub fn signal(p: &Proc, signal: &str) {
    let ok = std::process::Command::new("kill")
        .args([signal, &p.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {signal} {}", p.name);
}

/// Waits (at most 60 s) until `dir` holds at least `n` frame folders.
pub fn wait_frames(dir: &Path, n: usize) {
    let until = Instant::now() + Duration::from_secs(60);
    while frames_in(dir).len() < n {
        assert!(
            Instant::now() < until,
            "{}: fewer than {n} frames",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
