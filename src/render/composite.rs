//! Composite + map: for each output (and the unwrapped wall), **one instanced draw**, one instance
//! per panel placed in it, each fragment an output pixel showing the inner frustum blended over the
//! soft edge into the outer cube map (`shaders/composite.wgsl`).

use std::ops::Range;

use glam::{DMat4, UVec2};

use super::frozen::FrozenOuter;

mod recolour;
mod regions;
mod variants;

use super::colour_plan::{ColourPlan, RasterPlan};
use super::grading::{GradeSetUniform, MAX_GRADE_SETS, OutputColourGpu, output_layout};
use super::overlay::Overlay;
use super::pipeline::clear_pass;
use super::ring::aligned_stride;
use super::targets::Allocator;
use super::{FrameInputs, GpuPanel, RenderError, v4};
use crate::colour::output::OutputTransform;
use crate::gpu::Gpu;
use crate::gpu::layout::{sampler_entry, storage_entry_of, texture_entry, uniform_entry_of};
use crate::shaders;
pub use regions::RasterRegion;
pub(crate) use regions::TargetUniform;
use variants::Variant;

/// `InnerCamera` of `shaders/composite.wgsl`: one camera's inner frustum.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct InnerCameraUniform {
    /// clip = view_proj * (world - eye, 1).
    pub(crate) view_proj: [[f32; 4]; 4],
    pub(crate) eye: [f32; 4],
    pub(crate) border_color: [f32; 4],
    /// Soft edge, border width, unused, footprint sampling (0/1).
    pub(crate) params: [f32; 4],
    /// Inner target: used size (x, y) and capacity (z, w) in pixels.
    pub(crate) extent: [f32; 4],
    /// Chroma key ([`super::overlay::chroma_uniform`]).
    pub(crate) key: [f32; 4],
    pub(crate) marker_colour: [f32; 4],
    pub(crate) marker: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<InnerCameraUniform>() == 176);

/// `Frame` of `shaders/composite.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct FrameUniform {
    /// In drawing order (the first lowest).
    pub(crate) cameras: [InnerCameraUniform; super::MAX_CAMERAS],
    pub(crate) outer_viewpoint: [f32; 4],
    /// x: cameras drawn.
    pub(crate) counts: [u32; 4],
}

const _: () = assert!(std::mem::size_of::<FrameUniform>() == 736);

/// One camera of a frame for the composite: its inputs, inner view-projection and inner target.
pub(crate) struct CompositeCamera<'a> {
    pub(crate) inputs: &'a FrameInputs,
    pub(crate) view_proj: DMat4,
    pub(crate) target: &'a super::targets::SceneTarget,
}

/// What the composite draws into one raster: its colour transforms and texture format.
pub struct RasterColour {
    /// Shader encoding mode (`crate::render::grading::raster_format`).
    pub mode: u32,
    /// The raster's texture format.
    pub format: wgpu::TextureFormat,
    /// The output transforms its panels use (LUT, primaries, encoding), one per LUT; the same
    /// encoding in all.
    pub slots: Vec<OutputTransform>,
    /// Whether any of its panels is graded.
    pub graded: bool,
}

/// Which stages of the colour path a pipeline keeps (its overridable constants, see
/// `shaders/colour.wgsl`): `[grades, lut, shaper, encode]`.
type Stages = [bool; 4];

/// A composite pipeline's (target format, colour stages, variant, cameras it can draw).
type PipelineKey = (wgpu::TextureFormat, Stages, Variant, u32);

impl RasterColour {
    /// The colour stages this raster uses: a stage none of its panels uses is compiled out.
    fn stages(&self) -> Stages {
        let luts = || self.slots.iter().filter_map(|t| t.lut.as_deref());
        [
            self.graded,
            luts().any(|l| l.lut3d.is_some()),
            luts().any(|l| l.shaper.is_some()),
            self.mode != 0
                || self
                    .slots
                    .iter()
                    .any(|t| t.to_output != glam::DMat3::IDENTITY),
        ]
    }

    /// A raster's colour from its share of the colour plan, for a renderer of output format
    /// `renderer` (see [`super::grading::raster_format`]).
    pub fn of(plan: &RasterPlan, renderer: wgpu::TextureFormat) -> RasterColour {
        let encoding = plan.slots.first().map(|t| t.encoding).unwrap_or_default();
        let (mode, format) = super::grading::raster_format(renderer, &encoding);
        RasterColour {
            mode,
            format,
            slots: plan.slots.clone(),
            graded: plan.graded,
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
    /// Each raster's output transform (group 1), and their layout.
    colour: Vec<OutputColourGpu>,
    colour_layout: wgpu::BindGroupLayout,
    /// Every grade set in use (uniform array) and each panel's grade set and output transform.
    grades: wgpu::Buffer,
    panel_colours: wgpu::Buffer,
    /// The grade sets' bytes (what the outside bake depends on).
    grades_value: Vec<u8>,
    panels: wgpu::Buffer,
    frame: wgpu::Buffer,
    targets: wgpu::Buffer,
    target_stride: u64,
    /// Per raster: its size and regions, and each region's slot in `targets`.
    rasters: Vec<(UVec2, Vec<(RasterRegion, u32)>)>,
    sampler: wgpu::Sampler,
    /// Bind group with the (inner targets', outer target) generations it binds.
    group: Option<(([u64; super::MAX_CAMERAS], u64), wgpu::BindGroup)>,
    /// Bound for cameras a frame does not draw.
    placeholder_inner: wgpu::TextureView,
    /// Cameras this frame draws (the pipelines' `CAMERAS`, at least 1).
    cameras: u32,
    /// Bind group 2: chroma key, markers and light cards.
    overlay: Overlay,
    /// Bind group 3 and the bake pass: the frozen outer.
    pub(crate) frozen: FrozenOuter,
}

impl CompositePass {
    /// Creates a pipeline per raster format (and for `format`, the renderer's), one target uniform
    /// per sub-frame region of each raster of `sizes` (outputs in stage order, then the unwrapped
    /// wall; `regions` parallel to it, one region at the origin for a raster without remapping)
    /// and each raster's colour transforms (`rasters`, same order); the grade sets and each panel's
    /// choice come from `plan`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        panels: &wgpu::Buffer,
        walls: &[super::overlay::PanelWall],
        sizes: &[UVec2],
        regions: &[Vec<RasterRegion>],
        rasters: &[RasterColour],
        plan: &ColourPlan,
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
                uniform_entry_of::<[GradeSetUniform; MAX_GRADE_SETS]>(6, vf, false),
                texture_entry(7, wgpu::TextureViewDimension::D2, true),
                texture_entry(8, wgpu::TextureViewDimension::D2, true),
                texture_entry(9, wgpu::TextureViewDimension::D2, true),
                storage_entry_of::<[u32; 4]>(10, vf),
            ],
        });
        let colour_layout = output_layout(device);
        let card_grades = plan.card_grades();
        let overlay = Overlay::new(alloc, gpu, walls, card_grades, plan.working_space);
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
        let stages: Vec<(wgpu::TextureFormat, Stages)> =
            rasters.iter().map(|r| (r.format, r.stages())).collect();
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
                OutputColourGpu::new(alloc, gpu, &colour_layout, &label, &r.slots, r.mode)
            })
            .collect();
        let grades_value: Vec<u8> = bytemuck::cast_slice(&plan.grade_sets).to_vec();
        // The whole uniform array (the plan holds at most MAX_GRADE_SETS: `Renderer::create`).
        let mut sets = plan.grade_sets.clone();
        sets.resize(MAX_GRADE_SETS, bytemuck::Zeroable::zeroed());
        let grades = alloc.buffer_init(
            gpu,
            "grade sets",
            bytemuck::cast_slice(&sets),
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let panel_colours = alloc.buffer_init(
            gpu,
            "panel colours",
            bytemuck::cast_slice(&plan.panel_colours),
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        );
        let frame = alloc.buffer(
            gpu,
            "frame uniforms",
            std::mem::size_of::<FrameUniform>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let align = device.limits().min_uniform_buffer_offset_alignment as u64;
        let target_stride = aligned_stride(std::mem::size_of::<TargetUniform>() as u64, align);
        let mut slot = 0u32;
        let raster_regions: Vec<(UVec2, Vec<(RasterRegion, u32)>)> = sizes
            .iter()
            .enumerate()
            .map(|(k, size)| {
                let list = regions.get(k).filter(|r| !r.is_empty()).cloned();
                let list = list.unwrap_or_else(|| {
                    vec![RasterRegion {
                        origin: glam::IVec2::ZERO,
                        subframe: None,
                    }]
                });
                let slots = list
                    .into_iter()
                    .map(|r| {
                        slot += 1;
                        (r, slot - 1)
                    })
                    .collect();
                (*size, slots)
            })
            .collect();
        let targets = alloc.buffer(
            gpu,
            "output target uniforms",
            target_stride * u64::from(slot.max(1)),
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
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
            colour_layout,
            grades,
            panel_colours,
            grades_value,
            panels: panels.clone(),
            frame,
            targets,
            target_stride,
            rasters: raster_regions,
            sampler,
            group: None,
            placeholder_inner: alloc
                .texture(
                    gpu,
                    "inner placeholder",
                    UVec2::ONE,
                    1,
                    crate::scene::SCENE_COLOR_FORMAT,
                    wgpu::TextureUsages::TEXTURE_BINDING,
                )
                .create_view(&Default::default()),
            cameras: 1,
            overlay,
            frozen,
        };
        pass.ensure_pipelines(device, &[Variant::Live], 1);
        pass
    }

    /// Writes the frame uniform for `cameras` (the primary camera first: the outer viewpoint and
    /// the light cards are its; drawn in the order given, the first lowest, at most
    /// [`super::MAX_CAMERAS`]); rebuilds the bind group only when an inner or the outer target
    /// was reallocated.
    pub(crate) fn prepare(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        primary: &FrameInputs,
        cameras: &[CompositeCamera<'_>],
        outer: &super::targets::CubeTarget,
        sampling: crate::render::InnerSampling,
    ) -> Result<(), RenderError> {
        if cameras.len() > super::MAX_CAMERAS {
            return Err(RenderError::TooManyCameras(cameras.len()));
        }
        let footprint = f32::from(u8::from(
            sampling == crate::render::InnerSampling::Footprint,
        ));
        let mut frame = FrameUniform {
            cameras: [bytemuck::Zeroable::zeroed(); super::MAX_CAMERAS],
            outer_viewpoint: v4(primary.outer_viewpoint),
            counts: [cameras.len() as u32, 0, 0, 0],
        };
        for (u, c) in frame.cameras.iter_mut().zip(cameras) {
            let i = c.inputs;
            let (bw, bc) = i.border.unwrap_or((0.0, [0.0; 3]));
            let [key, marker_colour, marker] = super::overlay::chroma_uniform(i.chroma.as_ref());
            *u = InnerCameraUniform {
                view_proj: c.view_proj.as_mat4().to_cols_array_2d(),
                eye: v4(i.eye),
                border_color: [bc[0], bc[1], bc[2], 1.0],
                params: [i.soft_edge as f32, bw as f32, 0.0, footprint],
                extent: c.target.extent(),
                key,
                marker_colour,
                marker,
            };
        }
        gpu.queue
            .write_buffer(&self.frame, 0, bytemuck::bytes_of(&frame));
        let drawn: Vec<&str> = cameras
            .iter()
            .map(|c| c.inputs.camera_name.as_str())
            .collect();
        let stride = self.target_stride as usize;
        let slots: usize = self.rasters.iter().map(|(_, r)| r.len()).sum();
        let mut bytes = vec![0u8; stride * slots.max(1)];
        for (size, regions) in &self.rasters {
            for (region, slot) in regions {
                let o = *slot as usize * stride;
                let u = region.uniform(*size, &drawn);
                bytes[o..o + std::mem::size_of::<TargetUniform>()]
                    .copy_from_slice(bytemuck::bytes_of(&u));
            }
        }
        gpu.queue.write_buffer(&self.targets, 0, &bytes);
        self.frozen.prepare(
            alloc,
            gpu,
            primary.outer_viewpoint,
            primary.outer_resolution,
        );
        self.cameras = (cameras.len() as u32).max(1);
        self.ensure_pipelines(&gpu.device, &[Variant::Live], self.cameras);
        if self.frozen.enabled {
            self.ensure_pipelines(&gpu.device, &[Variant::Inside, Variant::Copy], self.cameras);
            self.ensure_pipelines(&gpu.device, &[Variant::OuterBake, Variant::OutsideBake], 1);
        }
        let inputs: Vec<FrameInputs> = std::iter::once(primary)
            .chain(cameras.iter().map(|c| c.inputs))
            .cloned()
            .collect();
        self.overlay.prepare(alloc, gpu, &inputs)?;
        self.frozen
            .prepare_outside(&[&self.grades_value, &self.overlay.written]);
        let mut generations = [0u64; super::MAX_CAMERAS];
        for (g, c) in generations.iter_mut().zip(cameras) {
            *g = c.target.generation;
        }
        let key = (generations, outer.generation);
        let inner_view = |k: usize| {
            cameras
                .get(k)
                .map_or(&self.placeholder_inner, |c| &c.target.sampled)
        };
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
                            resource: wgpu::BindingResource::TextureView(inner_view(0)),
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
                        wgpu::BindGroupEntry {
                            binding: 7,
                            resource: wgpu::BindingResource::TextureView(inner_view(1)),
                        },
                        wgpu::BindGroupEntry {
                            binding: 8,
                            resource: wgpu::BindingResource::TextureView(inner_view(2)),
                        },
                        wgpu::BindGroupEntry {
                            binding: 9,
                            resource: wgpu::BindingResource::TextureView(inner_view(3)),
                        },
                        wgpu::BindGroupEntry {
                            binding: 10,
                            resource: self.panel_colours.as_entire_binding(),
                        },
                    ],
                },
            );
            self.group = Some((key, group));
        }
        Ok(())
    }

    /// Records raster `k` (its panels are `instances`) into `target`, a view of `format`: one
    /// instanced draw per sub-frame region (two with the outer frozen: the outside bake copied over
    /// every panel, then the composite over the parts of panels where an inner frustum may be
    /// seen). `format` must be one of the rasters' formats or the renderer's.
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
        let (_, regions) = self.rasters.get(k).ok_or(RenderError::NotPrepared)?;
        let mut pass = clear_pass(encoder, "composite pass", target);
        pass.set_bind_group(1, &colour.group, &[]);
        pass.set_bind_group(2, &self.overlay.group, &[]);
        pass.set_bind_group(3, self.frozen.group_for(k), &[]);
        for (_, slot) in regions {
            pass.set_bind_group(0, group, &[(u64::from(*slot) * self.target_stride) as u32]);
            for &v in variants {
                pass.set_pipeline(self.pipeline((format, stages, v, self.cameras))?);
                pass.draw(0..6, instances.clone());
            }
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
            let key = (format, stages, Variant::OutsideBake, 1);
            (key, self.frozen.outside_target(k))
        } else {
            let key = (
                super::frozen::BAKED_FORMAT,
                [false; 4],
                Variant::OuterBake,
                1,
            );
            (key, self.frozen.outer_target(k))
        };
        let (view, group3) = target.ok_or(RenderError::NotPrepared)?;
        let colour = self.colour.get(k).ok_or(RenderError::NotPrepared)?;
        let label = if outside {
            "outside bake pass"
        } else {
            "outer bake pass"
        };
        let (_, regions) = self.rasters.get(k).ok_or(RenderError::NotPrepared)?;
        let mut pass = clear_pass(encoder, label, view);
        pass.set_pipeline(self.pipeline(key)?);
        pass.set_bind_group(1, &colour.group, &[]);
        pass.set_bind_group(2, &self.overlay.group, &[]);
        pass.set_bind_group(3, group3, &[]);
        for (_, slot) in regions {
            pass.set_bind_group(0, group, &[(u64::from(*slot) * self.target_stride) as u32]);
            pass.draw(0..6, instances.clone());
        }
        Ok(())
    }
}
