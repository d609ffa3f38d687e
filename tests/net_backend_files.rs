//! Golden-file tests of the file persistence backends (ifcfg and
//! systemd-networkd, with the systemd .link file for renames), bonds
//! included. Each case copies `tests/fixtures/net/<backend>/<case>/before/`
//! into a temp root, runs the operation, compares the whole tree with
//! `after/` (backups `*.bak` included), then runs the undo and checks that
//! every configuration file is back as before.
//! `UPDATE_GOLDEN=1 cargo test --test net_backend_files` rewrites `after/`.
//!
//! Bonds: this kernel has no bonding module, so bonds are covered here at
//! the configuration layer only (plus the refusal in net_link.rs).

use nodeconsole::net::backend::ifcfg::{Ifcfg, IfcfgFile};
use nodeconsole::net::backend::networkd::{Networkd, UnitFile};
use nodeconsole::net::backend::{choose, BackendKind, Facts, NetBackend, NicId, Undo};
use nodeconsole::net::validate::{validate_ipv4_config, BondConfig, BondMode, Ipv4Config};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/net")
}

fn read_tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(root, root, &mut m);
    m
}

fn copy_tree(from: &Path, to: &Path) {
    for (rel, content) in read_tree(from) {
        let p = to.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

fn without_backups(t: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    t.iter()
        .filter(|(k, _)| !k.ends_with(".bak"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Runs one golden case.
fn golden(backend: &str, case: &str, op: impl FnOnce(&Path) -> (Box<dyn NetBackend>, Undo)) {
    let dir = fixtures().join(backend).join(case);
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&dir.join("before"), tmp.path());
    let before = read_tree(tmp.path());
    let (b, undo) = op(tmp.path());
    let got = read_tree(tmp.path());
    // No temporary files left behind.
    assert!(
        got.keys().all(|k| !k.contains("nodeconsole-tmp")),
        "{:?}",
        got.keys()
    );
    let after = dir.join("after");
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        let _ = std::fs::remove_dir_all(&after);
        copy_tree(tmp.path(), &after);
    }
    let want = read_tree(&after);
    assert!(
        !want.is_empty(),
        "golden tree {after:?} missing: run with UPDATE_GOLDEN=1"
    );
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "{backend}/{case}: file {k} differs");
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{backend}/{case}: file set"
    );
    // Undo restores every configuration file (backups stay as they are).
    b.undo(&undo).unwrap();
    assert_eq!(
        without_backups(&read_tree(tmp.path())),
        without_backups(&before),
        "{backend}/{case}: undo"
    );
}

fn cfg() -> Ipv4Config {
    validate_ipv4_config("192.168.10.20", "255.255.255.0", "192.168.10.1").unwrap()
}

fn nic(name: &str, mac: &str) -> NicId {
    NicId::new(name, Some(mac))
}

fn ab_bond() -> BondConfig {
    BondConfig {
        name: "bond0".into(),
        mode: BondMode::ActiveBackup,
        slaves: vec!["eth0".into(), "eth1".into()],
        miimon_ms: 100,
    }
}

fn lacp_bond() -> BondConfig {
    BondConfig {
        name: "bond0".into(),
        mode: BondMode::Ieee8023ad,
        slaves: vec!["eth1".into(), "eth2".into()],
        miimon_ms: 200,
    }
}

fn slaves() -> Vec<NicId> {
    vec![
        nic("eth0", "52:54:00:aa:bb:01"),
        nic("eth1", "52:54:00:aa:bb:02"),
        nic("eth2", "52:54:00:aa:bb:03"),
    ]
}

macro_rules! both {
    ($name:ident, $case:literal, |$b:ident| $body:expr) => {
        #[test]
        fn $name() {
            golden("ifcfg", $case, |root| {
                let $b = Ifcfg::new(root);
                let u = $body;
                (Box::new($b) as Box<dyn NetBackend>, u)
            });
            golden("networkd", $case, |root| {
                let $b = Networkd::new(root);
                let u = $body;
                (Box::new($b) as Box<dyn NetBackend>, u)
            });
        }
    };
}

both!(
    ipv4_existing_profile_edited_in_place,
    "ipv4_existing",
    |b| b
        .persist_ipv4(&nic("eth0", "52:54:00:aa:bb:01"), &cfg())
        .unwrap()
);
// Issue #13: a gateway for this NIC's subnet only (ifcfg DEFROUTE=no,
// networkd without Gateway=), and no gateway at all.
both!(ipv4_gateway_for_subnet_only, "ipv4_subnet_gateway", |b| b
    .persist_ipv4(
        &nic("eth0", "52:54:00:aa:bb:01"),
        &cfg().with_default_route(false)
    )
    .unwrap());
both!(ipv4_without_gateway, "ipv4_no_gateway", |b| b
    .persist_ipv4(
        &nic("eth0", "52:54:00:aa:bb:01"),
        &nodeconsole::net::validate::validate_ipv4_form("192.168.10.20", "24", "", false).unwrap()
    )
    .unwrap());
both!(ipv4_new_profile_created, "ipv4_new", |b| b
    .persist_ipv4(&nic("eth1", "52:54:00:aa:bb:02"), &cfg())
    .unwrap());
both!(rename_writes_link_file_and_profile, "rename", |b| b
    .persist_rename(&nic("eth0", "52:54:00:aa:bb:01"), "mgmt0")
    .unwrap());
both!(bond_create, "bond_create", |b| b
    .persist_bond(&ab_bond(), &slaves(), Some(&cfg()))
    .unwrap());
both!(bond_edit_releases_and_adds_slaves, "bond_edit", |b| b
    .persist_bond(&lacp_bond(), &slaves(), None)
    .unwrap());

#[test]
fn rename_without_mac_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("ifcfg/rename/before"), tmp.path());
    let before = read_tree(tmp.path());
    let e = Ifcfg::new(tmp.path())
        .persist_rename(&NicId::new("eth0", None), "mgmt0")
        .unwrap_err();
    assert!(e.to_string().contains("no MAC address"), "{e}");
    assert_eq!(read_tree(tmp.path()), before);
}

#[test]
fn write_failure_reports_path_and_rolls_back() {
    // A read-only directory makes the second write fail; the first one
    // (the .link file) must be undone.
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("ifcfg/rename/before"), tmp.path());
    let before = read_tree(tmp.path());
    let scripts = tmp.path().join("etc/sysconfig/network-scripts");
    // Root ignores permission bits, so make the target path a directory
    // where a file must go instead.
    std::fs::create_dir_all(scripts.join("ifcfg-mgmt0")).unwrap();
    let e = Ifcfg::new(tmp.path())
        .persist_rename(&nic("eth0", "52:54:00:aa:bb:01"), "mgmt0")
        .unwrap_err();
    assert!(e.to_string().contains("ifcfg-mgmt0"), "{e}");
    let mut now = read_tree(tmp.path());
    now.retain(|k, _| !k.ends_with(".bak"));
    assert_eq!(now, before);
}

#[test]
fn ifcfg_parser_round_trips_and_quotes() {
    let text = "# c\nA=1\nB=\"x y\"\nC='q'\nweird line\n";
    let mut f = IfcfgFile::parse(text);
    assert_eq!(f.get("B"), Some("x y"));
    assert_eq!(f.get("C"), Some("q"));
    f.set("D", "has $dollar \"q\"");
    let out = f.render();
    assert!(out.contains("D=\"has \\$dollar \\\"q\\\"\""), "{out}");
    assert_eq!(IfcfgFile::parse(&out).get("D"), Some("has $dollar \"q\""));
    f.remove_family("A");
    assert_eq!(f.get("A"), None);
}

#[test]
fn networkd_parser_keeps_unknown_sections() {
    let text = "[Match]\nName=eth0\n\n[Link]\nMTUBytes=9000\n";
    let u = UnitFile::parse(text);
    assert_eq!(u.render(), text);
    assert_eq!(u.section("Link").unwrap().get("MTUBytes"), Some("9000"));
}

#[test]
fn backend_detection_order() {
    let f = |nm, nd, scripts, dir| Facts {
        nm_running: nm,
        networkd_running: nd,
        has_network_scripts: scripts,
        has_networkd_dir: dir,
    };
    assert_eq!(
        choose(f(true, true, true, true)),
        Some(BackendKind::NetworkManager)
    );
    assert_eq!(
        choose(f(false, true, true, true)),
        Some(BackendKind::Networkd)
    );
    assert_eq!(
        choose(f(false, false, true, true)),
        Some(BackendKind::Ifcfg)
    );
    assert_eq!(
        choose(f(false, false, false, true)),
        Some(BackendKind::Networkd)
    );
    assert_eq!(choose(f(false, false, false, false)), None);
    // Gathered from a temp root with only network-scripts: ifcfg (NetworkManager
    // is not running on this test machine's system bus, or it would win).
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("etc/sysconfig/network-scripts")).unwrap();
    let facts = Facts::gather(tmp.path());
    assert!(facts.has_network_scripts && !facts.has_networkd_dir && !facts.networkd_running);
}
