//! The stage file as written by hand (RON). These types mirror the file one to one; `Stage::build`
//! turns them into the resolved model. See `docs/stage-file.md` for a guided tour.

use serde::{Deserialize, Serialize};

use crate::camera::Orientation;

pub use super::shape_file::{ArcPiece, Ring, Skip};

/// The root of a stage file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Stage name, shown in reports.
    pub name: String,
    /// Frame rate of the wall in Hz (e.g. 23.976, 50, 60).
    pub frame_rate: f64,
    /// Cabinet models used on this stage.
    pub panel_types: Vec<PanelType>,
    /// Sections of the volume (walls, ceilings), each a grid of one panel type.
    pub sections: Vec<Section>,
    /// Output rasters that feed the LED processors.
    pub outputs: Vec<Output>,
    /// LED processors and their capacity (optional).
    #[serde(default)]
    pub processors: Vec<Processor>,
    /// Tracked cameras (optional; the renderer uses the first one by default).
    #[serde(default)]
    pub cameras: Vec<Camera>,
    /// Render settings for the outer wall and the content (optional).
    #[serde(default)]
    pub render: Render,
    /// 3D content placed in stage space (optional), drawn in front of the environment in every view.
    #[serde(default)]
    pub scene: Vec<SceneItemFile>,
    /// Colour: working space, per-layer grades, per-output LUT and encoding (optional; see
    /// `docs/colour.md`).
    #[serde(default)]
    pub colour: crate::colour::output::ColourFile,
    /// Emissive cards shown on the wall (optional), see [`super::cards`].
    #[serde(default)]
    pub light_cards: Vec<super::cards::LightCard>,
    /// Render nodes: the node (as named by the outputs' `node`) whose process is the primary
    /// (`parallax run STAGE --node NAME` there needs no `--primary`; docs/nodes.md). Optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_node: Option<String>,
}

/// An item of the stage's 3D content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SceneItemFile {
    /// A glTF 2.0 file (`.gltf` or `.glb`, relative to the stage file), placed by scaling, then
    /// rotating (same convention as cameras and flat sections), then moving to `position` (metres).
    /// The file's +Y is the stage's up and its unit the metre.
    Gltf {
        path: String,
        #[serde(default)]
        position: (f64, f64, f64),
        #[serde(default)]
        rotation: Orientation,
        #[serde(default)]
        scale: ScaleFile,
    },
}

/// A scale: one factor for every axis, or `(x, y, z)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScaleFile {
    Uniform(f64),
    PerAxis(f64, f64, f64),
}

impl Default for ScaleFile {
    fn default() -> Self {
        ScaleFile::Uniform(1.0)
    }
}

/// A cabinet model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelType {
    pub name: String,
    /// Physical width of the LED area in millimetres.
    pub width_mm: f64,
    /// Physical height of the LED area in millimetres.
    pub height_mm: f64,
    /// Pixel resolution `(columns, rows)`.
    pub pixels: (u32, u32),
}

/// A section: a grid of cabinets of one type, with its shape in space and its place in the outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Short name; cabinet ids are `<name>-<col:03>-<row:02>`.
    pub name: String,
    /// Name of the panel type.
    pub panel_type: String,
    /// Where the cabinets are in space.
    pub shape: ShapeFile,
    /// Where the cabinets are in the outputs.
    pub placement: PlacementFile,
    /// Cut-outs (doorways, gaps): ranges of columns and rows with no cabinet (optional).
    #[serde(default)]
    pub skip: Vec<Skip>,
}

/// A section's shape. Columns count from the left and rows from the top, as seen from the front.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ShapeFile {
    /// A flat grid of `columns` x `rows` cabinets. Unrotated, it faces +Z (towards a camera at pan 0
    /// standing in front of it), columns run along +X and rows down along -Y. `position` is the point named by
    /// `anchor`; `rotation` turns the section about that point.
    Flat {
        columns: u32,
        rows: u32,
        position: (f64, f64, f64),
        #[serde(default)]
        anchor: Anchor,
        #[serde(default)]
        rotation: Orientation,
    },
    /// A curved wall: `columns` flat cabinet columns whose vertical edges stand on a circle of `radius`
    /// about the vertical axis through `centre`, facing the centre. Angles are in degrees about +Y with 0
    /// towards -Z and positive angles towards +X; columns run from `start_deg` in increasing angle.
    /// Give `columns`, or `end_deg` (the column count is then the number of cabinets that fit).
    /// `bottom` is the height of the lowest row's bottom edge.
    Arc {
        centre: (f64, f64),
        radius: f64,
        start_deg: f64,
        #[serde(default)]
        end_deg: Option<f64>,
        #[serde(default)]
        columns: Option<u32>,
        rows: u32,
        bottom: f64,
    },
    /// Surveyed cabinets: measured corners in stage metres, as seen from the front.
    Surveyed { panels: Vec<SurveyedPanel> },
    /// A faceted wall along a floor-plan polyline: `points` are `(x, z)` floor points listed left
    /// to right as seen from the front (the wall faces to the right of the direction of travel,
    /// seen from above). Each straight segment holds the whole columns that fit on it from its
    /// first point; what is left of a segment is a gap at its end (a warning). Columns are numbered
    /// along the whole polyline. `bottom` is the height of the lowest row's bottom edge.
    Polyline {
        points: Vec<(f64, f64)>,
        rows: u32,
        bottom: f64,
    },
    /// Arcs joined end to start with tangent continuity (an oval, a stadium): the first arc is as in
    /// `Arc` (`centre`, its `radius`, `start_deg`); each next arc starts at the last column edge of
    /// the one before, its circle tangent to the previous one there. Every arc faces its centre.
    Arcs {
        centre: (f64, f64),
        start_deg: f64,
        arcs: Vec<ArcPiece>,
        rows: u32,
        bottom: f64,
    },
    /// A round ceiling: rings of cabinets about the vertical axis through `centre` (`(x, z)`), at
    /// height `height`, facing down. Row `k` is ring `k` (row 0 the first listed, usually the
    /// innermost), columns go round it in increasing angle from `start_deg` (same angles as `Arc`).
    Rings {
        centre: (f64, f64),
        height: f64,
        #[serde(default)]
        start_deg: f64,
        rings: Vec<Ring>,
    },
    /// A round ceiling hung as a grid: the cabinets of a flat grid facing down at `height` whose four
    /// corners lie within `radius` of the vertical axis through `centre` (`(x, z)`). Unturned, the
    /// grid is a `Flat` section at tilt 90 (columns along +X, rows from +Z towards -Z, as seen from
    /// below looking towards -Z) with a cabinet corner at the centre; `pan_deg` turns it about the
    /// axis. Columns and rows number the whole square grid round the disc.
    Disc {
        centre: (f64, f64),
        height: f64,
        radius: f64,
        #[serde(default)]
        pan_deg: f64,
    },
    /// Surveyed geometry from a Wavefront OBJ file (relative to the stage file): one quad per
    /// cabinet, in an object or group (`o` / `g`) named by the cabinet's id (`<section>-<col>-<row>`
    /// or `<col>-<row>`); see `docs/stage-file.md`. Coordinates are multiplied by `scale` (default 1:
    /// the file is in stage metres).
    Obj {
        path: String,
        #[serde(default = "unit_scale")]
        scale: f64,
    },
}

fn unit_scale() -> f64 {
    1.0
}

/// Which point of a flat section `position` names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anchor {
    #[default]
    TopLeft,
    TopCentre,
    Centre,
    BottomLeft,
    BottomCentre,
}

/// A surveyed cabinet. Three corners define it; a fourth, if given, is averaged in and its
/// deviation from a parallelogram is reported when over 5 mm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyedPanel {
    pub col: u32,
    pub row: u32,
    pub top_left: (f64, f64, f64),
    pub top_right: (f64, f64, f64),
    pub bottom_left: (f64, f64, f64),
    #[serde(default)]
    pub bottom_right: Option<(f64, f64, f64)>,
}

/// How a section's cabinets are placed in the outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PlacementFile {
    /// Packs the cabinets, in the order given by `start`, `order` and `serpentine`, left to right and
    /// top to bottom into cells of the outputs, from `origin`, `per_line` cells per line (default: the
    /// section's columns, or rows for column order, or as many as fit). When an output is full, packing
    /// goes on in the next one listed. `max_cabinets_per_output` caps the cabinets any one output
    /// takes; `balance` spreads the lines (of `per_line` cabinets) as evenly as the outputs allow
    /// instead of filling each output in turn (108 columns over 6 outputs of 21: 18 each, not
    /// 5 x 21 + 3). `rotation` and `mirror` apply to every cabinet.
    Auto {
        outputs: Vec<String>,
        #[serde(default)]
        origin: (u32, u32),
        #[serde(default)]
        start: Corner,
        #[serde(default)]
        order: Order,
        #[serde(default)]
        serpentine: bool,
        #[serde(default)]
        per_line: Option<u32>,
        #[serde(default)]
        max_cabinets_per_output: Option<u32>,
        #[serde(default)]
        balance: bool,
        #[serde(default)]
        rotation: u32,
        #[serde(default)]
        mirror: bool,
    },
    /// Every cabinet placed by hand.
    Explicit(Vec<PanelPlacement>),
}

/// The corner of a section where the sequence of cabinets starts, as seen from the front.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Corner {
    #[default]
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

/// Whether the sequence runs along rows first or along columns first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    #[default]
    Rows,
    Columns,
}

/// One cabinet's place in an output: the top-left output pixel of the rectangle it occupies, the
/// clockwise rotation of its image (0, 90, 180, 270) and a left-right mirror applied before rotating.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelPlacement {
    pub col: u32,
    pub row: u32,
    pub output: String,
    pub x: u32,
    pub y: u32,
    #[serde(default)]
    pub rotation: u32,
    #[serde(default)]
    pub mirror: bool,
}

/// An output raster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// The render node that owns this output.
    #[serde(default)]
    pub node: Option<String>,
    /// Frame remapping: the raster carries several sub-frames (see [`Remap`]); none by default.
    #[serde(default)]
    pub remap: Option<Remap>,
    /// Where `parallax run` delivers this output (optional; see [`TargetFile`]).
    #[serde(default)]
    pub target: Option<TargetFile>,
}

/// Frame remapping (time-multiplexed outputs, hidden-frame systems): the output raster is split into
/// `subframes.len()` equal regions side by side (`Columns`) or stacked (`Rows`), each one sub-frame
/// that the LED processor shows in turn within the frame period. Cabinets are placed in the first
/// region's coordinates (a region is `width / K` by `height` for `Columns`, `width` by `height / K`
/// for `Rows`), and every region maps the same cabinets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remap {
    pub layout: RemapLayout,
    pub subframes: Vec<SubFrame>,
}

/// Sub-frames a raster with `remap` carries (1 without remapping).
pub fn subframe_count(remap: Option<&Remap>) -> u32 {
    remap.map_or(1, |r| (r.subframes.len() as u32).max(1))
}

/// Size of one sub-frame region of a `width` x `height` raster with `remap` (the whole raster
/// without remapping): what cabinets are placed in.
pub fn region_size(width: u32, height: u32, remap: Option<&Remap>) -> (u32, u32) {
    let k = subframe_count(remap);
    match remap.map(|r| r.layout) {
        Some(RemapLayout::Columns) => (width / k, height),
        Some(RemapLayout::Rows) => (width, height / k),
        None => (width, height),
    }
}

/// Top-left pixel of sub-frame region `k` of a `width` x `height` raster with `remap`.
pub fn region_origin(width: u32, height: u32, remap: Option<&Remap>, k: u32) -> (u32, u32) {
    let (w, h) = region_size(width, height, remap);
    match remap.map(|r| r.layout) {
        Some(RemapLayout::Columns) => (k * w, 0),
        Some(RemapLayout::Rows) => (0, k * h),
        None => (0, 0),
    }
}

impl Output {
    /// [`region_size`] of this output.
    pub fn region_size(&self) -> (u32, u32) {
        region_size(self.width, self.height, self.remap.as_ref())
    }
}

/// How the sub-frame regions are laid out in the output raster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemapLayout {
    /// Side by side, left to right.
    Columns,
    /// Stacked, top to bottom.
    Rows,
}

/// What one sub-frame shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SubFrame {
    /// The outer with this camera's inner frustum only (the camera that shoots during the
    /// sub-frame).
    Camera(String),
    /// The outer with this camera's inner frustum as its chroma key (its `chroma` colour and
    /// markers, or green (0, 0.7, 0.1) without markers when it has none).
    Chroma(String),
    /// One colour over the whole region (linear RGB in the working space, through the output's
    /// colour transform).
    Solid(f32, f32, f32),
}

/// Where `parallax run` delivers an output, frame after frame (`docs/live.md`). Without a target
/// an output goes to the run's default (`--sink`, `--windows`; the null sink when none is given);
/// the command line's switches override the stage file's targets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum TargetFile {
    /// A borderless window on a display: `display` is a monitor name as the window system reports it
    /// (e.g. `"HDMI-1"`) or an index from 0 written as digits (`"1"`). Without `position` the window
    /// is fullscreen on the display; with `position: Some((x, y))` it is a window of the output's
    /// size at `(x, y)` pixels from the display's top-left corner (an output that is a region of a
    /// larger display). One window per output.
    Window {
        display: String,
        #[serde(default)]
        position: Option<(i32, i32)>,
    },
    /// One image per frame every `every`th frame (frame numbers that are multiples of `every`, from
    /// 0), as `DIR/frame-NNNNNN/OUTPUT.png` (or `.exr`, by the output's encoding); `dir` is relative
    /// to the stage file.
    Files {
        dir: String,
        #[serde(default = "every_frame")]
        every: u64,
    },
    /// Rendered and finished on the GPU, then discarded (tests, benchmarks).
    Null,
}

fn every_frame() -> u64 {
    1
}

/// An LED processor: the outputs it receives and its capacity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Processor {
    pub name: String,
    /// Outputs feeding this processor.
    pub inputs: Vec<String>,
    /// Pixel capacity of the whole processor at `rated_hz`.
    pub max_pixels: u64,
    /// Number of data ports.
    pub ports: u32,
    /// Pixel capacity of one port at `rated_hz` (e.g. 525,000 for 1 Gb at 8-bit 60 Hz).
    pub pixels_per_port: u64,
    /// Frame rate the capacities are quoted at; defaults to the stage frame rate. The processor takes
    /// its rated figures at any frame rate up to this one and proportionally fewer above it (half at
    /// twice the rate), never more below it.
    #[serde(default)]
    pub rated_hz: Option<f64>,
    /// Figures the vendor states at other rates (optional), e.g.
    /// `[(hz: 120.0, pixels_per_port: 262500)]`. At the stage frame rate each figure is the one
    /// stated for the lowest rate at or above it; above every stated rate, the highest rate's figure
    /// scaled down in proportion. Never scaled up.
    #[serde(default)]
    pub rates: Vec<RatedCapacity>,
}

/// Processor figures stated by the vendor at one frame rate; a figure left out is not stated there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatedCapacity {
    /// The frame rate in Hz.
    pub hz: f64,
    /// Pixel capacity of the whole processor at `hz`.
    #[serde(default)]
    pub max_pixels: Option<u64>,
    /// Pixel capacity of one port at `hz`.
    #[serde(default)]
    pub pixels_per_port: Option<u64>,
}

/// A tracked camera and its inner frustum.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    pub name: String,
    /// Tracked sensor position in stage metres.
    #[serde(default)]
    pub position: (f64, f64, f64),
    #[serde(default)]
    pub rotation: Orientation,
    #[serde(default)]
    pub lens: Lens,
    #[serde(default)]
    pub inner: Inner,
    /// Live tracking input for this camera (optional).
    #[serde(default)]
    pub tracking: Option<crate::tracking::config::CameraTracking>,
    /// Where inner frusta overlap, the higher priority is drawn on top (its soft edge blends over
    /// the lower one); equal priorities: the camera earlier in the file on top. Default 0.
    #[serde(default)]
    pub priority: i32,
    /// Whether the camera's inner frustum is drawn (default true); switched per frame through the
    /// library and the live loop.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
}

fn enabled_default() -> bool {
    true
}

/// Lens settings as written in files: the camera module's [`Lens`], with every field optional.
pub use crate::camera::Lens;

/// Overscan as written: one number for all sides, per side, or `Auto` (covers the distorted frame,
/// plus `margin` on every side).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum OverscanFile {
    Uniform(f64),
    PerSide {
        left: f64,
        right: f64,
        bottom: f64,
        top: f64,
    },
    Auto {
        margin: f64,
    },
}

impl Default for OverscanFile {
    /// `Auto(margin: 0.1)`: the distorted picture plus 10 % of the half frame on each side, with the
    /// soft-edge band outside that (about 22 % wider than the picture with the default soft edge).
    fn default() -> Self {
        OverscanFile::Auto { margin: 0.1 }
    }
}

/// Inner-frustum settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Inner {
    /// Render resolution of the inner frustum `(width, height)`.
    pub resolution: (u32, u32),
    pub overscan: OverscanFile,
    /// Fraction of the inner frustum's width and height, inside its edge, over which it blends into
    /// the outer.
    pub soft_edge: f64,
    /// Optional visible border: `(width as a fraction of the frustum, linear RGB colour)`.
    pub border: Option<(f64, (f32, f32, f32))>,
    /// Optional chroma key (with tracking markers) filling the inner frustum.
    pub chroma: Option<super::chroma::Chroma>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            resolution: (1920, 1080),
            overscan: OverscanFile::default(),
            soft_edge: 0.05,
            border: None,
            chroma: None,
        }
    }
}

/// Outer-wall and content settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Render {
    /// Where the outer wall is rendered from.
    pub outer_viewpoint: ViewpointFile,
    /// Edge length in pixels of each face of the outer cube map.
    pub outer_resolution: u32,
    /// Environment image (equirectangular), relative to the stage file; none = the procedural scene.
    pub environment: Option<String>,
    /// Yaw of the environment in degrees (positive turns it left, like pan).
    pub environment_yaw_deg: f64,
    /// Whether the procedural test scene (floor grid and solids) is drawn.
    pub test_scene: bool,
    /// Render the outer once per scene and outer viewpoint and bake it per output pixel (see
    /// rendering.md, Frozen outer).
    pub frozen_outer: bool,
    /// Reverse the cameras' overlap order: the lower priority on top (nDisplay offers the same
    /// choice).
    pub reverse_priority: bool,
}

impl Default for Render {
    fn default() -> Self {
        Render {
            outer_viewpoint: ViewpointFile::Fixed(0.0, 1.7, 0.0),
            outer_resolution: 1024,
            environment: None,
            environment_yaw_deg: 0.0,
            test_scene: true,
            frozen_outer: false,
            reverse_priority: false,
        }
    }
}

/// The outer viewpoint.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ViewpointFile {
    /// A fixed stage point in metres.
    Fixed(f64, f64, f64),
    /// The first camera's render eye.
    FollowCamera,
}
