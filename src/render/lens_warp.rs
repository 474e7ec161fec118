//! The simulated camera's lens: each sensor pixel of the camera view samples the pinhole image at
//! the undistorted direction of its distorted position (`shaders/lens_warp.wgsl`).

use glam::UVec2;

use super::pipeline::{clear_pass, render_pipeline};
use super::targets::{Allocator, Targets};
use super::{FrameInputs, RenderError};
use crate::camera::Tangents;
use crate::gpu::Gpu;
use crate::gpu::layout::{sampler_entry, texture_entry, uniform_entry_of};
use crate::shaders;

/// `Lens` of `shaders/lens_warp.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct LensUniform {
    pub(crate) frame: [f32; 4],
    pub(crate) pinhole: [f32; 4],
    pub(crate) k: [f32; 4],
    pub(crate) p2_size: [f32; 4],
    /// Pinhole target: used size (x, y) and capacity (z, w) in pixels.
    pub(crate) pinhole_extent: [f32; 4],
    /// Centre of distortion (x, y; normalised, y down), then two unused.
    pub(crate) centre: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<LensUniform>() == 96);

/// Size of the simulated camera's pinhole view covering `pin` (tangents) with `factor` texels per
/// camera pixel and axis at the scale of `frame` (the camera view's extents, `camera` pixels), and the
/// factor used: lowered until the size fits `max` texels per axis, but not below 1.
pub(crate) fn pinhole_size(
    camera: UVec2,
    pin: &Tangents,
    frame: &Tangents,
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

/// The lens-warp pass.
pub struct LensWarpPass {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::RenderPipeline,
    lens: wgpu::Buffer,
    sampler: wgpu::Sampler,
    /// Bind group with the pinhole target generation it binds.
    group: Option<(u64, wgpu::BindGroup)>,
}

fn t4(t: Tangents) -> [f32; 4] {
    [t.left as f32, t.right as f32, t.bottom as f32, t.top as f32]
}

impl LensWarpPass {
    /// Creates the pipeline writing `format`.
    pub fn new(alloc: &Allocator, gpu: &Gpu, format: wgpu::TextureFormat) -> LensWarpPass {
        let device = &gpu.device;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("lens warp layout"),
            entries: &[
                texture_entry(0, wgpu::TextureViewDimension::D2, true),
                sampler_entry(1),
                uniform_entry_of::<LensUniform>(2, wgpu::ShaderStages::FRAGMENT, false),
            ],
        });
        let module = shaders::module(device, "lens warp", shaders::LENS_WARP);
        let pipeline = render_pipeline(
            device,
            "lens warp pipeline",
            &module,
            &[Some(&layout)],
            format,
            false,
        );
        let lens = alloc.buffer(
            gpu,
            "lens uniforms",
            std::mem::size_of::<LensUniform>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("lens warp sampler"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        LensWarpPass {
            layout,
            pipeline,
            lens,
            sampler,
            group: None,
        }
    }

    /// Writes the lens uniform (`pinhole`: the tangent extents of the pinhole image, `supersample`:
    /// its texels per camera pixel and axis); rebuilds the
    /// bind group only when the pinhole target was reallocated.
    pub fn prepare(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        inputs: &FrameInputs,
        pinhole: Tangents,
        supersample: u32,
        targets: &Targets,
    ) -> Result<(), RenderError> {
        let (Some(pin), Some(camera)) = (&targets.pinhole, &targets.camera) else {
            return Err(RenderError::NotPrepared);
        };
        let d = inputs.video.lens.distortion;
        let lens = LensUniform {
            frame: t4(inputs.video.frame_tangents),
            pinhole: t4(pinhole),
            k: [d.k1 as f32, d.k2 as f32, d.k3 as f32, d.p1 as f32],
            p2_size: [
                d.p2 as f32,
                camera.size.x as f32,
                camera.size.y as f32,
                supersample as f32,
            ],
            pinhole_extent: pin.extent(),
            centre: [d.centre[0] as f32, d.centre[1] as f32, 0.0, 0.0],
        };
        gpu.queue
            .write_buffer(&self.lens, 0, bytemuck::bytes_of(&lens));
        if self
            .group
            .as_ref()
            .is_none_or(|(g, _)| *g != pin.generation)
        {
            let group = alloc.bind_group(
                gpu,
                &wgpu::BindGroupDescriptor {
                    label: Some("lens warp bind group"),
                    layout: &self.layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: wgpu::BindingResource::TextureView(&pin.color),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: wgpu::BindingResource::Sampler(&self.sampler),
                        },
                        wgpu::BindGroupEntry {
                            binding: 2,
                            resource: self.lens.as_entire_binding(),
                        },
                    ],
                },
            );
            self.group = Some((pin.generation, group));
        }
        Ok(())
    }

    /// Records the lens into the camera view.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        targets: &Targets,
    ) -> Result<(), RenderError> {
        let (Some((_, group)), Some(camera)) = (&self.group, &targets.camera) else {
            return Err(RenderError::NotPrepared);
        };
        let mut pass = clear_pass(encoder, "lens warp pass", &camera.view);
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, group, &[]);
        pass.draw(0..3, 0..1);
        Ok(())
    }
}
