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
    /// Requests per second allowed per token (sustained; bursts of twice that).
    pub rate_per_s: f64,
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
        }
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
