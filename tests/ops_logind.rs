//! `ops::power` against a real, private `dbus-daemon`, with a **contract
//! double** of logind: rebooting or powering off this machine cannot be
//! tested for real, so the double implements the documented contract of
//! `org.freedesktop.login1.Manager.Reboot(b interactive)` /
//! `PowerOff(b interactive)` at `/org/freedesktop/login1` on the well-known
//! name `org.freedesktop.login1`, and records the calls it receives.
//! Everything else (the bus daemon, name routing, the wire format, the
//! client) is real.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nodeconsole::ops::power::{request, PowerAction, PowerError};
use nodeconsole::ops::BusTarget;

fn missing(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// A private bus daemon; killed (by its PID) when dropped.
struct PrivateBus {
    child: Child,
    address: String,
}

impl PrivateBus {
    fn start() -> Result<PrivateBus, String> {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start dbus-daemon: {e}"))?;
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if !line.trim().is_empty() => Ok(PrivateBus {
                child,
                address: line.trim().to_string(),
            }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                Err("dbus-daemon printed no address within 20 s".into())
            }
        }
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Contract double of logind's Manager: records (method, interactive).
struct Login1Double {
    calls: Arc<Mutex<Vec<(String, bool)>>>,
    inhibited: Arc<AtomicBool>,
    /// Simulates a hung logind: the call is received but never answered.
    hung: Arc<AtomicBool>,
}

impl Login1Double {
    async fn record(&self, method: &str, interactive: bool) -> zbus::fdo::Result<()> {
        self.calls
            .lock()
            .unwrap()
            .push((method.to_string(), interactive));
        if self.hung.load(Ordering::SeqCst) {
            async_io::Timer::after(Duration::from_secs(3600)).await;
        }
        if self.inhibited.load(Ordering::SeqCst) {
            // logind answers so when a shutdown inhibitor lock blocks it.
            return Err(zbus::fdo::Error::AccessDenied(
                "Operation inhibited by \"test\" (PID 1 \"test\"), reason is \"testing\".".into(),
            ));
        }
        Ok(())
    }
}

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Login1Double {
    async fn reboot(&self, interactive: bool) -> zbus::fdo::Result<()> {
        self.record("Reboot", interactive).await
    }

    async fn power_off(&self, interactive: bool) -> zbus::fdo::Result<()> {
        self.record("PowerOff", interactive).await
    }
}

#[test]
fn logind_reboot_and_poweroff() {
    let bus = match PrivateBus::start() {
        Ok(b) => b,
        Err(e) => return missing(&format!("{e} (apt-get install dbus-daemon)")),
    };
    let target = BusTarget::Address(bus.address.clone());
    let t = Duration::from_secs(10);

    // No logind on this bus yet: a clear "unreachable".
    let e = request(PowerAction::Reboot, &target, t).unwrap_err();
    match &e {
        PowerError::Unreachable(m) => assert!(m.contains("not running"), "{m}"),
        other => panic!("expected Unreachable, got {other:?}"),
    }

    let calls = Arc::new(Mutex::new(Vec::new()));
    let inhibited = Arc::new(AtomicBool::new(false));
    let hung = Arc::new(AtomicBool::new(false));
    let double = Login1Double {
        calls: calls.clone(),
        inhibited: inhibited.clone(),
        hung: hung.clone(),
    };
    let _server = zbus::blocking::connection::Builder::address(bus.address.as_str())
        .unwrap()
        .name("org.freedesktop.login1")
        .unwrap()
        .serve_at("/org/freedesktop/login1", double)
        .unwrap()
        .build()
        .expect("contract double on the private bus");

    request(PowerAction::Reboot, &target, t).expect("reboot accepted");
    request(PowerAction::PowerOff, &target, t).expect("poweroff accepted");
    assert_eq!(
        *calls.lock().unwrap(),
        vec![
            ("Reboot".to_string(), false),
            ("PowerOff".to_string(), false)
        ],
        "logind must get interactive=false"
    );

    // A refusal from logind is reported as such, with its message.
    inhibited.store(true, Ordering::SeqCst);
    match request(PowerAction::Reboot, &target, t) {
        Err(PowerError::Refused(m)) => assert!(m.contains("inhibited"), "{m}"),
        other => panic!("expected Refused, got {other:?}"),
    }

    // A logind that never answers: the deadline turns it into Unreachable.
    inhibited.store(false, Ordering::SeqCst);
    hung.store(true, Ordering::SeqCst);
    match request(PowerAction::PowerOff, &target, Duration::from_secs(2)) {
        Err(PowerError::Unreachable(m)) => assert!(m.contains("no answer"), "{m}"),
        other => panic!("expected Unreachable after the deadline, got {other:?}"),
    }
}

#[test]
fn dead_bus_address_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("unix:path={}/no-bus-here", dir.path().display());
    let e = request(
        PowerAction::PowerOff,
        &BusTarget::Address(addr),
        Duration::from_secs(5),
    )
    .unwrap_err();
    assert!(matches!(e, PowerError::Unreachable(_)), "{e:?}");
    assert!(e.to_string().contains("cannot reach logind"), "{e}");
}
