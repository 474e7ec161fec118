//! The request bodies of the edit routes (`POST /api/NAME`), parsed strictly: unknown fields
//! refused, a bad body names the field at fault, serde's words put as a stage engineer reads them.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::json;
use crate::colour::grade::Grade;
use crate::stage::cards::{CardLayer, CardPlacement, CardShape, LightCard};
use crate::stage::file::{OverscanFile, SceneItemFile};
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
        let message = plain(&e.inner().to_string());
        // Broken JSON is the body's fault as a whole, wherever the parser stopped (the message
        // gives its line and column); serde's `?` (a position it cannot name) is not a field.
        // A number too large for any float (`1e400`) is well-formed JSON: it names its field.
        let out_of_range = message.starts_with("number out of range");
        if (e.inner().is_syntax() && !out_of_range) || e.inner().is_eof() {
            return BadBody {
                field: ".".into(),
                message,
            };
        }
        let mut field = match e.path().to_string() {
            p if p.is_empty() || p == "?" => ".".to_string(),
            p => field_path(&p),
        };
        // A missing or repeated field is reported at its parent: name the field itself.
        if let Some(rest) = message
            .strip_prefix("missing field `")
            .or_else(|| message.strip_prefix("duplicate field `"))
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
    /// Fields of the layer's grade to change (`exposure`, `white_balance_k`, `cdl` with `slope`,
    /// `offset`, `power`, `saturation`), merged onto the layer's grade: fields left out are kept
    /// (`"white_balance_k": null` removes the white balance). `exposure` and `grade.exposure`
    /// together are refused (one or the other).
    #[serde(default)]
    pub grade: Option<serde_json::Map<String, Value>>,
}

/// The layer's grade with `patch` merged onto it (objects field by field, other values replaced).
/// Errors: the patch's field at fault, as `grade.cdl.slope`.
pub fn merge_grade(base: &Grade, patch: &serde_json::Map<String, Value>) -> Result<Grade, BadBody> {
    fn merge(into: &mut Value, patch: &Value) {
        match (into, patch) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    merge(a.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
            (a, b) => *a = b.clone(),
        }
    }
    let mut merged = json(base);
    merge(&mut merged, &Value::Object(patch.clone()));
    serde_path_to_error::deserialize(merged).map_err(|e| BadBody {
        field: match e.path().to_string() {
            p if p.is_empty() || p == "?" => "grade".to_string(),
            p => format!("grade.{}", field_path(&p)),
        },
        message: plain(&e.inner().to_string()),
    })
}

/// A body's field path as the docs and the 422s name it: serde's unknown positions (`?`) and the
/// names of enum variants (`card.placement.Stage.size_m` -> `card.placement.size_m`: variants are
/// CamelCase, fields snake_case) left out.
fn field_path(serde_path: &str) -> String {
    serde_path
        .split('.')
        .filter(|s| *s != "?" && !s.starts_with(|c: char| c.is_ascii_uppercase()))
        .collect::<Vec<_>>()
        .join(".")
}

/// serde's messages in a stage engineer's words: no Rust type names (`struct YawBody`, `f64`).
fn plain(message: &str) -> String {
    let mut out = Vec::new();
    let mut words = message.split(' ').peekable();
    while let Some(w) = words.next() {
        let (core, tail) = w.split_at(w.trim_end_matches([',', '.', ';', ':']).len());
        let said = match core {
            "struct" | "enum" if words.peek().is_some() => {
                let next = words.next().unwrap_or_default();
                let rest = &next[next.trim_end_matches([',', '.', ';', ':']).len()..];
                let what = if core == "struct" {
                    "a JSON object"
                } else {
                    "one of the names listed in docs/remote.md"
                };
                out.push(format!("{what}{rest}"));
                continue;
            }
            "f64" | "f32" => "a number",
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" => "an integer",
            "map" => "an object",
            "seq" | "sequence" => "an array",
            _ => core,
        };
        out.push(format!("{said}{tail}"));
    }
    out.join(" ")
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

impl CardOp {
    /// The op's name as a body gives it (`add`).
    pub fn name(self) -> &'static str {
        match self {
            CardOp::Add => "add",
            CardOp::Move => "move",
            CardOp::Change => "change",
            CardOp::Remove => "remove",
        }
    }
}

impl CardBody {
    /// The body's shape for its op, checked when it is parsed (so 400, like any missing or
    /// unknown field): the fields the op needs are there (`card` with a name for `add`, `name`
    /// for the others, `placement` for `move`) and no field it does not take is given (named).
    pub fn check_fields(&self) -> Result<(), BadBody> {
        let op = self.op.name();
        let bad = |field: &str, message: String| {
            Err(BadBody {
                field: field.into(),
                message,
            })
        };
        let look = [
            ("shape", self.shape.is_some()),
            ("colour", self.colour.is_some()),
            ("intensity_nits", self.intensity_nits.is_some()),
            ("feather", self.feather.is_some()),
            ("layer", self.layer.is_some()),
        ];
        let given = [
            ("name", self.name.is_some()),
            ("card", self.card.is_some()),
            ("placement", self.placement.is_some()),
        ]
        .into_iter()
        .chain(look);
        let takes: &[&str] = match self.op {
            CardOp::Add => &["card"],
            CardOp::Move => &["name", "placement"],
            CardOp::Change => &[
                "name",
                "shape",
                "colour",
                "intensity_nits",
                "feather",
                "layer",
            ],
            CardOp::Remove => &["name"],
        };
        for (name, is_given) in given {
            if is_given && !takes.contains(&name) {
                return bad(name, format!("op '{op}' does not take '{name}'"));
            }
        }
        let needs = |name: &str, is_given: bool, what: &str| {
            if is_given {
                Ok(())
            } else {
                bad(name, format!("op '{op}' needs {what}"))
            }
        };
        match self.op {
            CardOp::Add => {
                needs("card", self.card.is_some(), "the card")?;
                if self.card.as_ref().is_some_and(|c| c.name.trim().is_empty()) {
                    return bad("card.name", "a card added remotely needs a name".into());
                }
                Ok(())
            }
            CardOp::Move => {
                needs("name", self.name.is_some(), "the card's name")?;
                needs("placement", self.placement.is_some(), "the placement")
            }
            CardOp::Change | CardOp::Remove => {
                needs("name", self.name.is_some(), "the card's name")
            }
        }
    }
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
    /// Its priority where frusta overlap (-1000..1000; read wide, so that a number beyond is
    /// refused by its range, not its type).
    #[serde(default)]
    pub priority: Option<i64>,
}
