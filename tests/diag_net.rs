//! The diagnostics of issue #14 against the real kernel, in network
//! namespaces these tests create (veth pairs, a router namespace): path MTU
//! with don't-fragment, the RFC 5227 ARP probe, ethtool's answers for a
//! veth and its "cannot blink", LLDP frames sent by the test from the peer.
//! No packet leaves the namespaces.

mod net_support;

use net_support::sh;
use nodeconsole::diag::{arp, ethtool, lldp, mtu};
use nodeconsole::net::link;
use nodeconsole::net::netns::NetnsThread;
use std::net::Ipv4Addr;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// `a` holds `an` (10.N.0.1/24), `b` holds `bn` (10.N.0.2/24), joined.
fn pair(
    tag: &str,
    an: &'static str,
    bn: &'static str,
    net: u8,
) -> Option<(NetnsThread, NetnsThread)> {
    let a = net_support::netns(&format!("{tag}-a"))?;
    let b = net_support::netns(&format!("{tag}-b"))?;
    a.run(move || link::create_veth(an, bn).unwrap());
    let b_fd = b.ns_fd().try_clone_to_owned().unwrap();
    a.run(move || {
        link::move_to_netns(bn, std::os::fd::AsFd::as_fd(&b_fd)).unwrap();
        link::add_ipv4(an, Ipv4Addr::new(10, net, 0, 1), 24).unwrap();
        link::set_up(an, true).unwrap();
    });
    b.run(move || {
        link::add_ipv4(bn, Ipv4Addr::new(10, net, 0, 2), 24).unwrap();
        link::set_up(bn, true).unwrap();
    });
    Some((a, b))
}

fn quick() -> mtu::MtuOptions {
    mtu::MtuOptions {
        // Only a lost probe waits this long.
        timeout: Duration::from_millis(400),
        tries: 2,
        resolve_timeout: Duration::from_secs(2),
        budget: Duration::from_secs(60),
    }
}

fn run_mtu(ns: &NetnsThread, target: &'static str) -> (mtu::MtuReport, Vec<String>) {
    ns.run(move || {
        let mut events = Vec::new();
        let r = mtu::path_mtu(target, &quick(), &AtomicBool::new(false), |e| {
            events.push(e.to_string())
        })
        .unwrap();
        (r, events)
    })
}

#[test]
fn path_mtu_through_a_router_with_a_smaller_next_hop() {
    // a (9000) -- r (9000 | 1400) -- c (1400): the router answers
    // "fragmentation needed, MTU 1400" for anything larger.
    let Some(a) = net_support::netns("mtu-r-a") else {
        return;
    };
    let Some(r) = net_support::netns("mtu-r-r") else {
        return;
    };
    let Some(c) = net_support::netns("mtu-r-c") else {
        return;
    };
    a.run(|| link::create_veth("ma0", "mr0").unwrap());
    r.run(|| link::create_veth("mr1", "mc0").unwrap());
    let r_fd = r.ns_fd().try_clone_to_owned().unwrap();
    a.run(move || link::move_to_netns("mr0", std::os::fd::AsFd::as_fd(&r_fd)).unwrap());
    let c_fd = c.ns_fd().try_clone_to_owned().unwrap();
    r.run(move || link::move_to_netns("mc0", std::os::fd::AsFd::as_fd(&c_fd)).unwrap());
    sh(
        &a,
        "ip link set ma0 mtu 9000 up && ip addr add 10.73.1.1/24 dev ma0 && \
         ip route add default via 10.73.1.254",
    );
    sh(
        &r,
        "ip link set mr0 mtu 9000 up && ip addr add 10.73.1.254/24 dev mr0 && \
         ip link set mr1 mtu 1400 up && ip addr add 10.73.2.254/24 dev mr1 && \
         echo 1 > /proc/sys/net/ipv4/ip_forward",
    );
    sh(
        &c,
        "ip link set mc0 mtu 1400 up && ip addr add 10.73.2.2/24 dev mc0 && \
         ip route add default via 10.73.2.254",
    );
    // Datagram ICMP socket in `a` (the console's preferred kind).
    a.run(|| std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647").unwrap());
    let (rep, events) = run_mtu(&a, "10.73.2.2");
    assert_eq!(rep.socket, nodeconsole::net::icmp::SocketKind::Datagram);
    assert_eq!(rep.egress.nic, "ma0");
    assert_eq!(rep.egress.mtu, 9000);
    assert_eq!(rep.largest, Some(1400), "{events:#?}");
    assert_eq!(
        rep.frag_needed(),
        Some((Ipv4Addr::new(10, 73, 1, 254), 1400)),
        "{events:#?}"
    );
    let lines = rep.lines();
    assert_eq!(
        lines[0],
        "largest packet that passes unfragmented: 1400 bytes (ICMP payload 1372)"
    );
    assert!(lines[1].contains("jumbo-frame mismatch"), "{lines:?}");
    assert!(lines[2].contains("router 10.73.1.254"), "{lines:?}");
    assert!(events[0].contains("via ma0 (MTU 9000)"), "{events:?}");
    // 1401 was tried and refused by the router: the answer is exact.
    assert!(rep
        .probes
        .iter()
        .any(|p| p.size == 1401 && matches!(p.outcome, mtu::Outcome::FragNeeded { .. })));
}

#[test]
fn path_mtu_black_hole_found_by_silence_with_raw_socket() {
    // a (1500) -- b: bridge br0 [p0 1500, p1 1400] -- c (1400): the bridge
    // drops larger frames without a word, like a switch port with a
    // smaller MTU.
    let Some(a) = net_support::netns("mtu-bh-a") else {
        return;
    };
    let Some(b) = net_support::netns("mtu-bh-b") else {
        return;
    };
    let Some(c) = net_support::netns("mtu-bh-c") else {
        return;
    };
    a.run(|| link::create_veth("mb0", "bp0").unwrap());
    b.run(|| link::create_veth("bp1", "mc1").unwrap());
    let b_fd = b.ns_fd().try_clone_to_owned().unwrap();
    a.run(move || link::move_to_netns("bp0", std::os::fd::AsFd::as_fd(&b_fd)).unwrap());
    let c_fd = c.ns_fd().try_clone_to_owned().unwrap();
    b.run(move || link::move_to_netns("mc1", std::os::fd::AsFd::as_fd(&c_fd)).unwrap());
    sh(&a, "ip link set mb0 up && ip addr add 10.74.0.1/24 dev mb0");
    sh(
        &b,
        "ip link add br0 type bridge && ip link set bp0 master br0 && \
         ip link set bp1 master br0 && ip link set bp1 mtu 1400 && \
         ip link set bp0 up && ip link set bp1 up && ip link set br0 up",
    );
    sh(
        &c,
        "ip link set mc1 mtu 1400 up && ip addr add 10.74.0.2/24 dev mc1",
    );
    // A fresh namespace's ping_group_range excludes everyone: raw socket.
    let (rep, events) = run_mtu(&a, "10.74.0.2");
    assert_eq!(rep.socket, nodeconsole::net::icmp::SocketKind::Raw);
    assert_eq!(rep.egress.mtu, 1500);
    // The bridge drops anything larger than its 1400 port: exact.
    assert_eq!(rep.largest, Some(1400), "{events:#?}");
    assert!(rep.frag_needed().is_none());
    let lines = rep.lines();
    assert!(lines[1].contains("a smaller MTU on the path"), "{lines:?}");
    assert!(
        lines[2].contains("drops them silently"),
        "{lines:?} {events:#?}"
    );
    assert!(rep
        .probes
        .iter()
        .any(|p| p.size == 1401 && matches!(p.outcome, mtu::Outcome::NoReply { .. })));
}

#[test]
fn path_mtu_peer_veth_with_a_smaller_mtu_refuses_at_send() {
    // a (1500) -- b (1400) directly: the veth drops the frame at once and
    // the socket hears of it (ENOBUFS), no waiting.
    let Some((a, b)) = pair("mtu-veth", "mv0", "mv1", 82) else {
        return;
    };
    sh(&b, "ip link set mv1 mtu 1400");
    let (rep, events) = run_mtu(&a, "10.82.0.2");
    assert_eq!(rep.largest, Some(1404), "{events:#?}");
    assert!(
        rep.lines()[2].contains("refused the frame"),
        "{:?}",
        rep.lines()
    );
}

#[test]
fn path_mtu_of_a_target_that_does_not_answer() {
    let Some((a, b)) = pair("mtu-silent", "ms0", "ms1", 75) else {
        return;
    };
    b.run(|| std::fs::write("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1").unwrap());
    let (rep, _) = run_mtu(&a, "10.75.0.2");
    assert_eq!(rep.largest, None);
    assert_eq!(rep.probes.len(), 1, "one small probe, then stop");
    assert!(
        rep.lines()[0].contains("does not answer ICMP echo"),
        "{:?}",
        rep.lines()
    );
    // No route at all is an error naming the target.
    let e = a
        .run(|| mtu::path_mtu("10.99.0.1", &quick(), &AtomicBool::new(false), |_| {}).unwrap_err());
    assert!(e.to_string().contains("10.99.0.1"), "{e}");
}

#[test]
fn path_mtu_cancel_stops_the_search() {
    let Some((a, b)) = pair("mtu-cancel", "mx0", "mx1", 76) else {
        return;
    };
    sh(&b, "ip link set mx1 mtu 1000");
    let rep = a.run(|| {
        let cancel = AtomicBool::new(false);
        let opts = mtu::MtuOptions {
            timeout: Duration::from_secs(20),
            ..quick()
        };
        mtu::path_mtu("10.76.0.2", &opts, &cancel, |e| {
            // Esc right after the first probe passed.
            if matches!(e, mtu::MtuEvent::Probe(_)) {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .unwrap()
    });
    assert!(rep.cancelled);
    assert_eq!(rep.largest, Some(mtu::SMALL));
    assert!(rep.lines()[0].contains("stopped"), "{:?}", rep.lines());
}

fn mac_of(ns: &NetnsThread, nic: &'static str) -> String {
    ns.run(move || link::get_link(nic).unwrap().mac.unwrap())
}

#[test]
fn arp_probe_finds_the_holder_and_a_free_address() {
    let Some((a, b)) = pair("arp", "aa0", "ab0", 77) else {
        return;
    };
    let peer = mac_of(&b, "ab0");
    let r = a.run(|| {
        arp::probe(
            "aa0",
            Ipv4Addr::new(10, 77, 0, 2),
            arp::ProbeTiming::default(),
            &AtomicBool::new(false),
        )
        .unwrap()
    });
    assert_eq!(
        r,
        arp::ProbeResult::InUse {
            ip: Ipv4Addr::new(10, 77, 0, 2),
            nic: "aa0".into(),
            mac: peer.clone(),
        }
    );
    assert!(r.to_string().contains(&peer));
    let free = a.run(|| {
        arp::probe(
            "aa0",
            Ipv4Addr::new(10, 77, 0, 9),
            arp::ProbeTiming::default(),
            &AtomicBool::new(false),
        )
        .unwrap()
    });
    assert!(matches!(free, arp::ProbeResult::Free { .. }), "{free}");
    // A down NIC and a missing one say so.
    a.run(|| link::set_up("aa0", false).unwrap());
    let down = a.run(|| {
        arp::probe(
            "aa0",
            Ipv4Addr::new(10, 77, 0, 2),
            Default::default(),
            &AtomicBool::new(false),
        )
        .unwrap_err()
    });
    assert_eq!(down, arp::ArpError::Down("aa0".into()));
    let none = a.run(|| {
        arp::probe(
            "nope0",
            Ipv4Addr::new(10, 77, 0, 2),
            Default::default(),
            &AtomicBool::new(false),
        )
        .unwrap_err()
    });
    assert_eq!(none, arp::ArpError::NoSuchNic("nope0".into()));
}

#[test]
fn ethtool_answers_of_a_veth_and_no_blink() {
    let Some((a, _b)) = pair("ethtool", "ea0", "eb0", 78) else {
        return;
    };
    let info = a.run(|| ethtool::link_info("ea0").unwrap());
    assert_eq!(info.driver.as_deref(), Some("veth"));
    assert_eq!(info.speed_mbps, Some(10000));
    assert_eq!(info.duplex, Some(ethtool::Duplex::Full));
    assert_eq!(info.link_detected, Some(true));
    assert!(
        info.lines()[0].contains("10 Gb/s full duplex"),
        "{:?}",
        info.lines()
    );
    // Carrier follows the peer.
    let b_down = a.run(|| ethtool::link_info("ea0").unwrap());
    assert_eq!(b_down.link_detected, Some(true));
    let e = a.run(|| ethtool::identify("ea0", 3, &AtomicBool::new(false), |_| {}).unwrap_err());
    assert_eq!(
        e.to_string(),
        "the driver of ea0 (veth) cannot blink its LED"
    );
    let e = a.run(|| ethtool::link_info("nope0").unwrap_err());
    assert_eq!(e, ethtool::EthtoolError::NoSuchNic("nope0".into()));
}

#[test]
fn ethtool_sees_no_carrier_when_the_peer_is_down() {
    let Some((a, b)) = pair("ethtool-nc", "en0", "en1", 79) else {
        return;
    };
    b.run(|| link::set_up("en1", false).unwrap());
    let info = a.run(|| ethtool::link_info("en0").unwrap());
    assert_eq!(info.link_detected, Some(false));
    assert!(info.lines()[1].contains("no link"), "{:?}", info.lines());
}

/// An LLDP frame as a switch sends it, built here independently of the
/// parser: TLV header = 7-bit type, 9-bit length.
fn lldp_frame(src: [u8; 6]) -> Vec<u8> {
    fn tlv(f: &mut Vec<u8>, ty: u8, v: &[u8]) {
        f.push((ty << 1) | ((v.len() >> 8) as u8));
        f.push(v.len() as u8);
        f.extend_from_slice(v);
    }
    let mut f = vec![0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x88, 0xcc]);
    tlv(&mut f, 1, &[4, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
    tlv(&mut f, 2, b"\x05xe-0/0/7");
    tlv(&mut f, 3, &[0, 120]);
    tlv(&mut f, 4, b"node-17 storage");
    tlv(&mut f, 5, b"leaf-3.dc1");
    tlv(&mut f, 8, &[5, 1, 10, 80, 0, 250, 2, 0, 0, 0, 7, 0]);
    tlv(&mut f, 127, &[0x00, 0x80, 0xc2, 1, 0x00, 42]);
    tlv(&mut f, 0, &[]);
    f
}

/// Sends `frames` in turn on `nic`, one every 100 ms, until `stop`
/// (AF_PACKET, raw: the test writes the whole Ethernet frame).
fn send_frames(nic: &'static str, frames: Vec<Vec<u8>>, stop: std::sync::Arc<AtomicBool>) {
    use std::sync::atomic::Ordering;
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
    assert!(
        fd >= 0,
        "packet socket: {}",
        std::io::Error::last_os_error()
    );
    let name = std::ffi::CString::new(nic).unwrap();
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    assert!(index > 0);
    let mut sa: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sa.sll_family = libc::AF_PACKET as u16;
    sa.sll_ifindex = index as i32;
    sa.sll_halen = 6;
    sa.sll_addr[..6].copy_from_slice(&frames[0][..6]);
    for frame in frames.iter().cycle() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let r = unsafe {
            libc::sendto(
                fd,
                frame.as_ptr().cast(),
                frame.len(),
                0,
                (&sa as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        assert!(r > 0, "send: {}", std::io::Error::last_os_error());
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe { libc::close(fd) };
}

#[test]
fn lldp_neighbour_heard_from_the_peer() {
    let Some((a, b)) = pair("lldp", "la0", "lb0", 80) else {
        return;
    };
    let src = [0x02, 0x11, 0x22, 0x33, 0x44, 0x66];
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    // A frame the parser must skip first (truncated TLV), then good ones.
    let mut bad = lldp_frame(src);
    bad.truncate(20);
    let good = lldp_frame(src);
    b.spawn(move || send_frames("lb0", vec![bad, good], s2))
        .unwrap();
    let mut ticks = Vec::new();
    let heard = a.run(move || {
        let r = lldp::listen(
            "la0",
            Duration::from_secs(20),
            &AtomicBool::new(false),
            |left| ticks.push(left),
        );
        (r, ticks)
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (r, ticks) = heard;
    let lldp::Heard::Neighbour { from, neighbour } = r.unwrap() else {
        panic!("no neighbour heard");
    };
    assert_eq!(from, "02:11:22:33:44:66");
    assert_eq!(neighbour.system_name.as_deref(), Some("leaf-3.dc1"));
    assert_eq!(neighbour.chassis_id, "02:11:22:33:44:55");
    assert_eq!(neighbour.port_id, "xe-0/0/7");
    assert_eq!(
        neighbour.port_description.as_deref(),
        Some("node-17 storage")
    );
    assert_eq!(neighbour.port_vlan, Some(42));
    assert_eq!(
        neighbour.management_address,
        Some(std::net::IpAddr::V4(Ipv4Addr::new(10, 80, 0, 250)))
    );
    assert_eq!(
        ticks.first(),
        Some(&20),
        "countdown starts at the full time"
    );
}

#[test]
fn lldp_silence_and_cancel() {
    let Some((a, _b)) = pair("lldp-quiet", "lq0", "lq1", 81) else {
        return;
    };
    let r = a.run(|| {
        lldp::listen(
            "lq0",
            Duration::from_millis(600),
            &AtomicBool::new(false),
            |_| {},
        )
    });
    assert!(matches!(r, Ok(lldp::Heard::Silent { .. })), "{r:?}");
    let r = a.run(|| {
        lldp::listen(
            "lq0",
            Duration::from_secs(30),
            &AtomicBool::new(true),
            |_| {},
        )
    });
    assert_eq!(r, Ok(lldp::Heard::Stopped));
}

#[test]
fn configure_networks_refuses_an_address_another_host_holds() {
    // What Configure Networks runs before it applies an address.
    let Some((a, b)) = pair("arp-cfg", "ca0", "cb0", 83) else {
        return;
    };
    let peer = mac_of(&b, "cb0");
    let before = a.run(|| link::ipv4_snapshot("ca0").unwrap());
    let e = a
        .run(|| nodeconsole::net::ops::ensure_address_free("ca0", Ipv4Addr::new(10, 83, 0, 2)))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "10.83.0.2 is already in use by {peer} (it answered the ARP probe on ca0): nothing \
             was changed; choose another address or find that host"
        )
    );
    assert_eq!(a.run(|| link::ipv4_snapshot("ca0").unwrap()), before);
    // The NIC's own address is not probed; a free one passes.
    for ip in [Ipv4Addr::new(10, 83, 0, 1), Ipv4Addr::new(10, 83, 0, 7)] {
        let r = a.run(move || nodeconsole::net::ops::ensure_address_free("ca0", ip));
        assert!(matches!(r, Ok(None)), "{ip}: {r:?}");
    }
}
