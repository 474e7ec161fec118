//! Render nodes: one live loop across several processes (machines) on Zenoh (peer mode, no
//! router; explicit endpoints or multicast scouting). See docs/nodes.md.
//!
//! One process is the **primary**: it owns tracking input (live or a take) and, per frame,
//! publishes a [`tick::Tick`] with the frame number, timecode, every drawn camera's tracked state
//! and the stage and content [`revision`]. Every other process is a **node**: it renders exactly
//! the tick's frame (nothing depends on its own clock) and renders and delivers only its outputs
//! (those whose `node` is its name). The **swap barrier** ([`barrier`]): each node answers "frame N ready"; the
//! primary releases the present of frame N when every known node is ready or its timeout passed;
//! late nodes are counted, nodes that drop out or join are reported (Zenoh liveliness tokens).
//! A node whose revision differs from the tick's refuses to present and says why.
//!
//! The live loop calls the [`FrameSync`] hook twice a frame: [`FrameSync::frame`] before
//! rendering and [`FrameSync::present`] before delivering.
//!
//! **Hot reload** is synchronised: every process watches its own copy of the files and, on a
//! change, loads the new stage (renderer and scene) without switching to it, telling the hook
//! ([`FrameSync::loaded`]). The primary announces the new revision in the next tick it builds,
//! with a switch frame `reload_lead` ahead of that tick's frame ([`tick::Switch`], [`announce`]),
//! in every tick until then, and switches at that frame
//! ([`FrameSync::switch_before`]); a node switches at the first tick that carries the revision
//! it holds ([`FrameState::switch`]), so every node switches at the same frame number. A node
//! that has not loaded it by then refuses to present, saying why, until it has.

pub mod announce;
pub mod barrier;
pub mod burnin;
pub mod config;
pub mod follow;
mod net;
mod node;
mod primary;
pub mod revision;
pub mod silence;
pub mod tick;

use crate::stage::Stage;
use crate::tracking::TrackedState;

pub use barrier::{Barrier, Event, NodeFigures};
pub use config::{ClusterConfig, ClusterError};
pub use net::nodes_of;
pub use node::Node;
pub use primary::Primary;
pub use revision::Revision;

/// The inputs of one frame of the live loop: what a tick carries.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameState {
    /// The frame number (slot).
    pub frame: u64,
    /// The frame's render time, seconds on the tracking clock.
    pub render_time: f64,
    /// The run's primary camera and its tracked state.
    pub camera: (String, TrackedState),
    /// The other drawn cameras (`None`: drawn at rest), in drawing order.
    pub others: Vec<(String, Option<TrackedState>)>,
    /// Returned by a node: switch to the reloaded stage it holds ([`FrameSync::loaded`]) before
    /// rendering this frame (the tick carries that stage's revision). `false` in the loop's own
    /// inputs.
    pub switch: bool,
}

/// The live loop's hook into the cluster (see the module).
pub trait FrameSync {
    /// Before a frame is rendered, with the loop's own inputs for it (`own`) and the running
    /// stage. The primary publishes `own` as the frame's tick and returns it; a node waits for
    /// the next tick and returns its frame, which the loop renders instead (with
    /// [`FrameState::switch`] set when the held reload is switched to first). `None`: the run is
    /// over (the primary ended, or a stop was requested while waiting).
    fn frame(&mut self, stage: &Stage, own: FrameState) -> Option<FrameState>;

    /// A reload of the stage file (or a file it names) loaded: `stage` is held by the loop, not
    /// yet switched to (the revision is computed from the files now). The primary announces it
    /// with a switch frame; a node switches when the primary's ticks carry its revision. A newer
    /// reload replaces a held one.
    fn loaded(&mut self, stage: &Stage);

    /// Before the loop computes its own inputs for frame `next`: whether to switch to the held
    /// reload first (the primary, at its announced frame). A node answers `false` (it learns its
    /// switch from the tick, [`FrameState::switch`]).
    fn switch_before(&mut self, next: u64) -> bool;

    /// After frame `frame` is rendered, before it is delivered: reports it and waits for the swap
    /// barrier. `held`: the frame could not be rendered (why) and the loop presents its last
    /// good frame instead (a node says so in its answer). `false`: do not present it (a revision
    /// differing from the primary's).
    fn present(&mut self, frame: u64, held: Option<&str>) -> bool;

    /// The cluster's figures so far, for `--stats` ([`crate::live::RunStats::cluster`]): the
    /// primary's per-node counts and tick-to-all-ready latency, or a node's own counts and what
    /// the primary counted for it (see docs/nodes.md).
    fn figures(&self) -> serde_json::Value;
}
