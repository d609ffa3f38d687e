//! Test Network against the real kernel: ICMP echo between two network
//! namespaces these tests create, joined by a veth pair. No packet leaves
//! the namespaces (the host's links are never involved).

mod net_support;

use nodeconsole::net::netns::NetnsThread;
use nodeconsole::net::ping::{self, PingError, PingEvent, PingOptions, SocketKind};
use std::net::Ipv4Addr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// Two namespaces: `a` has pa0 10.66.0.1/24, `b` has pb0 10.66.0.2/24.
fn two_namespaces(tag: &str) -> Option<(NetnsThread, NetnsThread)> {
    let (a, b) = net_support::veth_pair(tag, 0)?;
    Some((a, b))
}

fn quick(count: u16) -> PingOptions {
    PingOptions {
        count,
        interval: Duration::from_millis(50),
        // Only a lost reply waits this long; generous for a loaded machine.
        timeout: Duration::from_secs(5),
        resolve_timeout: Duration::from_secs(2),
        payload_len: 56,
    }
}

fn run_ping(
    ns: &NetnsThread,
    target: &'static str,
    opts: PingOptions,
) -> (Result<ping::PingSummary, PingError>, Vec<PingEvent>) {
    ns.run(move || {
        let mut events = Vec::new();
        let r = ping::ping(target, &opts, &AtomicBool::new(false), |e| {
            events.push(e.clone())
        });
        (r, events)
    })
}

fn allow_datagram_ping(ns: &NetnsThread) {
    // ping_group_range is per network namespace: this widens it only in `ns`.
    ns.run(|| std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647").unwrap());
}

#[test]
fn ping_over_veth_succeeds_with_datagram_socket() {
    let Some((a, _b)) = two_namespaces("ping-ok") else {
        return;
    };
    allow_datagram_ping(&a);
    let (r, events) = run_ping(&a, "10.66.0.2", quick(3));
    let s = r.unwrap();
    assert_eq!(
        s.socket,
        SocketKind::Datagram,
        "unprivileged socket preferred"
    );
    assert_eq!((s.sent, s.received), (3, 3));
    assert_eq!(s.loss_pct(), 0.0);
    assert!(s.rtt_min.is_some() && s.rtt_min <= s.rtt_avg && s.rtt_avg <= s.rtt_max);
    assert_eq!(
        events[0],
        PingEvent::Resolved {
            target: Ipv4Addr::new(10, 66, 0, 2)
        }
    );
    let seqs: Vec<u16> = events
        .iter()
        .filter_map(|e| match e {
            PingEvent::Reply { seq, bytes, .. } => {
                assert_eq!(*bytes, 64);
                Some(*seq)
            }
            _ => None,
        })
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert!(s.to_string().contains("3 sent, 3 received, 0% loss"), "{s}");
}

#[test]
fn ping_falls_back_to_raw_socket_when_datagram_denied() {
    let Some((a, _b)) = two_namespaces("ping-raw") else {
        return;
    };
    // A fresh namespace's ping_group_range is "1 0" (nobody): as root we
    // must fall back to a raw socket and still get the replies.
    let range = a.run(|| std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").unwrap());
    assert_eq!(range.split_whitespace().collect::<Vec<_>>(), ["1", "0"]);
    let (r, _) = run_ping(&a, "10.66.0.2", quick(2));
    let s = r.unwrap();
    assert_eq!(s.socket, SocketKind::Raw);
    assert_eq!((s.sent, s.received), (2, 2));
}

#[test]
fn ping_unused_address_is_lost() {
    let Some((a, _b)) = two_namespaces("ping-loss") else {
        return;
    };
    allow_datagram_ping(&a);
    let mut opts = quick(2);
    opts.timeout = Duration::from_millis(300);
    let (r, events) = run_ping(&a, "10.66.0.99", opts);
    let s = r.unwrap();
    assert_eq!((s.sent, s.received), (2, 0));
    assert_eq!(s.loss_pct(), 100.0);
    assert!(s.rtt_avg.is_none());
    assert!(events[1..]
        .iter()
        .all(|e| matches!(e, PingEvent::Timeout { .. } | PingEvent::Unreachable { .. })));
    assert!(s.to_string().contains("100% loss"), "{s}");
}

#[test]
fn ping_times_out_when_peer_ignores_echo() {
    let Some((a, b)) = two_namespaces("ping-timeout") else {
        return;
    };
    allow_datagram_ping(&a);
    b.run(|| std::fs::write("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1").unwrap());
    let mut opts = quick(2);
    opts.timeout = Duration::from_millis(200);
    let (r, events) = run_ping(&a, "10.66.0.2", opts);
    let s = r.unwrap();
    assert_eq!((s.sent, s.received), (2, 0));
    assert_eq!(
        events[1..],
        [PingEvent::Timeout { seq: 1 }, PingEvent::Timeout { seq: 2 }]
    );
}

#[test]
fn ping_cancel_stops_the_run() {
    let Some((a, b)) = two_namespaces("ping-cancel") else {
        return;
    };
    allow_datagram_ping(&a);
    b.run(|| std::fs::write("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1").unwrap());
    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    let s = a.run(move || {
        let opts = PingOptions {
            count: 1000,
            timeout: Duration::from_secs(30),
            ..PingOptions::default()
        };
        ping::ping("10.66.0.2", &opts, &c2, |e| {
            // ESC pressed as soon as the first probe is out.
            if matches!(e, PingEvent::Resolved { .. }) {
                c2.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .unwrap()
    });
    assert!(s.cancelled);
    assert!(s.sent <= 1, "cancel stops before more probes: {s}");
    assert!(s.to_string().ends_with("(cancelled)"));
    drop(cancel);
}

#[test]
fn ping_resolves_host_names_inside_namespace() {
    let Some(a) = net_support::netns("ping-name") else {
        return;
    };
    allow_datagram_ping(&a);
    // /etc/hosts maps localhost to loopback, which is up in the namespace.
    let (r, events) = run_ping(&a, "localhost", quick(1));
    let s = r.unwrap();
    assert!(s.target.is_loopback());
    assert_eq!(s.received, 1);
    assert!(matches!(events[0], PingEvent::Resolved { target } if target.is_loopback()));
    // A name that cannot resolve (the namespace has no route to any DNS
    // server, so nothing leaves it) gives an operator-readable error.
    let (r, _) = run_ping(&a, "no-such-host.invalid", quick(1));
    let e = r.unwrap_err();
    assert!(
        matches!(
            e,
            PingError::Resolve { .. } | PingError::ResolveTimeout { .. } | PingError::NoIpv4(_)
        ),
        "{e}"
    );
    assert!(e.to_string().contains("no-such-host.invalid"), "{e}");
    let (r, _) = run_ping(&a, "1.2.3.400", quick(1));
    assert!(matches!(r, Err(PingError::BadTarget(_))));
}
