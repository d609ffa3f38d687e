//! The --demo network: private namespaces with eth0–eth3, a switch bridge
//! and a gateway that answers ping; the host's links are untouched.

mod net_support;

use nodeconsole::net::demo::{DemoNet, DEMO_ETH0, DEMO_GATEWAY, DEMO_NICS};
use nodeconsole::net::link;
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

    // Operations act on the demo NICs.
    demo.run(|| {
        link::rename_link("eth3", "storage0").unwrap();
        let cfg = validate_ipv4_config("192.168.100.20", "24", "192.168.100.1").unwrap();
        link::apply_ipv4("eth1", &cfg).unwrap();
    });
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
}
