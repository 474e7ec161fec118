//! A glTF file turned into data ready for the GPU: one vertex and one index array for every mesh
//! primitive, the placed instances of each primitive (node hierarchy flattened to stage-space
//! matrices), materials, images and punctual lights. Pure CPU work, tested without a GPU.

use std::path::Path;

use glam::{Mat3, Mat4, Vec3};

use super::accessor::{components, read_floats, read_indices};
use super::error::{GltfError, GltfProblem, Location};
use super::load::{self, Loaded};
use super::material::{self, MaterialData};

/// `VsIn` of `shaders/gltf.wgsl` (72 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Vertex {
    pub position: [f32; 3],
    pub normal: [f32; 3],
    /// xyz tangent, w handedness; w = 0 when the file gives none (the shader then derives a frame
    /// from screen-space derivatives).
    pub tangent: [f32; 4],
    pub uv0: [f32; 2],
    pub uv1: [f32; 2],
    /// `COLOR_0`, linear RGBA (white when absent).
    pub color: [f32; 4],
}

/// `InstanceIn` of `shaders/gltf.wgsl` (112 bytes): stage-from-mesh matrix and the inverse-transpose
/// of its 3 x 3 part for normals (columns, `w` unused).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Instance {
    pub model: [[f32; 4]; 4],
    pub normal: [[f32; 4]; 3],
}

impl Instance {
    /// An instance placed by `m` (stage from mesh).
    pub fn new(m: Mat4) -> Instance {
        let m3 = Mat3::from_mat4(m);
        let n = if m3.determinant().abs() > 1e-20 {
            m3.inverse().transpose()
        } else {
            m3
        };
        Instance {
            model: m.to_cols_array_2d(),
            normal: [
                n.x_axis.extend(0.0),
                n.y_axis.extend(0.0),
                n.z_axis.extend(0.0),
            ]
            .map(|c| c.to_array()),
        }
    }
}

/// A bounding sphere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sphere {
    pub centre: Vec3,
    pub radius: f32,
}

impl Sphere {
    /// The sphere around the axis-aligned box of `points` (empty: a point at the origin).
    pub fn around(points: impl Iterator<Item = Vec3>) -> Sphere {
        let (mut lo, mut hi) = (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN));
        for p in points {
            lo = lo.min(p);
            hi = hi.max(p);
        }
        if lo.x > hi.x {
            return Sphere {
                centre: Vec3::ZERO,
                radius: 0.0,
            };
        }
        Sphere {
            centre: (lo + hi) * 0.5,
            radius: (hi - lo).length() * 0.5,
        }
    }

    /// The sphere transformed by `m` (radius scaled by the largest axis scale).
    pub fn transformed(&self, m: &Mat4) -> Sphere {
        let s = m
            .x_axis
            .truncate()
            .length()
            .max(m.y_axis.truncate().length())
            .max(m.z_axis.truncate().length());
        Sphere {
            centre: m.transform_point3(self.centre),
            radius: self.radius * s,
        }
    }
}

/// One mesh primitive: a range of the index array and the instances that draw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Primitive {
    /// `meshes[mesh].primitives[primitive]`.
    pub mesh: usize,
    pub primitive: usize,
    pub first_index: u32,
    pub index_count: u32,
    pub base_vertex: i32,
    /// Index in [`Asset::materials`].
    pub material: usize,
    /// Bounds in mesh space.
    pub bounds: Sphere,
    /// Range of [`Asset::instances`].
    pub instances: std::ops::Range<u32>,
}

/// A `KHR_lights_punctual` light placed in stage space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Light {
    /// 0 directional, 1 point, 2 spot.
    pub kind: u32,
    /// Colour times intensity (directional: lux; point and spot: candela), linear RGB.
    pub color: Vec3,
    pub position: Vec3,
    /// Direction the light shines along (the node's -Z), unit.
    pub direction: Vec3,
    /// Range in metres; 0 = infinite.
    pub range: f32,
    /// `cos(inner cone)`, `cos(outer cone)` of a spot.
    pub cone_cos: (f32, f32),
}

/// A glTF sampler in wgpu's terms (spec 3.8.4; no sampler: linear, mip-mapped, repeating).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SamplerDesc {
    pub mag: wgpu::FilterMode,
    pub min: wgpu::FilterMode,
    pub mip: wgpu::MipmapFilterMode,
    /// Whether minification uses the mip chain (`NEAREST` or `LINEAR` minification does not).
    pub mipmapped: bool,
    pub wrap: [wgpu::AddressMode; 2],
}

impl Default for SamplerDesc {
    fn default() -> Self {
        SamplerDesc {
            mag: wgpu::FilterMode::Linear,
            min: wgpu::FilterMode::Linear,
            mip: wgpu::MipmapFilterMode::Linear,
            mipmapped: true,
            wrap: [wgpu::AddressMode::Repeat; 2],
        }
    }
}

impl SamplerDesc {
    /// The sampler a glTF sampler describes.
    pub fn of(s: &gltf::texture::Sampler<'_>) -> SamplerDesc {
        use gltf::texture::{MagFilter, MinFilter, WrappingMode};
        use wgpu::{FilterMode as F, MipmapFilterMode as M};
        let d = SamplerDesc::default();
        let (min, mip, mipmapped) = match s.min_filter() {
            None => (d.min, d.mip, true),
            Some(MinFilter::Nearest) => (F::Nearest, M::Nearest, false),
            Some(MinFilter::Linear) => (F::Linear, M::Nearest, false),
            Some(MinFilter::NearestMipmapNearest) => (F::Nearest, M::Nearest, true),
            Some(MinFilter::LinearMipmapNearest) => (F::Linear, M::Nearest, true),
            Some(MinFilter::NearestMipmapLinear) => (F::Nearest, M::Linear, true),
            Some(MinFilter::LinearMipmapLinear) => (F::Linear, M::Linear, true),
        };
        let wrap = |w: WrappingMode| match w {
            WrappingMode::ClampToEdge => wgpu::AddressMode::ClampToEdge,
            WrappingMode::MirroredRepeat => wgpu::AddressMode::MirrorRepeat,
            WrappingMode::Repeat => wgpu::AddressMode::Repeat,
        };
        SamplerDesc {
            mag: match s.mag_filter() {
                Some(MagFilter::Nearest) => F::Nearest,
                _ => F::Linear,
            },
            min,
            mip,
            mipmapped,
            wrap: [wrap(s.wrap_s()), wrap(s.wrap_t())],
        }
    }
}

/// A glTF file ready for upload.
pub struct Asset {
    pub vertices: Vec<Vertex>,
    pub indices: Vec<u32>,
    /// Primitives that have at least one instance.
    pub primitives: Vec<Primitive>,
    /// Instances, grouped by primitive.
    pub instances: Vec<Instance>,
    /// The file's materials, then the spec's default material.
    pub materials: Vec<MaterialData>,
    /// One per `images[i]` (placeholders for those that failed).
    pub images: Vec<image::DynamicImage>,
    /// One per `samplers[i]`.
    pub samplers: Vec<SamplerDesc>,
    pub lights: Vec<Light>,
    /// Non-fatal findings (unreadable images, skipped point or line primitives, ...).
    pub warnings: Vec<GltfProblem>,
}

/// Loads `path` and places its default scene (or its first, or every root node) with `placement`
/// (stage from file). Errors: see [`GltfError`]; warnings are in [`Asset::warnings`].
pub fn load(path: &Path, placement: Mat4) -> Result<Asset, GltfError> {
    let loaded = load::read(path)?;
    build(loaded, placement)
}

/// As [`load`], from the file's contents (`.gltf` JSON or `.glb`); `path` names the file in errors
/// and locates its external buffers and images.
pub fn from_bytes(bytes: &[u8], path: &Path, placement: Mat4) -> Result<Asset, GltfError> {
    build(load::read_bytes(bytes, path)?, placement)
}

struct Geometry {
    vertices: Vec<Vertex>,
    indices: Vec<u32>,
    bounds: Sphere,
}

fn build(l: Loaded, placement: Mat4) -> Result<Asset, GltfError> {
    let mut problems = Vec::new();
    let mut warnings = l.warnings;
    let mut materials = material::materials(&l.doc, &l.raw, &mut problems);
    let default_material = materials.len();
    materials.push(material::default_material());

    // Geometry of every primitive, indexed by (mesh, primitive).
    let mut geometry: Vec<Vec<Option<(Geometry, usize)>>> = Vec::new();
    for mesh in l.doc.meshes() {
        let mut prims = Vec::new();
        for p in mesh.primitives() {
            let at = Location::Primitive {
                mesh: mesh.index(),
                primitive: p.index(),
            };
            let mat = p.material().index().unwrap_or(default_material);
            prims.push(match primitive_geometry(&p, &l.buffers) {
                Ok(Some(g)) => Some((g, mat)),
                Ok(None) => {
                    warnings.push(GltfProblem::new(
                        at,
                        format!("mode {:?} is not drawn (only triangles are)", p.mode()),
                    ));
                    None
                }
                Err(e) => {
                    problems.push(e.into_problem(at));
                    None
                }
            });
        }
        geometry.push(prims);
    }

    // Instances and lights from the node hierarchy.
    let mut placed: Vec<(usize, usize, Mat4)> = Vec::new();
    let mut lights = Vec::new();
    let roots: Vec<gltf::Node<'_>> = match l.doc.default_scene().or_else(|| l.doc.scenes().next()) {
        Some(s) => s.nodes().collect(),
        None => {
            let mut child = vec![false; l.doc.nodes().len()];
            for n in l.doc.nodes() {
                for c in n.children() {
                    child[c.index()] = true;
                }
            }
            l.doc.nodes().filter(|n| !child[n.index()]).collect()
        }
    };
    let mut seen = vec![false; l.doc.nodes().len()];
    let mut stack: Vec<(gltf::Node<'_>, Mat4)> =
        roots.into_iter().rev().map(|n| (n, placement)).collect();
    while let Some((node, parent)) = stack.pop() {
        if std::mem::replace(&mut seen[node.index()], true) {
            problems.push(GltfProblem::new(
                Location::Node(node.index()),
                "reached twice: the node hierarchy must be a forest (no shared children, no cycles)",
            ));
            continue;
        }
        let world = parent * Mat4::from_cols_array_2d(&node.transform().matrix());
        if let Some(mesh) = node.mesh() {
            for p in mesh.primitives() {
                placed.push((mesh.index(), p.index(), world));
            }
        }
        if let Some(light) = node.light() {
            lights.push(place_light(&light, &world));
        }
        for c in node.children().collect::<Vec<_>>().into_iter().rev() {
            stack.push((c, world));
        }
    }
    if !problems.is_empty() {
        return Err(GltfError::Invalid {
            path: l.path,
            problems,
        });
    }

    // One primitive per (mesh, primitive) that has instances; instances grouped by primitive.
    placed.sort_by_key(|&(m, p, _)| (m, p));
    let (mut vertices, mut indices) = (Vec::new(), Vec::new());
    let (mut primitives, mut instances) = (Vec::<Primitive>::new(), Vec::new());
    for (m, p, world) in placed {
        let Some(Some((g, mat))) = geometry.get_mut(m).and_then(|v| v.get_mut(p)) else {
            continue;
        };
        if primitives
            .last()
            .is_none_or(|q| (q.mesh, q.primitive) != (m, p))
        {
            let first = instances.len() as u32;
            primitives.push(Primitive {
                mesh: m,
                primitive: p,
                first_index: indices.len() as u32,
                index_count: g.indices.len() as u32,
                base_vertex: vertices.len() as i32,
                material: *mat,
                bounds: g.bounds,
                instances: first..first,
            });
            vertices.append(&mut g.vertices);
            indices.append(&mut g.indices);
        }
        instances.push(Instance::new(world));
        if let Some(q) = primitives.last_mut() {
            q.instances.end = instances.len() as u32;
        }
    }
    Ok(Asset {
        vertices,
        indices,
        primitives,
        instances,
        materials,
        images: l.images,
        samplers: l.doc.samplers().map(|s| SamplerDesc::of(&s)).collect(),
        lights,
        warnings,
    })
}

fn place_light(light: &gltf::khr_lights_punctual::Light<'_>, world: &Mat4) -> Light {
    use gltf::khr_lights_punctual::Kind;
    let (kind, cone_cos) = match light.kind() {
        Kind::Directional => (0, (1.0, 1.0)),
        Kind::Point => (1, (1.0, 1.0)),
        Kind::Spot {
            inner_cone_angle,
            outer_cone_angle,
        } => (2, (inner_cone_angle.cos(), outer_cone_angle.cos())),
    };
    Light {
        kind,
        color: Vec3::from(light.color()) * light.intensity(),
        position: world.transform_point3(Vec3::ZERO),
        direction: world
            .transform_vector3(Vec3::NEG_Z)
            .try_normalize()
            .unwrap_or(Vec3::NEG_Z),
        range: light.range().unwrap_or(0.0),
        cone_cos,
    }
}

/// Why a primitive could not be read.
enum PrimitiveError {
    Accessor(usize, &'static str, String),
    Other(String),
}

impl PrimitiveError {
    fn into_problem(self, at: Location) -> GltfProblem {
        match self {
            PrimitiveError::Accessor(i, what, why) => {
                GltfProblem::new(Location::Accessor(i), format!("{what} of {at}: {why}"))
            }
            PrimitiveError::Other(why) => GltfProblem::new(at, why),
        }
    }
}

/// Reads one primitive into triangle-list geometry. `Ok(None)`: points or lines (not drawn).
fn primitive_geometry(
    p: &gltf::Primitive<'_>,
    buffers: &[gltf::buffer::Data],
) -> Result<Option<Geometry>, PrimitiveError> {
    use gltf::mesh::{Mode, Semantic};
    let attr = |s: Semantic, what: &'static str| p.get(&s).map(|a| (a, what));
    let Some((pos_acc, _)) = attr(Semantic::Positions, "POSITION") else {
        return Err(PrimitiveError::Other("has no POSITION attribute".into()));
    };
    fn err(a: &gltf::Accessor<'_>, what: &'static str) -> impl FnOnce(String) -> PrimitiveError {
        let i = a.index();
        move |e| PrimitiveError::Accessor(i, what, e)
    }
    let positions = read_floats::<3>(&pos_acc, buffers).map_err(err(&pos_acc, "POSITION"))?;
    let n = positions.len();
    let same_count = |a: &gltf::Accessor<'_>, what: &'static str| {
        if a.count() != n {
            Err(PrimitiveError::Accessor(
                a.index(),
                what,
                format!("has {} elements, POSITION has {n}", a.count()),
            ))
        } else {
            Ok(())
        }
    };
    let read3 = |s, what| -> Result<Option<Vec<[f32; 3]>>, PrimitiveError> {
        match attr(s, what) {
            Some((a, w)) => {
                same_count(&a, w)?;
                read_floats::<3>(&a, buffers).map(Some).map_err(err(&a, w))
            }
            None => Ok(None),
        }
    };
    let normals = read3(Semantic::Normals, "NORMAL")?;
    let read2 = |s, what| -> Result<Option<Vec<[f32; 2]>>, PrimitiveError> {
        match attr(s, what) {
            Some((a, w)) => {
                same_count(&a, w)?;
                read_floats::<2>(&a, buffers).map(Some).map_err(err(&a, w))
            }
            None => Ok(None),
        }
    };
    let uv0 = read2(Semantic::TexCoords(0), "TEXCOORD_0")?;
    let uv1 = read2(Semantic::TexCoords(1), "TEXCOORD_1")?;
    let tangents = match attr(Semantic::Tangents, "TANGENT") {
        Some((a, w)) => {
            same_count(&a, w)?;
            Some(read_floats::<4>(&a, buffers).map_err(err(&a, w))?)
        }
        None => None,
    };
    let colors = match attr(Semantic::Colors(0), "COLOR_0") {
        Some((a, w)) => {
            same_count(&a, w)?;
            Some(match components(a.dimensions()) {
                3 => read_floats::<3>(&a, buffers)
                    .map_err(err(&a, w))?
                    .into_iter()
                    .map(|c| [c[0], c[1], c[2], 1.0])
                    .collect(),
                _ => read_floats::<4>(&a, buffers).map_err(err(&a, w))?,
            })
        }
        None => None,
    };
    let list = match p.indices() {
        Some(a) => {
            let idx = read_indices(&a, buffers).map_err(err(&a, "indices"))?;
            if let Some((k, &v)) = idx.iter().enumerate().find(|(_, v)| **v as usize >= n) {
                return Err(PrimitiveError::Accessor(
                    a.index(),
                    "indices",
                    format!("index {k} is {v}, but there are only {n} vertices"),
                ));
            }
            idx
        }
        None => (0..n as u32).collect(),
    };
    let tris: Vec<u32> = match p.mode() {
        Mode::Triangles => list.chunks_exact(3).flatten().copied().collect(),
        Mode::TriangleStrip => (2..list.len())
            .flat_map(|i| {
                if i % 2 == 0 {
                    [list[i - 2], list[i - 1], list[i]]
                } else {
                    [list[i - 1], list[i - 2], list[i]]
                }
            })
            .collect(),
        Mode::TriangleFan => (2..list.len())
            .flat_map(|i| [list[i - 1], list[i], list[0]])
            .collect(),
        _ => return Ok(None),
    };
    let vertex = |i: usize| Vertex {
        position: positions[i],
        normal: normals.as_ref().map_or([0.0, 0.0, 1.0], |v| v[i]),
        tangent: tangents.as_ref().map_or([0.0; 4], |v| v[i]),
        uv0: uv0.as_ref().map_or([0.0; 2], |v| v[i]),
        uv1: uv1.as_ref().map_or([0.0; 2], |v| v[i]),
        color: colors.as_ref().map_or([1.0; 4], |v| v[i]),
    };
    let bounds = Sphere::around(positions.iter().map(|p| Vec3::from(*p)));
    let (vertices, indices) = if normals.is_some() {
        ((0..n).map(vertex).collect(), tris)
    } else {
        // Spec 3.7.2.1: without normals, flat normals. Unweld so that each triangle has its own.
        let mut v: Vec<Vertex> = tris.iter().map(|&i| vertex(i as usize)).collect();
        for t in v.chunks_exact_mut(3) {
            let [a, b, c] = [0, 1, 2].map(|k| Vec3::from(t[k].position));
            let nrm = (b - a).cross(c - a).try_normalize().unwrap_or(Vec3::Z);
            for x in t.iter_mut() {
                x.normal = nrm.to_array();
            }
        }
        let count = v.len() as u32;
        (v, (0..count).collect())
    };
    Ok(Some(Geometry {
        vertices,
        indices,
        bounds,
    }))
}
