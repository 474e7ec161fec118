//! The cluster on Zenoh, what the primary ([`super::Primary`]) and the nodes ([`super::Node`])
//! share; each is a [`super::FrameSync`] for the live loop. Key expressions under `parallax/CLUSTER/`: `tick` (ticks and
//! the end of the run, from the primary), `ready` (the nodes' answers), `release` (the primary's
//! releases) and the liveliness tokens `node/NAME/INSTANCE` (one per node process: Zenoh removes
//! it when the process or its link goes away, which is how the primary sees a node drop out; two
//! tokens for one name are two processes claiming it) and `primary/INSTANCE` (two of them: two
//! primaries). INSTANCE is the process's random id, 16 hex digits ([`instance`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use zenoh::Wait;
use zenoh::handlers::FifoChannelHandler;
use zenoh::pubsub::{Publisher, Subscriber};
use zenoh::qos::{CongestionControl, Priority};
use zenoh::sample::Sample;

use super::config::{ClusterError, zenoh_reason};
use super::revision::{self, Revision};
use super::tick::Message;
use crate::stage::Stage;

pub(super) type Sub = Subscriber<FifoChannelHandler<Sample>>;

/// A Zenoh error while `what` (in words), as a [`ClusterError::Zenoh`] without Zenoh's source
/// locations.
pub(super) fn zerr<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> ClusterError + '_ {
    move |e| ClusterError::Zenoh {
        what: what.to_string(),
        reason: zenoh_reason(e),
    }
}

/// This process's random instance id: it tells apart two processes that claim one node name, or
/// two primaries, on a cluster ([`super::tick::Tick::primary`], the liveliness tokens).
pub(super) fn instance() -> u64 {
    getrandom::u64().unwrap_or_else(|_| {
        // No OS randomness: the process id and the time, which still differ between processes.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        t ^ (u64::from(std::process::id()) << 32)
    })
}

/// A liveliness token's last two chunks: `.../node/NAME/INSTANCE` (or `.../primary/INSTANCE`,
/// with the name empty). The instance is the hex id ([`instance`]); `None` if it is not one.
pub(super) fn token_parts(key: &str) -> Option<(&str, u64)> {
    let mut chunks = key.rsplit('/');
    let hex = chunks.next()?;
    if hex.len() != 16 {
        return None;
    }
    let id = u64::from_str_radix(hex, 16).ok()?;
    Some((chunks.next()?, id))
}

/// A primary's liveliness token `parallax/CLUSTER/primary/INSTANCE`: the cluster's name and the
/// instance; `None` for any other key.
pub(super) fn primary_token(key: &str) -> Option<(&str, u64)> {
    let mut chunks = key.split('/');
    let (Some("parallax"), Some(cluster), Some("primary"), Some(hex), None) = (
        chunks.next(),
        chunks.next(),
        chunks.next(),
        chunks.next(),
        chunks.next(),
    ) else {
        return None;
    };
    let id = (hex.len() == 16).then(|| u64::from_str_radix(hex, 16).ok())??;
    Some((cluster, id))
}

/// Subscribes to the liveliness tokens under `key` (those already declared first), for `what`
/// (in words, for the error).
pub(super) fn presence(
    session: &zenoh::Session,
    key: String,
    what: &str,
) -> Result<Sub, ClusterError> {
    session
        .liveliness()
        .declare_subscriber(key)
        .history(true)
        .wait()
        .map_err(zerr(what))
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
    /// The run's `--environment` override (read instead of the stage's environment).
    environment: Option<PathBuf>,
    pub(super) now: Revision,
}

impl Revisions {
    pub(super) fn new(
        path: &Path,
        stage: &Stage,
        environment: Option<&Path>,
    ) -> Result<Revisions, ClusterError> {
        let mut r = Revisions {
            path: path.to_path_buf(),
            environment: environment.map(Path::to_path_buf),
            now: Revision::default(),
        };
        r.now = r.of(stage)?;
        Ok(r)
    }

    /// The revision of `stage` (a reloaded one, or the running one), from the files as they
    /// are now: the stage file, and the files it names with the run's environment override.
    pub(super) fn of(&self, stage: &Stage) -> Result<Revision, ClusterError> {
        Ok(revision::of_files(
            &self.path,
            &crate::live::reload::dependencies_with(stage, self.environment.as_deref()),
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
        .map_err(zerr("declaring a publisher"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_the_node_and_the_instance() {
        assert_eq!(
            token_parts("parallax/default/node/b/00000000000000ff"),
            Some(("b", 255))
        );
        assert_eq!(
            token_parts("parallax/x/primary/ffffffffffffffff"),
            Some(("primary", u64::MAX))
        );
        assert_eq!(token_parts("parallax/x/node/b"), None, "no instance");
        assert_eq!(
            primary_token("parallax/other/primary/00000000000000ff"),
            Some(("other", 255))
        );
        assert_eq!(primary_token("parallax/x/node/b/00000000000000ff"), None);
        assert_eq!(primary_token("parallax/x/primary/ff"), None);
        assert_ne!(instance(), instance());
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
