//! The --demo network: private namespaces with eth0–eth3, a switch bridge
//! and a gateway that answers ping; the host's links are untouched.

mod net_support;

use nodeconsole::net::backend::{NetBackend, NicId};
use nodeconsole::net::demo::{DemoNet, DEMO_ETH0, DEMO_GATEWAY, DEMO_NICS};
use nodeconsole::net::link;
use nodeconsole::net::ops;
use nodeconsole::net::ping::{self, PingOptions};
use nodeconsole::net::validate::validate_ipv4_config;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

#[test]
fn demo_network_is_private_and_usable() {
    let host_before = match link::list_links() {
        Ok(l) => l,
        Err(e) => return net_support::skip(&format!("netlink: {e}")),
    };
    let demo = match DemoNet::create() {
        Ok(d) => d,
        Err(e) => return net_support::skip(&e.to_string()),
    };
    let names: Vec<String> = demo.run(|| {
        link::list_links()
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect()
    });
    for n in DEMO_NICS {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    let snap = demo.run(|| link::ipv4_snapshot("eth0").unwrap());
    assert_eq!(snap.addrs, vec![(DEMO_ETH0, 24)]);
    assert_eq!(snap.gateway(), Some(DEMO_GATEWAY));

    // Test Network in the demo: the gateway answers.
    let summary = demo
        .spawn_thread(|| {
            let opts = PingOptions {
                count: 2,
                interval: Duration::from_millis(50),
                ..PingOptions::default()
            };
            ping::ping("192.168.100.1", &opts, &AtomicBool::new(false), |_| {}).unwrap()
        })
        .join()
        .unwrap();
    assert_eq!(summary.received, 2, "{summary}");

    // Operations act on the demo NICs and persist below the demo root.
    let root = demo.root().to_path_buf();
    assert!(root
        .join("etc/sysconfig/network-scripts/ifcfg-eth0")
        .exists());
    let backend: std::sync::Arc<dyn NetBackend> = demo.backend().into();
    let b = backend.clone();
    demo.run(move || {
        let eth3 = NicId::from(&probe_nic("eth3"));
        ops::rename_nic(b.as_ref(), &eth3, "storage0").unwrap();
        let cfg = validate_ipv4_config("192.168.100.20", "24", "192.168.100.1").unwrap();
        ops::configure_ipv4(b.as_ref(), &NicId::new("eth1", None), &cfg).unwrap();
    });
    let f =
        std::fs::read_to_string(root.join("etc/sysconfig/network-scripts/ifcfg-storage0")).unwrap();
    assert!(f.contains("DEVICE=storage0"), "{f}");
    let f = std::fs::read_to_string(root.join("etc/sysconfig/network-scripts/ifcfg-eth1")).unwrap();
    assert!(f.contains("IPADDR=192.168.100.20"), "{f}");
    // The host saw none of it: no demo link appeared there, and the host's
    // own links kept their names.
    let host_after = link::list_links().unwrap();
    for demo_only in ["storage0", "sw0", "p0", "p1", "p2", "p3"] {
        assert!(
            host_after.iter().all(|l| l.name != demo_only)
                || host_before.iter().any(|l| l.name == demo_only),
            "{demo_only} leaked to the host"
        );
    }
    for l in &host_before {
        if let Some(now) = host_after.iter().find(|x| x.index == l.index) {
            assert_eq!(now.name, l.name, "host link renamed");
        }
    }
    drop(demo);
    assert!(!root.exists(), "demo root removed");
}

/// A probe-style Nic for a demo link (what the NIC collector would report).
fn probe_nic(name: &str) -> nodeconsole::probe::Nic {
    let l = link::get_link(name).unwrap();
    nodeconsole::probe::Nic {
        index: l.index,
        name: l.name,
        kind: nodeconsole::probe::NicKind::Veth,
        up: l.admin_up,
        operstate: String::new(),
        mac: l.mac,
        mtu: 1500,
        ipv4: vec![],
        ipv6: vec![],
        master: None,
        speed_mbps: None,
        driver: None,
        is_mn: false,
        default_route: false,
        gateway: None,
    }
}
