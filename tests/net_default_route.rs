//! Issue #13's defect as regression tests, in private network namespaces:
//! Configure Networks on a NIC that does not carry the default route must
//! not touch the default route via another NIC unless the operator chose to
//! move it there; when moved, the change is guarded and an unconfirmed one
//! puts the old default route back. Persisted with the ifcfg backend into
//! a temp root.

mod net_support;

use nodeconsole::net::backend::ifcfg::Ifcfg;
use nodeconsole::net::backend::{NetBackend, NicId};
use nodeconsole::net::link;
use nodeconsole::net::netns::NetnsThread;
use nodeconsole::net::ops;
use nodeconsole::net::rollback::{Outcome, PendingChange, RevertReason};
use nodeconsole::net::validate::{validate_ipv4_config, validate_ipv4_form};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const SCRIPTS: &str = "etc/sysconfig/network-scripts";
const ETH1_BEFORE: &str = "DEVICE=eth1\nONBOOT=yes\nBOOTPROTO=dhcp\n";

/// The demo's shape: eth0 carries the default route (via 10.0.2.2) and a
/// static route through it; eth1 is a second NIC without a gateway.
fn node(name: &str) -> Option<(NetnsThread, tempfile::TempDir, PathBuf)> {
    let ns = net_support::netns(name)?;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    std::fs::create_dir_all(root.join(SCRIPTS)).unwrap();
    std::fs::write(root.join(SCRIPTS).join("ifcfg-eth1"), ETH1_BEFORE).unwrap();
    ns.run(|| {
        for (a, b) in [("eth0", "p0"), ("eth1", "p1")] {
            link::create_veth(a, b).unwrap();
            link::set_up(a, true).unwrap();
            link::set_up(b, true).unwrap();
        }
        let c = validate_ipv4_config("10.0.2.15", "24", "10.0.2.2").unwrap();
        link::apply_ipv4("eth0", &c).unwrap();
        link::add_ipv4("eth1", std::net::Ipv4Addr::new(10, 0, 0, 9), 24).unwrap();
    });
    net_support::sh(&ns, "ip route add 10.30.0.0/16 via 10.0.2.3 dev eth0");
    Some((ns, tmp, root))
}

fn routes(ns: &NetnsThread) -> (String, String) {
    (
        net_support::sh(ns, "ip -4 route show default"),
        net_support::sh(ns, "ip -4 route show 10.30.0.0/16"),
    )
}

fn assert_eth0_routes_intact(ns: &NetnsThread, when: &str) {
    let (default, other) = routes(ns);
    assert_eq!(
        default.trim().replace(" proto static", ""),
        "default via 10.0.2.2 dev eth0",
        "{when}: the default route via eth0 is exactly as before (and the only one)"
    );
    assert!(
        other.contains("10.30.0.0/16 via 10.0.2.3 dev eth0"),
        "{when}: the static route through eth0 is untouched: {other}"
    );
}

#[test]
fn gateway_for_its_subnet_only_leaves_the_default_route_alone() {
    let Some((ns, _tmp, root)) = node("defroute-kept") else {
        return;
    };
    let r2 = root.clone();
    let changed = ns.run(move || {
        let backend = Ifcfg::new(&r2);
        let cfg = validate_ipv4_form("10.0.0.5", "255.255.255.0", "10.0.0.1", false).unwrap();
        assert!(!cfg.default_route);
        let applied = ops::configure_ipv4(&backend, &NicId::new("eth1", None), &cfg).unwrap();
        assert_eq!(
            link::ipv4_snapshot("eth1").unwrap().addrs,
            vec![(std::net::Ipv4Addr::new(10, 0, 0, 5), 24)]
        );
        applied.default_routes_changed(&cfg)
    });
    assert!(!changed, "no default route changed: no keep window needed");
    assert_eth0_routes_intact(&ns, "after applying");
    let file = std::fs::read_to_string(root.join(SCRIPTS).join("ifcfg-eth1")).unwrap();
    assert!(
        file.contains("GATEWAY=10.0.0.1\n") && file.contains("DEFROUTE=no\n"),
        "{file}"
    );
}

#[test]
fn moving_the_default_gateway_is_guarded_and_reverted_when_not_kept() {
    let Some((ns, _tmp, root)) = node("defroute-moved") else {
        return;
    };
    let r2 = root.clone();
    let (outcome, moved) = ns.run(move || {
        let backend: Arc<dyn NetBackend> = Arc::new(Ifcfg::new(&r2));
        let cfg = validate_ipv4_form("10.0.0.5", "24", "10.0.0.1", false)
            .unwrap()
            .with_default_route(true);
        let applied =
            ops::configure_ipv4(backend.as_ref(), &NicId::new("eth1", None), &cfg).unwrap();
        assert!(applied.default_routes_changed(&cfg), "guarded");
        let moved = routes_here();
        let b = backend.clone();
        let pending = PendingChange::start(
            Duration::from_millis(300),
            Box::new(move || ops::revert(b.as_ref(), &applied)),
        );
        (pending.wait(), moved)
    });
    assert_eq!(
        moved.trim().replace(" proto static", ""),
        "default via 10.0.0.1 dev eth1",
        "the operator chose to move the default gateway"
    );
    assert_eq!(outcome, Outcome::Reverted(RevertReason::Timeout));
    assert_eth0_routes_intact(&ns, "after the revert");
    let eth1 = ns.run(|| link::ipv4_snapshot("eth1").unwrap());
    assert_eq!(eth1.addrs, vec![(std::net::Ipv4Addr::new(10, 0, 0, 9), 24)]);
    assert_eq!(
        std::fs::read_to_string(root.join(SCRIPTS).join("ifcfg-eth1")).unwrap(),
        ETH1_BEFORE,
        "the persisted file is back too"
    );
}

/// `ip -4 route show default` from the calling (namespace) thread.
fn routes_here() -> String {
    let out = std::process::Command::new("ip")
        .args(["-4", "route", "show", "default"])
        .output()
        .expect("run ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
