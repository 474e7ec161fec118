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
use super::opentrackio::{self, MessageOrder, OtioError, Reassembler};
use super::sample::{RejectReason, Stats, TrackerSample};

/// Where and what to listen for.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiverConfig {
    /// Protocol.
    pub protocol: Protocol,
    /// Address to bind. A multicast address is joined (IPv4: on `interface`, or on every interface
    /// with an IPv4 address) with `SO_REUSEADDR` (and `SO_REUSEPORT` on Unix), so that several
    /// processes can listen to the same group and port. A unicast address is bound exclusively.
    pub bind: SocketAddr,
    /// The local IPv4 address of the interface to join a multicast group on (default: all).
    pub interface: Option<Ipv4Addr>,
    /// OpenTrackIO: also accept the older modulus-255 Fletcher-16 checksum.
    pub legacy_checksum: bool,
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
            interface: None,
            legacy_checksum: false,
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
        let socket = bind(&config.bind, config.interface)?;
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

/// A UDP socket for `addr`: unicast bound exclusively; multicast with address reuse, bound to the
/// group's port (on Unix to the group address itself, so other groups on the port stay out) and
/// the group joined on `interface` or on every interface with an IPv4 address.
pub fn bind(addr: &SocketAddr, interface: Option<Ipv4Addr>) -> io::Result<UdpSocket> {
    use socket2::{Domain, Protocol as SockProtocol, SockAddr, Socket, Type};
    if !addr.ip().is_multicast() {
        return UdpSocket::bind(addr);
    }
    let domain = if addr.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let s = Socket::new(domain, Type::DGRAM, Some(SockProtocol::UDP))?;
    s.set_reuse_address(true)?;
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    s.set_reuse_port(true)?;
    let any = match addr.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
    };
    let local = if cfg!(unix) { addr.ip() } else { any };
    s.bind(&SockAddr::from(SocketAddr::new(local, addr.port())))?;
    match addr.ip() {
        IpAddr::V4(group) => {
            let ifaces: Vec<Ipv4Addr> = match interface {
                Some(i) => vec![i],
                None => ipv4_interfaces(),
            };
            let mut joined = 0;
            let mut last_err = None;
            for i in &ifaces {
                match s.join_multicast_v4(&group, i) {
                    Ok(()) => joined += 1,
                    Err(e) => last_err = Some(e),
                }
            }
            if joined == 0 {
                // No interface list (or none took the group): let the system choose one.
                if interface.is_some() {
                    return Err(last_err.unwrap_or_else(|| io::Error::other("no interface")));
                }
                s.join_multicast_v4(&group, &Ipv4Addr::UNSPECIFIED)?;
            }
        }
        IpAddr::V6(group) => s.join_multicast_v6(&group, 0)?,
    }
    Ok(s.into())
}

/// The IPv4 addresses of the machine's interfaces (empty when they cannot be listed).
fn ipv4_interfaces() -> Vec<Ipv4Addr> {
    let mut out: Vec<Ipv4Addr> = if_addrs::get_if_addrs()
        .map(|list| {
            list.into_iter()
                .filter_map(|i| match i.ip() {
                    IpAddr::V4(a) => Some(a),
                    IpAddr::V6(_) => None,
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// One sender's OpenTrackIO state: reassembly and the newest message per source number.
#[derive(Default)]
struct OtioSender {
    reassembler: Reassembler,
    order: MessageOrder,
}

/// Decodes one OpenTrackIO packet of a sender; `Ok(None)` for a piece of an unfinished message.
/// A message older than one already delivered for its `sourceNumber` is refused as late, so it
/// never becomes the newest pose (nor is it recorded).
fn decode_otio(
    bytes: &[u8],
    legacy_checksum: bool,
    state: &mut OtioSender,
) -> Result<Option<TrackerSample>, OtioError> {
    let (h, seg) = opentrackio::parse_packet_with(bytes, legacy_checksum)?;
    let Some(msg) = state.reassembler.push(&h, seg)? else {
        return Ok(None);
    };
    let sample = opentrackio::decode_payload(msg.encoding, &msg.payload)?;
    state.order.check(sample.camera_id as u64, msg.sequence)?;
    Ok(Some(sample))
}

fn run(socket: UdpSocket, config: ReceiverConfig, shared: Arc<Shared>) {
    let mut buf = vec![0u8; 65536];
    let mut senders: HashMap<SocketAddr, OtioSender> = HashMap::new();
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
            if !senders.contains_key(&from) && senders.len() >= MAX_SENDERS {
                senders.clear();
            }
            let st = senders.entry(from).or_default();
            let before = st.reassembler.abandoned;
            let out =
                decode_otio(bytes, config.legacy_checksum, st).map_err(|e| RejectReason::from(&e));
            let abandoned = st.reassembler.abandoned - before;
            if abandoned > 0 {
                let mut inbox = shared.inbox();
                for _ in 0..abandoned {
                    inbox.stats.reject(RejectReason::OtioIncomplete);
                }
            }
            out
        } else {
            freed::decode(bytes)
                .map(|m| Some(TrackerSample::from_freed(&m)))
                .map_err(RejectReason::from)
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
