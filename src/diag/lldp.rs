//! The LLDP neighbour of a NIC: which switch, which port, which VLAN.
//!
//! Switches send an LLDP frame (IEEE 802.1AB, EtherType 0x88cc, to the
//! nearest-bridge group 01:80:c2:00:00:0e) about every 30 s on each port.
//! [`listen`] waits for one on an `AF_PACKET` socket bound to the NIC
//! (joining that multicast group so a NIC with a multicast filter passes
//! it up), and [`parse`] reads it: chassis ID, port ID, port description,
//! system name, management address and the 802.1 port VLAN ID. The parser
//! is pure and fuzzed (fuzz/fuzz_targets/lldp.rs): a frame off the wire is
//! untrusted input.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use thiserror::Error;

/// EtherType of LLDP.
pub const ETH_P_LLDP: u16 = 0x88cc;
/// The nearest-bridge multicast address LLDP is sent to.
pub const LLDP_MULTICAST: [u8; 6] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];
/// How long the NIC details window listens (switches send every 30 s).
pub const LISTEN: Duration = Duration::from_secs(30);

/// What one LLDP frame says about the switch port at the other end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Neighbour {
    pub chassis_id: String,
    pub port_id: String,
    pub ttl_s: Option<u16>,
    pub port_description: Option<String>,
    pub system_name: Option<String>,
    pub system_description: Option<String>,
    pub management_address: Option<IpAddr>,
    /// IEEE 802.1 port VLAN ID (the untagged/native VLAN of the port).
    pub port_vlan: Option<u16>,
    /// IEEE 802.1 VLAN names announced on the port (id, name).
    pub vlan_names: Vec<(u16, String)>,
}

impl Neighbour {
    /// The lines of the NIC details window (pure).
    pub fn lines(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(n) = &self.system_name {
            v.push(format!("Switch     {n}"));
        }
        v.push(format!("Chassis    {}", self.chassis_id));
        let port = match &self.port_description {
            Some(d) if *d != self.port_id => format!("{} ({d})", self.port_id),
            _ => self.port_id.clone(),
        };
        v.push(format!("Port       {port}"));
        if let Some(vl) = self.port_vlan {
            v.push(format!("VLAN       {vl} (port VLAN ID, untagged)"));
        }
        if !self.vlan_names.is_empty() {
            let names: Vec<String> = self
                .vlan_names
                .iter()
                .map(|(id, n)| format!("{id} {n}"))
                .collect();
            v.push(format!("VLANs      {}", names.join(", ")));
        }
        if let Some(a) = self.management_address {
            v.push(format!("Mgmt addr  {a}"));
        }
        v
    }

    /// One line for the audit trail.
    pub fn summary(&self) -> String {
        format!(
            "switch {} port {}{}",
            self.system_name.as_deref().unwrap_or(&self.chassis_id),
            self.port_id,
            self.port_vlan
                .map(|v| format!(" vlan {v}"))
                .unwrap_or_default()
        )
    }
}

/// Why a frame is not a usable LLDPDU.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("a TLV header is cut off at byte {0}")]
    Truncated(usize),
    #[error("TLV type {ty} at byte {at} claims {len} bytes past the end of the frame")]
    Overrun { ty: u8, at: usize, len: usize },
    #[error("the mandatory {0} TLV is missing or out of order")]
    Missing(&'static str),
    #[error("the {0} TLV is malformed")]
    Malformed(&'static str),
}

fn text(b: &[u8]) -> String {
    // Switch strings are ASCII in practice; anything else is shown safely.
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn mac(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn printable(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(|&c| (0x20..0x7f).contains(&c))
}

/// An IANA address family number + address.
fn net_addr(family: u8, b: &[u8]) -> Option<IpAddr> {
    match (family, b.len()) {
        (1, 4) => Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
        (2, 16) => {
            let mut o = [0u8; 16];
            o.copy_from_slice(b);
            Some(IpAddr::V6(Ipv6Addr::from(o)))
        }
        _ => None,
    }
}

/// Chassis/port ID: subtype byte + value, shown by its subtype.
fn id_value(
    value: &[u8],
    mac_subtype: u8,
    addr_subtype: u8,
    what: &'static str,
) -> Result<String, ParseError> {
    let (&sub, rest) = value.split_first().ok_or(ParseError::Malformed(what))?;
    if rest.is_empty() {
        return Err(ParseError::Malformed(what));
    }
    Ok(if sub == mac_subtype && rest.len() == 6 {
        mac(rest)
    } else if sub == addr_subtype && rest.len() > 1 {
        net_addr(rest[0], &rest[1..])
            .map(|a| a.to_string())
            .unwrap_or_else(|| mac(rest))
    } else if printable(rest) {
        text(rest)
    } else {
        mac(rest)
    })
}

/// Parses an LLDPDU (the frame's payload after the EtherType). Pure; never
/// panics on any input.
pub fn parse(du: &[u8]) -> Result<Neighbour, ParseError> {
    let mut n = Neighbour::default();
    let mut at = 0usize;
    let mut index = 0usize;
    while at < du.len() {
        let hdr = du.get(at..at + 2).ok_or(ParseError::Truncated(at))?;
        let ty = hdr[0] >> 1;
        let len = (usize::from(hdr[0] & 1) << 8) | usize::from(hdr[1]);
        let v = du
            .get(at + 2..at + 2 + len)
            .ok_or(ParseError::Overrun { ty, at, len })?;
        match (index, ty) {
            (0, 1) => n.chassis_id = id_value(v, 4, 5, "chassis ID")?,
            (0, _) => return Err(ParseError::Missing("chassis ID")),
            (1, 2) => n.port_id = id_value(v, 3, 4, "port ID")?,
            (1, _) => return Err(ParseError::Missing("port ID")),
            (2, 3) => {
                let t = v.get(..2).ok_or(ParseError::Malformed("TTL"))?;
                n.ttl_s = Some(u16::from_be_bytes([t[0], t[1]]));
            }
            (2, _) => return Err(ParseError::Missing("TTL")),
            (_, 0) => break,
            (_, 4) => n.port_description = Some(text(v)),
            (_, 5) => n.system_name = Some(text(v)),
            (_, 6) => n.system_description = Some(text(v)),
            (_, 8) if n.management_address.is_none() => {
                // Address string length (subtype + address), subtype, address.
                if let Some((&alen, rest)) = v.split_first() {
                    let alen = usize::from(alen);
                    if alen >= 2 && rest.len() >= alen {
                        n.management_address = net_addr(rest[0], &rest[1..alen]);
                    }
                }
            }
            (_, 127) if v.len() >= 4 && v[..3] == [0x00, 0x80, 0xc2] => {
                let info = &v[4..];
                match v[3] {
                    1 if info.len() >= 2 => {
                        let id = u16::from_be_bytes([info[0], info[1]]);
                        // 0 means the port is not a member of any port VLAN.
                        n.port_vlan = (id != 0).then_some(id);
                    }
                    3 if info.len() >= 3 => {
                        let id = u16::from_be_bytes([info[0], info[1]]);
                        let nl = usize::from(info[2]);
                        if let Some(name) = info.get(3..3 + nl) {
                            if n.vlan_names.len() < 16 {
                                n.vlan_names.push((id, text(name)));
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        at += 2 + len;
        index += 1;
    }
    if index < 3 {
        return Err(ParseError::Missing(match index {
            0 => "chassis ID",
            1 => "port ID",
            _ => "TTL",
        }));
    }
    Ok(n)
}

/// For the fuzz target and the property test: parsing never panics, and a
/// parsed neighbour has the mandatory fields and bounded lists.
#[doc(hidden)]
pub fn fuzz_check_parse(data: &[u8]) {
    if let Ok(n) = parse(data) {
        assert!(!n.chassis_id.is_empty() && !n.port_id.is_empty());
        assert!(n.vlan_names.len() <= 16);
        let _ = n.lines();
        let _ = n.summary();
    }
}

/// Why listening could not run.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LldpError {
    #[error("listening for LLDP needs CAP_NET_RAW (a packet socket): run the console as root")]
    NoPrivilege,
    #[error("there is no network interface named \"{0}\"")]
    NoSuchNic(String),
    #[error("listening for LLDP on {nic} failed: {cause}")]
    Io { nic: String, cause: String },
}

/// How a listen ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// A neighbour's frame, from this source MAC.
    Neighbour { from: String, neighbour: Neighbour },
    /// Nothing within the time.
    Silent { waited: Duration },
    /// Esc.
    Stopped,
}

/// Listens on `nic` for up to `wait` for one valid LLDP frame (blocking;
/// `cancel` polled every 100 ms; `tick` gets the seconds left each second).
/// Frames that do not parse are skipped (and counted in the log).
pub fn listen(
    nic: &str,
    wait: Duration,
    cancel: &AtomicBool,
    mut tick: impl FnMut(u64),
) -> Result<Heard, LldpError> {
    let ioe = |what: &str, e: std::io::Error| LldpError::Io {
        nic: nic.to_string(),
        cause: format!("{what}: {e}"),
    };
    let c = std::ffi::CString::new(nic).map_err(|_| LldpError::NoSuchNic(nic.to_string()))?;
    // SAFETY: c is NUL-terminated.
    let index = unsafe { libc::if_nametoindex(c.as_ptr()) };
    if index == 0 {
        return Err(LldpError::NoSuchNic(nic.to_string()));
    }
    let proto = ETH_P_LLDP.to_be();
    // SAFETY: plain socket(2), owned at once.
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
            Some(libc::EPERM) | Some(libc::EACCES) => LldpError::NoPrivilege,
            _ => ioe("opening a packet socket", e),
        });
    }
    // SAFETY: fd is fresh and ours.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: zeroed sockaddr_ll is valid; filled below.
    let mut sa: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sa.sll_family = libc::AF_PACKET as u16;
    sa.sll_protocol = proto;
    sa.sll_ifindex = index as i32;
    let sl = std::mem::size_of::<libc::sockaddr_ll>() as u32;
    // SAFETY: sa is valid for sl bytes.
    if unsafe { libc::bind(fd.as_raw_fd(), (&sa as *const libc::sockaddr_ll).cast(), sl) } < 0 {
        return Err(ioe("binding to the NIC", std::io::Error::last_os_error()));
    }
    let mreq = libc::packet_mreq {
        mr_ifindex: index as i32,
        mr_type: libc::PACKET_MR_MULTICAST as u16,
        mr_alen: 6,
        mr_address: [
            LLDP_MULTICAST[0],
            LLDP_MULTICAST[1],
            LLDP_MULTICAST[2],
            LLDP_MULTICAST[3],
            LLDP_MULTICAST[4],
            LLDP_MULTICAST[5],
            0,
            0,
        ],
    };
    // SAFETY: mreq is a valid packet_mreq for the size given.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_ADD_MEMBERSHIP,
            (&mreq as *const libc::packet_mreq).cast(),
            std::mem::size_of::<libc::packet_mreq>() as u32,
        )
    };
    if r < 0 {
        return Err(ioe(
            "joining the LLDP multicast group",
            std::io::Error::last_os_error(),
        ));
    }
    let start = Instant::now();
    let end = start + wait;
    let mut last_tick = u64::MAX;
    let mut buf = vec![0u8; 1600];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Ok(Heard::Stopped);
        }
        let now = Instant::now();
        if now >= end {
            return Ok(Heard::Silent { waited: wait });
        }
        let left = (end - now).as_secs() + 1;
        if left != last_tick {
            last_tick = left;
            tick(left);
        }
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = (end - now)
            .min(Duration::from_millis(100))
            .as_millis()
            .max(1) as i32;
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, ms) } <= 0 {
            continue;
        }
        // SAFETY: zeroed sockaddr_ll is a valid out buffer.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut fl = sl;
        // SAFETY: buf and from are writable for the lengths given.
        let n = unsafe {
            libc::recvfrom(
                fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut fl,
            )
        };
        if n <= 0 || from.sll_pkttype == libc::PACKET_OUTGOING {
            continue;
        }
        match parse(&buf[..n as usize]) {
            Ok(neighbour) => {
                return Ok(Heard::Neighbour {
                    from: mac(&from.sll_addr[..usize::from(from.sll_halen.min(8))]),
                    neighbour,
                })
            }
            Err(e) => tracing::debug!("LLDP frame on {nic} skipped: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(ty: u8, v: &[u8]) -> Vec<u8> {
        let len = v.len();
        let mut t = vec![(ty << 1) | ((len >> 8) as u8 & 1), len as u8];
        t.extend_from_slice(v);
        t
    }

    fn frame() -> Vec<u8> {
        let mut f = Vec::new();
        f.extend(tlv(1, &[4, 0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc]));
        f.extend(tlv(2, b"\x05Ethernet1/12"));
        f.extend(tlv(3, &[0, 120]));
        f.extend(tlv(4, b"uplink to rack 7"));
        f.extend(tlv(5, b"tor-sw-07"));
        f.extend(tlv(8, &[5, 1, 192, 0, 2, 7, 2, 0, 0, 0, 1, 0]));
        f.extend(tlv(127, &[0x00, 0x80, 0xc2, 1, 0x00, 0x64]));
        f.extend(tlv(
            127,
            &[
                0x00, 0x80, 0xc2, 3, 0x00, 0x64, 7, b's', b't', b'o', b'r', b'a', b'g', b'e',
            ],
        ));
        f.extend(tlv(127, &[0x00, 0x12, 0x0f, 1, 3, 0, 0, 0, 0x10]));
        f.extend(tlv(0, &[]));
        f
    }

    #[test]
    fn a_switch_frame() {
        let n = parse(&frame()).unwrap();
        assert_eq!(n.chassis_id, "00:1b:21:aa:bb:cc");
        assert_eq!(n.port_id, "Ethernet1/12");
        assert_eq!(n.ttl_s, Some(120));
        assert_eq!(n.port_description.as_deref(), Some("uplink to rack 7"));
        assert_eq!(n.system_name.as_deref(), Some("tor-sw-07"));
        assert_eq!(
            n.management_address,
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)))
        );
        assert_eq!(n.port_vlan, Some(100));
        assert_eq!(n.vlan_names, vec![(100, "storage".to_string())]);
        assert_eq!(
            n.lines(),
            [
                "Switch     tor-sw-07",
                "Chassis    00:1b:21:aa:bb:cc",
                "Port       Ethernet1/12 (uplink to rack 7)",
                "VLAN       100 (port VLAN ID, untagged)",
                "VLANs      100 storage",
                "Mgmt addr  192.0.2.7",
            ]
        );
        assert_eq!(n.summary(), "switch tor-sw-07 port Ethernet1/12 vlan 100");
    }

    #[test]
    fn mandatory_tlvs_in_order() {
        assert_eq!(parse(&[]), Err(ParseError::Missing("chassis ID")));
        let f = frame();
        // Port ID first.
        let mut g = tlv(2, b"\x05x");
        g.extend_from_slice(&f);
        assert_eq!(parse(&g), Err(ParseError::Missing("chassis ID")));
        // Only chassis + port.
        let cut: Vec<u8> = [tlv(1, &[7, b'a']), tlv(2, &[7, b'b'])].concat();
        assert_eq!(parse(&cut), Err(ParseError::Missing("TTL")));
        // Empty chassis ID value.
        let bad: Vec<u8> = [tlv(1, &[4]), tlv(2, &[7, b'b']), tlv(3, &[0, 1])].concat();
        assert_eq!(parse(&bad), Err(ParseError::Malformed("chassis ID")));
    }

    #[test]
    fn truncation_and_overrun() {
        let f = frame();
        assert!(matches!(
            parse(&f[..f.len() - 3]),
            Err(ParseError::Overrun { .. }) | Err(ParseError::Truncated(_))
        ));
        assert!(matches!(parse(&f[..1]), Err(ParseError::Truncated(0))));
        // Every prefix is handled without a panic.
        for i in 0..f.len() {
            fuzz_check_parse(&f[..i]);
        }
    }

    /// A stable-toolchain run of the fuzz target's invariant over random
    /// mutations of a valid frame (xorshift, fixed seed).
    #[test]
    fn property_mutated_frames_never_panic() {
        let base = frame();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..20_000 {
            let mut f = base.clone();
            for _ in 0..(next() % 6 + 1) {
                let i = (next() as usize) % f.len();
                f[i] = next() as u8;
            }
            let cut = (next() as usize) % (f.len() + 1);
            fuzz_check_parse(&f[..cut]);
            crate::diag::arp::fuzz_check_inputs(
                "eth0",
                &String::from_utf8_lossy(&f[..cut.min(20)]),
            );
        }
    }

    #[test]
    fn odd_ids_are_shown_safely() {
        let f: Vec<u8> = [
            tlv(1, &[7, 0xff, 0x00, b'a']),
            tlv(2, &[5, b's', b'w', 0x07]),
            tlv(3, &[0, 1]),
            tlv(127, &[0x00, 0x80, 0xc2, 1, 0, 0]),
        ]
        .concat();
        let n = parse(&f).unwrap();
        assert_eq!(n.chassis_id, "ff:00:61");
        assert_eq!(n.port_id, "73:77:07");
        assert_eq!(n.port_vlan, None, "PVID 0 = no port VLAN");
    }
}
