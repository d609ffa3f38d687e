//! TCP reachability: non-blocking connects to service endpoints, all at
//! once under one deadline, each answer classified the way an operator
//! reads it (open / refused / timed out / no route / unreachable).
//!
//! Why one thread and `poll(2)` over all sockets rather than a thread per
//! endpoint: the whole check is bounded by one per-check deadline, the
//! cancel flag is looked at every [`POLL_SLICE`], and in `--demo` the
//! caller runs this on one thread inside the demo namespace (a socket
//! belongs to the namespace of the thread that opened it).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// How often the cancel flag is looked at while connects are pending.
pub const POLL_SLICE: Duration = Duration::from_millis(100);

/// The default deadline of one check.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// One address to connect to, with what a failure there usually means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What listens there ("management server REST API").
    pub name: String,
    pub addr: SocketAddrV4,
    /// The question a failure raises ("is the management server running?").
    pub hint: String,
}

/// How a connect ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handshake completed.
    Open(Duration),
    /// RST: the host is there but nothing listens on the port.
    Refused(Duration),
    /// Nothing answered within the deadline (dropped by a firewall, or no
    /// host holds the address).
    TimedOut(Duration),
    /// EHOSTUNREACH: no neighbour answered ARP, or an ICMP host unreachable.
    NoRoute(Duration),
    /// ENETUNREACH: this node has no route to that network.
    NetUnreachable(Duration),
    /// Stopped with Esc before it ended.
    Cancelled,
    /// Any other error (socket creation, permission).
    Error(String),
}

impl Outcome {
    pub fn is_open(&self) -> bool {
        matches!(self, Outcome::Open(_))
    }

    /// A short word for the status column.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Open(_) => "open",
            Outcome::Refused(_) => "refused",
            Outcome::TimedOut(_) => "timed out",
            Outcome::NoRoute(_) => "no route",
            Outcome::NetUnreachable(_) => "unreachable",
            Outcome::Cancelled => "cancelled",
            Outcome::Error(_) => "error",
        }
    }

    fn from_errno(errno: i32, t: Duration) -> Outcome {
        match errno {
            libc::ECONNREFUSED => Outcome::Refused(t),
            libc::ETIMEDOUT => Outcome::TimedOut(t),
            libc::EHOSTUNREACH => Outcome::NoRoute(t),
            libc::ENETUNREACH => Outcome::NetUnreachable(t),
            e => Outcome::Error(std::io::Error::from_raw_os_error(e).to_string()),
        }
    }
}

/// Milliseconds with one decimal, or seconds past one second.
pub fn fmt_time(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    }
}

/// The result lines of one check (pure): the status line, and for a
/// failure what it usually means.
pub fn describe(t: &Target, o: &Outcome) -> Vec<String> {
    let head = |time: Option<Duration>| {
        let time = time
            .map(|d| format!(" ({})", fmt_time(d)))
            .unwrap_or_default();
        format!("{:<11} {} {}{time}", o.word(), t.name, t.addr)
    };
    let port = t.addr.port();
    let ip = t.addr.ip();
    match o {
        Outcome::Open(d) => vec![head(Some(*d))],
        Outcome::Refused(d) => vec![
            head(Some(*d)),
            format!(
                "  refused: the host answers but nothing listens on {port} - {}",
                t.hint
            ),
        ],
        Outcome::TimedOut(d) => vec![
            head(Some(*d)),
            format!(
                "  no answer in {}: a firewall drops port {port}, or {ip} is down or absent",
                fmt_time(*d)
            ),
        ],
        Outcome::NoRoute(d) => vec![
            head(Some(*d)),
            format!(
                "  no host answers for {ip} (ARP or ICMP host unreachable): is it up, same VLAN?"
            ),
        ],
        Outcome::NetUnreachable(d) => vec![
            head(Some(*d)),
            format!("  this node has no route to {ip}: check the gateway and the routes"),
        ],
        Outcome::Cancelled => vec![head(None)],
        Outcome::Error(e) => vec![head(None), format!("  {e}")],
    }
}

struct Pending {
    sock: Option<Socket>,
    outcome: Option<Outcome>,
}

/// Connects to every target at once; each gets `timeout`, the whole run
/// ends by then (or when `cancel` is set). Blocking: run it off the UI
/// thread. Results come back in the targets' order.
pub fn check_all(targets: &[Target], timeout: Duration, cancel: &AtomicBool) -> Vec<Outcome> {
    let start = Instant::now();
    let mut pend: Vec<Pending> = targets
        .iter()
        .map(|t| match start_connect(t.addr) {
            Ok(Some(s)) => Pending {
                sock: Some(s),
                outcome: None,
            },
            Ok(None) => Pending {
                sock: None,
                outcome: Some(Outcome::Open(start.elapsed())),
            },
            Err(errno) => Pending {
                sock: None,
                outcome: Some(Outcome::from_errno(errno, start.elapsed())),
            },
        })
        .collect();
    let deadline = start + timeout;
    loop {
        let waiting: Vec<usize> = (0..pend.len())
            .filter(|&i| pend[i].outcome.is_none())
            .collect();
        if waiting.is_empty() {
            break;
        }
        if cancel.load(Ordering::Relaxed) {
            for &i in &waiting {
                pend[i].outcome = Some(Outcome::Cancelled);
            }
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            for &i in &waiting {
                pend[i].outcome = Some(Outcome::TimedOut(timeout));
            }
            break;
        }
        let wait = (deadline - now).min(POLL_SLICE);
        let mut fds: Vec<libc::pollfd> = waiting
            .iter()
            .map(|&i| libc::pollfd {
                fd: pend[i].sock.as_ref().map_or(-1, |s| s.as_raw_fd()),
                events: libc::POLLOUT,
                revents: 0,
            })
            .collect();
        let ms = wait.as_millis().clamp(1, 1000) as libc::c_int;
        // SAFETY: `fds` is a valid, exclusively borrowed array of pollfd
        // whose length is passed with it; the fds stay open meanwhile.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n <= 0 {
            continue;
        }
        for (k, &i) in waiting.iter().enumerate() {
            if fds[k].revents == 0 {
                continue;
            }
            let t = start.elapsed();
            let sock = pend[i].sock.take().expect("pending socket");
            pend[i].outcome = Some(match sock.take_error() {
                Ok(None) => Outcome::Open(t),
                Ok(Some(e)) => Outcome::from_errno(e.raw_os_error().unwrap_or(0), t),
                Err(e) => Outcome::Error(e.to_string()),
            });
        }
    }
    pend.into_iter()
        .map(|p| p.outcome.expect("every check ended"))
        .collect()
}

/// Starts a non-blocking connect: `Ok(None)` when it completed at once,
/// `Ok(Some(sock))` while in progress, `Err(errno)` on an immediate error.
fn start_connect(addr: SocketAddrV4) -> Result<Option<Socket>, i32> {
    let errno = |e: std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
    let s = Socket::new(
        Domain::IPV4,
        Type::STREAM.nonblocking(),
        Some(Protocol::TCP),
    )
    .map_err(errno)?;
    match s.connect(&SockAddr::from(SocketAddr::V4(addr))) {
        Ok(()) => Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(Some(s)),
        Err(e) => Err(errno(e)),
    }
}

/// Resolves `host` (an IPv4 literal or a DNS name, through the system
/// resolver on a helper thread) within `timeout`.
pub fn resolve(host: &str, timeout: Duration) -> Result<Ipv4Addr, String> {
    crate::net::ping::resolve(host, timeout).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            name: "management server REST API".into(),
            addr: "10.0.0.5:8080".parse().unwrap(),
            hint: "is the management server running?".into(),
        }
    }

    #[test]
    fn refused_says_what_it_means() {
        let l = describe(&target(), &Outcome::Refused(Duration::from_micros(300)));
        assert_eq!(
            l[0],
            "refused     management server REST API 10.0.0.5:8080 (0.3 ms)"
        );
        assert_eq!(
            l[1],
            "  refused: the host answers but nothing listens on 8080 - is the management server running?"
        );
    }

    #[test]
    fn timed_out_has_the_time() {
        let l = describe(&target(), &Outcome::TimedOut(Duration::from_secs(3)));
        assert!(
            l[0].starts_with("timed out") && l[0].ends_with("(3.0 s)"),
            "{l:?}"
        );
        assert!(l[1].contains("no answer in 3.0 s"), "{l:?}");
        assert_eq!(describe(&target(), &Outcome::Open(Duration::ZERO)).len(), 1);
    }

    #[test]
    fn loopback_open_and_refused() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = l.local_addr().unwrap();
        let closed = {
            let c = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            c.local_addr().unwrap()
        };
        let v4 = |a: SocketAddr| match a {
            SocketAddr::V4(a) => a,
            _ => unreachable!(),
        };
        let t = |a| Target {
            addr: v4(a),
            ..target()
        };
        let r = check_all(
            &[t(open), t(closed)],
            Duration::from_secs(3),
            &AtomicBool::new(false),
        );
        assert!(r[0].is_open(), "{r:?}");
        // The closed port was free a moment ago; if someone took it in
        // between, it is open, never a timeout.
        assert!(
            matches!(r[1], Outcome::Refused(_) | Outcome::Open(_)),
            "{r:?}"
        );
    }
}
