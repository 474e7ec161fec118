//! Sub-frame regions of a raster (frame remapping, [`crate::stage::file::Remap`]): each region is
//! drawn with its own `Target` uniform (bind group 0, binding 2, dynamic offset): the raster's
//! size, the region's origin, the cameras it shows, a solid colour or a chroma key.

use glam::{IVec2, UVec2};

/// `Target` of `shaders/composite.wgsl`: one sub-frame region of a raster.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct TargetUniform {
    /// The raster's size in pixels.
    pub(crate) size: [f32; 2],
    /// The region's top-left pixel.
    pub(crate) offset: [f32; 2],
    /// x: the cameras drawn (a bit per drawing index); y: 1 for a solid region; z: 1 to show the
    /// cameras as their chroma key; w: 1 for a Camera sub-frame (the camera's scene, even with
    /// chroma settings).
    pub(crate) mode: [u32; 4],
    /// The solid colour, or the key colour for cameras without their own chroma settings.
    pub(crate) colour: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<TargetUniform>() == 48);

/// One sub-frame region of a raster as the composite draws it (frame remapping,
/// [`crate::stage::file::Remap`]); a raster without remapping is one region at the origin.
#[derive(Clone, Debug, PartialEq)]
pub struct RasterRegion {
    /// Top-left pixel of the region in the raster (negative for a tile of the unwrapped wall: the
    /// wall's pixel `-origin` is the tile's top-left).
    pub origin: IVec2,
    /// What the region shows (`None`: every camera).
    pub subframe: Option<crate::stage::file::SubFrame>,
}

/// The key colour of a chroma sub-frame for a camera without chroma settings.
const DEFAULT_KEY: [f32; 3] = [0.0, 0.7, 0.1];

impl RasterRegion {
    /// The region's `Target` uniform for a raster of `size` whose frame draws `drawn` (camera
    /// names in drawing order).
    pub(super) fn uniform(&self, size: UVec2, drawn: &[&str]) -> TargetUniform {
        use crate::stage::file::SubFrame;
        let bit = |name: &str| {
            drawn
                .iter()
                .position(|d| *d == name)
                .map_or(0, |k| 1u32 << k)
        };
        let (mode, colour) = match &self.subframe {
            None => ([u32::MAX, 0, 0, 0], [0.0; 4]),
            // w: the camera's scene, even when it has chroma settings (its Chroma sub-frame
            // shows the key).
            Some(SubFrame::Camera(c)) => ([bit(c), 0, 0, 1], [0.0; 4]),
            Some(SubFrame::Chroma(c)) => {
                let k = DEFAULT_KEY;
                ([bit(c), 0, 1, 0], [k[0], k[1], k[2], 1.0])
            }
            Some(SubFrame::Solid(r, g, b)) => ([0, 1, 0, 0], [*r, *g, *b, 1.0]),
        };
        TargetUniform {
            size: [size.x as f32, size.y as f32],
            offset: [self.origin.x as f32, self.origin.y as f32],
            mode,
            colour,
        }
    }
}
