//! A colour edit on a running composite: new grade sets, LUTs and card grades written into the
//! pass's buffers, its pipelines kept (see [`crate::render::Renderer::recolour_plan`]).

use super::{CompositePass, RasterColour};
use crate::gpu::Gpu;
use crate::render::colour_plan::ColourPlan;
use crate::render::grading::{MAX_GRADE_SETS, OutputColourGpu};
use crate::render::targets::Allocator;

impl CompositePass {
    /// Whether `rasters` (each raster's colour under an edited plan, in this pass's raster order)
    /// draw with this pass's pipelines: the same texture format and colour stages per raster.
    pub(crate) fn keeps_pipelines(&self, rasters: &[RasterColour]) -> bool {
        rasters.len() == self.stages.len()
            && rasters
                .iter()
                .zip(&self.stages)
                .all(|(r, &(format, stages))| r.format == format && r.stages() == stages)
    }

    /// Switches to `plan` (for the same panels; `rasters` its colour per raster, which
    /// [`CompositePass::keeps_pipelines`] accepted): the grade sets and each panel's choice are
    /// written into their buffers, each raster's output transforms (LUT tables) uploaded anew, the
    /// light cards' grades replaced, and the frozen outer's outside bake marked stale (it holds
    /// graded, LUT-mapped pixels).
    pub(crate) fn recolour(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        plan: &ColourPlan,
        rasters: &[RasterColour],
    ) {
        let mut sets = plan.grade_sets.clone();
        sets.resize(MAX_GRADE_SETS, bytemuck::Zeroable::zeroed());
        gpu.queue
            .write_buffer(&self.grades, 0, bytemuck::cast_slice(&sets));
        gpu.queue.write_buffer(
            &self.panel_colours,
            0,
            bytemuck::cast_slice(&plan.panel_colours),
        );
        self.grades_value = bytemuck::cast_slice(&plan.grade_sets).to_vec();
        self.colour = rasters
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let label = format!("raster {k}");
                OutputColourGpu::new(alloc, gpu, &self.colour_layout, &label, &r.slots, r.mode)
            })
            .collect();
        let card_grades = plan.card_grades();
        self.overlay
            .set_card_grades(alloc, gpu, card_grades, plan.working_space);
        self.frozen.invalidate_outside();
    }
}
