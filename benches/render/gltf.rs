//! `gltf_scene/*`: whole frames of demo.ron with a generated glTF scene of about 1 M triangles and
//! 100 materials (100 spheres of 4,900 triangles, each used twice, all around the stage) with
//! frustum culling on and off, against the procedural test scene.

use criterion::Criterion;
use glam::Mat4;
use parallax::gpu::Gpu;
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};
use parallax::scene::{Ambient, GltfScene, Scene, SceneList, SceneSpec, ViewBinding};
use parallax::stage::Stage;
use serde_json::json;

use crate::gltf_writer::GltfWriter;
use crate::{encoder, wait};

/// A UV sphere: `rings` x `segments` quads, 2 triangles each.
fn sphere(r: f32, rings: u32, segments: u32) -> (Vec<f32>, Vec<f32>, Vec<u32>) {
    let (mut p, mut n, mut i) = (Vec::new(), Vec::new(), Vec::new());
    for a in 0..=rings {
        let t = std::f32::consts::PI * a as f32 / rings as f32;
        for b in 0..=segments {
            let f = std::f32::consts::TAU * b as f32 / segments as f32;
            let d = [t.sin() * f.cos(), t.cos(), t.sin() * f.sin()];
            p.extend(d.iter().map(|v| v * r));
            n.extend_from_slice(&d);
        }
    }
    let row = segments + 1;
    for a in 0..rings {
        for b in 0..segments {
            let (k, l) = (a * row + b, (a + 1) * row + b);
            i.extend_from_slice(&[k, k + 1, l, k + 1, l + 1, l]);
        }
    }
    (p, n, i)
}

/// 100 materials, 100 meshes of 4,900 triangles, each drawn at two places: 980,000 triangles.
fn large_scene() -> Vec<u8> {
    let mut w = GltfWriter::default();
    let (p, n, i) = sphere(0.6, 35, 70);
    for k in 0..100u32 {
        let h = k as f32 / 100.0;
        w.materials.push(json!({"pbrMetallicRoughness": {
            "baseColorFactor": [0.2 + 0.8 * h, 0.5, 1.0 - 0.8 * h, 1.0],
            "metallicFactor": (k % 2) as f32, "roughnessFactor": 0.2 + 0.6 * ((k % 7) as f32 / 6.0)}}));
        let m = w.mesh(&p, &n, &[], &i, Some(k as usize));
        for copy in 0..2u32 {
            let a = std::f32::consts::TAU * (k as f32 + 0.5 * copy as f32) / 100.0;
            let r = 7.0 + 6.0 * copy as f32 + (k % 5) as f32;
            w.node(json!({"mesh": m, "translation": [r * a.sin(), 0.6 + (k % 4) as f32, -r * a.cos()]}));
        }
    }
    w.to_glb()
}

struct Both<'a>(&'a SceneList, &'a GltfScene);

impl Scene for Both<'_> {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>) {
        self.0.draw(pass, view);
        self.1.draw(pass, view);
    }
}

pub fn gltf_scene(c: &mut Criterion, gpu: &Gpu, adapter: &str, stage: &Stage) {
    let options = RendererOptions {
        wall: false,
        camera: false,
        ..Default::default()
    };
    let mut renderer = Renderer::new(gpu, stage, options).expect("renderer");
    let inputs = FrameInputs::at_rest(stage, &Overrides::default()).expect("inputs");
    renderer.prepare(gpu, &inputs).expect("prepare");
    let ctx = renderer.scene_context(gpu);
    let test_scene = parallax::scene::build(
        &ctx,
        &SceneSpec {
            test_scene: true,
            ..Default::default()
        },
    )
    .expect("test scene");
    let sky = parallax::scene::build(&ctx, &SceneSpec::default()).expect("sky");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("large.glb");
    std::fs::write(&path, large_scene()).expect("write");
    let ambient = Ambient::from_equirect(&parallax::scene::sky_image(), 0.0);
    let large = GltfScene::load(&ctx, &path, Mat4::IDENTITY, &ambient).expect("large scene");
    eprintln!(
        "large glTF scene: {} triangles, 100 materials",
        large.triangle_count()
    );
    let both = Both(&sky, &large);
    let mut group = c.benchmark_group(format!("gltf_scene [{adapter}]"));
    group.sample_size(10);
    group.bench_function("test scene", |b| {
        b.iter(|| {
            let mut e = encoder(gpu);
            renderer.render(&mut e, &test_scene).expect("render");
            wait(gpu, e);
        })
    });
    for culling in [true, false] {
        large.set_culling(culling);
        let label = if culling {
            "1M triangles, culling on"
        } else {
            "1M triangles, culling off"
        };
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut e = encoder(gpu);
                renderer.render(&mut e, &both).expect("render");
                wait(gpu, e);
            })
        });
        eprintln!("{label}: inner frustum {:?}", large.last_stats());
    }
    group.finish();
}
