//! OpenTrackIO and OpenLensIO conformance, one test (or more) per rule; the table in
//! `docs/tracking.md` maps each rule to its test. Oracles: hand-computed checksums, the field
//! packets of `tests/data/field/` with their stated right values, and the example samples.

use std::path::Path;

use parallax::camera::{CameraState, OverscanRule};
use parallax::render::{FrameInputs, Overrides};
use parallax::tracking::config::{LensPoint, LensTable, TableEncoders};
use parallax::tracking::opentrackio::{
    self, Encoding, Message, MessageOrder, OtioError, Reassembler, SPEC_SEGMENT, decode_json,
    encode_packets, fletcher16, fletcher16_mod255, parse_packet, parse_packet_with,
};
use parallax::tracking::{CameraTracking, Protocol, TrackedCamera, TrackerSample};

fn field(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/field")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn example(name: &str) -> TrackerSample {
    decode_json(&super::data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn push_all(r: &mut Reassembler, packets: &[Vec<u8>]) -> Vec<Message> {
    let mut out = Vec::new();
    for p in packets {
        let (h, seg) = parse_packet(p).expect("valid packet");
        if let Some(m) = r.push(&h, seg).expect("accepted") {
            out.push(m);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Checksum.

/// Header "OTrk", reserved 0, JSON, sequence 1, offset 0, last + length 2, payload "{}".
/// Bytes 79 84 114 107 0 1 0 1 0 0 0 0 128 2 123 125. Modulus 256:
/// sum1 = 79, 163, 21, 128, 128, 129, 129, 130, 130, 130, 130, 130, 2, 4, 127, 252 (0xFC);
/// sum2 = 79, 242, 7, 135, 7, 136, 9, 139, 13, 143, 17, 147, 149, 153, 24, 20 (0x14): 0x14FC.
/// The older modulus 255 gives 0x2DFE.
const HAND_PACKET: [u8; 18] = [
    b'O', b'T', b'r', b'k', 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80, 0x02, 0x14, 0xFC,
    b'{', b'}',
];

#[test]
fn otio_checksum_is_fletcher16_mod256_by_hand() {
    assert_eq!(fletcher16(&[&HAND_PACKET[..14], b"{}"]), 0x14FC);
    assert_eq!(fletcher16_mod255(&[&HAND_PACKET[..14], b"{}"]), 0x2DFE);
    // "abcde": sum1 97, 195, 38, 138, 239; sum2 97, 36, 74, 212, 195.
    assert_eq!(fletcher16(&[b"abcde"]), 0xC3EF);
    let (h, seg) = parse_packet(&HAND_PACKET).expect("spec checksum accepted");
    assert_eq!(
        (h.sequence, h.segment_offset, h.last_segment, h.payload_len),
        (1, 0, true, 2)
    );
    assert!(!h.legacy_checksum);
    assert_eq!(seg, b"{}");
    // Our sender writes the same bytes.
    assert_eq!(
        encode_packets(Encoding::Json, 1, b"{}", SPEC_SEGMENT),
        vec![HAND_PACKET.to_vec()]
    );
}

#[test]
fn otio_field_checksum_packets_decode_to_the_example() {
    let want = example("recommended_dynamic_example.json");
    let json = field("otio-checksum/json-mod256.bin");
    let (h, _) = parse_packet(&json).expect("json packet accepted");
    assert_eq!(h.checksum, 0x94EE, "README: the field's checksum");
    assert_eq!(h.encoding, Encoding::Json);
    assert_eq!(opentrackio::decode_packet(&json).expect("json"), want);
    let cbor = field("otio-checksum/cbor-mod256.bin");
    let (h, _) = parse_packet(&cbor).expect("cbor packet accepted");
    assert_eq!(h.encoding, Encoding::Cbor);
    assert_eq!(opentrackio::decode_packet(&cbor).expect("cbor"), want);
}

#[test]
fn otio_legacy_mod255_checksum_only_when_configured() {
    // The README: modulus 255 gives 0x0904 for the field JSON packet.
    let mut legacy = field("otio-checksum/json-mod256.bin");
    legacy[14..16].copy_from_slice(&0x0904u16.to_be_bytes());
    assert!(matches!(
        parse_packet(&legacy),
        Err(OtioError::Checksum {
            expected: 0x94EE,
            found: 0x0904
        })
    ));
    let (h, _) = parse_packet_with(&legacy, true).expect("legacy accepted when asked");
    assert!(h.legacy_checksum);
    // A wrong checksum stays wrong either way.
    legacy[15] ^= 1;
    assert!(parse_packet_with(&legacy, true).is_err());
    // The stage-file setting: off unless written.
    assert!(!CameraTracking::default().legacy_checksum);
    let t: CameraTracking =
        ron::from_str("CameraTracking(protocol: OpenTrackIO, legacy_checksum: true)")
            .expect("parses");
    assert!(t.legacy_checksum);
    assert!(t.problems().is_empty());
}

#[test]
fn otio_multicast_interface_setting_is_checked() {
    // The multicast interface setting only makes sense with a multicast bind.
    let t: CameraTracking = ron::from_str(
        "CameraTracking(protocol: OpenTrackIO, bind: Some(\"239.135.1.1:55555\"), interface: Some(\"127.0.0.1\"))",
    )
    .expect("parses");
    assert!(t.problems().is_empty(), "{:?}", t.problems());
    let t: CameraTracking = ron::from_str(
        "CameraTracking(protocol: OpenTrackIO, bind: Some(\"0.0.0.0:55555\"), interface: Some(\"127.0.0.1\"))",
    )
    .expect("parses");
    assert_eq!(t.problems().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Segmentation, sequence numbers, duplicates, late messages.

#[test]
fn otio_field_segments_reassemble_to_the_example() {
    let want = example("complete_static_example.json");
    for (names, enc, first) in [
        (&["json-0", "json-1", "json-2"][..], Encoding::Json, 100u16),
        (&["cbor-0", "cbor-1"][..], Encoding::Cbor, 200),
    ] {
        let packets: Vec<Vec<u8>> = names
            .iter()
            .map(|n| field(&format!("otio-segments/{n}.bin")))
            .collect();
        // Each packet its own sequence number; offsets contiguous; last flag on the last only.
        let mut offset = 0u32;
        for (k, p) in packets.iter().enumerate() {
            let (h, seg) = parse_packet(p).expect("valid");
            assert_eq!(h.sequence, first + k as u16);
            assert_eq!(h.segment_offset, offset);
            assert_eq!(h.last_segment, k + 1 == packets.len());
            offset += seg.len() as u32;
        }
        let mut r = Reassembler::default();
        let msgs = push_all(&mut r, &packets);
        assert_eq!(msgs.len(), 1, "{enc:?}: one message");
        assert_eq!((msgs[0].encoding, msgs[0].sequence), (enc, first));
        let s = opentrackio::decode_payload(enc, &msgs[0].payload).expect("decodes");
        assert_eq!(s, want, "{enc:?}");
        // Our sender splits and numbers that payload into the very same packets.
        assert_eq!(
            encode_packets(enc, first, &msgs[0].payload, SPEC_SEGMENT),
            packets
        );
    }
}

#[test]
fn otio_overlapping_sequence_ranges_of_the_reference_sender() {
    // The reference sender advances its counter by one per message while numbering each packet of
    // a message +1: message n uses n, n+1, n+2. Five such messages, in order, all complete.
    let payload = super::data("complete_static_example.json").into_bytes();
    let mut r = Reassembler::default();
    let mut got = Vec::new();
    for n in 0..5u16 {
        let packets = encode_packets(Encoding::Json, 65534u16.wrapping_add(n), &payload, 2000);
        assert_eq!(packets.len(), 3);
        got.extend(push_all(&mut r, &packets));
    }
    let seqs: Vec<u16> = got.iter().map(|m| m.sequence).collect();
    assert_eq!(seqs, vec![65534, 65535, 0, 1, 2]);
    assert!(got.iter().all(|m| m.payload == payload));
    assert_eq!(r.abandoned, 0);
}

#[test]
fn otio_lost_piece_abandons_only_its_message() {
    let payload = super::data("complete_static_example.json").into_bytes();
    let mut r = Reassembler::default();
    let mut lossy = encode_packets(Encoding::Json, 10, &payload, 1000);
    lossy.remove(2);
    assert!(push_all(&mut r, &lossy).is_empty());
    // Later messages still complete; the unfinished one is dropped once far enough behind.
    for k in 0..10u16 {
        let m = push_all(
            &mut r,
            &encode_packets(Encoding::Json, 20 + 50 * k, &payload, 1000),
        );
        assert_eq!(m.len(), 1);
    }
    assert_eq!(r.abandoned, 1);
}

#[test]
fn otio_duplicate_packets_are_processed_once() {
    let packets = encode_packets(Encoding::Json, 5, b"{\"transforms\": []}", 8);
    let mut r = Reassembler::default();
    let (h, seg) = parse_packet(&packets[0]).expect("valid");
    assert_eq!(r.push(&h, seg), Ok(None));
    assert_eq!(r.push(&h, seg), Err(OtioError::Duplicate));
    // A whole single-packet message repeated (e.g. heard on two interfaces): once.
    let single = encode_packets(Encoding::Json, 900, b"{}", SPEC_SEGMENT);
    assert_eq!(push_all(&mut r, &single).len(), 1);
    let (h, seg) = parse_packet(&single[0]).expect("valid");
    assert_eq!(r.push(&h, seg), Err(OtioError::Duplicate));
}

#[test]
fn otio_late_messages_never_replace_newer_ones_per_source() {
    let mut o = MessageOrder::default();
    assert_eq!(o.check(1, 10), Ok(()));
    assert_eq!(o.check(1, 12), Ok(()));
    assert_eq!(o.check(1, 11), Err(OtioError::Late));
    assert_eq!(o.check(1, 12), Err(OtioError::Duplicate));
    // Another source number has its own order.
    assert_eq!(o.check(2, 3), Ok(()));
    // Across the 16-bit wrap, 1 follows 65535.
    assert_eq!(o.check(3, 65535), Ok(()));
    assert_eq!(o.check(3, 1), Ok(()));
    assert_eq!(o.check(3, 65534), Err(OtioError::Late));
    // Far behind: a restarted sender, accepted.
    assert_eq!(o.check(1, 12u16.wrapping_sub(5000)), Ok(()));
}

#[test]
fn tracked_camera_keeps_the_newest_pose_when_an_older_sample_comes_last() {
    let cfg = CameraTracking::new(Protocol::OpenTrackIo, 1);
    let mut cam = TrackedCamera::new(&cfg, super::base(), 50.0).expect("valid");
    cam.push(1.0, &super::otio_sample([0.0; 3], [1.0, 0.0, 0.0]));
    cam.push(0.5, &super::otio_sample([0.0; 3], [5.0, 0.0, 0.0]));
    // At the newest sample's time (no prediction horizon): the newest pose, not the late one.
    let now = cam.at(1.0).camera.pose.position;
    assert!((now.x - 1.0).abs() < 1e-12, "{now}");
}

// ---------------------------------------------------------------------------------------------
// Lens: OpenLensIO distortion, offsets, encoders.

fn lens_sample(lens: serde_json::Value) -> TrackerSample {
    let v = serde_json::json!({
        "static": {"camera": {"activeSensorPhysicalDimensions": {"width": 36.0, "height": 24.0}}},
        "lens": lens,
        "transforms": [{"translation": {"x": 0, "y": 0, "z": 1.5},
            "rotation": {"pan": 0, "tilt": 0, "roll": 0}}],
    });
    decode_json(&v.to_string()).expect("decodes")
}

#[test]
fn otio_field_distortion_sample_in_openlensio_units() {
    let text = String::from_utf8(field("otio-distortion-sample.json")).expect("utf-8");
    let s = decode_json(&text).expect("decodes");
    let cam = TrackedCamera::new(
        &CameraTracking::new(Protocol::OpenTrackIo, 1),
        super::base(),
        50.0,
    )
    .expect("valid");
    let state = cam.stage_camera(&s);
    let d = state.lens.distortion;
    assert!((d.k1 + 0.12).abs() < 1e-12, "k1 {}", d.k1);
    assert!((d.k2 - 0.03).abs() < 1e-12, "k2 {}", d.k2);
    assert_eq!((d.k3, d.p1, d.p2), (0.0, 0.0, 0.0));
    let stage = parallax::stage::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
    )
    .expect("stage");
    let overrides = Overrides {
        overscan: Some(OverscanRule::Auto { margin: 0.0 }),
        soft_edge: Some(0.0),
        ..Default::default()
    };
    let state = CameraState {
        pose: Default::default(),
        lens: state.lens,
    };
    let f = FrameInputs::resolve(&stage, "A", &state, &overrides).expect("resolves");
    let t = f.inner_tangents;
    for (got, want) in [
        (t.left, -0.8230),
        (t.right, 0.8230),
        (t.bottom, -0.5487),
        (t.top, 0.5487),
    ] {
        assert!((got - want).abs() < 1e-4, "{t:?}");
    }
}

#[test]
fn otio_radial_terms_alternate_numerator_and_denominator() {
    let f = 20.0;
    // Denominator only: r (1) / (1 + b1 r^2) ~ r (1 - b1 r^2 + b1^2 r^4 - b1^3 r^6).
    let b1 = 1e-4;
    let s = lens_sample(serde_json::json!({"pinholeFocalLength": f,
        "distortion": [{"model": "Brown-Conrady U-D", "radial": [0.0, b1]}]}));
    let d = s.lens.and_then(|l| l.distortion).expect("distortion");
    let b = b1 * f * f;
    assert!((d.k1 + b).abs() < 1e-15, "{d:?}");
    assert!((d.k2 - b * b).abs() < 1e-15, "{d:?}");
    assert!((d.k3 + b * b * b).abs() < 1e-15, "{d:?}");
    // Numerator r^4 in slot 2 scales by F^4; tangential by F.
    let s = lens_sample(serde_json::json!({"pinholeFocalLength": f,
        "distortion": [{"model": "Brown-Conrady U-D", "radial": [0.0, 0.0, 2e-7],
            "tangential": [1e-4, -2e-4]}]}));
    let d = s.lens.and_then(|l| l.distortion).expect("distortion");
    assert!((d.k1).abs() < 1e-15 && (d.k2 - 2e-7 * 160000.0).abs() < 1e-12);
    assert!((d.p1 - 2e-3).abs() < 1e-15 && (d.p2 + 4e-3).abs() < 1e-15);
}

#[test]
fn otio_distortion_models_default_and_unknown() {
    let f = 24.0;
    // No model: "Brown-Conrady D-U", inverted: k1 = -c1 to first order.
    let s = lens_sample(serde_json::json!({"pinholeFocalLength": f,
        "distortion": [{"radial": [0.05 / (f * f)]}]}));
    let d = s.lens.and_then(|l| l.distortion).expect("distortion");
    assert!((d.k1 + 0.05).abs() < 1e-12 && (d.k2 - 3.0 * 0.05 * 0.05).abs() < 1e-12);
    // An unknown model is skipped for the next known entry.
    let s = lens_sample(serde_json::json!({"pinholeFocalLength": f,
        "distortion": [{"model": "Kannala-Brandt", "radial": [1.0]},
                       {"model": "Brown-Conrady U-D", "radial": [-0.1 / (f * f)], "overscan": 1.05}]}));
    let l = s.lens.expect("lens");
    assert!((l.distortion.expect("second entry").k1 + 0.1).abs() < 1e-12);
    assert_eq!(l.distortion_overscan, Some(1.05));
    // Without the sample's focal length the mm coefficients cannot be normalised: not applied.
    let s = lens_sample(
        serde_json::json!({"distortion": [{"model": "Brown-Conrady U-D",
        "radial": [-0.1]}]}),
    );
    assert_eq!(s.lens.and_then(|l| l.distortion), None);
}

#[test]
fn otio_projection_and_distortion_offsets_axes() {
    // projectionOffset x right, y up (mm on the sensor), as Parallax's shift_mm.
    let s = lens_sample(serde_json::json!({"pinholeFocalLength": 20.0,
        "projectionOffset": {"x": 1.0, "y": -0.5}, "distortionOffset": {"x": 0.25, "y": 0.5}}));
    let l = s.lens.clone().expect("lens");
    assert_eq!(l.shift_mm, Some((1.0, -0.5)));
    assert_eq!(l.distortion_offset_mm, Some((0.25, 0.5)));
    let cam = TrackedCamera::new(
        &CameraTracking::new(Protocol::OpenTrackIo, 1),
        super::base(),
        50.0,
    )
    .expect("valid");
    let t = cam.stage_camera(&s).lens.frame_tangents();
    // Sensor 36 x 24 at F = 20: the window moves right by 1/20 and down by 0.5/20.
    assert!((t.left - (-18.0 + 1.0) / 20.0).abs() < 1e-12);
    assert!((t.right - (18.0 + 1.0) / 20.0).abs() < 1e-12);
    assert!((t.top - (12.0 - 0.5) / 20.0).abs() < 1e-12);
    // And a take or replay writes them back the same way.
    let again = decode_json(std::str::from_utf8(&opentrackio::encode_json(&s)).expect("utf-8"))
        .expect("decodes");
    assert_eq!(again.lens, s.lens);
}

fn table(encoders: TableEncoders, points: &[(f64, f64, f64, f64)]) -> CameraTracking {
    CameraTracking {
        protocol: Protocol::OpenTrackIo,
        lens_table: LensTable {
            encoders,
            points: points
                .iter()
                .map(|&(zoom, focus, f, fd)| LensPoint {
                    zoom,
                    focus,
                    focal_length_mm: f,
                    focus_distance_m: fd,
                    entrance_pupil_m: 0.0,
                    distortion: Default::default(),
                })
                .collect(),
        },
        ..Default::default()
    }
}

fn lens_of(cfg: &CameraTracking, lens: serde_json::Value) -> parallax::camera::Lens {
    let cam = TrackedCamera::new(cfg, super::base(), 50.0).expect("valid");
    cam.stage_camera(&lens_sample(lens)).lens
}

#[test]
fn otio_any_subset_of_encoders_drives_the_lens_table() {
    // Normalised zoom only, a zoom lens calibrated at one focus per zoom row.
    let zoom = table(
        TableEncoders::Normalised,
        &[(0.0, 0.0, 20.0, 2.0), (1.0, 0.0, 60.0, 2.0)],
    );
    let l = lens_of(&zoom, serde_json::json!({"encoders": {"zoom": 0.25}}));
    assert!((l.focal_length_mm - 30.0).abs() < 1e-12);
    // Raw values do not index a normalised table.
    let l = lens_of(&zoom, serde_json::json!({"rawEncoders": {"zoom": 1}}));
    assert_eq!(l.focal_length_mm, super::base().lens.focal_length_mm);
    // Raw focus only, a prime (one zoom row).
    let prime = table(
        TableEncoders::Raw,
        &[(0.0, 0.0, 35.0, 1.0), (0.0, 1000.0, 35.2, 3.0)],
    );
    let l = lens_of(&prime, serde_json::json!({"rawEncoders": {"focus": 500}}));
    // Focus distance halfway in diopters between 1 m (1 D) and 3 m (1/3 D): 2/3 D = 1.5 m.
    assert!((l.focus_distance_m - 1.5).abs() < 1e-12 && (l.focal_length_mm - 35.1).abs() < 1e-12);
    // Normalised focus and iris on a normalised prime table; iris does not index it.
    let prime_n = table(
        TableEncoders::Normalised,
        &[(0.0, 0.0, 35.0, 100.0), (0.0, 1.0, 35.0, 0.5)],
    );
    let l = lens_of(
        &prime_n,
        serde_json::json!({"encoders": {"focus": 1.0, "iris": 0.3}}),
    );
    assert_eq!(l.focus_distance_m, 0.5);
    // Iris only on a zoom table: the table needs zoom, so it is not applied.
    let l = lens_of(&zoom, serde_json::json!({"encoders": {"iris": 0.3}}));
    assert_eq!(l.focal_length_mm, super::base().lens.focal_length_mm);
    // Encoder values are kept on the sample (raw iris too).
    let s = lens_sample(serde_json::json!({"encoders": {"iris": 0.3},
        "rawEncoders": {"iris": 7}}));
    let sl = s.lens.expect("lens");
    assert_eq!(sl.encoders.and_then(|e| e.iris), Some(0.3));
    assert_eq!(sl.raw_iris, Some(7.0));
    assert_eq!((s.zoom, s.focus), (None, None));
}

#[test]
fn otio_distortion_offset_centres_the_distortion_and_overscan_is_honoured() {
    // OpenLensIO, by its text: radii are measured on the sensor in mm from the distortion centre,
    // `distortionOffset` from the sensor centre (x right, y up), like `projectionOffset`.
    let (f, a1) = (20.0, -3e-4);
    let (dx, dy, px, py) = (0.5, 0.25, 0.1, -0.15);
    let s = lens_sample(serde_json::json!({"pinholeFocalLength": f,
        "projectionOffset": {"x": px, "y": py}, "distortionOffset": {"x": dx, "y": dy},
        "distortion": [{"model": "Brown-Conrady U-D", "radial": [a1], "overscan": 1.25}]}));
    let d = s
        .lens
        .clone()
        .and_then(|l| l.distortion)
        .expect("distortion");
    assert_eq!(d.overscan, 1.25);
    for (x, y) in [(0.0, 0.0), (9.0, 4.0), (-15.0, 10.0), (17.0, -11.5)] {
        // The spec's model in mm about the distortion centre.
        let (ux, uy) = (x - dx, y - dy);
        let k = 1.0 + a1 * (ux * ux + uy * uy);
        let want = (dx + ux * k, dy + uy * k);
        // Parallax: normalised, from the principal point, y down.
        let p = glam::DVec2::new((x - px) / f, -(y - py) / f);
        let q = d.distort_cv(p);
        let got = (q.x * f + px, -q.y * f + py);
        assert!(
            (got.0 - want.0).abs() < 1e-9 && (got.1 - want.1).abs() < 1e-9,
            "({x}, {y}) mm: {got:?} vs {want:?}"
        );
    }
    // `overscan: Auto` renders at least the stated 1.25x of the frame (soft edge 0).
    let stage = parallax::stage::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
    )
    .expect("stage");
    let overrides = Overrides {
        overscan: Some(OverscanRule::Auto { margin: 0.0 }),
        soft_edge: Some(0.0),
        ..Default::default()
    };
    let cam = TrackedCamera::new(
        &CameraTracking::new(Protocol::OpenTrackIo, 1),
        super::base(),
        50.0,
    )
    .expect("valid");
    let state = CameraState {
        pose: Default::default(),
        lens: cam.stage_camera(&s).lens,
    };
    let fi = FrameInputs::resolve(&stage, "A", &state, &overrides).expect("resolves");
    let o = fi.overscan;
    assert!(
        o.left.min(o.right).min(o.bottom).min(o.top) >= 0.25 - 1e-12,
        "{o:?}"
    );
}
