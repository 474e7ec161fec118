//! The swap barrier's bookkeeping, without the network: which nodes are known, which are ready
//! for the open frame, when the frame is released (every known node ready, or the timeout
//! passed), and the figures per node (ready, late, refused frames; when it joined and dropped
//! out). The primary feeds it what arrives ([`Barrier::join`], [`Barrier::drop_out`],
//! [`Barrier::ready`]) and asks [`Barrier::poll`] whether the frame is released.
//!
//! A node that is not ready when the timeout passes is **late** for that frame (counted, and
//! named in the release); a node that drops out is no longer waited for from that moment; a node
//! that joins (or whose first answer arrives) is waited for from the next frame opened.
//!
//! A node late for [`STALL_AFTER`] frames in a row (frozen, or far behind) is **stalled**: no
//! longer waited for, so the wall keeps its frame rate instead of paying the timeout every frame
//! until the node is declared gone; its frames are still counted late. It is waited for again
//! from the frame after it answers the open frame or the one just released (it keeps up again).
//! A node that answers with its last good frame held (a failed render: `Ready::held`) is
//! counted apart, and said again when it renders fresh frames.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Late frames in a row after which a node is stalled: no longer waited for until it keeps up
/// again (see the module).
pub const STALL_AFTER: u64 = 3;

use super::tick::{Ready, Release};

/// Something the operator is told about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A node joined (or came back) at this frame.
    Joined {
        /// The node.
        node: String,
        /// The frame open or next when it joined.
        frame: u64,
    },
    /// A node dropped out at this frame.
    Dropped {
        /// The node.
        node: String,
        /// The frame open or next when it dropped out.
        frame: u64,
    },
    /// A node was not ready when a frame's timeout passed.
    Late {
        /// The node.
        node: String,
        /// The frame released without it.
        frame: u64,
    },
    /// A node refused a frame (it will not present it).
    Refused {
        /// The node.
        node: String,
        /// The frame.
        frame: u64,
        /// The node's reason.
        why: String,
    },
    /// A node was late for [`STALL_AFTER`] frames in a row: frames are released without
    /// waiting for it until it keeps up again.
    Stalled {
        /// The node.
        node: String,
        /// The frame that made it stalled.
        frame: u64,
    },
    /// A stalled node keeps up again: waited for from the next frame.
    Resumed {
        /// The node.
        node: String,
        /// The frame it answered in time.
        frame: u64,
        /// Frames released without it in the stall (late ones included).
        missed: u64,
    },
    /// A node could not render a frame and shows its last good one (the first of a run of
    /// such frames).
    Held {
        /// The node.
        node: String,
        /// The frame.
        frame: u64,
        /// The node's reason (its render error).
        why: String,
    },
    /// A node that held its last good frame renders fresh frames again.
    Recovered {
        /// The node.
        node: String,
        /// The first fresh frame.
        frame: u64,
        /// Frames it held before.
        held: u64,
    },
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Joined { node, frame } => write!(f, "node '{node}' joined at frame {frame}"),
            Event::Dropped { node, frame } => {
                write!(
                    f,
                    "node '{node}' dropped out at frame {frame}; the others go on"
                )
            }
            Event::Late { node, frame } => {
                write!(
                    f,
                    "node '{node}' late for frame {frame} (released without it)"
                )
            }
            Event::Refused { node, frame, why } => {
                write!(f, "node '{node}' refuses frame {frame}: {why}")
            }
            Event::Stalled { node, frame } => write!(
                f,
                "node '{node}' late for {STALL_AFTER} frames in a row (to frame {frame}): no longer waited for, the others go on at full rate; waited for again when it keeps up"
            ),
            Event::Resumed {
                node,
                frame,
                missed,
            } => write!(
                f,
                "node '{node}' keeps up again at frame {frame} ({missed} frames released without it); waited for from the next frame"
            ),
            Event::Held { node, frame, why } => write!(
                f,
                "node '{node}' could not render frame {frame} and holds its last good frame: {why}"
            ),
            Event::Recovered { node, frame, held } => write!(
                f,
                "node '{node}' renders fresh frames again at frame {frame} (after {held} held)"
            ),
        }
    }
}

/// One node's figures over the run, as the primary counted them (also sent to the node at the
/// end of the run, [`super::tick::Message::End`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFigures {
    /// Frames it was ready for in time, rendered.
    pub ready: u64,
    /// Frames released without it (not ready by the timeout, or while it was stalled).
    pub late: u64,
    /// Frames it refused (a revision differing from the primary's).
    pub refused: u64,
    /// Frames it answered in time with its last good frame held (it could not render them).
    #[serde(default)]
    pub held: u64,
    /// Frames at which it joined.
    pub joined: Vec<u64>,
    /// Frames at which it dropped out.
    pub dropped: Vec<u64>,
    /// Frames at which it was stalled ([`STALL_AFTER`] late in a row).
    #[serde(default)]
    pub stalled: Vec<u64>,
}

/// A node's runs of late and held frames.
#[derive(Debug, Default)]
struct Watch {
    /// Frames released without it in a row.
    late: u64,
    /// Not waited for ([`STALL_AFTER`] late in a row).
    stalled: bool,
    /// Frames held in a row.
    held: u64,
}

#[derive(Debug)]
struct Open {
    frame: u64,
    /// When the frame was opened (its tick published).
    opened: Instant,
    /// The timeout runs from here: the opening, or when the primary's own render of the frame
    /// finished ([`Barrier::wait_from`]).
    since: Instant,
    answered: BTreeSet<String>,
    /// When the last answer arrived.
    last_answer: Option<Instant>,
}

/// The swap barrier's state on the primary.
#[derive(Debug)]
pub struct Barrier {
    timeout: Duration,
    known: BTreeSet<String>,
    open: Option<Open>,
    /// The next frame to open (for events between frames).
    next: u64,
    figures: BTreeMap<String, NodeFigures>,
    /// The known nodes' runs of late and held frames.
    watch: BTreeMap<String, Watch>,
    /// The last frame released.
    released: Option<u64>,
    events: Vec<Event>,
    /// Of the last frame released with every node ready: from its opening to the last answer.
    all_ready: Option<Duration>,
}

impl Barrier {
    /// A barrier releasing a frame at most `timeout` after it was opened.
    pub fn new(timeout: Duration) -> Barrier {
        Barrier {
            timeout,
            known: BTreeSet::new(),
            open: None,
            next: 0,
            figures: BTreeMap::new(),
            watch: BTreeMap::new(),
            released: None,
            events: Vec::new(),
            all_ready: None,
        }
    }

    fn now_frame(&self) -> u64 {
        self.open.as_ref().map_or(self.next, |o| o.frame)
    }

    /// The nodes waited for, by name.
    pub fn known(&self) -> impl Iterator<Item = &str> {
        self.known.iter().map(String::as_str)
    }

    /// Node `node` is present (its liveliness token appeared, or it answered). Returns whether it
    /// was new. It is waited for from the next frame opened.
    pub fn join(&mut self, node: &str) -> bool {
        if !self.known.insert(node.to_string()) {
            return false;
        }
        self.watch.insert(node.to_string(), Watch::default());
        let frame = self.now_frame();
        self.figures
            .entry(node.to_string())
            .or_default()
            .joined
            .push(frame);
        self.events.push(Event::Joined {
            node: node.to_string(),
            frame,
        });
        true
    }

    /// Node `node` is gone: no longer waited for (the open frame may be released at once).
    pub fn drop_out(&mut self, node: &str) {
        if !self.known.remove(node) {
            return;
        }
        self.watch.remove(node);
        let frame = self.now_frame();
        self.figures
            .entry(node.to_string())
            .or_default()
            .dropped
            .push(frame);
        self.events.push(Event::Dropped {
            node: node.to_string(),
            frame,
        });
    }

    /// Opens frame `frame` at `now`: from now on, answers for it are counted. An open frame not
    /// yet released is released first (its missing nodes late).
    pub fn open(&mut self, frame: u64, now: Instant) -> Option<Release> {
        let earlier = if self.open.is_some() {
            Some(self.release())
        } else {
            None
        };
        self.open = Some(Open {
            frame,
            opened: now,
            since: now,
            answered: BTreeSet::new(),
            last_answer: None,
        });
        self.next = frame + 1;
        earlier
    }

    /// Restarts the open frame's timeout at `now` (the primary's own render of the frame is done:
    /// the nodes get the timeout beyond that).
    pub fn wait_from(&mut self, now: Instant) {
        if let Some(o) = &mut self.open {
            o.since = now;
        }
    }

    /// A node's answer, arrived at `now`. An answer for a frame other than the open one is
    /// not counted (a late answer for a frame already released), and one from a node not known
    /// is ignored (membership comes from [`Barrier::join`] and [`Barrier::drop_out`] alone: an
    /// answer still in flight from a node that dropped out must not bring it back). A stalled
    /// node answering the open frame or the last released one keeps up again: it is waited for
    /// from the next frame opened.
    pub fn ready(&mut self, r: &Ready, now: Instant) {
        let Some(watch) = self.watch.get_mut(&r.node) else {
            return;
        };
        let open_frame = self.open.as_ref().map(|o| o.frame);
        if watch.stalled && (Some(r.frame) == open_frame || Some(r.frame) == self.released) {
            watch.stalled = false;
            self.events.push(Event::Resumed {
                node: r.node.clone(),
                frame: r.frame,
                missed: std::mem::take(&mut watch.late),
            });
        }
        let Some(open) = &mut self.open else { return };
        if open.frame != r.frame || !open.answered.insert(r.node.clone()) {
            return;
        }
        open.last_answer = Some(now);
        let f = self.figures.entry(r.node.clone()).or_default();
        let event = match (&r.refused, &r.held) {
            (Some(why), _) => {
                f.refused += 1;
                Some(Event::Refused {
                    node: r.node.clone(),
                    frame: r.frame,
                    why: why.clone(),
                })
            }
            (None, Some(why)) => {
                f.held += 1;
                watch.held += 1;
                (watch.held == 1).then(|| Event::Held {
                    node: r.node.clone(),
                    frame: r.frame,
                    why: why.clone(),
                })
            }
            (None, None) => {
                f.ready += 1;
                let held = std::mem::take(&mut watch.held);
                (held > 0).then(|| Event::Recovered {
                    node: r.node.clone(),
                    frame: r.frame,
                    held,
                })
            }
        };
        self.events.extend(event);
    }

    /// Whether node `node` is waited for (known and not stalled).
    fn waited(&self, node: &str) -> bool {
        self.watch.get(node).is_some_and(|w| !w.stalled)
    }

    /// When the open frame is released at the latest (its timeout), if one is open.
    pub fn deadline(&self) -> Option<Instant> {
        self.open.as_ref().map(|o| o.since + self.timeout)
    }

    /// Whether the open frame is released at `now`: every known node answered, or the timeout
    /// passed (the missing ones are late). `None`: keep waiting, or no frame open.
    pub fn poll(&mut self, now: Instant) -> Option<Release> {
        let open = self.open.as_ref()?;
        let all = self
            .known
            .iter()
            .filter(|n| self.waited(n))
            .all(|n| open.answered.contains(n));
        if all || now >= open.since + self.timeout {
            Some(self.release())
        } else {
            None
        }
    }

    fn release(&mut self) -> Release {
        let open = self.open.take().expect("an open frame");
        self.all_ready = None;
        let late: Vec<String> = self
            .known
            .iter()
            .filter(|n| !open.answered.contains(*n))
            .cloned()
            .collect();
        self.released = Some(open.frame);
        for n in &open.answered {
            if let Some(w) = self.watch.get_mut(n) {
                w.late = 0;
            }
        }
        for n in &late {
            let f = self.figures.entry(n.clone()).or_default();
            f.late += 1;
            let w = self.watch.entry(n.clone()).or_default();
            w.late += 1;
            let (node, frame) = (n.clone(), open.frame);
            if w.stalled {
                // Counted, not said again every frame.
            } else if w.late >= STALL_AFTER {
                w.stalled = true;
                f.stalled.push(frame);
                self.events.push(Event::Stalled { node, frame });
            } else {
                self.events.push(Event::Late { node, frame });
            }
        }
        if late.is_empty() {
            // No node known, no answer: no latency to report (not a zero).
            self.all_ready = open
                .last_answer
                .map(|t| t.saturating_duration_since(open.opened));
        }
        Release {
            frame: open.frame,
            late,
            // The primary stamps its instance when it sends it.
            primary: 0,
        }
    }

    /// For the frame just released, if every known node answered in time: from its opening to
    /// the last answer (tick to all ready). `None` also when no node answered (none known).
    pub fn all_ready(&self) -> Option<Duration> {
        self.all_ready
    }

    /// The events since the last call, in order.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// Every node's figures, by name.
    pub fn figures(&self) -> &BTreeMap<String, NodeFigures> {
        &self.figures
    }
}

#[cfg(test)]
mod tests;
