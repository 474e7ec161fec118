//! Parallax: an open-source engine for LED-volume virtual production (in-camera VFX).
//!
//! Data flows one way: a stage file ([`stage`]) describes the LED volume; camera pose and lens
//! ([`camera`]) come from the stage file, tracking or a take; the renderer draws the inner frustum and
//! the outer wall and maps them into the output rasters that feed the LED processors.

pub mod camera;
pub mod check;
pub mod cluster;
pub mod colour;
pub mod compare;
pub mod diagram;
pub mod draw;
pub mod frame;
pub mod fuzzing;
pub mod gpu;
pub mod io;
pub mod live;
pub mod mapping;
pub mod pattern;
pub mod preview;
pub mod remote;
pub mod render;
pub mod ron_file;
pub mod scene;
pub mod shaders;
pub mod stage;
pub mod tracking;
