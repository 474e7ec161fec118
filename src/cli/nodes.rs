//! `parallax run --node NAME [--primary]`: the live loop across render nodes ([`parallax::cluster`],
//! docs/nodes.md), and `--burn-in`. The switches, how they change the run's options and targets,
//! and joining the loop to the cluster.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use parallax::cluster::{ClusterConfig, Node, Primary};
use parallax::live::{FileSink, LiveLoop, Pacing, Plan, RunOptions, RunStats, Sink};

/// The render-node switches of `parallax run`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct NodeArgs {
    /// Run as render node NAME: deliver only the outputs whose `node` is NAME (the stage file's
    /// `Output(node: ...)`), rendering exactly the primary's frames. See docs/nodes.md.
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
    /// This process is the primary: it owns tracking input (live or --take), publishes each
    /// frame's tick and runs the swap barrier. With --node it also delivers that node's outputs;
    /// without, the outputs that name no node. Not needed on the node the stage file names
    /// (`primary_node:`).
    #[arg(long)]
    pub primary: bool,
    /// Run as a plain node even though the stage file names this node its primary
    /// (`primary_node`): the primary role moved to another process, started with --primary.
    #[arg(long, requires = "node", conflicts_with = "primary")]
    pub no_primary: bool,
    /// Zenoh endpoint to listen on, e.g. tcp/0.0.0.0:7447 (repeatable).
    #[arg(long, value_name = "ENDPOINT")]
    pub listen: Vec<String>,
    /// Zenoh endpoint to connect to, e.g. tcp/10.0.0.1:7447 (repeatable; retried until it
    /// answers).
    #[arg(long, value_name = "ENDPOINT")]
    pub connect: Vec<String>,
    /// Do not find peers by multicast scouting (use --listen/--connect endpoints only).
    #[arg(long)]
    pub no_scouting: bool,
    /// Cluster name: clusters with different names on one network ignore each other.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub cluster: String,
    /// Swap barrier: the primary releases a frame at most this many milliseconds after its own
    /// render of the frame, ready or not (the nodes not ready are counted late; a node late 3
    /// frames in a row is not waited for until it keeps up) [default: 100].
    #[arg(long, value_name = "MS", value_parser = barrier_ms)]
    pub barrier_timeout: Option<u64>,
    /// Before frame 0 the primary waits at most this many seconds for the nodes the stage's outputs
    /// name [default: 10].
    #[arg(long, value_name = "S")]
    pub join_timeout: Option<f64>,
    /// Hot reload: the primary announces an edit of the stage (or a file it names) in its next
    /// tick and every node switches to it this many milliseconds (in whole frames) after that
    /// tick's frame, at the same frame; each node loads its own copy of the files meanwhile. A
    /// node that has not loaded them by then refuses to present until it has [default: 1000].
    #[arg(long, value_name = "MS")]
    pub reload_lead: Option<u64>,
    /// Stamp the frame number as a 24-bit bar code in the bottom-left corner of every output
    /// written to files (seams between nodes can then be checked).
    #[arg(long)]
    pub burn_in: bool,
    /// The node the stage file names its primary (`primary_node`), read by
    /// [`NodeArgs::resolve_primary`].
    #[arg(skip)]
    pub named_primary: Option<String>,
}

/// `--barrier-timeout`: whole milliseconds, at least 1.
fn barrier_ms(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("at least 1 ms (0 would release every frame at once: no barrier)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a whole number of milliseconds")),
    }
}

/// The switches among `options` that a node ignores (the primary's frames carry what they
/// set), by name.
fn ignored_on_a_node(options: &RunOptions) -> Vec<&'static str> {
    [
        (options.camera.is_some(), "--camera"),
        (!options.live_tracking, "--no-tracking"),
        (options.pacing == Pacing::Unpaced, "--unpaced"),
    ]
    .into_iter()
    .filter_map(|(given, name)| given.then_some(name))
    .collect()
}

/// Warns about a `--connect` endpoint whose host does not resolve now (a misspelt name looks
/// like a primary that is not started); the connection is still retried.
fn warn_unresolved(connect: &[String]) {
    use std::net::ToSocketAddrs;
    for endpoint in connect {
        let Some(address) = endpoint.strip_prefix("tcp/") else {
            continue;
        };
        let address = address.split(['#', '?']).next().unwrap_or(address);
        if let Err(e) = address.to_socket_addrs() {
            eprintln!(
                "warning: --connect {endpoint}: the host does not resolve ({e}); check its name (the connection is retried meanwhile)"
            );
        }
    }
}

impl NodeArgs {
    /// Whether the run is part of a cluster.
    pub fn clustered(&self) -> bool {
        self.node.is_some() || self.primary
    }

    fn config(&self) -> ClusterConfig {
        ClusterConfig {
            node: self.node.clone(),
            primary: self.primary,
            listen: self.listen.clone(),
            connect: self.connect.clone(),
            scouting: !self.no_scouting,
            name: self.cluster.clone(),
            barrier_timeout: Duration::from_millis(self.barrier_timeout.unwrap_or(100)),
            join_timeout: Duration::from_secs_f64(self.join_timeout.unwrap_or(10.0).max(0.0)),
            reload_lead: Duration::from_millis(self.reload_lead.unwrap_or(1000)),
            environment: None,
        }
    }

    /// The cluster switches given without `--node` or `--primary`, by name.
    fn stray(&self) -> Vec<&'static str> {
        [
            (!self.listen.is_empty(), "--listen"),
            (!self.connect.is_empty(), "--connect"),
            (self.no_scouting, "--no-scouting"),
            (self.cluster != "default", "--cluster"),
            (self.barrier_timeout.is_some(), "--barrier-timeout"),
            (self.join_timeout.is_some(), "--join-timeout"),
            (self.reload_lead.is_some(), "--reload-lead"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect()
    }

    /// Makes this process the primary when the stage file at `stage_path` names its node
    /// (`primary_node:`) and says so; notes a `--primary` that overrides the stage's choice. A
    /// stage file that does not read or parse is left to the loop (which reports it located).
    pub fn resolve_primary(&mut self, stage_path: &Path) {
        let named = std::fs::read_to_string(stage_path)
            .ok()
            .and_then(|text| parallax::stage::parse(&text, "").ok())
            .and_then(|f| f.primary_node);
        self.named_primary = named.clone();
        let Some(named) = named else {
            if self.no_primary {
                eprintln!(
                    "note: --no-primary changes nothing: the stage names no primary_node (this process is a node unless started with --primary)"
                );
            }
            return;
        };
        if self.no_primary && self.node.as_ref() != Some(&named) {
            eprintln!(
                "note: --no-primary changes nothing: the stage names node '{named}' its primary (primary_node), not this one"
            );
        }
        match (&self.node, self.primary) {
            (Some(node), false) if *node == named && self.no_primary => eprintln!(
                "note: the stage names node '{named}' its primary (primary_node), but --no-primary: this process is a plain node; the primary is the process started with --primary"
            ),
            (Some(node), false) if *node == named => {
                self.primary = true;
                eprintln!(
                    "note: the stage names node '{named}' its primary (primary_node): this process is the primary"
                );
            }
            (node, true) if node.as_ref() != Some(&named) => eprintln!(
                "note: --primary on {}, though the stage names node '{named}' its primary (primary_node): this process is the primary; start node '{named}' with --no-primary, or two primaries will run",
                node.as_deref()
                    .map_or("a process without --node".into(), |n| format!("node '{n}'"))
            ),
            _ => {}
        }
    }

    /// The outputs this process delivers: (its count, every output's count).
    pub fn delivered(&self, stage: &parallax::stage::Stage) -> (usize, usize) {
        let all = stage.outputs.len();
        if !self.clustered() {
            return (all, all);
        }
        let mine = stage.outputs.iter().filter(|o| o.node == self.node).count();
        (mine, all)
    }

    /// Whose outputs [`NodeArgs::delivered`] counts, in words.
    pub fn whose(&self) -> &'static str {
        if self.node.is_some() {
            "this node's"
        } else {
            "those naming no node"
        }
    }

    /// Checks the switches before anything starts, and changes the run's options for a node: no
    /// tracking of its own (the primary's ticks carry the cameras) and no timer (the ticks pace
    /// it). Errors: cluster switches without `--node` or `--primary` (the run would be a
    /// standalone one), `--no-scouting` without an endpoint, a bad name, a node given a take.
    pub fn adjust(&self, options: &mut RunOptions) -> anyhow::Result<()> {
        if !self.clustered() {
            let stray = self.stray();
            if !stray.is_empty() {
                anyhow::bail!(
                    "{} {} for render nodes, but this process is neither --node NAME nor --primary, so it would run alone: add --node NAME (a render node, NAME as in the stage's outputs) or --primary (the process with the tracking input); see docs/nodes.md",
                    stray.join(", "),
                    if stray.len() == 1 { "is" } else { "are" }
                );
            }
            return Ok(());
        }
        let config = self.config();
        config.check()?;
        config.zenoh()?; // the endpoints
        warn_unresolved(&config.connect);
        if self.primary {
            return Ok(());
        }
        let primary = match &self.named_primary {
            Some(n) => format!("node '{n}', the stage's primary_node"),
            None => "the --primary process".into(),
        };
        if options.take.is_some() {
            anyhow::bail!(
                "--take is the primary's: a node renders the primary's frames (give --take to the primary: {primary})"
            );
        }
        if options.frames.is_some() {
            anyhow::bail!(
                "--frames is the primary's: a node renders until the primary's run ends (give --frames to the primary: {primary})"
            );
        }
        let ignored = ignored_on_a_node(options);
        if !ignored.is_empty() {
            eprintln!(
                "note: {} {} the primary's: this node renders the primary's frames (its cameras, tracking and pace) and ignores {}",
                ignored.join(", "),
                if ignored.len() == 1 { "is" } else { "are" },
                if ignored.len() == 1 { "it" } else { "them" }
            );
        }
        options.live_tracking = false;
        options.pacing = Pacing::Unpaced;
        Ok(())
    }

    /// Joins `live` to the cluster and keeps only this node's outputs in `plan`.
    pub fn join(
        &self,
        live: &mut LiveLoop,
        stage_path: &Path,
        plan: &mut Plan,
        stop: &Arc<AtomicBool>,
    ) -> anyhow::Result<()> {
        if !self.clustered() {
            return Ok(());
        }
        let mut config = self.config();
        config.environment = live.environment().map(Path::to_path_buf);
        config.check_node(live.stage())?;
        let mine = |name: &str| {
            live.stage()
                .outputs
                .iter()
                .find(|o| o.name == name)
                .is_some_and(|o| o.node == self.node)
        };
        // Only this node's outputs are rendered and read back.
        let names: Vec<String> = live
            .stage()
            .outputs
            .iter()
            .filter(|o| o.node == self.node)
            .map(|o| o.name.clone())
            .collect();
        plan.windows.retain(|w| mine(&w.output));
        plan.null.retain(|n| mine(n));
        for f in &mut plan.files {
            if let Some(names) = &mut f.outputs {
                names.retain(|n| mine(n));
            }
        }
        plan.files
            .retain(|f| f.outputs.as_ref().is_none_or(|o| !o.is_empty()));
        if self.primary && self.node.is_none() && names.is_empty() {
            eprintln!(
                "note: --primary without --node, and every output of the stage names a node ({}): this process renders and delivers no output, it only publishes the ticks and runs the swap barrier; to drive a node's outputs from it too, add --node NAME",
                parallax::cluster::nodes_of(live.stage()).join(", ")
            );
        }
        live.render_only(names);
        let role = if self.primary { "primary" } else { "node" };
        eprintln!(
            "cluster '{}': {role} {}{}{}",
            config.name,
            self.node
                .as_deref()
                .map_or("(outputs naming no node)".into(), |n| format!("'{n}'")),
            if config.listen.is_empty() {
                String::new()
            } else {
                format!(", listening on {}", config.listen.join(" "))
            },
            if config.connect.is_empty() {
                String::new()
            } else {
                format!(", connecting to {}", config.connect.join(" "))
            }
        );
        if self.primary {
            let p = Primary::start(config, stage_path, live.stage())?;
            live.set_sync(Box::new(p));
        } else {
            let n = Node::start(config, stage_path, live.stage(), stop.clone())?;
            live.set_sync(Box::new(n));
        }
        Ok(())
    }
}

/// Runs `live` headless into `files`, stamping the frame number first when `burn_in`.
pub fn run_headless(
    live: &mut LiveLoop,
    files: &mut [FileSink],
    burn_in: bool,
    stop: &AtomicBool,
) -> RunStats {
    if burn_in {
        let mut burned: Vec<parallax::cluster::burnin::BurnIn> = files
            .iter_mut()
            .map(|f| parallax::cluster::burnin::BurnIn::new(f))
            .collect();
        let mut sinks: Vec<&mut dyn Sink> = burned.iter_mut().map(|b| b as &mut dyn Sink).collect();
        live.run(&mut sinks, stop)
    } else {
        let mut sinks: Vec<&mut dyn Sink> = files.iter_mut().map(|f| f as &mut dyn Sink).collect();
        live.run(&mut sinks, stop)
    }
}
