//! Content drawn on the wall: anything that can draw itself into a render pass from a view.
//!
//! The renderer draws the scene several times per frame (six cube faces for the outer wall, the inner
//! frustum, a reference camera view), each time with a different view bound at group 0 (a view
//! uniform with a dynamic offset: `clip = view_proj * (world - eye, 1)`). [`Environment`],
//! [`TestScene`] and [`GltfScene`] implement [`Scene`]; the [`ViewBinding`] also carries the view's
//! [`Frustum`] for culling on the CPU.

mod ambient;
pub mod cull;
mod environment;
pub mod gltf;
pub mod test_scene;

use std::path::Path;

pub use ambient::{Ambient, sh_basis};
pub use cull::Frustum;
pub use environment::{
    Environment, EnvironmentError, SceneError, environment_texels, equirect_uv, sky_image,
};
pub use gltf::{GltfError, GltfScene};
pub use test_scene::TestScene;

use crate::gpu::Gpu;

/// Colour format of the targets scenes draw into (linear, HDR).
pub const SCENE_COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
/// Depth format of the targets scenes draw into.
pub const SCENE_DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
/// Depth test of every scene pipeline: reversed-Z (depth 1 at the near plane, 0 at infinity, see
/// `render::view::reversed_z_infinite`), so nearer is greater. Passes clear depth to
/// [`SCENE_DEPTH_CLEAR`].
pub const SCENE_DEPTH_COMPARE: wgpu::CompareFunction = wgpu::CompareFunction::GreaterEqual;
/// Depth every scene pass is cleared to: 0, infinitely far.
pub const SCENE_DEPTH_CLEAR: f32 = 0.0;

/// What a scene needs to create its pipelines.
pub struct SceneContext<'a> {
    /// The GPU.
    pub gpu: &'a Gpu,
    /// Layout of group 0: one `View` uniform with a dynamic offset.
    pub view_layout: &'a wgpu::BindGroupLayout,
}

/// The view a scene is drawn from: the bind group for group 0 and the dynamic offset of the view.
pub struct ViewBinding<'a> {
    /// Bind group holding the view uniforms.
    pub bind_group: &'a wgpu::BindGroup,
    /// Dynamic offset of this view in the uniform buffer.
    pub offset: u32,
    /// The view's frustum on the CPU (same matrix and eye as the uniform), for culling.
    pub frustum: Frustum,
}

/// Content that can draw itself into a pass whose targets are [`SCENE_COLOR_FORMAT`] and
/// [`SCENE_DEPTH_FORMAT`] (reversed-Z: depth cleared to [`SCENE_DEPTH_CLEAR`] = 0, compared with
/// [`SCENE_DEPTH_COMPARE`], greater is nearer).
pub trait Scene {
    /// Records the draws. Backgrounds draw at infinity (depth 0) without writing depth; geometry
    /// depth-tests.
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>);
}

/// Several scenes drawn in order (e.g. an environment, then geometry).
#[derive(Default)]
pub struct SceneList {
    /// The parts, drawn first to last.
    pub parts: Vec<Box<dyn Scene>>,
}

impl Scene for SceneList {
    fn draw(&self, pass: &mut wgpu::RenderPass<'_>, view: &ViewBinding<'_>) {
        for p in &self.parts {
            p.draw(pass, view);
        }
    }
}

/// A glTF file placed in stage space.
#[derive(Clone, Debug, PartialEq)]
pub struct GltfPlacement {
    /// The `.gltf` or `.glb` file.
    pub path: std::path::PathBuf,
    /// Stage from file (column-major; the file's +Y up and metres, like the stage).
    pub placement: glam::Mat4,
}

/// What to put in the scene.
#[derive(Clone, Debug)]
pub struct SceneSpec {
    /// Equirectangular environment image; `None` = the procedural sky.
    pub environment: Option<std::path::PathBuf>,
    /// Yaw of the environment in degrees (positive turns it left, like pan).
    pub environment_yaw_deg: f64,
    /// Whether to draw the procedural test scene.
    pub test_scene: bool,
    /// Scale of the test scene about the stage origin (`test_scene::scale_for` the stage; 1 by
    /// default).
    pub test_scene_scale: f32,
    /// glTF files, drawn in front of the environment in every view.
    pub gltf: Vec<GltfPlacement>,
    /// Turns off per-instance frustum culling of the glTF files (for comparison; on by default).
    pub no_culling: bool,
}

impl Default for SceneSpec {
    fn default() -> SceneSpec {
        SceneSpec {
            environment: None,
            environment_yaw_deg: 0.0,
            test_scene: false,
            test_scene_scale: 1.0,
            gltf: Vec::new(),
            no_culling: false,
        }
    }
}

impl SceneSpec {
    /// The scene a stage file asks for (its environment, resolved against the stage file's folder,
    /// and the test scene), or only `environment` when one is given (a command-line override).
    pub fn for_stage(stage: &crate::stage::Stage, environment: Option<&Path>) -> SceneSpec {
        match environment {
            Some(p) => SceneSpec {
                environment: Some(p.to_path_buf()),
                environment_yaw_deg: stage.render.environment_yaw_deg,
                ..Default::default()
            },
            None => SceneSpec {
                environment: stage
                    .render
                    .environment
                    .as_deref()
                    .map(|e| stage.resolve_path(e)),
                environment_yaw_deg: stage.render.environment_yaw_deg,
                test_scene: stage.render.test_scene,
                test_scene_scale: test_scene::scale_for(stage),
                gltf: stage
                    .scene
                    .iter()
                    .map(|item| GltfPlacement {
                        path: stage.resolve_path(&item.path),
                        placement: item.matrix().as_mat4(),
                    })
                    .collect(),
                no_culling: false,
            },
        }
    }
}

/// Size and (member, offset) of the environment's uniform, for the WGSL layout test.
#[cfg(test)]
pub(crate) fn environment_params_layout() -> (usize, Vec<(&'static str, usize)>) {
    environment::params_layout()
}

/// Builds the scene described by `spec`: the environment, the test scene, then each glTF file lit
/// by the environment's irradiance ([`Ambient`]). glTF warnings (e.g. a missing texture, drawn as a
/// checker) are logged. Errors: the environment image, or a glTF file ([`SceneError::Gltf`] with
/// every problem in that file).
pub fn build(ctx: &SceneContext<'_>, spec: &SceneSpec) -> Result<SceneList, SceneError> {
    let (image, yaw) = match &spec.environment {
        Some(path) => (
            environment::open_image(Path::new(path))?,
            spec.environment_yaw_deg,
        ),
        None => (sky_image(), 0.0),
    };
    let env = Environment::from_image(ctx, &image, yaw)?;
    let mut parts: Vec<Box<dyn Scene>> = vec![Box::new(env)];
    if spec.test_scene {
        parts.push(Box::new(TestScene::new(ctx, spec.test_scene_scale)));
    }
    if !spec.gltf.is_empty() {
        let ambient = Ambient::from_equirect(&image, yaw);
        for g in &spec.gltf {
            let scene = GltfScene::load(ctx, &g.path, g.placement, &ambient)?;
            scene.set_culling(!spec.no_culling);
            parts.push(Box::new(scene));
        }
    }
    Ok(SceneList { parts })
}

/// Creates the layout of group 0 shared by every scene: one `View` uniform with a dynamic offset.
pub fn view_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    crate::gpu::layout::view_layout(device)
}
