//! The libvirt engine against libvirt's real in-process test driver:
//! `test:///default` (libvirt's built-in node), the demo fixture
//! `assets/demo-node.xml`, node files the tests write themselves, and a
//! daemon socket that does not exist. No daemon, no KVM, no doubles.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nodeconsole::engine::libvirt::LibvirtEngine;
use nodeconsole::engine::{
    Availability, Capability, Engine, EngineError, HostSummary, VmRow, VmScope, VmState,
};
use nodeconsole::job::{Progress, Recorder};
use virt::connect::Connect;

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo-node.xml")
}

fn test_uri(path: &Path) -> String {
    assert!(path.is_absolute(), "test driver paths must be absolute");
    format!("test://{}", path.display())
}

fn fixture_engine() -> LibvirtEngine {
    LibvirtEngine::new(&test_uri(&fixture_path()))
}

const GIB: u64 = 1024 * 1024;

/// The demo fixture's domains sorted by name: name, vCPUs, memory KiB,
/// state (see the comment at the top of assets/demo-node.xml).
fn fixture_rows() -> Vec<(&'static str, u32, u64, VmState)> {
    use VmState::*;
    vec![
        ("backup-01", 2, 8 * GIB, Stopped),
        ("cache-01", 4, 16 * GIB, Running),
        ("ci-runner-01", 4, 16 * GIB, Stopped),
        ("ci-runner-02", 4, 16 * GIB, Stopped),
        ("db-primary", 8, 32 * GIB, Running),
        ("db-replica", 8, 32 * GIB, Running),
        ("dev-sandbox", 1, GIB, Stopped),
        ("lb-01", 2, 2 * GIB, Running),
        ("monitoring", 4, 8 * GIB, Running),
        ("mq-01", 4, 8 * GIB, Paused),
        ("web-01", 2, 4 * GIB, Running),
        ("web-02", 2, 4 * GIB, Running),
        ("web-03", 2, 4 * GIB, Paused),
        ("win-build", 4, 8 * GIB, Stopped),
    ]
}

#[test]
fn engine_is_send_sync_and_static() {
    fn check<T: Engine>() {}
    check::<LibvirtEngine>();
    let e: Box<dyn Engine> = Box::new(LibvirtEngine::new("test:///default"));
    assert_eq!(e.name(), "libvirt");
    assert_eq!(e.display_name(), "libvirt");
    assert_eq!(e.install_dir(), Some(PathBuf::from("/var/lib/libvirt")));
}

#[test]
fn construction_does_not_connect() {
    // A URI that cannot work: construction must still succeed at once.
    let e = LibvirtEngine::new("qemu+unix:///system?socket=/nonexistent/libvirt-sock");
    assert!(!e.is_connected());
    assert_eq!(
        e.uri(),
        "qemu+unix:///system?socket=/nonexistent/libvirt-sock"
    );
}

#[test]
fn default_test_node_status() {
    let e = LibvirtEngine::new("test:///default");
    let s = e.status().expect("status of test:///default");
    assert!(e.is_connected());
    assert_eq!(s.service_name, "libvirtd");
    assert!(s.service_running);
    assert_eq!(s.ui_running, None);
    assert_eq!(s.ui_url, None);
    assert_eq!(s.license, None);
    let lib = Connect::version().expect("libvirt library version");
    let want = format!(
        "libvirt {}.{}.{}",
        lib / 1_000_000,
        (lib / 1000) % 1000,
        lib % 1000
    );
    assert_eq!(s.version, want);
    // On screen in this order.
    let keys: Vec<_> = s.extra.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, vec!["Hypervisor", "URI", "Host"]);
    let extra: BTreeMap<_, _> = s.extra.iter().cloned().collect();
    // The test driver reports itself as TEST with hypervisor version 2.
    assert_eq!(extra["Hypervisor"], "TEST 0.0.2");
    assert_eq!(extra["URI"], "test:///default");
    assert!(!extra["Host"].trim().is_empty(), "empty host name");
}

#[test]
fn default_test_node_hosts_and_vms() {
    let e = LibvirtEngine::new("test:///default");
    assert_eq!(
        e.hosts().unwrap(),
        HostSummary {
            total: 1,
            enabled: 1,
            connected: 1
        }
    );
    let r = e.vms(VmScope::ThisNode).unwrap();
    // libvirt's built-in default node has exactly one running domain "test".
    assert_eq!((r.total, r.running, r.stopped, r.other), (1, 1, 0, 0));
    assert_eq!(
        r.list,
        vec![VmRow {
            uuid: "6695eb01-f6a4-8304-79aa-97f2502e193f".into(),
            name: "test".into(),
            vcpus: 2,
            memory_kib: 8_388_608,
            state: VmState::Running,
        }]
    );
}

#[test]
fn fixture_counts_and_rows() {
    let e = fixture_engine();
    let r = e.vms(VmScope::ThisNode).expect("vms of the demo fixture");
    assert_eq!(r.total, 14);
    assert_eq!(r.running, 7);
    assert_eq!(r.stopped, 5);
    assert_eq!(r.other, 2);
    let got: Vec<_> = r
        .list
        .iter()
        .map(|v| (v.name.as_str(), v.vcpus, v.memory_kib, v.state))
        .collect();
    assert_eq!(got, fixture_rows());
    // UUIDs are the fixture's, distinct, in libvirt's canonical form.
    for (i, row) in r.list.iter().enumerate() {
        assert_eq!(row.uuid.len(), 36, "{row:?}");
        assert!(
            row.uuid.starts_with("6e0d4c1a-7b3f-4c2e-9a10-5ee0d0"),
            "{row:?}"
        );
        assert!(r.list[i + 1..].iter().all(|o| o.uuid != row.uuid));
    }
    let vcpus: u32 = r.list.iter().map(|v| v.vcpus).sum();
    let mem: u64 = r.list.iter().map(|v| v.memory_kib).sum();
    assert_eq!(
        (vcpus, mem),
        (51, 159 * GIB),
        "totals stated in the fixture comment"
    );
}

#[test]
fn cloud_scope_counts_without_list() {
    let e = fixture_engine();
    let r = e.vms(VmScope::Cloud).unwrap();
    assert_eq!((r.total, r.running, r.stopped, r.other), (14, 7, 5, 2));
    assert!(r.list.is_empty());
}

#[test]
fn fixture_status_names_the_fixture() {
    let e = fixture_engine();
    let s = e.status().unwrap();
    let uri = s.extra.iter().find(|(k, _)| k == "URI").unwrap();
    assert_eq!(uri.1, test_uri(&fixture_path()));
}

#[test]
fn concurrent_callers_share_one_engine() {
    let e = std::sync::Arc::new(fixture_engine());
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let e = e.clone();
            std::thread::spawn(move || {
                for _ in 0..10 {
                    assert_eq!(e.vms(VmScope::Cloud).unwrap().total, 14);
                    assert!(e.status().unwrap().service_running);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn expect_unreachable<T: std::fmt::Debug>(r: Result<T, EngineError>, needle: &str) -> String {
    match r {
        Err(EngineError::Unreachable(who, why)) => {
            assert_eq!(who, "libvirt");
            assert!(why.contains(needle), "reason {why:?} lacks {needle:?}");
            assert!(
                !why.contains("[code="),
                "raw libvirt error codes in {why:?}"
            );
            why
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[test]
fn missing_daemon_socket_is_unreachable_with_libvirts_reason() {
    let e = LibvirtEngine::new("qemu+unix:///system?socket=/nonexistent/libvirt-sock");
    let why = expect_unreachable(
        e.status(),
        "Failed to connect socket to '/nonexistent/libvirt-sock'",
    );
    assert!(
        why.contains("systemctl status libvirtd"),
        "no hint in {why:?}"
    );
    expect_unreachable(e.hosts(), "/nonexistent/libvirt-sock");
    expect_unreachable(e.vms(VmScope::ThisNode), "/nonexistent/libvirt-sock");
    assert!(!e.is_connected());
    let dir = tempfile::tempdir().unwrap();
    let mut rec = Recorder::default();
    expect_unreachable(
        e.backup_database(dir.path(), &mut rec),
        "/nonexistent/libvirt-sock",
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn unreachable_then_recovers_on_the_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("later.xml");
    let e = LibvirtEngine::new(&test_uri(&node));
    // The node file does not exist yet: libvirt cannot open the node.
    expect_unreachable(e.vms(VmScope::ThisNode), "later.xml");
    assert!(!e.is_connected());
    // The node appears; the same engine reconnects on its next call.
    std::fs::copy(fixture_path(), &node).unwrap();
    assert_eq!(e.vms(VmScope::ThisNode).unwrap().total, 14);
    assert!(e.is_connected());
    assert!(e.status().unwrap().service_running);
}

#[test]
fn capabilities_offer_backup_only_with_reasons() {
    let caps = fixture_engine().capabilities();
    assert_eq!(
        caps.get(Capability::DatabaseBackup),
        Availability::Available
    );
    let others = [
        Capability::ServiceControl,
        Capability::Reset,
        Capability::ResetDropDatabase,
        Capability::ConsoleProxy,
        Capability::DatabasePassword,
        Capability::MessageBusPassword,
        Capability::ManagementIp,
        Capability::ClusterLogs,
    ];
    for cap in others {
        match caps.get(cap) {
            Availability::Unavailable(why) => {
                assert!(why.len() > 10, "{cap:?}: reason too thin: {why:?}");
                assert_ne!(why, "not provided by this engine", "{cap:?} not listed");
            }
            Availability::Available => panic!("{cap:?} must be unavailable"),
        }
    }
    assert_eq!(
        caps.get(Capability::Reset),
        Availability::Unavailable(
            "a standalone libvirt node has no reinstall; reinstall from the ISO".into()
        )
    );
    assert_eq!(
        caps.get(Capability::ConsoleProxy),
        Availability::Unavailable("libvirt has no console proxy".into())
    );
}

#[test]
fn unsupported_operations_say_so() {
    let e = fixture_engine();
    let mut rec = Recorder::default();
    assert_eq!(
        e.reset(false, &mut rec),
        Err(EngineError::Unsupported("libvirt"))
    );
    assert_eq!(e.console_proxy(), Err(EngineError::Unsupported("libvirt")));
}

/// Unpacks a .tar.gz into name -> contents.
fn unpack(path: &Path) -> BTreeMap<String, String> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut ar = tar::Archive::new(gz);
    let mut out = BTreeMap::new();
    for entry in ar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        assert!(out.insert(name.clone(), text).is_none(), "duplicate {name}");
    }
    out
}

fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "expected exactly one file, found {files:?}");
    files.into_iter().next().unwrap()
}

#[test]
fn backup_holds_every_definition_and_restores_into_a_fresh_node() {
    let e = fixture_engine();
    let before = e.vms(VmScope::ThisNode).unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut rec = Recorder::default();
    let path = e.backup_database(out.path(), &mut rec).expect("backup");

    // Named and placed as promised, private, and alone (no temp file left).
    assert_eq!(only_file(out.path()), path);
    let name = path.file_name().unwrap().to_str().unwrap();
    let host = e
        .status()
        .unwrap()
        .extra
        .into_iter()
        .find(|(k, _)| k == "Host")
        .unwrap()
        .1;
    let prefix = format!("libvirt-definitions-{host}-");
    assert!(name.starts_with(&prefix), "{name}");
    let stamp = name
        .strip_prefix(&prefix)
        .unwrap()
        .strip_suffix(".tar.gz")
        .unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").is_ok(),
        "bad timestamp {stamp:?}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);

    // Progress was reported.
    assert!(rec.phases.len() >= 3, "{:?}", rec.phases);
    assert_eq!(rec.fraction, Some(1.0));
    assert!(
        rec.lines.iter().any(|l| l.contains("domain web-01")),
        "{:?}",
        rec.lines
    );

    let files = unpack(&path);
    let names: Vec<_> = files.keys().cloned().collect();
    let mut want: Vec<String> = fixture_rows()
        .iter()
        .map(|(n, ..)| format!("domains/{n}.xml"))
        .collect();
    want.extend(
        [
            "networks/default.xml",
            "networks/storage-net.xml",
            "pools/default.xml",
            "pools/images.xml",
            "MANIFEST.txt",
        ]
        .map(String::from),
    );
    want.sort();
    assert_eq!(names, want);
    let manifest = &files["MANIFEST.txt"];
    for line in [
        "domains: 14\n",
        "networks: 2\n",
        "pools: 2\n",
        "libvirt: 9.",
        "hypervisor: TEST 0.0.2\n",
        "secrets: included",
    ] {
        assert!(
            manifest.contains(line),
            "MANIFEST lacks {line:?}:\n{manifest}"
        );
    }
    assert!(manifest.contains(&format!("uri: {}\n", test_uri(&fixture_path()))));

    // Restore into a fresh, empty node: every definition defines cleanly.
    let scratch = tempfile::tempdir().unwrap();
    let empty = scratch.path().join("empty.xml");
    std::fs::write(&empty, "<node/>\n").unwrap();
    let fresh = Connect::open(Some(&test_uri(&empty))).unwrap();
    assert_eq!(fresh.list_all_domains(0).unwrap().len(), 0);
    for (entry, xml) in &files {
        let r = if entry.starts_with("domains/") {
            fresh.define_domain_xml(xml).map(|_| ())
        } else if entry.starts_with("networks/") {
            fresh.define_network_xml(xml).map(|_| ())
        } else if entry.starts_with("pools/") {
            fresh.define_storage_pool_xml(xml, 0).map(|_| ())
        } else {
            continue;
        };
        r.unwrap_or_else(|err| panic!("{entry} does not define: {err}"));
    }
    assert_eq!(fresh.list_all_networks(0).unwrap().len(), 2);
    assert_eq!(fresh.list_all_storage_pools(0).unwrap().len(), 2);

    // The restored node has the same VMs (defined, so all shut off).
    let mut restored: Vec<(String, String, u32, u64)> = fresh
        .list_all_domains(0)
        .unwrap()
        .iter()
        .map(|d| {
            let info = d.info().unwrap();
            (
                d.name().unwrap(),
                d.uuid_string().unwrap(),
                info.nr_virt_cpu,
                info.max_mem,
            )
        })
        .collect();
    restored.sort();
    let original: Vec<_> = before
        .list
        .iter()
        .map(|v| (v.name.clone(), v.uuid.clone(), v.vcpus, v.memory_kib))
        .collect();
    assert_eq!(restored, original);
}

#[test]
fn two_backups_in_one_second_do_not_overwrite() {
    let e = fixture_engine();
    let out = tempfile::tempdir().unwrap();
    let a = e
        .backup_database(out.path(), &mut Recorder::default())
        .unwrap();
    let b = e
        .backup_database(out.path(), &mut Recorder::default())
        .unwrap();
    assert_ne!(a, b);
    assert!(a.exists() && b.exists());
}

/// Asks to cancel once `after` progress lines were reported.
struct CancelAfter {
    inner: Recorder,
    after: usize,
}

impl Progress for CancelAfter {
    fn phase(&mut self, text: &str) {
        self.inner.phase(text)
    }
    fn line(&mut self, text: &str) {
        self.inner.line(text)
    }
    fn fraction(&mut self, f: Option<f64>) {
        self.inner.fraction(f)
    }
    fn cancelled(&self) -> bool {
        self.inner.lines.len() >= self.after
    }
}

#[test]
fn cancel_leaves_no_file_behind() {
    let e = fixture_engine();
    // 0: before anything; 1: after listing; 5: midway through the domains.
    for after in [0, 1, 5] {
        let out = tempfile::tempdir().unwrap();
        let mut p = CancelAfter {
            inner: Recorder::default(),
            after,
        };
        match e.backup_database(out.path(), &mut p) {
            Err(EngineError::Failed(why)) => assert!(why.contains("cancelled"), "{why}"),
            other => panic!("cancel after {after} lines: expected Failed, got {other:?}"),
        }
        let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert!(left.is_empty(), "cancel after {after} lines left {left:?}");
    }
    // A cancel is not a connection problem: the engine still works.
    assert_eq!(e.vms(VmScope::Cloud).unwrap().total, 14);
}

#[test]
fn backup_into_a_missing_directory_is_a_clear_error() {
    let e = fixture_engine();
    let base = tempfile::tempdir().unwrap();
    let missing = base.path().join("no-such-dir");
    match e.backup_database(&missing, &mut Recorder::default()) {
        Err(EngineError::Failed(why)) => {
            assert!(why.contains("no-such-dir"), "{why}");
            assert!(why.contains("create it"), "{why}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(!missing.exists());
}
