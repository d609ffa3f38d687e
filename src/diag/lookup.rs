//! A DNS lookup the way the node's stub resolver makes it (the servers of
//! resolv.conf in order, its timeout and attempts, its search list), but
//! saying what happened at each server: which one answered, in how long,
//! with which addresses; or that it timed out, refused (ICMP port
//! unreachable), failed (SERVFAIL) or said the name does not exist
//! (NXDOMAIN). A and AAAA go out together on one UDP socket per server.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::dns::{decode_response, encode_query, QType, Rcode};
use super::resolv::{candidates, ResolvConf};
use super::tcp::fmt_time;

/// The DNS port.
pub const PORT: u16 = 53;
const SLICE: Duration = Duration::from_millis(100);

/// What one server did with one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerAnswer {
    /// NOERROR: the addresses (possibly none: the name has no A/AAAA).
    Addrs {
        addrs: Vec<IpAddr>,
        cnames: Vec<String>,
        took: Duration,
    },
    /// NXDOMAIN: the name does not exist (final; glibc stops here too).
    NxDomain(Duration),
    /// SERVFAIL, REFUSED and other codes: ask the next server.
    Failed(Rcode),
    /// No answer within the timeout.
    TimedOut(Duration),
    /// ICMP port unreachable: nothing listens on port 53 there.
    Refused,
    /// The socket could not send (no route, …).
    Error(String),
    Cancelled,
}

/// Asks `server` for A and AAAA of `name` within `timeout`.
pub fn ask(server: SocketAddr, name: &str, timeout: Duration, cancel: &AtomicBool) -> ServerAnswer {
    let bind: SocketAddr = match server {
        SocketAddr::V4(_) => "0.0.0.0:0".parse().expect("literal"),
        SocketAddr::V6(_) => "[::]:0".parse().expect("literal"),
    };
    let sock = match UdpSocket::bind(bind).and_then(|s| s.connect(server).map(|()| s)) {
        Ok(s) => s,
        Err(e) => return ServerAnswer::Error(e.to_string()),
    };
    let base = random_id();
    let qs = [(base, QType::A), (base.wrapping_add(1), QType::Aaaa)];
    let start = Instant::now();
    for (id, q) in qs {
        let Some(m) = encode_query(id, name, q) else {
            return ServerAnswer::Error(format!("{name} cannot be encoded"));
        };
        match sock.send(&m) {
            Ok(_) => {}
            // The ICMP port unreachable of the first query came back already.
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return ServerAnswer::Refused,
            Err(e) => return ServerAnswer::Error(e.to_string()),
        }
    }
    let deadline = start + timeout;
    let mut got: [Option<super::dns::Response>; 2] = [None, None];
    let mut buf = [0u8; 4096];
    while got.iter().any(Option::is_none) {
        if cancel.load(Ordering::Relaxed) {
            return ServerAnswer::Cancelled;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        let _ = sock.set_read_timeout(Some(
            (deadline - now).min(SLICE).max(Duration::from_millis(1)),
        ));
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return ServerAnswer::Refused,
            Err(e) => return ServerAnswer::Error(e.to_string()),
        };
        for (k, (id, q)) in qs.iter().enumerate() {
            match decode_response(&buf[..n], *q) {
                Ok(r) if r.id == *id && got[k].is_none() => {
                    got[k] = Some(r);
                    break;
                }
                _ => {}
            }
        }
    }
    let took = start.elapsed();
    let [a, aaaa] = got;
    // One answer is enough to judge the server; a missing AAAA is common.
    let first = match (&a, &aaaa) {
        (None, None) => return ServerAnswer::TimedOut(timeout),
        (Some(r), _) | (None, Some(r)) => r.clone(),
    };
    match first.rcode {
        Rcode::NoError => {
            let mut addrs = Vec::new();
            let mut cnames = Vec::new();
            for r in [a, aaaa].into_iter().flatten() {
                addrs.extend(r.addrs);
                for c in r.cnames {
                    if !cnames.contains(&c) {
                        cnames.push(c);
                    }
                }
            }
            ServerAnswer::Addrs {
                addrs,
                cnames,
                took,
            }
        }
        Rcode::NxDomain => ServerAnswer::NxDomain(took),
        other => ServerAnswer::Failed(other),
    }
}

/// A query id nobody on the path can guess easily (from the clock and the
/// process: a diagnostic, not a resolver the node trusts).
fn random_id() -> u16 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    ((t ^ (t >> 16) ^ std::process::id()) & 0xFFFF) as u16
}

/// The end of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Resolved {
        name: String,
        server: IpAddr,
        addrs: Vec<IpAddr>,
        took: Duration,
    },
    /// Every candidate name got NXDOMAIN (or NOERROR without addresses).
    NoSuchName,
    /// Servers answered only with SERVFAIL, REFUSED or the like.
    ServerFailure(Rcode),
    /// No server gave an answer.
    NoServer,
    Cancelled,
}

/// One line per server asked (sent to `line` as it happens) and the
/// verdict, with the summary line last. Blocking, bounded by the
/// configuration (timeout x servers x attempts x names).
pub fn lookup(
    conf: &ResolvConf,
    name: &str,
    cancel: &AtomicBool,
    mut line: impl FnMut(String),
) -> (Verdict, String) {
    let mut any_answer = false;
    let mut failure: Option<Rcode> = None;
    for cand in candidates(conf, name) {
        let mut answered = false;
        'rounds: for round in 1..=conf.attempts {
            for &ip in &conf.nameservers {
                let server = SocketAddr::new(ip, PORT);
                let a = ask(server, &cand, conf.timeout, cancel);
                let try_n = if conf.attempts > 1 {
                    format!(" (try {round})")
                } else {
                    String::new()
                };
                match a {
                    ServerAnswer::Addrs {
                        addrs,
                        cnames,
                        took,
                    } => {
                        answered = true;
                        any_answer = true;
                        if addrs.is_empty() {
                            line(format!(
                                "{ip}: {cand} has no address records ({})",
                                fmt_time(took)
                            ));
                            break 'rounds;
                        }
                        let list: Vec<String> = addrs.iter().map(IpAddr::to_string).collect();
                        let via = if cnames.is_empty() {
                            String::new()
                        } else {
                            format!(" via {}", cnames.join(", "))
                        };
                        line(format!("{ip} answered in {}{via}", fmt_time(took)));
                        let summary = format!(
                            "{cand}: {} (from {ip} in {})",
                            list.join(", "),
                            fmt_time(took)
                        );
                        return (
                            Verdict::Resolved {
                                name: cand,
                                server: ip,
                                addrs,
                                took,
                            },
                            summary,
                        );
                    }
                    ServerAnswer::NxDomain(took) => {
                        answered = true;
                        any_answer = true;
                        line(format!(
                            "{ip}: {cand} does not exist (NXDOMAIN, {})",
                            fmt_time(took)
                        ));
                        break 'rounds;
                    }
                    ServerAnswer::Failed(rc) => {
                        failure = Some(rc);
                        line(format!(
                            "{ip}: {} for {cand}{try_n}; trying the next server",
                            rc.label()
                        ))
                    }
                    ServerAnswer::TimedOut(t) => line(format!(
                        "{ip}: no answer in {}{try_n}; trying the next server",
                        fmt_time(t)
                    )),
                    ServerAnswer::Refused => line(format!(
                        "{ip}: refused (nothing listens on port 53){try_n}; trying the next server"
                    )),
                    ServerAnswer::Error(e) => {
                        line(format!("{ip}: {e}{try_n}; trying the next server"))
                    }
                    ServerAnswer::Cancelled => {
                        return (Verdict::Cancelled, "cancelled".into());
                    }
                }
            }
        }
        if !answered {
            // No server answered for this name: the others fare no better.
            break;
        }
    }
    if let (false, Some(rc)) = (any_answer, failure) {
        return (
            Verdict::ServerFailure(rc),
            format!(
                "the DNS servers could not resolve {name} ({}): the server or its upstream is failing",
                rc.label()
            ),
        );
    }
    if any_answer {
        (
            Verdict::NoSuchName,
            format!("{name} does not exist (NXDOMAIN) or has no address: check the name and the search domains"),
        )
    } else {
        let servers: Vec<String> = conf.nameservers.iter().map(IpAddr::to_string).collect();
        (
            Verdict::NoServer,
            format!(
                "no DNS server answered ({}): check the network path to them and that they run",
                servers.join(", ")
            ),
        )
    }
}
