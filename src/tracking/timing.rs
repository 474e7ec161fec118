//! Time: sample buffers, interpolation, prediction to the LEDs' emission time, pan unwrap, dropouts
//! (held, then snapped); and [`TrackedCamera`], which turns tracker samples into the stage camera
//! (smoothing: [`super::filter`]).

use std::collections::VecDeque;

use super::clock::{Cadence, DEFAULT_WINDOW_S, SenderClock};
use super::config::Protocol;
use super::config::{CameraTracking, ClockSource, Filter};
use super::filter::PoseFilter;
use super::predict::{extrapolate, fit_motion, speed_overscan_deg};
use super::sample::TrackerSample;
use super::transform::{LensLookup, StageTransform};
use crate::camera::{CameraState, Lens, Pose};

/// `next` moved by whole turns to lie within 180 degrees of `prev` (a continuous pan readout).
pub fn unwrap_deg(prev: f64, next: f64) -> f64 {
    if !(prev.is_finite() && next.is_finite()) {
        return next;
    }
    next - 360.0 * ((next - prev) / 360.0).round()
}

/// Linear interpolation of positions and lens numbers, slerp of rotations (shortest path, so a pan
/// through +-180 degrees turns the short way).
pub fn interpolate(a: &CameraState, b: &CameraState, s: f64) -> CameraState {
    let s = s.clamp(0.0, 1.0);
    let l = |x: f64, y: f64| x + (y - x) * s;
    let (la, lb) = (&a.lens, &b.lens);
    let (da, db) = (la.distortion, lb.distortion);
    CameraState {
        pose: Pose {
            position: a.pose.position.lerp(b.pose.position, s),
            rotation: a.pose.rotation.slerp(b.pose.rotation, s).normalize(),
        },
        lens: Lens {
            focal_length_mm: l(la.focal_length_mm, lb.focal_length_mm),
            sensor_mm: (
                l(la.sensor_mm.0, lb.sensor_mm.0),
                l(la.sensor_mm.1, lb.sensor_mm.1),
            ),
            shift_mm: (
                l(la.shift_mm.0, lb.shift_mm.0),
                l(la.shift_mm.1, lb.shift_mm.1),
            ),
            entrance_pupil_m: l(la.entrance_pupil_m, lb.entrance_pupil_m),
            focus_distance_m: l(la.focus_distance_m, lb.focus_distance_m),
            distortion: da.lerp(&db, s),
            squeeze: l(la.squeeze, lb.squeeze),
        },
    }
}

/// Time-stamped stage cameras, oldest first, bounded in length.
#[derive(Clone, Debug)]
pub struct SampleBuffer {
    samples: VecDeque<(f64, CameraState)>,
    capacity: usize,
}

impl SampleBuffer {
    /// A buffer that keeps the newest `capacity` samples (at least 2).
    pub fn new(capacity: usize) -> SampleBuffer {
        SampleBuffer {
            samples: VecDeque::new(),
            capacity: capacity.max(2),
        }
    }

    /// Adds a sample at time `t` (seconds). Out-of-order samples are inserted in place; a sample at
    /// the time of an existing one replaces it; non-finite times are ignored.
    pub fn push(&mut self, t: f64, cam: CameraState) {
        if !t.is_finite() {
            return;
        }
        let i = self.samples.partition_point(|(ts, _)| *ts < t);
        if i < self.samples.len() && self.samples[i].0 == t {
            self.samples[i].1 = cam;
        } else {
            self.samples.insert(i, (t, cam));
        }
        while self.samples.len() > self.capacity {
            self.samples.pop_front();
        }
    }

    /// Number of samples held.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether no sample is held.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Time of the newest sample.
    pub fn latest_time(&self) -> Option<f64> {
        self.samples.back().map(|(t, _)| *t)
    }

    /// Time of the sample at `index` (0: the oldest).
    pub fn time_of(&self, index: usize) -> Option<f64> {
        self.samples.get(index).map(|(t, _)| *t)
    }

    /// Time of the oldest sample.
    pub fn first_time(&self) -> Option<f64> {
        self.samples.front().map(|(t, _)| *t)
    }

    /// The camera at time `t`: interpolated between the samples around it, the first sample before
    /// them, the newest after them (held). `None` when empty.
    pub fn at(&self, t: f64) -> Option<CameraState> {
        let n = self.samples.len();
        let (first, last) = (self.samples.front()?, self.samples.back()?);
        if t.is_nan() || t >= last.0 {
            return Some(last.1);
        }
        if t <= first.0 {
            return Some(first.1);
        }
        let j = self.samples.partition_point(|(ts, _)| *ts <= t).min(n - 1);
        let (ta, a) = &self.samples[j - 1];
        let (tb, b) = &self.samples[j];
        let s = if tb > ta { (t - ta) / (tb - ta) } else { 1.0 };
        Some(interpolate(a, b, s))
    }

    /// Like [`Self::at`], but a gap between samples longer than `max_gap` seconds (a dropout) is
    /// not interpolated across: inside it the sample before the gap is held. Returns the time the
    /// result is valid at (`t`, or the held sample's time), the camera, and the index of the newest
    /// sample at or before that time. `None` when empty.
    pub fn at_within(&self, t: f64, max_gap: f64) -> Option<(f64, CameraState, usize)> {
        let n = self.samples.len();
        let (first, last) = (self.samples.front()?, self.samples.back()?);
        if t.is_nan() || t >= last.0 {
            return Some((last.0, last.1, n - 1));
        }
        if t <= first.0 {
            return Some((first.0, first.1, 0));
        }
        let j = self.samples.partition_point(|(ts, _)| *ts <= t).min(n - 1);
        let (ta, a) = &self.samples[j - 1];
        let (tb, b) = &self.samples[j];
        if tb - ta > max_gap {
            return Some((*ta, *a, j - 1));
        }
        let s = if tb > ta { (t - ta) / (tb - ta) } else { 1.0 };
        Some((t, interpolate(a, b, s), j - 1))
    }

    /// Up to `count` samples ending with index `newest`, oldest first, none across a gap longer
    /// than `max_gap` seconds: the recent motion the prediction is fitted to.
    pub fn recent(&self, newest: usize, count: usize, max_gap: f64) -> Vec<(f64, Pose)> {
        let mut out = Vec::with_capacity(count);
        let mut i = newest.min(self.samples.len().saturating_sub(1));
        while let Some((t, c)) = self.samples.get(i) {
            if out
                .last()
                .is_some_and(|(tn, _): &(f64, Pose)| tn - t > max_gap)
                || out.len() >= count
            {
                break;
            }
            out.push((*t, c.pose));
            if i == 0 {
                break;
            }
            i -= 1;
        }
        out.reverse();
        out
    }
}

/// Whether a camera's tracking is live.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrackingStatus {
    /// Samples arrive within the dropout timeout.
    Live,
    /// No sample for `for_s` seconds (more than the timeout): the last good pose is held.
    Dropout {
        /// Seconds since the last sample.
        for_s: f64,
    },
    /// No sample yet: the stage file's camera is used.
    NoData,
}

/// A tracked camera's pose and lens for a render time, with the feed's status.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackedState {
    /// The camera to render the wall with (predicted to LED emission).
    pub camera: CameraState,
    /// The camera as its own video sees it at the same render time: `video_delay` before it,
    /// interpolated, never predicted ([`TrackedCamera::video_at`]); for the simulated camera view,
    /// never for the wall. Equal to `camera`'s pose source time when `video_delay` is 0 and there is
    /// no latency.
    pub video: CameraState,
    /// Whether tracking is live.
    pub status: TrackingStatus,
    /// Seconds the pose was extrapolated past the newest sample used (0: interpolated or held).
    pub horizon_s: f64,
    /// Fitted angular speed of the camera, degrees per second.
    pub angular_speed_deg_s: f64,
    /// Extra half-angle of view (degrees) for speed: [`super::predict::speed_overscan_deg`] of the
    /// angular speed over the render-to-emission time (latency plus margin), times the configured
    /// `speed_overscan` (0 when off). Applied by [`crate::render::FrameInputs::with_speed_overscan`].
    pub extra_overscan_deg: f64,
    /// Time (on the samples' clock, seconds) of the newest sample the pose was made from; `None`
    /// without tracking data. The live loop's latency runs from it to the output's delivery.
    pub newest_sample_s: Option<f64>,
}

impl TrackedState {
    /// A camera given outright (the stage file's, a pose in a check file): status `NoData`, the
    /// video camera the same, no prediction and no speed overscan.
    pub fn untracked(camera: CameraState) -> TrackedState {
        TrackedState {
            camera,
            video: camera,
            status: TrackingStatus::NoData,
            horizon_s: 0.0,
            angular_speed_deg_s: 0.0,
            extra_overscan_deg: 0.0,
            newest_sample_s: None,
        }
    }
}

/// One tracked camera: transform, lens table, sample clock, filter, sample buffer and prediction.
#[derive(Clone, Debug)]
pub struct TrackedCamera {
    config: CameraTracking,
    transform: StageTransform,
    lens_table: LensLookup,
    filter: Option<PoseFilter>,
    buffer: SampleBuffer,
    base: CameraState,
    latency_s: f64,
    margin_s: f64,
    max_prediction_s: f64,
    video_delay_s: f64,
    dropout_s: f64,
    last_arrival: Option<f64>,
    last_lens: Lens,
    clock: Option<SenderClock>,
    cadence: Cadence,
    /// FreeD's configured cadence (`tracker_rate_hz`, else the stage frame rate), Hz.
    configured_rate_hz: Option<f64>,
    /// The nominal cadence of the latest sample placed on one (no stamp), Hz.
    nominal_hz: Option<f64>,
}

/// Samples the prediction's velocity and angular velocity are fitted to (least squares; 3 keeps
/// the fit's lag to one sample period on a changing motion).
pub const PREDICTION_SAMPLES: usize = 3;

/// Samples kept per camera (several seconds at common tracking rates).
pub const BUFFER_CAPACITY: usize = 1024;

impl TrackedCamera {
    /// A tracked camera. `base` is the stage file's camera (used before the first sample; its lens
    /// supplies whatever the tracker and the lens table do not). Errors list the configuration's
    /// problems.
    pub fn new(
        config: &CameraTracking,
        base: CameraState,
        frame_rate: f64,
    ) -> Result<TrackedCamera, String> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        let transform = StageTransform::new(&config.transform)?;
        let filter = match config.filter {
            Filter::None => None,
            Filter::OneEuro {
                min_cutoff,
                beta,
                d_cutoff,
            } => Some(PoseFilter::new(min_cutoff, beta, d_cutoff)),
        };
        Ok(TrackedCamera {
            config: config.clone(),
            transform,
            lens_table: LensLookup::new(&config.lens_table),
            filter,
            buffer: SampleBuffer::new(BUFFER_CAPACITY),
            base,
            latency_s: config.latency.seconds(frame_rate),
            margin_s: config.interpolation_margin_ms / 1000.0,
            max_prediction_s: config.max_prediction_ms / 1000.0,
            video_delay_s: config.video_delay.seconds(frame_rate),
            dropout_s: config.dropout_ms / 1000.0,
            last_arrival: None,
            last_lens: base.lens,
            clock: match config.clock {
                // The cadence is chosen per sample (see `sample_time`).
                ClockSource::Sender => Some(SenderClock::new(0.0, DEFAULT_WINDOW_S)),
                ClockSource::Arrival => None,
            },
            cadence: Cadence::default(),
            configured_rate_hz: match config.protocol {
                Protocol::FreeD => Some(config.tracker_rate_hz.unwrap_or(frame_rate)),
                Protocol::OpenTrackIo => None,
            },
            nominal_hz: None,
        })
    }

    /// The settings.
    pub fn config(&self) -> &CameraTracking {
        &self.config
    }

    /// Render time to LED emission, seconds (the prediction's target is render time + this).
    pub fn latency_s(&self) -> f64 {
        self.latency_s
    }

    /// Delay of the camera's video relative to its tracking, seconds (see [`Self::video_at`]).
    pub fn video_delay_s(&self) -> f64 {
        self.video_delay_s
    }

    /// Whether a sample belongs to this camera (protocol and camera id).
    pub fn accepts(&self, s: &TrackerSample) -> bool {
        s.source == self.config.protocol && s.camera_id == self.config.camera_id
    }

    /// The stage camera for one sample (transform and lens; no filtering or delay).
    pub fn stage_camera(&self, s: &TrackerSample) -> CameraState {
        CameraState {
            pose: self.transform.apply(s),
            lens: self.lens_for(s, self.last_lens),
        }
    }

    fn lens_for(&self, s: &TrackerSample, prev: Lens) -> Lens {
        let mut lens = prev;
        if let Some(l) = &s.lens {
            if let Some(v) = l.focal_length_mm {
                lens.focal_length_mm = v;
            }
            if let Some(v) = l.focus_distance_m {
                lens.focus_distance_m = v;
            }
            if let Some(v) = l.entrance_pupil_m {
                lens.entrance_pupil_m = v;
            }
            if let Some(v) = l.distortion {
                lens.distortion = v;
            }
            if let Some(v) = l.shift_mm {
                lens.shift_mm = v;
            }
            if let Some(v) = l.sensor_mm {
                lens.sensor_mm = v;
            }
            if let Some(v) = l.squeeze {
                lens.squeeze = v;
            }
        }
        // A lens table, when given, is the calibration: it wins over values the tracker sends.
        if let Some(t) = self.lens_table.lookup_sample(s) {
            lens.focal_length_mm = t.focal_length_mm;
            lens.focus_distance_m = t.focus_distance_m;
            lens.entrance_pupil_m = t.entrance_pupil_m;
            lens.distortion = t.distortion;
        }
        lens
    }

    /// The local time a sample that arrived at `arrival` is placed at (sender clock or arrival;
    /// see [`super::clock`]). Updates the clock fit.
    pub fn sample_time(&mut self, arrival: f64, s: &TrackerSample) -> f64 {
        let configured = self.configured_rate_hz;
        match &mut self.clock {
            Some(c) => {
                // A sample without a stamp is placed on its stated rate (OpenTrackIO's
                // `sampleRate`), else the configured cadence.
                let rate = if s.sender_time.is_none() {
                    s.sample_rate_hz.or(configured)
                } else {
                    None
                };
                self.nominal_hz = rate;
                c.local_time_at(arrival, s.sender_time, rate.unwrap_or(0.0))
            }
            None => arrival,
        }
    }

    /// When samples are placed on a nominal cadence (FreeD's `tracker_rate_hz`, or an unstamped
    /// OpenTrackIO `sampleRate`) that differs from the rate they arrive at by more than
    /// [`super::clock::CADENCE_TOLERANCE`]: `(nominal, measured)` in Hz. The samples land on the
    /// wrong slots: set `tracker_rate_hz` to the measured rate.
    pub fn cadence_mismatch(&self) -> Option<(f64, f64)> {
        let nominal = self.nominal_hz?;
        self.cadence.mismatch(nominal).map(|m| (nominal, m))
    }

    /// Adds a sample that arrived (or was recorded) at time `arrival` seconds. It is placed at
    /// its sender time mapped to the local clock (configured `clock`); dropouts are judged on
    /// arrivals.
    pub fn push(&mut self, arrival: f64, s: &TrackerSample) {
        self.cadence.observe(arrival);
        let t = self.sample_time(arrival, s);
        let mut cam = self.stage_camera(s);
        self.last_lens = cam.lens;
        if let Some(f) = &mut self.filter {
            cam.pose = f.filter(t, cam.pose);
        }
        self.buffer.push(t, cam);
        self.last_arrival = Some(self.last_arrival.map_or(arrival, |a| a.max(arrival)));
    }

    /// The camera for the wall frame rendered at `render_time` (same clock as the samples): the
    /// pose predicted to the time the LEDs emit it (`render_time + latency`), and whether tracking
    /// is live.
    ///
    /// The prediction starts from the base pose at `min(target, render_time - margin)`
    /// (interpolated; the newest sample when that is later than it) and extrapolates with the
    /// velocity and angular velocity fitted to the last [`PREDICTION_SAMPLES`] samples up to the
    /// base, for at most `max_prediction_ms`. A gap longer than the dropout timeout is never
    /// interpolated across nor fitted across: the pose holds (after at most `max_prediction_ms`
    /// of extrapolation) and snaps to the new samples when they resume. The lens is the base's.
    pub fn at(&self, render_time: f64) -> TrackedState {
        let target = render_time + self.latency_s;
        TrackedState {
            video: self.video_at(render_time).camera,
            ..self.predicted(render_time, target, render_time - self.margin_s, true)
        }
    }

    /// The camera matching the camera's own video at `render_time`: the pose at `render_time -
    /// video_delay`, interpolated, never predicted. For the simulated camera view or a composite
    /// over the camera's picture, never for the wall.
    pub fn video_at(&self, render_time: f64) -> TrackedState {
        let t = render_time - self.video_delay_s;
        self.predicted(render_time, t, t, false)
    }

    fn predicted(&self, render_time: f64, target: f64, base_t: f64, predict: bool) -> TrackedState {
        let gap = self.dropout_s;
        let Some((t0, base, newest)) = self.buffer.at_within(target.min(base_t), gap) else {
            return TrackedState::untracked(self.base);
        };
        let mut camera = base;
        let motion = fit_motion(&self.buffer.recent(newest, PREDICTION_SAMPLES, gap));
        let horizon_s = if predict {
            (target - t0).clamp(0.0, self.max_prediction_s)
        } else {
            0.0
        };
        if horizon_s > 0.0 {
            camera.pose = extrapolate(base.pose, &motion, horizon_s);
        }
        let angular_speed_deg_s = motion.angular_speed_deg_s();
        let since = self.last_arrival.map_or(0.0, |a| render_time - a);
        let status = if since > self.dropout_s {
            TrackingStatus::Dropout { for_s: since }
        } else {
            TrackingStatus::Live
        };
        TrackedState {
            camera,
            video: camera,
            status,
            horizon_s,
            angular_speed_deg_s,
            extra_overscan_deg: speed_overscan_deg(
                angular_speed_deg_s,
                self.latency_s + self.margin_s,
                self.config.speed_overscan,
            ),
            newest_sample_s: self.buffer.time_of(newest),
        }
    }

    /// Times the sender clock's fit restarted on a stamp far from it (a restarted tracker, a
    /// clock that jumped; [`SenderClock::resets`]); 0 with the arrival clock.
    pub fn clock_resets(&self) -> u64 {
        self.clock.as_ref().map_or(0, SenderClock::resets)
    }

    /// The sample buffer.
    pub fn buffer(&self) -> &SampleBuffer {
        &self.buffer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwrap_keeps_pan_continuous() {
        assert_eq!(unwrap_deg(179.0, -179.0), 181.0);
        assert_eq!(unwrap_deg(-179.0, 179.0), -181.0);
        assert_eq!(unwrap_deg(720.0 + 10.0, 20.0), 740.0);
        assert_eq!(unwrap_deg(0.0, 90.0), 90.0);
    }
}
