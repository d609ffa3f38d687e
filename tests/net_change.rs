//! The computed change of Configure Networks and its guard decision (pure;
//! issue #13): only a change of a default route, of the management NIC or
//! of a NIC beneath it, or of the NIC the default route runs through, opens
//! the keep window; and the run-time plan touches only routes through the
//! configured link unless the default gateway is moved.

use nodeconsole::net::change::{ipv4_change, GuardReason};
use nodeconsole::net::link::{plan_ipv4, DefaultRoute, Ipv4Snapshot};
use nodeconsole::net::validate::{validate_ipv4_config, validate_ipv4_form};
use nodeconsole::probe::Nic;
use std::net::Ipv4Addr;

fn nics() -> Vec<Nic> {
    nodeconsole::testdata::nics().nics
}

fn find(n: &[Nic], name: &str) -> Nic {
    n.iter().find(|x| x.name == name).unwrap().clone()
}

#[test]
fn subnet_gateway_on_another_nic_is_unguarded() {
    let all = nics();
    let cfg = validate_ipv4_form("10.20.0.23", "16", "10.20.0.1", false).unwrap();
    let c = ipv4_change(&all, &find(&all, "bond0"), &cfg);
    assert_eq!(c.before.default_routes, c.after.default_routes);
    assert_eq!(c.guard, None);
}

#[test]
fn default_gateway_moved_is_guarded() {
    let all = nics();
    let cfg = validate_ipv4_form("10.20.0.23", "16", "10.20.0.1", false)
        .unwrap()
        .with_default_route(true);
    let c = ipv4_change(&all, &find(&all, "bond0"), &cfg);
    assert_eq!(
        c.after.default_routes,
        vec![("bond0".to_string(), Some(Ipv4Addr::new(10, 20, 0, 1)))]
    );
    assert_eq!(c.guard, Some(GuardReason::DefaultRoute));
}

#[test]
fn management_nic_is_guarded_even_with_the_same_gateway() {
    let all = nics();
    let cfg = validate_ipv4_config("192.168.10.30", "24", "192.168.10.1").unwrap();
    let c = ipv4_change(&all, &find(&all, "eth0"), &cfg);
    assert_eq!(c.guard, Some(GuardReason::Management));
    assert_eq!(c.after.management, Some(Ipv4Addr::new(192, 168, 10, 30)));
}

#[test]
fn nic_beneath_the_management_nic_is_guarded() {
    let mut all = nics();
    for n in all.iter_mut() {
        n.is_mn = n.name == "bond0";
        n.default_route = false;
    }
    let cfg = validate_ipv4_form("10.9.0.2", "24", "", false).unwrap();
    let c = ipv4_change(&all, &find(&all, "eth1"), &cfg);
    assert_eq!(c.guard, Some(GuardReason::BelowManagement("bond0".into())));
}

fn snap() -> Ipv4Snapshot {
    Ipv4Snapshot {
        link: "eth1".into(),
        ifindex: 3,
        addrs: vec![(Ipv4Addr::new(10, 0, 0, 9), 24)],
        default_routes: vec![DefaultRoute {
            gateway: Ipv4Addr::new(10, 0, 2, 2),
            ifindex: 2,
            metric: Some(100),
        }],
    }
}

#[test]
fn plan_keeps_default_routes_via_other_links() {
    let cfg = validate_ipv4_form("10.0.0.5", "24", "10.0.0.1", false).unwrap();
    let t = plan_ipv4(&snap(), &cfg);
    assert_eq!(t.default_routes, snap().default_routes);
    assert_eq!(t.addrs, vec![(Ipv4Addr::new(10, 0, 0, 5), 24)]);
}

#[test]
fn plan_moves_the_default_route_only_when_asked() {
    let cfg = validate_ipv4_form("10.0.0.5", "24", "10.0.0.1", false)
        .unwrap()
        .with_default_route(true);
    let t = plan_ipv4(&snap(), &cfg);
    assert_eq!(
        t.default_routes,
        vec![DefaultRoute {
            gateway: Ipv4Addr::new(10, 0, 0, 1),
            ifindex: 3,
            metric: Some(100),
        }]
    );
}
