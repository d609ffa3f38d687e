//! The operations as the console runs them (run-time change + persistence +
//! confirm-or-revert), inside private network namespaces, persisting with
//! the ifcfg backend into a temp root.

mod net_support;

use nodeconsole::net::backend::ifcfg::Ifcfg;
use nodeconsole::net::backend::{NetBackend, NicId};
use nodeconsole::net::link;
use nodeconsole::net::ops::{self, OpError};
use nodeconsole::net::rollback::{Outcome, PendingChange, RevertReason};
use nodeconsole::net::validate::validate_ipv4_config;
use nodeconsole::probe::{Nic, NicKind};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

const SCRIPTS: &str = "etc/sysconfig/network-scripts";

#[test]
fn rename_nic_runtime_and_persisted() {
    let Some(ns) = net_support::netns("ops-rename") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    std::fs::create_dir_all(root.join(SCRIPTS)).unwrap();
    let (mac, undo) = ns.run(move || {
        link::create_veth("on0", "on1").unwrap();
        link::set_up("on0", true).unwrap();
        let mac = link::get_link("on0").unwrap().mac.unwrap();
        std::fs::write(
            root.join(SCRIPTS).join("ifcfg-on0"),
            format!("DEVICE=on0\nNAME=on0\nHWADDR={mac}\nONBOOT=yes\nBOOTPROTO=dhcp\n"),
        )
        .unwrap();
        let b = Ifcfg::new(&root);
        let undo = ops::rename_nic(&b, &NicId::new("on0", Some(&mac)), "lan5").unwrap();
        let l = link::get_link("lan5").unwrap();
        assert!(l.admin_up);
        (mac, undo)
    });
    let scripts = tmp.path().join(SCRIPTS);
    let f = std::fs::read_to_string(scripts.join("ifcfg-lan5")).unwrap();
    assert!(
        f.contains("DEVICE=lan5") && f.contains(&format!("HWADDR={mac}")),
        "{f}"
    );
    assert!(!scripts.join("ifcfg-on0").exists());
    assert!(
        scripts.join("ifcfg-on0.bak").exists(),
        "replaced file kept as backup"
    );
    let lf = std::fs::read_to_string(
        tmp.path()
            .join("etc/systemd/network/10-nodeconsole-lan5.link"),
    )
    .unwrap();
    assert!(lf.contains(&format!("MACAddress={mac}")) && lf.contains("Name=lan5"));
    Ifcfg::new(tmp.path()).undo(&undo).unwrap();
    assert!(scripts.join("ifcfg-on0").exists() && !scripts.join("ifcfg-lan5").exists());
}

#[test]
fn guarded_rename_of_mn_nic_reverts_when_unconfirmed() {
    let Some(ns) = net_support::netns("ops-rename-guard") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let outcome = ns.run(move || {
        link::create_veth("om0", "om1").unwrap();
        link::set_up("om0", true).unwrap();
        let mac = link::get_link("om0").unwrap().mac.unwrap();
        let backend: Arc<dyn NetBackend> = Arc::new(Ifcfg::new(&root));
        let id = NicId::new("om0", Some(&mac));
        let undo = ops::rename_nic(backend.as_ref(), &id, "mgmt9").unwrap();
        assert!(link::get_link("mgmt9").is_ok());
        let b = backend.clone();
        let pending = PendingChange::start(
            Duration::from_millis(100),
            Box::new(move || ops::revert_rename(b.as_ref(), &id, "mgmt9", &undo)),
        );
        let o = pending.wait();
        assert!(link::get_link("om0").unwrap().admin_up);
        assert!(link::get_link("mgmt9").is_err());
        o
    });
    assert_eq!(outcome, Outcome::Reverted(RevertReason::Timeout));
    assert!(!tmp
        .path()
        .join("etc/systemd/network/10-nodeconsole-mgmt9.link")
        .exists());
}

#[test]
fn rename_nic_persist_failure_undoes_runtime_rename() {
    let Some(ns) = net_support::netns("ops-rename-fail") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    // A directory where the ifcfg file must go makes persisting fail.
    std::fs::create_dir_all(root.join(SCRIPTS).join("ifcfg-lan6")).unwrap();
    ns.run(move || {
        link::create_veth("oo0", "oo1").unwrap();
        link::set_up("oo0", true).unwrap();
        let mac = link::get_link("oo0").unwrap().mac.unwrap();
        let b = Ifcfg::new(&root);
        let e = ops::rename_nic(&b, &NicId::new("oo0", Some(&mac)), "lan6").unwrap_err();
        assert!(matches!(e, OpError::Persist(_)), "{e}");
        assert!(e.to_string().contains("run-time change was undone"), "{e}");
        let l = link::get_link("oo0").unwrap();
        assert!(l.admin_up, "old name and state are back");
        assert!(link::get_link("lan6").is_err());
    });
}

#[test]
fn configure_ipv4_unconfirmed_reverts_runtime_and_files() {
    let Some(ns) = net_support::netns("ops-ipv4") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    std::fs::create_dir_all(root.join(SCRIPTS)).unwrap();
    let original =
        "DEVICE=op0\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=10.55.0.2\nPREFIX=24\nGATEWAY=10.55.0.1\n";
    std::fs::write(root.join(SCRIPTS).join("ifcfg-op0"), original).unwrap();
    let outcome = ns.run(move || {
        link::create_veth("op0", "op1").unwrap();
        link::set_up("op0", true).unwrap();
        link::set_up("op1", true).unwrap();
        let old = validate_ipv4_config("10.55.0.2", "24", "10.55.0.1").unwrap();
        link::apply_ipv4("op0", &old).unwrap();
        let before = link::ipv4_snapshot("op0").unwrap();

        let backend: Arc<dyn NetBackend> = Arc::new(Ifcfg::new(&root));
        let cfg = validate_ipv4_config("172.16.9.9", "255.255.255.0", "172.16.9.1").unwrap();
        let applied =
            ops::configure_ipv4(backend.as_ref(), &NicId::new("op0", None), &cfg).unwrap();
        assert_eq!(applied.runtime_before.as_ref(), Some(&before));
        let (was, will) = ops::confirm_lines(&before, &cfg);
        assert_eq!(
            was,
            "before: op0 10.55.0.2/24 (255.255.255.0) gateway 10.55.0.1"
        );
        assert_eq!(
            will,
            "after:  op0 172.16.9.9/24 (255.255.255.0) default gateway 172.16.9.1"
        );
        let now = link::ipv4_snapshot("op0").unwrap();
        assert_eq!(now.addrs, vec![(Ipv4Addr::new(172, 16, 9, 9), 24)]);
        let file = std::fs::read_to_string(root.join(SCRIPTS).join("ifcfg-op0")).unwrap();
        assert!(file.contains("IPADDR=172.16.9.9") && file.contains("GATEWAY=172.16.9.1"));

        let b = backend.clone();
        let pending = PendingChange::start(
            Duration::from_millis(200),
            Box::new(move || ops::revert(b.as_ref(), &applied)),
        );
        let outcome = pending.wait();
        assert_eq!(link::ipv4_snapshot("op0").unwrap(), before);
        outcome
    });
    assert_eq!(outcome, Outcome::Reverted(RevertReason::Timeout));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(SCRIPTS).join("ifcfg-op0")).unwrap(),
        original
    );
}

fn nic(name: &str, kind: NicKind, up: bool, master: Option<&str>, ipv4: &[(&str, u8)]) -> Nic {
    Nic {
        index: 1,
        name: name.into(),
        kind,
        up,
        operstate: if up { "up" } else { "down" }.into(),
        mac: None,
        mtu: 1500,
        ipv4: ipv4.iter().map(|(a, p)| (a.parse().unwrap(), *p)).collect(),
        ipv6: vec![],
        master: master.map(String::from),
        speed_mbps: None,
        driver: None,
        is_mn: false,
        default_route: false,
        gateway: None,
    }
}

#[test]
fn configure_networks_listing_and_prefill() {
    let nics = vec![
        nic("eth0", NicKind::Physical, true, Some("bond0"), &[]),
        nic("eth1", NicKind::Physical, true, None, &[("10.0.0.5", 24)]),
        nic("eth2", NicKind::Physical, false, None, &[]),
        nic("br0", NicKind::Bridge, true, None, &[]),
        nic(
            "bond0",
            NicKind::Bond,
            true,
            None,
            &[("192.168.1.10", 22), ("192.168.1.11", 22)],
        ),
        nic("lo", NicKind::Loopback, true, None, &[("127.0.0.1", 8)]),
    ];
    let names: Vec<&str> = ops::configurable_nics(&nics)
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(names, vec!["bond0", "eth1", "br0"]);
    assert_eq!(
        ops::prefill(&nics[4]),
        (
            "192.168.1.10".to_string(),
            "255.255.252.0".to_string(),
            String::new()
        )
    );
    assert_eq!(
        ops::prefill(&nics[3]),
        (String::new(), String::new(), String::new())
    );
    assert_eq!(
        ops::management_candidates(&nics),
        vec![
            ("bond0".to_string(), Ipv4Addr::new(192, 168, 1, 10)),
            ("bond0".to_string(), Ipv4Addr::new(192, 168, 1, 11)),
            ("eth1".to_string(), Ipv4Addr::new(10, 0, 0, 5)),
        ]
    );
}
