//! `frame.json` (version 1, conventions.md): what was rendered, for post-production and tests.

use serde::{Deserialize, Serialize};

use crate::render::FrameInputs;

/// The `format` field of `frame.json`.
pub const FRAME_FORMAT: &str = "parallax-frame";

/// `frame.json` version 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameInfo {
    /// Always [`FRAME_FORMAT`].
    pub format: String,
    /// Always 1.
    pub version: u32,
    /// Frame number.
    pub frame: u64,
    /// The cameras whose inner frusta are on the wall.
    pub cameras: Vec<FrameCamera>,
    /// The outer wall's viewpoint.
    pub outer: FrameOuter,
    /// Each output's colour encoding, in stage order (empty when written by an older version).
    #[serde(default)]
    pub outputs: Vec<FrameOutput>,
    /// The frame's light cards as resolved for it (stage file or API), in drawing order (extra
    /// field; absent when there are none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub light_cards: Vec<crate::stage::LightCard>,
    /// The cameras' names in the order their inner frusta were drawn, the first lowest, the last
    /// on top (extra field; absent with one camera).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub draw_order: Vec<String>,
}

/// One output's colour encoding in `frame.json`: its name and [`OutputEncoding`]'s fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameOutput {
    /// Output name.
    pub name: String,
    /// The encoding (its fields written beside `name`).
    #[serde(flatten)]
    pub colour: OutputEncoding,
    /// The grades and LUT in effect on each section's cabinets in this output, in stage order
    /// (extra field; absent when the stage grades nothing and sets no section LUT).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<FrameSectionColour>,
}

/// The grades (per layer) and LUT in effect on one section's cabinets in one output, resolved by
/// the rule of `crate::colour::settings` (output over section over stage-wide).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameSectionColour {
    /// Section name.
    pub section: String,
    /// The inner, outer and cards grades (as the stage file writes a grade).
    #[serde(flatten)]
    pub grades: crate::colour::output::Grades,
    /// The `.cube` path as written, or none.
    pub lut: Option<String>,
    /// The LUT file's `TITLE` (extra field; absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lut_title: Option<String>,
    /// The first 16 hex digits of the SHA-256 of the LUT file's bytes as read when the stage was
    /// loaded (extra field; absent without a LUT), see [`crate::colour::cube::CubeLut::sha256`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lut_sha256: Option<String>,
}

/// The `TITLE` and content hash of a loaded LUT (`None`s without one).
fn lut_identity(lut: Option<&crate::colour::cube::CubeLut>) -> (Option<String>, Option<String>) {
    (
        lut.and_then(|l| l.title.clone()),
        lut.and_then(|l| l.sha256.clone()),
    )
}

/// The grades and LUTs in effect per section in output `k` of `stage`; empty when the stage
/// grades nothing and sets no section LUT.
fn section_colours(stage: &crate::stage::Stage, k: usize) -> Vec<FrameSectionColour> {
    let c = &stage.colour;
    let graded = !c.grades_for(None, None).is_neutral()
        || c.sections.iter().any(|s| {
            s.lut_path.is_some() || s.grades != crate::colour::output::GradeOverrides::default()
        })
        || c.outputs
            .iter()
            .any(|o| o.grades != crate::colour::output::GradeOverrides::default());
    if !graded {
        return Vec::new();
    }
    stage
        .sections_in_output(k)
        .into_iter()
        .map(|s| {
            let (lut, loaded) = c.lut_for(Some(s), Some(k));
            let (lut_title, lut_sha256) = lut_identity(loaded.as_deref());
            FrameSectionColour {
                section: stage.sections[s].name.clone(),
                grades: c.grades_for(Some(s), Some(k)),
                lut,
                lut_title,
                lut_sha256,
            }
        })
        .collect()
}

/// An output's colour encoding as `frame.json` and the pixel map record it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputEncoding {
    /// `srgb8`, `srgb8-dither`, `pq` or `linear-exr`.
    pub encoding: String,
    /// Primaries of the encoded values: `Rec709`, `Rec2020` or the working space (EXR).
    pub primaries: String,
    /// The stage's working space.
    pub working_space: String,
    /// Code-value bits (8 for sRGB, 10/12/16 for PQ, 16 = half float for EXR).
    pub bits: u32,
    /// PQ: nits of linear 1.0 and the peak luminance; none otherwise.
    pub white_nits: Option<f64>,
    pub peak_nits: Option<f64>,
    /// The output's `.cube` LUT as written in the stage file, or none.
    pub lut: Option<String>,
    /// The output's LUT's `TITLE` (extra field; absent when none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lut_title: Option<String>,
    /// The first 16 hex digits of the SHA-256 of the output's LUT file (extra field; absent
    /// without a LUT), see [`crate::colour::cube::CubeLut::sha256`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lut_sha256: Option<String>,
}

impl OutputEncoding {
    /// One line for people: `pq, Rec2020, 12 bits, white 100 nits, peak 1000 nits, LUT look.cube`.
    pub fn describe(&self) -> String {
        let mut s = format!("{}, {}, {} bits", self.encoding, self.primaries, self.bits);
        if let Some(w) = self.white_nits {
            s.push_str(&format!(", white {w} nits"));
        }
        if let Some(p) = self.peak_nits {
            s.push_str(&format!(", peak {p} nits"));
        }
        if let Some(l) = &self.lut {
            s.push_str(&format!(", LUT {l}"));
        }
        s
    }
}

impl FrameOutput {
    /// Every output of `stage`.
    pub fn of_stage(stage: &crate::stage::Stage) -> Vec<FrameOutput> {
        use crate::colour::output::Encoding;
        let c = &stage.colour;
        stage
            .outputs
            .iter()
            .enumerate()
            .map(|(k, o)| {
                let oc = c.outputs.get(k).cloned().unwrap_or_default();
                let (lut_title, lut_sha256) = lut_identity(oc.lut.as_deref());
                let e = oc.encoding;
                let primaries = match e {
                    Encoding::Srgb { .. } => "Rec709".to_string(),
                    Encoding::Pq { .. } => "Rec2020".to_string(),
                    Encoding::LinearExr => format!("{:?}", c.working_space),
                };
                let (bits, white, peak) = match e {
                    Encoding::Srgb { .. } => (8, None, None),
                    Encoding::Pq {
                        white_nits,
                        peak_nits,
                        bits,
                    } => (bits, Some(white_nits), Some(peak_nits)),
                    Encoding::LinearExr => (16, None, None),
                };
                FrameOutput {
                    name: o.name.clone(),
                    colour: OutputEncoding {
                        encoding: e.name().to_string(),
                        primaries,
                        working_space: format!("{:?}", c.working_space),
                        bits,
                        white_nits: white,
                        peak_nits: peak,
                        lut: oc.lut_path,
                        lut_title,
                        lut_sha256,
                    },
                    sections: section_colours(stage, k),
                }
            })
            .collect()
    }
}

/// One camera in `frame.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameCamera {
    /// Camera name.
    pub name: String,
    /// The render eye (entrance pupil) in stage metres.
    pub position: [f64; 3],
    /// World-from-camera rotation `[x, y, z, w]`.
    pub rotation: [f64; 4],
    /// Focal length in millimetres.
    pub focal_length_mm: f64,
    /// Sensor size in millimetres.
    pub sensor_mm: [f64; 2],
    /// Extents of the inner frustum on the wall, overscan included.
    pub inner_tangents: FrameTangents,
    /// Overscan (the largest side when per-side).
    pub overscan: f64,
    /// Soft-edge fraction inside the extents.
    pub soft_edge: f64,
    /// Overscan per side `[left, right, bottom, top]`, fractions of the frame's half extents
    /// (an extra field of version 1).
    #[serde(default)]
    pub overscan_per_side: [f64; 4],
    /// The tracked sensor position in stage metres, before the entrance-pupil offset: what
    /// `parallax render --camera-position` takes to reproduce the frame (extra field).
    #[serde(default)]
    pub tracked_position: [f64; 3],
    /// Entrance-pupil offset in metres along the optical axis (extra field).
    #[serde(default)]
    pub entrance_pupil_m: f64,
    /// Principal-point shift `[x, y]` in millimetres (extra field).
    #[serde(default)]
    pub shift_mm: [f64; 2],
    /// Anamorphic squeeze of the lens, 1 for a spherical lens (extra field).
    #[serde(default = "one")]
    pub squeeze: f64,
    /// Brown-Conrady distortion, OpenCV's meaning (extra field).
    #[serde(default)]
    pub distortion: crate::camera::Distortion,
    /// Inner render target size `[w, h]` in texels (extra field).
    #[serde(default)]
    pub inner_resolution: [u32; 2],
    /// Whether the soft-edge band lies outside the camera's picture, as it should (extra field).
    #[serde(default)]
    pub band_outside_picture: bool,
    /// Extra half-angle (degrees) the inner frustum was widened by for camera speed (extra field;
    /// 0 without speed overscan).
    #[serde(default)]
    pub speed_overscan_deg: f64,
    /// The simulated camera view's camera when it differs from the wall's (tracking's
    /// `video_delay`): entrance pupil in stage metres and rotation `[x, y, z, w]` (extra field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<FrameVideo>,
    /// Where the pose came from (extra field; absent for a camera given outright or not tracked
    /// yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<FrameTracking>,
    /// The chroma key the inner frustum showed instead of the scene, with its tracking markers
    /// (extra field; absent when the frustum showed the scene).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chroma: Option<crate::stage::Chroma>,
    /// Overlap priority (extra field; higher is drawn on top unless the stage reverses it).
    #[serde(default)]
    pub priority: i32,
}

/// The tracking behind a frame's pose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameTracking {
    /// `live`, `dropout` (the last pose held) or `no_data` (the stage file's camera).
    pub status: String,
    /// Milliseconds the pose was predicted past the newest sample used (0: interpolated or held).
    pub prediction_ms: f64,
    /// Time of the newest sample used, seconds on the tracking clock (a take's own clock).
    pub newest_sample_s: Option<f64>,
}

/// The camera as its own video saw it (see [`crate::render::VideoCamera`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameVideo {
    /// The entrance pupil in stage metres.
    pub position: [f64; 3],
    /// World-from-camera rotation `[x, y, z, w]`.
    pub rotation: [f64; 4],
    /// Focal length in millimetres.
    pub focal_length_mm: f64,
}

/// Camera-space tangent extents.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameTangents {
    /// `x / -z` of the left edge.
    pub left: f64,
    /// `x / -z` of the right edge.
    pub right: f64,
    /// `y / -z` of the bottom edge.
    pub bottom: f64,
    /// `y / -z` of the top edge.
    pub top: f64,
}

/// The outer wall in `frame.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameOuter {
    /// Where the outer wall was rendered from.
    pub viewpoint: [f64; 3],
    /// Whether the outer was frozen (baked once per scene and viewpoint; extra field, from the
    /// stage file's `render.frozen_outer`).
    #[serde(default)]
    pub frozen: bool,
}

impl FrameInfo {
    /// Describes frame `frame` rendered from `inputs`.
    pub fn of(inputs: &FrameInputs, frame: u64) -> FrameInfo {
        let q = inputs.pose.rotation;
        let t = inputs.inner_tangents;
        FrameInfo {
            format: FRAME_FORMAT.into(),
            version: 1,
            frame,
            cameras: vec![FrameCamera {
                name: inputs.camera_name.clone(),
                position: inputs.eye.to_array(),
                rotation: [q.x, q.y, q.z, q.w],
                focal_length_mm: inputs.lens.focal_length_mm,
                sensor_mm: [inputs.lens.sensor_mm.0, inputs.lens.sensor_mm.1],
                inner_tangents: FrameTangents {
                    left: t.left,
                    right: t.right,
                    bottom: t.bottom,
                    top: t.top,
                },
                overscan: inputs.overscan.max(),
                soft_edge: inputs.soft_edge,
                overscan_per_side: [
                    inputs.overscan.left,
                    inputs.overscan.right,
                    inputs.overscan.bottom,
                    inputs.overscan.top,
                ],
                tracked_position: inputs.pose.position.to_array(),
                entrance_pupil_m: inputs.lens.entrance_pupil_m,
                shift_mm: [inputs.lens.shift_mm.0, inputs.lens.shift_mm.1],
                squeeze: inputs.lens.squeeze,
                distortion: inputs.lens.distortion,
                inner_resolution: inputs.inner_resolution.to_array(),
                band_outside_picture: inputs.band_outside_picture(),
                speed_overscan_deg: inputs.speed_overscan_deg,
                tracking: inputs.tracking.map(|t| FrameTracking {
                    status: match t.status {
                        crate::tracking::TrackingStatus::Live => "live",
                        crate::tracking::TrackingStatus::Dropout { .. } => "dropout",
                        crate::tracking::TrackingStatus::NoData => "no_data",
                    }
                    .into(),
                    prediction_ms: t.horizon_s * 1000.0,
                    newest_sample_s: t.newest_sample_s,
                }),
                video: (inputs.video.pose != inputs.pose || inputs.video.lens != inputs.lens).then(
                    || {
                        let v = &inputs.video;
                        let q = v.pose.rotation;
                        FrameVideo {
                            position: v.eye.to_array(),
                            rotation: [q.x, q.y, q.z, q.w],
                            focal_length_mm: v.lens.focal_length_mm,
                        }
                    },
                ),
                chroma: inputs.chroma,
                priority: inputs.priority,
            }],
            outer: FrameOuter {
                viewpoint: inputs.outer_viewpoint.to_array(),
                frozen: false,
            },
            outputs: Vec::new(),
            light_cards: inputs.light_cards.clone(),
            draw_order: Vec::new(),
        }
    }

    /// Frame `frame` of `cameras` (the primary camera first, as given to
    /// [`crate::render::Renderer::prepare_cameras`]; every camera listed in that order, the outer
    /// and light cards from the first), with each output's colour encoding and whether the outer is
    /// frozen, from `stage`. `cameras` must not be empty (an empty slice lists no camera).
    pub fn of_stage(stage: &crate::stage::Stage, cameras: &[FrameInputs], frame: u64) -> FrameInfo {
        let mut info = match cameras.first() {
            Some(first) => FrameInfo::of(first, frame),
            None => FrameInfo {
                format: FRAME_FORMAT.into(),
                version: 1,
                frame,
                cameras: Vec::new(),
                outer: FrameOuter {
                    viewpoint: [0.0; 3],
                    frozen: false,
                },
                outputs: Vec::new(),
                light_cards: Vec::new(),
                draw_order: Vec::new(),
            },
        };
        for c in cameras.iter().skip(1) {
            info.cameras.extend(FrameInfo::of(c, frame).cameras);
        }
        if cameras.len() > 1 {
            let priorities: Vec<i32> = cameras.iter().map(|c| c.priority).collect();
            info.draw_order = crate::render::draw_order(&priorities, stage.render.reverse_priority)
                .into_iter()
                .map(|k| cameras[k].camera_name.clone())
                .collect();
        }
        info.outputs = FrameOutput::of_stage(stage);
        info.outer.frozen = stage.render.frozen_outer;
        info
    }
}

/// Serde default of a factor that was not recorded.
fn one() -> f64 {
    1.0
}

#[cfg(test)]
#[path = "frame_tests.rs"]
mod tests;
