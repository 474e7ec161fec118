//! Render targets sized in buckets, and the count of GPU allocations.
//!
//! A zoom changes the inner and pinhole resolutions every frame. Instead of a texture of exactly the
//! needed size, a target has a **capacity** rounded up to a multiple of [`BUCKET`] pixels per axis
//! ([`bucket`]) and grows only when a frame needs more than it holds; passes render into a viewport
//! of the needed size at the top-left corner and shaders sample that sub-rectangle (texel
//! coordinates clamped half a texel inside it, divided by the capacity), so what is drawn does not
//! depend on the capacity. Outer cube faces are sized exactly (a cube map cannot be sampled in a
//! sub-rectangle; the outer resolution is a stage setting, not zoom-dependent), and so is the camera
//! view (a presented image whose size is [`crate::render::RendererOptions::camera_width`] or the
//! inner width).

use std::sync::atomic::{AtomicU64, Ordering};

use glam::UVec2;

use crate::gpu::Gpu;
use crate::scene::{SCENE_COLOR_FORMAT, SCENE_DEPTH_FORMAT};

/// Granularity of bucketed targets in pixels.
pub const BUCKET: u32 = 256;

/// The capacity of a bucketed axis that must hold `needed` pixels: `needed` rounded up to a multiple
/// of [`BUCKET`], at most `max` (the adapter's limit, which `needed` never exceeds), at least 1.
pub fn bucket(needed: u32, max: u32) -> u32 {
    needed
        .max(1)
        .div_ceil(BUCKET)
        .saturating_mul(BUCKET)
        .min(max)
        .max(needed.max(1))
}

/// The capacity a bucketed target of capacity `current` (None: none yet) must have to hold `needed`:
/// `current` when it is large enough on both axes, else grown per axis to the bucket of the need (and
/// never shrunk).
pub fn grown_capacity(current: Option<UVec2>, needed: UVec2, max: u32) -> UVec2 {
    let b = UVec2::new(bucket(needed.x, max), bucket(needed.y, max));
    match current {
        Some(c) if c.x >= needed.x && c.y >= needed.y => c,
        Some(c) => c.max(b),
        None => b,
    }
}

/// Counts the textures and buffers a renderer creates, so that tests and benches can check that a
/// frame allocates nothing once warm.
#[derive(Debug, Default)]
pub struct Allocator {
    count: AtomicU64,
    bind_groups: AtomicU64,
    generation: AtomicU64,
}

impl Allocator {
    /// Textures and buffers created so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Bind groups created so far.
    pub fn bind_group_count(&self) -> u64 {
        self.bind_groups.load(Ordering::Relaxed)
    }

    /// Creates a bind group (counted).
    pub fn bind_group(&self, gpu: &Gpu, desc: &wgpu::BindGroupDescriptor<'_>) -> wgpu::BindGroup {
        self.bind_groups.fetch_add(1, Ordering::Relaxed);
        gpu.device.create_bind_group(desc)
    }

    /// A new id for a (re)allocated target, so that bind groups can be cached by the targets they bind.
    pub fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Creates a 2D texture (array of `layers`) with one mip level.
    pub fn texture(
        &self,
        gpu: &Gpu,
        label: &str,
        size: UVec2,
        layers: u32,
        format: wgpu::TextureFormat,
        usage: wgpu::TextureUsages,
    ) -> wgpu::Texture {
        self.texture_with_mips(gpu, label, size, layers, 1, format, usage)
    }

    /// Creates a 2D texture (array of `layers`) with `mips` mip levels.
    #[allow(clippy::too_many_arguments)]
    pub fn texture_with_mips(
        &self,
        gpu: &Gpu,
        label: &str,
        size: UVec2,
        layers: u32,
        mips: u32,
        format: wgpu::TextureFormat,
        usage: wgpu::TextureUsages,
    ) -> wgpu::Texture {
        self.count.fetch_add(1, Ordering::Relaxed);
        gpu.device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d {
                width: size.x,
                height: size.y,
                depth_or_array_layers: layers,
            },
            mip_level_count: mips,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage,
            view_formats: &[],
        })
    }

    /// Creates a texture of any dimension holding `data` (mip level 0, tightly packed).
    pub fn texture_with_data(
        &self,
        gpu: &Gpu,
        desc: &wgpu::TextureDescriptor<'_>,
        data: &[u8],
    ) -> wgpu::Texture {
        use wgpu::util::DeviceExt;
        self.count.fetch_add(1, Ordering::Relaxed);
        gpu.device.create_texture_with_data(
            &gpu.queue,
            desc,
            wgpu::util::TextureDataOrder::LayerMajor,
            data,
        )
    }

    /// Creates an uninitialised buffer.
    pub fn buffer(
        &self,
        gpu: &Gpu,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        self.count.fetch_add(1, Ordering::Relaxed);
        gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    /// Creates a buffer holding `contents`.
    pub fn buffer_init(
        &self,
        gpu: &Gpu,
        label: &str,
        contents: &[u8],
        usage: wgpu::BufferUsages,
    ) -> wgpu::Buffer {
        use wgpu::util::DeviceExt;
        self.count.fetch_add(1, Ordering::Relaxed);
        gpu.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage,
            })
    }
}

const SCENE_USAGE: wgpu::TextureUsages =
    wgpu::TextureUsages::RENDER_ATTACHMENT.union(wgpu::TextureUsages::TEXTURE_BINDING);

/// A scene colour + depth target of bucketed capacity, drawn in a viewport of `size`.
pub struct SceneTarget {
    /// Pixels in use (top-left), the frame's need.
    pub size: UVec2,
    /// Allocated pixels.
    pub capacity: UVec2,
    /// Colour ([`SCENE_COLOR_FORMAT`]), level 0: what the scene pass draws into.
    pub color: wgpu::TextureView,
    /// Colour, every mip level: what shaders sample (the same as `color` without mips).
    pub sampled: wgpu::TextureView,
    /// The mip chain's cached views, when the target has one (generated after the scene pass).
    /// The chain covers the whole capacity: with a capacity that is a multiple of [`BUCKET`], level
    /// `k`'s used part is the top-left `size / 2^k` texels (for `2^k <= BUCKET`), so texture
    /// coordinates `uv * size / capacity` hold at every level.
    pub mips: Option<crate::render::mipmap::MipChain>,
    /// Depth ([`SCENE_DEPTH_FORMAT`]).
    pub depth: wgpu::TextureView,
    /// Id of this allocation (see [`Allocator::next_generation`]).
    pub generation: u64,
}

impl SceneTarget {
    /// Makes `slot` hold `size` pixels: reuses its capacity when it suffices, else grows it. With
    /// `mips`, the colour texture has a full mip chain for that pass (created with the texture).
    ///
    /// Errors: the mip pass refuses the texture (format or usage).
    pub fn ensure(
        slot: &mut Option<SceneTarget>,
        alloc: &Allocator,
        gpu: &Gpu,
        label: &str,
        size: UVec2,
        mips: Option<&crate::render::mipmap::MipmapPass>,
    ) -> Result<(), crate::render::mipmap::MipmapError> {
        let max = gpu.device.limits().max_texture_dimension_2d;
        let capacity = grown_capacity(slot.as_ref().map(|t| t.capacity), size, max);
        match slot {
            Some(t) if t.capacity == capacity && t.mips.is_some() == mips.is_some() => {
                t.size = size
            }
            _ => {
                let levels = match mips {
                    Some(_) => crate::render::mipmap::mip_level_count(capacity),
                    None => 1,
                };
                let color = alloc.texture_with_mips(
                    gpu,
                    label,
                    capacity,
                    1,
                    levels,
                    SCENE_COLOR_FORMAT,
                    SCENE_USAGE,
                );
                let chain = match mips {
                    Some(pass) => Some(pass.chain(&gpu.device, &color)?),
                    None => None,
                };
                let depth = alloc.texture(
                    gpu,
                    &format!("{label} depth"),
                    capacity,
                    1,
                    SCENE_DEPTH_FORMAT,
                    wgpu::TextureUsages::RENDER_ATTACHMENT,
                );
                *slot = Some(SceneTarget {
                    size,
                    capacity,
                    color: color.create_view(&wgpu::TextureViewDescriptor {
                        label: Some(label),
                        mip_level_count: Some(1),
                        ..Default::default()
                    }),
                    sampled: color.create_view(&Default::default()),
                    mips: chain,
                    depth: depth.create_view(&Default::default()),
                    generation: alloc.next_generation(),
                });
            }
        }
        Ok(())
    }

    /// `(size.x, size.y, capacity.x, capacity.y)`: what shaders need to sample the used part.
    pub fn extent(&self) -> [f32; 4] {
        [
            self.size.x as f32,
            self.size.y as f32,
            self.capacity.x as f32,
            self.capacity.y as f32,
        ]
    }
}

/// The outer cube map (six faces of `edge` pixels) and its depth.
pub struct CubeTarget {
    /// Edge of a face in pixels.
    pub edge: u32,
    /// One 2D view per face, in wgpu's order (+X, -X, +Y, -Y, +Z, -Z).
    pub faces: Vec<wgpu::TextureView>,
    /// The cube view the composite samples.
    pub cube: wgpu::TextureView,
    /// Depth of one face (reused by each).
    pub depth: wgpu::TextureView,
    /// Id of this allocation.
    pub generation: u64,
}

impl CubeTarget {
    /// Makes `slot` a cube of `edge`, reallocating only when the edge changes.
    pub fn ensure(slot: &mut Option<CubeTarget>, alloc: &Allocator, gpu: &Gpu, edge: u32) {
        if slot.as_ref().is_some_and(|c| c.edge == edge) {
            return;
        }
        let n = UVec2::splat(edge);
        let t = alloc.texture(gpu, "outer cube map", n, 6, SCENE_COLOR_FORMAT, SCENE_USAGE);
        let depth = alloc.texture(
            gpu,
            "outer depth",
            n,
            1,
            SCENE_DEPTH_FORMAT,
            wgpu::TextureUsages::RENDER_ATTACHMENT,
        );
        let faces = (0..6)
            .map(|face| {
                t.create_view(&wgpu::TextureViewDescriptor {
                    label: Some("outer cube face"),
                    dimension: Some(wgpu::TextureViewDimension::D2),
                    base_array_layer: face,
                    array_layer_count: Some(1),
                    ..Default::default()
                })
            })
            .collect();
        let cube = t.create_view(&wgpu::TextureViewDescriptor {
            label: Some("outer cube view"),
            dimension: Some(wgpu::TextureViewDimension::Cube),
            ..Default::default()
        });
        *slot = Some(CubeTarget {
            edge,
            faces,
            cube,
            depth: depth.create_view(&Default::default()),
            generation: alloc.next_generation(),
        });
    }
}

/// An image of exactly `size` pixels in the output format (the camera view).
pub struct ImageTarget {
    /// Size in pixels.
    pub size: UVec2,
    /// The texture (read back by `render_frame`, shown by the preview).
    pub texture: wgpu::Texture,
    /// Its view.
    pub view: wgpu::TextureView,
}

impl ImageTarget {
    /// Makes `slot` an image of `size`, reallocating only when the size changes.
    pub fn ensure(
        slot: &mut Option<ImageTarget>,
        alloc: &Allocator,
        gpu: &Gpu,
        label: &str,
        size: UVec2,
        format: wgpu::TextureFormat,
        usage: wgpu::TextureUsages,
    ) {
        if slot.as_ref().is_some_and(|t| t.size == size) {
            return;
        }
        let texture = alloc.texture(gpu, label, size, 1, format, usage);
        *slot = Some(ImageTarget {
            size,
            view: texture.create_view(&Default::default()),
            texture,
        });
    }
}

/// Every target whose size depends on the frame.
#[derive(Default)]
pub struct Targets {
    /// Each camera's inner frustum, in drawing order (slots past the frame's cameras keep their
    /// textures for later frames).
    pub inner: Vec<Option<SceneTarget>>,
    /// The outer cube map.
    pub outer: Option<CubeTarget>,
    /// The camera's pinhole view (of the wall, or the reference render of the scene).
    pub pinhole: Option<SceneTarget>,
    /// The camera view after the lens.
    pub camera: Option<ImageTarget>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_up_to_multiples_of_256_within_the_limit() {
        assert_eq!(bucket(1, 8192), 256);
        assert_eq!(bucket(256, 8192), 256);
        assert_eq!(bucket(257, 8192), 512);
        assert_eq!(bucket(1920, 8192), 2048);
        assert_eq!(bucket(0, 8192), 256);
        // Never beyond the limit, never below the need.
        assert_eq!(bucket(8100, 8192), 8192);
        assert_eq!(bucket(300, 300), 300);
    }

    #[test]
    fn capacity_grows_per_axis_and_never_shrinks() {
        let c = grown_capacity(None, UVec2::new(300, 100), 8192);
        assert_eq!(c, UVec2::new(512, 256));
        // Smaller needs keep the capacity.
        assert_eq!(grown_capacity(Some(c), UVec2::new(20, 250), 8192), c);
        // A larger need on one axis grows that axis only.
        assert_eq!(
            grown_capacity(Some(c), UVec2::new(100, 700), 8192),
            UVec2::new(512, 768)
        );
    }
}
