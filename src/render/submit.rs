//! Submitting a frame and reading it back: the renderer's one-call entry points (`render_frame`,
//! `submit_frame` + `read_frame` for a live loop, `reference_view`), each inside error scopes.

use super::{ReadImage, RenderError, RenderedFrame, Renderer, read_texture};
use crate::gpu::Gpu;
use crate::scene::Scene;

impl Renderer {
    /// Records `record` into an encoder and submits it inside error scopes.
    pub(super) fn submit(
        &self,
        gpu: &Gpu,
        what: &str,
        record: impl FnOnce(&mut wgpu::CommandEncoder) -> Result<(), RenderError>,
    ) -> Result<(), RenderError> {
        gpu.scoped(what, || {
            let mut encoder = gpu
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(what) });
            record(&mut encoder)?;
            gpu.queue.submit([encoder.finish()]);
            Ok(())
        })?
    }

    /// Renders one frame of `scene`, submits it and reads every image back.
    ///
    /// Errors: [`RenderError::NotPrepared`], a wgpu error while recording or submitting (e.g. a scene
    /// that records an invalid draw) as [`crate::gpu::GpuError::Wgpu`] with wgpu's message, or a failed read-back.
    pub fn render_frame(&self, gpu: &Gpu, scene: &dyn Scene) -> Result<RenderedFrame, RenderError> {
        self.submit_frame(gpu, scene)?;
        self.read_frame(gpu)
    }

    /// Renders one frame of `scene` into the renderer's own textures and submits it, without
    /// reading anything back (a live loop that presents or discards its outputs). Errors as
    /// [`Renderer::render_frame`].
    pub fn submit_frame(&self, gpu: &Gpu, scene: &dyn Scene) -> Result<(), RenderError> {
        self.submit(gpu, "rendering a frame", |e| self.render(e, scene))
    }

    /// Reads back the images of the last submitted frame (outputs, and the wall and camera view
    /// when rendered). Errors: a failed read-back.
    pub fn read_frame(&self, gpu: &Gpu) -> Result<RenderedFrame, RenderError> {
        let mut outputs = Vec::new();
        for o in &self.outputs {
            outputs.push((o.name.clone(), read_texture(gpu, &o.texture)?));
        }
        let wall = match &self.wall {
            Some(w) => Some(read_texture(gpu, &w.texture)?),
            None => None,
        };
        let camera = match (self.options.camera, self.camera_texture()) {
            (true, Some(t)) => Some(read_texture(gpu, t)?),
            _ => None,
        };
        gpu.take_uncaptured("reading a frame back")?;
        Ok(RenderedFrame {
            outputs,
            wall,
            camera,
        })
    }

    /// Renders the reference camera view of `scene` (see [`Renderer::render_reference`]) and reads it back.
    pub fn reference_view(&self, gpu: &Gpu, scene: &dyn Scene) -> Result<ReadImage, RenderError> {
        self.submit(gpu, "rendering the reference view", |e| {
            self.render_reference(e, scene)
        })?;
        let t = self.camera_texture().ok_or(RenderError::NotPrepared)?;
        Ok(read_texture(gpu, t)?)
    }
}
