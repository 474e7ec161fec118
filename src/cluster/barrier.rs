//! The swap barrier's bookkeeping, without the network: which nodes are known, which are ready
//! for the open frame, when the frame is released (every known node ready, or the timeout
//! passed), and the figures per node (ready, late, refused frames; when it joined and dropped
//! out). The primary feeds it what arrives ([`Barrier::join`], [`Barrier::drop_out`],
//! [`Barrier::ready`]) and asks [`Barrier::poll`] whether the frame is released.
//!
//! A node that is not ready when the timeout passes is **late** for that frame (counted, and
//! named in the release); a node that drops out is no longer waited for from that moment; a node
//! that joins (or whose first answer arrives) is waited for from the next frame opened.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;

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
        }
    }
}

/// One node's figures over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NodeFigures {
    /// Frames it was ready for in time.
    pub ready: u64,
    /// Frames released without it (not ready by the timeout).
    pub late: u64,
    /// Frames it refused (a revision differing from the primary's).
    pub refused: u64,
    /// Frames at which it joined.
    pub joined: Vec<u64>,
    /// Frames at which it dropped out.
    pub dropped: Vec<u64>,
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

    /// A node's answer, arrived at `now`. An answer for a frame other than the open one is ignored (a late answer
    /// for a frame already released), and so is one from a node not known (membership comes from
    /// [`Barrier::join`] and [`Barrier::drop_out`] alone: an answer still in flight from a node
    /// that dropped out must not bring it back).
    pub fn ready(&mut self, r: &Ready, now: Instant) {
        if !self.known.contains(&r.node) {
            return;
        }
        let Some(open) = &mut self.open else { return };
        if open.frame != r.frame || !open.answered.insert(r.node.clone()) {
            return;
        }
        open.last_answer = Some(now);
        let f = self.figures.entry(r.node.clone()).or_default();
        match &r.refused {
            None => f.ready += 1,
            Some(why) => {
                f.refused += 1;
                self.events.push(Event::Refused {
                    node: r.node.clone(),
                    frame: r.frame,
                    why: why.clone(),
                });
            }
        }
    }

    /// When the open frame is released at the latest (its timeout), if one is open.
    pub fn deadline(&self) -> Option<Instant> {
        self.open.as_ref().map(|o| o.since + self.timeout)
    }

    /// Whether the open frame is released at `now`: every known node answered, or the timeout
    /// passed (the missing ones are late). `None`: keep waiting, or no frame open.
    pub fn poll(&mut self, now: Instant) -> Option<Release> {
        let open = self.open.as_ref()?;
        let all = self.known.iter().all(|n| open.answered.contains(n));
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
        for n in &late {
            self.figures.entry(n.clone()).or_default().late += 1;
            self.events.push(Event::Late {
                node: n.clone(),
                frame: open.frame,
            });
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
mod tests {
    use super::*;
    use crate::cluster::revision::Revision;

    fn ready(node: &str, frame: u64) -> Ready {
        Ready {
            node: node.into(),
            frame,
            revision: Revision::default(),
            refused: None,
        }
    }

    const T: Duration = Duration::from_millis(100);

    #[test]
    fn a_frame_is_released_when_every_known_node_is_ready() {
        let t0 = Instant::now();
        let mut b = Barrier::new(T);
        b.join("b");
        b.join("c");
        assert!(b.open(0, t0).is_none());
        b.ready(&ready("b", 0), t0);
        assert_eq!(b.poll(t0), None, "c is not ready yet");
        b.ready(&ready("b", 0), t0); // twice counts once
        b.ready(&ready("c", 0), t0);
        assert_eq!(
            b.poll(t0 + Duration::from_millis(1)),
            Some(Release {
                frame: 0,
                late: vec![]
            })
        );
        assert_eq!(b.poll(t0), None, "nothing open");
        assert_eq!(b.figures()["b"].ready, 1);
        assert_eq!(b.figures()["c"].ready, 1);
    }

    #[test]
    fn the_timeout_releases_and_counts_the_late_node() {
        let t0 = Instant::now();
        let mut b = Barrier::new(T);
        b.join("b");
        b.join("c");
        b.take_events();
        b.open(5, t0);
        b.ready(&ready("b", 5), t0);
        assert_eq!(b.poll(t0 + Duration::from_millis(99)), None);
        assert_eq!(b.deadline(), Some(t0 + T));
        let r = b.poll(t0 + T).unwrap();
        assert_eq!(r.late, vec!["c".to_string()]);
        assert_eq!(
            b.take_events(),
            vec![Event::Late {
                node: "c".into(),
                frame: 5
            }]
        );
        // c's answer for frame 5 arrives after the release: ignored, still late once.
        b.open(6, t0 + T);
        b.ready(&ready("c", 5), t0);
        assert_eq!(b.figures()["c"].late, 1);
        assert_eq!(b.figures()["c"].ready, 0);
    }

    #[test]
    fn the_timeout_runs_from_the_primarys_own_ready_and_all_ready_is_the_last_answer() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut b = Barrier::new(T);
        b.join("b");
        b.join("c");
        b.open(0, t0);
        b.ready(&ready("b", 0), t0 + ms(30));
        // The primary's own render took 150 ms: the nodes get 100 ms beyond that.
        b.wait_from(t0 + ms(150));
        assert_eq!(b.poll(t0 + ms(200)), None);
        b.ready(&ready("c", 0), t0 + ms(220));
        assert_eq!(b.poll(t0 + ms(221)).map(|r| r.late), Some(vec![]));
        assert_eq!(b.all_ready(), Some(ms(220)));
        b.open(1, t0 + ms(300));
        b.ready(&ready("c", 1), t0 + ms(310));
        assert!(b.poll(t0 + ms(400)).is_some());
        assert_eq!(b.all_ready(), None, "b was late");
    }

    #[test]
    fn without_nodes_there_is_no_tick_to_all_ready() {
        let t0 = Instant::now();
        let mut b = Barrier::new(T);
        b.open(0, t0);
        assert_eq!(b.poll(t0).map(|r| r.late), Some(vec![]), "released at once");
        assert_eq!(b.all_ready(), None, "not a latency of zero");
    }

    #[test]
    fn a_node_that_drops_out_is_not_waited_for_and_can_rejoin() {
        let t0 = Instant::now();
        let mut b = Barrier::new(T);
        b.join("b");
        b.join("c");
        b.open(0, t0);
        b.ready(&ready("c", 0), t0);
        b.drop_out("b");
        assert_eq!(b.poll(t0).map(|r| r.late), Some(vec![]));
        b.open(1, t0);
        b.ready(&ready("c", 1), t0);
        assert!(b.poll(t0).is_some(), "released without b");
        // b comes back between frames 1 and 2: waited for from frame 2.
        assert!(b.join("b"));
        assert!(!b.join("b"));
        b.open(2, t0);
        b.ready(&ready("c", 2), t0);
        assert_eq!(b.poll(t0), None);
        b.ready(&ready("b", 2), t0);
        assert!(b.poll(t0).is_some());
        let events: Vec<String> = b.take_events().iter().map(|e| e.to_string()).collect();
        assert_eq!(
            events,
            [
                "node 'b' joined at frame 0",
                "node 'c' joined at frame 0",
                "node 'b' dropped out at frame 0; the others go on",
                "node 'b' joined at frame 2",
            ]
        );
        assert_eq!(b.figures()["b"].joined, vec![0, 2]);
        assert_eq!(b.figures()["b"].dropped, vec![0]);
    }

    #[test]
    fn an_unknown_node_is_ignored_and_a_refusal_counts_as_an_answer() {
        let t0 = Instant::now();
        let mut b = Barrier::new(T);
        b.join("c");
        b.drop_out("c");
        b.open(0, t0);
        b.ready(&ready("c", 0), t0);
        assert!(!b.known().any(|n| n == "c"), "a stale answer brings c back");
        b.join("d");
        let mut r = ready("d", 0);
        r.refused = Some("stage revision differs".into());
        b.ready(&r, t0);
        assert_eq!(b.poll(t0).map(|r| r.late), Some(vec![]));
        assert_eq!(b.figures()["d"].refused, 1);
        assert!(b.take_events().iter().any(
            |e| matches!(e, Event::Refused { node, why, .. } if node == "d" && why.contains("differs"))
        ));
        // Opening a frame while one is open releases the first.
        b.open(1, t0);
        let r = b.open(2, t0).unwrap();
        assert_eq!((r.frame, r.late), (1, vec!["d".to_string()]));
    }
}
