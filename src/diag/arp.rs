//! Duplicate-address check: RFC 5227 ARP probes on one NIC.
//!
//! An ARP probe asks "who has A?" with the sender address 0.0.0.0, so no
//! host's ARP cache learns anything from it; any host that holds A answers
//! (Linux answers such probes, RFC 5227 section 2.1.1). Three probes go out
//! over about a second and the first answer names the MAC that holds the
//! address. Configure Networks runs it before it applies a new address.
//!
//! Needs an `AF_PACKET` socket, so CAP_NET_RAW; without it the error says so.

use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;

/// How the probes are spaced (RFC 5227: PROBE_NUM 3, 1–2 s apart; shorter
/// here because an operator is waiting and a LAN answers in microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeTiming {
    pub probes: u32,
    pub interval: Duration,
    /// How long to listen after the last probe.
    pub tail: Duration,
}

impl Default for ProbeTiming {
    fn default() -> Self {
        ProbeTiming {
            probes: 3,
            interval: Duration::from_millis(350),
            tail: Duration::from_millis(500),
        }
    }
}

/// What the probes found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeResult {
    /// Nobody answered for the address.
    Free { ip: Ipv4Addr, nic: String },
    /// A host answered: the address is in use by `mac`.
    InUse {
        ip: Ipv4Addr,
        nic: String,
        mac: String,
    },
    /// Stopped by Esc before the last probe's wait ended.
    Stopped,
}

impl std::fmt::Display for ProbeResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeResult::Free { ip, nic } => {
                write!(f, "{ip} is free on {nic}: no host answered the ARP probes")
            }
            ProbeResult::InUse { ip, nic, mac } => {
                write!(f, "{ip} is already in use by {mac} (answered on {nic})")
            }
            ProbeResult::Stopped => f.write_str("the duplicate-address check was stopped"),
        }
    }
}

/// Why the probe could not run.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ArpError {
    #[error(
        "the duplicate-address check needs CAP_NET_RAW (a packet socket): run the console as root"
    )]
    NoPrivilege,
    #[error("there is no network interface named \"{0}\"")]
    NoSuchNic(String),
    #[error("{0} is down: bring it up before checking an address on it")]
    Down(String),
    #[error("{0} has no Ethernet address: ARP does not run on it")]
    NoMac(String),
    #[error("the ARP probe on {nic} failed: {cause}")]
    Io { nic: String, cause: String },
}

/// Checks the Duplicate address form (pure): the NIC is one of `nics` and
/// the address a usable unicast IPv4 address. The error names the field.
pub fn validate_probe(nic: &str, addr: &str, nics: &[&str]) -> Result<(String, Ipv4Addr), String> {
    let n = nic.trim();
    if n.is_empty() {
        return Err("NIC: choose a NIC".into());
    }
    if !nics.contains(&n) {
        return Err(format!("NIC: there is no NIC named \"{n}\""));
    }
    let a = addr.trim();
    if a.is_empty() {
        return Err("Address: enter the IPv4 address to check".into());
    }
    let ip: Ipv4Addr = a
        .parse()
        .map_err(|_| format!("Address: \"{a}\" is not an IPv4 address (like 10.0.0.5)"))?;
    if ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || ip.is_loopback() {
        return Err(format!(
            "Address: {ip} is not a host address (unspecified, broadcast, multicast or loopback)"
        ));
    }
    Ok((n.to_string(), ip))
}

/// For the fuzz target and the property test: the form and the blink
/// duration either give a usable value or an error naming the field.
#[doc(hidden)]
pub fn fuzz_check_inputs(nic: &str, addr: &str) {
    match validate_probe(nic, addr, &["eth0", "eth1"]) {
        Ok((n, ip)) => {
            assert!(n == "eth0" || n == "eth1");
            assert!(!ip.is_unspecified() && !ip.is_broadcast() && !ip.is_multicast());
        }
        Err(e) => assert!(e.starts_with("NIC:") || e.starts_with("Address:"), "{e}"),
    }
    match crate::diag::ethtool::validate_blink_seconds(addr) {
        Ok(n) => assert!((1..=300).contains(&n)),
        Err(e) => assert!(e.starts_with("Seconds:"), "{e}"),
    }
}

/// An RFC 5227 probe: ARP request, sender IP 0.0.0.0, target `ip` (pure).
pub fn probe_packet(mac: [u8; 6], ip: Ipv4Addr) -> [u8; 28] {
    let mut p = [0u8; 28];
    p[0..2].copy_from_slice(&1u16.to_be_bytes()); // Ethernet
    p[2..4].copy_from_slice(&0x0800u16.to_be_bytes()); // IPv4
    p[4] = 6;
    p[5] = 4;
    p[6..8].copy_from_slice(&1u16.to_be_bytes()); // request
    p[8..14].copy_from_slice(&mac);
    // sender IP 0.0.0.0, target MAC zero
    p[24..28].copy_from_slice(&ip.octets());
    p
}

/// The MAC of a host that claims `ip` in this ARP packet, if any (pure): a
/// reply from `ip`, or another host's own probe or announcement for it
/// (RFC 5227 2.1.1). `own` is our MAC (the kernel can loop our frames back).
pub fn claimant(pkt: &[u8], ip: Ipv4Addr, own: [u8; 6]) -> Option<[u8; 6]> {
    if pkt.len() < 28 || pkt[0..2] != [0, 1] || pkt[2..4] != [8, 0] || pkt[4] != 6 || pkt[5] != 4 {
        return None;
    }
    let op = u16::from_be_bytes([pkt[6], pkt[7]]);
    let mut sha = [0u8; 6];
    sha.copy_from_slice(&pkt[8..14]);
    let spa = Ipv4Addr::new(pkt[14], pkt[15], pkt[16], pkt[17]);
    let tpa = Ipv4Addr::new(pkt[24], pkt[25], pkt[26], pkt[27]);
    if sha == own {
        return None;
    }
    let claims = match op {
        // A reply from the address, or a gratuitous announcement.
        2 => spa == ip,
        // Someone else announcing (spa == ip) or probing for it too.
        1 => spa == ip || (spa.is_unspecified() && tpa == ip),
        _ => false,
    };
    claims.then_some(sha)
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn mac_text(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn io(nic: &str, what: &str, e: std::io::Error) -> ArpError {
    ArpError::Io {
        nic: nic.to_string(),
        cause: format!("{what}: {e}"),
    }
}

fn ifindex(nic: &str) -> Result<u32, ArpError> {
    let c = std::ffi::CString::new(nic).map_err(|_| ArpError::NoSuchNic(nic.to_string()))?;
    // SAFETY: c is a valid NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if i == 0 {
        Err(ArpError::NoSuchNic(nic.to_string()))
    } else {
        Ok(i)
    }
}

fn sockaddr(index: u32, dest: [u8; 6]) -> libc::sockaddr_ll {
    // SAFETY: sockaddr_ll is plain old data; all-zero is valid.
    let mut sa: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sa.sll_family = libc::AF_PACKET as u16;
    sa.sll_protocol = (libc::ETH_P_ARP as u16).to_be();
    sa.sll_ifindex = index as i32;
    sa.sll_halen = 6;
    sa.sll_addr[..6].copy_from_slice(&dest);
    sa
}

/// The NIC's MAC and whether it is up, read from sysfs-free netlink.
fn nic_mac(nic: &str) -> Result<[u8; 6], ArpError> {
    let l = crate::net::link::get_link(nic).map_err(|_| ArpError::NoSuchNic(nic.to_string()))?;
    if !l.admin_up {
        return Err(ArpError::Down(nic.to_string()));
    }
    let text = l.mac.ok_or_else(|| ArpError::NoMac(nic.to_string()))?;
    let mut mac = [0u8; 6];
    for (i, part) in text.split(':').enumerate().take(6) {
        mac[i] = u8::from_str_radix(part, 16).map_err(|_| ArpError::NoMac(nic.to_string()))?;
    }
    Ok(mac)
}

/// Sends the probes for `ip` on `nic` and listens for a claimant (blocking,
/// at most `probes × interval + tail`; `cancel` is polled every 50 ms).
pub fn probe(
    nic: &str,
    ip: Ipv4Addr,
    timing: ProbeTiming,
    cancel: &AtomicBool,
) -> Result<ProbeResult, ArpError> {
    let index = ifindex(nic)?;
    let mac = nic_mac(nic)?;
    let proto = (libc::ETH_P_ARP as u16).to_be();
    // SAFETY: plain socket(2); owned right away.
    let fd = unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            i32::from(proto),
        )
    };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        return Err(match e.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => ArpError::NoPrivilege,
            _ => io(nic, "opening a packet socket", e),
        });
    }
    // SAFETY: fd is fresh and ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let bind_to = sockaddr(index, [0; 6]);
    // SAFETY: bind_to is a valid sockaddr_ll of the size given.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&bind_to as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    if r < 0 {
        return Err(io(
            nic,
            "binding to the NIC",
            std::io::Error::last_os_error(),
        ));
    }
    let pkt = probe_packet(mac, ip);
    let bcast = sockaddr(index, [0xff; 6]);
    let start = Instant::now();
    let end = start + timing.interval * timing.probes.saturating_sub(1) + timing.tail;
    let mut sent = 0u32;
    let mut buf = [0u8; 256];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(ProbeResult::Stopped);
        }
        let now = Instant::now();
        if sent < timing.probes && now >= start + timing.interval * sent {
            // SAFETY: pkt and bcast live across the call with the sizes given.
            let r = unsafe {
                libc::sendto(
                    fd.as_raw_fd(),
                    pkt.as_ptr().cast(),
                    pkt.len(),
                    0,
                    (&bcast as *const libc::sockaddr_ll).cast(),
                    std::mem::size_of::<libc::sockaddr_ll>() as u32,
                )
            };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                return Err(match e.raw_os_error() {
                    Some(libc::ENETDOWN) => ArpError::Down(nic.to_string()),
                    _ => io(nic, "sending the ARP probe", e),
                });
            }
            sent += 1;
            continue;
        }
        if now >= end && sent >= timing.probes {
            return Ok(ProbeResult::Free {
                ip,
                nic: nic.to_string(),
            });
        }
        let next_send = if sent < timing.probes {
            start + timing.interval * sent
        } else {
            end
        };
        let wait = next_send
            .saturating_duration_since(now)
            .min(Duration::from_millis(50));
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = wait.as_millis().max(1) as i32;
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n <= 0 {
            continue;
        }
        // SAFETY: buf is writable for its length.
        let len = unsafe {
            libc::recv(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if len <= 0 {
            continue;
        }
        if let Some(m) = claimant(&buf[..len as usize], ip, mac) {
            return Ok(ProbeResult::InUse {
                ip,
                nic: nic.to_string(),
                mac: mac_text(m),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const PEER: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

    fn reply(op: u16, sha: [u8; 6], spa: [u8; 4], tpa: [u8; 4]) -> Vec<u8> {
        let mut p = probe_packet(sha, Ipv4Addr::from(tpa)).to_vec();
        p[6..8].copy_from_slice(&op.to_be_bytes());
        p[14..18].copy_from_slice(&spa);
        p
    }

    #[test]
    fn probe_has_zero_sender_and_the_target() {
        let p = probe_packet(OWN, Ipv4Addr::new(10, 0, 0, 5));
        assert_eq!(&p[..8], &[0, 1, 8, 0, 6, 4, 0, 1]);
        assert_eq!(&p[8..14], &OWN);
        assert_eq!(&p[14..24], &[0; 10]);
        assert_eq!(&p[24..], &[10, 0, 0, 5]);
    }

    #[test]
    fn claims() {
        let ip = Ipv4Addr::new(10, 0, 0, 5);
        // The holder's reply to our probe (target IP 0.0.0.0).
        assert_eq!(
            claimant(&reply(2, PEER, [10, 0, 0, 5], [0; 4]), ip, OWN),
            Some(PEER)
        );
        // A reply about another address.
        assert_eq!(
            claimant(&reply(2, PEER, [10, 0, 0, 6], [0; 4]), ip, OWN),
            None
        );
        // Another host probing for the same address.
        assert_eq!(
            claimant(&reply(1, PEER, [0; 4], [10, 0, 0, 5]), ip, OWN),
            Some(PEER)
        );
        // Our own probe looped back.
        assert_eq!(
            claimant(&probe_packet(OWN, ip), ip, OWN),
            None,
            "own frames ignored"
        );
        // Short or non-Ethernet/IPv4 packets.
        assert_eq!(claimant(&[0; 27], ip, OWN), None);
        let mut p = reply(2, PEER, [10, 0, 0, 5], [0; 4]);
        p[3] = 6;
        assert_eq!(claimant(&p, ip, OWN), None);
    }

    #[test]
    fn form_validation_names_the_field() {
        let nics = ["eth0", "eth1"];
        assert_eq!(
            validate_probe(" eth1 ", " 10.0.0.5 ", &nics),
            Ok(("eth1".into(), Ipv4Addr::new(10, 0, 0, 5)))
        );
        for (n, a, field) in [
            ("", "10.0.0.5", "NIC:"),
            ("eth9", "10.0.0.5", "NIC:"),
            ("eth0", "", "Address:"),
            ("eth0", "10.0.0", "Address:"),
            ("eth0", "0.0.0.0", "Address:"),
            ("eth0", "255.255.255.255", "Address:"),
            ("eth0", "224.0.0.1", "Address:"),
            ("eth0", "127.0.0.1", "Address:"),
        ] {
            let e = validate_probe(n, a, &nics).unwrap_err();
            assert!(e.starts_with(field), "{n} {a}: {e}");
        }
    }

    #[test]
    fn texts() {
        let r = ProbeResult::InUse {
            ip: Ipv4Addr::new(10, 0, 0, 5),
            nic: "eth1".into(),
            mac: mac_text(PEER),
        };
        assert_eq!(
            r.to_string(),
            "10.0.0.5 is already in use by 52:54:00:12:34:56 (answered on eth1)"
        );
    }
}
