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
    let mut sections: Vec<usize> = stage
        .panels_in_output(k)
        .map(|i| stage.panels[i].section)
        .collect();
    sections.sort_unstable();
    sections.dedup();
    sections
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
mod tests {
    use super::*;
    use crate::render::Overrides;

    #[test]
    fn frame_json_has_the_contract_fields() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let stage = crate::stage::load(std::path::Path::new(path)).unwrap();
        let inputs = crate::render::FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
        let v = serde_json::to_value(FrameInfo::of(&inputs, 7)).unwrap();
        assert_eq!(v["format"], "parallax-frame");
        assert_eq!(v["version"], 1);
        assert_eq!(v["frame"], 7);
        let c = &v["cameras"][0];
        for k in [
            "name",
            "position",
            "rotation",
            "focal_length_mm",
            "sensor_mm",
            "inner_tangents",
            "overscan",
            "soft_edge",
        ] {
            assert!(!c[k].is_null(), "missing {k}");
        }
        for k in ["left", "right", "bottom", "top"] {
            assert!(c["inner_tangents"][k].is_number());
        }
        assert_eq!(c["rotation"].as_array().unwrap().len(), 4);
        assert_eq!(v["outer"]["viewpoint"].as_array().unwrap().len(), 3);
        // Inner tangents include the overscan: wider than the bare frame.
        assert!(c["inner_tangents"]["right"].as_f64().unwrap() > inputs.frame_tangents.right);
        // No key, no cards: the fields are absent; the outer is live.
        assert!(c.get("chroma").is_none() && v.get("light_cards").is_none());
        assert_eq!(v["outer"]["frozen"], false);
    }

    /// Each output records the grades and LUT in effect per section (the rule's result, written
    /// out here), and nothing when the stage grades nothing.
    #[test]
    fn outputs_record_the_grades_per_section() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let text = std::fs::read_to_string(path).unwrap();
        let plain = crate::stage::Stage::from_ron(&text, "tiny.ron").unwrap();
        let v = serde_json::to_value(FrameOutput::of_stage(&plain)).unwrap();
        assert!(v[0].get("sections").is_none(), "{v}");
        let colour = "colour: (outer: (exposure: -1.0), cards: (exposure: 0.5), \
            sections: [(section: \"C\", outer: Some((exposure: 2.0)))], \
            outputs: [(output: \"main\", cards: Some((exposure: 1.5)))]),\n)";
        let end = text.rfind(')').unwrap();
        let graded = format!("{}{colour}", &text[..end]);
        let stage = crate::stage::Stage::from_ron(&graded, "tiny.ron").unwrap();
        let v = serde_json::to_value(FrameOutput::of_stage(&stage)).unwrap();
        let s = &v[0]["sections"];
        assert_eq!(s[0]["section"], "A");
        assert_eq!(s[0]["outer"]["exposure"], -1.0);
        assert_eq!(s[1]["section"], "C");
        assert_eq!(s[1]["outer"]["exposure"], 2.0);
        for k in 0..2 {
            assert_eq!(s[k]["inner"]["exposure"], 0.0);
            assert_eq!(s[k]["cards"]["exposure"], 1.5, "the output's cards grade");
            assert!(s[k]["lut"].is_null());
        }
        let back: Vec<FrameOutput> = serde_json::from_value(v).unwrap();
        assert_eq!(back, FrameOutput::of_stage(&stage));
    }

    /// A LUT is recorded with its TITLE and the first 16 hex digits of the SHA-256 of its file
    /// (the expected digests computed by `sha256sum`, independently), per output and per section;
    /// a LUT without a title has no `lut_title`.
    #[test]
    fn luts_are_recorded_with_their_title_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let table = "LUT_3D_SIZE 2\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n";
        std::fs::write(
            dir.path().join("warm.cube"),
            format!("TITLE \"Warm look\"\n{table}"),
        )
        .unwrap();
        std::fs::write(dir.path().join("plain.cube"), table).unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let text = std::fs::read_to_string(path).unwrap();
        let colour = "colour: (sections: [(section: \"C\", lut: Some(\"plain.cube\"))], \
            outputs: [(output: \"main\", lut: Some(\"warm.cube\"))]),\n)";
        let end = text.rfind(')').unwrap();
        let stage_path = dir.path().join("s.ron");
        std::fs::write(&stage_path, format!("{}{colour}", &text[..end])).unwrap();
        let stage = crate::stage::load(&stage_path).unwrap();
        let v = serde_json::to_value(FrameOutput::of_stage(&stage)).unwrap();
        assert_eq!(v[0]["lut"], "warm.cube");
        assert_eq!(v[0]["lut_title"], "Warm look");
        assert_eq!(v[0]["lut_sha256"], "93d3214e4675d13c");
        // The output's LUT overrides the section's on its cabinets.
        assert_eq!(v[0]["sections"][1]["lut_sha256"], "93d3214e4675d13c");
        // Without the output's LUT, section C's own (no title) shows.
        let colour = "colour: (sections: [(section: \"C\", lut: Some(\"plain.cube\"))]),\n)";
        std::fs::write(&stage_path, format!("{}{colour}", &text[..end])).unwrap();
        let stage = crate::stage::load(&stage_path).unwrap();
        let v = serde_json::to_value(FrameOutput::of_stage(&stage)).unwrap();
        assert!(v[0].get("lut_sha256").is_none() && v[0].get("lut_title").is_none());
        let c = &v[0]["sections"][1];
        assert_eq!(
            (c["section"].as_str(), c["lut"].as_str()),
            (Some("C"), Some("plain.cube"))
        );
        assert_eq!(c["lut_sha256"], "c8bce4299c8606d5");
        assert!(c.get("lut_title").is_none(), "{c}");
        assert!(v[0]["sections"][0].get("lut_sha256").is_none());
    }

    /// A keyed frame with a light card and a frozen outer says so, and reads back equal.
    #[test]
    fn frame_json_records_chroma_cards_and_the_frozen_outer() {
        use crate::stage::{CardLayer, CardPlacement, CardShape, Chroma, LightCard};
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/stages/tiny.ron");
        let mut stage = crate::stage::load(std::path::Path::new(path)).unwrap();
        stage.render.frozen_outer = true;
        let card = LightCard {
            name: "fill".into(),
            shape: CardShape::Ellipse,
            placement: CardPlacement::Polar {
                origin: (0.0, 1.5, 0.0),
                azimuth_deg: 30.0,
                elevation_deg: 10.0,
                size_deg: (20.0, 10.0),
                roll_deg: 0.0,
            },
            colour: (1.0, 0.9, 0.8),
            intensity_nits: 400.0,
            feather: 0.3,
            layer: CardLayer::Over,
        };
        let key = Chroma {
            colour: (0.0, 0.7, 0.1),
            markers: None,
        };
        let inputs = crate::render::FrameInputs::at_rest(&stage, &Overrides::default())
            .unwrap()
            .with_chroma(Some(key))
            .with_light_cards(vec![card.clone()]);
        let info = FrameInfo::of_stage(&stage, std::slice::from_ref(&inputs), 3);
        let text = serde_json::to_string(&info).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["cameras"][0]["chroma"]["colour"][1].as_f64(), Some(0.7));
        assert_eq!(v["light_cards"][0]["name"], "fill");
        assert_eq!(v["light_cards"][0]["intensity_nits"], 400.0);
        assert_eq!(v["outer"]["frozen"], true);
        let back: FrameInfo = serde_json::from_str(&text).unwrap();
        assert_eq!(back.cameras[0].chroma, Some(key));
        assert_eq!(back.light_cards, vec![card]);
    }

    /// With several cameras, frame.json lists them (the primary first) with their priorities and
    /// names the drawing order, reversed when the stage reverses it.
    #[test]
    fn frame_json_names_the_cameras_drawing_order() {
        let text = |reverse: bool| {
            format!(
                r#"Stage(name: "two", frame_rate: 50.0,
  panel_types: [PanelType(name: "P", width_mm: 500.0, height_mm: 500.0, pixels: (8, 8))],
  sections: [(name: "W", panel_type: "P", shape: Flat(columns: 2, rows: 1, position: (0.0, 1.5, -3.0)),
    placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 16, height: 8)],
  cameras: [Camera(name: "A", priority: 1), Camera(name: "B", position: (0.5, 1.6, 0.0))],
  render: Render(reverse_priority: {reverse}))"#
            )
        };
        for (reverse, order) in [(false, ["B", "A"]), (true, ["A", "B"])] {
            let stage = crate::stage::Stage::from_ron(&text(reverse), "two.ron").unwrap();
            let a = crate::render::FrameInputs::at_rest(&stage, &Overrides::default()).unwrap();
            let cams = crate::render::FrameInputs::with_stage_cameras(&stage, a, |_| None).unwrap();
            let v = serde_json::to_value(FrameInfo::of_stage(&stage, &cams, 0)).unwrap();
            assert_eq!(v["cameras"][0]["name"], "A");
            assert_eq!(v["cameras"][0]["priority"], 1);
            assert_eq!(v["cameras"][1]["name"], "B");
            assert_eq!(v["draw_order"], serde_json::json!(order));
        }
    }
}
