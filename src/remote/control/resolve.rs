//! Checks against the stage as a whole: the files a content edit names are there, and the edited
//! stage file resolves (its problems named by the stage file's field, never by a line of the
//! in-memory text).

use super::{Edit, EditError, field, to_ron};
use crate::stage::file::{SceneItemFile, Stage as StageFile};

/// Every file a content edit names must be there (relative to the stage file's folder): a
/// missing environment image or glTF file is the request's fault (422 naming the field and the
/// path), not the server's. Other edits name no file.
pub fn check_files(edit: &Edit, stage_path: &std::path::Path) -> Result<(), EditError> {
    let Edit::Content(b) = edit else {
        return Ok(());
    };
    let dir = stage_path.parent().unwrap_or(std::path::Path::new("."));
    let there = |name: &str, path: &str| {
        if dir.join(path).is_file() {
            Ok(())
        } else {
            Err(field(
                name,
                format!("'{path}' is not a file in the stage file's folder"),
            ))
        }
    };
    if let Some(Some(env)) = &b.environment {
        there("environment", env)?;
    }
    for (i, item) in b.scene.iter().flatten().enumerate() {
        let SceneItemFile::Gltf { path, .. } = item;
        there(&format!("scene[{i}].path"), path)?;
    }
    Ok(())
}

/// The field of the stage file a problem is about: the `(at PATH)` its message ends with, else
/// its subject's item (`scene[1].scale` for a scene item's scale), else `stage`.
fn problem_field(p: &crate::stage::Problem, file: &StageFile) -> String {
    use crate::stage::Subject;
    if let Some(path) = p
        .message
        .strip_suffix(')')
        .and_then(|m| m.rsplit_once("(at "))
        .map(|(_, path)| path)
    {
        return path.to_string();
    }
    let mut subject = &p.subject;
    while let Subject::At(_, inner) = subject {
        subject = inner;
    }
    let index = |s: &str| s.split(' ').next().and_then(|i| i.parse::<usize>().ok());
    let word = p.message.split([' ', '=']).next().unwrap_or_default();
    match subject {
        Subject::Scene(s) => match index(s) {
            Some(i) if ["path", "position", "rotation", "scale"].contains(&word) => {
                format!("scene[{i}].{word}")
            }
            Some(i) => format!("scene[{i}]"),
            None => "scene".to_string(),
        },
        Subject::LightCard(s) => match index(s) {
            Some(i) => format!("light_cards[{i}]"),
            None => "light_cards".to_string(),
        },
        Subject::Camera(name) => match file.cameras.iter().position(|c| &c.name == name) {
            Some(k) => format!("cameras[{k}]"),
            None => "cameras".to_string(),
        },
        _ => "stage".to_string(),
    }
}

/// A problem without its location in the (in-memory) text: `subject: message`.
fn unlocated(p: &crate::stage::Problem) -> String {
    let mut subject = &p.subject;
    while let crate::stage::Subject::At(_, inner) = subject {
        subject = inner;
    }
    format!("{subject}: {}", p.message)
}

/// Resolves the edited file through the stage-reload path, as if it were the file at `path`.
/// Errors: [`EditError::Stage`] naming the stage file's field at fault (never a line of the
/// edited text, which the user never saw).
pub fn resolve(file: &StageFile, path: &std::path::Path) -> Result<crate::stage::Stage, EditError> {
    let whole = |message: String| EditError::Stage {
        field: "stage".into(),
        message,
    };
    let text = to_ron(file).map_err(whole)?;
    crate::stage::load_text(&text, path).map_err(|e| match e {
        crate::stage::StageError::Invalid { problems, .. } if !problems.is_empty() => {
            EditError::Stage {
                field: problem_field(&problems[0], file),
                message: problems
                    .iter()
                    .map(unlocated)
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        }
        other => whole(other.to_string()),
    })
}
