//! Who may do what: roles, the one role/action matrix ([`allowed`]), and bearer tokens stored
//! hashed (SHA-256, hex) in a file the admin manages (`parallax token add NAME --role ROLE`).
//!
//! A token is 32 random bytes from the operating system, written as 64 hex digits and shown once;
//! only its SHA-256 is stored (a token of 256 random bits needs no salt or slow hash: it cannot be
//! guessed from its hash). The token file is JSON: `{"tokens": [{"name", "role", "sha256"}]}`,
//! written atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A token's role. Each role may do what the ones before it may, and more (see [`allowed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Watches the wall and reads the state; changes nothing.
    Viewer,
    /// Content, light cards, grading.
    Artist,
    /// Cameras, overscan and soft edge, freeze outer, save.
    Operator,
    /// Tokens and roles.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Artist, Role::Operator, Role::Admin];

    /// The role's name as written in files, on the command line and in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Artist => "artist",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// Parses `viewer`, `artist`, `operator` or `admin`.
    pub fn parse(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown role '{s}' (viewer, artist, operator or admin)"))
    }
}

/// What a request does (one per API route; see docs/remote.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Watch the page and the streams, read the state and the events.
    Watch,
    /// Turn the environment (yaw).
    EnvironmentYaw,
    /// Exposure and grading of a layer (inner, outer, cards).
    Grade,
    /// Add, move or change a light card.
    LightCard,
    /// Switch the scene's content (environment image, test scene, glTF items).
    Content,
    /// Overscan and soft edge of a camera's inner frustum.
    Frustum,
    /// Freeze the outer (render it once and bake it).
    FreezeOuter,
    /// Switch a camera on or off, set its priority.
    Camera,
    /// Write the stage file.
    Save,
    /// List, add and remove tokens.
    Tokens,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 10] = [
        Action::Watch,
        Action::EnvironmentYaw,
        Action::Grade,
        Action::LightCard,
        Action::Content,
        Action::Frustum,
        Action::FreezeOuter,
        Action::Camera,
        Action::Save,
        Action::Tokens,
    ];

    /// The action's name (as in the audit log).
    pub fn name(self) -> &'static str {
        match self {
            Action::Watch => "watch",
            Action::EnvironmentYaw => "environment_yaw",
            Action::Grade => "grade",
            Action::LightCard => "light_card",
            Action::Content => "content",
            Action::Frustum => "frustum",
            Action::FreezeOuter => "freeze_outer",
            Action::Camera => "camera",
            Action::Save => "save",
            Action::Tokens => "tokens",
        }
    }
}

/// THE role/action matrix: the lowest role allowed each action (every higher role may too). The
/// table in docs/remote.md is this one (a test checks they agree).
pub const fn lowest_role(action: Action) -> Role {
    match action {
        Action::Watch => Role::Viewer,
        Action::EnvironmentYaw | Action::Grade | Action::LightCard | Action::Content => {
            Role::Artist
        }
        Action::Frustum | Action::FreezeOuter | Action::Camera | Action::Save => Role::Operator,
        Action::Tokens => Role::Admin,
    }
}

/// Whether `role` may do `action` ([`lowest_role`]).
pub fn allowed(role: Role, action: Action) -> bool {
    role >= lowest_role(action)
}

/// The 403 message for a refused action.
pub fn refusal(role: Role, action: Action) -> String {
    format!(
        "role '{}' may not do '{}' (needs '{}' or higher)",
        role.name(),
        action.name(),
        lowest_role(action).name()
    )
}

/// A stored token: its name, role and the SHA-256 of the token (hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredToken {
    /// Who or what holds it (unique in the file).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// SHA-256 of the token text, lowercase hex.
    pub sha256: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    tokens: Vec<StoredToken>,
}

/// Why the token file could not be read or written, or a token not added.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file cannot be read.
    #[error("cannot read the token file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not a token file.
    #[error("the token file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    /// The file cannot be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
    /// A token of that name exists.
    #[error("a token named '{0}' exists already (remove it first)")]
    Exists(String),
    /// No token of that name.
    #[error("no token named '{0}'")]
    Unknown(String),
    /// An empty name or one with control characters.
    #[error(
        "a token's name must be 1 to 64 printable characters, not blank and without spaces at \
         either end, not {0:?}"
    )]
    BadName(String),
    /// The operating system's random source failed.
    #[error("no random numbers for a token: {0}")]
    Random(String),
}

/// The tokens of a token file, kept in memory and written back (atomically) on each change.
#[derive(Debug)]
pub struct TokenStore {
    path: PathBuf,
    tokens: Vec<StoredToken>,
}

/// SHA-256 of `token`, lowercase hex.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two strings in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl TokenStore {
    /// Opens the token file at `path`; a missing file is an empty store (created by the first
    /// [`TokenStore::add`]). Errors: unreadable or invalid file.
    pub fn open(path: &Path) -> Result<TokenStore, TokenError> {
        let tokens = match std::fs::read_to_string(path) {
            Ok(text) => {
                let de = &mut serde_json::Deserializer::from_str(&text);
                let file: TokenFile =
                    serde_path_to_error::deserialize(de).map_err(|e| TokenError::Parse {
                        path: path.to_path_buf(),
                        // serde's `?` or `.`: no field to name (the message has line and column).
                        message: match e.path().to_string() {
                            p if p == "?" || p == "." || p.is_empty() => e.inner().to_string(),
                            p => format!("{} (field {})", e.inner(), p.replace(".?", "")),
                        },
                    })?;
                file.tokens
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => {
                return Err(TokenError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Ok(TokenStore {
            path: path.to_path_buf(),
            tokens,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored tokens (names, roles, hashes).
    pub fn tokens(&self) -> &[StoredToken] {
        &self.tokens
    }

    /// The token whose hash matches `token`, if any.
    pub fn check(&self, token: &str) -> Option<&StoredToken> {
        let h = hash_token(token);
        self.tokens.iter().find(|t| same(&t.sha256, &h))
    }

    /// Adds a token named `name` with `role`, writes the file and returns the token text (shown
    /// once: only its hash is kept). Errors: a bad or taken name, no random source, the write.
    pub fn add(&mut self, name: &str, role: Role) -> Result<String, TokenError> {
        if name.trim().is_empty()
            || name.trim() != name
            || name.chars().count() > 64
            || name.chars().any(char::is_control)
        {
            return Err(TokenError::BadName(name.to_string()));
        }
        if self.tokens.iter().any(|t| t.name == name) {
            return Err(TokenError::Exists(name.to_string()));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| TokenError::Random(e.to_string()))?;
        let token = hex(&bytes);
        self.tokens.push(StoredToken {
            name: name.to_string(),
            role,
            sha256: hash_token(&token),
        });
        if let Err(e) = self.save() {
            self.tokens.pop();
            return Err(e);
        }
        Ok(token)
    }

    /// Removes the token named `name` and writes the file. Errors: no such token, the write.
    pub fn remove(&mut self, name: &str) -> Result<StoredToken, TokenError> {
        let k = self
            .tokens
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| TokenError::Unknown(name.to_string()))?;
        let removed = self.tokens.remove(k);
        if let Err(e) = self.save() {
            self.tokens.insert(k, removed);
            return Err(e);
        }
        Ok(removed)
    }

    fn save(&self) -> Result<(), TokenError> {
        let file = TokenFile {
            tokens: self.tokens.clone(),
        };
        crate::io::write_json(&self.path, &file)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_by_hand() {
        use Action::*;
        // Written out from the issue: viewer watches; artist content, light cards, grading;
        // operator cameras, overscan, freeze, save; admin tokens.
        let artist = [Watch, EnvironmentYaw, Grade, LightCard, Content];
        let operator = [Frustum, FreezeOuter, Camera, Save];
        for a in Action::ALL {
            assert_eq!(allowed(Role::Viewer, a), a == Watch, "{a:?}");
            assert_eq!(allowed(Role::Artist, a), artist.contains(&a), "{a:?}");
            assert_eq!(
                allowed(Role::Operator, a),
                artist.contains(&a) || operator.contains(&a),
                "{a:?}"
            );
            assert!(allowed(Role::Admin, a));
        }
    }

    #[test]
    fn the_docs_table_is_this_matrix() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/remote.md"),
        )
        .unwrap();
        for a in Action::ALL {
            let row = docs
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", a.name())))
                .unwrap_or_else(|| panic!("docs/remote.md has no row for {}", a.name()));
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            // "", action, API, viewer, artist, operator, admin, ""
            for (k, r) in Role::ALL.into_iter().enumerate() {
                let yes = match cells[3 + k] {
                    "yes" => true,
                    "no" => false,
                    other => panic!("{row}: {other}"),
                };
                assert_eq!(yes, allowed(r, a), "{} for {}", a.name(), r.name());
            }
        }
    }

    #[test]
    fn sha256_of_a_known_text() {
        // FIPS 180-2 example "abc".
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tokens_are_stored_hashed_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let mut store = TokenStore::open(&path).unwrap();
        let t = store.add("ana", Role::Artist).unwrap();
        assert_eq!(t.len(), 64);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&t), "the token itself is not stored");
        assert!(text.contains(&hash_token(&t)));
        let again = TokenStore::open(&path).unwrap();
        assert_eq!(again.check(&t).map(|s| s.role), Some(Role::Artist));
        assert!(again.check("nope").is_none());
        assert!(matches!(
            store.add("ana", Role::Viewer),
            Err(TokenError::Exists(_))
        ));
        for blank in ["", "   ", " ana", "bo\t"] {
            assert!(
                matches!(store.add(blank, Role::Viewer), Err(TokenError::BadName(_))),
                "{blank:?}"
            );
        }
        let u = store.add("bo", Role::Viewer).unwrap();
        assert_ne!(t, u);
        store.remove("ana").unwrap();
        let again = TokenStore::open(&path).unwrap();
        assert!(again.check(&t).is_none());
        assert!(again.check(&u).is_some());
    }

    #[test]
    fn a_broken_token_file_names_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        std::fs::write(
            &path,
            r#"{"tokens": [{"name": "a", "role": "boss", "sha256": "x"}]}"#,
        )
        .unwrap();
        let e = TokenStore::open(&path).unwrap_err().to_string();
        assert!(e.contains("tokens[0].role"), "{e}");
    }
}
