//! The HTTP side of every route: who asks ([`Caller`]: the bearer token and the peer's
//! address), and the JSON answers for routes that are not (404) or methods a route does not
//! take (405), and for the rate limit (429 with `Retry-After`); every other error axum answers by
//! itself (a body over the limit: 413, a WebSocket request without the upgrade: 400 or 426) made
//! JSON like Parallax's own ([`json_errors`]).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Path};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header, request::Parts};
use axum::response::Response;

/// The most a request body may hold (axum's default limit, stated here so that the 413 can say).
pub(super) const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Makes every error answer JSON (`{"error": ..., "field": ...}`): axum's own rejections (413,
/// WebSocket upgrade errors) come as plain text. Other headers (`Retry-After`, `Allow`) are kept.
pub(super) async fn json_errors(r: Response) -> Response {
    let status = r.status();
    let json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return r;
    }
    let (parts, body) = r.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (message, field) = if status == StatusCode::PAYLOAD_TOO_LARGE {
        (
            format!("the request body is larger than {BODY_LIMIT} bytes"),
            Some("."),
        )
    } else if text.is_empty() {
        (
            status.canonical_reason().unwrap_or("error").to_string(),
            None,
        )
    } else {
        (text, None)
    };
    let mut out = error(status, &message, field);
    for (k, v) in &parts.headers {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

use super::{edit_action, error};

/// Any route that is not one: 404 with a JSON error, like the others.
pub(super) async fn not_found(uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("no route {} (see docs/remote.md)", uri.path()),
        None,
    )
}

/// A route asked with a method it does not take: 405 with a JSON error.
pub(super) async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("{} does not take {method}", uri.path()),
        None,
    )
}

/// `/api/NAME` with another method than POST: 405 for an edit route, 404 for a name that is none.
pub(super) async fn api_other_method(
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
) -> Response {
    match edit_action(&name) {
        Some(_) => method_not_allowed(method, uri).await,
        None => not_found(uri).await,
    }
}

/// The bearer token: `Authorization: Bearer TOKEN` (the scheme in any case, RFC 7235 section
/// 2.1), else `?token=TOKEN`.
pub(crate) fn bearer(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some((scheme, t)) = v.trim_start().split_once(' ')
        && scheme.eq_ignore_ascii_case("bearer")
    {
        return Some(t.trim().to_string());
    }
    uri.query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .map(str::to_string)
}

/// Who asks: the bearer token given (if any) and the peer's address (for the rate limit of
/// requests without a valid token).
pub(crate) struct Caller {
    pub(super) token: Option<String>,
    pub(super) peer: IpAddr,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller {
            token: bearer(&parts.headers, &parts.uri),
            peer: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip()),
        })
    }
}

/// 429 with `Retry-After` (whole seconds).
pub(super) fn too_many(message: &str, retry_after_s: u64) -> Response {
    let mut r = error(StatusCode::TOO_MANY_REQUESTS, message, None);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    r
}
