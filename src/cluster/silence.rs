//! A node's watch on the primary's ticks, without the network: when no tick has arrived for
//! [`SILENCE`] (no primary reachable, or the primary stopped or lost its link mid-run) the node
//! says so once, keeps waiting, and says so again when ticks return; the spells are counted for
//! its summary.

use std::time::{Duration, Instant};

/// How long a node waits for a tick before it says the primary is silent. Long enough not to
/// fire on a primary building a reloaded stage (a few frames), short enough for an operator.
pub const SILENCE: Duration = Duration::from_secs(2);

/// The ticks' silences as one node saw them.
#[derive(Clone, Debug)]
pub struct Silence {
    threshold: Duration,
    /// The last tick's arrival, or the node's start.
    since: Instant,
    /// A tick has arrived.
    ticked: bool,
    /// The silence going on has been reported.
    reported: bool,
    /// Silences reported (over the threshold).
    pub spells: u64,
    /// The longest silence reported, ended or not.
    pub longest: Duration,
}

impl Silence {
    /// Watching from `now` (the node's start) with `threshold` ([`SILENCE`]).
    pub fn new(threshold: Duration, now: Instant) -> Silence {
        Silence {
            threshold,
            since: now,
            ticked: false,
            reported: false,
            spells: 0,
            longest: Duration::ZERO,
        }
    }

    /// Whether a tick has arrived yet.
    pub fn ticked(&self) -> bool {
        self.ticked
    }

    /// The node is waiting for a tick at `now`: the silence so far, the first time it passes the
    /// threshold (to be reported), else `None`.
    pub fn waiting(&mut self, now: Instant) -> Option<Duration> {
        let quiet = now.saturating_duration_since(self.since);
        if self.reported || quiet < self.threshold {
            return None;
        }
        self.reported = true;
        self.spells += 1;
        self.longest = self.longest.max(quiet);
        Some(quiet)
    }

    /// A tick arrived at `now`: how long the reported silence it ends lasted, else `None`.
    pub fn tick(&mut self, now: Instant) -> Option<Duration> {
        let quiet = now.saturating_duration_since(self.since);
        self.since = now;
        self.ticked = true;
        if !std::mem::take(&mut self.reported) {
            return None;
        }
        self.longest = self.longest.max(quiet);
        Some(quiet)
    }

    /// The silence going on at `now` if it was reported (the run ends while waiting).
    pub fn ongoing(&self, now: Instant) -> Option<Duration> {
        self.reported
            .then(|| now.saturating_duration_since(self.since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silence_is_reported_once_and_again_when_ticks_return() {
        let t0 = Instant::now();
        let s = |ms| t0 + Duration::from_millis(ms);
        let mut w = Silence::new(Duration::from_secs(2), t0);
        assert_eq!(w.waiting(s(1999)), None);
        assert_eq!(w.waiting(s(2000)), Some(Duration::from_secs(2)));
        assert_eq!(w.waiting(s(3000)), None, "reported once");
        assert_eq!(w.ongoing(s(3000)), Some(Duration::from_secs(3)));
        assert!(!w.ticked());
        assert_eq!(w.tick(s(4500)), Some(Duration::from_millis(4500)));
        assert!(w.ticked());
        assert_eq!(w.ongoing(s(4500)), None);
        // Ticks every 17 ms: nothing to say.
        for i in 1..200 {
            assert_eq!(w.waiting(s(4500 + 17 * i)), None);
            assert_eq!(w.tick(s(4500 + 17 * i)), None);
        }
        // The primary dies: a second spell.
        let last = 4500 + 17 * 199;
        assert_eq!(w.waiting(s(last + 2500)), Some(Duration::from_millis(2500)));
        assert_eq!((w.spells, w.longest), (2, Duration::from_millis(4500)));
        assert_eq!(w.ongoing(s(last + 6000)), Some(Duration::from_secs(6)));
    }
}
