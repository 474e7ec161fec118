//! Parts of the section shapes as written in the stage file (RON): the arcs of a joined-arc wall,
//! the rings of a round ceiling and a section's cut-outs. Re-exported by [`super::file`].

use serde::{Deserialize, Serialize};

/// One arc of an `Arcs` wall: its `radius` (metres) and either `columns` or `sweep_deg` (the column
/// count is then the number of cabinets that fit in that angle).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArcPiece {
    pub radius: f64,
    #[serde(default)]
    pub columns: Option<u32>,
    #[serde(default)]
    pub sweep_deg: Option<f64>,
}

/// One ring of a `Rings` ceiling: the inner edges of its cabinets are chords of the circle of
/// `radius` (metres); `count` cabinets spread evenly round it (default: as many as fit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ring {
    pub radius: f64,
    #[serde(default)]
    pub count: Option<u32>,
}

/// A cut-out: the cabinets in columns `cols` and rows `rows` (inclusive `(first, last)`; left out:
/// every column, or every row) are not there. They have no place in space nor in any output; with
/// automatic placement the cells they would have had stay empty, so the cabinets around a cut-out
/// keep their output pixels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skip {
    #[serde(default)]
    pub cols: Option<(u32, u32)>,
    #[serde(default)]
    pub rows: Option<(u32, u32)>,
}

impl Skip {
    /// Whether the cabinet at `(col, row)` is cut out.
    pub fn covers(&self, col: u32, row: u32) -> bool {
        let inside = |r: Option<(u32, u32)>, v: u32| r.is_none_or(|(a, b)| a <= v && v <= b);
        inside(self.cols, col) && inside(self.rows, row)
    }
}
