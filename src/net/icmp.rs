//! ICMP echo primitives shared by Test Network's ping and the path MTU
//! diagnostic: the socket (unprivileged datagram, raw fallback), the echo
//! request, and what a received datagram means.

use std::io::ErrorKind;

use socket2::{Domain, Protocol, Socket, Type};

/// Which kind of socket carried the probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// Unprivileged ICMP datagram socket.
    Datagram,
    /// Raw socket (root only), used when ping_group_range excludes us.
    Raw,
}

/// An ICMP socket: unprivileged datagram first, raw (root) when the
/// kernel refuses that; the error text names both failures.
pub fn open_socket() -> Result<(Socket, SocketKind), String> {
    match Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4)) {
        Ok(s) => Ok((s, SocketKind::Datagram)),
        Err(e) if matches!(e.kind(), ErrorKind::PermissionDenied) => {
            tracing::debug!("ICMP datagram socket refused ({e}); trying a raw socket");
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))
                .map(|s| (s, SocketKind::Raw))
                .map_err(|r| format!("datagram: {e}; raw: {r}"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The Internet checksum (RFC 1071).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += u32::from(w);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// An ICMP echo request with `payload_len` pattern bytes.
pub fn echo_request(id: u16, seq: u16, payload_len: usize) -> Vec<u8> {
    let mut p = vec![8u8, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..payload_len).map(|i| (i % 256) as u8));
    let c = checksum(&p);
    p[2..4].copy_from_slice(&c.to_be_bytes());
    p
}

/// What one received datagram means for us.
pub enum Incoming {
    Reply { seq: u16, bytes: usize },
    Unreachable { seq: u16, detail: String },
    Other,
}

/// Classifies one datagram read from an ICMP socket of `kind`.
pub fn parse_incoming(buf: &[u8], kind: SocketKind, id: u16) -> Incoming {
    // Raw sockets deliver the IP header; datagram sockets do not, and the
    // kernel already matched the identifier for them.
    let icmp = match kind {
        SocketKind::Raw => {
            let Some(&vihl) = buf.first() else {
                return Incoming::Other;
            };
            let ihl = usize::from(vihl & 0x0F) * 4;
            if buf.len() < ihl {
                return Incoming::Other;
            }
            &buf[ihl..]
        }
        SocketKind::Datagram => buf,
    };
    if icmp.len() < 8 {
        return Incoming::Other;
    }
    let (ty, code) = (icmp[0], icmp[1]);
    let rid = u16::from_be_bytes([icmp[4], icmp[5]]);
    let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
    match ty {
        0 if kind == SocketKind::Datagram || rid == id => Incoming::Reply {
            seq,
            bytes: icmp.len(),
        },
        3 | 11 if kind == SocketKind::Raw => {
            // Embedded original IP header + first 8 bytes of our request.
            let inner = &icmp[8..];
            let Some(&vihl) = inner.first() else {
                return Incoming::Other;
            };
            let ihl = usize::from(vihl & 0x0F) * 4;
            let Some(orig) = inner.get(ihl..ihl + 8) else {
                return Incoming::Other;
            };
            if orig[0] != 8 || u16::from_be_bytes([orig[4], orig[5]]) != id {
                return Incoming::Other;
            }
            let detail = if ty == 11 {
                "time to live exceeded".to_string()
            } else {
                match code {
                    0 => "network unreachable".into(),
                    1 => "host unreachable".into(),
                    3 => "port unreachable".into(),
                    13 => "administratively prohibited".into(),
                    c => format!("destination unreachable (code {c})"),
                }
            };
            Incoming::Unreachable {
                seq: u16::from_be_bytes([orig[6], orig[7]]),
                detail,
            }
        }
        _ => Incoming::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_request_verifies() {
        let p = echo_request(0x1234, 7, 56);
        assert_eq!(checksum(&p), 0, "a packet with its checksum sums to zero");
        assert_eq!(&p[4..8], &[0x12, 0x34, 0, 7]);
    }

    #[test]
    fn raw_reply_parsing_filters_foreign_ids() {
        let mut ip = vec![0x45u8];
        ip.extend([0u8; 19]);
        let mut reply = ip.clone();
        reply.extend([0, 0, 0, 0, 0x12, 0x34, 0, 5]);
        assert!(matches!(
            parse_incoming(&reply, SocketKind::Raw, 0x1234),
            Incoming::Reply { seq: 5, .. }
        ));
        assert!(matches!(
            parse_incoming(&reply, SocketKind::Raw, 0x9999),
            Incoming::Other
        ));
        // Our own echo request seen on a raw socket is not a reply.
        let mut req = ip;
        req.extend([8, 0, 0, 0, 0x12, 0x34, 0, 5]);
        assert!(matches!(
            parse_incoming(&req, SocketKind::Raw, 0x1234),
            Incoming::Other
        ));
    }
}
