//! Path MTU: the largest IPv4 packet that reaches a target unfragmented.
//!
//! Jumbo-frame mismatches are a classic storage-network fault: the node's
//! NIC says 9000, a switch port in between says 1500, small packets (ping,
//! SSH) work and big transfers hang. This sends ICMP echo requests with
//! don't-fragment set (`IP_MTU_DISCOVER = IP_PMTUDISC_PROBE`: DF on, and the
//! kernel's cached path MTU ignored, so each size is really tried) at the
//! route's NIC MTU, 1500 and 9000 where the NIC allows, then searches for
//! the largest size that passes.
//!
//! Three ways a size fails, told apart for the operator:
//! - the local stack refuses it (`EMSGSIZE` at send): larger than our own
//!   NIC's MTU, nothing was sent;
//! - a router answers "fragmentation needed" with its next-hop MTU (read
//!   from the socket's error queue, `IP_RECVERR`);
//! - no reply at all: something on the path drops it silently.
//!
//! Every probe has a deadline and the cancel flag is polled every 100 ms.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use socket2::{SockAddr, Socket};
use thiserror::Error;

use crate::net::icmp::{self, Incoming, SocketKind};

/// IPv4 header (no options) + ICMP echo header.
pub const HEADERS: u32 = 28;
/// The smallest size probed (the classic ping: 56 bytes of payload).
pub const SMALL: u32 = 84;
/// The largest IPv4 packet.
pub const MAX: u32 = 65535;

/// How to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtuOptions {
    /// How long one probe waits for its reply.
    pub timeout: Duration,
    /// Probes of one size without any answer before it counts as failed.
    pub tries: u8,
    /// Upper bound of host name resolution.
    pub resolve_timeout: Duration,
    /// Upper bound of the whole run.
    pub budget: Duration,
}

impl Default for MtuOptions {
    fn default() -> Self {
        MtuOptions {
            timeout: Duration::from_secs(1),
            tries: 2,
            resolve_timeout: Duration::from_secs(3),
            budget: Duration::from_secs(60),
        }
    }
}

/// How one size fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The echo reply came back.
    Passed { rtt: Duration },
    /// Refused by our own stack: larger than the NIC's (route's) MTU.
    TooBigLocally { mtu: Option<u32> },
    /// A router said "fragmentation needed" (ICMP 3/4).
    FragNeeded { from: Ipv4Addr, mtu: u32 },
    /// No answer within the timeout, every try.
    NoReply { tries: u8, timeout: Duration },
    /// Another ICMP error (unreachable, TTL exceeded).
    Unreachable {
        from: Option<Ipv4Addr>,
        detail: String,
    },
}

/// One size and how it fared (`size` counts the whole IP packet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub size: u32,
    pub outcome: Outcome,
}

impl Probe {
    pub fn passed(&self) -> bool {
        matches!(self.outcome, Outcome::Passed { .. })
    }
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:>5} bytes: ", self.size)?;
        match &self.outcome {
            Outcome::Passed { rtt } => {
                write!(f, "passed ({:.1} ms)", rtt.as_secs_f64() * 1000.0)
            }
            Outcome::TooBigLocally { mtu: Some(m) } => {
                write!(
                    f,
                    "refused locally: larger than the route's MTU {m} (not sent)"
                )
            }
            Outcome::TooBigLocally { mtu: None } => {
                f.write_str("refused locally: larger than the NIC's MTU (not sent)")
            }
            Outcome::FragNeeded { from, mtu } => write!(
                f,
                "fragmentation needed: router {from} says next-hop MTU {mtu}"
            ),
            Outcome::NoReply { tries, timeout } => {
                write!(f, "no reply ({tries} x {:.1} s)", timeout.as_secs_f64())
            }
            Outcome::Unreachable {
                from: Some(a),
                detail,
            } => write!(f, "{detail} (from {a})"),
            Outcome::Unreachable { from: None, detail } => f.write_str(detail),
        }
    }
}

/// The route the probes take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Egress {
    pub nic: String,
    pub mtu: u32,
}

/// Progress of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MtuEvent {
    Route { target: Ipv4Addr, egress: Egress },
    Probe(Probe),
}

impl std::fmt::Display for MtuEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MtuEvent::Route { target, egress } => write!(
                f,
                "{target} via {} (MTU {}), don't-fragment set",
                egress.nic, egress.mtu
            ),
            MtuEvent::Probe(p) => p.fmt(f),
        }
    }
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtuReport {
    pub target: Ipv4Addr,
    pub egress: Egress,
    pub probes: Vec<Probe>,
    /// The largest size that passed; `None` when not even [`SMALL`] did.
    pub largest: Option<u32>,
    pub cancelled: bool,
    pub socket: SocketKind,
}

impl MtuReport {
    /// The router's "fragmentation needed" seen during the run, if any.
    pub fn frag_needed(&self) -> Option<(Ipv4Addr, u32)> {
        self.probes.iter().find_map(|p| match p.outcome {
            Outcome::FragNeeded { from, mtu } => Some((from, mtu)),
            _ => None,
        })
    }

    /// The result lines (pure).
    pub fn lines(&self) -> Vec<String> {
        let nic = &self.egress.nic;
        let nic_mtu = self.egress.mtu;
        let mut v = Vec::new();
        if self.cancelled {
            v.push("stopped (Esc) before the search ended".to_string());
        }
        let Some(largest) = self.largest else {
            if !self.cancelled {
                v.push(format!(
                    "{} does not answer ICMP echo even at {SMALL} bytes: no path MTU can be \
                     measured (host down, or echo filtered)",
                    self.target
                ));
            }
            return v;
        };
        let exact = if self.cancelled { " at least" } else { "" };
        v.push(format!(
            "largest packet that passes unfragmented:{exact} {largest} bytes \
             (ICMP payload {})",
            largest - HEADERS
        ));
        if largest >= nic_mtu {
            v.push(format!("the whole path carries {nic}'s MTU {nic_mtu}"));
            return v;
        }
        if nic_mtu > 1500 {
            v.push(format!(
                "{nic} is set to {nic_mtu} but the path carries only {largest}: a \
                 jumbo-frame mismatch on the path"
            ));
        } else {
            v.push(format!(
                "{nic} is set to {nic_mtu} but the path carries only {largest}: a smaller \
                 MTU on the path (tunnel, VLAN or a switch port)"
            ));
        }
        match self.frag_needed() {
            Some((from, mtu)) => v.push(format!(
                "router {from} reports next-hop MTU {mtu} (fragmentation needed)"
            )),
            None if self
                .probes
                .iter()
                .any(|p| matches!(p.outcome, Outcome::NoReply { .. })) =>
            {
                v.push(
                    "larger packets get no reply and no \"fragmentation needed\": something \
                     on the path drops them silently"
                        .to_string(),
                )
            }
            None => {
                if let Some(Probe {
                    outcome: Outcome::Unreachable { detail, .. },
                    ..
                }) = self
                    .probes
                    .iter()
                    .find(|p| matches!(p.outcome, Outcome::Unreachable { .. }))
                {
                    v.push(format!("larger packets fail: {detail}"));
                }
            }
        }
        v
    }
}

/// Why a run could not start.
#[derive(Debug, Error)]
pub enum MtuError {
    #[error("{0}")]
    Target(#[from] crate::net::ping::PingError),
    #[error("there is no route to {0}: check the address and the routing table")]
    NoRoute(Ipv4Addr),
    #[error("looking up the route to {target} failed: {cause}")]
    Route { target: Ipv4Addr, cause: String },
    #[error("cannot open an ICMP socket ({0}): allow our group in net.ipv4.ping_group_range or run as root")]
    Socket(String),
    #[error("setting don't-fragment on the ICMP socket failed: {0}")]
    Sockopt(String),
}

/// The sizes tried first (pure): 9000 and 1500 where the NIC allows them,
/// and the NIC's MTU itself, largest first.
pub fn first_sizes(nic_mtu: u32) -> Vec<u32> {
    let mut v: Vec<u32> = [nic_mtu, 9000, 1500]
        .into_iter()
        .filter(|&s| s <= nic_mtu && (SMALL..=MAX).contains(&s))
        .collect();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v.dedup();
    v
}

/// The next size to try (pure) given the largest size known to pass (`lo`),
/// the smallest known to fail (`hi`) and a router's next-hop MTU hint; `None`
/// when the search is over (`hi == lo + 1`).
pub fn next_size(lo: u32, hi: u32, hint: Option<u32>, tried: &[u32]) -> Option<u32> {
    if hi <= lo + 1 {
        return None;
    }
    if let Some(h) = hint.filter(|h| *h > lo && *h < hi && !tried.contains(h)) {
        return Some(h);
    }
    if let Some(h) = hint.filter(|h| *h == lo && !tried.contains(&(h + 1))) {
        return Some(h + 1);
    }
    Some(lo + (hi - lo) / 2)
}

/// The route's NIC and its MTU, by the kernel's route lookup.
pub fn egress(target: Ipv4Addr) -> Result<Egress, MtuError> {
    use futures::TryStreamExt;
    use rtnetlink::packet_route::link::LinkAttribute;
    use rtnetlink::packet_route::route::RouteAttribute;
    let err = |cause: String| MtuError::Route { target, cause };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| err(e.to_string()))?;
    // The netlink socket must be opened in the caller's namespace: a
    // current-thread runtime on this thread keeps it there.
    rt.block_on(async move {
        let (conn, h, _) = rtnetlink::new_connection().map_err(|e| err(e.to_string()))?;
        tokio::spawn(conn);
        let work = async {
            let msg = rtnetlink::RouteMessageBuilder::<Ipv4Addr>::new()
                .destination_prefix(target, 32)
                .build();
            let routes: Vec<_> = match h.route().get(msg).execute().try_collect().await {
                Ok(r) => r,
                Err(rtnetlink::Error::NetlinkError(m))
                    if m.code.map(|c| -c.get()) == Some(libc::ENETUNREACH) =>
                {
                    return Err(MtuError::NoRoute(target))
                }
                Err(e) => return Err(err(e.to_string())),
            };
            let oif = routes
                .iter()
                .flat_map(|r| r.attributes.iter())
                .find_map(|a| match a {
                    RouteAttribute::Oif(i) => Some(*i),
                    _ => None,
                })
                .ok_or(MtuError::NoRoute(target))?;
            let links: Vec<_> = h
                .link()
                .get()
                .match_index(oif)
                .execute()
                .try_collect()
                .await
                .map_err(|e| err(e.to_string()))?;
            let (mut nic, mut mtu) = (format!("ifindex {oif}"), 1500);
            for a in links.iter().flat_map(|l| l.attributes.iter()) {
                match a {
                    LinkAttribute::IfName(n) => nic = n.clone(),
                    LinkAttribute::Mtu(m) => mtu = *m,
                    _ => {}
                }
            }
            Ok(Egress { nic, mtu })
        };
        tokio::time::timeout(Duration::from_secs(5), work)
            .await
            .map_err(|_| err("the kernel did not answer within 5 s".into()))?
    })
}

fn set_int(sock: &Socket, level: i32, name: i32, v: i32) -> Result<(), MtuError> {
    // SAFETY: an int option of the size given on a live socket.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&v as *const i32).cast(),
            std::mem::size_of::<i32>() as u32,
        )
    };
    if r < 0 {
        return Err(MtuError::Sockopt(
            std::io::Error::last_os_error().to_string(),
        ));
    }
    Ok(())
}

fn route_mtu(sock: &Socket) -> Option<u32> {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as u32;
    // SAFETY: an int out-buffer of the size given.
    let r = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MTU,
            (&mut v as *mut i32).cast(),
            &mut len,
        )
    };
    (r == 0 && v > 0).then_some(v as u32)
}

/// One entry of the socket's error queue: (seq of our request, outcome).
fn read_errqueue(sock: &Socket) -> Option<(Option<u16>, Outcome)> {
    let mut data = [0u8; 128];
    let mut ctrl = [0u64; 64];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: zeroed msghdr is valid; its buffers are set below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&ctrl);
    // SAFETY: msg points at live buffers of the sizes given.
    let n = unsafe {
        libc::recvmsg(
            sock.as_raw_fd(),
            &mut msg,
            libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        return None;
    }
    let seq = (n >= 8).then(|| u16::from_be_bytes([data[6], data[7]]));
    // SAFETY: walking the control messages the kernel wrote into ctrl.
    let mut c = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    while !c.is_null() {
        // SAFETY: c points into ctrl (CMSG_FIRSTHDR/NXTHDR checked bounds).
        let h = unsafe { &*c };
        if h.cmsg_level == libc::IPPROTO_IP && h.cmsg_type == libc::IP_RECVERR {
            // SAFETY: an IP_RECVERR cmsg holds a sock_extended_err followed
            // by the offender's sockaddr_in (SO_EE_OFFENDER).
            let (ee, from) = unsafe {
                let p = libc::CMSG_DATA(c) as *const libc::sock_extended_err;
                let ee = std::ptr::read_unaligned(p);
                let sa = std::ptr::read_unaligned(p.add(1) as *const libc::sockaddr_in);
                let from = (sa.sin_family == libc::AF_INET as u16)
                    .then(|| Ipv4Addr::from(u32::from_be(sa.sin_addr.s_addr)));
                (ee, from)
            };
            return Some((seq, classify_error(&ee, from)));
        }
        // SAFETY: as above.
        c = unsafe { libc::CMSG_NXTHDR(&msg, c) };
    }
    Some((
        seq,
        Outcome::Unreachable {
            from: None,
            detail: "unknown error".into(),
        },
    ))
}

/// What an extended socket error means (pure).
pub fn classify_error(ee: &libc::sock_extended_err, from: Option<Ipv4Addr>) -> Outcome {
    if ee.ee_origin == libc::SO_EE_ORIGIN_LOCAL && ee.ee_errno == libc::EMSGSIZE as u32 {
        return Outcome::TooBigLocally {
            mtu: (ee.ee_info > 0).then_some(ee.ee_info),
        };
    }
    if ee.ee_origin == libc::SO_EE_ORIGIN_ICMP {
        if ee.ee_type == 3 && ee.ee_code == 4 {
            return Outcome::FragNeeded {
                from: from.unwrap_or(Ipv4Addr::UNSPECIFIED),
                mtu: ee.ee_info,
            };
        }
        let detail = match (ee.ee_type, ee.ee_code) {
            (11, _) => "time to live exceeded".to_string(),
            (3, 0) => "network unreachable".into(),
            (3, 1) => "host unreachable".into(),
            (3, 3) => "port unreachable".into(),
            (3, 13) => "administratively prohibited".into(),
            (t, c) => format!("ICMP error type {t} code {c}"),
        };
        return Outcome::Unreachable { from, detail };
    }
    Outcome::Unreachable {
        from,
        detail: std::io::Error::from_raw_os_error(ee.ee_errno as i32).to_string(),
    }
}

struct Prober<'a> {
    sock: Socket,
    kind: SocketKind,
    id: u16,
    seq: u16,
    opts: &'a MtuOptions,
    cancel: &'a AtomicBool,
}

impl Prober<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn drain_errors(&self) {
        while read_errqueue(&self.sock).is_some() {}
    }

    /// One size, retried on silence; `None` when cancelled.
    fn probe(&mut self, size: u32) -> Option<Probe> {
        for _ in 0..self.opts.tries.max(1) {
            match self.once(size)? {
                Outcome::NoReply { .. } => continue,
                outcome => return Some(Probe { size, outcome }),
            }
        }
        Some(Probe {
            size,
            outcome: Outcome::NoReply {
                tries: self.opts.tries.max(1),
                timeout: self.opts.timeout,
            },
        })
    }

    fn once(&mut self, size: u32) -> Option<Outcome> {
        self.drain_errors();
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let pkt = icmp::echo_request(self.id, seq, (size - HEADERS) as usize);
        let sent_at = Instant::now();
        if let Err(e) = self.sock.send(&pkt) {
            self.drain_errors();
            return Some(match e.raw_os_error() {
                Some(libc::EMSGSIZE) => Outcome::TooBigLocally {
                    mtu: route_mtu(&self.sock),
                },
                // The link layer dropped it at once (a veth whose peer has a
                // smaller MTU reports this through IP_RECVERR).
                Some(libc::ENOBUFS) => Outcome::Unreachable {
                    from: None,
                    detail: "dropped on the way out: the NIC's peer refused the frame \
                             (its MTU is smaller)"
                        .into(),
                },
                _ => Outcome::Unreachable {
                    from: None,
                    detail: e.to_string(),
                },
            });
        }
        let deadline = sent_at + self.opts.timeout;
        let mut buf = vec![0u8; 65536];
        loop {
            if self.cancelled() {
                return None;
            }
            let now = Instant::now();
            if now >= deadline {
                return Some(Outcome::NoReply {
                    tries: 1,
                    timeout: self.opts.timeout,
                });
            }
            let mut pfd = libc::pollfd {
                fd: self.sock.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = (deadline - now)
                .min(crate::net::ping::CANCEL_POLL)
                .as_millis()
                .max(1) as i32;
            // SAFETY: one valid pollfd.
            if unsafe { libc::poll(&mut pfd, 1, ms) } <= 0 {
                continue;
            }
            if pfd.revents & libc::POLLERR != 0 {
                while let Some((s, outcome)) = read_errqueue(&self.sock) {
                    if s == Some(seq) || s.is_none() {
                        return Some(outcome);
                    }
                }
            }
            // SAFETY: buf is writable for its length.
            let n = unsafe {
                libc::recv(
                    self.sock.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_DONTWAIT,
                )
            };
            if n <= 0 {
                // A pending socket error (sk_err) is returned once by recv;
                // the error queue above holds its details.
                continue;
            }
            if let Incoming::Reply { seq: s, .. } =
                icmp::parse_incoming(&buf[..n as usize], self.kind, self.id)
            {
                if s == seq {
                    return Some(Outcome::Passed {
                        rtt: sent_at.elapsed(),
                    });
                }
            }
        }
    }
}

/// Measures the path MTU to `target` (IPv4 address or host name). Calls
/// `on_event` for the route and each probe; blocks (run it off the UI
/// thread); returns the report, also when cancelled part way.
pub fn path_mtu(
    target: &str,
    opts: &MtuOptions,
    cancel: &AtomicBool,
    mut on_event: impl FnMut(&MtuEvent),
) -> Result<MtuReport, MtuError> {
    let ip = crate::net::ping::resolve(target, opts.resolve_timeout)?;
    let eg = egress(ip)?;
    on_event(&MtuEvent::Route {
        target: ip,
        egress: eg.clone(),
    });
    let (sock, kind) = icmp::open_socket().map_err(MtuError::Socket)?;
    set_int(
        &sock,
        libc::IPPROTO_IP,
        libc::IP_MTU_DISCOVER,
        libc::IP_PMTUDISC_PROBE,
    )?;
    set_int(&sock, libc::IPPROTO_IP, libc::IP_RECVERR, 1)?;
    sock.connect(&SockAddr::from(SocketAddrV4::new(ip, 0)))
        .map_err(|e| MtuError::Socket(format!("connect: {e}")))?;
    let mut p = Prober {
        sock,
        kind,
        id: (std::process::id() & 0xFFFF) as u16 ^ 0x4d54,
        seq: 0,
        opts,
        cancel,
    };
    let mut report = MtuReport {
        target: ip,
        egress: eg.clone(),
        probes: Vec::new(),
        largest: None,
        cancelled: false,
        socket: kind,
    };
    let started = Instant::now();
    let mut record = |report: &mut MtuReport, pr: Option<Probe>| -> Option<bool> {
        let pr = pr?;
        on_event(&MtuEvent::Probe(pr.clone()));
        let ok = pr.passed();
        report.probes.push(pr);
        Some(ok)
    };
    // Does the target answer at all?
    match record(&mut report, p.probe(SMALL)) {
        None => {
            report.cancelled = true;
            return Ok(report);
        }
        Some(false) => return Ok(report),
        Some(true) => {}
    }
    let mut lo = SMALL;
    let mut hi = eg.mtu.clamp(SMALL, MAX) + 1;
    for size in first_sizes(eg.mtu) {
        if size <= lo || size >= hi {
            continue;
        }
        match record(&mut report, p.probe(size)) {
            None => {
                report.cancelled = true;
                report.largest = Some(lo);
                return Ok(report);
            }
            Some(true) => {
                lo = size;
                break;
            }
            Some(false) => hi = size,
        }
    }
    let mut tried: Vec<u32> = report.probes.iter().map(|p| p.size).collect();
    loop {
        let hint = report.frag_needed().map(|(_, m)| m);
        let Some(size) = next_size(lo, hi, hint, &tried) else {
            break;
        };
        if started.elapsed() > opts.budget || tried.len() > 64 {
            break;
        }
        tried.push(size);
        match record(&mut report, p.probe(size)) {
            None => {
                report.cancelled = true;
                break;
            }
            Some(true) => lo = size,
            Some(false) => hi = size,
        }
    }
    report.largest = Some(lo);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sizes_follow_the_nic() {
        assert_eq!(first_sizes(1500), [1500]);
        assert_eq!(first_sizes(9000), [9000, 1500]);
        assert_eq!(first_sizes(9216), [9216, 9000, 1500]);
        assert_eq!(first_sizes(1400), [1400]);
        assert_eq!(first_sizes(65536), [9000, 1500]);
    }

    #[test]
    fn search_uses_the_hint_then_halves() {
        assert_eq!(next_size(84, 1501, None, &[]), Some(792));
        assert_eq!(next_size(84, 9000, Some(1400), &[84, 9000]), Some(1400));
        // The hint passed: check one byte more.
        assert_eq!(next_size(1400, 9000, Some(1400), &[1400]), Some(1401));
        assert_eq!(next_size(1400, 1401, Some(1400), &[1400, 1401]), None);
        // A hint outside the window is ignored.
        assert_eq!(next_size(1000, 1100, Some(1400), &[]), Some(1050));
    }

    #[test]
    fn search_converges_exactly() {
        // Simulated path of MTU 1404 (no hint): the search ends at it.
        for path in [84u32, 85, 576, 1404, 1499, 1500] {
            let (mut lo, mut hi) = (SMALL, 1501);
            let mut tried = vec![];
            while let Some(s) = next_size(lo, hi, None, &tried) {
                tried.push(s);
                if s <= path {
                    lo = s
                } else {
                    hi = s
                }
                assert!(tried.len() < 20);
            }
            assert_eq!(lo, path);
        }
    }

    fn report(largest: Option<u32>, nic_mtu: u32, probes: Vec<Probe>) -> MtuReport {
        MtuReport {
            target: Ipv4Addr::new(10, 1, 0, 2),
            egress: Egress {
                nic: "eth1".into(),
                mtu: nic_mtu,
            },
            probes,
            largest,
            cancelled: false,
            socket: SocketKind::Datagram,
        }
    }

    #[test]
    fn report_lines() {
        let frag = Probe {
            size: 9000,
            outcome: Outcome::FragNeeded {
                from: Ipv4Addr::new(10, 1, 0, 1),
                mtu: 1400,
            },
        };
        assert_eq!(
            report(Some(1400), 9000, vec![frag]).lines(),
            [
                "largest packet that passes unfragmented: 1400 bytes (ICMP payload 1372)",
                "eth1 is set to 9000 but the path carries only 1400: a jumbo-frame mismatch on the path",
                "router 10.1.0.1 reports next-hop MTU 1400 (fragmentation needed)",
            ]
        );
        assert_eq!(
            report(Some(1500), 1500, vec![]).lines()[1],
            "the whole path carries eth1's MTU 1500"
        );
        let silent = Probe {
            size: 1500,
            outcome: Outcome::NoReply {
                tries: 2,
                timeout: Duration::from_secs(1),
            },
        };
        assert!(report(Some(1404), 1500, vec![silent]).lines()[2].contains("drops them silently"));
        assert!(report(None, 1500, vec![]).lines()[0].contains("does not answer ICMP echo"));
    }

    #[test]
    fn probe_texts() {
        let p = Probe {
            size: 9000,
            outcome: Outcome::TooBigLocally { mtu: Some(1500) },
        };
        assert_eq!(
            p.to_string(),
            " 9000 bytes: refused locally: larger than the route's MTU 1500 (not sent)"
        );
    }

    #[test]
    fn errors_classified() {
        let mut ee = libc::sock_extended_err {
            ee_errno: libc::EMSGSIZE as u32,
            ee_origin: libc::SO_EE_ORIGIN_ICMP,
            ee_type: 3,
            ee_code: 4,
            ee_pad: 0,
            ee_info: 1400,
            ee_data: 0,
        };
        let r = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(
            classify_error(&ee, Some(r)),
            Outcome::FragNeeded { from: r, mtu: 1400 }
        );
        ee.ee_origin = libc::SO_EE_ORIGIN_LOCAL;
        assert_eq!(
            classify_error(&ee, None),
            Outcome::TooBigLocally { mtu: Some(1400) }
        );
        ee.ee_origin = libc::SO_EE_ORIGIN_ICMP;
        ee.ee_code = 1;
        assert!(
            matches!(classify_error(&ee, Some(r)), Outcome::Unreachable { detail, .. } if detail == "host unreachable")
        );
    }
}
