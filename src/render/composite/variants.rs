//! The composite's pipeline variants: one per (target format, colour stages, what it draws, how
//! many cameras), specialised by WGSL override constants so that a variant carries no code it does
//! not run (a software rasteriser pays for every branch).

use super::{CompositePass, PipelineKey, RenderError};

/// What a composite pipeline draws (see [`crate::render::frozen`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Variant {
    /// Every panel, the outer from the cube map.
    Live,
    /// With the outer frozen: the part of each panel where the inner frustum may be seen, the
    /// outer from its bake.
    Inside,
    /// With the outer frozen: every panel copied from the outside bake (drawn first).
    Copy,
    /// The outer bake: the cube map along each LED pixel's ray (format: `frozen::BAKED_FORMAT`).
    OuterBake,
    /// The outside bake: every panel without the inner frustum, the outer from its bake.
    OutsideBake,
}

impl Variant {
    /// Fragment entry point and the overridable constants `FROZEN`, `PART`, `INNER`.
    fn entry(self) -> (&'static str, [(&'static str, f64); 3]) {
        let c = |frozen: f64, part: f64, inner: f64| {
            [("FROZEN", frozen), ("PART", part), ("INNER", inner)]
        };
        match self {
            Variant::Live => ("fs_main", c(0.0, 0.0, 1.0)),
            Variant::Inside => ("fs_main", c(1.0, 1.0, 1.0)),
            Variant::Copy => ("fs_copy", c(1.0, 2.0, 1.0)),
            Variant::OuterBake => ("fs_bake", c(0.0, 0.0, 1.0)),
            Variant::OutsideBake => ("fs_main", c(1.0, 0.0, 0.0)),
        }
    }
}

impl CompositePass {
    /// Creates the pipelines of `variants` for every (format, stages) drawn, where missing, for
    /// `cameras` cameras (the bakes draw none: they are made for one).
    pub(super) fn ensure_pipelines(
        &mut self,
        device: &wgpu::Device,
        variants: &[Variant],
        cameras: u32,
    ) {
        let mut wanted: Vec<PipelineKey> = Vec::new();
        for &v in variants {
            match v {
                // Drawn into the rasters' own textures only.
                Variant::OuterBake => {
                    wanted.push((crate::render::frozen::BAKED_FORMAT, [false; 4], v, 1));
                }
                Variant::OutsideBake => {
                    wanted.extend(self.stages.iter().map(|&(f, st)| (f, st, v, 1)));
                }
                _ => wanted.extend(self.keys.iter().map(|&(f, st)| (f, st, v, cameras))),
            }
        }
        for key in wanted {
            if self.pipelines.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let on = |b: bool| f64::from(u8::from(b));
            let (format, s, variant, cameras) = key;
            let (entry, part) = variant.entry();
            let constants = [
                ("GRADES_ON", on(s[0])),
                ("LUT_ON", on(s[1])),
                ("SHAPER_ON", on(s[2])),
                ("ENCODE_ON", on(s[3])),
                part[0],
                part[1],
                part[2],
                ("CAMERAS", f64::from(cameras)),
            ];
            let options = wgpu::PipelineCompilationOptions {
                constants: &constants,
                ..Default::default()
            };
            let label = format!("composite pipeline ({variant:?})");
            let p = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                label: Some(&label),
                layout: Some(&self.pipeline_layout),
                vertex: wgpu::VertexState {
                    module: &self.module,
                    entry_point: Some("vs_main"),
                    compilation_options: options.clone(),
                    buffers: &[],
                },
                primitive: wgpu::PrimitiveState::default(),
                depth_stencil: None,
                multisample: Default::default(),
                fragment: Some(wgpu::FragmentState {
                    module: &self.module,
                    entry_point: Some(entry),
                    compilation_options: options,
                    targets: &[Some(format.into())],
                }),
                multiview_mask: None,
                cache: None,
            });
            self.pipelines.push((key, p));
        }
    }

    pub(super) fn pipeline(&self, key: PipelineKey) -> Result<&wgpu::RenderPipeline, RenderError> {
        self.pipelines
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, p)| p)
            .ok_or(RenderError::NotPrepared)
    }
}
