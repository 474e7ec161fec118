//! `parallax run STAGE`: the live loop. Renders the stage continuously at its frame rate from live
//! tracking (or `--take`), delivers every output to the chosen sink, reloads edits to the stage
//! file between two frames, and prints late, dropped and failed frames and the latency at exit.

use std::path::PathBuf;

use parallax::live::{FileSink, LiveLoop, NullSink, Pacing, RunOptions, Sink};

/// Where the outputs go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SinkKind {
    /// Rendered and finished on the GPU, then discarded (tests, benchmarks, dry runs).
    #[default]
    Null,
    /// One PNG per output every `--every` frames, into `--out DIR/frame-NNNNNN/`.
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
    /// Where the outputs go.
    #[arg(long, value_enum, default_value_t = SinkKind::Null)]
    pub sink: SinkKind,
    /// Folder for `--sink files`.
    #[arg(long, default_value = "out-run")]
    pub out: PathBuf,
    /// With `--sink files`: write every Nth frame.
    #[arg(long, default_value_t = 1)]
    pub every: u64,
    /// Stop after this many frames (default: until Ctrl-C).
    #[arg(long)]
    pub frames: Option<u64>,
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
    /// latency, late, dropped and failed frames).
    #[arg(long)]
    pub stats: Option<PathBuf>,
    /// Append every frame's frame.json (with timecode and sample times) to this JSON Lines file.
    #[arg(long)]
    pub frame_log: Option<PathBuf>,
    /// Show each output in its own window (vsync), instead of a headless sink.
    #[arg(long)]
    pub windows: bool,
    /// With --windows: put an output on a monitor, `OUTPUT=MONITOR` (borderless fullscreen) or
    /// `OUTPUT=MONITOR@X,Y` (a borderless window at X,Y on the monitor: a region of a larger
    /// display); MONITOR is a name (e.g. HDMI-1) or an index from 0. Repeatable.
    #[arg(long, value_name = "OUTPUT=MONITOR[@X,Y]", value_parser = parallax::live::window::Placement::parse, requires = "windows")]
    pub display: Vec<parallax::live::window::Placement>,
    /// With --windows: save each window's picture as DIR/OUTPUT.png after the last frame.
    #[arg(long, value_name = "DIR", requires = "windows")]
    pub screenshots: Option<PathBuf>,
    /// Inject a failure at these frames (comma-separated) to drill the never-dark path: the last
    /// good frame is held and counted.
    #[arg(long, value_delimiter = ',')]
    pub inject_fault: Vec<u64>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let stage = args.stage.clone().unwrap_or_else(super::default_stage);
    let options = RunOptions {
        camera: args.camera.clone(),
        take: args.take.clone(),
        live_tracking: !args.no_tracking,
        frames: args.frames,
        pacing: if args.unpaced {
            Pacing::Unpaced
        } else {
            Pacing::Timer
        },
        watch: !args.no_watch,
        environment: args.environment.clone(),
        frame_log: args.frame_log.clone(),
        faults: args.inject_fault.clone(),
    };
    let mut live = LiveLoop::new(&stage, options)?;
    for w in &live.stage().warnings {
        eprintln!("warning: {w}");
    }
    eprintln!("adapter: {}", live.adapter());
    eprintln!(
        "running {} at {} Hz ({} outputs){}; Ctrl-C stops",
        stage.display(),
        live.stage().frame_rate,
        live.stage().outputs.len(),
        if args.no_watch {
            ""
        } else {
            ", watching for edits"
        }
    );
    let stop = parallax::live::stop_on_ctrl_c();
    if args.windows {
        if args.sink != SinkKind::Null {
            anyhow::bail!("--windows shows the outputs; leave out --sink");
        }
        let options = parallax::live::window::WindowOptions {
            placements: args.display.clone(),
            screenshots: args.screenshots.clone(),
        };
        let stats = parallax::live::window::run_windows(live, options, stop)?;
        return finish(&args, &stats);
    }
    let mut null = NullSink;
    let mut files = FileSink::new(args.out.clone(), args.every);
    let sink: &mut dyn Sink = match args.sink {
        SinkKind::Null => &mut null,
        SinkKind::Files => &mut files,
    };
    let stats = live.run(&mut [sink], &stop);
    println!("{}", stats.summary());
    if args.sink == SinkKind::Files {
        println!(
            "wrote {} frames into {}/frame-NNNNNN/",
            files.written,
            args.out.display()
        );
    }
    finish(&args, &stats)
}

fn finish(args: &Args, stats: &parallax::live::RunStats) -> anyhow::Result<()> {
    if args.windows {
        println!("{}", stats.summary());
    }
    if let Some(path) = &args.stats {
        parallax::io::write_json(path, stats)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
