//! Output windows: one window per output, each showing its output raster pixel for pixel, driven by
//! the live loop frame after frame (`parallax run --windows`). A window is placed borderless
//! fullscreen on a named (or numbered) monitor, or as a borderless window at a position on a
//! monitor (an output that is a region of a larger display), or, unplaced, as an ordinary window of
//! the output's size. Presented with vsync (FIFO).
//!
//! Which outputs get windows, and where, comes from the stage file's targets and the command line
//! ([`super::targets::plan`]); the other outputs go to their file sinks, stepped by the same loop.
//!
//! Never dark: an outdated surface is reconfigured and a lost one re-created, and that window keeps
//! its last image for the frame; a failed frame leaves the last good outputs in the renderer's
//! textures, which are shown again. While the GPU device is lost nothing is presented (the windows
//! keep their last picture); once the loop has re-created it, every window's surface and painter
//! are re-created on the new device.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use winit::application::ApplicationHandler;
use winit::dpi::{PhysicalPosition, PhysicalSize};
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::monitor::MonitorHandle;
use winit::window::{Fullscreen, Window, WindowId};

use super::pacing::Pace;
use super::{FileSink, LiveLoop, RunStats, Sink, WindowTarget};
use crate::preview::gpu::{Painter, PixelRect, Quad, QuadMode};
use crate::stage::target::{Region, regions_overlap};

/// Which monitor an output goes to: by the name winit reports (e.g. `HDMI-1`, `DP-2`; an unknown
/// name is an error listing them) or by index in winit's list of monitors, from 0.
pub use crate::stage::Monitor;

/// Where an output's window goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The output's name.
    pub output: String,
    /// The monitor.
    pub monitor: Monitor,
    /// `None`: borderless fullscreen on the monitor; `Some((x, y))`: a borderless window of the
    /// output's size at that position (pixels) on the monitor.
    pub at: Option<(i32, i32)>,
}

impl Placement {
    /// Parses `OUTPUT=MONITOR` or `OUTPUT=MONITOR@X,Y` (MONITOR: a name, or an index).
    pub fn parse(s: &str) -> Result<Placement, String> {
        let (output, rest) = s
            .split_once('=')
            .ok_or_else(|| format!("expected OUTPUT=MONITOR[@X,Y], got '{s}'"))?;
        let (monitor, at) = match rest.split_once('@') {
            Some((m, xy)) => {
                let (x, y) = xy
                    .split_once(',')
                    .ok_or_else(|| format!("expected X,Y after '@', got '{xy}'"))?;
                let n = |v: &str| v.trim().parse::<i32>().map_err(|e| format!("'{v}': {e}"));
                (m, Some((n(x)?, n(y)?)))
            }
            None => (rest, None),
        };
        if monitor.trim().is_empty() {
            return Err(format!("no monitor in '{s}'"));
        }
        let monitor = Monitor::parse(monitor);
        if output.trim().is_empty() {
            return Err(format!("no output name in '{s}'"));
        }
        Ok(Placement {
            output: output.trim().to_string(),
            monitor,
            at,
        })
    }
}

/// What the window run does besides the loop's own options.
#[derive(Clone, Debug, Default)]
pub struct WindowOptions {
    /// The outputs shown in windows, with their placements (outputs without one get an ordinary
    /// window of their size).
    pub windows: Vec<WindowTarget>,
    /// Save each window's picture here (`OUTPUT.png`) after the last frame (tests, checks).
    pub screenshots: Option<PathBuf>,
}

/// Why the windows could not run.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// No window system.
    #[error(
        "cannot open output windows: {0} (on a machine without a display, run under Xvfb: `xvfb-run -a parallax run ...`)"
    )]
    EventLoop(String),
    /// A window, surface or monitor problem.
    #[error("output '{output}': {message}")]
    Output {
        /// The output.
        output: String,
        /// What went wrong.
        message: String,
    },
    /// A screenshot could not be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
}

struct OutputWindow {
    name: String,
    /// Index of the output in the stage.
    output: usize,
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    view_format: wgpu::TextureFormat,
    painter: Painter,
}

struct App<'a> {
    live: LiveLoop,
    files: &'a mut [FileSink],
    generation: u64,
    options: WindowOptions,
    stop: Arc<AtomicBool>,
    windows: Vec<OutputWindow>,
    error: Option<WindowError>,
    surface_faults: u64,
    /// The screenshots were saved.
    shot: bool,
}

/// Runs the loop with a window per output of `options.windows`, delivering the other outputs to
/// `files`, until the loop's frame count or `stop`.
pub fn run_windows(
    live: LiveLoop,
    options: WindowOptions,
    files: &mut [FileSink],
    stop: Arc<AtomicBool>,
) -> Result<RunStats, WindowError> {
    for w in &options.windows {
        if !live.stage().outputs.iter().any(|o| o.name == w.output) {
            return Err(WindowError::Output {
                output: w.output.clone(),
                message: "no such output in the stage".into(),
            });
        }
    }
    let event_loop = EventLoop::new().map_err(|e| WindowError::EventLoop(e.to_string()))?;
    event_loop.set_control_flow(ControlFlow::Poll);
    let generation = live.gpu_generation();
    let mut app = App {
        live,
        files,
        generation,
        options,
        stop,
        windows: Vec::new(),
        error: None,
        surface_faults: 0,
        shot: false,
    };
    event_loop
        .run_app(&mut app)
        .map_err(|e| WindowError::EventLoop(e.to_string()))?;
    if let Some(e) = app.error {
        return Err(e);
    }
    app.live.end_status();
    app.live.finish_stats();
    Ok(app.live.stats.clone())
}

impl App<'_> {
    fn open(&mut self, el: &ActiveEventLoop) -> Result<(), WindowError> {
        #[allow(deprecated)]
        let monitors: Vec<MonitorHandle> = el.available_monitors().collect();
        let outputs: Vec<(usize, String, u32, u32)> = self
            .live
            .stage()
            .outputs
            .iter()
            .enumerate()
            .filter(|(_, o)| self.options.windows.iter().any(|w| w.output == o.name))
            .map(|(k, o)| (k, o.name.clone(), o.width, o.height))
            .collect();
        // Windows placed so far: monitor, region (None: fullscreen), output.
        let mut placed: Vec<(MonitorHandle, Region, String)> = Vec::new();
        for (output, name, w, h) in outputs {
            let err = |message: String| WindowError::Output {
                output: name.clone(),
                message,
            };
            #[allow(deprecated)]
            let mut attrs = Window::default_attributes()
                .with_title(format!("parallax output {name}"))
                .with_inner_size(PhysicalSize::new(w, h))
                .with_resizable(false);
            let placement = self
                .options
                .windows
                .iter()
                .find(|t| t.output == name)
                .and_then(|t| t.placement.clone());
            if let Some(p) = placement {
                let m = match &p.monitor {
                    Monitor::Index(i) => monitors.get(*i).cloned(),
                    Monitor::Name(n) => monitors
                        .iter()
                        .find(|m| m.name().as_deref() == Some(n.as_str()))
                        .cloned(),
                }
                .ok_or_else(|| {
                    let names: Vec<String> = monitors
                        .iter()
                        .enumerate()
                        .map(|(i, m)| format!("{i}: {}", m.name().unwrap_or_default()))
                        .collect();
                    err(format!(
                        "no monitor {} (monitors: {})",
                        p.monitor,
                        names.join(", ")
                    ))
                })?;
                let region: Region = p.at.map(|(x, y)| (x as i64, y as i64, w as i64, h as i64));
                for (other, r, n) in &placed {
                    let overlap = regions_overlap(*r, region);
                    if *other == m && overlap {
                        return Err(err(format!(
                            "its window on monitor {} ('{}') overlaps output '{n}''s",
                            p.monitor,
                            m.name().unwrap_or_default()
                        )));
                    }
                }
                placed.push((m.clone(), region, name.clone()));
                attrs = attrs.with_decorations(false);
                attrs = match p.at {
                    None => attrs.with_fullscreen(Some(Fullscreen::Borderless(Some(m)))),
                    Some((x, y)) => {
                        let o = m.position();
                        attrs.with_position(PhysicalPosition::new(o.x + x, o.y + y))
                    }
                };
            }
            let window = Arc::new(el.create_window(attrs).map_err(|e| err(e.to_string()))?);
            let (surface, config, view_format, painter) = self.surface(&name, &window)?;
            self.windows.push(OutputWindow {
                name,
                output,
                window,
                surface,
                config,
                view_format,
                painter,
            });
        }
        Ok(())
    }

    /// A surface for `window` on the loop's GPU device, configured, and a painter for it.
    #[allow(clippy::type_complexity)]
    fn surface(
        &self,
        name: &str,
        window: &Arc<Window>,
    ) -> Result<
        (
            wgpu::Surface<'static>,
            wgpu::SurfaceConfiguration,
            wgpu::TextureFormat,
            Painter,
        ),
        WindowError,
    > {
        let err = |message: String| WindowError::Output {
            output: name.to_string(),
            message,
        };
        let gpu = self.live.gpu();
        let surface = gpu
            .instance
            .create_surface(window.clone())
            .map_err(|e| err(e.to_string()))?;
        let caps = surface.get_capabilities(&gpu.adapter);
        let size = window.inner_size();
        let setup =
            crate::gpu::surface_config(&caps, (size.width, size.height), wgpu::PresentMode::Fifo)
                .ok_or_else(|| err("the surface offers no format".into()))?;
        if self.options.screenshots.is_some() && !setup.copy_src {
            return Err(err(
                "this surface cannot be read back for screenshots".into()
            ));
        }
        let (config, view_format) = (setup.config, setup.view_format);
        surface.configure(&gpu.device, &config);
        let painter = Painter::new(
            &gpu.device,
            &gpu.queue,
            view_format,
            crate::scene::SCENE_COLOR_FORMAT,
        );
        Ok((surface, config, view_format, painter))
    }

    /// After the loop re-created the GPU device: every window's surface and painter on the new one.
    fn recreate_surfaces(&mut self) -> Result<(), WindowError> {
        for k in 0..self.windows.len() {
            let (name, window) = (self.windows[k].name.clone(), self.windows[k].window.clone());
            let (surface, config, view_format, painter) = self.surface(&name, &window)?;
            let w = &mut self.windows[k];
            (w.surface, w.config, w.view_format, w.painter) =
                (surface, config, view_format, painter);
        }
        self.generation = self.live.gpu_generation();
        log::warn!("output windows re-created on the new GPU device");
        Ok(())
    }

    /// Renders the next frame when it is due and shows every output in its window.
    fn frame(&mut self, el: &ActiveEventLoop) {
        if self.stop.load(Ordering::Relaxed) {
            el.exit();
            return;
        }
        let due = match self.live.pace(Instant::now()) {
            Pace::Stop => {
                // The last slots were dropped: the screenshots show the last frame rendered.
                if !self.shot
                    && self.options.screenshots.is_some()
                    && self.live.outputs_ready()
                    && let Err(e) = self.show(true)
                {
                    self.error = Some(e);
                }
                el.exit();
                return;
            }
            Pace::Wait(t) => {
                el.set_control_flow(ControlFlow::WaitUntil(t));
                return;
            }
            Pace::Step(due) => due,
        };
        el.set_control_flow(ControlFlow::Poll);
        let mut sinks: Vec<&mut dyn Sink> =
            self.files.iter_mut().map(|f| f as &mut dyn Sink).collect();
        self.live.step(&mut sinks, due);
        if self.live.gpu_generation() != self.generation
            && let Err(e) = self.recreate_surfaces()
        {
            self.error = Some(e);
            el.exit();
            return;
        }
        if !self.live.outputs_ready() {
            // Lost device, or a new renderer without a good frame yet: nothing to present from;
            // the windows keep their last picture.
            return;
        }
        let last = self.live.at_end();
        let t = Instant::now();
        if let Err(e) = self.show(last) {
            self.error = Some(e);
            el.exit();
            return;
        }
        if let Some(f) = self.live.stats.per_frame.back_mut() {
            f.present_ms += t.elapsed().as_secs_f64() * 1000.0;
        }
    }

    /// Draws each output into its window and presents; saves screenshots when `screenshot`.
    fn show(&mut self, screenshot: bool) -> Result<(), WindowError> {
        self.shot |= screenshot;
        let views: Vec<wgpu::TextureView> = self
            .live
            .output_textures()
            .map(|t| t.create_view(&Default::default()))
            .collect();
        let gpu = self.live.gpu();
        for w in self.windows.iter_mut() {
            let Some(view) = views.get(w.output) else {
                continue;
            };
            let texture = match w.surface.get_current_texture() {
                wgpu::CurrentSurfaceTexture::Success(f)
                | wgpu::CurrentSurfaceTexture::Suboptimal(f) => f,
                wgpu::CurrentSurfaceTexture::Outdated => {
                    w.surface.configure(&gpu.device, &w.config);
                    self.surface_faults += 1;
                    continue;
                }
                wgpu::CurrentSurfaceTexture::Lost => {
                    if let Ok(s) = gpu.instance.create_surface(w.window.clone()) {
                        w.surface = s;
                        w.surface.configure(&gpu.device, &w.config);
                    }
                    self.surface_faults += 1;
                    continue;
                }
                _ => {
                    self.surface_faults += 1;
                    continue;
                }
            };
            let target = texture.texture.create_view(&wgpu::TextureViewDescriptor {
                format: Some(w.view_format),
                ..Default::default()
            });
            let mut encoder = gpu
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("output window"),
                });
            let size = (w.config.width, w.config.height);
            w.painter.draw_quads(
                &gpu.device,
                &gpu.queue,
                &mut encoder,
                &target,
                size,
                wgpu::Color::BLACK,
                &[Quad {
                    texture: view,
                    other: None,
                    rect: PixelRect {
                        x: 0.0,
                        y: 0.0,
                        w: size.0 as f32,
                        h: size.1 as f32,
                    },
                    nearest: true,
                    mode: QuadMode::Plain,
                }],
            );
            gpu.queue.submit([encoder.finish()]);
            if screenshot && let Some(dir) = &self.options.screenshots {
                let img = crate::render::read_texture(gpu, &texture.texture)
                    .map_err(|e| WindowError::Output {
                        output: w.name.clone(),
                        message: e.to_string(),
                    })?
                    .to_rgba8();
                crate::io::write_png(&dir.join(format!("{}.png", w.name)), &img)?;
            }
            w.window.pre_present_notify();
            gpu.queue.present(texture);
        }
        Ok(())
    }
}

impl ApplicationHandler for App<'_> {
    fn resumed(&mut self, el: &ActiveEventLoop) {
        if self.windows.is_empty()
            && let Err(e) = self.open(el)
        {
            self.error = Some(e);
            el.exit();
        }
    }

    fn window_event(&mut self, el: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        if matches!(event, WindowEvent::CloseRequested) {
            el.exit();
        }
    }

    fn about_to_wait(&mut self, el: &ActiveEventLoop) {
        if !self.windows.is_empty() && self.error.is_none() {
            self.frame(el);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_parse() {
        assert_eq!(
            Placement::parse("wall-1=HDMI-1").unwrap(),
            Placement {
                output: "wall-1".into(),
                monitor: Monitor::Name("HDMI-1".into()),
                at: None
            }
        );
        assert_eq!(
            Placement::parse("ceiling=1@1920,0").unwrap(),
            Placement {
                output: "ceiling".into(),
                monitor: Monitor::Index(1),
                at: Some((1920, 0))
            }
        );
        assert!(Placement::parse("nomonitor").is_err());
        assert!(Placement::parse("a=0@12").is_err());
        assert!(Placement::parse("=0").is_err());
    }
}
