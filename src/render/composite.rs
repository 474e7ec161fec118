//! Composite + map: for each output (and the unwrapped wall), **one instanced draw**, one instance
//! per panel placed in it, each fragment an output pixel showing the inner frustum blended over the
//! soft edge into the outer cube map (`shaders/composite.wgsl`).

use std::ops::Range;

use glam::{DMat4, UVec2};

use super::frozen::FrozenOuter;
use super::grading::{GradesUniform, OutputColourGpu, grades_uniform, output_layout};
use super::overlay::Overlay;
use super::pipeline::{clear_pass, render_pipeline_with};
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

/// A composite pipeline's (target format, colour stages, frozen-outer variant).
type PipelineKey = (wgpu::TextureFormat, Stages, bool);

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
    /// One pipeline per (raster format, colour stages, frozen outer) in use.
    pipelines: Vec<(PipelineKey, wgpu::RenderPipeline)>,
    /// Each raster's colour stages.
    stages: Vec<Stages>,
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
        let mut frozen = FrozenOuter::new(alloc, gpu, sizes, false);
        frozen.set_pipelines(device, &module, [&layout, &colour_layout, &overlay.layout]);
        let graded = [&colour.inner, &colour.outer]
            .iter()
            .any(|g| colour.layer_matrix(g) != glam::DMat3::IDENTITY || !g.cdl.is_identity());
        let stages: Vec<Stages> = rasters.iter().map(|r| r.stages(graded)).collect();
        let mut pipelines: Vec<(PipelineKey, wgpu::RenderPipeline)> = Vec::new();
        // The renderer's format too: the preview draws every output into views of that format.
        let keys = rasters
            .iter()
            .zip(&stages)
            .flat_map(|(r, s)| [(r.format, *s), (format, *s)]);
        for (fmt, st) in keys {
            // Each also in its frozen-outer variant (FROZEN set: the bake is loaded, no cube map).
            for key in [(fmt, st, false), (fmt, st, true)] {
                if pipelines.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                let layouts = [
                    Some(&layout),
                    Some(&colour_layout),
                    Some(&overlay.layout),
                    Some(&frozen.layout),
                ];
                let on = |b: bool| f64::from(u8::from(b));
                let s = key.1;
                let constants = [
                    ("GRADES_ON", on(s[0])),
                    ("LUT_ON", on(s[1])),
                    ("SHAPER_ON", on(s[2])),
                    ("ENCODE_ON", on(s[3])),
                    ("FROZEN", on(key.2)),
                ];
                let label = "composite pipeline";
                let p = render_pipeline_with(
                    device, label, &module, &layouts, key.0, false, &constants,
                );
                pipelines.push((key, p));
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
        CompositePass {
            layout,
            pipelines,
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
        }
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
        self.overlay
            .prepare(alloc, gpu, inputs, self.frozen.reading())?;
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
    /// instanced draw. `format` must be one of the rasters' formats.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        k: usize,
        instances: Range<u32>,
        target: &wgpu::TextureView,
        format: wgpu::TextureFormat,
    ) -> Result<(), RenderError> {
        let (_, group) = self.group.as_ref().ok_or(RenderError::NotPrepared)?;
        let key = (
            format,
            *self.stages.get(k).ok_or(RenderError::NotPrepared)?,
            self.frozen.reading(),
        );
        let pipeline = self
            .pipelines
            .iter()
            .find(|(f, _)| *f == key)
            .map(|(_, p)| p)
            .ok_or(RenderError::NotPrepared)?;
        let colour = self.colour.get(k).ok_or(RenderError::NotPrepared)?;
        let mut pass = clear_pass(encoder, "composite pass", target);
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, group, &[(k as u64 * self.target_stride) as u32]);
        pass.set_bind_group(1, &colour.group, &[]);
        pass.set_bind_group(2, &self.overlay.group, &[]);
        pass.set_bind_group(3, self.frozen.group_for(k), &[]);
        pass.draw(0..6, instances);
        Ok(())
    }

    /// Records the frozen outer's bake of raster `k` (see [`super::frozen`]).
    pub(crate) fn record_bake(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        k: usize,
        instances: Range<u32>,
    ) -> Result<(), RenderError> {
        let (_, group) = self.group.as_ref().ok_or(RenderError::NotPrepared)?;
        let offset = (k as u64 * self.target_stride) as u32;
        let colour = self.colour.get(k).ok_or(RenderError::NotPrepared)?;
        self.frozen.record_bake(
            encoder,
            k,
            instances,
            (group, offset),
            [&colour.group, &self.overlay.group],
        );
        Ok(())
    }
}
