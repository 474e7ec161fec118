//! Tracking decoders, axis conventions, lens tables and timing: pure functions, no sockets.

use glam::{DMat4, DQuat, DVec3};
use parallax::camera::CameraState;
use parallax::camera::{Lens, Pose, pan_tilt_roll_to_quat};
use parallax::tracking::config::{Axis, Filter, LensPoint, LensTable, TimeSpan, TrackerTransform};
use parallax::tracking::freed::{self, FreedD1, FreedError};
use parallax::tracking::opentrackio::{
    self, Encoding, OtioError, Reassembler, decode_json, encode_packets, parse_packet,
};
use parallax::tracking::sample::otio_rotation;
use parallax::tracking::timing::{SampleBuffer, interpolate};
use parallax::tracking::transform::StageTransform;
use parallax::tracking::{CameraTracking, Protocol, TrackedCamera, TrackerSample, TrackingStatus};

#[path = "tracking/otio_spec.rs"]
mod otio_spec;
#[path = "tracking/time.rs"]
mod time;

fn data(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/opentrackio")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn close(a: DVec3, b: DVec3, tol: f64) -> bool {
    (a - b).length() < tol
}

// ---------------------------------------------------------------------------------------------
// FreeD decoder vectors, computed by hand from the specification.

/// cam 1, pan +90 deg, tilt -45 deg, roll +0.5 deg, X 1 m, Y -2.5 m, Z 1.5 m, zoom 256,
/// focus 0xFFFFFF; checksum 0x40 - sum = 0x9C.
const VECTOR_A: [u8; 29] = [
    0xD1, 0x01, // type, camera id
    0x2D, 0x00, 0x00, // pan 90 * 32768 = 0x2D0000
    0xE9, 0x80, 0x00, // tilt -45 * 32768 = -0x168000 -> 0xE98000
    0x00, 0x40, 0x00, // roll 0.5 * 32768 = 0x004000
    0x00, 0xFA, 0x00, // X 1000 mm * 64 = 0x00FA00
    0xFD, 0x8F, 0x00, // Y -2500 mm * 64 = -0x027100 -> 0xFD8F00
    0x01, 0x77, 0x00, // Z 1500 mm * 64 = 0x017700
    0x00, 0x01, 0x00, // zoom 256
    0xFF, 0xFF, 0xFF, // focus 16777215
    0x00, 0x00, // spare
    0x9C, // checksum
];

/// Extremes: cam 255, pan -256 deg (most negative), tilt most positive, roll -1 unit, X most
/// negative, Y most positive, Z 0, zoom max, focus 0, spare 0x1234; checksum 0x36.
const VECTOR_B: [u8; 29] = [
    0xD1, 0xFF, 0x80, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x7F, 0xFF,
    0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x12, 0x34, 0x36,
];

#[test]
fn freed_vector_positive_and_negative_values() {
    let m = freed::decode(&VECTOR_A).expect("valid vector");
    assert_eq!(m.camera_id, 1);
    assert_eq!(m.pan_deg(), 90.0);
    assert_eq!(m.tilt_deg(), -45.0);
    assert_eq!(m.roll_deg(), 0.5);
    assert_eq!(m.position_m(), [1.0, -2.5, 1.5]);
    assert_eq!((m.zoom, m.focus, m.spare), (256, 0xFF_FFFF, 0));
    assert_eq!(freed::encode(&m), VECTOR_A);
}

#[test]
fn freed_vector_extremes() {
    let m = freed::decode(&VECTOR_B).expect("valid vector");
    assert_eq!(m.camera_id, 255);
    assert_eq!(m.pan, -8_388_608);
    assert_eq!(m.pan_deg(), -256.0);
    assert_eq!(m.tilt, 8_388_607);
    assert_eq!(m.roll, -1);
    assert_eq!(m.x, -8_388_608);
    assert_eq!(m.y, 8_388_607);
    assert_eq!(m.z, 0);
    assert_eq!((m.zoom, m.focus, m.spare), (0xFF_FFFF, 0, 0x1234));
    assert_eq!(freed::encode(&m), VECTOR_B);
}

#[test]
fn freed_rejects_bad_checksum_type_and_length() {
    let mut bad = VECTOR_A;
    bad[28] = 0x9D;
    assert_eq!(
        freed::decode(&bad),
        Err(FreedError::Checksum {
            expected: 0x9C,
            found: 0x9D
        })
    );
    let mut flipped = VECTOR_A;
    flipped[5] ^= 0x01;
    assert!(matches!(
        freed::decode(&flipped),
        Err(FreedError::Checksum { .. })
    ));
    let mut wrong_type = VECTOR_A;
    wrong_type[0] = 0xD2;
    assert_eq!(freed::decode(&wrong_type), Err(FreedError::Type(0xD2)));
    assert_eq!(freed::decode(&VECTOR_A[..28]), Err(FreedError::Length(28)));
    assert_eq!(freed::decode(&[]), Err(FreedError::Length(0)));
    let mut long = VECTOR_A.to_vec();
    long.push(0);
    assert_eq!(freed::decode(&long), Err(FreedError::Length(30)));
}

// ---------------------------------------------------------------------------------------------
// Axis conventions: FreeD and OpenTrackIO to stage.

fn freed_sample(ptr: [f64; 3], pos: [f64; 3]) -> TrackerSample {
    TrackerSample::from_freed(&FreedD1::from_units(1, ptr, pos, 0, 0))
}

fn otio_sample(ptr: [f64; 3], pos: [f64; 3]) -> TrackerSample {
    TrackerSample {
        source: Protocol::OpenTrackIo,
        camera_id: 1,
        pan_deg: ptr[0],
        tilt_deg: ptr[1],
        roll_deg: ptr[2],
        x_m: pos[0],
        y_m: pos[1],
        z_m: pos[2],
        zoom: None,
        focus: None,
        lens: None,
        sender_time: None,
        sample_rate_hz: None,
    }
}

fn stage(s: &TrackerSample) -> Pose {
    StageTransform::default().apply(s)
}

fn up(p: &Pose) -> DVec3 {
    p.rotation * DVec3::Y
}

#[test]
fn freed_default_mapping_hand_cases() {
    let tol = 1e-6;
    // Pan 0 looks along FreeD +Y = stage -Z, image up = stage +Y.
    let p = stage(&freed_sample([0.0, 0.0, 0.0], [0.0; 3]));
    assert!(close(p.forward(), DVec3::NEG_Z, tol) && close(up(&p), DVec3::Y, tol));
    // FreeD pan +90 turns right, towards FreeD +X, which maps to stage +X.
    let p = stage(&freed_sample([90.0, 0.0, 0.0], [0.0; 3]));
    assert!(close(p.forward(), DVec3::X, tol), "{}", p.forward());
    let p = stage(&freed_sample([-90.0, 0.0, 0.0], [0.0; 3]));
    assert!(close(p.forward(), DVec3::NEG_X, tol));
    // Positive tilt looks up.
    let p = stage(&freed_sample([0.0, 30.0, 0.0], [0.0; 3]));
    let d = DVec3::new(0.0, 0.5, -(3f64.sqrt() / 2.0));
    assert!(close(p.forward(), d, tol), "{}", p.forward());
    // Positive roll is clockwise seen from behind: the image top swings to the camera's right.
    let p = stage(&freed_sample([0.0, 0.0, 90.0], [0.0; 3]));
    assert!(close(up(&p), DVec3::X, tol), "{}", up(&p));
    assert!(close(p.forward(), DVec3::NEG_Z, tol));
    // Pan right 90 and tilt up 10: forward is (cos 10, sin 10, 0).
    let p = stage(&freed_sample([90.0, 10.0, 0.0], [0.0; 3]));
    let t = 10f64.to_radians();
    assert!(close(p.forward(), DVec3::new(t.cos(), t.sin(), 0.0), tol));
    // Position: millimetres on the wire, Z up -> stage (X, Z, -Y) metres.
    let p = stage(&freed_sample([0.0; 3], [1.0, 2.0, 3.0]));
    assert!(close(p.position, DVec3::new(1.0, 3.0, -2.0), 1e-4));
    // Equivalent to stage pan = -FreeD pan, tilt = tilt, roll = -roll.
    for (pan, tilt, roll) in [(33.0, -12.0, 7.0), (-150.0, 40.0, -20.0)] {
        let p = stage(&freed_sample([pan, tilt, roll], [0.0; 3]));
        let q = pan_tilt_roll_to_quat(-pan, tilt, -roll);
        assert!(p.rotation.dot(q).abs() > 1.0 - 1e-9);
    }
}

#[test]
fn opentrackio_default_mapping_hand_cases() {
    let tol = 1e-9;
    let p = stage(&otio_sample([0.0; 3], [0.0; 3]));
    assert!(close(p.forward(), DVec3::NEG_Z, tol) && close(up(&p), DVec3::Y, tol));
    // Right-handed pan about Z up: +90 turns left, towards -X, like our pan.
    let p = stage(&otio_sample([90.0, 0.0, 0.0], [0.0; 3]));
    assert!(close(p.forward(), DVec3::NEG_X, tol), "{}", p.forward());
    let p = stage(&otio_sample([0.0, 30.0, 0.0], [0.0; 3]));
    assert!(p.forward().y > 0.49);
    // Right-handed roll about the forward axis (Y): clockwise seen from behind.
    let p = stage(&otio_sample([0.0, 0.0, 90.0], [0.0; 3]));
    assert!(close(up(&p), DVec3::X, tol), "{}", up(&p));
    let p = stage(&otio_sample([0.0; 3], [1.0, 2.0, 3.0]));
    assert!(close(p.position, DVec3::new(1.0, 3.0, -2.0), tol));
    for (pan, tilt, roll) in [(33.0, -12.0, 7.0), (-150.0, 40.0, -20.0)] {
        let p = stage(&otio_sample([pan, tilt, roll], [0.0; 3]));
        let q = pan_tilt_roll_to_quat(pan, tilt, -roll);
        assert!(p.rotation.dot(q).abs() > 1.0 - 1e-9);
        // The same physical pose sent as FreeD (pan reversed) lands on the same stage pose.
        let f = stage(&freed_sample([-pan, tilt, roll], [0.0; 3]));
        assert!(p.rotation.dot(f.rotation).abs() > 1.0 - 1e-9);
    }
}

#[test]
fn custom_transform_axes_rotation_offset_signs() {
    // A tracker whose +X points at the wall (stage -Z) and +Y to stage -X; origin at (1, 0, 2).
    let t = TrackerTransform {
        axes: (Axis::NegY, Axis::Z, Axis::NegX),
        offset: (1.0, 0.0, 2.0),
        ..Default::default()
    };
    let st = StageTransform::new(&t).expect("a rotation");
    let p = st.apply(&otio_sample([0.0; 3], [1.0, 0.0, 0.5]));
    assert!(close(p.position, DVec3::new(1.0, 0.5, 1.0), 1e-12));
    // Camera at zero angles looks along tracker +Y = stage -X.
    assert!(close(p.forward(), DVec3::NEG_X, 1e-12));
    // A stage rotation of the tracker frame: pan 90 turns everything left.
    let t = TrackerTransform {
        rotation: parallax::camera::Orientation::PanTiltRoll(90.0, 0.0, 0.0),
        ..Default::default()
    };
    let p = StageTransform::new(&t)
        .expect("valid")
        .apply(&otio_sample([0.0; 3], [0.0, 1.0, 0.0]));
    assert!(close(p.position, DVec3::NEG_X, 1e-12));
    assert!(close(p.forward(), DVec3::NEG_X, 1e-12));
    // Inverted pan turns a FreeD tracker with the opposite sense around.
    let t = TrackerTransform {
        invert_pan: true,
        ..Default::default()
    };
    let p = StageTransform::new(&t)
        .expect("valid")
        .apply(&freed_sample([90.0, 0.0, 0.0], [0.0; 3]));
    assert!(close(p.forward(), DVec3::NEG_X, 1e-6));
    // Mirrors and repeated axes are refused with a reason.
    for axes in [
        (Axis::X, Axis::Y, Axis::Y),
        (Axis::X, Axis::Z, Axis::Y),
        (Axis::NegX, Axis::Z, Axis::NegY),
    ] {
        let t = TrackerTransform {
            axes,
            ..Default::default()
        };
        assert!(StageTransform::new(&t).is_err(), "{axes:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// OpenTrackIO samples, header, segments, CBOR.

const EXAMPLES: [&str; 4] = [
    "complete_dynamic_example.json",
    "complete_static_example.json",
    "recommended_dynamic_example.json",
    "recommended_static_example.json",
];

#[test]
fn opentrackio_examples_decode() {
    for name in EXAMPLES {
        let s = decode_json(&data(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(s.source, Protocol::OpenTrackIo);
        assert_eq!(s.camera_id, 1, "{name}");
        let lens = s.lens.as_ref().expect("lens block");
        assert_eq!(lens.focal_length_mm, Some(24.305));
        assert_eq!(lens.focus_distance_m, Some(10.0));
        assert_eq!(lens.entrance_pupil_m, Some(0.123));
        assert_eq!(lens.shift_mm, Some((0.1, 0.2)));
        assert!(lens.distortion.is_some());
        let static_block = name.contains("static");
        assert_eq!(lens.sensor_mm.is_some(), static_block, "{name}");
        if static_block {
            assert_eq!(lens.sensor_mm, Some((36.0, 24.0)));
        }
        // Only the complete static example states a squeeze (1/1: a spherical lens).
        let squeeze = (name == "complete_static_example.json").then_some(1.0);
        assert_eq!(lens.squeeze, squeeze, "{name}");
        if name.starts_with("complete") {
            assert_eq!((s.zoom, s.focus), (Some(3000.0), Some(1000.0)));
        }
    }
}

#[test]
fn opentrackio_single_transform_is_kept_as_sent() {
    let s = decode_json(&data("recommended_dynamic_example.json")).expect("decodes");
    assert_eq!(
        (s.pan_deg, s.tilt_deg, s.roll_deg),
        (180.0, 90.0, 45.0),
        "angles as sent"
    );
    assert_eq!((s.x_m, s.y_m, s.z_m), (1.0, 2.0, 3.0));
    // Tilt 90 looks straight up; position (1, 2, 3) Z-up -> stage (1, 3, -2).
    let p = stage(&s);
    assert!(close(p.forward(), DVec3::Y, 1e-9), "{}", p.forward());
    assert!(close(p.position, DVec3::new(1.0, 3.0, -2.0), 1e-12));
}

#[test]
fn opentrackio_transforms_compose_parent_first() {
    let s = decode_json(&data("complete_dynamic_example.json")).expect("decodes");
    // Independent composition with 4x4 matrices: M = T0 R0 * T1 R1 S1 * T2 R2 S2.
    let r = otio_rotation(180.0, 90.0, 45.0);
    let t = DVec3::new(1.0, 2.0, 3.0);
    let sc = DVec3::new(1.0, 2.0, 3.0);
    let m0 = DMat4::from_rotation_translation(r, t);
    let m1 = DMat4::from_scale_rotation_translation(sc, r, t);
    let m = m0 * m1 * m1;
    let want = m.transform_point3(DVec3::ZERO);
    assert!(
        close(s.position(), want, 1e-9),
        "{} vs {want}",
        s.position()
    );
    let q = s.tracker_rotation([false; 3]);
    assert!(q.dot(r * r * r).abs() > 1.0 - 1e-9);
}

/// OpenTrackIO's `anamorphicSqueeze` (num / denom, the height / width ratio of a square's image on
/// the sensor) becomes the stage lens's squeeze, which doubles the horizontal field of a 2x lens;
/// a squeeze that is not a positive rational is left out; encoding writes it back.
#[test]
fn opentrackio_anamorphic_squeeze_reaches_the_lens() {
    let text = data("complete_static_example.json");
    let anchor = "\"anamorphicSqueeze\": {\n        \"num\": 1,\n        \"denom\": 1\n      }";
    assert!(text.contains(anchor), "the example's squeeze block changed");
    let with = |num: i64, denom: i64| {
        let t = text.replace(
            anchor,
            &format!("\"anamorphicSqueeze\": {{\"num\": {num}, \"denom\": {denom}}}"),
        );
        decode_json(&t).expect("decodes")
    };
    let s = with(2, 1);
    assert_eq!(s.lens.as_ref().and_then(|l| l.squeeze), Some(2.0));
    let s13 = with(4, 3);
    assert_eq!(s13.lens.as_ref().and_then(|l| l.squeeze), Some(4.0 / 3.0));
    assert_eq!(with(0, 1).lens.as_ref().and_then(|l| l.squeeze), None);
    // Through a tracked camera: the sample's lens on a 36 x 24 mm sensor at 24.305 mm.
    let cam = TrackedCamera::new(&CameraTracking::default(), base(), 50.0).expect("valid");
    let lens = cam.stage_camera(&s).lens;
    assert_eq!(lens.squeeze, 2.0);
    let t = lens.frame_tangents();
    let half = 2.0 * (36.0 / 2.0 - 0.1) / 24.305;
    assert!((t.left + half).abs() < 1e-12, "{t:?}");
    // Vertically unchanged: (24 / 2 + shift 0.2) / f.
    assert!((t.top - (12.0 + 0.2) / 24.305).abs() < 1e-12, "{t:?}");
    // Encoded and decoded again: the same squeeze.
    let again = opentrackio::decode_payload(Encoding::Json, &opentrackio::encode_json(&s))
        .expect("round trip");
    assert_eq!(again.lens.as_ref().and_then(|l| l.squeeze), Some(2.0));
}

fn example_payload() -> Vec<u8> {
    data("complete_static_example.json").into_bytes()
}

#[test]
fn opentrackio_packet_round_trip_and_rejections() {
    let payload = example_payload();
    let packets = encode_packets(Encoding::Json, 7, &payload, 32767);
    assert_eq!(packets.len(), 1);
    let (h, seg) = parse_packet(&packets[0]).expect("valid");
    assert_eq!(
        (h.encoding, h.sequence, h.segment_offset, h.last_segment),
        (Encoding::Json, 7, 0, true)
    );
    assert_eq!(seg, payload.as_slice());
    let direct = opentrackio::decode_packet(&packets[0]).expect("decodes");
    assert_eq!(
        direct,
        decode_json(&data("complete_static_example.json")).expect("x")
    );

    let mut bad = packets[0].clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x20;
    assert!(matches!(
        parse_packet(&bad),
        Err(OtioError::Checksum { .. })
    ));
    let mut bad = packets[0].clone();
    bad[0] = b'X';
    assert_eq!(parse_packet(&bad), Err(OtioError::Identifier));
    let mut bad = packets[0].clone();
    bad[5] = 0x03;
    assert_eq!(parse_packet(&bad), Err(OtioError::Encoding(3)));
    assert!(matches!(
        parse_packet(&packets[0][..packets[0].len() - 1]),
        Err(OtioError::Length { .. })
    ));
    assert!(matches!(
        parse_packet(b"OTrk"),
        Err(OtioError::Length { .. })
    ));
    // A valid packet whose payload is not a sample.
    let p = encode_packets(Encoding::Json, 1, b"{\"lens\":{}}", 1000);
    assert!(matches!(
        opentrackio::decode_packet(&p[0]),
        Err(OtioError::Sample(_))
    ));
    let p = encode_packets(Encoding::Json, 1, b"{not json", 1000);
    assert!(matches!(
        opentrackio::decode_packet(&p[0]),
        Err(OtioError::Payload(_))
    ));
}

fn reassemble(packets: &[Vec<u8>], r: &mut Reassembler) -> Option<(Encoding, Vec<u8>)> {
    let mut out = None;
    for p in packets {
        let (h, seg) = parse_packet(p).expect("valid packet");
        if let Some(done) = r.push(&h, seg).expect("fits") {
            assert!(out.is_none(), "completed twice");
            out = Some((done.encoding, done.payload));
        }
    }
    out
}

#[test]
fn opentrackio_segmented_payloads_reassemble_in_any_order() {
    let payload = example_payload();
    let packets = encode_packets(Encoding::Json, 42, &payload, 500);
    assert!(packets.len() > 5);
    let mut r = Reassembler::default();
    let (_, whole) = reassemble(&packets, &mut r).expect("complete");
    assert_eq!(whole, payload);
    // Reversed and interleaved orders too (fresh sequence numbers: a packet seen before is refused).
    let mut rev = encode_packets(Encoding::Json, 1042, &payload, 500);
    rev.reverse();
    assert_eq!(reassemble(&rev, &mut r).map(|x| x.1), Some(payload.clone()));
    let packets = encode_packets(Encoding::Json, 2042, &payload, 500);
    let mut odd_even: Vec<Vec<u8>> = packets.iter().skip(1).step_by(2).cloned().collect();
    odd_even.extend(packets.iter().step_by(2).cloned());
    assert_eq!(
        reassemble(&odd_even, &mut r).map(|x| x.1),
        Some(payload.clone())
    );
    assert_eq!(r.abandoned, 0);
}

#[test]
fn opentrackio_cbor_payload_decodes_like_json() {
    for name in EXAMPLES {
        let value: serde_json::Value = serde_json::from_str(&data(name)).expect("json");
        let mut cbor = Vec::new();
        ciborium::into_writer(&value, &mut cbor).expect("cbor");
        let packets = encode_packets(Encoding::Cbor, 9, &cbor, 400);
        let mut r = Reassembler::default();
        let (enc, bytes) = reassemble(&packets, &mut r).expect("complete");
        assert_eq!(enc, Encoding::Cbor);
        let from_cbor = opentrackio::decode_payload(enc, &bytes).expect("decodes");
        assert_eq!(from_cbor, decode_json(&data(name)).expect("json"), "{name}");
    }
    // CBOR integers where floats are expected still decode.
    let v = serde_json::json!({"transforms": [{"translation": {"x": 1, "y": 2, "z": 3},
        "rotation": {"pan": 90, "tilt": 0, "roll": 0}}], "sourceNumber": 4});
    let mut cbor = Vec::new();
    ciborium::into_writer(&v, &mut cbor).expect("cbor");
    let s = opentrackio::decode_payload(Encoding::Cbor, &cbor).expect("decodes");
    assert_eq!((s.camera_id, s.pan_deg, s.z_m), (4, 90.0, 3.0));
}

// ---------------------------------------------------------------------------------------------
// Stage file, lens table, timing.

fn base() -> CameraState {
    CameraState {
        pose: Pose::default(),
        lens: Lens::default(),
    }
}

#[test]
fn stage_file_tracking_block_parses() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/demo.ron"),
    )
    .expect("demo stage");
    let anchor =
        "inner: Inner(resolution: (1920, 1280), overscan: Uniform(0.15), soft_edge: 0.05),";
    assert!(text.contains(anchor));
    let tracking = r#"
            tracking: Some(CameraTracking(
                protocol: FreeD,
                camera_id: 3,
                bind: Some("0.0.0.0:40000"),
                allow: ["10.0.0.5"],
                transform: TrackerTransform(axes: (X, Z, NegY), offset: (0.0, 0.0, 0.5)),
                latency: Frames(7.0),
                video_delay: Ms(20.0),
                filter: OneEuro(min_cutoff: 1.0, beta: 0.3, d_cutoff: 1.0),
                dropout_ms: 120.0,
                lens_table: LensTable(points: [
                    LensPoint(zoom: 0.0, focus: 0.0, focal_length_mm: 18.0, focus_distance_m: 0.5),
                    LensPoint(zoom: 4000.0, focus: 0.0, focal_length_mm: 80.0, focus_distance_m: 0.5,
                              entrance_pupil_m: 0.12, distortion: (k1: -0.02)),
                ]),
            )),"#;
    let text = text.replace(anchor, &format!("{anchor}{tracking}"));
    let file = parallax::stage::parse(&text, "demo.ron").expect("parses");
    let cfg = file.cameras[0].tracking.clone().expect("tracking");
    assert_eq!(cfg.protocol, Protocol::FreeD);
    assert_eq!(cfg.camera_id, 3);
    assert_eq!(cfg.bind_addr().port(), 40000);
    assert_eq!(cfg.latency, TimeSpan::Frames(7.0));
    assert_eq!(cfg.video_delay, TimeSpan::Ms(20.0));
    assert!(matches!(cfg.filter, Filter::OneEuro { beta, .. } if beta == 0.3));
    assert_eq!(cfg.lens_table.points.len(), 2);
    assert!(cfg.problems().is_empty(), "{:?}", cfg.problems());
    assert_eq!(cfg.latency.seconds(file.frame_rate), 7.0 / 50.0);
    // The removed `delay` is an error naming its replacements, located in the file.
    let old = text.replace(
        anchor,
        &format!("{anchor}{}", tracking.replace("latency:", "delay:")),
    );
    let err = parallax::stage::parse(&old, "demo.ron")
        .expect_err("delay is refused")
        .to_string();
    assert!(
        err.contains("`delay` was removed")
            && err.contains("latency")
            && err.contains("video_delay"),
        "{err}"
    );
    let line = old
        .lines()
        .position(|l| l.contains("delay: Frames(7.0)"))
        .expect("line")
        + 1;
    assert!(err.contains(&format!("demo.ron:{line}:")), "{err}");
    // Defaults: FreeD on 40000, no latency, no filter.
    let d = CameraTracking::default();
    assert_eq!(d.bind_addr().port(), 40000);
    assert_eq!(
        CameraTracking::new(Protocol::OpenTrackIo, 1)
            .bind_addr()
            .port(),
        55555
    );
}

#[test]
fn lens_table_drives_the_stage_lens() {
    let cfg = CameraTracking {
        lens_table: LensTable {
            points: vec![
                LensPoint {
                    zoom: 0.0,
                    focus: 0.0,
                    focal_length_mm: 20.0,
                    focus_distance_m: 1.0,
                    entrance_pupil_m: 0.1,
                    distortion: Default::default(),
                },
                LensPoint {
                    zoom: 1000.0,
                    focus: 0.0,
                    focal_length_mm: 60.0,
                    focus_distance_m: 1.0,
                    entrance_pupil_m: 0.2,
                    distortion: Default::default(),
                },
            ],
            ..Default::default()
        },
        ..Default::default()
    };
    let cam = TrackedCamera::new(&cfg, base(), 50.0).expect("valid");
    let s = TrackerSample::from_freed(&FreedD1::from_units(1, [0.0; 3], [0.0; 3], 250, 0));
    let c = cam.stage_camera(&s);
    assert_eq!(c.lens.focal_length_mm, 30.0);
    assert!((c.lens.entrance_pupil_m - 0.125).abs() < 1e-12);
    // The sensor comes from the stage camera's lens.
    assert_eq!(c.lens.sensor_mm, Lens::default().sensor_mm);
}

fn cam_at(x: f64, pan: f64) -> CameraState {
    CameraState {
        pose: Pose {
            position: DVec3::new(x, 0.0, 0.0),
            rotation: pan_tilt_roll_to_quat(pan, 0.0, 0.0),
        },
        lens: Lens::default(),
    }
}

#[test]
fn buffer_interpolates_positions_linearly_and_rotations_by_slerp() {
    let mut b = SampleBuffer::new(16);
    b.push(1.0, cam_at(0.0, 0.0));
    b.push(2.0, cam_at(2.0, 60.0));
    // Out of order: inserted in place.
    b.push(0.0, cam_at(-5.0, 0.0));
    let c = b.at(1.25).expect("samples");
    assert!((c.pose.position.x - 0.5).abs() < 1e-12);
    let want = pan_tilt_roll_to_quat(15.0, 0.0, 0.0);
    assert!(c.pose.rotation.dot(want).abs() > 1.0 - 1e-12);
    // Held outside the buffered range.
    assert_eq!(b.at(10.0).map(|c| c.pose.position.x), Some(2.0));
    assert_eq!(b.at(-10.0).map(|c| c.pose.position.x), Some(-5.0));
    assert!(SampleBuffer::new(4).at(0.0).is_none());
}

#[test]
fn pan_wrap_at_180_never_jumps() {
    // FreeD pan goes 170, 179, -179 (= 181), -170: the frustum must turn smoothly.
    let cfg = CameraTracking::default();
    let mut cam = TrackedCamera::new(&cfg, base(), 50.0).expect("valid");
    for (i, pan) in [170.0, 179.0, -179.0, -170.0].into_iter().enumerate() {
        cam.push(i as f64 * 0.02, &freed_sample([pan, 0.0, 0.0], [0.0; 3]));
    }
    let mut prev = cam.at(0.0).camera.pose.forward();
    for k in 1..=60 {
        let f = cam.at(k as f64 * 0.001).camera.pose.forward();
        let step = prev.angle_between(f).to_degrees();
        assert!(step < 0.6, "step of {step} deg at {k} ms");
        prev = f;
    }
    // Half-way between 179 and -179 the camera looks along FreeD pan 180: stage +Z.
    let mid = cam.at(0.03).camera.pose.forward();
    assert!(close(mid, DVec3::Z, 1e-6), "{mid}");
}

#[test]
fn dropout_holds_the_last_pose_and_reports_it() {
    let cfg = CameraTracking {
        dropout_ms: 100.0,
        ..Default::default()
    };
    let mut cam = TrackedCamera::new(&cfg, base(), 50.0).expect("valid");
    assert_eq!(cam.at(0.0).status, TrackingStatus::NoData);
    assert_eq!(cam.at(0.0).camera, base());
    cam.push(1.0, &freed_sample([10.0, 0.0, 0.0], [1.0, 0.0, 0.0]));
    assert_eq!(cam.at(1.05).status, TrackingStatus::Live);
    let late = cam.at(1.5);
    assert!(matches!(late.status, TrackingStatus::Dropout { for_s } if (for_s - 0.5).abs() < 1e-9));
    assert_eq!(late.camera, cam.at(1.05).camera);
}

#[test]
fn one_euro_filter_reduces_jitter_and_follows_moves() {
    let filtered = CameraTracking {
        filter: Filter::OneEuro {
            min_cutoff: 1.0,
            beta: 0.0,
            d_cutoff: 1.0,
        },
        ..Default::default()
    };
    let mut a = TrackedCamera::new(&filtered, base(), 100.0).expect("valid");
    let mut b = TrackedCamera::new(&CameraTracking::default(), base(), 100.0).expect("valid");
    let mut err_a = 0.0;
    let mut err_b = 0.0;
    for i in 0..200 {
        let t = i as f64 * 0.01;
        // Deterministic +-2 mm jitter around x = 1 m, pan 179 <-> -179 alternating.
        let jitter = if i % 2 == 0 { 0.002 } else { -0.002 };
        let pan = if i % 2 == 0 { 179.9 } else { -179.9 };
        let s = freed_sample([pan, 0.0, 0.0], [1.0 + jitter, 0.0, 0.0]);
        a.push(t, &s);
        b.push(t, &s);
        if i > 100 {
            err_a += (a.at(t).camera.pose.position.x - 1.0).abs();
            err_b += (b.at(t).camera.pose.position.x - 1.0).abs();
            // Filtering the quaternion never flips through the +-180 seam.
            let f = a.at(t).camera.pose.forward();
            assert!(f.z > 0.99, "{f}");
        }
    }
    assert!(err_a < err_b * 0.2, "{err_a} vs {err_b}");
}

#[test]
fn interpolate_endpoints_are_exact() {
    let a = cam_at(1.0, -170.0);
    let b = cam_at(3.0, 170.0);
    assert_eq!(interpolate(&a, &b, 0.0).pose.position, a.pose.position);
    assert!(
        interpolate(&a, &b, 1.0)
            .pose
            .rotation
            .dot(b.pose.rotation)
            .abs()
            > 1.0 - 1e-12
    );
    // Across the seam the midpoint is pan 180, not pan 0.
    let mid = interpolate(&a, &b, 0.5).pose.forward();
    assert!(close(mid, DVec3::Z, 1e-9), "{mid}");
    let _ = DQuat::IDENTITY;
}

#[test]
fn documented_tracking_block_parses() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/tracking.md")).expect("docs");
    let start = doc
        .find("    tracking: Some(CameraTracking(")
        .expect("example");
    let end = start + doc[start..].find("\n    )),").expect("end of example") + "\n    )),".len();
    let block = &doc[start..end];
    let stage = std::fs::read_to_string(root.join("assets/stages/demo.ron")).expect("demo");
    let anchor =
        "inner: Inner(resolution: (1920, 1280), overscan: Uniform(0.15), soft_edge: 0.05),";
    for protocol in ["FreeD", "OpenTrackIO"] {
        let block = block.replace("protocol: FreeD", &format!("protocol: {protocol}"));
        let text = stage.replace(anchor, &format!("{anchor}\n{block}"));
        let file = parallax::stage::parse(&text, "doc").unwrap_or_else(|e| panic!("{e}"));
        let cfg = file.cameras[0].tracking.clone().expect("tracking");
        assert!(cfg.problems().is_empty(), "{:?}", cfg.problems());
        assert_eq!(cfg.lens_table.points.len(), 4);
        assert_eq!(cfg.protocol.name(), protocol.to_lowercase());
    }
}

#[test]
fn opentrackio_encoder_round_trips_samples() {
    for name in EXAMPLES {
        let s = decode_json(&data(name)).expect("decodes");
        let mut back = opentrackio::decode_payload(Encoding::Json, &opentrackio::encode_json(&s))
            .expect("re-decodes");
        // Distortion travels in sensor mm (scaled by powers of the focal length): equal to the
        // last bits, not bit for bit.
        let d = |x: &parallax::tracking::TrackerSample| {
            x.lens
                .as_ref()
                .and_then(|l| l.distortion)
                .expect("distortion")
        };
        let (a, b) = (d(&s), d(&back));
        for (x, y) in [
            (a.k1, b.k1),
            (a.k2, b.k2),
            (a.k3, b.k3),
            (a.p1, b.p1),
            (a.p2, b.p2),
        ] {
            assert!((x - y).abs() <= 1e-12 * x.abs(), "{name}: {x} vs {y}");
        }
        if let Some(l) = back.lens.as_mut() {
            l.distortion = Some(a);
        }
        assert_eq!(back, s, "{name}");
    }
    let f = freed_sample([12.5, -3.0, 1.0], [0.25, -1.5, 1.75]);
    let back = decode_json(std::str::from_utf8(&opentrackio::encode_json(&f)).expect("utf-8"))
        .expect("decodes");
    assert_eq!(
        (back.pan_deg, back.x_m, back.zoom),
        (f.pan_deg, f.x_m, f.zoom)
    );
}
