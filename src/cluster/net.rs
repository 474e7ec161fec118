//! The cluster on Zenoh: the primary ([`Primary`]) and the nodes ([`Node`]), each a
//! [`FrameSync`] for the live loop. Key expressions under `parallax/CLUSTER/`: `tick` (ticks and
//! the end of the run, from the primary), `ready` (the nodes' answers), `release` (the primary's
//! releases) and the liveliness tokens `node/NAME` (one per node: Zenoh removes it when the node's
//! process or link goes away, which is how the primary sees a node drop out).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use zenoh::Wait;
use zenoh::handlers::FifoChannelHandler;
use zenoh::pubsub::{Publisher, Subscriber};
use zenoh::qos::{CongestionControl, Priority};
use zenoh::sample::{Sample, SampleKind};

use super::barrier::{Barrier, Event};
use super::config::{ClusterConfig, ClusterError};
use super::revision::{self, Revision};
use super::tick::{CameraTick, Message, Ready, Release, Switch, Tick};
use super::{FrameState, FrameSync};
use crate::stage::Stage;
use crate::tracking::TrackedState;

type Sub = Subscriber<FifoChannelHandler<Sample>>;

fn zerr(e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Zenoh(e.to_string())
}

fn decode(sample: &Sample) -> Option<Message> {
    match Message::decode(&sample.payload().to_bytes()) {
        Ok(m) => Some(m),
        Err(e) => {
            log::warn!("{}: {e}", sample.key_expr());
            None
        }
    }
}

/// The running stage's revision, and how to compute a reloaded one's.
struct Revisions {
    path: PathBuf,
    now: Revision,
}

impl Revisions {
    fn new(path: &Path, stage: &Stage) -> Result<Revisions, ClusterError> {
        Ok(Revisions {
            path: path.to_path_buf(),
            now: revision::of_files(path, &crate::live::reload::dependencies(stage))?,
        })
    }

    /// The revision of a reloaded `stage`, from the files as they are now.
    fn of(&self, stage: &Stage) -> Result<Revision, ClusterError> {
        Ok(revision::of_files(
            &self.path,
            &crate::live::reload::dependencies(stage),
        )?)
    }
}

/// The frames from a reload's announcement to its switch: `lead` at `frame_rate` Hz, rounded
/// up, at least 1 (a non-finite or non-positive rate counts as 60 Hz).
pub fn lead_frames(lead: Duration, frame_rate: f64) -> u64 {
    let rate = if frame_rate.is_finite() && frame_rate > 0.0 {
        frame_rate
    } else {
        60.0
    };
    ((lead.as_secs_f64() * rate).ceil() as u64).max(1)
}

/// The primary's publishers: real-time priority (ahead of any other traffic on the session) and
/// express (sent at once, never batched with later messages). Congestion control stays Zenoh's
/// `Drop` (docs/nodes.md): a node whose link is congested loses a message rather than stalling
/// the primary, and with it the whole wall.
fn publisher(session: &zenoh::Session, key: String) -> Result<Publisher<'static>, ClusterError> {
    session
        .declare_publisher(key)
        .priority(Priority::RealTime)
        .express(true)
        .congestion_control(CongestionControl::Drop)
        .wait()
        .map_err(zerr)
}

/// The nodes a stage's outputs name, sorted, without duplicates.
pub fn nodes_of(stage: &Stage) -> Vec<String> {
    let set: BTreeSet<String> = stage
        .outputs
        .iter()
        .filter_map(|o| o.node.clone())
        .collect();
    set.into_iter().collect()
}

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
    barrier: Barrier,
    expected: Vec<String>,
    revisions: Revisions,
    started: bool,
    frames: u64,
    /// Tick-to-all-ready times of the frames every node answered in time, milliseconds.
    all_ready_ms: Vec<f64>,
    tick_bytes: usize,
    told: BTreeSet<String>,
    /// The frame the next tick is for.
    next_frame: u64,
    /// The reload announced, not yet switched to.
    switch: Option<Switch>,
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
        let revisions = Revisions::new(stage_path, stage)?;
        let session = zenoh::open(config.zenoh()?).wait().map_err(zerr)?;
        let tick = publisher(&session, config.key("tick"))?;
        let release = publisher(&session, config.key("release"))?;
        let (tx, ready) = std::sync::mpsc::channel();
        let ready_sub = session
            .declare_subscriber(config.key("ready"))
            .callback(move |s: Sample| {
                let _ = tx.send((Instant::now(), s.payload().to_bytes().into_owned()));
            })
            .wait()
            .map_err(zerr)?;
        let nodes = session
            .liveliness()
            .declare_subscriber(config.key("node/*"))
            .history(true)
            .wait()
            .map_err(zerr)?;
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
            expected,
            revisions,
            started: false,
            frames: 0,
            all_ready_ms: Vec::new(),
            tick_bytes: 0,
            told: BTreeSet::new(),
            next_frame: 0,
            switch: None,
        })
    }

    fn node_sample(&mut self, s: &Sample) {
        let key = s.key_expr().as_str();
        let name = key.rsplit('/').next().unwrap_or(key);
        if Some(name) == self.config.node.as_deref() {
            return;
        }
        match s.kind() {
            SampleKind::Put => {
                self.barrier.join(name);
            }
            SampleKind::Delete => self.barrier.drop_out(name),
        }
    }

    fn ready_answer(&mut self, (at, bytes): (Instant, Vec<u8>)) {
        match Message::decode(&bytes) {
            Ok(Message::Ready(r)) => self.barrier.ready(&r, at),
            Ok(_) => {}
            Err(e) => log::warn!("{}: {e}", self.config.key("ready")),
        }
    }

    fn drain(&mut self) {
        while let Ok(Some(s)) = self.nodes.try_recv() {
            self.node_sample(&s);
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

    /// The figures, one line each: the ticks, tick-to-all-ready latency, bytes per tick, and
    /// per node the frames ready, late and refused and when it joined and dropped out.
    pub fn summary(&self) -> Vec<String> {
        let p = |q| crate::live::stats::percentile(&self.all_ready_ms, q).unwrap_or(f64::NAN);
        let mut lines = vec![format!(
            "cluster: {} frames ticked; tick to all ready p50 {:.2} ms, p99 {:.2} ms over {} frames; {} bytes per tick",
            self.frames,
            p(0.5),
            p(0.99),
            self.all_ready_ms.len(),
            self.tick_bytes
        )];
        for (name, f) in self.barrier.figures() {
            lines.push(format!(
                "cluster: node '{name}': {} ready, {} late, {} refused; joined at frame(s) {:?}; dropped out at frame(s) {:?}",
                f.ready, f.late, f.refused, f.joined, f.dropped
            ));
        }
        lines
    }
}

impl FrameSync for Primary {
    fn frame(&mut self, stage: &Stage, own: FrameState) -> Option<FrameState> {
        if !self.started {
            self.started = true;
            self.wait_for_nodes();
        }
        let revision = self.revisions.now;
        self.next_frame = own.frame + 1;
        self.drain();
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
            next: self.switch,
        })
        .encode();
        self.tick_bytes = tick.len();
        let now = Instant::now();
        if let Some(r) = self.barrier.open(own.frame, now) {
            let _ = self.release.put(Message::Release(r).encode()).wait();
        }
        if let Err(e) = self.tick.put(tick).wait() {
            log::error!("cluster: frame {}: the tick was not sent: {e}", own.frame);
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
        let s = Switch {
            revision,
            frame: self.next_frame + lead,
        };
        eprintln!(
            "cluster: reload announced: revision {revision}; every node switches at frame {} ({lead} frames ahead)",
            s.frame
        );
        self.switch = Some(s);
    }

    fn switch_before(&mut self, next: u64) -> bool {
        match self.switch {
            Some(s) if next >= s.frame => {
                self.switch = None;
                self.revisions.now = s.revision;
                eprintln!(
                    "cluster: switched to revision {} at frame {next}",
                    s.revision
                );
                true
            }
            _ => false,
        }
    }

    fn present(&mut self, frame: u64) -> bool {
        // The nodes get the timeout beyond the primary's own render of the frame.
        self.barrier.wait_from(Instant::now());
        loop {
            self.drain();
            let now = Instant::now();
            if let Some(r) = self.barrier.poll(now) {
                if let Some(d) = self.barrier.all_ready() {
                    self.all_ready_ms.push(d.as_secs_f64() * 1000.0);
                }
                if let Err(e) = self.release.put(Message::Release(r).encode()).wait() {
                    log::error!("cluster: frame {frame}: the release was not sent: {e}");
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
                }
                .encode(),
            )
            .priority(Priority::RealTime)
            .congestion_control(CongestionControl::Block)
            .wait();
        for line in self.summary() {
            println!("{line}");
        }
        let _ = self.session.close().wait();
    }
}

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

    #[test]
    fn the_reload_lead_is_whole_frames_rounded_up_and_at_least_one() {
        assert_eq!(lead_frames(Duration::from_millis(1000), 60.0), 60);
        assert_eq!(lead_frames(Duration::from_millis(1001), 60.0), 61);
        assert_eq!(lead_frames(Duration::from_millis(500), 23.976), 12);
        assert_eq!(lead_frames(Duration::ZERO, 60.0), 1);
        assert_eq!(lead_frames(Duration::from_millis(100), f64::NAN), 6);
        assert_eq!(lead_frames(Duration::from_millis(100), 0.0), 6);
    }
}
