//! Preparing a frame: one or several cameras. Each camera renders its own inner frustum; the
//! composite draws them over the outer in **drawing order**, the lowest priority first, so that
//! where frusta overlap the higher priority is on top and its soft edge blends over the lower one
//! (stage file: `Camera.priority`, `Render.reverse_priority`).

use glam::{DMat4, UVec2};

use super::composite::CompositeCamera;
use super::targets::{CubeTarget, ImageTarget, SceneTarget};
use super::{FrameInputs, InnerSampling, RASTER_USAGE, RenderError, Renderer, lens_warp, view};
use crate::gpu::Gpu;

/// Most cameras one frame draws together (the composite binds one inner render per camera).
pub const MAX_CAMERAS: usize = 4;

/// The drawing order of cameras of `priorities` (one per camera, in the order given): indices,
/// lowest priority first, so the last is on top. Equal priorities: the camera given first ends on
/// top. With `reverse`, the whole order is reversed (the lower priority on top).
pub fn draw_order(priorities: &[i32], reverse: bool) -> Vec<usize> {
    let mut order: Vec<usize> = (0..priorities.len()).collect();
    // Ascending priority; among equals, later cameras first (drawn lower).
    order.sort_by_key(|&k| (priorities[k], std::cmp::Reverse(k)));
    if reverse {
        order.reverse();
    }
    order
}

impl FrameInputs {
    /// The cameras of a frame of `stage`: `primary` first, then every other **enabled** camera of
    /// the stage in file order, each resolved from the state `state_of(name)` gives (a tracked
    /// state, e.g. from a take or live tracking) or, when it gives none, at its rest pose in the
    /// stage file; no overrides for them. What [`crate::render::Renderer::prepare_cameras`] takes.
    ///
    /// Errors: a camera whose settings cannot be resolved ([`FrameInputs::resolve`]).
    pub fn with_stage_cameras(
        stage: &crate::stage::Stage,
        primary: FrameInputs,
        state_of: impl Fn(&str) -> Option<crate::tracking::TrackedState>,
    ) -> Result<Vec<FrameInputs>, super::InputError> {
        let none = super::Overrides::default();
        let mut out = Vec::with_capacity(stage.cameras.len());
        for c in &stage.cameras {
            if c.name == primary.camera_name || !c.enabled {
                continue;
            }
            out.push(match state_of(&c.name) {
                Some(t) => FrameInputs::resolve_tracked(stage, &c.name, &t, &none)?,
                None => FrameInputs::resolve(stage, &c.name, &c.rest, &none)?,
            });
        }
        out.insert(0, primary);
        Ok(out)
    }
}

/// What the simulated camera's passes need, derived from the primary camera.
struct CameraViews {
    pinhole_view_proj: DMat4,
    pinhole: crate::camera::Tangents,
    /// Sub-samples per axis of each camera pixel in the pinhole view.
    supersample: u32,
}

impl Renderer {
    /// Prepares a frame of one camera: [`Renderer::prepare_cameras`] with `inputs` alone.
    ///
    /// Errors: as [`Renderer::prepare_cameras`].
    pub fn prepare(&mut self, gpu: &Gpu, inputs: &FrameInputs) -> Result<(), RenderError> {
        self.prepare_cameras(gpu, std::slice::from_ref(inputs))
    }

    /// Prepares a frame of `cameras` (at most [`MAX_CAMERAS`]; each resolved with
    /// [`FrameInputs::resolve`]; leave out the disabled ones): grows each camera's inner target
    /// (and, with [`super::RendererOptions::camera`], the pinhole and camera targets) when the
    /// frame needs more than it holds (sizes in buckets, see [`super::targets`]), and lets every
    /// pass write its uniforms. The first camera is the **primary** one: the outer viewpoint, the
    /// outer resolution and the light cards are its, and the simulated camera view is drawn from
    /// it (pass another camera first to view through it). The inner frusta are drawn in
    /// [`draw_order`] of their `priority`, ties to the camera given first, reversed with the
    /// stage's `render.reverse_priority`. Without `camera`, [`Renderer::render_camera`] and
    /// [`Renderer::render_reference`] answer [`RenderError::NotPrepared`].
    ///
    /// Errors: no camera or more than [`MAX_CAMERAS`]; a target beyond the adapter's limits
    /// (checked first, nothing changes), or a wgpu error while allocating or writing
    /// ([`crate::gpu::GpuError::Wgpu`]).
    pub fn prepare_cameras(
        &mut self,
        gpu: &Gpu,
        cameras: &[FrameInputs],
    ) -> Result<(), RenderError> {
        let Some(primary) = cameras.first() else {
            return Err(RenderError::NoCamera);
        };
        if cameras.len() > MAX_CAMERAS {
            return Err(RenderError::TooManyCameras(cameras.len()));
        }
        let camera_size = self.camera_size(primary);
        // The simulated camera is the camera as its video sees it (`video_delay`).
        let pin = self.pinhole_tangents(primary);
        let f = primary.video.frame_tangents;
        let (pinhole_size, supersample) = lens_warp::pinhole_size(
            camera_size,
            &pin,
            &f,
            self.options.camera_supersample,
            gpu.device.limits().max_texture_dimension_2d,
        );
        for c in cameras {
            let what = if cameras.len() == 1 {
                "inner frustum".to_string()
            } else {
                format!("inner frustum of camera '{}'", c.camera_name)
            };
            gpu.check_texture(&what, c.inner_resolution.x, c.inner_resolution.y)?;
        }
        gpu.check_texture(
            "outer cube map face",
            primary.outer_resolution,
            primary.outer_resolution,
        )?;
        gpu.check_texture("camera view", camera_size.x, camera_size.y)?;
        gpu.check_texture("camera pinhole view", pinhole_size.x, pinhole_size.y)?;
        let order = draw_order(
            &cameras.iter().map(|c| c.priority).collect::<Vec<_>>(),
            self.reverse_priority,
        );
        let drawn: Vec<FrameInputs> = order.iter().map(|&k| cameras[k].clone()).collect();
        let views = CameraViews {
            pinhole_view_proj: view::camera_view_proj(primary.video.pose.rotation, &pin),
            pinhole: pin,
            supersample,
        };
        gpu.scoped("preparing a frame", || {
            self.prepare_passes(gpu, primary, &drawn, &views, camera_size, pinhole_size)
        })??;
        self.inputs = Some(primary.clone());
        self.cameras = drawn;
        Ok(())
    }

    fn prepare_passes(
        &mut self,
        gpu: &Gpu,
        primary: &FrameInputs,
        drawn: &[FrameInputs],
        views: &CameraViews,
        camera_size: UVec2,
        pinhole_size: UVec2,
    ) -> Result<(), RenderError> {
        let (alloc, t) = (&self.alloc, &mut self.targets);
        let mips =
            (self.options.inner_sampling == InnerSampling::Footprint).then_some(&self.mipmap);
        if t.inner.len() < drawn.len() {
            t.inner.resize_with(drawn.len(), || None);
        }
        for (slot, c) in t.inner.iter_mut().zip(drawn) {
            SceneTarget::ensure(slot, alloc, gpu, "inner frustum", c.inner_resolution, mips)?;
        }
        CubeTarget::ensure(&mut t.outer, alloc, gpu, primary.outer_resolution);
        if self.options.camera {
            SceneTarget::ensure(
                &mut t.pinhole,
                alloc,
                gpu,
                "camera pinhole view",
                pinhole_size,
                None,
            )?;
            ImageTarget::ensure(
                &mut t.camera,
                alloc,
                gpu,
                "camera view",
                camera_size,
                self.options.output_format,
                RASTER_USAGE,
            );
        }
        let inner_views: Vec<DMat4> = drawn
            .iter()
            .map(|c| view::camera_view_proj(c.pose.rotation, &c.inner_tangents))
            .collect();
        let eyes: Vec<glam::DVec3> = drawn.iter().map(|c| c.eye).collect();
        self.scene.prepare(
            alloc,
            gpu,
            primary,
            &inner_views,
            &eyes,
            views.pinhole_view_proj,
        );
        let outer = self
            .targets
            .outer
            .as_ref()
            .ok_or(RenderError::NotPrepared)?;
        let composite_cameras: Vec<CompositeCamera<'_>> = drawn
            .iter()
            .zip(&inner_views)
            .zip(self.targets.inner.iter())
            .map(|((inputs, vp), target)| {
                target.as_ref().map(|target| CompositeCamera {
                    inputs,
                    view_proj: *vp,
                    target,
                })
            })
            .collect::<Option<_>>()
            .ok_or(RenderError::NotPrepared)?;
        self.composite.prepare(
            alloc,
            gpu,
            primary,
            &composite_cameras,
            outer,
            self.options.inner_sampling,
        )?;
        self.camera_view
            .prepare(alloc, gpu, views.pinhole_view_proj, primary.video.eye);
        if self.options.camera {
            self.lens_warp.prepare(
                alloc,
                gpu,
                primary,
                views.pinhole,
                views.supersample,
                &self.targets,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_priority_is_drawn_last_and_ties_keep_the_first_on_top() {
        // Priorities of cameras given as A, B, C, D.
        assert_eq!(draw_order(&[0, 5, -1, 0], false), vec![2, 3, 0, 1]);
        // Reversed: the lowest on top.
        assert_eq!(draw_order(&[0, 5, -1, 0], true), vec![1, 0, 3, 2]);
        assert_eq!(draw_order(&[], false), Vec::<usize>::new());
        // All equal: the first given on top.
        assert_eq!(draw_order(&[1, 1, 1], false), vec![2, 1, 0]);
    }
}
