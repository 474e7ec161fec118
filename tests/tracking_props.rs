//! No input makes a tracking decoder panic: property tests over arbitrary and mutated packets.

use parallax::tracking::freed::{self, FreedD1};
use parallax::tracking::opentrackio::{self, Encoding, Reassembler, encode_packets, parse_packet};
use parallax::tracking::{CameraTracking, Take, TrackedCamera, TrackerSample};
use proptest::prelude::*;

fn example() -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/opentrackio/complete_static_example.json");
    std::fs::read(p).unwrap_or_default()
}

fn example_cbor() -> Vec<u8> {
    let v: serde_json::Value = serde_json::from_slice(&example()).unwrap_or_default();
    let mut out = Vec::new();
    let _ = ciborium::into_writer(&v, &mut out);
    out
}

fn freed_fields() -> impl Strategy<Value = FreedD1> {
    let s24 = -8_388_608i32..=8_388_607;
    let u24 = 0u32..=0xFF_FFFF;
    (
        any::<u8>(),
        (s24.clone(), s24.clone(), s24.clone()),
        (s24.clone(), s24.clone(), s24),
        (u24.clone(), u24),
        any::<u16>(),
    )
        .prop_map(
            |(camera_id, (pan, tilt, roll), (x, y, z), (zoom, focus), spare)| FreedD1 {
                camera_id,
                pan,
                tilt,
                roll,
                x,
                y,
                z,
                zoom,
                focus,
                spare,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn freed_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let r = freed::decode(&bytes);
        if bytes.len() != freed::D1_LEN {
            prop_assert!(r.is_err());
        }
    }

    #[test]
    fn freed_round_trips_every_field(m in freed_fields()) {
        prop_assert_eq!(freed::decode(&freed::encode(&m)), Ok(m));
    }

    #[test]
    fn freed_any_single_byte_change_is_rejected(m in freed_fields(), i in 0usize..29, x in 1u8..=255) {
        let mut b = freed::encode(&m);
        b[i] = b[i].wrapping_add(x);
        prop_assert!(freed::decode(&b).is_err());
    }

    #[test]
    fn opentrackio_arbitrary_packets_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_packet(&bytes);
        let _ = opentrackio::decode_packet(&bytes);
        // Even with a valid header in front.
        let mut p = b"OTrk\0\x01".to_vec();
        p.extend_from_slice(&bytes);
        let _ = opentrackio::decode_packet(&p);
    }

    #[test]
    fn opentrackio_arbitrary_payloads_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = opentrackio::decode_payload(Encoding::Json, &bytes);
        let _ = opentrackio::decode_payload(Encoding::Cbor, &bytes);
    }

    #[test]
    fn opentrackio_mutated_payloads_never_panic(
        cbor in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut p = if cbor { example_cbor() } else { example() };
        prop_assume!(!p.is_empty());
        for (i, v) in edits {
            let i = i.index(p.len());
            p[i] = v;
        }
        let keep = cut.index(p.len() + 1);
        p.truncate(keep.max(1));
        let enc = if cbor { Encoding::Cbor } else { Encoding::Json };
        if let Ok(s) = opentrackio::decode_payload(enc, &p) {
            // Whatever parses has a finite pose.
            let nums = [s.pan_deg, s.tilt_deg, s.roll_deg, s.x_m, s.y_m, s.z_m];
            prop_assert!(nums.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn opentrackio_mutated_packets_are_rejected_or_decoded(
        i in any::<prop::sample::Index>(), x in 1u8..=255,
    ) {
        let packets = encode_packets(Encoding::Json, 3, &example(), 60_000);
        let mut p = packets[0].clone();
        let i = i.index(p.len());
        p[i] = p[i].wrapping_add(x);
        // A reserved-byte change is allowed by the format. Fletcher-16 modulo 256 sees any change of
        // one byte (sum1 moves by the change, never a multiple of 256), so anything else is caught.
        if i != 4 {
            prop_assert!(opentrackio::decode_packet(&p).is_err(), "byte {} accepted", i);
        }
    }

    #[test]
    fn reassembler_survives_arbitrary_segments(
        segs in proptest::collection::vec(
            (0u16..4, 0u32..5000, any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)),
            1..40,
        )
    ) {
        let mut r = Reassembler::default();
        for (seq, offset, last, data) in segs {
            let mut p = b"OTrk\0\x02".to_vec();
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&offset.to_be_bytes());
            let fl = data.len() as u16 | if last { 0x8000 } else { 0 };
            p.extend_from_slice(&fl.to_be_bytes());
            let c = opentrackio::fletcher16(&[&p[..14], &data]);
            p.extend_from_slice(&c.to_be_bytes());
            p.extend_from_slice(&data);
            let (h, seg) = parse_packet(&p).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if let Ok(Some(m)) = r.push(&h, seg) {
                let _ = opentrackio::decode_payload(m.encoding, &m.payload);
            }
        }
    }

    #[test]
    fn take_parser_never_panics(text in "\\PC{0,200}") {
        let _ = Take::parse(&text, "prop");
        let with_header = format!("{{\"format\":\"parallax-take\",\"version\":1}}\n{text}");
        let _ = Take::parse(&with_header, "prop");
    }

    #[test]
    fn tracked_camera_gives_finite_poses(
        m in proptest::collection::vec(freed_fields(), 1..20),
        times in proptest::collection::vec(-10.0f64..10.0, 1..20),
        query in -20.0f64..20.0,
    ) {
        let mut cam = TrackedCamera::new(
            &CameraTracking {
                filter: parallax::tracking::config::Filter::OneEuro { min_cutoff: 1.0, beta: 0.5, d_cutoff: 1.0 },
                ..Default::default()
            },
            parallax::camera::CameraState { pose: Default::default(), lens: Default::default() },
            50.0,
        ).map_err(TestCaseError::fail)?;
        for (msg, t) in m.iter().zip(times.iter().cycle()) {
            cam.push(*t, &TrackerSample::from_freed(msg));
        }
        let c = cam.at(query).camera;
        prop_assert!(c.pose.position.is_finite() && c.pose.rotation.is_finite());
        prop_assert!((c.pose.rotation.length() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn sender_clock_and_prediction_give_finite_poses(
        stamps in proptest::collection::vec((0u64..(1u64 << 48), 0u32..1_000_000_000, -5.0f64..5.0), 1..30),
        latency_ms in 0.0f64..200.0,
        query in -10.0f64..10.0,
    ) {
        let cfg = CameraTracking {
            latency: parallax::tracking::config::TimeSpan::Ms(latency_ms),
            ..CameraTracking::new(parallax::tracking::Protocol::OpenTrackIo, 1)
        };
        let mut cam = TrackedCamera::new(
            &cfg,
            parallax::camera::CameraState { pose: Default::default(), lens: Default::default() },
            50.0,
        ).map_err(TestCaseError::fail)?;
        for (i, (s, ns, arrival)) in stamps.iter().enumerate() {
            let mut smp = TrackerSample::from_freed(&FreedD1::from_units(1, [i as f64 * 7.0, 1.0, 2.0], [0.1, 0.2, 0.3], 0, 0));
            smp.source = parallax::tracking::Protocol::OpenTrackIo;
            smp.sender_time = Some(parallax::tracking::SenderTime { seconds: *s, nanoseconds: *ns });
            cam.push(*arrival, &smp);
        }
        let st = cam.at(query);
        prop_assert!(st.camera.pose.position.is_finite() && st.camera.pose.rotation.is_finite());
        prop_assert!((st.camera.pose.rotation.length() - 1.0).abs() < 1e-9);
        prop_assert!(st.horizon_s >= 0.0 && st.horizon_s <= 0.05 + 1e-12);
    }
}
