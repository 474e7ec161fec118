//! Colour edits on a running renderer: a stage that differs from the renderer's only in its
//! colour settings (grades, LUTs, encodings' parameters) is switched to by writing the new grade
//! sets, panel choices, LUT tables and card grades into the composite's buffers (and each output's
//! decoding into light into the camera view's), without building
//! a new renderer (no new textures, no pipeline compiled), as long as every raster keeps its
//! texture format and colour stages (`shaders/colour.wgsl`'s override constants). A live grading
//! session's edits then apply on the next frame instead of costing the frames a new renderer
//! takes to build.

use super::Renderer;
use super::colour_plan::{ColourPlan, colour_plan};
use super::composite::RasterColour;
use super::emitted::EmittedLight;
use crate::gpu::Gpu;
use crate::stage::Stage;

/// A colour edit a renderer can take in place: the new colour plan and each raster's colour.
pub struct Recolour {
    plan: ColourPlan,
    rasters: Vec<RasterColour>,
}

impl Renderer {
    /// The colour edit that switches this renderer to `stage`, if it can be made in place:
    /// `stage` must be the renderer's stage but for its colour settings (the caller checks it:
    /// [`Stage::same_but_colour`]), the plan within the composite's limits, and every raster
    /// must keep its texture format (an sRGB output staying sRGB, a PQ one PQ) and colour stages
    /// (grades, 3D LUT, 1D shaper, encode: a LUT added where there was none, or the first grade on
    /// an ungraded output, compiles a new pipeline). `None`: build a new renderer instead.
    pub fn recolour_plan(&self, stage: &Stage) -> Option<Recolour> {
        let plan = colour_plan(stage, &self.planned, &self.sources);
        plan.check_limits(stage).ok()?;
        let rasters: Vec<RasterColour> = plan
            .rasters
            .iter()
            .map(|r| RasterColour::of(r, self.options.output_format))
            .collect();
        self.composite
            .keeps_pipelines(&rasters)
            .then_some(Recolour { plan, rasters })
    }

    /// Switches to a colour edit of [`Renderer::recolour_plan`]: the next frame renders with it.
    pub fn recolour(&mut self, gpu: &Gpu, r: Recolour) {
        self.composite
            .recolour(&self.alloc, gpu, &r.plan, &r.rasters);
        let outputs = self.outputs.len();
        let emitted = EmittedLight::of_outputs(&r.rasters, outputs, &r.plan.working_space);
        self.camera_view.set_emitted(gpu, &emitted);
    }
}
