//! Composite + map: for each output (and the unwrapped wall), **one instanced draw**, one instance
//! per panel placed in it, each fragment an output pixel showing the inner frustum blended over the
//! soft edge into the outer cube map (`shaders/composite.wgsl`).

use std::ops::Range;

use glam::{DMat4, UVec2};

use super::frozen::FrozenOuter;
use super::overlay::Overlay;
use super::pipeline::{clear_pass, render_pipeline};
use super::ring::aligned_stride;
use super::targets::{Allocator, Targets};
use super::{FrameInputs, GpuPanel, RenderError, v4};
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

/// The composite + map pass.
pub struct CompositePass {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::RenderPipeline,
    panels: wgpu::Buffer,
    frame: wgpu::Buffer,
    targets: wgpu::Buffer,
    target_stride: u64,
    sampler: wgpu::Sampler,
    /// Bind group with the (inner, outer) target generations it binds.
    group: Option<((u64, u64), wgpu::BindGroup)>,
    /// Bind group 1: chroma key, markers and light cards.
    overlay: Overlay,
    /// Bind group 2 and the bake pass: the frozen outer.
    pub(crate) frozen: FrozenOuter,
}

impl CompositePass {
    /// Creates the pipeline for `format` and one target uniform per raster of `sizes` (outputs in
    /// stage order, then the unwrapped wall).
    pub fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        panels: &wgpu::Buffer,
        walls: &[super::overlay::PanelWall],
        sizes: &[UVec2],
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
            ],
        });
        let overlay = Overlay::new(alloc, gpu, walls);
        let module = shaders::module(device, "composite", shaders::COMPOSITE);
        let mut frozen = FrozenOuter::new(alloc, gpu, sizes, false);
        frozen.set_pipelines(device, &module, [&layout, &overlay.layout], format);
        let pipeline = render_pipeline(
            device,
            "composite pipeline",
            &module,
            &[Some(&layout), Some(&overlay.layout), Some(&frozen.layout)],
            format,
            false,
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
            pipeline,
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
                    ],
                },
            );
            self.group = Some((key, group));
        }
        Ok(())
    }

    /// Records raster `k` (its panels are `instances`) into `target`: one instanced draw.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        k: usize,
        instances: Range<u32>,
        target: &wgpu::TextureView,
    ) -> Result<(), RenderError> {
        let (_, group) = self.group.as_ref().ok_or(RenderError::NotPrepared)?;
        let mut pass = clear_pass(encoder, "composite pass", target);
        pass.set_pipeline(self.frozen.composite_pipeline().unwrap_or(&self.pipeline));
        pass.set_bind_group(0, group, &[(k as u64 * self.target_stride) as u32]);
        pass.set_bind_group(1, &self.overlay.group, &[]);
        pass.set_bind_group(2, self.frozen.group_for(k), &[]);
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
        self.frozen
            .record_bake(encoder, k, instances, (group, offset), &self.overlay.group);
        Ok(())
    }
}
