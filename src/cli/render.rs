//! `parallax render [STAGE] --out DIR`: one headless frame, one PNG (or EXR) per output, plus the pixel map,
//! frame.json, the unwrapped wall and the simulated camera view.

use std::path::{Path, PathBuf};

use anyhow::Context;
use glam::DVec3;
use parallax::camera::{Distortion, Overscan, OverscanRule};
use parallax::render::{FrameInputs, Overrides, Renderer, RendererOptions};

#[derive(clap::Args, Default)]
pub struct Args {
    /// Stage file (RON); default: the bundled demo stage.
    pub stage: Option<PathBuf>,
    /// Folder to write the images and JSON files into.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Equirectangular environment image (PNG, JPEG, HDR, EXR); the scene becomes just that environment.
    #[arg(long)]
    pub environment: Option<PathBuf>,
    /// The stage camera to render (by name); default: the first camera of the stage file.
    #[arg(long)]
    pub camera: Option<String>,
    /// Tracked camera position in metres: X,Y,Z.
    #[arg(long, value_parser = parse_vec3, allow_hyphen_values = true)]
    pub camera_position: Option<DVec3>,
    /// Camera rotation in degrees: PAN,TILT,ROLL.
    #[arg(long, value_parser = parse_vec3, allow_hyphen_values = true)]
    pub camera_rotation: Option<DVec3>,
    /// Focal length in millimetres. With a lens table on the camera, the lens is the table's at
    /// that focal length (entrance pupil, distortion; at --focus when given).
    #[arg(long)]
    pub focal_length: Option<f64>,
    /// Zoom encoder value, in the camera's lens table's units (raw or normalised, as the table
    /// says): the lens is the table's at (zoom, focus). Needs a lens table; not with --focal-length.
    #[arg(long, allow_hyphen_values = true)]
    pub zoom: Option<f64>,
    /// Focus encoder value in the lens table's units (default: each zoom row's first calibrated
    /// focus). Needs a lens table.
    #[arg(long, allow_hyphen_values = true)]
    pub focus: Option<f64>,
    /// Sensor size in millimetres: WxH.
    #[arg(long, value_parser = parse_f64_pair)]
    pub sensor: Option<(f64, f64)>,
    /// Anamorphic squeeze of the lens (2 for a 2x anamorphic; 1 spherical): the picture is
    /// de-squeezed, its horizontal field the sensor's times the squeeze.
    #[arg(long)]
    pub squeeze: Option<f64>,
    /// Principal-point shift on the sensor in millimetres: X,Y (x right, y up).
    #[arg(long, value_parser = parse_f64_list::<2>, allow_hyphen_values = true)]
    pub shift: Option<[f64; 2]>,
    /// Entrance-pupil offset in metres along the optical axis (positive towards the subject).
    #[arg(long, allow_hyphen_values = true)]
    pub entrance_pupil: Option<f64>,
    /// Brown-Conrady distortion (OpenCV's meaning): K1,K2,K3,P1,P2[,CX,CY] (trailing terms may be left
    /// out; CX,CY: centre of distortion from the principal point, normalised, y down).
    #[arg(long, value_parser = parse_distortion, allow_hyphen_values = true)]
    pub distortion: Option<Distortion>,
    /// Overscan (fractions of the frame's half extents): one number for every side, four for
    /// LEFT,RIGHT,BOTTOM,TOP, or `auto` / `auto:MARGIN` (covers the distorted picture plus the margin,
    /// with the soft edge outside it).
    #[arg(long, value_parser = parse_overscan, allow_hyphen_values = true)]
    pub overscan: Option<OverscanRule>,
    /// Soft edge (fraction of the inner frustum's width and height, 0 to 0.5).
    #[arg(long, allow_hyphen_values = true)]
    pub soft_edge: Option<f64>,
    /// Fixed outer viewpoint in metres: X,Y,Z.
    #[arg(long, value_parser = parse_vec3, allow_hyphen_values = true)]
    pub outer_viewpoint: Option<DVec3>,
    /// Inner frustum resolution: WxH.
    #[arg(long, value_parser = parse_u32_pair)]
    pub inner_resolution: Option<(u32, u32)>,
    /// Edge of the outer cube map's faces in pixels.
    #[arg(long)]
    pub outer_resolution: Option<u32>,
    /// Render frames of a recorded take (see docs/tracking.md) instead of the stage file's pose:
    /// each frame goes to `DIR/frame-NNNNNN/` with its own frame.json.
    #[arg(long)]
    pub take: Option<PathBuf>,
    /// Frames of the take to render, at the stage frame rate: `A..B` (B excluded), `A..=B`, `A..`
    /// or a single frame `N`; default: all of them.
    #[arg(long, value_parser = parse_frames, requires = "take")]
    pub frames: Option<(u64, Option<u64>)>,
    /// Draw every instance of the stage's glTF scene in every view (turns frustum culling off).
    #[arg(long)]
    pub no_culling: bool,
}

/// `A..B`, `A..=B`, `A..` or `N` as a first frame and an optional end (excluded).
fn parse_frames(s: &str) -> Result<(u64, Option<u64>), String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("expected frames as A..B, A..=B, A.. or N, got '{s}'"))
    };
    let range = match s.split_once("..") {
        None => {
            let n = num(s)?;
            (n, Some(n + 1))
        }
        Some((a, b)) => {
            let a = num(a)?;
            match b.strip_prefix('=') {
                Some(b) => (a, Some(num(b)? + 1)),
                None if b.trim().is_empty() => (a, None),
                None => (a, Some(num(b)?)),
            }
        }
    };
    match range {
        (a, Some(b)) if b <= a => Err(format!("frame range '{s}' is empty")),
        r => Ok(r),
    }
}

fn parse_vec3(s: &str) -> Result<DVec3, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|e| format!("'{p}': {e}")))
        .collect::<Result<_, _>>()?;
    match v[..] {
        [x, y, z] if v.iter().all(|c| c.is_finite()) => Ok(DVec3::new(x, y, z)),
        _ => Err(format!("expected three finite numbers X,Y,Z, got '{s}'")),
    }
}

fn parse_pair<T: std::str::FromStr>(s: &str) -> Result<(T, T), String> {
    let (a, b) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WxH, got '{s}'"))?;
    let p = |t: &str| {
        t.trim()
            .parse::<T>()
            .map_err(|_| format!("expected WxH, got '{s}'"))
    };
    Ok((p(a)?, p(b)?))
}

/// `N` comma-separated finite numbers.
fn parse_f64_list<const N: usize>(s: &str) -> Result<[f64; N], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|e| format!("'{p}': {e}")))
        .collect::<Result<_, _>>()?;
    match <[f64; N]>::try_from(v) {
        Ok(a) if a.iter().all(|c| c.is_finite()) => Ok(a),
        _ => Err(format!(
            "expected {N} finite numbers separated by commas, got '{s}'"
        )),
    }
}

fn parse_distortion(s: &str) -> Result<Distortion, String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|e| format!("'{p}': {e}")))
        .collect::<Result<_, _>>()?;
    if v.is_empty() || v.len() > 7 || !v.iter().all(|c| c.is_finite()) {
        return Err(format!(
            "expected K1,K2,K3,P1,P2[,CX,CY] (one to seven finite numbers), got '{s}'"
        ));
    }
    let k = |i: usize| v.get(i).copied().unwrap_or(0.0);
    Ok(Distortion {
        k1: k(0),
        k2: k(1),
        k3: k(2),
        p1: k(3),
        p2: k(4),
        centre: [k(5), k(6)],
        overscan: 0.0,
    })
}

fn parse_overscan(s: &str) -> Result<OverscanRule, String> {
    let t = s.trim();
    if let Some(rest) = t.strip_prefix("auto") {
        let margin = match rest.strip_prefix(':') {
            Some(m) => m
                .trim()
                .parse::<f64>()
                .map_err(|e| format!("auto margin '{m}': {e}"))?,
            None if rest.is_empty() => 0.0,
            None => return Err(format!("expected auto or auto:MARGIN, got '{s}'")),
        };
        return if margin.is_finite() && margin >= 0.0 {
            Ok(OverscanRule::Auto { margin })
        } else {
            Err(format!("the auto margin must be a number >= 0, got '{s}'"))
        };
    }
    let rule = if t.contains(',') {
        let [left, right, bottom, top] = parse_f64_list::<4>(t)?;
        OverscanRule::PerSide(Overscan {
            left,
            right,
            bottom,
            top,
        })
    } else {
        let o = t.parse::<f64>().map_err(|e| format!("'{t}': {e}"))?;
        OverscanRule::Uniform(o)
    };
    let sides = match rule {
        OverscanRule::Uniform(o) => [o; 4],
        OverscanRule::PerSide(o) => [o.left, o.right, o.bottom, o.top],
        OverscanRule::Auto { .. } => [0.0; 4],
    };
    if sides.iter().all(|o| o.is_finite() && *o >= 0.0) {
        Ok(rule)
    } else {
        Err(format!("overscan must be finite numbers >= 0, got '{s}'"))
    }
}

fn parse_f64_pair(s: &str) -> Result<(f64, f64), String> {
    parse_pair(s)
}

fn parse_u32_pair(s: &str) -> Result<(u32, u32), String> {
    parse_pair(s)
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let stage_path = args.stage.clone().unwrap_or_else(super::default_stage);
    let stage = super::load_stage(&stage_path)?;
    let overrides = Overrides {
        camera_position: args.camera_position,
        camera_rotation: args.camera_rotation.map(|r| (r.x, r.y, r.z)),
        focal_length_mm: args.focal_length,
        zoom: args.zoom,
        focus: args.focus,
        sensor_mm: args.sensor,
        squeeze: args.squeeze,
        shift_mm: args.shift.map(|[x, y]| (x, y)),
        entrance_pupil_m: args.entrance_pupil,
        distortion: args.distortion,
        overscan: args.overscan,
        soft_edge: args.soft_edge,
        outer_viewpoint: args.outer_viewpoint,
        inner_resolution: args.inner_resolution,
        outer_resolution: args.outer_resolution,
    };
    // Load the take first: a bad take file is reported before the GPU starts.
    let take = match &args.take {
        Some(path) => {
            let take = parallax::tracking::Take::load(path)?;
            let cameras = parallax::tracking::TakeCameras::new(
                &take,
                &stage.camera_specs(),
                stage.frame_rate,
            )?;
            for (name, nominal, measured) in cameras.cadence_mismatches() {
                eprintln!(
                    "warning: camera '{name}': the take's samples came at {measured:.2} Hz but are placed on a {nominal:.2} Hz cadence; set its tracking's tracker_rate_hz: {measured:.2}"
                );
            }
            Some(cameras)
        }
        None => None,
    };
    let camera = stage.camera_or_first(args.camera.as_deref())?;
    if let Some(t) = &take {
        t.check_feeds(&camera.name)?;
    }
    let inputs = FrameInputs::resolve(&stage, &camera.name, &camera.rest, &overrides)?;
    warn_band(&inputs, None);
    // Every other enabled camera of the stage at its rest pose, drawn by priority.
    let cameras = FrameInputs::with_stage_cameras(&stage, inputs, |_| None)?;
    let gpu = parallax::gpu::Gpu::headless()?;
    eprintln!("adapter: {}", gpu.describe());
    let mut renderer = Renderer::new(&gpu, &stage, RendererOptions::default())?;
    renderer.prepare_cameras(&gpu, &cameras)?;
    let mut spec = parallax::scene::SceneSpec::for_stage(&stage, args.environment.as_deref());
    spec.no_culling = args.no_culling;
    let scene = parallax::scene::build(&renderer.scene_context(&gpu), &spec)?;
    let out = &args.out;
    let mut written = Vec::new();
    let map = out.join("pixel-map.json");
    parallax::io::write_json(&map, &parallax::mapping::PixelMap::of(&stage))?;
    written.push(map);

    let Some(take) = take else {
        let started = std::time::Instant::now();
        let frame = renderer.render_frame(&gpu, &scene)?;
        eprintln!(
            "rendered in {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        write_frame(out, &stage, &cameras, 0, &frame, &mut written)?;
        for p in &written {
            println!("wrote {}", display(p));
        }
        return Ok(());
    };

    let count = take.frame_count();
    let (first, end) = args.frames.unwrap_or((0, None));
    let end = end.unwrap_or(count);
    if first >= count || end > count {
        anyhow::bail!(
            "frames {first}..{end} are outside the take, which has {count} frames at {} Hz",
            stage.frame_rate
        );
    }
    let bar = indicatif::ProgressBar::new(end - first);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} frames, {per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_prefix("rendering take");
    let mut band_warned = false;
    for n in first..end {
        let Some(state) = take.camera_at_frame(&camera.name, n) else {
            anyhow::bail!(
                "the take does not track camera '{}' (it tracks: {})",
                camera.name,
                take.names().join(", ")
            );
        };
        if !matches!(state.status, parallax::tracking::TrackingStatus::Live) {
            bar.println(format!(
                "frame {n}: tracking {:?}, holding the last pose",
                state.status
            ));
        }
        let inputs = FrameInputs::resolve_tracked(&stage, &camera.name, &state, &overrides)?;
        if !inputs.band_outside_picture() && !band_warned {
            band_warned = true;
            warn_band(&inputs, Some(n));
        }
        // The take's other cameras at this frame where it tracks them, else at rest.
        let cameras =
            FrameInputs::with_stage_cameras(&stage, inputs, |name| take.camera_at_frame(name, n))?;
        renderer.prepare_cameras(&gpu, &cameras)?;
        let frame = renderer.render_frame(&gpu, &scene)?;
        let dir = out.join(format!("frame-{n:06}"));
        write_frame(&dir, &stage, &cameras, n, &frame, &mut Vec::new())?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "wrote frames {first}..{end} of {} into {}/frame-NNNNNN/",
        args.take.as_deref().map(display).unwrap_or_default(),
        display(out)
    );
    for p in &written {
        println!("wrote {}", display(p));
    }
    Ok(())
}

/// Writes one rendered frame: a file per output in its encoding (PNG, 16-bit PNG or EXR), the unwrapped wall, the camera view, frame.json.
/// Warns when the frame's soft-edge band lies inside the camera's picture (overrides or a lens-table
/// zoom can do that with a fixed overscan): the outer would show on camera.
fn warn_band(inputs: &FrameInputs, frame: Option<u64>) {
    if !inputs.band_outside_picture() {
        eprintln!(
            "warning: camera '{}'{}: the soft-edge band lies inside the camera's picture (overscan L {:.3} R {:.3} B {:.3} T {:.3}, soft edge {}): the outer shows on camera; use a larger overscan or --overscan auto",
            inputs.camera_name,
            frame.map_or(String::new(), |n| format!(", frame {n}")),
            inputs.overscan.left,
            inputs.overscan.right,
            inputs.overscan.bottom,
            inputs.overscan.top,
            inputs.soft_edge
        );
    }
}

fn write_frame(
    out: &Path,
    stage: &parallax::stage::Stage,
    cameras: &[FrameInputs],
    number: u64,
    frame: &parallax::render::RenderedFrame,
    written: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    for (k, (name, img)) in frame.outputs.iter().enumerate() {
        let encoding = stage
            .colour
            .outputs
            .get(k)
            .map(|o| o.encoding)
            .unwrap_or_default();
        let path = parallax::render::encode::write_output(
            &out.join(name),
            img,
            &encoding,
            stage.colour.working_space,
        )
        .with_context(|| format!("writing output '{name}'"))?;
        written.push(path);
    }
    let mut png = |name: &str, img: &parallax::render::ReadImage| -> anyhow::Result<()> {
        let path = out.join(format!("{name}.png"));
        parallax::io::write_png(&path, &img.to_rgba8())
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
        Ok(())
    };
    // An output may be named like a preview image: the output keeps its name, the preview gets a
    // longer one.
    let taken = |name: &str| stage.outputs.iter().any(|o| o.name == name);
    let wall_name = if taken("wall") {
        "wall-unwrapped"
    } else {
        "wall"
    };
    let camera_name = if taken("camera") {
        "camera-view"
    } else {
        "camera"
    };
    if let Some(w) = &frame.wall {
        png(wall_name, w)?;
    }
    if let Some(c) = &frame.camera {
        png(camera_name, c)?;
    }
    let info = out.join("frame.json");
    let frame_info = parallax::frame::FrameInfo::of_stage(stage, cameras, number);
    parallax::io::write_json(&info, &frame_info)?;
    written.push(info);
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
