//! The frame log (`--frame-log FILE`): every rendered frame's `frame.json` with its timecode and
//! tracking times, one JSON line per frame, for post-production.

use serde::Serialize;

use crate::frame::FrameInfo;

/// A line of the frame log: the frame's description (`frame.json`'s fields) plus its timing.
#[derive(Serialize)]
pub(super) struct FrameLogLine<'a> {
    #[serde(flatten)]
    pub info: &'a FrameInfo,
    /// `HH:MM:SS:FF` at the stage rate from the start of the run (non-drop).
    pub timecode: String,
    /// The frame's render time on the tracking clock, seconds.
    pub render_time_s: f64,
    /// Time of the newest tracking sample used, same clock.
    pub newest_sample_s: Option<f64>,
    /// Whether the frame failed and the last good one was held.
    pub held: bool,
}

/// Appends `line` and a newline to the frame log `file` in one write; if the write fails (a full
/// disk, a file-size limit) the file is cut back to its length before, so that the log never ends
/// in a partial line. Errors: the write's (or, when even the cut fails, the cut's).
pub(super) fn append_line(file: &mut std::fs::File, line: &FrameLogLine) -> std::io::Result<()> {
    use std::io::Write;
    let mut bytes = serde_json::to_vec(line).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    let before = file.metadata()?.len();
    let written = file.write_all(&bytes);
    if written.is_err() && file.metadata().is_ok_and(|m| m.len() > before) {
        file.set_len(before)?;
    }
    written
}

/// `HH:MM:SS:FF` of frame `n` at `rate` frames per second (non-drop-frame, whole frames per
/// second rounded: 23.976 counts 24 per second, as timecode does).
pub fn timecode(n: u64, rate: f64) -> String {
    let fps = (rate.round() as u64).max(1);
    let (f, s) = (n % fps, n / fps);
    format!(
        "{:02}:{:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        f
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timecode_counts_whole_frames() {
        assert_eq!(timecode(0, 50.0), "00:00:00:00");
        assert_eq!(timecode(49, 50.0), "00:00:00:49");
        assert_eq!(timecode(50, 50.0), "00:00:01:00");
        assert_eq!(timecode(24 * 3661 + 5, 23.976), "01:01:01:05");
    }
}
