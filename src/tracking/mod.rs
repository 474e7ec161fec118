//! Tracking and lens input: FreeD, OpenTrackIO, recorded takes, latency compensation by prediction.
//!
//! Data flows one way:
//! - [`freed`] and [`opentrackio`] decode bytes into a [`sample::TrackerSample`] (pure functions:
//!   bytes in, a typed sample or a typed error out);
//! - [`receiver`] runs a UDP socket in its own thread and queues samples for the render loop;
//! - [`transform`] maps tracker axes to stage space and raw zoom/focus to lens values;
//! - [`clock`] maps the sender's sample times (or FreeD's cadence) to the local clock;
//! - [`timing`] filters, buffers and interpolates samples and, with [`predict`], gives the renderer
//!   the camera predicted to the time the LEDs emit (render time + latency), with the feed's status;
//! - [`take`] records and replays takes and gives the stage cameras of a take frame by frame.
//!
//! See `docs/tracking.md` for the stage engineer's view.

#![warn(missing_docs)]

pub mod clock;
pub mod config;
pub mod filter;
pub mod freed;
pub mod live;
pub mod opentrackio;
pub mod predict;
pub mod receiver;
pub mod sample;
pub mod take;
pub mod timing;
pub mod transform;

pub use config::{CameraTracking, Protocol};
pub use live::LiveCameras;
pub use sample::{RejectReason, SenderTime, Stats, TrackerSample};
pub use take::{Take, TakeCameras};
pub use timing::{TrackedCamera, TrackedState, TrackingStatus};

use crate::camera::CameraState;

/// A camera as tracking sees it: its name, its tracking settings (if tracked) and its rest pose and
/// lens (used before the first sample; the lens supplies what the tracker and lens table do not).
#[derive(Clone, Copy, Debug)]
pub struct CameraSpec<'a> {
    /// The stage camera's name.
    pub name: &'a str,
    /// Its tracking settings.
    pub tracking: Option<&'a CameraTracking>,
    /// Its rest pose and lens.
    pub rest: CameraState,
}
