//! Composite + map: for each output (and the unwrapped wall), **one instanced draw**, one instance
//! per panel placed in it, each fragment an output pixel showing the inner frustum blended over the
//! soft edge into the outer cube map (`shaders/composite.wgsl`).

use std::ops::Range;

use glam::{DMat4, UVec2};

use super::frozen::FrozenOuter;
use super::grading::{GradesUniform, OutputColourGpu, grades_uniform, output_layout};
use super::overlay::Overlay;
use super::pipeline::clear_pass;
use super::ring::aligned_stride;
use super::targets::{Allocator, Targets};
use super::{FrameInputs, GpuPanel, RenderError, v4};
use crate::colour::output::{ColourSettings, OutputTransform};
use crate::gpu::Gpu;
use crate::gpu::layout::{sampler_entry, storage_entry_of, texture_entry, uniform_entry_of};
use crate::shaders;

/// `Frame` of `shaders/composite.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct FrameUniform {
    pub(crate) inner_view_proj: [[f32; 4]; 4],
    pub(crate) inner_eye: [f32; 4],
    pub(crate) outer_viewpoint: [f32; 4],
    pub(crate) border_color: [f32; 4],
    pub(crate) params: [f32; 4],
    /// Inner target: used size (x, y) and capacity (z, w) in pixels.
    pub(crate) inner_extent: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<FrameUniform>() == 144);

/// `Target` of `shaders/composite.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct TargetUniform {
    pub(crate) size: [f32; 2],
    pub(crate) pad: [f32; 2],
}

const _: () = assert!(std::mem::size_of::<TargetUniform>() == 16);

/// What the composite draws into one raster: its colour transform and texture format.
pub struct RasterColour {
    /// Shader encoding mode (`crate::render::grading::raster_format`).
    pub mode: u32,
    /// The raster's texture format.
    pub format: wgpu::TextureFormat,
    /// The output transform (LUT, primaries, encoding).
    pub transform: OutputTransform,
}

/// Which stages of the colour path a pipeline keeps (its overridable constants, see
/// `shaders/colour.wgsl`): `[grades, lut, shaper, encode]`.
type Stages = [bool; 4];

/// What a composite pipeline draws (see [`super::frozen`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// Every panel, the outer from the cube map.
    Live,
    /// With the outer frozen: the part of each panel where the inner frustum may be seen, the
    /// outer from its bake.
    Inside,
    /// With the outer frozen: every panel copied from the outside bake (drawn first).
    Copy,
    /// The outer bake: the cube map along each LED pixel's ray (format: `frozen::BAKED_FORMAT`).
    OuterBake,
    /// The outside bake: every panel without the inner frustum, the outer from its bake.
    OutsideBake,
}

impl Variant {
    /// Fragment entry point and the overridable constants `FROZEN`, `PART`, `INNER`.
    fn entry(self) -> (&'static str, [(&'static str, f64); 3]) {
        let c = |frozen: f64, part: f64, inner: f64| {
            [("FROZEN", frozen), ("PART", part), ("INNER", inner)]
        };
        match self {
            Variant::Live => ("fs_main", c(0.0, 0.0, 1.0)),
            Variant::Inside => ("fs_main", c(1.0, 1.0, 1.0)),
            Variant::Copy => ("fs_copy", c(1.0, 2.0, 1.0)),
            Variant::OuterBake => ("fs_bake", c(0.0, 0.0, 1.0)),
            Variant::OutsideBake => ("fs_main", c(1.0, 0.0, 0.0)),
        }
    }
}

/// A composite pipeline's (target format, colour stages, variant).
type PipelineKey = (wgpu::TextureFormat, Stages, Variant);

impl RasterColour {
    /// The colour stages this raster uses, given whether any layer is graded.
    fn stages(&self, graded: bool) -> Stages {
        let lut = self.transform.lut.as_deref();
        [
            graded,
            lut.is_some_and(|l| l.lut3d.is_some()),
            lut.is_some_and(|l| l.shaper.is_some()),
            self.mode != 0 || self.transform.to_output != glam::DMat3::IDENTITY,
        ]
    }

    /// Output `k`'s colour (any `k` past the outputs: the default, sRGB with no LUT) for a
    /// renderer of output format `renderer` (see [`super::grading::raster_format`]).
    pub fn of(colour: &ColourSettings, k: usize, renderer: wgpu::TextureFormat) -> RasterColour {
        let transform = colour.output_transform(k);
        let (mode, format) = super::grading::raster_format(renderer, &transform.encoding);
        RasterColour {
            mode,
            format,
            transform,
        }
    }
}

/// The composite + map pass.
pub struct CompositePass {
    layout: wgpu::BindGroupLayout,
    module: wgpu::ShaderModule,
    pipeline_layout: wgpu::PipelineLayout,
    /// One pipeline per (raster format, colour stages, variant) in use; the frozen variants are
    /// made on the first frozen frame.
    pipelines: Vec<(PipelineKey, wgpu::RenderPipeline)>,
    /// The (format, stages) pairs drawn: each raster's, and the renderer's format with each
    /// raster's stages (the preview draws every output into views of that format).
    keys: Vec<(wgpu::TextureFormat, Stages)>,
    /// Each raster's format and colour stages.
    stages: Vec<(wgpu::TextureFormat, Stages)>,
    /// Each raster's output transform (group 1).
    colour: Vec<OutputColourGpu>,
    grades: wgpu::Buffer,
    grades_value: GradesUniform,
    panels: wgpu::Buffer,
    frame: wgpu::Buffer,
    targets: wgpu::Buffer,
    target_stride: u64,
    sampler: wgpu::Sampler,
    /// Bind group with the (inner, outer) target generations it binds.
    group: Option<((u64, u64), wgpu::BindGroup)>,
    /// Bind group 2: chroma key, markers and light cards.
    overlay: Overlay,
    /// Bind group 3 and the bake pass: the frozen outer.
    pub(crate) frozen: FrozenOuter,
}

impl CompositePass {
    /// Creates a pipeline per raster format (and for `format`, the renderer's), one target uniform per raster of `sizes` (outputs in
    /// stage order, then the unwrapped wall) and each raster's colour transform (`rasters`, same
    /// order); the layers' grades come from `colour`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        panels: &wgpu::Buffer,
        walls: &[super::overlay::PanelWall],
        sizes: &[UVec2],
        rasters: &[RasterColour],
        colour: &ColourSettings,
        format: wgpu::TextureFormat,
    ) -> CompositePass {
        let device = &gpu.device;
        let vf = wgpu::ShaderStages::VERTEX_FRAGMENT;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("composite layout"),
            entries: &[
                storage_entry_of::<GpuPanel>(0, vf),
                uniform_entry_of::<FrameUniform>(1, vf, false),
                uniform_entry_of::<TargetUniform>(2, vf, true),
                texture_entry(3, wgpu::TextureViewDimension::D2, true),
                texture_entry(4, wgpu::TextureViewDimension::Cube, true),
                sampler_entry(5),
                uniform_entry_of::<GradesUniform>(6, vf, false),
            ],
        });
        let colour_layout = output_layout(device);
        let overlay = Overlay::new(alloc, gpu, walls);
        let module = shaders::module(device, "composite", &shaders::composite_body());
        let raster_formats: Vec<(UVec2, wgpu::TextureFormat)> = sizes
            .iter()
            .zip(rasters)
            .map(|(s, r)| (*s, r.format))
            .collect();
        let frozen = FrozenOuter::new(alloc, gpu, &raster_formats, false);
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("composite"),
            bind_group_layouts: &[
                Some(&layout),
                Some(&colour_layout),
                Some(&overlay.layout),
                Some(&frozen.layout),
            ],
            immediate_size: 0,
        });
        let graded = [&colour.inner, &colour.outer]
            .iter()
            .any(|g| colour.layer_matrix(g) != glam::DMat3::IDENTITY || !g.cdl.is_identity());
        let stages: Vec<(wgpu::TextureFormat, Stages)> = rasters
            .iter()
            .map(|r| (r.format, r.stages(graded)))
            .collect();
        let mut keys: Vec<(wgpu::TextureFormat, Stages)> = Vec::new();
        for &(f, st) in &stages {
            for key in [(f, st), (format, st)] {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
        let colour_groups = rasters
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let label = format!("raster {k}");
                OutputColourGpu::new(alloc, gpu, &colour_layout, &label, &r.transform, r.mode)
            })
            .collect();
        let grades = alloc.buffer(
            gpu,
            "layer grades",
            std::mem::size_of::<GradesUniform>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let frame = alloc.buffer(
            gpu,
            "frame uniforms",
            std::mem::size_of::<FrameUniform>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let align = device.limits().min_uniform_buffer_offset_alignment as u64;
        let target_stride = aligned_stride(std::mem::size_of::<TargetUniform>() as u64, align);
        let mut bytes = vec![0u8; target_stride as usize * sizes.len().max(1)];
        for (k, s) in sizes.iter().enumerate() {
            let t = TargetUniform {
                size: [s.x as f32, s.y as f32],
                pad: [0.0; 2],
            };
            let o = k * target_stride as usize;
            bytes[o..o + 16].copy_from_slice(bytemuck::bytes_of(&t));
        }
        let targets = alloc.buffer_init(
            gpu,
            "output target uniforms",
            &bytes,
            wgpu::BufferUsages::UNIFORM,
        );
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("composite sampler"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            mipmap_filter: wgpu::MipmapFilterMode::Linear,
            ..Default::default()
        });
        let mut pass = CompositePass {
            layout,
            module,
            pipeline_layout,
            pipelines: Vec::new(),
            keys,
            stages,
            colour: colour_groups,
            grades,
            grades_value: grades_uniform(colour),
            panels: panels.clone(),
            frame,
            targets,
            target_stride,
            sampler,
            group: None,
            overlay,
            frozen,
        };
        pass.ensure_pipelines(device, &[Variant::Live]);
        pass
    }

    /// Creates the pipelines of `variants` for every (format, stages) drawn, where missing.
    fn ensure_pipelines(&mut self, device: &wgpu::Device, variants: &[Variant]) {
        let mut wanted: Vec<PipelineKey> = Vec::new();
        for &v in variants {
            match v {
                // Drawn into the rasters' own textures only.
                Variant::OuterBake => {
                    wanted.push((super::frozen::BAKED_FORMAT, [false; 4], v));
                }
                Variant::OutsideBake => {
                    wanted.extend(self.stages.iter().map(|&(f, st)| (f, st, v)));
                }
                _ => wanted.extend(self.keys.iter().map(|&(f, st)| (f, st, v))),
            }
        }
        for key in wanted {
            if self.pipelines.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let on = |b: bool| f64::from(u8::from(b));
            let (format, s, variant) = key;
            let (entry, part) = variant.entry();
            let constants = [
                ("GRADES_ON", on(s[0])),
                ("LUT_ON", on(s[1])),
                ("SHAPER_ON", on(s[2])),
                ("ENCODE_ON", on(s[3])),
                part[0],
                part[1],
                part[2],
            ];
            let options = wgpu::PipelineCompilationOptions {
                constants: &constants,
                ..Default::default()
            };
            let label = format!("composite pipeline ({variant:?})");
            let p = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(&label),
                layout: Some(&self.pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &self.module,
                    entry_point: Some("vs_main"),
                    compilation_options: options.clone(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: Default::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &self.module,
                    entry_point: Some(entry),
                    compilation_options: options,
                    targets: &[Some(format.into())],
                }),
                multiview_mask: None,
                cache: None,
            });
            self.pipelines.push((key, p));
        }
    }

    fn pipeline(&self, key: PipelineKey) -> Result<&wgpu::RenderPipeline, RenderError> {
        self.pipelines
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, p)| p)
            .ok_or(RenderError::NotPrepared)
    }

    /// Writes the frame uniform; rebuilds the bind group only when the inner or outer target was
    /// reallocated.
    pub fn prepare(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        inputs: &FrameInputs,
        inner_view_proj: DMat4,
        targets: &Targets,
        sampling: crate::render::InnerSampling,
    ) -> Result<(), RenderError> {
        let (Some(inner), Some(outer)) = (&targets.inner, &targets.outer) else {
            return Err(RenderError::NotPrepared);
        };
        let (bw, bc) = inputs.border.unwrap_or((0.0, [0.0; 3]));
        let frame = FrameUniform {
            inner_view_proj: inner_view_proj.as_mat4().to_cols_array_2d(),
            inner_eye: v4(inputs.eye),
            outer_viewpoint: v4(inputs.outer_viewpoint),
            border_color: [bc[0], bc[1], bc[2], 1.0],
            params: [
                inputs.soft_edge as f32,
                bw as f32,
                1.0,
                f32::from(u8::from(
                    sampling == crate::render::InnerSampling::Footprint,
                )),
            ],
            inner_extent: inner.extent(),
        };
        gpu.queue
            .write_buffer(&self.frame, 0, bytemuck::bytes_of(&frame));
        gpu.queue
            .write_buffer(&self.grades, 0, bytemuck::bytes_of(&self.grades_value));
        self.frozen
            .prepare(alloc, gpu, inputs.outer_viewpoint, inputs.outer_resolution);
        if self.frozen.enabled {
            let frozen = [
                Variant::Inside,
                Variant::Copy,
                Variant::OuterBake,
                Variant::OutsideBake,
            ];
            self.ensure_pipelines(&gpu.device, &frozen);
        }
        self.overlay
            .prepare(alloc, gpu, inputs, self.frozen.reading())?;
        self.frozen.prepare_outside(&[
            bytemuck::bytes_of(&self.grades_value),
            &self.overlay.written,
        ]);
        let key = (inner.generation, outer.generation);
        if self.group.as_ref().is_none_or(|(k, _)| *k != key) {
            let group = alloc.bind_group(
                gpu,
                &wgpu::BindGroupDescriptor {
                    label: Some("composite bind group"),
                    layout: &self.layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: self.panels.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: self.frame.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &self.targets,
                                offset: 0,
                                size: wgpu::BufferSize::new(
                                    std::mem::size_of::<TargetUniform>() as u64
                                ),
                            }),
                        },
                        wgpu::BindGroupEntry {
                            binding: 3,
                            resource: wgpu::BindingResource::TextureView(&inner.sampled),
                        },
                        wgpu::BindGroupEntry {
                            binding: 4,
                            resource: wgpu::BindingResource::TextureView(&outer.cube),
                        },
                        wgpu::BindGroupEntry {
                            binding: 5,
                            resource: wgpu::BindingResource::Sampler(&self.sampler),
                        },
                        wgpu::BindGroupEntry {
                            binding: 6,
                            resource: self.grades.as_entire_binding(),
                        },
                    ],
                },
            );
            self.group = Some((key, group));
        }
        Ok(())
    }

    /// Records raster `k` (its panels are `instances`) into `target`, a view of `format`: one
    /// instanced draw (two with the outer frozen: the outside bake copied over every panel, then
    /// the composite over the parts of panels where the inner frustum may be seen). `format` must be one of the rasters'
    /// formats or the renderer's.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        k: usize,
        instances: Range<u32>,
        target: &wgpu::TextureView,
        format: wgpu::TextureFormat,
    ) -> Result<(), RenderError> {
        let (_, group) = self.group.as_ref().ok_or(RenderError::NotPrepared)?;
        let stages = self.stages.get(k).ok_or(RenderError::NotPrepared)?.1;
        let variants: &[Variant] = if self.frozen.reading() {
            &[Variant::Copy, Variant::Inside]
        } else {
            &[Variant::Live]
        };
        let colour = self.colour.get(k).ok_or(RenderError::NotPrepared)?;
        let mut pass = clear_pass(encoder, "composite pass", target);
        pass.set_bind_group(0, group, &[(k as u64 * self.target_stride) as u32]);
        pass.set_bind_group(1, &colour.group, &[]);
        pass.set_bind_group(2, &self.overlay.group, &[]);
        pass.set_bind_group(3, self.frozen.group_for(k), &[]);
        for &v in variants {
            pass.set_pipeline(self.pipeline((format, stages, v))?);
            pass.draw(0..6, instances.clone());
        }
        Ok(())
    }

    /// Records a bake of raster `k` (see [`super::frozen`]): the outer bake, or with `outside` the
    /// outside bake.
    pub(crate) fn record_bake(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        k: usize,
        instances: Range<u32>,
        outside: bool,
    ) -> Result<(), RenderError> {
        let (_, group) = self.group.as_ref().ok_or(RenderError::NotPrepared)?;
        let (format, stages) = *self.stages.get(k).ok_or(RenderError::NotPrepared)?;
        let (key, target) = if outside {
            let key = (format, stages, Variant::OutsideBake);
            (key, self.frozen.outside_target(k))
        } else {
            let key = (super::frozen::BAKED_FORMAT, [false; 4], Variant::OuterBake);
            (key, self.frozen.outer_target(k))
        };
        let (view, group3) = target.ok_or(RenderError::NotPrepared)?;
        let colour = self.colour.get(k).ok_or(RenderError::NotPrepared)?;
        let label = if outside {
            "outside bake pass"
        } else {
            "outer bake pass"
        };
        let mut pass = clear_pass(encoder, label, view);
        pass.set_pipeline(self.pipeline(key)?);
        pass.set_bind_group(0, group, &[(k as u64 * self.target_stride) as u32]);
        pass.set_bind_group(1, &colour.group, &[]);
        pass.set_bind_group(2, &self.overlay.group, &[]);
        pass.set_bind_group(3, group3, &[]);
        pass.draw(0..6, instances);
        Ok(())
    }
}
