//! The audit log: one JSON line per request that changes or tries to change something, refused
//! ones included, appended to a file that is only ever appended to (opened with `O_APPEND`, one
//! `write` per line, flushed).
//!
//! A line: `{"time": "2026-11-30T17:20:36.123Z", "unix_s": 1796...., "token": "ana", "role":
//! "artist", "action": "grade", "request": {...}, "before": ..., "after": ..., "outcome": "ok"}`.
//! `outcome` is `ok`, `unchanged` (nothing to change: not a change), `refused` (403),
//! `unauthorised` (401), `invalid` (400, 404, 409 or 422), `rate_limited` (429) or `failed` (the
//! change could not be applied); `message` says why when it is not `ok`.

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
}

/// An append-only JSON Lines file.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<std::fs::File>,
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
        })
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
