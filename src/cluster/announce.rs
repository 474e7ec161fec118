//! The primary's hot-reload announcements, without the network: a reload loaded by the primary
//! is **announced in the next tick built**, with the switch frame counted from that tick's frame
//! (`frame + lead`), never from the frame the primary expected to tick next. Under load the
//! primary's loop drops slots (and building the reload's renderer takes frames of its own), so
//! the next tick can be many frames after the last one: a switch frame counted from the last
//! tick could be passed before any tick carried the announcement, and the frame printed would
//! not be the one switched at. Counted from the announcing tick, every tick from the announcing
//! one to the switch frame's carries it (at least one, since `lead >= 1`).

use super::revision::Revision;
use super::tick::Switch;

/// The reload loaded but not yet announced, and the one announced but not yet switched to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Announcements {
    /// Loaded by the primary; announced by the next tick built: (revision, lead in frames).
    pending: Option<(Revision, u64)>,
    /// Announced in the ticks, not yet switched to.
    switch: Option<Switch>,
}

impl Announcements {
    /// A reload of revision `revision` is loaded, to be switched to `lead` frames (at least 1)
    /// after the tick that announces it. It replaces a reload loaded or announced before (the
    /// loop holds only the newest), which is therefore never switched to.
    pub fn loaded(&mut self, revision: Revision, lead: u64) {
        self.pending = Some((revision, lead.max(1)));
        self.switch = None;
    }

    /// The tick of frame `frame` is being built: announces the loaded reload (returned, to be
    /// reported) with switch frame `frame + lead`.
    pub fn announce(&mut self, frame: u64) -> Option<Switch> {
        let (revision, lead) = self.pending.take()?;
        let s = Switch {
            revision,
            frame: frame + lead,
        };
        self.switch = Some(s);
        Some(s)
    }

    /// The announcement the tick being built carries (repeated in every tick until the switch).
    pub fn next(&self) -> Option<Switch> {
        self.switch
    }

    /// Before the primary's frame `next`: the announced reload if it is switched to now (`next`
    /// is its switch frame, or later when the primary dropped that slot).
    pub fn switch_before(&mut self, next: u64) -> Option<Switch> {
        match self.switch {
            Some(s) if next >= s.frame => self.switch.take(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(n: u64) -> Revision {
        Revision {
            stage: n,
            content: n,
        }
    }

    /// The tryout's case: the reload is loaded after the tick of frame 10, the primary's next
    /// tick is frame 30 (slots dropped under load), with a lead of 5 frames. Counted from frame
    /// 11 the switch (16) would come before any tick carried it; counted from the announcing
    /// tick it is 35, and ticks 30 to 34 carry it.
    #[test]
    fn the_switch_frame_counts_from_the_announcing_tick() {
        let mut a = Announcements::default();
        a.loaded(rev(2), 5);
        assert_eq!(
            a.switch_before(30),
            None,
            "switched before any tick carried it"
        );
        assert_eq!(a.next(), None);
        let s = a.announce(30).unwrap();
        assert_eq!(s.frame, 35);
        assert_eq!(s.revision, rev(2));
        assert_eq!(a.announce(31), None, "announced once");
        for f in 31..35 {
            assert_eq!(a.switch_before(f), None);
            assert_eq!(a.next(), Some(s), "tick {f} carries it");
        }
        // Slot 35 dropped: the switch happens at the first frame after.
        assert_eq!(a.switch_before(37), Some(s));
        assert_eq!(a.next(), None);
        assert_eq!(a.switch_before(38), None);
    }

    #[test]
    fn a_newer_reload_replaces_an_announced_one_and_the_lead_is_at_least_one() {
        let mut a = Announcements::default();
        a.loaded(rev(2), 60);
        a.announce(0);
        a.loaded(rev(3), 0);
        // The old announcement is gone at once: its switch frame never switches to the newer
        // stage the loop now holds.
        assert_eq!(a.next(), None);
        assert_eq!(a.switch_before(60), None);
        let s = a.announce(70).unwrap();
        assert_eq!((s.revision, s.frame), (rev(3), 71));
        assert_eq!(a.switch_before(71), Some(s));
    }
}
