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
    /// when rendered); an output not kept ([`Renderer::keep_outputs`]) is an empty image (0 x 0).
    /// Errors: a failed read-back.
    pub fn read_frame(&self, gpu: &Gpu) -> Result<RenderedFrame, RenderError> {
        let mut outputs = Vec::new();
        for (k, o) in self.outputs.iter().enumerate() {
            let image = if self.skip.get(k) == Some(&true) {
                ReadImage {
                    width: 0,
                    height: 0,
                    format: o.texture.format(),
                    bytes: Vec::new(),
                }
            } else {
                read_texture(gpu, &o.texture)?
            };
            outputs.push((o.name.clone(), image));
        }
        let wall = match self.wall_size() {
            Some(size) => {
                let tiles = self
                    .wall_textures()
                    .map(|(origin, t)| Ok((origin, read_texture(gpu, t)?)))
                    .collect::<Result<Vec<_>, RenderError>>()?;
                Some(stitch(size, tiles))
            }
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

/// One image of `size` from tiles read back at their top-left pixels (the unwrapped wall rendered
/// in tiles): each tile's rows copied into place. One tile at the origin of the full size is
/// returned as it is. Tiles share one format.
fn stitch(size: glam::UVec2, mut tiles: Vec<(glam::UVec2, ReadImage)>) -> ReadImage {
    if tiles.len() == 1 && tiles[0].0 == glam::UVec2::ZERO {
        return tiles.remove(0).1;
    }
    let format = tiles
        .first()
        .map_or(wgpu::TextureFormat::Rgba8UnormSrgb, |t| t.1.format);
    let texel = format.block_copy_size(None).unwrap_or(4) as usize;
    let row = size.x as usize * texel;
    let mut bytes = vec![0u8; row * size.y as usize];
    for (origin, tile) in &tiles {
        let tile_row = tile.width as usize * texel;
        for y in 0..tile.height as usize {
            let at = (origin.y as usize + y) * row + origin.x as usize * texel;
            bytes[at..at + tile_row].copy_from_slice(&tile.bytes[y * tile_row..(y + 1) * tile_row]);
        }
    }
    ReadImage {
        width: size.x,
        height: size.y,
        format,
        bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stitching_puts_every_tile_texel_at_its_wall_pixel() {
        // A 7 x 5 image whose texel (x, y) holds (x, y, 0, 255), cut into 3 x 2 tiles.
        let size = glam::UVec2::new(7, 5);
        let tiles = crate::render::layout::wall_tiles(size, 3)
            .into_iter()
            .map(|t| {
                let mut bytes = Vec::new();
                for y in 0..t.size.y {
                    for x in 0..t.size.x {
                        bytes.extend([(t.origin.x + x) as u8, (t.origin.y + y) as u8, 0, 255]);
                    }
                }
                let img = ReadImage {
                    width: t.size.x,
                    height: t.size.y,
                    format: wgpu::TextureFormat::Rgba8Unorm,
                    bytes,
                };
                (t.origin, img)
            })
            .collect();
        let img = stitch(size, tiles);
        assert_eq!((img.width, img.height), (7, 5));
        for y in 0..5u32 {
            for x in 0..7u32 {
                let i = ((y * 7 + x) * 4) as usize;
                assert_eq!(&img.bytes[i..i + 4], &[x as u8, y as u8, 0, 255]);
            }
        }
    }
}
