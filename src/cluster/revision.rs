//! Stage and content revisions: what a node compares with the primary's before it presents a
//! frame. The **stage revision** is the 64-bit FNV-1a hash of the stage file's bytes; the
//! **content revision** is the FNV-1a hash of the bytes of every file the stage names
//! ([`crate::live::reload::dependencies`]: environment image, glTF files, `.cube` LUTs), in that
//! order, each followed by its length (a missing file counts as empty with length `u64::MAX`).
//! Two nodes with the same revisions render the same stage from the same files. FNV-1a
//! (Fowler, Noll, Vo; offset basis `0xcbf29ce484222325`, prime `0x100000001b3`) is used because
//! it is fixed by its definition, unlike `std`'s hasher, so builds of different Rust versions
//! agree. It is not a cryptographic hash: it detects mistakes, not attacks.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A stage's revision: hashes of the stage file and of the files it names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Revision {
    /// FNV-1a 64 of the stage file's bytes.
    pub stage: u64,
    /// FNV-1a 64 of the named files' bytes and lengths, in order.
    pub content: u64,
}

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stage {:016x}, content {:016x}",
            self.stage, self.content
        )
    }
}

/// The FNV-1a 64 offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// The FNV-1a 64 prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Continues an FNV-1a 64 hash `h` over `bytes`.
pub fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// FNV-1a 64 of `bytes` from the offset basis.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a(FNV_OFFSET, bytes)
}

/// Why a revision could not be computed.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the stage file {path} for its revision: {source}")]
pub struct RevisionError {
    /// The stage file.
    pub path: PathBuf,
    /// The read error.
    #[source]
    pub source: std::io::Error,
}

/// The revision of the stage file at `stage_path` and of the files it names (`dependencies`,
/// resolved paths). Errors: the stage file cannot be read (a named file that cannot be read is
/// hashed as missing: the stage check reports it).
pub fn of_files(stage_path: &Path, dependencies: &[PathBuf]) -> Result<Revision, RevisionError> {
    let bytes = std::fs::read(stage_path).map_err(|source| RevisionError {
        path: stage_path.to_path_buf(),
        source,
    })?;
    let mut content = FNV_OFFSET;
    for d in dependencies {
        match std::fs::read(d) {
            Ok(b) => {
                content = fnv1a(content, &b);
                content = fnv1a(content, &(b.len() as u64).to_le_bytes());
            }
            Err(_) => content = fnv1a(content, &u64::MAX.to_le_bytes()),
        }
    }
    Ok(Revision {
        stage: fnv1a64(&bytes),
        content,
    })
}

/// Why a node refuses a frame of revision `theirs` when its own is `ours`, or `None`.
/// `announced`: the reload the primary announced, when `theirs` is its revision (the node did
/// not load the same files by the switch frame).
pub fn refusal(
    theirs: Revision,
    ours: Revision,
    announced: Option<super::tick::Switch>,
) -> Option<String> {
    let what = match (theirs.stage == ours.stage, theirs.content == ours.content) {
        (true, true) => return None,
        (false, _) => "stage",
        (true, false) => "content",
    };
    let late = match announced {
        Some(s) if s.revision == theirs => format!(
            "; the primary's reload switched every node at frame {} and this node has not loaded those files (yet)",
            s.frame
        ),
        _ => String::new(),
    };
    Some(format!(
        "the primary's {what} revision differs from this node's (primary: {theirs}; this node: {ours}){late}; not presenting until they match: load the same stage file and files on every node (and the same --environment, if any)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        // From the FNV reference test suite (64-bit FNV-1a).
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn a_changed_byte_in_the_stage_or_a_named_file_changes_its_revision() {
        let dir = tempfile::tempdir().unwrap();
        let stage = dir.path().join("s.ron");
        let lut = dir.path().join("l.cube");
        std::fs::write(&stage, b"Stage()").unwrap();
        std::fs::write(&lut, b"LUT_3D_SIZE 2").unwrap();
        let deps = vec![lut.clone()];
        let a = of_files(&stage, &deps).unwrap();
        assert_eq!(a, of_files(&stage, &deps).unwrap());
        std::fs::write(&lut, b"LUT_3D_SIZE 3").unwrap();
        let b = of_files(&stage, &deps).unwrap();
        assert_eq!(a.stage, b.stage);
        assert_ne!(a.content, b.content);
        std::fs::write(&stage, b"Stage( )").unwrap();
        let c = of_files(&stage, &deps).unwrap();
        assert_ne!(b.stage, c.stage);
        assert_eq!(b.content, c.content);
        // A missing named file differs from an empty one.
        std::fs::write(&lut, b"").unwrap();
        let empty = of_files(&stage, &deps).unwrap();
        std::fs::remove_file(&lut).unwrap();
        assert_ne!(empty.content, of_files(&stage, &deps).unwrap().content);
        assert!(of_files(&dir.path().join("none.ron"), &[]).is_err());
    }

    #[test]
    fn a_refusal_names_both_revisions_and_which_differs() {
        let a = Revision {
            stage: 1,
            content: 2,
        };
        assert_eq!(refusal(a, a, None), None);
        let b = Revision { stage: 9, ..a };
        let why = refusal(b, a, None).unwrap();
        assert!(why.contains("stage revision differs"), "{why}");
        assert!(why.contains("primary: stage 0000000000000009"), "{why}");
        assert!(why.contains("this node: stage 0000000000000001"), "{why}");
        let c = Revision { content: 7, ..a };
        assert!(
            refusal(c, a, None)
                .unwrap()
                .contains("content revision differs")
        );
        assert!(!why.contains("reload"), "{why}");
        // The primary announced `b` for frame 40: the refusal says the node missed the reload.
        let s = super::super::tick::Switch {
            revision: b,
            frame: 40,
        };
        let why = refusal(b, a, Some(s)).unwrap();
        assert!(
            why.contains("switched every node at frame 40 and this node has not loaded"),
            "{why}"
        );
        // Another revision announced than the tick's: not this reload's fault.
        let other = super::super::tick::Switch {
            revision: c,
            frame: 40,
        };
        assert!(!refusal(b, a, Some(other)).unwrap().contains("reload"));
    }
}
