//! Materials: glTF 2.0 PBR metallic-roughness (spec section 3.9) with `KHR_materials_unlit` and
//! `KHR_texture_transform`, packed into the `Material` uniform of `shaders/gltf.wgsl`.

use super::error::{GltfProblem, Location};

/// Texture slots of a material, in the order of the bind group and of [`MaterialUniform::tex`].
pub const SLOTS: usize = 5;
/// Base colour (sRGB).
pub const SLOT_BASE: usize = 0;
/// Metallic (blue) and roughness (green), linear.
pub const SLOT_METALLIC_ROUGHNESS: usize = 1;
/// Tangent-space normal, linear.
pub const SLOT_NORMAL: usize = 2;
/// Ambient occlusion (red), linear.
pub const SLOT_OCCLUSION: usize = 3;
/// Emissive (sRGB).
pub const SLOT_EMISSIVE: usize = 4;

/// Alpha modes, as `flags.x` of the uniform.
pub const ALPHA_OPAQUE: u32 = 0;
pub const ALPHA_MASK: u32 = 1;
pub const ALPHA_BLEND: u32 = 2;

/// `Material` of `shaders/gltf.wgsl` (224 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MaterialUniform {
    /// Base colour factor, linear RGBA.
    pub base_color: [f32; 4],
    /// Emissive factor (linear RGB) and the alpha cutoff of mask mode.
    pub emissive_cutoff: [f32; 4],
    /// Metallic factor, roughness factor, normal scale, occlusion strength.
    pub params: [f32; 4],
    /// Alpha mode, unlit (0/1), bit mask of the slots that have a texture, double-sided (0/1).
    pub flags: [u32; 4],
    /// Per slot, two rows of the 3 x 3 UV transform (`uv' = M (u, v, 1)`), the first row's `w`
    /// holding the `TEXCOORD_n` set used.
    pub tex: [[f32; 4]; 2 * SLOTS],
}

const _: () = assert!(std::mem::size_of::<MaterialUniform>() == 224);

/// A texture a material samples: which image, which glTF sampler, and whether its texels are sRGB.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TexRef {
    pub image: usize,
    pub sampler: Option<usize>,
    pub srgb: bool,
}

/// A material ready for upload.
#[derive(Clone, Debug, PartialEq)]
pub struct MaterialData {
    pub uniform: MaterialUniform,
    pub textures: [Option<TexRef>; SLOTS],
}

impl MaterialData {
    /// Whether the material is drawn in the blended pass (after opaque geometry, no depth write).
    pub fn blended(&self) -> bool {
        self.uniform.flags[0] == ALPHA_BLEND
    }
}

/// The `KHR_texture_transform` matrix `T(offset) R(rotation) S(scale)` as its two top rows: with
/// `R = [[cos, sin], [-sin, cos]]`, `uv' = (m00 u + m01 v + m02, m10 u + m11 v + m12)`
/// (KHR_texture_transform specification, "Overview").
pub fn uv_transform(offset: [f32; 2], rotation: f32, scale: [f32; 2]) -> [[f32; 3]; 2] {
    let (s, c) = rotation.sin_cos();
    [
        [c * scale[0], s * scale[1], offset[0]],
        [-s * scale[0], c * scale[1], offset[1]],
    ]
}

const IDENTITY_UV: [[f32; 3]; 2] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];

/// A `KHR_texture_transform` object read from raw JSON: (matrix rows, texCoord override).
fn transform_from_json(v: Option<&serde_json::Value>) -> ([[f32; 3]; 2], Option<u32>) {
    let Some(t) = v.and_then(|e| e.get("extensions")?.get("KHR_texture_transform")) else {
        return (IDENTITY_UV, None);
    };
    let pair = |k: &str, d: [f32; 2]| -> [f32; 2] {
        match t.get(k).and_then(|a| a.as_array()) {
            Some(a) if a.len() == 2 => [
                a[0].as_f64().unwrap_or(d[0] as f64) as f32,
                a[1].as_f64().unwrap_or(d[1] as f64) as f32,
            ],
            _ => d,
        }
    };
    let rotation = t.get("rotation").and_then(|r| r.as_f64()).unwrap_or(0.0) as f32;
    let tex_coord = t
        .get("texCoord")
        .and_then(|c| c.as_u64())
        .map(|c| c.min(1) as u32);
    (
        uv_transform(
            pair("offset", [0.0, 0.0]),
            rotation,
            pair("scale", [1.0, 1.0]),
        ),
        tex_coord,
    )
}

fn slot(
    uniform: &mut MaterialUniform,
    textures: &mut [Option<TexRef>; SLOTS],
    k: usize,
    texture: gltf::Texture<'_>,
    tex_coord: u32,
    transform: ([[f32; 3]; 2], Option<u32>),
    srgb: bool,
) {
    let (m, over) = transform;
    let set = over.unwrap_or(tex_coord).min(1) as f32;
    uniform.tex[2 * k] = [m[0][0], m[0][1], m[0][2], set];
    uniform.tex[2 * k + 1] = [m[1][0], m[1][1], m[1][2], 0.0];
    uniform.flags[2] |= 1 << k;
    textures[k] = Some(TexRef {
        image: texture.source().index(),
        sampler: texture.sampler().index(),
        srgb,
    });
}

fn info_transform(info: &gltf::texture::Info<'_>) -> ([[f32; 3]; 2], Option<u32>) {
    match info.texture_transform() {
        Some(t) => (
            uv_transform(t.offset(), t.rotation(), t.scale()),
            t.tex_coord(),
        ),
        None => (IDENTITY_UV, None),
    }
}

fn empty_uniform() -> MaterialUniform {
    let mut u = MaterialUniform {
        base_color: [1.0; 4],
        emissive_cutoff: [0.0, 0.0, 0.0, 0.5],
        params: [1.0, 1.0, 1.0, 1.0],
        flags: [ALPHA_OPAQUE, 0, 0, 0],
        tex: [[0.0; 4]; 2 * SLOTS],
    };
    for k in 0..SLOTS {
        u.tex[2 * k] = [1.0, 0.0, 0.0, 0.0];
        u.tex[2 * k + 1] = [0.0, 1.0, 0.0, 0.0];
    }
    u
}

/// The spec's default material (section 3.9.6): white, fully metallic and rough, opaque.
pub fn default_material() -> MaterialData {
    MaterialData {
        uniform: empty_uniform(),
        textures: [None; SLOTS],
    }
}

/// Reads every material of the document; a texture coordinate set above 1 is a problem.
pub(super) fn materials(
    doc: &gltf::Document,
    raw: &serde_json::Value,
    problems: &mut Vec<GltfProblem>,
) -> Vec<MaterialData> {
    doc.materials()
        .map(|m| {
            let index = m.index().unwrap_or(0);
            let raw_m = raw.get("materials").and_then(|a| a.get(index));
            let mut u = empty_uniform();
            let mut textures = [None; SLOTS];
            let pbr = m.pbr_metallic_roughness();
            u.base_color = pbr.base_color_factor();
            let e = m.emissive_factor();
            u.emissive_cutoff = [e[0], e[1], e[2], m.alpha_cutoff().unwrap_or(0.5)];
            u.params[0] = pbr.metallic_factor();
            u.params[1] = pbr.roughness_factor();
            u.flags[0] = match m.alpha_mode() {
                gltf::material::AlphaMode::Opaque => ALPHA_OPAQUE,
                gltf::material::AlphaMode::Mask => ALPHA_MASK,
                gltf::material::AlphaMode::Blend => ALPHA_BLEND,
            };
            u.flags[1] = u32::from(m.unlit());
            u.flags[3] = u32::from(m.double_sided());
            let mut check_set = |set: u32, what: &str| {
                if set > 1 {
                    problems.push(GltfProblem::new(
                        Location::Material(index),
                        format!("{what} uses TEXCOORD_{set}; only sets 0 and 1 are supported"),
                    ));
                }
            };
            if let Some(info) = pbr.base_color_texture() {
                check_set(info.tex_coord(), "baseColorTexture");
                let t = info_transform(&info);
                slot(
                    &mut u,
                    &mut textures,
                    SLOT_BASE,
                    info.texture(),
                    info.tex_coord(),
                    t,
                    true,
                );
            }
            if let Some(info) = pbr.metallic_roughness_texture() {
                check_set(info.tex_coord(), "metallicRoughnessTexture");
                let t = info_transform(&info);
                let k = SLOT_METALLIC_ROUGHNESS;
                slot(
                    &mut u,
                    &mut textures,
                    k,
                    info.texture(),
                    info.tex_coord(),
                    t,
                    false,
                );
            }
            if let Some(n) = m.normal_texture() {
                check_set(n.tex_coord(), "normalTexture");
                u.params[2] = n.scale();
                let t = transform_from_json(raw_m.and_then(|r| r.get("normalTexture")));
                slot(
                    &mut u,
                    &mut textures,
                    SLOT_NORMAL,
                    n.texture(),
                    n.tex_coord(),
                    t,
                    false,
                );
            }
            if let Some(o) = m.occlusion_texture() {
                check_set(o.tex_coord(), "occlusionTexture");
                u.params[3] = o.strength();
                let t = transform_from_json(raw_m.and_then(|r| r.get("occlusionTexture")));
                let k = SLOT_OCCLUSION;
                slot(
                    &mut u,
                    &mut textures,
                    k,
                    o.texture(),
                    o.tex_coord(),
                    t,
                    false,
                );
            }
            if let Some(info) = m.emissive_texture() {
                check_set(info.tex_coord(), "emissiveTexture");
                let t = info_transform(&info);
                slot(
                    &mut u,
                    &mut textures,
                    SLOT_EMISSIVE,
                    info.texture(),
                    info.tex_coord(),
                    t,
                    true,
                );
            }
            MaterialData {
                uniform: u,
                textures,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: [[f32; 3]; 2], uv: [f32; 2]) -> [f32; 2] {
        [
            m[0][0] * uv[0] + m[0][1] * uv[1] + m[0][2],
            m[1][0] * uv[0] + m[1][1] * uv[1] + m[1][2],
        ]
    }

    #[test]
    fn texture_transform_follows_the_extension_example() {
        // Identity.
        assert_eq!(
            apply(uv_transform([0.0; 2], 0.0, [1.0; 2]), [0.3, 0.7]),
            [0.3, 0.7]
        );
        // Scale then offset: (0.5 * 0.2 + 0.1, 2 * 0.4 + 0.25).
        let p = apply(uv_transform([0.1, 0.25], 0.0, [0.5, 2.0]), [0.2, 0.4]);
        assert!((p[0] - 0.2).abs() < 1e-6 && (p[1] - 1.05).abs() < 1e-6);
        // Rotation by +90 degrees (R = [[cos, sin], [-sin, cos]]): (u, v) -> (v, -u).
        let p = apply(
            uv_transform([0.0; 2], std::f32::consts::FRAC_PI_2, [1.0; 2]),
            [0.2, 0.6],
        );
        assert!(
            (p[0] - 0.6).abs() < 1e-6 && (p[1] + 0.2).abs() < 1e-6,
            "{p:?}"
        );
    }
}
