//! The camera's view of the wall: the cabinets drawn in 3D (one instanced draw per output), each
//! fragment showing the LED pixel it covers, read from that output's texture through the placement
//! (`shaders/camera_view.wgsl`). Used for the simulated camera's pinhole image and for any other view
//! of the lit wall (the preview's orbiting viewer: [`WallView`]).

use std::ops::Range;

use glam::{DMat4, DVec3, UVec2};

use super::pipeline::{render_pipeline, scene_pass};
use super::ring::UniformRing;
use super::targets::Allocator;
use super::{GpuPanel, RenderError};
use crate::gpu::Gpu;
use crate::gpu::layout::{ViewUniform, storage_entry_of, texture_entry, uniform_entry_of};
use crate::scene::SCENE_COLOR_FORMAT;
use crate::shaders;

/// An output's sub-frame regions for the simulated camera: each region's origin and the camera its
/// `Camera` sub-frame shows (empty without frame remapping).
pub type OutputRegions = Vec<(UVec2, Option<String>)>;

/// A view of the wall prepared by [`crate::render::Renderer::prepare_wall_view`] for this frame.
#[derive(Clone, Copy, Debug)]
pub struct WallView {
    offset: u32,
}

/// The camera-view pass.
pub struct CameraViewPass {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::RenderPipeline,
    panels: wgpu::Buffer,
    views: UniformRing<ViewUniform>,
    group: (u64, wgpu::BindGroup),
    output_groups: Vec<wgpu::BindGroup>,
    instances: Vec<Range<u32>>,
    /// Per output: its sub-frame regions (origin, and the camera a `Camera` sub-frame shows) and
    /// the uniform holding the origin of the region the simulated camera reads.
    regions: Vec<(OutputRegions, wgpu::Buffer)>,
    camera: Option<WallView>,
}

impl CameraViewPass {
    /// Creates the pipeline and one bind group per output texture (`outputs`, in stage order, with
    /// the instance ranges of their panels).
    /// The pass over `outputs` (each output's view, its panels, and its sub-frame regions: origin
    /// and the camera of a `Camera` sub-frame; empty without frame remapping).
    pub fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        panels: &wgpu::Buffer,
        outputs: &[(&wgpu::TextureView, Range<u32>, OutputRegions)],
    ) -> CameraViewPass {
        let device = &gpu.device;
        let vf = wgpu::ShaderStages::VERTEX_FRAGMENT;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("camera view layout"),
            entries: &[
                storage_entry_of::<GpuPanel>(0, vf),
                uniform_entry_of::<ViewUniform>(1, vf, true),
            ],
        });
        let output_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("camera view output layout"),
            entries: &[
                texture_entry(0, wgpu::TextureViewDimension::D2, false),
                uniform_entry_of::<[i32; 4]>(1, wgpu::ShaderStages::FRAGMENT, false),
            ],
        });
        let regions: Vec<(OutputRegions, wgpu::Buffer)> = outputs
            .iter()
            .map(|(_, _, r)| {
                let buffer = alloc.buffer(
                    gpu,
                    "camera view region",
                    16,
                    wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                );
                (r.clone(), buffer)
            })
            .collect();
        let output_groups = outputs
            .iter()
            .zip(&regions)
            .map(|((view, _, _), (_, region))| {
                alloc.bind_group(
                    gpu,
                    &wgpu::BindGroupDescriptor {
                        label: Some("camera view of an output"),
                        layout: &output_layout,
                        entries: &[
                            wgpu::BindGroupEntry {
                                binding: 0,
                                resource: wgpu::BindingResource::TextureView(view),
                            },
                            wgpu::BindGroupEntry {
                                binding: 1,
                                resource: region.as_entire_binding(),
                            },
                        ],
                    },
                )
            })
            .collect();
        let module = shaders::module(device, "camera view", shaders::CAMERA_VIEW);
        let pipeline = render_pipeline(
            device,
            "camera view pipeline",
            &module,
            &[Some(&layout), Some(&output_layout)],
            SCENE_COLOR_FORMAT,
            true,
        );
        let views = UniformRing::new(alloc, gpu, "wall views", 4);
        let group = (
            views.generation(),
            Self::group(alloc, gpu, &layout, panels, &views),
        );
        CameraViewPass {
            layout,
            pipeline,
            panels: panels.clone(),
            views,
            group,
            output_groups,
            instances: outputs.iter().map(|(_, r, _)| r.clone()).collect(),
            regions,
            camera: None,
        }
    }

    fn group(
        alloc: &Allocator,
        gpu: &Gpu,
        layout: &wgpu::BindGroupLayout,
        panels: &wgpu::Buffer,
        views: &UniformRing<ViewUniform>,
    ) -> wgpu::BindGroup {
        alloc.bind_group(
            gpu,
            &wgpu::BindGroupDescriptor {
                label: Some("camera view bind group"),
                layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: panels.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: views.binding(),
                    },
                ],
            },
        )
    }

    fn rebind(&mut self, alloc: &Allocator, gpu: &Gpu) {
        if self.group.0 != self.views.generation() {
            self.group = (
                self.views.generation(),
                Self::group(alloc, gpu, &self.layout, &self.panels, &self.views),
            );
        }
    }

    /// Starts a frame: forgets the previous frame's views and writes the simulated camera's.
    ///
    /// With frame remapping, each output is read in the region of the sub-frame that shows
    /// `camera` (the primary camera, the one the simulated camera is), else in the first region.
    pub fn prepare(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        view_proj: DMat4,
        eye: DVec3,
        camera: &str,
    ) {
        for (regions, buffer) in &self.regions {
            let origin = regions
                .iter()
                .find(|(_, c)| c.as_deref() == Some(camera))
                .or(regions.first())
                .map_or(UVec2::ZERO, |(o, _)| *o);
            let v = [origin.x as i32, origin.y as i32, 0, 0];
            gpu.queue.write_buffer(buffer, 0, bytemuck::cast_slice(&v));
        }
        self.views.reset();
        let offset = self.views.push(&ViewUniform::new(view_proj, eye));
        self.views.flush(alloc, gpu);
        self.rebind(alloc, gpu);
        self.camera = Some(WallView { offset });
    }

    /// Adds another view of the wall to this frame (`clip = view_proj * (world - eye, 1)`,
    /// reversed-Z).
    pub fn prepare_view(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        view_proj: DMat4,
        eye: DVec3,
    ) -> WallView {
        let offset = self.views.push(&ViewUniform::new(view_proj, eye));
        self.views.flush(alloc, gpu);
        self.rebind(alloc, gpu);
        WallView { offset }
    }

    /// The simulated camera's view of this frame.
    pub fn camera(&self) -> Result<WallView, RenderError> {
        self.camera.ok_or(RenderError::NotPrepared)
    }

    /// Records the wall seen from `view` into the top-left `viewport` of `color` + `depth`.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        view: WallView,
        color: &wgpu::TextureView,
        depth: &wgpu::TextureView,
        clear: wgpu::Color,
        viewport: UVec2,
    ) {
        let mut pass = scene_pass(
            encoder,
            "view of the wall pass",
            color,
            depth,
            clear,
            viewport,
        );
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.group.1, &[view.offset]);
        for (group, range) in self.output_groups.iter().zip(&self.instances) {
            if range.is_empty() {
                continue;
            }
            pass.set_bind_group(1, group, &[]);
            pass.draw(0..6, range.clone());
        }
    }
}
