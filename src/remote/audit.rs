//! The audit log: one JSON line per request that changes or tries to change something, refused
//! ones included, appended to a file that is only ever appended to (opened with `O_APPEND`, one
//! `write` per line, flushed).
//!
//! A line: `{"time": "2026-11-30T17:20:36.123Z", "unix_s": 1796...., "token": "ana", "role":
//! "artist", "action": "grade", "request": {...}, "before": ..., "after": ..., "outcome": "ok"}`.
//! `outcome` is `ok`, `unchanged` (nothing to change: not a change), `refused` (403),
//! `unauthorised` (401), `invalid` (400, 404, 409 or 422), `rate_limited` (429) or `failed` (the
//! change could not be applied); `message` says why when it is not `ok`.
//!
//! A flood of requests without a valid token (401) or past the rate limit (429) must not grow the
//! log without bound: those refusals are coalesced per caller (token, or address without one) and
//! outcome ([`AuditLog::append_refusal`]): the first [`REPEAT_BURST`] of a 10 s window are written
//! at once, each on its line; the others in that window are counted and written as one line when
//! the window ends (`repeats`: how many refusals the line stands for, the last of them shown). At
//! most `REPEAT_BURST + 1` lines a caller and outcome every 10 s.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

/// One audit line.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AuditLine {
    /// UTC time, RFC 3339 with milliseconds.
    pub time: String,
    /// Seconds since the Unix epoch.
    pub unix_s: f64,
    /// The token's name (`null`: no or unknown token).
    pub token: Option<String>,
    /// The token's role.
    pub role: Option<String>,
    /// The action's name.
    pub action: String,
    /// The request body as received (when it was JSON).
    pub request: Option<serde_json::Value>,
    /// The value before the change.
    pub before: Option<serde_json::Value>,
    /// The value after the change (equal to `before` when refused).
    pub after: Option<serde_json::Value>,
    /// `ok`, `unchanged`, `refused`, `unauthorised`, `invalid`, `rate_limited` or `failed`.
    pub outcome: String,
    /// Why, when not `ok`.
    pub message: Option<String>,
    /// The peer's IP address, for requests without a valid token.
    pub peer: Option<String>,
    /// How many refusals of this kind from this caller the line stands for (coalesced: the last
    /// of them is shown); `null`: one.
    pub repeats: Option<u64>,
}

/// How long refusals of one kind from one caller are counted before the next line.
pub const REPEAT_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);

/// How many refusals of one kind from one caller a window writes one by one (a person mistyping a
/// token sees every attempt) before it counts them.
pub const REPEAT_BURST: u32 = 20;

/// The refusals of one caller and outcome counted in the current window.
#[derive(Debug)]
struct Repeat {
    /// When the window's first line was written.
    opened: std::time::Instant,
    /// Lines written one by one in this window.
    written: u32,
    /// Refusals counted since, not yet written.
    count: u64,
    /// The last of them.
    last: Option<AuditLine>,
}

/// An append-only JSON Lines file.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<std::fs::File>,
    /// Coalesced refusals by (caller, outcome).
    repeats: Mutex<std::collections::HashMap<(String, String), Repeat>>,
}

/// Why the audit log cannot be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the audit log {path}: {source}")]
pub struct AuditError {
    /// The log's path.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

impl AuditLog {
    /// Opens (creating) `path` for appending.
    pub fn open(path: &Path) -> Result<AuditLog, AuditError> {
        let err = |source| AuditError {
            path: path.to_path_buf(),
            source,
        };
        if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(d).map_err(err)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        Ok(AuditLog {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            repeats: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// Appends a refusal that a flood could repeat (401, 429) for `caller` (a token's name or a
    /// peer's address), coalesced with the same caller's refusals of the same outcome within
    /// [`REPEAT_WINDOW`] (see the module's notes).
    pub fn append_refusal(&self, caller: &str, line: AuditLine) {
        self.append_refusal_at(caller, line, std::time::Instant::now());
    }

    fn append_refusal_at(&self, caller: &str, line: AuditLine, now: std::time::Instant) {
        let key = (caller.to_string(), line.outcome.clone());
        let mut pending = None;
        let write_now = {
            let Ok(mut repeats) = self.repeats.lock() else {
                return self.append(line);
            };
            match repeats.get_mut(&key) {
                Some(r) if now.saturating_duration_since(r.opened) < REPEAT_WINDOW => {
                    if r.written < REPEAT_BURST {
                        r.written += 1;
                        Some(line)
                    } else {
                        r.count += 1;
                        r.last = Some(line);
                        None
                    }
                }
                other => {
                    if let Some(r) = other {
                        pending = r.last.take().map(|l| (l, r.count));
                    }
                    repeats.insert(
                        key,
                        Repeat {
                            opened: now,
                            written: 1,
                            count: 0,
                            last: None,
                        },
                    );
                    Some(line)
                }
            }
        };
        if let Some((l, n)) = pending {
            self.append(repeated(l, n));
        }
        if let Some(l) = write_now {
            self.append(l);
        }
    }

    /// Writes the counted refusals of every window that has ended (all of them with `all`, as
    /// when the server stops), and forgets quiet callers. The server calls it every second.
    pub fn flush_repeats(&self, all: bool) {
        self.flush_repeats_at(std::time::Instant::now(), all);
    }

    fn flush_repeats_at(&self, now: std::time::Instant, all: bool) {
        let mut out = Vec::new();
        if let Ok(mut repeats) = self.repeats.lock() {
            repeats.retain(|_, r| {
                let ended = all || now.saturating_duration_since(r.opened) >= REPEAT_WINDOW;
                if ended && let Some(l) = r.last.take() {
                    out.push(repeated(l, r.count));
                }
                !ended
            });
        }
        for l in out {
            self.append(l);
        }
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `line` (its `time` and `unix_s` set now). A failed write is logged, never fatal.
    pub fn append(&self, mut line: AuditLine) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        line.unix_s = now.as_secs_f64();
        line.time = rfc3339(now.as_millis());
        let mut bytes = match serde_json::to_vec(&line) {
            Ok(b) => b,
            Err(e) => {
                log::error!("audit line not encoded: {e}");
                return;
            }
        };
        bytes.push(b'\n');
        let Ok(mut f) = self.file.lock() else { return };
        if let Err(e) = f.write_all(&bytes).and_then(|()| f.flush()) {
            log::error!("audit log {} not written: {e}", self.path.display());
        }
    }
}

/// `line` standing for `n` refusals.
fn repeated(line: AuditLine, n: u64) -> AuditLine {
    AuditLine {
        repeats: Some(n),
        message: line
            .message
            .map(|m| format!("{m} ({n} refusals like this from this caller, coalesced)")),
        ..line
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for milliseconds since the Unix epoch (proleptic Gregorian, UTC).
pub fn rfc3339(ms: u128) -> String {
    let secs = (ms / 1000) as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil from days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_by_hand() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        // 2000-02-29 12:34:56.789 UTC = 951827696 s.
        assert_eq!(rfc3339(951_827_696_789), "2000-02-29T12:34:56.789Z");
        // 2026-11-30 00:00:00 UTC: 20787 days after the epoch.
        assert_eq!(rfc3339(20_787 * 86_400_000), "2026-11-30T00:00:00.000Z");
    }

    #[test]
    fn a_flood_of_refusals_is_coalesced_and_every_one_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&p).unwrap();
        let t0 = std::time::Instant::now();
        let refusal = |i: u64| AuditLine {
            action: "grade".into(),
            outcome: "unauthorised".into(),
            message: Some(format!("no token, request {i}")),
            ..Default::default()
        };
        // 1000 refusals from one address over 25 s (one each 25 ms), 3 from another, and one
        // rate-limited request of the first address (another outcome: its own line).
        for i in 0..1000u64 {
            let at = t0 + std::time::Duration::from_millis(25 * i);
            log.append_refusal_at("10.0.0.1", refusal(i), at);
            log.flush_repeats_at(at, false);
        }
        for i in 0..3 {
            log.append_refusal_at("10.0.0.2", refusal(i), t0);
        }
        log.append_refusal_at(
            "10.0.0.1",
            AuditLine {
                outcome: "rate_limited".into(),
                ..refusal(0)
            },
            t0,
        );
        log.flush_repeats_at(t0, true);
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let count = |caller_msg: &str, outcome: &str| -> (usize, u64) {
            let mine: Vec<_> = lines
                .iter()
                .filter(|l| l["outcome"] == outcome)
                .filter(|l| l["message"].as_str().unwrap().contains(caller_msg))
                .collect();
            let total = mine
                .iter()
                .map(|l| l["repeats"].as_u64().unwrap_or(1))
                .sum();
            (mine.len(), total)
        };
        // Windows opened at 0, 10 and 20 s: each writes its first REPEAT_BURST refusals and one
        // line for the rest; the other address's 3 are written one by one; every refusal is
        // counted once.
        let (n, total) = count("", "unauthorised");
        assert_eq!(total, 1003);
        assert_eq!(
            n,
            3 * (REPEAT_BURST as usize + 1) + 3,
            "{n} lines for 1003 refusals"
        );
        // The last line of the first address shows its last request.
        assert!(lines.iter().any(|l| {
            l["message"]
                .as_str()
                .unwrap()
                .starts_with("no token, request 999")
        }));
        assert_eq!(count("", "rate_limited"), (1, 1));
    }

    #[test]
    fn lines_are_appended() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.jsonl");
        std::fs::write(&p, "{\"old\":1}\n").unwrap();
        let log = AuditLog::open(&p).unwrap();
        log.append(AuditLine {
            action: "save".into(),
            outcome: "ok".into(),
            ..Default::default()
        });
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "{\"old\":1}");
        let v: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(v["action"], "save");
        assert_eq!(v["outcome"], "ok");
    }
}
