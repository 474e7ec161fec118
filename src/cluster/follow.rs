//! Which primary a node follows, without the network. A node follows the first primary process
//! (instance) whose tick it receives, and only it: ticks, releases and the end of the run of any
//! other primary on the cluster (a second `--primary` started by mistake) are ignored, counted
//! and reported once per instance, so a misconfigured process can neither take the wall over nor
//! stop it. The node moves to another primary only when the one it follows is gone: its presence
//! (Zenoh liveliness token) was withdrawn, or it has sent no tick for the silence threshold
//! ([`super::silence::SILENCE`]): a restarted primary is followed within that time.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// What a node does with a tick of primary instance `primary` ([`Follow::tick`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The primary followed (or the first one heard): render it.
    Follow,
    /// The primary followed before (`from`) is gone: follow this one from this tick.
    Switch {
        /// The instance followed until now.
        from: u64,
    },
    /// Another primary's tick while the followed one is there: ignored. `first`: the first tick
    /// of this instance (to be reported).
    Ignore {
        /// The first tick ignored from this instance.
        first: bool,
    },
}

/// The primary a node follows.
#[derive(Clone, Debug)]
pub struct Follow {
    silence: Duration,
    followed: Option<u64>,
    /// The followed primary's last tick.
    last: Option<Instant>,
    /// Instances whose presence was withdrawn.
    left: BTreeSet<u64>,
    /// Instances whose ticks were ignored.
    others: BTreeSet<u64>,
    /// Ticks ignored (of other primaries).
    pub ignored: u64,
}

impl Follow {
    /// Following no primary yet; a followed primary silent for `silence` may be replaced.
    pub fn new(silence: Duration) -> Follow {
        Follow {
            silence,
            followed: None,
            last: None,
            left: BTreeSet::new(),
            others: BTreeSet::new(),
            ignored: 0,
        }
    }

    /// The instance followed, if any.
    pub fn followed(&self) -> Option<u64> {
        self.followed
    }

    /// The other primaries whose ticks were ignored, by instance.
    pub fn others(&self) -> impl Iterator<Item = u64> + '_ {
        self.others.iter().copied()
    }

    /// Whether a message (a release, the end of the run) of `primary` is the followed one's. Before
    /// any tick, every primary's is.
    pub fn accepts(&self, primary: u64) -> bool {
        self.followed.is_none_or(|f| f == primary)
    }

    /// The presence of `primary` was withdrawn (its process ended or its link is down).
    pub fn left(&mut self, primary: u64) {
        self.left.insert(primary);
    }

    /// A tick of `primary` arrived at `now`.
    pub fn tick(&mut self, primary: u64, now: Instant) -> Verdict {
        let Some(followed) = self.followed else {
            self.followed = Some(primary);
            self.last = Some(now);
            return Verdict::Follow;
        };
        if followed == primary {
            self.last = Some(now);
            return Verdict::Follow;
        }
        let silent = self
            .last
            .is_none_or(|t| now.saturating_duration_since(t) >= self.silence);
        if self.left.contains(&followed) || silent {
            self.followed = Some(primary);
            self.last = Some(now);
            self.others.remove(&primary);
            return Verdict::Switch { from: followed };
        }
        self.ignored += 1;
        Verdict::Ignore {
            first: self.others.insert(primary),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_sticks_to_its_primary_until_it_is_gone() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut f = Follow::new(Duration::from_secs(2));
        assert!(f.accepts(7), "before any tick, any primary's end counts");
        assert_eq!(f.tick(1, ms(0)), Verdict::Follow);
        assert_eq!(f.tick(1, ms(16)), Verdict::Follow);
        // A second primary ticks while the first one does: ignored, said once.
        assert_eq!(f.tick(2, ms(20)), Verdict::Ignore { first: true });
        assert_eq!(f.tick(1, ms(33)), Verdict::Follow);
        assert_eq!(f.tick(2, ms(36)), Verdict::Ignore { first: false });
        assert!(
            f.accepts(1) && !f.accepts(2),
            "its releases and end are not"
        );
        assert_eq!((f.ignored, f.others().collect::<Vec<_>>()), (2, vec![2]));
        // The first one is silent for less than the threshold: still followed.
        assert_eq!(f.tick(2, ms(2032)), Verdict::Ignore { first: false });
        // ... and for the threshold: the other one is followed.
        assert_eq!(f.tick(2, ms(2033)), Verdict::Switch { from: 1 });
        assert_eq!(f.followed(), Some(2));
        assert_eq!(f.tick(1, ms(2040)), Verdict::Ignore { first: true });
        // 2 withdraws its presence (killed) and 3 (its restart) ticks at once: followed.
        f.left(2);
        assert_eq!(f.tick(3, ms(2050)), Verdict::Switch { from: 2 });
        assert_eq!(f.tick(3, ms(2066)), Verdict::Follow);
    }
}
