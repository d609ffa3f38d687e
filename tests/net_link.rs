//! Run-time link operations (rename, IPv4 address/netmask/gateway) against
//! the real kernel, inside network namespaces these tests create; nothing
//! reaches the host's links.

mod net_support;

use nodeconsole::net::link::{self, LinkError};
use nodeconsole::net::validate::{validate_ipv4_config, NameError};
use std::net::Ipv4Addr;

fn veth_pair(ns: &nodeconsole::net::netns::NetnsThread, a: &'static str, b: &'static str) {
    ns.run(move || {
        link::create_veth(a, b).unwrap();
        link::set_up(a, true).unwrap();
        link::set_up(b, true).unwrap();
    });
}

#[test]
fn rename_up_link_keeps_it_up() {
    let Some(ns) = net_support::netns("rename-up") else {
        return;
    };
    veth_pair(&ns, "va0", "vb0");
    ns.run(|| {
        let before = link::get_link("va0").unwrap();
        assert!(before.admin_up);
        link::rename_link("va0", "mgmt0").unwrap();
        let after = link::get_link("mgmt0").unwrap();
        assert_eq!(after.index, before.index);
        assert_eq!(after.mac, before.mac);
        assert!(after.admin_up, "an UP link is up again after the rename");
        assert!(matches!(link::get_link("va0"), Err(LinkError::NotFound(_))));
    });
    // Second opinion from iproute2.
    let out = net_support::sh(&ns, "ip -o link show mgmt0");
    assert!(out.contains("mgmt0") && out.contains("UP"), "{out}");
}

#[test]
fn rename_down_link_stays_down() {
    let Some(ns) = net_support::netns("rename-down") else {
        return;
    };
    ns.run(|| {
        link::create_veth("vc0", "vd0").unwrap();
        link::rename_link("vc0", "data.1").unwrap();
        assert!(!link::get_link("data.1").unwrap().admin_up);
    });
}

#[test]
fn rename_refusals_change_nothing() {
    let Some(ns) = net_support::netns("rename-bad") else {
        return;
    };
    veth_pair(&ns, "ve0", "vf0");
    ns.run(|| {
        let before = link::list_links().unwrap();
        assert!(matches!(
            link::rename_link("ve0", "bad/name"),
            Err(LinkError::Name(NameError::BadChar { ch: '/' }))
        ));
        assert!(matches!(
            link::rename_link("ve0", "waytoolongname16"),
            Err(LinkError::Name(NameError::TooLong { len: 16 }))
        ));
        assert!(matches!(
            link::rename_link("ve0", ".."),
            Err(LinkError::Name(NameError::Reserved(_)))
        ));
        let e = link::rename_link("ve0", "vf0").unwrap_err();
        assert!(matches!(e, LinkError::Name(NameError::Taken(ref n)) if n == "vf0"));
        assert!(e.to_string().contains("already exists"), "{e}");
        assert!(matches!(
            link::rename_link("nosuch0", "x0"),
            Err(LinkError::NotFound(_))
        ));
        assert_eq!(link::list_links().unwrap(), before, "nothing changed");
    });
}

#[test]
fn ipv4_apply_read_back_and_restore() {
    let Some(ns) = net_support::netns("ipv4") else {
        return;
    };
    veth_pair(&ns, "vg0", "vh0");
    ns.run(|| {
        link::add_ipv4("vg0", Ipv4Addr::new(10, 9, 0, 2), 24).unwrap();
        let old = validate_ipv4_config("10.9.0.2", "/24", "10.9.0.1").unwrap();
        link::apply_ipv4("vg0", &old).unwrap();
    });
    let initial = ns.run(|| link::ipv4_snapshot("vg0").unwrap());
    assert_eq!(initial.addrs, vec![(Ipv4Addr::new(10, 9, 0, 2), 24)]);
    assert_eq!(initial.gateway(), Some(Ipv4Addr::new(10, 9, 0, 1)));

    let cfg = validate_ipv4_config("172.20.5.10", "255.255.0.0", "172.20.0.1").unwrap();
    let prev = ns.run(move || link::apply_ipv4("vg0", &cfg).unwrap());
    assert_eq!(prev, initial, "apply returns the state it replaced");
    let now = ns.run(|| link::ipv4_snapshot("vg0").unwrap());
    assert_eq!(now.addrs, vec![(Ipv4Addr::new(172, 20, 5, 10), 16)]);
    assert_eq!(now.gateway(), Some(Ipv4Addr::new(172, 20, 0, 1)));
    assert_eq!(now.default_routes.len(), 1);
    let addr = net_support::sh(&ns, "ip -o -4 addr show dev vg0");
    assert!(
        addr.contains("172.20.5.10/16") && !addr.contains("10.9.0.2"),
        "{addr}"
    );
    let route = net_support::sh(&ns, "ip -4 route show default");
    assert!(route.contains("via 172.20.0.1 dev vg0"), "{route}");

    ns.run(move || link::restore_ipv4(&prev).unwrap());
    let back = ns.run(|| link::ipv4_snapshot("vg0").unwrap());
    assert_eq!(back, initial);
    let route = net_support::sh(&ns, "ip -4 route show default");
    assert!(route.contains("via 10.9.0.1 dev vg0"), "{route}");
}

#[test]
fn ipv4_apply_failure_restores_previous_state() {
    let Some(ns) = net_support::netns("ipv4-fail") else {
        return;
    };
    ns.run(|| {
        link::create_veth("vi0", "vj0").unwrap();
        link::add_ipv4("vi0", Ipv4Addr::new(10, 8, 0, 2), 24).unwrap();
        // Down: the new address goes on, but no route via the gateway can
        // be added, so the apply must fail half way and undo itself.
        let before = link::ipv4_snapshot("vi0").unwrap();
        let cfg = validate_ipv4_config("10.7.0.2", "24", "10.7.0.1").unwrap();
        let e = link::apply_ipv4("vi0", &cfg).unwrap_err();
        assert!(matches!(e, LinkError::RolledBack { .. }), "{e}");
        assert!(e.to_string().contains("previous state was restored"), "{e}");
        assert_eq!(link::ipv4_snapshot("vi0").unwrap(), before);
    });
}

#[test]
fn bond_creation_reports_missing_kernel_support() {
    // This kernel has no bonding module, so the run-time path can only be
    // checked for its refusal; bond configuration generation is covered by
    // the backend golden-file tests (net_backend_*.rs).
    let Some(ns) = net_support::netns("bond") else {
        return;
    };
    ns.run(|| {
        link::create_veth("vk0", "vl0").unwrap();
        let cfg = nodeconsole::net::validate::BondConfig {
            name: "bond0".into(),
            mode: nodeconsole::net::validate::BondMode::ActiveBackup,
            slaves: vec!["vk0".into()],
            miimon_ms: 100,
        };
        match link::create_bond(&cfg) {
            Err(LinkError::Unsupported("bonding")) => {
                eprintln!("NOTE: this kernel has no bonding module; run-time bond creation refused as expected");
                assert!(matches!(link::get_link("bond0"), Err(LinkError::NotFound(_))));
            }
            Ok(()) => {
                // A kernel with bonding: the bond exists and holds the slave.
                let b = link::get_link("bond0").unwrap();
                assert_eq!(link::get_link("vk0").unwrap().master, Some(b.index));
            }
            Err(e) => panic!("unexpected bond error: {e}"),
        }
    });
}
