//! The tracker sample shared by both protocols, rejection reasons and packet counters.

use std::collections::BTreeMap;

use glam::{DQuat, DVec3};
use serde::{Deserialize, Serialize};

use super::config::Protocol;
use super::freed::FreedD1;
use crate::camera::Distortion;

/// One pose (and lens) sample as the tracker sent it, in degrees and metres, tracker axes.
///
/// Angles keep the protocol's own convention: FreeD pan turns right, OpenTrackIO pan turns left
/// (right-handed about its Z-up axis); see [`TrackerSample::tracker_rotation`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrackerSample {
    /// Protocol the sample came in.
    pub source: Protocol,
    /// Camera id (FreeD byte 1; OpenTrackIO `sourceNumber`).
    pub camera_id: u32,
    /// Pan in degrees.
    pub pan_deg: f64,
    /// Tilt in degrees.
    pub tilt_deg: f64,
    /// Roll in degrees.
    pub roll_deg: f64,
    /// Position along the tracker's X in metres.
    pub x_m: f64,
    /// Position along the tracker's Y in metres.
    pub y_m: f64,
    /// Position along the tracker's Z (up) in metres.
    pub z_m: f64,
    /// Raw zoom encoder value, if sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoom: Option<f64>,
    /// Raw focus encoder value, if sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub focus: Option<f64>,
    /// Lens values the tracker sent (OpenTrackIO), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lens: Option<SampleLens>,
    /// When the sender sampled this pose, on its own clock (OpenTrackIO
    /// `timing.sampleTimestamp`, PTP: TAI seconds and nanoseconds since the PTP epoch), if sent.
    /// FreeD carries no time stamp. See [`super::clock::SenderClock`] for how it is mapped to
    /// the local clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_time: Option<SenderTime>,
    /// The sender's stated sample rate in Hz (OpenTrackIO `timing.sampleRate`, `num / denom`), if
    /// sent: the cadence a sample without a time stamp is placed on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate_hz: Option<f64>,
}

/// A sender's time stamp: whole seconds and nanoseconds (OpenTrackIO `timing.sampleTimestamp`;
/// the spec's optional `attoseconds` are below what matters here and are dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SenderTime {
    /// Whole seconds (PTP epoch; 48 bits on the wire).
    pub seconds: u64,
    /// Nanoseconds, 0..1e9.
    pub nanoseconds: u32,
}

impl SenderTime {
    /// Seconds from `earlier` to `self` (negative when `self` is earlier), exact to 1 ns for
    /// spans below 2^52 ns (about 52 days).
    pub fn seconds_since(self, earlier: SenderTime) -> f64 {
        let s = self.seconds as i128 - earlier.seconds as i128;
        let ns = s * 1_000_000_000 + self.nanoseconds as i128 - earlier.nanoseconds as i128;
        ns as f64 * 1e-9
    }

    /// A time `s` seconds after (`s` < 0: before) `self`, saturating at the epoch.
    pub fn plus_seconds(self, s: f64) -> SenderTime {
        let total = self.seconds as i128 * 1_000_000_000
            + self.nanoseconds as i128
            + (s * 1e9).round() as i128;
        let total = total.max(0);
        SenderTime {
            seconds: (total / 1_000_000_000) as u64,
            nanoseconds: (total % 1_000_000_000) as u32,
        }
    }
}

/// Lens values carried in a sample (OpenTrackIO's `lens` and `static` blocks).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SampleLens {
    /// Pinhole focal length in millimetres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focal_length_mm: Option<f64>,
    /// Focus distance in metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus_distance_m: Option<f64>,
    /// Entrance-pupil offset in metres, positive towards the subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrance_pupil_m: Option<f64>,
    /// Brown-Conrady distortion, normalised (OpenCV meaning: undistorted to distorted, coordinates
    /// divided by the focal length). OpenTrackIO sends OpenLensIO's sensor-mm coefficients; they are
    /// converted with the sample's `pinholeFocalLength` (see `opentrackio::lens`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distortion: Option<Distortion>,
    /// Anamorphic squeeze (OpenTrackIO `static.camera.anamorphicSqueeze`, num / denom).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub squeeze: Option<f64>,
    /// OpenLensIO `distortionOffset`: centre of distortion on the sensor, mm (x right, y up).
    /// Carried and recorded; Parallax's lens model centres distortion on the principal point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distortion_offset_mm: Option<(f64, f64)>,
    /// Overscan factor the sender states for its distortion entry (>= 1). Carried; Parallax sizes
    /// its own overscan from the distortion (`OverscanRule::Auto`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distortion_overscan: Option<f64>,
    /// Normalised encoders (OpenTrackIO `encoders`, 0..1: focus 0 = infinity, iris 0 = open,
    /// zoom 0 = wide), any subset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoders: Option<Fiz>,
    /// Raw iris encoder value, if sent (raw zoom and focus are on the sample).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_iris: Option<f64>,
    /// Projection offset (principal-point shift) in millimetres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shift_mm: Option<(f64, f64)>,
    /// Active sensor size in millimetres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor_mm: Option<(f64, f64)>,
}

/// Focus, iris and zoom encoder values; any may be absent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fiz {
    /// Focus.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<f64>,
    /// Iris.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iris: Option<f64>,
    /// Zoom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoom: Option<f64>,
}

impl Fiz {
    /// Whether no value is present.
    pub fn is_empty(&self) -> bool {
        self.focus.is_none() && self.iris.is_none() && self.zoom.is_none()
    }
}

impl TrackerSample {
    /// A sample from a decoded FreeD message.
    pub fn from_freed(m: &FreedD1) -> TrackerSample {
        let [x, y, z] = m.position_m();
        TrackerSample {
            source: Protocol::FreeD,
            camera_id: m.camera_id as u32,
            pan_deg: m.pan_deg(),
            tilt_deg: m.tilt_deg(),
            roll_deg: m.roll_deg(),
            x_m: x,
            y_m: y,
            z_m: z,
            zoom: Some(m.zoom as f64),
            focus: Some(m.focus as f64),
            lens: None,
            sender_time: None,
            sample_rate_hz: None,
        }
    }

    /// Position in tracker axes, metres.
    pub fn position(&self) -> DVec3 {
        DVec3::new(self.x_m, self.y_m, self.z_m)
    }

    /// World-from-camera rotation in the common tracker frame: Z up, and at zero angles the camera
    /// looks along +Y with +X to its right and +Z up (camera-local axes X right, Y forward, Z up).
    ///
    /// - OpenTrackIO: intrinsic Z-X-Y (pan about Z, then tilt about X, then roll about Y), each a
    ///   right-handed rotation: `Rz(pan) Rx(tilt) Ry(roll)`. Positive pan turns left, positive tilt
    ///   looks up, positive roll is clockwise seen from behind.
    /// - FreeD: the same frame, but positive pan turns right: `Rz(-pan) Rx(tilt) Ry(roll)`.
    ///
    /// `invert` reverses the sense of pan, tilt and roll (per the tracker-to-stage transform).
    pub fn tracker_rotation(&self, invert: [bool; 3]) -> DQuat {
        let s = |v: f64, inv: bool| if inv { -v } else { v };
        let pan = s(self.pan_deg, invert[0]);
        let tilt = s(self.tilt_deg, invert[1]);
        let roll = s(self.roll_deg, invert[2]);
        let pan = match self.source {
            Protocol::FreeD => -pan,
            Protocol::OpenTrackIo => pan,
        };
        otio_rotation(pan, tilt, roll)
    }
}

/// OpenTrackIO's rotation: `Rz(pan) Rx(tilt) Ry(roll)` (intrinsic Z-X-Y), degrees.
pub fn otio_rotation(pan_deg: f64, tilt_deg: f64, roll_deg: f64) -> DQuat {
    DQuat::from_rotation_z(pan_deg.to_radians())
        * DQuat::from_rotation_x(tilt_deg.to_radians())
        * DQuat::from_rotation_y(roll_deg.to_radians())
}

/// Pan, tilt, roll (degrees) of a rotation in OpenTrackIO's convention (inverse of [`otio_rotation`]).
pub fn otio_angles(q: DQuat) -> (f64, f64, f64) {
    let (p, t, r) = q.normalize().to_euler(glam::EulerRot::ZXY);
    (p.to_degrees(), t.to_degrees(), r.to_degrees())
}

/// Why a packet was not accepted. Counted by the receiver and printed by `parallax track`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// FreeD: not 29 bytes.
    FreedLength,
    /// FreeD: type byte not 0xD1.
    FreedType,
    /// FreeD: bad checksum.
    FreedChecksum,
    /// OpenTrackIO: shorter than the header, or the payload length disagrees with the packet.
    OtioLength,
    /// OpenTrackIO: no "OTrk" identifier.
    OtioIdentifier,
    /// OpenTrackIO: encoding neither JSON nor CBOR.
    OtioEncoding,
    /// OpenTrackIO: Fletcher-16 checksum mismatch.
    OtioChecksum,
    /// OpenTrackIO: a segment that does not fit the payload being reassembled.
    OtioSegment,
    /// OpenTrackIO: a segmented payload left incomplete (a segment was lost).
    OtioIncomplete,
    /// OpenTrackIO: a packet or message received before (one instance is processed).
    OtioDuplicate,
    /// OpenTrackIO: a message older than one already delivered from the same source.
    OtioLate,
    /// OpenTrackIO: payload is not valid JSON/CBOR.
    OtioPayload,
    /// OpenTrackIO: a sample without transforms, or with non-finite values.
    OtioSample,
    /// Sender not in the allow-list.
    SourceNotAllowed,
    /// Camera id not one this receiver was asked for.
    UnknownCamera,
    /// The receive queue was full; the oldest sample was dropped.
    QueueOverflow,
}

impl RejectReason {
    /// Every reason, in a stable order.
    pub const ALL: [RejectReason; 16] = [
        RejectReason::FreedLength,
        RejectReason::FreedType,
        RejectReason::FreedChecksum,
        RejectReason::OtioLength,
        RejectReason::OtioIdentifier,
        RejectReason::OtioEncoding,
        RejectReason::OtioChecksum,
        RejectReason::OtioSegment,
        RejectReason::OtioIncomplete,
        RejectReason::OtioDuplicate,
        RejectReason::OtioLate,
        RejectReason::OtioPayload,
        RejectReason::OtioSample,
        RejectReason::SourceNotAllowed,
        RejectReason::UnknownCamera,
        RejectReason::QueueOverflow,
    ];

    /// A short, stable name (used in reports).
    pub fn name(self) -> &'static str {
        match self {
            RejectReason::FreedLength => "freed-length",
            RejectReason::FreedType => "freed-type",
            RejectReason::FreedChecksum => "freed-checksum",
            RejectReason::OtioLength => "opentrackio-length",
            RejectReason::OtioIdentifier => "opentrackio-identifier",
            RejectReason::OtioEncoding => "opentrackio-encoding",
            RejectReason::OtioChecksum => "opentrackio-checksum",
            RejectReason::OtioSegment => "opentrackio-segment",
            RejectReason::OtioIncomplete => "opentrackio-incomplete",
            RejectReason::OtioDuplicate => "opentrackio-duplicate",
            RejectReason::OtioLate => "opentrackio-late",
            RejectReason::OtioPayload => "opentrackio-payload",
            RejectReason::OtioSample => "opentrackio-sample",
            RejectReason::SourceNotAllowed => "source-not-allowed",
            RejectReason::UnknownCamera => "unknown-camera",
            RejectReason::QueueOverflow => "queue-overflow",
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl From<super::freed::FreedError> for RejectReason {
    fn from(e: super::freed::FreedError) -> Self {
        use super::freed::FreedError as E;
        match e {
            E::Length(_) => RejectReason::FreedLength,
            E::Type(_) => RejectReason::FreedType,
            E::Checksum { .. } => RejectReason::FreedChecksum,
        }
    }
}

/// Packet counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Samples accepted.
    pub accepted: u64,
    /// Packets rejected, by reason.
    pub rejected: BTreeMap<RejectReason, u64>,
}

impl Stats {
    /// Counts one rejection.
    pub fn reject(&mut self, r: RejectReason) {
        *self.rejected.entry(r).or_insert(0) += 1;
    }

    /// Total rejections.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// One line: `accepted N, rejected M (reason: n, ...)`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "accepted {}, rejected {}",
            self.accepted,
            self.rejected_total()
        );
        if !self.rejected.is_empty() {
            let parts: Vec<String> = self
                .rejected
                .iter()
                .map(|(r, n)| format!("{r}: {n}"))
                .collect();
            s.push_str(&format!(" ({})", parts.join(", ")));
        }
        s
    }
}
