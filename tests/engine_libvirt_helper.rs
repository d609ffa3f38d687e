//! The libvirt engine as the console runs it: its calls made by the real
//! `nodeconsole-virt` helper binary of this build, against libvirt's test
//! driver (the demo fixture, a generated 3,000-domain node), a daemon
//! socket that does not exist, and a daemon socket that accepts and never
//! answers (a hung libvirtd). No doubles: the processes, pipes and libvirt
//! are real.

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nodeconsole::engine::libvirt::helper::{HelperCommand, HelperNode};
use nodeconsole::engine::libvirt::{LibvirtEngine, NodeCalls};
use nodeconsole::engine::{Engine, EngineError, VmScope};
use nodeconsole::job::{Progress, Recorder};

fn helper() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nodeconsole-virt"))
}

fn fixture_uri() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo-node.xml");
    format!("test://{}", p.display())
}

fn node(uri: &str) -> HelperNode {
    HelperNode::new(HelperCommand {
        program: helper(),
        uri: uri.into(),
    })
}

/// Waits up to 30 s for `cond` (a deadline, not a performance bound).
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `pid` still exists (a zombie counts: it was not reaped).
fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn kill9(pid: u32) {
    // SAFETY: plain syscall on a process this test started.
    let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    assert_eq!(rc, 0, "kill {pid}");
}

/// A unix socket that accepts connections and never says a word: libvirt's
/// client waits for the daemon's answer to its first RPC forever.
fn hung_daemon(dir: &Path) -> String {
    hung_daemon_counted(dir).0
}

/// [`hung_daemon`], plus the number of connections it has accepted (a
/// call is in flight, hung in libvirt, once its helper has connected).
fn hung_daemon_counted(dir: &Path) -> (String, Arc<AtomicUsize>) {
    let sock = dir.join("libvirt-sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming() {
            held.push(conn);
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    (
        format!("qemu+unix:///system?socket={}", sock.display()),
        accepted,
    )
}

#[test]
fn the_helper_answers_as_the_in_process_engine_does() {
    let uri = fixture_uri();
    let direct = LibvirtEngine::new(&uri);
    let helped = LibvirtEngine::via_helper(&uri, helper());
    assert!(
        !helped.is_connected(),
        "nothing starts before the first call"
    );

    let vms = helped
        .vms(VmScope::ThisNode)
        .expect("vms through the helper");
    assert_eq!(vms, direct.vms(VmScope::ThisNode).unwrap());
    assert_eq!(
        (vms.total, vms.running, vms.stopped, vms.other),
        (14, 7, 5, 2)
    );
    assert_eq!(vms.list.len(), 14);
    let cloud = helped.vms(VmScope::Cloud).unwrap();
    assert!(cloud.list.is_empty());
    assert_eq!(cloud.total, 14);
    assert_eq!(helped.hosts().unwrap(), direct.hosts().unwrap());
    assert_eq!(helped.status().unwrap(), direct.status().unwrap());
    assert!(helped.is_connected());
}

#[test]
fn calls_from_many_threads_share_one_helper() {
    let n = Arc::new(node(&fixture_uri()));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let n = n.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    if i % 2 == 0 {
                        assert_eq!(n.vms(VmScope::ThisNode).unwrap().total, 14);
                    } else {
                        assert_eq!(n.hosts().unwrap().total, 1);
                    }
                }
                n.pid().unwrap()
            })
        })
        .collect();
    let pids: Vec<u32> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(pids.windows(2).all(|w| w[0] == w[1]), "{pids:?}");
}

#[test]
fn an_unreachable_daemon_is_reported_through_the_helper() {
    let n = node("qemu+unix:///system?socket=/nonexistent/libvirt-sock");
    let err = n.status().unwrap_err();
    let EngineError::Unreachable(what, why) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(what, "libvirt");
    assert!(why.contains("/nonexistent/libvirt-sock"), "{why}");
    assert!(why.contains("systemctl status libvirtd"), "{why}");
    // The helper itself is fine and stays for the next try.
    assert!(n.pid().is_some());
}

#[test]
fn backup_runs_in_the_helper_with_progress() {
    let dest = tempfile::tempdir().unwrap();
    let n = node(&fixture_uri());
    let mut rec = Recorder::default();
    let path = n.backup_database(dest.path(), &mut rec).expect("backup");
    assert_eq!(path.parent(), Some(dest.path()));
    assert!(path.to_string_lossy().ends_with(".tar.gz"), "{path:?}");
    assert!(std::fs::metadata(&path).unwrap().len() > 0);
    assert!(
        rec.phases.iter().any(|p| p.contains("Exporting")),
        "{:?}",
        rec.phases
    );
    assert!(
        rec.lines.iter().any(|l| l.contains("web-01")),
        "{:?}",
        rec.lines
    );
    assert!(rec.lines.last().unwrap().starts_with("wrote "));
}

/// A `Progress` whose operator presses cancel as soon as the first
/// definition is reported.
#[derive(Default)]
struct CancelOnFirstLine {
    cancelled: AtomicBool,
    lines: usize,
}

impl Progress for CancelOnFirstLine {
    fn phase(&mut self, _: &str) {}
    fn line(&mut self, _: &str) {
        self.lines += 1;
        self.cancelled.store(true, Ordering::Relaxed);
    }
    fn fraction(&mut self, _: Option<f64>) {}
    fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

#[test]
fn cancel_reaches_the_backup_in_the_helper() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("node-3000.xml");
    std::fs::write(&xml, nodeconsole::testdata::libvirt_node_xml(3000)).unwrap();
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let n = node(&format!("test://{}", xml.display()));
    let mut p = CancelOnFirstLine::default();
    let err = n.backup_database(&dest, &mut p).unwrap_err();
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert!(p.lines < 1000, "cancelled only after {} of 3000", p.lines);
    let left: Vec<_> = std::fs::read_dir(&dest).unwrap().collect();
    assert!(
        left.is_empty(),
        "a cancelled backup leaves nothing: {left:?}"
    );
}

#[test]
fn a_killed_helper_fails_its_calls_at_once_and_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    // A call that would wait for the full 30 s deadline...
    let (uri, accepted) = hung_daemon_counted(dir.path());
    let n = Arc::new(node(&uri));
    let waiter = {
        let n = n.clone();
        std::thread::spawn(move || {
            let t0 = Instant::now();
            (n.status(), t0.elapsed())
        })
    };
    eventually("the helper to start", || n.pid().is_some());
    let first = n.pid().unwrap();
    eventually("the call to hang in libvirt", || {
        accepted.load(Ordering::SeqCst) > 0
    });
    // ...ends as soon as its helper dies.
    kill9(first);
    let (result, took) = waiter.join().unwrap();
    let err = result.unwrap_err();
    assert!(
        matches!(&err, EngineError::Unreachable(w, _) if w == "libvirt"),
        "{err:?}"
    );
    // Well under the 30 s deadline (a margin for a loaded machine).
    assert!(took < Duration::from_secs(20), "{took:?}: {err}");
    eventually("the dead helper to be reaped", || !alive(first));
    assert!(!n.is_connected());

    // The next call starts a new helper.
    let n2 = node(&fixture_uri());
    assert_eq!(n2.vms(VmScope::Cloud).unwrap().total, 14);
    let pid = n2.pid().unwrap();
    kill9(pid);
    eventually("the killed helper to be reaped", || n2.pid().is_none());
    assert_eq!(n2.vms(VmScope::Cloud).unwrap().total, 14);
    assert_ne!(n2.pid().unwrap(), pid);
}

#[test]
fn a_hung_libvirt_call_ends_at_the_deadline_and_the_helper_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let n = Arc::new(
        node(&hung_daemon(dir.path()))
            .with_deadlines(Duration::from_secs(2), Duration::from_secs(2)),
    );
    let t0 = Instant::now();
    let err = n.status().unwrap_err();
    let took = t0.elapsed();
    let EngineError::Unreachable(_, why) = &err else {
        panic!("{err:?}")
    };
    assert!(why.contains("within 2 s"), "{why}");
    assert!(why.contains("stopped"), "{why}");
    assert!(
        // At the 2 s deadline, not the default 30 s one (a margin for a
        // loaded machine above it).
        took >= Duration::from_secs(2) && took < Duration::from_secs(20),
        "{took:?}"
    );
    eventually("the hung helper to be killed and reaped", || {
        n.pid().is_none()
    });

    // A new call gets a new helper (hung again, here).
    let again = {
        let n = n.clone();
        std::thread::spawn(move || n.hosts())
    };
    eventually("a new helper", || n.pid().is_some());
    assert!(again.join().unwrap().is_err());
}

/// Before libvirtd is stopped or restarted the engine lets go of its
/// connection: the helper is retired and the next call starts a new one.
#[test]
fn forgetting_the_connection_retires_the_helper() {
    let n = node(&fixture_uri());
    n.hosts().unwrap();
    let first = n.pid().unwrap();
    n.forget_connection();
    assert!(!n.is_connected());
    eventually("the retired helper to exit and be reaped", || !alive(first));
    assert_eq!(n.vms(VmScope::Cloud).unwrap().total, 14);
    assert_ne!(n.pid().unwrap(), first);
}

#[test]
fn dropping_the_engine_ends_its_helper() {
    let n = node(&fixture_uri());
    n.hosts().unwrap();
    let pid = n.pid().unwrap();
    assert!(alive(pid));
    drop(n);
    eventually("the helper to exit and be reaped", || !alive(pid));
}

#[test]
fn the_helper_refuses_bad_arguments() {
    let out = std::process::Command::new(helper()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--uri is required"));
    let out = std::process::Command::new(helper())
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = std::process::Command::new(helper())
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[test]
fn the_console_binary_does_not_load_libvirt() {
    // The point of the helper: libvirt's library chain stays out of the
    // console process. readelf is part of binutils, which the C toolchain
    // the build needs brings along.
    let needed = |bin: &str| {
        let out = std::process::Command::new("readelf")
            .args(["-d", bin])
            .output()
            .expect("readelf (binutils) runs");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let console = needed(env!("CARGO_BIN_EXE_nodeconsole"));
    assert!(console.contains("libc.so"), "{console}");
    assert!(!console.contains("libvirt"), "{console}");
    let helper = needed(env!("CARGO_BIN_EXE_nodeconsole-virt"));
    assert!(helper.contains("libvirt.so"), "{helper}");
}
