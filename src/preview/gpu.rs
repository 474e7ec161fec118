//! The preview's own GPU drawing, knowing nothing of windows: textured rectangles (a texture
//! shown in part of the target, the difference of two textures, a text overlay) and 3D lines
//! (frustum, outlines, floor grid). The wall itself comes from [`crate::render::Renderer`].

use glam::{DMat4, DVec3, Vec4};

/// Size of one rectangle's uniform slot (the dynamic-offset alignment).
const SLOT: u64 = 256;

/// How a rectangle is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum QuadMode {
    /// The texture as it is (opaque).
    Plain,
    /// `|a - b| * gain`: bright where two images differ.
    Difference {
        /// Gain applied to the difference.
        gain: f32,
    },
    /// The texture over what is already there, with its alpha times `opacity`.
    Overlay {
        /// Opacity of the overlay (0..1).
        opacity: f32,
    },
}

/// A rectangle of the target in pixels (x right, y down).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelRect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl PixelRect {
    /// Whether a point (pixels) lies inside.
    pub fn contains(&self, px: f64, py: f64) -> bool {
        px >= self.x as f64
            && py >= self.y as f64
            && px < (self.x + self.w) as f64
            && py < (self.y + self.h) as f64
    }
}

/// One rectangle to draw.
pub struct Quad<'a> {
    /// The texture shown.
    pub texture: &'a wgpu::TextureView,
    /// Second texture (difference mode); ignored otherwise.
    pub other: Option<&'a wgpu::TextureView>,
    /// Where, in target pixels.
    pub rect: PixelRect,
    /// Sample the nearest texel (LED pixels stay sharp) instead of filtering.
    pub nearest: bool,
    /// How.
    pub mode: QuadMode,
}

/// A 3D line vertex: position relative to the view's eye, linear RGBA colour.
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LineVertex {
    /// Position relative to the eye (metres).
    pub position: [f32; 3],
    /// Linear RGBA.
    pub color: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct QuadUniform {
    dst: [f32; 4],
    src: [f32; 4],
    params: [f32; 4],
}

/// Pipelines and buffers for the preview's rectangles and lines.
pub struct Painter {
    target_format: wgpu::TextureFormat,
    quad_layout: wgpu::BindGroupLayout,
    texture_layout: wgpu::BindGroupLayout,
    quad_pipeline: wgpu::RenderPipeline,
    quad_buffer: wgpu::Buffer,
    quad_group: wgpu::BindGroup,
    quad_slots: u64,
    linear: wgpu::Sampler,
    nearest: wgpu::Sampler,
    dummy: wgpu::TextureView,
    grey: wgpu::TextureView,
    line_pipeline: wgpu::RenderPipeline,
    line_uniform: wgpu::Buffer,
    line_group: wgpu::BindGroup,
    line_buffer: wgpu::Buffer,
    line_capacity: u64,
}

/// The WGSL source of the preview's shaders.
pub const SHADER: &str = include_str!("preview.wgsl");

fn quad_group(
    device: &wgpu::Device,
    layout: &wgpu::BindGroupLayout,
    buffer: &wgpu::Buffer,
) -> wgpu::BindGroup {
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("preview rectangle uniforms"),
        layout,
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer,
                offset: 0,
                size: wgpu::BufferSize::new(std::mem::size_of::<QuadUniform>() as u64),
            }),
        }],
    })
}

fn quad_buffer(device: &wgpu::Device, slots: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("preview rectangle uniforms"),
        size: SLOT * slots,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

fn line_buffer(device: &wgpu::Device, vertices: u64) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("preview line vertices"),
        size: vertices * std::mem::size_of::<LineVertex>() as u64,
        usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

impl Painter {
    /// Creates the pipelines: rectangles into `target_format` (the window's, an sRGB format), lines
    /// into `line_format` (the stage view's scene colour format).
    pub fn new(
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        target_format: wgpu::TextureFormat,
        line_format: wgpu::TextureFormat,
    ) -> Painter {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("preview shaders"),
            source: wgpu::ShaderSource::Wgsl(SHADER.into()),
        });
        let quad_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("preview rectangle layout"),
            entries: &[crate::render::uniform_entry(
                0,
                wgpu::ShaderStages::VERTEX_FRAGMENT,
                true,
            )],
        });
        let tex =
            |binding| crate::render::texture_entry(binding, wgpu::TextureViewDimension::D2, true);
        let texture_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("preview texture layout"),
            entries: &[tex(0), tex(1), crate::render::sampler_entry(2)],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("preview rectangle pipeline"),
            bind_group_layouts: &[Some(&quad_layout), Some(&texture_layout)],
            immediate_size: 0,
        });
        let quad_pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("preview rectangle pipeline"),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_quad"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: Default::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_quad"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: target_format,
                    blend: Some(wgpu::BlendState::ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        let line_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("preview line layout"),
            entries: &[crate::render::uniform_entry(
                0,
                wgpu::ShaderStages::VERTEX,
                false,
            )],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("preview line pipeline"),
            bind_group_layouts: &[Some(&line_layout)],
            immediate_size: 0,
        });
        let line_pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("preview line pipeline"),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_line"),
                compilation_options: Default::default(),
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: std::mem::size_of::<LineVertex>() as u64,
                    step_mode: wgpu::VertexStepMode::Vertex,
                    attributes: &wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x4],
                })],
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::LineList,
                ..Default::default()
            },
            depth_stencil: None,
            multisample: Default::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_line"),
                compilation_options: Default::default(),
                targets: &[Some(line_format.into())],
            }),
            multiview_mask: None,
            cache: None,
        });
        let line_uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("preview line view"),
            size: 64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let line_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("preview line view"),
            layout: &line_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: line_uniform.as_entire_binding(),
            }],
        });
        let sampler = |label, filter| {
            device.create_sampler(&wgpu::SamplerDescriptor {
                label: Some(label),
                mag_filter: filter,
                min_filter: filter,
                ..Default::default()
            })
        };
        let dummy = device
            .create_texture(&wgpu::TextureDescriptor {
                label: Some("preview dummy texture"),
                size: wgpu::Extent3d {
                    width: 1,
                    height: 1,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba8Unorm,
                usage: wgpu::TextureUsages::TEXTURE_BINDING,
                view_formats: &[],
            })
            .create_view(&Default::default());
        let grey = {
            use wgpu::util::DeviceExt;
            device
                .create_texture_with_data(
                    queue,
                    &wgpu::TextureDescriptor {
                        label: Some("preview grey texture"),
                        size: wgpu::Extent3d {
                            width: 1,
                            height: 1,
                            depth_or_array_layers: 1,
                        },
                        mip_level_count: 1,
                        sample_count: 1,
                        dimension: wgpu::TextureDimension::D2,
                        format: wgpu::TextureFormat::Rgba8UnormSrgb,
                        usage: wgpu::TextureUsages::TEXTURE_BINDING,
                        view_formats: &[],
                    },
                    wgpu::util::TextureDataOrder::LayerMajor,
                    &[72, 72, 80, 255],
                )
                .create_view(&Default::default())
        };
        let quad_slots = 16;
        let quad_buffer = quad_buffer(device, quad_slots);
        Painter {
            target_format,
            quad_group: quad_group(device, &quad_layout, &quad_buffer),
            quad_layout,
            texture_layout,
            quad_pipeline,
            quad_buffer,
            quad_slots,
            linear: sampler("preview linear sampler", wgpu::FilterMode::Linear),
            nearest: sampler("preview nearest sampler", wgpu::FilterMode::Nearest),
            dummy,
            grey,
            line_pipeline,
            line_uniform,
            line_group,
            line_buffer: line_buffer(device, 1024),
            line_capacity: 1024,
        }
    }

    /// A mid-grey 1 x 1 texture (frames around rasters).
    pub fn grey(&self) -> &wgpu::TextureView {
        &self.grey
    }

    /// Format of the targets the rectangles are drawn into.
    pub fn target_format(&self) -> wgpu::TextureFormat {
        self.target_format
    }

    /// Records one pass into `target` (`size` pixels): cleared to `clear`, then `quads` in order.
    #[allow(clippy::too_many_arguments)]
    pub fn draw_quads(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        size: (u32, u32),
        clear: wgpu::Color,
        quads: &[Quad<'_>],
    ) {
        let n = quads.len() as u64;
        if n > self.quad_slots {
            self.quad_slots = n.next_power_of_two();
            self.quad_buffer = quad_buffer(device, self.quad_slots);
            self.quad_group = quad_group(device, &self.quad_layout, &self.quad_buffer);
        }
        let (w, h) = (size.0.max(1) as f32, size.1.max(1) as f32);
        let mut bytes = vec![0u8; (SLOT * n.max(1)) as usize];
        for (k, q) in quads.iter().enumerate() {
            let r = q.rect;
            let (mode, gain, opacity) = match q.mode {
                QuadMode::Plain => (0.0, 1.0, 1.0),
                QuadMode::Difference { gain } => (1.0, gain, 1.0),
                QuadMode::Overlay { opacity } => (2.0, 1.0, opacity),
            };
            let u = QuadUniform {
                dst: [
                    r.x / w * 2.0 - 1.0,
                    1.0 - r.y / h * 2.0,
                    (r.x + r.w) / w * 2.0 - 1.0,
                    1.0 - (r.y + r.h) / h * 2.0,
                ],
                src: [0.0, 0.0, 1.0, 1.0],
                params: [mode, gain, opacity, 0.0],
            };
            let o = k * SLOT as usize;
            bytes[o..o + std::mem::size_of::<QuadUniform>()]
                .copy_from_slice(bytemuck::bytes_of(&u));
        }
        queue.write_buffer(&self.quad_buffer, 0, &bytes);
        let groups: Vec<wgpu::BindGroup> = quads
            .iter()
            .map(|q| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("preview rectangle textures"),
                    layout: &self.texture_layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: wgpu::BindingResource::TextureView(q.texture),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: wgpu::BindingResource::TextureView(
                                q.other.unwrap_or(&self.dummy),
                            ),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: wgpu::BindingResource::Sampler(if q.nearest {
                                &self.nearest
                            } else {
                                &self.linear
                            }),
                        },
                    ],
                })
            })
            .collect();
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("preview window pass"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(clear),
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        pass.set_pipeline(&self.quad_pipeline);
        for (k, g) in groups.iter().enumerate() {
            pass.set_bind_group(0, &self.quad_group, &[(k as u64 * SLOT) as u32]);
            pass.set_bind_group(1, g, &[]);
            pass.draw(0..6, 0..1);
        }
    }

    /// Records `vertices` (pairs: a line list) over `target` (the scene colour format), seen
    /// through `view_proj` from `eye`.
    #[allow(clippy::too_many_arguments)]
    pub fn draw_lines(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        view_proj: DMat4,
        lines: &[(DVec3, Vec4)],
        eye: DVec3,
    ) {
        if lines.is_empty() {
            return;
        }
        let n = lines.len() as u64;
        if n > self.line_capacity {
            self.line_capacity = n.next_power_of_two();
            self.line_buffer = line_buffer(device, self.line_capacity);
        }
        let vertices: Vec<LineVertex> = lines
            .iter()
            .map(|(p, c)| LineVertex {
                position: (*p - eye).as_vec3().to_array(),
                color: c.to_array(),
            })
            .collect();
        queue.write_buffer(&self.line_buffer, 0, bytemuck::cast_slice(&vertices));
        queue.write_buffer(
            &self.line_uniform,
            0,
            bytemuck::bytes_of(&view_proj.as_mat4().to_cols_array_2d()),
        );
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("preview lines pass"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Load,
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        pass.set_pipeline(&self.line_pipeline);
        pass.set_bind_group(0, &self.line_group, &[]);
        pass.set_vertex_buffer(
            0,
            self.line_buffer
                .slice(..n * std::mem::size_of::<LineVertex>() as u64),
        );
        pass.draw(0..n as u32 & !1, 0..1);
    }
}

/// GPU time between marks recorded in a frame's command encoder (timestamp queries), read back
/// without waiting: a frame is timed only while the previous timing is not in flight. Needs
/// [`PassTimer::FEATURES`]; [`PassTimer::new`] returns `None` without them.
pub struct PassTimer {
    set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    readback: wgpu::Buffer,
    marks: u32,
    period_ns: f64,
    in_flight: bool,
    recording: bool,
    ready: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl PassTimer {
    /// Device features the timer needs.
    pub const FEATURES: wgpu::Features =
        wgpu::Features::TIMESTAMP_QUERY.union(wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS);

    /// A timer with `marks` timestamps per frame, if the device has [`PassTimer::FEATURES`].
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, marks: u32) -> Option<PassTimer> {
        if !device.features().contains(Self::FEATURES) || marks < 2 {
            return None;
        }
        let size = 8 * marks as u64;
        Some(PassTimer {
            set: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("preview pass timer"),
                ty: wgpu::QueryType::Timestamp,
                count: marks,
            }),
            resolve: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("preview pass timer resolve"),
                size,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            }),
            readback: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("preview pass timer readback"),
                size,
                usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
                mapped_at_creation: false,
            }),
            marks,
            period_ns: queue.get_timestamp_period() as f64,
            in_flight: false,
            recording: false,
            ready: Default::default(),
        })
    }

    /// Starts a frame: whether this frame is timed.
    pub fn begin(&mut self) -> bool {
        self.recording = !self.in_flight;
        self.recording
    }

    /// Records timestamp `k` (0..marks) if this frame is timed.
    pub fn mark(&self, encoder: &mut wgpu::CommandEncoder, k: u32) {
        if self.recording && k < self.marks {
            encoder.write_timestamp(&self.set, k);
        }
    }

    /// Records the copy of this frame's timestamps (call after the last mark).
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        if self.recording {
            encoder.resolve_query_set(&self.set, 0..self.marks, &self.resolve, 0);
            encoder.copy_buffer_to_buffer(
                &self.resolve,
                0,
                &self.readback,
                0,
                8 * self.marks as u64,
            );
        }
    }

    /// Call after the frame was submitted: starts reading its timestamps back.
    pub fn submitted(&mut self) {
        if !self.recording {
            return;
        }
        self.recording = false;
        self.in_flight = true;
        self.ready.store(false, std::sync::atomic::Ordering::SeqCst);
        let ready = self.ready.clone();
        self.readback
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |r| {
                if r.is_ok() {
                    ready.store(true, std::sync::atomic::Ordering::SeqCst);
                }
            });
    }

    /// The milliseconds between consecutive marks of the last timed frame, once read back
    /// (never waits).
    pub fn poll(&mut self, device: &wgpu::Device) -> Option<Vec<f64>> {
        if !self.in_flight {
            return None;
        }
        let _ = device.poll(wgpu::PollType::Poll);
        if !self.ready.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        let ms = self.readback.slice(..).get_mapped_range().ok().map(|data| {
            let t: &[u64] = bytemuck::cast_slice(&data);
            t.windows(2)
                .map(|w| w[1].saturating_sub(w[0]) as f64 * self.period_ns * 1e-6)
                .collect()
        });
        self.readback.unmap();
        self.in_flight = false;
        ms
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn preview_shader_parses_and_validates() {
        let module = match naga::front::wgsl::parse_str(super::SHADER) {
            Ok(m) => m,
            Err(e) => panic!("{}", e.emit_to_string(super::SHADER)),
        };
        let mut v = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        );
        if let Err(e) = v.validate(&module) {
            panic!("{}", e.emit_to_string(super::SHADER));
        }
    }
}
