//! The composite's colour resources: each layer's grade (a uniform of the composite's group 0) and,
//! per raster, the output transform (group 1: its uniform, its 3D LUT as a 3D texture and its 1D
//! shaper). The WGSL is `shaders/colour.wgsl`; the CPU reference is `crate::colour::output`.

use glam::DMat3;

use super::targets::Allocator;
use crate::colour::cube::CubeLut;
use crate::colour::grade::Grade;
use crate::colour::output::{ColourSettings, Encoding, OutputTransform};
use crate::gpu::Gpu;
use crate::gpu::layout::uniform_entry_of;

/// `Grade` of `shaders/colour.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GradeUniform {
    pub m0: [f32; 4],
    pub m1: [f32; 4],
    pub m2: [f32; 4],
    pub slope: [f32; 4],
    pub offset: [f32; 4],
    pub power: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<GradeUniform>() == 96);

/// `Grades` of `shaders/composite.wgsl`: the inner and outer layers.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GradesUniform {
    pub inner: GradeUniform,
    pub outer: GradeUniform,
}

const _: () = assert!(std::mem::size_of::<GradesUniform>() == 192);

/// `OutputColour` of `shaders/colour.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct OutputColourUniform {
    pub m0: [f32; 4],
    pub m1: [f32; 4],
    pub m2: [f32; 4],
    pub lut_min: [f32; 4],
    pub lut_max: [f32; 4],
    pub shaper_min: [f32; 4],
    pub shaper_max: [f32; 4],
    pub mode: [u32; 4],
    pub pq: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<OutputColourUniform>() == 144);

fn col(m: &DMat3, k: usize) -> [f32; 4] {
    let c = m.col(k);
    [c.x as f32, c.y as f32, c.z as f32, 0.0]
}

fn v4(v: [f64; 3]) -> [f32; 4] {
    [v[0] as f32, v[1] as f32, v[2] as f32, 0.0]
}

/// A layer's grade for the GPU: `m` is the layer's whole linear part (input conversion, exposure,
/// white balance); `power.w` says what to apply (0 nothing, 1 the matrix, 2 the matrix and the CDL).
pub fn grade_uniform(m: &DMat3, g: &Grade) -> GradeUniform {
    let c = &g.cdl;
    let level = if !c.is_identity() {
        2.0
    } else if *m != DMat3::IDENTITY {
        1.0
    } else {
        0.0
    };
    let asc = f32::from(u8::from(c.style == crate::colour::cdl::CdlStyle::Asc));
    GradeUniform {
        m0: col(m, 0),
        m1: col(m, 1),
        m2: col(m, 2),
        slope: [
            c.slope[0] as f32,
            c.slope[1] as f32,
            c.slope[2] as f32,
            c.saturation as f32,
        ],
        offset: [
            c.offset[0] as f32,
            c.offset[1] as f32,
            c.offset[2] as f32,
            asc,
        ],
        power: [
            c.power[0] as f32,
            c.power[1] as f32,
            c.power[2] as f32,
            level,
        ],
    }
}

/// The inner and outer grades of `colour`.
pub fn grades_uniform(colour: &ColourSettings) -> GradesUniform {
    GradesUniform {
        inner: grade_uniform(&colour.layer_matrix(&colour.inner), &colour.inner),
        outer: grade_uniform(&colour.layer_matrix(&colour.outer), &colour.outer),
    }
}

/// Encoding mode of the shader (0 linear: float targets or the hardware's sRGB encoding, 1 sRGB with
/// dither into a UNORM target, 2 PQ) and the raster format, given the renderer's output format:
/// with `Rgba8UnormSrgb` (the LED processors' mode) each output gets its encoding's format
/// (`Rgba8UnormSrgb`, `Rgba8Unorm` with dither, `Rgba32Float` for PQ code values, `Rgba16Float` for
/// linear EXR); with any other format (tests) every raster has that format and sRGB outputs hold
/// linear values.
pub fn raster_format(
    renderer: wgpu::TextureFormat,
    encoding: &Encoding,
) -> (u32, wgpu::TextureFormat) {
    let srgb_mode = renderer == wgpu::TextureFormat::Rgba8UnormSrgb;
    match encoding {
        Encoding::Srgb { dither: true } if srgb_mode => (1, wgpu::TextureFormat::Rgba8Unorm),
        Encoding::Srgb { .. } => (0, renderer),
        Encoding::Pq { .. } if srgb_mode => (2, wgpu::TextureFormat::Rgba32Float),
        Encoding::Pq { .. } => (2, renderer),
        Encoding::LinearExr if srgb_mode => (0, wgpu::TextureFormat::Rgba16Float),
        Encoding::LinearExr => (0, renderer),
    }
}

/// The uniform of an output transform with encoding mode `mode`.
pub fn output_uniform(t: &OutputTransform, mode: u32) -> OutputColourUniform {
    let lut: Option<&CubeLut> = t.lut.as_deref();
    let l3 = lut.and_then(|l| l.lut3d.as_ref());
    let sh = lut.and_then(|l| l.shaper.as_ref());
    let mut flags = 0;
    if t.to_output != DMat3::IDENTITY {
        flags |= 1;
    }
    if l3.is_some() {
        flags |= 2;
    }
    if sh.is_some() {
        flags |= 4;
    }
    let (white, peak) = match t.encoding {
        Encoding::Pq {
            white_nits,
            peak_nits,
            ..
        } => (white_nits as f32, peak_nits as f32),
        _ => (100.0, 10000.0),
    };
    let dither = if mode == 1 { 1.0 / 255.0 } else { 0.0 };
    OutputColourUniform {
        m0: col(&t.to_output, 0),
        m1: col(&t.to_output, 1),
        m2: col(&t.to_output, 2),
        lut_min: v4(l3.map_or([0.0; 3], |l| l.domain_min)),
        lut_max: v4(l3.map_or([1.0; 3], |l| l.domain_max)),
        shaper_min: v4(sh.map_or([0.0; 3], |l| l.domain_min)),
        shaper_max: v4(sh.map_or([1.0; 3], |l| l.domain_max)),
        mode: [
            mode,
            flags,
            l3.map_or(2, |l| l.size as u32),
            sh.map_or(2, |l| l.table.len() as u32),
        ],
        pq: [white, peak, dither, 0.0],
    }
}

/// Shaper entries per texture row (`SHAPER_ROW` in `shaders/colour.wgsl`).
pub const SHAPER_ROW: u32 = 4096;

/// The layout of group 1: the output transform.
pub fn output_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    use crate::gpu::layout::texture_entry;
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("output colour layout"),
        entries: &[
            uniform_entry_of::<OutputColourUniform>(0, wgpu::ShaderStages::FRAGMENT, false),
            texture_entry(1, wgpu::TextureViewDimension::D3, false),
            texture_entry(2, wgpu::TextureViewDimension::D2, false),
        ],
    })
}

fn rgba(table: &[[f32; 3]], len: usize) -> Vec<u8> {
    let mut v: Vec<f32> = Vec::with_capacity(len * 4);
    for e in table {
        v.extend_from_slice(&[e[0], e[1], e[2], 1.0]);
    }
    v.resize(len * 4, 0.0);
    bytemuck::cast_slice(&v).to_vec()
}

/// One raster's output transform on the GPU (group 1 of the composite).
pub struct OutputColourGpu {
    /// Shader encoding mode (see [`raster_format`]).
    pub mode: u32,
    pub group: wgpu::BindGroup,
}

impl OutputColourGpu {
    /// Uploads `t`'s uniform, 3D table (an `n^3` `Rgba32Float` 3D texture, red along x) and shaper
    /// (rows of [`SHAPER_ROW`] texels); outputs without them get 2-texel placeholders.
    pub fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        layout: &wgpu::BindGroupLayout,
        label: &str,
        t: &OutputTransform,
        mode: u32,
    ) -> OutputColourGpu {
        let u = output_uniform(t, mode);
        let uniform = alloc.buffer_init(
            gpu,
            &format!("{label} colour"),
            bytemuck::bytes_of(&u),
            wgpu::BufferUsages::UNIFORM,
        );
        let lut = t.lut.as_deref();
        let l3 = lut.and_then(|l| l.lut3d.as_ref());
        let n = l3.map_or(2, |l| l.size as u32);
        let data3 = match l3 {
            Some(l) => rgba(&l.table, l.table.len()),
            None => rgba(&[], 8),
        };
        let tex3 = alloc.texture_with_data(
            gpu,
            &wgpu::TextureDescriptor {
                label: Some(&format!("{label} 3D LUT")),
                size: wgpu::Extent3d {
                    width: n,
                    height: n,
                    depth_or_array_layers: n,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D3,
                format: wgpu::TextureFormat::Rgba32Float,
                usage: wgpu::TextureUsages::TEXTURE_BINDING,
                view_formats: &[],
            },
            &data3,
        );
        let sh = lut.and_then(|l| l.shaper.as_ref());
        let m = sh.map_or(2, |s| s.table.len() as u32);
        let (w, h) = (m.min(SHAPER_ROW), m.div_ceil(SHAPER_ROW));
        let data1 = rgba(sh.map_or(&[][..], |s| &s.table[..]), (w * h) as usize);
        let tex1 = alloc.texture_with_data(
            gpu,
            &wgpu::TextureDescriptor {
                label: Some(&format!("{label} 1D shaper")),
                size: wgpu::Extent3d {
                    width: w,
                    height: h,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba32Float,
                usage: wgpu::TextureUsages::TEXTURE_BINDING,
                view_formats: &[],
            },
            &data1,
        );
        let v3 = tex3.create_view(&Default::default());
        let v1 = tex1.create_view(&Default::default());
        let group = alloc.bind_group(
            gpu,
            &wgpu::BindGroupDescriptor {
                label: Some(&format!("{label} colour group")),
                layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: wgpu::BindingResource::TextureView(&v3),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: wgpu::BindingResource::TextureView(&v1),
                    },
                ],
            },
        );
        OutputColourGpu { mode, group }
    }
}
