//! Test Network → Route and gateway against the real kernel: namespace
//! `a` (pa0 10.66.3.1/24) routes 10.77.0.0/24 via `b` (10.66.3.2, which
//! answers) and 10.78.0.0/24 via 10.66.3.99, which nobody holds; a target
//! on the link, a local address, and a network without a route.

mod net_support;

use std::net::Ipv4Addr;
use std::sync::atomic::AtomicBool;

use nodeconsole::diag::route::route_get;
use nodeconsole::features::test_network::route::check;
use nodeconsole::net::netns::NetnsThread;

fn two_namespaces(tag: &str) -> Option<(NetnsThread, NetnsThread)> {
    let (a, b) = net_support::veth_pair(tag, 3)?;
    net_support::sh(&a, "ip route add 10.77.0.0/24 via 10.66.3.2");
    net_support::sh(&a, "ip route add 10.78.0.0/24 via 10.66.3.99");
    a.run(|| std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647").unwrap());
    Some((a, b))
}

fn run(a: &NetnsThread, target: [u8; 4]) -> Result<Vec<String>, String> {
    a.run(move || check(Ipv4Addr::from(target), &AtomicBool::new(false), |_| {}))
}

#[test]
fn gateway_on_link_dead_gateway_local_and_no_route() {
    let Some((a, b)) = two_namespaces("route") else {
        return;
    };
    // `ip -br link`: name, state, MAC (sysfs shows the host's namespace).
    let out = net_support::sh(&b, "ip -br link show pb0");
    let b_mac = out.split_whitespace().nth(2).expect("a MAC").to_string();

    let r = a.run(|| route_get(Ipv4Addr::new(10, 77, 0, 5)).unwrap());
    assert_eq!(r.gateway, Some(Ipv4Addr::new(10, 66, 3, 2)));
    assert_eq!(
        (r.dev.as_str(), r.src),
        ("pa0", Some(Ipv4Addr::new(10, 66, 3, 1)))
    );

    let l = run(&a, [10, 77, 0, 5]).unwrap();
    assert_eq!(
        l[0], "10.77.0.5 via gateway 10.66.3.2 on pa0, source 10.66.3.1",
        "{l:?}"
    );
    assert!(
        l[1].starts_with("the gateway 10.66.3.2 answers ping"),
        "{l:?}"
    );
    assert!(
        l[2].starts_with(&format!("the gateway 10.66.3.2 is at {b_mac} ("))
            && l[2].ends_with(") on pa0"),
        "{l:?}"
    );

    let l = run(&a, [10, 66, 3, 2]).unwrap();
    assert_eq!(
        l[0], "10.66.3.2 is directly connected on pa0, source 10.66.3.1",
        "{l:?}"
    );
    assert!(
        l[1].starts_with("the target 10.66.3.2 answers ping"),
        "{l:?}"
    );

    let l = run(&a, [10, 78, 0, 5]).unwrap();
    assert_eq!(
        l[0], "10.78.0.5 via gateway 10.66.3.99 on pa0, source 10.66.3.1",
        "{l:?}"
    );
    assert_eq!(l[1], "the gateway 10.66.3.99 does not answer ping", "{l:?}");
    assert!(
        l[2].starts_with("the gateway 10.66.3.99 does not answer ARP (")
            && (l[2].contains("(FAILED)") || l[2].contains("(INCOMPLETE)"))
            && l[2].ends_with("check the cable, the switch port, the VLAN"),
        "{l:?}"
    );

    let l = run(&a, [10, 66, 3, 1]).unwrap();
    assert_eq!(
        l,
        vec!["10.66.3.1 is an address of this node (lo, source 10.66.3.1)"]
    );

    let e = run(&a, [10, 88, 0, 1]).unwrap_err();
    assert!(e.starts_with("no route to 10.88.0.1"), "{e}");
}
