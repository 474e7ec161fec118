//! Changes a remote client asks for: each request body is parsed strictly (unknown fields refused;
//! a bad body names the field at fault), applied to the stage **file** as the server holds it
//! ([`crate::stage::file::Stage`]), and the edited file is resolved through the same path as a
//! stage reload ([`crate::stage::load_text`]: text, parse, build, validate, LUTs). Only a stage
//! that resolves is handed to the live loop, which swaps it in between two frames
//! ([`crate::live::LiveLoop::apply_stage`]). `save` writes the held file (RON) atomically.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::access::Action;
use crate::colour::grade::Grade;
use crate::stage::cards::{CardLayer, CardPlacement, CardShape, LightCard};
use crate::stage::file::{OverscanFile, SceneItemFile, Stage as StageFile};

/// A body that does not parse: the field at fault (`.` for the whole body) and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at {field})")]
pub struct BadBody {
    /// The field path (e.g. `card.placement.size_m`), `.` for the body itself.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Parses a JSON body strictly, naming the field at fault: `.` when the body as a whole is at
/// fault (not JSON, cut short, not one object, anything after the object), else the path of the
/// field (`card.placement`). An array is refused even where serde would read it as the fields in
/// order.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BadBody> {
    let whole = |message: &str| BadBody {
        field: ".".into(),
        message: message.to_string(),
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(whole("the body must be a JSON object, not an array"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let message = e.inner().to_string();
        // Broken JSON is the body's fault as a whole, wherever the parser stopped (the message
        // gives its line and column); serde's `?` (a position it cannot name) is not a field.
        if e.inner().is_syntax() || e.inner().is_eof() {
            return BadBody {
                field: ".".into(),
                message,
            };
        }
        let mut field = match e.path().to_string() {
            p if p.is_empty() || p == "?" => ".".to_string(),
            p => p.replace(".?", ""),
        };
        // A missing field is reported at its parent: name the field itself.
        if let Some(rest) = message.strip_prefix("missing field `")
            && let Some((name, _)) = rest.split_once('`')
        {
            field = if field == "." {
                name.to_string()
            } else {
                format!("{field}.{name}")
            };
        }
        BadBody { field, message }
    })?;
    de.end()
        .map_err(|e| whole(&format!("more after the JSON object: {e}")))?;
    Ok(value)
}

/// `POST /api/environment`: the environment's yaw.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YawBody {
    /// Degrees, positive turns it left (like pan); within +-360.
    pub yaw_deg: f64,
}

/// Which layer a grade applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The inner frustum.
    Inner,
    /// The outer wall.
    Outer,
    /// The light cards.
    Cards,
}

/// `POST /api/grade`: exposure and grading of a layer (the stage-wide grade of `colour`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeBody {
    /// The layer.
    pub layer: Layer,
    /// Exposure in stops (replaces the grade's; kept when absent).
    #[serde(default)]
    pub exposure: Option<f64>,
    /// A whole grade (exposure, white_balance_k, cdl) replacing the layer's; with `exposure`
    /// too, `exposure` wins.
    #[serde(default)]
    pub grade: Option<Grade>,
}

/// What a `POST /api/light_cards` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardOp {
    /// Adds `card` (its name must be new and not empty).
    Add,
    /// Moves the card `name` to `placement`.
    Move,
    /// Changes the card `name`'s look (the fields given).
    Change,
    /// Removes the card `name`.
    Remove,
}

/// `POST /api/light_cards`: add, move, change or remove a light card (by name). Fields a given
/// `op` does not use are refused.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardBody {
    /// What to do.
    pub op: CardOp,
    /// The card's name (move, change, remove).
    #[serde(default)]
    pub name: Option<String>,
    /// The card, as in the stage file (add).
    #[serde(default)]
    pub card: Option<LightCard>,
    /// Where it goes (move).
    #[serde(default)]
    pub placement: Option<CardPlacement>,
    /// Change: its outline.
    #[serde(default)]
    pub shape: Option<CardShape>,
    /// Change: linear RGB colour.
    #[serde(default)]
    pub colour: Option<(f32, f32, f32)>,
    /// Change: brightness in nits for colour 1.0.
    #[serde(default)]
    pub intensity_nits: Option<f64>,
    /// Change: soft edge (0..1).
    #[serde(default)]
    pub feather: Option<f64>,
    /// Change: under or over the inner frustum.
    #[serde(default)]
    pub layer: Option<CardLayer>,
}

/// `POST /api/content`: switch the scene's content (fields absent are kept).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentBody {
    /// Environment image relative to the stage file; `null` for none (the procedural scene).
    #[serde(default, with = "double_option")]
    pub environment: Option<Option<String>>,
    /// Whether the procedural test scene is drawn.
    #[serde(default)]
    pub test_scene: Option<bool>,
    /// The 3D content items (replacing the list).
    #[serde(default)]
    pub scene: Option<Vec<SceneItemFile>>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// `POST /api/frustum`: a camera's overscan and soft edge (fields absent are kept).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrustumBody {
    /// The camera's name.
    pub camera: String,
    /// Overscan as in the stage file (`{"Uniform": 0.1}`, `{"Auto": {"margin": 0.1}}`, ...).
    #[serde(default)]
    pub overscan: Option<OverscanFile>,
    /// Soft edge, fraction of the frustum (0..0.5).
    #[serde(default)]
    pub soft_edge: Option<f64>,
}

/// `POST /api/freeze_outer`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeBody {
    /// Freeze (render the outer once and bake it) or not.
    pub frozen: bool,
}

/// `POST /api/camera`: switch a camera on or off, set its priority (fields absent are kept).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraBody {
    /// The camera's name.
    pub camera: String,
    /// Whether its inner frustum is drawn.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Its priority where frusta overlap.
    #[serde(default)]
    pub priority: Option<i32>,
}

/// A change to the stage, parsed and ready to apply.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// [`YawBody`].
    EnvironmentYaw(YawBody),
    /// [`GradeBody`].
    Grade(GradeBody),
    /// [`CardBody`].
    LightCard(CardBody),
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
            Action::Grade => parse_body(body).map(Edit::Grade),
            Action::LightCard => parse_body(body).map(Edit::LightCard),
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
            let mut new = b.grade.unwrap_or(*g);
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
                if !(-1000..=1000).contains(&p) {
                    return Err(field("priority", format!("{p} must be within -1000..1000")));
                }
                c.priority = p;
            }
            Ok((
                before,
                serde_json::json!({"enabled": c.enabled, "priority": c.priority}),
            ))
        }
    }
}

fn card(b: &CardBody, file: &mut StageFile) -> Result<(Value, Value), EditError> {
    let look = b.shape.is_some()
        || b.colour.is_some()
        || b.intensity_nits.is_some()
        || b.feather.is_some()
        || b.layer.is_some();
    let unused = |name: &str, given: bool| {
        if given {
            Err(field(name, format!("not used by op {:?}", b.op)))
        } else {
            Ok(())
        }
    };
    let name = || {
        b.name
            .as_deref()
            .ok_or_else(|| field("name", format!("op {:?} needs the card's name", b.op)))
    };
    match b.op {
        CardOp::Add => {
            unused("name", b.name.is_some())?;
            unused("placement", b.placement.is_some())?;
            unused("shape", look)?;
            let card = b
                .card
                .as_ref()
                .ok_or_else(|| field("card", "op Add needs the card"))?;
            if card.name.trim().is_empty() {
                return Err(field("card.name", "a card added remotely needs a name"));
            }
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
            unused("card", b.card.is_some())?;
            unused("shape", look)?;
            let k = card_index(file, name()?)?;
            let placement = b
                .placement
                .ok_or_else(|| field("placement", "op Move needs the placement"))?;
            let c = &mut file.light_cards[k];
            let before = json(&c.placement);
            c.placement = placement;
            look_ok(c)?;
            Ok((before, json(&c.placement)))
        }
        CardOp::Change => {
            unused("card", b.card.is_some())?;
            unused("placement", b.placement.is_some())?;
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
            unused("card", b.card.is_some())?;
            unused("placement", b.placement.is_some())?;
            unused("shape", look)?;
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
