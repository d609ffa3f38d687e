//! NIC INFO over real rtnetlink, inside a network namespace this test makes
//! (a helper thread unshares CLONE_NEWNET, plus a mount namespace with a
//! fresh sysfs so /sys/class/net shows the namespace's links). The host's
//! network is never touched: every `ip` call is a child of that thread, and
//! the thread refuses to go on unless it sees an empty namespace.
//!
//! Classification of physical NICs (which need real hardware) is tested on
//! the pure model with a fixture sysfs tree.

#[path = "common/poll.rs"]
mod poll;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Command;

use nodeconsole::probe::nic::{
    build_nics, classify, is_up, list_nics, DefaultRoute, NicCollector, RawAddr, RawLink, SysfsNet,
};
use nodeconsole::probe::{Collector, Nic, NicKind};

/// A missing prerequisite fails under CI and is a loud skip elsewhere.
fn prerequisite_missing(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// Runs `ip ARGS` (bounded by `timeout`) in the calling thread's namespaces.
fn ip(args: &[&str]) {
    let out = Command::new("timeout")
        .arg("10")
        .arg("ip")
        .args(args)
        .output()
        .expect("run ip");
    assert!(
        out.status.success(),
        "ip {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ip_output(args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("10")
        .arg("ip")
        .args(args)
        .output()
        .expect("run ip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `f` in a helper thread inside fresh network and mount namespaces,
/// with a private sysfs mounted at the path passed to `f`.
fn in_test_netns<T: Send + 'static>(
    f: impl FnOnce(&Path) -> T + Send + 'static,
) -> Result<T, String> {
    std::thread::spawn(move || {
        use nix::mount::{mount, MsFlags};
        use nix::sched::{unshare, CloneFlags};
        unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS)
            .map_err(|e| format!("unshare(CLONE_NEWNET|CLONE_NEWNS) failed: {e} (needs root)"))?;
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        )
        .map_err(|e| format!("making mounts private failed: {e}"))?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let sys = dir.path().join("sys");
        std::fs::create_dir(&sys).map_err(|e| e.to_string())?;
        mount(
            Some("sysfs"),
            &sys,
            Some("sysfs"),
            MsFlags::empty(),
            None::<&str>,
        )
        .map_err(|e| format!("mounting a private sysfs failed: {e}"))?;
        // Safety net: a fresh namespace holds nothing but lo.
        let links = ip_output(&["-o", "link", "show"]);
        if links.lines().count() != 1 || !links.contains(": lo:") {
            return Err(format!(
                "not in an empty network namespace, refusing: {links}"
            ));
        }
        let r = f(&sys);
        let _ = nix::mount::umount2(&sys, nix::mount::MntFlags::MNT_DETACH);
        Ok(r)
    })
    .join()
    .map_err(|_| "netns helper thread panicked".to_string())?
}

fn find<'a>(nics: &'a [Nic], name: &str) -> &'a Nic {
    nics.iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("{name} missing from {nics:#?}"))
}

/// Builds: veth ncv0<->ncv1 (ncv1 in bridge ncbr0), a down veth pair
/// ncd0/ncd1, a down vxlan; addresses on ncv0 and ncbr0; default route via
/// ncv0. Returns the NIC lists for: no MN IP, MN IP on the bridge, an MN IP
/// nobody holds.
fn build_and_list(sys: &Path) -> [Vec<Nic>; 3] {
    ip(&[
        "link", "add", "ncv0", "type", "veth", "peer", "name", "ncv1",
    ]);
    ip(&["link", "add", "ncbr0", "type", "bridge"]);
    ip(&["link", "set", "ncv1", "master", "ncbr0"]);
    ip(&[
        "link", "add", "ncd0", "type", "veth", "peer", "name", "ncd1",
    ]);
    ip(&["addr", "add", "198.51.100.1/24", "dev", "ncv0"]);
    ip(&["addr", "add", "2001:db8::1/64", "dev", "ncv0", "nodad"]);
    ip(&["addr", "add", "203.0.113.1/24", "dev", "ncbr0"]);
    ip(&[
        "link", "add", "ncvxl", "type", "vxlan", "id", "42", "dstport", "4789", "dev", "ncv0",
    ]);
    for l in ["ncv0", "ncv1", "ncbr0"] {
        ip(&["link", "set", l, "up"]);
    }
    ip(&[
        "route",
        "add",
        "default",
        "via",
        "198.51.100.254",
        "dev",
        "ncv0",
    ]);
    // The bridge gets carrier once its port forwards; wait for the kernel
    // (bounded), this is readiness, not a timing assertion.
    // The veth's operstate is asserted too, and the kernel sets both
    // asynchronously (linkwatch).
    poll::until("ncbr0 and ncv0 to be UP", || {
        ["ncbr0", "ncv0"]
            .iter()
            .all(|l| ip_output(&["-o", "link", "show", l]).contains("state UP"))
    });
    let plain = NicCollector::new(None, sys.to_path_buf())
        .collect()
        .unwrap()
        .nics;
    let by_ip = list_nics(Some(Ipv4Addr::new(203, 0, 113, 1)), sys).unwrap();
    let unknown_ip = list_nics(Some(Ipv4Addr::new(192, 0, 2, 250)), sys).unwrap();
    [plain, by_ip, unknown_ip]
}

#[test]
fn nics_in_a_test_namespace() {
    if Command::new("ip").arg("-V").output().is_err() {
        return prerequisite_missing("iproute2 `ip` not installed");
    }
    let [plain, by_ip, unknown_ip] = match in_test_netns(build_and_list) {
        Ok(r) => r,
        Err(e) => return prerequisite_missing(&e),
    };

    let names: Vec<&str> = plain.iter().map(|n| n.name.as_str()).collect();
    // bridge first, then the others by name; loopback excluded.
    assert_eq!(names, ["ncbr0", "ncd0", "ncd1", "ncv0", "ncv1", "ncvxl"]);

    let v0 = find(&plain, "ncv0");
    assert_eq!(v0.kind, NicKind::Veth);
    assert!(v0.up && v0.operstate == "up", "{v0:?}");
    assert_eq!(v0.ipv4, vec![(Ipv4Addr::new(198, 51, 100, 1), 24)]);
    assert!(
        v0.ipv6
            .contains(&("2001:db8::1".parse::<Ipv6Addr>().unwrap(), 64)),
        "{v0:?}"
    );
    assert!(v0.mac.as_deref().is_some_and(|m| m.len() == 17), "{v0:?}");
    assert_eq!(v0.mtu, 1500);
    assert_eq!(
        v0.speed_mbps,
        Some(10000),
        "veth speed from the private sysfs"
    );
    assert!(
        v0.default_route && v0.is_mn,
        "MN via the default route: {v0:?}"
    );
    assert_eq!(v0.gateway, Some(Ipv4Addr::new(198, 51, 100, 254)));
    assert_eq!(v0.master, None);

    let br = find(&plain, "ncbr0");
    assert_eq!(br.kind, NicKind::Bridge);
    assert!(br.up, "{br:?}");
    assert!(!br.is_mn && !br.default_route && br.gateway.is_none());
    assert_eq!(find(&plain, "ncv1").master.as_deref(), Some("ncbr0"));

    let d0 = find(&plain, "ncd0");
    assert!(!d0.up && d0.operstate == "down", "{d0:?}");
    assert_eq!(find(&plain, "ncvxl").kind, NicKind::Vxlan);
    assert!(!find(&plain, "ncvxl").up);
    assert_eq!(plain.iter().filter(|n| n.is_mn).count(), 1);

    // The configured management IP wins over the default route.
    let mn: Vec<&str> = by_ip
        .iter()
        .filter(|n| n.is_mn)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(mn, ["ncbr0"]);
    assert!(find(&by_ip, "ncv0").default_route);
    // A configured IP nobody holds falls back to the default route's NIC.
    let mn: Vec<&str> = unknown_ip
        .iter()
        .filter(|n| n.is_mn)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(mn, ["ncv0"]);
}

fn raw(index: u32, name: &str, kind: Option<&str>) -> RawLink {
    RawLink {
        index,
        name: name.into(),
        kind: kind.map(str::to_string),
        admin_up: true,
        running: true,
        operstate: "up".into(),
        mtu: 1500,
        ..Default::default()
    }
}

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn fixture_sysfs() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    for (nic, pci, driver, speed) in [
        ("eth0", "0000:01:00.0", "ixgbe", "10000"),
        ("eth1", "0000:01:00.1", "e1000e", "-1"),
    ] {
        let dev = format!("devices/pci0000:00/{pci}");
        write(&root, &format!("bus/pci/drivers/{driver}/bind"), "");
        std::fs::create_dir_all(root.join(&dev)).unwrap();
        std::os::unix::fs::symlink(
            root.join(format!("bus/pci/drivers/{driver}")),
            root.join(format!("{dev}/driver")),
        )
        .unwrap();
        write(
            &root,
            &format!("class/net/{nic}/speed"),
            &format!("{speed}\n"),
        );
        std::os::unix::fs::symlink(
            root.join(&dev),
            root.join(format!("class/net/{nic}/device")),
        )
        .unwrap();
    }
    (dir, root)
}

#[test]
fn model_classifies_sorts_and_reads_sysfs() {
    let (_dir, root) = fixture_sysfs();
    let mut lo = raw(1, "lo", None);
    lo.loopback = true;
    let mut eth1 = raw(3, "eth1", None);
    eth1.master_index = Some(4);
    let links = vec![
        lo,
        raw(9, "veth9", Some("veth")),
        raw(8, "br0", Some("bridge")),
        eth1,
        raw(4, "bond0", Some("bond")),
        raw(2, "eth0", None),
        raw(5, "bond0.10", Some("vlan")),
        raw(6, "tun0", Some("tun")),
        raw(7, "ghost", None),
        raw(10, "wg0", Some("wireguard")),
    ];
    let addrs = vec![
        RawAddr {
            index: 4,
            addr: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)),
            prefix: 24,
        },
        RawAddr {
            index: 1,
            addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            prefix: 8,
        },
    ];
    // Two default routes: the lower metric (bond0) is the MN fallback.
    let route = |oif, metric, gateway| DefaultRoute {
        oif,
        metric,
        gateway,
    };
    let routes = vec![
        route(8, 200, Some(Ipv4Addr::new(192, 168, 9, 1))),
        route(4, 100, Some(Ipv4Addr::new(10, 0, 0, 1))),
        route(4, 300, Some(Ipv4Addr::new(10, 0, 0, 254))),
    ];
    let nics = build_nics(&links, &addrs, &routes, None, &SysfsNet::new(&root));
    let order: Vec<(&str, &str)> = nics
        .iter()
        .map(|n| (n.name.as_str(), n.kind.label()))
        .collect();
    assert_eq!(
        order,
        [
            ("eth0", "physical"),
            ("eth1", "physical"),
            ("bond0", "bond"),
            ("br0", "bridge"),
            ("bond0.10", "vlan"),
            ("ghost", "virtual"),
            ("tun0", "tun"),
            ("veth9", "veth"),
            ("wg0", "wireguard"),
        ]
    );
    let eth0 = find(&nics, "eth0");
    assert_eq!(
        (eth0.speed_mbps, eth0.driver.as_deref()),
        (Some(10000), Some("ixgbe"))
    );
    let eth1 = find(&nics, "eth1");
    assert_eq!(
        (eth1.speed_mbps, eth1.driver.as_deref()),
        (None, Some("e1000e"))
    );
    assert_eq!(eth1.master.as_deref(), Some("bond0"));
    let mn: Vec<&str> = nics
        .iter()
        .filter(|n| n.is_mn)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(mn, ["bond0"]);
    assert!(find(&nics, "br0").default_route && find(&nics, "bond0").default_route);
    // The gateway shown for a NIC is its lowest-metric default route's.
    assert_eq!(
        find(&nics, "bond0").gateway,
        Some(Ipv4Addr::new(10, 0, 0, 1))
    );
    assert_eq!(
        find(&nics, "br0").gateway,
        Some(Ipv4Addr::new(192, 168, 9, 1))
    );
    assert_eq!(find(&nics, "eth0").gateway, None);

    // With the management IP configured, its holder is MN.
    let nics = build_nics(
        &links,
        &addrs,
        &[],
        Some(Ipv4Addr::new(10, 0, 0, 5)),
        &SysfsNet::new(&root),
    );
    assert!(find(&nics, "bond0").is_mn);
    // No MN IP, no default route: nobody is MN.
    let nics = build_nics(&links, &addrs, &[], None, &SysfsNet::new(&root));
    assert!(nics.iter().all(|n| !n.is_mn));
}

#[test]
fn up_rules() {
    let mut l = raw(1, "tun0", Some("tun"));
    l.operstate = "unknown".into();
    assert!(is_up(&l), "unknown + UP + RUNNING counts as up");
    l.running = false;
    assert!(!is_up(&l));
    l.operstate = "lowerlayerdown".into();
    l.running = true;
    assert!(!is_up(&l));
    let mut lo = raw(1, "lo", None);
    lo.loopback = true;
    assert_eq!(classify(&lo, false), NicKind::Loopback);
}
