//! A small procedural 3D scene at known positions: a floor with a 1 m grid at `y = 0` and coloured
//! boxes behind the demo wall's plane (the demo wall is a 4 m arc around the origin towards -Z), so
//! that parallax between the inner and outer views is visible and testable. On a larger stage the
//! whole scene is scaled about the stage origin ([`scale_for`]) so that the boxes stand beyond its
//! walls instead of inside the volume.

use glam::Vec3;
use wgpu::util::DeviceExt;

use super::{
    SCENE_COLOR_FORMAT, SCENE_DEPTH_COMPARE, SCENE_DEPTH_FORMAT, Scene, SceneContext, ViewBinding,
};
use crate::shaders;

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Vertex {
    position: [f32; 3],
    normal: [f32; 3],
    color: [f32; 3],
    kind: f32,
}

/// An axis-aligned box of the test scene.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TestBox {
    /// Centre in stage metres.
    pub centre: Vec3,
    /// Full size in metres.
    pub size: Vec3,
    /// Linear RGB colour.
    pub color: Vec3,
}

/// The boxes of the test scene, all beyond 5 m from the origin towards -Z.
pub const TEST_BOXES: [TestBox; 5] = [
    TestBox {
        centre: Vec3::new(-2.0, 0.75, -6.0),
        size: Vec3::new(1.5, 1.5, 1.5),
        color: Vec3::new(0.8, 0.1, 0.08),
    },
    TestBox {
        centre: Vec3::new(1.5, 0.5, -5.5),
        size: Vec3::new(1.0, 1.0, 1.0),
        color: Vec3::new(0.1, 0.7, 0.15),
    },
    TestBox {
        centre: Vec3::new(0.0, 1.5, -9.0),
        size: Vec3::new(1.0, 3.0, 1.0),
        color: Vec3::new(0.1, 0.2, 0.85),
    },
    TestBox {
        centre: Vec3::new(3.5, 1.0, -8.0),
        size: Vec3::new(1.2, 2.0, 1.2),
        color: Vec3::new(0.9, 0.75, 0.1),
    },
    TestBox {
        centre: Vec3::new(-3.5, 2.5, -7.5),
        size: Vec3::new(0.8, 0.8, 0.8),
        color: Vec3::new(0.75, 0.15, 0.7),
    },
];

/// The floor's extent in x and z (metres).
pub const FLOOR_EXTENT: (f32, f32, f32, f32) = (-30.0, 30.0, -40.0, 10.0);

/// Farthest floor distance (metres, in x and z from the stage origin) a cabinet corner may have for
/// the test scene to keep its own size: the boxes' nearest faces are 5 m from the origin.
pub const UNSCALED_REACH_M: f64 = 4.5;

/// Uniform scale (about the stage origin) that puts the test scene's boxes beyond every cabinet of
/// `stage`: 1 while every cabinet corner lies within [`UNSCALED_REACH_M`] of the origin on the floor
/// plane (x, z), else that farthest distance / [`UNSCALED_REACH_M`]. The floor's grid stays 1 m
/// (drawn from world positions). A stage without cabinets gets 1.
pub fn scale_for(stage: &crate::stage::Stage) -> f32 {
    let reach = stage
        .panels
        .iter()
        .flat_map(|p| p.frame.corners())
        .map(|c| c.x.hypot(c.z))
        .fold(0.0f64, f64::max);
    (reach / UNSCALED_REACH_M).max(1.0) as f32
}

fn push_quad(out: &mut Vec<Vertex>, corners: [Vec3; 4], normal: Vec3, color: Vec3, kind: f32) {
    for k in [0usize, 1, 2, 0, 2, 3] {
        out.push(Vertex {
            position: corners[k].to_array(),
            normal: normal.to_array(),
            color: color.to_array(),
            kind,
        });
    }
}

/// The scene's triangles, every position scaled by `scale` about the origin.
fn geometry(scale: f32) -> Vec<Vertex> {
    let mut v = Vec::new();
    let (x0, x1, z0, z1) = FLOOR_EXTENT;
    push_quad(
        &mut v,
        [
            Vec3::new(x0, 0.0, z0),
            Vec3::new(x1, 0.0, z0),
            Vec3::new(x1, 0.0, z1),
            Vec3::new(x0, 0.0, z1),
        ],
        Vec3::Y,
        Vec3::splat(0.45),
        1.0,
    );
    for b in TEST_BOXES {
        let h = b.size * 0.5;
        let c = b.centre;
        for axis in 0..3 {
            for sign in [-1.0f32, 1.0] {
                let mut n = Vec3::ZERO;
                n[axis] = sign;
                let (a1, a2) = ((axis + 1) % 3, (axis + 2) % 3);
                let mut e1 = Vec3::ZERO;
                e1[a1] = h[a1];
                let mut e2 = Vec3::ZERO;
                e2[a2] = h[a2];
                let f = c + n * h[axis];
                push_quad(
                    &mut v,
                    [f - e1 - e2, f + e1 - e2, f + e1 + e2, f - e1 + e2],
                    n,
                    b.color,
                    0.0,
                );
            }
        }
    }
    for vertex in &mut v {
        vertex.position = (Vec3::from(vertex.position) * scale).to_array();
    }
    v
}

/// The procedural test scene (floor grid and coloured boxes), depth-tested.
pub struct TestScene {
    pipeline: wgpu::RenderPipeline,
    vertices: wgpu::Buffer,
    count: u32,
}

impl TestScene {
    /// Creates the scene's geometry, scaled by `scale` about the stage origin ([`scale_for`]; 1 is
    /// [`TEST_BOXES`] as listed), and its pipeline.
    pub fn new(ctx: &SceneContext<'_>, scale: f32) -> TestScene {
        let device = &ctx.gpu.device;
        let verts = geometry(scale);
        let vertices = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("test scene vertices"),
            contents: bytemuck::cast_slice(&verts),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let module = shaders::module(device, "test scene", shaders::TEST_SCENE);
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("test scene pipeline layout"),
            bind_group_layouts: &[Some(ctx.view_layout)],
            immediate_size: 0,
        });
        let attributes =
            wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 2 => Float32x3, 3 => Float32];
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("test scene pipeline"),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: std::mem::size_of::<Vertex>() as u64,
                    step_mode: wgpu::VertexStepMode::Vertex,
                    attributes: &attributes,
                })],
            },
            // No culling: cube faces are rendered with a mirrored (left-handed) basis.
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: Some(wgpu::DepthStencilState {
                format: SCENE_DEPTH_FORMAT,
                depth_write_enabled: Some(true),
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
        TestScene {
            pipeline,
            vertices,
            count: verts.len() as u32,
        }
    }
}

impl Scene for TestScene {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, view.bind_group, &[view.offset]);
        pass.set_vertex_buffer(0, self.vertices.slice(..));
        pass.draw(0..self.count, 0..1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nearest floor distance (x, z) of any point of a box from the stage origin.
    fn nearest_reach(b: &TestBox, scale: f32) -> f64 {
        let (c, h) = (b.centre * scale, b.size * scale * 0.5);
        let dx = (c.x.abs() - h.x).max(0.0) as f64;
        let dz = (c.z.abs() - h.z).max(0.0) as f64;
        dx.hypot(dz)
    }

    /// Farthest floor distance (x, z) of a cabinet corner from the stage origin.
    fn wall_reach(stage: &crate::stage::Stage) -> f64 {
        let corners = stage.panels.iter().flat_map(|p| p.frame.corners());
        corners.map(|c| c.x.hypot(c.z)).fold(0.0, f64::max)
    }

    #[test]
    fn boxes_stand_beyond_every_cabinet_of_small_and_large_stages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages");
        let demo = crate::stage::load(&root.join("demo.ron")).unwrap();
        assert_eq!(scale_for(&demo), 1.0, "the demo keeps TEST_BOXES as listed");
        // A 270-degree arc of 96 cabinets of 0.5 m (radius about 10.2 m), as a large volume has.
        let text = crate::stage::synthetic::volume(96, 4, (4, 4));
        let big = crate::stage::Stage::from_ron(&text, "volume.ron").unwrap();
        assert!(wall_reach(&big) > 10.0, "{}", wall_reach(&big));
        // Unscaled, the big volume's wall stands in front of the boxes.
        assert!(
            TEST_BOXES
                .iter()
                .any(|b| nearest_reach(b, 1.0) < wall_reach(&big))
        );
        for stage in [&big, &demo] {
            let (s, reach) = (scale_for(stage), wall_reach(stage));
            for b in &TEST_BOXES {
                let near = nearest_reach(b, s);
                assert!(
                    near > reach,
                    "box at {:?} x {s}: {near} m, wall {reach} m",
                    b.centre
                );
            }
        }
    }

    #[test]
    fn geometry_scales_about_the_origin() {
        let (a, b) = (geometry(1.0), geometry(2.5));
        assert_eq!(a.len(), b.len());
        for (u, v) in a.iter().zip(&b) {
            for k in 0..3 {
                assert!(
                    (v.position[k] - 2.5 * u.position[k]).abs()
                        <= 1e-5 * u.position[k].abs().max(1.0)
                );
            }
            assert_eq!(u.normal, v.normal);
        }
    }
}
