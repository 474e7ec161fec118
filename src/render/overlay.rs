//! What the composite draws on top of the scene, fixed on the wall: the chroma key with its tracking
//! markers (in place of the inner frustum). Bind group 1 of `shaders/composite.wgsl`: the `Chroma`
//! uniform and, per GPU panel (parallel to the panel buffer), the panel's rectangle on its section's
//! unwrapped wall in millimetres ([`crate::stage::chroma`]).

use super::targets::Allocator;
use super::{FrameInputs, InputError, RenderError};
use crate::gpu::Gpu;
use crate::gpu::layout::{storage_entry_of, uniform_entry_of};
use crate::stage::{Chroma, MarkerShape, Stage};

/// `Chroma` of `shaders/composite.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct ChromaUniform {
    /// Key colour (linear rgb); w: 1 when the key is on.
    pub(crate) key: [f32; 4],
    /// Marker colour (linear rgb); w: shape (0 none, 1 cross, 2 dot, 3 square).
    pub(crate) marker_colour: [f32; 4],
    /// Marker size, spacing, offset x, offset y (unwrapped wall millimetres).
    pub(crate) marker: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<ChromaUniform>() == 48);

/// One panel's rectangle on its section's unwrapped wall: x, y, width, height (mm).
pub(crate) type PanelWall = [f32; 4];

impl ChromaUniform {
    /// The uniform for `chroma` (`None`: key off).
    pub(crate) fn new(chroma: Option<&Chroma>) -> ChromaUniform {
        let Some(c) = chroma else {
            return ChromaUniform::default();
        };
        let mut u = ChromaUniform {
            key: [c.colour.0, c.colour.1, c.colour.2, 1.0],
            ..Default::default()
        };
        if let Some(m) = c.markers {
            let shape = match m.shape {
                MarkerShape::Cross => 1.0,
                MarkerShape::Dot => 2.0,
                MarkerShape::Square => 3.0,
            };
            u.marker_colour = [m.colour.0, m.colour.1, m.colour.2, shape];
            u.marker = [
                m.size_mm as f32,
                m.spacing_mm as f32,
                m.offset_mm.0 as f32,
                m.offset_mm.1 as f32,
            ];
        }
        u
    }
}

/// Each GPU panel's unwrapped wall rectangle, `sources[k]` being the stage panel of GPU panel `k`.
pub(crate) fn panel_walls(stage: &Stage, sources: &[usize]) -> Vec<PanelWall> {
    let mut walls: Vec<PanelWall> = sources
        .iter()
        .map(|&i| {
            let (x, y, w, h) = crate::stage::chroma::panel_wall_rect(stage, &stage.panels[i]);
            [x as f32, y as f32, w as f32, h as f32]
        })
        .collect();
    if walls.is_empty() {
        walls.push([0.0; 4]);
    }
    walls
}

/// Bind group 1 of the composite: the chroma uniform and the panels' wall rectangles.
pub(crate) struct Overlay {
    pub(crate) layout: wgpu::BindGroupLayout,
    pub(crate) group: wgpu::BindGroup,
    chroma: wgpu::Buffer,
}

impl Overlay {
    /// Creates the layout, buffers and bind group; `walls` is parallel to the panel buffer.
    pub(crate) fn new(alloc: &Allocator, gpu: &Gpu, walls: &[PanelWall]) -> Overlay {
        let device = &gpu.device;
        let vf = wgpu::ShaderStages::VERTEX_FRAGMENT;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("composite overlay layout"),
            entries: &[
                uniform_entry_of::<ChromaUniform>(0, vf, false),
                storage_entry_of::<PanelWall>(1, vf),
            ],
        });
        let chroma = alloc.buffer(
            gpu,
            "chroma uniform",
            std::mem::size_of::<ChromaUniform>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let walls = alloc.buffer_init(
            gpu,
            "panel wall rectangles",
            bytemuck::cast_slice(walls),
            wgpu::BufferUsages::STORAGE,
        );
        let group = alloc.bind_group(
            gpu,
            &wgpu::BindGroupDescriptor {
                label: Some("composite overlay"),
                layout: &layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: chroma.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: walls.as_entire_binding(),
                    },
                ],
            },
        );
        Overlay {
            layout,
            group,
            chroma,
        }
    }

    /// Writes the frame's chroma uniform. Errors: chroma settings that cannot be rendered.
    pub(crate) fn prepare(&mut self, gpu: &Gpu, inputs: &FrameInputs) -> Result<(), RenderError> {
        if let Some(problem) = inputs.chroma.as_ref().and_then(|c| c.problem()) {
            return Err(RenderError::Input(InputError::Invalid {
                camera: inputs.camera_name.clone(),
                message: problem,
            }));
        }
        let u = ChromaUniform::new(inputs.chroma.as_ref());
        gpu.queue
            .write_buffer(&self.chroma, 0, bytemuck::bytes_of(&u));
        Ok(())
    }
}
