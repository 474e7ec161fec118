//! Recorded takes: time-stamped tracker samples in a text file (JSON Lines), replay at original
//! timing or frame by frame, and the stage cameras of a take for offline renders.
//!
//! A take file starts with a header line `{"format":"parallax-take","version":1}`; every other line
//! is one sample: `{"t":0.02,"source":"freed","camera_id":1,"pan_deg":..,"tilt_deg":..,"roll_deg":..,
//! "x_m":..,"y_m":..,"z_m":..,"zoom":..,"focus":..}` (plus `"lens":{..}` for OpenTrackIO), in
//! seconds, degrees and metres, as the tracker sent them. Blank lines and lines starting with `#`
//! are ignored.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::CameraSpec;
use super::config::CameraTracking;
use super::sample::TrackerSample;
use super::timing::{TrackedCamera, TrackedState};
use crate::camera::CameraState;

/// The `format` of a take file's header line.
pub const TAKE_FORMAT: &str = "parallax-take";
/// The version written and read.
pub const TAKE_VERSION: u32 = 1;

/// A sample at a time (seconds from the start of the take, or on a receiver's clock).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedSample {
    /// Time in seconds.
    pub t: f64,
    /// The sample as the tracker sent it.
    #[serde(flatten)]
    pub sample: TrackerSample,
}

#[derive(Serialize, Deserialize)]
struct HeaderLine {
    format: String,
    version: u32,
}

/// Errors reading or writing takes, or building stage cameras from one.
#[derive(Debug, Error)]
pub enum TakeError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
    /// A line does not parse.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// Line number (from 1).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A camera's tracking settings are invalid.
    #[error("camera '{camera}': {message}")]
    Config {
        /// The stage camera.
        camera: String,
        /// The problems.
        message: String,
    },
}

/// A recorded take: samples in time order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Take {
    /// The samples, sorted by time.
    pub samples: Vec<TimedSample>,
}

impl Take {
    /// Loads a take file.
    pub fn load(path: &Path) -> Result<Take, TakeError> {
        let text = std::fs::read_to_string(path).map_err(|source| TakeError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Take::parse(&text, &path.display().to_string())
    }

    /// Parses take text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Take, TakeError> {
        let err = |line: usize, message: String| TakeError::Parse {
            file: file.to_string(),
            line,
            message,
        };
        let mut header = false;
        let mut samples = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            if !header {
                let h: HeaderLine = serde_json::from_str(l)
                    .map_err(|e| err(i + 1, format!("bad header line: {e}")))?;
                if h.format != TAKE_FORMAT || h.version != TAKE_VERSION {
                    return Err(err(
                        i + 1,
                        format!(
                            "not a {TAKE_FORMAT} version {TAKE_VERSION} file (format '{}', version {})",
                            h.format, h.version
                        ),
                    ));
                }
                header = true;
                continue;
            }
            let s: TimedSample = serde_json::from_str(l).map_err(|e| err(i + 1, e.to_string()))?;
            let s_ = &s.sample;
            let nums = [
                s.t,
                s_.pan_deg,
                s_.tilt_deg,
                s_.roll_deg,
                s_.x_m,
                s_.y_m,
                s_.z_m,
            ];
            if nums.iter().any(|v| !v.is_finite()) {
                return Err(err(i + 1, "time and pose must be finite numbers".into()));
            }
            samples.push(s);
        }
        if !header {
            return Err(err(1, "empty take (no header line)".into()));
        }
        samples.sort_by(|a, b| a.t.total_cmp(&b.t));
        Ok(Take { samples })
    }

    /// The take as text (one line per sample).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let header = HeaderLine {
            format: TAKE_FORMAT.into(),
            version: TAKE_VERSION,
        };
        out.push_str(&serde_json::to_string(&header).unwrap_or_default());
        out.push('\n');
        for s in &self.samples {
            if let Ok(line) = serde_json::to_string(s) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// Writes the take atomically.
    pub fn save(&self, path: &Path) -> Result<(), TakeError> {
        crate::io::write_atomic(path, self.to_text().as_bytes())?;
        Ok(())
    }

    /// Appends a sample (kept in time order).
    pub fn push(&mut self, t: f64, sample: TrackerSample) {
        let i = self.samples.partition_point(|s| s.t <= t);
        self.samples.insert(i, TimedSample { t, sample });
    }

    /// Time of the first sample (0 for an empty take).
    pub fn start(&self) -> f64 {
        self.samples.first().map_or(0.0, |s| s.t)
    }

    /// Duration from the first to the last sample.
    pub fn duration(&self) -> f64 {
        self.samples.last().map_or(0.0, |s| s.t - self.start())
    }

    /// The samples that fall in frame `frame` at `fps`: `start + frame/fps <= t < start + (frame+1)/fps`.
    pub fn frame_samples(&self, frame: u64, fps: f64) -> &[TimedSample] {
        if !(fps.is_finite() && fps > 0.0) {
            return &[];
        }
        let a = self.start() + frame as f64 / fps;
        let b = self.start() + (frame + 1) as f64 / fps;
        let i = self.samples.partition_point(|s| s.t < a);
        let j = self.samples.partition_point(|s| s.t < b);
        &self.samples[i..j.max(i)]
    }

    /// Replays at the original timing (scaled by `speed`, e.g. 1.0), calling `f` for each sample at
    /// its time; returns early when `stop` is set.
    pub fn play(&self, speed: f64, stop: &AtomicBool, mut f: impl FnMut(&TimedSample)) {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        let origin = Instant::now();
        let start = self.start();
        for s in &self.samples {
            let due = Duration::from_secs_f64(((s.t - start) / speed).max(0.0));
            loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let now = origin.elapsed();
                if now >= due {
                    break;
                }
                std::thread::sleep((due - now).min(Duration::from_millis(20)));
            }
            f(s);
        }
    }
}

/// The stage cameras of a take, ready for offline rendering: `camera_at_frame` gives the camera
/// (pose and lens after the tracker-to-stage transform, lens table, filter and delay) for a frame at
/// the stage frame rate. Frame 0 is the take's first sample time.
#[derive(Clone, Debug)]
pub struct TakeCameras {
    frame_rate: f64,
    start: f64,
    duration: f64,
    cameras: Vec<(String, TrackedCamera)>,
}

impl TakeCameras {
    /// Feeds a take through the stage's cameras. A camera with `tracking` settings takes the samples
    /// of its protocol and camera id. If no camera has tracking settings, the first stage camera
    /// takes the take's first tracked source with the default settings for its protocol (a stage
    /// without cameras gets one named "take" with the default lens).
    ///
    /// `stage_cameras` are the stage's cameras in order; `frame_rate` the stage frame rate (Hz).
    pub fn new(
        take: &Take,
        stage_cameras: &[CameraSpec<'_>],
        frame_rate: f64,
    ) -> Result<TakeCameras, TakeError> {
        let mut cameras = Vec::new();
        for c in stage_cameras {
            if let Some(cfg) = c.tracking {
                cameras.push((
                    c.name.to_string(),
                    tracked(c.name, cfg, c.rest, frame_rate)?,
                ));
            }
        }
        if cameras.is_empty()
            && let Some(first) = take.samples.first()
        {
            let cfg = CameraTracking::new(first.sample.source, first.sample.camera_id);
            let (name, base) = match stage_cameras.first() {
                Some(c) => (c.name.to_string(), c.rest),
                None => ("take".to_string(), CameraState::default()),
            };
            cameras.push((name.clone(), tracked(&name, &cfg, base, frame_rate)?));
        }
        for s in &take.samples {
            for (_, cam) in cameras.iter_mut() {
                if cam.accepts(&s.sample) {
                    cam.push(s.t, &s.sample);
                }
            }
        }
        Ok(TakeCameras {
            frame_rate,
            start: take.start(),
            duration: take.duration(),
            cameras,
        })
    }

    /// Cameras whose samples were placed on a nominal cadence that differs from the rate they were
    /// recorded at: `(camera, nominal Hz, measured Hz)` (see [`TrackedCamera::cadence_mismatch`]).
    pub fn cadence_mismatches(&self) -> Vec<(String, f64, f64)> {
        self.cameras
            .iter()
            .filter_map(|(n, c)| c.cadence_mismatch().map(|(a, b)| (n.clone(), a, b)))
            .collect()
    }

    /// Names of the tracked cameras, in stage order.
    pub fn names(&self) -> Vec<&str> {
        self.cameras.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Number of whole frames the take spans at the stage frame rate (at least 1 for a non-empty take).
    pub fn frame_count(&self) -> u64 {
        if self.frame_rate > 0.0 {
            (self.duration * self.frame_rate).floor() as u64 + 1
        } else {
            0
        }
    }

    /// Time of frame `frame` on the take's clock.
    pub fn frame_time(&self, frame: u64) -> f64 {
        self.start + frame as f64 / self.frame_rate
    }

    /// The named camera at frame `frame`; `None` for a camera the take does not track.
    pub fn camera_at_frame(&self, camera: &str, frame: u64) -> Option<TrackedState> {
        let t = self.frame_time(frame);
        self.cameras
            .iter()
            .find(|(n, _)| n == camera)
            .map(|(_, c)| c.at(t))
    }
}

fn tracked(
    name: &str,
    cfg: &CameraTracking,
    base: CameraState,
    frame_rate: f64,
) -> Result<TrackedCamera, TakeError> {
    TrackedCamera::new(cfg, base, frame_rate).map_err(|message| TakeError::Config {
        camera: name.to_string(),
        message,
    })
}
