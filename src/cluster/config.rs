//! How a process joins the cluster: its node name, whether it is the primary, the Zenoh
//! endpoints (peer mode, no router), multicast scouting, and the barrier's timeouts.

use std::time::Duration;

/// A process's place in the cluster (`parallax run --node NAME [--primary] ...`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterConfig {
    /// This node's name: it delivers the outputs whose `node` is this name (a primary without a
    /// name delivers the outputs that name no node).
    pub node: Option<String>,
    /// This process is the primary: it owns tracking input (live or a take), publishes the ticks
    /// and runs the swap barrier.
    pub primary: bool,
    /// Zenoh endpoints to listen on (`tcp/0.0.0.0:7447`); empty: Zenoh's default (a free port).
    pub listen: Vec<String>,
    /// Zenoh endpoints to connect to (retried in the background until they answer).
    pub connect: Vec<String>,
    /// Multicast scouting (Zenoh's 224.0.0.224:7446): peers on the stage network find each
    /// other without endpoints. Off in tests.
    pub scouting: bool,
    /// Key-expression namespace: clusters with different names on one network ignore each
    /// other (`parallax/NAME/...`).
    pub name: String,
    /// The primary releases a frame at most this long after its own render of the frame.
    pub barrier_timeout: Duration,
    /// Before frame 0 the primary waits at most this long for the nodes the stage's outputs name.
    pub join_timeout: Duration,
    /// A hot reload is switched to this long (in frames at the stage rate, at least one) after
    /// the primary has loaded it: the time every node has to load its copy.
    pub reload_lead: Duration,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            node: None,
            primary: false,
            listen: Vec::new(),
            connect: Vec::new(),
            scouting: true,
            name: "default".into(),
            barrier_timeout: Duration::from_millis(100),
            join_timeout: Duration::from_secs(10),
            reload_lead: Duration::from_millis(1000),
        }
    }
}

/// Why the cluster cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A node or cluster name Zenoh cannot put in a key expression.
    #[error(
        "{what} '{name}' cannot name a node: use letters, digits, '-', '_' and '.' (no '/', '*', '$', '?', '#')"
    )]
    BadName {
        /// `--node` or `--cluster`.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// A node that is not the primary without a name.
    #[error("--node NAME is needed on a node that is not the primary (--primary)")]
    NoName,
    /// The stage's outputs do not name this node.
    #[error("no output of the stage names node '{node}' (nodes named: {known})")]
    UnknownNode {
        /// The name given.
        node: String,
        /// The nodes the outputs name, comma-separated.
        known: String,
    },
    /// Zenoh refused the configuration or could not open the session.
    #[error("zenoh: {0}")]
    Zenoh(String),
    /// The stage's revision cannot be computed.
    #[error(transparent)]
    Revision(#[from] super::revision::RevisionError),
}

/// Whether `name` can be a chunk of a key expression (and a sensible node name).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

impl ClusterConfig {
    /// Checks the names (see [`ClusterError::BadName`], [`ClusterError::NoName`]).
    pub fn check(&self) -> Result<(), ClusterError> {
        if !valid_name(&self.name) {
            return Err(ClusterError::BadName {
                what: "--cluster",
                name: self.name.clone(),
            });
        }
        match &self.node {
            Some(n) if !valid_name(n) => Err(ClusterError::BadName {
                what: "--node",
                name: n.clone(),
            }),
            None if !self.primary => Err(ClusterError::NoName),
            _ => Ok(()),
        }
    }

    /// The key expression of the cluster's `what` (`tick`, `ready`, `release`, `node/NAME`).
    pub fn key(&self, what: &str) -> String {
        format!("parallax/{}/{what}", self.name)
    }

    /// The Zenoh configuration: peer mode, the listen and connect endpoints (connections retried
    /// every 100 ms to 1 s), multicast scouting on or off. As JSON5 keys, so that it can be read
    /// without a session.
    pub fn zenoh_json5(&self) -> Vec<(&'static str, String)> {
        let mut keys = vec![
            ("mode", "\"peer\"".to_string()),
            ("scouting/multicast/enabled", self.scouting.to_string()),
            ("connect/endpoints", json_list(&self.connect)),
            (
                "connect/retry",
                "{ period_init_ms: 100, period_max_ms: 1000, period_increase_factor: 2 }".into(),
            ),
        ];
        if !self.listen.is_empty() {
            keys.push(("listen/endpoints", json_list(&self.listen)));
        }
        keys
    }

    /// The Zenoh configuration ([`ClusterConfig::zenoh_json5`]). Errors: an endpoint Zenoh does
    /// not accept.
    pub fn zenoh(&self) -> Result<zenoh::Config, ClusterError> {
        let mut c = zenoh::Config::default();
        for (key, value) in self.zenoh_json5() {
            c.insert_json5(key, &value)
                .map_err(|e| ClusterError::Zenoh(format!("{key} = {value}: {e}")))?;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(valid_name("render-1.b_2"));
        for bad in ["", "a/b", "a*", "$x", "a?b", "a#b", "a b"] {
            assert!(!valid_name(bad), "{bad}");
        }
        let c = ClusterConfig::default();
        assert!(matches!(c.check(), Err(ClusterError::NoName)));
        let c = ClusterConfig {
            node: Some("a/b".into()),
            ..Default::default()
        };
        assert!(c.check().unwrap_err().to_string().contains("'a/b'"));
        let c = ClusterConfig {
            primary: true,
            ..Default::default()
        };
        c.check().unwrap();
        assert_eq!(c.key("tick"), "parallax/default/tick");
    }

    #[test]
    fn the_zenoh_configuration_is_peer_mode_with_the_endpoints() {
        let c = ClusterConfig {
            node: Some("b".into()),
            connect: vec!["tcp/127.0.0.1:7501".into()],
            scouting: false,
            ..Default::default()
        };
        let keys = c.zenoh_json5();
        assert!(keys.contains(&("mode", "\"peer\"".into())));
        assert!(keys.contains(&("scouting/multicast/enabled", "false".into())));
        assert!(keys.contains(&("connect/endpoints", "[\"tcp/127.0.0.1:7501\"]".into())));
        assert!(!keys.iter().any(|(k, _)| *k == "listen/endpoints"));
        c.zenoh().unwrap();
        let bad = ClusterConfig {
            connect: vec!["nonsense".into()],
            ..c
        };
        assert!(bad.zenoh().is_err());
    }
}
