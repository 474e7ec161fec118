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
use zenoh::sample::{Sample, SampleKind};

use super::barrier::NodeFigures;
use super::config::{ClusterConfig, ClusterError};
use super::follow::{Follow, Verdict};
use super::net::{Revisions, Sub, decode, instance, presence, primary_token, publisher, zerr};
use super::revision::{Revision, refusal};
use super::silence::{SILENCE, Silence};
use super::tick::{CameraTick, Message, Ready, Release, Switch, Tick, gaps};
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
    /// The primaries' presence on every cluster (liveliness tokens
    /// `parallax/*/primary/INSTANCE`).
    primary_tokens: Sub,
    /// The primaries present on this node's cluster, by instance.
    present_primaries: BTreeSet<u64>,
    /// Primaries present on other clusters: (cluster, instance).
    elsewhere: BTreeSet<(String, u64)>,
    _token: zenoh::liveliness::LivelinessToken,
    revisions: Revisions,
    stop: Arc<AtomicBool>,
    refusal: Option<String>,
    told: BTreeSet<String>,
    /// The last tick rendered: (frame, seq, primary instance).
    last: Option<(u64, u64, u64)>,
    pending: Option<Tick>,
    ended: Option<u64>,
    presented: u64,
    refused: u64,
    /// Ticks the primary published that this node did not render (it joined late or fell
    /// behind: a gap in the ticks' `seq`).
    skipped: u64,
    /// Frame numbers the primary itself skipped (its dropped slots): the rest of a frame gap.
    primary_skipped: u64,
    unreleased: u64,
    /// The watch on the primary's ticks (no primary reachable, or it stopped).
    silence: Silence,
    /// The primary this node follows (it ignores any other's ticks, releases and end).
    follow: Follow,
    /// Frames this node could not render and presented its last good frame for.
    held_frames: u64,
    /// What the primary counted for this node ([`Message::End`]).
    counted: Option<NodeFigures>,
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
        config.check_node(stage)?;
        let revisions = Revisions::new(stage_path, stage, config.environment.as_deref())?;
        let session = config.open()?;
        let ready = publisher(&session, config.key("ready"))?;
        let ticks = session
            .declare_subscriber(config.key("tick"))
            .wait()
            .map_err(zerr("subscribing to the primary's ticks"))?;
        let releases = session
            .declare_subscriber(config.key("release"))
            .wait()
            .map_err(zerr("subscribing to the primary's releases"))?;
        // Every cluster's: a primary on another cluster name is what a node waiting for ever
        // on a misspelt --cluster needs to hear of.
        let primary_tokens = presence(
            &session,
            "parallax/*/primary/*".to_string(),
            "subscribing to the primaries' presence",
        )?;
        // The instance tells this process from another one started with the same --node.
        let token = session
            .liveliness()
            .declare_token(config.key(&format!("node/{name}/{:016x}", instance())))
            .wait()
            .map_err(zerr("declaring the node's presence"))?;
        Ok(Node {
            config,
            name,
            session,
            ready,
            ticks,
            releases,
            primary_tokens,
            present_primaries: BTreeSet::new(),
            elsewhere: BTreeSet::new(),
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
            primary_skipped: 0,
            unreleased: 0,
            silence: Silence::new(SILENCE, Instant::now()),
            follow: Follow::new(SILENCE),
            held_frames: 0,
            counted: None,
            held: None,
            announced: None,
        })
    }

    /// The node's figures in one line: frames presented (held ones among them) and refused,
    /// ticks it skipped, frames the primary skipped itself, presents without a release, the
    /// primary's silences, what the primary counted for this node, and ticks of another primary
    /// ignored.
    pub fn summary(&self) -> String {
        let now = Instant::now();
        let ongoing = self.silence.ongoing(now);
        let silence = if !self.silence.ticked() {
            match ongoing {
                Some(d) => format!(
                    "; no tick from the primary at all (waited {:.1} s)",
                    d.as_secs_f64()
                ),
                None => "; no tick from the primary at all".into(),
            }
        } else if self.silence.spells > 0 {
            let longest = ongoing.map_or(self.silence.longest, |d| d.max(self.silence.longest));
            format!(
                "; no tick from the primary for {:.1} s at the longest ({} time(s){})",
                longest.as_secs_f64(),
                self.silence.spells,
                if ongoing.is_some() {
                    ", still none at the end"
                } else {
                    ""
                }
            )
        } else {
            String::new()
        };
        let counted = match &self.counted {
            Some(f) => format!(
                "; the primary counted for node '{}' over its whole run (every process of that name) {} ready, {} late, {} refused, {} held{}",
                self.name,
                f.ready,
                f.late,
                f.refused,
                f.held,
                if f.stalled.is_empty() {
                    String::new()
                } else {
                    format!(" (stalled at frame(s) {:?})", f.stalled)
                }
            ),
            None => String::new(),
        };
        let others = if self.follow.ignored > 0 {
            let ids: Vec<String> = self.follow.others().map(|p| format!("{p:016x}")).collect();
            format!(
                "; WARNING: {} ticks of another primary ignored (instance(s) {})",
                self.follow.ignored,
                ids.join(", ")
            )
        } else {
            String::new()
        };
        format!(
            "cluster: node '{}': {} frames presented ({} of them its last good frame held), {} refused, {} ticks this node skipped (joined late or behind), {} frames the primary skipped (its own dropped slots), {} presented without the primary's release (timeout){silence}{counted}{others}",
            self.name,
            self.presented,
            self.held_frames,
            self.refused,
            self.skipped,
            self.primary_skipped,
            self.unreleased,
        )
    }

    /// The rest of the line said when no tick comes: what the node knows of the primary (its
    /// presence), and what to check.
    fn why_silent(&self) -> String {
        let there = |id: u64| self.present_primaries.contains(&id);
        match (self.last, self.follow.followed()) {
            (None, _) if !self.present_primaries.is_empty() => {
                "none yet); the primary is there but has not started: before frame 0 it waits, up to its --join-timeout, for every node the stage's outputs name; start the missing ones".into()
            }
            (None, _) if !self.elsewhere.is_empty() => {
                let mut names: Vec<&str> = self.elsewhere.iter().map(|(c, _)| c.as_str()).collect();
                names.dedup();
                format!(
                    "none yet); a primary runs on cluster '{}', and this node is on cluster '{}': give every process of the wall the same --cluster NAME",
                    names.join("', '"),
                    self.config.name
                )
            }
            (None, _) => format!("none yet); still waiting: {}", self.where_primary()),
            (Some((f, _, _)), Some(p)) if there(p) => format!(
                "the last was frame {f}); the primary is still there but sends no tick: it may be loading a stage or stalled"
            ),
            (Some((f, _, _)), _) => format!(
                "the last was frame {f}: the primary stopped, or its link is down?); still waiting: {}",
                self.where_primary()
            ),
        }
    }

    /// Where the primary should be, for a node waiting for its ticks.
    fn where_primary(&self) -> String {
        let c = &self.config;
        if !c.connect.is_empty() {
            format!(
                "check that the primary runs and listens on {} (this node connects there)",
                c.connect.join(", ")
            )
        } else if !c.listen.is_empty() {
            format!(
                "check that the primary runs with --connect to this node's {}",
                c.listen.join(", ")
            )
        } else {
            format!(
                "check that the primary runs on this network with --cluster {} (found by multicast scouting; give --connect tcp/PRIMARY:PORT if multicast does not pass)",
                c.name
            )
        }
    }

    /// Takes in the primaries' presence: who is there, and who left (a followed primary that
    /// left may be replaced, [`Follow`]).
    fn presence(&mut self) {
        while let Ok(Some(s)) = self.primary_tokens.try_recv() {
            let Some((cluster, id)) = primary_token(s.key_expr().as_str()) else {
                continue;
            };
            if cluster != self.config.name {
                let other = (cluster.to_string(), id);
                match s.kind() {
                    SampleKind::Put => self.elsewhere.insert(other),
                    SampleKind::Delete => self.elsewhere.remove(&other),
                };
                continue;
            }
            match s.kind() {
                SampleKind::Put => {
                    self.present_primaries.insert(id);
                }
                SampleKind::Delete => {
                    self.present_primaries.remove(&id);
                    self.follow.left(id);
                }
            }
        }
    }

    /// Takes in a tick-key sample: a tick of the followed primary ([`Follow`]; another
    /// primary's are ignored and reported once) newer than the last rendered and the one pending
    /// becomes pending (older ones are skipped: the node catches up), and so does the first tick
    /// of a new primary process followed (a restarted primary counts from frame 0 again); the
    /// end of the followed primary's run is noted.
    fn accept(&mut self, s: &Sample) {
        match decode(s) {
            Some(Message::Tick(t)) => {
                let now = Instant::now();
                if let Verdict::Ignore { first } = self.follow.tick(t.primary, now) {
                    if first {
                        eprintln!(
                            "cluster: WARNING: node '{}' ignores the ticks of another primary (instance {:016x}, at its frame {}): it follows instance {:016x} until that one is gone; run one --primary per cluster, or give each cluster its own --cluster NAME",
                            self.name,
                            t.primary,
                            t.frame,
                            self.follow.followed().unwrap_or_default()
                        );
                    }
                    return;
                }
                if let Some(quiet) = self.silence.tick(now) {
                    eprintln!(
                        "cluster: node '{}': ticks from the primary again (frame {}) after {:.1} s without",
                        self.name,
                        t.frame,
                        quiet.as_secs_f64()
                    );
                }
                let newer = |f: u64, p: u64| p != t.primary || t.frame > f;
                if self.last.is_none_or(|(f, _, p)| newer(f, p))
                    && self
                        .pending
                        .as_ref()
                        .is_none_or(|q| newer(q.frame, q.primary))
                {
                    self.pending = Some(t);
                }
            }
            Some(Message::End {
                frames,
                primary,
                mut figures,
            }) if self.follow.accepts(primary) => {
                self.ended = Some(frames);
                self.counted = figures.remove(&self.name);
            }
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
            self.presence();
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
            // No tick for a while: say so once (and again when ticks return), keep waiting.
            if let Some(quiet) = self.silence.waiting(Instant::now()) {
                eprintln!(
                    "cluster: node '{}': no tick from the primary for {:.1} s ({}",
                    self.name,
                    quiet.as_secs_f64(),
                    self.why_silent()
                );
            }
            if let Ok(Some(s)) = self.ticks.recv_timeout(Duration::from_millis(50)) {
                self.accept(&s);
            }
        }
    }
}

impl Node {
    /// Whether release sample `s` is the followed primary's, for `frame` or a later one.
    fn releases_frame(&self, s: &Sample, frame: u64) -> bool {
        matches!(decode(s), Some(Message::Release(Release { frame: f, primary, .. }))
            if f >= frame && self.follow.accepts(primary))
    }
}

impl FrameSync for Node {
    fn figures(&self) -> serde_json::Value {
        serde_json::json!({
            "role": "node",
            "node": self.name,
            "cluster": self.config.name,
            "presented": self.presented,
            "held": self.held_frames,
            "refused": self.refused,
            "ticks_skipped": self.skipped,
            "primary_skipped": self.primary_skipped,
            "presented_without_release": self.unreleased,
            "silences": {
                "count": self.silence.spells,
                "longest_s": self.silence.longest.as_secs_f64(),
            },
            "counted_by_primary": self.counted,
            "other_primaries_ticks_ignored": self.follow.ignored,
        })
    }

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
        match self.last {
            Some((frame, seq, primary)) if primary == tick.primary => {
                let (ticks, frames) = gaps((frame, seq), (tick.frame, tick.seq));
                self.skipped += ticks;
                self.primary_skipped += frames;
                // A node that fell behind (stalled, frozen, overloaded) says so itself; one
                // tick at a time is the ordinary skip of a slow frame.
                if ticks >= super::barrier::STALL_AFTER {
                    eprintln!(
                        "cluster: node '{}' fell behind: {ticks} ticks skipped (frames {}..{}); it renders the newest, frame {}, and the primary counted it late meanwhile",
                        self.name,
                        frame + 1,
                        tick.frame - 1,
                        tick.frame
                    );
                }
            }
            Some((frame, _, _)) => eprintln!(
                "cluster: node '{}' follows a new primary process from frame {}{}",
                self.name,
                tick.frame,
                if tick.frame <= frame {
                    format!(
                        " (frame numbers start again below the last one rendered, {frame}: files of frames from {} on, written before, are overwritten as the new run reaches them)",
                        tick.frame
                    )
                } else {
                    String::new()
                }
            ),
            None if tick.frame > 0 => eprintln!(
                "cluster: node '{}' joined at frame {} (the primary's next tick)",
                self.name, tick.frame
            ),
            None => {}
        }
        self.last = Some((tick.frame, tick.seq, tick.primary));
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

    fn present(&mut self, frame: u64, held: Option<&str>) -> bool {
        let ready = Message::Ready(Ready {
            node: self.name.clone(),
            frame,
            revision: self.revisions.now,
            refused: self.refusal.clone(),
            held: held.map(str::to_string),
            primary: self.follow.followed().unwrap_or_default(),
        });
        if let Err(e) = self.ready.put(ready.encode()).wait() {
            log::error!(
                "cluster: frame {frame}: ready not sent: {}",
                super::config::zenoh_reason(e)
            );
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
        if held.is_some() {
            self.held_frames += 1;
        }
        // The primary releases within its barrier timeout; wait a little longer than that.
        let until = Instant::now() + self.config.barrier_timeout * 2 + Duration::from_millis(200);
        loop {
            while let Ok(Some(s)) = self.releases.try_recv() {
                if self.releases_frame(&s, frame) {
                    self.presented += 1;
                    return true;
                }
            }
            let now = Instant::now();
            if self.stop.load(Ordering::Relaxed) {
                // Stopping (Ctrl-C): present without waiting; not a timeout.
                self.presented += 1;
                return true;
            }
            if now >= until {
                self.unreleased += 1;
                self.presented += 1;
                return true;
            }
            if let Ok(Some(s)) = self
                .releases
                .recv_deadline(until.min(now + Duration::from_millis(50)))
                && self.releases_frame(&s, frame)
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
