//! Loopback (127.0.0.1 only, bounded loops): packets over real UDP sockets arrive as the right stage
//! poses; garbage does not starve good packets; takes record, reload and replay deterministically.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use glam::DVec3;
use parallax::tracking::freed::{self, FreedD1};
use parallax::tracking::opentrackio::{Encoding, encode_packets};
use parallax::tracking::receiver::{Received, Receiver, ReceiverConfig};
use parallax::tracking::take::TimedSample;
use parallax::tracking::transform::StageTransform;
use parallax::tracking::{Protocol, RejectReason, Take, TakeCameras, TrackingStatus};

#[path = "tracking_udp/otio.rs"]
mod otio;

const WAIT: Duration = Duration::from_secs(5);

fn receiver(protocol: Protocol, f: impl FnOnce(&mut ReceiverConfig)) -> Receiver {
    let mut cfg = ReceiverConfig::new(protocol, "127.0.0.1:0".parse().expect("addr"));
    f(&mut cfg);
    Receiver::spawn(cfg).expect("bind on loopback")
}

fn sender() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").expect("bind sender")
}

/// Drains until `n` samples arrived or the wait bound passes.
fn collect(rx: &Receiver, n: usize) -> Vec<Received> {
    let start = Instant::now();
    let mut out = Vec::new();
    while out.len() < n && start.elapsed() < WAIT {
        out.extend(rx.drain());
        std::thread::sleep(Duration::from_millis(2));
    }
    out
}

/// Waits until the receiver has seen `n` packets (accepted + rejected).
fn wait_seen(rx: &Receiver, n: u64) {
    let start = Instant::now();
    while start.elapsed() < WAIT {
        let s = rx.stats();
        if s.accepted + s.rejected_total() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn freed_msg(i: u32) -> FreedD1 {
    let f = i as f64;
    FreedD1::from_units(
        1,
        [f * 10.0 - 90.0, f - 5.0, 0.5 * f],
        [f * 0.1, -1.0, 1.5],
        1000 + i,
        2000 + i,
    )
}

#[test]
fn freed_over_udp_arrives_as_stage_poses() {
    let rx = receiver(Protocol::FreeD, |_| {});
    let tx = sender();
    for i in 0..10 {
        tx.send_to(&freed::encode(&freed_msg(i)), rx.local_addr())
            .expect("send");
    }
    let got = collect(&rx, 10);
    assert_eq!(got.len(), 10);
    let st = StageTransform::default();
    for (i, r) in got.iter().enumerate() {
        let m = freed_msg(i as u32);
        assert_eq!(r.sample.pan_deg, m.pan_deg());
        assert_eq!(r.sample.zoom, Some(1000.0 + i as f64));
        let pose = st.apply(&r.sample);
        // FreeD (x, -1, 1.5) mm-exact -> stage (x, 1.5, 1).
        let want = DVec3::new(i as f64 * 0.1, 1.5, 1.0);
        assert!((pose.position - want).length() < 1e-4, "{}", pose.position);
    }
    // Arrival times are on the receiver's clock and in order.
    assert!(got.windows(2).all(|w| w[0].t <= w[1].t));
    assert!(got.last().map(|r| r.t <= rx.now()).unwrap_or(false));
    assert_eq!(
        rx.latest(1).map(|r| r.sample.pan_deg),
        Some(freed_msg(9).pan_deg())
    );
    assert_eq!(rx.stats().accepted, 10);
}

#[test]
fn garbage_flood_does_not_starve_good_packets() {
    let rx = receiver(Protocol::FreeD, |_| {});
    let tx = sender();
    let mut garbage = 0u64;
    let mut good = Vec::new();
    for i in 0..40u32 {
        for k in 0..50u32 {
            // Random-looking garbage: wrong lengths, wrong type bytes, bad checksums.
            let mut p = freed::encode(&freed_msg(k));
            match k % 3 {
                0 => p[28] ^= 0x5A,
                1 => p[0] = 0xD0,
                _ => {}
            }
            let len = if k % 3 == 2 {
                (k as usize % 28) + 1
            } else {
                29
            };
            tx.send_to(&p[..len], rx.local_addr()).expect("send");
            garbage += 1;
        }
        tx.send_to(&freed::encode(&freed_msg(i)), rx.local_addr())
            .expect("send");
        // Pace bursts so that the kernel's socket buffer never overflows.
        wait_seen(&rx, (i as u64 + 1) * 51);
        good.extend(rx.drain());
    }
    assert_eq!(good.len(), 40);
    let stats = rx.stats();
    assert_eq!(stats.accepted, 40);
    assert_eq!(stats.rejected_total(), garbage, "{}", stats.summary());
    for r in [
        RejectReason::FreedChecksum,
        RejectReason::FreedType,
        RejectReason::FreedLength,
    ] {
        assert!(stats.rejected.get(&r).copied().unwrap_or(0) > 0, "{r}");
    }
}

#[test]
fn allow_list_and_camera_ids_drop_and_count() {
    let other: std::net::IpAddr = "127.0.0.2".parse().expect("ip");
    let rx = receiver(Protocol::FreeD, |c| c.allow = vec![other]);
    let tx = sender();
    tx.send_to(&freed::encode(&freed_msg(1)), rx.local_addr())
        .expect("send");
    wait_seen(&rx, 1);
    let s = rx.stats();
    assert_eq!(s.accepted, 0);
    assert_eq!(s.rejected.get(&RejectReason::SourceNotAllowed), Some(&1));

    let rx = receiver(Protocol::FreeD, |c| {
        c.allow = vec!["127.0.0.1".parse().expect("ip")];
        c.camera_ids = vec![1];
    });
    let mut m = freed_msg(0);
    tx.send_to(&freed::encode(&m), rx.local_addr())
        .expect("send");
    m.camera_id = 2;
    tx.send_to(&freed::encode(&m), rx.local_addr())
        .expect("send");
    wait_seen(&rx, 2);
    let s = rx.stats();
    assert_eq!(s.accepted, 1);
    assert_eq!(s.rejected.get(&RejectReason::UnknownCamera), Some(&1));
}

fn example(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/opentrackio")
            .join(name),
    )
    .expect("example")
}

#[test]
fn opentrackio_segmented_cbor_and_json_over_udp() {
    let rx = receiver(Protocol::OpenTrackIo, |_| {});
    let tx = sender();
    let json = example("complete_dynamic_example.json");
    let value: serde_json::Value = serde_json::from_slice(&json).expect("json");
    let mut cbor = Vec::new();
    ciborium::into_writer(&value, &mut cbor).expect("cbor");
    let mut sent = 0u64;
    for (seq, (enc, payload)) in [(Encoding::Json, &json), (Encoding::Cbor, &cbor)]
        .into_iter()
        .enumerate()
    {
        for p in encode_packets(enc, seq as u16 + 1, payload, 300) {
            tx.send_to(&p, rx.local_addr()).expect("send");
            sent += 1;
        }
    }
    // And a corrupted single-packet sample.
    let mut bad = encode_packets(Encoding::Json, 9, &json, 32767).remove(0);
    let n = bad.len();
    bad[n - 3] ^= 0x01;
    tx.send_to(&bad, rx.local_addr()).expect("send");
    let got = collect(&rx, 2);
    wait_seen(&rx, 3);
    assert!(sent > 4);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].sample, got[1].sample);
    assert_eq!(got[0].sample.source, Protocol::OpenTrackIo);
    let s = rx.stats();
    assert_eq!(s.accepted, 2);
    assert_eq!(s.rejected.get(&RejectReason::OtioChecksum), Some(&1));
}

#[test]
fn record_reload_and_replay_are_deterministic() {
    let rx = receiver(Protocol::FreeD, |_| {});
    let tx = sender();
    for i in 0..20 {
        tx.send_to(&freed::encode(&freed_msg(i)), rx.local_addr())
            .expect("send");
    }
    let got = collect(&rx, 20);
    assert_eq!(got.len(), 20);
    let mut take = Take::default();
    for (i, r) in got.iter().enumerate() {
        // Recorded at a steady 50 Hz for the test (the command records arrival times).
        take.push(i as f64 * 0.02, r.sample.clone());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.take");
    take.save(&path).expect("save");
    let back = Take::load(&path).expect("load");
    assert_eq!(back, take);
    // Text is stable: saving the reloaded take gives the same bytes.
    assert_eq!(back.to_text(), take.to_text());

    // Frame by frame: every sample falls in exactly one frame.
    let mut seen: Vec<TimedSample> = Vec::new();
    for f in 0..40 {
        seen.extend_from_slice(back.frame_samples(f, 50.0));
    }
    assert_eq!(seen, back.samples);

    // At original timing: the same samples in the same order (scaled 20x to keep it short).
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut played = Vec::new();
    back.play(20.0, &stop, |s| played.push(s.clone()));
    assert_eq!(played, back.samples);

    // Stage cameras from the take: identical on every build.
    let stage = parallax::stage::load(&demo_stage()).expect("demo stage");
    let a = TakeCameras::new(&back, &stage.camera_specs(), stage.frame_rate).expect("cameras");
    let b = TakeCameras::new(&back, &stage.camera_specs(), stage.frame_rate).expect("cameras");
    assert!(a.camera_at_frame("A", 0).is_some());
    for f in 0..a.frame_count() {
        assert_eq!(a.camera_at_frame("A", f), b.camera_at_frame("A", f));
    }
}

fn demo_stage() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/demo.ron")
}

#[test]
fn bundled_take_is_a_plausible_move_for_camera_a() {
    let take =
        Take::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/takes/demo-truck.take"))
            .expect("bundled take");
    assert!(take.duration() > 3.0 && take.duration() < 10.0);
    let stage = parallax::stage::load(&demo_stage()).expect("demo stage");
    let cams = TakeCameras::new(&take, &stage.camera_specs(), stage.frame_rate).expect("cameras");
    assert_eq!(cams.names(), vec!["A"]);
    let n = cams.frame_count();
    assert_eq!(n, 200);
    let mut prev: Option<parallax::tracking::TrackedState> = None;
    for f in 0..n {
        let c = cams.camera_at_frame("A", f).expect("camera A");
        assert_eq!(c.status, TrackingStatus::Live);
        let p = c.camera.pose;
        assert!(
            (p.position - DVec3::new(0.0, 1.5, 0.5)).length() < 0.6,
            "{}",
            p.position
        );
        assert!(p.forward().dot(DVec3::NEG_Z) > 0.98, "{}", p.forward());
        // The stage camera's lens (no lens table) is used.
        assert_eq!(c.camera.lens.focal_length_mm, 35.0);
        if let Some(q) = prev {
            // Smooth: under 2 cm and 0.5 degree per frame.
            assert!((p.position - q.camera.pose.position).length() < 0.02);
            assert!(
                p.forward()
                    .angle_between(q.camera.pose.forward())
                    .to_degrees()
                    < 0.5
            );
        }
        prev = Some(c);
    }
    // The move spans the wall's centre: it starts left of it and ends right of it.
    let first = cams
        .camera_at_frame("A", 0)
        .expect("A")
        .camera
        .pose
        .position;
    let last = cams
        .camera_at_frame("A", n - 1)
        .expect("A")
        .camera
        .pose
        .position;
    assert!(first.x < -0.3 && last.x > 0.3);
    assert!(cams.camera_at_frame("B", 0).is_none());
}

/// `parallax track --freed 127.0.0.1:PORT --count COUNT [extra] --record TAKE` started on a free
/// port, its output piped: the child and the address to send to.
fn spawn_track(count: &str, extra: &[&str], take: &Path) -> (std::process::Child, SocketAddr) {
    let port = {
        let s = UdpSocket::bind("127.0.0.1:0").expect("probe");
        s.local_addr().expect("addr").port()
    };
    let to: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_parallax"))
        .args(["track", "--freed", &to.to_string(), "--count", count])
        .args(extra)
        .arg("--record")
        .arg(take)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run parallax");
    (child, to)
}

#[test]
fn track_command_prints_json_and_records() {
    let dir = tempfile::tempdir().expect("tempdir");
    let take_path = dir.path().join("rec.take");
    let (mut child, to) = spawn_track("3", &["--json"], &take_path);
    let tx = sender();
    let start = Instant::now();
    let mut i = 0;
    // Send until the command has its 3 samples and exits (bounded).
    while start.elapsed() < WAIT {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        tx.send_to(b"junk", to).expect("send");
        let m = FreedD1::from_units(1, [90.0, 0.0, 0.0], [1.0, 2.0, 3.0], 5, 6);
        tx.send_to(&freed::encode(&m), to).expect("send");
        i += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    if child.try_wait().expect("wait").is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(i >= 3);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    for v in &lines {
        assert_eq!(v["source"], "freed");
        assert_eq!(v["camera_id"], 1);
        assert_eq!(v["raw"]["pan_deg"], 90.0);
        assert_eq!(v["raw"]["z_m"], 3.0);
        let pos: Vec<f64> = v["stage"]["position"]
            .as_array()
            .expect("position")
            .iter()
            .filter_map(|x| x.as_f64())
            .collect();
        assert_eq!(pos.len(), 3);
        assert!(
            (pos[0] - 1.0).abs() < 1e-4
                && (pos[1] - 3.0).abs() < 1e-4
                && (pos[2] + 2.0).abs() < 1e-4
        );
        assert_eq!(v["stage"]["rotation"].as_array().map(|a| a.len()), Some(4));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("accepted 3"), "{stderr}");
    assert!(stderr.contains("freed-length"), "{stderr}");
    let take = Take::load(&take_path).expect("recorded take");
    assert_eq!(take.samples.len(), 3);
    assert_eq!(take.start(), 0.0);
}

#[test]
fn track_count_reports_what_it_printed_and_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let take_path = dir.path().join("burst.take");
    let (mut child, to) = spawn_track("5", &[], &take_path);
    let tx = sender();
    let start = Instant::now();
    // Bursts of 20 packets: more arrive than --count takes.
    while start.elapsed() < WAIT && child.try_wait().expect("wait").is_none() {
        for k in 0..20 {
            let m = FreedD1::from_units(1, [k as f64, 0.0, 0.0], [1.0, 2.0, 3.0], 5, 6);
            tx.send_to(&freed::encode(&m), to).expect("send");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().expect("wait").is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 5);
    assert_eq!(Take::load(&take_path).expect("take").samples.len(), 5);
    assert!(stderr.contains("recorded 5 samples"), "{stderr}");
    // The receiver's count, and what became of the samples beyond the 5.
    let accepted: u64 = stderr
        .split("accepted ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {stderr}"));
    assert!(accepted >= 5, "{stderr}");
    if accepted > 5 {
        let said = format!(
            "printed the first 5 (--count), {} more arrived",
            accepted - 5
        );
        assert!(stderr.contains(&said), "{stderr}");
    }
}

#[test]
fn live_cameras_follow_the_stage_file() {
    let text = std::fs::read_to_string(demo_stage()).expect("demo");
    let anchor =
        "inner: Inner(resolution: (1920, 1280), overscan: Uniform(0.15), soft_edge: 0.05),";
    let tracking = r#"tracking: Some(CameraTracking(protocol: FreeD, camera_id: 5,
        bind: Some("127.0.0.1:0"), allow: ["127.0.0.1"],
        transform: TrackerTransform(offset: (0.0, 0.0, 1.0)), dropout_ms: 1000.0)),"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("live.ron");
    std::fs::write(
        &path,
        text.replace(anchor, &format!("{anchor}\n{tracking}")),
    )
    .expect("write");
    let stage = parallax::stage::load(&path).expect("stage");
    let mut live = parallax::tracking::LiveCameras::start(&stage.camera_specs(), stage.frame_rate)
        .expect("start");
    assert_eq!(live.names(), vec!["A"]);
    let before = live.camera("A", live.now()).expect("A");
    assert_eq!(before.status, TrackingStatus::NoData);
    assert!((before.camera.pose.position - DVec3::new(0.0, 1.5, 0.5)).length() < 1e-12);
    let addrs = live.local_addrs();
    assert_eq!(addrs.len(), 1);
    let tx = sender();
    // Another camera id on the same port is dropped; camera 5 at FreeD (0.5, -0.2, 1.6) m.
    let mut m = FreedD1::from_units(5, [-10.0, 2.0, 0.0], [0.5, -0.2, 1.6], 0, 0);
    tx.send_to(&freed::encode(&m), addrs[0].1).expect("send");
    m.camera_id = 6;
    tx.send_to(&freed::encode(&m), addrs[0].1).expect("send");
    let start = Instant::now();
    let mut state = before;
    while start.elapsed() < WAIT && state.status != TrackingStatus::Live {
        live.update();
        state = live.camera("A", live.now()).expect("A");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(state.status, TrackingStatus::Live);
    let want = DVec3::new(0.5, 1.6, 0.2 + 1.0);
    assert!(
        (state.camera.pose.position - want).length() < 1e-4,
        "{}",
        state.camera.pose.position
    );
    // FreeD pan -10 (left) = stage pan +10.
    let (pan, _, _) = parallax::camera::quat_to_pan_tilt_roll(state.camera.pose.rotation);
    assert!((pan - 10.0).abs() < 1e-3, "{pan}");
    let stats = live.stats();
    let start = Instant::now();
    let mut s = stats[0].2.clone();
    while start.elapsed() < WAIT && s.accepted + s.rejected_total() < 2 {
        s = live.stats()[0].2.clone();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(s.rejected.get(&RejectReason::UnknownCamera), Some(&1));
    assert!(live.camera("B", 0.0).is_none());
}

#[test]
fn replayed_take_arrives_over_udp_as_recorded() {
    use std::io::BufRead;
    let port = {
        let s = UdpSocket::bind("127.0.0.1:0").expect("probe");
        s.local_addr().expect("addr").port()
    };
    let exe = env!("CARGO_BIN_EXE_parallax");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut listener = std::process::Command::new(exe)
        .args([
            "track",
            "--freed",
            &format!("127.0.0.1:{port}"),
            "--count",
            "10",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("listener");
    // Wait for "listening ..." so that no packet is sent before the socket exists.
    let mut first = String::new();
    if let Some(err) = listener.stderr.as_mut() {
        let _ = std::io::BufReader::new(err).read_line(&mut first);
    }
    assert!(first.contains("listening"), "{first}");
    let sender = std::process::Command::new(exe)
        .args(["track", "--replay"])
        .arg(root.join("assets/takes/demo-truck.take"))
        .args([
            "--speed",
            "20",
            "--count",
            "40",
            "--send",
            &format!("127.0.0.1:{port}"),
        ])
        .output()
        .expect("sender");
    assert!(
        sender.status.success(),
        "{}",
        String::from_utf8_lossy(&sender.stderr)
    );
    let start = Instant::now();
    while start.elapsed() < WAIT && listener.try_wait().expect("wait").is_none() {
        std::thread::sleep(Duration::from_millis(10));
    }
    if listener.try_wait().expect("wait").is_none() {
        let _ = listener.kill();
    }
    let out = listener.wait_with_output().expect("output");
    assert!(out.status.success());
    let take = Take::load(&root.join("assets/takes/demo-truck.take")).expect("take");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 10);
    // FreeD-quantised take values survive the trip exactly, in order.
    for (v, s) in lines.iter().zip(&take.samples) {
        assert_eq!(v["raw"]["pan_deg"].as_f64(), Some(s.sample.pan_deg));
        assert_eq!(v["raw"]["x_m"].as_f64(), Some(s.sample.x_m));
        assert_eq!(v["raw"]["zoom"].as_f64(), s.sample.zoom);
    }
}
