//! TIME INFO's clock check against a real SNTP exchange on loopback: the
//! test runs a small NTP server (RFC 5905 server mode) whose clock is set
//! a known amount ahead, and the console's collector measures it.

mod common;
use common::sntp::{serve, Answer};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use nodeconsole::net::sntp::{self, SntpError};
use nodeconsole::probe::clock::{parse_reference, ClockCollector, Reference};
use nodeconsole::probe::Collector;

fn collector(addr: SocketAddr) -> ClockCollector {
    let r = parse_reference(&addr.to_string()).unwrap();
    ClockCollector::new(r, vec![], Duration::from_secs(3))
}

#[test]
fn measures_a_server_five_seconds_ahead() {
    let srv = serve(Answer::Skewed(5.0));
    let info = collector(srv.addr).collect().unwrap();
    assert_eq!(info.reference.as_deref(), Some(&*srv.addr.to_string()));
    let s = info.sample.unwrap().unwrap();
    assert!((s.offset_s - 5.0).abs() < 0.2, "offset {}", s.offset_s);
    assert!(s.delay_s >= 0.0 && s.delay_s < 1.0, "delay {}", s.delay_s);
    assert_eq!(s.stratum, 2);
}

#[test]
fn a_clock_behind_gives_a_negative_offset() {
    let srv = serve(Answer::Skewed(-30.0));
    let s = sntp::query(srv.addr, Duration::from_secs(3)).unwrap();
    assert!((s.offset_s + 30.0).abs() < 0.2, "offset {}", s.offset_s);
}

#[test]
fn a_reply_to_another_request_is_skipped() {
    let srv = serve(Answer::Stray(1.0));
    let s = sntp::query(srv.addr, Duration::from_secs(3)).unwrap();
    assert!((s.offset_s - 1.0).abs() < 0.2, "offset {}", s.offset_s);
}

#[test]
fn a_kiss_of_death_is_reported() {
    let srv = serve(Answer::Kiss);
    let e = sntp::query(srv.addr, Duration::from_secs(3)).unwrap_err();
    assert_eq!(e, SntpError::Kiss("RATE".into()));
    assert!(e.to_string().contains("refuses"), "{e}");
}

#[test]
fn a_silent_server_times_out_within_the_deadline() {
    // A bound socket that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let t0 = std::time::Instant::now();
    let mut c = ClockCollector::new(
        Reference::Server {
            host: "127.0.0.1".into(),
            port: addr.port(),
        },
        vec![],
        Duration::from_millis(300),
    );
    let info = c.collect().unwrap();
    let e = info.sample.unwrap().unwrap_err();
    assert!(e.contains("no answer"), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
}

#[test]
fn a_closed_port_is_an_error_not_a_hang() {
    // Nothing listens: loopback answers with ICMP port unreachable, which a
    // connected UDP socket reports as ECONNREFUSED.
    let port = {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.local_addr().unwrap().port()
    };
    let e = sntp::query(
        format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_secs(2),
    )
    .unwrap_err();
    assert!(
        matches!(e, SntpError::Io(..) | SntpError::Timeout(..)),
        "{e}"
    );
}

#[test]
fn auto_asks_the_first_server_of_the_daemon_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let chrony = dir.path().join("chrony.conf");
    std::fs::write(
        &chrony,
        "# local\nserver 127.0.0.1 iburst\npool 2.debian.pool.ntp.org\n",
    )
    .unwrap();
    let mut c = ClockCollector::new(
        Reference::Auto,
        vec![dir.path().join("absent.conf"), chrony],
        Duration::from_millis(300),
    );
    let info = c.collect().unwrap();
    // Port 123 on loopback: measured if this machine runs an NTP server,
    // else an error naming the server; asked either way.
    assert_eq!(info.reference.as_deref(), Some("127.0.0.1"));
    assert!(info.sample.is_some());
}

/// The invariants of `fuzz/fuzz_targets/sntp.rs` over pseudo-random
/// inputs, so that they run on the stable toolchain in `make test` too:
/// random bytes, and replies that are mostly well-formed.
#[test]
fn property_parsers_never_panic() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let words: &[&[u8]] = &[
        b"server ",
        b"pool ",
        b"NTP=",
        b"#",
        b" ",
        b"\n",
        b":",
        b"[",
        b"]",
        b"::1",
        b"10.0.0.2",
        b"none",
    ];
    for _ in 0..20_000 {
        let len = (next() % 64) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if next() % 2 == 0 {
            data.resize(48, 0);
            data[0] = 0x24;
            data[24..32].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        }
        sntp::fuzz_check(&data);
        let text: Vec<u8> = (0..(next() % 8))
            .flat_map(|_| {
                words[(next() % words.len() as u64) as usize]
                    .iter()
                    .copied()
            })
            .collect();
        sntp::fuzz_check(&text);
    }
}
