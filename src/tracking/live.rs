//! Live tracking of a stage's cameras: one receiver per listening address, samples routed to the
//! cameras by protocol and camera id, all on one clock. The render loop calls [`LiveCameras::update`]
//! once per frame and then [`LiveCameras::camera`] for each camera it draws.

use std::net::SocketAddr;
use std::time::Instant;

use thiserror::Error;

use super::CameraSpec;
use super::config::Protocol;
use super::receiver::{Receiver, ReceiverConfig};
use super::sample::Stats;
use super::timing::{TrackedCamera, TrackedState};

/// Errors starting live tracking.
#[derive(Debug, Error)]
pub enum LiveError {
    /// A camera's tracking settings are invalid.
    #[error("camera '{camera}': {message}")]
    Config {
        /// The stage camera.
        camera: String,
        /// The problems.
        message: String,
    },
    /// A socket could not be opened.
    #[error("cannot listen for {protocol} on {addr}: {source}")]
    Bind {
        /// Protocol.
        protocol: Protocol,
        /// Address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// Two cameras use different protocols on one address.
    #[error("{addr} is used for both FreeD and OpenTrackIO")]
    MixedProtocols {
        /// Address.
        addr: SocketAddr,
    },
}

struct Listener {
    protocol: Protocol,
    bind: SocketAddr,
    receiver: Receiver,
}

/// The tracked cameras of a stage, fed live.
pub struct LiveCameras {
    epoch: Instant,
    listeners: Vec<Listener>,
    cameras: Vec<(String, TrackedCamera)>,
    failures: Vec<String>,
}

impl LiveCameras {
    /// Opens one receiver per (protocol, bind address) used by the stage's cameras (a receiver that
    /// cannot open is reported in [`LiveCameras::failures`] and the others run; the error is
    /// returned only when none opens). A receiver's
    /// allow-list is the union of its cameras' lists (any camera with an empty list opens it to
    /// everyone); it accepts its cameras' ids only.
    /// `frame_rate` is the stage's frame rate (Hz).
    pub fn start(cameras_in: &[CameraSpec<'_>], frame_rate: f64) -> Result<LiveCameras, LiveError> {
        let epoch = Instant::now();
        let mut cameras = Vec::new();
        let mut configs: Vec<ReceiverConfig> = Vec::new();
        let mut open_to_all: Vec<bool> = Vec::new();
        for c in cameras_in {
            let Some(t) = c.tracking else { continue };
            let cam =
                TrackedCamera::new(t, c.rest, frame_rate).map_err(|message| LiveError::Config {
                    camera: c.name.to_string(),
                    message,
                })?;
            cameras.push((c.name.to_string(), cam));
            let bind = t.bind_addr();
            let i = match configs.iter().position(|r| r.bind == bind) {
                Some(i) => {
                    if configs[i].protocol != t.protocol {
                        return Err(LiveError::MixedProtocols { addr: bind });
                    }
                    i
                }
                None => {
                    let mut r = ReceiverConfig::new(t.protocol, bind);
                    r.epoch = Some(epoch);
                    r.interface = t.interface;
                    configs.push(r);
                    open_to_all.push(false);
                    configs.len() - 1
                }
            };
            configs[i].camera_ids.push(t.camera_id);
            configs[i].legacy_checksum |= t.legacy_checksum;
            configs[i].allow.extend(t.allow.iter().copied());
            open_to_all[i] |= t.allow.is_empty();
        }
        let mut listeners = Vec::new();
        let mut failures = Vec::new();
        for (mut cfg, open) in configs.into_iter().zip(open_to_all) {
            if open {
                cfg.allow.clear();
            }
            let (protocol, bind) = (cfg.protocol, cfg.bind);
            match Receiver::spawn(cfg) {
                Ok(receiver) => listeners.push(Listener {
                    protocol,
                    bind,
                    receiver,
                }),
                // One listener that cannot open (a missing interface, a port in use) must not
                // stop the others: its cameras stay untracked and the failure is reported.
                Err(source) => failures.push(LiveError::Bind {
                    protocol,
                    addr: bind,
                    source,
                }),
            }
        }
        if listeners.is_empty() && !failures.is_empty() {
            return Err(failures.swap_remove(0));
        }
        for f in &failures {
            log::warn!("{f}; the other listeners run");
        }
        Ok(LiveCameras {
            epoch,
            listeners,
            cameras,
            failures: failures.iter().map(ToString::to_string).collect(),
        })
    }

    /// Seconds on the tracking clock (pass this, or a time on the same clock, to [`Self::camera`]).
    pub fn now(&self) -> f64 {
        self.epoch.elapsed().as_secs_f64()
    }

    /// Moves newly received samples into the cameras' buffers (never waits for the network).
    pub fn update(&mut self) {
        for l in &self.listeners {
            for r in l.receiver.drain() {
                for (_, cam) in self.cameras.iter_mut() {
                    if cam.accepts(&r.sample) {
                        cam.push(r.t, &r.sample);
                    }
                }
            }
        }
    }

    /// The named camera for the wall frame rendered at `render_time` (predicted to LED emission; its
    /// `video` field is the camera matching its own video); `None` for an untracked camera.
    pub fn camera(&self, name: &str, render_time: f64) -> Option<TrackedState> {
        self.cameras
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.at(render_time))
    }

    /// Cameras whose samples are placed on a nominal cadence that differs from their arrival rate:
    /// `(camera, nominal Hz, measured Hz)` (see [`TrackedCamera::cadence_mismatch`]).
    pub fn cadence_mismatches(&self) -> Vec<(String, f64, f64)> {
        self.cameras
            .iter()
            .filter_map(|(n, c)| c.cadence_mismatch().map(|(a, b)| (n.clone(), a, b)))
            .collect()
    }

    /// Listeners that could not be opened (each with its address and reason); their cameras get
    /// no samples. Empty when every listener runs.
    pub fn failures(&self) -> &[String] {
        &self.failures
    }

    /// Times the named camera's sender clock fit restarted on a stamp far from it
    /// ([`TrackedCamera::clock_resets`]); `None` for an untracked camera.
    pub fn clock_resets(&self, name: &str) -> Option<u64> {
        self.cameras
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clock_resets())
    }

    /// Names of the tracked cameras.
    pub fn names(&self) -> Vec<&str> {
        self.cameras.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The bound address of each listener (as bound: useful with port 0), with its protocol.
    pub fn local_addrs(&self) -> Vec<(Protocol, SocketAddr)> {
        self.listeners
            .iter()
            .map(|l| (l.protocol, l.receiver.local_addr()))
            .collect()
    }

    /// Packet counters per listener: protocol, configured address, counters.
    pub fn stats(&self) -> Vec<(Protocol, SocketAddr, Stats)> {
        self.listeners
            .iter()
            .map(|l| (l.protocol, l.bind, l.receiver.stats()))
            .collect()
    }
}
