//! The primary ([`Primary`]): publishes the ticks, runs the swap barrier, announces hot reloads,
//! and reports nodes joining, dropping out, late or refusing, and a node name claimed by two
//! processes or a second primary on the cluster. See [`super::net`] for the key expressions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use zenoh::Wait;
use zenoh::pubsub::{Publisher, Subscriber};
use zenoh::qos::{CongestionControl, Priority};
use zenoh::sample::{Sample, SampleKind};

use super::announce::Announcements;
use super::barrier::{Barrier, Event};
use super::config::{ClusterConfig, ClusterError, zenoh_reason};
use super::net::{
    Revisions, Sub, instance, lead_frames, nodes_of, presence, publisher, token_parts, zerr,
};
use super::tick::{CameraTick, Message, Tick};
use super::{FrameState, FrameSync};
use crate::stage::Stage;

/// The primary: publishes the ticks, runs the swap barrier, reports nodes joining, dropping out,
/// late or refusing. At the end (when dropped) it publishes the end of the run and prints its
/// figures.
pub struct Primary {
    config: ClusterConfig,
    session: zenoh::Session,
    tick: Publisher<'static>,
    release: Publisher<'static>,
    /// The nodes' answers with their arrival times (stamped by the subscriber's callback, so a
    /// frame's tick-to-all-ready does not include the primary's own render).
    ready: std::sync::mpsc::Receiver<(Instant, Vec<u8>)>,
    _ready_sub: Subscriber<()>,
    nodes: Sub,
    primaries: Sub,
    _token: zenoh::liveliness::LivelinessToken,
    /// With `--node`, the primary's presence as that node too (another process claiming the
    /// name, a second primary with the same `--node` included, is then reported).
    _node_token: Option<zenoh::liveliness::LivelinessToken>,
    /// This process's random id ([`super::net::instance`]).
    instance: u64,
    barrier: Barrier,
    expected: Vec<String>,
    revisions: Revisions,
    started: bool,
    frames: u64,
    /// Tick-to-all-ready times of the frames every node answered in time, milliseconds.
    all_ready_ms: Vec<f64>,
    tick_bytes: usize,
    told: BTreeSet<String>,
    /// Frames this process's own outputs held their last good frame (it could not render them).
    own_held: u64,
    /// Runs of held frames per node (for how often they are said).
    held_runs: BTreeMap<String, u64>,
    /// The frame the next tick is for (as far as the primary knows).
    next_frame: u64,
    /// Reloads loaded, announced, switched to.
    announcements: Announcements,
    /// The live node processes per node name, by instance (their liveliness tokens).
    members: BTreeMap<String, BTreeSet<u64>>,
    /// The other primaries seen on the cluster, by instance.
    others: BTreeSet<u64>,
    /// Conflicts found (a node name claimed twice, another primary), for the summary.
    conflicts: Vec<String>,
}

impl Primary {
    /// Opens the session (listening and connecting as configured) and declares the primary's
    /// keys. `stage_path`/`stage`: the running stage (for its revision and the nodes its outputs
    /// name, which are waited for before frame 0). Errors: names, endpoints, Zenoh, the stage
    /// file unreadable.
    pub fn start(
        config: ClusterConfig,
        stage_path: &Path,
        stage: &Stage,
    ) -> Result<Primary, ClusterError> {
        config.check()?;
        config.check_node(stage)?;
        let revisions = Revisions::new(stage_path, stage, config.environment.as_deref())?;
        let session = config.open()?;
        let instance = instance();
        let tick = publisher(&session, config.key("tick"))?;
        let release = publisher(&session, config.key("release"))?;
        let (tx, ready) = std::sync::mpsc::channel();
        let ready_sub = session
            .declare_subscriber(config.key("ready"))
            .callback(move |s: Sample| {
                let _ = tx.send((Instant::now(), s.payload().to_bytes().into_owned()));
            })
            .wait()
            .map_err(zerr("subscribing to the nodes' answers"))?;
        let nodes = presence(
            &session,
            config.key("node/*/*"),
            "subscribing to the nodes' presence",
        )?;
        let primaries = presence(
            &session,
            config.key("primary/*"),
            "subscribing to the primaries' presence",
        )?;
        let token = session
            .liveliness()
            .declare_token(config.key(&format!("primary/{instance:016x}")))
            .wait()
            .map_err(zerr("declaring the primary's presence"))?;
        let node_token = match &config.node {
            Some(name) => Some(
                session
                    .liveliness()
                    .declare_token(config.key(&format!("node/{name}/{instance:016x}")))
                    .wait()
                    .map_err(zerr("declaring the primary's node presence"))?,
            ),
            None => None,
        };
        let expected = nodes_of(stage)
            .into_iter()
            .filter(|n| Some(n) != config.node.as_ref())
            .collect();
        Ok(Primary {
            barrier: Barrier::new(config.barrier_timeout),
            config,
            session,
            tick,
            release,
            ready,
            _ready_sub: ready_sub,
            nodes,
            primaries,
            _token: token,
            _node_token: node_token,
            instance,
            expected,
            revisions,
            started: false,
            frames: 0,
            all_ready_ms: Vec::new(),
            tick_bytes: 0,
            told: BTreeSet::new(),
            own_held: 0,
            held_runs: BTreeMap::new(),
            next_frame: 0,
            announcements: Announcements::default(),
            members: BTreeMap::new(),
            others: BTreeSet::new(),
            conflicts: Vec::new(),
        })
    }

    fn conflict(&mut self, message: String) {
        eprintln!("cluster: WARNING: {message}");
        self.conflicts.push(message);
    }

    fn node_sample(&mut self, s: &Sample) {
        let Some((name, id)) = token_parts(s.key_expr().as_str()) else {
            return;
        };
        if id == self.instance {
            return; // this process's own node token
        }
        let name = name.to_string();
        let frame = self.next_frame;
        let set = self.members.entry(name.clone()).or_default();
        match s.kind() {
            SampleKind::Put => {
                if !set.insert(id) {
                    return;
                }
                let ids: Vec<String> = set.iter().map(|i| format!("{i:016x}")).collect();
                let own = Some(name.as_str()) == self.config.node.as_deref();
                if own {
                    self.conflict(format!(
                        "another process (instance {id:016x}) runs as node '{name}', the primary's own --node, from frame {frame}: its outputs are delivered twice; give that process its own --node, or the primary another one"
                    ));
                } else if ids.len() > 1 {
                    self.conflict(format!(
                        "node '{name}' is run by {} processes at once from frame {frame} (instances {}): each node name must be run by one process only (its outputs are rendered twice and the barrier counts whichever answers first); stop one, or start it with its own --node",
                        ids.len(),
                        ids.join(", ")
                    ));
                } else {
                    self.barrier.join(&name);
                }
            }
            SampleKind::Delete => {
                if !set.remove(&id) {
                    return;
                }
                let left = set.len();
                let own = Some(name.as_str()) == self.config.node.as_deref();
                if own {
                    return;
                }
                if left == 0 {
                    self.barrier.drop_out(&name);
                } else if left == 1 {
                    eprintln!("cluster: node '{name}' is run by one process again");
                }
            }
        }
    }

    fn primary_sample(&mut self, s: &Sample) {
        let Some((_, id)) = token_parts(s.key_expr().as_str()) else {
            return;
        };
        if id == self.instance {
            return;
        }
        match s.kind() {
            SampleKind::Put => {
                if self.others.insert(id) {
                    let frame = self.next_frame;
                    let cluster = self.config.name.clone();
                    self.conflict(format!(
                        "another primary (instance {id:016x}) is on cluster '{cluster}' from frame {frame}: each node follows the primary it heard first and ignores the other's ticks (the nodes' warnings say which); run one --primary per cluster, or give each cluster its own --cluster NAME"
                    ));
                }
            }
            SampleKind::Delete => {
                if self.others.remove(&id) {
                    eprintln!("cluster: the other primary (instance {id:016x}) is gone");
                }
            }
        }
    }

    fn ready_answer(&mut self, (at, bytes): (Instant, Vec<u8>)) {
        match Message::decode(&bytes) {
            // An answer to another primary's tick (two on the cluster) is not this barrier's.
            Ok(Message::Ready(r)) if r.primary == self.instance || r.primary == 0 => {
                self.barrier.ready(&r, at)
            }
            Ok(_) => {}
            Err(e) => log::warn!("{}: {e}", self.config.key("ready")),
        }
    }

    fn drain(&mut self) {
        while let Ok(Some(s)) = self.nodes.try_recv() {
            self.node_sample(&s);
        }
        while let Ok(Some(s)) = self.primaries.try_recv() {
            self.primary_sample(&s);
        }
        while let Ok(a) = self.ready.try_recv() {
            self.ready_answer(a);
        }
    }

    fn report(&mut self) {
        for e in self.barrier.take_events() {
            match &e {
                Event::Late { node, .. } => {
                    // The first late frame of each node, then every 100th.
                    let late = self.barrier.figures().get(node).map_or(0, |f| f.late);
                    if late == 1 || late.is_multiple_of(100) {
                        eprintln!("cluster: {e} ({late} late so far)");
                    }
                }
                Event::Refused { why, .. } => {
                    if self.told.insert(why.clone()) {
                        eprintln!("cluster: {e}");
                    }
                }
                // Every run of held frames, and its end, for the first 10 runs of a node, then
                // every 100th (a node failing every other frame must not flood the log).
                Event::Held { node, .. } => {
                    let runs = self.held_runs.entry(node.clone()).or_default();
                    *runs += 1;
                    if *runs <= 10 || runs.is_multiple_of(100) {
                        eprintln!(
                            "cluster: {e}{}",
                            if *runs == 10 {
                                " (further runs of held frames: every 100th said)"
                            } else {
                                ""
                            }
                        );
                    }
                }
                Event::Recovered { node, .. } => {
                    let runs = self.held_runs.get(node).copied().unwrap_or(0);
                    if runs <= 10 || runs.is_multiple_of(100) {
                        eprintln!("cluster: {e}");
                    }
                }
                _ => eprintln!("cluster: {e}"),
            }
        }
    }

    fn wait_for_nodes(&mut self) {
        let until = Instant::now() + self.config.join_timeout;
        loop {
            self.drain();
            let known: BTreeSet<&str> = self.barrier.known().collect();
            let missing: Vec<&String> = self
                .expected
                .iter()
                .filter(|n| !known.contains(n.as_str()))
                .collect();
            if missing.is_empty() {
                break;
            }
            if Instant::now() >= until {
                let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                eprintln!(
                    "cluster: starting without node(s) {} (not there after {:.1} s); they join when they come",
                    names.join(", "),
                    self.config.join_timeout.as_secs_f64()
                );
                break;
            }
            if let Ok(Some(s)) = self.nodes.recv_timeout(Duration::from_millis(20)) {
                self.node_sample(&s);
            }
        }
        self.report();
    }

    /// After the end of the run is sent: waits (at most `limit`) until every node process has
    /// withdrawn its presence (they stop on the end), so the session is not closed while the end
    /// still waits in the queue to a node that was slow (closing drops what is queued).
    fn wait_for_nodes_to_stop(&mut self, limit: Duration) {
        let until = Instant::now() + limit;
        let own = self.config.node.clone();
        let running = |m: &BTreeMap<String, BTreeSet<u64>>| {
            m.iter()
                .any(|(name, ids)| Some(name) != own.as_ref() && !ids.is_empty())
        };
        while running(&self.members) && Instant::now() < until {
            let Ok(Some(s)) = self.nodes.recv_timeout(Duration::from_millis(20)) else {
                continue;
            };
            if let (SampleKind::Delete, Some((name, id))) =
                (s.kind(), token_parts(s.key_expr().as_str()))
                && let Some(ids) = self.members.get_mut(name)
            {
                ids.remove(&id);
            }
        }
    }

    /// The figures, one line each: the ticks, tick-to-all-ready latency (or that no node
    /// reported), bytes per tick, per node the frames ready, late and refused and when it joined
    /// and dropped out, and the conflicts seen (a node name claimed twice, another primary).
    pub fn summary(&self) -> Vec<String> {
        let latency = if self.all_ready_ms.is_empty() {
            "tick to all ready: no nodes reported".to_string()
        } else {
            let p = |q| crate::live::stats::percentile(&self.all_ready_ms, q).unwrap_or(f64::NAN);
            format!(
                "tick to all ready p50 {:.2} ms, p99 {:.2} ms over {} frames",
                p(0.5),
                p(0.99),
                self.all_ready_ms.len()
            )
        };
        let own = if self.own_held > 0 {
            format!(
                "; this process's own outputs held their last good frame for {} frames",
                self.own_held
            )
        } else {
            String::new()
        };
        let mut lines = vec![format!(
            "cluster: {} frames ticked; {latency}; {} bytes per tick{own}",
            self.frames, self.tick_bytes
        )];
        for (name, f) in self.barrier.figures() {
            lines.push(format!(
                "cluster: node '{name}': {} ready, {} late, {} refused, {} held (its last good frame); joined at frame(s) {:?}; dropped out at frame(s) {:?}{}",
                f.ready,
                f.late,
                f.refused,
                f.held,
                f.joined,
                f.dropped,
                if f.stalled.is_empty() {
                    String::new()
                } else {
                    format!("; stalled (not waited for) at frame(s) {:?}", f.stalled)
                }
            ));
        }
        for name in &self.expected {
            if !self.barrier.figures().contains_key(name) {
                lines.push(format!(
                    "cluster: node '{name}': never joined (its outputs were not delivered)"
                ));
            }
        }
        for c in &self.conflicts {
            lines.push(format!("cluster: WARNING: {c}"));
        }
        lines
    }
}

impl FrameSync for Primary {
    fn figures(&self) -> serde_json::Value {
        let p = |q| crate::live::stats::percentile(&self.all_ready_ms, q);
        let never: Vec<&String> = self
            .expected
            .iter()
            .filter(|n| !self.barrier.figures().contains_key(*n))
            .collect();
        serde_json::json!({
            "role": "primary",
            "node": self.config.node,
            "cluster": self.config.name,
            "instance": format!("{:016x}", self.instance),
            "frames_ticked": self.frames,
            "tick_to_all_ready_ms": match (p(0.5), p(0.99)) {
                (Some(p50), Some(p99)) => serde_json::json!({
                    "p50": p50, "p99": p99, "frames": self.all_ready_ms.len()
                }),
                _ => serde_json::Value::Null,
            },
            "bytes_per_tick": self.tick_bytes,
            "own_held": self.own_held,
            "nodes": self.barrier.figures(),
            "never_joined": never,
            "conflicts": self.conflicts,
        })
    }

    fn frame(&mut self, stage: &Stage, own: FrameState) -> Option<FrameState> {
        if !self.started {
            self.started = true;
            self.wait_for_nodes();
        }
        let revision = self.revisions.now;
        self.next_frame = own.frame + 1;
        self.drain();
        // A reload loaded since the last tick is announced by this one, its switch frame
        // counted from this tick's frame (super::announce).
        if let Some(s) = self.announcements.announce(own.frame) {
            eprintln!(
                "cluster: reload announced at frame {}: revision {}; every node switches at frame {} ({} frames ahead)",
                own.frame,
                s.revision,
                s.frame,
                s.frame - own.frame
            );
        }
        let mut cameras = vec![CameraTick {
            name: own.camera.0.clone(),
            state: Some((&own.camera.1).into()),
        }];
        cameras.extend(own.others.iter().map(|(name, s)| CameraTick {
            name: name.clone(),
            state: s.as_ref().map(Into::into),
        }));
        let tick = Message::Tick(Tick {
            frame: own.frame,
            timecode: crate::live::timecode(own.frame, stage.frame_rate),
            render_time_s: own.render_time,
            cameras,
            revision,
            next: self.announcements.next(),
            seq: self.frames,
            primary: self.instance,
        })
        .encode();
        self.tick_bytes = tick.len();
        let now = Instant::now();
        if let Some(mut r) = self.barrier.open(own.frame, now) {
            r.primary = self.instance;
            let _ = self.release.put(Message::Release(r).encode()).wait();
        }
        if let Err(e) = self.tick.put(tick).wait() {
            log::error!(
                "cluster: frame {}: the tick was not sent: {}",
                own.frame,
                zenoh_reason(e)
            );
        }
        self.frames += 1;
        self.report();
        Some(own)
    }

    fn loaded(&mut self, stage: &Stage) {
        let revision = match self.revisions.of(stage) {
            Ok(r) => r,
            Err(e) => {
                eprintln!(
                    "cluster: the reload is not announced (the nodes keep the running stage): {e}"
                );
                return;
            }
        };
        let lead = lead_frames(self.config.reload_lead, stage.frame_rate);
        self.announcements.loaded(revision, lead);
    }

    fn switch_before(&mut self, next: u64) -> bool {
        match self.announcements.switch_before(next) {
            Some(s) => {
                self.revisions.now = s.revision;
                eprintln!(
                    "cluster: switched to revision {} at frame {next}",
                    s.revision
                );
                true
            }
            None => false,
        }
    }

    fn present(&mut self, frame: u64, held: Option<&str>) -> bool {
        if held.is_some() {
            self.own_held += 1;
        }
        // The nodes get the timeout beyond the primary's own render of the frame.
        self.barrier.wait_from(Instant::now());
        loop {
            self.drain();
            let now = Instant::now();
            if let Some(mut r) = self.barrier.poll(now) {
                r.primary = self.instance;
                if let Some(d) = self.barrier.all_ready() {
                    self.all_ready_ms.push(d.as_secs_f64() * 1000.0);
                }
                if let Err(e) = self.release.put(Message::Release(r).encode()).wait() {
                    log::error!(
                        "cluster: frame {frame}: the release was not sent: {}",
                        zenoh_reason(e)
                    );
                }
                self.report();
                return true;
            }
            let Some(deadline) = self.barrier.deadline() else {
                return true;
            };
            // Wake at least every 5 ms for liveliness changes (a node dropping out).
            let wake = deadline.min(now + Duration::from_millis(5));
            if let Ok(a) = self
                .ready
                .recv_timeout(wake.saturating_duration_since(Instant::now()))
            {
                self.ready_answer(a);
            }
        }
    }
}

impl Drop for Primary {
    fn drop(&mut self) {
        // The end must arrive (the nodes stop on it): blocking here stalls no frame.
        let _ = self
            .session
            .put(
                self.config.key("tick"),
                Message::End {
                    frames: self.frames,
                    primary: self.instance,
                    figures: self.barrier.figures().clone(),
                }
                .encode(),
            )
            .priority(Priority::RealTime)
            .congestion_control(CongestionControl::Block)
            .wait();
        self.wait_for_nodes_to_stop(Duration::from_secs(1));
        for line in self.summary() {
            println!("{line}");
        }
        let _ = self.session.close().wait();
    }
}
