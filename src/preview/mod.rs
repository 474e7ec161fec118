//! The preview window for stage engineers: the volume in 3D ([`View::Stage`]), the output rasters
//! as the processors receive them ([`View::Outputs`]) and the simulated camera
//! ([`View::Camera`]), driven by live tracking, a take or a camera flown with keyboard and mouse.
//!
//! The window draws what [`crate::render::Renderer`] produces (the same render core as the
//! headless frame: no second mapping pipeline); [`gpu::Painter`] only places those textures in the
//! window and draws lines and the status text. Only this module knows about winit. See
//! `docs/preview.md`.
//!
//! Rooms: `app` (the winit application: events, keys, panel, picking), `surface` (the window's
//! surface and screenshot), [`source`] (the shown camera's pose and lens per frame, through
//! [`FrameInputs::resolve`]), `frame` (the per-frame GPU work) and [`record`] (the pose log).

#![warn(missing_docs)]

mod app;
pub mod camera;
mod frame;
pub mod gpu;
pub mod input;
pub mod outputs;
pub mod overlay;
pub mod panel;
pub mod record;
pub mod source;
pub mod stage;
mod surface;

use std::path::PathBuf;
use std::sync::Arc;

use winit::event_loop::{ControlFlow, EventLoop};

use crate::gpu::GpuError;
use crate::render::{FrameInputs, RenderError};
use crate::scene::SceneSpec;
use crate::stage::Stage;
pub use record::{FrameRecord, PoseLog};

/// What the window shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The volume in 3D from an orbiting viewer, with the camera's frustum.
    Stage,
    /// The output rasters.
    Outputs,
    /// The simulated camera.
    Camera,
}

impl View {
    /// Lower-case name (`stage`, `outputs`, `camera`).
    pub fn name(self) -> &'static str {
        match self {
            View::Stage => "stage",
            View::Outputs => "outputs",
            View::Camera => "camera",
        }
    }
}

impl std::str::FromStr for View {
    type Err = String;
    fn from_str(s: &str) -> Result<View, String> {
        match s.to_ascii_lowercase().as_str() {
            "stage" => Ok(View::Stage),
            "outputs" => Ok(View::Outputs),
            "camera" => Ok(View::Camera),
            _ => Err(format!(
                "unknown view '{s}': expected stage, outputs or camera"
            )),
        }
    }
}

/// How the preview runs.
#[derive(Clone, Debug)]
pub struct PreviewOptions {
    /// The view shown first.
    pub view: View,
    /// Inner size of the window in pixels.
    pub size: (u32, u32),
    /// Render this many frames, then exit (scripts and tests).
    pub frames: Option<u64>,
    /// Save the last frame, read back from the window, to this PNG.
    pub screenshot: Option<PathBuf>,
    /// Play back a take instead of live tracking.
    pub take: Option<PathBuf>,
    /// Listen for live tracking when the stage's cameras have tracking settings.
    pub live: bool,
    /// What the wall shows.
    pub scene: SceneSpec,
    /// Show the outline and id overlay in the Outputs view.
    pub overlay: bool,
    /// Show the difference against the direct render in the Camera view.
    pub difference: bool,
    /// Ask the window system for this inner size halfway through `frames` (exercises resizing
    /// in scripts and tests).
    pub resize_to: Option<(u32, u32)>,
    /// Start with the control panel shown (key P toggles it; default shown, the CLI hides it
    /// with `--frames` unless `--panel`).
    pub panel: bool,
    /// The stage camera shown (by name); default: the first camera.
    pub camera: Option<String>,
    /// Write every presented frame's camera (pose, lens, overscan) to this JSON Lines file
    /// ([`FrameRecord`], one a line; the file appears when the preview ends).
    pub pose_log: Option<PathBuf>,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions {
            view: View::Stage,
            size: (1280, 720),
            frames: None,
            screenshot: None,
            take: None,
            live: true,
            scene: SceneSpec::default(),
            overlay: false,
            difference: false,
            resize_to: None,
            panel: true,
            camera: None,
            pose_log: None,
        }
    }
}

/// Why the preview stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// No window system (e.g. no `DISPLAY`).
    #[error(
        "cannot open a window: {0} (on a machine without a display, run under Xvfb: `xvfb-run -a parallax preview ...`)"
    )]
    Window(String),
    /// The GPU.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// The window's surface.
    #[error("window surface: {0}")]
    Surface(String),
    /// Rendering.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Frame inputs.
    #[error(transparent)]
    Input(#[from] crate::render::InputError),
    /// The scene.
    #[error(transparent)]
    Scene(#[from] crate::scene::EnvironmentError),
    /// The take.
    #[error(transparent)]
    Take(#[from] crate::tracking::take::TakeError),
    /// Live tracking.
    #[error(transparent)]
    Live(#[from] crate::tracking::live::LiveError),
    /// Saving the screenshot.
    #[error("screenshot: {0}")]
    Screenshot(String),
    /// Writing the pose log.
    #[error("pose log: {0}")]
    PoseLog(#[from] crate::io::WriteError),
}

/// What a finished preview did.
#[derive(Clone, Debug, Default)]
pub struct PreviewReport {
    /// Frames presented.
    pub frames: u64,
    /// The adapter.
    pub adapter: String,
    /// How the screenshot was read: `surface` (the window's own texture) or `offscreen`.
    pub screenshot_source: Option<&'static str>,
    /// The inputs of the last frame presented: the shown camera's pose, lens and inner frustum.
    pub last_inputs: Option<FrameInputs>,
}

/// Opens the window and runs until it is closed (or `options.frames` were rendered).
///
/// Errors: no window system, no GPU for the window, a stage camera or take that cannot be
/// resolved, a render error, or a screenshot or pose log that cannot be written.
pub fn run(stage: Stage, options: PreviewOptions) -> Result<PreviewReport, PreviewError> {
    let pose_log = options
        .pose_log
        .as_deref()
        .map(PoseLog::create)
        .transpose()?;
    let event_loop = EventLoop::new().map_err(|e| PreviewError::Window(e.to_string()))?;
    event_loop.set_control_flow(ControlFlow::Poll);
    let mut app = app::App {
        display: event_loop.owned_display_handle(),
        stage: Arc::new(stage),
        options,
        running: None,
        error: None,
        report: PreviewReport::default(),
        pose_log,
        attempts: 0,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| PreviewError::Window(e.to_string()))?;
    // The log of the frames presented is kept even when the preview stopped with an error.
    let logged = app.pose_log.take().map(PoseLog::finish).transpose();
    match app.error {
        Some(e) => Err(e),
        None => {
            logged?;
            Ok(app.report)
        }
    }
}
