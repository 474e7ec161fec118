//! Errors and warnings of the glTF loader, each located in the file (the JSON path, or the index of
//! the buffer, accessor, mesh primitive, material, image or node it is about).

use std::fmt;
use std::path::PathBuf;

/// Where in a glTF file a problem is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The document as a whole.
    Document,
    /// A JSON path as the validator names it, e.g. `meshes[0].primitives[1].attributes["POSITION"]`.
    Json(String),
    /// `extensionsRequired` naming this extension.
    Extension(String),
    /// `buffers[i]`.
    Buffer(usize),
    /// `bufferViews[i]`.
    BufferView(usize),
    /// `accessors[i]`.
    Accessor(usize),
    /// `meshes[mesh].primitives[primitive]`.
    Primitive { mesh: usize, primitive: usize },
    /// `materials[i]`.
    Material(usize),
    /// `images[i]`.
    Image(usize),
    /// `nodes[i]`.
    Node(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Document => write!(f, "document"),
            Location::Json(p) => write!(f, "{p}"),
            Location::Extension(e) => write!(f, "extensionsRequired '{e}'"),
            Location::Buffer(i) => write!(f, "buffers[{i}]"),
            Location::BufferView(i) => write!(f, "bufferViews[{i}]"),
            Location::Accessor(i) => write!(f, "accessors[{i}]"),
            Location::Primitive { mesh, primitive } => {
                write!(f, "meshes[{mesh}].primitives[{primitive}]")
            }
            Location::Material(i) => write!(f, "materials[{i}]"),
            Location::Image(i) => write!(f, "images[{i}]"),
            Location::Node(i) => write!(f, "nodes[{i}]"),
        }
    }
}

/// One problem (or warning) found in a glTF file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GltfProblem {
    /// Where it is.
    pub location: Location,
    /// What is wrong.
    pub message: String,
}

impl GltfProblem {
    pub(super) fn new(location: Location, message: impl Into<String>) -> GltfProblem {
        GltfProblem {
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for GltfProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Why a glTF file could not be loaded. [`GltfError::Invalid`] lists every problem found at the
/// stage where loading stopped (JSON validation, then buffers and accessors, then meshes), never only
/// the first.
#[derive(Debug, thiserror::Error)]
pub enum GltfError {
    /// The file could not be read.
    #[error("cannot read glTF file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not glTF: malformed JSON or a broken GLB container.
    #[error("{path}: not a valid glTF 2.0 file: {message}")]
    Malformed { path: PathBuf, message: String },
    /// The file parses but breaks the glTF specification (or needs what Parallax lacks).
    #[error("{path}: {} problem{}:\n{}", .problems.len(), if .problems.len() == 1 { "" } else { "s" }, list(.problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<GltfProblem>,
    },
}

fn list(problems: &[GltfProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl GltfError {
    /// The problems of an [`GltfError::Invalid`] (empty for the other kinds).
    pub fn problems(&self) -> &[GltfProblem] {
        match self {
            GltfError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}
