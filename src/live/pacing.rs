//! Frame pacing on a timer: which slot to render next and how many slots were skipped.
//!
//! Slot `n` is due at `origin + n * period`. The clock starts when the first frame has been
//! delivered ([`Pacer::started`]): start-up (pipeline creation, the first frame's shader
//! compilation) is never counted as late or dropped. When the loop falls behind by `k` whole
//! slots, the next frame rendered is the slot for the current time: the `k` slots in between are
//! dropped (counted, never rendered), so frame numbers, render times and a take's position jump by
//! `k + 1` and the wall stays on time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{LiveLoop, Pacing, RunStats, Sink, Source};

/// What the loop does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing is due yet: wait until this instant.
    Wait(Instant),
    /// Render slot `frame`, due at `due`; `dropped` slots before it were skipped.
    Render {
        /// The slot (frame number) to render.
        frame: u64,
        /// When it was due.
        due: Instant,
        /// Slots skipped before it.
        dropped: u64,
    },
}

/// A frame-rate clock (see the module).
#[derive(Clone, Copy, Debug)]
pub struct Pacer {
    period: Duration,
    /// When slot 0 was due (`None` until the first frame was delivered).
    origin: Option<Instant>,
}

impl Pacer {
    /// A clock at `frame_rate` Hz, not started.
    pub fn new(frame_rate: f64) -> Pacer {
        Pacer {
            period: Duration::from_secs_f64(1.0 / frame_rate.max(1e-3)),
            origin: None,
        }
    }

    /// The slot length.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Whether the clock has started.
    pub fn is_started(&self) -> bool {
        self.origin.is_some()
    }

    /// Starts the clock: frame `frame` (the first one) was delivered at `delivered`, which becomes
    /// its slot's due time. Later calls do nothing.
    pub fn started(&mut self, frame: u64, delivered: Instant) {
        if self.origin.is_none() {
            let back = self.period.mul_f64(frame as f64);
            self.origin = Some(delivered.checked_sub(back).unwrap_or(delivered));
        }
    }

    /// When slot `frame` is due (`None` before the clock started).
    pub fn due(&self, frame: u64) -> Option<Instant> {
        self.origin.map(|o| o + self.period.mul_f64(frame as f64))
    }

    /// What to do at `now` when `next` is the next slot not yet rendered. Before the clock started:
    /// render `next` at once.
    pub fn next(&self, next: u64, now: Instant) -> Next {
        let Some(due) = self.due(next) else {
            return Next::Render {
                frame: next,
                due: now,
                dropped: 0,
            };
        };
        if now < due {
            return Next::Wait(due);
        }
        let behind = ((now - due).as_secs_f64() / self.period.as_secs_f64()).floor() as u64;
        let frame = next + behind;
        Next::Render {
            frame,
            due: self.due(frame).unwrap_or(now),
            dropped: behind,
        }
    }
}

/// What the loop does before its next frame ([`LiveLoop::pace`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pace {
    /// Wait until then.
    Wait(Instant),
    /// Step the frame [`LiveLoop::frame`], due then.
    Step(Instant),
    /// The run is over (the frame count or the take's end).
    Stop,
}

impl LiveLoop {
    /// The slot the run stops before: `--frames`, else a take's frame count (none when it loops).
    fn end(&self) -> Option<u64> {
        self.options.frames.or(match &self.source {
            Source::Take(cams) if !self.options.loop_take => Some(cams.frame_count()),
            _ => None,
        })
    }

    /// The take's frame played at frame `n`: `n`, or with [`RunOptions::loop_take`] `n` modulo the
    /// take's frame count.
    pub(super) fn take_frame(&self, n: u64) -> u64 {
        match &self.source {
            Source::Take(cams) if self.options.loop_take && cams.frame_count() > 0 => {
                n % cams.frame_count()
            }
            _ => n,
        }
    }

    /// Whether the frame just stepped was the run's last slot (`--frames`, or a take's end).
    pub(super) fn at_end(&self) -> bool {
        self.end().is_some_and(|e| self.frame >= e)
    }

    /// Chooses the next slot at `now`: counts the dropped ones, moves [`LiveLoop::frame`] to it,
    /// and says when it is due, or to wait, or that the run is over (reporting the take's end).
    pub(super) fn pace(&mut self, now: Instant) -> Pace {
        let (frame, due, dropped) = match self.options.pacing {
            Pacing::Unpaced => (self.frame, now, 0),
            Pacing::Timer => match self.clock.next(self.frame, now) {
                Next::Wait(t) => return Pace::Wait(t),
                Next::Render {
                    frame,
                    due,
                    dropped,
                } => (frame, due, dropped),
            },
        };
        if let Some(end) = self.end()
            && frame >= end
        {
            // Slots up to the end that were skipped are dropped too.
            self.stats.dropped += end.saturating_sub(self.frame);
            self.frame = self.frame.max(end);
            if self.options.frames.is_none() {
                self.notice(format!(
                    "the take ended at frame {} (its last); stopping",
                    end.saturating_sub(1)
                ));
            }
            return Pace::Stop;
        }
        if let Source::Take(cams) = &self.source
            && !self.options.loop_take
            && frame >= cams.frame_count()
            && !self.take_end_told
        {
            self.take_end_told = true;
            let last = cams.frame_count().saturating_sub(1);
            // `--serve` runs on past a take's end with frames = u64::MAX (until Ctrl-C).
            let until = match self.options.frames {
                Some(n) if n != u64::MAX => format!("until frame {n} (--frames)"),
                _ => "until Ctrl-C".to_string(),
            };
            log::warn!(
                "the take ended at frame {last}; the camera holds its last pose (tracking dropout) {until}"
            );
        }
        self.stats.dropped += dropped;
        self.frame = frame;
        Pace::Step(due)
    }

    /// Prints a message for the operator on its own line (after the status line) and keeps it
    /// ([`LiveLoop::notices`]).
    pub(super) fn notice(&mut self, message: String) {
        self.end_status();
        eprintln!("{message}");
        self.notices.push(message);
    }

    /// The messages printed for the operator so far (reloads applied, the take's end), in order.
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// Runs until the frame count, the take's end (without a frame count) or `stop`, paced by the
    /// options, delivering to `sinks`. Returns the figures (also in [`LiveLoop::stats`]).
    pub fn run(&mut self, sinks: &mut [&mut dyn Sink], stop: &AtomicBool) -> RunStats {
        while !stop.load(Ordering::Relaxed) {
            match self.pace(Instant::now()) {
                Pace::Stop => break,
                Pace::Wait(t) => std::thread::sleep(t.saturating_duration_since(Instant::now())),
                Pace::Step(due) => {
                    self.step(sinks, due);
                }
            }
        }
        self.end_status();
        self.finish_stats();
        self.stats.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_is_not_counted() {
        let p = Pacer::new(50.0);
        let t = Instant::now();
        // Not started: however late, the first frame renders at once with nothing dropped.
        let n = p.next(0, t + Duration::from_secs(3));
        assert_eq!(
            n,
            Next::Render {
                frame: 0,
                due: t + Duration::from_secs(3),
                dropped: 0
            }
        );
    }

    #[test]
    fn behind_by_k_slots_renders_the_current_slot_and_drops_k() {
        let mut p = Pacer::new(50.0); // 20 ms slots
        let t0 = Instant::now();
        p.started(0, t0);
        // Slot 1 is due at 20 ms: at 10 ms, wait.
        assert_eq!(
            p.next(1, t0 + Duration::from_millis(10)),
            Next::Wait(t0 + Duration::from_millis(20))
        );
        // At 25 ms: slot 1 (less than a slot behind), nothing dropped.
        assert_eq!(
            p.next(1, t0 + Duration::from_millis(25)),
            Next::Render {
                frame: 1,
                due: t0 + Duration::from_millis(20),
                dropped: 0
            }
        );
        // At 75 ms with slot 1 next: slots 1 and 2 missed (20, 40 ms), slot 3 (60 ms) rendered.
        assert_eq!(
            p.next(1, t0 + Duration::from_millis(75)),
            Next::Render {
                frame: 3,
                due: t0 + Duration::from_millis(60),
                dropped: 2
            }
        );
    }

    #[test]
    fn the_clock_starts_at_the_first_delivered_frame() {
        let mut p = Pacer::new(10.0);
        let t = Instant::now();
        p.started(2, t + Duration::from_millis(500));
        assert_eq!(p.due(2), Some(t + Duration::from_millis(500)));
        assert_eq!(p.due(3), Some(t + Duration::from_millis(600)));
        p.started(0, t + Duration::from_secs(9));
        assert_eq!(p.due(3), Some(t + Duration::from_millis(600)));
    }
}
