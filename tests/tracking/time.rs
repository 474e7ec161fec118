//! Time: sender stamps and FreeD cadence against arrival jitter; prediction to the LEDs' emission
//! time; dropouts held, then snapped. Every expected value comes from the synthetic motion's own
//! formula (pan = rate * t), never from Parallax's output.

use parallax::tracking::config::{ClockSource, Protocol};
use parallax::tracking::freed::FreedD1;
use parallax::tracking::{CameraTracking, SenderTime, TrackedCamera, TrackerSample};

/// Deterministic uniform numbers in [0, 1) (64-bit LCG, high bits).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Pan of the stage camera in the protocol's own sense (OpenTrackIO left, FreeD right), degrees,
/// from its forward vector under the default transform (tracker +Y forward -> stage -Z).
fn pan_of(cam: &TrackedCamera, t: f64, protocol: Protocol) -> f64 {
    let f = cam.at(t).camera.pose.forward();
    let left = (-f.x).atan2(-f.z).to_degrees();
    match protocol {
        Protocol::OpenTrackIo => left,
        Protocol::FreeD => -left,
    }
}

fn wrap180(d: f64) -> f64 {
    d - 360.0 * (d / 360.0).round()
}

pub fn sample(protocol: Protocol, pan: f64, t_sender: Option<f64>) -> TrackerSample {
    let mut s = TrackerSample::from_freed(&FreedD1::from_units(1, [pan, 0.0, 0.0], [0.0; 3], 0, 0));
    if protocol == Protocol::OpenTrackIo {
        s.source = Protocol::OpenTrackIo;
        s.pan_deg = pan;
        s.zoom = None;
        s.focus = None;
        s.sender_time = t_sender.map(|t| {
            SenderTime {
                seconds: 1_718_806_554,
                nanoseconds: 0,
            }
            .plus_seconds(t)
        });
    }
    s
}

/// Standard deviation and mean of the pan error at render times between samples, for a 60 deg/s
/// pan sampled at `rate` Hz, arriving 5 ms late plus uniform 0..1 ms jitter.
fn pan_noise(protocol: Protocol, clock: ClockSource, rate: f64) -> (f64, f64) {
    const PAN_RATE: f64 = 60.0;
    const NET: f64 = 0.005;
    let cfg = CameraTracking {
        clock,
        tracker_rate_hz: Some(rate),
        ..CameraTracking::new(protocol, 1)
    };
    let rest = parallax::camera::CameraState {
        pose: Default::default(),
        lens: Default::default(),
    };
    let mut cam = TrackedCamera::new(&cfg, rest, 60.0).expect("valid");
    let mut rng = Lcg(7);
    let n = (3.0 * rate) as usize;
    for i in 0..n {
        let ts = i as f64 / rate;
        let arrival = 10.0 + ts + NET + 0.001 * rng.next();
        cam.push(arrival, &sample(protocol, 10.0 + PAN_RATE * ts, Some(ts)));
    }
    // Render times at 60 Hz (offset so they never coincide with samples), in the buffered span
    // after the fit has settled; truth is the pan at (render - NET), the network's least delay.
    let errs: Vec<f64> = (0..120)
        .map(|k| 11.0 + k as f64 / 60.0 + 0.0037)
        .map(|t| wrap180(pan_of(&cam, t, protocol) - (10.0 + PAN_RATE * (t - 10.0 - NET))))
        .collect();
    let mean = errs.iter().sum::<f64>() / errs.len() as f64;
    let var = errs.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / errs.len() as f64;
    (var.sqrt(), mean)
}

#[test]
fn sender_stamps_remove_arrival_jitter_opentrackio() {
    let (arr, arr_mean) = pan_noise(Protocol::OpenTrackIo, ClockSource::Arrival, 100.0);
    let (snd, snd_mean) = pan_noise(Protocol::OpenTrackIo, ClockSource::Sender, 100.0);
    eprintln!(
        "OpenTrackIO 100 Hz, 60 deg/s, 1 ms jitter: pan noise (RMS about the mean) arrival {arr:.5} deg \
         (mean {arr_mean:.4}), sender {snd:.6} deg (mean {snd_mean:.4}), ratio {:.0}",
        arr / snd.max(1e-12)
    );
    // 1 ms uniform jitter at 60 deg/s: about 0.06 * 0.29 = 0.017 deg RMS on arrival stamps.
    assert!(arr > 0.005, "arrival noise {arr}");
    assert!(snd * 10.0 <= arr, "sender {snd} vs arrival {arr}");
    // Sender stamps leave the network's least delay (5 ms, plus at most a few us): no bias.
    assert!(snd_mean.abs() < 0.002, "{snd_mean}");
}

#[test]
fn freed_cadence_removes_arrival_jitter() {
    let (arr, _) = pan_noise(Protocol::FreeD, ClockSource::Arrival, 60.0);
    let (snd, snd_mean) = pan_noise(Protocol::FreeD, ClockSource::Sender, 60.0);
    eprintln!(
        "FreeD 60 Hz cadence, 60 deg/s, 1 ms jitter: pan noise arrival {arr:.5} deg, cadence {snd:.6} deg \
         (mean {snd_mean:.4}), ratio {:.0}",
        arr / snd.max(1e-12)
    );
    assert!(arr > 0.005, "arrival noise {arr}");
    assert!(snd * 10.0 <= arr, "cadence {snd} vs arrival {arr}");
    assert!(snd_mean.abs() < 0.002, "{snd_mean}");
}

fn rest() -> parallax::camera::CameraState {
    parallax::camera::CameraState {
        pose: Default::default(),
        lens: Default::default(),
    }
}

/// Drives an OpenTrackIO camera with exact sender stamps (100 Hz, arriving on time) through a move
/// `pan(t)` (degrees, OpenTrackIO sense) and `x(t)` (metres), rendering at 60 Hz: at each render
/// time the samples that have arrived are pushed, then the camera is asked for. Returns the errors
/// (degrees, metres) against the move at the LEDs' emission time `render + latency`.
fn drive(
    cfg: &CameraTracking,
    latency: f64,
    pan: impl Fn(f64) -> f64,
    x: impl Fn(f64) -> f64,
) -> Vec<(f64, f64)> {
    let mut cam = TrackedCamera::new(cfg, rest(), 60.0).expect("valid");
    let mut next = 0usize;
    let mut out = Vec::new();
    for k in 0..240 {
        let render = k as f64 / 60.0 + 0.0041;
        while (next as f64) / 100.0 <= render {
            let ts = next as f64 / 100.0;
            let mut s = sample(Protocol::OpenTrackIo, pan(ts), Some(ts));
            s.x_m = x(ts);
            cam.push(ts, &s);
            next += 1;
        }
        if k < 30 {
            continue;
        }
        let state = cam.at(render);
        let f = state.camera.pose.forward();
        let got = (-f.x).atan2(-f.z).to_degrees();
        let emit = render + latency;
        out.push((
            wrap180(got - pan(emit)).abs(),
            (state.camera.pose.position.x - x(emit)).abs(),
        ));
    }
    out
}

fn rms(v: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = v.collect();
    (v.iter().map(|e| e * e).sum::<f64>() / v.len() as f64).sqrt()
}

#[test]
fn prediction_reaches_the_emission_time_of_a_constant_pan() {
    // 60 deg/s pan and a 1.5 m/s truck; latency 2 frames at 60 Hz.
    let latency = 2.0 / 60.0;
    let cfg = CameraTracking {
        latency: parallax::tracking::config::TimeSpan::Frames(2.0),
        ..CameraTracking::new(Protocol::OpenTrackIo, 1)
    };
    let errs = drive(&cfg, latency, |t| -30.0 + 60.0 * t, |t| 1.5 * t);
    let worst_deg = errs.iter().map(|e| e.0).fold(0.0, f64::max);
    let worst_m = errs.iter().map(|e| e.1).fold(0.0, f64::max);
    eprintln!("constant pan, 33 ms latency: worst {worst_deg:.2e} deg, {worst_m:.2e} m");
    assert!(worst_deg < 0.01, "{worst_deg} deg");
    assert!(worst_m < 1e-6, "{worst_m} m");
    // Without prediction (the newest pose held), the same pan lags by 2 to 3 deg.
    let held = CameraTracking {
        max_prediction_ms: 0.0,
        ..cfg.clone()
    };
    let lag = drive(&held, latency, |t| -30.0 + 60.0 * t, |t| 1.5 * t);
    let least = lag.iter().map(|e| e.0).fold(f64::INFINITY, f64::min);
    assert!(least > 60.0 * latency * 0.99, "{least}");
}

#[test]
fn prediction_shrinks_the_error_of_a_sinusoidal_move() {
    // Pan 20 deg * sin(2 pi 0.5 t) (peak 63 deg/s), truck 0.5 m * sin(2 pi 0.5 t); 50 ms latency.
    let w = 2.0 * std::f64::consts::PI * 0.5;
    let pan = move |t: f64| 20.0 * (w * t).sin();
    let x = move |t: f64| 0.5 * (w * t).sin();
    let cfg = CameraTracking {
        latency: parallax::tracking::config::TimeSpan::Ms(50.0),
        max_prediction_ms: 100.0,
        ..CameraTracking::new(Protocol::OpenTrackIo, 1)
    };
    let held = CameraTracking {
        max_prediction_ms: 0.0,
        ..cfg.clone()
    };
    let p = drive(&cfg, 0.05, pan, x);
    let h = drive(&held, 0.05, pan, x);
    let (pd, hd) = (rms(p.iter().map(|e| e.0)), rms(h.iter().map(|e| e.0)));
    let (pm, hm) = (rms(p.iter().map(|e| e.1)), rms(h.iter().map(|e| e.1)));
    eprintln!(
        "sinusoidal move, 50 ms latency: RMS pan error predicted {pd:.4} deg, held {hd:.4} deg \
         (ratio {:.1}); position {pm:.5} m vs {hm:.5} m (ratio {:.1})",
        hd / pd,
        hm / pm
    );
    assert!(pd * 5.0 < hd, "{pd} vs {hd}");
    assert!(pm * 5.0 < hm, "{pm} vs {hm}");
}

#[test]
fn video_delay_gives_the_earlier_pose_and_never_predicts() {
    let cfg = CameraTracking {
        latency: parallax::tracking::config::TimeSpan::Frames(2.0),
        video_delay: parallax::tracking::config::TimeSpan::Frames(3.0),
        tracker_rate_hz: Some(100.0),
        ..Default::default()
    };
    let mut cam = TrackedCamera::new(&cfg, rest(), 50.0).expect("valid");
    // 1 m/s along FreeD X, a sample every 10 ms, on time.
    for i in 0..=100 {
        let t = i as f64 * 0.01;
        let mut s = sample(Protocol::FreeD, 0.0, None);
        s.x_m = t;
        cam.push(t, &s);
    }
    assert!((cam.video_delay_s() - 0.06).abs() < 1e-12);
    for render in [0.5, 0.555, 0.9, 1.0, 1.02] {
        let v = cam.video_at(render);
        assert!(
            (v.camera.pose.position.x - (render - 0.06)).abs() < 1e-9,
            "{render}"
        );
        assert_eq!(v.horizon_s, 0.0);
        // The wall's camera leads by the latency (2 frames at 50 Hz), extrapolated at most
        // max_prediction_ms (50) past the newest sample (1.0 s).
        let wall = cam.at(render).camera.pose.position.x;
        let want = (render + 0.04).min(1.0 + 0.05);
        assert!((wall - want).abs() < 1e-9, "{render}: {wall}");
        // The wall's state carries the video camera along (what the renderer's camera view uses).
        assert_eq!(cam.at(render).video, v.camera);
    }
}

/// Speed overscan: a 60 deg/s pan with 2 frames of latency at 50 Hz (40 ms) and `speed_overscan:
/// 1` widens every side of the frame's inner frustum by 60 x 0.04 = 2.4 degrees of half-angle.
#[test]
fn speed_overscan_reaches_the_frame() {
    let cfg = CameraTracking {
        latency: parallax::tracking::config::TimeSpan::Frames(2.0),
        speed_overscan: 1.0,
        tracker_rate_hz: Some(100.0),
        ..Default::default()
    };
    let mut cam = TrackedCamera::new(&cfg, rest(), 50.0).expect("valid");
    for i in 0..=100 {
        let t = i as f64 * 0.01;
        cam.push(t, &sample(Protocol::FreeD, 60.0 * t, None));
    }
    let state = cam.at(0.99);
    // FreeD angles are quantised to 1/32768 degree: the fitted rate is 60 within 1e-3.
    assert!(
        (state.extra_overscan_deg - 2.4).abs() < 1e-4,
        "{}",
        state.extra_overscan_deg
    );
    let stage = parallax::stage::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/stages/tiny.ron"),
    )
    .expect("stage");
    let o = parallax::render::Overrides::default();
    let name = &stage.cameras[0].name;
    let plain = parallax::render::FrameInputs::resolve(&stage, name, &state.camera, &o).unwrap();
    let f = parallax::render::FrameInputs::resolve_tracked(&stage, name, &state, &o).unwrap();
    let (a, b) = (plain.inner_tangents, f.inner_tangents);
    for (wide, was) in [(b.right, a.right), (b.top, a.top), (-b.left, -a.left)] {
        let grown = wide.atan().to_degrees() - was.atan().to_degrees();
        assert!((grown - state.extra_overscan_deg).abs() < 1e-9, "{grown}");
    }
    // Off by default.
    let still = TrackedCamera::new(
        &CameraTracking {
            speed_overscan: 0.0,
            ..cfg
        },
        rest(),
        50.0,
    )
    .expect("valid");
    assert_eq!(still.at(0.5).extra_overscan_deg, 0.0);
}

#[test]
fn a_dropout_gap_is_held_then_snapped_not_interpolated() {
    // 60 deg/s until 1.0 s, no samples until 1.5 s, then the camera is found elsewhere, panning
    // the other way at 30 deg/s. 100 Hz OpenTrackIO with exact stamps; dropout 100 ms; latency 0.
    let before = |t: f64| 60.0 * t;
    let after = |t: f64| 120.0 - 30.0 * (t - 1.5);
    let cfg = CameraTracking {
        dropout_ms: 100.0,
        ..CameraTracking::new(Protocol::OpenTrackIo, 1)
    };
    let times: Vec<f64> = (0..=100)
        .map(|i| i as f64 * 0.01)
        .chain((0..=50).map(|i| 1.5 + i as f64 * 0.01))
        .collect();
    let push = |cam: &mut TrackedCamera, t: f64| {
        let pan = if t <= 1.0 { before(t) } else { after(t) };
        cam.push(t, &sample(Protocol::OpenTrackIo, pan, Some(t)));
    };
    let pan = |cam: &TrackedCamera, t: f64| pan_of(cam, t, Protocol::OpenTrackIo);

    // Live: samples pushed as they arrive.
    let mut live = TrackedCamera::new(&cfg, rest(), 60.0).expect("valid");
    let mut next = 0;
    let mut seen = Vec::new();
    for k in 0..200 {
        let render = 0.5 + k as f64 * 0.005 + 0.0013;
        while next < times.len() && times[next] <= render {
            push(&mut live, times[next]);
            next += 1;
        }
        seen.push((render, pan(&live, render), live.at(render).status));
    }
    for (render, got, status) in seen {
        let want = if render < 1.0 {
            before(render)
        } else if render < 1.5 {
            // Extrapolated at most max_prediction_ms (50) past the last sample, then held.
            before(render.min(1.05))
        } else {
            // Snapped to the new samples; no motion fitted across the gap (one sample: held;
            // two or more: their own velocity).
            after(render)
        };
        let tol = if (1.5..1.51).contains(&render) {
            // One post-gap sample only: held at after(1.5) until the next.
            30.0 * (render - 1.5) + 1e-6
        } else {
            1e-6
        };
        assert!(
            wrap180(got - want).abs() <= tol,
            "render {render}: {got} vs {want}"
        );
        let dropped = render - 1.0 > 0.1 && render < 1.5;
        assert_eq!(
            matches!(status, parallax::tracking::TrackingStatus::Dropout { .. }),
            dropped,
            "{render}"
        );
    }

    // Offline (all samples buffered): inside the gap the pose is held, never interpolated
    // between 60 deg (1.0 s) and 120 deg (1.5 s).
    let mut off = TrackedCamera::new(&cfg, rest(), 60.0).expect("valid");
    for &t in &times {
        push(&mut off, t);
    }
    for t in [1.2, 1.3, 1.49] {
        let got = pan(&off, t);
        assert!((got - before(1.05)).abs() < 1e-6, "{t}: {got}");
    }
    assert!((pan(&off, 1.5) - after(1.5)).abs() < 1e-6);
    assert!((pan(&off, 1.555) - after(1.555)).abs() < 1e-6);
}

#[test]
fn sample_timestamp_is_read_from_the_spec_example_and_written_back() {
    // complete_dynamic_example.json: "sampleTimestamp": {"seconds": 1718806554,
    // "nanoseconds": 500000000}.
    let s =
        parallax::tracking::opentrackio::decode_json(&super::data("complete_dynamic_example.json"))
            .expect("decodes");
    let want = SenderTime {
        seconds: 1_718_806_554,
        nanoseconds: 500_000_000,
    };
    assert_eq!(s.sender_time, Some(want));
    let back = parallax::tracking::opentrackio::encode_json(&s);
    let again = parallax::tracking::opentrackio::decode_payload(
        parallax::tracking::opentrackio::Encoding::Json,
        &back,
    )
    .expect("round trip");
    assert_eq!(again.sender_time, Some(want));
    // "sampleRate": {"num": 24000, "denom": 1001}, written back as the same rational.
    assert_eq!(s.sample_rate_hz, Some(24000.0 / 1001.0));
    assert_eq!(again.sample_rate_hz, Some(24000.0 / 1001.0));
    let text = String::from_utf8(back).expect("utf-8");
    assert!(
        text.contains(r#""sampleRate":{"denom":1001,"num":24000}"#),
        "{text}"
    );
    // Out of range: nanoseconds >= 1e9, negative seconds, fractional seconds: no stamp.
    for bad in [
        r#"{"seconds": 5, "nanoseconds": 1000000000}"#,
        r#"{"seconds": -1, "nanoseconds": 0}"#,
        r#"{"seconds": 1.5, "nanoseconds": 0}"#,
    ] {
        let text = format!(
            r#"{{"timing": {{"sampleTimestamp": {bad}}}, "transforms": [{{"translation": {{"x": 0, "y": 0, "z": 0}}, "rotation": {{"pan": 0, "tilt": 0, "roll": 0}}}}]}}"#
        );
        let s = parallax::tracking::opentrackio::decode_json(&text).expect("pose still decodes");
        assert_eq!(s.sender_time, None, "{bad}");
    }
    // Differences are exact across a second boundary: 1.5 s - 0.75 s.
    let a = SenderTime {
        seconds: 10,
        nanoseconds: 750_000_000,
    };
    assert_eq!(want.seconds_since(want.plus_seconds(-0.75)), 0.75);
    assert_eq!(
        a.plus_seconds(0.5),
        SenderTime {
            seconds: 11,
            nanoseconds: 250_000_000
        }
    );
}

#[test]
fn a_drifting_sender_clock_stays_within_drift_times_window() {
    // The sender's clock runs 50 ppm fast; arrivals 3 ms late plus 0..1 ms jitter; 100 Hz for 20 s.
    // After the first window, every sample is placed within 50e-6 * 2 s = 0.1 ms (plus the
    // window's least jitter) of its true time + 3 ms.
    let mut c = parallax::tracking::clock::SenderClock::new(0.0, 2.0);
    let mut rng = Lcg(3);
    let origin = SenderTime {
        seconds: 1_000_000,
        nanoseconds: 0,
    };
    let mut worst: f64 = 0.0;
    for i in 0..2000 {
        let t = i as f64 / 100.0;
        let stamp = origin.plus_seconds(t * (1.0 + 50e-6));
        let local = c.local_time(100.0 + t + 0.003 + 0.001 * rng.next(), Some(stamp));
        if t > 2.0 {
            worst = worst.max((local - (100.0 + t + 0.003)).abs());
        }
    }
    eprintln!(
        "50 ppm drift, 2 s window: worst placement error {:.1} us",
        worst * 1e6
    );
    assert!(worst < 1.0e-4 + 5e-5, "{worst}");
}

#[test]
fn interpolation_margin_starts_earlier_and_still_reaches_emission() {
    // Constant 60 deg/s pan; base 25 ms before the render time (between two samples), latency
    // 2 frames: the prediction covers margin + latency and lands on the emission time.
    let latency = 2.0 / 60.0;
    let cfg = CameraTracking {
        latency: parallax::tracking::config::TimeSpan::Frames(2.0),
        interpolation_margin_ms: 25.0,
        max_prediction_ms: 100.0,
        ..CameraTracking::new(Protocol::OpenTrackIo, 1)
    };
    let errs = drive(&cfg, latency, |t| 5.0 + 60.0 * t, |t| -0.5 * t);
    let worst = errs.iter().map(|e| e.0).fold(0.0, f64::max);
    assert!(worst < 0.01, "{worst}");
    // The horizon is the margin + latency (the base is interpolated, not the newest sample).
    let mut cam = TrackedCamera::new(&cfg, rest(), 60.0).expect("valid");
    for i in 0..=100 {
        let t = i as f64 * 0.01;
        cam.push(t, &sample(Protocol::OpenTrackIo, 60.0 * t, Some(t)));
    }
    let h = cam.at(1.0).horizon_s;
    assert!((h - (0.025 + latency)).abs() < 1e-12, "{h}");
}

/// A FreeD tracker at 59.94 Hz with `tracker_rate_hz` left at the stage's 50 Hz: the mismatch is
/// reported (measured within 2 % of 59.94 despite jitter and a lost packet in ten); with the right
/// rate, nothing is.
#[test]
fn a_wrong_freed_cadence_is_detected() {
    let feed = |cfg: &CameraTracking| {
        let mut cam = TrackedCamera::new(cfg, rest(), 50.0).expect("valid");
        let mut rng = Lcg(7);
        let period = 1001.0 / 60000.0;
        for n in 0..300 {
            if n % 10 == 4 {
                continue;
            }
            let t = n as f64 * period;
            cam.push(
                t + 0.004 + rng.next() * 0.001,
                &sample(Protocol::FreeD, 30.0 * t, None),
            );
        }
        cam
    };
    let wrong = feed(&CameraTracking::default());
    let (nominal, measured) = wrong.cadence_mismatch().expect("reported");
    assert_eq!(nominal, 50.0);
    assert!((measured / 59.94 - 1.0).abs() < 0.02, "{measured}");
    let right = feed(&CameraTracking {
        tracker_rate_hz: Some(59.94),
        ..Default::default()
    });
    assert_eq!(right.cadence_mismatch(), None);
}

/// An OpenTrackIO sender without time stamps but with `sampleRate` (24000/1001): samples are placed
/// on that cadence (once the offset fit has settled, consecutive samples 1001/24000 s apart within
/// 0.1 ms despite 1 ms of arrival jitter); without `sampleRate` they keep their jittered arrivals.
#[test]
fn an_unstamped_opentrackio_sample_rate_is_the_cadence() {
    let rate = 24000.0 / 1001.0;
    let spacing = |stated: Option<f64>| {
        let cfg = CameraTracking::new(Protocol::OpenTrackIo, 1);
        let mut cam = TrackedCamera::new(&cfg, rest(), 24.0).expect("valid");
        let mut rng = Lcg(11);
        let mut worst: f64 = 0.0;
        let mut last: Option<f64> = None;
        for n in 0..100 {
            let t = n as f64 / rate;
            let mut s = sample(Protocol::OpenTrackIo, 60.0 * t, None);
            s.sample_rate_hz = stated;
            cam.push(3.0 + t + 0.005 + rng.next() * 0.001, &s);
            let placed = cam.buffer().latest_time().expect("sample");
            // After 30 samples the fitted least delay is within a few percent of the jitter.
            if let Some(l) = last.filter(|_| n > 30) {
                worst = worst.max(((placed - l) - 1.0 / rate).abs());
            }
            last = Some(placed);
        }
        (worst, cam.cadence_mismatch())
    };
    let (on_cadence, mismatch) = spacing(Some(rate));
    assert!(on_cadence < 1e-4, "{on_cadence} s");
    assert_eq!(mismatch, None);
    let (arrival, _) = spacing(None);
    assert!(arrival > 3e-4, "{arrival} s");
}
