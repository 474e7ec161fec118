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

#[cfg(test)]
mod tests {
    use glam::DVec3;

    use crate::stage::{Stage, StageError};

    fn stage(scene: &str) -> Result<Stage, StageError> {
        let text = format!(
            r#"Stage(
  name: "S", frame_rate: 60.0,
  panel_types: [PanelType(name: "T", width_mm: 500.0, height_mm: 500.0, pixels: (8, 8))],
  sections: [(name: "W", panel_type: "T", shape: Flat(columns: 2, rows: 1, position: (0.0, 1.0, -2.0)),
              placement: Auto(outputs: ["o"]))],
  outputs: [Output(name: "o", width: 16, height: 8)],
  scene: [
{scene}
  ],
)"#
        );
        Stage::from_ron(&text, "s.ron")
    }

    #[test]
    fn gltf_items_are_placed_scaled_and_rotated() {
        let s = stage(
            r#"    Gltf(path: "set.glb"),
    Gltf(path: "sub/prop.gltf", position: (1.0, 0.0, -3.0), rotation: PanTiltRoll(90.0, 0.0, 0.0), scale: 2.0),
    Gltf(path: "x.GLB", scale: (1.0, 2.0, 3.0)),"#,
        )
        .unwrap();
        assert_eq!(s.scene.len(), 3);
        assert_eq!(s.scene[0].matrix(), glam::DMat4::IDENTITY);
        // Pan 90 turns -Z (forward) to -X (left, as a camera panning left): the file's point
        // (0, 0, -1) lands at position + 2 * (-1, 0, 0).
        let p = s.scene[1].matrix().transform_point3(DVec3::NEG_Z);
        assert!((p - DVec3::new(-1.0, 0.0, -3.0)).length() < 1e-12, "{p}");
        assert_eq!(s.scene[2].scale, DVec3::new(1.0, 2.0, 3.0));
    }

    #[test]
    fn bad_items_are_reported_together() {
        let e = stage(
            r#"    Gltf(path: "set.obj"),
    Gltf(path: "a.glb", scale: 0.0),
    Gltf(path: "b.glb", scale: (1.0, -1.0, 1.0), rotation: Quaternion(0.0, 0.0, 0.0, 0.0)),"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("4 problems"), "{e}");
        assert!(
            e.contains("scene item 0 ('set.obj'): path must name a .gltf or .glb file"),
            "{e}"
        );
        assert!(
            e.contains("scene item 1 ('a.glb'): scale must be finite and above zero"),
            "{e}"
        );
        assert!(
            e.contains("scene item 2 ('b.glb'): rotation quaternion is zero"),
            "{e}"
        );
    }

    #[test]
    fn a_typo_in_an_item_is_located() {
        let e = stage(r#"    Gltf(path: "a.glb", positon: (0.0, 0.0, 0.0)),"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.ron:8:25:"), "{e}");
        assert!(e.contains("positon"), "{e}");
    }
}
