//! The composite's colour resources: the grade sets (each layer's grade for a set of cabinets, a
//! uniform array of the composite's group 0, chosen per panel) and, per raster, its output
//! transforms (group 1: a uniform array, one per LUT its cabinets use, the LUTs' 3D tables one
//! after another in one storage buffer and their 1D shapers in another). The WGSL is
//! `shaders/colour.wgsl`; the CPU reference is `crate::colour::output`.
//!
//! The tables are storage buffers, not textures: the tetrahedral lookup filters nothing, and its
//! four loads would queue behind the inner frustum's footprint filter in the texture units.

use glam::DMat3;

use super::targets::Allocator;
use crate::colour::cube::CubeLut;
use crate::colour::grade::Grade;
use crate::colour::output::{ColourSettings, Encoding, Grades, OutputTransform};
use crate::gpu::Gpu;
use crate::gpu::layout::{storage_entry_of, uniform_entry_of};

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

/// `GradeSet` of `shaders/composite.wgsl`: the grades of one set of cabinets for the layers the
/// shader grades per LED pixel. The light cards' grade is applied on the CPU, once per card and
/// grade set (`crate::render::overlay`): a card's radiance is the same at every pixel.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GradeSetUniform {
    pub inner: GradeUniform,
    pub outer: GradeUniform,
}

const _: () = assert!(std::mem::size_of::<GradeSetUniform>() == 192);

/// Distinct grade sets one renderer holds (`MAX_GRADE_SETS` in `shaders/composite.wgsl`: a
/// uniform array of 12 KiB, within the 64 KiB every adapter Parallax asks for binds).
pub const MAX_GRADE_SETS: usize = 64;

/// Distinct output transforms (LUTs) one raster holds (`MAX_OUTPUT_TRANSFORMS` in
/// `shaders/composite.wgsl`, a uniform array of 10 KiB).
pub const MAX_OUTPUT_TRANSFORMS: usize = 64;

/// `OutputColour` of `shaders/colour.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct OutputColourUniform {
    pub m0: [f32; 4],
    pub m1: [f32; 4],
    pub m2: [f32; 4],
    /// The 3D table's lattice coordinate of a colour `c` is `c * lut_scale + lut_bias` (xyz).
    pub lut_scale: [f32; 4],
    pub lut_bias: [f32; 4],
    /// The same for the 1D shaper.
    pub shaper_scale: [f32; 4],
    pub shaper_bias: [f32; 4],
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

/// Scale and bias (xyz) taking a domain `min..max` per channel to the lattice coordinates
/// `0..n - 1` of a table of `n` entries a side: `(c - min) / (max - min) * (n - 1)` as one
/// multiply-add in the shader.
fn lattice_map(min: [f64; 3], max: [f64; 3], n: usize) -> ([f32; 4], [f32; 4]) {
    let mut scale = [0.0; 4];
    let mut bias = [0.0; 4];
    for k in 0..3 {
        let s = (n.max(2) - 1) as f64 / (max[k] - min[k]);
        scale[k] = s as f32;
        bias[k] = (-min[k] * s) as f32;
    }
    (scale, bias)
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
/// the scene's Rec.709 into the working space.
pub fn grade_set_uniform(colour: &ColourSettings, g: &Grades) -> GradeSetUniform {
    GradeSetUniform {
        inner: grade_uniform(&colour.layer_matrix(&g.inner), &g.inner),
        outer: grade_uniform(&colour.layer_matrix(&g.outer), &g.outer),
    }
}

/// Whether a grade set changes anything the shader grades (the inner's or the outer's `power.w`
/// level above 0).
pub fn grade_set_used(u: &GradeSetUniform) -> bool {
    [u.inner, u.outer].iter().any(|g| g.power[3] > 0.0)
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
    let (lut_scale, lut_bias) = l3.map_or(([0.0; 4], [0.0; 4]), |l| {
        lattice_map(l.domain_min, l.domain_max, l.size)
    });
    let (shaper_scale, shaper_bias) = sh.map_or(([0.0; 4], [0.0; 4]), |l| {
        lattice_map(l.domain_min, l.domain_max, l.table.len())
    });
    OutputColourUniform {
        m0: col(&t.to_output, 0),
        m1: col(&t.to_output, 1),
        m2: col(&t.to_output, 2),
        lut_scale,
        lut_bias,
        shaper_scale,
        shaper_bias,
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

/// The layout of group 1: the output transforms, the 3D tables and the shapers.
pub fn output_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    let f = wgpu::ShaderStages::FRAGMENT;
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("output colour layout"),
        entries: &[
            uniform_entry_of::<[OutputColourUniform; MAX_OUTPUT_TRANSFORMS]>(0, f, false),
            storage_entry_of::<[f32; 4]>(1, f),
            storage_entry_of::<[f32; 4]>(2, f),
        ],
    })
}

/// Tables one after another as RGBA entries (alpha 1), the form of `lut_table` and
/// `shaper_table` in `shaders/colour.wgsl`. Returns each table's first entry and the entries;
/// without tables one zero entry (a storage binding cannot be empty).
pub fn concat_tables(tables: &[&[[f32; 3]]]) -> (Vec<u32>, Vec<[f32; 4]>) {
    let mut first = Vec::with_capacity(tables.len());
    let mut entries: Vec<[f32; 4]> = Vec::new();
    for t in tables {
        first.push(entries.len() as u32);
        entries.extend(t.iter().map(|e| [e[0], e[1], e[2], 1.0]));
    }
    if entries.is_empty() {
        entries.push([0.0; 4]);
    }
    (first, entries)
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
    /// Uploads each transform of `slots` (at least one, at most [`MAX_OUTPUT_TRANSFORMS`]): its
    /// uniform (indexed by the panels' slot), its 3D table and its shaper (see
    /// [`concat_tables`]).
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
        let luts: Vec<Option<&CubeLut>> = slots.iter().map(|t| t.lut.as_deref()).collect();
        let l3: Vec<&[[f32; 3]]> = luts
            .iter()
            .flatten()
            .filter_map(|l| l.lut3d.as_ref().map(|t| &t.table[..]))
            .collect();
        let sh: Vec<&[[f32; 3]]> = luts
            .iter()
            .flatten()
            .filter_map(|l| l.shaper.as_ref().map(|t| &t.table[..]))
            .collect();
        let (first3, table3) = concat_tables(&l3);
        let (first1, table1) = concat_tables(&sh);
        let (mut next3, mut next1) = (first3.into_iter(), first1.into_iter());
        for (u, l) in uniforms.iter_mut().zip(&luts) {
            if l.is_some_and(|l| l.lut3d.is_some()) {
                u.slot[0] = next3.next().unwrap_or(0);
            }
            if l.is_some_and(|l| l.shaper.is_some()) {
                u.slot[1] = next1.next().unwrap_or(0);
            }
        }
        uniforms.resize(MAX_OUTPUT_TRANSFORMS, bytemuck::Zeroable::zeroed());
        let buffer = |name: &str, bytes: &[u8], usage| {
            alloc.buffer_init(gpu, &format!("{label} {name}"), bytes, usage)
        };
        let uniform = buffer(
            "output transforms",
            bytemuck::cast_slice(&uniforms),
            wgpu::BufferUsages::UNIFORM,
        );
        let storage = wgpu::BufferUsages::STORAGE;
        let lut = buffer("3D LUTs", bytemuck::cast_slice(&table3), storage);
        let shaper = buffer("1D shapers", bytemuck::cast_slice(&table1), storage);
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
                        resource: lut.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: shaper.as_entire_binding(),
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

    /// Two tables one after another: every entry lands where the shader's `slot + r + n (g + n b)`
    /// loads it (written out by index arithmetic here).
    #[test]
    fn concatenated_tables_keep_their_entries() {
        let a: Vec<[f32; 3]> = (0..8).map(|i| [i as f32, 0.0, 0.0]).collect();
        let b: Vec<[f32; 3]> = (0..27).map(|i| [0.0, i as f32, 1.0]).collect();
        let (first, t) = concat_tables(&[&a, &b]);
        assert_eq!(first, vec![0, 8]);
        assert_eq!(t.len(), 35);
        let at = |slot: u32, n: usize, r: usize, g: usize, b: usize| {
            let e = t[slot as usize + r + n * (g + n * b)];
            [e[0], e[1], e[2]]
        };
        assert_eq!(at(first[0], 2, 1, 1, 1), a[7]);
        assert_eq!(at(first[1], 3, 2, 1, 1), b[2 + 3 * (1 + 3)]);
        assert_eq!(at(first[1], 3, 2, 2, 2), b[26]);
        assert_eq!(concat_tables(&[]), (vec![], vec![[0.0; 4]]));
    }
}
