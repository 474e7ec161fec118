//! OpenTrackIO (SMPTE RIS): packets ([`packet`]: header, Fletcher-16, segments), JSON and CBOR
//! samples, and OpenLensIO lens values ([`lens`]).
//!
//! A message is one sample. Transforms compose parent first; the camera pose is the composition.
//! The OpenTrackIO frame is right-handed with Z up; at zero angles the camera looks along +Y with +X
//! to its right. Rotations are intrinsic Z-X-Y: `Rz(pan) Rx(tilt) Ry(roll)`.
//!
//! Sensor-plane offsets (`projectionOffset`, `distortionOffset`) are in millimetres with x to the
//! right and y up as seen from behind the camera (the camera frame's X and Z), the axes of
//! Parallax's `Lens::shift_mm`.

use glam::{DAffine3, DQuat, DVec3};
use serde::Deserialize;
use thiserror::Error;

use super::config::Protocol;
use super::sample::{
    Fiz, RejectReason, SampleLens, SenderTime, TrackerSample, otio_angles, otio_rotation,
};

pub mod lens;
pub mod packet;

pub use packet::{
    Encoding, HEADER_LEN, Header, IDENTIFIER, MAX_PAYLOAD, MAX_SEGMENT, Message, MessageOrder,
    Reassembler, SPEC_SEGMENT, encode_packets, fletcher16, fletcher16_mod255, parse_packet,
    parse_packet_with,
};

/// Why an OpenTrackIO packet or payload was rejected.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum OtioError {
    /// Shorter than the header, or the length field disagrees with the packet.
    #[error("OpenTrackIO packet length {got} does not match header + payload length {expected}")]
    Length {
        /// Bytes received.
        got: usize,
        /// Bytes the header announces.
        expected: usize,
    },
    /// Not starting with "OTrk".
    #[error("not an OpenTrackIO packet (no \"OTrk\" identifier)")]
    Identifier,
    /// Unknown encoding byte.
    #[error("unknown OpenTrackIO encoding 0x{0:02X}")]
    Encoding(u8),
    /// Checksum mismatch.
    #[error("OpenTrackIO checksum 0x{found:04X} does not match 0x{expected:04X}")]
    Checksum {
        /// The checksum computed (modulus 256).
        expected: u16,
        /// The checksum sent.
        found: u16,
    },
    /// A segment that does not fit the payload being reassembled.
    #[error("OpenTrackIO segment does not fit: {0}")]
    Segment(&'static str),
    /// A packet or message received before (one instance is processed).
    #[error("OpenTrackIO packet or message already received")]
    Duplicate,
    /// A message older than one already delivered from the same source.
    #[error("OpenTrackIO message arrived after a newer one")]
    Late,
    /// The payload does not parse.
    #[error("OpenTrackIO payload is not a valid sample: {0}")]
    Payload(String),
    /// The sample parses but lacks a pose or has non-finite numbers.
    #[error("OpenTrackIO sample unusable: {0}")]
    Sample(&'static str),
}

impl From<&OtioError> for RejectReason {
    fn from(e: &OtioError) -> Self {
        match e {
            OtioError::Length { .. } => RejectReason::OtioLength,
            OtioError::Identifier => RejectReason::OtioIdentifier,
            OtioError::Encoding(_) => RejectReason::OtioEncoding,
            OtioError::Checksum { .. } => RejectReason::OtioChecksum,
            OtioError::Segment(_) => RejectReason::OtioSegment,
            OtioError::Duplicate => RejectReason::OtioDuplicate,
            OtioError::Late => RejectReason::OtioLate,
            OtioError::Payload(_) => RejectReason::OtioPayload,
            OtioError::Sample(_) => RejectReason::OtioSample,
        }
    }
}

/// A number that may arrive as an integer or a float (CBOR encoders write `1.0` as `1`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Num(f64);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Num, E> {
                Ok(Num(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Num, E> {
                Ok(Num(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

// Wire structures: only what Parallax uses; unknown fields are ignored.

#[derive(Deserialize)]
struct WireSample {
    #[serde(default)]
    transforms: Option<Vec<WireTransform>>,
    #[serde(default)]
    lens: Option<WireLens>,
    #[serde(default, rename = "static")]
    static_: Option<WireStatic>,
    #[serde(default, rename = "sourceNumber")]
    source_number: Option<u32>,
    #[serde(default)]
    timing: Option<WireTiming>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTiming {
    #[serde(default)]
    sample_timestamp: Option<WireTimestamp>,
    #[serde(default)]
    sample_rate: Option<WireRational>,
}

/// OpenTrackIO's rational `{num, denom}` (e.g. `sampleRate`: 24000 / 1001).
#[derive(Deserialize)]
struct WireRational {
    num: Num,
    denom: Num,
}

impl WireRational {
    /// `num / denom` when both are positive finite numbers.
    fn value(&self) -> Option<f64> {
        let (n, d) = (self.num.0, self.denom.0);
        (n.is_finite() && d.is_finite() && n > 0.0 && d > 0.0).then(|| n / d)
    }
}

#[derive(Deserialize)]
struct WireTimestamp {
    seconds: Num,
    #[serde(default)]
    nanoseconds: Num,
}

impl WireTimestamp {
    /// The stamp, when its numbers are in range (seconds: 48-bit unsigned; nanoseconds < 1e9).
    fn sender_time(&self) -> Option<SenderTime> {
        let (s, ns) = (self.seconds.0, self.nanoseconds.0);
        let ok = s.is_finite()
            && ns.is_finite()
            && s >= 0.0
            && s < 2f64.powi(48)
            && s.fract() == 0.0
            && (0.0..1e9).contains(&ns)
            && ns.fract() == 0.0;
        ok.then_some(SenderTime {
            seconds: s as u64,
            nanoseconds: ns as u32,
        })
    }
}

#[derive(Deserialize)]
struct WireXyz {
    #[serde(default)]
    x: Num,
    #[serde(default)]
    y: Num,
    #[serde(default)]
    z: Num,
}

#[derive(Deserialize)]
struct WireRotation {
    #[serde(default)]
    pan: Num,
    #[serde(default)]
    tilt: Num,
    #[serde(default)]
    roll: Num,
}

#[derive(Deserialize)]
struct WireTransform {
    translation: WireXyz,
    rotation: WireRotation,
    #[serde(default)]
    scale: Option<WireXyz>,
}

#[derive(Deserialize)]
struct WireXy {
    x: Num,
    y: Num,
}

#[derive(Deserialize)]
struct WireDistortion {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    radial: Vec<Num>,
    #[serde(default)]
    tangential: Option<Vec<Num>>,
    #[serde(default)]
    overscan: Option<Num>,
}

#[derive(Deserialize)]
struct WireEncoders {
    #[serde(default)]
    zoom: Option<Num>,
    #[serde(default)]
    focus: Option<Num>,
    #[serde(default)]
    iris: Option<Num>,
}

impl WireEncoders {
    fn fiz(&self) -> Fiz {
        let f = |v: &Option<Num>| v.map(|v| v.0).filter(|v| v.is_finite());
        Fiz {
            focus: f(&self.focus),
            iris: f(&self.iris),
            zoom: f(&self.zoom),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireLens {
    #[serde(default)]
    pinhole_focal_length: Option<Num>,
    #[serde(default)]
    focus_distance: Option<Num>,
    #[serde(default)]
    entrance_pupil_offset: Option<Num>,
    #[serde(default)]
    distortion: Option<Vec<WireDistortion>>,
    #[serde(default)]
    projection_offset: Option<WireXy>,
    #[serde(default)]
    distortion_offset: Option<WireXy>,
    #[serde(default)]
    raw_encoders: Option<WireEncoders>,
    #[serde(default)]
    encoders: Option<WireEncoders>,
}

#[derive(Deserialize)]
struct WireSize {
    width: Num,
    height: Num,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCamera {
    #[serde(default)]
    active_sensor_physical_dimensions: Option<WireSize>,
    #[serde(default)]
    anamorphic_squeeze: Option<WireRational>,
}

#[derive(Deserialize)]
struct WireStatic {
    #[serde(default)]
    camera: Option<WireCamera>,
}

/// Decodes a complete payload (JSON or CBOR) into a sample.
pub fn decode_payload(encoding: Encoding, bytes: &[u8]) -> Result<TrackerSample, OtioError> {
    let wire: WireSample = match encoding {
        Encoding::Json => {
            serde_json::from_slice(bytes).map_err(|e| OtioError::Payload(e.to_string()))?
        }
        Encoding::Cbor => {
            ciborium::from_reader(bytes).map_err(|e| OtioError::Payload(e.to_string()))?
        }
    };
    sample_from_wire(wire)
}

/// Decodes a JSON sample (as in the OpenTrackIO examples).
pub fn decode_json(text: &str) -> Result<TrackerSample, OtioError> {
    decode_payload(Encoding::Json, text.as_bytes())
}

/// A minimal OpenTrackIO JSON sample for a tracker sample (one `Camera` transform; lens values if
/// present; distortion written as OpenLensIO's "Brown-Conrady U-D" in sensor mm, which needs the
/// sample's focal length; encoders as sent). Used to replay takes to other systems.
pub fn encode_json(s: &TrackerSample) -> Vec<u8> {
    let mut v = serde_json::json!({
        "protocol": {"name": "OpenTrackIO", "version": [1, 0, 0]},
        "sourceNumber": s.camera_id,
        "transforms": [{
            "translation": {"x": s.x_m, "y": s.y_m, "z": s.z_m},
            "rotation": {"pan": s.pan_deg, "tilt": s.tilt_deg, "roll": s.roll_deg},
            "id": "Camera",
        }],
    });
    let mut lens = serde_json::Map::new();
    if let Some(l) = &s.lens {
        let mut put = |k: &str, x: Option<serde_json::Value>| {
            if let Some(x) = x {
                lens.insert(k.to_string(), x);
            }
        };
        put("pinholeFocalLength", l.focal_length_mm.map(Into::into));
        put("focusDistance", l.focus_distance_m.map(Into::into));
        put("entrancePupilOffset", l.entrance_pupil_m.map(Into::into));
        put(
            "projectionOffset",
            l.shift_mm.map(|(x, y)| serde_json::json!({"x": x, "y": y})),
        );
        put(
            "distortion",
            l.distortion
                .zip(l.focal_length_mm)
                .and_then(|(d, f)| lens::from_normalised(&d, f))
                .map(|(radial, tangential)| {
                    let mut e = serde_json::json!({"model": "Brown-Conrady U-D",
                        "radial": radial, "tangential": tangential});
                    if let Some(o) = l.distortion_overscan {
                        e["overscan"] = o.into();
                    }
                    serde_json::json!([e])
                }),
        );
        put(
            "distortionOffset",
            l.distortion_offset_mm
                .map(|(x, y)| serde_json::json!({"x": x, "y": y})),
        );
        put(
            "encoders",
            l.encoders
                .filter(|e| !e.is_empty())
                .map(|e| fiz_json(e.focus, e.iris, e.zoom)),
        );
        let mut camera = serde_json::Map::new();
        if let Some((w, h)) = l.sensor_mm {
            camera.insert(
                "activeSensorPhysicalDimensions".into(),
                serde_json::json!({"width": w, "height": h}),
            );
        }
        if let Some(q) = l.squeeze {
            // A rational of integers (the schema's): the squeeze to 1/1000.
            let num = (q * 1000.0).round().max(1.0) as u64;
            camera.insert(
                "anamorphicSqueeze".into(),
                serde_json::json!({"num": num, "denom": 1000}),
            );
        }
        if !camera.is_empty() {
            v["static"] = serde_json::json!({ "camera": camera });
        }
    }
    let iris = s.lens.as_ref().and_then(|l| l.raw_iris);
    if s.zoom.is_some() || s.focus.is_some() || iris.is_some() {
        lens.insert("rawEncoders".into(), fiz_json(s.focus, iris, s.zoom));
    }
    if !lens.is_empty() {
        v["lens"] = serde_json::Value::Object(lens);
    }
    let mut timing = serde_json::Map::new();
    if let Some(t) = s.sender_time {
        timing.insert(
            "sampleTimestamp".into(),
            serde_json::json!({"seconds": t.seconds, "nanoseconds": t.nanoseconds}),
        );
    }
    if let Some((num, denom)) = s.sample_rate_hz.and_then(rational_rate) {
        timing.insert(
            "sampleRate".into(),
            serde_json::json!({"num": num, "denom": denom}),
        );
    }
    if !timing.is_empty() {
        v["timing"] = serde_json::Value::Object(timing);
    }
    serde_json::to_vec(&v).unwrap_or_default()
}

/// A rate as OpenTrackIO's rational: NTSC rates (`n * 1000 / 1001`) exactly, whole rates over 1,
/// others in thousandths. `None` for a rate that is not positive and finite.
fn rational_rate(hz: f64) -> Option<(u64, u64)> {
    if !(hz.is_finite() && hz > 0.0 && hz < 1e9) {
        return None;
    }
    let ntsc = hz * 1.001;
    Some(
        if (ntsc - ntsc.round()).abs() < 1e-6 && hz.fract().abs() > 1e-6 {
            ((ntsc.round() * 1000.0) as u64, 1001)
        } else if (hz - hz.round()).abs() < 1e-9 {
            (hz.round() as u64, 1)
        } else {
            ((hz * 1000.0).round() as u64, 1000)
        },
    )
}

fn fiz_json(focus: Option<f64>, iris: Option<f64>, zoom: Option<f64>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (k, v) in [("focus", focus), ("iris", iris), ("zoom", zoom)] {
        if let Some(v) = v {
            m.insert(k.into(), v.into());
        }
    }
    serde_json::Value::Object(m)
}

/// Decodes one complete, unsegmented packet into a sample.
pub fn decode_packet(bytes: &[u8]) -> Result<TrackerSample, OtioError> {
    let (h, payload) = parse_packet(bytes)?;
    if !(h.last_segment && h.segment_offset == 0) {
        return Err(OtioError::Segment("segmented payload needs reassembly"));
    }
    decode_payload(h.encoding, payload)
}

fn sample_from_wire(w: WireSample) -> Result<TrackerSample, OtioError> {
    let transforms = w
        .transforms
        .filter(|t| !t.is_empty())
        .ok_or(OtioError::Sample("no transforms"))?;
    let (pan, tilt, roll, position) = if let [t] = transforms.as_slice() {
        // One transform: keep the angles exactly as sent.
        let pos = DVec3::new(t.translation.x.0, t.translation.y.0, t.translation.z.0);
        (t.rotation.pan.0, t.rotation.tilt.0, t.rotation.roll.0, pos)
    } else {
        let mut acc = DAffine3::IDENTITY;
        let mut rot = DQuat::IDENTITY;
        for t in &transforms {
            let q = otio_rotation(t.rotation.pan.0, t.rotation.tilt.0, t.rotation.roll.0);
            let s = t
                .scale
                .as_ref()
                .map_or(DVec3::ONE, |s| DVec3::new(s.x.0, s.y.0, s.z.0));
            let tr = DVec3::new(t.translation.x.0, t.translation.y.0, t.translation.z.0);
            acc *= DAffine3::from_scale_rotation_translation(s, q, tr);
            rot *= q;
        }
        let (p, t, r) = otio_angles(rot);
        (p, t, r, acc.translation)
    };
    let nums = [pan, tilt, roll, position.x, position.y, position.z];
    if nums.iter().any(|v| !v.is_finite()) {
        return Err(OtioError::Sample("non-finite pose"));
    }
    let mut lens = SampleLens::default();
    let mut zoom = None;
    let mut focus = None;
    if let Some(l) = w.lens {
        lens.focal_length_mm = l
            .pinhole_focal_length
            .map(|v| v.0)
            .filter(|v| v.is_finite() && *v > 0.0);
        lens.focus_distance_m = l.focus_distance.map(|v| v.0).filter(|v| v.is_finite());
        lens.entrance_pupil_m = l
            .entrance_pupil_offset
            .map(|v| v.0)
            .filter(|v| v.is_finite());
        let xy = |o: Option<WireXy>| {
            o.map(|o| (o.x.0, o.y.0))
                .filter(|o| o.0.is_finite() && o.1.is_finite())
        };
        lens.shift_mm = xy(l.projection_offset);
        lens.distortion_offset_mm = xy(l.distortion_offset);
        // The first entry of a model Parallax knows; its coefficients are in sensor mm, so the
        // sample's focal length is needed to normalise them.
        if let Some((d, model)) = l.distortion.as_ref().and_then(|ds| {
            ds.iter()
                .find_map(|d| lens::LensModel::parse(d.model.as_deref()).map(|m| (d, m)))
        }) {
            let radial: Vec<f64> = d.radial.iter().map(|v| v.0).collect();
            let tangential: Vec<f64> = d.tangential.iter().flatten().map(|v| v.0).collect();
            lens.distortion = lens
                .focal_length_mm
                .and_then(|f| lens::to_normalised(model, &radial, &tangential, f));
            lens.distortion_overscan = d.overscan.map(|v| v.0).filter(|v| v.is_finite());
            if let (Some(dist), Some(f)) = (&mut lens.distortion, lens.focal_length_mm) {
                if let Some(offset) = lens.distortion_offset_mm {
                    dist.centre = lens::centre_from_offsets(offset, lens.shift_mm, f);
                }
                dist.overscan = lens
                    .distortion_overscan
                    .filter(|o| *o >= 1.0)
                    .unwrap_or(0.0);
            }
        }
        if let Some(e) = &l.raw_encoders {
            let fiz = e.fiz();
            zoom = fiz.zoom;
            focus = fiz.focus;
            lens.raw_iris = fiz.iris;
        }
        lens.encoders = l
            .encoders
            .as_ref()
            .map(WireEncoders::fiz)
            .filter(|f| !f.is_empty());
    }
    let camera = w.static_.and_then(|s| s.camera);
    // A squeeze that is not a positive rational is left out (the stage camera's stays).
    lens.squeeze = camera
        .as_ref()
        .and_then(|c| c.anamorphic_squeeze.as_ref())
        .and_then(WireRational::value);
    if let Some(d) = camera.and_then(|c| c.active_sensor_physical_dimensions)
        && d.width.0.is_finite()
        && d.height.0.is_finite()
        && d.width.0 > 0.0
        && d.height.0 > 0.0
    {
        lens.sensor_mm = Some((d.width.0, d.height.0));
    }
    let has_lens = lens != SampleLens::default();
    Ok(TrackerSample {
        source: Protocol::OpenTrackIo,
        camera_id: w.source_number.unwrap_or(1),
        pan_deg: pan,
        tilt_deg: tilt,
        roll_deg: roll,
        x_m: position.x,
        y_m: position.y,
        z_m: position.z,
        zoom,
        focus,
        lens: has_lens.then_some(lens),
        sender_time: w
            .timing
            .as_ref()
            .and_then(|t| t.sample_timestamp.as_ref())
            .and_then(|t| t.sender_time()),
        sample_rate_hz: w
            .timing
            .as_ref()
            .and_then(|t| t.sample_rate.as_ref())
            .and_then(WireRational::value),
    })
}
