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
    /// the frame of the tick that announces it (the primary's first tick after loading it): the
    /// time every node has to load its copy.
    pub reload_lead: Duration,
    /// The run's environment image overriding the stage's (`run --environment`), if any: part
    /// of the content revision, so a node shown another backdrop refuses to present.
    pub environment: Option<std::path::PathBuf>,
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
            environment: None,
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
    #[error("no output of the stage names node '{node}' ({})", if known.is_empty() { "no output names a node: give each output its node, e.g. Output(..., node: \"node-1\")".to_string() } else { format!("nodes named: {known}") })]
    UnknownNode {
        /// The name given.
        node: String,
        /// The nodes the outputs name, comma-separated.
        known: String,
    },
    /// An endpoint Zenoh does not accept.
    #[error(
        "{switch} {endpoint}: not an endpoint the cluster can use ({reason}); write tcp/HOST:PORT, e.g. tcp/0.0.0.0:7447 to listen on every interface or tcp/10.0.0.1:7447 to connect to the primary"
    )]
    BadEndpoint {
        /// `--listen` or `--connect`.
        switch: &'static str,
        /// The endpoint given.
        endpoint: String,
        /// Zenoh's reason, without its source locations ([`zenoh_reason`]).
        reason: String,
    },
    /// The network session (Zenoh) did not open: most often a `--listen` port another process
    /// holds, or an address that is not this machine's.
    #[error(
        "the cluster's network session did not open{on}: {reason}; check that no other process (another parallax?) listens on that port and that the address is one of this machine's (or 0.0.0.0)"
    )]
    Open {
        /// `" (listening on ...)"`, or empty.
        on: String,
        /// Zenoh's reason, without its source locations ([`zenoh_reason`]).
        reason: String,
    },
    /// The session opened but Zenoh refused a declaration (a publisher, a subscriber, a token).
    #[error("the cluster's network session failed while {what}: {reason}")]
    Zenoh {
        /// What was being declared, in words.
        what: String,
        /// Zenoh's reason, without its source locations ([`zenoh_reason`]).
        reason: String,
    },
    /// `--no-scouting` without an endpoint: nothing could ever be found.
    #[error(
        "--no-scouting without --listen or --connect: this process could never find the others; give the primary --listen tcp/0.0.0.0:7447 and the nodes --connect tcp/PRIMARY:7447, or drop --no-scouting"
    )]
    NoEndpoint,
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

/// A Zenoh error's text without the source locations Zenoh appends (`... at
/// /root/.cargo/registry/src/.../unicast.rs:123.`): an operator can do nothing with them.
/// Zenoh's `- Caused by` chains become `: `.
pub fn zenoh_reason(e: impl std::fmt::Display) -> String {
    let text = e.to_string();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find(" at ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        match location_len(after) {
            Some(n) => rest = &after[n..],
            None => {
                out.push_str(" at ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace(" - Caused by ", ": ")
        .trim()
        .trim_end_matches('.')
        .to_string()
}

/// The length of a source location `PATH.rs:LINE` (and the `.` after it) at the start of `s`.
fn location_len(s: &str) -> Option<usize> {
    let rs = s.find(".rs:")?;
    if s[..rs].is_empty() || s[..rs].contains(char::is_whitespace) {
        return None;
    }
    let digits = s[rs + 4..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let end = rs + 4 + digits;
    Some(if s[end..].starts_with('.') {
        end + 1
    } else {
        end
    })
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

impl ClusterConfig {
    /// Checks that the stage's outputs name this process's node, if it has one (a primary
    /// without `node` delivers the outputs that name none). Errors:
    /// [`ClusterError::UnknownNode`], listing the names.
    pub fn check_node(&self, stage: &crate::stage::Stage) -> Result<(), ClusterError> {
        let Some(node) = &self.node else {
            return Ok(());
        };
        let known = super::nodes_of(stage);
        if known.contains(node) {
            Ok(())
        } else {
            Err(ClusterError::UnknownNode {
                node: node.clone(),
                known: known.join(", "),
            })
        }
    }

    /// Checks the names (see [`ClusterError::BadName`], [`ClusterError::NoName`]).
    pub fn check(&self) -> Result<(), ClusterError> {
        if !valid_name(&self.name) {
            return Err(ClusterError::BadName {
                what: "--cluster",
                name: self.name.clone(),
            });
        }
        if !self.scouting && self.listen.is_empty() && self.connect.is_empty() {
            return Err(ClusterError::NoEndpoint);
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
    /// not accept ([`ClusterError::BadEndpoint`], naming it).
    pub fn zenoh(&self) -> Result<zenoh::Config, ClusterError> {
        // Each endpoint alone first, so that the error names the one refused.
        for (switch, key, list) in [
            ("--listen", "listen/endpoints", &self.listen),
            ("--connect", "connect/endpoints", &self.connect),
        ] {
            for endpoint in list {
                let bad = |reason: String| ClusterError::BadEndpoint {
                    switch,
                    endpoint: endpoint.clone(),
                    reason,
                };
                let parsed = <zenoh::config::EndPoint as std::str::FromStr>::from_str(endpoint)
                    .map_err(|e| bad(zenoh_reason(e)))?;
                if parsed.protocol().as_str() != "tcp" {
                    return Err(bad(format!(
                        "only tcp/ endpoints are built in, not {}/",
                        parsed.protocol().as_str()
                    )));
                }
                // `tcp/127.0.0.1` parses, then connects nowhere and waits for ever.
                let address = parsed.address();
                let port = address.as_str().rsplit_once(':').map(|(_, p)| p);
                if let Some(p) = port
                    && !p.is_empty()
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && p.parse::<u16>().is_err()
                {
                    return Err(bad(format!(
                        "port {p} is out of range (a port is 0..65535)"
                    )));
                }
                if port.is_none_or(|p| p.parse::<u16>().is_err()) {
                    return Err(bad(format!(
                        "'{address}' has no port (HOST:PORT, the port 0..65535)"
                    )));
                }
                zenoh::Config::default()
                    .insert_json5(key, &json_list(std::slice::from_ref(endpoint)))
                    .map_err(|e| bad(zenoh_reason(e)))?;
            }
        }
        let mut c = zenoh::Config::default();
        for (key, value) in self.zenoh_json5() {
            c.insert_json5(key, &value)
                .map_err(|e| ClusterError::Zenoh {
                    what: format!("configuring {key} = {value}"),
                    reason: zenoh_reason(e),
                })?;
        }
        Ok(c)
    }

    /// Opens the Zenoh session ([`ClusterConfig::zenoh`]). Errors: [`ClusterError::Open`] (a
    /// listen port taken, an address not this machine's), naming the listen endpoints.
    pub fn open(&self) -> Result<zenoh::Session, ClusterError> {
        use zenoh::Wait;
        let config = self.zenoh()?;
        zenoh::open(config).wait().map_err(|e| ClusterError::Open {
            on: if self.listen.is_empty() {
                String::new()
            } else {
                format!(" (listening on {})", self.listen.join(", "))
            },
            reason: zenoh_reason(e),
        })
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
            connect: vec!["tcp/127.0.0.1:7501".into(), "nonsense".into()],
            ..c.clone()
        };
        let e = bad.zenoh().unwrap_err();
        assert!(
            matches!(&e, ClusterError::BadEndpoint { switch: "--connect", endpoint, .. } if endpoint == "nonsense"),
            "{e}"
        );
        let text = e.to_string();
        assert!(
            text.starts_with("--connect nonsense: not an endpoint"),
            "{text}"
        );
        assert!(!text.contains(".rs:"), "source locations in {text}");
        // An endpoint without a port (the tryout's node waited for ever on it).
        for no_port in ["tcp/127.0.0.1", "tcp/127.0.0.1:http", "tcp/[::1]"] {
            let e = ClusterConfig {
                connect: vec![no_port.into()],
                ..c.clone()
            }
            .zenoh()
            .unwrap_err();
            assert!(e.to_string().contains("has no port"), "{no_port}: {e}");
        }
        // A port beyond 16 bits is out of range, not missing.
        let e = ClusterConfig {
            connect: vec!["tcp/127.0.0.1:99999".into()],
            ..c.clone()
        }
        .zenoh()
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("port 99999 is out of range (a port is 0..65535)"),
            "{e}"
        );
        assert!(
            ClusterConfig {
                connect: vec!["tcp/[::1]:7447".into(), "tcp/localhost:7447".into()],
                ..c.clone()
            }
            .zenoh()
            .is_ok()
        );
        let udp = ClusterConfig {
            listen: vec!["udp/0.0.0.0:7447".into()],
            ..c.clone()
        };
        let text = udp.zenoh().unwrap_err().to_string();
        assert!(
            text.starts_with("--listen udp/0.0.0.0:7447: not an endpoint the cluster can use (only tcp/ endpoints are built in"),
            "{text}"
        );
        // Scouting off and no endpoint: refused.
        let alone = ClusterConfig {
            connect: vec![],
            ..c
        };
        assert!(matches!(alone.check(), Err(ClusterError::NoEndpoint)));
    }

    #[test]
    fn zenoh_source_locations_are_left_out() {
        let raw = "Can not create a new TCP listener bound to 127.0.0.1:7447: Address already in use (os error 98) at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/zenoh-link-tcp-1.10.2/src/unicast.rs:318. - Caused by failed at /root/.cargo/registry/src/x/zenoh-1.10.2/src/net/runtime/orchestrator.rs:42.";
        assert_eq!(
            zenoh_reason(raw),
            "Can not create a new TCP listener bound to 127.0.0.1:7447: Address already in use (os error 98): failed"
        );
        let bracketed = "bound to tcp/127.0.0.1:46187: [127.0.0.1:46187: Address already in use (os error 98) at /root/.cargo/registry/src/i/zenoh-link-commons-1.10.2/src/tcp.rs:61.]";
        assert_eq!(
            zenoh_reason(bracketed),
            "bound to tcp/127.0.0.1:46187: [127.0.0.1:46187: Address already in use (os error 98)]"
        );
        // " at " that is not a location stays.
        assert_eq!(zenoh_reason("look at this"), "look at this");
        assert_eq!(
            zenoh_reason("bound at tcp/1.2.3.4:80 now"),
            "bound at tcp/1.2.3.4:80 now"
        );
    }

    /// A `--listen` port another process holds: a typed error naming the endpoint, what to
    /// check, and no source locations.
    #[test]
    fn a_taken_listen_port_is_a_clear_error() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("tcp/{}", taken.local_addr().unwrap());
        let c = ClusterConfig {
            primary: true,
            listen: vec![endpoint.clone()],
            scouting: false,
            ..Default::default()
        };
        let e = c.open().expect_err("the port is taken");
        let text = e.to_string();
        assert!(matches!(e, ClusterError::Open { .. }), "{text}");
        assert!(
            text.contains(&format!("(listening on {endpoint})")),
            "{text}"
        );
        assert!(text.contains("check that no other process"), "{text}");
        assert!(
            !text.contains(".rs:") && !text.contains("registry"),
            "{text}"
        );
    }
}
