//! The pixel map: which output pixel feeds which LED pixel, as `pixel-map.json` (version 1, see
//! `docs/conventions.md`) and as CSV for spreadsheets and processor software, and the differences
//! between two maps ([`diff_maps`]).

mod csv;
mod diff;
mod moves;

use serde::{Deserialize, Serialize};

use crate::stage::Stage;

pub use csv::CSV_COLUMNS;
pub use diff::{CabinetChange, DETAIL_LIMIT, MapDiff, OTHERS_LIMIT, diff_maps};
pub use moves::{Motion, SectionChange, SpaceMotion, thousands};

/// `pixel-map.json`, version 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PixelMap {
    pub format: String,
    pub version: u32,
    /// Extra: the stage's name.
    #[serde(default)]
    pub stage: String,
    pub outputs: Vec<MapOutput>,
    pub panels: Vec<MapPanel>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapOutput {
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// Extra: the render node that owns the output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Extra: the output's colour encoding, as in `frame.json` (docs/colour.md); absent in maps
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<MapColour>,
    /// Extra: with frame remapping, the sub-frame regions the raster carries, in order (every
    /// region maps the same cabinets, at the region's origin plus the panel's rectangle); absent
    /// without remapping.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subframes: Vec<MapSubFrame>,
}

/// One sub-frame region of a remapped output in the pixel map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapSubFrame {
    /// `camera`, `chroma` or `solid`.
    pub kind: String,
    /// The camera shown (`camera`, `chroma`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// The colour (`solid`: linear RGB in the working space).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<[f32; 3]>,
    /// The region: top-left pixel and size in the output raster.
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The sub-frame regions of `o` (empty without remapping).
fn subframes(o: &crate::stage::Output) -> Vec<MapSubFrame> {
    use crate::stage::file::SubFrame;
    let Some(r) = &o.remap else {
        return Vec::new();
    };
    let (width, height) = o.region_size();
    r.subframes
        .iter()
        .enumerate()
        .map(|(k, sf)| {
            let (x, y) = o.region_origin(k as u32);
            let (kind, camera, colour) = match sf {
                SubFrame::Camera(c) => ("camera", Some(c.clone()), None),
                SubFrame::Chroma(c) => ("chroma", Some(c.clone()), None),
                SubFrame::Solid(r, g, b) => ("solid", None, Some([*r, *g, *b])),
            };
            MapSubFrame {
                kind: kind.into(),
                camera,
                colour,
                x,
                y,
                width,
                height,
            }
        })
        .collect()
}

/// An output's colour encoding in the pixel map: the fields of `frame.json`'s `outputs` entries
/// but the name.
pub use crate::frame::OutputEncoding as MapColour;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapWorld {
    pub top_left: [f64; 3],
    pub right: [f64; 3],
    pub down: [f64; 3],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapPanel {
    pub id: String,
    pub section: String,
    pub col: u32,
    pub row: u32,
    #[serde(rename = "type")]
    pub panel_type: String,
    pub pixels: [u32; 2],
    pub world: MapWorld,
    pub output: String,
    pub origin: [i32; 2],
    pub step_col: [i32; 2],
    pub step_row: [i32; 2],
    /// Extra: the processor the cabinet's output feeds (absent when none does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor: Option<String>,
    /// Extra: the processor's port whose cable reaches the cabinet, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u32>,
    /// Extra: the cabinet's place in its port's chain, from 1 (the first cabinet the cable reaches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_position: Option<u32>,
}

/// Format name of `pixel-map.json`.
pub const PIXEL_MAP_FORMAT: &str = "parallax-pixel-map";

impl PixelMap {
    /// The map of a stage, panels in stage order (sections in file order, then row by row).
    pub fn of(stage: &Stage) -> PixelMap {
        let ports = stage.cabinet_ports();
        PixelMap {
            format: PIXEL_MAP_FORMAT.into(),
            version: 1,
            stage: stage.name.clone(),
            outputs: stage
                .outputs
                .iter()
                .zip(crate::frame::FrameOutput::of_stage(stage))
                .map(|(o, colour)| MapOutput {
                    name: o.name.clone(),
                    width: o.width,
                    height: o.height,
                    node: o.node.clone(),
                    // The LUT's title and hash are frame.json's: maps written before them
                    // would otherwise differ from every new one (`parallax check`).
                    colour: Some(crate::frame::OutputEncoding {
                        lut_title: None,
                        lut_sha256: None,
                        ..colour.colour
                    }),
                    subframes: subframes(o),
                })
                .collect(),
            panels: stage
                .panels
                .iter()
                .zip(&ports)
                .map(|(p, port)| MapPanel {
                    id: p.id.clone(),
                    section: stage.sections[p.section].name.clone(),
                    col: p.col,
                    row: p.row,
                    panel_type: stage.panel_types[p.panel_type].name.clone(),
                    pixels: p.pixels.to_array(),
                    world: MapWorld {
                        top_left: p.frame.top_left.to_array(),
                        right: p.frame.right.to_array(),
                        down: p.frame.down.to_array(),
                    },
                    output: stage.outputs[p.placement.output].name.clone(),
                    origin: p.placement.origin.to_array(),
                    step_col: p.placement.step_col.to_array(),
                    step_row: p.placement.step_row.to_array(),
                    processor: port.map(|c| stage.processors[c.processor].name.clone()),
                    port: port.map(|c| c.port),
                    chain_position: port.map(|c| c.position),
                })
                .collect(),
        }
    }
}
