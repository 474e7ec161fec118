//! The admin's token routes: `GET /api/tokens` (names and roles), `POST /api/tokens` (a new
//! token, returned once), `DELETE /api/tokens/NAME`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Caller, Shared, error, json_response};
use crate::remote::access::{Action, Role};
use crate::remote::audit::AuditLine;
use crate::remote::control;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    role: Role,
}

pub(super) async fn tokens_list(State(sh): State<Arc<Shared>>, caller: Caller) -> Response {
    let who = match sh.guard(&caller, Action::Tokens, None) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    sh.audit.append(sh.line(Some(&who), Action::Tokens, "ok"));
    let list: Vec<Value> = sh
        .tokens
        .lock()
        .map(|t| {
            t.tokens()
                .iter()
                .map(|t| json!({"name": t.name, "role": t.role}))
                .collect()
        })
        .unwrap_or_default();
    json_response(StatusCode::OK, &json!({"tokens": list}))
}

pub(super) async fn tokens_add(
    State(sh): State<Arc<Shared>>,
    caller: Caller,
    body: Bytes,
) -> Response {
    let request: Option<Value> = serde_json::from_slice(&body).ok();
    let who = match sh.guard(&caller, Action::Tokens, request.as_ref()) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let line = |outcome: &str, message: Option<String>| AuditLine {
        request: request.clone(),
        message,
        ..sh.line(Some(&who), Action::Tokens, outcome)
    };
    let new: NewToken = match control::parse_body(&body) {
        Ok(n) => n,
        Err(bad) => {
            sh.audit.append(line("invalid", Some(bad.to_string())));
            return error(StatusCode::BAD_REQUEST, &bad.message, Some(&bad.field));
        }
    };
    let added = sh
        .tokens
        .lock()
        .map_err(|e| e.to_string())
        .and_then(|mut t| t.add(&new.name, new.role).map_err(|e| e.to_string()));
    match added {
        Ok(token) => {
            let after = json!({"name": new.name, "role": new.role});
            sh.audit.append(AuditLine {
                after: Some(after),
                ..line("ok", None)
            });
            json_response(
                StatusCode::OK,
                &json!({"name": new.name, "role": new.role, "token": token}),
            )
        }
        Err(m) => {
            sh.audit.append(line("invalid", Some(m.clone())));
            error(StatusCode::UNPROCESSABLE_ENTITY, &m, Some("name"))
        }
    }
}

pub(super) async fn tokens_remove(
    State(sh): State<Arc<Shared>>,
    Path(name): Path<String>,
    caller: Caller,
) -> Response {
    let request = json!({"name": name});
    let who = match sh.guard(&caller, Action::Tokens, Some(&request)) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let removed = sh
        .tokens
        .lock()
        .map_err(|e| e.to_string())
        .and_then(|mut t| t.remove(&name).map_err(|e| e.to_string()));
    let line = |outcome: &str| AuditLine {
        request: Some(request.clone()),
        ..sh.line(Some(&who), Action::Tokens, outcome)
    };
    match removed {
        Ok(t) => {
            sh.audit.append(AuditLine {
                before: Some(json!({"name": t.name, "role": t.role})),
                ..line("ok")
            });
            json_response(StatusCode::OK, &json!({"removed": t.name}))
        }
        Err(m) => {
            sh.audit.append(AuditLine {
                message: Some(m.clone()),
                ..line("invalid")
            });
            error(StatusCode::NOT_FOUND, &m, Some("name"))
        }
    }
}
