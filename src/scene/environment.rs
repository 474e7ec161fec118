//! An equirectangular environment drawn as a background at infinity.

use std::path::{Path, PathBuf};

use glam::DVec3;
use wgpu::util::DeviceExt;

use super::{
    SCENE_COLOR_FORMAT, SCENE_DEPTH_COMPARE, SCENE_DEPTH_FORMAT, Scene, SceneContext, ViewBinding,
};
use crate::colour::transfer::srgb_decode;
use crate::gpu::{GpuError, layout};
use crate::shaders;

/// Why a scene (its environment or one of its glTF files) could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    /// The image could not be read or decoded.
    #[error("cannot read environment image {path}: {source}")]
    Image {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
    /// The image is larger than the GPU allows.
    #[error(transparent)]
    Limit(#[from] GpuError),
    /// The image's mip chain could not be set up.
    #[error(transparent)]
    Mipmap(#[from] crate::render::mipmap::MipmapError),
    /// A glTF file of the scene could not be loaded (every problem in it listed).
    #[error(transparent)]
    Gltf(#[from] super::gltf::GltfError),
}

/// The former name of [`SceneError`], kept for callers that name it.
pub type EnvironmentError = SceneError;

/// The equirectangular `(u, v)` of a unit direction (conventions.md): `u = 0.5 + atan2(x, -z) / 2pi`,
/// `v = acos(y) / pi`. Mirrors `equirect_uv` in `shaders/common.wgsl`.
pub fn equirect_uv(d: DVec3) -> (f64, f64) {
    let n = d.normalize();
    (
        0.5 + n.x.atan2(-n.z) / std::f64::consts::TAU,
        n.y.clamp(-1.0, 1.0).acos() / std::f64::consts::PI,
    )
}

/// `EnvParams` of `shaders/environment.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct EnvParams {
    yaw_cs: [f32; 2],
    intensity: f32,
    pad: f32,
}

/// Size and (member, offset) of [`EnvParams`].
#[cfg(test)]
pub(super) fn params_layout() -> (usize, Vec<(&'static str, usize)>) {
    use std::mem::offset_of;
    (
        std::mem::size_of::<EnvParams>(),
        vec![
            ("yaw_cs", offset_of!(EnvParams, yaw_cs)),
            ("intensity", offset_of!(EnvParams, intensity)),
            ("pad", offset_of!(EnvParams, pad)),
        ],
    )
}

const _: () = assert!(std::mem::size_of::<EnvParams>() == 16);

/// An equirectangular environment image with a yaw rotation.
pub struct Environment {
    texture: wgpu::Texture,
    pipeline: wgpu::RenderPipeline,
    bind_group: wgpu::BindGroup,
}

impl Environment {
    /// Loads a PNG, JPEG, Radiance HDR or EXR image: 8-bit images are sRGB, 16-bit PNGs are sRGB
    /// decoded at full precision, HDR/EXR are linear (see [`environment_texels`]).
    pub fn load(
        ctx: &SceneContext<'_>,
        path: &Path,
        yaw_deg: f64,
    ) -> Result<Environment, EnvironmentError> {
        Self::from_image(ctx, &open_image(path)?, yaw_deg)
    }

    /// An environment from a decoded image, uploaded as [`environment_texels`] says (so that
    /// sampling returns linear values).
    pub fn from_image(
        ctx: &SceneContext<'_>,
        img: &image::DynamicImage,
        yaw_deg: f64,
    ) -> Result<Environment, EnvironmentError> {
        ctx.gpu
            .check_texture("environment image", img.width(), img.height())?;
        Self::upload(ctx, img, yaw_deg)
    }

    /// Uploads an image that fits the device's limits.
    fn upload(
        ctx: &SceneContext<'_>,
        img: &image::DynamicImage,
        yaw_deg: f64,
    ) -> Result<Environment, EnvironmentError> {
        let (format, bytes) = environment_texels(img);
        Self::from_texels(ctx, img.width(), img.height(), format, &bytes, yaw_deg)
    }

    /// The uploaded image (mip level 0 holds the texels of [`environment_texels`], the other
    /// levels their box-filtered reductions). Readable with [`crate::render::read_texture`].
    pub fn texture(&self) -> &wgpu::Texture {
        &self.texture
    }

    /// The default sky: a procedural gradient from a warm horizon to a blue zenith over a dark ground.
    pub fn sky(ctx: &SceneContext<'_>) -> Result<Environment, EnvironmentError> {
        // 64 x 64 fits every adapter (WebGPU guarantees 8192).
        Self::upload(ctx, &sky_image(), 0.0)
    }
}

/// The texture format and level-0 bytes (rows top to bottom, tightly packed) an environment
/// image is uploaded as:
/// - 32-bit float images (Radiance HDR, EXR): linear values as [`wgpu::TextureFormat::Rgba16Float`],
///   clamped to +-65504 (an HDR sun at 100,000 becomes 65504, never infinity; NaN becomes 0);
/// - 16-bit images (`Rgb16`, `Rgba16`, `Luma16`, `LumaA16`, e.g. 16-bit PNGs): colour codes are
///   sRGB-decoded at full precision, `linear = srgb_decode(code / 65535)` with the sRGB EOTF of
///   IEC 61966-2-1 ([`crate::colour::transfer::srgb_decode`], evaluated in `f64` for each of the
///   65,536 codes), alpha is `code / 65535`; uploaded as `Rgba16Float`, the precision of the
///   scene's render targets ([`super::SCENE_COLOR_FORMAT`]): nothing is cut to 8 bits (relative
///   error at most 2^-11, half-float rounding);
/// - every other image (8-bit PNG, JPEG, ...): 8-bit sRGB as [`wgpu::TextureFormat::Rgba8UnormSrgb`]
///   (decoded by the sampler).
pub fn environment_texels(img: &image::DynamicImage) -> (wgpu::TextureFormat, Vec<u8>) {
    use image::DynamicImage as D;
    let halves: Vec<half::f16> = match img {
        D::ImageRgb32F(_) | D::ImageRgba32F(_) => img
            .to_rgba32f()
            .as_raw()
            .iter()
            .map(|&v| half::f16::from_f64(crate::colour::clamp_f16(f64::from(v))))
            .collect(),
        D::ImageRgb16(_) | D::ImageRgba16(_) | D::ImageLuma16(_) | D::ImageLumaA16(_) => {
            let decode = srgb16_table();
            img.to_rgba16()
                .pixels()
                .flat_map(|p| {
                    let [r, g, b, a] = p.0;
                    [
                        decode[r as usize],
                        decode[g as usize],
                        decode[b as usize],
                        half::f16::from_f64(f64::from(a) / 65535.0),
                    ]
                })
                .collect()
        }
        _ => {
            return (
                wgpu::TextureFormat::Rgba8UnormSrgb,
                img.to_rgba8().into_raw(),
            );
        }
    };
    (
        wgpu::TextureFormat::Rgba16Float,
        bytemuck::cast_slice::<half::f16, u8>(&halves).to_vec(),
    )
}

/// The sRGB EOTF of every 16-bit code, `srgb_decode(code / 65535)` evaluated in `f64` and rounded
/// once to half float.
fn srgb16_table() -> Vec<half::f16> {
    (0..=u16::MAX)
        .map(|c| half::f16::from_f64(srgb_decode(f64::from(c) / 65535.0)))
        .collect()
}

/// Reads an environment image (PNG, JPEG, Radiance HDR or EXR).
pub fn open_image(path: &Path) -> Result<image::DynamicImage, SceneError> {
    image::open(path).map_err(|source| SceneError::Image {
        path: path.to_path_buf(),
        source,
    })
}

/// The procedural sky as an equirectangular linear image (64 x 64).
pub fn sky_image() -> image::DynamicImage {
    let (w, h) = (64u32, 64u32);
    {
        let mut img = image::Rgba32FImage::new(w, h);
        for (_, y, p) in img.enumerate_pixels_mut() {
            let v = (y as f32 + 0.5) / h as f32;
            let up = (std::f32::consts::PI * v).cos(); // direction's y
            let c = if up >= 0.0 {
                let t = up.powf(0.5);
                [0.85 - 0.6 * t, 0.80 - 0.45 * t, 0.75 - 0.05 * t]
            } else {
                let t = (-up).powf(0.5);
                [0.30 - 0.2 * t, 0.27 - 0.18 * t, 0.24 - 0.16 * t]
            };
            *p = image::Rgba([c[0], c[1], c[2], 1.0]);
        }
        image::DynamicImage::ImageRgba32F(img)
    }
}

impl Environment {
    fn from_texels(
        ctx: &SceneContext<'_>,
        width: u32,
        height: u32,
        format: wgpu::TextureFormat,
        bytes: &[u8],
        yaw_deg: f64,
    ) -> Result<Environment, EnvironmentError> {
        let device = &ctx.gpu.device;
        // A full mip chain, level 0 uploaded and the others box-filtered on the GPU, so that the
        // environment is sampled with each pixel's footprint (no shimmer when minified).
        let size = wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        };
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("environment texture"),
            size,
            mip_level_count: crate::render::mipmap::mip_level_count(glam::UVec2::new(
                width, height,
            )),
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_DST
                | wgpu::TextureUsages::COPY_SRC
                | wgpu::TextureUsages::RENDER_ATTACHMENT,
            view_formats: &[],
        });
        ctx.gpu.queue.write_texture(
            texture.as_image_copy(),
            bytes,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(width * format.block_copy_size(None).unwrap_or(4)),
                rows_per_image: Some(height),
            },
            size,
        );
        let mips = crate::render::mipmap::MipmapPass::new(device, format);
        let chain = mips.chain(device, &texture)?;
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("environment mip encoder"),
        });
        mips.record(&mut encoder, &chain);
        ctx.gpu.queue.submit([encoder.finish()]);
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("environment sampler"),
            address_mode_u: wgpu::AddressMode::Repeat,
            address_mode_v: wgpu::AddressMode::ClampToEdge,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            mipmap_filter: wgpu::MipmapFilterMode::Linear,
            ..Default::default()
        });
        // A stage direction d looks up the image at Ry(-yaw) d: positive yaw turns the image left.
        let yaw = -yaw_deg.to_radians();
        let params = EnvParams {
            yaw_cs: [yaw.cos() as f32, yaw.sin() as f32],
            intensity: 1.0,
            pad: 0.0,
        };
        let params_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("environment params"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("environment layout"),
            entries: &[
                layout::texture_entry(0, wgpu::TextureViewDimension::D2, true),
                layout::sampler_entry(1),
                layout::uniform_entry_of::<EnvParams>(2, wgpu::ShaderStages::FRAGMENT, false),
            ],
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("environment bind group"),
            layout: &layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(&sampler),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: params_buf.as_entire_binding(),
                },
            ],
        });
        let module = shaders::module(device, "environment", shaders::ENVIRONMENT);
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("environment pipeline layout"),
            bind_group_layouts: &[Some(ctx.view_layout), Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("environment pipeline"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: Some(wgpu::DepthStencilState {
                format: SCENE_DEPTH_FORMAT,
                // At infinity (depth 0 with reversed-Z): drawn wherever nothing nearer was, whatever
                // the draw order.
                depth_write_enabled: Some(false),
                depth_compare: Some(SCENE_DEPTH_COMPARE),
                stencil: Default::default(),
                bias: Default::default(),
            }),
            multisample: Default::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(SCENE_COLOR_FORMAT.into())],
            }),
            multiview_mask: None,
            cache: None,
        });
        Ok(Environment {
            texture,
            pipeline,
            bind_group,
        })
    }
}

impl Scene for Environment {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, view.bind_group, &[view.offset]);
        pass.set_bind_group(1, &self.bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equirect_centre_looks_along_minus_z_and_x_is_right() {
        let (u, v) = equirect_uv(DVec3::NEG_Z);
        assert!((u - 0.5).abs() < 1e-12 && (v - 0.5).abs() < 1e-12);
        let (u, _) = equirect_uv(DVec3::X);
        assert!((u - 0.75).abs() < 1e-12);
        let (_, v) = equirect_uv(DVec3::Y);
        assert!(v.abs() < 1e-12);
    }

    /// The sRGB EOTF, IEC 61966-2-1:1999 section 5.2, written out here as the oracle.
    fn eotf(v: f64) -> f64 {
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    }

    /// Whether `got` is `exact` rounded to half float: within half a unit in the last place
    /// (2^-11 relative for normal halves, 2^-25 absolute below 2^-14).
    fn within_half_rounding(got: f64, exact: f64) -> bool {
        (got - exact).abs() <= (exact.abs() * 2f64.powi(-11)).max(2f64.powi(-25))
    }

    fn halves(bytes: &[u8]) -> Vec<f64> {
        bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f64())
            .collect()
    }

    #[test]
    fn sixteen_bit_images_are_decoded_at_full_precision() {
        // Codes 0x8000 and 0x8040 (and 0x0101, 0x0180) are one 8-bit code apart from nothing: an
        // 8-bit cut merges each pair.
        let codes: [u16; 8] = [0, 0x0101, 0x0180, 0x0a00, 0x8000, 0x8040, 0xfffe, 0xffff];
        let img = image::ImageBuffer::from_fn(8, 1, |x, _| {
            let c = codes[x as usize];
            image::Rgba([c, codes[7 - x as usize], c / 2, 0x4000])
        });
        let (format, bytes) = environment_texels(&image::DynamicImage::ImageRgba16(img));
        assert_eq!(format, wgpu::TextureFormat::Rgba16Float);
        let v = halves(&bytes);
        for x in 0..8 {
            let c = codes[x];
            let want = [
                eotf(c as f64 / 65535.0),
                eotf(codes[7 - x] as f64 / 65535.0),
                eotf((c / 2) as f64 / 65535.0),
                0x4000 as f64 / 65535.0,
            ];
            for k in 0..4 {
                assert!(
                    within_half_rounding(v[4 * x + k], want[k]),
                    "pixel {x} channel {k}: {} vs {}",
                    v[4 * x + k],
                    want[k]
                );
            }
        }
        assert_eq!(v[0], 0.0);
        assert_eq!(v[7 * 4], 1.0);
        // Pairs an 8-bit cut would merge stay distinct.
        assert!(v[4 * 4] < v[5 * 4] && v[4] < v[2 * 4], "{v:?}");
        assert_eq!(codes[4] >> 8, codes[5] >> 8);
        assert_eq!(codes[1] >> 8, codes[2] >> 8);
    }

    #[test]
    fn grey_sixteen_bit_images_fill_every_channel() {
        let img = image::ImageBuffer::from_fn(3, 1, |x, _| {
            image::Luma([[0u16, 0x8040, 0xffff][x as usize]])
        });
        let (format, bytes) = environment_texels(&image::DynamicImage::ImageLuma16(img));
        assert_eq!(format, wgpu::TextureFormat::Rgba16Float);
        let v = halves(&bytes);
        let mid = eotf(0x8040 as f64 / 65535.0);
        assert!(
            v[4..7].iter().all(|&g| within_half_rounding(g, mid)),
            "{v:?}"
        );
        assert_eq!(&v[8..12], &[1.0; 4]);
        assert_eq!(v[3], 1.0);
    }

    #[test]
    fn eight_bit_and_float_images_keep_their_formats() {
        let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            2,
            1,
            image::Rgb([1, 2, 3]),
        ));
        let (format, bytes) = environment_texels(&img);
        assert_eq!(format, wgpu::TextureFormat::Rgba8UnormSrgb);
        assert_eq!(bytes, vec![1, 2, 3, 255, 1, 2, 3, 255]);
        let img = image::DynamicImage::ImageRgba32F(image::Rgba32FImage::from_pixel(
            1,
            1,
            image::Rgba([100_000.0, f32::NAN, 0.25, 1.0]),
        ));
        let (format, bytes) = environment_texels(&img);
        assert_eq!(format, wgpu::TextureFormat::Rgba16Float);
        assert_eq!(halves(&bytes), vec![65504.0, 0.0, 0.25, 1.0]);
    }
}
