//! Which grade set and which output transform each GPU panel uses: the stage's colour settings
//! resolved per cabinet (`crate::colour::settings`: output over section over stage-wide, per layer)
//! into a few distinct grade sets and, per raster, a few distinct LUTs, so that the composite
//! stays one instanced draw per output and picks them per panel (`panel_colours` in
//! `shaders/composite.wgsl`).

use std::ops::Range;
use std::sync::Arc;

use super::grading::{
    GradeSetUniform, MAX_GRADE_SETS, MAX_OUTPUT_TRANSFORMS, grade_set_uniform, grade_set_used,
};
use crate::colour::grade::Grade;
use crate::colour::output::{ColourSettings, Grades, OutputTransform};
use crate::colour::primaries::Primaries;
use crate::stage::Stage;
use crate::stage::cards::NITS_PER_LINEAR;

/// One raster's share of the plan.
#[derive(Clone, Debug)]
pub struct RasterPlan {
    /// The output transforms its panels use (at least one), one per distinct LUT.
    pub slots: Vec<OutputTransform>,
    /// Whether any of its panels' grade sets changes anything.
    pub graded: bool,
}

/// The colour plan of a renderer.
#[derive(Clone, Debug)]
pub struct ColourPlan {
    /// The distinct grade sets in use (at least one).
    pub grades: Vec<Grades>,
    /// Parallel to `grades`: the factor on the light cards' radiance before that set's cards
    /// grade, [`NITS_PER_LINEAR`] over the nits of linear 1.0 on the set's output
    /// ([`crate::colour::output::Encoding::nits_of_linear_one`]): 1 but on PQ outputs whose
    /// `white_nits` is not 100, so that a card shows its `intensity_nits` there. Sets differing
    /// only by it are distinct sets.
    pub card_scales: Vec<f32>,
    /// Their GPU form, parallel to `grades`.
    pub grade_sets: Vec<GradeSetUniform>,
    /// Per GPU panel: its grade set, its slot in its raster's `slots`, 0, 0.
    pub panel_colours: Vec<[u32; 4]>,
    /// Per raster (outputs in stage order, then the unwrapped wall).
    pub rasters: Vec<RasterPlan>,
    /// The working space's primaries (the light cards' grades apply in it).
    pub working_space: Primaries,
}

impl ColourPlan {
    /// Each grade set's cards grade with its card scale, parallel to `grades`: what the overlay
    /// grades the light cards' radiance with ([`super::overlay::Overlay`]).
    pub(crate) fn card_grades(&self) -> Vec<(Grade, f32)> {
        self.grades
            .iter()
            .zip(&self.card_scales)
            .map(|(g, &s)| (g.cards, s))
            .collect()
    }

    /// Whether the plan fits the composite's uniform arrays: at most
    /// [`MAX_GRADE_SETS`] grade sets, and [`MAX_OUTPUT_TRANSFORMS`] LUTs per raster (`stage`
    /// names the outputs in the error).
    pub fn check_limits(&self, stage: &Stage) -> Result<(), super::RenderError> {
        let too_many = |what: String, count: usize, max: usize| {
            super::RenderError::TooManyColourSets { what, count, max }
        };
        if self.grade_sets.len() > MAX_GRADE_SETS {
            return Err(too_many(
                "grade sets".into(),
                self.grade_sets.len(),
                MAX_GRADE_SETS,
            ));
        }
        for (k, r) in self.rasters.iter().enumerate() {
            if r.slots.len() > MAX_OUTPUT_TRANSFORMS {
                let name = stage.outputs.get(k).map_or("wall", |o| o.name.as_str());
                let what = format!("LUTs in output '{name}'");
                return Err(too_many(what, r.slots.len(), MAX_OUTPUT_TRANSFORMS));
            }
        }
        Ok(())
    }
}

fn same_lut(a: &OutputTransform, b: &OutputTransform) -> bool {
    match (&a.lut, &b.lut) {
        (None, None) => true,
        (Some(x), Some(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

/// The plan for rasters `rasters` (each its output index, `usize::MAX` for the unwrapped wall,
/// and its instance range in the panel table), `sources` the stage panel of each GPU panel.
/// Panels keep their cabinet's grades on the unwrapped wall (which has no LUT).
pub fn colour_plan(
    stage: &Stage,
    rasters: &[(usize, Range<u32>)],
    sources: &[usize],
) -> ColourPlan {
    let colour: &ColourSettings = &stage.colour;
    let mut sets: Vec<(Grades, f32)> = Vec::new();
    let mut panel_colours = vec![[0u32; 4]; sources.len().max(1)];
    let mut plans = Vec::with_capacity(rasters.len());
    let set_of =
        |sets: &mut Vec<(Grades, f32)>, g: (Grades, f32)| match sets.iter().position(|h| *h == g) {
            Some(k) => k,
            None => {
                sets.push(g);
                sets.len() - 1
            }
        };
    for (k, instances) in rasters {
        let mut slots: Vec<OutputTransform> = Vec::new();
        let mut used_sets: Vec<usize> = Vec::new();
        for i in instances.clone() {
            let Some(p) = sources.get(i as usize).and_then(|&s| stage.panels.get(s)) else {
                continue;
            };
            let t = colour.transform(Some(p.section), *k);
            // The unwrapped wall (no output) takes the default encoding: 100 nits.
            let nits = t.encoding.nits_of_linear_one();
            let grades = colour.grades_for(Some(p.section), Some(p.placement.output));
            let set = set_of(&mut sets, (grades, (NITS_PER_LINEAR / nits) as f32));
            if !used_sets.contains(&set) {
                used_sets.push(set);
            }
            let slot = match slots.iter().position(|s| same_lut(s, &t)) {
                Some(s) => s,
                None => {
                    slots.push(t);
                    slots.len() - 1
                }
            };
            panel_colours[i as usize] = [set as u32, slot as u32, 0, 0];
        }
        if slots.is_empty() {
            slots.push(colour.transform(None, *k));
        }
        plans.push(RasterPlan {
            slots,
            graded: used_sets
                .iter()
                .any(|&s| grade_set_used(&grade_set_uniform(colour, &sets[s].0))),
        });
    }
    if sets.is_empty() {
        sets.push((colour.grades_for(None, None), 1.0));
    }
    let (grades, card_scales): (Vec<Grades>, Vec<f32>) = sets.into_iter().unzip();
    let grade_sets = grades
        .iter()
        .map(|g| grade_set_uniform(colour, g))
        .collect();
    ColourPlan {
        grades,
        card_scales,
        grade_sets,
        panel_colours,
        rasters: plans,
        working_space: colour.working_space.primaries(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tiny.ron (sections A and C in output `main`) with C's outer graded and a LUT on A: two
    /// grade sets, two transforms in `main`, each panel pointing at its section's; the unwrapped
    /// wall keeps the grades and has one transform (no LUT).
    #[test]
    fn panels_point_at_their_sections_grades_and_luts() {
        let dir = tempfile::tempdir().unwrap();
        let lut = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/colour/look33.cube");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let text = std::fs::read_to_string(path).unwrap();
        let colour = format!(
            "colour: (sections: [(section: \"C\", outer: Some((exposure: 1.0))), \
             (section: \"A\", lut: Some(\"{lut}\"))]),\n)"
        );
        let end = text.rfind(')').unwrap();
        let file = dir.path().join("tiny.ron");
        std::fs::write(&file, format!("{}{colour}", &text[..end])).unwrap();
        let stage = crate::stage::load(&file).unwrap();
        let table = super::super::panels::panel_table(&stage, true, 4096);
        let wall = table.wall_range.clone().unwrap();
        let rasters = [(0, table.ranges[0].clone()), (usize::MAX, wall.clone())];
        let plan = colour_plan(&stage, &rasters, &table.sources);
        assert_eq!(plan.grades.len(), 2);
        assert_eq!(plan.rasters[0].slots.len(), 2);
        assert!(plan.rasters[0].graded && plan.rasters[1].graded);
        assert_eq!(plan.rasters[1].slots.len(), 1);
        assert!(plan.rasters[1].slots[0].lut.is_none());
        for (i, &src) in table.sources.iter().enumerate() {
            let section = &stage.sections[stage.panels[src].section].name;
            let [set, slot, ..] = plan.panel_colours[i];
            let g = &plan.grades[set as usize];
            assert_eq!(g.outer.exposure, if section == "C" { 1.0 } else { 0.0 });
            if wall.contains(&(i as u32)) {
                assert_eq!(slot, 0);
            } else {
                let t = &plan.rasters[0].slots[slot as usize];
                assert_eq!(t.lut.is_some(), section == "A", "{section}");
            }
        }
    }

    /// The composite's uniform arrays hold 64 grade sets and 64 LUTs per raster: a plan with
    /// one more is refused with the count, naming the output for LUTs.
    #[test]
    fn plans_beyond_the_uniform_arrays_are_refused() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let stage = crate::stage::load(std::path::Path::new(path)).unwrap();
        let zero: GradeSetUniform = bytemuck::Zeroable::zeroed();
        let raster = RasterPlan {
            slots: vec![stage.colour.transform(None, 0); MAX_OUTPUT_TRANSFORMS],
            graded: false,
        };
        let mut plan = ColourPlan {
            grades: Vec::new(),
            card_scales: Vec::new(),
            grade_sets: vec![zero; MAX_GRADE_SETS],
            panel_colours: Vec::new(),
            rasters: vec![raster],
            working_space: stage.colour.working_space.primaries(),
        };
        assert!(plan.check_limits(&stage).is_ok());
        plan.rasters[0].slots.push(stage.colour.transform(None, 0));
        let e = plan.check_limits(&stage).unwrap_err().to_string();
        assert!(e.contains("65 distinct LUTs in output 'main'"), "{e}");
        plan.rasters[0].slots.pop();
        plan.grade_sets.push(zero);
        let e = plan.check_limits(&stage).unwrap_err().to_string();
        assert!(e.contains("65 distinct grade sets: at most 64"), "{e}");
    }
}
