//! Frozen outer: the outer wall baked per output pixel, so that a frame draws most of each output
//! as one texel load per pixel instead of rendering six cube faces, sampling them and running the
//! colour path.
//!
//! When frozen (stage file `render: Render(frozen_outer: true)` or
//! [`crate::render::Renderer::set_frozen_outer`]), two bakes are kept per raster (outputs, then the
//! unwrapped wall), both drawn with the composite's panel quads (`shaders/composite.wgsl`):
//!
//! - the **outer bake** (`fs_bake`): the outer cube map sampled along each LED pixel's ray from the
//!   outer viewpoint, linear `Rgba16Float`. Made when the outer viewpoint or resolution changes, when
//!   freezing is switched on, or after [`crate::render::Renderer::invalidate_outer`] (the scene
//!   changed); other frames skip the cube faces.
//! - the **outside bake** (`fs_main` without the inner frustum, reading the outer bake): the raster's
//!   final pixels where the inner frustum is not seen (outer grade, light cards, LUT, encoding,
//!   dither), in the raster's own format. Made after each outer bake and whenever the layers' grades,
//!   the light cards or the chroma settings written for the frame change.
//!
//! Each frame then draws a raster in one pass with two instanced draws over the same panels: every
//! panel copies the outside bake (`fs_copy`: one `textureLoad` per pixel), then the full composite,
//! with the outer read from the outer bake, covers the part of each panel where the inner frustum
//! may be seen: the bounding box of the panel clipped by the frustum's side planes and the plane
//! through the entrance pupil (`inner_box` in the shader, per panel in the vertex stage; empty
//! when the panel faces away). Bind group 3 of the composite holds both bakes (1 x 1
//! placeholders when not frozen; the outer bake and a placeholder while the outside bake is drawn).

use std::hash::{Hash, Hasher};

use glam::{DVec3, UVec2};

use super::targets::Allocator;
use crate::gpu::Gpu;
use crate::gpu::layout::texture_entry;

/// Format of the outer bake (linear, like the cube map).
pub(crate) const BAKED_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;

/// One raster's bakes.
struct Baked {
    /// The outer bake (render target of `fs_bake`).
    outer: wgpu::TextureView,
    /// The outside bake (render target of the outside-bake pipeline), in the raster's format.
    outside: wgpu::TextureView,
    /// Group 3 while drawing the outside bake: the outer bake and a placeholder.
    baking: wgpu::BindGroup,
    /// Group 3 for the frame: both bakes.
    reading: wgpu::BindGroup,
}

/// The frozen outer's baked textures and state.
pub(crate) struct FrozenOuter {
    pub(crate) layout: wgpu::BindGroupLayout,
    rasters: Vec<(UVec2, wgpu::TextureFormat)>,
    /// Per raster; created on the first frozen frame.
    baked: Vec<Baked>,
    placeholder_view: wgpu::TextureView,
    placeholder: wgpu::BindGroup,
    /// Whether the outer is frozen.
    pub(crate) enabled: bool,
    /// Outer viewpoint and resolution of the last outer bake; `None`: stale.
    key: Option<(DVec3, u32)>,
    /// What the last outside bake was made from (see [`FrozenOuter::prepare_outside`]).
    outside_key: Option<u64>,
    /// Whether this frame bakes the outer (decided in `prepare`).
    pub(crate) bake_now: bool,
    /// Whether this frame bakes the outside (decided in `prepare_outside`).
    pub(crate) bake_outside: bool,
    /// Outer bakes so far.
    pub(crate) bakes: u64,
    /// Outside bakes so far.
    pub(crate) outside_bakes: u64,
}

fn placeholder(alloc: &Allocator, gpu: &Gpu) -> wgpu::TextureView {
    let usage = wgpu::TextureUsages::TEXTURE_BINDING;
    alloc
        .texture(gpu, "bake placeholder", UVec2::ONE, 1, BAKED_FORMAT, usage)
        .create_view(&Default::default())
}

impl FrozenOuter {
    /// The layout and placeholders; `rasters` are the rasters' sizes and formats (outputs, then
    /// the wall).
    pub(crate) fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        rasters: &[(UVec2, wgpu::TextureFormat)],
        enabled: bool,
    ) -> FrozenOuter {
        let layout = gpu
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("frozen outer layout"),
                entries: &[
                    texture_entry(0, wgpu::TextureViewDimension::D2, false),
                    texture_entry(1, wgpu::TextureViewDimension::D2, false),
                ],
            });
        let placeholder_view = placeholder(alloc, gpu);
        let placeholder = Self::group(alloc, gpu, &layout, &placeholder_view, &placeholder_view);
        FrozenOuter {
            layout,
            rasters: rasters.to_vec(),
            baked: Vec::new(),
            placeholder_view,
            placeholder,
            enabled,
            key: None,
            outside_key: None,
            bake_now: false,
            bake_outside: false,
            bakes: 0,
            outside_bakes: 0,
        }
    }

    fn group(
        alloc: &Allocator,
        gpu: &Gpu,
        layout: &wgpu::BindGroupLayout,
        outer: &wgpu::TextureView,
        outside: &wgpu::TextureView,
    ) -> wgpu::BindGroup {
        let entry = |binding, view| wgpu::BindGroupEntry {
            binding,
            resource: wgpu::BindingResource::TextureView(view),
        };
        alloc.bind_group(
            gpu,
            &wgpu::BindGroupDescriptor {
                label: Some("frozen outer"),
                layout,
                entries: &[entry(0, outer), entry(1, outside)],
            },
        )
    }

    fn bakes_for(
        &self,
        alloc: &Allocator,
        gpu: &Gpu,
        size: UVec2,
        format: wgpu::TextureFormat,
    ) -> Baked {
        let usage = wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING;
        let outer = alloc
            .texture(gpu, "outer bake", size, 1, BAKED_FORMAT, usage)
            .create_view(&Default::default());
        let outside = alloc
            .texture(gpu, "outside bake", size, 1, format, usage)
            .create_view(&Default::default());
        let baking = Self::group(alloc, gpu, &self.layout, &outer, &self.placeholder_view);
        let reading = Self::group(alloc, gpu, &self.layout, &outer, &outside);
        Baked {
            outer,
            outside,
            baking,
            reading,
        }
    }

    /// Decides whether this frame bakes the outer: frozen, and the outer viewpoint or resolution
    /// changed (or the bake is stale). Creates the baked textures on the first frozen frame.
    pub(crate) fn prepare(&mut self, alloc: &Allocator, gpu: &Gpu, viewpoint: DVec3, res: u32) {
        self.bake_now = false;
        if !self.enabled {
            self.key = None;
            self.outside_key = None;
            return;
        }
        if self.baked.is_empty() {
            self.baked = self
                .rasters
                .iter()
                .map(|(s, f)| self.bakes_for(alloc, gpu, *s, *f))
                .collect();
        }
        if self.key != Some((viewpoint, res)) {
            self.key = Some((viewpoint, res));
            self.bake_now = true;
            self.bakes += 1;
        }
    }

    /// Decides whether this frame bakes the outside: after an outer bake, or when `inputs` (the
    /// bytes the outside bake reads besides the outer bake: grades, light cards, chroma) differ
    /// from the last outside bake's.
    pub(crate) fn prepare_outside(&mut self, inputs: &[&[u8]]) {
        self.bake_outside = false;
        if !self.enabled {
            return;
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        inputs.hash(&mut h);
        let key = h.finish();
        if self.bake_now || self.outside_key != Some(key) {
            self.outside_key = Some(key);
            self.bake_outside = true;
            self.outside_bakes += 1;
        }
    }

    /// Marks the outside bake stale (the colour path changed): the next frozen frame bakes it
    /// again.
    pub(crate) fn invalidate_outside(&mut self) {
        self.outside_key = None;
    }

    /// Marks both bakes stale: the next frozen frame bakes again.
    pub(crate) fn invalidate(&mut self) {
        self.key = None;
        self.outside_key = None;
    }

    /// Whether the composite reads the bakes this frame.
    pub(crate) fn reading(&self) -> bool {
        self.enabled && !self.baked.is_empty()
    }

    /// Bind group 3 for raster `k` in the composite: its bakes when frozen, else the placeholder.
    pub(crate) fn group_for(&self, k: usize) -> &wgpu::BindGroup {
        match self.baked.get(k) {
            Some(b) if self.reading() => &b.reading,
            _ => &self.placeholder,
        }
    }

    /// The outer bake of raster `k` (target) with the group 3 its pass binds (placeholders).
    pub(crate) fn outer_target(&self, k: usize) -> Option<(&wgpu::TextureView, &wgpu::BindGroup)> {
        self.baked.get(k).map(|b| (&b.outer, &self.placeholder))
    }

    /// The outside bake of raster `k` (target) with the group 3 its pass binds (the outer bake).
    pub(crate) fn outside_target(
        &self,
        k: usize,
    ) -> Option<(&wgpu::TextureView, &wgpu::BindGroup)> {
        self.baked.get(k).map(|b| (&b.outside, &b.baking))
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

    /// Number of frozen-outer bakes so far (one per `prepare` that decided to bake the outer).
    pub fn outer_bakes(&self) -> u64 {
        self.composite.frozen.bakes
    }

    /// Number of outside bakes so far (after each outer bake, and when the grades, light cards or
    /// chroma settings change while frozen).
    pub fn outside_bakes(&self) -> u64 {
        self.composite.frozen.outside_bakes
    }

    /// Records this frame's bakes of every raster (outputs, then the wall): the outer bake, then
    /// the outside bake.
    pub(super) fn record_outer_bake(
        &self,
        encoder: &mut wgpu::CommandEncoder,
    ) -> Result<(), super::RenderError> {
        let f = &self.composite.frozen;
        for (k, r) in self.outputs.iter().chain(self.wall.iter()).enumerate() {
            if f.bake_now {
                self.composite
                    .record_bake(encoder, k, r.instances.clone(), false)?;
            }
            if f.bake_outside {
                self.composite
                    .record_bake(encoder, k, r.instances.clone(), true)?;
            }
        }
        Ok(())
    }
}
