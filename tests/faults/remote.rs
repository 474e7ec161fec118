//! The remote server (`--serve`) flooded with requests while the loop runs: the loop's own work
//! per frame (CPU + GPU time, [`parallax::live::FrameStats`]) loaded against unloaded, and the
//! wall never dark.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parallax::live::{FrameHook, FrameStats, LiveLoop, NullSink, Pacing, RunOptions, Sink};
use parallax::tracking::TrackedState;

use super::tiny;

/// Each frame's delivery time and work (CPU + GPU milliseconds).
#[derive(Clone, Default)]
struct Work(Arc<Mutex<Vec<(Instant, f64)>>>);

impl FrameHook for Work {
    fn before_frame(&mut self, _: &mut LiveLoop) {}
    fn after_frame(&mut self, _: &LiveLoop, s: &FrameStats, _: &TrackedState) {
        self.0
            .lock()
            .expect("work")
            .push((Instant::now(), s.cpu_ms + s.gpu_ms));
    }
}

/// One request (a new connection each, as a flood of clients makes): the status code.
fn request(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer not-a-token\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    String::from_utf8_lossy(&out)
        .split(' ')
        .nth(1)?
        .parse()
        .ok()
}

/// The clients stand for browsers on other machines: on this one they run at the lowest
/// priority (nice 19), so that what is measured is the server's cost to the loop, not theirs.
fn elsewhere() {
    // SAFETY: plain integers in and out.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Tiny stage at 25 Hz with the remote views on, 2 s unloaded, then 3 s with two client threads
/// sending requests back to back (bad token: each is parsed, checked and refused).
#[test]
fn a_flooded_remote_server_leaves_the_loop_its_frame_time() {
    let _serial = super::serial();
    let dir = tempfile::tempdir().expect("tempdir");
    let stage = dir.path().join("stage.ron");
    std::fs::write(
        &stage,
        tiny().replace("frame_rate: 60.0", "frame_rate: 25.0"),
    )
    .expect("write");
    // The server refuses to start without a token; the flood itself sends a wrong one.
    let tokens = dir.path().join("tokens.json");
    parallax::remote::access::TokenStore::open(&tokens)
        .and_then(|mut t| t.add("supervisor", parallax::remote::access::Role::Viewer))
        .expect("token");
    let options = parallax::remote::ServeOptions {
        addr: "127.0.0.1:0".parse().expect("addr"),
        tokens,
        audit: dir.path().join("audit.jsonl"),
        ..Default::default()
    };
    let (server, hook) = parallax::remote::serve(&options, &stage).expect("serve");
    let run = RunOptions {
        frames: Some(25 * 5),
        pacing: Pacing::Timer,
        views: true,
        ..Default::default()
    };
    let mut live = LiveLoop::new(&stage, run).expect("loop");
    live.add_hook(Box::new(hook));
    let work = Work::default();
    live.add_hook(Box::new(work.clone()));
    live.step(&mut [&mut NullSink as &mut dyn Sink], Instant::now());
    let start = Instant::now();
    let flooding = Arc::new(AtomicBool::new(true));
    let served = Arc::new(AtomicU64::new(0));
    let odd = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..2)
        .map(|k| {
            let (f, n, odd, addr) = (flooding.clone(), served.clone(), odd.clone(), server.addr);
            std::thread::spawn(move || {
                elsewhere();
                std::thread::sleep(Duration::from_millis(2000));
                while f.load(Ordering::Relaxed) {
                    match request(addr, if k == 0 { "/api/state" } else { "/" }) {
                        Some(401 | 429 | 200) => {
                            n.fetch_add(1, Ordering::Relaxed);
                        }
                        other => odd.lock().unwrap().push(other),
                    }
                }
            })
        })
        .collect();
    let stop = AtomicBool::new(false);
    let stats = live.run(&mut [&mut NullSink as &mut dyn Sink], &stop);
    flooding.store(false, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client");
    }
    let w = work.0.lock().unwrap().clone();
    let at = |s: f64| start + Duration::from_secs_f64(s);
    let window = |a: f64, b: f64| -> Vec<f64> {
        w.iter()
            .filter(|(t, _)| *t >= at(a) && *t < at(b))
            .map(|(_, ms)| *ms)
            .collect()
    };
    let (quiet, loaded) = (window(0.3, 1.9), window(2.3, 4.8));
    let (mq, ml) = (median(quiet.clone()), median(loaded.clone()));
    let requests = served.load(Ordering::Relaxed);
    let summary = format!(
        "work per frame median {mq:.2} ms unloaded ({} frames), {ml:.2} ms flooded ({} frames, \
         {:+.1} %); {requests} requests answered in about 2.8 s; {}",
        quiet.len(),
        loaded.len(),
        (ml / mq - 1.0) * 100.0,
        stats.summary()
    );
    eprintln!("remote flood: {summary}");
    assert!(odd.lock().unwrap().is_empty(), "{:?}", odd.lock().unwrap());
    assert!(requests >= 200, "{summary}");
    assert_eq!(stats.failures, 0, "{summary}");
    assert!(quiet.len() >= 20 && loaded.len() >= 30, "{summary}");
    // The wall is never dark: every slot rendered or counted dropped, no gap of half a second.
    // The frame time itself is not bounded here: on 2 shared cores the clients and the server
    // take the CPU lavapipe renders on (+180 % measured; docs/reliability.md, open).
    assert_eq!(stats.frames + stats.dropped, 25 * 5, "{summary}");
    let gap = w
        .windows(2)
        .map(|p| p[1].0.duration_since(p[0].0).as_secs_f64())
        .fold(0.0, f64::max);
    assert!(gap < 0.5, "a gap of {gap} s: {summary}");
    assert!(ml.is_finite() && mq > 0.0);
}
