//! A render node ([`Node`]): renders the primary's ticks, switches to a held reload at the
//! primary's switch frame, answers ready (or refused, saying why) and presents on the primary's
//! release. See [`super::net`] for the key expressions.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use zenoh::Wait;
use zenoh::pubsub::Publisher;
use zenoh::sample::Sample;

use super::config::{ClusterConfig, ClusterError};
use super::net::{Revisions, Sub, decode, nodes_of, publisher, zerr};
use super::revision::Revision;
use super::tick::{CameraTick, Message, Ready, Release, Switch, Tick};
use super::{FrameState, FrameSync};
use crate::stage::Stage;
use crate::tracking::TrackedState;

/// A node: renders the primary's ticks, answers ready, presents on the primary's release.
pub struct Node {
    config: ClusterConfig,
    name: String,
    session: zenoh::Session,
    ready: Publisher<'static>,
    ticks: Sub,
    releases: Sub,
    _token: zenoh::liveliness::LivelinessToken,
    revisions: Revisions,
    stop: Arc<AtomicBool>,
    refusal: Option<String>,
    told: BTreeSet<String>,
    last: Option<u64>,
    pending: Option<Tick>,
    ended: Option<u64>,
    presented: u64,
    refused: u64,
    skipped: u64,
    unreleased: u64,
    /// The revision of the reload the loop holds, not yet switched to.
    held: Option<Revision>,
    /// The newest reload the primary announced.
    announced: Option<Switch>,
}

impl Node {
    /// Opens the session, subscribes to the primary's ticks and releases and declares the node's
    /// liveliness token. `stop` is set when the primary's run ends. Errors: names (and a name no
    /// output of the stage carries), endpoints, Zenoh, the stage file unreadable.
    pub fn start(
        config: ClusterConfig,
        stage_path: &Path,
        stage: &Stage,
        stop: Arc<AtomicBool>,
    ) -> Result<Node, ClusterError> {
        config.check()?;
        let name = config.node.clone().ok_or(ClusterError::NoName)?;
        let known = nodes_of(stage);
        if !known.contains(&name) {
            return Err(ClusterError::UnknownNode {
                node: name,
                known: known.join(", "),
            });
        }
        let revisions = Revisions::new(stage_path, stage)?;
        let session = zenoh::open(config.zenoh()?).wait().map_err(zerr)?;
        let ready = publisher(&session, config.key("ready"))?;
        let ticks = session
            .declare_subscriber(config.key("tick"))
            .wait()
            .map_err(zerr)?;
        let releases = session
            .declare_subscriber(config.key("release"))
            .wait()
            .map_err(zerr)?;
        let token = session
            .liveliness()
            .declare_token(config.key(&format!("node/{name}")))
            .wait()
            .map_err(zerr)?;
        Ok(Node {
            config,
            name,
            session,
            ready,
            ticks,
            releases,
            _token: token,
            revisions,
            stop,
            refusal: None,
            told: BTreeSet::new(),
            last: None,
            pending: None,
            ended: None,
            presented: 0,
            refused: 0,
            skipped: 0,
            unreleased: 0,
            held: None,
            announced: None,
        })
    }

    /// The node's figures in one line.
    pub fn summary(&self) -> String {
        format!(
            "cluster: node '{}': {} frames presented, {} refused, {} ticks skipped (joined late or behind), {} presented without the primary's release (timeout)",
            self.name, self.presented, self.refused, self.skipped, self.unreleased
        )
    }

    /// Takes in a tick-key sample: a tick newer than the last rendered and the one pending
    /// becomes pending (older ones are skipped: the node catches up); the end of the run is noted.
    fn accept(&mut self, s: &Sample) {
        match decode(s) {
            Some(Message::Tick(t))
                if self.last.is_none_or(|l| t.frame > l)
                    && self.pending.as_ref().is_none_or(|p| t.frame > p.frame) =>
            {
                self.pending = Some(t);
            }
            Some(Message::End { frames }) => self.ended = Some(frames),
            _ => {}
        }
    }

    /// The next tick to render (the newest received), waiting for it; `None` when the primary's
    /// run ended (after its last tick) or a stop was requested.
    fn next_tick(&mut self) -> Option<Tick> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            while let Ok(Some(s)) = self.ticks.try_recv() {
                self.accept(&s);
            }
            if let Some(t) = self.pending.take() {
                return Some(t);
            }
            if let Some(frames) = self.ended {
                eprintln!("cluster: the primary ended its run after {frames} frames; stopping");
                self.stop.store(true, Ordering::Relaxed);
                return None;
            }
            if let Ok(Some(s)) = self.ticks.recv_timeout(Duration::from_millis(50)) {
                self.accept(&s);
            }
        }
    }
}

/// Why a node refuses a frame of revision `theirs` when its own is `ours`, or `None`.
/// `announced`: the reload the primary announced, when `theirs` is its revision (the node did
/// not load the same files by the switch frame).
pub fn refusal(theirs: Revision, ours: Revision, announced: Option<Switch>) -> Option<String> {
    let what = match (theirs.stage == ours.stage, theirs.content == ours.content) {
        (true, true) => return None,
        (false, _) => "stage",
        (true, false) => "content",
    };
    let late = match announced {
        Some(s) if s.revision == theirs => format!(
            "; the primary's reload switched every node at frame {} and this node has not loaded those files (yet)",
            s.frame
        ),
        _ => String::new(),
    };
    Some(format!(
        "the primary's {what} revision differs from this node's (primary: {theirs}; this node: {ours}){late}; not presenting until they match: load the same stage file and files on every node"
    ))
}

impl FrameSync for Node {
    fn frame(&mut self, stage: &Stage, _own: FrameState) -> Option<FrameState> {
        let tick = self.next_tick()?;
        if tick.next.is_some() {
            self.announced = tick.next;
        }
        // The primary switched to the reload this node holds: switch too, before rendering.
        let switch = tick.revision != self.revisions.now && self.held == Some(tick.revision);
        if switch {
            self.held = None;
            self.revisions.now = tick.revision;
            eprintln!(
                "cluster: node '{}' switched to revision {} at frame {}",
                self.name, tick.revision, tick.frame
            );
        }
        if let Some(l) = self.last {
            self.skipped += tick.frame.saturating_sub(l + 1);
        } else if tick.frame > 0 {
            eprintln!(
                "cluster: node '{}' joined at frame {} (the primary's next tick)",
                self.name, tick.frame
            );
        }
        self.last = Some(tick.frame);
        self.refusal = refusal(tick.revision, self.revisions.now, self.announced);
        let state = |c: &CameraTick| -> Option<TrackedState> { c.state.as_ref().map(Into::into) };
        let mut cams = tick.cameras.iter();
        let first = cams.next()?;
        let camera = match state(first) {
            Some(s) => s,
            None => TrackedState::untracked(stage.camera(&first.name).map(|c| c.rest)?),
        };
        Some(FrameState {
            frame: tick.frame,
            render_time: tick.render_time_s,
            camera: (first.name.clone(), camera),
            others: cams.map(|c| (c.name.clone(), state(c))).collect(),
            switch,
        })
    }

    fn loaded(&mut self, stage: &Stage) {
        match self.revisions.of(stage) {
            Ok(r) => {
                let when = match self.announced {
                    Some(s) if s.revision == r => format!("at frame {}", s.frame),
                    _ => "when the primary switches to it".into(),
                };
                eprintln!(
                    "cluster: node '{}' loaded revision {r}; it switches {when}",
                    self.name
                );
                self.held = Some(r);
            }
            Err(e) => {
                eprintln!(
                    "cluster: node '{}': the reload is not switched to: {e}",
                    self.name
                );
                self.held = None;
            }
        }
    }

    fn switch_before(&mut self, _next: u64) -> bool {
        false
    }

    fn present(&mut self, frame: u64) -> bool {
        let ready = Message::Ready(Ready {
            node: self.name.clone(),
            frame,
            revision: self.revisions.now,
            refused: self.refusal.clone(),
        });
        if let Err(e) = self.ready.put(ready.encode()).wait() {
            log::error!("cluster: frame {frame}: ready not sent: {e}");
        }
        if let Some(why) = &self.refusal {
            // The releases of frames it does not present are of no use; left queued, they fill
            // the subscriber's queue (256) and stall Zenoh's receiving, ticks and the primary's
            // end included (the tryout's node froze after 257 refusals).
            while let Ok(Some(_)) = self.releases.try_recv() {}
            self.refused += 1;
            if self.told.insert(why.clone()) {
                eprintln!("cluster: node '{}' refuses frame {frame}: {why}", self.name);
            }
            return false;
        }
        // The primary releases within its barrier timeout; wait a little longer than that.
        let until = Instant::now() + self.config.barrier_timeout * 2 + Duration::from_millis(200);
        loop {
            while let Ok(Some(s)) = self.releases.try_recv() {
                if let Some(Message::Release(Release { frame: f, .. })) = decode(&s)
                    && f >= frame
                {
                    self.presented += 1;
                    return true;
                }
            }
            let now = Instant::now();
            if now >= until || self.stop.load(Ordering::Relaxed) {
                self.unreleased += 1;
                self.presented += 1;
                return true;
            }
            if let Ok(Some(s)) = self
                .releases
                .recv_deadline(until.min(now + Duration::from_millis(50)))
                && let Some(Message::Release(Release { frame: f, .. })) = decode(&s)
                && f >= frame
            {
                self.presented += 1;
                return true;
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        println!("{}", self.summary());
        let _ = self.session.close().wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_both_revisions_and_which_differs() {
        let a = Revision {
            stage: 1,
            content: 2,
        };
        assert_eq!(refusal(a, a, None), None);
        let b = Revision { stage: 9, ..a };
        let why = refusal(b, a, None).unwrap();
        assert!(why.contains("stage revision differs"), "{why}");
        assert!(why.contains("primary: stage 0000000000000009"), "{why}");
        assert!(why.contains("this node: stage 0000000000000001"), "{why}");
        let c = Revision { content: 7, ..a };
        assert!(
            refusal(c, a, None)
                .unwrap()
                .contains("content revision differs")
        );
        assert!(!why.contains("reload"), "{why}");
        // The primary announced `b` for frame 40: the refusal says the node missed the reload.
        let s = Switch {
            revision: b,
            frame: 40,
        };
        let why = refusal(b, a, Some(s)).unwrap();
        assert!(
            why.contains("switched every node at frame 40 and this node has not loaded"),
            "{why}"
        );
        // Another revision announced than the tick's: not this reload's fault.
        let other = Switch {
            revision: c,
            frame: 40,
        };
        assert!(!refusal(b, a, Some(other)).unwrap().contains("reload"));
    }
}
