//! Frame encoding: the per-frame GPU work of the window. The renderer's `prepare` with this frame's
//! inputs, the scene and output passes, the shown view's own images (the Stage view's wall and
//! lines, the Camera view and its reference), the status band and overlays drawn into the window,
//! the pass timers, submission, presentation and the screenshot.

use std::time::Instant;

use glam::UVec2;

use super::app::Running;
use super::gpu::{PixelRect, Quad, QuadMode};
use super::{PreviewError, View, camera, outputs, overlay, stage};
use crate::gpu::Gpu;
use crate::render::FrameInputs;
use crate::scene::{SCENE_COLOR_FORMAT, SCENE_DEPTH_FORMAT};
use crate::stage::Stage;

/// The Stage view's render target.
pub struct StageTarget {
    size: UVec2,
    color: wgpu::TextureView,
    depth: wgpu::TextureView,
}

/// Frame and pass times, smoothed.
#[derive(Default)]
pub struct Timing {
    last: Option<Instant>,
    frame_ms: f64,
    prepare_ms: f64,
    encode_ms: f64,
    gpu_ms: f64,
    /// GPU milliseconds per pass group (scene, outputs, view, window), when timestamps exist.
    passes: Option<Vec<f64>>,
}

/// The Camera view's image, and its copy when the difference view needs the reference render.
pub type CameraCopy = Option<(UVec2, wgpu::Texture, wgpu::TextureView)>;

/// A 2D texture of `size` (at least 1 x 1), one mip level.
pub fn texture(
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

fn smooth(old: f64, new: f64) -> f64 {
    if old == 0.0 {
        new
    } else {
        old * 0.9 + new * 0.1
    }
}

impl Timing {
    /// Starts a frame: the time since the last one (seconds; 0 for the first).
    fn tick(&mut self) -> f64 {
        let now = Instant::now();
        let dt = self
            .last
            .map_or(0.0, |l| now.duration_since(l).as_secs_f64());
        self.last = Some(now);
        if dt > 0.0 {
            self.frame_ms = smooth(self.frame_ms, dt * 1e3);
        }
        dt
    }

    /// The first status line: the view, rates, CPU and GPU times and the adapter.
    fn status(&self, mode: &str, adapter: &str) -> String {
        let gpu_passes = match &self.passes {
            Some(p) if p.len() == 4 => format!(
                "gpu scene {:.1}, outputs {:.1}, view {:.1}, window {:.1} ms | ",
                p[0], p[1], p[2], p[3]
            ),
            _ => "gpu pass times: no timestamp queries | ".to_string(),
        };
        format!(
            "{mode} | {} | cpu prepare {:.1} ms, encode {:.1} ms, submit+present {:.1} ms\n{gpu_passes}{adapter}",
            if self.frame_ms > 0.0 {
                format!("{:.1} fps", 1e3 / self.frame_ms)
            } else {
                "-- fps".to_string()
            },
            self.prepare_ms,
            self.encode_ms,
            self.gpu_ms
        )
    }
}

const BLACK: wgpu::Color = wgpu::Color {
    r: 0.0,
    g: 0.0,
    b: 0.0,
    a: 1.0,
};

impl Running {
    /// The part of the window above the status band, where the view is drawn.
    pub fn view_area(&self) -> PixelRect {
        let (w, h) = (self.surface.config.width, self.surface.config.height);
        let band = overlay::band_height(w).min(h);
        PixelRect {
            x: 0.0,
            y: 0.0,
            w: w as f32,
            h: (h - band) as f32,
        }
    }

    /// Renders and presents one frame. Returns the screenshot (and where it was read from) when
    /// `capture` is set. A skipped frame (minimised, surface outdated or lost) leaves
    /// [`Running::frame`] unchanged.
    pub fn frame(
        &mut self,
        stage: &Stage,
        fixed_frame: bool,
        capture: bool,
    ) -> Result<Option<(image::RgbaImage, &'static str)>, PreviewError> {
        if self.surface.minimised {
            return Ok(None);
        }
        let dt = self.timing.tick();
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
        // A camera state that cannot be rendered (e.g. a tracked lens with a zero focal length)
        // keeps the last good frame's camera and is shown in the status band; only the first
        // frame has nothing to hold.
        let (inputs, origin) = match self.camera.frame_inputs(stage, self.frame, fixed_frame, dt) {
            Ok(v) => {
                self.input_error = None;
                v
            }
            Err(e) => match (&self.inputs, self.origin) {
                (Some(i), Some(o)) => {
                    log::warn!("{e}; holding the last camera");
                    self.input_error = Some(e.to_string());
                    (i.clone(), o)
                }
                _ => return Err(e.into()),
            },
        };
        // Every enabled camera is on the wall; the shown one is first (its simulated view).
        let cameras = match self.camera.frame_cameras(stage, inputs.clone(), origin) {
            Ok(c) => c,
            Err(e) => {
                self.input_error = Some(e.to_string());
                vec![inputs.clone()]
            }
        };
        self.renderer.prepare_cameras(&self.gpu, &cameras)?;
        let t1 = Instant::now();
        let camera_lines = self.camera.status(&inputs, stage);
        let mut encoder = self
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
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
        let camera_view = match self.view {
            View::Stage => {
                self.encode_stage_view(&mut encoder, stage, &inputs, area)?;
                None
            }
            View::Camera => self.encode_camera_view(&mut encoder)?,
            View::Outputs => None,
        };
        if let Some(t) = &self.timer {
            t.mark(&mut encoder, 3);
        }
        let status = self.status_band(camera_lines);
        let t2 = Instant::now();

        let Some(frame) = self.surface.acquire(&self.gpu, &self.window)? else {
            // Submit the renderer's work anyway and try again next frame.
            self.gpu.queue.submit([encoder.finish()]);
            return Ok(None);
        };
        let win = self.surface.size();
        let rects = outputs::layout(
            area,
            &self.renderer.outputs().map(|(_, s)| s).collect::<Vec<_>>(),
        );
        if self.view == View::Outputs {
            for (k, r) in rects.iter().enumerate() {
                let key = (1, r.w.round() as u32);
                let Some(slot) = self.labels.get_mut(k) else {
                    continue;
                };
                if slot.as_ref().is_none_or(|l| l.0 != key)
                    && let Some(img) = outputs::label_image(stage, k, key.0, key.1)
                {
                    let size = UVec2::new(img.width(), img.height());
                    *slot = Some((key, size, upload(&self.gpu, "output label", &img)));
                }
            }
        }
        if self.view == View::Outputs && self.overlay {
            for (k, r) in rects.iter().enumerate() {
                let size = UVec2::new(r.w.round() as u32, r.h.round() as u32);
                if self.overlays[k].as_ref().is_none_or(|o| o.0 != size) {
                    let img = outputs::overlay_image(stage, k, size);
                    self.overlays[k] = Some((size, upload(&self.gpu, "output overlay", &img)));
                }
            }
        }
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
                    // The output's name in the label band above it.
                    if let Some(Some((_, size, tex))) = self.labels.get(k) {
                        quads.push(Quad {
                            texture: tex,
                            other: None,
                            rect: PixelRect {
                                x: r.x,
                                y: r.y - outputs::LABEL_BAND + 1.0,
                                w: size.x as f32,
                                h: (size.y as f32).min(outputs::LABEL_BAND - 1.0),
                            },
                            nearest: true,
                            mode: QuadMode::Overlay { opacity: 1.0 },
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
        let band = overlay::band_height(win.x).min(win.y);
        quads.push(Quad {
            texture: &status,
            other: None,
            rect: PixelRect {
                x: 0.0,
                y: (win.y - band) as f32,
                w: win.x as f32,
                h: band as f32,
            },
            nearest: true,
            mode: QuadMode::Overlay { opacity: 1.0 },
        });
        let target = self.surface.target(&frame);
        self.painter.draw_quads(
            &self.gpu.device,
            &self.gpu.queue,
            &mut encoder,
            target,
            (win.x, win.y),
            BLACK,
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
        self.surface
            .finish(&self.gpu, &mut self.painter, &mut encoder, &frame, BLACK);
        if let Some(t) = &self.timer {
            t.mark(&mut encoder, 4);
            t.resolve(&mut encoder);
        }
        let readback = capture.then(|| {
            self.surface
                .readback(&self.gpu.device, &mut encoder, &frame)
        });
        self.gpu.queue.submit([encoder.finish()]);
        // Errors wgpu reported for this frame (the recording handler keeps them instead of
        // panicking): counted and shown in the status band; the window keeps running.
        if let Err(e) = self.gpu.take_uncaptured("a preview frame") {
            log::error!("{e}");
            self.gpu_errors.0 += 1;
            self.gpu_errors.1 = e.to_string();
        }
        if let Some(t) = &mut self.timer {
            t.submitted();
        }
        self.surface.present(&self.gpu, &self.window, frame);
        let t3 = Instant::now();
        let ms = |a: Instant, b: Instant| b.duration_since(a).as_secs_f64() * 1e3;
        self.timing.prepare_ms = smooth(self.timing.prepare_ms, ms(t0, t1));
        self.timing.encode_ms = smooth(self.timing.encode_ms, ms(t1, t2));
        self.timing.gpu_ms = smooth(self.timing.gpu_ms, ms(t2, t3));
        self.inputs = Some(inputs);
        self.origin = Some(origin);
        self.frame += 1;
        match readback {
            Some(r) => {
                let source = r.source;
                Ok(Some((r.read(&self.gpu.device)?, source)))
            }
            None => Ok(None),
        }
    }

    /// Records the Stage view: the lit wall from the orbiting viewer, then the camera's lines.
    fn encode_stage_view(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
        stage: &Stage,
        inputs: &FrameInputs,
        area: PixelRect,
    ) -> Result<(), PreviewError> {
        let device = &self.gpu.device;
        let area_size = UVec2::new(area.w.max(1.0) as u32, area.h.max(1.0) as u32);
        if self
            .stage_target
            .as_ref()
            .is_none_or(|t| t.size != area_size)
        {
            let usage =
                wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
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
            let wall_view = self.renderer.prepare_wall_view(&self.gpu, vp, eye)?;
            self.renderer.render_wall_view(
                encoder,
                &wall_view,
                &t.color,
                &t.depth,
                wgpu::Color {
                    r: 0.02,
                    g: 0.02,
                    b: 0.025,
                    a: 1.0,
                },
            )?;
            let lines = stage::lines(stage, inputs, self.orbit.target);
            self.painter.draw_lines(
                &self.gpu.device,
                &self.gpu.queue,
                encoder,
                &t.color,
                vp,
                &lines,
                eye,
            );
        }
        Ok(())
    }

    /// Records the Camera view (and, for the difference view, a copy of it and the reference
    /// render); returns the camera image's size and view.
    fn encode_camera_view(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
    ) -> Result<Option<(UVec2, wgpu::TextureView)>, PreviewError> {
        self.renderer.render_camera(encoder)?;
        let Some(tex) = self.renderer.camera_texture() else {
            return Ok(None);
        };
        let size = UVec2::new(tex.width(), tex.height());
        let view = tex.create_view(&Default::default());
        if self.difference {
            if self.camera_copy.as_ref().is_none_or(|c| c.0 != size) {
                let t = texture(
                    &self.gpu.device,
                    "camera view copy",
                    size,
                    tex.format(),
                    wgpu::TextureUsages::COPY_DST | wgpu::TextureUsages::TEXTURE_BINDING,
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
            self.renderer.render_reference(encoder, &self.scene)?;
        }
        Ok(Some((size, view)))
    }

    /// The status band's image: the view and times, the camera's lines (`camera_lines`: pose, lens,
    /// overscan, tracking), then the keys or the picked cabinet. Keeps the lines for the panel.
    fn status_band(&mut self, camera_lines: String) -> wgpu::TextureView {
        let adapter = format!("{} ({:?})", self.gpu.info.name, self.gpu.info.backend);
        let mode = match self.view {
            View::Outputs if self.overlay => "OUTPUTS + ids",
            View::Outputs => "OUTPUTS",
            View::Camera if self.difference => "CAMERA - difference vs direct render",
            View::Camera => "CAMERA",
            View::Stage => "STAGE",
        };
        let last = if self.picked.is_empty() {
            "1/2/3 view  O ids  F diff  P panel  WASD QE arrows fly  [ ] focal  - = overscan  R reset  click: info".to_string()
        } else {
            self.picked.clone()
        };
        let last = match &self.gpu_errors {
            (0, _) => last,
            (n, e) => format!("GPU ERRORS: {n} frames, last: {e}\n{last}"),
        };
        let last = match &self.input_error {
            Some(e) => format!("CAMERA HELD: {e}\n{last}"),
            None => last,
        };
        self.status_lines = [self.timing.status(mode, &adapter), camera_lines, last]
            .iter()
            .flat_map(|l| l.lines().map(str::to_string))
            .collect();
        let width = self.surface.config.width;
        upload(
            &self.gpu,
            "status text",
            &overlay::status_image(width, &self.status_lines),
        )
    }
}
