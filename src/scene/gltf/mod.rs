//! glTF 2.0 scenes (Khronos glTF 2.0 specification): `.gltf` and `.glb` files read with the `gltf`
//! crate, placed in stage space and drawn through the same [`crate::scene::Scene`] draws as every
//! other content, in every view (outer cube faces, inner frustum, reference camera).
//!
//! - `load`: reading, JSON validation, required extensions, buffers, images (placeholders).
//! - `accessor`: bounds-checked accessor reads.
//! - `asset`: CPU data: geometry, instances (node hierarchy), lights, samplers.
//! - `material`: PBR metallic-roughness materials, `KHR_materials_unlit`, `KHR_texture_transform`.
//! - `gpu`: upload (buffers, mip-mapped textures, bind groups) and pipelines.
//! - `draw`: the [`crate::scene::Scene`] implementation: per-draw frustum culling, opaque then
//!   blended draws, one instanced draw per mesh primitive.

mod accessor;
pub mod asset;
mod draw;
mod error;
mod gpu;
mod load;
pub mod material;

pub use asset::{Asset, load};
pub use draw::{DrawStats, GltfScene, placement_matrix};
pub use error::{GltfError, GltfProblem, Location};
pub use load::{SUPPORTED_EXTENSIONS, placeholder_image};

#[cfg(test)]
mod tests;
