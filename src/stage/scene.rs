//! The stage's 3D content (`scene:` in the stage file), checked: paths name `.gltf` or `.glb` files,
//! placements are finite and scales positive. The files themselves are read when the scene is built
//! (`crate::scene::build`), which reports their own problems.

use glam::{DMat4, DQuat, DVec3};

use super::Subject;
use super::checks::{Problems, finite};
use super::file::{self, ScaleFile, SceneItemFile};

/// A glTF file placed in stage space.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneItem {
    /// The path as written (relative to the stage file, see [`super::Stage::resolve_path`]).
    pub path: String,
    /// Where the file's origin goes, stage metres.
    pub position: DVec3,
    /// Stage-from-file rotation.
    pub rotation: DQuat,
    /// Scale per axis, applied first.
    pub scale: DVec3,
}

impl SceneItem {
    /// Stage from file: `T(position) R(rotation) S(scale)`.
    pub fn matrix(&self) -> DMat4 {
        DMat4::from_scale_rotation_translation(self.scale, self.rotation, self.position)
    }
}

/// Resolves and checks every scene item; each problem names the item (`scene[i]`) and its file.
pub(super) fn resolve(f: &file::Stage, problems: &mut Problems) -> Vec<SceneItem> {
    let mut out = Vec::new();
    for (i, item) in f.scene.iter().enumerate() {
        let SceneItemFile::Gltf {
            path,
            position,
            rotation,
            scale,
        } = item;
        let subject = Subject::Scene(format!("{i} ('{path}')"));
        let before = problems.len();
        let lower = path.to_ascii_lowercase();
        if path.trim().is_empty() {
            problems.push(subject.clone(), "path is empty");
        } else if !(lower.ends_with(".gltf") || lower.ends_with(".glb")) {
            problems.push(subject.clone(), "path must name a .gltf or .glb file");
        }
        if !finite(&[position.0, position.1, position.2]) {
            problems.push(subject.clone(), "position must be finite numbers");
        }
        let values = rotation.values();
        if !finite(&values) {
            problems.push(subject.clone(), "rotation must be finite numbers");
        } else if matches!(rotation, crate::camera::Orientation::Quaternion(..))
            && values.iter().all(|v| *v == 0.0)
        {
            problems.push(subject.clone(), "rotation quaternion is zero");
        }
        let s = match *scale {
            ScaleFile::Uniform(s) => DVec3::splat(s),
            ScaleFile::PerAxis(x, y, z) => DVec3::new(x, y, z),
        };
        if !s.is_finite() || s.min_element() <= 0.0 {
            problems.push(
                subject,
                format!("scale must be finite and above zero, got {s}"),
            );
        }
        if problems.len() == before {
            out.push(SceneItem {
                path: path.clone(),
                position: DVec3::new(position.0, position.1, position.2),
                rotation: rotation.to_quat(),
                scale: s,
            });
        }
    }
    out
}
