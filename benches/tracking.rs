//! Tracking decode throughput: FreeD D1 (goal: >= 10 M packets/s on one core) and OpenTrackIO
//! (header + Fletcher-16 + JSON or CBOR payload).
//!
//! Also, per sample, receive (a UDP recv on loopback) + decode + clock + buffer + predict, timed
//! one sample at a time and printed as p50 / p99 / max (criterion reports means, not tails).
//!
//! Run briefly: `cargo bench --bench tracking -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use std::net::UdpSocket;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use parallax::tracking::config::TimeSpan;
use parallax::tracking::freed::{self, FreedD1};
use parallax::tracking::opentrackio::{self, Encoding, encode_packets};
use parallax::tracking::transform::StageTransform;
use parallax::tracking::{CameraTracking, Protocol, SenderTime, TrackedCamera, TrackerSample};

const BATCH: usize = 1024;

fn freed_packets() -> Vec<[u8; 29]> {
    (0..BATCH)
        .map(|i| {
            let f = i as f64;
            freed::encode(&FreedD1::from_units(
                (i % 4) as u8,
                [f * 0.3 - 150.0, f * 0.01 - 5.0, 0.1],
                [f * 0.001, -2.0 + f * 0.002, 1.5],
                i as u32,
                2 * i as u32,
            ))
        })
        .collect()
}

fn bench_freed(c: &mut Criterion) {
    let packets = freed_packets();
    let mut g = c.benchmark_group("freed");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut acc = 0i64;
            for p in &packets {
                if let Ok(m) = freed::decode(black_box(p)) {
                    acc += m.pan as i64 + m.zoom as i64;
                }
            }
            acc
        })
    });
    let st = StageTransform::default();
    g.bench_function("decode_to_stage_pose", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for p in &packets {
                if let Ok(m) = freed::decode(black_box(p)) {
                    acc += st.apply(&TrackerSample::from_freed(&m)).position.x;
                }
            }
            acc
        })
    });
    g.finish();
}

fn bench_opentrackio(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/opentrackio");
    let json = std::fs::read(root.join("recommended_dynamic_example.json")).unwrap_or_default();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
    let mut cbor = Vec::new();
    let _ = ciborium::into_writer(&value, &mut cbor);
    let json_packet = encode_packets(Encoding::Json, 1, &json, 32767).remove(0);
    let cbor_packet = encode_packets(Encoding::Cbor, 1, &cbor, 32767).remove(0);
    let mut g = c.benchmark_group("opentrackio");
    g.throughput(Throughput::Elements(1));
    g.bench_function(format!("json_packet_{}B", json_packet.len()), |b| {
        b.iter(|| opentrackio::decode_packet(black_box(&json_packet)).is_ok())
    });
    g.bench_function(format!("cbor_packet_{}B", cbor_packet.len()), |b| {
        b.iter(|| opentrackio::decode_packet(black_box(&cbor_packet)).is_ok())
    });
    g.bench_function("header_and_checksum_only", |b| {
        b.iter(|| opentrackio::parse_packet(black_box(&json_packet)).is_ok())
    });
    g.finish();
}

fn rest() -> parallax::camera::CameraState {
    parallax::camera::CameraState {
        pose: Default::default(),
        lens: Default::default(),
    }
}

/// One packet per sample of a 60 deg/s pan at 100 Hz, for `protocol`.
fn pan_packets(protocol: Protocol, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let t = i as f64 / 100.0;
            let m = FreedD1::from_units(
                1,
                [60.0 * t % 360.0 - 180.0, 2.0, 0.0],
                [t, 0.5, 1.5],
                100,
                200,
            );
            match protocol {
                Protocol::FreeD => freed::encode(&m).to_vec(),
                Protocol::OpenTrackIo => {
                    let mut s = TrackerSample::from_freed(&m);
                    s.source = Protocol::OpenTrackIo;
                    s.sender_time = Some(
                        SenderTime {
                            seconds: 1_718_806_554,
                            nanoseconds: 0,
                        }
                        .plus_seconds(t),
                    );
                    let payload = opentrackio::encode_json(&s);
                    encode_packets(Encoding::Json, i as u16, &payload, 32767).remove(0)
                }
            }
        })
        .collect()
}

fn decode(protocol: Protocol, bytes: &[u8]) -> Option<TrackerSample> {
    match protocol {
        Protocol::FreeD => freed::decode(bytes)
            .ok()
            .map(|m| TrackerSample::from_freed(&m)),
        Protocol::OpenTrackIo => opentrackio::decode_packet(bytes).ok(),
    }
}

/// Times receive + decode + push (clock, transform, buffer) + predict for each of `n` samples
/// sent over loopback UDP, and prints p50, p99 and max in microseconds.
fn per_sample_tail(protocol: Protocol, n: usize) {
    let (Ok(rx), Ok(tx)) = (
        UdpSocket::bind("127.0.0.1:0"),
        UdpSocket::bind("127.0.0.1:0"),
    ) else {
        eprintln!("{protocol}: no loopback socket; per-sample tail not measured");
        return;
    };
    let Ok(to) = rx.local_addr() else { return };
    let cfg = CameraTracking {
        latency: TimeSpan::Frames(2.0),
        tracker_rate_hz: Some(100.0),
        ..CameraTracking::new(protocol, 1)
    };
    let Ok(mut cam) = TrackedCamera::new(&cfg, rest(), 60.0) else {
        return;
    };
    let packets = pan_packets(protocol, n);
    let mut buf = vec![0u8; 65536];
    let mut ns = Vec::with_capacity(n);
    let mut acc = 0.0;
    for (i, p) in packets.iter().enumerate() {
        if tx.send_to(p, to).is_err() {
            continue;
        }
        let t = i as f64 / 100.0;
        let start = Instant::now();
        let Ok((len, _)) = rx.recv_from(&mut buf) else {
            continue;
        };
        if let Some(s) = decode(protocol, &buf[..len]) {
            cam.push(t + 0.002, &s);
            acc += cam.at(t + 0.005).camera.pose.position.x;
        }
        ns.push(start.elapsed().as_nanos() as u64);
    }
    black_box(acc);
    ns.sort_unstable();
    let q = |f: f64| ns[((ns.len() - 1) as f64 * f).round() as usize] as f64 / 1000.0;
    if !ns.is_empty() {
        println!(
            "per-sample receive+decode+predict, {protocol}, {} samples: p50 {:.2} us, p99 {:.2} us, max {:.2} us",
            ns.len(),
            q(0.5),
            q(0.99),
            q(1.0)
        );
    }
}

/// Decode + push + predict (no socket), for criterion's distribution.
fn bench_predict(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode_push_predict");
    g.throughput(Throughput::Elements(1));
    for protocol in [Protocol::FreeD, Protocol::OpenTrackIo] {
        let packets = pan_packets(protocol, BATCH);
        let cfg = CameraTracking {
            latency: TimeSpan::Frames(2.0),
            tracker_rate_hz: Some(100.0),
            ..CameraTracking::new(protocol, 1)
        };
        let Ok(mut cam) = TrackedCamera::new(&cfg, rest(), 60.0) else {
            continue;
        };
        let mut i = 0usize;
        g.bench_function(protocol.name(), |b| {
            b.iter(|| {
                let p = &packets[i % BATCH];
                let t = i as f64 / 100.0;
                i += 1;
                decode(protocol, black_box(p)).map(|s| {
                    cam.push(t + 0.002, &s);
                    cam.at(t + 0.005).camera.pose.position.x
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_freed, bench_opentrackio, bench_predict);

fn main() {
    for protocol in [Protocol::FreeD, Protocol::OpenTrackIo] {
        per_sample_tail(protocol, 20_000);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
