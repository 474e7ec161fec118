//! Bind-group-layout entries and the `View` uniform shared by the renderer's passes, the scenes and
//! the preview. Neutral ground: it imports neither `render` nor `scene`.
//!
//! Uniform and storage entries built from a Rust type set `min_binding_size` to that type's size, so
//! wgpu checks at bind time that a buffer binding is at least as large as the WGSL struct it backs
//! (the layouts themselves are compared with the WGSL in `shaders`' naga test).

use glam::{DMat4, DVec3};

/// A uniform-buffer entry without a minimum size (prefer [`uniform_entry_of`]).
pub fn uniform_entry(
    binding: u32,
    visibility: wgpu::ShaderStages,
    dynamic: bool,
) -> wgpu::BindGroupLayoutEntry {
    buffer_entry(
        binding,
        visibility,
        wgpu::BufferBindingType::Uniform,
        dynamic,
        0,
    )
}

/// A uniform-buffer entry whose `min_binding_size` is `size_of::<T>()` (the host struct that backs it).
pub fn uniform_entry_of<T>(
    binding: u32,
    visibility: wgpu::ShaderStages,
    dynamic: bool,
) -> wgpu::BindGroupLayoutEntry {
    buffer_entry(
        binding,
        visibility,
        wgpu::BufferBindingType::Uniform,
        dynamic,
        std::mem::size_of::<T>() as u64,
    )
}

/// A read-only storage-buffer entry of an `array<T>`: `min_binding_size` is one element.
pub fn storage_entry_of<T>(
    binding: u32,
    visibility: wgpu::ShaderStages,
) -> wgpu::BindGroupLayoutEntry {
    buffer_entry(
        binding,
        visibility,
        wgpu::BufferBindingType::Storage { read_only: true },
        false,
        std::mem::size_of::<T>() as u64,
    )
}

fn buffer_entry(
    binding: u32,
    visibility: wgpu::ShaderStages,
    ty: wgpu::BufferBindingType,
    dynamic: bool,
    min_size: u64,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: dynamic,
            min_binding_size: wgpu::BufferSize::new(min_size),
        },
        count: None,
    }
}

/// A sampled-texture entry visible to the fragment stage.
pub fn texture_entry(
    binding: u32,
    dimension: wgpu::TextureViewDimension,
    filterable: bool,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Texture {
            sample_type: wgpu::TextureSampleType::Float { filterable },
            view_dimension: dimension,
            multisampled: false,
        },
        count: None,
    }
}

/// A filtering-sampler entry visible to the fragment stage.
pub fn sampler_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::FRAGMENT,
        ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
        count: None,
    }
}

/// The `View` uniform of `shaders/common.wgsl`: one view a scene is drawn from,
/// `clip = view_proj * (world - eye, 1)` (eye-relative, which keeps f32 precision on large stages).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ViewUniform {
    /// Clip from eye-relative world (column-major).
    pub view_proj: [[f32; 4]; 4],
    /// Inverse of `view_proj`.
    pub inv_view_proj: [[f32; 4]; 4],
    /// Eye position in stage metres (w = 1).
    pub eye: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<ViewUniform>() == 144);

/// Size in bytes of [`ViewUniform`].
pub const VIEW_UNIFORM_SIZE: u64 = std::mem::size_of::<ViewUniform>() as u64;

impl ViewUniform {
    /// Packs a view (matrices rounded to f32).
    pub fn new(view_proj: DMat4, eye: DVec3) -> ViewUniform {
        ViewUniform {
            view_proj: view_proj.as_mat4().to_cols_array_2d(),
            inv_view_proj: view_proj.inverse().as_mat4().to_cols_array_2d(),
            eye: [eye.x as f32, eye.y as f32, eye.z as f32, 1.0],
        }
    }
}

/// The layout of group 0 of every scene pipeline: one [`ViewUniform`] with a dynamic offset.
pub fn view_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("scene view layout"),
        entries: &[uniform_entry_of::<ViewUniform>(
            0,
            wgpu::ShaderStages::VERTEX_FRAGMENT,
            true,
        )],
    })
}
