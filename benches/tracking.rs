//! Tracking decode throughput: FreeD D1 (goal: >= 10 M packets/s on one core) and OpenTrackIO
//! (header + Fletcher-16 + JSON or CBOR payload).
//!
//! Run briefly: `cargo bench --bench tracking -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use parallax::tracking::TrackerSample;
use parallax::tracking::freed::{self, FreedD1};
use parallax::tracking::opentrackio::{self, Encoding, encode_packets};
use parallax::tracking::transform::StageTransform;

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

criterion_group!(benches, bench_freed, bench_opentrackio);
criterion_main!(benches);
