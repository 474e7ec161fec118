//! The HTTP server: routes, bearer-token checks (401 without a valid token, 403 with a message when
//! the role may not, 429 past the rate limit), each request that acts audited, and the
//! WebSockets (frames, events). See docs/remote.md for the API.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};
use tokio::sync::{broadcast, oneshot};

use super::access::{Action, StoredToken, TokenStore, allowed, refusal};
use super::audit::{AuditLine, AuditLog};
use super::control::{self, Edit, EditError};
use super::rate::{Key, RateLimiter};
use super::stream::StreamFrame;
use super::{RemoteHook, ServeError, ServeOptions};
use save::save;
use sockets::{ws_events, ws_frames};
use tokens::{tokens_add, tokens_list, tokens_remove};

mod http;
mod save;
mod sockets;
mod tokens;
use crate::stage::file::Stage as StageFile;
pub(crate) use http::Caller;
use http::{api_other_method, method_not_allowed, not_found, too_many};

/// A change handed to the live loop.
pub(crate) struct ToLoop {
    pub stage: Box<crate::stage::Stage>,
    /// The frame from which it applies, or why it could not be swapped in.
    pub reply: oneshot::Sender<Result<u64, String>>,
}

/// What the server's handlers and the loop's hook share.
pub(crate) struct Shared {
    pub stage_path: PathBuf,
    /// The stage file as the server holds it; edits are serialised on this lock.
    pub file: tokio::sync::Mutex<StageFile>,
    pub tokens: Mutex<TokenStore>,
    pub audit: AuditLog,
    rate: Mutex<RateLimiter>,
    /// Why `save` may not write the stage file ([`ServeOptions::save_refused`]).
    save_refused: Option<String>,
    pub to_loop: Mutex<std::sync::mpsc::Sender<ToLoop>>,
    /// The latest frame's figures (JSON), see [`RemoteHook`].
    pub status: Mutex<Value>,
    /// Events for the events WebSocket (JSON text).
    pub events: broadcast::Sender<String>,
    /// Encoded frames for the frames WebSocket.
    pub frames: broadcast::Sender<Arc<StreamFrame>>,
    /// The newest frame of each view.
    pub latest: Mutex<BTreeMap<String, Arc<StreamFrame>>>,
    /// When a frame image was last asked for (`GET /api/frames/...`).
    pub polled: Mutex<Option<Instant>>,
    /// The loop's notes of the stage file's own writes (set by the hook on its first frame when
    /// the loop watches the file): a save notes its text, so its reload does not replace edits
    /// made after it.
    pub own_writes: Mutex<Option<crate::live::reload::OwnWrites>>,
}

impl Shared {
    /// Whether anyone watches the frames: a frames WebSocket open, or a frame image asked for in
    /// the last 5 s, or none encoded yet. Frames are read back and encoded at the stream rate
    /// only then (otherwise at 2 Hz at most).
    pub fn watched(&self) -> bool {
        self.frames.receiver_count() > 0
            || self.latest.lock().is_ok_and(|l| l.is_empty())
            || self
                .polled
                .lock()
                .is_ok_and(|p| p.is_some_and(|t| t.elapsed() < Duration::from_secs(5)))
    }
}

/// The running server.
#[derive(Debug)]
pub struct Server {
    /// The address it listens on (the real port when 0 was asked).
    pub addr: SocketAddr,
    /// `http://ADDR/` or `https://ADDR/`.
    pub url: String,
}

/// Starts the server for the stage file at `stage_path` on its own thread and returns it with
/// the hook to add to the live loop ([`crate::live::LiveLoop::add_hook`]). Errors: the address,
/// TLS files, token file, audit log or stage file.
pub fn serve(
    options: &ServeOptions,
    stage_path: &std::path::Path,
) -> Result<(Server, RemoteHook), ServeError> {
    let tokens = TokenStore::open(&options.tokens)?;
    // Without a token every request would be refused (401): a server nobody can use.
    if !options.tokens.is_file() || tokens.tokens().is_empty() {
        return Err(ServeError::NoTokens(options.tokens.clone()));
    }
    let audit = AuditLog::open(&options.audit)?;
    let text =
        std::fs::read_to_string(stage_path).map_err(|source| crate::stage::StageError::Io {
            path: stage_path.to_path_buf(),
            source,
        })?;
    let file = crate::stage::parse(&text, &stage_path.display().to_string())?;
    let listener =
        std::net::TcpListener::bind(options.addr).map_err(|source| ServeError::Bind {
            addr: options.addr,
            source,
        })?;
    let addr = listener.local_addr()?;
    let (tx, rx) = std::sync::mpsc::channel();
    let shared = Arc::new(Shared {
        stage_path: stage_path.to_path_buf(),
        file: tokio::sync::Mutex::new(file),
        tokens: Mutex::new(tokens),
        audit,
        rate: Mutex::new(RateLimiter::new(options.rate_per_s)),
        save_refused: options.save_refused.clone(),
        to_loop: Mutex::new(tx),
        status: Mutex::new(json!({})),
        events: broadcast::channel(256).0,
        frames: broadcast::channel(64).0,
        latest: Mutex::new(BTreeMap::new()),
        polled: Mutex::new(None),
        own_writes: Mutex::new(None),
    });
    let hook = RemoteHook::new(shared.clone(), rx, options)?;
    let app = router(shared.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("remote server")
        .on_thread_start(yield_to_the_render_loop)
        .enable_io()
        .enable_time()
        .build()?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let run: std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>> =
        match &options.tls {
            Some((cert, key)) => {
                let config = rt
                    .block_on(axum_server::tls_rustls::RustlsConfig::from_pem_file(
                        cert, key,
                    ))
                    .map_err(|e| ServeError::Tls {
                        cert: cert.clone(),
                        key: key.clone(),
                        message: e.to_string(),
                    })?;
                let server = {
                    let _guard = rt.enter();
                    axum_server::tls_rustls::from_tcp_rustls(listener, config)?
                };
                Box::pin(server.serve(app.into_make_service_with_connect_info::<SocketAddr>()))
            }
            None => {
                let server = {
                    let _guard = rt.enter();
                    axum_server::from_tcp(listener)?
                };
                Box::pin(server.serve(app.into_make_service_with_connect_info::<SocketAddr>()))
            }
        };
    // Coalesced refusals are written when their window ends (audit.rs).
    rt.spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            shared.audit.flush_repeats(false);
        }
    });
    std::thread::Builder::new()
        .name("remote server".into())
        .spawn(move || {
            if let Err(e) = rt.block_on(run) {
                log::error!("the remote server stopped: {e}");
            }
        })?;
    Ok((
        Server {
            addr,
            url: format!("{scheme}://{addr}/"),
        },
        hook,
    ))
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/state", get(state))
        .route("/api/frames/{view}", get(frame_jpeg))
        .route("/api/save", post(save))
        .route("/api/tokens", get(tokens_list).post(tokens_add))
        .route("/api/tokens/{name}", delete(tokens_remove))
        .route("/api/{action}", post(edit).fallback(api_other_method))
        .route("/ws/frames", get(ws_frames))
        .route("/ws/events", get(ws_events))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(http::BODY_LIMIT))
        .layer(axum::middleware::map_response(http::json_errors))
        .with_state(shared)
}

/// The edit routes: `POST /api/NAME`.
pub fn edit_action(name: &str) -> Option<Action> {
    Some(match name {
        "environment" => Action::EnvironmentYaw,
        "grade" => Action::Grade,
        "light_cards" => Action::LightCard,
        "content" => Action::Content,
        "frustum" => Action::Frustum,
        "freeze_outer" => Action::FreezeOuter,
        "camera" => Action::Camera,
        _ => return None,
    })
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn error(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    json_response(status, &json!({"error": message, "field": field}))
}

impl Shared {
    fn line(&self, who: Option<&StoredToken>, action: Action, outcome: &str) -> AuditLine {
        AuditLine {
            token: who.map(|t| t.name.clone()),
            role: who.map(|t| t.role.name().to_string()),
            action: action.name().to_string(),
            outcome: outcome.to_string(),
            ..Default::default()
        }
    }

    /// Audits a `watch` by `who` of `route` (the state, a WebSocket): one line naming the route.
    pub(crate) fn audit_watch(&self, who: &StoredToken, route: &str) {
        self.audit.append(AuditLine {
            request: Some(json!({ "route": route })),
            ..self.line(Some(who), Action::Watch, "ok")
        });
    }

    /// Checks the token, the rate and the role for `action`; a refusal is audited and returned
    /// as the response. Requests without a valid token count against their peer's address
    /// (so that a flood of them cannot starve the server), the others against their token.
    pub(crate) fn guard(
        &self,
        caller: &Caller,
        action: Action,
        request: Option<&Value>,
    ) -> Result<StoredToken, Box<Response>> {
        let who = caller
            .token
            .as_deref()
            .and_then(|t| self.tokens.lock().ok()?.check(t).cloned());
        let key = match &who {
            Some(w) => Key::Token(w.name.clone()),
            None => Key::Peer(caller.peer),
        };
        if let Err(retry_after_s) = self.take_rate(key) {
            let (caller_name, peer) = refused_caller(who.as_ref(), caller);
            let per = if who.is_some() {
                "token"
            } else {
                "address without a valid token"
            };
            let rate = self.rate.lock().map_or(0.0, |r| r.rate());
            let message = format!("rate limit: {rate} requests per second per {per}");
            self.audit.append_refusal(
                &caller_name,
                AuditLine {
                    request: request.cloned(),
                    message: Some(message.clone()),
                    peer,
                    ..self.line(who.as_ref(), action, "rate_limited")
                },
            );
            return Err(Box::new(too_many(&message, retry_after_s)));
        }
        let Some(who) = who else {
            let (caller_name, peer) = refused_caller(None, caller);
            let message = "a valid bearer token is needed (Authorization: Bearer TOKEN)";
            self.audit.append_refusal(
                &caller_name,
                AuditLine {
                    request: request.cloned(),
                    message: Some(message.into()),
                    peer,
                    ..self.line(None, action, "unauthorised")
                },
            );
            let mut r = error(StatusCode::UNAUTHORIZED, message, None);
            // RFC 6750 section 3: the scheme a 401 asks for.
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"parallax\""),
            );
            return Err(Box::new(r));
        };
        if !allowed(who.role, action) {
            let message = refusal(who.role, action);
            self.audit.append(AuditLine {
                request: request.cloned(),
                message: Some(message.clone()),
                ..self.line(Some(&who), action, "refused")
            });
            return Err(Box::new(error(StatusCode::FORBIDDEN, &message, None)));
        }
        Ok(who)
    }

    /// One request for `key` ([`RateLimiter`]): `Err` holds the seconds to wait.
    fn take_rate(&self, key: Key) -> Result<(), u64> {
        match self.rate.lock() {
            Ok(mut r) => r.take(key, Instant::now()),
            Err(_) => Ok(()),
        }
    }

    fn event(&self, value: Value) {
        let _ = self.events.send(value.to_string());
    }
}

async fn page() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("page.html"),
    )
        .into_response()
}

async fn state(State(sh): State<Arc<Shared>>, caller: Caller) -> Response {
    let who = match sh.guard(&caller, Action::Watch, None) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    sh.audit_watch(&who, "GET /api/state");
    let file = serde_json::to_value(&*sh.file.lock().await).unwrap_or(Value::Null);
    let status = sh.status.lock().map(|s| s.clone()).unwrap_or(Value::Null);
    json_response(
        StatusCode::OK,
        &json!({"stage_file": sh.stage_path.display().to_string(), "stage": file, "status": status,
                "you": {"token": who.name, "role": who.role}}),
    )
}

async fn frame_jpeg(
    State(sh): State<Arc<Shared>>,
    Path(view): Path<String>,
    caller: Caller,
) -> Response {
    if let Err(r) = sh.guard(&caller, Action::Watch, None) {
        return *r;
    }
    if let Ok(mut p) = sh.polled.lock() {
        *p = Some(Instant::now());
    }
    let view = view.strip_suffix(".jpg").unwrap_or(&view).to_string();
    let f = sh.latest.lock().ok().and_then(|l| l.get(&view).cloned());
    match f {
        Some(f) => (
            [
                (header::CONTENT_TYPE, "image/jpeg".to_string()),
                (
                    header::HeaderName::from_static("x-parallax-frame"),
                    f.frame.to_string(),
                ),
            ],
            f.jpeg.clone(),
        )
            .into_response(),
        None => {
            let outputs: Vec<String> = sh
                .file
                .lock()
                .await
                .outputs
                .iter()
                .map(|o| o.name.clone())
                .collect();
            let known = view == "camera"
                || view == "wall"
                || view
                    .strip_prefix("output:")
                    .is_some_and(|n| outputs.iter().any(|o| o == n));
            if known {
                // The view exists; its first image is read back within a second of the start.
                let mut r = error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("no image of view '{view}' encoded so far: ask again in a second"),
                    None,
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(1));
                r
            } else {
                error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "no view '{view}': the views are camera, wall and output:NAME (outputs: {})",
                        outputs.join(", ")
                    ),
                    None,
                )
            }
        }
    }
}

async fn edit(
    State(sh): State<Arc<Shared>>,
    Path(name): Path<String>,
    caller: Caller,
    body: Bytes,
) -> Response {
    let Some(action) = edit_action(&name) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("no route /api/{name} (see docs/remote.md)"),
            None,
        );
    };
    let request: Option<Value> = serde_json::from_slice(&body).ok();
    let who = match sh.guard(&caller, action, request.as_ref()) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let line = |outcome: &str, message: Option<String>| AuditLine {
        request: request.clone(),
        message,
        ..sh.line(Some(&who), action, outcome)
    };
    let parsed = Edit::parse(action, &body).unwrap_or_else(|| {
        Err(control::BadBody {
            field: ".".into(),
            message: "not an edit".into(),
        })
    });
    let edit = match parsed {
        Ok(e) => e,
        Err(bad) => {
            sh.audit.append(line("invalid", Some(bad.to_string())));
            return error(StatusCode::BAD_REQUEST, &bad.message, Some(&bad.field));
        }
    };
    let mut file = sh.file.lock().await;
    let mut new = file.clone();
    let (before, after) = match control::apply(&edit, &mut new)
        .and_then(|v| control::check_files(&edit, &sh.stage_path).map(|()| v))
    {
        Ok(v) => v,
        Err(e) => return refuse_edit(&sh, line("invalid", Some(e.to_string())), &e),
    };
    // Nothing to change (e.g. `{"layer": "outer"}`): no rebuild, not audited as a change.
    if new == *file {
        drop(file);
        sh.audit.append(line(
            "unchanged",
            Some("nothing to change: the stage is already so".into()),
        ));
        return json_response(
            StatusCode::OK,
            &json!({"action": action.name(), "changed": false, "before": before, "after": after,
                    "from_frame": null}),
        );
    }
    let path = sh.stage_path.clone();
    let resolved =
        tokio::task::spawn_blocking(move || control::resolve(&new, &path).map(|s| (s, new)))
            .await
            .unwrap_or_else(|e| {
                Err(EditError::Stage {
                    field: "stage".into(),
                    message: e.to_string(),
                })
            });
    let (stage, new) = match resolved {
        Ok(v) => v,
        Err(e) => return refuse_edit(&sh, line("invalid", Some(e.to_string())), &e),
    };
    let (reply, wait) = oneshot::channel();
    let sent = sh
        .to_loop
        .lock()
        .map(|tx| {
            tx.send(ToLoop {
                stage: Box::new(stage),
                reply,
            })
            .is_ok()
        })
        .unwrap_or(false);
    let applied = match sent {
        true => match tokio::time::timeout(Duration::from_secs(120), wait).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err("the live loop has stopped".to_string()),
            Err(_) => Err("the live loop did not apply the change within 120 s".to_string()),
        },
        false => Err("the live loop has stopped".to_string()),
    };
    match applied {
        Ok(frame) => {
            let warnings = control::warnings(&new);
            *file = new;
            drop(file);
            sh.audit.append(AuditLine {
                before: Some(before.clone()),
                after: Some(after.clone()),
                ..line("ok", None)
            });
            sh.event(
                json!({"type": "change", "action": action.name(), "token": who.name,
                            "before": before, "after": after, "frame": frame}),
            );
            json_response(
                StatusCode::OK,
                &json!({"action": action.name(), "changed": true, "before": before, "after": after,
                        "from_frame": frame, "warnings": warnings}),
            )
        }
        Err(message) => {
            sh.audit.append(AuditLine {
                before: Some(before.clone()),
                after: Some(before),
                ..line("failed", Some(message.clone()))
            });
            error(StatusCode::SERVICE_UNAVAILABLE, &message, None)
        }
    }
}

/// Whom a refusal a flood repeats (401, 429) is coalesced under in the audit log
/// ([`AuditLog::append_refusal`]), and the peer's address for a request without a valid token.
fn refused_caller(who: Option<&StoredToken>, caller: &Caller) -> (String, Option<String>) {
    match who {
        Some(w) => (format!("token {}", w.name), None),
        None => (
            format!("address {}", caller.peer),
            Some(caller.peer.to_string()),
        ),
    }
}

fn refuse_edit(sh: &Shared, line: AuditLine, e: &EditError) -> Response {
    sh.audit.append(line);
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        e.message(),
        Some(e.field()),
    )
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;

/// Nice value of the remote server's threads: on a loaded machine the scheduler gives the render
/// loop (nice 0) the CPU first, so a flood of requests slows the answers, not the wall.
pub const SERVER_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`SERVER_NICE`] (Linux: `setpriority` on
/// the thread's id; elsewhere nothing). A failure leaves the priority as it was.
fn yield_to_the_render_loop() {
    #[cfg(target_os = "linux")]
    // SAFETY: `gettid` and `setpriority` take and return plain integers; no memory is shared.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, SERVER_NICE);
    }
}
