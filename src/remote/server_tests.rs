//! Tests of the server's answers that need no live loop (src/remote/server.rs): a real server on
//! a free loopback port, spoken to in plain HTTP/1.1.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use serde_json::Value;

use super::http::bearer;
use super::*;
use crate::remote::access::Role;

struct Running {
    addr: SocketAddr,
    dir: tempfile::TempDir,
    admin: String,
    // Keeps the loop's end of the channel (edits that change the stage would wait on it).
    _hook: RemoteHook,
}

/// tiny.ron copied into a temporary folder, an admin token, a server on 127.0.0.1:0.
fn start(rate_per_s: f64, save_refused: Option<&str>) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let stage = dir.path().join("stage.ron");
    let tiny = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    std::fs::copy(tiny, &stage).unwrap();
    let tokens = dir.path().join("tokens.json");
    let admin = TokenStore::open(&tokens)
        .unwrap()
        .add("boss", Role::Admin)
        .unwrap();
    let options = ServeOptions {
        addr: "127.0.0.1:0".parse().unwrap(),
        tokens,
        audit: dir.path().join("audit.jsonl"),
        rate_per_s,
        save_refused: save_refused.map(str::to_string),
        ..Default::default()
    };
    let (server, hook) = serve(&options, &stage).unwrap();
    Running {
        addr: server.addr,
        dir,
        admin,
        _hook: hook,
    }
}

struct Answer {
    status: u16,
    /// The head, lower case.
    head: String,
    body: Value,
}

impl Answer {
    /// A JSON error: its content type, and an `error` message that says something.
    fn assert_json_error(&self) {
        assert!(
            self.head.contains("content-type: application/json"),
            "{}",
            self.head
        );
        assert!(
            self.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{} {}",
            self.status,
            self.body
        );
    }
}

impl Running {
    /// `METHOD PATH` with `auth` as the Authorization header's value (if any).
    fn ask(&self, method: &str, path: &str, auth: Option<&str>, body: &str) -> Answer {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let auth = auth.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        Answer {
            status: head.split(' ').nth(1).unwrap().parse().unwrap(),
            head: head.to_ascii_lowercase(),
            body: serde_json::from_str(body).unwrap_or(Value::String(body.to_string())),
        }
    }

    fn admin(&self, method: &str, path: &str, body: &str) -> Answer {
        let auth = format!("Bearer {}", self.admin);
        self.ask(method, path, Some(&auth), body)
    }

    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("audit.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let uri: axum::http::Uri = "/api/state".parse().unwrap();
    for v in ["Bearer abc", "bearer abc", "BEARER abc", "  bEaReR   abc "] {
        let mut h = axum::http::HeaderMap::new();
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        assert_eq!(bearer(&h, &uri).as_deref(), Some("abc"), "{v:?}");
    }
    let mut h = axum::http::HeaderMap::new();
    h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
    assert_eq!(bearer(&h, &uri), None);
    let r = start(20.0, None);
    let lower = format!("bearer {}", r.admin);
    assert_eq!(r.ask("GET", "/api/state", Some(&lower), "").status, 200);
}

#[test]
fn other_routes_and_methods_answer_json_404_and_405() {
    let r = start(20.0, None);
    for (method, path, status) in [
        ("GET", "/nope", 404),
        ("GET", "/api/nope", 404),
        ("POST", "/api/nope", 404),
        ("DELETE", "/api/nope", 404),
        ("GET", "/api/environment", 405),
        ("GET", "/api/save", 405),
        ("POST", "/api/state", 405),
    ] {
        let a = r.admin(method, path, "");
        assert_eq!(a.status, status, "{method} {path}: {}", a.body);
        a.assert_json_error();
    }
}

#[test]
fn save_refuses_unknown_fields() {
    let r = start(20.0, None);
    let a = r.admin("POST", "/api/save", r#"{"path": "/tmp/elsewhere.ron"}"#);
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.body["field"], "path", "{}", a.body);
    assert_eq!(r.audit().last().unwrap()["outcome"], "invalid");
    assert_eq!(r.admin("POST", "/api/save", "{}").status, 200);
    assert_eq!(r.admin("POST", "/api/save", "").status, 200);
    // The token route too.
    let a = r.admin(
        "POST",
        "/api/tokens",
        r#"{"name": "x", "role": "viewer", "expires": 1}"#,
    );
    assert_eq!((a.status, a.body["field"].as_str()), (400, Some("expires")));
    // An unknown token to remove: 404 naming the name.
    let a = r.admin("DELETE", "/api/tokens/nobody", "");
    assert_eq!((a.status, a.body["field"].as_str()), (404, Some("name")));
}

#[test]
fn save_over_the_bundled_demo_is_refused() {
    let r = start(20.0, Some("the bundled demo stage"));
    let before = std::fs::read_to_string(r.dir.path().join("stage.ron")).unwrap();
    let a = r.admin("POST", "/api/save", "{}");
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(a.body["error"].as_str().unwrap().contains("bundled demo"));
    let after = std::fs::read_to_string(r.dir.path().join("stage.ron")).unwrap();
    assert_eq!(before, after, "the stage file was not written");
}

/// Nothing to change: answered at once (no rebuild: no loop runs here, a rebuild would wait on
/// it), and audited as `unchanged`, not as a change.
#[test]
fn empty_changes_are_not_rebuilt_nor_audited_as_changes() {
    let r = start(20.0, None);
    for (path, body) in [
        ("/api/grade", r#"{"layer": "outer"}"#),
        ("/api/environment", r#"{"yaw_deg": 0}"#),
        ("/api/content", "{}"),
        ("/api/camera", r#"{"camera": "A"}"#),
    ] {
        let a = r.admin("POST", path, body);
        assert_eq!(a.status, 200, "{path} {body}: {}", a.body);
        assert_eq!(a.body["changed"], false, "{}", a.body);
        assert!(a.body["from_frame"].is_null(), "{}", a.body);
        let l = r.audit().pop().unwrap();
        assert_eq!(l["outcome"], "unchanged", "{l}");
        assert!(l["before"].is_null() && l["after"].is_null(), "{l}");
    }
}

/// Edits that parse but cannot apply: 422 naming the field (a missing file was a 503 with
/// `field: null`).
#[test]
fn edits_that_cannot_apply_are_422_naming_the_field() {
    let r = start(20.0, None);
    for (path, body, field) in [
        (
            "/api/content",
            r#"{"environment": "gone.hdr"}"#,
            "environment",
        ),
        (
            "/api/content",
            r#"{"scene": [{"Gltf": {"path": "gone.glb"}}]}"#,
            "scene[0].path",
        ),
        ("/api/environment", r#"{"yaw_deg": 1e9}"#, "yaw_deg"),
        (
            "/api/camera",
            r#"{"camera": "Z", "enabled": true}"#,
            "camera",
        ),
        (
            "/api/grade",
            r#"{"layer": "inner", "grade": {"cdl": {"slope": [1, -1, 1]}}}"#,
            "grade.cdl.slope[1]",
        ),
    ] {
        let a = r.admin("POST", path, body);
        assert_eq!(a.status, 422, "{path} {body}: {}", a.body);
        assert_eq!(a.body["field"], field, "{path} {body}: {}", a.body);
    }
    let a = r.admin("POST", "/api/environment", r#"{"yaw_deg": 1"#);
    assert_eq!((a.status, a.body["field"].as_str()), (400, Some(".")));
}

/// Requests without a valid token count against their address: past the rate, 429 with
/// `Retry-After`; a valid token keeps its own bucket.
#[test]
fn requests_without_a_token_are_rate_limited_with_retry_after() {
    let r = start(1.0, None);
    let codes: Vec<u16> = (0..3)
        .map(|_| r.ask("GET", "/api/state", Some("Bearer wrong"), "").status)
        .collect();
    assert_eq!(codes, [401, 401, 429]);
    let a = r.ask("GET", "/api/state", None, "");
    assert_eq!(a.status, 429);
    assert!(a.head.contains("\r\nretry-after: 1"), "{}", a.head);
    assert_eq!(r.audit().last().unwrap()["outcome"], "rate_limited");
    // A valid token has its own bucket; past its rate it gets 429 with Retry-After too.
    let codes: Vec<u16> = (0..3)
        .map(|_| r.admin("GET", "/api/state", "").status)
        .collect();
    assert_eq!(codes, [200, 200, 429]);
    assert!(
        r.admin("GET", "/api/state", "")
            .head
            .contains("retry-after: 1")
    );
}

#[test]
fn no_start_without_a_token_file_or_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let stage = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron");
    let tokens = dir.path().join("missing.json");
    let options = ServeOptions {
        addr: "127.0.0.1:0".parse().unwrap(),
        tokens: tokens.clone(),
        audit: dir.path().join("audit.jsonl"),
        ..Default::default()
    };
    let Err(e) = serve(&options, &stage) else {
        panic!("started without a token file")
    };
    assert!(matches!(e, ServeError::NoTokens(_)), "{e}");
    let m = e.to_string();
    assert!(
        m.contains("missing.json") && m.contains("parallax token add"),
        "{m}"
    );
    std::fs::write(&tokens, r#"{"tokens": []}"#).unwrap();
    assert!(matches!(
        serve(&options, &stage),
        Err(ServeError::NoTokens(_))
    ));
}

/// A removed token's open WebSockets close (the tryout's events socket kept receiving after the
/// DELETE): the socket reads a close frame, or the end of the stream, within a few seconds.
#[test]
fn removing_a_token_closes_its_sockets() {
    let r = start(100.0, None);
    let added = r.admin(
        "POST",
        "/api/tokens",
        r#"{"name": "temp", "role": "viewer"}"#,
    );
    assert_eq!(added.status, 200, "{}", added.body);
    let token = added.body["token"].as_str().unwrap().to_string();
    let mut s = TcpStream::connect(r.addr).unwrap();
    let upgrade = format!(
        "GET /ws/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        r.addr
    );
    s.write_all(upgrade.as_bytes()).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let mut got: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed before the upgrade");
        got.extend_from_slice(&buf[..n]);
        if let Some(k) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break k + 4;
        }
    };
    let head = String::from_utf8_lossy(&got[..head_end]).to_string();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let mut frames: Vec<u8> = got[head_end..].to_vec();
    let removed = r.admin("DELETE", "/api/tokens/temp", "");
    assert_eq!(removed.status, 200, "{}", removed.body);
    // Server frames are unmasked: opcode in the low bits of the first byte, then the length.
    let closed = |f: &[u8]| -> Option<bool> {
        let mut at = 0;
        while at + 2 <= f.len() {
            let (op, len7) = (f[at] & 0x0f, usize::from(f[at + 1] & 0x7f));
            let (len, head) = match len7 {
                126 if at + 4 <= f.len() => {
                    (usize::from(u16::from_be_bytes([f[at + 2], f[at + 3]])), 4)
                }
                126 | 127 => return None,
                n => (n, 2),
            };
            if op == 8 {
                return Some(true);
            }
            at += head + len;
        }
        Some(false)
    };
    let start = std::time::Instant::now();
    loop {
        if closed(&frames) == Some(true) {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => frames.extend_from_slice(&buf[..n]),
            Err(e) => panic!(
                "the removed token's socket is still open after {:?}: {e}",
                start.elapsed()
            ),
        }
    }
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

/// The errors axum answers by itself come as JSON too: a body over the limit (413, naming the
/// body as a whole) and a WebSocket route asked without the upgrade.
#[test]
fn axums_own_refusals_are_json() {
    let r = start(20.0, None);
    // A 3 MiB body (written beside the read: the server may answer before it has all of it).
    let mut s = TcpStream::connect(r.addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let n = 3 * 1024 * 1024;
    let mut request = format!(
        "POST /api/environment HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n",
        r.admin
    )
    .into_bytes();
    request.resize(request.len() + n, b' ');
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&request);
    });
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let _ = writer.join();
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{text:?}"));
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert_eq!(body["field"], ".");
    assert!(
        body["error"].as_str().unwrap().contains("2097152 bytes"),
        "{body}"
    );
    let a = r.admin("GET", "/ws/frames", "");
    assert!((400..500).contains(&a.status), "{}", a.status);
    a.assert_json_error();
}

/// A view that is none is 404 naming the views; a view whose first image is not encoded yet is
/// 503 with Retry-After (the tryout's 404 said "yet" for both).
#[test]
fn an_unknown_view_is_404_and_a_view_not_yet_encoded_503() {
    let r = start(20.0, None);
    let a = r.admin("GET", "/api/frames/nope.jpg", "");
    assert_eq!(a.status, 404, "{}", a.body);
    assert!(
        a.body["error"].as_str().unwrap().contains("output:NAME"),
        "{}",
        a.body
    );
    // tiny.ron's one output, and the camera: no frame is rendered (no live loop here).
    for view in ["camera.jpg", "output:main.jpg"] {
        let a = r.admin("GET", &format!("/api/frames/{view}"), "");
        assert_eq!(a.status, 503, "{view}: {}", a.body);
        assert!(a.head.contains("\r\nretry-after: 1"), "{}", a.head);
    }
}

/// A flood of requests without a valid token is coalesced in the audit log, every request
/// counted (the tryout's flood wrote one line per request).
#[test]
fn a_flood_without_a_token_is_coalesced_in_the_audit_log() {
    let r = start(100_000.0, None);
    for _ in 0..300 {
        assert_eq!(
            r.ask("GET", "/api/state", Some("Bearer wrong"), "").status,
            401
        );
    }
    let Running { dir, _hook, .. } = r;
    drop(_hook); // the run ends: the counted refusals are written
    let lines: Vec<Value> = std::fs::read_to_string(dir.path().join("audit.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let refused: Vec<&Value> = lines
        .iter()
        .filter(|l| l["outcome"] == "unauthorised")
        .collect();
    // One window (or two, on a slow machine): its first 20 lines and one for the rest.
    assert!(refused.len() <= 2 * 21, "{} lines", refused.len());
    let total: u64 = refused
        .iter()
        .map(|l| l["repeats"].as_u64().unwrap_or(1))
        .sum();
    assert_eq!(total, 300);
    assert!(
        refused.iter().all(|l| l["peer"] == "127.0.0.1"),
        "{refused:?}"
    );
}
