//! The cluster on Zenoh: the primary ([`Primary`]) and the nodes ([`super::Node`]), each a
//! [`FrameSync`] for the live loop. Key expressions under `parallax/CLUSTER/`: `tick` (ticks and
//! the end of the run, from the primary), `ready` (the nodes' answers), `release` (the primary's
//! releases) and the liveliness tokens `node/NAME` (one per node: Zenoh removes it when the node's
//! process or link goes away, which is how the primary sees a node drop out).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use zenoh::Wait;
use zenoh::handlers::FifoChannelHandler;
use zenoh::pubsub::{Publisher, Subscriber};
use zenoh::qos::{CongestionControl, Priority};
use zenoh::sample::{Sample, SampleKind};

use super::barrier::{Barrier, Event};
use super::config::{ClusterConfig, ClusterError};
use super::revision::{self, Revision};
use super::tick::{CameraTick, Message, Switch, Tick};
use super::{FrameState, FrameSync};
use crate::stage::Stage;

pub(super) type Sub = Subscriber<FifoChannelHandler<Sample>>;

pub(super) fn zerr(e: impl std::fmt::Display) -> ClusterError {
    ClusterError::Zenoh(e.to_string())
}

pub(super) fn decode(sample: &Sample) -> Option<Message> {
    match Message::decode(&sample.payload().to_bytes()) {
        Ok(m) => Some(m),
        Err(e) => {
            log::warn!("{}: {e}", sample.key_expr());
            None
        }
    }
}

/// The running stage's revision, and how to compute a reloaded one's.
pub(super) struct Revisions {
    path: PathBuf,
    pub(super) now: Revision,
}

impl Revisions {
    pub(super) fn new(path: &Path, stage: &Stage) -> Result<Revisions, ClusterError> {
        Ok(Revisions {
            path: path.to_path_buf(),
            now: revision::of_files(path, &crate::live::reload::dependencies(stage))?,
        })
    }

    /// The revision of a reloaded `stage`, from the files as they are now.
    pub(super) fn of(&self, stage: &Stage) -> Result<Revision, ClusterError> {
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
pub(super) fn publisher(
    session: &zenoh::Session,
    key: String,
) -> Result<Publisher<'static>, ClusterError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
