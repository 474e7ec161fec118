//! Sample times: the sender's clock mapped to the local (render) clock.
//!
//! A packet's arrival time carries the network's and the scheduler's jitter (a 1 ms jitter during a
//! 60 deg/s pan is 0.06 deg, about two LEDs at 2.84 mm pitch seen from a few metres). The sender's
//! own time stamp does not. It is mapped to the local clock by an offset fitted as the running
//! minimum of `arrival - sender` over a window ([`OffsetFit`]): the least-delayed packet in the
//! window sets the offset, so every sample is placed as if it had come with the network's smallest
//! delay. The window (seconds) bounds how far a drift between the two clocks can pull the fit:
//! a drift of `d` (s/s) leaves at most `d * window` of error (50 ppm over 2 s: 0.1 ms).
//!
//! - OpenTrackIO sends `timing.sampleTimestamp` (PTP seconds and nanoseconds): its time since the
//!   first stamp seen is the sender reading.
//! - FreeD sends no stamp: sample `n` is placed at `t0 + n / rate` on the tracker's nominal cadence
//!   (a configured tracker rate, or the stage frame rate). `n` is the nearest whole period to the
//!   arrival time after the fitted anchor `t0`, so gaps (lost packets) are allowed, and a packet
//!   held back less than half a period lands on its own slot. Two packets that round to one slot
//!   keep the later (the buffer replaces a sample at an equal time).
//!
//! - An OpenTrackIO sample without a stamp but with `timing.sampleRate` is placed on that cadence
//!   the same way.
//!
//! A sender clock that jumps back by more than [`RESET_S`] (a restarted tracker) restarts the fit.
//!
//! A nominal cadence that is wrong (a FreeD tracker at 59.94 Hz with `tracker_rate_hz` left at the
//! stage's 50) puts samples on the wrong slots. [`Cadence`] measures the real rate as the median
//! interval between arrivals (robust to lost packets and jitter) so that the mismatch is reported.

use std::collections::VecDeque;

use super::sample::SenderTime;

/// A sample seeming this much later than the fitted offset allows restarts the fit (seconds).
pub const RESET_S: f64 = 1.0;

/// Default window of the offset fit, seconds.
pub const DEFAULT_WINDOW_S: f64 = 2.0;

/// Running minimum of `arrival - sender` over a time window (monotonic deque: O(1) amortised per
/// sample).
#[derive(Clone, Debug)]
pub struct OffsetFit {
    window_s: f64,
    // (arrival, arrival - sender), diffs increasing from front to back.
    mins: VecDeque<(f64, f64)>,
}

impl OffsetFit {
    /// A fit over the last `window_s` seconds of arrivals (at least 1 ms).
    pub fn new(window_s: f64) -> OffsetFit {
        OffsetFit {
            window_s: if window_s.is_finite() {
                window_s.max(1e-3)
            } else {
                DEFAULT_WINDOW_S
            },
            mins: VecDeque::new(),
        }
    }

    /// Drops entries that arrived before `arrival - window`.
    fn prune(&mut self, arrival: f64) {
        while self
            .mins
            .front()
            .is_some_and(|(a, _)| *a < arrival - self.window_s)
        {
            self.mins.pop_front();
        }
    }

    /// The fitted offset (local = sender + offset) for an arrival at `arrival`, before observing
    /// it; `None` when no sample is in the window.
    pub fn offset_at(&mut self, arrival: f64) -> Option<f64> {
        self.prune(arrival);
        self.mins.front().map(|(_, d)| *d)
    }

    /// Observes a sample (arrival and sender readings, seconds) and returns its local time:
    /// `sender + offset`, the offset being the window's least `arrival - sender` including this
    /// sample. Non-finite readings return `arrival` and are not observed.
    pub fn observe(&mut self, arrival: f64, sender: f64) -> f64 {
        let diff = arrival - sender;
        if !diff.is_finite() {
            return arrival;
        }
        if self.offset_at(arrival).is_some_and(|o| diff - o > RESET_S) {
            self.mins.clear();
        }
        while self.mins.back().is_some_and(|(_, d)| *d >= diff) {
            self.mins.pop_back();
        }
        self.mins.push_back((arrival, diff));
        sender + self.mins.front().map_or(diff, |(_, d)| *d)
    }

    /// Forgets every sample.
    pub fn clear(&mut self) {
        self.mins.clear();
    }
}

/// Intervals between arrivals kept by [`Cadence`].
pub const CADENCE_INTERVALS: usize = 63;

/// Relative difference between the measured and the nominal rate above which the nominal rate is
/// reported as wrong (3 %: 50 vs 59.94 Hz is 17 % off and 25 vs 23.976 Hz 4.3 %; 60 vs 59.94 Hz,
/// 0.1 %, is within it).
pub const CADENCE_TOLERANCE: f64 = 0.03;

/// The measured arrival rate of a feed: the median of the last [`CADENCE_INTERVALS`] intervals
/// between arrivals. A lost packet makes one interval twice as long and a late one a short and a
/// long one, so the median holds while fewer than half the intervals are disturbed.
#[derive(Clone, Debug, Default)]
pub struct Cadence {
    last: Option<f64>,
    intervals: VecDeque<f64>,
}

impl Cadence {
    /// Observes an arrival (seconds). Non-finite or not-later arrivals are ignored.
    pub fn observe(&mut self, arrival: f64) {
        if !arrival.is_finite() {
            return;
        }
        if let Some(l) = self.last {
            let d = arrival - l;
            if d.is_nan() || d <= 0.0 {
                return;
            }
            // A gap of a second or more is a dropout, not a cadence.
            if d < 1.0 {
                if self.intervals.len() == CADENCE_INTERVALS {
                    self.intervals.pop_front();
                }
                self.intervals.push_back(d);
            }
        }
        self.last = Some(arrival);
    }

    /// The measured rate (Hz), once at least 15 intervals are known.
    pub fn rate_hz(&self) -> Option<f64> {
        if self.intervals.len() < 15 {
            return None;
        }
        let mut v: Vec<f64> = self.intervals.iter().copied().collect();
        v.sort_by(f64::total_cmp);
        let median = v[v.len() / 2];
        Some(1.0 / median)
    }

    /// The measured rate when it differs from `nominal_hz` by more than [`CADENCE_TOLERANCE`].
    pub fn mismatch(&self, nominal_hz: f64) -> Option<f64> {
        self.rate_hz()
            .filter(|m| (m / nominal_hz - 1.0).abs() > CADENCE_TOLERANCE)
    }
}

/// Maps each sample's sender time (or a FreeD sample's slot on the nominal cadence) to the local
/// clock. See the module documentation.
#[derive(Clone, Debug)]
pub struct SenderClock {
    fit: OffsetFit,
    rate_hz: f64,
    origin: Option<SenderTime>,
    resets: u64,
}

impl SenderClock {
    /// A clock fitted over `window_s` seconds; `rate_hz` is the nominal cadence used for samples
    /// without a stamp (ignored when not a positive number: such samples keep their arrival time).
    pub fn new(rate_hz: f64, window_s: f64) -> SenderClock {
        SenderClock {
            fit: OffsetFit::new(window_s),
            rate_hz,
            origin: None,
            resets: 0,
        }
    }

    /// Times a sender stamp far from the fit (more than [`RESET_S`] either way: a restarted
    /// sender, a clock step) restarted the fit.
    pub fn resets(&self) -> u64 {
        self.resets
    }

    /// The local time of a sample that arrived at `arrival` (seconds, local clock), with its
    /// sender stamp if any.
    pub fn local_time(&mut self, arrival: f64, stamp: Option<SenderTime>) -> f64 {
        let rate = self.rate_hz;
        self.local_time_at(arrival, stamp, rate)
    }

    /// [`SenderClock::local_time`] with `rate_hz` as the cadence of a sample without a stamp (the
    /// sample's own stated rate, e.g. OpenTrackIO's `sampleRate`).
    pub fn local_time_at(&mut self, arrival: f64, stamp: Option<SenderTime>, rate_hz: f64) -> f64 {
        if !arrival.is_finite() {
            return arrival;
        }
        match stamp {
            Some(st) => {
                let origin = *self.origin.get_or_insert(st);
                let mut sender = st.seconds_since(origin);
                // A stamp far from the current fit (a restarted sender, or a clock step):
                // re-origin on it, so the offset stays small and exact.
                if self
                    .fit
                    .offset_at(arrival)
                    .is_some_and(|o| (arrival - sender - o).abs() > RESET_S)
                {
                    self.fit.clear();
                    self.origin = Some(st);
                    self.resets += 1;
                    sender = 0.0;
                }
                self.fit.observe(arrival, sender)
            }
            None if rate_hz.is_finite() && rate_hz > 0.0 => {
                let period = 1.0 / rate_hz;
                // Slot 0 at the first arrival (or after the window emptied); then the nearest
                // slot after the fitted anchor.
                let n = self
                    .fit
                    .offset_at(arrival)
                    .map_or(0.0, |t0| ((arrival - t0) / period).round());
                self.fit.observe(arrival, n * period)
            }
            None => arrival,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_is_the_least_delay_in_the_window() {
        let mut f = OffsetFit::new(1.0);
        // Sender at 0, 0.1, 0.2; delays 5, 2, 7 ms.
        assert!((f.observe(10.005, 0.0) - 10.005).abs() < 1e-12);
        assert!((f.observe(10.102, 0.1) - 10.102).abs() < 1e-12);
        // The third is placed with the least delay (2 ms), not its own 7 ms.
        assert!((f.observe(10.207, 0.2) - 10.202).abs() < 1e-12);
        // Two seconds later the 2 ms entry has left the window: 4 ms is the least.
        assert!((f.observe(12.304, 2.3) - 12.304).abs() < 1e-12);
    }

    #[test]
    fn freed_cadence_places_samples_on_the_grid_and_allows_gaps() {
        let mut c = SenderClock::new(100.0, 2.0);
        // 100 Hz, arrivals late by 0..3 ms; slot 3 lost.
        let late = [0.0, 0.003, 0.001, 0.0, 0.002, 0.0025];
        let mut got = Vec::new();
        for (n, d) in [0, 1, 2, 4, 5, 6].into_iter().zip(late) {
            got.push(c.local_time(5.0 + n as f64 * 0.01 + d, None));
        }
        for (t, n) in got.iter().zip([0, 1, 2, 4, 5, 6]) {
            assert!((t - (5.0 + n as f64 * 0.01)).abs() < 1e-9, "{t} slot {n}");
        }
    }

    #[test]
    fn cadence_is_the_median_interval_despite_loss_and_jitter() {
        // 59.94 Hz with 0..1 ms jitter and every 7th packet lost.
        let period = 1001.0 / 60000.0;
        let mut c = Cadence::default();
        assert_eq!(c.rate_hz(), None);
        for n in 0..200 {
            if n % 7 == 3 {
                continue;
            }
            // Pseudo-random 0..1 ms (Knuth's multiplicative hash).
            let jitter = ((n as u64 * 2_654_435_761) % 1000) as f64 * 1e-6;
            c.observe(10.0 + n as f64 * period + jitter);
        }
        let m = c.rate_hz().expect("measured");
        assert!((m - 59.94).abs() < 59.94 * 0.02, "{m}");
        assert!(c.mismatch(50.0).is_some());
        assert!(c.mismatch(59.94).is_none());
        assert!(c.mismatch(60.0).is_none());
        // A dropout of seconds is not an interval.
        c.observe(20.0);
        assert!((c.rate_hz().unwrap() - m).abs() < 1.0);
    }

    #[test]
    fn sender_stamps_restart_after_a_jump() {
        let mut c = SenderClock::new(0.0, 2.0);
        let st = |s: u64| SenderTime {
            seconds: s,
            nanoseconds: 0,
        };
        assert_eq!(c.local_time(1.0, Some(st(1000))), 1.0);
        assert!((c.local_time(2.0, Some(st(1001))) - 2.0).abs() < 1e-12);
        // The sender restarts at 0: re-anchored, not a sample 1000 s in the past.
        assert!((c.local_time(3.0, Some(st(0))) - 3.0).abs() < 1e-12);
        assert!((c.local_time(4.001, Some(st(1))) - 4.0).abs() < 1e-12);
        assert_eq!(c.resets(), 1);
        // Forward by three hours: re-anchored too, placed at its arrival, counted.
        assert!((c.local_time(5.0, Some(st(3 * 3600))) - 5.0).abs() < 1e-12);
        assert!((c.local_time(6.0, Some(st(3 * 3600 + 1))) - 6.0).abs() < 1e-12);
        assert_eq!(c.resets(), 2);
    }
}
