//! The server's side of the live loop ([`crate::live::FrameHook`]): before a frame, changes the
//! server resolved are swapped in ([`crate::live::LiveLoop::apply_stage`]); after it, the frame's
//! figures are published and, at the stream rate, its views read back for the JPEG encoder.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

use serde_json::json;

use super::ServeOptions;
use super::server::{Shared, ToLoop};
use super::stream::{Captured, start_encoder};
use crate::live::{FrameHook, FrameStats, LiveLoop};
use crate::tracking::{TrackedState, TrackingStatus};

/// The longest time between two captured frames while nobody watches.
const IDLE_PERIOD: Duration = Duration::from_millis(500);

/// Connects the server to the live loop; add it with [`LiveLoop::add_hook`].
pub struct RemoteHook {
    shared: Arc<Shared>,
    rx: Receiver<ToLoop>,
    encoder: SyncSender<Captured>,
    period: Duration,
    last_capture: Option<Instant>,
    last_event: Instant,
    /// Reloads of the stage file seen: after one, the server's copy of the file is read again.
    reloads: u64,
    /// Delivery times of recent frames, for the frame rate.
    recent: std::collections::VecDeque<Instant>,
}

impl Drop for RemoteHook {
    /// The run ends: the refusals still being counted are written (nothing is lost from the
    /// audit log).
    fn drop(&mut self) {
        self.shared.audit.flush_repeats(true);
    }
}

impl RemoteHook {
    pub(crate) fn new(
        shared: Arc<Shared>,
        rx: Receiver<ToLoop>,
        options: &ServeOptions,
    ) -> std::io::Result<RemoteHook> {
        let sh = shared.clone();
        let encoder = start_encoder(options.stream_width, options.jpeg_quality, move |f| {
            if let Ok(mut l) = sh.latest.lock() {
                l.insert(f.view.clone(), f.clone());
            }
            let _ = sh.frames.send(f);
        })?;
        Ok(RemoteHook {
            shared,
            rx,
            encoder,
            period: Duration::from_secs_f64(1.0 / options.stream_fps.clamp(0.1, 240.0)),
            last_capture: None,
            last_event: Instant::now(),
            reloads: 0,
            recent: Default::default(),
        })
    }

    /// After the stage file was reloaded from disk, the server holds that file (edits made
    /// remotely and not saved are replaced by it, as on the wall).
    fn follow_reloads(&mut self, live: &LiveLoop) {
        if live.stats.reloads == self.reloads {
            return;
        }
        // An edit in progress holds the lock: try again next frame.
        let Ok(mut file) = self.shared.file.try_lock() else {
            return;
        };
        self.reloads = live.stats.reloads;
        let path = &self.shared.stage_path;
        match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                crate::stage::parse(&t, &path.display().to_string()).map_err(|e| e.to_string())
            }) {
            Ok(f) => *file = f,
            Err(e) => log::warn!("remote: the reloaded stage file could not be read again: {e}"),
        }
    }
}

impl RemoteHook {
    /// The newest streamed image of each view: frame, size, JPEG bytes and encode time.
    fn stream_figures(&self) -> serde_json::Value {
        let Ok(latest) = self.shared.latest.lock() else {
            return serde_json::Value::Null;
        };
        latest
            .iter()
            .map(|(view, f)| {
                (
                    view.clone(),
                    json!({"frame": f.frame, "width": f.width, "height": f.height,
                           "bytes": f.jpeg.len(), "encode_ms": f.encode_ms}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

fn tracking(t: &TrackedState) -> serde_json::Value {
    match t.status {
        TrackingStatus::Live => json!({"status": "live"}),
        TrackingStatus::Dropout { for_s } => json!({"status": "dropout", "for_s": for_s}),
        TrackingStatus::NoData => json!({"status": "no data"}),
    }
}

impl FrameHook for RemoteHook {
    fn before_frame(&mut self, live: &mut LiveLoop) {
        if let Ok(mut own) = self.shared.own_writes.lock()
            && own.is_none()
        {
            *own = live.own_writes();
        }
        self.follow_reloads(live);
        while let Ok(ToLoop { stage, reply }) = self.rx.try_recv() {
            let r = live
                .apply_stage(*stage)
                .map(|()| live.frame())
                .map_err(|e| e.to_string());
            let _ = reply.send(r);
        }
    }

    fn after_frame(&mut self, live: &LiveLoop, stats: &FrameStats, tracked: &TrackedState) {
        let now = Instant::now();
        self.recent.push_back(now);
        while self.recent.len() > 2 && now.duration_since(self.recent[0]) > Duration::from_secs(2) {
            self.recent.pop_front();
        }
        let fps = match (self.recent.front(), self.recent.len()) {
            (Some(first), n) if n > 1 => {
                (n - 1) as f64 / now.duration_since(*first).as_secs_f64().max(1e-6)
            }
            _ => 0.0,
        };
        let errors = live.errors();
        let status = json!({
            "type": "status",
            "frame": stats.frame,
            "fps": fps,
            "frame_rate": live.stage().frame_rate,
            "cpu_ms": stats.cpu_ms, "gpu_ms": stats.gpu_ms, "present_ms": stats.present_ms,
            "frame_ms": stats.frame_ms, "latency_ms": stats.latency_ms,
            "late": live.stats.late, "dropped": live.stats.dropped, "failed": live.stats.failures,
            "held": stats.held, "device_lost": live.stats.device_lost,
            "reloads": live.stats.reloads, "refused_edits": live.stats.reload_errors,
            "tracking": tracking(tracked),
            "errors": &errors[errors.len().saturating_sub(10)..],
            "last_refused_edit": live.last_refused(),
            "stream": self.stream_figures(),
        });
        if now.duration_since(self.last_event) >= Duration::from_secs(1) {
            self.last_event = now;
            let _ = self.shared.events.send(status.to_string());
        }
        if let Ok(mut s) = self.shared.status.lock() {
            *s = status;
        }
        // Unwatched, frames are still kept fresh at 2 Hz at most, so that a new viewer gets a
        // recent frame at once.
        let period = if self.shared.watched() {
            self.period
        } else {
            self.period.max(IDLE_PERIOD)
        };
        let due = self
            .last_capture
            .is_none_or(|t| now.duration_since(t) >= period);
        if !due || stats.held {
            return;
        }
        self.last_capture = Some(now);
        match live.read_views() {
            Ok(f) => {
                let mut views = Vec::new();
                if let Some(c) = f.camera {
                    views.push(("camera".to_string(), c));
                }
                if let Some(w) = f.wall {
                    views.push(("wall".to_string(), w));
                }
                views.extend(
                    f.outputs
                        .into_iter()
                        .map(|(n, i)| (format!("output:{n}"), i)),
                );
                // Busy encoder: this frame is skipped (the wall never waits for the stream).
                let _ = self.encoder.try_send(Captured {
                    frame: stats.frame,
                    views,
                });
            }
            Err(e) => log::warn!("remote: frame {} not read back: {e}", stats.frame),
        }
    }
}
