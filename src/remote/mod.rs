//! Remote review and control (`parallax run STAGE --serve ADDR`): an embedded HTTP server (axum,
//! TLS with rustls when a certificate and key are given) serving a web page with the live camera
//! view, the unwrapped wall and each output as JPEG frames over a WebSocket, a control API (REST
//! for state and changes, a WebSocket for events), bearer tokens with roles ([`access`]) and an
//! append-only audit log ([`audit`]). See docs/remote.md.
//!
//! Threads: the server runs on its own tokio runtime; changes are validated and resolved there
//! ([`control`]) and handed to the live loop, which swaps the new stage in between two frames
//! ([`RemoteHook`], a [`crate::live::FrameHook`]); frames are read back after a frame at the
//! stream rate and encoded on their own thread ([`stream`]).

pub mod access;
pub mod audit;
pub mod control;
mod hook;
pub mod rate;
pub mod server;
pub mod stream;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use hook::RemoteHook;
pub use server::{Server, serve};

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Where it listens (default `127.0.0.1:8080`: this machine only).
    pub addr: SocketAddr,
    /// PEM certificate chain and private key: HTTPS and WSS instead of HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The token file ([`access::TokenStore`]).
    pub tokens: PathBuf,
    /// The audit log ([`audit::AuditLog`]).
    pub audit: PathBuf,
    /// Largest width of a streamed image (0: full size).
    pub stream_width: u32,
    /// Streamed frames per second.
    pub stream_fps: f64,
    /// JPEG quality, 1..=100.
    pub jpeg_quality: u8,
    /// Requests per second allowed per token, and per peer address for requests without a
    /// valid token (sustained; bursts of twice that).
    pub rate_per_s: f64,
    /// Why `POST /api/save` may not write the stage file (409 with this message), e.g. the
    /// bundled demo stage runs; `None`: save writes it.
    pub save_refused: Option<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: None,
            tokens: PathBuf::from("parallax-tokens.json"),
            audit: PathBuf::from("parallax-audit.jsonl"),
            stream_width: 960,
            stream_fps: 10.0,
            jpeg_quality: 85,
            rate_per_s: 20.0,
            save_refused: None,
        }
    }
}

/// `--serve`'s address: `PORT` (on 127.0.0.1, this machine only) or `HOST:PORT`, where HOST is an
/// IP address (`0.0.0.0` for every interface, `[::1]` for IPv6) or a host name resolved by the
/// system (`localhost:8080`; its first address is used). Errors: a clear message, naming the
/// host when it does not resolve.
pub fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(addr);
    }
    // All digits but too large for a port: say so (not "give PORT or HOST:PORT").
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("--serve {s}: a port is 0..65535"));
    }
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(format!(
            "--serve {s:?}: give PORT or HOST:PORT (e.g. 8080, 127.0.0.1:8080, localhost:8080)"
        ));
    };
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(format!(
            "--serve {s:?}: give PORT or HOST:PORT with a port of 0..65535 (e.g. localhost:8080)"
        ));
    }
    match s.to_socket_addrs() {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| format!("--serve {s:?}: the host '{host}' has no address")),
        Err(e) => Err(format!(
            "--serve {s:?}: cannot resolve the host '{host}' ({e}); give an IP address or a \
             name this machine resolves"
        )),
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The certificate or key cannot be read.
    #[error("TLS certificate {cert} / key {key}: {message}")]
    Tls {
        cert: PathBuf,
        key: PathBuf,
        message: String,
    },
    /// The token file.
    #[error(transparent)]
    Tokens(#[from] access::TokenError),
    /// The token file does not exist or holds no token: every request would be refused.
    #[error(
        "the token file {0} does not exist or holds no token, so every request would be refused \
         (401): add one first with `parallax token add NAME --role admin --tokens {0}`"
    )]
    NoTokens(PathBuf),
    /// The audit log.
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    /// The stage file as the server holds it.
    #[error(transparent)]
    Stage(#[from] crate::stage::StageError),
    /// A thread or the runtime could not start.
    #[error("the server could not start: {0}")]
    Start(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::parse_addr;
    use std::net::SocketAddr;

    #[test]
    fn serve_addresses_ports_ips_and_host_names() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(parse_addr("8080"), Ok(at("127.0.0.1:8080")));
        assert_eq!(parse_addr("0.0.0.0:8443"), Ok(at("0.0.0.0:8443")));
        assert_eq!(parse_addr("[::1]:9000"), Ok(at("[::1]:9000")));
        // `localhost` resolves (to 127.0.0.1 or ::1, by the system's order): loopback either way.
        let local = parse_addr("localhost:8081").unwrap();
        assert!(local.ip().is_loopback(), "{local}");
        assert_eq!(local.port(), 8081);
        let e = parse_addr("no-such-host.invalid:8080").unwrap_err();
        assert!(
            e.contains("cannot resolve the host 'no-such-host.invalid'"),
            "{e}"
        );
        for bad in ["", "localhost", "localhost:http", ":80", "host:99999"] {
            assert!(parse_addr(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_addr("99999"),
            Err("--serve 99999: a port is 0..65535".into())
        );
    }
}
