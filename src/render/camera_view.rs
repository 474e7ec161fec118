//! The camera's view of the wall: the cabinets drawn in 3D (one instanced draw per output), each
//! fragment showing the LED pixel it covers, read from that output's texture through the placement
//! (`shaders/camera_view.wgsl`). Used for the simulated camera's pinhole image and for any other view
//! of the lit wall (the preview's orbiting viewer: [`WallView`]).

use std::ops::Range;

use glam::{DMat4, DVec3, UVec2};

use super::emitted::EmittedLight;
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
    /// Per output: the uniform of its texels' decoding into light ([`EmittedLight`]).
    emitted: Vec<wgpu::Buffer>,
    camera: Option<WallView>,
}

impl CameraViewPass {
    /// The pass over `outputs`, in stage order (each output's view, its panels, and its sub-frame
    /// regions: origin and the camera of a `Camera` sub-frame; empty without frame remapping),
    /// whose texels `emitted` decodes into light (parallel to `outputs`): the pipeline and one
    /// bind group per output texture.
    pub fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        panels: &wgpu::Buffer,
        outputs: &[(&wgpu::TextureView, Range<u32>, OutputRegions)],
        emitted: &[EmittedLight],
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
                uniform_entry_of::<EmittedLight>(2, wgpu::ShaderStages::FRAGMENT, false),
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
        let emitted: Vec<wgpu::Buffer> = emitted
            .iter()
            .map(|e| {
                alloc.buffer_init(
                    gpu,
                    "camera view emitted light",
                    bytemuck::bytes_of(e),
                    wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                )
            })
            .collect();
        debug_assert_eq!(emitted.len(), outputs.len(), "one decoding per output");
        let output_groups = outputs
            .iter()
            .zip(&regions)
            .zip(&emitted)
            .map(|(((view, _, _), (_, region)), emitted)| {
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
                            wgpu::BindGroupEntry {
                                binding: 2,
                                resource: emitted.as_entire_binding(),
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
            emitted,
            camera: None,
        }
    }

    /// Writes each output's decoding (a colour edit: [`crate::render::Renderer::recolour`]),
    /// parallel to the outputs the pass was made with.
    pub fn set_emitted(&self, gpu: &Gpu, emitted: &[EmittedLight]) {
        for (buffer, e) in self.emitted.iter().zip(emitted) {
            gpu.queue.write_buffer(buffer, 0, bytemuck::bytes_of(e));
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

/// Largest relative difference between a sensor's aspect (width / height in millimetres) and one
/// of [`STANDARD_ASPECTS`] for the picture to take that ratio exactly: sensor sizes are given in
/// rounded millimetres (a "16:9" sensor of 24.89 x 14.01 mm is 0.12 % off 16:9).
pub const ASPECT_SNAP: f64 = 0.0025;

/// Picture aspect ratios of the field, as `(p, q)` for p:q: 1:1, 5:4, 4:3, 3:2, 16:10, 16:9,
/// DCI 17:9 (4096 x 2160, 256:135), 1.85:1, 2:1, 2.39:1.
pub const STANDARD_ASPECTS: [(u32, u32); 10] = [
    (1, 1),
    (5, 4),
    (4, 3),
    (3, 2),
    (8, 5),
    (16, 9),
    (256, 135),
    (37, 20),
    (2, 1),
    (239, 100),
];

/// The ratio of [`STANDARD_ASPECTS`] nearest to `aspect` (width / height) within [`ASPECT_SNAP`] of
/// it; `None` when none is that close or the aspect is not a positive finite number.
pub fn standard_aspect(aspect: f64) -> Option<(u32, u32)> {
    if !(aspect.is_finite() && aspect > 0.0) {
        return None;
    }
    let off = |&(p, q): &(u32, u32)| (p as f64 / q as f64 / aspect - 1.0).abs();
    STANDARD_ASPECTS
        .iter()
        .filter(|r| off(r) <= ASPECT_SNAP)
        .min_by(|a, b| off(a).total_cmp(&off(b)))
        .copied()
}

/// Pixel size (w, h) of a picture of a sensor `sensor_mm` (width, height in millimetres): `width`
/// wide when given, else about `pixels` pixels in all. When the sensor's aspect is within
/// [`ASPECT_SNAP`] of a standard ratio ([`standard_aspect`]), the picture has that ratio exactly (a
/// 16:9 sensor gives 2560 x 1440 or 1920 x 1080, not 2560 x 1441): without `width` the width is a
/// multiple of the ratio's terms; with it the height is rounded from the ratio. Else the height is
/// the width times the sensor's height / width, rounded. At least 1 x 1.
pub fn picture_size(pixels: f64, sensor_mm: (f64, f64), width: Option<u32>) -> UVec2 {
    let (sw, sh) = sensor_mm;
    let aspect = sw / sh;
    let (w, h) = match (standard_aspect(aspect), width) {
        (Some((p, q)), None) => {
            let k = (pixels / (p as f64 * q as f64)).sqrt().round().max(1.0) as u32;
            (k * p, k * q)
        }
        (Some((p, q)), Some(w)) => (w, (w as f64 * q as f64 / p as f64).round() as u32),
        (None, w) => {
            let w = w
                .unwrap_or_else(|| (pixels * aspect).sqrt().round() as u32)
                .max(1);
            (w, (w as f64 / aspect).round() as u32)
        }
    };
    UVec2::new(w.max(1), h.max(1))
}

#[cfg(test)]
mod picture_tests {
    use super::*;

    #[test]
    fn sensors_near_a_standard_aspect_give_pictures_of_that_aspect() {
        // A "16:9" sensor in rounded millimetres (1.7766, 0.07 % off): 2560 x 1441 before.
        let sensor: (f64, f64) = (24.89, 14.01);
        assert_eq!(standard_aspect(24.89 / 14.01), Some((16, 9)));
        let old = 2560.0 * sensor.1 / sensor.0;
        assert!(
            (old.round() - 1441.0).abs() < 0.5,
            "the case the tryout saw: {old}"
        );
        assert_eq!(
            picture_size(0.0, sensor, Some(2560)),
            UVec2::new(2560, 1440)
        );
        assert_eq!(
            picture_size(2560.0 * 1440.0, sensor, None),
            UVec2::new(2560, 1440)
        );
        assert_eq!(
            picture_size(1920.0 * 1080.0, sensor, None),
            UVec2::new(1920, 1080)
        );
        // 3:2 full frame; DCI 17:9 kept exactly, not taken for 16:9 or 1.85:1.
        assert_eq!(
            picture_size(192.0 * 128.0, (36.0, 24.0), None),
            UVec2::new(192, 128)
        );
        assert_eq!(standard_aspect(4096.0 / 2160.0), Some((256, 135)));
        assert_eq!(
            picture_size(4096.0 * 2160.0, (4096.0, 2160.0), None),
            UVec2::new(4096, 2160)
        );
        // Far from every standard ratio (ARRI LF open gate, 36.70 x 25.54 mm, 1.437): the sensor's
        // own aspect, the height rounded.
        assert_eq!(standard_aspect(36.70 / 25.54), None);
        let lf = picture_size(0.0, (36.70, 25.54), Some(3000));
        assert_eq!(
            lf,
            UVec2::new(3000, (3000.0f64 * 25.54 / 36.70).round() as u32)
        );
        // Every picture's aspect is within the snap tolerance of the sensor's (plus rounding).
        for (w, h) in [
            (36.0, 24.0),
            (24.89, 14.01),
            (27.99, 19.22),
            (30.0, 10.0),
            (7.0, 13.0),
        ] {
            let s = picture_size(2_000_000.0, (w, h), None);
            let err = (s.x as f64 / s.y as f64) / (w / h) - 1.0;
            assert!(err.abs() <= ASPECT_SNAP + 1e-3, "{w} x {h}: {s}");
        }
        assert_eq!(standard_aspect(f64::NAN), None);
        assert_eq!(picture_size(0.0, (1.0, 1.0), None), UVec2::new(1, 1));
    }
}
