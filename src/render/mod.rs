//! The headless frame: outer cube map, inner frustum, composite + tile mapping into every output, the
//! unwrapped wall and the simulated camera view.
//!
//! [`Renderer::new`] creates pipelines, layouts, the panel buffer and the output textures once;
//! [`Renderer::prepare`] uploads a frame's uniforms (and sizes the inner/outer/camera targets);
//! [`Renderer::render`] records the passes. See `docs/rendering.md`.

pub mod footprint;
pub mod inputs;
pub mod layout;
pub mod mipmap;
mod readback;
pub mod shaders;
pub mod view;

use std::ops::Range;

use glam::{DVec3, IVec2, UVec2};
use wgpu::util::DeviceExt;

pub use inputs::{FrameInputs, InputError, Overrides, inner_weight};
pub use mipmap::InnerSampling;
pub use readback::{ReadImage, ReadbackError, linear_to_srgb, read_texture, srgb_to_linear};

use crate::gpu::{Gpu, GpuError};
use crate::scene::{SCENE_COLOR_FORMAT, SCENE_DEPTH_FORMAT, Scene, SceneContext, ViewBinding};
use crate::stage::Stage;
use view::{VIEW_STRIDE, ViewUniform};

/// Why a frame could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A texture or buffer exceeds the adapter's limits.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// A setting that cannot be rendered.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Reading back failed.
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    /// `render` before `prepare`.
    #[error("Renderer::render called before Renderer::prepare")]
    NotPrepared,
    /// A mip chain could not be set up.
    #[error(transparent)]
    Mipmap(#[from] mipmap::MipmapError),
    /// Wrong number of target views.
    #[error("expected {expected} output views, got {got}")]
    Targets { expected: usize, got: usize },
}

/// Choices made once per renderer.
#[derive(Clone, Debug)]
pub struct RendererOptions {
    /// Format of the outputs, the wall and the camera view: `Rgba8UnormSrgb` (what LED processors get)
    /// or `Rgba32Float` (precise values for tests).
    pub output_format: wgpu::TextureFormat,
    /// Render the unwrapped wall (`wall.png`).
    pub wall: bool,
    /// Render the simulated camera view (`camera.png`).
    pub camera: bool,
    /// Width of the camera view; default: the inner resolution's width. Height follows the sensor.
    pub camera_width: Option<u32>,
    /// How the composite samples the inner frustum (default: each LED pixel's footprint).
    pub inner_sampling: InnerSampling,
    /// Sub-samples per axis of each simulated camera pixel (1: none). The camera's pinhole view (of
    /// the wall, or of the scene for the reference) is rendered this many times larger per axis and
    /// the lens pass averages each sensor pixel's `n x n` sub-samples (a box filter over the pixel),
    /// so that edges are antialiased alike in the camera's view of the wall and in the direct
    /// reference. Lowered (to 1 at least) where the pinhole view would pass the adapter's texture
    /// limit. Default 3.
    pub camera_supersample: u32,
}

impl Default for RendererOptions {
    fn default() -> Self {
        RendererOptions {
            output_format: wgpu::TextureFormat::Rgba8UnormSrgb,
            wall: true,
            camera: true,
            camera_width: None,
            inner_sampling: InnerSampling::Footprint,
            camera_supersample: 3,
        }
    }
}

/// Size of the simulated camera's pinhole view covering `pin` (tangents) with `factor` texels per
/// camera pixel and axis at the scale of `frame` (the camera view's extents, `camera` pixels), and the
/// factor used: lowered until the size fits `max` texels per axis, but not below 1.
fn pinhole_size(
    camera: UVec2,
    pin: &crate::camera::Tangents,
    frame: &crate::camera::Tangents,
    factor: u32,
    max: u32,
) -> (UVec2, u32) {
    let mut s = factor.max(1);
    loop {
        let n = s as f64;
        let size = UVec2::new(
            ((camera.x as f64 * n * pin.width() / frame.width()).ceil() as u32).max(1),
            ((camera.y as f64 * n * pin.height() / frame.height()).ceil() as u32).max(1),
        );
        if s == 1 || size.max_element() <= max {
            return (size, s);
        }
        s -= 1;
    }
}

/// One placed panel as the shaders see it (`Panel` in `shaders/common.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GpuPanel {
    /// Top-left corner (stage metres).
    pub top_left: [f32; 4],
    /// Full right edge.
    pub right: [f32; 4],
    /// Full down edge.
    pub down: [f32; 4],
    /// LED pixels (columns, rows).
    pub pixels: [u32; 2],
    /// Output pixel of LED pixel (0, 0).
    pub origin: [i32; 2],
    /// Output step per column.
    pub step_col: [i32; 2],
    /// Output step per row.
    pub step_row: [i32; 2],
}

fn v4(v: DVec3) -> [f32; 4] {
    [v.x as f32, v.y as f32, v.z as f32, 0.0]
}

fn gpu_panel(p: &crate::stage::Panel, origin: IVec2, step_col: IVec2, step_row: IVec2) -> GpuPanel {
    GpuPanel {
        top_left: v4(p.frame.top_left),
        right: v4(p.frame.right),
        down: v4(p.frame.down),
        pixels: p.pixels.to_array(),
        origin: origin.to_array(),
        step_col: step_col.to_array(),
        step_row: step_row.to_array(),
    }
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct FrameUniform {
    inner_view_proj: [[f32; 4]; 4],
    inner_eye: [f32; 4],
    outer_viewpoint: [f32; 4],
    border_color: [f32; 4],
    params: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct TargetUniform {
    size: [f32; 2],
    pad: [f32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct LensUniform {
    frame: [f32; 4],
    pinhole: [f32; 4],
    k: [f32; 4],
    p2_size: [f32; 4],
}

/// An output raster the composite pass draws into (a real output or the unwrapped wall).
struct Raster {
    name: String,
    size: UVec2,
    instances: Range<u32>,
    texture: wgpu::Texture,
    view: wgpu::TextureView,
}

/// Targets whose size depends on the frame inputs.
struct Sized {
    inner_size: UVec2,
    outer_size: u32,
    camera_size: UVec2,
    pinhole_size: UVec2,
    inner_view: wgpu::TextureView,
    inner_mips: mipmap::MipChain,
    inner_depth: wgpu::TextureView,
    outer_faces: Vec<wgpu::TextureView>,
    outer_depth: wgpu::TextureView,
    pinhole_view: wgpu::TextureView,
    pinhole_depth: wgpu::TextureView,
    camera_texture: wgpu::Texture,
    camera_view: wgpu::TextureView,
    composite_group: wgpu::BindGroup,
    warp_group: wgpu::BindGroup,
}

/// Slots in the view uniform buffer.
const VIEW_INNER: u64 = 6;
const VIEW_CAMERA: u64 = 7;
/// A free view (the preview window's orbiting viewer), see [`Renderer::render_wall_view`].
const VIEW_FREE: u64 = 8;
const VIEW_SLOTS: u64 = 9;

/// The frame renderer for one stage.
pub struct Renderer {
    options: RendererOptions,
    view_layout: wgpu::BindGroupLayout,
    view_buffer: wgpu::Buffer,
    view_group: wgpu::BindGroup,
    panels: wgpu::Buffer,
    outputs: Vec<Raster>,
    wall: Option<Raster>,
    camera_instances: Vec<Range<u32>>,
    frame_buffer: wgpu::Buffer,
    target_buffer: wgpu::Buffer,
    lens_buffer: wgpu::Buffer,
    sampler: wgpu::Sampler,
    mipmap: mipmap::MipmapPass,
    composite_layout: wgpu::BindGroupLayout,
    composite_pipeline: wgpu::RenderPipeline,
    camera_group: wgpu::BindGroup,
    free_view_group: wgpu::BindGroup,
    camera_output_groups: Vec<wgpu::BindGroup>,
    camera_pipeline: wgpu::RenderPipeline,
    warp_layout: wgpu::BindGroupLayout,
    warp_pipeline: wgpu::RenderPipeline,
    sized: Option<Sized>,
    inputs: Option<FrameInputs>,
}

fn texture(
    device: &wgpu::Device,
    label: &str,
    size: UVec2,
    layers: u32,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::Texture {
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width: size.x,
            height: size.y,
            depth_or_array_layers: layers,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    })
}

/// A bind-group-layout entry (shared by the renderer, the scenes and the preview).
pub(crate) fn uniform_entry(
    binding: u32,
    visibility: wgpu::ShaderStages,
    dynamic: bool,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: dynamic,
            min_binding_size: None,
        },
        count: None,
    }
}

fn storage_entry(binding: u32, visibility: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only: true },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// A bind-group-layout entry (shared by the renderer, the scenes and the preview).
pub(crate) fn texture_entry(
    binding: u32,
    dimension: wgpu::TextureViewDimension,
    filterable: bool,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable },
            view_dimension: dimension,
            multisampled: false,
        },
        count: None,
    }
}

/// A bind-group-layout entry (shared by the renderer, the scenes and the preview).
pub(crate) fn sampler_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
        count: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn pipeline(
    device: &wgpu::Device,
    label: &str,
    module: &wgpu::ShaderModule,
    layouts: &[Option<&wgpu::BindGroupLayout>],
    format: wgpu::TextureFormat,
    depth: bool,
) -> wgpu::RenderPipeline {
    let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: layouts,
        immediate_size: 0,
    });
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(label),
        layout: Some(&layout),
        vertex: wgpu::VertexState {
            module,
            entry_point: Some("vs_main"),
            compilation_options: Default::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: depth.then(|| wgpu::DepthStencilState {
            format: SCENE_DEPTH_FORMAT,
            depth_write_enabled: Some(true),
            depth_compare: Some(wgpu::CompareFunction::Less),
            stencil: Default::default(),
            bias: Default::default(),
        }),
        multisample: Default::default(),
        fragment: Some(wgpu::FragmentState {
            module,
            entry_point: Some("fs_main"),
            compilation_options: Default::default(),
            targets: &[Some(format.into())],
        }),
        multiview_mask: None,
        cache: None,
    })
}

const RASTER_USAGE: wgpu::TextureUsages = wgpu::TextureUsages::RENDER_ATTACHMENT
    .union(wgpu::TextureUsages::TEXTURE_BINDING)
    .union(wgpu::TextureUsages::COPY_SRC);

impl Renderer {
    /// Creates pipelines, layouts, the panel buffer and the output textures for `stage`.
    pub fn new(
        gpu: &Gpu,
        stage: &Stage,
        options: RendererOptions,
    ) -> Result<Renderer, RenderError> {
        let device = &gpu.device;
        let fmt = options.output_format;
        for o in &stage.outputs {
            gpu.check_texture(&format!("output '{}'", o.name), o.width, o.height)?;
        }
        // Panels grouped by output (instance ranges), then the unwrapped wall's copies.
        let mut gpu_panels = Vec::with_capacity(stage.panels.len() * 2);
        let mut ranges = Vec::new();
        for (k, _) in stage.outputs.iter().enumerate() {
            let start = gpu_panels.len() as u32;
            for i in stage.panels_in_output(k) {
                let p = &stage.panels[i];
                gpu_panels.push(gpu_panel(
                    p,
                    p.placement.origin,
                    p.placement.step_col,
                    p.placement.step_row,
                ));
            }
            ranges.push(start..gpu_panels.len() as u32);
        }
        let max = device.limits().max_texture_dimension_2d;
        let wall_layout = options.wall.then(|| layout::wall_layout(stage, max));
        let wall_range = wall_layout.as_ref().map(|l| {
            let start = gpu_panels.len() as u32;
            for (p, o) in stage.panels.iter().zip(&l.origins) {
                gpu_panels.push(gpu_panel(p, *o, IVec2::X, IVec2::Y));
            }
            start..gpu_panels.len() as u32
        });
        if gpu_panels.is_empty() {
            gpu_panels.push(bytemuck::Zeroable::zeroed());
        }
        let panel_bytes: &[u8] = bytemuck::cast_slice(&gpu_panels);
        gpu.check_buffer("panel buffer", panel_bytes.len() as u64)?;
        let panels = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("panel buffer"),
            contents: panel_bytes,
            usage: wgpu::BufferUsages::STORAGE,
        });
        let outputs: Vec<Raster> = stage
            .outputs
            .iter()
            .zip(&ranges)
            .map(|(o, r)| {
                let size = UVec2::new(o.width, o.height);
                let t = texture(
                    device,
                    &format!("output {}", o.name),
                    size,
                    1,
                    fmt,
                    RASTER_USAGE,
                );
                Raster {
                    name: o.name.clone(),
                    size,
                    instances: r.clone(),
                    view: t.create_view(&Default::default()),
                    texture: t,
                }
            })
            .collect();
        let wall = match (wall_layout, wall_range) {
            (Some(l), Some(instances)) => {
                if gpu
                    .check_texture("unwrapped wall", l.size.x, l.size.y)
                    .is_ok()
                {
                    let t = texture(device, "unwrapped wall", l.size, 1, fmt, RASTER_USAGE);
                    Some(Raster {
                        name: "wall".into(),
                        size: l.size,
                        instances,
                        view: t.create_view(&Default::default()),
                        texture: t,
                    })
                } else {
                    log::warn!(
                        "the unwrapped wall ({} x {}) exceeds the adapter's texture limit: not rendered",
                        l.size.x,
                        l.size.y
                    );
                    None
                }
            }
            _ => None,
        };

        let view_layout = crate::scene::view_layout(device);
        let view_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("view uniforms"),
            size: VIEW_STRIDE * VIEW_SLOTS,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let view_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("view bind group"),
            layout: &view_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &view_buffer,
                    offset: 0,
                    size: wgpu::BufferSize::new(view::VIEW_UNIFORM_SIZE),
                }),
            }],
        });
        let frame_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("frame uniforms"),
            size: std::mem::size_of::<FrameUniform>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut targets = vec![0u8; 256 * (outputs.len() + 1)];
        for (k, r) in outputs.iter().chain(wall.iter()).enumerate() {
            let t = TargetUniform {
                size: [r.size.x as f32, r.size.y as f32],
                pad: [0.0; 2],
            };
            targets[k * 256..k * 256 + 16].copy_from_slice(bytemuck::bytes_of(&t));
        }
        let target_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("output target uniforms"),
            contents: &targets,
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let lens_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("lens uniforms"),
            size: std::mem::size_of::<LensUniform>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("linear clamp sampler"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            mipmap_filter: wgpu::MipmapFilterMode::Linear,
            ..Default::default()
        });
        let mipmap = mipmap::MipmapPass::new(device, SCENE_COLOR_FORMAT);

        let vf = wgpu::ShaderStages::VERTEX_FRAGMENT;
        let composite_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("composite layout"),
            entries: &[
                storage_entry(0, vf),
                uniform_entry(1, vf, false),
                uniform_entry(2, vf, true),
                texture_entry(3, wgpu::TextureViewDimension::D2, true),
                texture_entry(4, wgpu::TextureViewDimension::Cube, true),
                sampler_entry(5),
            ],
        });
        let composite_module = shaders::module(device, "composite", shaders::COMPOSITE);
        let composite_pipeline = pipeline(
            device,
            "composite pipeline",
            &composite_module,
            &[Some(&composite_layout)],
            fmt,
            false,
        );

        let camera_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("camera view layout"),
            entries: &[storage_entry(0, vf), uniform_entry(1, vf, false)],
        });
        let camera_output_layout =
            device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("camera view output layout"),
                entries: &[texture_entry(0, wgpu::TextureViewDimension::D2, false)],
            });
        // The camera view and the preview's free view draw the same cabinets from different view slots.
        let wall_view_group = |label: &str, slot: u64| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(label),
                layout: &camera_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: panels.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: &view_buffer,
                            offset: slot * VIEW_STRIDE,
                            size: wgpu::BufferSize::new(view::VIEW_UNIFORM_SIZE),
                        }),
                    },
                ],
            })
        };
        let camera_group = wall_view_group("camera view bind group", VIEW_CAMERA);
        let free_view_group = wall_view_group("free view bind group", VIEW_FREE);
        let camera_output_groups = outputs
            .iter()
            .map(|o| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(&format!("camera view of output {}", o.name)),
                    layout: &camera_output_layout,
                    entries: &[wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(&o.view),
                    }],
                })
            })
            .collect();
        let camera_module = shaders::module(device, "camera view", shaders::CAMERA_VIEW);
        let camera_pipeline = pipeline(
            device,
            "camera view pipeline",
            &camera_module,
            &[Some(&camera_layout), Some(&camera_output_layout)],
            SCENE_COLOR_FORMAT,
            true,
        );
        let warp_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("lens warp layout"),
            entries: &[
                texture_entry(0, wgpu::TextureViewDimension::D2, true),
                sampler_entry(1),
                uniform_entry(2, wgpu::ShaderStages::FRAGMENT, false),
            ],
        });
        let warp_module = shaders::module(device, "lens warp", shaders::LENS_WARP);
        let warp_pipeline = pipeline(
            device,
            "lens warp pipeline",
            &warp_module,
            &[Some(&warp_layout)],
            fmt,
            false,
        );

        Ok(Renderer {
            options,
            view_layout,
            view_buffer,
            view_group,
            panels,
            camera_instances: ranges,
            outputs,
            wall,
            frame_buffer,
            target_buffer,
            lens_buffer,
            sampler,
            mipmap,
            composite_layout,
            composite_pipeline,
            camera_group,
            free_view_group,
            camera_output_groups,
            camera_pipeline,
            warp_layout,
            warp_pipeline,
            sized: None,
            inputs: None,
        })
    }

    /// What scenes need to be created for this renderer.
    pub fn scene_context<'a>(&'a self, gpu: &'a Gpu) -> SceneContext<'a> {
        SceneContext {
            gpu,
            view_layout: &self.view_layout,
        }
    }

    /// Names and sizes of the outputs, in stage order.
    pub fn outputs(&self) -> impl Iterator<Item = (&str, UVec2)> {
        self.outputs.iter().map(|o| (o.name.as_str(), o.size))
    }

    /// Size of the camera view for `inputs`.
    pub fn camera_size(&self, inputs: &FrameInputs) -> UVec2 {
        let w = self
            .options
            .camera_width
            .unwrap_or(inputs.inner_resolution.x)
            .max(1);
        let (sw, sh) = inputs.lens.sensor_mm;
        UVec2::new(w, ((w as f64 * sh / sw).round() as u32).max(1))
    }

    /// The undistorted extents the simulated camera's pinhole view covers. Where the lens inverse fails
    /// on the frame's edge, a warning names the first failing point and the lens pass shows those
    /// sensor pixels in the failure marker colour (`shaders/lens_warp.wgsl`).
    fn pinhole_tangents(inputs: &FrameInputs) -> crate::camera::Tangents {
        let f = inputs.frame_tangents;
        if inputs.lens.distortion.is_identity() {
            return f;
        }
        if let Err(e) = inputs.lens.distorted_frame_tangents() {
            log::warn!(
                "camera '{}': {e}; the camera view shows those pixels in magenta",
                inputs.camera_name
            );
        }
        let d = inputs.lens.distorted_frame_coverage().tangents;
        crate::camera::Tangents {
            left: f.left.min(d.left),
            right: f.right.max(d.right),
            bottom: f.bottom.min(d.bottom),
            top: f.top.max(d.top),
        }
    }

    /// Uploads a frame's uniforms, creating the inner, outer and camera targets when their sizes change.
    pub fn prepare(&mut self, gpu: &Gpu, inputs: &FrameInputs) -> Result<(), RenderError> {
        let camera_size = self.camera_size(inputs);
        let pin = Self::pinhole_tangents(inputs);
        let f = inputs.frame_tangents;
        let (pinhole_size, supersample) = pinhole_size(
            camera_size,
            &pin,
            &f,
            self.options.camera_supersample,
            gpu.device.limits().max_texture_dimension_2d,
        );
        gpu.check_texture(
            "inner frustum",
            inputs.inner_resolution.x,
            inputs.inner_resolution.y,
        )?;
        gpu.check_texture(
            "outer cube map face",
            inputs.outer_resolution,
            inputs.outer_resolution,
        )?;
        gpu.check_texture("camera view", camera_size.x, camera_size.y)?;
        gpu.check_texture("camera pinhole view", pinhole_size.x, pinhole_size.y)?;
        let stale = self.sized.as_ref().is_none_or(|s| {
            s.inner_size != inputs.inner_resolution
                || s.outer_size != inputs.outer_resolution
                || s.camera_size != camera_size
                || s.pinhole_size != pinhole_size
        });
        if stale {
            self.sized = Some(self.create_sized(gpu, inputs, camera_size, pinhole_size)?);
        }

        let mut views = vec![0u8; (VIEW_STRIDE * VIEW_SLOTS) as usize];
        let mut put = |slot: u64, v: ViewUniform| {
            let o = (slot * VIEW_STRIDE) as usize;
            views[o..o + view::VIEW_UNIFORM_SIZE as usize].copy_from_slice(bytemuck::bytes_of(&v));
        };
        for face in 0..6 {
            put(
                face as u64,
                ViewUniform::new(view::cube_face_view_proj(face), inputs.outer_viewpoint),
            );
        }
        let inner_vp = view::camera_view_proj(inputs.pose.rotation, &inputs.inner_tangents);
        put(VIEW_INNER, ViewUniform::new(inner_vp, inputs.eye));
        put(
            VIEW_CAMERA,
            ViewUniform::new(
                view::camera_view_proj(inputs.pose.rotation, &pin),
                inputs.eye,
            ),
        );
        gpu.queue.write_buffer(&self.view_buffer, 0, &views);

        let (bw, bc) = inputs.border.map_or((0.0, [0.0; 3]), |(w, c)| (w, c));
        let frame = FrameUniform {
            inner_view_proj: inner_vp.as_mat4().to_cols_array_2d(),
            inner_eye: v4(inputs.eye),
            outer_viewpoint: v4(inputs.outer_viewpoint),
            border_color: [bc[0], bc[1], bc[2], 1.0],
            params: [
                inputs.soft_edge as f32,
                bw as f32,
                1.0,
                f32::from(u8::from(
                    self.options.inner_sampling == InnerSampling::Footprint,
                )),
            ],
        };
        gpu.queue
            .write_buffer(&self.frame_buffer, 0, bytemuck::bytes_of(&frame));
        let d = inputs.lens.distortion;
        let t4 = |t: crate::camera::Tangents| {
            [t.left as f32, t.right as f32, t.bottom as f32, t.top as f32]
        };
        let lens = LensUniform {
            frame: t4(f),
            pinhole: t4(pin),
            k: [d.k1 as f32, d.k2 as f32, d.k3 as f32, d.p1 as f32],
            p2_size: [
                d.p2 as f32,
                camera_size.x as f32,
                camera_size.y as f32,
                supersample as f32,
            ],
        };
        gpu.queue
            .write_buffer(&self.lens_buffer, 0, bytemuck::bytes_of(&lens));
        self.inputs = Some(inputs.clone());
        Ok(())
    }

    fn create_sized(
        &self,
        gpu: &Gpu,
        inputs: &FrameInputs,
        camera_size: UVec2,
        pinhole_size: UVec2,
    ) -> Result<Sized, RenderError> {
        let device = &gpu.device;
        let rt = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        let depth_usage = wgpu::TextureUsages::RENDER_ATTACHMENT;
        // The inner frustum has a full mip chain (generated after the inner pass) for footprint sampling.
        let inner = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("inner frustum"),
            size: wgpu::Extent3d {
                width: inputs.inner_resolution.x,
                height: inputs.inner_resolution.y,
                depth_or_array_layers: 1,
            },
            mip_level_count: mipmap::mip_level_count(inputs.inner_resolution),
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: SCENE_COLOR_FORMAT,
            usage: rt,
            view_formats: &[],
        });
        let inner_mips = self.mipmap.chain(device, &inner)?;
        let inner_depth = texture(
            device,
            "inner depth",
            inputs.inner_resolution,
            1,
            SCENE_DEPTH_FORMAT,
            depth_usage,
        );
        let n = UVec2::splat(inputs.outer_resolution);
        let outer = texture(device, "outer cube map", n, 6, SCENE_COLOR_FORMAT, rt);
        let outer_depth = texture(device, "outer depth", n, 1, SCENE_DEPTH_FORMAT, depth_usage);
        let pinhole = texture(
            device,
            "camera pinhole view",
            pinhole_size,
            1,
            SCENE_COLOR_FORMAT,
            rt,
        );
        let pinhole_depth = texture(
            device,
            "camera depth",
            pinhole_size,
            1,
            SCENE_DEPTH_FORMAT,
            depth_usage,
        );
        let camera_texture = texture(
            device,
            "camera view",
            camera_size,
            1,
            self.options.output_format,
            RASTER_USAGE,
        );
        let outer_faces = (0..6)
            .map(|face| {
                outer.create_view(&wgpu::TextureViewDescriptor {
                    label: Some("outer cube face"),
                    dimension: Some(wgpu::TextureViewDimension::D2),
                    base_array_layer: face,
                    array_layer_count: Some(1),
                    ..Default::default()
                })
            })
            .collect();
        let cube = outer.create_view(&wgpu::TextureViewDescriptor {
            label: Some("outer cube view"),
            dimension: Some(wgpu::TextureViewDimension::Cube),
            ..Default::default()
        });
        let inner_view = inner.create_view(&wgpu::TextureViewDescriptor {
            label: Some("inner frustum level 0"),
            mip_level_count: Some(1),
            ..Default::default()
        });
        let inner_sampled = inner.create_view(&Default::default());
        let pinhole_view = pinhole.create_view(&Default::default());
        let composite_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("composite bind group"),
            layout: &self.composite_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: self.panels.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: self.frame_buffer.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &self.target_buffer,
                        offset: 0,
                        size: wgpu::BufferSize::new(16),
                    }),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: wgpu::BindingResource::TextureView(&inner_sampled),
                },
                wgpu::BindGroupEntry {
                    binding: 4,
                    resource: wgpu::BindingResource::TextureView(&cube),
                },
                wgpu::BindGroupEntry {
                    binding: 5,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
            ],
        });
        let warp_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("lens warp bind group"),
            layout: &self.warp_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&pinhole_view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: self.lens_buffer.as_entire_binding(),
                },
            ],
        });
        Ok(Sized {
            inner_size: inputs.inner_resolution,
            outer_size: inputs.outer_resolution,
            camera_size,
            pinhole_size,
            inner_view,
            inner_mips,
            inner_depth: inner_depth.create_view(&Default::default()),
            outer_faces,
            outer_depth: outer_depth.create_view(&Default::default()),
            pinhole_view,
            pinhole_depth: pinhole_depth.create_view(&Default::default()),
            camera_view: camera_texture.create_view(&Default::default()),
            camera_texture,
            composite_group,
            warp_group,
        })
    }

    fn scene_pass(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        label: &str,
        color: &wgpu::TextureView,
        depth: &wgpu::TextureView,
    ) -> wgpu::RenderPass<'static> {
        encoder
            .begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some(label),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: color,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: depth,
                    depth_ops: Some(wgpu::Operations {
                        load: wgpu::LoadOp::Clear(1.0),
                        store: wgpu::StoreOp::Discard,
                    }),
                    stencil_ops: None,
                }),
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            })
            .forget_lifetime()
    }

    fn sized(&self) -> Result<&Sized, RenderError> {
        self.sized.as_ref().ok_or(RenderError::NotPrepared)
    }

    /// Records the scene passes: the outer cube map (six faces from the outer viewpoint) and the inner
    /// frustum (from the entrance pupil, overscan included).
    pub fn render_scene(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        scene: &dyn Scene,
    ) -> Result<(), RenderError> {
        let s = self.sized()?;
        for (face, view) in s.outer_faces.iter().enumerate() {
            let mut pass = self.scene_pass(encoder, "outer cube face pass", view, &s.outer_depth);
            scene.draw(
                &mut pass,
                &ViewBinding {
                    bind_group: &self.view_group,
                    offset: (face as u64 * VIEW_STRIDE) as u32,
                },
            );
        }
        {
            let mut pass =
                self.scene_pass(encoder, "inner frustum pass", &s.inner_view, &s.inner_depth);
            scene.draw(
                &mut pass,
                &ViewBinding {
                    bind_group: &self.view_group,
                    offset: (VIEW_INNER * VIEW_STRIDE) as u32,
                },
            );
        }
        if self.options.inner_sampling == InnerSampling::Footprint {
            self.mipmap.record(encoder, &s.inner_mips);
        }
        Ok(())
    }

    fn composite(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        slot: usize,
        raster: &Raster,
        target: &wgpu::TextureView,
    ) -> Result<(), RenderError> {
        let s = self.sized()?;
        let mut pass = clear_pass(encoder, "composite pass", target);
        pass.set_pipeline(&self.composite_pipeline);
        pass.set_bind_group(0, &s.composite_group, &[(slot * 256) as u32]);
        // One instanced draw per output: one instance per panel placed in it.
        pass.draw(0..6, raster.instances.clone());
        Ok(())
    }

    /// Records the composite + map pass of every output into `targets` (one view per output, in
    /// stage order, of the renderer's output format). The preview window passes its own views here.
    pub fn render_outputs_into(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        targets: &[&wgpu::TextureView],
    ) -> Result<(), RenderError> {
        if targets.len() != self.outputs.len() {
            return Err(RenderError::Targets {
                expected: self.outputs.len(),
                got: targets.len(),
            });
        }
        for (k, (o, t)) in self.outputs.iter().zip(targets).enumerate() {
            self.composite(encoder, k, o, t)?;
        }
        Ok(())
    }

    /// Records the whole frame into the renderer's own textures: scene passes, every output, the
    /// unwrapped wall and the simulated camera view.
    pub fn render(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        scene: &dyn Scene,
    ) -> Result<(), RenderError> {
        self.render_scene(encoder, scene)?;
        let views: Vec<&wgpu::TextureView> = self.outputs.iter().map(|o| &o.view).collect();
        self.render_outputs_into(encoder, &views)?;
        if let Some(w) = &self.wall {
            self.composite(encoder, self.outputs.len(), w, &w.view)?;
        }
        if self.options.camera {
            self.render_camera(encoder)?;
        }
        Ok(())
    }

    /// Records the simulated camera: the lit wall seen from the entrance pupil, then the lens.
    pub fn render_camera(&self, encoder: &mut wgpu::CommandEncoder) -> Result<(), RenderError> {
        let s = self.sized()?;
        {
            let mut pass = self.scene_pass(
                encoder,
                "camera view pass",
                &s.pinhole_view,
                &s.pinhole_depth,
            );
            pass.set_pipeline(&self.camera_pipeline);
            pass.set_bind_group(0, &self.camera_group, &[]);
            for (group, range) in self.camera_output_groups.iter().zip(&self.camera_instances) {
                if range.is_empty() {
                    continue;
                }
                pass.set_bind_group(1, group, &[]);
                pass.draw(0..6, range.clone());
            }
        }
        self.warp(encoder)
    }

    /// Records the lit wall seen from any view (the preview window's orbiting viewer) into `color`
    /// ([`SCENE_COLOR_FORMAT`], cleared to `background`) with `depth` ([`SCENE_DEPTH_FORMAT`], same
    /// size): the simulated camera's pipeline (cabinets in 3D reading their LEDs from the output
    /// textures) with another view-projection (`clip = view_proj * (world - eye, 1)`). Call after
    /// [`Renderer::prepare`] (which rewrites every view slot) and after the outputs were rendered.
    #[allow(clippy::too_many_arguments)]
    pub fn render_wall_view(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        view_proj: glam::DMat4,
        eye: DVec3,
        color: &wgpu::TextureView,
        depth: &wgpu::TextureView,
        background: wgpu::Color,
    ) -> Result<(), RenderError> {
        self.sized()?;
        gpu.queue.write_buffer(
            &self.view_buffer,
            VIEW_FREE * VIEW_STRIDE,
            bytemuck::bytes_of(&ViewUniform::new(view_proj, eye)),
        );
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("free view of the wall pass"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: color,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(background),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: depth,
                depth_ops: Some(wgpu::Operations {
                    load: wgpu::LoadOp::Clear(1.0),
                    store: wgpu::StoreOp::Discard,
                }),
                stencil_ops: None,
            }),
            ..Default::default()
        });
        pass.set_pipeline(&self.camera_pipeline);
        pass.set_bind_group(0, &self.free_view_group, &[]);
        for (group, range) in self.camera_output_groups.iter().zip(&self.camera_instances) {
            if range.is_empty() {
                continue;
            }
            pass.set_bind_group(1, group, &[]);
            pass.draw(0..6, range.clone());
        }
        Ok(())
    }

    /// Records a direct render of `scene` from the camera (pinhole, through the lens warp) into the
    /// camera view: the reference that the camera's view of the wall must match inside the frustum.
    pub fn render_reference(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        scene: &dyn Scene,
    ) -> Result<(), RenderError> {
        let s = self.sized()?;
        {
            let mut pass = self.scene_pass(
                encoder,
                "camera reference pass",
                &s.pinhole_view,
                &s.pinhole_depth,
            );
            scene.draw(
                &mut pass,
                &ViewBinding {
                    bind_group: &self.view_group,
                    offset: (VIEW_CAMERA * VIEW_STRIDE) as u32,
                },
            );
        }
        self.warp(encoder)
    }

    fn warp(&self, encoder: &mut wgpu::CommandEncoder) -> Result<(), RenderError> {
        let s = self.sized()?;
        let mut pass = clear_pass(encoder, "lens warp pass", &s.camera_view);
        pass.set_pipeline(&self.warp_pipeline);
        pass.set_bind_group(0, &s.warp_group, &[]);
        pass.draw(0..3, 0..1);
        Ok(())
    }

    /// The output textures, in stage order.
    pub fn output_textures(&self) -> impl Iterator<Item = &wgpu::Texture> {
        self.outputs.iter().map(|o| &o.texture)
    }

    /// The panel storage buffer (`array<Panel>` of `shaders/common.wgsl`), grouped by output.
    pub fn panel_buffer(&self) -> &wgpu::Buffer {
        &self.panels
    }

    /// The instance range (indices into [`Renderer::panel_buffer`]) of the panels placed in output `k`.
    pub fn output_instances(&self, k: usize) -> Option<Range<u32>> {
        self.outputs.get(k).map(|o| o.instances.clone())
    }

    /// The unwrapped wall's texture, if enabled.
    pub fn wall_texture(&self) -> Option<&wgpu::Texture> {
        self.wall.as_ref().map(|w| &w.texture)
    }

    /// The camera view's texture, once prepared.
    pub fn camera_texture(&self) -> Option<&wgpu::Texture> {
        self.sized.as_ref().map(|s| &s.camera_texture)
    }

    /// Renders one frame of `scene`, submits it and reads every image back.
    pub fn render_frame(&self, gpu: &Gpu, scene: &dyn Scene) -> Result<RenderedFrame, RenderError> {
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("frame encoder"),
            });
        self.render(&mut encoder, scene)?;
        gpu.queue.submit([encoder.finish()]);
        let mut outputs = Vec::new();
        for o in &self.outputs {
            outputs.push((o.name.clone(), read_texture(gpu, &o.texture)?));
        }
        let wall = match &self.wall {
            Some(w) => Some(read_texture(gpu, &w.texture)?),
            None => None,
        };
        let camera = match (self.options.camera, self.camera_texture()) {
            (true, Some(t)) => Some(read_texture(gpu, t)?),
            _ => None,
        };
        Ok(RenderedFrame {
            outputs,
            wall,
            camera,
        })
    }

    /// Renders the reference camera view of `scene` (see [`Renderer::render_reference`]) and reads it back.
    pub fn reference_view(&self, gpu: &Gpu, scene: &dyn Scene) -> Result<ReadImage, RenderError> {
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("reference encoder"),
            });
        self.render_reference(&mut encoder, scene)?;
        gpu.queue.submit([encoder.finish()]);
        let t = self.camera_texture().ok_or(RenderError::NotPrepared)?;
        Ok(read_texture(gpu, t)?)
    }

    /// The inputs of the last `prepare`.
    pub fn inputs(&self) -> Option<&FrameInputs> {
        self.inputs.as_ref()
    }
}

/// One frame read back to the CPU.
#[derive(Clone, Debug)]
pub struct RenderedFrame {
    /// Each output by name, in stage order.
    pub outputs: Vec<(String, ReadImage)>,
    /// The unwrapped wall, if rendered.
    pub wall: Option<ReadImage>,
    /// The simulated camera view, if rendered.
    pub camera: Option<ReadImage>,
}

/// A render pass with one colour target, cleared to black (unused output pixels stay black).
pub fn clear_pass<'e>(
    encoder: &'e mut wgpu::CommandEncoder,
    label: &str,
    view: &wgpu::TextureView,
) -> wgpu::RenderPass<'e> {
    encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
        label: Some(label),
        color_attachments: &[Some(wgpu::RenderPassColorAttachment {
            view,
            depth_slice: None,
            resolve_target: None,
            ops: wgpu::Operations {
                load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                store: wgpu::StoreOp::Store,
            },
        })],
        ..Default::default()
    })
}
