//! Mip-map generation on the GPU: each level from the level above by an exact box filter (the area
//! average, correct for odd sizes), in `shaders/mipmap.wgsl`.
//!
//! [`MipmapPass`] owns the pipeline for one colour format (created once); [`MipmapPass::chain`]
//! caches, for one texture, the per-level views and bind groups; [`MipmapPass::record`] encodes the
//! downsample chain (one small render pass per level) and writes nothing to the queue. The renderer
//! runs it on the inner frustum after the inner scene pass, so that the composite can sample the
//! inner image with each LED pixel's footprint (`docs/rendering.md`, "Sampling").

use glam::UVec2;

/// Number of levels of a full mip chain for a texture of `size` texels: `floor(log2(max(w, h))) + 1`
/// (1 for a 1 x 1 texture; a zero size counts as 1).
pub fn mip_level_count(size: UVec2) -> u32 {
    32 - size.max_element().max(1).leading_zeros()
}

/// Size of mip `level` of a texture of `size` texels: each axis halved `level` times, rounded down,
/// at least 1 (wgpu's and Vulkan's rule).
pub fn mip_size(size: UVec2, level: u32) -> UVec2 {
    let shift = level.min(31);
    UVec2::new((size.x >> shift).max(1), (size.y >> shift).max(1))
}

/// How the composite samples the inner frustum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InnerSampling {
    /// Trilinear through the inner target's mip chain with each LED pixel's footprint (analytic
    /// derivatives per panel): no moire or crawling. The mip chain is generated every frame.
    #[default]
    Footprint,
    /// Bilinear from level 0 only (no mip generation): aliases when an LED pixel covers more than
    /// one inner texel. A baseline for tests and benchmarks.
    Level0,
}

/// Why a texture's mip chain cannot be generated.
#[derive(Debug, thiserror::Error)]
pub enum MipmapError {
    /// The texture's format differs from the pass's.
    #[error("mip pass for {expected:?} given a {got:?} texture")]
    Format {
        expected: wgpu::TextureFormat,
        got: wgpu::TextureFormat,
    },
    /// The texture cannot be both sampled and rendered to.
    #[error("a mip-mapped texture needs TEXTURE_BINDING and RENDER_ATTACHMENT usage")]
    Usage,
}

/// The mip-generation pass for textures of one (renderable, filterable-or-not) colour format.
pub struct MipmapPass {
    format: wgpu::TextureFormat,
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::RenderPipeline,
}

/// One texture's cached mip views: a single-level view per level (the render target of that level,
/// and the source of the next) and the bind group reading each level.
pub struct MipChain {
    /// View of each level alone, level 0 first.
    levels: Vec<wgpu::TextureView>,
    /// `sources[k]` binds level `k` as the source of level `k + 1`.
    sources: Vec<wgpu::BindGroup>,
}

impl MipChain {
    /// The view of level `level` alone (level 0 is the scene pass's render target), if it exists.
    pub fn level(&self, level: u32) -> Option<&wgpu::TextureView> {
        self.levels.get(level as usize)
    }

    /// Number of levels.
    pub fn level_count(&self) -> u32 {
        self.levels.len() as u32
    }
}

impl MipmapPass {
    /// Creates the pipeline writing `format` (which must be renderable).
    pub fn new(device: &wgpu::Device, format: wgpu::TextureFormat) -> MipmapPass {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("mipmap layout"),
            entries: &[crate::render::texture_entry(
                0,
                wgpu::TextureViewDimension::D2,
                false,
            )],
        });
        let module =
            crate::render::shaders::module(device, "mipmap", crate::render::shaders::MIPMAP);
        let pipeline = crate::render::pipeline::render_pipeline(
            device,
            "mipmap pipeline",
            &module,
            &[Some(&layout)],
            format,
            false,
        );
        MipmapPass {
            format,
            layout,
            pipeline,
        }
    }

    /// The format this pass writes.
    pub fn format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// Creates the views and bind groups of every level of `texture` (2D, one layer, this pass's
    /// format, usage `TEXTURE_BINDING | RENDER_ATTACHMENT`). Create once per texture and keep.
    pub fn chain(
        &self,
        device: &wgpu::Device,
        texture: &wgpu::Texture,
    ) -> Result<MipChain, MipmapError> {
        if texture.format() != self.format {
            return Err(MipmapError::Format {
                expected: self.format,
                got: texture.format(),
            });
        }
        let needed = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::RENDER_ATTACHMENT;
        if !texture.usage().contains(needed) {
            return Err(MipmapError::Usage);
        }
        let levels: Vec<wgpu::TextureView> = (0..texture.mip_level_count())
            .map(|level| {
                texture.create_view(&wgpu::TextureViewDescriptor {
                    label: Some("mip level"),
                    dimension: Some(wgpu::TextureViewDimension::D2),
                    base_mip_level: level,
                    mip_level_count: Some(1),
                    base_array_layer: 0,
                    array_layer_count: Some(1),
                    ..Default::default()
                })
            })
            .collect();
        let sources = levels
            .iter()
            .take(levels.len().saturating_sub(1))
            .map(|view| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("mip source"),
                    layout: &self.layout,
                    entries: &[wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::TextureView(view),
                    }],
                })
            })
            .collect();
        Ok(MipChain { levels, sources })
    }

    /// Records the downsample chain of `chain`: level 1 from level 0, level 2 from level 1, and so on.
    /// Call after level 0 was drawn. Writes nothing to the queue.
    pub fn record(&self, encoder: &mut wgpu::CommandEncoder, chain: &MipChain) {
        for (source, target) in chain.sources.iter().zip(chain.levels.iter().skip(1)) {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("mipmap pass"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                ..Default::default()
            });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, source, &[]);
            pass.draw(0..3, 0..1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_chains_end_at_one_texel() {
        assert_eq!(mip_level_count(UVec2::new(1, 1)), 1);
        assert_eq!(mip_level_count(UVec2::new(2, 1)), 2);
        assert_eq!(mip_level_count(UVec2::new(960, 640)), 10);
        assert_eq!(mip_level_count(UVec2::new(1024, 3)), 11);
        let s = UVec2::new(37, 5);
        let n = mip_level_count(s);
        assert_eq!(mip_size(s, 1), UVec2::new(18, 2));
        assert_eq!(mip_size(s, 2), UVec2::new(9, 1));
        assert_eq!(mip_size(s, n - 1), UVec2::ONE);
        assert_ne!(mip_size(s, n - 2), UVec2::ONE);
    }
}
