//! `parallax`: the command-line interface. A thin layer over the library; each subcommand lives in
//! `src/cli/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// Parallax: an open-source engine for LED-volume virtual production (in-camera VFX).
///
/// Describe the LED volume once in a stage file (RON); Parallax knows where every LED pixel is in
/// space and which output pixel feeds it.
#[derive(Parser)]
#[command(name = "parallax", version, about, long_about = None)]
struct Cli {
    /// The command; none renders the bundled demo stage into `./out`.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check a stage file and print a summary (sections, panels, pixels, output and processor usage).
    Validate(cli::validate::Args),
    /// Export the pixel map (pixel-map.json, pixel-map.csv) and one diagram PNG per output.
    Map(cli::map::Args),
    /// Write a test pattern (id, grid, colour bars, solid, or a test card in each output's colour
    /// encoding) as one image per output.
    Pattern(cli::pattern::Args),
    /// Listen to a camera tracker (FreeD or OpenTrackIO) and print each sample, raw and in stage space.
    Track(cli::track::Args),
    /// Render one frame headless: one PNG (or EXR, by its encoding) per output, pixel-map.json, frame.json, wall.png, camera.png.
    Render(Box<cli::render::Args>),
    /// Render a stage at fixed camera poses and compare with approved reference images (for CI).
    Check(Box<cli::check::Args>),
    /// Open the preview window: the stage in 3D, the outputs and the simulated camera.
    Preview(Box<cli::preview::Args>),
    /// Drive the wall: render continuously at the stage frame rate from live tracking or a take,
    /// reload edits to the stage file safely, report late frames and latency.
    Run(Box<cli::run::Args>),
    /// Check the frame-number burn-ins (`run --burn-in`) of frames written to files, e.g. one
    /// folder per render node: every output's code against its frame, frames missing anywhere.
    #[command(name = "burn-in")]
    BurnIn(cli::burnin::Args),
    /// Manage the bearer tokens of the remote control (`run --serve`): add (printed once, stored
    /// hashed), remove, list.
    Token(cli::remote::TokenArgs),
}

/// On a machine without a display session (no valid `XDG_RUNTIME_DIR`), Mesa's Vulkan device-select
/// layer prints "XDG_RUNTIME_DIR is invalid" for every instance it sees. Parallax chooses adapters
/// itself (`WGPU_ADAPTER_NAME`, `WGPU_POWER_PREF`), so the layer is switched off there, unless the
/// user set `NODEVICE_SELECT` already.
fn quiet_headless_drivers() {
    let runtime_dir_ok =
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| std::path::Path::new(&d).is_dir());
    if !runtime_dir_ok && std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
}

/// A report piped into `head` or `less` that closes early ends the process quietly, as a Unix
/// tool does (Rust ignores SIGPIPE, so printing would panic with "Broken pipe"). Not for `run`:
/// its server and network sessions need the error a closed socket gives, not the signal.
fn die_quietly_on_a_closed_pipe() {
    #[cfg(target_os = "linux")]
    // SAFETY: restores the default action of one signal before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    quiet_headless_drivers();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    if !matches!(cli.command, Some(Command::Run(_))) {
        die_quietly_on_a_closed_pipe();
    }
    let result = match cli.command {
        Some(Command::Validate(a)) => cli::validate::run(a),
        Some(Command::Map(a)) => cli::map::run(a),
        Some(Command::Pattern(a)) => cli::pattern::run(a),
        Some(Command::Track(a)) => cli::track::run(a),
        Some(Command::Render(a)) => cli::render::run(*a),
        Some(Command::Check(a)) => cli::check::run(*a),
        Some(Command::Preview(a)) => cli::preview::run(*a),
        Some(Command::Run(a)) => cli::run::run(*a),
        Some(Command::Token(a)) => cli::remote::run(a),
        Some(Command::BurnIn(a)) => cli::burnin::run(a),
        None => cli::render::run(cli::render::Args {
            out: "out".into(),
            ..Default::default()
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, `: `-separated, leaving out a cause whose text the message already
/// contains (library errors often print their source inline).
fn chain(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.contains(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}
