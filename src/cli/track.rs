//! `parallax track --freed ADDR:PORT | --opentrackio ADDR:PORT [--count N] [--json] [--record FILE]
//! [--stage STAGE]`: listen to a tracker and print one line per accepted sample.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use parallax::camera::Pose;
use parallax::tracking::receiver::{Receiver, ReceiverConfig};
use parallax::tracking::{
    CameraTracking, Protocol, StageCamera, Take, TrackedCamera, TrackerSample,
};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["freed", "opentrackio"])))]
pub struct Args {
    /// Listen for FreeD D1 on ADDR:PORT (e.g. 0.0.0.0:40000).
    #[arg(long, value_name = "ADDR:PORT")]
    pub freed: Option<SocketAddr>,
    /// Listen for OpenTrackIO on ADDR:PORT (e.g. 239.135.1.1:55555 or 0.0.0.0:55555).
    #[arg(long, value_name = "ADDR:PORT")]
    pub opentrackio: Option<SocketAddr>,
    /// Stop after this many accepted samples.
    #[arg(long)]
    pub count: Option<u64>,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Record the accepted samples to a take file (written on exit).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Stage file whose cameras' tracking settings (transform, lens table, allow-list) apply.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<PathBuf>,
    /// Accept packets only from this sender (repeatable; adds to the stage file's allow-lists).
    #[arg(long, value_name = "IP")]
    pub allow: Vec<IpAddr>,
}

static STOP: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
fn install_ctrl_c() {
    unsafe extern "C" {
        fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    }
    extern "C" fn on_sigint(_: i32) {
        STOP.store(true, Ordering::SeqCst);
    }
    const SIGINT: i32 = 2;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        signal(SIGINT, on_sigint);
    }
}

#[cfg(not(unix))]
fn install_ctrl_c() {}

pub fn run(args: Args) -> anyhow::Result<()> {
    let (protocol, bind) = match (args.freed, args.opentrackio) {
        (Some(a), _) => (Protocol::FreeD, a),
        (None, Some(a)) => (Protocol::OpenTrackIo, a),
        (None, None) => anyhow::bail!("give --freed ADDR:PORT or --opentrackio ADDR:PORT"),
    };
    // Cameras configured in the stage for this protocol, by camera id.
    let mut cameras: BTreeMap<u32, TrackedCamera> = BTreeMap::new();
    let mut allow = args.allow.clone();
    let frame_rate = if let Some(path) = &args.stage {
        let stage = super::load_stage(path)?;
        for c in &stage.cameras {
            let Some(cfg) = c.tracking.as_ref().filter(|t| t.protocol == protocol) else {
                continue;
            };
            let base = StageCamera {
                pose: Pose {
                    position: glam::DVec3::new(c.position.0, c.position.1, c.position.2),
                    rotation: c.rotation.to_quat(),
                },
                lens: c.lens.to_lens(),
            };
            let cam = TrackedCamera::new(cfg, base, stage.frame_rate)
                .map_err(|e| anyhow::anyhow!("camera '{}': {e}", c.name))?;
            allow.extend(cfg.allow.iter().copied());
            cameras.insert(cfg.camera_id, cam);
        }
        stage.frame_rate
    } else {
        50.0
    };
    let mut config = ReceiverConfig::new(protocol, bind);
    config.allow = allow;
    let mut receiver =
        Receiver::spawn(config).with_context(|| format!("cannot listen on {bind}"))?;
    eprintln!(
        "listening for {protocol} on {} (Ctrl-C to stop)",
        receiver.local_addr()
    );
    install_ctrl_c();

    let mut take = Take::default();
    let mut t0: Option<f64> = None;
    let mut printed = 0u64;
    let limit = args.count.unwrap_or(u64::MAX);
    'outer: while !STOP.load(Ordering::SeqCst) && printed < limit {
        for r in receiver.drain() {
            let id = r.sample.camera_id;
            let cam = match cameras.entry(id) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => {
                    let base = StageCamera {
                        pose: Pose::default(),
                        lens: Default::default(),
                    };
                    let cfg = CameraTracking::new(protocol, id);
                    let cam = TrackedCamera::new(&cfg, base, frame_rate)
                        .map_err(|e| anyhow::anyhow!("camera id {id}: {e}"))?;
                    e.insert(cam)
                }
            };
            let stage = cam.stage_camera(&r.sample);
            cam.push(r.t, &r.sample);
            // Microsecond resolution keeps take files short and readable.
            let t = ((r.t - *t0.get_or_insert(r.t)) * 1e6).round() / 1e6;
            println!("{}", line(t, &r.sample, &stage, args.json));
            if args.record.is_some() {
                take.push(t, r.sample.clone());
            }
            printed += 1;
            if printed >= limit {
                break 'outer;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    receiver.stop();
    let stats = receiver.stats();
    eprintln!("{protocol}: {}", stats.summary());
    if let Some(path) = &args.record {
        take.save(path)?;
        eprintln!(
            "recorded {} samples ({:.2} s) to {}",
            take.samples.len(),
            take.duration(),
            path.display()
        );
    }
    Ok(())
}

/// One output line for a sample.
fn line(t: f64, s: &TrackerSample, stage: &StageCamera, json: bool) -> String {
    let p = stage.pose.position;
    let q = stage.pose.rotation;
    if json {
        let v = serde_json::json!({
            "t": t,
            "source": s.source.name(),
            "camera_id": s.camera_id,
            "raw": {
                "pan_deg": s.pan_deg, "tilt_deg": s.tilt_deg, "roll_deg": s.roll_deg,
                "x_m": s.x_m, "y_m": s.y_m, "z_m": s.z_m,
                "zoom": s.zoom, "focus": s.focus,
            },
            "stage": {
                "position": [p.x, p.y, p.z],
                "rotation": [q.x, q.y, q.z, q.w],
            },
            "lens": {
                "focal_length_mm": stage.lens.focal_length_mm,
                "focus_distance_m": stage.lens.focus_distance_m,
                "entrance_pupil_m": stage.lens.entrance_pupil_m,
            },
        });
        v.to_string()
    } else {
        let (pan, tilt, roll) = parallax::camera::quat_to_pan_tilt_roll(q);
        let enc = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v}"));
        format!(
            "{t:9.3} {} cam {}  raw pan {:8.3} tilt {:7.3} roll {:7.3}  xyz {:7.3} {:7.3} {:7.3} m  zoom {} focus {}  ->  stage ({:.3}, {:.3}, {:.3}) pan {:.2} tilt {:.2} roll {:.2}  f {:.2} mm",
            s.source,
            s.camera_id,
            s.pan_deg,
            s.tilt_deg,
            s.roll_deg,
            s.x_m,
            s.y_m,
            s.z_m,
            enc(s.zoom),
            enc(s.focus),
            p.x,
            p.y,
            p.z,
            pan,
            tilt,
            roll,
            stage.lens.focal_length_mm,
        )
    }
}
