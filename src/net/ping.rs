//! Test Network: ICMP echo to an IPv4 address or host name.
//!
//! Uses an unprivileged ICMP datagram socket (`SOCK_DGRAM`/`IPPROTO_ICMP`,
//! allowed when `net.ipv4.ping_group_range` contains our group), and only
//! when the kernel refuses that and we are root falls back to a raw socket:
//! the console should not need root-only facilities for a plain ping.
//! Every step is bounded: name resolution by
//! [`PingOptions::resolve_timeout`], each probe by [`PingOptions::timeout`],
//! and the cancel flag is polled at least every [`CANCEL_POLL`].

use std::io::{ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use socket2::SockAddr;
use thiserror::Error;

pub use super::icmp::SocketKind;
use super::icmp::{echo_request, open_socket, parse_incoming, Incoming};

/// Longest time a cancel request waits to be noticed.
pub const CANCEL_POLL: Duration = Duration::from_millis(100);

/// Default target of Test Network (config `network.ping_target`).
pub const DEFAULT_TARGET: &str = "114.114.114.114";

/// How to ping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingOptions {
    /// Number of echo requests.
    pub count: u16,
    /// Time between two requests.
    pub interval: Duration,
    /// How long to wait for each reply before counting it lost.
    pub timeout: Duration,
    /// Upper bound of host name resolution.
    pub resolve_timeout: Duration,
    /// Payload bytes after the 8-byte ICMP header.
    pub payload_len: usize,
}

impl Default for PingOptions {
    fn default() -> Self {
        PingOptions {
            count: 4,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            resolve_timeout: Duration::from_secs(3),
            payload_len: 56,
        }
    }
}

/// Progress of a ping run, reported as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PingEvent {
    /// The target is this address (after resolving a host name).
    Resolved { target: Ipv4Addr },
    /// Echo reply for probe `seq`.
    Reply {
        seq: u16,
        rtt: Duration,
        bytes: usize,
    },
    /// No reply for probe `seq` within the per-probe timeout.
    Timeout { seq: u16 },
    /// A router or the local stack reported the target unreachable.
    Unreachable { seq: u16, detail: String },
}

impl std::fmt::Display for PingEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PingEvent::Resolved { target } => write!(f, "PING {target}"),
            PingEvent::Reply { seq, rtt, bytes } => write!(
                f,
                "{bytes} bytes: icmp_seq={seq} time={:.1} ms",
                rtt.as_secs_f64() * 1000.0
            ),
            PingEvent::Timeout { seq } => write!(f, "icmp_seq={seq}: no reply (timeout)"),
            PingEvent::Unreachable { seq, detail } => write!(f, "icmp_seq={seq}: {detail}"),
        }
    }
}

/// The summary line of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingSummary {
    pub target: Ipv4Addr,
    pub sent: u16,
    pub received: u16,
    pub rtt_min: Option<Duration>,
    pub rtt_avg: Option<Duration>,
    pub rtt_max: Option<Duration>,
    /// The run was stopped by the cancel flag (ESC).
    pub cancelled: bool,
    pub socket: SocketKind,
}

impl PingSummary {
    /// Lost share of the probes sent, 0–100.
    pub fn loss_pct(&self) -> f64 {
        if self.sent == 0 {
            return 0.0;
        }
        100.0 * f64::from(self.sent - self.received) / f64::from(self.sent)
    }
}

impl std::fmt::Display for PingSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} sent, {} received, {:.0}% loss",
            self.target,
            self.sent,
            self.received,
            self.loss_pct()
        )?;
        if let (Some(a), Some(b), Some(c)) = (self.rtt_min, self.rtt_avg, self.rtt_max) {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            write!(
                f,
                ", rtt min/avg/max {:.1}/{:.1}/{:.1} ms",
                ms(a),
                ms(b),
                ms(c)
            )?;
        }
        if self.cancelled {
            f.write_str(" (cancelled)")?;
        }
        Ok(())
    }
}

/// Why a ping run could not start or go on.
#[derive(Debug, Error)]
pub enum PingError {
    #[error("the target is empty: enter an IPv4 address or a host name")]
    EmptyTarget,
    #[error("the target \"{0}\" is not an IPv4 address or a valid host name: check the spelling")]
    BadTarget(String),
    #[error("cannot resolve \"{host}\": {cause}; check the name and the DNS settings, or enter an IP address")]
    Resolve { host: String, cause: String },
    #[error("resolving \"{host}\" took longer than {timeout:?}: check the DNS settings, or enter an IP address")]
    ResolveTimeout { host: String, timeout: Duration },
    #[error("\"{0}\" has no IPv4 address: enter an IPv4 address")]
    NoIpv4(String),
    #[error("cannot open an ICMP socket ({0}): allow our group in net.ipv4.ping_group_range or run as root")]
    Socket(String),
    #[error("sending the echo request failed: {0}")]
    Send(String),
}

/// Checks the shape of a target (IPv4 literal or RFC 1123 host name) without
/// resolving it.
pub fn validate_target(text: &str) -> Result<(), PingError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(PingError::EmptyTarget);
    }
    if t.parse::<Ipv4Addr>().is_ok() {
        return Ok(());
    }
    let host = t.strip_suffix('.').unwrap_or(t);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    // A dotted all-numeric string that failed to parse is a mistyped address.
    let all_numeric = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if host.len() > 253 || all_numeric || !host.split('.').all(label_ok) {
        return Err(PingError::BadTarget(t.to_string()));
    }
    Ok(())
}

/// Resolves `text` to an IPv4 address within `timeout` (getaddrinfo runs on a
/// helper thread that is abandoned on timeout, since it cannot be cancelled).
pub fn resolve(text: &str, timeout: Duration) -> Result<Ipv4Addr, PingError> {
    validate_target(text)?;
    let t = text.trim().to_string();
    if let Ok(ip) = t.parse::<Ipv4Addr>() {
        return Ok(ip);
    }
    let (tx, rx) = mpsc::channel();
    let host = t.clone();
    std::thread::Builder::new()
        .name("ping-resolve".into())
        .spawn(move || {
            let r = (host.as_str(), 0u16)
                .to_socket_addrs()
                .map(|it| it.map(|a| a.ip()).collect::<Vec<_>>());
            let _ = tx.send(r);
        })
        .map_err(|e| PingError::Resolve {
            host: t.clone(),
            cause: e.to_string(),
        })?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(ips)) => ips
            .into_iter()
            .find_map(|ip| match ip {
                IpAddr::V4(v4) => Some(v4),
                IpAddr::V6(_) => None,
            })
            .ok_or(PingError::NoIpv4(t)),
        Ok(Err(e)) => Err(PingError::Resolve {
            host: t,
            cause: e.to_string(),
        }),
        Err(_) => Err(PingError::ResolveTimeout { host: t, timeout }),
    }
}

/// Pings `target` (IPv4 address or host name). Calls `on_event` for the
/// resolution and for every probe as it completes; returns the summary,
/// also when cancelled part way (`cancelled` set). Blocks: run it off the UI
/// thread.
pub fn ping(
    target: &str,
    opts: &PingOptions,
    cancel: &AtomicBool,
    mut on_event: impl FnMut(&PingEvent),
) -> Result<PingSummary, PingError> {
    let ip = resolve(target, opts.resolve_timeout)?;
    on_event(&PingEvent::Resolved { target: ip });
    let (sock, kind) = open_socket().map_err(PingError::Socket)?;
    let dest = SockAddr::from(SocketAddrV4::new(ip, 0));
    // Datagram sockets get their identifier from the kernel; for raw ones
    // our pid tells our replies from other pings'.
    let id = (std::process::id() & 0xFFFF) as u16;
    let mut summary = PingSummary {
        target: ip,
        sent: 0,
        received: 0,
        rtt_min: None,
        rtt_avg: None,
        rtt_max: None,
        cancelled: false,
        socket: kind,
    };
    let mut rtts: Vec<Duration> = Vec::new();
    let mut buf = [0u8; 2048];
    for seq in 1..=opts.count {
        if cancel.load(Ordering::Relaxed) {
            summary.cancelled = true;
            break;
        }
        let sent_at = Instant::now();
        let pkt = echo_request(id, seq, opts.payload_len);
        let mut outcome: Option<PingEvent> = None;
        if let Err(e) = sock.send_to(&pkt, &dest) {
            match e.raw_os_error() {
                // The local stack knows the target is unreachable now.
                Some(libc::ENETUNREACH) | Some(libc::EHOSTUNREACH) => {
                    outcome = Some(PingEvent::Unreachable {
                        seq,
                        detail: e.to_string(),
                    })
                }
                _ => return Err(PingError::Send(e.to_string())),
            }
        }
        summary.sent += 1;
        let deadline = sent_at + opts.timeout;
        while outcome.is_none() {
            if cancel.load(Ordering::Relaxed) {
                summary.cancelled = true;
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                outcome = Some(PingEvent::Timeout { seq });
                break;
            }
            let wait = (deadline - now).min(CANCEL_POLL);
            let _ = sock.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
            let n = match (&sock).read(&mut buf) {
                Ok(n) => n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    outcome = Some(PingEvent::Unreachable {
                        seq,
                        detail: e.to_string(),
                    });
                    break;
                }
            };
            match parse_incoming(&buf[..n], kind, id) {
                Incoming::Reply { seq: s, bytes } if s == seq => {
                    outcome = Some(PingEvent::Reply {
                        seq,
                        rtt: sent_at.elapsed(),
                        bytes,
                    })
                }
                Incoming::Unreachable { seq: s, detail } if s == seq => {
                    outcome = Some(PingEvent::Unreachable { seq, detail })
                }
                _ => {}
            }
        }
        if let Some(ev) = outcome {
            if let PingEvent::Reply { rtt, .. } = ev {
                summary.received += 1;
                rtts.push(rtt);
            }
            on_event(&ev);
        }
        if summary.cancelled {
            break;
        }
        if seq < opts.count {
            // Wait out the rest of the interval, watching the cancel flag.
            let next = sent_at + opts.interval;
            while Instant::now() < next {
                if cancel.load(Ordering::Relaxed) {
                    summary.cancelled = true;
                    break;
                }
                std::thread::sleep((next - Instant::now()).min(CANCEL_POLL));
            }
            if summary.cancelled {
                break;
            }
        }
    }
    if !rtts.is_empty() {
        summary.rtt_min = rtts.iter().min().copied();
        summary.rtt_max = rtts.iter().max().copied();
        summary.rtt_avg = Some(rtts.iter().sum::<Duration>() / rtts.len() as u32);
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert!(validate_target("114.114.114.114").is_ok());
        assert!(validate_target(" node-1.example.com. ").is_ok());
        assert!(matches!(validate_target(""), Err(PingError::EmptyTarget)));
        for bad in [
            "1.2.3.256",
            "1.2.3",
            "a..b",
            "-a.b",
            "a_b",
            "host name",
            "ä.com",
        ] {
            assert!(
                matches!(validate_target(bad), Err(PingError::BadTarget(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn summary_loss_and_text() {
        let s = PingSummary {
            target: Ipv4Addr::new(10, 0, 0, 1),
            sent: 4,
            received: 3,
            rtt_min: Some(Duration::from_micros(100)),
            rtt_avg: Some(Duration::from_micros(200)),
            rtt_max: Some(Duration::from_micros(300)),
            cancelled: false,
            socket: SocketKind::Datagram,
        };
        assert_eq!(s.loss_pct(), 25.0);
        assert_eq!(
            s.to_string(),
            "10.0.0.1: 4 sent, 3 received, 25% loss, rtt min/avg/max 0.1/0.2/0.3 ms"
        );
    }
}
