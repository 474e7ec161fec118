//! The messages render nodes exchange, and their encoding (CBOR through `ciborium`, which keeps
//! every `f64` bit for bit, so a node renders exactly the primary's camera).
//!
//! Per frame: the primary publishes a [`Tick`] (frame number, timecode, every drawn camera's state,
//! render time, stage and content revision); each node answers [`Ready`] when the frame is rendered
//! (or refused); the primary publishes [`Release`] when every known node is ready or the barrier's
//! timeout passed; at the end of the run, [`Message::End`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::camera::{CameraState, Lens, Pose};
use crate::tracking::{TrackedState, TrackingStatus};

use super::barrier::NodeFigures;
use super::revision::Revision;

/// A camera's state at one instant, as sent: position (metres, stage space), world-from-camera
/// rotation as a quaternion `[x, y, z, w]`, and the lens.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireCamera {
    /// Sensor position, metres, stage space.
    pub position: [f64; 3],
    /// World-from-camera rotation, quaternion `[x, y, z, w]` (not re-normalised on receipt).
    pub rotation: [f64; 4],
    /// The lens at this instant.
    pub lens: Lens,
}

impl From<&CameraState> for WireCamera {
    fn from(c: &CameraState) -> Self {
        WireCamera {
            position: c.pose.position.to_array(),
            rotation: c.pose.rotation.to_array(),
            lens: c.lens,
        }
    }
}

impl From<&WireCamera> for CameraState {
    fn from(w: &WireCamera) -> Self {
        CameraState {
            pose: Pose {
                position: glam::DVec3::from_array(w.position),
                rotation: glam::DQuat::from_array(w.rotation),
            },
            lens: w.lens,
        }
    }
}

/// Whether a camera's tracking was live ([`TrackingStatus`], as sent).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum WireStatus {
    /// Samples within the dropout timeout.
    Live,
    /// No sample for this many seconds.
    Dropout(f64),
    /// No sample yet.
    NoData,
}

/// A tracked camera's state for the frame ([`TrackedState`], as sent): everything the frame's
/// inputs are resolved from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireTracked {
    /// The camera the wall is rendered for (predicted to LED emission).
    pub camera: WireCamera,
    /// The camera as its own video sees it.
    pub video: WireCamera,
    /// Tracking status.
    pub status: WireStatus,
    /// Seconds extrapolated past the newest sample.
    pub horizon_s: f64,
    /// Angular speed, degrees per second.
    pub angular_speed_deg_s: f64,
    /// Extra half-angle of view for speed, degrees.
    pub extra_overscan_deg: f64,
    /// Time of the newest sample used, seconds on the tracking clock (the sample time).
    pub newest_sample_s: Option<f64>,
}

impl From<&TrackedState> for WireTracked {
    fn from(t: &TrackedState) -> Self {
        WireTracked {
            camera: (&t.camera).into(),
            video: (&t.video).into(),
            status: match t.status {
                TrackingStatus::Live => WireStatus::Live,
                TrackingStatus::Dropout { for_s } => WireStatus::Dropout(for_s),
                TrackingStatus::NoData => WireStatus::NoData,
            },
            horizon_s: t.horizon_s,
            angular_speed_deg_s: t.angular_speed_deg_s,
            extra_overscan_deg: t.extra_overscan_deg,
            newest_sample_s: t.newest_sample_s,
        }
    }
}

impl From<&WireTracked> for TrackedState {
    fn from(w: &WireTracked) -> Self {
        TrackedState {
            camera: (&w.camera).into(),
            video: (&w.video).into(),
            status: match w.status {
                WireStatus::Live => TrackingStatus::Live,
                WireStatus::Dropout(for_s) => TrackingStatus::Dropout { for_s },
                WireStatus::NoData => TrackingStatus::NoData,
            },
            horizon_s: w.horizon_s,
            angular_speed_deg_s: w.angular_speed_deg_s,
            extra_overscan_deg: w.extra_overscan_deg,
            newest_sample_s: w.newest_sample_s,
        }
    }
}

/// One drawn camera in a tick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CameraTick {
    /// The stage camera's name.
    pub name: String,
    /// Its tracked state; `None`: not tracked, drawn at its rest pose from the stage file.
    pub state: Option<WireTracked>,
}

/// What the primary publishes for each frame: everything a node needs to render exactly that
/// frame (nothing on a node depends on its own clock).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tick {
    /// Frame number (the slot at the stage rate, from 0).
    pub frame: u64,
    /// `HH:MM:SS:FF` of the frame ([`crate::live::timecode`]).
    pub timecode: String,
    /// The frame's render time, seconds on the tracking clock.
    pub render_time_s: f64,
    /// The drawn cameras: the run's primary camera first, then the others in drawing order.
    pub cameras: Vec<CameraTick>,
    /// The primary's stage and content revision for this frame.
    pub revision: Revision,
    /// A reload announced by the primary and not yet switched to: every node switches to it at
    /// that frame (repeated in every tick until then, so a node that missed a tick or joined
    /// late still learns it).
    #[serde(default)]
    pub next: Option<Switch>,
    /// The tick's index among the primary's ticks, from 0. A node tells the ticks it skipped
    /// (a gap in `seq`) from the slots the primary dropped itself (the rest of a gap in `frame`).
    #[serde(default)]
    pub seq: u64,
    /// The primary process's random instance id: a node receiving ticks from two ids at once
    /// is on a cluster with two primaries.
    #[serde(default)]
    pub primary: u64,
}

/// A hot reload announced by the primary: the revision every node switches to, and the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    /// The reloaded stage's revision.
    pub revision: Revision,
    /// The first frame rendered with it, on every node.
    pub frame: u64,
}

/// A node's answer for a frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ready {
    /// The node's name (`--node`).
    pub node: String,
    /// The frame rendered.
    pub frame: u64,
    /// The node's own revision.
    pub revision: Revision,
    /// `None`: rendered and waiting to present; `Some(why)`: refused (it will not present).
    pub refused: Option<String>,
    /// `Some(why)`: the node could not render the frame (why: its render error) and presents its
    /// last good frame instead.
    #[serde(default)]
    pub held: Option<String>,
    /// The primary instance whose tick this answers (`Tick::primary`): another primary on the
    /// cluster does not count it.
    #[serde(default)]
    pub primary: u64,
}

/// The primary's release of a frame's present.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// The frame released.
    pub frame: u64,
    /// Nodes not ready when the barrier's timeout passed (late), by name.
    pub late: Vec<String>,
    /// The primary instance releasing it: a node follows one primary's releases only.
    #[serde(default)]
    pub primary: u64,
}

/// Any message on the cluster's key expressions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Message {
    /// The primary's frame.
    Tick(Tick),
    /// A node's frame is rendered (or refused).
    Ready(Ready),
    /// The primary releases a frame's present.
    Release(Release),
    /// The primary's run ended after this many frames (the nodes following it stop).
    End {
        /// The slot the run stopped before.
        frames: u64,
        /// The primary instance that ended.
        #[serde(default)]
        primary: u64,
        /// What the primary counted per node over the run (for the nodes' own summaries).
        #[serde(default)]
        figures: BTreeMap<String, NodeFigures>,
    },
}

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
#[error("a cluster message does not decode: {0}")]
pub struct DecodeError(String);

impl Message {
    /// The message as CBOR bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail, and every field serialises.
        if let Err(e) = ciborium::into_writer(self, &mut out) {
            log::error!("cluster message not encoded: {e}");
        }
        out
    }

    /// Reads a message from CBOR bytes. Errors: not a message of this version.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        ciborium::from_reader(bytes).map_err(|e| DecodeError(e.to_string()))
    }
}

/// Between the last tick a node rendered and the one it renders now, each `(frame, seq)`: the
/// ticks this node skipped (a gap in the ticks' sequence numbers: published, never rendered) and
/// the frames the primary skipped itself (its dropped slots: the rest of the gap in frame
/// numbers).
pub fn gaps(last: (u64, u64), now: (u64, u64)) -> (u64, u64) {
    let ticks = now.1.saturating_sub(last.1 + 1);
    let frames = now.0.saturating_sub(last.0 + 1);
    (ticks, frames.saturating_sub(ticks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(seed: f64) -> TrackedState {
        let mut s = TrackedState::untracked(CameraState {
            pose: Pose {
                position: glam::DVec3::new(0.1 + seed, 1.0 / 3.0, -2.0f64.sqrt()),
                rotation: glam::DQuat::from_rotation_y(0.3 + seed).normalize(),
            },
            lens: Lens::default(),
        });
        s.status = TrackingStatus::Dropout { for_s: 0.25 };
        s.horizon_s = 1e-3 / 7.0;
        s.newest_sample_s = Some(12.345678901234567);
        s.extra_overscan_deg = f64::MIN_POSITIVE;
        s
    }

    #[test]
    fn a_tick_round_trips_bit_for_bit() {
        let tick = Tick {
            frame: 1234567,
            timecode: "05:42:56:07".into(),
            render_time_s: std::f64::consts::PI * 1e4,
            cameras: vec![
                CameraTick {
                    name: "A".into(),
                    state: Some((&state(0.0)).into()),
                },
                CameraTick {
                    name: "B".into(),
                    state: None,
                },
            ],
            revision: Revision {
                stage: u64::MAX - 3,
                content: 17,
            },
            next: Some(Switch {
                revision: Revision {
                    stage: 5,
                    content: u64::MAX,
                },
                frame: 1234600,
            }),
            seq: 1234000,
            primary: 0xdead_beef_0123_4567,
        };
        let bytes = Message::Tick(tick.clone()).encode();
        let Message::Tick(back) = Message::decode(&bytes).unwrap() else {
            panic!("not a tick")
        };
        assert_eq!(back, tick);
        // Through the wire type and back, the tracked state is the same to the bit.
        let s = state(0.5);
        let w: WireTracked = (&s).into();
        let w2 = match Message::decode(
            &Message::Tick(Tick {
                cameras: vec![CameraTick {
                    name: "A".into(),
                    state: Some(w),
                }],
                ..tick
            })
            .encode(),
        )
        .unwrap()
        {
            Message::Tick(t) => t.cameras[0].state.unwrap(),
            _ => panic!(),
        };
        let back: TrackedState = (&w2).into();
        assert_eq!(back, s);
        assert_eq!(
            back.camera.pose.position.x.to_bits(),
            s.camera.pose.position.x.to_bits()
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Message::decode(b"").is_err());
        assert!(Message::decode(&[0xff, 0x00, 0x13]).is_err());
        let mut bytes = Message::End {
            frames: 3,
            primary: 1,
            figures: BTreeMap::new(),
        }
        .encode();
        bytes.truncate(bytes.len() - 1);
        assert!(Message::decode(&bytes).is_err());
    }

    #[test]
    fn the_primarys_dropped_slots_are_not_the_nodes_skips() {
        // Consecutive ticks, consecutive frames: nothing skipped.
        assert_eq!(gaps((10, 10), (11, 11)), (0, 0));
        // The primary dropped slots 11 and 12 (its next tick, seq 11, is frame 13): the
        // node missed nothing.
        assert_eq!(gaps((10, 10), (13, 11)), (0, 2));
        // The node missed ticks 11 and 12 (frames 11, 12) and the primary dropped 13, 14.
        assert_eq!(gaps((10, 10), (15, 13)), (2, 2));
        // The node missed two ticks, the primary dropped nothing.
        assert_eq!(gaps((10, 10), (13, 13)), (2, 0));
    }
}
