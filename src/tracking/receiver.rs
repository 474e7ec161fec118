//! UDP receiver: a thread that reads packets, decodes them and queues samples. The render loop
//! [`Receiver::drain`]s the queue once per frame; the lock is held only to move samples, never
//! across a socket read.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::config::Protocol;
use super::freed;
use super::opentrackio::{self, Reassembler};
use super::sample::{RejectReason, Stats, TrackerSample};

/// Where and what to listen for.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiverConfig {
    /// Protocol.
    pub protocol: Protocol,
    /// Address to bind. A multicast IPv4 address is joined (on all interfaces) and the socket bound
    /// to the same port on all interfaces.
    pub bind: SocketAddr,
    /// Accept only these senders (empty: anyone).
    pub allow: Vec<IpAddr>,
    /// Accept only these camera ids (empty: any).
    pub camera_ids: Vec<u32>,
    /// Start of the receiver's clock (default: when it is spawned). Receivers given the same epoch
    /// time-stamp samples on one clock.
    pub epoch: Option<Instant>,
}

impl ReceiverConfig {
    /// Listen for `protocol` on `bind`, from anyone, for any camera.
    pub fn new(protocol: Protocol, bind: SocketAddr) -> ReceiverConfig {
        ReceiverConfig {
            protocol,
            bind,
            allow: Vec::new(),
            camera_ids: Vec::new(),
            epoch: None,
        }
    }
}

/// A sample with its arrival time in seconds on the receiver's clock.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    /// Arrival time (seconds since the receiver started; see [`Receiver::now`]).
    pub t: f64,
    /// The sample.
    pub sample: TrackerSample,
}

/// Samples kept in the queue between two drains; older ones are dropped and counted.
pub const QUEUE_CAPACITY: usize = 4096;
/// Senders whose unfinished OpenTrackIO payloads are kept at once.
const MAX_SENDERS: usize = 64;

#[derive(Default)]
struct Inbox {
    queue: VecDeque<Received>,
    latest: HashMap<u32, Received>,
    stats: Stats,
}

struct Shared {
    stop: AtomicBool,
    start: Instant,
    inbox: Mutex<Inbox>,
}

impl Shared {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        // A panic while holding the lock cannot leave the inbox inconsistent: take it anyway.
        self.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running UDP receiver. Dropping it stops the thread.
pub struct Receiver {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    local: SocketAddr,
}

impl Receiver {
    /// Binds the socket and starts the thread.
    pub fn spawn(config: ReceiverConfig) -> io::Result<Receiver> {
        let socket = bind(&config.bind)?;
        socket.set_read_timeout(Some(Duration::from_millis(20)))?;
        let local = socket.local_addr()?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            start: config.epoch.unwrap_or_else(Instant::now),
            inbox: Mutex::new(Inbox::default()),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("parallax-{}-rx", config.protocol))
            .spawn(move || run(socket, config, s))?;
        Ok(Receiver {
            shared,
            thread: Some(thread),
            local,
        })
    }

    /// The bound address (useful when binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Now on the receiver's clock, in seconds: the time base of [`Received::t`].
    pub fn now(&self) -> f64 {
        self.shared.start.elapsed().as_secs_f64()
    }

    /// Takes every sample queued since the last call, oldest first.
    pub fn drain(&self) -> Vec<Received> {
        self.shared.inbox().queue.drain(..).collect()
    }

    /// The newest sample of a camera id.
    pub fn latest(&self, camera_id: u32) -> Option<Received> {
        self.shared.inbox().latest.get(&camera_id).cloned()
    }

    /// Packet counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.inbox().stats.clone()
    }

    /// Stops the thread and waits for it.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

fn bind(addr: &SocketAddr) -> io::Result<UdpSocket> {
    match addr.ip() {
        IpAddr::V4(group) if group.is_multicast() => {
            let s = UdpSocket::bind(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                addr.port(),
            ))?;
            s.join_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED)?;
            Ok(s)
        }
        IpAddr::V6(group) if group.is_multicast() => {
            let s = UdpSocket::bind(SocketAddr::new(
                IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
                addr.port(),
            ))?;
            s.join_multicast_v6(&group, 0)?;
            Ok(s)
        }
        _ => UdpSocket::bind(addr),
    }
}

/// Decodes one packet of a sender; `Ok(None)` for a segment of an unfinished payload.
fn decode(
    protocol: Protocol,
    bytes: &[u8],
    reassembler: Option<&mut Reassembler>,
) -> Result<Option<TrackerSample>, RejectReason> {
    match protocol {
        Protocol::FreeD => freed::decode(bytes)
            .map(|m| Some(TrackerSample::from_freed(&m)))
            .map_err(RejectReason::from),
        Protocol::OpenTrackIo => {
            let (h, seg) = opentrackio::parse_packet(bytes).map_err(|e| RejectReason::from(&e))?;
            let mut local = Reassembler::default();
            let r = reassembler.unwrap_or(&mut local);
            match r.push(&h, seg).map_err(|e| RejectReason::from(&e))? {
                Some((enc, payload)) => opentrackio::decode_payload(enc, &payload)
                    .map(Some)
                    .map_err(|e| RejectReason::from(&e)),
                None => Ok(None),
            }
        }
    }
}

fn run(socket: UdpSocket, config: ReceiverConfig, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 65536];
    let mut reassemblers: HashMap<SocketAddr, Reassembler> = HashMap::new();
    while !shared.stop.load(Ordering::Relaxed) {
        let (n, from) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => {
                log::warn!("tracking receiver: {e}");
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
        };
        let t = shared.start.elapsed().as_secs_f64();
        let bytes = &buf[..n];
        let result = if !config.allow.is_empty() && !config.allow.contains(&from.ip()) {
            Err(RejectReason::SourceNotAllowed)
        } else if config.protocol == Protocol::OpenTrackIo {
            if !reassemblers.contains_key(&from) && reassemblers.len() >= MAX_SENDERS {
                reassemblers.clear();
            }
            let r = reassemblers.entry(from).or_default();
            let before = r.abandoned;
            let out = decode(config.protocol, bytes, Some(r));
            let abandoned = r.abandoned - before;
            if abandoned > 0 {
                let mut inbox = shared.inbox();
                for _ in 0..abandoned {
                    inbox.stats.reject(RejectReason::OtioIncomplete);
                }
            }
            out
        } else {
            decode(config.protocol, bytes, None)
        };
        let mut inbox = shared.inbox();
        match result {
            Ok(Some(sample)) => {
                if !config.camera_ids.is_empty() && !config.camera_ids.contains(&sample.camera_id) {
                    inbox.stats.reject(RejectReason::UnknownCamera);
                    continue;
                }
                inbox.stats.accepted += 1;
                let r = Received { t, sample };
                inbox.latest.insert(r.sample.camera_id, r.clone());
                if inbox.queue.len() >= QUEUE_CAPACITY {
                    inbox.queue.pop_front();
                    inbox.stats.reject(RejectReason::QueueOverflow);
                }
                inbox.queue.push_back(r);
            }
            Ok(None) => {}
            Err(reason) => inbox.stats.reject(reason),
        }
    }
}
