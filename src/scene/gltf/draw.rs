//! [`GltfScene`]: a loaded glTF file as a [`Scene`]. Each view draws the opaque and alpha-masked
//! primitives, then the blended ones (far to near by their nearest instance, without depth writes).
//! A primitive is one instanced draw over all its instances; with culling on, instances whose
//! bounding sphere lies outside the view's frustum are skipped (the visible ones are drawn in as few
//! instanced draws as there are runs of consecutive visible instances).

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use glam::{Mat4, Vec3};

use super::asset::{self, Sphere};
use super::error::{GltfError, GltfProblem};
use super::gpu::{self, GpuAsset};
use crate::scene::{Ambient, Scene, SceneContext, ViewBinding};

/// One primitive as drawn: its index range, material and each instance's stage-space bounds.
struct Draw {
    first_index: u32,
    index_count: u32,
    base_vertex: i32,
    material: usize,
    blended: bool,
    first_instance: u32,
    spheres: Vec<Sphere>,
}

/// Counts of the last view drawn (for tests and benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DrawStats {
    /// Draw calls issued.
    pub draws: u32,
    /// Instances drawn.
    pub instances: u32,
    /// Instances skipped by frustum culling.
    pub culled: u32,
}

/// A glTF file on the GPU, drawn in stage space.
pub struct GltfScene {
    gpu: GpuAsset,
    draws: Vec<Draw>,
    culling: AtomicBool,
    stats: [AtomicU32; 3],
    warnings: Vec<GltfProblem>,
    triangles: u64,
}

impl GltfScene {
    /// Loads `path` and places it with `placement` (stage from file: the glTF +Y up, metres, as the
    /// stage). `ambient` is the environment's irradiance. Errors: [`GltfError`], every problem at
    /// once; unreadable images are warnings ([`GltfScene::warnings`], also logged).
    pub fn load(
        ctx: &SceneContext<'_>,
        path: &Path,
        placement: Mat4,
        ambient: &Ambient,
    ) -> Result<GltfScene, GltfError> {
        let asset = asset::load(path, placement)?;
        Ok(GltfScene::new(ctx, asset, ambient))
    }

    /// Uploads a loaded asset.
    pub fn new(ctx: &SceneContext<'_>, asset: asset::Asset, ambient: &Ambient) -> GltfScene {
        let mut warnings = asset.warnings.clone();
        let before = warnings.len();
        let gpu = gpu::upload(ctx, &asset, ambient, &mut warnings);
        for w in &warnings[before..] {
            log::warn!("glTF: {w}");
        }
        let draws = asset
            .primitives
            .iter()
            .map(|p| Draw {
                first_index: p.first_index,
                index_count: p.index_count,
                base_vertex: p.base_vertex,
                material: p.material,
                blended: asset.materials.get(p.material).is_some_and(|m| m.blended()),
                first_instance: p.instances.start,
                spheres: asset.instances[p.instances.start as usize..p.instances.end as usize]
                    .iter()
                    .map(|i| p.bounds.transformed(&Mat4::from_cols_array_2d(&i.model)))
                    .collect(),
            })
            .collect();
        let triangles = asset
            .primitives
            .iter()
            .map(|p| p.index_count as u64 / 3 * p.instances.len() as u64)
            .sum();
        GltfScene {
            gpu,
            draws,
            culling: AtomicBool::new(true),
            stats: Default::default(),
            warnings,
            triangles,
        }
    }

    /// Non-fatal findings: unreadable images (drawn as a magenta/black checker), skipped point and
    /// line primitives, dropped lights.
    pub fn warnings(&self) -> &[GltfProblem] {
        &self.warnings
    }

    /// Turns per-instance frustum culling on (the default) or off.
    pub fn set_culling(&self, on: bool) {
        self.culling.store(on, Ordering::Relaxed);
    }

    /// Triangles drawn when every instance is visible.
    pub fn triangle_count(&self) -> u64 {
        self.triangles
    }

    /// Counts of the last view drawn.
    pub fn last_stats(&self) -> DrawStats {
        let g = |k: usize| self.stats[k].load(Ordering::Relaxed);
        DrawStats {
            draws: g(0),
            instances: g(1),
            culled: g(2),
        }
    }
}

/// Maximal runs `start..end` of `visible` that are true.
fn runs(visible: &[bool]) -> impl Iterator<Item = std::ops::Range<u32>> + '_ {
    let mut k = 0usize;
    std::iter::from_fn(move || {
        while k < visible.len() && !visible[k] {
            k += 1;
        }
        if k >= visible.len() {
            return None;
        }
        let start = k;
        while k < visible.len() && visible[k] {
            k += 1;
        }
        Some(start as u32..k as u32)
    })
}

impl Scene for GltfScene {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>) {
        let cull = self.culling.load(Ordering::Relaxed);
        let eye = view.frustum.eye.as_vec3();
        let mut stats = DrawStats::default();
        let mut blended: Vec<(f32, &Draw, Vec<bool>)> = Vec::new();
        let mut opaque: Vec<(&Draw, Vec<bool>)> = Vec::new();
        for d in &self.draws {
            let visible: Vec<bool> = d
                .spheres
                .iter()
                .map(|s| !cull || view.frustum.intersects_sphere(s.centre, s.radius))
                .collect();
            if !visible.iter().any(|v| *v) {
                stats.culled += d.spheres.len() as u32;
                continue;
            }
            if d.blended {
                let near = d
                    .spheres
                    .iter()
                    .map(|s| (s.centre - eye).length())
                    .fold(f32::MAX, f32::min);
                blended.push((near, d, visible));
            } else {
                opaque.push((d, visible));
            }
        }
        blended.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut record = |pass: &mut wgpu::RenderPass<'_>, d: &Draw, visible: &[bool]| {
            pass.set_bind_group(2, &self.gpu.materials[d.material], &[]);
            for r in runs(visible) {
                let (a, b) = (d.first_instance + r.start, d.first_instance + r.end);
                pass.draw_indexed(
                    d.first_index..d.first_index + d.index_count,
                    d.base_vertex,
                    a..b,
                );
                stats.draws += 1;
                stats.instances += r.end - r.start;
            }
            stats.culled += visible.iter().filter(|v| !**v).count() as u32;
        };
        if !opaque.is_empty() || !blended.is_empty() {
            pass.set_bind_group(0, view.bind_group, &[view.offset]);
            pass.set_bind_group(1, &self.gpu.lighting, &[]);
            pass.set_vertex_buffer(0, self.gpu.vertices.slice(..));
            pass.set_vertex_buffer(1, self.gpu.instances.slice(..));
            pass.set_index_buffer(self.gpu.indices.slice(..), wgpu::IndexFormat::Uint32);
        }
        if !opaque.is_empty() {
            pass.set_pipeline(&self.gpu.opaque);
            for (d, v) in &opaque {
                record(pass, d, v);
            }
        }
        if !blended.is_empty() {
            pass.set_pipeline(&self.gpu.blend);
            for (_, d, v) in &blended {
                record(pass, d, v);
            }
        }
        for (k, v) in [stats.draws, stats.instances, stats.culled]
            .into_iter()
            .enumerate()
        {
            self.stats[k].store(v, Ordering::Relaxed);
        }
    }
}

/// The stage-from-file matrix of a placement: translate, rotate, scale (applied to the file's
/// points in that order reversed: scale first).
pub fn placement_matrix(position: Vec3, rotation: glam::Quat, scale: Vec3) -> Mat4 {
    Mat4::from_scale_rotation_translation(scale, rotation, position)
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn runs_of_visible_instances() {
        let v = [false, true, true, false, true, false, false, true];
        assert_eq!(runs(&v).collect::<Vec<_>>(), vec![1..3, 4..5, 7..8]);
        assert_eq!(runs(&[true; 4]).collect::<Vec<_>>(), vec![0..4]);
        assert_eq!(runs(&[false; 3]).count(), 0);
    }
}
