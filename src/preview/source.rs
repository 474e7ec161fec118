//! The camera source: which pose and lens the shown camera has this frame. A take played back,
//! live tracking, or the stage file's camera flown with keys and mouse gives a
//! [`CameraState`]; the live lens adjustments (focal length, overscan) become [`Overrides`]; and
//! [`FrameInputs::resolve`] turns both into the frame's inputs (so `Auto` overscan is sized per
//! frame for the tracked lens). No window and no GPU types.

use std::path::Path;
use std::time::Instant;

use crate::camera::{CameraState, OverscanRule};
use crate::render::{FrameInputs, InputError, Overrides};
use crate::stage::Stage;
use crate::tracking::{LiveCameras, Take, TakeCameras, TrackedState, TrackingStatus};

use super::PreviewError;
use super::input::{FlyCamera, Held};

/// What drives the camera.
enum Source {
    Fly,
    Take {
        cameras: TakeCameras,
        name: String,
        started: Instant,
    },
    Live {
        cameras: LiveCameras,
        rate_hz: f64,
        last_count: u64,
        last_at: Instant,
        dropouts: u64,
        was_live: bool,
    },
}

/// Where one frame's camera state came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Origin {
    /// The stage file's camera, flown with keys and mouse (or at rest).
    Flown,
    /// Frame `frame` of the take (at the stage frame rate); with `NoData`, the flown camera.
    Take {
        /// The take frame used.
        frame: u64,
        /// The take's tracking status at that frame.
        status: TrackingStatus,
    },
    /// Live tracking; with `NoData`, the flown camera.
    Live {
        /// The feed's status at this frame.
        status: TrackingStatus,
    },
}

impl Origin {
    /// `flown`, `take` or `live`.
    pub fn name(&self) -> &'static str {
        match self {
            Origin::Flown => "flown",
            Origin::Take { .. } => "take",
            Origin::Live { .. } => "live",
        }
    }

    /// The tracking status (`None` for a flown camera).
    pub fn status(&self) -> Option<TrackingStatus> {
        match *self {
            Origin::Flown => None,
            Origin::Take { status, .. } | Origin::Live { status } => Some(status),
        }
    }
}

/// The shown camera's source and the user's live adjustments.
pub struct CameraSource {
    /// The stage camera shown (by name).
    pub name: String,
    source: Source,
    /// Why live tracking is not running, when it failed to start.
    note: String,
    /// The flown camera, once the user moved it.
    pub fly: Option<FlyCamera>,
    /// Movement keys held down.
    pub held: Held,
    /// Focal length set with the keys or the panel (millimetres), overriding the source's lens.
    pub focal_mm: Option<f64>,
    /// Overscan set with the keys or the panel (a `Uniform` fraction), overriding the camera's rule.
    pub overscan: Option<f64>,
}

impl CameraSource {
    /// The source for camera `name` of `stage`: the take at `take` when given, else live tracking
    /// when `live` and a stage camera has tracking settings (a failure to listen falls back to the
    /// flown camera, with a note in the status), else the flown camera.
    pub fn open(
        stage: &Stage,
        name: String,
        take: Option<&Path>,
        live: bool,
    ) -> Result<CameraSource, PreviewError> {
        let mut note = String::new();
        let source = if let Some(path) = take {
            let take = Take::load(path)?;
            let cameras = TakeCameras::new(&take, &stage.camera_specs(), stage.frame_rate)?;
            cameras.check_feeds(&name)?;
            Source::Take {
                cameras,
                name: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                started: Instant::now(),
            }
        } else if live && stage.cameras.iter().any(|c| c.tracking.is_some()) {
            match LiveCameras::start(&stage.camera_specs(), stage.frame_rate) {
                Ok(cameras) => {
                    for f in cameras.failures() {
                        note.push_str(&format!(" (not listening: {f})"));
                    }
                    Source::Live {
                        cameras,
                        rate_hz: 0.0,
                        last_count: 0,
                        last_at: Instant::now(),
                        dropouts: 0,
                        was_live: false,
                    }
                }
                Err(e) => {
                    log::warn!("live tracking not started: {e}");
                    note = format!(" (live tracking failed: {e})");
                    Source::Fly
                }
            }
        } else {
            Source::Fly
        };
        Ok(CameraSource {
            name,
            source,
            note,
            fly: None,
            held: Held::default(),
            focal_mm: None,
            overscan: None,
        })
    }

    /// The shown camera's pose and lens for window frame `frame`, `dt` seconds after the last one.
    ///
    /// A take gives take frame `frame mod count` when `fixed_frame` (scripts and tests: `--frames`),
    /// else the frame at the wall-clock time since the take started, looping. Live tracking gives
    /// the pose for now (delay and filter applied by [`LiveCameras`]). Without tracking data (or
    /// without tracking) the stage file's camera is used, moved by the flown camera.
    pub fn state(
        &mut self,
        stage: &Stage,
        frame: u64,
        fixed_frame: bool,
        dt: f64,
    ) -> (CameraState, Origin) {
        let (tracked, origin) = self.tracked(stage, frame, fixed_frame, dt);
        (tracked.camera, origin)
    }

    /// [`CameraSource::state`] with what tracking adds: the video camera (`video_delay`) and the
    /// speed overscan ([`crate::tracking::TrackedState`]); a flown camera is
    /// [`TrackedState::untracked`].
    pub fn tracked(
        &mut self,
        stage: &Stage,
        frame: u64,
        fixed_frame: bool,
        dt: f64,
    ) -> (TrackedState, Origin) {
        let (tracked, origin) = match &mut self.source {
            Source::Fly => (None, Origin::Flown),
            Source::Take {
                cameras, started, ..
            } => {
                let n = cameras.frame_count().max(1);
                let f = if fixed_frame {
                    frame % n
                } else {
                    (started.elapsed().as_secs_f64() * stage.frame_rate) as u64 % n
                };
                let t = cameras.camera_at_frame(&self.name, f);
                let status = t.map_or(TrackingStatus::NoData, |t| t.status);
                (t, Origin::Take { frame: f, status })
            }
            Source::Live { cameras, .. } => {
                cameras.update();
                let t = cameras.camera(&self.name, cameras.now());
                let status = t.map_or(TrackingStatus::NoData, |t| t.status);
                (t, Origin::Live { status })
            }
        };
        let state = match tracked {
            Some(t) if t.status != TrackingStatus::NoData => t,
            _ => {
                let mut state = stage.camera(&self.name).map(|c| c.rest).unwrap_or_default();
                if let Some(fly) = &mut self.fly {
                    fly.step(&self.held, dt);
                    state.pose = fly.pose();
                } else if self.held != Held::default() {
                    let mut fly = FlyCamera::from_pose(&state.pose);
                    fly.step(&self.held, dt);
                    state.pose = fly.pose();
                    self.fly = Some(fly);
                }
                TrackedState::untracked(state)
            }
        };
        (state, origin)
    }

    /// The live lens adjustments as overrides: the focal length, and the overscan as a `Uniform`
    /// rule (replacing the camera's rule, `Auto` included).
    pub fn overrides(&self) -> Overrides {
        Overrides {
            focal_length_mm: self.focal_mm,
            overscan: self.overscan.map(OverscanRule::Uniform),
            ..Default::default()
        }
    }

    /// The frame's cameras: the shown one first ([`CameraSource::frame_inputs`]'s `inputs`), then
    /// every other enabled stage camera (drawn by priority) at the same take frame or tracking time
    /// as `origin`, or at its rest pose where the source does not track it.
    ///
    /// Errors: a camera whose settings cannot be resolved.
    pub fn frame_cameras(
        &mut self,
        stage: &Stage,
        inputs: FrameInputs,
        origin: Origin,
    ) -> Result<Vec<FrameInputs>, InputError> {
        let source = &mut self.source;
        FrameInputs::with_stage_cameras(stage, inputs, |name| match (&mut *source, origin) {
            (Source::Take { cameras, .. }, Origin::Take { frame, .. }) => {
                cameras.camera_at_frame(name, frame)
            }
            (Source::Live { cameras, .. }, _) => cameras.camera(name, cameras.now()),
            _ => None,
        })
    }

    /// Shows the next stage camera (key C): the simulated camera view and the flown camera follow
    /// it; the others stay on the wall by priority.
    pub fn next_camera(&mut self, stage: &Stage) {
        let names: Vec<&str> = stage.cameras.iter().map(|c| c.name.as_str()).collect();
        if let Some(k) = names.iter().position(|n| *n == self.name) {
            self.name = names[(k + 1) % names.len()].to_string();
            self.fly = None;
        }
    }

    /// This frame's inputs: [`CameraSource::tracked`] through [`FrameInputs::resolve_tracked`] with
    /// [`CameraSource::overrides`].
    pub fn frame_inputs(
        &mut self,
        stage: &Stage,
        frame: u64,
        fixed_frame: bool,
        dt: f64,
    ) -> Result<(FrameInputs, Origin), InputError> {
        let (tracked, origin) = self.tracked(stage, frame, fixed_frame, dt);
        let inputs = FrameInputs::resolve_tracked(stage, &self.name, &tracked, &self.overrides())?;
        Ok((inputs, origin))
    }

    /// The overscan rule in force: `key` (the keys' or panel's `Uniform` override), or the stage
    /// camera's `Uniform`, `PerSide` or `Auto`.
    pub fn overscan_rule(&self, stage: &Stage) -> &'static str {
        if self.overscan.is_some() {
            return "key";
        }
        match stage.camera(&self.name).map(|c| c.inner.overscan) {
            Some(OverscanRule::Uniform(_)) | None => "uniform",
            Some(OverscanRule::PerSide(_)) => "per side",
            Some(OverscanRule::Auto { .. }) => "auto",
        }
    }

    /// Back to the source's camera, focal length and overscan (key R, the panel's reset).
    pub fn reset(&mut self) {
        self.fly = None;
        self.focal_mm = None;
        self.overscan = None;
    }

    /// Turns the flown camera by a mouse drag, starting it at `inputs`' pose.
    pub fn look(&mut self, inputs: Option<&FrameInputs>, dx: f64, dy: f64) {
        let base = inputs.map(|i| i.pose).unwrap_or_default();
        self.fly
            .get_or_insert_with(|| FlyCamera::from_pose(&base))
            .look(dx, dy);
    }

    /// The status lines about the camera: its pose and lens, the overscan (and whether the
    /// soft-edge band lies outside the picture), then the tracking source and its health.
    pub fn status(&mut self, inputs: &FrameInputs, stage: &Stage) -> String {
        let (p, t, r) = crate::camera::quat_to_pan_tilt_roll(inputs.pose.rotation);
        let o = inputs.overscan;
        let sides = if [o.right, o.bottom, o.top]
            .iter()
            .all(|v| (v - o.left).abs() < 5e-4)
        {
            format!("{:.3}", o.left)
        } else {
            format!(
                "L{:.3} R{:.3} B{:.3} T{:.3}",
                o.left, o.right, o.bottom, o.top
            )
        };
        let band = if inputs.band_outside_picture() {
            "band outside picture"
        } else {
            "BAND IN PICTURE"
        };
        let pose = format!(
            "camera {} at {:.2},{:.2},{:.2} pan {:.1} tilt {:.1} roll {:.1} | {:.1} mm | overscan {sides} {}, {band}",
            inputs.camera_name,
            inputs.pose.position.x,
            inputs.pose.position.y,
            inputs.pose.position.z,
            p,
            t,
            r,
            inputs.lens.focal_length_mm,
            self.overscan_rule(stage),
        );
        let src = match &mut self.source {
            Source::Fly => format!("tracking: none, flown{}", self.note),
            Source::Take { cameras, name, .. } => {
                format!("tracking: take {name} ({} frames)", cameras.frame_count())
            }
            Source::Live {
                cameras,
                rate_hz,
                last_count,
                last_at,
                dropouts,
                was_live,
            } => {
                let stats = cameras.stats();
                let count: u64 = stats.iter().map(|s| s.2.accepted).sum();
                let el = last_at.elapsed().as_secs_f64();
                if el >= 1.0 {
                    *rate_hz = (count - (*last_count).min(count)) as f64 / el;
                    *last_count = count;
                    *last_at = Instant::now();
                }
                let state = cameras.camera(&self.name, cameras.now()).map(|s| s.status);
                let live = state == Some(TrackingStatus::Live);
                if *was_live && !live {
                    *dropouts += 1;
                }
                *was_live = live;
                let latency_ms = stage
                    .camera(&self.name)
                    .and_then(|c| c.tracking.as_ref())
                    .map_or(0.0, |t| t.latency.seconds(stage.frame_rate) * 1e3);
                let listen: Vec<String> = stats
                    .iter()
                    .map(|(proto, addr, _)| format!("{proto} {addr}"))
                    .collect();
                let status = match state {
                    Some(TrackingStatus::Live) => "live".to_string(),
                    Some(TrackingStatus::Dropout { for_s }) => format!("DROPOUT {for_s:.1} s"),
                    _ => "no data".to_string(),
                };
                let cadence: String = cameras
                    .cadence_mismatches()
                    .iter()
                    .filter(|(n, _, _)| *n == self.name)
                    .map(|(_, nominal, measured)| {
                        format!(
                            "\nRATE MISMATCH: samples arrive at {measured:.2} Hz, placed at \
                             {nominal:.2} Hz: set tracker_rate_hz: {measured:.2}"
                        )
                    })
                    .collect();
                format!(
                    "tracking: {} {status}, {:.1} Hz, dropouts {dropouts}, latency {latency_ms:.1} ms{}{cadence}",
                    listen.join(", "),
                    rate_hz,
                    self.note
                )
            }
        };
        format!("{pose}\n{src}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::TrackerSample;
    use glam::DVec3;

    fn tiny() -> Stage {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        crate::stage::load(Path::new(path)).unwrap()
    }

    #[test]
    fn without_tracking_the_camera_is_the_stage_files_until_flown() {
        let stage = tiny();
        let mut s = CameraSource::open(&stage, "A".into(), None, true).unwrap();
        let (state, origin) = s.state(&stage, 0, true, 0.0);
        assert_eq!(origin, Origin::Flown);
        // tiny.ron: camera A at (0, 1, 0.5), 24 mm, looking along -Z.
        assert_eq!(state.pose.position, DVec3::new(0.0, 1.0, 0.5));
        assert_eq!(state.lens.focal_length_mm, 24.0);
        // W held for 0.1 s at 1 m/s moves 0.1 m along -Z.
        s.held.forward = 1.0;
        let (state, _) = s.state(&stage, 1, true, 0.1);
        assert!((state.pose.position - DVec3::new(0.0, 1.0, 0.4)).length() < 1e-12);
        s.reset();
        s.held = Held::default();
        let (state, _) = s.state(&stage, 2, true, 0.1);
        assert_eq!(state.pose.position, DVec3::new(0.0, 1.0, 0.5));
    }

    #[test]
    fn the_overscan_key_replaces_the_rule_with_a_uniform_overscan() {
        let stage = tiny();
        let mut s = CameraSource::open(&stage, "A".into(), None, false).unwrap();
        let (i, _) = s.frame_inputs(&stage, 0, true, 0.0).unwrap();
        assert_eq!(i.overscan.left, 0.3, "tiny.ron: Uniform(0.3)");
        assert_eq!(s.overscan_rule(&stage), "uniform");
        s.overscan = Some(0.05);
        s.focal_mm = Some(50.0);
        let (i, _) = s.frame_inputs(&stage, 0, true, 0.0).unwrap();
        assert_eq!(
            [
                i.overscan.left,
                i.overscan.right,
                i.overscan.bottom,
                i.overscan.top
            ],
            [0.05; 4]
        );
        assert_eq!(i.lens.focal_length_mm, 50.0);
        assert_eq!(s.overscan_rule(&stage), "key");
    }

    #[test]
    fn fixed_frames_play_take_frame_k_mod_count() {
        let stage = tiny();
        // Samples 1/60 s apart (tiny.ron runs at 60 fps) moving 0.1 m along tracker X per frame.
        let mut take = Take::default();
        for k in 0..4 {
            let mut sample = TrackerSample::from_freed(&Default::default());
            sample.camera_id = 1;
            sample.x_m = 0.1 * k as f64;
            sample.y_m = -2.0;
            sample.z_m = 1.5;
            take.push(k as f64 / 60.0, sample);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.take");
        take.save(&path).unwrap();
        let reference = TakeCameras::new(&take, &stage.camera_specs(), stage.frame_rate).unwrap();
        let n = reference.frame_count();
        assert!(n >= 3, "{n} take frames");
        let mut s = CameraSource::open(&stage, "A".into(), Some(&path), true).unwrap();
        for frame in 0..2 * n + 1 {
            let (state, origin) = s.state(&stage, frame, true, 0.0);
            let k = frame % n;
            assert_eq!(
                origin,
                Origin::Take {
                    frame: k,
                    status: TrackingStatus::Live
                }
            );
            let want = reference.camera_at_frame("A", k).unwrap().camera;
            assert_eq!(state, want, "frame {frame}");
        }
        // By hand, take frame 1: the default tracker transform gives stage (x, y, z) = tracker
        // (x, z, -y).
        let (state, _) = s.state(&stage, 1, true, 0.0);
        let hand = DVec3::new(0.1, 1.5, 2.0);
        assert!(
            (state.pose.position - hand).length() < 1e-9,
            "{}",
            state.pose.position
        );
    }

    /// Key C cycles the shown camera through the stage's cameras; the frame's cameras are the shown
    /// one first, then the other enabled ones (a disabled camera is left out).
    #[test]
    fn the_shown_camera_cycles_and_the_others_stay_on_the_wall() {
        let text = r#"Stage(name: "three", frame_rate: 50.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (8, 8))],
  sections: [(name: "W", panel_type: "P", shape: Flat(columns: 2, rows: 1, position: (0.0, 1.5, -3.0)),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 16, height: 8)],
  cameras: [Camera(name: "A"), Camera(name: "B", priority: 2), Camera(name: "C", enabled: false)])"#;
        let stage = Stage::from_ron(text, "three.ron").unwrap();
        let mut s = CameraSource::open(&stage, "A".into(), None, false).unwrap();
        let names = |s: &mut CameraSource| {
            let (inputs, origin) = s.frame_inputs(&stage, 0, true, 0.0).unwrap();
            let cams = s.frame_cameras(&stage, inputs, origin).unwrap();
            cams.iter()
                .map(|c| c.camera_name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&mut s), ["A", "B"]);
        s.next_camera(&stage);
        assert_eq!(s.name, "B");
        assert_eq!(names(&mut s), ["B", "A"]);
        s.next_camera(&stage);
        // A disabled camera can still be shown on its own: it is the one drawn first.
        assert_eq!(s.name, "C");
        assert_eq!(names(&mut s), ["C", "A", "B"]);
        s.next_camera(&stage);
        assert_eq!(s.name, "A");
    }
}
