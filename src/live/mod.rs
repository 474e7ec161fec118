//! The live loop (`parallax run`): at the stage frame rate, each frame takes the camera's tracked
//! state for the frame (predicted to the LEDs' emission time by [`crate::tracking`]), resolves it
//! through [`FrameInputs::resolve_tracked`] (the one frame path), renders it and delivers every
//! output to the sinks; edits to the stage file are parsed off the render thread, and their
//! renderer and scene built and swapped in between two frames ([`reload`]).
//!
//! Never dark: a frame that fails (a render or read-back error, a refused surface, an injected
//! fault) is counted, reported once per distinct message, and the last good frame's outputs are
//! delivered again in its place; the loop carries on with the next frame.
//!
//! Pacing ([`Pacing::Timer`], [`pacing`]): frame numbers are slots at the stage rate; slot `n` is due
//! `n` periods after the first frame was delivered (start-up is not counted); the loop sleeps until
//! then. A frame delivered after the next slot was due is *late*; when the loop falls `k` whole slots
//! behind, the next frame rendered is the slot for the current time and the `k` slots in between
//! are *dropped* (never rendered, counted), so the wall stays on time. [`Pacing::Unpaced`] renders
//! every slot back to back (tests, benchmarks).
//!
//! Latency ([`stats::FrameStats::latency_ms`]): from the newest tracking sample the frame used to
//! the output's delivery, on the tracking clock (a take's frames are placed on it by their slot).

mod framelog;
mod inputs;
pub mod pacing;
pub mod recovery;
pub mod reload;
pub mod resources;
pub mod sink;
pub mod stats;
mod status;
pub mod targets;
pub mod window;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::frame::FrameInfo;
use crate::gpu::Gpu;
use crate::render::{ReadImage, RenderError, Renderer, RendererOptions};
use crate::scene::{SceneList, SceneSpec};
use crate::stage::Stage;
use crate::tracking::{LiveCameras, TakeCameras, TrackedState};

use framelog::FrameLogLine;
pub use framelog::timecode;
pub use pacing::Pacer;
pub use recovery::{Fault, FaultKind};
pub use reload::{Reload, Reloader};
pub use sink::{Delivery, FileSink, NullSink, Sink};
pub use stats::{FrameStats, RunStats};
pub use targets::{HeadlessSink, Plan, TargetOverrides, WindowTarget};

/// How frames are paced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pacing {
    /// On a timer at the stage frame rate (late frames counted, missed slots dropped).
    #[default]
    Timer,
    /// Back to back, as fast as the GPU allows (tests and benchmarks).
    Unpaced,
}

/// What a run does.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// The stage camera to render (default: the first).
    pub camera: Option<String>,
    /// Replay this take at its own timing instead of live tracking.
    pub take: Option<PathBuf>,
    /// Replay the take in a loop: after its last frame, playback restarts at its first (frame
    /// numbers keep counting); the run goes on until `frames` or a stop request.
    pub loop_take: bool,
    /// Listen to live tracking (when there is no take and a camera has tracking settings).
    pub live_tracking: bool,
    /// Stop before slot (frame number) `frames`: slots `0..frames` are rendered or dropped.
    /// Default: a take's last frame, or run until stopped without a take. Beyond a take's end the
    /// camera holds its last pose (tracking dropout).
    pub frames: Option<u64>,
    /// Pacing.
    pub pacing: Pacing,
    /// Watch the stage file and what it names, reloading on a change.
    pub watch: bool,
    /// Environment image replacing the stage file's.
    pub environment: Option<PathBuf>,
    /// Append every frame's description to this JSON Lines file.
    pub frame_log: Option<PathBuf>,
    /// Failures injected at frames (the never-dark path, for tests and drills).
    pub faults: Vec<Fault>,
    /// Also render the unwrapped wall and the simulated camera view (for remote viewing,
    /// [`LiveLoop::read_views`]); off by default (they cost GPU time).
    pub views: bool,
}

/// Something that runs with the loop, between two frames (the remote-control server): it may
/// change the stage before a frame ([`LiveLoop::apply_stage`]) and look at the frame after it.
pub trait FrameHook {
    /// Before frame [`LiveLoop::frame`] is rendered (after the stage file's reloads).
    fn before_frame(&mut self, live: &mut LiveLoop);
    /// After a frame was delivered: its figures and the primary camera's tracked state.
    fn after_frame(&mut self, live: &LiveLoop, stats: &FrameStats, tracked: &TrackedState);
}

/// Why a run could not start. (Once running, nothing stops it but the frame count or a stop
/// request: per-frame failures are held and counted.)
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The stage file does not load.
    #[error(transparent)]
    Stage(#[from] crate::stage::StageError),
    /// The take does not load or does not fit the stage.
    #[error(transparent)]
    Take(#[from] crate::tracking::take::TakeError),
    /// Live tracking could not start.
    #[error(transparent)]
    Tracking(#[from] crate::tracking::live::LiveError),
    /// No GPU.
    #[error(transparent)]
    Gpu(#[from] crate::gpu::GpuError),
    /// The renderer could not be built for the stage.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The scene could not be built.
    #[error(transparent)]
    Scene(#[from] crate::scene::EnvironmentError),
    /// The camera is not in the stage.
    #[error(transparent)]
    Camera(#[from] crate::stage::UnknownCamera),
    /// Watching the stage file failed.
    #[error(transparent)]
    Watch(#[from] reload::WatchError),
    /// The frame log could not be opened.
    #[error("cannot open the frame log {path}: {source}")]
    FrameLog {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Where the camera comes from.
enum Source {
    Take(TakeCameras),
    Live(LiveCameras),
    Rest,
}

/// The running loop: stage, GPU, renderer, scene, tracking, figures.
pub struct LiveLoop {
    stage_path: PathBuf,
    options: RunOptions,
    stage: Stage,
    camera: String,
    gpu: Gpu,
    renderer: Renderer,
    scene: SceneList,
    source: Source,
    reloader: Option<Reloader>,
    /// The last good frame's pictures, with the encodings they were rendered in and their
    /// `frame.json`: what a failed frame holds on the sinks.
    last_good: Option<Shown>,
    log: Option<std::fs::File>,
    frame: u64,
    epoch: Instant,
    reported: Vec<String>,
    /// Why the GPU device was lost, while it is not yet re-created.
    lost: Option<String>,
    /// Times the GPU device was re-created.
    generation: u64,
    /// The renderer is new (re-created or swapped in) and has not rendered a frame yet: its output
    /// textures hold nothing to show.
    fresh: bool,
    /// An edit changed the outputs' targets: they apply at the next start.
    targets_changed: bool,
    /// When the status line was last printed, and whether it was.
    status_at: Instant,
    status_shown: bool,
    /// Cameras switched on or off by [`LiveLoop::set_camera_enabled`], overriding the stage file's
    /// `enabled`.
    switched: Vec<(String, bool)>,
    /// The frame-rate clock ([`pacing`]); started by the first delivered frame.
    clock: Pacer,
    /// The take's end was reported.
    take_end_told: bool,
    /// The last refused edit's located error.
    refused: Option<String>,
    /// Messages printed for the operator (reloads applied, the take's end), in order.
    notices: Vec<String>,
    /// Run with the loop between frames ([`FrameHook`]).
    hooks: Vec<Box<dyn FrameHook>>,
    /// Render nodes ([`crate::cluster`]): the primary publishes each frame's inputs and runs the
    /// swap barrier; a node renders the primary's frame instead of its own.
    sync: Option<Box<dyn crate::cluster::FrameSync>>,
    /// On render nodes, a reloaded stage loaded and held until the cluster's switch frame, with
    /// the files whose change triggered it.
    held: Option<(reload::Prepared, Vec<PathBuf>)>,
    /// Render only these outputs ([`LiveLoop::render_only`]); `None`: all.
    keep: Option<Vec<String>>,
    /// The last frame was not presented (refused by the cluster): windows keep their picture.
    withheld: bool,
    /// Figures so far.
    pub stats: RunStats,
}

/// `keep`: render only these outputs ([`LiveLoop::render_only`]).
fn renderer_for(
    gpu: &Gpu,
    stage: &Stage,
    views: bool,
    keep: Option<&[String]>,
) -> Result<Renderer, RenderError> {
    let options = RendererOptions {
        wall: views,
        camera: views,
        ..Default::default()
    };
    let mut renderer = Renderer::new(gpu, stage, options)?;
    if let Some(names) = keep {
        renderer.keep_outputs(names);
    }
    Ok(renderer)
}

impl LiveLoop {
    /// Loads the stage at `stage_path` and everything a run needs (GPU, renderer, scene, the take
    /// or live tracking, the watcher, the frame log). Errors: anything that stops the run from
    /// starting, each with its file and reason.
    pub fn new(stage_path: &Path, options: RunOptions) -> Result<LiveLoop, RunError> {
        let stage = crate::stage::load(stage_path)?;
        let camera = stage
            .camera_or_first(options.camera.as_deref())?
            .name
            .clone();
        let source = Self::source(&stage, &options)?;
        let gpu = Gpu::headless()?;
        let renderer = renderer_for(&gpu, &stage, options.views, None)?;
        let spec = SceneSpec::for_stage(&stage, options.environment.as_deref());
        let scene = crate::scene::build(&renderer.scene_context(&gpu), &spec)?;
        let reloader = if options.watch {
            Some(Reloader::start(stage_path, &reload::dependencies(&stage))?)
        } else {
            None
        };
        let log = match &options.frame_log {
            Some(path) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| RunError::FrameLog {
                        path: path.clone(),
                        source,
                    })?;
                Some(f)
            }
            None => None,
        };
        let stats = RunStats::new(stage.frame_rate);
        Ok(LiveLoop {
            stage_path: stage_path.to_path_buf(),
            options,
            stage,
            camera,
            gpu,
            renderer,
            scene,
            source,
            reloader,
            last_good: None,
            log,
            frame: 0,
            epoch: Instant::now(),
            reported: Vec::new(),
            lost: None,
            generation: 0,
            fresh: true,
            targets_changed: false,
            status_at: Instant::now(),
            status_shown: false,
            switched: Vec::new(),
            clock: Pacer::new(stats.frame_rate),
            take_end_told: false,
            notices: Vec::new(),
            refused: None,
            hooks: Vec::new(),
            sync: None,
            held: None,
            keep: None,
            withheld: false,
            stats,
        })
    }

    fn source(stage: &Stage, options: &RunOptions) -> Result<Source, RunError> {
        Ok(match &options.take {
            Some(path) => {
                let take = crate::tracking::Take::load(path)?;
                Source::Take(TakeCameras::new(
                    &take,
                    &stage.camera_specs(),
                    stage.frame_rate,
                )?)
            }
            None if options.live_tracking && stage.cameras.iter().any(|c| c.tracking.is_some()) => {
                Source::Live(LiveCameras::start(&stage.camera_specs(), stage.frame_rate)?)
            }
            None => Source::Rest,
        })
    }

    /// Joins the loop to render nodes ([`crate::cluster::Primary`] or [`crate::cluster::Node`]).
    pub fn set_sync(&mut self, sync: Box<dyn crate::cluster::FrameSync>) {
        self.sync = Some(sync);
    }

    /// The notes of the stage file's own writes when the loop watches it ([`reload::OwnWrites`]):
    /// a writer that notes its text (the remote server's save) is not reloaded by it.
    pub fn own_writes(&self) -> Option<reload::OwnWrites> {
        self.reloader.as_ref().map(|r| r.own_writes())
    }

    /// Renders (and reads back) only the outputs named in `names` from the next frame, also after
    /// a reload or a device re-creation (a render node's outputs: [`Renderer::keep_outputs`]);
    /// the others are read back as empty images.
    pub fn render_only(&mut self, names: Vec<String>) {
        self.renderer.keep_outputs(&names);
        self.keep = Some(names);
    }

    /// The cluster's frame for the loop's own inputs (unchanged without a cluster); `None`: the
    /// run is over.
    fn sync_frame(
        &mut self,
        own: crate::cluster::FrameState,
    ) -> Option<crate::cluster::FrameState> {
        let Some(sync) = &mut self.sync else {
            return Some(own);
        };
        let f = sync.frame(&self.stage, own)?;
        self.frame = f.frame;
        self.camera = f.camera.0.clone();
        Some(f)
    }

    /// Ends the run's figures: the latency percentiles, and the cluster's figures on a cluster.
    fn finish_stats(&mut self) {
        self.stats.finish();
        self.stats.cluster = self.sync.as_ref().map(|s| s.figures());
    }

    /// The environment image overriding the stage's (`RunOptions::environment`), if any.
    pub fn environment(&self) -> Option<&Path> {
        self.options.environment.as_deref()
    }

    /// The stage running now.
    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    /// The GPU the loop renders on (output windows present from it).
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    /// The renderer's output textures, in stage order (what the windows show; after a failed
    /// frame they still hold the last good one; see [`LiveLoop::outputs_ready`]).
    pub fn output_textures(&self) -> impl Iterator<Item = &wgpu::Texture> {
        self.renderer.output_textures()
    }

    /// The GPU adapter, in words.
    pub fn adapter(&self) -> String {
        self.gpu.describe()
    }

    /// The next frame's number.
    pub fn frame(&self) -> u64 {
        self.frame
    }

    /// Adds a hook run between frames ([`FrameHook`]).
    pub fn add_hook(&mut self, hook: Box<dyn FrameHook>) {
        self.hooks.push(hook);
    }

    /// Reads back the last rendered frame: outputs, and the wall and camera view when
    /// [`RunOptions::views`] is on. Errors: a failed read-back.
    pub fn read_views(&self) -> Result<crate::render::RenderedFrame, RenderError> {
        self.renderer.read_frame(&self.gpu)
    }

    /// The distinct per-frame errors reported so far, oldest first.
    pub fn errors(&self) -> &[String] {
        &self.reported
    }

    /// Switches a stage camera's inner frustum on or off from the next frame, overriding the stage
    /// file's `enabled` (the loop's camera, the primary one, is always drawn). Errors: no camera of
    /// that name.
    pub fn set_camera_enabled(
        &mut self,
        name: &str,
        enabled: bool,
    ) -> Result<(), crate::stage::UnknownCamera> {
        self.stage.camera_or_first(Some(name))?;
        self.switched.retain(|(n, _)| n != name);
        self.switched.push((name.to_string(), enabled));
        Ok(())
    }

    /// Renders and delivers frame [`LiveLoop::frame`], due at `due`. Never fails: a failure holds
    /// the last good frame on the sinks and is counted ([`FrameStats::held`]); after a frame that
    /// found the GPU device lost, the device is re-created ([`recovery`]).
    pub fn step(&mut self, sinks: &mut [&mut dyn Sink], due: Instant) -> FrameStats {
        self.apply_reloads();
        let mut hooks = std::mem::take(&mut self.hooks);
        hooks.iter_mut().for_each(|h| h.before_frame(self));
        if self
            .sync
            .as_mut()
            .is_some_and(|s| s.switch_before(self.frame))
        {
            self.switch_held();
        }
        let (tracked, render_time) = self.tracked(self.frame);
        let others = self.others(self.frame, render_time);
        let own = crate::cluster::FrameState {
            frame: self.frame,
            render_time,
            camera: (self.camera.clone(), tracked),
            others,
            switch: false,
        };
        let Some(crate::cluster::FrameState {
            frame: n,
            render_time,
            camera: (_, tracked),
            others,
            switch,
        }) = self.sync_frame(own)
        else {
            hooks.append(&mut self.hooks);
            self.hooks = hooks;
            return FrameStats::default();
        };
        if switch {
            self.switch_held();
        }
        let started = Instant::now();
        let wants = sinks.iter().any(|s| s.wants(n));
        let mut stats = FrameStats {
            frame: n,
            startup: self.stats.frames == 0,
            ..Default::default()
        };
        let result = self.render(&tracked, &others, n, wants, &mut stats);
        let delivered_at;
        let mut info = None;
        let failed = result.as_ref().err().map(|e| e.as_str());
        let present = self.sync.as_mut().is_none_or(|s| s.present(n, failed));
        self.withheld = !present;
        match result {
            Ok((inputs, images)) => {
                let frame_info = FrameInfo::of_stage(&self.stage, &inputs, n);
                let t = Instant::now();
                if let Some(outputs) = images {
                    let shown = Shown {
                        outputs,
                        encodings: self
                            .stage
                            .colour
                            .outputs
                            .iter()
                            .map(|o| o.encoding)
                            .collect(),
                        working_space: self.stage.colour.working_space,
                        info: frame_info.clone(),
                    };
                    for s in sinks.iter_mut() {
                        if present && let Err(e) = s.deliver(&shown.delivery(n, false)) {
                            self.report(&format!("frame {n}: {e}"));
                        }
                    }
                    self.last_good = Some(shown);
                }
                stats.present_ms = ms(t.elapsed());
                delivered_at = Instant::now();
                self.fresh = false;
                info = Some(frame_info);
            }
            Err(message) => {
                stats.held = true;
                stats.device_lost |= self.lost.is_some();
                self.report(&format!(
                    "frame {n}: {message}; holding the last good frame"
                ));
                let t = Instant::now();
                let mut errors = Vec::new();
                if let Some(shown) = self.last_good.as_ref().filter(|_| present) {
                    for s in sinks.iter_mut() {
                        if s.wants(n)
                            && let Err(e) = s.deliver(&shown.delivery(n, true))
                        {
                            errors.push(format!("frame {n}: {e}"));
                        }
                    }
                }
                for e in errors {
                    self.report(&e);
                }
                stats.present_ms = ms(t.elapsed());
                delivered_at = Instant::now();
            }
        }
        stats.frame_ms = ms(delivered_at.saturating_duration_since(due));
        let timer = self.options.pacing == Pacing::Timer;
        // Start-up is not late: the clock starts when the first frame has been delivered.
        stats.late = timer && self.clock.is_started() && delivered_at > due + self.clock.period();
        if timer {
            self.clock.started(n, delivered_at);
        }
        // On the tracking clock, the frame was delivered this long after its render time. Only
        // frames with live tracking count (a dropout holds an old sample: its age is not latency).
        let delivered_s = render_time + delivered_at.duration_since(started).as_secs_f64();
        stats.dropout = matches!(
            tracked.status,
            crate::tracking::TrackingStatus::Dropout { .. }
        );
        stats.latency_ms = match tracked.status {
            crate::tracking::TrackingStatus::Live => {
                tracked.newest_sample_s.map(|s| (delivered_s - s) * 1000.0)
            }
            _ => None,
        };
        if let (Some(log), Some(info)) = (&mut self.log, &info) {
            let line = FrameLogLine {
                info,
                timecode: timecode(n, self.stage.frame_rate),
                render_time_s: render_time,
                newest_sample_s: tracked.newest_sample_s,
                held: stats.held,
            };
            if let Err(e) = framelog::append_line(log, &line) {
                self.report(&format!(
                    "frame {n}: the frame log could not be written ({e}); the frame's line is left out"
                ));
            }
        }
        self.stats.push(stats.clone());
        self.frame += 1;
        hooks
            .iter_mut()
            .for_each(|h| h.after_frame(self, &stats, &tracked));
        hooks.append(&mut self.hooks);
        self.hooks = hooks;
        self.recover();
        self.print_status();
        stats
    }
}

/// A frame's pictures as delivered, kept to be held when a later frame fails.
struct Shown {
    outputs: Vec<(String, ReadImage)>,
    encodings: Vec<crate::colour::output::Encoding>,
    working_space: crate::colour::primaries::WorkingSpace,
    info: FrameInfo,
}

impl Shown {
    /// These pictures delivered in slot `frame`.
    fn delivery(&self, frame: u64, held: bool) -> Delivery<'_> {
        Delivery {
            frame,
            outputs: &self.outputs,
            encodings: &self.encodings,
            working_space: self.working_space,
            info: &self.info,
            held,
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A stop flag set by Ctrl-C (SIGINT/SIGTERM): the loop finishes its frame and stops cleanly.
pub fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    if let Err(e) = ctrlc::set_handler(move || f.store(true, Ordering::Relaxed)) {
        log::warn!("Ctrl-C handler not installed: {e}");
    }
    flag
}
