//! A minimal SNTP client (RFC 4330 / RFC 5905 client mode): one request,
//! one reply, the clock offset and round-trip delay against one server.
//!
//! Why our own: the console only needs to *measure* the offset of this
//! node's clock against its reference (the management node or the NTP
//! server the node's chrony/ntpd/timesyncd configuration names); it never
//! sets the clock. A 48-byte packet over UDP with a deadline does that
//! without a daemon, a new dependency or running `chronyc`.

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Seconds between the NTP era 0 epoch (1900) and the Unix epoch (1970).
const NTP_UNIX_DELTA: u64 = 2_208_988_800;
/// The NTP port.
pub const PORT: u16 = 123;

/// A 64-bit NTP timestamp: seconds since 1900 and a 32-bit fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// `t` as an NTP timestamp (era 0; wraps in 2036 like every NTP
    /// timestamp — the offset arithmetic below is done modulo 2^64).
    pub fn from_system(t: SystemTime) -> NtpTime {
        let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = d.as_secs().wrapping_add(NTP_UNIX_DELTA) & 0xffff_ffff;
        let frac = ((d.subsec_nanos() as u64) << 32) / 1_000_000_000;
        NtpTime((secs << 32) | frac)
    }

    /// Signed difference `self - earlier` in seconds, modulo the 2^32 s
    /// era (valid while the two are within 68 years of each other).
    pub fn minus(self, earlier: NtpTime) -> f64 {
        (self.0.wrapping_sub(earlier.0) as i64) as f64 / 4_294_967_296.0
    }

    fn from_be(b: &[u8]) -> NtpTime {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        NtpTime(u64::from_be_bytes(a))
    }
}

/// One measurement against a server.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub server: SocketAddr,
    /// Server clock minus ours, in seconds (positive: ours is behind).
    pub offset_s: f64,
    /// Round-trip delay in seconds, the server's processing time removed.
    pub delay_s: f64,
    /// The server's stratum (1 = a reference clock, 2.. = synced to one).
    pub stratum: u8,
}

/// Why a query gave no usable sample.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SntpError {
    #[error("no answer from {0} within {1:?}")]
    Timeout(SocketAddr, Duration),
    #[error("{0}: {1}")]
    Io(SocketAddr, String),
    #[error("reply too short ({0} bytes)")]
    Short(usize),
    #[error("not a server reply (mode {0})")]
    Mode(u8),
    #[error("reply does not answer our request")]
    NotOurs,
    #[error("the server refuses to serve us (kiss code {0})")]
    Kiss(String),
    #[error("the server's own clock is not synchronised")]
    Unsynchronised,
}

/// The 48-byte client request: LI 0, version 4, mode 3, and our transmit
/// time, which the server copies into its origin field so the reply can be
/// matched to this request.
pub fn request(transmit: NtpTime) -> [u8; 48] {
    let mut p = [0u8; 48];
    p[0] = 4 << 3 | 3;
    p[40..48].copy_from_slice(&transmit.0.to_be_bytes());
    p
}

/// A parsed server reply: its receive (t2) and transmit (t3) times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reply {
    pub stratum: u8,
    pub receive: NtpTime,
    pub transmit: NtpTime,
}

/// Checks a reply to the request sent at `sent` (pure; fuzzed).
pub fn parse_reply(buf: &[u8], sent: NtpTime) -> Result<Reply, SntpError> {
    if buf.len() < 48 {
        return Err(SntpError::Short(buf.len()));
    }
    let li = buf[0] >> 6;
    let mode = buf[0] & 7;
    if mode != 4 {
        return Err(SntpError::Mode(mode));
    }
    if NtpTime::from_be(&buf[24..32]) != sent {
        return Err(SntpError::NotOurs);
    }
    let stratum = buf[1];
    if stratum == 0 {
        let code: String = buf[12..16]
            .iter()
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
            .collect();
        return Err(SntpError::Kiss(code));
    }
    let transmit = NtpTime::from_be(&buf[40..48]);
    if li == 3 || stratum >= 16 || transmit.0 == 0 {
        return Err(SntpError::Unsynchronised);
    }
    Ok(Reply {
        stratum,
        receive: NtpTime::from_be(&buf[32..40]),
        transmit,
    })
}

/// Offset and delay from the four timestamps (RFC 5905 section 8).
pub fn offset_delay(t1: NtpTime, r: &Reply, t4: NtpTime) -> (f64, f64) {
    let offset = (r.receive.minus(t1) + r.transmit.minus(t4)) / 2.0;
    let delay = t4.minus(t1) - r.transmit.minus(r.receive);
    (offset, delay.max(0.0))
}

/// Asks `server` once, waiting at most `timeout` in all. Replies that do
/// not answer this request (late duplicates, spoofed packets) are skipped
/// until the deadline.
pub fn query(server: SocketAddr, timeout: Duration) -> Result<Sample, SntpError> {
    let io = |e: std::io::Error| SntpError::Io(server, e.to_string());
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().unwrap()
    } else {
        "[::]:0".parse().unwrap()
    };
    let sock = UdpSocket::bind(bind).map_err(io)?;
    sock.connect(server).map_err(io)?;
    let deadline = Instant::now() + timeout;
    let t1 = NtpTime::from_system(SystemTime::now());
    sock.send(&request(t1)).map_err(io)?;
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(SntpError::Timeout(server, timeout));
        }
        sock.set_read_timeout(Some(left)).map_err(io)?;
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(SntpError::Timeout(server, timeout))
            }
            Err(e) => return Err(io(e)),
        };
        let t4 = NtpTime::from_system(SystemTime::now());
        match parse_reply(&buf[..n], t1) {
            Ok(r) => {
                let (offset_s, delay_s) = offset_delay(t1, &r, t4);
                return Ok(Sample {
                    server,
                    offset_s,
                    delay_s,
                    stratum: r.stratum,
                });
            }
            Err(SntpError::NotOurs | SntpError::Short(_) | SntpError::Mode(_)) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The NTP servers a node's time daemon is configured with, in order:
/// `server`/`pool`/`peer` lines of chrony.conf or ntp.conf, `NTP=` of
/// timesyncd.conf (pure; fuzzed).
pub fn configured_servers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        match words.next() {
            Some("server" | "pool" | "peer") => {
                if let Some(h) = words.next() {
                    out.push(h.to_string());
                }
            }
            Some(w) if w.starts_with("NTP=") || w == "NTP" => {
                let rest = line.split_once('=').map_or("", |(_, r)| r);
                out.extend(rest.split_whitespace().map(str::to_string));
            }
            _ => {}
        }
    }
    out.retain(|h| !h.is_empty() && !h.starts_with("127.127."));
    out
}

/// The invariants the `sntp` fuzz target checks: no input panics the
/// reply parser, the daemon-config reader or the reference parser, and
/// what they accept is well-formed.
pub fn fuzz_check(data: &[u8]) {
    let sent = NtpTime(u64::from_be_bytes([1, 2, 3, 4, 5, 6, 7, 8]));
    if let Ok(r) = parse_reply(data, sent) {
        assert!(data.len() >= 48 && data[0] & 7 == 4);
        assert!((1..16).contains(&r.stratum) && r.transmit.0 != 0);
        let (_, delay) = offset_delay(sent, &r, sent);
        assert!(delay >= 0.0);
    }
    let text = String::from_utf8_lossy(data);
    for h in configured_servers(&text) {
        assert!(!h.is_empty() && !h.contains(char::is_whitespace));
    }
    if let Ok(crate::probe::clock::Reference::Server { host, port }) =
        crate::probe::clock::parse_reference(&text)
    {
        assert!(port > 0 && !host.is_empty() && !host.contains(char::is_whitespace));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(sent: NtpTime, stratum: u8, t2: NtpTime, t3: NtpTime) -> [u8; 48] {
        let mut p = [0u8; 48];
        p[0] = 4 << 3 | 4;
        p[1] = stratum;
        p[24..32].copy_from_slice(&sent.0.to_be_bytes());
        p[32..40].copy_from_slice(&t2.0.to_be_bytes());
        p[40..48].copy_from_slice(&t3.0.to_be_bytes());
        p
    }

    fn at(secs: f64) -> NtpTime {
        NtpTime::from_system(UNIX_EPOCH + Duration::from_secs_f64(secs))
    }

    #[test]
    fn request_is_a_version_4_client_packet_carrying_our_time() {
        let t = at(1_800_000_000.5);
        let p = request(t);
        assert_eq!(p[0], 0x23);
        assert_eq!(&p[40..48], &t.0.to_be_bytes());
        assert!(p[1..40].iter().all(|&b| b == 0));
    }

    #[test]
    fn timestamps_round_trip_and_subtract() {
        let a = at(1_800_000_000.25);
        let b = at(1_800_000_002.75);
        assert!((b.minus(a) - 2.5).abs() < 1e-6);
        assert!((a.minus(b) + 2.5).abs() < 1e-6);
        // 1900-based seconds of the Unix epoch.
        assert_eq!(at(0.0).0 >> 32, NTP_UNIX_DELTA);
    }

    #[test]
    fn offset_and_delay_follow_rfc_5905() {
        // Server 5 s ahead; 0.1 s each way; 0.01 s processing.
        let t1 = at(1000.0);
        let r = Reply {
            stratum: 2,
            receive: at(1005.1),
            transmit: at(1005.11),
        };
        let t4 = at(1000.21);
        let (o, d) = offset_delay(t1, &r, t4);
        assert!((o - 5.0).abs() < 1e-6, "{o}");
        assert!((d - 0.2).abs() < 1e-6, "{d}");
    }

    #[test]
    fn replies_are_checked() {
        let sent = at(1000.0);
        let good = reply(sent, 3, at(1000.1), at(1000.1));
        assert_eq!(parse_reply(&good, sent).unwrap().stratum, 3);
        assert_eq!(parse_reply(&good[..40], sent), Err(SntpError::Short(40)));
        assert_eq!(parse_reply(&good, at(999.0)), Err(SntpError::NotOurs));
        let mut client = good;
        client[0] = 0x23;
        assert_eq!(parse_reply(&client, sent), Err(SntpError::Mode(3)));
        let mut kiss = reply(sent, 0, at(0.0), at(0.0));
        kiss[12..16].copy_from_slice(b"RATE");
        assert_eq!(
            parse_reply(&kiss, sent),
            Err(SntpError::Kiss("RATE".into()))
        );
        let mut alarm = good;
        alarm[0] |= 0xc0;
        assert_eq!(parse_reply(&alarm, sent), Err(SntpError::Unsynchronised));
        let unsynced = reply(sent, 16, at(1000.1), at(1000.1));
        assert_eq!(parse_reply(&unsynced, sent), Err(SntpError::Unsynchronised));
    }

    #[test]
    fn servers_from_chrony_ntp_and_timesyncd() {
        let chrony = "# ZStack\nserver 10.0.0.2 iburst\npool 2.debian.pool.ntp.org iburst\n\
                      driftfile /var/lib/chrony/drift\n  server   ntp1 # comment\n";
        assert_eq!(
            configured_servers(chrony),
            ["10.0.0.2", "2.debian.pool.ntp.org", "ntp1"]
        );
        let ntp = "server 127.127.1.0\nfudge 127.127.1.0 stratum 10\npeer 10.1.1.1\n";
        assert_eq!(configured_servers(ntp), ["10.1.1.1"]);
        let timesyncd = "[Time]\nNTP=10.0.0.2 10.0.0.3\n#FallbackNTP=0.debian.pool.ntp.org\n";
        assert_eq!(configured_servers(timesyncd), ["10.0.0.2", "10.0.0.3"]);
        assert!(configured_servers("server\n\n#server x\n").is_empty());
    }
}
