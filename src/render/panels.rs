//! The panel table the composite and camera-view passes read: every placed panel as the shaders see
//! it, grouped by output (one instance range per output), then the unwrapped wall's copies.

use std::ops::Range;

use glam::{DVec3, IVec2};

use super::layout::{WallLayout, wall_layout};
use crate::stage::Stage;

/// One placed panel as the shaders see it (`Panel` in `shaders/common.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GpuPanel {
    /// Top-left corner (stage metres).
    pub top_left: [f32; 4],
    /// Full right edge.
    pub right: [f32; 4],
    /// Full down edge.
    pub down: [f32; 4],
    /// LED pixels (columns, rows).
    pub pixels: [u32; 2],
    /// Output pixel of LED pixel (0, 0).
    pub origin: [i32; 2],
    /// Output step per column.
    pub step_col: [i32; 2],
    /// Output step per row.
    pub step_row: [i32; 2],
}

const _: () = assert!(std::mem::size_of::<GpuPanel>() == 80);

pub(crate) fn v4(v: DVec3) -> [f32; 4] {
    [v.x as f32, v.y as f32, v.z as f32, 0.0]
}

fn gpu_panel(p: &crate::stage::Panel, origin: IVec2, step_col: IVec2, step_row: IVec2) -> GpuPanel {
    GpuPanel {
        top_left: v4(p.frame.top_left),
        right: v4(p.frame.right),
        down: v4(p.frame.down),
        pixels: p.pixels.to_array(),
        origin: origin.to_array(),
        step_col: step_col.to_array(),
        step_row: step_row.to_array(),
    }
}

/// The panels of a stage in GPU form.
pub struct PanelTable {
    /// Panels of output 0, output 1, ..., then (with the wall) every panel again at its unwrapped
    /// position.
    pub gpu_panels: Vec<GpuPanel>,
    /// Instance range of each output's panels, in stage order.
    pub ranges: Vec<Range<u32>>,
    /// The unwrapped wall's layout, when asked for.
    pub wall_layout: Option<WallLayout>,
    /// Instance range of the unwrapped wall's panels.
    pub wall_range: Option<Range<u32>>,
    /// Index in `Stage::panels` of each GPU panel (parallel to `gpu_panels`).
    pub sources: Vec<usize>,
}

/// Builds the panel table of `stage`; with `wall`, the unwrapped wall is laid out in bands at most
/// `max_width` pixels wide.
pub fn panel_table(stage: &Stage, wall: bool, max_width: u32) -> PanelTable {
    let mut gpu_panels = Vec::with_capacity(stage.panels.len() * 2);
    let mut ranges = Vec::new();
    let mut sources = Vec::with_capacity(stage.panels.len() * 2);
    for (k, _) in stage.outputs.iter().enumerate() {
        let start = gpu_panels.len() as u32;
        for i in stage.panels_in_output(k) {
            let p = &stage.panels[i];
            sources.push(i);
            gpu_panels.push(gpu_panel(
                p,
                p.placement.origin,
                p.placement.step_col,
                p.placement.step_row,
            ));
        }
        ranges.push(start..gpu_panels.len() as u32);
    }
    let wall_layout = wall.then(|| wall_layout(stage, max_width));
    let wall_range = wall_layout.as_ref().map(|l| {
        let start = gpu_panels.len() as u32;
        for (i, (p, o)) in stage.panels.iter().zip(&l.origins).enumerate() {
            sources.push(i);
            gpu_panels.push(gpu_panel(p, *o, IVec2::X, IVec2::Y));
        }
        start..gpu_panels.len() as u32
    });
    PanelTable {
        gpu_panels,
        ranges,
        wall_layout,
        wall_range,
        sources,
    }
}
