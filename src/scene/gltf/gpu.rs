//! Upload of an [`Asset`]: one vertex, index and instance buffer for the whole file, mip-mapped
//! textures (one per image and colour space, levels box-filtered on the GPU by
//! [`crate::render::mipmap::MipmapPass`]), samplers, one bind group per material, the lighting
//! uniform, and the two pipelines (opaque/mask with depth writes, blend without).

use std::collections::HashMap;

use wgpu::util::DeviceExt;

use super::asset::{Asset, Instance, Light, SamplerDesc, Vertex};
use super::error::{GltfProblem, Location};
use super::material::{MaterialUniform, SLOTS, TexRef};
use crate::gpu::layout;
use crate::scene::{
    Ambient, SCENE_COLOR_FORMAT, SCENE_DEPTH_COMPARE, SCENE_DEPTH_FORMAT, SceneContext,
};
use crate::shaders;

/// Lights drawn per glTF file; more are dropped with a warning.
pub const MAX_LIGHTS: usize = 16;

/// `Light` of `shaders/gltf.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct LightUniform {
    pub position_kind: [f32; 4],
    pub direction_range: [f32; 4],
    pub color: [f32; 4],
    pub cone: [f32; 4],
}

/// `Lighting` of `shaders/gltf.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct LightingUniform {
    pub sh: [[f32; 4]; 9],
    pub yaw_cs_count: [f32; 4],
    pub lights: [LightUniform; MAX_LIGHTS],
}

impl LightUniform {
    fn of(l: &Light) -> LightUniform {
        let scale = 1.0 / (l.cone_cos.0 - l.cone_cos.1).max(1e-3);
        LightUniform {
            position_kind: [l.position.x, l.position.y, l.position.z, l.kind as f32],
            direction_range: [l.direction.x, l.direction.y, l.direction.z, l.range],
            color: [l.color.x, l.color.y, l.color.z, 0.0],
            cone: [scale, -l.cone_cos.1 * scale, 0.0, 0.0],
        }
    }
}

/// Everything of one file on the GPU.
pub(super) struct GpuAsset {
    pub vertices: wgpu::Buffer,
    pub indices: wgpu::Buffer,
    pub instances: wgpu::Buffer,
    pub materials: Vec<wgpu::BindGroup>,
    pub lighting: wgpu::BindGroup,
    pub opaque: wgpu::RenderPipeline,
    pub blend: wgpu::RenderPipeline,
}

fn buffer(
    device: &wgpu::Device,
    label: &str,
    bytes: &[u8],
    usage: wgpu::BufferUsages,
) -> wgpu::Buffer {
    // wgpu refuses empty buffers bound as vertex buffers: keep at least one (unused) element.
    let padded;
    let contents = if bytes.is_empty() {
        padded = [0u8; 16];
        &padded[..]
    } else {
        bytes
    };
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents,
        usage,
    })
}

/// Uploads `asset`. Lights beyond [`MAX_LIGHTS`] and images over the GPU's size limit are dropped
/// with a warning (the image becomes the placeholder).
pub(super) fn upload(
    ctx: &SceneContext<'_>,
    asset: &Asset,
    ambient: &Ambient,
    warnings: &mut Vec<GltfProblem>,
) -> GpuAsset {
    let device = &ctx.gpu.device;
    let vertices = buffer(
        device,
        "glTF vertices",
        bytemuck::cast_slice(&asset.vertices),
        wgpu::BufferUsages::VERTEX,
    );
    let indices = buffer(
        device,
        "glTF indices",
        bytemuck::cast_slice(&asset.indices),
        wgpu::BufferUsages::INDEX,
    );
    let instances = buffer(
        device,
        "glTF instances",
        bytemuck::cast_slice(&asset.instances),
        wgpu::BufferUsages::VERTEX,
    );

    // Lighting (group 1).
    if asset.lights.len() > MAX_LIGHTS {
        warnings.push(GltfProblem::new(
            Location::Document,
            format!(
                "{} punctual lights; only the first {MAX_LIGHTS} are drawn",
                asset.lights.len()
            ),
        ));
    }
    let mut lighting = LightingUniform {
        sh: ambient.coefficients.map(|c| [c.x, c.y, c.z, 0.0]),
        yaw_cs_count: [
            ambient.yaw_cs.0,
            ambient.yaw_cs.1,
            asset.lights.len().min(MAX_LIGHTS) as f32,
            0.0,
        ],
        lights: [bytemuck::Zeroable::zeroed(); MAX_LIGHTS],
    };
    for (u, l) in lighting.lights.iter_mut().zip(&asset.lights) {
        *u = LightUniform::of(l);
    }
    let lighting_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("glTF lighting layout"),
        entries: &[layout::uniform_entry_of::<LightingUniform>(
            0,
            wgpu::ShaderStages::FRAGMENT,
            false,
        )],
    });
    let lighting_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("glTF lighting"),
        contents: bytemuck::bytes_of(&lighting),
        usage: wgpu::BufferUsages::UNIFORM,
    });
    let lighting = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("glTF lighting bind group"),
        layout: &lighting_layout,
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: lighting_buf.as_entire_binding(),
        }],
    });

    // Materials (group 2).
    let mut entries = vec![layout::uniform_entry_of::<MaterialUniform>(
        0,
        wgpu::ShaderStages::FRAGMENT,
        false,
    )];
    for k in 0..SLOTS as u32 {
        entries.push(layout::texture_entry(
            1 + 2 * k,
            wgpu::TextureViewDimension::D2,
            true,
        ));
        entries.push(layout::sampler_entry(2 + 2 * k));
    }
    let material_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("glTF material layout"),
        entries: &entries,
    });
    let mut textures = Textures::new(ctx);
    let white = textures.white();
    let materials = asset
        .materials
        .iter()
        .map(|m| {
            let views: Vec<(wgpu::TextureView, wgpu::Sampler)> = m
                .textures
                .iter()
                .map(|t| match t {
                    Some(t) => (
                        textures.view(asset, *t, warnings),
                        textures.sampler(asset, t.sampler),
                    ),
                    None => (white.clone(), textures.sampler(asset, None)),
                })
                .collect();
            let ubuf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("glTF material"),
                contents: bytemuck::bytes_of(&m.uniform),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let mut e = vec![wgpu::BindGroupEntry {
                binding: 0,
                resource: ubuf.as_entire_binding(),
            }];
            for (k, (v, s)) in views.iter().enumerate() {
                let k = k as u32;
                e.push(wgpu::BindGroupEntry {
                    binding: 1 + 2 * k,
                    resource: wgpu::BindingResource::TextureView(v),
                });
                e.push(wgpu::BindGroupEntry {
                    binding: 2 + 2 * k,
                    resource: wgpu::BindingResource::Sampler(s),
                });
            }
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("glTF material bind group"),
                layout: &material_layout,
                entries: &e,
            })
        })
        .collect();
    textures.finish();

    let module = shaders::module(device, "glTF", shaders::GLTF);
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("glTF pipeline layout"),
        bind_group_layouts: &[
            Some(ctx.view_layout),
            Some(&lighting_layout),
            Some(&material_layout),
        ],
        immediate_size: 0,
    });
    let pipeline = |blend: bool| {
        let vertex_attrs = wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 2 => Float32x4, 3 => Float32x2, 4 => Float32x2, 5 => Float32x4];
        let instance_attrs = wgpu::vertex_attr_array![6 => Float32x4, 7 => Float32x4, 8 => Float32x4, 9 => Float32x4, 10 => Float32x4, 11 => Float32x4, 12 => Float32x4];
        device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(if blend {
                "glTF blend pipeline"
            } else {
                "glTF opaque pipeline"
            }),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[
                    Some(wgpu::VertexBufferLayout {
                        array_stride: std::mem::size_of::<Vertex>() as u64,
                        step_mode: wgpu::VertexStepMode::Vertex,
                        attributes: &vertex_attrs,
                    }),
                    Some(wgpu::VertexBufferLayout {
                        array_stride: std::mem::size_of::<Instance>() as u64,
                        step_mode: wgpu::VertexStepMode::Instance,
                        attributes: &instance_attrs,
                    }),
                ],
            },
            // No face culling: cube faces are drawn with a mirrored basis (see TestScene).
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: Some(wgpu::DepthStencilState {
                format: SCENE_DEPTH_FORMAT,
                depth_write_enabled: Some(!blend),
                depth_compare: Some(SCENE_DEPTH_COMPARE),
                stencil: Default::default(),
                bias: Default::default(),
            }),
            multisample: Default::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: SCENE_COLOR_FORMAT,
                    blend: blend.then_some(wgpu::BlendState::ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        })
    };
    GpuAsset {
        vertices,
        indices,
        instances,
        materials,
        lighting,
        opaque: pipeline(false),
        blend: pipeline(true),
    }
}

/// Textures and samplers created on demand, shared between materials.
struct Textures<'a> {
    ctx: &'a SceneContext<'a>,
    views: HashMap<(usize, bool), wgpu::TextureView>,
    samplers: HashMap<SamplerDesc, wgpu::Sampler>,
    mips: HashMap<wgpu::TextureFormat, crate::render::mipmap::MipmapPass>,
    encoder: wgpu::CommandEncoder,
}

/// A glTF image's texture format and texel bytes: 8-bit images as `Rgba8UnormSrgb` (colour:
/// base colour, emissive, decoded by the sampler) or `Rgba8Unorm` (data: normal, metallic-roughness,
/// occlusion); 16-bit images at full precision as `Rgba16Float`, colour sRGB-decoded from each
/// 16-bit code ([`crate::scene::environment_texels`]), data as `code / 65535`.
pub(crate) fn texels(img: &image::DynamicImage, srgb: bool) -> (wgpu::TextureFormat, Vec<u8>) {
    match img {
        image::DynamicImage::ImageRgba16(wide) if srgb => {
            crate::scene::environment_texels(&image::DynamicImage::ImageRgba16(wide.clone()))
        }
        image::DynamicImage::ImageRgba16(wide) => {
            let halves: Vec<half::f16> = wide
                .as_raw()
                .iter()
                .map(|&c| half::f16::from_f64(f64::from(c) / 65535.0))
                .collect();
            (
                wgpu::TextureFormat::Rgba16Float,
                bytemuck::cast_slice::<half::f16, u8>(&halves).to_vec(),
            )
        }
        _ if srgb => (
            wgpu::TextureFormat::Rgba8UnormSrgb,
            img.to_rgba8().into_raw(),
        ),
        _ => (wgpu::TextureFormat::Rgba8Unorm, img.to_rgba8().into_raw()),
    }
}

impl<'a> Textures<'a> {
    fn new(ctx: &'a SceneContext<'a>) -> Textures<'a> {
        let encoder = ctx
            .gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("glTF mip encoder"),
            });
        Textures {
            ctx,
            views: HashMap::new(),
            samplers: HashMap::new(),
            mips: HashMap::new(),
            encoder,
        }
    }

    fn white(&mut self) -> wgpu::TextureView {
        let img = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            1,
            1,
            image::Rgba([255; 4]),
        ));
        self.upload(&img, false)
    }

    /// Uploads `img` ([`texels`]) with its mip chain.
    fn upload(&mut self, img: &image::DynamicImage, srgb: bool) -> wgpu::TextureView {
        let device = &self.ctx.gpu.device;
        let (format, bytes) = texels(img, srgb);
        let texel = format.block_copy_size(None).unwrap_or(4);
        let size = wgpu::Extent3d {
            width: img.width(),
            height: img.height(),
            depth_or_array_layers: 1,
        };
        let levels =
            crate::render::mipmap::mip_level_count(glam::UVec2::new(img.width(), img.height()));
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("glTF texture"),
            size,
            mip_level_count: levels,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format,
            usage: wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_DST
                | wgpu::TextureUsages::RENDER_ATTACHMENT,
            view_formats: &[],
        });
        self.ctx.gpu.queue.write_texture(
            texture.as_image_copy(),
            &bytes,
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(texel * img.width()),
                rows_per_image: Some(img.height()),
            },
            size,
        );
        if levels > 1 {
            let pass = self
                .mips
                .entry(format)
                .or_insert_with(|| crate::render::mipmap::MipmapPass::new(device, format));
            // The texture was made for this pass (format and usage), so the chain cannot fail.
            if let Ok(chain) = pass.chain(device, &texture) {
                pass.record(&mut self.encoder, &chain);
            }
        }
        texture.create_view(&wgpu::TextureViewDescriptor::default())
    }

    /// The view of `t`'s image in its colour space (sRGB for base colour and emissive).
    fn view(
        &mut self,
        asset: &Asset,
        t: TexRef,
        warnings: &mut Vec<GltfProblem>,
    ) -> wgpu::TextureView {
        if let Some(v) = self.views.get(&(t.image, t.srgb)) {
            return v.clone();
        }
        let placeholder = image::DynamicImage::ImageRgba8(super::load::placeholder_image());
        let img = match asset.images.get(t.image) {
            Some(img) => match self
                .ctx
                .gpu
                .check_texture("glTF image", img.width(), img.height())
            {
                Ok(()) => img,
                Err(e) => {
                    warnings.push(GltfProblem::new(
                        Location::Image(t.image),
                        format!("{e}; drawn as a checker"),
                    ));
                    &placeholder
                }
            },
            None => &placeholder,
        };
        let view = self.upload(img, t.srgb);
        self.views.insert((t.image, t.srgb), view.clone());
        view
    }

    fn sampler(&mut self, asset: &Asset, index: Option<usize>) -> wgpu::Sampler {
        let d = index
            .and_then(|i| asset.samplers.get(i))
            .copied()
            .unwrap_or_default();
        self.samplers
            .entry(d)
            .or_insert_with(|| {
                self.ctx
                    .gpu
                    .device
                    .create_sampler(&wgpu::SamplerDescriptor {
                        label: Some("glTF sampler"),
                        address_mode_u: d.wrap[0],
                        address_mode_v: d.wrap[1],
                        mag_filter: d.mag,
                        min_filter: d.min,
                        mipmap_filter: d.mip,
                        lod_max_clamp: if d.mipmapped { 32.0 } else { 0.0 },
                        ..Default::default()
                    })
            })
            .clone()
    }

    /// Submits the recorded mip generation.
    fn finish(self) {
        self.ctx.gpu.queue.submit([self.encoder.finish()]);
    }
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use super::*;

    fn wgsl(name: &str) -> (u32, Vec<u32>) {
        let module = naga::front::wgsl::parse_str(&shaders::source(shaders::GLTF)).expect("parses");
        for (_, ty) in module.types.iter() {
            if ty.name.as_deref() == Some(name)
                && let naga::TypeInner::Struct { members, span } = &ty.inner
            {
                return (*span, members.iter().map(|m| m.offset).collect());
            }
        }
        panic!("no struct {name}");
    }

    #[test]
    fn host_structs_match_the_shader() {
        assert_eq!(
            wgsl("Material"),
            (
                size_of::<MaterialUniform>() as u32,
                vec![
                    offset_of!(MaterialUniform, base_color) as u32,
                    offset_of!(MaterialUniform, emissive_cutoff) as u32,
                    offset_of!(MaterialUniform, params) as u32,
                    offset_of!(MaterialUniform, flags) as u32,
                    offset_of!(MaterialUniform, tex) as u32,
                ]
            )
        );
        assert_eq!(
            wgsl("Lighting"),
            (
                size_of::<LightingUniform>() as u32,
                vec![
                    offset_of!(LightingUniform, sh) as u32,
                    offset_of!(LightingUniform, yaw_cs_count) as u32,
                    offset_of!(LightingUniform, lights) as u32,
                ]
            )
        );
        assert_eq!(wgsl("Light").0, size_of::<LightUniform>() as u32);
    }
}
