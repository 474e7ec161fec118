//! `parallax track --freed ADDR:PORT | --opentrackio ADDR:PORT [--count N] [--json] [--record FILE]
//! [--stage STAGE]`: listen to a tracker and print one line per accepted sample.
//! `parallax track --replay TAKE [--speed X] [--send ADDR:PORT]`: replay a take (optionally as packets).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use parallax::camera::CameraState;
use parallax::tracking::freed::{self, FreedD1};
use parallax::tracking::opentrackio;
use parallax::tracking::receiver::{Receiver, ReceiverConfig};
use parallax::tracking::{CameraTracking, Protocol, Take, TrackedCamera, TrackerSample};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["freed", "opentrackio", "replay"])))]
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
    /// Record the printed samples to a take file (written at start, saved every 2 s and on exit).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Stage file whose cameras' tracking settings (transform, lens table, allow-list) apply.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<PathBuf>,
    /// Accept packets only from this sender (repeatable; adds to the stage file's allow-lists).
    #[arg(long, value_name = "IP")]
    pub allow: Vec<IpAddr>,
    /// Replay a take instead of listening: print its samples at their original timing.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Replay speed (2.0 = twice as fast).
    #[arg(long, default_value_t = 1.0, requires = "replay")]
    pub speed: f64,
    /// With --replay: also send each sample to ADDR:PORT as a packet of its protocol (a tracker
    /// simulator).
    #[arg(long, value_name = "ADDR:PORT", requires = "replay")]
    pub send: Option<SocketAddr>,
}

/// How often a recording in progress is saved.
const AUTOSAVE: Duration = Duration::from_secs(2);

static STOP: AtomicBool = AtomicBool::new(false);

/// Ctrl-C, SIGTERM and SIGHUP stop the loop cleanly (the take is written, the summary printed).
fn install_ctrl_c() {
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst)) {
        eprintln!("warning: no Ctrl-C handler: {e}");
    }
}

/// Tracked cameras by (protocol, camera id): those of the stage file, and defaults for the rest.
struct Cameras {
    map: BTreeMap<(Protocol, u32), TrackedCamera>,
    frame_rate: f64,
    /// The stage cameras' tracking settings, for the receiver's options.
    settings: Vec<CameraTracking>,
}

impl Cameras {
    fn new(stage: Option<&PathBuf>, allow: &mut Vec<IpAddr>) -> anyhow::Result<Cameras> {
        let mut map = BTreeMap::new();
        let mut frame_rate = 50.0;
        let mut settings = Vec::new();
        if let Some(path) = stage {
            let stage = super::load_stage(path)?;
            frame_rate = stage.frame_rate;
            for c in &stage.cameras {
                let Some(cfg) = &c.tracking else { continue };
                let cam = TrackedCamera::new(cfg, c.rest, frame_rate)
                    .map_err(|e| anyhow::anyhow!("camera '{}': {e}", c.name))?;
                allow.extend(cfg.allow.iter().copied());
                settings.push(cfg.clone());
                map.insert((cfg.protocol, cfg.camera_id), cam);
            }
        }
        Ok(Cameras {
            map,
            frame_rate,
            settings,
        })
    }

    /// The stage camera for a sample (before delay), after adding it to its camera's buffer.
    fn push(&mut self, t: f64, s: &TrackerSample) -> anyhow::Result<CameraState> {
        let key = (s.source, s.camera_id);
        let cam = match self.map.entry(key) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let base = CameraState::default();
                let cfg = CameraTracking::new(key.0, key.1);
                let cam = TrackedCamera::new(&cfg, base, self.frame_rate)
                    .map_err(|e| anyhow::anyhow!("camera id {}: {e}", key.1))?;
                e.insert(cam)
            }
        };
        let stage = cam.stage_camera(s);
        cam.push(t, s);
        Ok(stage)
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.replay.is_none() && (args.send.is_some() || args.speed != 1.0) {
        anyhow::bail!("--send and --speed go with --replay TAKE");
    }
    let mut allow = args.allow.clone();
    let mut cameras = Cameras::new(args.stage.as_ref(), &mut allow)?;
    install_ctrl_c();
    if let Some(path) = &args.replay {
        return replay(&args, path, &mut cameras);
    }
    let (protocol, bind) = match (args.freed, args.opentrackio) {
        (Some(a), _) => (Protocol::FreeD, a),
        (None, Some(a)) => (Protocol::OpenTrackIo, a),
        (None, None) => {
            anyhow::bail!("give --freed ADDR:PORT, --opentrackio ADDR:PORT or --replay FILE")
        }
    };
    let mut config = ReceiverConfig::new(protocol, bind);
    config.allow = allow;
    // The stage's settings for this protocol: the multicast interface, and the older OpenTrackIO
    // checksum where a camera on it allows it.
    let stage_settings = cameras.settings.iter().filter(|t| t.protocol == protocol);
    for t in stage_settings {
        config.legacy_checksum |= t.legacy_checksum;
        config.interface = config.interface.or(t.interface);
    }
    let mut receiver =
        Receiver::spawn(config).with_context(|| format!("cannot listen on {bind}"))?;
    eprintln!(
        "listening for {protocol} on {} (Ctrl-C to stop)",
        receiver.local_addr()
    );

    let mut take = Take::default();
    // Write the (empty) take now: a path that cannot be written fails before the session, and
    // the file is saved again every few seconds, so a killed recorder loses at most that much.
    if let Some(path) = &args.record {
        take.save(path)
            .with_context(|| format!("cannot record to {}", path.display()))?;
    }
    let mut saved = Instant::now();
    let mut t0: Option<f64> = None;
    let mut printed = 0u64;
    let limit = args.count.unwrap_or(u64::MAX);
    'outer: while !STOP.load(Ordering::SeqCst) && printed < limit {
        for r in receiver.drain() {
            let stage = cameras.push(r.t, &r.sample)?;
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
        if let Some(path) = &args.record
            && saved.elapsed() >= AUTOSAVE
        {
            take.save(path)?;
            saved = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    receiver.stop();
    let stats = receiver.stats();
    // The listener may take packets in while the count is reached: say which ones were used.
    let late = stats.accepted.saturating_sub(printed);
    let used = if late > 0 {
        format!(
            "; printed the first {printed} (--count), {late} more arrived before the listener stopped"
        )
    } else {
        String::new()
    };
    eprintln!("{protocol}: {}{used}", stats.summary());
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

/// Replays a take at its original timing (scaled by `--speed`): prints each sample like live input
/// and, with `--send`, sends it as a packet of its protocol (a tracker simulator).
fn replay(args: &Args, path: &std::path::Path, cameras: &mut Cameras) -> anyhow::Result<()> {
    let take = Take::load(path)?;
    let socket = match args.send {
        Some(_) => Some(std::net::UdpSocket::bind("0.0.0.0:0").context("cannot open a socket")?),
        None => None,
    };
    eprintln!(
        "replaying {} samples ({:.2} s) from {} at {}x",
        take.samples.len(),
        take.duration(),
        path.display(),
        args.speed
    );
    let limit = args.count.unwrap_or(u64::MAX);
    let mut printed = 0u64;
    let mut sent = 0u64;
    let mut failure: Option<anyhow::Error> = None;
    take.play(args.speed, &STOP, |s| {
        if printed >= limit || failure.is_some() {
            STOP.store(true, Ordering::SeqCst);
            return;
        }
        match cameras.push(s.t, &s.sample) {
            Ok(stage) => println!("{}", line(s.t, &s.sample, &stage, args.json)),
            Err(e) => failure = Some(e),
        }
        if let (Some(sock), Some(to)) = (&socket, args.send) {
            let packet = match s.sample.source {
                Protocol::FreeD => freed::encode(&FreedD1::from_units(
                    s.sample.camera_id.min(255) as u8,
                    [s.sample.pan_deg, s.sample.tilt_deg, s.sample.roll_deg],
                    [s.sample.x_m, s.sample.y_m, s.sample.z_m],
                    s.sample.zoom.unwrap_or(0.0).clamp(0.0, 16_777_215.0) as u32,
                    s.sample.focus.unwrap_or(0.0).clamp(0.0, 16_777_215.0) as u32,
                ))
                .to_vec(),
                Protocol::OpenTrackIo => {
                    let payload = opentrackio::encode_json(&s.sample);
                    // Small samples fit one packet; larger ones are segmented.
                    let mut p = opentrackio::encode_packets(
                        opentrackio::Encoding::Json,
                        (sent % 65535) as u16 + 1,
                        &payload,
                        1400,
                    );
                    if p.len() == 1 {
                        p.remove(0)
                    } else {
                        for seg in &p {
                            let _ = sock.send_to(seg, to);
                        }
                        Vec::new()
                    }
                }
            };
            if !packet.is_empty()
                && let Err(e) = sock.send_to(&packet, to)
            {
                eprintln!("warning: sending to {to}: {e}");
            }
            sent += 1;
        }
        printed += 1;
    });
    if let Some(e) = failure {
        return Err(e);
    }
    if let Some(to) = args.send {
        eprintln!("sent {sent} samples to {to}");
    }
    Ok(())
}

/// One output line for a sample.
fn line(t: f64, s: &TrackerSample, stage: &CameraState, json: bool) -> String {
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
