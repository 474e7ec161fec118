//! The stage: panel types, sections, cabinets, outputs and processors, resolved from a stage file.
//!
//! Data flows one way: [`load`] reads and parses a RON stage file ([`file::Stage`]), then
//! [`Stage::build`] resolves every cabinet's geometry and placement and validates the whole stage,
//! reporting every problem at once. The build is split by concept: `building` (sections and
//! cabinets from the file), `packing` (placements in outputs, overlaps, rasters), `capacity`
//! (processors and ports, the usage summary) and `checks` (numbers, names, limits).

mod building;
pub mod camera;
mod capacity;
pub mod cards;
mod ceilings;
mod checks;
pub mod chroma;
mod colour;
pub mod file;
pub mod geometry;
mod geometry_checks;
pub mod intersect;
pub(crate) mod obj;
mod packing;
pub mod placement;
pub mod scene;
mod shape_file;
mod shapes;
pub mod synthetic;
pub mod target;

use std::fmt;
use std::path::{Path, PathBuf};

use glam::{DVec3, UVec2};

pub use camera::{Border, Camera, InnerSettings, OuterViewpoint, RenderSettings};
pub use capacity::{
    CabinetPort, OutputUsage, PortChain, ProcessorUsage, Summary, capacity_at, capacity_at_rates,
};
pub use cards::{CardLayer, CardPlacement, CardShape, LightCard};
pub use checks::Limits;
pub use chroma::{Chroma, MarkerShape, Markers};
pub use geometry::PanelFrame;
pub use placement::{Placement, Rect};
pub use scene::SceneItem;
pub use target::{Monitor, Target};

/// Largest 2D texture side that every wgpu adapter Parallax supports offers (lavapipe included).
pub const DEFAULT_MAX_TEXTURE_SIZE: u32 = 16384;

/// A cabinet model.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelType {
    pub name: String,
    pub width_mm: f64,
    pub height_mm: f64,
    pub pixels: UVec2,
}

/// The shape a section was built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SectionKind {
    Flat,
    Arc,
    Surveyed,
    /// A faceted wall along a floor-plan polyline.
    Polyline,
    /// Arcs joined with tangent continuity.
    Arcs,
    /// Rings of a round ceiling.
    Rings,
    /// A grid ceiling clipped to a disc.
    Disc,
    /// Quads read from an OBJ file.
    Obj,
}

/// A section of the volume.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub name: String,
    pub kind: SectionKind,
    /// What the shape resolved to, in a few words for reports (e.g. `3 segments: 6 + 4 + 6
    /// columns`, `2 cut-outs, 6 cabinets skipped`); empty when there is nothing to add.
    pub detail: String,
    /// Index in [`Stage::panel_types`].
    pub panel_type: usize,
    /// The section's cabinets: `Stage::panels[panels]`.
    pub panels: std::ops::Range<usize>,
    /// The section's cabinets (indices in [`Stage::panels`]) in the order their data runs along a
    /// port's chain: an automatic placement's sequence (`start`, `order`, `serpentine`), or row by
    /// row from the top-left cabinet for an explicit one (see [`Stage::port_chains`]).
    pub chain: Vec<usize>,
}

/// One cabinet: where it is in space and where it is in an output.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// `<section>-<col:03>-<row:02>`.
    pub id: String,
    /// Index in [`Stage::sections`].
    pub section: usize,
    pub col: u32,
    pub row: u32,
    /// Index in [`Stage::panel_types`].
    pub panel_type: usize,
    /// Pixel resolution (copied from the panel type).
    pub pixels: UVec2,
    pub frame: PanelFrame,
    pub placement: Placement,
}

impl Panel {
    /// Stage-space centre of LED pixel `(i, j)`.
    pub fn pixel_centre(&self, i: u32, j: u32) -> DVec3 {
        self.frame.pixel_centre(i, j, self.pixels.x, self.pixels.y)
    }

    /// Number of LED pixels.
    pub fn pixel_count(&self) -> u64 {
        self.pixels.x as u64 * self.pixels.y as u64
    }

    /// The rectangle the cabinet occupies in its output.
    pub fn output_rect(&self) -> Rect {
        self.placement.rect(self.pixels)
    }
}

/// An output raster.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub node: Option<String>,
    /// Frame remapping: the sub-frames the raster carries ([`file::Remap`]).
    pub remap: Option<file::Remap>,
    /// Where `parallax run` delivers it (`None`: the run's default).
    pub target: Option<Target>,
}

impl Output {
    /// Sub-frames the raster carries (1 without remapping).
    pub fn subframe_count(&self) -> u32 {
        file::subframe_count(self.remap.as_ref())
    }

    /// Size of one sub-frame region in pixels (the whole output without remapping): what cabinets
    /// are placed in.
    pub fn region_size(&self) -> (u32, u32) {
        file::region_size(self.width, self.height, self.remap.as_ref())
    }

    /// Top-left pixel of sub-frame region `k` in the output raster.
    pub fn region_origin(&self, k: u32) -> (u32, u32) {
        file::region_origin(self.width, self.height, self.remap.as_ref(), k)
    }
}

/// An LED processor.
#[derive(Clone, Debug, PartialEq)]
pub struct Processor {
    pub name: String,
    /// Indices in [`Stage::outputs`].
    pub inputs: Vec<usize>,
    /// Pixels it takes at the stage frame rate: the figure stated for the lowest rate at or above it
    /// (`rated_hz` and `rates` in the file), proportionally fewer above every stated rate, never
    /// more below one ([`capacity_at_rates`]).
    pub max_pixels: u64,
    pub ports: u32,
    /// Pixels one port takes at the stage frame rate, by the same rule.
    pub pixels_per_port: u64,
}

/// A resolved, validated stage.
#[derive(Clone, Debug)]
pub struct Stage {
    pub name: String,
    pub frame_rate: f64,
    pub panel_types: Vec<PanelType>,
    pub sections: Vec<Section>,
    pub panels: Vec<Panel>,
    pub outputs: Vec<Output>,
    pub processors: Vec<Processor>,
    /// The cameras, in file order (never empty: a stage file without cameras gets camera `A`, see
    /// [`camera::default_camera`]).
    pub cameras: Vec<Camera>,
    /// Render settings.
    pub render: RenderSettings,
    /// 3D content placed in stage space (`scene:` in the file), in file order.
    pub scene: Vec<SceneItem>,
    /// Colour settings (working space, grades, per-output LUTs and encodings).
    pub colour: crate::colour::output::ColourSettings,
    /// Light cards of the stage file (the frame's are [`crate::render::FrameInputs::light_cards`]).
    pub light_cards: Vec<cards::LightCard>,
    /// The render node whose process is the primary (`primary_node:`; one of the outputs'
    /// nodes), if the file names one.
    pub primary_node: Option<String>,
    /// The file the stage came from, if any (relative paths in it are resolved against its folder).
    pub source: Option<PathBuf>,
    /// Non-fatal findings (e.g. a surveyed cabinet that is not quite a parallelogram).
    pub warnings: Vec<Problem>,
}

/// What a problem is about, so that a stage engineer finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Stage,
    PanelType(String),
    Section(String),
    Panel(String),
    Output(String),
    Processor(String),
    Camera(String),
    /// An item of `scene:`, named by its index and path.
    Scene(String),
    /// A light card, named by its index and name.
    LightCard(String),
    /// The stage file's `colour:` section as a whole (stage-wide grades, names it lists).
    Colour,
    /// A subject located in the stage file: `file:line:column` first, then the subject.
    At(String, Box<Subject>),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Stage => write!(f, "stage"),
            Subject::PanelType(n) => write!(f, "panel type '{n}'"),
            Subject::Section(n) => write!(f, "section '{n}'"),
            Subject::Panel(n) => write!(f, "panel '{n}'"),
            Subject::Output(n) => write!(f, "output '{n}'"),
            Subject::Processor(n) => write!(f, "processor '{n}'"),
            Subject::Camera(n) => write!(f, "camera '{n}'"),
            Subject::Scene(n) => write!(f, "scene item {n}"),
            Subject::LightCard(n) => write!(f, "light card {n}"),
            Subject::Colour => write!(f, "colour"),
            Subject::At(at, s) => write!(f, "{at}: {s}"),
        }
    }
}

/// One semantic problem in a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub subject: Subject,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.subject, self.message)
    }
}

/// A camera name the stage does not have.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the stage has no camera '{name}' (cameras: {known})")]
pub struct UnknownCamera {
    /// The name asked for.
    pub name: String,
    /// The stage's camera names, comma-separated.
    pub known: String,
}

/// Why a stage could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("cannot read stage file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A syntax or type error, located in the file.
    #[error(transparent)]
    Syntax(#[from] crate::ron_file::SyntaxError),
    /// Semantic problems, all of them, and the warnings found beside them (which `validate`
    /// prints for a valid stage; shown here too, so that fixing the errors brings no surprise).
    #[error("{file}: {} problem{}:\n{}{}", .problems.len(), if .problems.len() == 1 { "" } else { "s" }, list(.problems), warnings_after(.warnings))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
        warnings: Vec<Problem>,
    },
}

/// The warnings after an error's problem list (nothing without warnings).
fn warnings_after(warnings: &[Problem]) -> String {
    match warnings.len() {
        0 => String::new(),
        n => format!(
            "\nand {n} warning{}:\n{}",
            if n == 1 { "" } else { "s" },
            list(warnings)
        ),
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Locates the problems whose message ends with `(at PATH)` (a field path such as
/// `outputs[1].target.every`) in `text`: their subject becomes [`Subject::At`] with
/// `file:line:column` of the field. Problems without a path, or whose path is not found, are kept
/// as they are. The located problems come first, in the file's order (line, then column), then
/// the others in the order they were found.
fn locate(problems: Vec<Problem>, text: &str, file: &str) -> Vec<Problem> {
    let mut located: Vec<(Option<(usize, usize)>, Problem)> = problems
        .into_iter()
        .map(|p| {
            let path = p
                .message
                .strip_suffix(')')
                .and_then(|m| m.rsplit_once("(at "))
                .map(|(_, path)| path);
            match path.and_then(|path| crate::ron_file::locate(text, path)) {
                Some((line, column)) => {
                    let at = format!("{file}:{line}:{column}");
                    let problem = Problem {
                        subject: Subject::At(at, Box::new(p.subject)),
                        message: p.message,
                    };
                    (Some((line, column)), problem)
                }
                None => (None, p),
            }
        })
        .collect();
    located.sort_by_key(|(at, _)| at.map_or((usize::MAX, usize::MAX), |a| a));
    located.into_iter().map(|(_, p)| p).collect()
}

/// Parses stage-file text. `file` names the source in error messages.
pub fn parse(text: &str, file: &str) -> Result<file::Stage, StageError> {
    Ok(crate::ron_file::parse(text, file)?)
}

/// Reads, parses and builds a stage file with the default limits.
pub fn load(path: &Path) -> Result<Stage, StageError> {
    load_with_limits(path, &Limits::default())
}

/// Reads, parses and builds a stage file.
pub fn load_with_limits(path: &Path, limits: &Limits) -> Result<Stage, StageError> {
    let text = std::fs::read_to_string(path).map_err(|source| StageError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_text_with_limits(&text, path, limits)
}

/// Parses and builds stage-file `text` as if it were the file at `path` (relative paths against
/// its folder; errors located in `text`): what a reload does after reading the file, and what a
/// remote edit resolves through.
pub fn load_text(text: &str, path: &Path) -> Result<Stage, StageError> {
    load_text_with_limits(text, path, &Limits::default())
}

fn load_text_with_limits(text: &str, path: &Path, limits: &Limits) -> Result<Stage, StageError> {
    build_text(text, &path.display().to_string(), Some(path), limits)
}

/// Parses and builds stage-file `text` named `label` in errors, its files found against
/// `source`'s folder (the working folder without one); problems and warnings located in `text`.
fn build_text(
    text: &str,
    label: &str,
    source: Option<&Path>,
    limits: &Limits,
) -> Result<Stage, StageError> {
    let parsed = parse(text, label)?;
    let mut stage = build_with_luts(&parsed, limits, source).map_err(|(problems, warnings)| {
        StageError::Invalid {
            file: label.to_string(),
            problems: locate(problems, text, label),
            warnings: locate(warnings, text, label),
        }
    })?;
    stage.warnings = locate(std::mem::take(&mut stage.warnings), text, label);
    Ok(stage)
}

/// Builds a parsed stage file and reads its LUTs (relative paths, of LUTs and OBJ files, against
/// `source`'s folder, or the working folder without one). Every problem at once: a broken `.cube`
/// file is reported with the other problems, and the colour warnings with both. Errors:
/// `(problems, warnings)`.
fn build_with_luts(
    parsed: &file::Stage,
    limits: &Limits,
    source: Option<&Path>,
) -> Result<Stage, (Vec<Problem>, Vec<Problem>)> {
    let base = source.map(|p| p.parent().unwrap_or(Path::new(".")));
    match building::build(parsed, limits, base) {
        Ok(mut stage) => {
            stage.source = source.map(Path::to_path_buf);
            match stage.load_luts() {
                Ok(()) => {
                    let warnings = colour::colour_warnings(parsed, &stage);
                    stage.warnings.extend(warnings);
                    Ok(stage)
                }
                Err(problems) => {
                    let warnings = colour::colour_warnings(parsed, &stage);
                    stage.warnings.extend(warnings);
                    Err((problems, stage.warnings))
                }
            }
        }
        Err((mut problems, mut warnings)) => {
            problems.extend(colour::lut_problems(parsed, source));
            warnings.extend(colour::file_colour_warnings(parsed));
            Err((problems, warnings))
        }
    }
}

impl Stage {
    /// Resolves and validates a parsed stage file. Returns every problem found. Relative paths in
    /// it (OBJ files of sections) are resolved against the working folder.
    pub fn build(file: &file::Stage, limits: &Limits) -> Result<Stage, Vec<Problem>> {
        building::build(file, limits, None).map_err(|(problems, _)| problems)
    }

    /// Parses and builds stage-file text (for tests and tools that hold the text).
    pub fn from_ron(text: &str, file_label: &str) -> Result<Stage, StageError> {
        build_text(text, file_label, None, &Limits::default())
    }

    /// Reads the sections' and outputs' `.cube` LUTs (paths relative to the stage file, or to the
    /// working folder without one). Every file that fails is a problem with the parser's
    /// `file:line: message` lines, ending with the field that names the file (`(at
    /// colour.outputs[0].lut)`, located by the loader).
    pub fn load_luts(&mut self) -> Result<(), Vec<Problem>> {
        let failed = colour::load_luts(&mut self.colour, self.source.as_deref());
        if failed.is_empty() {
            Ok(())
        } else {
            Err(failed)
        }
    }

    /// Total LED pixels.
    pub fn pixel_count(&self) -> u64 {
        self.panels.iter().map(Panel::pixel_count).sum()
    }

    /// The camera with this name.
    pub fn camera(&self, name: &str) -> Option<&Camera> {
        self.cameras.iter().find(|c| c.name == name)
    }

    /// The camera used when none is named (the primary camera: outer viewpoint, light cards,
    /// simulated camera view): the first enabled one, or the first one when every camera is
    /// disabled.
    pub fn first_camera(&self) -> Option<&Camera> {
        let enabled = self.cameras.iter().find(|c| c.enabled);
        enabled.or(self.cameras.first())
    }

    /// The named camera, or [`Stage::first_camera`] when `name` is `None`.
    ///
    /// Errors: no camera of that name (the error lists the stage's cameras).
    pub fn camera_or_first(&self, name: Option<&str>) -> Result<&Camera, UnknownCamera> {
        let found = match name {
            Some(n) => self.camera(n),
            None => self.first_camera(),
        };
        found.ok_or_else(|| UnknownCamera {
            name: name.unwrap_or_default().to_string(),
            known: self
                .cameras
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// The cameras as tracking sees them (name, tracking settings, rest pose and lens), in order.
    pub fn camera_specs(&self) -> Vec<crate::tracking::CameraSpec<'_>> {
        self.cameras
            .iter()
            .map(|c| crate::tracking::CameraSpec {
                name: &c.name,
                tracking: c.tracking.as_ref(),
                rest: c.rest,
            })
            .collect()
    }

    /// Index of the output with this name.
    pub fn output_index(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|o| o.name == name)
    }

    /// Index of the panel with this id.
    pub fn panel_index(&self, id: &str) -> Option<usize> {
        self.panels.iter().position(|p| p.id == id)
    }

    /// Panels placed in an output, as indices into [`Stage::panels`].
    pub fn panels_in_output(&self, output: usize) -> impl Iterator<Item = usize> + '_ {
        self.panels
            .iter()
            .enumerate()
            .filter(move |(_, p)| p.placement.output == output)
            .map(|(i, _)| i)
    }

    /// Sections with cabinets in an output, as indices into [`Stage::sections`], ascending.
    pub fn sections_in_output(&self, output: usize) -> Vec<usize> {
        let mut sections: Vec<usize> = self
            .panels_in_output(output)
            .map(|i| self.panels[i].section)
            .collect();
        sections.sort_unstable();
        sections.dedup();
        sections
    }

    /// Usage per output and per processor.
    pub fn summary(&self) -> Summary {
        capacity::summary(self)
    }

    /// The cabling: every port that carries a cabinet and its chain of cabinets, processor by
    /// processor (file order), port by port. The cabinets on a processor's inputs go onto its ports
    /// in chain order (sections in file order, each in its [`Section::chain`] order: an automatic
    /// placement's `start`, `order` and `serpentine`, else row by row), a port filling up (its
    /// capacity at the stage frame rate, each cabinet counted once per sub-frame of a remapped
    /// output) before the next is used, a cabinet never split. Cabinets that fit on no port are in
    /// no chain (`validate` refuses such a stage).
    pub fn port_chains(&self) -> Vec<PortChain> {
        capacity::port_chains(self)
    }

    /// Each cabinet's processor, port and place in the port's chain (indexed like
    /// [`Stage::panels`]; `None` on no processor), from [`Stage::port_chains`].
    pub fn cabinet_ports(&self) -> Vec<Option<CabinetPort>> {
        capacity::cabinet_ports(self)
    }

    /// Resolves a path written in the stage file against the stage file's folder.
    pub fn resolve_path(&self, p: &str) -> PathBuf {
        colour::resolve(self.source.as_deref(), p)
    }

    /// Whether `other` is this stage but for its colour settings (`colour:`, the LUTs it read
    /// included), its warnings and the file it came from: what a colour-only edit changes
    /// ([`crate::render::Renderer::recolour_plan`]).
    pub fn same_but_colour(&self, other: &Stage) -> bool {
        // Destructured in full, so that a new field has to be placed on one side or the other.
        let Stage {
            name,
            frame_rate,
            panel_types,
            sections,
            panels,
            outputs,
            processors,
            cameras,
            render,
            scene,
            colour: _,
            light_cards,
            primary_node,
            source: _,
            warnings: _,
        } = self;
        *name == other.name
            && *frame_rate == other.frame_rate
            && *panel_types == other.panel_types
            && *sections == other.sections
            && *panels == other.panels
            && *outputs == other.outputs
            && *processors == other.processors
            && *cameras == other.cameras
            && *render == other.render
            && *scene == other.scene
            && *light_cards == other.light_cards
            && *primary_node == other.primary_node
    }
}

/// Cabinet id from section name, column and row.
pub fn panel_id(section: &str, col: u32, row: u32) -> String {
    format!("{section}-{col:03}-{row:02}")
}
