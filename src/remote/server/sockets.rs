//! The frames and events WebSockets (`/ws/frames`, `/ws/events`): opened by a token allowed to
//! `watch`, closed within a second once that token is removed.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast;

use super::http::Caller;
use super::{Action, Shared, StreamFrame};

/// A watcher's WebSocket: the token is checked (`watch`) and audited, then `serve` runs on the
/// upgraded socket.
fn watch_socket<F, Fut>(
    sh: Arc<Shared>,
    caller: &Caller,
    route: &str,
    ws: WebSocketUpgrade,
    serve: F,
) -> Response
where
    F: FnOnce(WebSocket, Arc<Shared>, String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let who = match sh.guard(caller, Action::Watch, None) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    sh.audit_watch(&who, route);
    let token = caller.token.clone().unwrap_or_default();
    ws.on_upgrade(move |socket| serve(socket, sh, token))
}

/// How often a quiet socket checks that its token still holds: a removed token's sockets close
/// within this (a socket with traffic checks before each message).
const TOKEN_CHECK: Duration = Duration::from_secs(1);

/// Whether `token` was removed since its socket opened (`DELETE /api/tokens/NAME`).
fn revoked(sh: &Shared, token: &str) -> bool {
    sh.tokens.lock().map_or(true, |t| t.check(token).is_none())
}

/// The next message of `rx` for a socket of `token`: `None` when the socket is to close (the
/// token removed, or the sender gone).
async fn next_for<T: Clone>(
    rx: &mut broadcast::Receiver<T>,
    sh: &Shared,
    token: &str,
) -> Option<T> {
    loop {
        if revoked(sh, token) {
            return None;
        }
        match tokio::time::timeout(TOKEN_CHECK, rx.recv()).await {
            Err(_) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            Ok(Ok(m)) => {
                if revoked(sh, token) {
                    return None;
                }
                return Some(m);
            }
        }
    }
}

pub(super) async fn ws_frames(
    State(sh): State<Arc<Shared>>,
    caller: Caller,
    ws: WebSocketUpgrade,
) -> Response {
    watch_socket(sh, &caller, "/ws/frames", ws, send_frames)
}

async fn send_frames(mut socket: WebSocket, sh: Arc<Shared>, token: String) {
    let mut rx = sh.frames.subscribe();
    let first: Vec<Arc<StreamFrame>> = sh
        .latest
        .lock()
        .map(|l| l.values().cloned().collect())
        .unwrap_or_default();
    let mut pending = first.into_iter();
    loop {
        let f = match pending.next() {
            Some(f) => f,
            None => match next_for(&mut rx, &sh, &token).await {
                Some(f) => f,
                None => break,
            },
        };
        if socket
            .send(Message::Binary(f.message().into()))
            .await
            .is_err()
        {
            return;
        }
    }
    close(&mut socket, &sh, &token).await;
}

/// Closes a socket saying why: 1008 (policy) "token removed" when its token was removed, else
/// 1001 (going away: the server stops).
async fn close(socket: &mut WebSocket, sh: &Shared, token: &str) {
    let (code, reason) = if revoked(sh, token) {
        (1008, "token removed")
    } else {
        (1001, "the server stops")
    };
    let frame = axum::extract::ws::CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

pub(super) async fn ws_events(
    State(sh): State<Arc<Shared>>,
    caller: Caller,
    ws: WebSocketUpgrade,
) -> Response {
    watch_socket(sh, &caller, "/ws/events", ws, send_events)
}

async fn send_events(mut socket: WebSocket, sh: Arc<Shared>, token: String) {
    let mut rx = sh.events.subscribe();
    while let Some(text) = next_for(&mut rx, &sh, &token).await {
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    close(&mut socket, &sh, &token).await;
}
