//! A minimal DNS message codec (RFC 1035): one question out (A or AAAA,
//! recursion desired), the header, the answer section's addresses and
//! CNAMEs back. Pure; the decoder takes any bytes a network may deliver
//! and never panics (fuzzed by `fuzz/fuzz_targets/diag_dns.rs`).
//!
//! Why our own and not a resolver crate: the diagnostic must say which
//! server answered and how each one failed, which a stub resolver hides,
//! and two record types need a few hundred lines, not a dependency tree.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Record types asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QType {
    A,
    Aaaa,
}

impl QType {
    pub fn code(self) -> u16 {
        match self {
            QType::A => 1,
            QType::Aaaa => 28,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            QType::A => "A",
            QType::Aaaa => "AAAA",
        }
    }
}

const CNAME: u16 = 5;
const CLASS_IN: u16 = 1;
const HEADER: usize = 12;

/// The response code of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    FormErr,
    ServFail,
    NxDomain,
    NotImp,
    Refused,
    Other(u8),
}

impl Rcode {
    fn from(v: u8) -> Rcode {
        match v {
            0 => Rcode::NoError,
            1 => Rcode::FormErr,
            2 => Rcode::ServFail,
            3 => Rcode::NxDomain,
            4 => Rcode::NotImp,
            5 => Rcode::Refused,
            o => Rcode::Other(o),
        }
    }
    pub fn label(self) -> String {
        match self {
            Rcode::NoError => "NOERROR".into(),
            Rcode::FormErr => "FORMERR".into(),
            Rcode::ServFail => "SERVFAIL".into(),
            Rcode::NxDomain => "NXDOMAIN".into(),
            Rcode::NotImp => "NOTIMP".into(),
            Rcode::Refused => "REFUSED".into(),
            Rcode::Other(v) => format!("RCODE {v}"),
        }
    }
}

/// A decoded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub id: u16,
    pub rcode: Rcode,
    /// TC: the answer did not fit into the datagram.
    pub truncated: bool,
    /// Addresses of the asked type found in the answer section.
    pub addrs: Vec<IpAddr>,
    /// CNAME targets met on the way.
    pub cnames: Vec<String>,
}

/// Why a datagram is not a usable response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Short,
    NotAResponse,
    BadName,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DecodeError::Short => "a truncated DNS message",
            DecodeError::NotAResponse => "not a DNS response",
            DecodeError::BadName => "a malformed name in the DNS message",
        })
    }
}

/// Encodes a query for `name` (a validated host name, without the
/// trailing dot), recursion desired. `None` when a label is over 63 or
/// the name over 253 characters.
pub fn encode_query(id: u16, name: &str, q: QType) -> Option<Vec<u8>> {
    if name.len() > 253 {
        return None;
    }
    let mut m = Vec::with_capacity(HEADER + name.len() + 6);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00]); // RD
    m.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QD=1
    for label in name.split('.').filter(|l| !l.is_empty()) {
        if label.len() > 63 {
            return None;
        }
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.push(0);
    m.extend_from_slice(&q.code().to_be_bytes());
    m.extend_from_slice(&CLASS_IN.to_be_bytes());
    Some(m)
}

fn u16_at(b: &[u8], i: usize) -> Result<u16, DecodeError> {
    b.get(i..i + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or(DecodeError::Short)
}

/// Reads the name at `start`; returns it and the offset after it (after
/// the first pointer when compressed). Pointers may only go backwards,
/// so a loop cannot happen; a name is at most 255 octets.
pub fn read_name(b: &[u8], start: usize) -> Result<(String, usize), DecodeError> {
    let mut out = String::new();
    let mut i = start;
    let mut end = None;
    let mut total = 0usize;
    loop {
        let len = *b.get(i).ok_or(DecodeError::Short)? as usize;
        match len & 0xC0 {
            0x00 if len == 0 => {
                return Ok((out, end.unwrap_or(i + 1)));
            }
            0x00 => {
                let label = b.get(i + 1..i + 1 + len).ok_or(DecodeError::Short)?;
                total += len + 1;
                if total > 255 {
                    return Err(DecodeError::BadName);
                }
                if !out.is_empty() {
                    out.push('.');
                }
                out.extend(label.iter().map(
                    |&c| {
                        if c.is_ascii_graphic() {
                            c as char
                        } else {
                            '?'
                        }
                    },
                ));
                i += 1 + len;
            }
            0xC0 => {
                let ptr = (u16_at(b, i)? & 0x3FFF) as usize;
                if ptr >= i {
                    return Err(DecodeError::BadName);
                }
                end.get_or_insert(i + 2);
                i = ptr;
            }
            _ => return Err(DecodeError::BadName),
        }
    }
}

/// Decodes a response to a query of type `q`.
pub fn decode_response(b: &[u8], q: QType) -> Result<Response, DecodeError> {
    if b.len() < HEADER {
        return Err(DecodeError::Short);
    }
    let id = u16_at(b, 0)?;
    let flags = u16_at(b, 2)?;
    if flags & 0x8000 == 0 {
        return Err(DecodeError::NotAResponse);
    }
    let qd = u16_at(b, 4)?;
    let an = u16_at(b, 6)?;
    let mut r = Response {
        id,
        rcode: Rcode::from((flags & 0x000F) as u8),
        truncated: flags & 0x0200 != 0,
        addrs: Vec::new(),
        cnames: Vec::new(),
    };
    let mut i = HEADER;
    for _ in 0..qd {
        let (_, next) = read_name(b, i)?;
        i = next + 4;
    }
    for _ in 0..an {
        let (_, next) = match read_name(b, i) {
            Ok(v) => v,
            // A truncated answer keeps what came before the cut.
            Err(DecodeError::Short) if r.truncated => break,
            Err(e) => return Err(e),
        };
        let ty = u16_at(b, next)?;
        let class = u16_at(b, next + 2)?;
        let rdlen = u16_at(b, next + 8)? as usize;
        let rd = next + 10;
        let data = b.get(rd..rd + rdlen).ok_or(DecodeError::Short)?;
        if class == CLASS_IN {
            match (ty, data.len()) {
                (1, 4) if q == QType::A => r.addrs.push(IpAddr::V4(Ipv4Addr::new(
                    data[0], data[1], data[2], data[3],
                ))),
                (28, 16) if q == QType::Aaaa => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(data);
                    r.addrs.push(IpAddr::V6(Ipv6Addr::from(a)));
                }
                (CNAME, _) => r.cnames.push(read_name(b, rd)?.0),
                _ => {}
            }
        }
        i = rd + rdlen;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response to `query` with the given rcode and A records (the
    /// answer name compressed to the question).
    pub fn answer(query: &[u8], rcode: u8, addrs: &[[u8; 4]]) -> Vec<u8> {
        let mut m = query.to_vec();
        m[2] = 0x81;
        m[3] = 0x80 | rcode;
        m[6..8].copy_from_slice(&(addrs.len() as u16).to_be_bytes());
        for a in addrs {
            m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            m.extend_from_slice(a);
        }
        m
    }

    #[test]
    fn round_trip_a() {
        let q = encode_query(0x1234, "mn.lab.example", QType::A).unwrap();
        assert_eq!(&q[12..16], b"\x02mn\x03");
        let r = decode_response(&answer(&q, 0, &[[10, 0, 0, 5], [10, 0, 0, 6]]), QType::A).unwrap();
        assert_eq!(r.id, 0x1234);
        assert_eq!(r.rcode, Rcode::NoError);
        assert_eq!(
            r.addrs,
            vec![
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
                IpAddr::V4(Ipv4Addr::new(10, 0, 0, 6))
            ]
        );
        // An A record does not count as an answer to AAAA.
        let r = decode_response(&answer(&q, 0, &[[10, 0, 0, 5]]), QType::Aaaa).unwrap();
        assert!(r.addrs.is_empty());
    }

    #[test]
    fn rcodes_and_junk() {
        let q = encode_query(7, "gone.example", QType::A).unwrap();
        assert_eq!(
            decode_response(&answer(&q, 3, &[]), QType::A)
                .unwrap()
                .rcode,
            Rcode::NxDomain
        );
        assert_eq!(
            decode_response(&answer(&q, 2, &[]), QType::A)
                .unwrap()
                .rcode,
            Rcode::ServFail
        );
        assert_eq!(
            decode_response(&q, QType::A),
            Err(DecodeError::NotAResponse)
        );
        assert_eq!(decode_response(&q[..5], QType::A), Err(DecodeError::Short));
        let mut bad = answer(&q, 0, &[[1, 2, 3, 4]]);
        let n = bad.len();
        bad[n - 16] = 0xC0;
        bad[n - 15] = 0xFF; // a pointer forwards
        assert_eq!(decode_response(&bad, QType::A), Err(DecodeError::BadName));
        assert!(encode_query(1, &"a".repeat(64), QType::A).is_none());
    }

    #[test]
    fn pointer_loops_are_refused() {
        let mut m = vec![0u8; 12];
        m.extend_from_slice(&[0xC0, 12]);
        assert_eq!(read_name(&m, 12), Err(DecodeError::BadName));
    }
}
