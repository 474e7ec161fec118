//! What the live loop measures per frame, and the summary printed at exit and written by `--stats`.

use std::collections::VecDeque;

use serde::Serialize;

/// One frame of the live loop.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FrameStats {
    /// Frame number (from 0 at the start of the run).
    pub frame: u64,
    /// CPU time to resolve the frame and record and submit its GPU work, milliseconds.
    pub cpu_ms: f64,
    /// Time from the submit until the GPU finished the frame (and, for sinks that need them, the
    /// images were read back), milliseconds.
    pub gpu_ms: f64,
    /// Time to deliver the outputs to the sinks (file writes) or present them, milliseconds.
    pub present_ms: f64,
    /// Time from the frame's slot (when it was due to start) to its delivery, milliseconds.
    pub frame_ms: f64,
    /// Latency from the newest tracking sample the frame used to the output's delivery,
    /// milliseconds; `None` unless tracking was live for the frame (no data, or a dropout holding
    /// an old sample, e.g. past a take's end).
    pub latency_ms: Option<f64>,
    /// Whether the frame was delivered after its slot ended (the next frame was due).
    pub late: bool,
    /// The run's first frame: it carries the start-up (pipeline creation, first submissions), so
    /// it is never late and its latency is left out of the percentiles.
    pub startup: bool,
    /// Whether the frame failed and the last good frame was held on the outputs instead.
    pub held: bool,
    /// Whether the primary camera's tracking was in dropout (no sample for longer than its
    /// `dropout_ms`: its last pose held).
    pub dropout: bool,
    /// Whether the frame was held because the GPU device was lost (found lost by this frame, or
    /// not yet re-created).
    pub device_lost: bool,
}

/// The run's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RunStats {
    /// Stage frame rate the loop ran at (Hz).
    pub frame_rate: f64,
    /// Frames rendered (including held ones); with `dropped`, the slots the run went through.
    pub frames: u64,
    /// Frames delivered after their slot ended.
    pub late: u64,
    /// Slots skipped (never rendered) because the loop fell one or more whole slots behind.
    pub dropped: u64,
    /// Frames that failed (render error, lost surface, injected fault); the last good frame was
    /// held on the outputs each time.
    pub failures: u64,
    /// Times the GPU device was found lost.
    pub device_lost: u64,
    /// Times the GPU device (with the renderer and scene) was re-created after a loss.
    pub recoveries: u64,
    /// Frames rendered with the primary camera's tracking in dropout (its last pose held).
    pub tracking_dropout: u64,
    /// Stage reloads applied.
    pub reloads: u64,
    /// Of the reloads and in-process edits, those applied in place: colour edits the running
    /// renderer took without a new one ([`crate::render::Renderer::recolour_plan`]).
    pub recolours: u64,
    /// Edits that were refused (the running stage kept).
    pub reload_errors: u64,
    /// Latency percentiles (milliseconds and frames) over frames with live tracking.
    pub latency: Option<Latency>,
    /// On a render node or primary, the cluster's figures at the end of the run
    /// ([`crate::cluster::FrameSync::figures`]); absent without a cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<serde_json::Value>,
    /// The most recent frames' figures, at most [`PER_FRAME_KEPT`] (a run of days keeps a
    /// bounded record; the counts above and the latency cover the whole run).
    pub per_frame: VecDeque<FrameStats>,
    /// The latency of every frame with live tracking but the start-up frame (ms, as `f32`: four
    /// bytes a frame, about 20 MB a day at 60 Hz), for the percentiles.
    #[serde(skip)]
    latencies_ms: Vec<f32>,
}

/// Frames whose figures [`RunStats::per_frame`] keeps (the most recent).
pub const PER_FRAME_KEPT: usize = 10_000;

/// Latency percentiles.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Latency {
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Median in frames at the stage rate.
    pub p50_frames: f64,
    /// 99th percentile in frames.
    pub p99_frames: f64,
    /// Frames measured (those with live tracking, the start-up frame left out).
    pub frames: u64,
}

/// The `q`-quantile (0..=1) of `values` by the nearest-rank method (the smallest value with at
/// least `q` of the values at or below it); `None` when empty.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = (q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

impl RunStats {
    /// No frames yet, at `frame_rate` Hz.
    pub fn new(frame_rate: f64) -> RunStats {
        RunStats {
            frame_rate,
            ..Default::default()
        }
    }

    /// Adds a frame's figures.
    pub fn push(&mut self, f: FrameStats) {
        self.frames += 1;
        self.late += u64::from(f.late);
        self.failures += u64::from(f.held);
        self.tracking_dropout += u64::from(f.dropout);
        if let (false, Some(l)) = (f.startup, f.latency_ms) {
            self.latencies_ms.push(l as f32);
        }
        if self.per_frame.len() == PER_FRAME_KEPT {
            self.per_frame.pop_front();
        }
        self.per_frame.push_back(f);
    }

    /// Computes the latency percentiles from the frames so far.
    pub fn finish(&mut self) {
        let l: Vec<f64> = self.latencies_ms.iter().map(|&x| f64::from(x)).collect();
        let period_ms = 1000.0 / self.frame_rate.max(1e-9);
        self.latency = match (percentile(&l, 0.5), percentile(&l, 0.99)) {
            (Some(p50), Some(p99)) => Some(Latency {
                p50_ms: p50,
                p99_ms: p99,
                p50_frames: p50 / period_ms,
                p99_frames: p99 / period_ms,
                frames: l.len() as u64,
            }),
            _ => None,
        };
    }

    /// One line for the terminal.
    pub fn summary(&self) -> String {
        let latency = match self.latency {
            Some(l) => format!(
                "latency p50 {:.1} ms ({:.2} frames), p99 {:.1} ms ({:.2} frames) over the {} frames with live tracking, start-up left out (the figure to enter as the tracking latency)",
                l.p50_ms, l.p50_frames, l.p99_ms, l.p99_frames, l.frames
            ),
            None => "latency: no frame with live tracking".into(),
        };
        format!(
            "{} frames at {} Hz: {} late, {} dropped, {} failed (held), {} device lost ({} re-created), {} in tracking dropout, {} reloads, {} refused edits; {latency}",
            self.frames,
            self.frame_rate,
            self.late,
            self.dropped,
            self.failures,
            self.device_lost,
            self.recoveries,
            self.tracking_dropout,
            self.reloads,
            self.reload_errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_by_hand() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(50.0));
        assert_eq!(percentile(&v, 0.99), Some(99.0));
        assert_eq!(percentile(&v, 1.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
        assert_eq!(percentile(&[3.0], 0.99), Some(3.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn latency_in_frames_uses_the_stage_rate() {
        let mut s = RunStats {
            frame_rate: 50.0,
            ..Default::default()
        };
        for ms in [20.0, 40.0, 60.0] {
            s.push(FrameStats {
                latency_ms: Some(ms),
                ..Default::default()
            });
        }
        s.push(FrameStats {
            held: true,
            late: true,
            dropout: true,
            ..Default::default()
        });
        // The start-up frame's latency is left out.
        s.push(FrameStats {
            latency_ms: Some(5000.0),
            startup: true,
            ..Default::default()
        });
        s.finish();
        let l = s.latency.expect("latency");
        assert_eq!((l.p50_ms, l.p50_frames), (40.0, 2.0));
        assert_eq!((l.p99_ms, l.p99_frames), (60.0, 3.0));
        // The held frame has no latency (no live tracking): 3 frames measured.
        assert_eq!(l.frames, 3);
        assert!(s.summary().contains("over the 3 frames with live tracking"));
        assert_eq!((s.frames, s.late, s.failures), (5, 1, 1));
        assert_eq!(s.tracking_dropout, 1);
        assert!(s.summary().contains("1 in tracking dropout"));
    }

    /// A long run keeps the last PER_FRAME_KEPT frames' figures, while the counts and the
    /// latency percentiles cover every frame: latencies 1..=25,000 ms, one a frame.
    #[test]
    fn a_long_run_keeps_a_bounded_record() {
        let mut s = RunStats {
            frame_rate: 1000.0,
            ..Default::default()
        };
        let n = PER_FRAME_KEPT as u64 * 5 / 2;
        for k in 1..=n {
            s.push(FrameStats {
                frame: k,
                latency_ms: Some(k as f64),
                ..Default::default()
            });
        }
        s.finish();
        assert_eq!(s.per_frame.len(), PER_FRAME_KEPT);
        assert_eq!(s.per_frame.front().map(|f| f.frame), Some(n - 9_999));
        assert_eq!(s.per_frame.back().map(|f| f.frame), Some(n));
        let l = s.latency.expect("latency");
        assert_eq!((l.frames, s.frames), (n, n));
        // Nearest rank over 25,000 values 1..=25,000: the 12,500th and the 24,750th.
        assert_eq!((l.p50_ms, l.p99_ms), (12_500.0, 24_750.0));
    }
}
