//! The preview window for stage engineers: the volume in 3D ([`View::Stage`]), the output rasters
//! as the processors receive them ([`View::Outputs`]) and the simulated camera
//! ([`View::Camera`]), driven by live tracking, a take or a camera flown with keyboard and mouse.
//!
//! The window draws what [`crate::render::Renderer`] produces (the same render core as the
//! headless frame: no second mapping pipeline); [`gpu::Painter`] only places those textures in the
//! window and draws lines and the status text. Only this module knows about winit. See
//! `docs/preview.md`.

#![warn(missing_docs)]

pub mod camera;
pub mod gpu;
pub mod input;
pub mod outputs;
pub mod overlay;
pub mod panel;
pub mod stage;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use glam::{DVec2, UVec2};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, OwnedDisplayHandle};
use winit::keyboard::{KeyCode, PhysicalKey};
use winit::window::{Window, WindowId};

use crate::gpu::{Gpu, GpuError};
use crate::render::{FrameInputs, Overrides, RenderError, Renderer, RendererOptions};
use crate::scene::{SCENE_COLOR_FORMAT, SCENE_DEPTH_FORMAT, SceneList, SceneSpec};
use crate::stage::Stage;
use crate::tracking::{LiveCameras, Take, TakeCameras, TrackingStatus};
use gpu::{Painter, PassTimer, PixelRect, Quad, QuadMode};

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
}

/// Opens the window and runs until it is closed (or `options.frames` were rendered).
pub fn run(stage: Stage, options: PreviewOptions) -> Result<PreviewReport, PreviewError> {
    let event_loop = EventLoop::new().map_err(|e| PreviewError::Window(e.to_string()))?;
    event_loop.set_control_flow(ControlFlow::Poll);
    let mut app = App {
        display: event_loop.owned_display_handle(),
        stage: Arc::new(stage),
        options,
        running: None,
        error: None,
        report: PreviewReport::default(),
        attempts: 0,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| PreviewError::Window(e.to_string()))?;
    match app.error {
        Some(e) => Err(e),
        None => Ok(app.report),
    }
}

/// Where the camera comes from.
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

struct StageTarget {
    size: UVec2,
    color: wgpu::TextureView,
    depth: wgpu::TextureView,
}

struct Timing {
    last: Option<Instant>,
    frame_ms: f64,
    prepare_ms: f64,
    encode_ms: f64,
    gpu_ms: f64,
    /// GPU milliseconds per pass group (scene, outputs, view, window), when timestamps exist.
    passes: Option<Vec<f64>>,
}

struct Running {
    window: Arc<Window>,
    gpu: Gpu,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    view_format: wgpu::TextureFormat,
    copy_src: bool,
    minimised: bool,
    renderer: Renderer,
    scene: SceneList,
    painter: Painter,
    output_views: Vec<wgpu::TextureView>,
    overlays: Vec<Option<(UVec2, wgpu::TextureView)>>,
    stage_target: Option<StageTarget>,
    camera_copy: Option<(UVec2, wgpu::Texture, wgpu::TextureView)>,
    offscreen: Option<(UVec2, wgpu::Texture, wgpu::TextureView)>,
    view: View,
    overlay: bool,
    difference: bool,
    orbit: stage::Orbit,
    fly: Option<input::FlyCamera>,
    held: input::Held,
    focal_mm: Option<f64>,
    overscan: Option<f64>,
    source: Source,
    source_note: String,
    cursor: DVec2,
    drag: Option<(MouseButton, DVec2, f64)>,
    picked: String,
    inputs: Option<FrameInputs>,
    timing: Timing,
    timer: Option<PassTimer>,
    frame: u64,
    panel: panel::Panel,
    /// The status lines of the last frame, shown in the panel.
    status_lines: Vec<String>,
}

struct App {
    display: OwnedDisplayHandle,
    stage: Arc<Stage>,
    options: PreviewOptions,
    running: Option<Running>,
    error: Option<PreviewError>,
    report: PreviewReport,
    /// Redraws attempted (presented or skipped), to give up when a window never presents.
    attempts: u64,
}

fn texture(
    device: &wgpu::Device,
    label: &str,
    size: UVec2,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: size.x.max(1),
            height: size.y.max(1),
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

fn upload(gpu: &Gpu, label: &str, img: &image::RgbaImage) -> wgpu::TextureView {
    let size = UVec2::new(img.width(), img.height());
    let t = texture(
        &gpu.device,
        label,
        size,
        wgpu::TextureFormat::Rgba8UnormSrgb,
        wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
    );
    gpu.queue.write_texture(
        t.as_image_copy(),
        img.as_raw(),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(4 * size.x),
            rows_per_image: Some(size.y),
        },
        wgpu::Extent3d {
            width: size.x,
            height: size.y,
            depth_or_array_layers: 1,
        },
    );
    t.create_view(&Default::default())
}

impl App {
    fn start(&mut self, event_loop: &ActiveEventLoop) -> Result<Running, PreviewError> {
        let (w, h) = self.options.size;
        let window = Arc::new(
            event_loop
                .create_window(
                    Window::default_attributes()
                        .with_title(format!("Parallax preview: {}", self.stage.name))
                        .with_inner_size(PhysicalSize::new(w.max(64), h.max(64))),
                )
                .map_err(|e| PreviewError::Window(e.to_string()))?,
        );
        let instance = wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_with_display_handle(Box::new(self.display.clone()))
                .with_env(),
        );
        let surface = instance
            .create_surface(window.clone())
            .map_err(|e| PreviewError::Surface(e.to_string()))?;
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::from_env().unwrap_or_default(),
            compatible_surface: Some(&surface),
            ..Default::default()
        }))
        .map_err(|e| GpuError::NoAdapter(format!(" for this window ({e})")))?;
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("parallax preview device"),
            required_features: adapter.features() & PassTimer::FEATURES,
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|source| GpuError::Device {
            adapter: info.name.clone(),
            source,
        })?;
        let gpu = Gpu {
            instance,
            adapter,
            device,
            queue,
            info,
        };
        let caps = surface.get_capabilities(&gpu.adapter);
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(|| PreviewError::Surface("the surface offers no format".into()))?;
        let view_format = format.add_srgb_suffix();
        let copy_src = caps.usages.contains(wgpu::TextureUsages::COPY_SRC)
            && matches!(
                view_format,
                wgpu::TextureFormat::Bgra8UnormSrgb | wgpu::TextureFormat::Rgba8UnormSrgb
            );
        let present_mode = if self.options.frames.is_some() {
            wgpu::PresentMode::AutoNoVsync
        } else {
            wgpu::PresentMode::AutoVsync
        };
        let size = window.inner_size();
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                | if copy_src {
                    wgpu::TextureUsages::COPY_SRC
                } else {
                    wgpu::TextureUsages::empty()
                },
            format,
            width: size.width.max(1),
            height: size.height.max(1),
            present_mode,
            desired_maximum_frame_latency: 2,
            color_space: wgpu::SurfaceColorSpace::Auto,
            alpha_mode: caps
                .alpha_modes
                .first()
                .copied()
                .unwrap_or(wgpu::CompositeAlphaMode::Auto),
            view_formats: if view_format != format {
                vec![view_format]
            } else {
                vec![]
            },
        };
        let minimised = size.width == 0 || size.height == 0;
        if !minimised {
            surface.configure(&gpu.device, &config);
        }
        log::info!(
            "preview: {} ({:?}), surface {:?}, screenshot from the {}",
            gpu.info.name,
            gpu.info.backend,
            format,
            if copy_src {
                "surface"
            } else {
                "offscreen image"
            }
        );

        let renderer = Renderer::new(
            &gpu,
            &self.stage,
            RendererOptions {
                output_format: wgpu::TextureFormat::Rgba8UnormSrgb,
                wall: false,
                camera: true,
                camera_width: None,
                ..Default::default()
            },
        )?;
        let scene = crate::scene::build(&renderer.scene_context(&gpu), &self.options.scene)?;
        let painter = Painter::new(&gpu.device, &gpu.queue, view_format, SCENE_COLOR_FORMAT);
        let output_views = renderer
            .output_textures()
            .map(|t| t.create_view(&Default::default()))
            .collect();
        let overlays = (0..self.stage.outputs.len()).map(|_| None).collect();
        let base = FrameInputs::resolve(&self.stage, &Overrides::default())?;
        let (source, source_note) = self.source()?;
        let timer = PassTimer::new(&gpu.device, &gpu.queue, 5);
        // The panel draws into the image the screenshot reads: the surface or the offscreen one.
        let panel_format = if copy_src {
            view_format
        } else {
            wgpu::TextureFormat::Rgba8UnormSrgb
        };
        let panel = panel::Panel::new(&window, &gpu.device, panel_format, self.options.panel);
        Ok(Running {
            window,
            gpu,
            surface,
            config,
            view_format,
            copy_src,
            minimised,
            renderer,
            scene,
            painter,
            output_views,
            overlays,
            stage_target: None,
            camera_copy: None,
            offscreen: None,
            view: self.options.view,
            overlay: self.options.overlay,
            difference: self.options.difference,
            orbit: stage::Orbit::framing(&self.stage, base.eye),
            fly: None,
            held: Default::default(),
            focal_mm: None,
            overscan: None,
            source,
            source_note,
            cursor: DVec2::ZERO,
            drag: None,
            picked: String::new(),
            inputs: None,
            timing: Timing {
                last: None,
                frame_ms: 0.0,
                prepare_ms: 0.0,
                encode_ms: 0.0,
                gpu_ms: 0.0,
                passes: None,
            },
            timer,
            frame: 0,
            panel,
            status_lines: Vec::new(),
        })
    }

    fn source(&self) -> Result<(Source, String), PreviewError> {
        if let Some(path) = &self.options.take {
            let take = Take::load(path)?;
            let cameras = TakeCameras::new(&take, &self.stage)?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return Ok((
                Source::Take {
                    cameras,
                    name,
                    started: Instant::now(),
                },
                String::new(),
            ));
        }
        let tracked = self.stage.cameras.iter().any(|c| c.tracking.is_some());
        if self.options.live && tracked {
            match LiveCameras::start(&self.stage) {
                Ok(cameras) => {
                    return Ok((
                        Source::Live {
                            cameras,
                            rate_hz: 0.0,
                            last_count: 0,
                            last_at: Instant::now(),
                            dropouts: 0,
                            was_live: false,
                        },
                        String::new(),
                    ));
                }
                Err(e) => {
                    log::warn!("live tracking not started: {e}");
                    return Ok((Source::Fly, format!(" (live tracking failed: {e})")));
                }
            }
        }
        Ok((Source::Fly, String::new()))
    }
}

impl Running {
    /// The frame inputs for this frame: the stage's camera, then the source, the flown camera and
    /// the live lens adjustments.
    fn frame_inputs(
        &mut self,
        stage: &Stage,
        dt: f64,
        fixed_frame: bool,
    ) -> Result<FrameInputs, PreviewError> {
        let overrides = Overrides {
            focal_length_mm: self.focal_mm,
            overscan: self.overscan,
            ..Default::default()
        };
        let mut inputs = FrameInputs::resolve(stage, &overrides)?;
        let tracked = match &mut self.source {
            Source::Fly => None,
            Source::Take {
                cameras, started, ..
            } => {
                let n = cameras.frame_count().max(1);
                let f = if fixed_frame {
                    self.frame % n
                } else {
                    (started.elapsed().as_secs_f64() * stage.frame_rate) as u64 % n
                };
                cameras.first_at_frame(f).map(|(_, s)| s)
            }
            Source::Live { cameras, .. } => {
                cameras.update();
                let name = cameras.names().first().map(|s| s.to_string());
                let now = cameras.now();
                name.and_then(|n| cameras.camera(&n, now))
            }
        };
        if let Some(state) = tracked
            && state.status != TrackingStatus::NoData
        {
            let mut lens = state.camera.lens;
            if let Some(f) = self.focal_mm {
                lens.focal_length_mm = f;
            }
            inputs.pose = state.camera.pose;
            inputs.lens = lens;
        } else if let Some(fly) = &mut self.fly {
            fly.step(&self.held, dt);
            inputs.pose = fly.pose();
        } else if self.held != input::Held::default() {
            let mut fly = input::FlyCamera::from_pose(&inputs.pose);
            fly.step(&self.held, dt);
            inputs.pose = fly.pose();
            self.fly = Some(fly);
        }
        inputs.eye = inputs.pose.eye(inputs.lens.entrance_pupil_m);
        inputs.frame_tangents = inputs.lens.frame_tangents();
        inputs.inner_tangents = inputs.frame_tangents.expanded(&inputs.overscan);
        if let crate::stage::file::ViewpointFile::FollowCamera = stage.render.outer_viewpoint {
            inputs.outer_viewpoint = inputs.eye;
        }
        Ok(inputs)
    }

    fn tracking_line(&mut self, inputs: &FrameInputs, stage: &Stage) -> String {
        let (p, t, r) = crate::camera::quat_to_pan_tilt_roll(inputs.pose.rotation);
        let pose = format!(
            "camera {} at {:.2},{:.2},{:.2} pan {:.1} tilt {:.1} roll {:.1} | {:.1} mm, overscan {:.2}",
            inputs.camera_name,
            inputs.pose.position.x,
            inputs.pose.position.y,
            inputs.pose.position.z,
            p,
            t,
            r,
            inputs.lens.focal_length_mm,
            inputs.overscan.max()
        );
        let src = match &mut self.source {
            Source::Fly => format!("tracking: none, flown{}", self.source_note),
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
                let name = cameras
                    .names()
                    .first()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let state = cameras.camera(&name, cameras.now()).map(|s| s.status);
                let live = state == Some(TrackingStatus::Live);
                if *was_live && !live {
                    *dropouts += 1;
                }
                *was_live = live;
                let delay_ms = stage
                    .cameras
                    .iter()
                    .find(|c| c.name == name)
                    .and_then(|c| c.tracking.as_ref())
                    .map_or(0.0, |t| t.delay.seconds(stage.frame_rate) * 1e3);
                let listen: Vec<String> = stats
                    .iter()
                    .map(|(proto, addr, _)| format!("{proto} {addr}"))
                    .collect();
                let status = match state {
                    Some(TrackingStatus::Live) => "live".to_string(),
                    Some(TrackingStatus::Dropout { for_s }) => format!("DROPOUT {for_s:.1} s"),
                    _ => "no data".to_string(),
                };
                format!(
                    "tracking: {} {status}, {:.1} Hz, dropouts {dropouts}, delay {delay_ms:.1} ms",
                    listen.join(", "),
                    rate_hz
                )
            }
        };
        format!("{pose}\n{src}")
    }

    fn view_area(&self) -> PixelRect {
        let (w, h) = (self.config.width, self.config.height);
        let band = overlay::band_height(w).min(h);
        PixelRect {
            x: 0.0,
            y: 0.0,
            w: w as f32,
            h: (h - band) as f32,
        }
    }

    fn reconfigure(&mut self, size: PhysicalSize<u32>) {
        self.minimised = size.width == 0 || size.height == 0;
        if self.minimised {
            return;
        }
        self.config.width = size.width;
        self.config.height = size.height;
        self.surface.configure(&self.gpu.device, &self.config);
    }

    fn pick(&mut self, stage: &Stage, px: f64, py: f64) {
        let area = self.view_area();
        let Some(inputs) = &self.inputs else { return };
        let hit = match self.view {
            View::Outputs => {
                let sizes: Vec<UVec2> = self.renderer.outputs().map(|(_, s)| s).collect();
                let rects = outputs::layout(area, &sizes);
                outputs::pick(stage, &rects, px, py).map(|(_, k, _)| k)
            }
            View::Stage => {
                let ndc = DVec2::new(
                    (px - area.x as f64) / area.w as f64 * 2.0 - 1.0,
                    1.0 - (py - area.y as f64) / area.h as f64 * 2.0,
                );
                let vp = self.orbit.view_proj(area.w as f64 / area.h.max(1.0) as f64);
                let eye = self.orbit.eye();
                stage::ray_cast(stage, eye, stage::ray_direction(vp, ndc)).map(|h| h.panel)
            }
            View::Camera => self
                .renderer
                .camera_texture()
                .map(|t| camera::fit(area, UVec2::new(t.width(), t.height())))
                .and_then(|r| camera::ray(inputs, r, px, py))
                .and_then(|(o, d)| stage::ray_cast(stage, o, d))
                .map(|h| h.panel),
        };
        self.picked = match hit.and_then(|k| stage.panels.get(k)) {
            Some(p) => {
                let f = &p.frame;
                let c = f.top_left + 0.5 * (f.right + f.down);
                let out = stage
                    .outputs
                    .get(p.placement.output)
                    .map_or("?", |o| o.name.as_str());
                format!(
                    "cabinet {} section {} output {} at ({}, {}), centre {:.2},{:.2},{:.2} m",
                    p.id,
                    stage
                        .sections
                        .get(p.section)
                        .map_or("?", |s| s.name.as_str()),
                    out,
                    p.placement.origin.x,
                    p.placement.origin.y,
                    c.x,
                    c.y,
                    c.z
                )
            }
            None => "no cabinet there".into(),
        };
    }

    /// Renders and presents one frame. Returns the screenshot when `capture` is set.
    fn frame(
        &mut self,
        stage: &Stage,
        fixed_frame: bool,
        capture: bool,
    ) -> Result<Option<(image::RgbaImage, &'static str)>, PreviewError> {
        if self.minimised {
            return Ok(None);
        }
        let now = Instant::now();
        let dt = self
            .timing
            .last
            .map_or(0.0, |l| now.duration_since(l).as_secs_f64());
        self.timing.last = Some(now);
        if dt > 0.0 {
            let ms = dt * 1e3;
            self.timing.frame_ms = if self.timing.frame_ms == 0.0 {
                ms
            } else {
                self.timing.frame_ms * 0.9 + ms * 0.1
            };
        }
        if let Some(ms) = self.timer.as_mut().and_then(|t| t.poll(&self.gpu.device)) {
            self.timing.passes = Some(match &self.timing.passes {
                Some(old) if old.len() == ms.len() => old
                    .iter()
                    .zip(&ms)
                    .map(|(o, n)| o * 0.9 + n * 0.1)
                    .collect(),
                _ => ms,
            });
        }
        let painted = self.run_panel();
        let t0 = Instant::now();
        let inputs = self.frame_inputs(stage, dt, fixed_frame)?;
        self.renderer.prepare(&self.gpu, &inputs)?;
        let t1 = Instant::now();
        let line1 = self.tracking_line(&inputs, stage);
        let device = &self.gpu.device;
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("preview frame encoder"),
        });
        if let Some(t) = &mut self.timer {
            t.begin();
            t.mark(&mut encoder, 0);
        }
        self.renderer.render_scene(&mut encoder, &self.scene)?;
        if let Some(t) = &self.timer {
            t.mark(&mut encoder, 1);
        }
        let views: Vec<&wgpu::TextureView> = self.output_views.iter().collect();
        self.renderer.render_outputs_into(&mut encoder, &views)?;
        if let Some(t) = &self.timer {
            t.mark(&mut encoder, 2);
        }
        let area = self.view_area();
        let area_size = UVec2::new(area.w.max(1.0) as u32, area.h.max(1.0) as u32);
        // The view's own images.
        let mut camera_view = None;
        match self.view {
            View::Stage => {
                if self
                    .stage_target
                    .as_ref()
                    .is_none_or(|t| t.size != area_size)
                {
                    let usage = wgpu::TextureUsages::RENDER_ATTACHMENT
                        | wgpu::TextureUsages::TEXTURE_BINDING;
                    let c = texture(device, "stage view", area_size, SCENE_COLOR_FORMAT, usage);
                    let d = texture(
                        device,
                        "stage view depth",
                        area_size,
                        SCENE_DEPTH_FORMAT,
                        wgpu::TextureUsages::RENDER_ATTACHMENT,
                    );
                    self.stage_target = Some(StageTarget {
                        size: area_size,
                        color: c.create_view(&Default::default()),
                        depth: d.create_view(&Default::default()),
                    });
                }
                if let Some(t) = &self.stage_target {
                    let vp = self
                        .orbit
                        .view_proj(area_size.x as f64 / area_size.y as f64);
                    let eye = self.orbit.eye();
                    self.renderer.render_wall_view(
                        &self.gpu,
                        &mut encoder,
                        vp,
                        eye,
                        &t.color,
                        &t.depth,
                        wgpu::Color {
                            r: 0.02,
                            g: 0.02,
                            b: 0.025,
                            a: 1.0,
                        },
                    )?;
                    let lines = stage::lines(stage, &inputs, self.orbit.target);
                    self.painter.draw_lines(
                        &self.gpu.device,
                        &self.gpu.queue,
                        &mut encoder,
                        &t.color,
                        vp,
                        &lines,
                        eye,
                    );
                }
            }
            View::Camera => {
                self.renderer.render_camera(&mut encoder)?;
                if let Some(tex) = self.renderer.camera_texture() {
                    let size = UVec2::new(tex.width(), tex.height());
                    let view = tex.create_view(&Default::default());
                    if self.difference {
                        if self.camera_copy.as_ref().is_none_or(|c| c.0 != size) {
                            let t = texture(
                                device,
                                "camera view copy",
                                size,
                                tex.format(),
                                wgpu::TextureUsages::COPY_DST
                                    | wgpu::TextureUsages::TEXTURE_BINDING,
                            );
                            let v = t.create_view(&Default::default());
                            self.camera_copy = Some((size, t, v));
                        }
                        if let Some((_, copy, _)) = &self.camera_copy {
                            encoder.copy_texture_to_texture(
                                tex.as_image_copy(),
                                copy.as_image_copy(),
                                wgpu::Extent3d {
                                    width: size.x,
                                    height: size.y,
                                    depth_or_array_layers: 1,
                                },
                            );
                        }
                        self.renderer.render_reference(&mut encoder, &self.scene)?;
                    }
                    camera_view = Some((size, view));
                }
            }
            View::Outputs => {}
        }
        if let Some(t) = &self.timer {
            t.mark(&mut encoder, 3);
        }
        // Status text.
        let width = self.config.width;
        let adapter = format!("{} ({:?})", self.gpu.info.name, self.gpu.info.backend);
        let mode = match self.view {
            View::Outputs if self.overlay => "OUTPUTS + ids",
            View::Outputs => "OUTPUTS",
            View::Camera if self.difference => "CAMERA - difference vs direct render",
            View::Camera => "CAMERA",
            View::Stage => "STAGE",
        };
        let gpu_passes = match &self.timing.passes {
            Some(p) if p.len() == 4 => format!(
                "gpu scene {:.1}, outputs {:.1}, view {:.1}, window {:.1} ms | ",
                p[0], p[1], p[2], p[3]
            ),
            _ => "gpu pass times: no timestamp queries | ".to_string(),
        };
        let line0 = format!(
            "{mode} | {} | cpu prepare {:.1} ms, encode {:.1} ms, submit+present {:.1} ms\n{gpu_passes}{adapter}",
            if self.timing.frame_ms > 0.0 {
                format!("{:.1} fps", 1e3 / self.timing.frame_ms)
            } else {
                "-- fps".to_string()
            },
            self.timing.prepare_ms,
            self.timing.encode_ms,
            self.timing.gpu_ms
        );
        let line2 = if self.picked.is_empty() {
            "1/2/3 view  O ids  F diff  P panel  WASD QE arrows fly  [ ] focal  - = overscan  R reset  click: info".to_string()
        } else {
            self.picked.clone()
        };
        self.status_lines = [line0, line1, line2]
            .iter()
            .flat_map(|l| l.lines().map(str::to_string))
            .collect::<Vec<_>>();
        let status = upload(
            &self.gpu,
            "status text",
            &overlay::status_image(width, &self.status_lines),
        );
        let band = overlay::band_height(width).min(self.config.height);
        let status_rect = PixelRect {
            x: 0.0,
            y: (self.config.height - band) as f32,
            w: width as f32,
            h: band as f32,
        };
        let t2 = Instant::now();

        // Acquire the window's image.
        let frame = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(f) => f,
            wgpu::CurrentSurfaceTexture::Suboptimal(f) => f,
            wgpu::CurrentSurfaceTexture::Outdated => {
                // Submit the renderer's work anyway and try again next frame.
                self.gpu.queue.submit([encoder.finish()]);
                self.reconfigure(self.window.inner_size());
                return Ok(None);
            }
            wgpu::CurrentSurfaceTexture::Lost => {
                self.gpu.queue.submit([encoder.finish()]);
                self.surface = self
                    .gpu
                    .instance
                    .create_surface(self.window.clone())
                    .map_err(|e| PreviewError::Surface(e.to_string()))?;
                self.reconfigure(self.window.inner_size());
                return Ok(None);
            }
            wgpu::CurrentSurfaceTexture::Timeout
            | wgpu::CurrentSurfaceTexture::Occluded
            | wgpu::CurrentSurfaceTexture::Validation => {
                self.gpu.queue.submit([encoder.finish()]);
                return Ok(None);
            }
        };
        let surface_view = frame.texture.create_view(&wgpu::TextureViewDescriptor {
            label: Some("window view"),
            format: Some(self.view_format),
            ..Default::default()
        });
        let win = UVec2::new(self.config.width, self.config.height);
        if !self.copy_src && self.offscreen.as_ref().is_none_or(|o| o.0 != win) {
            let t = texture(
                device,
                "window image",
                win,
                wgpu::TextureFormat::Rgba8UnormSrgb,
                wgpu::TextureUsages::RENDER_ATTACHMENT
                    | wgpu::TextureUsages::TEXTURE_BINDING
                    | wgpu::TextureUsages::COPY_SRC,
            );
            let v = t.create_view(&Default::default());
            self.offscreen = Some((win, t, v));
        }
        let sizes: Vec<UVec2> = self.renderer.outputs().map(|(_, s)| s).collect();
        let rects = outputs::layout(area, &sizes);
        if self.view == View::Outputs && self.overlay {
            for (k, r) in rects.iter().enumerate() {
                let size = UVec2::new(r.w.round() as u32, r.h.round() as u32);
                if self.overlays[k].as_ref().is_none_or(|o| o.0 != size) {
                    let img = outputs::overlay_image(stage, k, size);
                    self.overlays[k] = Some((size, upload(&self.gpu, "output overlay", &img)));
                }
            }
        }
        let device = &self.gpu.device;
        let grey = self.painter.grey().clone();
        let mut quads: Vec<Quad<'_>> = Vec::new();
        match self.view {
            View::Outputs => {
                for (k, r) in rects.iter().enumerate() {
                    // A one-pixel frame shows the raster's extent (unused pixels are black).
                    quads.push(Quad {
                        texture: &grey,
                        other: None,
                        rect: PixelRect {
                            x: r.x - 1.0,
                            y: r.y - 1.0,
                            w: r.w + 2.0,
                            h: r.h + 2.0,
                        },
                        nearest: true,
                        mode: QuadMode::Plain,
                    });
                    quads.push(Quad {
                        texture: &self.output_views[k],
                        other: None,
                        rect: *r,
                        nearest: true,
                        mode: QuadMode::Plain,
                    });
                    if self.overlay
                        && let Some((_, tex)) = &self.overlays[k]
                    {
                        quads.push(Quad {
                            texture: tex,
                            other: None,
                            rect: *r,
                            nearest: true,
                            mode: QuadMode::Overlay { opacity: 0.9 },
                        });
                    }
                }
            }
            View::Stage => {
                if let Some(t) = &self.stage_target {
                    quads.push(Quad {
                        texture: &t.color,
                        other: None,
                        rect: area,
                        nearest: true,
                        mode: QuadMode::Plain,
                    });
                }
            }
            View::Camera => {
                if let Some((size, view)) = &camera_view {
                    let rect = camera::fit(area, *size);
                    match (&self.camera_copy, self.difference) {
                        (Some((_, _, lit)), true) => quads.push(Quad {
                            texture: lit,
                            other: Some(view),
                            rect,
                            nearest: false,
                            mode: QuadMode::Difference {
                                gain: camera::DIFFERENCE_GAIN,
                            },
                        }),
                        _ => quads.push(Quad {
                            texture: view,
                            other: None,
                            rect,
                            nearest: false,
                            mode: QuadMode::Plain,
                        }),
                    }
                }
            }
        }
        quads.push(Quad {
            texture: &status,
            other: None,
            rect: status_rect,
            nearest: true,
            mode: QuadMode::Overlay { opacity: 1.0 },
        });
        let clear = wgpu::Color {
            r: 0.0,
            g: 0.0,
            b: 0.0,
            a: 1.0,
        };
        let target = match &self.offscreen {
            Some((_, _, v)) if !self.copy_src => v,
            _ => &surface_view,
        };
        self.painter.draw_quads(
            &self.gpu.device,
            &self.gpu.queue,
            &mut encoder,
            target,
            (win.x, win.y),
            clear,
            &quads,
        );
        drop(quads);
        if let Some(painted) = painted {
            self.panel.paint(
                &self.gpu.device,
                &self.gpu.queue,
                &mut encoder,
                target,
                (win.x, win.y),
                painted,
            );
        }
        if !self.copy_src
            && let Some((_, _, v)) = &self.offscreen
        {
            let full = PixelRect {
                x: 0.0,
                y: 0.0,
                w: win.x as f32,
                h: win.y as f32,
            };
            self.painter.draw_quads(
                &self.gpu.device,
                &self.gpu.queue,
                &mut encoder,
                &surface_view,
                (win.x, win.y),
                clear,
                &[Quad {
                    texture: v,
                    other: None,
                    rect: full,
                    nearest: true,
                    mode: QuadMode::Plain,
                }],
            );
        }
        if let Some(t) = &self.timer {
            t.mark(&mut encoder, 4);
            t.resolve(&mut encoder);
        }
        // The screenshot: the window's own texture when it allows copies, else the image blitted
        // into it.
        let readback = capture.then(|| {
            let src = if self.copy_src {
                &frame.texture
            } else {
                self.offscreen.as_ref().map_or(&frame.texture, |o| &o.1)
            };
            let row = win.x * 4;
            let padded = row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT)
                * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
            let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("screenshot buffer"),
                size: padded as u64 * win.y as u64,
                usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
                mapped_at_creation: false,
            });
            encoder.copy_texture_to_buffer(
                src.as_image_copy(),
                wgpu::TexelCopyBufferInfo {
                    buffer: &buffer,
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(padded),
                        rows_per_image: Some(win.y),
                    },
                },
                wgpu::Extent3d {
                    width: win.x,
                    height: win.y,
                    depth_or_array_layers: 1,
                },
            );
            let bgra = matches!(
                src.format(),
                wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
            );
            (buffer, padded, bgra)
        });
        self.gpu.queue.submit([encoder.finish()]);
        if let Some(t) = &mut self.timer {
            t.submitted();
        }
        self.window.pre_present_notify();
        self.gpu.queue.present(frame);
        let t3 = Instant::now();
        let ms = |a: Instant, b: Instant| b.duration_since(a).as_secs_f64() * 1e3;
        let smooth = |old: f64, new: f64| {
            if old == 0.0 {
                new
            } else {
                old * 0.9 + new * 0.1
            }
        };
        self.timing.prepare_ms = smooth(self.timing.prepare_ms, ms(t0, t1));
        self.timing.encode_ms = smooth(self.timing.encode_ms, ms(t1, t2));
        self.timing.gpu_ms = smooth(self.timing.gpu_ms, ms(t2, t3));
        self.inputs = Some(inputs);
        self.frame += 1;
        let Some((buffer, padded, bgra)) = readback else {
            return Ok(None);
        };
        let slice = buffer.slice(..);
        slice.map_async(wgpu::MapMode::Read, |_| {});
        self.gpu
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| PreviewError::Screenshot(e.to_string()))?;
        let data = slice
            .get_mapped_range()
            .map_err(|e| PreviewError::Screenshot(e.to_string()))?;
        let mut img = image::RgbaImage::new(win.x, win.y);
        for y in 0..win.y {
            let row = &data[(y * padded) as usize..(y * padded + win.x * 4) as usize];
            for x in 0..win.x {
                let p = &row[(x * 4) as usize..(x * 4 + 4) as usize];
                let px = if bgra {
                    [p[2], p[1], p[0], 255]
                } else {
                    [p[0], p[1], p[2], 255]
                };
                img.put_pixel(x, y, image::Rgba(px));
            }
        }
        let source = if self.copy_src {
            "surface"
        } else {
            "offscreen"
        };
        Ok(Some((img, source)))
    }

    /// Back to the source's camera, focal length and overscan (key R, the panel's reset).
    fn reset(&mut self) {
        self.fly = None;
        self.focal_mm = None;
        self.overscan = None;
    }

    /// Runs the control panel (when shown) and applies what it changed.
    fn run_panel(&mut self) -> Option<panel::Painted> {
        let before = panel::Controls {
            view: self.view,
            overlay: self.overlay,
            difference: self.difference,
            focal_mm: self
                .inputs
                .as_ref()
                .map_or(35.0, |i| i.lens.focal_length_mm),
            overscan: self.inputs.as_ref().map_or(0.1, |i| i.overscan.max()),
            reset: false,
        };
        let mut c = before.clone();
        let painted = self.panel.run(&self.window, &mut c, &self.status_lines)?;
        self.view = c.view;
        self.overlay = c.overlay;
        self.difference = c.difference;
        if c.focal_mm != before.focal_mm {
            self.focal_mm = Some(c.focal_mm.clamp(4.0, 1000.0));
        }
        if c.overscan != before.overscan {
            self.overscan = Some(c.overscan.clamp(0.0, 2.0));
        }
        if c.reset {
            self.reset();
        }
        Some(painted)
    }

    fn key(&mut self, code: KeyCode, pressed: bool) -> bool {
        let v = if pressed { 1.0 } else { 0.0 };
        match code {
            KeyCode::KeyW => self.held.forward = v,
            KeyCode::KeyS => self.held.forward = -v,
            KeyCode::KeyD => self.held.right = v,
            KeyCode::KeyA => self.held.right = -v,
            KeyCode::KeyE => self.held.up = v,
            KeyCode::KeyQ => self.held.up = -v,
            KeyCode::ArrowLeft => self.held.pan = v,
            KeyCode::ArrowRight => self.held.pan = -v,
            KeyCode::ArrowUp => self.held.tilt = v,
            KeyCode::ArrowDown => self.held.tilt = -v,
            KeyCode::ShiftLeft | KeyCode::ShiftRight => self.held.fast = pressed,
            _ if !pressed => {}
            KeyCode::Digit1 => self.view = View::Stage,
            KeyCode::Digit2 => self.view = View::Outputs,
            KeyCode::Digit3 => self.view = View::Camera,
            KeyCode::Tab => {
                self.view = match self.view {
                    View::Stage => View::Outputs,
                    View::Outputs => View::Camera,
                    View::Camera => View::Stage,
                }
            }
            KeyCode::KeyO => self.overlay = !self.overlay,
            KeyCode::KeyF => self.difference = !self.difference,
            KeyCode::KeyR => self.reset(),
            KeyCode::KeyP => self.panel.shown = !self.panel.shown,
            KeyCode::BracketLeft | KeyCode::BracketRight => {
                let f = self
                    .inputs
                    .as_ref()
                    .map_or(35.0, |i| i.lens.focal_length_mm);
                let k = if code == KeyCode::BracketRight {
                    1.05
                } else {
                    1.0 / 1.05
                };
                self.focal_mm = Some((f * k).clamp(4.0, 1000.0));
            }
            KeyCode::Minus | KeyCode::Equal => {
                let o = self.inputs.as_ref().map_or(0.1, |i| i.overscan.max());
                let d = if code == KeyCode::Equal { 0.02 } else { -0.02 };
                self.overscan = Some((o + d).clamp(0.0, 2.0));
            }
            KeyCode::Escape => return true,
            _ => {}
        }
        false
    }
}

impl ApplicationHandler for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.running.is_some() {
            return;
        }
        match self.start(event_loop) {
            Ok(r) => {
                self.report.adapter = format!("{} ({:?})", r.gpu.info.name, r.gpu.info.backend);
                r.window.request_redraw();
                self.running = Some(r);
            }
            Err(e) => {
                self.error = Some(e);
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        let stage = self.stage.clone();
        let Some(r) = &mut self.running else { return };
        r.panel.on_event(&r.window, &event);
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => r.reconfigure(size),
            WindowEvent::KeyboardInput { event, .. } => {
                let pressed = event.state == ElementState::Pressed;
                // Releases always reach the fly controls, so no key stays held.
                if let PhysicalKey::Code(code) = event.physical_key
                    && !(pressed && r.panel.wants_keyboard())
                    && r.key(code, pressed)
                {
                    event_loop.exit();
                }
            }
            WindowEvent::CursorMoved { position, .. } => {
                let p = DVec2::new(position.x, position.y);
                let d = p - r.cursor;
                r.cursor = p;
                if let Some((button, _, moved)) = &mut r.drag {
                    *moved += d.length();
                    match (r.view, *button) {
                        (View::Stage, MouseButton::Left) => r.orbit.drag(d.x, d.y),
                        (_, MouseButton::Right) | (View::Camera, MouseButton::Left) => {
                            let base = r.inputs.as_ref().map(|i| i.pose).unwrap_or_default();
                            let fly = r
                                .fly
                                .get_or_insert_with(|| input::FlyCamera::from_pose(&base));
                            fly.look(d.x, d.y);
                        }
                        _ => {}
                    }
                }
            }
            WindowEvent::MouseInput { state, button, .. } => match state {
                ElementState::Pressed if r.panel.wants_pointer() => {}
                ElementState::Pressed => r.drag = Some((button, r.cursor, 0.0)),
                ElementState::Released => {
                    if let Some((b, at, moved)) = r.drag.take()
                        && b == button
                        && b == MouseButton::Left
                        && moved < 4.0
                    {
                        r.pick(&stage, at.x, at.y);
                    }
                }
            },
            WindowEvent::MouseWheel { .. } if r.panel.wants_pointer() => {}
            WindowEvent::MouseWheel { delta, .. } => {
                let steps = match delta {
                    MouseScrollDelta::LineDelta(_, y) => y as f64,
                    MouseScrollDelta::PixelDelta(p) => p.y / 40.0,
                };
                r.orbit.zoom(steps);
            }
            WindowEvent::RedrawRequested => {
                self.attempts += 1;
                if let Some(n) = self.options.frames
                    && self.attempts > n.saturating_mul(20).saturating_add(200)
                {
                    self.error = Some(PreviewError::Surface(format!(
                        "the window presented {} of {n} frames in {} attempts (minimised or hidden?)",
                        r.frame, self.attempts
                    )));
                    event_loop.exit();
                    return;
                }
                let fixed = self.options.frames.is_some();
                // With --resize-to, the last frame is the first one at the new size.
                let size_ok = self
                    .options
                    .resize_to
                    .is_none_or(|(w, h)| r.config.width == w && r.config.height == h);
                let last = size_ok && self.options.frames.is_some_and(|n| r.frame + 1 >= n.max(1));
                let capture = last && self.options.screenshot.is_some();
                let before = r.frame;
                match r.frame(&stage, fixed, capture) {
                    Ok(shot) => {
                        if let (Some((img, source)), Some(path)) = (shot, &self.options.screenshot)
                        {
                            self.report.screenshot_source = Some(source);
                            if let Err(e) = crate::io::write_png(path, &img) {
                                self.error = Some(PreviewError::Screenshot(e.to_string()));
                            }
                        }
                        self.report.frames = r.frame;
                        if let (Some(n), Some((w, h))) =
                            (self.options.frames, self.options.resize_to)
                            && r.frame == n / 2
                        {
                            let _ = r.window.request_inner_size(PhysicalSize::new(w, h));
                        }
                        // A skipped frame (surface outdated, occluded) is tried again.
                        if last && r.frame > before {
                            event_loop.exit();
                        }
                    }
                    Err(e) => {
                        self.error = Some(e);
                        event_loop.exit();
                    }
                }
            }
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(r) = &self.running {
            // A minimised window sleeps until the next event (a resize wakes it).
            if r.minimised && self.options.frames.is_none() {
                event_loop.set_control_flow(ControlFlow::Wait);
            } else {
                event_loop.set_control_flow(ControlFlow::Poll);
                r.window.request_redraw();
            }
        }
    }
}
