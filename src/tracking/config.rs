//! Tracking settings of a camera in the stage file (`cameras[..].tracking`).
//!
//! Everything a stage engineer sets per camera: protocol, camera id, where to listen, which senders
//! to trust, the tracker-to-stage transform, the sample clock, latency and prediction, the jitter filter, the dropout
//! timeout and the lens calibration table. See `docs/tracking.md`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use serde::{Deserialize, Serialize};

use crate::camera::{Distortion, Orientation};

/// The wire protocol a tracker speaks.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Protocol {
    /// FreeD D1 (29-byte UDP packets).
    #[default]
    #[serde(rename = "freed", alias = "FreeD")]
    FreeD,
    /// SMPTE RIS OpenTrackIO (JSON or CBOR over UDP).
    #[serde(rename = "opentrackio", alias = "OpenTrackIO")]
    OpenTrackIo,
}

impl Protocol {
    /// The usual UDP port: 40000 for FreeD, 55555 for OpenTrackIO.
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::FreeD => 40000,
            Protocol::OpenTrackIo => 55555,
        }
    }

    /// The name used in files and JSON output (`freed`, `opentrackio`).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::FreeD => "freed",
            Protocol::OpenTrackIo => "opentrackio",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a camera is tracked (stage file: `cameras[..].tracking`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraTracking {
    /// Wire protocol of the tracker.
    pub protocol: Protocol,
    /// Camera id in the packets (FreeD byte 1; OpenTrackIO `sourceNumber`).
    pub camera_id: u32,
    /// Where to listen, e.g. `"0.0.0.0:40000"` or a multicast group `"239.135.1.1:55555"`
    /// (joined on `interface`, or on every IPv4 interface). Default: all interfaces on the
    /// protocol's usual port.
    pub bind: Option<SocketAddr>,
    /// For a multicast `bind`: the local IPv4 address of the interface to join the group on
    /// (default: every interface with an IPv4 address).
    pub interface: Option<Ipv4Addr>,
    /// OpenTrackIO only: also accept packets whose Fletcher-16 checksum uses the older modulus 255
    /// (some vendors' early implementations). Default `false`: only the current spec's modulus 256.
    pub legacy_checksum: bool,
    /// Accept packets only from these sender addresses (empty: from anyone).
    pub allow: Vec<IpAddr>,
    /// Tracker-to-stage transform (default: Z-up, Y-forward tracker axes to stage Y-up).
    pub transform: TrackerTransform,
    /// Which time a sample is placed at (default: the sender's; see [`ClockSource`]).
    pub clock: ClockSource,
    /// FreeD only: the tracker's sample rate in Hz, the nominal cadence its samples are placed on
    /// (default: the stage frame rate). Set it when the tracker runs at another rate.
    pub tracker_rate_hz: Option<f64>,
    /// Render time to the LEDs emitting the frame (render, transfer, processor, LED scan): the
    /// wall is rendered for the camera predicted this far ahead. Measure it, e.g. with a fast pan
    /// against a line on the wall (`docs/tracking.md`). Default 0 (still predicted to the render
    /// time when the newest sample is older).
    pub latency: TimeSpan,
    /// Milliseconds the prediction starts before the render time, so that the base pose is
    /// interpolated between two samples rather than taken from the newest one alone (robust to a
    /// sample a little late); the prediction covers it. Default 0: start from the newest sample.
    pub interpolation_margin_ms: f64,
    /// Longest extrapolation in milliseconds past the base pose (a lost feed or a large latency
    /// is not extrapolated further: the pose holds there). Default 50.
    pub max_prediction_ms: f64,
    /// Delay of the camera's own video relative to its tracking: used only where tracking must
    /// match the camera's picture (the simulated camera view, a composite over the camera's
    /// video), never for the wall. Default 0.
    pub video_delay: TimeSpan,
    /// Extra overscan for speed, as a fraction of the angle the camera turns within the
    /// prediction horizon (1: covers a camera stopping dead; 0: none, the default). Given per
    /// frame as [`crate::tracking::TrackedState::extra_overscan_deg`].
    pub speed_overscan: f64,
    /// Removed: `delay` rendered an older pose, which only adds lag. Present only to give a
    /// located error naming `latency` and `video_delay`.
    #[doc(hidden)]
    #[serde(skip_serializing)]
    pub delay: RemovedDelay,
    /// Jitter filter applied to incoming poses.
    pub filter: Filter,
    /// No sample for this many milliseconds is a dropout (the last good pose is held).
    pub dropout_ms: f64,
    /// Raw zoom/focus encoder values to lens parameters (empty: use the stage camera's lens, or the
    /// lens values the tracker sends).
    pub lens_table: LensTable,
}

impl Default for CameraTracking {
    fn default() -> Self {
        CameraTracking {
            protocol: Protocol::FreeD,
            camera_id: 1,
            bind: None,
            interface: None,
            legacy_checksum: false,
            allow: Vec::new(),
            transform: TrackerTransform::default(),
            clock: ClockSource::default(),
            tracker_rate_hz: None,
            latency: TimeSpan::default(),
            interpolation_margin_ms: 0.0,
            max_prediction_ms: 50.0,
            video_delay: TimeSpan::default(),
            speed_overscan: 0.0,
            delay: RemovedDelay,
            filter: Filter::None,
            dropout_ms: 100.0,
            lens_table: LensTable::default(),
        }
    }
}

impl CameraTracking {
    /// Default settings for a protocol and camera id.
    pub fn new(protocol: Protocol, camera_id: u32) -> Self {
        CameraTracking {
            protocol,
            camera_id,
            ..Default::default()
        }
    }

    /// The address to listen on: `bind`, or all interfaces on the protocol's usual port.
    pub fn bind_addr(&self) -> SocketAddr {
        self.bind.unwrap_or(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            self.protocol.default_port(),
        ))
    }

    /// Every problem with these settings, as readable sentences (empty when valid).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = self.transform.axes_matrix() {
            out.push(e);
        }
        let t = &self.transform;
        let nums = [
            t.scale.0, t.scale.1, t.scale.2, t.offset.0, t.offset.1, t.offset.2,
        ];
        if nums.iter().any(|v| !v.is_finite()) || t.rotation.values().iter().any(|v| !v.is_finite())
        {
            out.push("transform values must be finite numbers".into());
        }
        for (name, span) in [("latency", self.latency), ("video_delay", self.video_delay)] {
            match span {
                TimeSpan::Ms(v) | TimeSpan::Frames(v) if !(v.is_finite() && v >= 0.0) => {
                    out.push(format!("{name} must be a non-negative number, got {v}"))
                }
                _ => {}
            }
        }
        for (name, v) in [
            ("interpolation_margin_ms", self.interpolation_margin_ms),
            ("max_prediction_ms", self.max_prediction_ms),
            ("speed_overscan", self.speed_overscan),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                out.push(format!("{name} must be a non-negative number, got {v}"));
            }
        }
        if let Some(r) = self.tracker_rate_hz
            && !(r.is_finite() && r > 0.0)
        {
            out.push(format!(
                "tracker_rate_hz must be a positive number, got {r}"
            ));
        }
        if let Filter::OneEuro {
            min_cutoff,
            beta,
            d_cutoff,
        } = self.filter
        {
            let ok = [min_cutoff, beta, d_cutoff].iter().all(|v| v.is_finite())
                && min_cutoff > 0.0
                && d_cutoff > 0.0
                && beta >= 0.0;
            if !ok {
                out.push("OneEuro filter needs min_cutoff > 0, d_cutoff > 0, beta >= 0".into());
            }
        }
        if !(self.dropout_ms.is_finite() && self.dropout_ms > 0.0) {
            out.push(format!(
                "dropout_ms must be a positive number, got {}",
                self.dropout_ms
            ));
        }
        if self.interface.is_some() && !self.bind.is_some_and(|b| b.ip().is_multicast()) {
            out.push("interface is for a multicast bind address (e.g. 239.135.1.1:55555)".into());
        }
        out.extend(self.lens_table.problems());
        out
    }
}

/// A tracker axis with a sign, naming where a stage axis comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Axis {
    /// Tracker +X.
    X,
    /// Tracker +Y.
    Y,
    /// Tracker +Z.
    Z,
    /// Tracker -X.
    NegX,
    /// Tracker -Y.
    NegY,
    /// Tracker -Z.
    NegZ,
}

impl Axis {
    /// The tracker-space unit vector of this axis.
    pub fn vector(self) -> glam::DVec3 {
        use glam::DVec3;
        match self {
            Axis::X => DVec3::X,
            Axis::Y => DVec3::Y,
            Axis::Z => DVec3::Z,
            Axis::NegX => DVec3::NEG_X,
            Axis::NegY => DVec3::NEG_Y,
            Axis::NegZ => DVec3::NEG_Z,
        }
    }
}

/// Tracker-to-stage transform.
///
/// Both protocols are decoded into a tracker frame with Z up and, at pan = tilt = roll = 0, the camera
/// looking along +Y with +X to its right (positions in metres). The stage position is
/// `rotation * axes(scale * p) + offset`, and the stage orientation is the tracker's orientation
/// carried through the same axis mapping and rotation. The default, `axes: (X, Z, NegY)`, maps
/// the tracker's Y-forward/Z-up frame onto the stage's -Z-forward/Y-up frame with the tracker origin
/// at the stage origin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerTransform {
    /// Which tracker axis (with sign) gives stage x, y and z. Must be a rotation (no mirror).
    pub axes: (Axis, Axis, Axis),
    /// Per-axis factor on tracker positions before the axis mapping (units; -1 mirrors an axis).
    pub scale: (f64, f64, f64),
    /// Reverse the sense of the tracker's pan, tilt or roll (for trackers that differ from the protocol).
    pub invert_pan: bool,
    /// Reverse the sense of the tracker's tilt.
    pub invert_tilt: bool,
    /// Reverse the sense of the tracker's roll.
    pub invert_roll: bool,
    /// Rotation of the tracker frame in the stage (applied after the axis mapping).
    pub rotation: Orientation,
    /// Stage position of the tracker origin, in metres.
    pub offset: (f64, f64, f64),
}

impl Default for TrackerTransform {
    fn default() -> Self {
        TrackerTransform {
            axes: (Axis::X, Axis::Z, Axis::NegY),
            scale: (1.0, 1.0, 1.0),
            invert_pan: false,
            invert_tilt: false,
            invert_roll: false,
            rotation: Orientation::default(),
            offset: (0.0, 0.0, 0.0),
        }
    }
}

impl TrackerTransform {
    /// The stage-from-tracker axis matrix (rows = stage axes); an error when the axes are not a
    /// rotation (an axis repeated, or a mirror).
    pub fn axes_matrix(&self) -> Result<glam::DMat3, String> {
        let (a, b, c) = self.axes;
        // Rows of the matrix are the tracker axes that give stage x, y, z.
        let m = glam::DMat3::from_cols(a.vector(), b.vector(), c.vector()).transpose();
        let det = m.determinant();
        if (det - 1.0).abs() > 1e-9 {
            let why = if det.abs() < 0.5 {
                "an axis is used twice"
            } else {
                "they mirror the space (use a negative scale to mirror positions)"
            };
            return Err(format!(
                "transform axes {:?} are not a rotation: {why}",
                self.axes
            ));
        }
        Ok(m)
    }
}

/// Which time a tracker sample is placed at on the render clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClockSource {
    /// The sender's time: OpenTrackIO's `timing.sampleTimestamp`, or for FreeD (no stamp) the
    /// sample's slot on the tracker's nominal cadence (`tracker_rate_hz`), mapped to the local
    /// clock by a fitted offset (`tracking::clock`). A sample without a stamp, when no cadence is
    /// known, keeps its arrival time.
    #[default]
    Sender,
    /// The arrival time (network and scheduler jitter included).
    Arrival,
}

/// The removed `delay` field: reading it is an error that names its replacements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemovedDelay;

/// The error for a stage file that still sets `delay`.
pub const DELAY_REMOVED: &str = "`delay` was removed: it rendered an older pose, which only adds \
lag. Use `latency` (render time to LED emission, e.g. `latency: Frames(2.0)`: the wall is rendered \
for the predicted camera) and, only for matching the camera's own video, `video_delay`";

impl<'de> Deserialize<'de> for RemovedDelay {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom(DELAY_REMOVED))
    }
}

/// A span of time, in milliseconds or in frames at the stage frame rate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum TimeSpan {
    /// Milliseconds.
    Ms(f64),
    /// Frames at the stage frame rate.
    Frames(f64),
}

impl Default for TimeSpan {
    fn default() -> Self {
        TimeSpan::Ms(0.0)
    }
}

impl TimeSpan {
    /// The span in seconds at a frame rate in Hz (frames at a rate that is not positive: 0).
    pub fn seconds(self, frame_rate: f64) -> f64 {
        match self {
            TimeSpan::Ms(ms) => ms / 1000.0,
            TimeSpan::Frames(n) if frame_rate > 0.0 => n / frame_rate,
            TimeSpan::Frames(_) => 0.0,
        }
    }
}

/// Jitter filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Filter {
    /// Poses pass unchanged.
    #[default]
    None,
    /// One-Euro filter (Casiez et al. 2012): `min_cutoff` (Hz) sets smoothing at rest, `beta` how
    /// fast the cutoff rises with speed (less lag on fast moves), `d_cutoff` (Hz) the speed estimate's
    /// cutoff. Typical: `OneEuro(min_cutoff: 1.0, beta: 0.5, d_cutoff: 1.0)`.
    OneEuro {
        /// Cutoff at rest, Hz.
        min_cutoff: f64,
        /// Cutoff increase per unit of speed.
        beta: f64,
        /// Cutoff of the speed estimate, Hz.
        d_cutoff: f64,
    },
}

/// A lens calibration table: lens parameters at calibrated (zoom, focus) encoder values, raw or
/// normalised (`encoders`).
///
/// Points with the same zoom value form a row along focus; the lens at any (zoom, focus) is
/// interpolated linearly along focus within the two rows that bracket the zoom value, then
/// linearly between them. Outside the calibrated range the nearest edge is held. A sample may send
/// any subset of the encoders: a missing one is allowed where the table does not depend on it
/// (zoom: a table of one zoom row; focus: one point per zoom row). Iris does not index the table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LensTable {
    /// Which encoder values the points' `zoom` and `focus` are in (default: raw).
    pub encoders: TableEncoders,
    /// Calibrated points.
    pub points: Vec<LensPoint>,
}

/// The encoder values a lens table is indexed by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableEncoders {
    /// Raw encoder counts (FreeD's zoom and focus; OpenTrackIO's `rawEncoders`).
    #[default]
    Raw,
    /// Normalised 0..1 values (OpenTrackIO's `encoders`: focus 0 = infinity, zoom 0 = wide).
    Normalised,
}

/// One calibrated lens setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LensPoint {
    /// Raw zoom encoder value.
    pub zoom: f64,
    /// Raw focus encoder value.
    #[serde(default)]
    pub focus: f64,
    /// Pinhole focal length in millimetres.
    pub focal_length_mm: f64,
    /// Focus distance in metres.
    #[serde(default = "default_focus_distance")]
    pub focus_distance_m: f64,
    /// Entrance-pupil offset in metres (positive towards the subject).
    #[serde(default)]
    pub entrance_pupil_m: f64,
    /// Brown-Conrady distortion at this setting.
    #[serde(default)]
    pub distortion: Distortion,
}

fn default_focus_distance() -> f64 {
    5.0
}

impl LensTable {
    /// Problems with the table's numbers.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, p) in self.points.iter().enumerate() {
            let d = &p.distortion;
            let nums = [
                p.zoom,
                p.focus,
                p.focal_length_mm,
                p.focus_distance_m,
                p.entrance_pupil_m,
                d.k1,
                d.k2,
                d.k3,
                d.p1,
                d.p2,
            ];
            if nums.iter().any(|v| !v.is_finite()) {
                out.push(format!("lens_table.points[{i}]: values must be finite"));
            } else if p.focal_length_mm <= 0.0 {
                out.push(format!(
                    "lens_table.points[{i}]: focal_length_mm must be positive"
                ));
            }
        }
        // Two points at the same encoder values (the same zoom row, see
        // `transform::ZOOM_ROW_TOLERANCE`, and the same focus): the lookup would pick one silently.
        for row in super::transform::zoom_rows(&self.points) {
            let mut row = row;
            row.sort_by(|&a, &b| {
                self.points[a]
                    .focus
                    .total_cmp(&self.points[b].focus)
                    .then(a.cmp(&b))
            });
            for pair in row.windows(2) {
                let (a, b) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
                let (pa, pb) = (&self.points[a], &self.points[b]);
                if pa.focus == pb.focus {
                    out.push(format!(
                        "lens_table.points[{b}] (zoom {}, focus {}) is at the same encoder values as points[{a}] (zoom {}, focus {}): keep one",
                        pb.zoom, pb.focus, pa.zoom, pa.focus
                    ));
                }
            }
        }
        out
    }
}
