//! The headless frame: outer cube map, inner frustum, composite + tile mapping into every output, the
//! unwrapped wall and the simulated camera view.
//!
//! The renderer is a sequence of pass objects, each owning its pipeline, layouts, bind groups and
//! uniforms, with `prepare` (every queue write, bind groups rebuilt only when a target they bind was
//! reallocated) and `record` (writes nothing): [`scene_pass::ScenePasses`] (outer cube faces, inner
//! frustum, camera reference), [`composite::CompositePass`] (one instanced draw per output),
//! [`camera_view::CameraViewPass`] (the lit wall seen from the camera or any view) and
//! [`lens_warp::LensWarpPass`]. [`Renderer`] owns the shared resources (panel buffer, outputs,
//! bucketed [`targets`]) and orders the passes: [`Renderer::new`] once, [`Renderer::prepare`] per
//! frame, then [`Renderer::render`] (or its parts). See `docs/rendering.md`.

pub mod camera_view;
pub mod colour_plan;
pub mod composite;
pub mod emitted;
pub mod encode;
pub mod footprint;
mod frozen;
pub mod grading;
pub mod inputs;
pub mod layout;
pub mod lens_warp;
pub mod mipmap;
mod options;
mod overlay;
mod overrides;
pub mod panels;
pub mod pipeline;
mod prepare;
mod readback;
mod recolour;
pub mod ring;
pub mod scene_pass;
mod submit;
pub mod targets;
pub mod view;
#[cfg(test)]
mod wgsl_layout;

use std::ops::Range;

use glam::{DMat4, DVec3, UVec2};

pub use crate::shaders;
pub use camera_view::WallView;
pub use inputs::{FrameInputs, InputError, Overrides, VideoCamera, inner_weight};
pub use mipmap::InnerSampling;
pub use options::{RenderError, RenderedFrame, RendererOptions};
pub use panels::GpuPanel;
pub(crate) use panels::v4;
pub use pipeline::clear_pass;
pub use prepare::{MAX_CAMERAS, draw_order};
pub use readback::{ReadImage, ReadbackError, linear_to_srgb, read_texture, srgb_to_linear};
pub use recolour::Recolour;
// Kept for the preview, which builds its layouts with them.
pub(crate) use crate::gpu::layout::{sampler_entry, texture_entry, uniform_entry};

use crate::gpu::Gpu;
use crate::scene::{Scene, SceneContext};
use crate::stage::Stage;
use camera_view::CameraViewPass;
use composite::CompositePass;
use emitted::EmittedLight;
use lens_warp::LensWarpPass;
use scene_pass::ScenePasses;
use targets::{Allocator, Targets};

/// An output raster the composite pass draws into (a real output or the unwrapped wall).
struct Raster {
    name: String,
    size: UVec2,
    format: wgpu::TextureFormat,
    instances: Range<u32>,
    texture: wgpu::Texture,
    view: wgpu::TextureView,
}

const RASTER_USAGE: wgpu::TextureUsages = wgpu::TextureUsages::RENDER_ATTACHMENT
    .union(wgpu::TextureUsages::TEXTURE_BINDING)
    .union(wgpu::TextureUsages::COPY_SRC);

/// The frame renderer for one stage.
pub struct Renderer {
    options: RendererOptions,
    alloc: Allocator,
    panels: wgpu::Buffer,
    outputs: Vec<Raster>,
    /// The unwrapped wall's tiles (none when the wall is not rendered; one when it fits the
    /// adapter's texture limit), with the wall image's size.
    wall: Vec<Raster>,
    wall_tiles: Vec<layout::WallTile>,
    wall_size: Option<UVec2>,
    targets: Targets,
    scene: ScenePasses,
    composite: CompositePass,
    camera_view: CameraViewPass,
    lens_warp: LensWarpPass,
    /// Generates the inner frustum's mip chain (footprint sampling only).
    mipmap: mipmap::MipmapPass,
    /// The last lens whose failed inversion was reported (warn once per lens).
    warned_lens: Option<crate::camera::Lens>,
    /// The primary camera of the last `prepare` (the simulated camera's).
    inputs: Option<FrameInputs>,
    /// The cameras of the last `prepare`, in drawing order (the first lowest).
    cameras: Vec<FrameInputs>,
    /// The stage's `render.reverse_priority`.
    reverse_priority: bool,
    /// Per output (stage order): not rendered nor read back ([`Renderer::keep_outputs`]).
    skip: Vec<bool>,
    /// Each raster's panels (its index, the wall's `usize::MAX`, and instance range) and each GPU
    /// panel's index in `Stage::panels`: what a colour plan is made for ([`Renderer::recolour_plan`]).
    planned: Vec<(usize, Range<u32>)>,
    sources: Vec<usize>,
}

impl Renderer {
    /// Creates pipelines, layouts, the panel buffer and the output textures for `stage`.
    ///
    /// Errors: an output or the panel buffer beyond the adapter's limits, or any wgpu error while
    /// creating them ([`crate::gpu::GpuError::Wgpu`], caught by error scopes).
    pub fn new(
        gpu: &Gpu,
        stage: &Stage,
        options: RendererOptions,
    ) -> Result<Renderer, RenderError> {
        for o in &stage.outputs {
            gpu.check_texture(&format!("output '{}'", o.name), o.width, o.height)?;
        }
        gpu.scoped("creating the renderer", || {
            Self::create(gpu, stage, options)
        })?
    }

    fn create(gpu: &Gpu, stage: &Stage, options: RendererOptions) -> Result<Renderer, RenderError> {
        let fmt = options.output_format;
        let alloc = Allocator::default();
        let max = gpu.device.limits().max_texture_dimension_2d;
        let panels::PanelTable {
            mut gpu_panels,
            ranges,
            wall_layout,
            wall_range,
            sources,
        } = panels::panel_table(stage, options.wall, max);
        let walls = overlay::panel_walls(stage, &sources);
        if gpu_panels.is_empty() {
            gpu_panels.push(bytemuck::Zeroable::zeroed());
        }
        let panel_bytes: &[u8] = bytemuck::cast_slice(&gpu_panels);
        gpu.check_buffer("panel buffer", panel_bytes.len() as u64)?;
        let panels = alloc.buffer_init(
            gpu,
            "panel buffer",
            panel_bytes,
            wgpu::BufferUsages::STORAGE,
        );
        // Each raster's panels' grade sets and LUTs (the wall: an index past the outputs).
        let mut planned: Vec<(usize, Range<u32>)> = ranges.iter().cloned().enumerate().collect();
        if let Some(w) = &wall_range {
            planned.push((usize::MAX, w.clone()));
        }
        let plan = colour_plan::colour_plan(stage, &planned, &sources);
        plan.check_limits(stage)?;
        let mut colour = Vec::new();
        let mut raster = |name: &str, label: &str, size: UVec2, instances: Range<u32>, k: usize| {
            let i = if k == usize::MAX { ranges.len() } else { k };
            let rc = composite::RasterColour::of(&plan.rasters[i], fmt);
            let format = rc.format;
            colour.push(rc);
            let texture = alloc.texture(gpu, label, size, 1, format, RASTER_USAGE);
            Raster {
                name: name.to_string(),
                size,
                format,
                instances,
                view: texture.create_view(&Default::default()),
                texture,
            }
        };
        let outputs: Vec<Raster> = stage
            .outputs
            .iter()
            .zip(&ranges)
            .enumerate()
            .map(|(k, (o, r))| {
                let size = UVec2::new(o.width, o.height);
                raster(&o.name, &format!("output {}", o.name), size, r.clone(), k)
            })
            .collect();
        // The unwrapped wall, in tiles of at most the texture limit each way (one when it fits),
        // each drawing every wall panel at its place in the wall image less the tile's origin.
        let wall_tiles = match &wall_layout {
            Some(l) if wall_range.is_some() => layout::wall_tiles(l.size, max),
            _ => Vec::new(),
        };
        let wall_size = wall_layout.as_ref().map(|l| l.size);
        let wall: Vec<Raster> = wall_tiles
            .iter()
            .map(|t| {
                let instances = wall_range.clone().unwrap_or(0..0);
                // An index past the outputs: the default transform (no LUT, sRGB).
                let label = format!("unwrapped wall at {}, {}", t.origin.x, t.origin.y);
                raster("wall", &label, t.size, instances, usize::MAX)
            })
            .collect();
        let sizes: Vec<UVec2> = outputs.iter().chain(wall.iter()).map(|r| r.size).collect();
        // Frame remapping: each output's sub-frame regions; each wall tile one region placing the
        // wall image at minus the tile's origin.
        let regions: Vec<Vec<composite::RasterRegion>> = stage
            .outputs
            .iter()
            .map(|o| match &o.remap {
                Some(r) => (0..o.subframe_count())
                    .zip(&r.subframes)
                    .map(|(k, sf)| {
                        let (x, y) = o.region_origin(k);
                        composite::RasterRegion {
                            origin: glam::IVec2::new(x as i32, y as i32),
                            subframe: Some(sf.clone()),
                        }
                    })
                    .collect(),
                None => Vec::new(),
            })
            .chain(wall_tiles.iter().map(|t| {
                vec![composite::RasterRegion {
                    origin: -t.origin.as_ivec2(),
                    subframe: None,
                }]
            }))
            .collect();
        let mut composite = CompositePass::new(
            &alloc, gpu, &panels, &walls, &sizes, &regions, &colour, &plan, fmt,
        );
        composite.frozen.enabled = stage.render.frozen_outer;
        let output_views: Vec<(&wgpu::TextureView, Range<u32>, camera_view::OutputRegions)> =
            outputs
                .iter()
                .zip(&regions)
                .map(|(o, r)| {
                    let shown = r
                        .iter()
                        .map(|g| {
                            let camera = match &g.subframe {
                                Some(crate::stage::file::SubFrame::Camera(c)) => Some(c.clone()),
                                _ => None,
                            };
                            (g.origin.as_uvec2(), camera)
                        })
                        .collect();
                    (&o.view, o.instances.clone(), shown)
                })
                .collect();
        let emitted = EmittedLight::of_outputs(&colour, outputs.len(), &plan.working_space);
        let camera_view = CameraViewPass::new(&alloc, gpu, &panels, &output_views, &emitted);
        let lens_warp = LensWarpPass::new(&alloc, gpu, fmt);
        let scene = ScenePasses::new(&alloc, gpu);
        let mipmap = mipmap::MipmapPass::new(&gpu.device, crate::scene::SCENE_COLOR_FORMAT);
        Ok(Renderer {
            options,
            alloc,
            panels,
            outputs,
            wall,
            wall_tiles,
            wall_size,
            targets: Targets::default(),
            scene,
            composite,
            camera_view,
            lens_warp,
            mipmap,
            warned_lens: None,
            inputs: None,
            cameras: Vec::new(),
            reverse_priority: stage.render.reverse_priority,
            skip: vec![false; stage.outputs.len()],
            planned,
            sources,
        })
    }

    /// Renders only the outputs named in `names` from the next frame (a render node's,
    /// docs/nodes.md): the others' composite passes are not recorded and [`Renderer::read_frame`]
    /// gives them as empty images (0 x 0, no bytes), so their textures keep what they held
    /// (nothing, on a new renderer). The scene passes (outer and inner frustums), the unwrapped
    /// wall and the camera view are unchanged (the views read the outputs' textures: on a renderer
    /// that skips outputs, their panels show dark). A name no output carries is ignored.
    pub fn keep_outputs(&mut self, names: &[String]) {
        self.skip = self
            .outputs
            .iter()
            .map(|o| !names.contains(&o.name))
            .collect();
    }

    /// What scenes need to be created for this renderer.
    pub fn scene_context<'a>(&'a self, gpu: &'a Gpu) -> SceneContext<'a> {
        SceneContext {
            gpu,
            view_layout: self.scene.view_layout(),
        }
    }

    /// Names and sizes of the outputs, in stage order.
    pub fn outputs(&self) -> impl Iterator<Item = (&str, UVec2)> {
        self.outputs.iter().map(|o| (o.name.as_str(), o.size))
    }

    /// Textures and buffers this renderer has created so far (outputs, uniforms, targets; not the
    /// staging buffers of read-backs). Constant from frame to frame once the targets' buckets hold
    /// what the frames need.
    pub fn allocation_count(&self) -> u64 {
        self.alloc.count()
    }

    /// Bind groups this renderer has created so far: constant from frame to frame once warm (bind
    /// groups are cached by the generation of the targets and uniform rings they bind).
    pub fn bind_group_count(&self) -> u64 {
        self.alloc.bind_group_count()
    }

    /// Size of the camera view for `inputs`.
    pub fn camera_size(&self, inputs: &FrameInputs) -> UVec2 {
        // Default: the inner pixel budget with the sensor's aspect, which a zoom does not change
        // (so the camera view, sized exactly, is not reallocated during a zoom).
        let budget = inputs.inner_budget.x as f64 * inputs.inner_budget.y as f64;
        // The de-squeezed picture: an anamorphic lens's sensor width times its squeeze.
        let lens = &inputs.video.lens;
        let picture_mm = (lens.sensor_mm.0 * lens.squeeze, lens.sensor_mm.1);
        camera_view::picture_size(budget, picture_mm, self.options.camera_width)
    }

    /// The undistorted extents the simulated camera's pinhole view covers. Where the lens inverse fails
    /// on the frame's edge, a warning names the first failing point and the lens pass shows those
    /// sensor pixels in the failure marker colour (`shaders/lens_warp.wgsl`).
    fn pinhole_tangents(&mut self, inputs: &FrameInputs) -> crate::camera::Tangents {
        let (f, lens) = (inputs.video.frame_tangents, inputs.video.lens);
        if lens.distortion.is_identity() {
            return f;
        }
        if let Err(e) = lens.distorted_frame_tangents()
            && self.warned_lens != Some(lens)
        {
            // Once per lens, not every frame of a live loop.
            self.warned_lens = Some(lens);
            log::warn!(
                "camera '{}': {e}; the camera view shows those pixels in magenta",
                inputs.camera_name
            );
        }
        let d = lens.distorted_frame_coverage().tangents;
        crate::camera::Tangents {
            left: f.left.min(d.left),
            right: f.right.max(d.right),
            bottom: f.bottom.min(d.bottom),
            top: f.top.max(d.top),
        }
    }

    /// Records the scene passes: the outer cube map (six faces from the outer viewpoint) and each
    /// camera's inner frustum (from its entrance pupil, overscan included).
    pub fn render_scene(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        scene: &dyn Scene,
    ) -> Result<(), RenderError> {
        let frozen = &self.composite.frozen;
        let outer = !frozen.reading() || frozen.bake_now;
        self.scene.record(encoder, &self.targets, scene, outer)?;
        for t in self.targets.inner.iter().take(self.cameras.len()).flatten() {
            if let Some(chain) = &t.mips {
                self.mipmap.record(encoder, chain);
            }
        }
        self.record_outer_bake(encoder)?;
        Ok(())
    }

    /// Records the composite + map pass of every output into `targets` (one view per output, in
    /// stage order, of the renderer's output format: PQ and EXR outputs show their code values).
    /// The preview window passes its own views here.
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
            let fmt = self.options.output_format;
            self.composite
                .record(encoder, k, o.instances.clone(), t, fmt)?;
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
        for (k, o) in self.outputs.iter().chain(&self.wall).enumerate() {
            if self.skip.get(k) == Some(&true) {
                continue;
            }
            let c = &self.composite;
            c.record(encoder, k, o.instances.clone(), &o.view, o.format)?;
        }
        if self.options.camera {
            self.render_camera(encoder)?;
        }
        Ok(())
    }

    /// Records the simulated camera: the lit wall seen from the entrance pupil, then the lens.
    pub fn render_camera(&self, encoder: &mut wgpu::CommandEncoder) -> Result<(), RenderError> {
        let pin = self
            .targets
            .pinhole
            .as_ref()
            .ok_or(RenderError::NotPrepared)?;
        self.camera_view.record(
            encoder,
            self.camera_view.camera()?,
            &pin.color,
            &pin.depth,
            wgpu::Color::BLACK,
            pin.size,
        );
        self.lens_warp.record(encoder, &self.targets)
    }

    /// Prepares a view of the lit wall from anywhere (the preview window's orbiting viewer) for this
    /// frame: `clip = view_proj * (world - eye, 1)` with a reversed-Z projection (e.g.
    /// [`view::camera_view_proj`]). Call after [`Renderer::prepare`] (which forgets the previous
    /// frame's views), then draw it with [`Renderer::render_wall_view`].
    pub fn prepare_wall_view(
        &mut self,
        gpu: &Gpu,
        view_proj: DMat4,
        eye: DVec3,
    ) -> Result<WallView, RenderError> {
        if self.inputs.is_none() {
            return Err(RenderError::NotPrepared);
        }
        let (alloc, pass) = (&self.alloc, &mut self.camera_view);
        Ok(gpu.scoped("preparing a view of the wall", || {
            pass.prepare_view(alloc, gpu, view_proj, eye)
        })?)
    }

    /// Records the lit wall seen from `view` (see [`Renderer::prepare_wall_view`]) into `color`
    /// ([`crate::scene::SCENE_COLOR_FORMAT`], cleared to `background`) with `depth`
    /// ([`crate::scene::SCENE_DEPTH_FORMAT`], same size): the simulated camera's pipeline (cabinets in
    /// 3D reading their LEDs from the output textures). Record after the outputs.
    pub fn render_wall_view(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        view: &WallView,
        color: &wgpu::TextureView,
        depth: &wgpu::TextureView,
        background: wgpu::Color,
    ) -> Result<(), RenderError> {
        let t = color.texture();
        self.camera_view.record(
            encoder,
            *view,
            color,
            depth,
            background,
            UVec2::new(t.width(), t.height()),
        );
        Ok(())
    }

    /// Records a direct render of `scene` from the camera (pinhole, through the lens warp) into the
    /// camera view: the reference that the camera's view of the wall must match inside the frustum.
    pub fn render_reference(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        scene: &dyn Scene,
    ) -> Result<(), RenderError> {
        self.scene.record_reference(encoder, &self.targets, scene)?;
        self.lens_warp.record(encoder, &self.targets)
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

    /// The unwrapped wall's tiles, if enabled: each tile's top-left pixel in the wall image and its
    /// texture (one tile at the origin when the wall fits the adapter's texture limit).
    pub fn wall_textures(&self) -> impl Iterator<Item = (UVec2, &wgpu::Texture)> {
        self.wall_tiles
            .iter()
            .zip(&self.wall)
            .map(|(t, r)| (t.origin, &r.texture))
    }

    /// Size in pixels of the unwrapped wall image, if enabled.
    pub fn wall_size(&self) -> Option<UVec2> {
        self.wall_size.filter(|_| !self.wall.is_empty())
    }

    /// The camera view's texture (exactly [`Renderer::camera_size`]), once prepared.
    pub fn camera_texture(&self) -> Option<&wgpu::Texture> {
        self.targets.camera.as_ref().map(|c| &c.texture)
    }

    /// The inputs of the last `prepare` (its primary camera).
    pub fn inputs(&self) -> Option<&FrameInputs> {
        self.inputs.as_ref()
    }

    /// The cameras of the last `prepare`, in drawing order (the first lowest, the last on top).
    pub fn cameras(&self) -> &[FrameInputs] {
        &self.cameras
    }
}
