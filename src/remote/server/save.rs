//! `POST /api/save`: writes the stage file the server holds, atomically (RON); its body is `{}`
//! or none (any field refused), and it is refused (409) while the bundled demo stage runs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::{Caller, Shared, error, json_response};
use crate::remote::access::Action;
use crate::remote::audit::AuditLine;
use crate::remote::control;

/// `POST /api/save`'s body: `{}` (or none); any field is refused.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveBody {}

pub(super) async fn save(State(sh): State<Arc<Shared>>, caller: Caller, body: Bytes) -> Response {
    let request: Option<Value> = serde_json::from_slice(&body).ok();
    let who = match sh.guard(&caller, Action::Save, request.as_ref()) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let invalid = |status: StatusCode, message: &str, field: Option<&str>| {
        sh.audit.append(AuditLine {
            request: request.clone(),
            message: Some(message.to_string()),
            ..sh.line(Some(&who), Action::Save, "invalid")
        });
        error(status, message, field)
    };
    let blank = body.iter().all(u8::is_ascii_whitespace);
    if !blank && let Err(bad) = control::parse_body::<SaveBody>(&body) {
        return invalid(StatusCode::BAD_REQUEST, &bad.message, Some(&bad.field));
    }
    if let Some(why) = &sh.save_refused {
        return invalid(StatusCode::CONFLICT, why, None);
    }
    let file = sh.file.lock().await;
    let path = sh.stage_path.clone();
    let own = sh.own_writes.lock().ok().and_then(|o| o.clone());
    let written = control::to_ron(&file).and_then(|text| {
        // The watcher's reload of this text would replace edits made after it.
        if let Some(own) = &own {
            own.note(&text);
        }
        crate::io::write_atomic(&path, text.as_bytes()).map_err(|e| e.to_string())
    });
    drop(file);
    let after = json!({"path": path.display().to_string()});
    match written {
        Ok(()) => {
            sh.audit.append(AuditLine {
                after: Some(after.clone()),
                ..sh.line(Some(&who), Action::Save, "ok")
            });
            sh.event(json!({"type": "saved", "token": who.name, "path": after["path"]}));
            json_response(StatusCode::OK, &json!({"saved": after["path"]}))
        }
        Err(m) => {
            sh.audit.append(AuditLine {
                message: Some(m.clone()),
                ..sh.line(Some(&who), Action::Save, "failed")
            });
            error(StatusCode::INTERNAL_SERVER_ERROR, &m, None)
        }
    }
}
