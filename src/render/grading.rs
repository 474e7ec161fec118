//! The composite's colour resources: the grade sets (each layer's grade for a set of cabinets, a
//! storage array of the composite's group 0, chosen per panel) and, per raster, its output
//! transforms (group 1: one per LUT its cabinets use, the LUTs' 3D tables stacked in one 3D
//! texture and their 1D shapers in one 2D texture). The WGSL is `shaders/colour.wgsl`; the CPU reference is `crate::colour::output`.

use glam::DMat3;

use super::targets::Allocator;
use crate::colour::cube::CubeLut;
use crate::colour::grade::Grade;
use crate::colour::output::{ColourSettings, Encoding, Grades, OutputTransform};
use crate::gpu::Gpu;
use crate::gpu::layout::storage_entry_of;

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

/// `GradeSet` of `shaders/composite.wgsl`: the grades of one set of cabinets, per layer.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GradeSetUniform {
    pub inner: GradeUniform,
    pub outer: GradeUniform,
    pub cards: GradeUniform,
}

const _: () = assert!(std::mem::size_of::<GradeSetUniform>() == 288);

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
    /// First z slice of the 3D table and first row of the shaper in the raster's stacked textures.
    pub slot: [u32; 4],
}

const _: () = assert!(std::mem::size_of::<OutputColourUniform>() == 160);

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

/// The grade set `g` for the GPU: the inner and outer layers' matrices include the conversion of
/// the scene's Rec.709 into the working space; the cards' radiance is in the working space already.
pub fn grade_set_uniform(colour: &ColourSettings, g: &Grades) -> GradeSetUniform {
    let cards = g.cards.matrix(&colour.working_space.primaries());
    GradeSetUniform {
        inner: grade_uniform(&colour.layer_matrix(&g.inner), &g.inner),
        outer: grade_uniform(&colour.layer_matrix(&g.outer), &g.outer),
        cards: grade_uniform(&cards, &g.cards),
    }
}

/// Whether a grade set changes anything (any layer's `power.w` level above 0).
pub fn grade_set_used(u: &GradeSetUniform) -> bool {
    [u.inner, u.outer, u.cards].iter().any(|g| g.power[3] > 0.0)
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
        slot: [0; 4],
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
            storage_entry_of::<OutputColourUniform>(0, wgpu::ShaderStages::FRAGMENT),
            texture_entry(1, wgpu::TextureViewDimension::D3, false),
            texture_entry(2, wgpu::TextureViewDimension::D2, false),
        ],
    })
}

/// The 3D tables of `tables` (each `n^3`, red fastest) stacked along z in one `w x w x depth`
/// volume, `w` the largest `n`: table `k` fills `x, y < n` of slices `z0[k] .. z0[k] + n`. Returns
/// (w, depth, z0 per table, RGBA f32 texels); without tables a 2^3 placeholder.
pub fn stack_3d(tables: &[(usize, &[[f32; 3]])]) -> (u32, u32, Vec<u32>, Vec<f32>) {
    let w = tables.iter().map(|t| t.0).max().unwrap_or(2).max(2);
    let depth = tables.iter().map(|t| t.0).sum::<usize>().max(2);
    let mut texels = vec![0.0f32; w * w * depth * 4];
    let mut z0 = Vec::with_capacity(tables.len());
    let mut z = 0;
    for (n, table) in tables {
        z0.push(z as u32);
        for b in 0..*n {
            for g in 0..*n {
                for r in 0..*n {
                    let e = table[r + n * (g + n * b)];
                    let at = (((z + b) * w + g) * w + r) * 4;
                    texels[at..at + 4].copy_from_slice(&[e[0], e[1], e[2], 1.0]);
                }
            }
        }
        z += n;
    }
    (w as u32, depth as u32, z0, texels)
}

/// One raster's output transforms on the GPU (group 1 of the composite): one per LUT its
/// cabinets use (a raster whose cabinets are in sections with different LUTs has several), their
/// 3D tables stacked along z in one 3D texture and their shapers in rows of one 2D texture.
pub struct OutputColourGpu {
    /// Shader encoding mode (see [`raster_format`]).
    pub mode: u32,
    pub group: wgpu::BindGroup,
}

impl OutputColourGpu {
    /// Uploads each transform of `slots` (at least one): its uniform (in a storage array, indexed
    /// by the panels' slot), its 3D table (`Rgba32Float`, red along x) and its shaper (rows of
    /// [`SHAPER_ROW`] texels); unused textures are 2-texel placeholders.
    pub fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        layout: &wgpu::BindGroupLayout,
        label: &str,
        slots: &[OutputTransform],
        mode: u32,
    ) -> OutputColourGpu {
        let mut uniforms: Vec<OutputColourUniform> =
            slots.iter().map(|t| output_uniform(t, mode)).collect();
        if uniforms.is_empty() {
            uniforms.push(output_uniform(
                &ColourSettings::default().output_transform(0),
                mode,
            ));
        }
        let l3: Vec<Option<&crate::colour::lut::Lut3d>> = slots
            .iter()
            .map(|t| t.lut.as_deref().and_then(|l| l.lut3d.as_ref()))
            .collect();
        let tables: Vec<(usize, &[[f32; 3]])> = l3
            .iter()
            .flatten()
            .map(|l| (l.size, &l.table[..]))
            .collect();
        let (n, depth, z0, texels) = stack_3d(&tables);
        let mut next = z0.into_iter();
        let mut row = 0u32;
        let mut shaper_rows: Vec<f32> = Vec::new();
        let sh_width = slots
            .iter()
            .filter_map(|t| t.lut.as_deref().and_then(|l| l.shaper.as_ref()))
            .map(|s| (s.table.len() as u32).min(SHAPER_ROW))
            .max()
            .unwrap_or(2);
        for (u, (t, l)) in uniforms.iter_mut().zip(slots.iter().zip(&l3)) {
            if l.is_some() {
                u.slot[0] = next.next().unwrap_or(0);
            }
            if let Some(s) = t.lut.as_deref().and_then(|l| l.shaper.as_ref()) {
                let m = s.table.len() as u32;
                let rows = m.div_ceil(SHAPER_ROW);
                u.slot[1] = row;
                for r in 0..rows {
                    let start = (r * SHAPER_ROW) as usize;
                    let end = (start + sh_width as usize).min(s.table.len());
                    let mut texels: Vec<f32> = s.table[start..end]
                        .iter()
                        .flat_map(|e| [e[0], e[1], e[2], 1.0])
                        .collect();
                    texels.resize(sh_width as usize * 4, 0.0);
                    shaper_rows.extend(texels);
                }
                row += rows;
            }
        }
        let h = row.max(1);
        shaper_rows.resize((sh_width * h * 4) as usize, 0.0);
        let uniform = alloc.buffer_init(
            gpu,
            &format!("{label} colour"),
            bytemuck::cast_slice(&uniforms),
            wgpu::BufferUsages::STORAGE,
        );
        let texture = |name: &str, size: wgpu::Extent3d, dimension, data: &[f32]| {
            alloc.texture_with_data(
                gpu,
                &wgpu::TextureDescriptor {
                    label: Some(&format!("{label} {name}")),
                    size,
                    mip_level_count: 1,
                    sample_count: 1,
                    dimension,
                    format: wgpu::TextureFormat::Rgba32Float,
                    usage: wgpu::TextureUsages::TEXTURE_BINDING,
                    view_formats: &[],
                },
                bytemuck::cast_slice(data),
            )
        };
        let tex3 = texture(
            "3D LUTs",
            wgpu::Extent3d {
                width: n,
                height: n,
                depth_or_array_layers: depth,
            },
            wgpu::TextureDimension::D3,
            &texels,
        );
        let tex1 = texture(
            "1D shapers",
            wgpu::Extent3d {
                width: sh_width,
                height: h,
                depth_or_array_layers: 1,
            },
            wgpu::TextureDimension::D2,
            &shaper_rows,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tables of different sizes stacked: every entry lands where the shader's
    /// `cell + (0, 0, z0)` loads it (written out by index arithmetic here).
    #[test]
    fn stacked_tables_keep_their_entries() {
        let a: Vec<[f32; 3]> = (0..8).map(|i| [i as f32, 0.0, 0.0]).collect();
        let b: Vec<[f32; 3]> = (0..27).map(|i| [0.0, i as f32, 1.0]).collect();
        let (w, depth, z0, t) = stack_3d(&[(2, &a), (3, &b)]);
        assert_eq!((w, depth, z0.clone()), (3, 5, vec![0, 2]));
        let at = |x: usize, y: usize, z: usize| {
            let k = ((z * 3 + y) * 3 + x) * 4;
            [t[k], t[k + 1], t[k + 2]]
        };
        assert_eq!(at(1, 1, 1), a[1 + 2 * (1 + 2)]);
        assert_eq!(at(2, 1, 2 + 1), b[2 + 3 * (1 + 3)]);
        assert_eq!(at(2, 2, 2 + 2), b[26]);
        assert_eq!(at(2, 2, 1), [0.0; 3], "padding outside the smaller table");
    }
}
