//! Test Network → DNS lookup against the real kernel: our UDP client in
//! namespace `a` asks a tiny DNS responder the test runs in namespace `b`
//! (10.66.2.2:53; it knows mn.lab.example, says NXDOMAIN for gone.* and
//! SERVFAIL for fail.*), after a dead server (10.66.2.9: nobody holds it)
//! and a host without a DNS server (10.66.2.3: refused). The resolver
//! configuration is a temp file, as `network.resolv_conf` allows.

mod net_support;

use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nodeconsole::diag::dns::read_name;
use nodeconsole::diag::lookup::{lookup, Verdict};
use nodeconsole::diag::resolv;
use nodeconsole::net::link;
use nodeconsole::net::netns::NetnsThread;

fn two_namespaces(tag: &str) -> Option<(NetnsThread, NetnsThread)> {
    let (a, b) = net_support::veth_pair(tag, 2)?;
    b.run(|| link::add_ipv4("pb0", Ipv4Addr::new(10, 66, 2, 3), 24).unwrap());
    Some((a, b))
}

/// The responder's answer to `q` (a query datagram), or `None` to stay
/// silent on junk.
fn respond(q: &[u8]) -> Option<Vec<u8>> {
    let (name, end) = read_name(q, 12).ok()?;
    let qtype = u16::from_be_bytes([*q.get(end)?, *q.get(end + 1)?]);
    let mut m = q.get(..end + 4)?.to_vec();
    m[2] = 0x85; // QR, AA, RD
    m[3] = 0x80; // RA, NOERROR
    if name.starts_with("gone.") {
        m[3] |= 3;
    } else if name.starts_with("fail.") {
        m[3] |= 2;
    } else if name == "mn.lab.example" && qtype == 1 {
        m[7] = 1;
        m.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 5]);
    } else if name != "mn.lab.example" {
        m[3] |= 3;
    }
    Some(m)
}

/// Runs the responder on 10.66.2.2:53 in `b` until the flag is set.
fn responder(b: &NetnsThread) -> Arc<AtomicBool> {
    let sock = b.run(|| UdpSocket::bind("10.66.2.2:53").unwrap());
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while !s2.load(Ordering::Relaxed) {
            if let Ok((n, from)) = sock.recv_from(&mut buf) {
                if let Some(r) = respond(&buf[..n]) {
                    let _ = sock.send_to(&r, from);
                }
            }
        }
    });
    stop
}

fn conf_file(text: &str) -> resolv::ResolvConf {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("resolv.conf");
    std::fs::write(&p, text).unwrap();
    resolv::parse(&std::fs::read_to_string(&p).unwrap())
}

fn run(
    a: &NetnsThread,
    conf: resolv::ResolvConf,
    name: &'static str,
) -> (Verdict, String, Vec<String>) {
    a.run(move || {
        let mut lines = Vec::new();
        let (v, s) = lookup(&conf, name, &AtomicBool::new(false), |l| lines.push(l));
        (v, s, lines)
    })
}

#[test]
fn a_dead_server_first_then_the_answer() {
    let Some((a, b)) = two_namespaces("dns-ok") else {
        return;
    };
    let stop = responder(&b);
    let conf = conf_file(
        "nameserver 10.66.2.9\nnameserver 10.66.2.3\nnameserver 10.66.2.2\n\
         search lab.example\noptions timeout:1 attempts:1\n",
    );
    let (v, summary, lines) = run(&a, conf, "mn");
    let all = lines.join("\n");
    assert!(
        lines[0].starts_with("10.66.2.9: no answer in 1.0 s; trying the next server"),
        "{all}"
    );
    assert!(
        lines[1].starts_with("10.66.2.3: refused (nothing listens on port 53)"),
        "{all}"
    );
    assert!(lines[2].starts_with("10.66.2.2 answered in "), "{all}");
    match v {
        Verdict::Resolved {
            name,
            server,
            addrs,
            ..
        } => {
            assert_eq!(name, "mn.lab.example");
            assert_eq!(server, IpAddr::V4(Ipv4Addr::new(10, 66, 2, 2)));
            assert_eq!(addrs, vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5))]);
        }
        v => panic!("{v:?}\n{all}"),
    }
    assert!(
        summary.starts_with("mn.lab.example: 10.0.0.5 (from 10.66.2.2 in "),
        "{summary}"
    );
    stop.store(true, Ordering::Relaxed);
}

#[test]
fn nxdomain_servfail_and_no_server() {
    let Some((a, b)) = two_namespaces("dns-bad") else {
        return;
    };
    let stop = responder(&b);
    let conf = conf_file("nameserver 10.66.2.2\noptions timeout:2 attempts:1\n");
    let (v, summary, lines) = run(&a, conf.clone(), "gone.lab.example");
    assert_eq!(v, Verdict::NoSuchName, "{lines:?}");
    assert!(lines[0].contains("does not exist (NXDOMAIN"), "{lines:?}");
    assert!(summary.contains("does not exist (NXDOMAIN)"), "{summary}");

    let (v, summary, lines) = run(&a, conf, "fail.lab.example");
    assert!(matches!(v, Verdict::ServerFailure(_)), "{v:?} {lines:?}");
    assert!(lines[0].contains("SERVFAIL"), "{lines:?}");
    assert!(summary.contains("SERVFAIL"), "{summary}");

    // Only dead and refusing servers: "no DNS server answered", within
    // the configured bound (liveness, not speed).
    let conf =
        conf_file("nameserver 10.66.2.9\nnameserver 10.66.2.3\noptions timeout:1 attempts:2\n");
    let t0 = Instant::now();
    let (v, summary, lines) = run(&a, conf, "mn.lab.example");
    assert_eq!(v, Verdict::NoServer, "{lines:?}");
    assert_eq!(lines.len(), 4, "two rounds over two servers: {lines:?}");
    assert!(lines[2].contains("(try 2)"), "{lines:?}");
    assert!(
        summary.starts_with("no DNS server answered (10.66.2.9, 10.66.2.3)"),
        "{summary}"
    );
    assert!(t0.elapsed() < Duration::from_secs(30));
    stop.store(true, Ordering::Relaxed);
}

#[test]
fn esc_stops_a_lookup_waiting_on_a_dead_server() {
    let Some((a, _b)) = two_namespaces("dns-esc") else {
        return;
    };
    let conf = conf_file("nameserver 10.66.2.9\noptions timeout:30\n");
    let t0 = Instant::now();
    let v = a.run(move || {
        let cancel = Arc::new(AtomicBool::new(false));
        let c2 = cancel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            c2.store(true, Ordering::SeqCst);
        });
        lookup(&conf, "mn.lab.example", &cancel, |_| {}).0
    });
    assert_eq!(v, Verdict::Cancelled);
    assert!(t0.elapsed() < Duration::from_secs(10));
}
