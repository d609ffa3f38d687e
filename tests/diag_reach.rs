//! Test Network → Cloud reachability against the real kernel: TCP
//! connects from namespace `a` to namespace `b` (veth pair 10.66.1.0/24):
//! a listener (open), a port nobody listens on (refused), an address past a
//! gateway that drops what it cannot forward (timed out), an on-link
//! address no one holds (no route: ARP fails), a network with no route
//! (unreachable). No packet leaves the test's namespaces.

mod net_support;

use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use nodeconsole::diag::tcp::{check_all, Outcome, Target};
use nodeconsole::engine::ServiceEndpoint;
use nodeconsole::features::test_network::reach;
use nodeconsole::net::netns::NetnsThread;

/// `a` has pa0 10.66.1.1/24 and a route to 10.77.0.0/24 via `b`
/// (10.66.1.2), which does not forward (the namespace default), so what
/// goes there is dropped without an answer.
fn two_namespaces(tag: &str) -> Option<(NetnsThread, NetnsThread)> {
    let (a, b) = net_support::veth_pair(tag, 1)?;
    net_support::sh(&a, "ip route add 10.77.0.0/24 via 10.66.1.2");
    Some((a, b))
}

/// A listener on b's address (the socket keeps b's namespace).
fn listen_in(b: &NetnsThread) -> TcpListener {
    b.run(|| TcpListener::bind("10.66.1.2:0").unwrap())
}

fn target(addr: SocketAddrV4) -> Target {
    Target {
        name: "svc".into(),
        addr,
        hint: "is it running?".into(),
    }
}

#[test]
fn open_refused_timed_out_no_route_unreachable() {
    let Some((a, b)) = two_namespaces("reach") else {
        return;
    };
    let l = listen_in(&b);
    let port = l.local_addr().unwrap().port();
    let targets: Vec<Target> = [
        SocketAddrV4::new(Ipv4Addr::new(10, 66, 1, 2), port),
        // Nothing at all listens in b's fresh namespace but our listener.
        SocketAddrV4::new(Ipv4Addr::new(10, 66, 1, 2), if port == 1 { 2 } else { 1 }),
        SocketAddrV4::new(Ipv4Addr::new(10, 77, 0, 5), 8080),
        SocketAddrV4::new(Ipv4Addr::new(10, 66, 1, 99), 8080),
        SocketAddrV4::new(Ipv4Addr::new(10, 88, 0, 1), 8080),
    ]
    .into_iter()
    .map(target)
    .collect();
    let timeout = Duration::from_secs(4);
    let t0 = Instant::now();
    let r = a.run(move || check_all(&targets, timeout, &AtomicBool::new(false)));
    let took = t0.elapsed();
    assert!(matches!(r[0], Outcome::Open(_)), "{r:?}");
    assert!(matches!(r[1], Outcome::Refused(_)), "{r:?}");
    assert_eq!(r[2], Outcome::TimedOut(timeout), "{r:?}");
    // ARP gives up after ~3 s (3 probes, 1 s apart): EHOSTUNREACH, or the
    // deadline if the machine is slow.
    assert!(
        matches!(r[3], Outcome::NoRoute(_) | Outcome::TimedOut(_)),
        "{r:?}"
    );
    assert!(matches!(r[4], Outcome::NetUnreachable(_)), "{r:?}");
    // All at once: the whole run is one deadline, not five (liveness bound).
    assert!(took < timeout * 3, "took {took:?}");
    drop(l);
}

#[test]
fn the_result_lines_say_what_it_means_and_esc_stops() {
    let Some((a, b)) = two_namespaces("reach-lines") else {
        return;
    };
    let l = listen_in(&b);
    let port = l.local_addr().unwrap().port();
    let eps = vec![
        ServiceEndpoint::new("MN REST API", "10.66.1.2", port, "is the MN running?"),
        ServiceEndpoint::new("web UI", "10.66.1.2", 1, "is the UI running?"),
        ServiceEndpoint::new("MariaDB", "10.77.0.5", 3306, "is MariaDB running?"),
        ServiceEndpoint::new("bad", "no-such-host.invalid", 1, "-"),
    ];
    let lines = a.run(move || reach::check(&eps, Duration::from_secs(2), &AtomicBool::new(false)));
    let all = lines.join("\n");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("open ") && l.contains(&format!("10.66.1.2:{port}"))),
        "{all}"
    );
    assert!(
        all.contains("refused: the host answers but nothing listens on 1 - is the UI running?"),
        "{all}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("timed out") && l.contains("MariaDB 10.77.0.5:3306 (2.0 s)")),
        "{all}"
    );
    assert!(all.contains("no address"), "{all}");
    assert_eq!(lines.last().unwrap(), "1 of 4 open", "{all}");

    // Esc: a pending connect ends at once as cancelled.
    let t0 = Instant::now();
    let r = a.run(|| {
        check_all(
            &[target("10.77.0.5:80".parse().unwrap())],
            Duration::from_secs(30),
            &AtomicBool::new(true),
        )
    });
    assert_eq!(r, vec![Outcome::Cancelled]);
    assert!(t0.elapsed() < Duration::from_secs(10));
    drop(l);
}
