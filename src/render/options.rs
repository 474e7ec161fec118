//! What a renderer is created with ([`RendererOptions`]) and why a frame can fail ([`RenderError`]).

use super::{InnerSampling, InputError, ReadImage, ReadbackError, mipmap};
use crate::gpu::GpuError;

/// Why a frame could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A texture or buffer exceeds the adapter's limits, or wgpu reported an error (validation, out
    /// of memory) with its message ([`GpuError::Wgpu`]).
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// A setting that cannot be rendered.
    #[error(transparent)]
    Input(#[from] InputError),
    /// Reading back failed.
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    /// `render` before `prepare`.
    #[error("Renderer::render called before Renderer::prepare")]
    NotPrepared,
    /// A mip chain could not be set up.
    #[error(transparent)]
    Mipmap(#[from] mipmap::MipmapError),
    /// Wrong number of target views.
    #[error("expected {expected} output views, got {got}")]
    Targets { expected: usize, got: usize },
    /// More cameras in one frame than the composite draws.
    #[error("{0} cameras in one frame: at most {max} are drawn together", max = super::MAX_CAMERAS)]
    TooManyCameras(usize),
    /// A frame with no camera.
    #[error("a frame needs at least one camera")]
    NoCamera,
    /// More distinct colour settings than the composite holds: `what` ("grade sets" across the
    /// stage, or "LUTs" in output `output`), how many the stage's sections and outputs make, and
    /// the most.
    #[error(
        "the stage's colour settings make {count} distinct {what}: at most {max} (give sections \
         that should look the same the same grades and LUTs)"
    )]
    TooManyColourSets {
        /// "grade sets" or "LUTs in output NAME".
        what: String,
        /// How many.
        count: usize,
        /// The composite's limit.
        max: usize,
    },
}

/// Choices made once per renderer.
#[derive(Clone, Debug)]
pub struct RendererOptions {
    /// Format of the outputs, the wall and the camera view: `Rgba8UnormSrgb` (what LED processors get)
    /// or `Rgba32Float` (precise values for tests).
    pub output_format: wgpu::TextureFormat,
    /// Render the unwrapped wall (`wall.png`).
    pub wall: bool,
    /// Render the simulated camera view (`camera.png`); without it the camera targets are not
    /// allocated.
    pub camera: bool,
    /// Width of the camera view; default: about the inner pixel budget's pixel count with the
    /// sensor's aspect, which a zoom does not change. The height follows the sensor's aspect, taken
    /// exactly when it is within 0.25 % of a standard ratio such as 16:9
    /// ([`super::camera_view::picture_size`]).
    pub camera_width: Option<u32>,
    /// Sub-samples per axis of each simulated camera pixel (1: none). The camera's pinhole view (of
    /// the wall, or of the scene for the reference) is rendered this many times larger per axis and
    /// the lens pass averages each sensor pixel's `n x n` sub-samples (a box filter over the pixel),
    /// so that edges are antialiased alike in the camera's view of the wall and in the direct
    /// reference. Lowered (to 1 at least) where the pinhole view would pass the adapter's texture
    /// limit. Default 3.
    pub camera_supersample: u32,
    /// How the composite samples the inner frustum (default: each LED pixel's footprint through
    /// the inner target's mip chain).
    pub inner_sampling: InnerSampling,
}

impl Default for RendererOptions {
    fn default() -> Self {
        RendererOptions {
            output_format: wgpu::TextureFormat::Rgba8UnormSrgb,
            wall: true,
            camera: true,
            camera_width: None,
            camera_supersample: 3,
            inner_sampling: InnerSampling::Footprint,
        }
    }
}

/// One frame read back to the CPU.
#[derive(Clone, Debug)]
pub struct RenderedFrame {
    /// Each output by name, in stage order.
    pub outputs: Vec<(String, ReadImage)>,
    /// The unwrapped wall, if rendered.
    pub wall: Option<ReadImage>,
    /// The simulated camera view, if rendered.
    pub camera: Option<ReadImage>,
}
