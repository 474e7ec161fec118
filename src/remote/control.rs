//! Changes a remote client asks for: each request body is parsed strictly (unknown fields refused;
//! a bad body names the field at fault), applied to the stage **file** as the server holds it
//! ([`crate::stage::file::Stage`]), and the edited file is resolved through the same path as a
//! stage reload ([`crate::stage::load_text`]: text, parse, build, validate, LUTs). Only a stage
//! that resolves is handed to the live loop, which swaps it in between two frames
//! ([`crate::live::LiveLoop::apply_stage`]). `save` writes the held file (RON) atomically.

use serde_json::Value;

use super::access::Action;
use crate::colour::grade::Grade;
use crate::stage::cards::LightCard;
use crate::stage::file::{OverscanFile, SceneItemFile, Stage as StageFile};

mod body;
pub use body::{
    BadBody, CameraBody, CardBody, CardOp, ContentBody, FreezeBody, FrustumBody, GradeBody, Layer,
    YawBody, merge_grade, parse_body,
};

/// A change to the stage, parsed and ready to apply.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// [`YawBody`].
    EnvironmentYaw(YawBody),
    /// [`GradeBody`].
    Grade(GradeBody),
    /// [`CardBody`].
    LightCard(Box<CardBody>),
    /// [`ContentBody`].
    Content(ContentBody),
    /// [`FrustumBody`].
    Frustum(FrustumBody),
    /// [`FreezeBody`].
    FreezeOuter(FreezeBody),
    /// [`CameraBody`].
    Camera(CameraBody),
}

impl Edit {
    /// Parses the body of a request for `action`. `None`: the action is not an edit.
    pub fn parse(action: Action, body: &[u8]) -> Option<Result<Edit, BadBody>> {
        Some(match action {
            Action::EnvironmentYaw => parse_body(body).map(Edit::EnvironmentYaw),
            Action::Grade => parse_body::<GradeBody>(body).and_then(|g| {
                // The patch's types are checked here (400), its ranges when it is applied (422).
                if let Some(p) = &g.grade {
                    if g.exposure.is_some() && p.contains_key("exposure") {
                        return Err(BadBody {
                            field: "grade.exposure".into(),
                            message: "exposure is given twice, as exposure and as \
                                      grade.exposure: give one"
                                .into(),
                        });
                    }
                    merge_grade(&Grade::default(), p)?;
                }
                Ok(Edit::Grade(g))
            }),
            Action::LightCard => parse_body::<CardBody>(body)
                .and_then(|b| b.check_fields().map(|()| Edit::LightCard(Box::new(b)))),
            Action::Content => parse_body(body).map(Edit::Content),
            Action::Frustum => parse_body(body).map(Edit::Frustum),
            Action::FreezeOuter => parse_body(body).map(Edit::FreezeOuter),
            Action::Camera => parse_body(body).map(Edit::Camera),
            Action::Watch | Action::Save | Action::Tokens => return None,
        })
    }
}

/// Why an edit was refused before reaching the loop: HTTP 422 (the body parsed but cannot be
/// applied), always naming the field at fault.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EditError {
    /// A value out of range, a name that matches nothing, a file that is not there: the body's
    /// field and why.
    #[error("{message} (at {field})")]
    Field {
        /// The body's field at fault (`card.intensity_nits`, `scene[1].path`).
        field: String,
        /// Why.
        message: String,
    },
    /// The edited stage does not resolve: the field of the stage file at fault (as in `GET
    /// /api/state`'s `stage`, e.g. `light_cards[2].intensity_nits`; `stage` when no one field
    /// is), and every problem (without line numbers: the edited text exists only in memory).
    #[error("the edited stage does not resolve: {message} (at {field})")]
    Stage {
        /// The stage file's field at fault.
        field: String,
        /// The problems, `; `-separated.
        message: String,
    },
}

impl EditError {
    /// The field at fault.
    pub fn field(&self) -> &str {
        match self {
            EditError::Field { field, .. } | EditError::Stage { field, .. } => field,
        }
    }

    /// Why, without the field.
    pub fn message(&self) -> &str {
        match self {
            EditError::Field { message, .. } | EditError::Stage { message, .. } => message,
        }
    }
}

fn field(field: &str, message: impl Into<String>) -> EditError {
    EditError::Field {
        field: field.to_string(),
        message: message.into(),
    }
}

/// A file a remote edit names must lie in the stage file's folder or below it: a relative path
/// without `..` (no absolute path, no drive or root). Otherwise an artist could put any image the
/// server can read on the wall, or probe which files exist. (A symbolic link inside the folder is
/// followed: what the stage folder holds is the stage team's choice.)
fn beside_stage(name: &str, path: &str) -> Result<(), EditError> {
    use std::path::Component;
    let ok = std::path::Path::new(path)
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if ok {
        Ok(())
    } else {
        Err(field(
            name,
            format!(
                "'{path}': a remote edit may only name files in the stage file's folder or below \
                 it (a relative path without '..')"
            ),
        ))
    }
}

fn finite(name: &str, x: f64, lo: f64, hi: f64) -> Result<f64, EditError> {
    if x.is_finite() && (lo..=hi).contains(&x) {
        Ok(x)
    } else {
        Err(field(name, format!("{x} must be within {lo}..{hi}")))
    }
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn camera_index(file: &StageFile, name: &str) -> Result<usize, EditError> {
    file.cameras
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = file.cameras.iter().map(|c| c.name.as_str()).collect();
            field(
                "camera",
                format!("no camera named '{name}' (cameras: {})", names.join(", ")),
            )
        })
}

fn card_index(file: &StageFile, name: &str) -> Result<usize, EditError> {
    file.light_cards
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| field("name", format!("no light card named '{name}'")))
}

/// Applies `edit` to `file` (range and name checks here; the whole stage is validated when it is
/// resolved). Returns the edited part's value before and after, as JSON, for the audit log.
pub fn apply(edit: &Edit, file: &mut StageFile) -> Result<(Value, Value), EditError> {
    match edit {
        Edit::EnvironmentYaw(b) => {
            let before = json(&file.render.environment_yaw_deg);
            file.render.environment_yaw_deg = finite("yaw_deg", b.yaw_deg, -360.0, 360.0)?;
            Ok((before, json(&file.render.environment_yaw_deg)))
        }
        Edit::Grade(b) => {
            let g = match b.layer {
                Layer::Inner => &mut file.colour.inner,
                Layer::Outer => &mut file.colour.outer,
                Layer::Cards => &mut file.colour.cards,
            };
            let before = json(g);
            let mut new = match &b.grade {
                Some(patch) => merge_grade(g, patch).map_err(|e| field(&e.field, e.message))?,
                None => *g,
            };
            if let Some(e) = b.exposure {
                new.exposure = e;
            }
            if let Some(p) = new.problems().into_iter().next() {
                // The problem starts with the grade's field (`cdl.slope[1] = -1 is negative`).
                let name = p.split([' ', '=']).next().unwrap_or_default();
                let at = if name == "exposure" && b.exposure.is_some() {
                    "exposure".to_string()
                } else {
                    format!("grade.{name}")
                };
                return Err(field(&at, p));
            }
            *g = new;
            Ok((before, json(g)))
        }
        Edit::LightCard(b) => card(b, file),
        Edit::Content(b) => {
            let r = &mut file.render;
            let before = serde_json::json!({
                "environment": r.environment, "test_scene": r.test_scene, "scene": json(&file.scene)
            });
            for (i, item) in b.scene.iter().flatten().enumerate() {
                let SceneItemFile::Gltf { path, .. } = item;
                beside_stage(&format!("scene[{i}].path"), path)?;
            }
            if let Some(env) = &b.environment {
                if let Some(p) = env {
                    if p.trim().is_empty() {
                        return Err(field("environment", "an empty path (use null for none)"));
                    }
                    beside_stage("environment", p)?;
                }
                r.environment = env.clone();
            }
            if let Some(t) = b.test_scene {
                r.test_scene = t;
            }
            if let Some(s) = &b.scene {
                file.scene = s.clone();
            }
            let r = &file.render;
            let after = serde_json::json!({
                "environment": r.environment, "test_scene": r.test_scene, "scene": json(&file.scene)
            });
            Ok((before, after))
        }
        Edit::Frustum(b) => {
            let k = camera_index(file, &b.camera)?;
            let inner = &mut file.cameras[k].inner;
            let before = serde_json::json!({"overscan": json(&inner.overscan), "soft_edge": inner.soft_edge});
            if let Some(o) = b.overscan {
                let ok = match o {
                    OverscanFile::Uniform(x) => (0.0..=4.0).contains(&x),
                    OverscanFile::PerSide {
                        left,
                        right,
                        bottom,
                        top,
                    } => [left, right, bottom, top]
                        .iter()
                        .all(|x| (0.0..=4.0).contains(x)),
                    OverscanFile::Auto { margin } => (0.0..=4.0).contains(&margin),
                };
                if !ok {
                    return Err(field("overscan", "each overscan value must be within 0..4"));
                }
                inner.overscan = o;
            }
            if let Some(s) = b.soft_edge {
                inner.soft_edge = finite("soft_edge", s, 0.0, 0.5)?;
            }
            let after = serde_json::json!({"overscan": json(&inner.overscan), "soft_edge": inner.soft_edge});
            Ok((before, after))
        }
        Edit::FreezeOuter(b) => {
            let before = json(&file.render.frozen_outer);
            file.render.frozen_outer = b.frozen;
            Ok((before, json(&file.render.frozen_outer)))
        }
        Edit::Camera(b) => {
            let k = camera_index(file, &b.camera)?;
            let c = &mut file.cameras[k];
            let before = serde_json::json!({"enabled": c.enabled, "priority": c.priority});
            if let Some(e) = b.enabled {
                c.enabled = e;
            }
            if let Some(p) = b.priority {
                c.priority = i32::try_from(p)
                    .ok()
                    .filter(|p| (-1000..=1000).contains(p))
                    .ok_or_else(|| field("priority", format!("{p} must be within -1000..1000")))?;
            }
            Ok((
                before,
                serde_json::json!({"enabled": c.enabled, "priority": c.priority}),
            ))
        }
    }
}

fn card(b: &CardBody, file: &mut StageFile) -> Result<(Value, Value), EditError> {
    // The fields each op takes and needs are checked when the body is parsed
    // ([`CardBody::check_fields`]); the errors below are for an edit made by hand.
    b.check_fields().map_err(|e| field(&e.field, e.message))?;
    let op = b.op.name();
    let name = || {
        b.name
            .as_deref()
            .ok_or_else(|| field("name", format!("op '{op}' needs the card's name")))
    };
    match b.op {
        CardOp::Add => {
            let card = b
                .card
                .as_ref()
                .ok_or_else(|| field("card", "op 'add' needs the card"))?;
            if file.light_cards.iter().any(|c| c.name == card.name) {
                return Err(field(
                    "card.name",
                    format!("a light card named '{}' exists", card.name),
                ));
            }
            if let Some((f, p)) = card.problems().into_iter().next() {
                return Err(field(&format!("card.{f}"), format!("{f} {p}")));
            }
            file.light_cards.push(card.clone());
            Ok((Value::Null, json(card)))
        }
        CardOp::Move => {
            let k = card_index(file, name()?)?;
            let placement = b
                .placement
                .ok_or_else(|| field("placement", "op 'move' needs the placement"))?;
            let c = &mut file.light_cards[k];
            let before = json(&c.placement);
            c.placement = placement;
            look_ok(c)?;
            Ok((before, json(&c.placement)))
        }
        CardOp::Change => {
            let k = card_index(file, name()?)?;
            let c = &mut file.light_cards[k];
            let before = json(&*c);
            if let Some(s) = b.shape {
                c.shape = s;
            }
            if let Some(col) = b.colour {
                if ![col.0, col.1, col.2]
                    .iter()
                    .all(|x| x.is_finite() && *x >= 0.0)
                {
                    return Err(field("colour", "colour components must be finite and >= 0"));
                }
                c.colour = col;
            }
            if let Some(i) = b.intensity_nits {
                c.intensity_nits = finite("intensity_nits", i, 0.0, 100_000.0)?;
            }
            if let Some(f) = b.feather {
                c.feather = finite("feather", f, 0.0, 1.0)?;
            }
            if let Some(l) = b.layer {
                c.layer = l;
            }
            look_ok(c)?;
            Ok((before, json(&*c)))
        }
        CardOp::Remove => {
            let k = card_index(file, name()?)?;
            let removed = file.light_cards.remove(k);
            Ok((json(&removed), Value::Null))
        }
    }
}

/// The card's own checks ([`LightCard::problems`]), naming the body's field (`placement.size_deg`,
/// `feather`: a move or change names the card's fields as the card does).
fn look_ok(c: &LightCard) -> Result<(), EditError> {
    match c.problems().into_iter().next() {
        Some((f, p)) => Err(field(f, format!("{f} {p}"))),
        None => Ok(()),
    }
}

/// Warnings about an edited stage that is valid but likely a mistake (in the answer of a change
/// that applied): no camera on (the wall shows no inner frustum at all).
pub fn warnings(file: &StageFile) -> Vec<String> {
    let mut out = Vec::new();
    if !file.cameras.is_empty() && !file.cameras.iter().any(|c| c.enabled) {
        out.push("no camera is on: the wall shows no inner frustum".to_string());
    }
    out
}

/// The stage file's text for `file` (RON, as `save` writes it). Comments and layout of the
/// original file are not kept.
pub fn to_ron(file: &StageFile) -> Result<String, String> {
    let pretty = ron::ser::PrettyConfig::new()
        .depth_limit(6)
        .struct_names(true);
    ron::ser::to_string_pretty(file, pretty)
        .map(|t| format!("// Written by parallax's remote control (`save`).\n{t}\n"))
        .map_err(|e| e.to_string())
}

mod resolve;
pub use resolve::{check_files, resolve};

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
