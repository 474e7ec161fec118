//! The window's surface: the GPU device opened for the window, the surface configuration, resizing,
//! lost or outdated surfaces, the image a frame is drawn into, and the screenshot readback.
//!
//! A frame draws into the window's own texture when the surface allows copies (then the screenshot
//! reads that texture); otherwise into an offscreen image that is copied into the window, and the
//! screenshot reads the offscreen image.

use std::sync::Arc;

use glam::UVec2;
use winit::dpi::PhysicalSize;
use winit::event_loop::OwnedDisplayHandle;
use winit::window::Window;

use super::PreviewError;
use super::gpu::{Painter, PassTimer, PixelRect, Quad, QuadMode};
use crate::gpu::{Gpu, GpuError};

/// The window's surface and its configuration.
pub struct WindowSurface {
    surface: wgpu::Surface<'static>,
    /// The configuration (size, format, present mode).
    pub config: wgpu::SurfaceConfiguration,
    /// The sRGB format the window's texture is viewed in.
    pub view_format: wgpu::TextureFormat,
    /// Whether the window's texture can be copied from (screenshots read it directly).
    pub copy_src: bool,
    /// Whether the window has no area (nothing is rendered).
    pub minimised: bool,
    offscreen: Option<(UVec2, wgpu::Texture, wgpu::TextureView)>,
}

/// The window's image for one frame.
pub struct SurfaceFrame {
    texture: wgpu::SurfaceTexture,
    view: wgpu::TextureView,
}

/// A screenshot copy recorded into the frame's commands, read after submission.
pub struct Readback {
    buffer: wgpu::Buffer,
    padded: u32,
    size: UVec2,
    bgra: bool,
    /// `surface` (the window's own texture) or `offscreen`.
    pub source: &'static str,
}

impl WindowSurface {
    /// Opens the GPU for `window` (an adapter that can present to it, with timestamp queries when
    /// offered) and configures the surface: an sRGB format, vsync unless `no_vsync`.
    pub fn open(
        display: &OwnedDisplayHandle,
        window: &Arc<Window>,
        no_vsync: bool,
    ) -> Result<(Gpu, WindowSurface), PreviewError> {
        let instance = wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_with_display_handle(Box::new(display.clone())).with_env(),
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
        let errors = crate::gpu::ErrorLog::install(&device);
        let gpu = Gpu {
            instance,
            adapter,
            device,
            queue,
            info,
            errors,
        };
        let caps = surface.get_capabilities(&gpu.adapter);
        let size = window.inner_size();
        let present_mode = if no_vsync {
            wgpu::PresentMode::AutoNoVsync
        } else {
            wgpu::PresentMode::AutoVsync
        };
        let crate::gpu::SurfaceSetup {
            config,
            view_format,
            copy_src,
        } = crate::gpu::surface_config(&caps, (size.width, size.height), present_mode)
            .ok_or_else(|| PreviewError::Surface("the surface offers no format".into()))?;
        let format = config.format;
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
        Ok((
            gpu,
            WindowSurface {
                surface,
                config,
                view_format,
                copy_src,
                minimised,
                offscreen: None,
            },
        ))
    }

    /// The window's size in pixels.
    pub fn size(&self) -> UVec2 {
        UVec2::new(self.config.width, self.config.height)
    }

    /// The format of the image a frame draws into (the panel draws there too).
    pub fn target_format(&self) -> wgpu::TextureFormat {
        if self.copy_src {
            self.view_format
        } else {
            wgpu::TextureFormat::Rgba8UnormSrgb
        }
    }

    /// Follows a window resize (a zero size marks the window minimised).
    pub fn reconfigure(&mut self, device: &wgpu::Device, size: PhysicalSize<u32>) {
        self.minimised = size.width == 0 || size.height == 0;
        if self.minimised {
            return;
        }
        self.config.width = size.width;
        self.config.height = size.height;
        self.surface.configure(device, &self.config);
    }

    /// The window's image for this frame, and the offscreen image sized to it when the surface
    /// cannot be copied from. `None` when the frame must be skipped: an outdated surface is
    /// reconfigured and a lost one re-created, for the next frame; a timeout or an occluded window
    /// just skips.
    pub fn acquire(
        &mut self,
        gpu: &Gpu,
        window: &Arc<Window>,
    ) -> Result<Option<SurfaceFrame>, PreviewError> {
        let texture = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(f) => f,
            wgpu::CurrentSurfaceTexture::Suboptimal(f) => f,
            wgpu::CurrentSurfaceTexture::Outdated => {
                self.reconfigure(&gpu.device, window.inner_size());
                return Ok(None);
            }
            wgpu::CurrentSurfaceTexture::Lost => {
                self.surface = gpu
                    .instance
                    .create_surface(window.clone())
                    .map_err(|e| PreviewError::Surface(e.to_string()))?;
                self.reconfigure(&gpu.device, window.inner_size());
                return Ok(None);
            }
            wgpu::CurrentSurfaceTexture::Timeout
            | wgpu::CurrentSurfaceTexture::Occluded
            | wgpu::CurrentSurfaceTexture::Validation => return Ok(None),
        };
        let view = texture.texture.create_view(&wgpu::TextureViewDescriptor {
            label: Some("window view"),
            format: Some(self.view_format),
            ..Default::default()
        });
        let win = self.size();
        if !self.copy_src && self.offscreen.as_ref().is_none_or(|o| o.0 != win) {
            let t = super::frame::texture(
                &gpu.device,
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
        Ok(Some(SurfaceFrame { texture, view }))
    }

    /// The image this frame draws into: the window's own, or the offscreen one.
    pub fn target<'a>(&'a self, frame: &'a SurfaceFrame) -> &'a wgpu::TextureView {
        match &self.offscreen {
            Some((_, _, v)) if !self.copy_src => v,
            _ => &frame.view,
        }
    }

    /// Records the copy of the offscreen image into the window (nothing when the frame drew into
    /// the window directly).
    pub fn finish(
        &self,
        gpu: &Gpu,
        painter: &mut Painter,
        encoder: &mut wgpu::CommandEncoder,
        frame: &SurfaceFrame,
        clear: wgpu::Color,
    ) {
        let (true, Some((_, _, v))) = (!self.copy_src, &self.offscreen) else {
            return;
        };
        let win = self.size();
        let full = PixelRect {
            x: 0.0,
            y: 0.0,
            w: win.x as f32,
            h: win.y as f32,
        };
        painter.draw_quads(
            &gpu.device,
            &gpu.queue,
            encoder,
            &frame.view,
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

    /// Records the screenshot's copy: the window's own texture when it allows copies, else the
    /// offscreen image blitted into it.
    pub fn readback(
        &self,
        device: &wgpu::Device,
        encoder: &mut wgpu::CommandEncoder,
        frame: &SurfaceFrame,
    ) -> Readback {
        let (src, source) = match &self.offscreen {
            Some((_, t, _)) if !self.copy_src => (t, "offscreen"),
            _ => (&frame.texture.texture, "surface"),
        };
        let size = self.size();
        let row = size.x * 4;
        let padded =
            row.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("screenshot buffer"),
            size: padded as u64 * size.y as u64,
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
                    rows_per_image: Some(size.y),
                },
            },
            wgpu::Extent3d {
                width: size.x,
                height: size.y,
                depth_or_array_layers: 1,
            },
        );
        let bgra = matches!(
            src.format(),
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        );
        Readback {
            buffer,
            padded,
            size,
            bgra,
            source,
        }
    }

    /// Presents the frame.
    pub fn present(&self, gpu: &Gpu, window: &Window, frame: SurfaceFrame) {
        window.pre_present_notify();
        gpu.queue.present(frame.texture);
    }
}

impl Readback {
    /// Waits for the copy (submitted with the frame) and returns the image as RGBA.
    pub fn read(self, device: &wgpu::Device) -> Result<image::RgbaImage, PreviewError> {
        let slice = self.buffer.slice(..);
        slice.map_async(wgpu::MapMode::Read, |_| {});
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| PreviewError::Screenshot(e.to_string()))?;
        let data = slice
            .get_mapped_range()
            .map_err(|e| PreviewError::Screenshot(e.to_string()))?;
        let (w, h, padded) = (self.size.x, self.size.y, self.padded);
        let mut img = image::RgbaImage::new(w, h);
        for y in 0..h {
            let row = &data[(y * padded) as usize..(y * padded + w * 4) as usize];
            for x in 0..w {
                let p = &row[(x * 4) as usize..(x * 4 + 4) as usize];
                let px = if self.bgra {
                    [p[2], p[1], p[0], 255]
                } else {
                    [p[0], p[1], p[2], 255]
                };
                img.put_pixel(x, y, image::Rgba(px));
            }
        }
        Ok(img)
    }
}
