//! Frozen outer: the outer wall's colour baked per output pixel, so that each frame reads it with one
//! texel load instead of rendering six cube faces and sampling them.
//!
//! When frozen (stage file `render: Render(frozen_outer: true)` or
//! [`crate::render::Renderer::set_frozen_outer`]), the outer cube map is rendered and baked (the
//! bake pass: `fs_bake` of `shaders/composite.wgsl`, the same panel quads, each output pixel storing
//! the cube map sampled along its LED pixel's ray from the outer viewpoint into an `Rgba16Float`
//! texture of the output's size) only when the outer viewpoint or resolution changes, when freezing
//! is switched on, or after [`crate::render::Renderer::invalidate_outer`] (the scene changed). Other
//! frames skip the cube faces; the composite loads the baked texel at its own output pixel. Bind
//! group 3 of the composite: the raster's baked texture (a 1 x 1 placeholder when not frozen, and
//! during the bake itself).

use glam::{DVec3, UVec2};

use super::targets::Allocator;
use crate::gpu::Gpu;
use crate::gpu::layout::texture_entry;

/// Format of the baked outer (linear, like the cube map).
const BAKED_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;

/// The frozen outer's bake pipeline, baked textures and state.
pub(crate) struct FrozenOuter {
    pub(crate) layout: wgpu::BindGroupLayout,
    pipeline: Option<wgpu::RenderPipeline>,
    sizes: Vec<UVec2>,
    /// Per raster: the baked view (render target) and its bind group; created on first freeze.
    baked: Vec<(wgpu::TextureView, wgpu::BindGroup)>,
    placeholder: wgpu::BindGroup,
    /// Whether the outer is frozen.
    pub(crate) enabled: bool,
    /// Outer viewpoint and resolution of the last bake; `None`: stale.
    key: Option<(DVec3, u32)>,
    /// Whether this frame bakes (decided in `prepare`).
    pub(crate) bake_now: bool,
    /// Bakes so far.
    pub(crate) bakes: u64,
}

impl FrozenOuter {
    /// The layout and placeholder; `sizes` are the rasters' sizes (outputs, then the wall).
    pub(crate) fn new(alloc: &Allocator, gpu: &Gpu, sizes: &[UVec2], enabled: bool) -> FrozenOuter {
        let layout = gpu
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("frozen outer layout"),
                entries: &[texture_entry(0, wgpu::TextureViewDimension::D2, false)],
            });
        let placeholder = Self::group(alloc, gpu, &layout, UVec2::ONE).1;
        FrozenOuter {
            layout,
            pipeline: None,
            sizes: sizes.to_vec(),
            baked: Vec::new(),
            placeholder,
            enabled,
            key: None,
            bake_now: false,
            bakes: 0,
        }
    }

    fn group(
        alloc: &Allocator,
        gpu: &Gpu,
        layout: &wgpu::BindGroupLayout,
        size: UVec2,
    ) -> (wgpu::TextureView, wgpu::BindGroup) {
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        let t = alloc.texture(gpu, "baked outer", size, 1, BAKED_FORMAT, usage);
        let view = t.create_view(&Default::default());
        let group = alloc.bind_group(
            gpu,
            &wgpu::BindGroupDescriptor {
                label: Some("baked outer"),
                layout,
                entries: &[wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&view),
                }],
            },
        );
        (view, group)
    }

    /// Creates the bake pipeline from the composite's module and layouts (groups 0 to 2; the
    /// composite's own frozen variants are built with its other pipelines).
    pub(crate) fn set_pipelines(
        &mut self,
        device: &wgpu::Device,
        module: &wgpu::ShaderModule,
        layouts: [&wgpu::BindGroupLayout; 3],
    ) {
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("frozen outer"),
            bind_group_layouts: &[
                Some(layouts[0]),
                Some(layouts[1]),
                Some(layouts[2]),
                Some(&self.layout),
            ],
            immediate_size: 0,
        });
        let make = |label: &str, entry: &str, format: wgpu::TextureFormat, frozen: f64| {
            let constants = [("FROZEN", frozen)];
            let options = wgpu::PipelineCompilationOptions {
                constants: &constants,
                ..Default::default()
            };
            device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(label),
                layout: Some(&layout),
                vertex: wgpu::VertexState {
                    module,
                    entry_point: Some("vs_main"),
                    compilation_options: options.clone(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: Default::default(),
                fragment: Some(wgpu::FragmentState {
                    module,
                    entry_point: Some(entry),
                    compilation_options: options,
                    targets: &[Some(format.into())],
                }),
                multiview_mask: None,
                cache: None,
            })
        };
        self.pipeline = Some(make("outer bake", "fs_bake", BAKED_FORMAT, 0.0));
    }

    /// Decides whether this frame bakes: frozen, and the outer viewpoint or resolution changed (or
    /// the bake is stale). Creates the baked textures on the first frozen frame.
    pub(crate) fn prepare(&mut self, alloc: &Allocator, gpu: &Gpu, viewpoint: DVec3, res: u32) {
        self.bake_now = false;
        if !self.enabled {
            self.key = None;
            return;
        }
        if self.baked.is_empty() {
            self.baked = self
                .sizes
                .iter()
                .map(|s| Self::group(alloc, gpu, &self.layout, *s))
                .collect();
        }
        if self.key != Some((viewpoint, res)) {
            self.key = Some((viewpoint, res));
            self.bake_now = true;
            self.bakes += 1;
        }
    }

    /// Marks the bake stale: the next frozen frame bakes again.
    pub(crate) fn invalidate(&mut self) {
        self.key = None;
    }

    /// Whether the composite reads the bake this frame.
    pub(crate) fn reading(&self) -> bool {
        self.enabled && !self.baked.is_empty()
    }

    /// Bind group 3 for raster `k` in the composite: its bake when frozen, else the placeholder.
    pub(crate) fn group_for(&self, k: usize) -> &wgpu::BindGroup {
        if self.reading() {
            &self.baked[k].1
        } else {
            &self.placeholder
        }
    }

    /// Records the bake of raster `k` (its panels `instances`), with the composite's groups 0
    /// (`group0`, `offset` its dynamic offset), 1 (the raster's colour) and 2 (the overlay).
    pub(crate) fn record_bake(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        k: usize,
        instances: std::ops::Range<u32>,
        group0: (&wgpu::BindGroup, u32),
        groups: [&wgpu::BindGroup; 2],
    ) {
        let (Some(pipeline), Some((view, _))) = (&self.pipeline, self.baked.get(k)) else {
            return;
        };
        let mut pass = super::pipeline::clear_pass(encoder, "outer bake pass", view);
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, group0.0, &[group0.1]);
        pass.set_bind_group(1, groups[0], &[]);
        pass.set_bind_group(2, groups[1], &[]);
        pass.set_bind_group(3, &self.placeholder, &[]);
        pass.draw(0..6, instances);
    }
}

impl super::Renderer {
    /// Freezes (`true`) or unfreezes the outer (see `docs/rendering.md`, "Frozen outer"); the stage file's
    /// `render.frozen_outer` is the initial state. Takes effect at the next `prepare`; freezing
    /// bakes on the next frame.
    pub fn set_frozen_outer(&mut self, frozen: bool) {
        let f = &mut self.composite.frozen;
        if f.enabled != frozen {
            f.enabled = frozen;
            f.invalidate();
        }
    }

    /// Whether the outer is frozen.
    pub fn frozen_outer(&self) -> bool {
        self.composite.frozen.enabled
    }

    /// Marks the frozen outer stale (call it when the scene changed): the next frozen frame renders
    /// the cube map and bakes again.
    pub fn invalidate_outer(&mut self) {
        self.composite.frozen.invalidate();
    }

    /// Number of frozen-outer bakes so far (one per `prepare` that decided to bake).
    pub fn outer_bakes(&self) -> u64 {
        self.composite.frozen.bakes
    }

    /// Records the bake of every raster (outputs, then the wall) when this frame bakes.
    pub(super) fn record_outer_bake(
        &self,
        encoder: &mut wgpu::CommandEncoder,
    ) -> Result<(), super::RenderError> {
        if !self.composite.frozen.bake_now {
            return Ok(());
        }
        for (k, r) in self.outputs.iter().chain(self.wall.iter()).enumerate() {
            self.composite
                .record_bake(encoder, k, r.instances.clone())?;
        }
        Ok(())
    }
}
