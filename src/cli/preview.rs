//! `parallax preview [STAGE]`: the preview window (Stage, Outputs and Camera views). With
//! `--frames N --screenshot PATH` it renders N frames in the real window, saves the last one and
//! exits (for tests and scripts).

use std::path::PathBuf;

use parallax::preview::{PreviewOptions, View};

#[derive(clap::Args, Default)]
pub struct Args {
    /// Stage file (RON); default: the bundled demo stage.
    pub stage: Option<PathBuf>,
    /// The view shown first: stage, outputs or camera.
    #[arg(long, default_value = "stage", value_parser = parse_view)]
    pub view: Option<View>,
    /// Window size in pixels: WxH.
    #[arg(long, default_value = "1280x720", value_parser = parse_size)]
    pub size: Option<(u32, u32)>,
    /// Render this many frames, then exit.
    #[arg(long)]
    pub frames: Option<u64>,
    /// Save the last frame (read back from the window) as a PNG; needs --frames.
    #[arg(long, requires = "frames")]
    pub screenshot: Option<PathBuf>,
    /// Play back a recorded take (see `parallax track --record`) instead of live tracking.
    #[arg(long)]
    pub take: Option<PathBuf>,
    /// Do not listen for live tracking even if the stage's cameras have tracking settings.
    #[arg(long)]
    pub no_tracking: bool,
    /// Start with the cabinet outline and id overlay on (Outputs view; key O toggles).
    #[arg(long)]
    pub ids: bool,
    /// Start with the difference against the direct render on (Camera view; key F toggles).
    #[arg(long)]
    pub difference: bool,
    /// Equirectangular environment image shown by the wall instead of the stage's scene.
    #[arg(long)]
    pub environment: Option<PathBuf>,
    /// Resize the window to WxH halfway through --frames (tests the resize path).
    #[arg(long, value_parser = parse_size, requires = "frames")]
    pub resize_to: Option<(u32, u32)>,
    /// Show the control panel even with --frames (it is shown by default otherwise; key P
    /// toggles it).
    #[arg(long)]
    pub panel: bool,
    /// The stage camera to show (by name); default: the first camera of the stage file.
    #[arg(long)]
    pub camera: Option<String>,
    /// Write every presented frame's camera (frame, camera, source, position, rotation, eye,
    /// focal length, overscan, band outside the picture) to this JSON Lines file.
    #[arg(long)]
    pub pose_log: Option<PathBuf>,
}

fn parse_view(s: &str) -> Result<View, String> {
    s.parse()
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WxH, got '{s}'"))?;
    let p = |t: &str| {
        t.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (16..=16384).contains(v))
            .ok_or_else(|| format!("expected WxH with sides 16..16384, got '{s}'"))
    };
    Ok((p(a)?, p(b)?))
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let stage_path = args.stage.clone().unwrap_or_else(super::default_stage);
    let stage = super::load_stage(&stage_path)?;
    if let Some(name) = &args.camera
        && stage.camera(name).is_none()
    {
        anyhow::bail!(
            "the stage has no camera '{name}' (cameras: {})",
            stage
                .cameras
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let scene = parallax::scene::SceneSpec::for_stage(&stage, args.environment.as_deref());
    let options = PreviewOptions {
        view: args.view.unwrap_or(View::Stage),
        size: args.size.unwrap_or((1280, 720)),
        frames: args.frames,
        screenshot: args.screenshot.clone(),
        take: args.take.clone(),
        live: !args.no_tracking,
        scene,
        overlay: args.ids,
        difference: args.difference,
        resize_to: args.resize_to,
        panel: args.panel || args.frames.is_none(),
        camera: args.camera.clone(),
        pose_log: args.pose_log.clone(),
    };
    let report = parallax::preview::run(stage, options)?;
    eprintln!("adapter: {}", report.adapter);
    if let Some(p) = &args.pose_log {
        println!("wrote {} ({} frames)", p.display(), report.frames);
    }
    if let (Some(p), Some(src)) = (&args.screenshot, report.screenshot_source) {
        println!(
            "wrote {} (frame {}, read back from the {src} texture)",
            p.display(),
            report.frames
        );
    }
    Ok(())
}
