//! The demo's PAM set-up end to end: `demo_child` (started by
//! `demo_pam_reexec` with a gate variable) calls `setup_or_reexec`, which
//! writes the pam_wrapper service dir and re-executes this very test binary
//! with the same arguments and `LD_PRELOAD=libpam_wrapper.so`; the
//! re-executed process gets `Ready` and authenticates `root` with the demo
//! password through real libpam + pam_matrix, and refuses a wrong one.

use std::process::{Command, Stdio};
use std::time::Duration;

use nodeconsole::ops::auth::{AuthError, Pam};
use nodeconsole::ops::demo_pam::{self, DemoPam, DEMO_ROOT_PASSWORD, DEMO_SERVICE};
use nodeconsole::secret::Secret;

const GATE: &str = "NODECONSOLE_TEST_DEMO_CHILD_DIR";
const DONE: &str = "DEMO-PAM-CHILD-COMPLETED";

fn missing(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

#[test]
fn demo_pam_reexec() {
    if demo_pam::libpam_wrapper_path().is_none() || demo_pam::pam_matrix_path().is_none() {
        return missing("pam_wrapper not installed (apt-get install libpam-wrapper)");
    }
    let tmp = tempfile::tempdir().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "demo_child",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(GATE, tmp.path().join("demo"))
        .env_remove(demo_pam::REEXEC_MARKER)
        .env_remove("LD_PRELOAD")
        .env_remove("PAM_WRAPPER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(r) => r.unwrap(),
        Err(_) => {
            // SAFETY: the PID of the child we started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("demo child did not finish within 120 s");
        }
    };
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "demo child failed:\n{text}");
    assert!(text.contains(DONE), "demo child did not run:\n{text}");
    let passdb = std::fs::read_to_string(tmp.path().join("demo/passdb")).unwrap();
    assert_eq!(
        passdb,
        format!("root:{DEMO_ROOT_PASSWORD}:{DEMO_SERVICE}\n")
    );
}

#[test]
#[ignore = "runs only inside demo_pam_reexec"]
fn demo_child() {
    let Some(dir) = std::env::var_os(GATE) else {
        eprintln!("demo_child: not started by demo_pam_reexec, nothing to do");
        return;
    };
    match demo_pam::setup_or_reexec(std::path::Path::new(&dir)) {
        DemoPam::Ready { service } => {
            assert!(demo_pam::is_reexeced());
            assert_eq!(service, DEMO_SERVICE);
            let pam = Pam::root(service);
            pam.authenticate(&Secret::from(DEMO_ROOT_PASSWORD), Some("tty1"))
                .expect("demo root password");
            assert_eq!(
                pam.authenticate(&Secret::from("not-the-demo-pw"), None),
                Err(AuthError::WrongPassword)
            );
            println!("{DONE}");
        }
        DemoPam::Unavailable(why) => panic!("demo PAM unavailable: {why}"),
    }
}
