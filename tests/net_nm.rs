//! The NetworkManager backend against the real NetworkManager daemon.
//!
//! The daemon comes from Debian's packages, unpacked into a cache directory
//! (never installed on the host: its maintainer scripts would touch the
//! host's network), and runs
//! - inside a private network namespace made by this test (it sees only the
//!   test's veth pair),
//! - in a private mount namespace with tmpfs over /run and /var/lib and a
//!   read-only sysfs of that network namespace,
//! - on a private system bus (`dbus-daemon` with a permissive config),
//! - with its keyfile directory, config, state and pid files in a temp dir.
//!
//! Prerequisites: `dbus-daemon`, `unshare` (util-linux), root, and either
//! `NODECONSOLE_NM_ROOT` pointing at an unpacked tree or `apt-get download`
//! access to Debian's archive (first run only).

mod net_support;

use nodeconsole::net::backend::nm::{self, NetworkManager};
use nodeconsole::net::backend::{NetBackend, NicId};
use nodeconsole::net::link;
use nodeconsole::net::netns::NetnsThread;
use nodeconsole::net::ops;
use nodeconsole::net::validate::{validate_ipv4_config, BondConfig, BondMode};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEBS: &[&str] = &[
    "network-manager",
    "libnm0",
    "libndp0",
    "libteamdctl0",
    "libmm-glib0",
    "libnewt0.52",
    "libbluetooth3",
];

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{what}: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// The unpacked NetworkManager tree (downloading it on first use).
fn nm_root() -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("NODECONSOLE_NM_ROOT") {
        return Ok(PathBuf::from(p));
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nm-root");
    if root.join("usr/sbin/NetworkManager").exists() {
        return Ok(root);
    }
    let debs = Path::new(env!("CARGO_TARGET_TMPDIR")).join("nm-debs");
    std::fs::create_dir_all(&debs).map_err(|e| e.to_string())?;
    run(
        Command::new("timeout")
            .arg("300")
            .arg("apt-get")
            .arg("download")
            .args(DEBS)
            .current_dir(&debs),
        "apt-get download network-manager",
    )?;
    let tmp_root = root.with_extension("partial");
    let _ = std::fs::remove_dir_all(&tmp_root);
    for e in std::fs::read_dir(&debs)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "deb") {
            run(
                Command::new("dpkg-deb")
                    .arg("-x")
                    .arg(e.path())
                    .arg(&tmp_root),
                "dpkg-deb -x",
            )?;
        }
    }
    std::fs::rename(&tmp_root, &root).map_err(|e| e.to_string())?;
    Ok(root)
}

/// Kills a child we started, by its PID, when dropped.
struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const BUS_CONF: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=@SOCK@</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"#;

struct Env {
    _bus: Killed,
    _nm: Killed,
    address: String,
    dir: tempfile::TempDir,
    ns: NetnsThread,
}

fn start() -> Result<Option<Env>, String> {
    let Some(ns) = net_support::netns("nm") else {
        return Ok(None);
    };
    let root = nm_root()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let sock = dir.path().join("system_bus_socket");
    let conf = dir.path().join("bus.conf");
    std::fs::write(&conf, BUS_CONF.replace("@SOCK@", sock.to_str().unwrap()))
        .map_err(|e| e.to_string())?;
    let bus = Killed(
        Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .arg("--nofork")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("dbus-daemon: {e}"))?,
    );
    let address = format!("unix:path={}", sock.display());
    let t0 = Instant::now();
    while !sock.exists() {
        if t0.elapsed() > Duration::from_secs(10) {
            return Err("the private dbus-daemon did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let d = dir.path();
    std::fs::create_dir_all(d.join("system-connections")).unwrap();
    std::fs::create_dir_all(d.join("conf.d")).unwrap();
    std::fs::write(
        d.join("nm.conf"),
        format!(
            "[main]\nplugins=keyfile\nauth-polkit=false\ndns=none\nrc-manager=unmanaged\n\
             hostname-mode=none\nsystemd-resolved=false\nno-auto-default=*\n\
             [keyfile]\npath={}\n[logging]\nlevel=INFO\n",
            d.join("system-connections").display()
        ),
    )
    .unwrap();
    let script = format!(
        "set -e; mount -t tmpfs tmpfs /run; mkdir -p /run/NetworkManager; \
         mount -t tmpfs tmpfs /var/lib; mkdir -p /var/lib/NetworkManager; \
         mount -t sysfs -o ro sysfs /sys; \
         exec {nm} --no-daemon --config={d}/nm.conf --config-dir={d}/conf.d \
           --system-config-dir={d}/conf.d --intern-config={d}/intern.conf \
           --state-file={d}/nm.state --pid-file={d}/nm.pid",
        nm = root.join("usr/sbin/NetworkManager").display(),
        d = d.display()
    );
    let log = std::fs::File::create(d.join("nm.log")).unwrap();
    let lib = root.join("usr/lib/x86_64-linux-gnu");
    let addr2 = address.clone();
    // Spawned from the namespace thread: the daemon lives in its netns.
    let nm = ns.run(move || {
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .env("DBUS_SYSTEM_BUS_ADDRESS", &addr2)
            .env("LD_LIBRARY_PATH", lib)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
    });
    let nm = Killed(nm.map_err(|e| format!("unshare NetworkManager: {e}"))?);
    let env = Env {
        _bus: bus,
        _nm: nm,
        address,
        dir,
        ns,
    };
    // Ready when Settings answers.
    let t0 = Instant::now();
    loop {
        if let Ok(b) = NetworkManager::at_address(&env.address, env.dir.path()) {
            if b.list_connections().is_ok() {
                break;
            }
        }
        if t0.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(env.dir.path().join("nm.log")).unwrap_or_default();
            return Err(format!("NetworkManager did not come up; its log:\n{log}"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(Some(env))
}

fn str_of(s: &nm::Settings, setting: &str, key: &str) -> Option<String> {
    use nm_value::Value;
    match s.get(setting)?.get(key).map(|v| &**v) {
        Some(Value::Str(x)) => Some(x.to_string()),
        _ => None,
    }
}

/// The zvariant types, reached through the backend's own zbus.
mod nm_value {
    pub use nodeconsole::net::backend::nm::zvariant::Value;
}

fn address_data(s: &nm::Settings) -> Vec<(String, u32)> {
    use nm_value::Value;
    let Some(Value::Array(a)) = s
        .get("ipv4")
        .and_then(|i| i.get("address-data"))
        .map(|v| &**v)
    else {
        return vec![];
    };
    a.iter()
        .filter_map(|d| match d {
            Value::Dict(d) => {
                let addr: String = d.get::<_, String>(&"address").ok().flatten()?;
                let prefix: u32 = d.get::<_, u32>(&"prefix").ok().flatten()?;
                Some((addr, prefix))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn networkmanager_backend_against_real_daemon() {
    let env = match start() {
        Ok(Some(e)) => e,
        Ok(None) => return,
        Err(why) => return net_support::skip(&format!("NetworkManager test environment: {why}")),
    };
    let mac = env.ns.run(|| {
        link::create_veth("nm0", "nm1").unwrap();
        link::get_link("nm0").unwrap().mac.unwrap()
    });
    let mac1 = env.ns.run(|| link::get_link("nm1").unwrap().mac.unwrap());
    let b = NetworkManager::at_address(&env.address, env.dir.path()).unwrap();
    let nic = NicId::new("nm0", Some(&mac));

    // 1. No profile yet: AddConnection.
    let c1 = validate_ipv4_config("192.168.50.10", "24", "192.168.50.1").unwrap();
    let undo_add = b.persist_ipv4(&nic, &c1).unwrap();
    let (path, s) = b.find(&nic).unwrap().expect("profile created");
    assert_eq!(
        str_of(&s, "connection", "interface-name").as_deref(),
        Some("nm0")
    );
    assert_eq!(str_of(&s, "ipv4", "method").as_deref(), Some("manual"));
    assert_eq!(address_data(&s), vec![("192.168.50.10".to_string(), 24)]);
    assert_eq!(
        str_of(&s, "ipv4", "gateway").as_deref(),
        Some("192.168.50.1")
    );
    // NetworkManager persisted it as a keyfile in its (private) directory.
    let keyfiles: Vec<_> = std::fs::read_dir(env.dir.path().join("system-connections"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(keyfiles.len(), 1, "one keyfile written");
    let kf = std::fs::read_to_string(keyfiles[0].path()).unwrap();
    assert!(kf.contains("192.168.50.10/24"), "{kf}");

    // 2. Existing profile: Update, and undo puts the old settings back.
    let c2 = validate_ipv4_config("10.20.30.40", "/16", "10.20.0.1").unwrap();
    let undo_upd = b.persist_ipv4(&nic, &c2).unwrap();
    let s = b.get_settings(&path).unwrap();
    assert_eq!(address_data(&s), vec![("10.20.30.40".to_string(), 16)]);
    assert_eq!(str_of(&s, "ipv4", "gateway").as_deref(), Some("10.20.0.1"));
    b.undo(&undo_upd).unwrap();
    assert_eq!(
        address_data(&b.get_settings(&path).unwrap()),
        vec![("192.168.50.10".to_string(), 24)]
    );

    // 3. Rename: profile follows, .link file pinned to the MAC.
    let undo_ren = b.persist_rename(&nic, "lan0").unwrap();
    let s = b.get_settings(&path).unwrap();
    assert_eq!(
        str_of(&s, "connection", "interface-name").as_deref(),
        Some("lan0")
    );
    assert_eq!(str_of(&s, "connection", "id").as_deref(), Some("lan0"));
    let link = std::fs::read_to_string(
        env.dir
            .path()
            .join("etc/systemd/network/10-nodeconsole-lan0.link"),
    )
    .unwrap();
    assert!(link.contains(&format!("MACAddress={mac}")) && link.contains("Name=lan0"));
    b.undo(&undo_ren).unwrap();
    assert_eq!(
        str_of(
            &b.get_settings(&path).unwrap(),
            "connection",
            "interface-name"
        )
        .as_deref(),
        Some("nm0")
    );

    // 4. Bond profile (the kernel has no bonding module; NetworkManager
    // stores the profile all the same) with nm1 as its slave.
    let bond = BondConfig {
        name: "bond0".into(),
        mode: BondMode::ActiveBackup,
        slaves: vec!["nm1".into()],
        miimon_ms: 100,
    };
    let slave = NicId::new("nm1", Some(&mac1));
    let undo_bond = b
        .persist_bond(&bond, std::slice::from_ref(&slave), Some(&c1))
        .unwrap();
    let (_, bs) = b
        .find(&NicId::new("bond0", None))
        .unwrap()
        .expect("bond profile");
    assert_eq!(str_of(&bs, "connection", "type").as_deref(), Some("bond"));
    let opts = bs["bond"]["options"].clone();
    let opts: std::collections::HashMap<String, String> = opts.try_into().unwrap();
    assert_eq!(opts.get("mode").map(String::as_str), Some("active-backup"));
    assert_eq!(opts.get("miimon").map(String::as_str), Some("100"));
    let (_, ss) = b.find(&slave).unwrap().expect("slave profile");
    assert_eq!(
        str_of(&ss, "connection", "master").as_deref(),
        Some("bond0")
    );
    assert_eq!(
        str_of(&ss, "connection", "slave-type").as_deref(),
        Some("bond")
    );
    b.undo(&undo_bond).unwrap();
    assert!(b.find(&NicId::new("bond0", None)).unwrap().is_none());
    assert!(b.find(&slave).unwrap().is_none());

    // 5. Undo of the first add deletes the profile again.
    b.undo(&undo_add).unwrap();
    assert!(b.find(&nic).unwrap().is_none());

    // 6. The whole Configure Networks operation: NetworkManager applies the
    // profile to the veth at run time, and the revert puts the previous
    // profile and addresses back.
    env.ns.run(|| {
        link::set_up("nm0", true).unwrap();
        link::set_up("nm1", true).unwrap();
    });
    let applied1 = ops::configure_ipv4(&b, &nic, &c1).unwrap();
    wait_for_addrs(&env, vec![(Ipv4Addr::new(192, 168, 50, 10), 24)]);
    let applied2 = ops::configure_ipv4(&b, &nic, &c2).unwrap();
    wait_for_addrs(&env, vec![(Ipv4Addr::new(10, 20, 30, 40), 16)]);
    let snap = env.ns.run(|| link::ipv4_snapshot("nm0").unwrap());
    assert_eq!(snap.gateway(), Some(Ipv4Addr::new(10, 20, 0, 1)));
    ops::revert(&b, &applied2).unwrap();
    wait_for_addrs(&env, vec![(Ipv4Addr::new(192, 168, 50, 10), 24)]);
    ops::revert(&b, &applied1).unwrap();
    assert!(b.find(&nic).unwrap().is_none());
}

/// Waits (bounded) until NetworkManager has put `want` on nm0: the daemon
/// applies profiles asynchronously.
fn wait_for_addrs(env: &Env, want: Vec<(Ipv4Addr, u8)>) {
    let t0 = Instant::now();
    loop {
        let got = env.ns.run(|| link::ipv4_snapshot("nm0").unwrap().addrs);
        if got == want {
            return;
        }
        if t0.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(env.dir.path().join("nm.log")).unwrap_or_default();
            panic!("nm0 has {got:?}, want {want:?}; NetworkManager log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
