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
