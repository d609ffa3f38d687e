//! Confirm-or-revert: the pure state machine with an injected clock, and the
//! watchdog reverting a real IPv4 change inside a private network namespace.

mod net_support;

use nodeconsole::net::link;
use nodeconsole::net::rollback::{Decision, Guard, Outcome, PendingChange, RevertReason};
use nodeconsole::net::validate::validate_ipv4_config;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

#[test]
fn guard_keeps_when_confirmed_in_time() {
    let t0 = Instant::now();
    let mut g = Guard::new(t0, Duration::from_secs(60));
    assert_eq!(
        g.remaining(t0 + Duration::from_secs(15)),
        Duration::from_secs(45)
    );
    assert_eq!(g.tick(t0 + Duration::from_secs(59)), None);
    assert_eq!(g.confirm(t0 + Duration::from_secs(59)), Decision::Keep);
    // Decided once: later ticks and answers change nothing.
    assert_eq!(g.tick(t0 + Duration::from_secs(120)), Some(Decision::Keep));
    assert_eq!(g.decline(), Decision::Keep);
}

#[test]
fn guard_reverts_on_timeout_decline_and_late_confirm() {
    let t0 = Instant::now();
    let mut g = Guard::new(t0, Duration::from_secs(60));
    assert_eq!(
        g.tick(t0 + Duration::from_secs(60)),
        Some(Decision::Revert(RevertReason::Timeout))
    );
    assert_eq!(
        g.confirm(t0 + Duration::from_secs(61)),
        Decision::Revert(RevertReason::Timeout)
    );
    assert_eq!(g.remaining(t0 + Duration::from_secs(61)), Duration::ZERO);

    let mut g = Guard::new(t0, Duration::from_secs(60));
    assert_eq!(g.decline(), Decision::Revert(RevertReason::Declined));

    // A confirmation arriving exactly at the deadline is too late.
    let mut g = Guard::new(t0, Duration::from_secs(60));
    assert_eq!(
        g.confirm(t0 + Duration::from_secs(60)),
        Decision::Revert(RevertReason::Timeout)
    );
}

#[test]
fn watchdog_outcomes_without_network() {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    let reverts = Arc::new(AtomicU32::new(0));
    let counter = |r: &Arc<AtomicU32>| {
        let r = r.clone();
        Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    };
    let p = PendingChange::start(Duration::from_secs(600), counter(&reverts));
    assert_eq!(p.keep(), Outcome::Kept);
    assert_eq!(reverts.load(Ordering::SeqCst), 0);
    let p = PendingChange::start(Duration::from_secs(600), counter(&reverts));
    assert_eq!(p.revert(), Outcome::Reverted(RevertReason::Declined));
    assert_eq!(reverts.load(Ordering::SeqCst), 1);
    // Dropped without an answer: reverted, never silently kept.
    drop(PendingChange::start(
        Duration::from_secs(600),
        counter(&reverts),
    ));
    assert_eq!(reverts.load(Ordering::SeqCst), 2);
    let p = PendingChange::start(
        Duration::from_millis(10),
        Box::new(|| Err("netlink said no".into())),
    );
    let o = p.wait();
    assert_eq!(
        o,
        Outcome::RevertFailed {
            reason: RevertReason::Timeout,
            error: "netlink said no".into()
        }
    );
    assert!(o.to_string().contains("FAILED"));
}

#[test]
fn unconfirmed_ipv4_change_is_reverted() {
    let Some(ns) = net_support::netns("rollback") else {
        return;
    };
    let outcome = ns.run(|| {
        link::create_veth("vr0", "vs0").unwrap();
        link::set_up("vr0", true).unwrap();
        link::set_up("vs0", true).unwrap();
        link::add_ipv4("vr0", Ipv4Addr::new(10, 44, 0, 2), 24).unwrap();
        let old = validate_ipv4_config("10.44.0.2", "24", "10.44.0.1").unwrap();
        link::apply_ipv4("vr0", &old).unwrap();
        let before = link::ipv4_snapshot("vr0").unwrap();

        let new = validate_ipv4_config("192.168.77.5", "255.255.255.0", "192.168.77.1").unwrap();
        let prev = link::apply_ipv4("vr0", &new).unwrap();
        assert_eq!(prev, before);
        assert_eq!(
            link::ipv4_snapshot("vr0").unwrap().addrs,
            vec![(Ipv4Addr::new(192, 168, 77, 5), 24)]
        );
        // The watchdog thread is spawned from this namespace thread, so its
        // revert runs in the namespace too.
        let pending = PendingChange::start(
            Duration::from_millis(200),
            Box::new(move || link::restore_ipv4(&prev).map_err(|e| e.to_string())),
        );
        let outcome = pending.wait();
        assert_eq!(
            link::ipv4_snapshot("vr0").unwrap(),
            before,
            "previous addresses back"
        );
        outcome
    });
    assert_eq!(outcome, Outcome::Reverted(RevertReason::Timeout));
    let route = net_support::sh(&ns, "ip -4 route show default");
    assert!(route.contains("via 10.44.0.1 dev vr0"), "{route}");
}

#[test]
fn confirmed_ipv4_change_is_kept() {
    let Some(ns) = net_support::netns("rollback-keep") else {
        return;
    };
    ns.run(|| {
        link::create_veth("vt0", "vu0").unwrap();
        link::set_up("vt0", true).unwrap();
        link::set_up("vu0", true).unwrap();
        let new = validate_ipv4_config("192.168.78.5", "24", "192.168.78.1").unwrap();
        let prev = link::apply_ipv4("vt0", &new).unwrap();
        let pending = PendingChange::start(
            Duration::from_secs(600),
            Box::new(move || link::restore_ipv4(&prev).map_err(|e| e.to_string())),
        );
        assert!(!pending.is_finished());
        assert_eq!(pending.keep(), Outcome::Kept);
        assert_eq!(
            link::ipv4_snapshot("vt0").unwrap().addrs,
            vec![(Ipv4Addr::new(192, 168, 78, 5), 24)]
        );
    });
}
