//! The window application: winit's [`ApplicationHandler`], the state of a running window, and what
//! the keys, the mouse and the control panel do. Each redraw asks [`Running::frame`] (in
//! `frame.rs`) for a frame, saves the screenshot and the pose log, and stops after `--frames`.

use std::sync::Arc;

use glam::{DVec2, UVec2};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, ControlFlow, OwnedDisplayHandle};
use winit::keyboard::{KeyCode, PhysicalKey};
use winit::window::{Window, WindowId};

use super::frame::{CameraCopy, StageTarget, Timing};
use super::gpu::{Painter, PassTimer};
use super::record::{FrameRecord, PoseLog};
use super::source::{CameraSource, Origin};
use super::surface::WindowSurface;
use super::{PreviewError, PreviewOptions, PreviewReport, View, camera, outputs, panel, stage};
use crate::gpu::Gpu;
use crate::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use crate::scene::{SCENE_COLOR_FORMAT, SceneList};
use crate::stage::Stage;

/// An output's name label in the Outputs view: the (text scale, raster width) it was drawn for, its
/// size in pixels and its texture.
pub(super) type OutputLabel = ((u32, u32), UVec2, wgpu::TextureView);

/// A window that is open: the GPU, the renderer and everything shown.
pub struct Running {
    pub(super) window: Arc<Window>,
    pub(super) gpu: Gpu,
    pub(super) surface: WindowSurface,
    pub(super) renderer: Renderer,
    pub(super) scene: SceneList,
    pub(super) painter: Painter,
    pub(super) output_views: Vec<wgpu::TextureView>,
    pub(super) overlays: Vec<Option<(UVec2, wgpu::TextureView)>>,
    /// Each output's name label in the Outputs view.
    pub(super) labels: Vec<Option<OutputLabel>>,
    pub(super) stage_target: Option<StageTarget>,
    pub(super) camera_copy: CameraCopy,
    pub(super) view: View,
    pub(super) overlay: bool,
    pub(super) difference: bool,
    pub(super) orbit: stage::Orbit,
    /// The shown camera's source and the live lens adjustments.
    pub(super) camera: CameraSource,
    pub(super) cursor: DVec2,
    pub(super) drag: Option<(MouseButton, DVec2, f64)>,
    pub(super) picked: String,
    /// The last presented frame's inputs and where its camera came from.
    pub(super) inputs: Option<FrameInputs>,
    pub(super) origin: Option<Origin>,
    pub(super) timing: Timing,
    pub(super) timer: Option<PassTimer>,
    /// Frames presented.
    pub(super) frame: u64,
    pub(super) panel: panel::Panel,
    /// The status lines of the last frame, shown in the panel.
    pub(super) status_lines: Vec<String>,
    /// GPU errors reported by wgpu for frames the preview submitted (counted, the last one shown).
    pub(super) gpu_errors: (u64, String),
    /// Why this frame's camera state could not be resolved (the last good camera is held).
    pub(super) input_error: Option<String>,
}

/// The application: the stage, the options and, once resumed, the running window.
pub struct App {
    pub(super) display: OwnedDisplayHandle,
    pub(super) stage: Arc<Stage>,
    pub(super) options: PreviewOptions,
    pub(super) running: Option<Running>,
    pub(super) error: Option<PreviewError>,
    pub(super) report: PreviewReport,
    pub(super) pose_log: Option<PoseLog>,
    /// Redraws attempted (presented or skipped), to give up when a window never presents.
    pub(super) attempts: u64,
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
        let (gpu, surface) =
            WindowSurface::open(&self.display, &window, self.options.frames.is_some())?;
        let renderer = Renderer::new(
            &gpu,
            &self.stage,
            RendererOptions {
                output_format: wgpu::TextureFormat::Rgba8UnormSrgb,
                wall: false,
                camera: true,
                camera_width: None,
                // The window's pixels are already small on screen: 2 x 2 sub-samples keep the
                // simulated camera interactive on a software GPU.
                camera_supersample: 2,
                ..Default::default()
            },
        )?;
        let scene = crate::scene::build(&renderer.scene_context(&gpu), &self.options.scene)?;
        let painter = Painter::new(
            &gpu.device,
            &gpu.queue,
            surface.view_format,
            SCENE_COLOR_FORMAT,
        );
        let output_views = renderer
            .output_textures()
            .map(|t| t.create_view(&Default::default()))
            .collect();
        let overlays = (0..self.stage.outputs.len()).map(|_| None).collect();
        let labels = (0..self.stage.outputs.len()).map(|_| None).collect();
        let name = match &self.options.camera {
            Some(n) => n.clone(),
            None => self
                .stage
                .first_camera()
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        };
        // The orbit frames the stage file's camera.
        let rest = self.stage.camera(&name).map(|c| c.rest).unwrap_or_default();
        let base = FrameInputs::resolve(&self.stage, &name, &rest, &Overrides::default())?;
        let camera = CameraSource::open(
            &self.stage,
            name,
            self.options.take.as_deref(),
            self.options.live,
        )?;
        let timer = PassTimer::new(&gpu.device, &gpu.queue, 5);
        // The panel draws into the image the screenshot reads: the surface or the offscreen one.
        let panel = panel::Panel::new(
            &window,
            &gpu.device,
            surface.target_format(),
            self.options.panel,
        );
        Ok(Running {
            window,
            gpu,
            surface,
            renderer,
            scene,
            painter,
            output_views,
            overlays,
            labels,
            stage_target: None,
            camera_copy: None,
            view: self.options.view,
            overlay: self.options.overlay,
            difference: self.options.difference,
            orbit: stage::Orbit::framing(&self.stage, base.eye),
            camera,
            cursor: DVec2::ZERO,
            drag: None,
            picked: String::new(),
            inputs: None,
            origin: None,
            timing: Timing::default(),
            timer,
            frame: 0,
            panel,
            status_lines: Vec::new(),
            gpu_errors: (0, String::new()),
            input_error: None,
        })
    }

    /// One redraw: a frame (or a skipped one), the screenshot, the pose log; exits after `--frames`.
    fn redraw(&mut self, event_loop: &ActiveEventLoop) {
        let stage = self.stage.clone();
        let Some(r) = &mut self.running else { return };
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
            .is_none_or(|(w, h)| r.surface.config.width == w && r.surface.config.height == h);
        let last = size_ok && self.options.frames.is_some_and(|n| r.frame + 1 >= n.max(1));
        let capture = last && self.options.screenshot.is_some();
        let before = r.frame;
        let shot = match r.frame(&stage, fixed, capture) {
            Ok(shot) => shot,
            Err(e) => {
                self.error = Some(e);
                event_loop.exit();
                return;
            }
        };
        if let (Some((img, source)), Some(path)) = (shot, &self.options.screenshot) {
            self.report.screenshot_source = Some(source);
            if let Err(e) = crate::io::write_png(path, &img) {
                self.error = Some(PreviewError::Screenshot(e.to_string()));
            }
        }
        self.report.frames = r.frame;
        if r.frame > before
            && let (Some(inputs), Some(origin)) = (&r.inputs, r.origin)
        {
            self.report.last_inputs = Some(inputs.clone());
            if let Some(log) = &mut self.pose_log {
                let rule = r.camera.overscan_rule(&stage);
                if let Err(e) = log.write(&FrameRecord::new(before, inputs, origin, rule)) {
                    self.error = Some(PreviewError::PoseLog(e));
                    event_loop.exit();
                    return;
                }
            }
        }
        if let (Some(n), Some((w, h))) = (self.options.frames, self.options.resize_to)
            && r.frame == n / 2
        {
            let _ = r.window.request_inner_size(PhysicalSize::new(w, h));
        }
        // A skipped frame (surface outdated, occluded) is tried again.
        if last && r.frame > before {
            event_loop.exit();
        }
    }
}

impl Running {
    /// Runs the control panel (when shown) and applies what it changed.
    pub(super) fn run_panel(&mut self) -> Option<panel::Painted> {
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
            self.camera.focal_mm = Some(c.focal_mm.clamp(4.0, 1000.0));
        }
        if c.overscan != before.overscan {
            self.camera.overscan = Some(c.overscan.clamp(0.0, 2.0));
        }
        if c.reset {
            self.camera.reset();
        }
        Some(painted)
    }

    /// A key pressed or released; `true` to quit.
    fn key(&mut self, code: KeyCode, pressed: bool) -> bool {
        let v = if pressed { 1.0 } else { 0.0 };
        let held = &mut self.camera.held;
        match code {
            KeyCode::KeyW => held.forward = v,
            KeyCode::KeyS => held.forward = -v,
            KeyCode::KeyD => held.right = v,
            KeyCode::KeyA => held.right = -v,
            KeyCode::KeyE => held.up = v,
            KeyCode::KeyQ => held.up = -v,
            KeyCode::ArrowLeft => held.pan = v,
            KeyCode::ArrowRight => held.pan = -v,
            KeyCode::ArrowUp => held.tilt = v,
            KeyCode::ArrowDown => held.tilt = -v,
            KeyCode::ShiftLeft | KeyCode::ShiftRight => held.fast = pressed,
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
            KeyCode::KeyR => self.camera.reset(),
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
                self.camera.focal_mm = Some((f * k).clamp(4.0, 1000.0));
            }
            KeyCode::Minus | KeyCode::Equal => {
                let o = self.inputs.as_ref().map_or(0.1, |i| i.overscan.max());
                let d = if code == KeyCode::Equal { 0.02 } else { -0.02 };
                self.camera.overscan = Some((o + d).clamp(0.0, 2.0));
            }
            KeyCode::Escape => return true,
            _ => {}
        }
        false
    }

    /// A click at window pixel `(px, py)`: names the cabinet there, in any view.
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
        let Some(r) = &mut self.running else { return };
        r.panel.on_event(&r.window, &event);
        if matches!(event, WindowEvent::RedrawRequested) {
            return self.redraw(event_loop);
        }
        let stage = self.stage.clone();
        let Some(r) = &mut self.running else { return };
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => r.surface.reconfigure(&r.gpu.device, size),
            WindowEvent::KeyboardInput { event, .. } => {
                let pressed = event.state == ElementState::Pressed;
                // Releases always reach the fly controls, so no key stays held.
                if let PhysicalKey::Code(code) = event.physical_key
                    && !(pressed && r.panel.wants_keyboard())
                {
                    if code == KeyCode::KeyC && pressed {
                        // The next stage camera is shown (the others stay on the wall).
                        r.camera.next_camera(&stage);
                    } else if r.key(code, pressed) {
                        event_loop.exit();
                    }
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
                            r.camera.look(r.inputs.as_ref(), d.x, d.y)
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
            _ => {}
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if let Some(r) = &self.running {
            // A minimised window sleeps until the next event (a resize wakes it).
            if r.surface.minimised && self.options.frames.is_none() {
                event_loop.set_control_flow(ControlFlow::Wait);
            } else {
                event_loop.set_control_flow(ControlFlow::Poll);
                r.window.request_redraw();
            }
        }
    }
}
