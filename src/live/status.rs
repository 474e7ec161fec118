//! The live loop's status line and its error log (each distinct message once).

use std::time::{Duration, Instant};

use super::{LiveLoop, timecode};

impl LiveLoop {
    /// On a terminal, rewrites the status line on stderr about once a second.
    pub(super) fn print_status(&mut self) {
        use std::io::IsTerminal;
        if self.status_at.elapsed() >= Duration::from_secs(1) && std::io::stderr().is_terminal() {
            self.status_at = Instant::now();
            self.status_shown = true;
            eprint!("\r{}\x1b[K", self.status());
        }
    }

    /// Logs a message once per distinct text, numbers aside (a failing frame repeats every frame).
    pub(super) fn report(&mut self, message: &str) {
        let key: String = message
            .split_once(": ")
            .map_or(message, |(_, rest)| rest)
            .to_string();
        // Messages that differ only in numbers (a frame's, a file's frame-NNNNNN folder) are one
        // error: a failure on every frame is logged once and the list stays short.
        let digitless = |s: &str| s.replace(|c: char| c.is_ascii_digit(), "#");
        if !self
            .reported
            .iter()
            .any(|r| digitless(r) == digitless(&key))
        {
            log::error!("{message}");
            self.reported.push(key);
        }
    }

    /// Ends the status line (what follows starts on a new line).
    pub fn end_status(&mut self) {
        if std::mem::take(&mut self.status_shown) {
            eprintln!();
        }
    }

    /// A one-line status (frame, late and dropped frames, failures, device losses, reloads),
    /// printed on stderr about once a second when it is a terminal.
    pub fn status(&self) -> String {
        format!(
            "frame {} ({}), {} late, {} dropped, {} failed, {} device lost ({} re-created{}), {} reloads, {} refused edits{}",
            self.frame,
            timecode(self.frame, self.stage.frame_rate),
            self.stats.late,
            self.stats.dropped,
            self.stats.failures,
            self.stats.device_lost,
            self.stats.recoveries,
            if self.lost.is_some() {
                ", re-creating"
            } else {
                ""
            },
            self.stats.reloads,
            self.stats.reload_errors,
            if self.targets_changed {
                "; output targets edited: restart to apply"
            } else {
                ""
            }
        )
    }
}
