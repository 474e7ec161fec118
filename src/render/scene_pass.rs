//! The scene passes: the outer cube map (six faces from the outer viewpoint), the inner frustum (from
//! the entrance pupil, overscan included) and the camera's reference view (the scene seen directly
//! through the pinhole, before the lens). Each draws the [`Scene`] with its view bound at group 0 by a
//! dynamic offset into this pass's [`UniformRing`] of [`ViewUniform`]s.

use glam::DMat4;

use super::pipeline::scene_pass;
use super::ring::UniformRing;
use super::targets::{Allocator, Targets};
use super::view::{self, ViewUniform};
use super::{FrameInputs, RenderError};
use crate::gpu::Gpu;
use crate::scene::{Frustum, Scene, ViewBinding};

/// Offsets of this frame's views.
#[derive(Clone, Debug, Default)]
struct Offsets {
    faces: [u32; 6],
    /// Each camera's inner frustum, in drawing order.
    inner: Vec<u32>,
    reference: u32,
    /// Frustums of the six faces and the reference view.
    frustums: [Frustum; 7],
    /// Frustums of the inner views.
    inner_frustums: Vec<Frustum>,
}

/// The scene passes of a frame.
pub struct ScenePasses {
    layout: wgpu::BindGroupLayout,
    views: UniformRing<ViewUniform>,
    group: (u64, wgpu::BindGroup),
    offsets: Option<Offsets>,
}

impl ScenePasses {
    /// Creates the view layout (group 0 of every scene pipeline) and the view ring.
    pub fn new(alloc: &Allocator, gpu: &Gpu) -> ScenePasses {
        let layout = crate::gpu::layout::view_layout(&gpu.device);
        let views = UniformRing::new(alloc, gpu, "scene views", 8);
        let group = (views.generation(), Self::group(alloc, gpu, &layout, &views));
        ScenePasses {
            layout,
            views,
            group,
            offsets: None,
        }
    }

    fn group(
        alloc: &Allocator,
        gpu: &Gpu,
        layout: &wgpu::BindGroupLayout,
        views: &UniformRing<ViewUniform>,
    ) -> wgpu::BindGroup {
        alloc.bind_group(
            gpu,
            &wgpu::BindGroupDescriptor {
                label: Some("scene view bind group"),
                layout,
                entries: &[wgpu::BindGroupEntry {
                    binding: 0,
                    resource: views.binding(),
                }],
            },
        )
    }

    /// The layout scenes build their pipelines with (group 0).
    pub fn view_layout(&self) -> &wgpu::BindGroupLayout {
        &self.layout
    }

    /// Writes the frame's views: six cube faces from `inputs.outer_viewpoint`, each camera's inner
    /// frustum (`inner_view_projs` seen from `eyes`, in drawing order), the primary camera's pinhole
    /// (from its video camera, [`FrameInputs::video`]).
    pub fn prepare(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        inputs: &FrameInputs,
        inner_view_projs: &[DMat4],
        eyes: &[glam::DVec3],
        pinhole_view_proj: DMat4,
    ) {
        self.views.reset();
        let mut faces = [0; 6];
        for (face, o) in faces.iter_mut().enumerate() {
            *o = self.views.push(&ViewUniform::new(
                view::cube_face_view_proj(face),
                inputs.outer_viewpoint,
            ));
        }
        let inner: Vec<u32> = inner_view_projs
            .iter()
            .zip(eyes)
            .map(|(vp, eye)| self.views.push(&ViewUniform::new(*vp, *eye)))
            .collect();
        let reference = self
            .views
            .push(&ViewUniform::new(pinhole_view_proj, inputs.video.eye));
        self.views.flush(alloc, gpu);
        if self.group.0 != self.views.generation() {
            self.group = (
                self.views.generation(),
                Self::group(alloc, gpu, &self.layout, &self.views),
            );
        }
        let frustums = std::array::from_fn(|k| match k {
            0..6 => Frustum::from_view_proj(view::cube_face_view_proj(k), inputs.outer_viewpoint),
            _ => Frustum::from_view_proj(pinhole_view_proj, inputs.eye),
        });
        let inner_frustums = inner_view_projs
            .iter()
            .zip(eyes)
            .map(|(vp, eye)| Frustum::from_view_proj(*vp, *eye))
            .collect();
        self.offsets = Some(Offsets {
            faces,
            inner,
            reference,
            frustums,
            inner_frustums,
        });
    }

    fn binding(&self, offset: u32, frustum: Frustum) -> ViewBinding<'_> {
        ViewBinding {
            bind_group: &self.group.1,
            offset,
            frustum,
        }
    }

    /// Records the outer cube faces (unless `draw_outer` is false: the outer is frozen and not baked
    /// this frame) and each camera's inner frustum.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        targets: &Targets,
        scene: &dyn Scene,
        draw_outer: bool,
    ) -> Result<(), RenderError> {
        let (Some(o), Some(outer)) = (&self.offsets, &targets.outer) else {
            return Err(RenderError::NotPrepared);
        };
        let faces = if draw_outer { outer.faces.len() } else { 0 };
        for (face, color) in outer.faces.iter().enumerate().take(faces) {
            let mut pass = scene_pass(
                encoder,
                "outer cube face pass",
                color,
                &outer.depth,
                wgpu::Color::BLACK,
                glam::UVec2::splat(outer.edge),
            );
            scene.draw(&mut pass, &self.binding(o.faces[face], o.frustums[face]));
        }
        for (k, (offset, frustum)) in o.inner.iter().zip(&o.inner_frustums).enumerate() {
            let Some(Some(inner)) = targets.inner.get(k) else {
                return Err(RenderError::NotPrepared);
            };
            let mut pass = scene_pass(
                encoder,
                "inner frustum pass",
                &inner.color,
                &inner.depth,
                wgpu::Color::BLACK,
                inner.size,
            );
            scene.draw(&mut pass, &self.binding(*offset, *frustum));
        }
        Ok(())
    }

    /// Records the scene seen directly from the camera's pinhole into the pinhole target.
    pub fn record_reference(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        targets: &Targets,
        scene: &dyn Scene,
    ) -> Result<(), RenderError> {
        let (Some(o), Some(pin)) = (&self.offsets, &targets.pinhole) else {
            return Err(RenderError::NotPrepared);
        };
        let mut pass = scene_pass(
            encoder,
            "camera reference pass",
            &pin.color,
            &pin.depth,
            wgpu::Color::BLACK,
            pin.size,
        );
        scene.draw(&mut pass, &self.binding(o.reference, o.frustums[6]));
        Ok(())
    }
}
