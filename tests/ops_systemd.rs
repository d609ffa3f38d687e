//! `ops::systemd` against a REAL systemd manager: `systemd --user`, run by
//! the test in its own mount namespace (`unshare -m`, private propagation)
//! with a tmpfs on `/run/systemd` holding an empty `/run/systemd/system`
//! (systemd --user refuses to start unless the machine looks booted with
//! systemd; the tmpfs keeps that fake marker out of the host). Its runtime
//! and config dirs are the test's temp dir, so it sees only the test's
//! units plus the distribution's user units. It takes the name
//! `org.freedesktop.systemd1` on its own user bus (`$XDG_RUNTIME_DIR/bus`,
//! a dbus-daemon it socket-activates), which we reach by address: the same
//! D-Bus calls as on a node's system bus. Never `systemd --system`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nodeconsole::ops::systemd::{unit_action, unit_state, SystemdError, UnitAction};
use nodeconsole::ops::BusTarget;

fn missing(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

fn find_exe(cands: &[&str]) -> Option<PathBuf> {
    cands.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// A `systemd --user` manager in a private mount namespace. Dropping it
/// sends SIGTERM (systemd then stops all its units and exits), and
/// SIGKILL only if it does not exit within 30 s.
struct UserManager {
    child: Child,
    runtime: PathBuf,
}

impl UserManager {
    fn start(root: &Path) -> Result<UserManager, String> {
        let systemd = find_exe(&["/usr/lib/systemd/systemd", "/lib/systemd/systemd"])
            .ok_or("systemd not installed (apt-get install systemd)")?;
        let unshare = find_exe(&["/usr/bin/unshare", "/bin/unshare"])
            .ok_or("unshare not installed (apt-get install util-linux)")?;
        let runtime = root.join("run");
        std::fs::create_dir_all(&runtime).map_err(|e| e.to_string())?;
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .map_err(|e| e.to_string())?;
        // unshare execs sh in place, sh execs systemd: the child PID is
        // systemd's own, so signals reach it directly.
        let script = format!(
            "mount -t tmpfs -o mode=0755 nodeconsole-test /run/systemd && \
             mkdir /run/systemd/system && exec {} --user --unit=dbus.socket",
            systemd.display()
        );
        let child = Command::new(unshare)
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", root)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_DATA_HOME", root.join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start systemd --user: {e}"))?;
        Ok(UserManager { child, runtime })
    }

    fn bus(&self) -> BusTarget {
        BusTarget::Address(format!("unix:path={}", self.runtime.join("bus").display()))
    }

    /// Waits until the manager answers on its bus (the first connection
    /// socket-activates the bus daemon; systemd then takes its name).
    fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < limit {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Err(format!("systemd --user exited early: {st}"));
            }
            if self.runtime.join("bus").exists() {
                match unit_state(&self.bus(), "dbus.socket", Duration::from_secs(5)) {
                    Ok(_) => return Ok(()),
                    Err(e) => last = e.to_string(),
                }
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        Err(format!("systemd --user not ready within {limit:?}: {last}"))
    }
}

impl Drop for UserManager {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: signals to the PID of the process we started.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

fn write_unit(root: &Path, name: &str, text: &str) {
    let dir = root.join("config/systemd/user");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn start_restart_stop_a_real_unit() {
    if !nix::unistd::geteuid().is_root() {
        return missing("needs root for a private mount namespace");
    }
    let Some(sleep) = find_exe(&["/usr/bin/sleep", "/bin/sleep"]) else {
        return missing("sleep not installed (coreutils)");
    };
    let Some(fals) = find_exe(&["/usr/bin/false", "/bin/false"]) else {
        return missing("false not installed (coreutils)");
    };
    if find_exe(&[
        "/usr/lib/systemd/user/dbus.socket",
        "/lib/systemd/user/dbus.socket",
    ])
    .is_none()
    {
        return missing(
            "the user bus unit dbus.socket is missing (apt-get install dbus-user-session)",
        );
    }
    let tmp = tempfile::Builder::new()
        .prefix("nc-sd")
        .tempdir_in("/tmp")
        .unwrap();
    let root = tmp.path();
    write_unit(
        root,
        "nc-ops-test.service",
        &format!("[Service]\nExecStart={} infinity\n", sleep.display()),
    );
    write_unit(
        root,
        "nc-ops-fail.service",
        &format!("[Service]\nType=oneshot\nExecStart={}\n", fals.display()),
    );

    let mut mgr = match UserManager::start(root) {
        Ok(m) => m,
        Err(e) => return missing(&e),
    };
    if let Err(e) = mgr.wait_ready(Duration::from_secs(60)) {
        return missing(&format!("cannot run systemd --user here: {e}"));
    }
    let bus = mgr.bus();
    let t = Duration::from_secs(60);
    let unit = "nc-ops-test.service";

    assert_eq!(
        unit_state(&bus, unit, t).unwrap(),
        ("inactive".to_string(), "dead".to_string())
    );
    assert_eq!(
        unit_action(&bus, unit, UnitAction::Start, t).unwrap(),
        "done"
    );
    assert_eq!(
        unit_state(&bus, unit, t).unwrap(),
        ("active".to_string(), "running".to_string())
    );
    assert_eq!(
        unit_action(&bus, unit, UnitAction::Restart, t).unwrap(),
        "done"
    );
    assert_eq!(unit_state(&bus, unit, t).unwrap().0, "active");
    assert_eq!(
        unit_action(&bus, unit, UnitAction::Stop, t).unwrap(),
        "done"
    );
    assert_eq!(
        unit_state(&bus, unit, t).unwrap(),
        ("inactive".to_string(), "dead".to_string())
    );

    // The libvirt engine's Start/Stop/Restart service goes through the same
    // calls: here it drives a stand-in unit on this manager.
    {
        use nodeconsole::engine::libvirt::LibvirtEngine;
        use nodeconsole::engine::{Availability, Capability, Engine, ServiceAction};
        let engine = LibvirtEngine::new("qemu:///system").with_service(unit, bus.clone());
        assert_eq!(
            engine.capabilities().get(Capability::ServiceControl),
            Availability::Available
        );
        let mut rec = nodeconsole::job::Recorder::default();
        let msg = engine.service(ServiceAction::Restart, &mut rec).unwrap();
        assert!(msg.contains("restart done"), "{msg}");
        assert_eq!(unit_state(&bus, unit, t).unwrap().0, "active");
        engine.service(ServiceAction::Stop, &mut rec).unwrap();
        assert_eq!(unit_state(&bus, unit, t).unwrap().0, "inactive");
        let failing =
            LibvirtEngine::new("qemu:///system").with_service("nc-ops-fail.service", bus.clone());
        let err = failing
            .service(ServiceAction::Start, &mut rec)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("failed") && err.contains("journalctl"),
            "{err}"
        );
        let demo = LibvirtEngine::new("test:///default");
        assert!(matches!(
            demo.capabilities().get(Capability::ServiceControl),
            Availability::Unavailable(_)
        ));
    }

    // A unit whose start fails: the job result says so.
    assert_eq!(
        unit_action(&bus, "nc-ops-fail.service", UnitAction::Start, t).unwrap(),
        "failed"
    );
    assert_eq!(
        unit_state(&bus, "nc-ops-fail.service", t).unwrap().0,
        "failed"
    );

    // A unit that does not exist.
    assert_eq!(
        unit_action(&bus, "nc-ops-absent.service", UnitAction::Start, t),
        Err(SystemdError::NoSuchUnit("nc-ops-absent.service".into()))
    );
    assert_eq!(
        unit_state(&bus, "nc-ops-absent.service", t),
        Err(SystemdError::NoSuchUnit("nc-ops-absent.service".into()))
    );
}
