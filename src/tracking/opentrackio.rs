//! OpenTrackIO (SMPTE RIS): packet header, Fletcher-16, segment reassembly, JSON and CBOR samples.
//!
//! Each UDP datagram is a 16-byte big-endian header followed by a payload segment:
//!
//! | bytes  | field                                                            |
//! |--------|------------------------------------------------------------------|
//! | 0..4   | identifier `"OTrk"`                                              |
//! | 4      | reserved (ignored)                                               |
//! | 5      | encoding: 0x01 JSON, 0x02 CBOR                                   |
//! | 6..8   | sequence number (same for every segment of one payload)          |
//! | 8..12  | segment offset: where this segment goes in the payload           |
//! | 12..14 | bit 15: last segment; bits 0..14: length of this segment's bytes |
//! | 14..16 | Fletcher-16 (mod 255) over bytes 0..14 then the segment          |
//!
//! A payload is one sample. Transforms compose parent first; the camera pose is the composition. The
//! OpenTrackIO frame is right-handed with Z up; at zero angles the camera looks along +Y with +X to
//! its right. Rotations are intrinsic Z-X-Y: `Rz(pan) Rx(tilt) Ry(roll)`.

use glam::{DAffine3, DQuat, DVec3};
use serde::Deserialize;
use thiserror::Error;

use super::config::Protocol;
use super::sample::{RejectReason, SampleLens, TrackerSample, otio_angles, otio_rotation};
use crate::camera::Distortion;

/// Header length in bytes.
pub const HEADER_LEN: usize = 16;
/// The identifier at the start of every packet.
pub const IDENTIFIER: &[u8; 4] = b"OTrk";
/// Largest reassembled payload accepted (bytes).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Largest segment a header can describe (15-bit length).
pub const MAX_SEGMENT: usize = 0x7FFF;

/// Payload encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// 0x01
    Json,
    /// 0x02
    Cbor,
}

impl Encoding {
    /// The header byte.
    pub fn byte(self) -> u8 {
        match self {
            Encoding::Json => 0x01,
            Encoding::Cbor => 0x02,
        }
    }
}

/// A parsed packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Payload encoding.
    pub encoding: Encoding,
    /// Sequence number.
    pub sequence: u16,
    /// Byte offset of this segment in the payload.
    pub segment_offset: u32,
    /// Whether this is the last (or only) segment.
    pub last_segment: bool,
    /// Length of this segment in bytes.
    pub payload_len: u16,
    /// The checksum as sent (verified).
    pub checksum: u16,
}

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
        /// The checksum computed.
        expected: u16,
        /// The checksum sent.
        found: u16,
    },
    /// A segment that does not fit the payload being reassembled.
    #[error("OpenTrackIO segment does not fit: {0}")]
    Segment(&'static str),
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
            OtioError::Payload(_) => RejectReason::OtioPayload,
            OtioError::Sample(_) => RejectReason::OtioSample,
        }
    }
}

/// Fletcher-16 (sums modulo 255) over several byte slices in order; `(sum2 << 8) | sum1`.
pub fn fletcher16(parts: &[&[u8]]) -> u16 {
    let (mut a, mut b) = (0u32, 0u32);
    for part in parts {
        // 5802 bytes keep the 32-bit sums from overflowing before the reduction.
        for chunk in part.chunks(5802) {
            for &x in chunk {
                a += x as u32;
                b += a;
            }
            a %= 255;
            b %= 255;
        }
    }
    ((b << 8) | a) as u16
}

/// Parses and verifies one packet: its header and its payload segment.
pub fn parse_packet(bytes: &[u8]) -> Result<(Header, &[u8]), OtioError> {
    if bytes.len() < HEADER_LEN {
        return Err(OtioError::Length {
            got: bytes.len(),
            expected: HEADER_LEN,
        });
    }
    if &bytes[0..4] != IDENTIFIER {
        return Err(OtioError::Identifier);
    }
    let encoding = match bytes[5] {
        0x01 => Encoding::Json,
        0x02 => Encoding::Cbor,
        other => return Err(OtioError::Encoding(other)),
    };
    let sequence = u16::from_be_bytes([bytes[6], bytes[7]]);
    let segment_offset = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let flag_len = u16::from_be_bytes([bytes[12], bytes[13]]);
    let checksum = u16::from_be_bytes([bytes[14], bytes[15]]);
    let payload_len = flag_len & 0x7FFF;
    let expected = HEADER_LEN + payload_len as usize;
    if bytes.len() != expected {
        return Err(OtioError::Length {
            got: bytes.len(),
            expected,
        });
    }
    let payload = &bytes[HEADER_LEN..];
    let computed = fletcher16(&[&bytes[..14], payload]);
    if computed != checksum {
        return Err(OtioError::Checksum {
            expected: computed,
            found: checksum,
        });
    }
    Ok((
        Header {
            encoding,
            sequence,
            segment_offset,
            last_segment: flag_len & 0x8000 != 0,
            payload_len,
            checksum,
        },
        payload,
    ))
}

/// Splits a payload into packets of at most `max_segment` payload bytes each (clamped to
/// 1..=32767), with headers and checksums.
pub fn encode_packets(
    encoding: Encoding,
    sequence: u16,
    payload: &[u8],
    max_segment: usize,
) -> Vec<Vec<u8>> {
    let max_segment = max_segment.clamp(1, MAX_SEGMENT);
    let mut out = Vec::new();
    let mut offset = 0usize;
    loop {
        let end = (offset + max_segment).min(payload.len());
        let seg = &payload[offset..end];
        let last = end == payload.len();
        let mut p = Vec::with_capacity(HEADER_LEN + seg.len());
        p.extend_from_slice(IDENTIFIER);
        p.push(0);
        p.push(encoding.byte());
        p.extend_from_slice(&sequence.to_be_bytes());
        p.extend_from_slice(&(offset as u32).to_be_bytes());
        let flag_len = (seg.len() as u16) | if last { 0x8000 } else { 0 };
        p.extend_from_slice(&flag_len.to_be_bytes());
        let c = fletcher16(&[&p[..14], seg]);
        p.extend_from_slice(&c.to_be_bytes());
        p.extend_from_slice(seg);
        out.push(p);
        if last {
            return out;
        }
        offset = end;
    }
}

/// Reassembles segmented payloads of one sender. Segments of a payload share a sequence number; a
/// new sequence number abandons an unfinished payload (counted in `abandoned`).
#[derive(Debug, Default)]
pub struct Reassembler {
    current: Option<Partial>,
    /// Unfinished payloads abandoned so far.
    pub abandoned: u64,
}

#[derive(Debug)]
struct Partial {
    sequence: u16,
    encoding: Encoding,
    buf: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    received: usize,
    total: Option<usize>,
}

impl Reassembler {
    /// Adds a verified segment; returns the whole payload when it is complete.
    pub fn push(
        &mut self,
        header: &Header,
        segment: &[u8],
    ) -> Result<Option<(Encoding, Vec<u8>)>, OtioError> {
        let start = header.segment_offset as usize;
        let end = start
            .checked_add(segment.len())
            .filter(|&e| e <= MAX_PAYLOAD)
            .ok_or(OtioError::Segment("payload too large"))?;
        // The common case: a whole payload in one packet.
        if start == 0 && header.last_segment {
            if let Some(p) = &self.current
                && p.sequence != header.sequence
            {
                self.current = None;
                self.abandoned += 1;
            }
            if self.current.is_none() {
                return Ok(Some((header.encoding, segment.to_vec())));
            }
        }
        if let Some(p) = &self.current
            && p.sequence != header.sequence
        {
            self.current = None;
            self.abandoned += 1;
        }
        let p = self.current.get_or_insert_with(|| Partial {
            sequence: header.sequence,
            encoding: header.encoding,
            buf: Vec::new(),
            ranges: Vec::new(),
            received: 0,
            total: None,
        });
        if p.encoding != header.encoding {
            return Err(OtioError::Segment("encoding changed within a payload"));
        }
        if p.ranges.iter().any(|&(s, e)| start < e && s < end) {
            return Err(OtioError::Segment("overlaps an earlier segment"));
        }
        if let Some(total) = p.total
            && end > total
        {
            return Err(OtioError::Segment("beyond the last segment"));
        }
        if header.last_segment {
            if p.ranges.iter().any(|&(_, e)| e > end) {
                return Err(OtioError::Segment("last segment before earlier data"));
            }
            p.total = Some(end);
        }
        if p.buf.len() < end {
            p.buf.resize(end, 0);
        }
        p.buf[start..end].copy_from_slice(segment);
        p.ranges.push((start, end));
        p.received += segment.len();
        if p.total == Some(p.received) {
            let done = self.current.take().map(|p| (p.encoding, p.buf));
            return Ok(done);
        }
        Ok(None)
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
}

#[derive(Deserialize)]
struct WireEncoders {
    #[serde(default)]
    zoom: Option<Num>,
    #[serde(default)]
    focus: Option<Num>,
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
    raw_encoders: Option<WireEncoders>,
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
/// present; distortion written as "Brown-Conrady U-D"). Used to replay takes to other systems.
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
            l.distortion.map(|d| {
                serde_json::json!([{"model": "Brown-Conrady U-D",
                    "radial": [d.k1, d.k2, d.k3], "tangential": [d.p1, d.p2]}])
            }),
        );
        if let Some((w, h)) = l.sensor_mm {
            v["static"] = serde_json::json!({"camera": {"activeSensorPhysicalDimensions": {"width": w, "height": h}}});
        }
    }
    if let (Some(z), Some(f)) = (s.zoom, s.focus) {
        lens.insert(
            "rawEncoders".into(),
            serde_json::json!({"zoom": z, "focus": f}),
        );
    }
    if !lens.is_empty() {
        v["lens"] = serde_json::Value::Object(lens);
    }
    serde_json::to_vec(&v).unwrap_or_default()
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
        lens.shift_mm = l
            .projection_offset
            .map(|o| (o.x.0, o.y.0))
            .filter(|o| o.0.is_finite() && o.1.is_finite());
        lens.distortion = l
            .distortion
            .as_ref()
            .and_then(|d| d.first())
            .and_then(distortion_from_wire);
        if let Some(e) = l.raw_encoders {
            zoom = e.zoom.map(|v| v.0).filter(|v| v.is_finite());
            focus = e.focus.map(|v| v.0).filter(|v| v.is_finite());
        }
    }
    if let Some(d) = w
        .static_
        .and_then(|s| s.camera)
        .and_then(|c| c.active_sensor_physical_dimensions)
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
    })
}

/// Brown-Conrady coefficients from OpenTrackIO's first distortion entry, in OpenCV's meaning
/// (undistorted to distorted). "Brown-Conrady U-D" maps directly. The default model, "Brown-Conrady
/// D-U" (distorted to undistorted), is inverted approximately: radial terms by series reversion to
/// third order, tangential terms by negation (first order).
fn distortion_from_wire(d: &WireDistortion) -> Option<Distortion> {
    let k = |i: usize| d.radial.get(i).map_or(0.0, |v| v.0);
    let p = |i: usize| {
        d.tangential
            .as_ref()
            .and_then(|t| t.get(i).map(|v| v.0))
            .unwrap_or(0.0)
    };
    let (k1, k2, k3, p1, p2) = (k(0), k(1), k(2), p(0), p(1));
    if ![k1, k2, k3, p1, p2].iter().all(|v| v.is_finite()) {
        return None;
    }
    let undistort_to_distort = d
        .model
        .as_deref()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("Brown-Conrady U-D"));
    Some(if undistort_to_distort {
        Distortion { k1, k2, k3, p1, p2 }
    } else {
        Distortion {
            k1: -k1,
            k2: 3.0 * k1 * k1 - k2,
            k3: -12.0 * k1 * k1 * k1 + 8.0 * k1 * k2 - k3,
            p1: -p1,
            p2: -p2,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fletcher16_matches_known_values() {
        // Classic test vectors for Fletcher-16 (mod 255).
        assert_eq!(fletcher16(&[b"abcde"]), 0xC8F0);
        assert_eq!(fletcher16(&[b"abcdef"]), 0x2057);
        assert_eq!(fletcher16(&[b"abcd", b"efgh"]), 0x0627);
    }

    #[test]
    fn series_reversion_inverts_radial_distortion() {
        let w = WireDistortion {
            model: None,
            radial: vec![Num(0.05), Num(-0.01), Num(0.002)],
            tangential: None,
        };
        let d = distortion_from_wire(&w).unwrap_or_default();
        // D-U maps distorted radius r_d to r_u = r_d (1 + k1 r_d^2 + ...); U-D must invert it.
        for r_u in [0.05, 0.1, 0.2] {
            let r_d = d.distort_cv(glam::DVec2::new(r_u, 0.0)).x;
            let r2 = r_d * r_d;
            let back = r_d * (1.0 + r2 * (0.05 + r2 * (-0.01 + r2 * 0.002)));
            assert!(
                (back - r_u).abs() < 1e-6 * r_u.max(1e-3) * 100.0,
                "{r_u} -> {back}"
            );
        }
    }
}
