//! `parallax run STAGE`: the live loop. Renders the stage continuously at its frame rate from live
//! tracking (or `--take`), delivers every output to its target (the stage file's `target:`, or the
//! command line's `--windows`, `--display`, `--sink`, `--out`, `--every`, which override it),
//! reloads edits to the stage file (and the files it names) between two frames, and prints late,
//! dropped and failed frames and the latency at exit. A take's replay stops at the take's end
//! (or, with `--loop`, starts again).

use std::path::PathBuf;

use parallax::live::{Fault, HeadlessSink, LiveLoop, Pacing, RunOptions, TargetOverrides};

/// Where the outputs go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SinkKind {
    /// Rendered and finished on the GPU, then discarded (tests, benchmarks, dry runs).
    Null,
    /// One file per output every `--every` frames, into `--out DIR/frame-NNNNNN/`: `NAME.png`
    /// (sRGB, or PQ in 16 bits) or `NAME.exr` (linear EXR), by the output's encoding, and the
    /// frame's frame.json.
    Files,
}

#[derive(clap::Args, Default)]
pub struct Args {
    /// Stage file (RON); default: the bundled demo stage.
    pub stage: Option<PathBuf>,
    /// Replay this take (from `parallax track --record`) at its own timing instead of live tracking.
    #[arg(long)]
    pub take: Option<PathBuf>,
    /// The stage camera to render (by name); default: the first camera of the stage file.
    #[arg(long)]
    pub camera: Option<String>,
    /// Send every output to this sink, overriding the stage file's targets. Without it (and
    /// without --windows) each output goes to its `target:` in the stage file; outputs without
    /// one go to the null sink.
    #[arg(long, value_enum, conflicts_with = "windows")]
    pub sink: Option<SinkKind>,
    /// Folder for `--sink files` (default: out-run), or replacing the folder of the stage file's
    /// `Files` targets.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write every Nth frame: for `--sink files` (default 1), or replacing the interval of the
    /// stage file's `Files` targets.
    #[arg(long)]
    pub every: Option<u64>,
    /// Stop before slot N: frame numbers are slots at the stage rate, and slots 0..N are each
    /// rendered or, when the loop falls behind, dropped. Default: a take's last frame with --take
    /// (with --serve too: until Ctrl-C, the server keeps serving), else until Ctrl-C. Past a
    /// take's end the camera holds its last pose (a warning says so).
    #[arg(long, value_name = "N")]
    pub frames: Option<u64>,
    /// With --take: replay the take in a loop (after its last frame playback restarts at its
    /// first; frame numbers keep counting), until --frames or Ctrl-C. For soak runs.
    #[arg(long = "loop", requires = "take")]
    pub loop_take: bool,
    /// Print what the process holds every N frames on stderr (`resources: frame N: rss, open
    /// file descriptors, GPU objects created by the renderer, wgpu's live objects`): soak runs.
    #[arg(long, value_name = "N")]
    pub resources_every: Option<u64>,
    /// Render frames back to back instead of at the stage frame rate.
    #[arg(long)]
    pub unpaced: bool,
    /// Do not watch the stage file for edits.
    #[arg(long)]
    pub no_watch: bool,
    /// Do not listen to live tracking (the stage file's camera at rest).
    #[arg(long)]
    pub no_tracking: bool,
    /// Equirectangular environment image replacing the stage file's.
    #[arg(long)]
    pub environment: Option<PathBuf>,
    /// Write the run's figures here at exit (JSON: per-frame CPU, GPU, present and frame times,
    /// latency, late, dropped and failed frames, GPU device losses and re-creations).
    #[arg(long)]
    pub stats: Option<PathBuf>,
    /// Append every frame's frame.json (with timecode and sample times) to this JSON Lines file.
    #[arg(long)]
    pub frame_log: Option<PathBuf>,
    /// Show every output in its own window (vsync), overriding the stage file's targets (a
    /// window's placement in the stage file is kept unless --display gives one).
    #[arg(long)]
    pub windows: bool,
    /// Put an output in a window on a monitor, overriding its target in the stage file:
    /// `OUTPUT=MONITOR` (borderless fullscreen) or `OUTPUT=MONITOR@X,Y` (a borderless window at X,Y
    /// on the monitor: a region of a larger display); MONITOR is a name (e.g. HDMI-1) or an index
    /// from 0. Repeatable.
    #[arg(long, value_name = "OUTPUT=MONITOR[@X,Y]", value_parser = parallax::live::window::Placement::parse)]
    pub display: Vec<parallax::live::window::Placement>,
    /// With windows: save each window's picture as DIR/OUTPUT.png after the last frame.
    #[arg(long, value_name = "DIR")]
    pub screenshots: Option<PathBuf>,
    /// Inject failures to drill the never-dark path (comma-separated): `N` or `error@N` fails frame
    /// N (the last good frame is held and counted); `device-lost@N` destroys the GPU device before
    /// frame N (held until the device, renderer and scene are re-created, then carries on).
    #[arg(long, value_delimiter = ',', value_name = "FAULT", value_parser = Fault::parse)]
    pub inject_fault: Vec<Fault>,
    /// Remote review and control (docs/remote.md).
    #[command(flatten)]
    pub remote: super::remote::ServeArgs,
    /// Render nodes (--node, --primary, endpoints, barrier) and --burn-in.
    #[command(flatten)]
    pub nodes: super::nodes::NodeArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let stage = args.stage.clone().unwrap_or_else(super::default_stage);
    let mut options = RunOptions {
        camera: args.camera.clone(),
        take: args.take.clone(),
        loop_take: args.loop_take,
        live_tracking: !args.no_tracking,
        // With --serve, a take's end does not stop the run (and the server): the camera holds
        // the take's last pose until Ctrl-C or --frames.
        frames: args
            .frames
            .or((args.remote.serve.is_some() && args.take.is_some()).then_some(u64::MAX)),
        pacing: if args.unpaced {
            Pacing::Unpaced
        } else {
            Pacing::Timer
        },
        watch: !args.no_watch,
        environment: args.environment.clone(),
        frame_log: args.frame_log.clone(),
        faults: args.inject_fault.clone(),
        views: args.remote.serve.is_some(),
    };
    let mut nodes = args.nodes.clone();
    nodes.resolve_primary(&stage);
    nodes.adjust(&mut options)?;
    let stop = parallax::live::stop_on_ctrl_c();
    let mut live = LiveLoop::new(&stage, options)?;
    args.remote.start(&stage, &mut live)?;
    if let Some(n) = args.resources_every {
        live.add_hook(Box::new(parallax::live::resources::ResourceLog::new(n)));
    }
    for w in &live.stage().warnings {
        eprintln!("warning: {w}");
    }
    let overrides = TargetOverrides {
        windows: args.windows,
        sink: args.sink.map(|s| match s {
            SinkKind::Null => HeadlessSink::Null,
            SinkKind::Files => HeadlessSink::Files,
        }),
        displays: args.display.clone(),
        out: args.out.clone(),
        every: args.every,
    };
    let mut plan = parallax::live::targets::plan(live.stage(), &overrides)?;
    if (args.out.is_some() || args.every.is_some()) && plan.files.is_empty() {
        eprintln!("warning: --out/--every given but no output goes to files (add --sink files)");
    }
    if args.screenshots.is_some() && !plan.has_windows() {
        anyhow::bail!("--screenshots saves the windows' pictures, but no output goes to a window");
    }
    nodes.join(&mut live, &stage, &mut plan, &stop)?;
    if nodes.burn_in && plan.files.is_empty() {
        eprintln!(
            "note: --burn-in stamps the outputs written to files, and no output goes to files here (add --sink files)"
        );
    }
    eprintln!("adapter: {}", live.adapter());
    let (mine, all) = nodes.delivered(live.stage());
    eprintln!(
        "running {} at {} Hz ({}){}; Ctrl-C stops",
        stage.display(),
        live.stage().frame_rate,
        if mine == all {
            format!("{all} output{}", if all == 1 { "" } else { "s" })
        } else {
            format!("{mine} of the stage's {all} outputs: {}", nodes.whose())
        },
        if args.no_watch {
            ""
        } else {
            ", watching for edits"
        }
    );
    for line in plan.describe() {
        eprintln!("  {line}");
    }
    let stats = if plan.has_windows() {
        let options = parallax::live::window::WindowOptions {
            windows: plan.windows.clone(),
            screenshots: args.screenshots.clone(),
        };
        parallax::live::window::run_windows(live, options, &mut plan.files, stop)?
    } else {
        super::nodes::run_headless(&mut live, &mut plan.files, nodes.burn_in, &stop)
    };
    println!("{}", stats.summary());
    for f in &plan.files {
        println!(
            "wrote {} frames ({} held) of {} into {}/frame-NNNNNN/",
            f.written,
            f.held,
            f.outputs.as_deref().unwrap_or_default().join(", "),
            f.dir.display()
        );
    }
    finish(&args, &stats)
}

fn finish(args: &Args, stats: &parallax::live::RunStats) -> anyhow::Result<()> {
    if let Some(path) = &args.stats {
        parallax::io::write_json(path, stats)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
