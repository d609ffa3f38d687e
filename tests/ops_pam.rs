//! The PAM backend (`ops::auth`) against real PAM: libpam under
//! pam_wrapper, with pam_matrix as the password database and the real
//! `pam_pwquality` module as the password policy.
//!
//! pam_wrapper needs `LD_PRELOAD` at process start, so `pam_scenarios`
//! re-runs this test binary with only `pam_child_scenarios` selected and the
//! pam_wrapper variables set, then checks that the child really ran, passed,
//! and that none of the test passwords appears anywhere in its output (which
//! includes the audit log, written to stderr by a tracing subscriber).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nodeconsole::ops::auth::{check_new_password, AuthError, Pam};
use nodeconsole::ops::demo_pam::{libpam_wrapper_path, matrix_service_text, pam_matrix_path};
use nodeconsole::secret::Secret;

const CHILD_ENV: &str = "NODECONSOLE_TEST_PAM_CHILD_DIR";
const DONE_MARKER: &str = "PAM-CHILD-SCENARIOS-COMPLETED";

// Distinctive passwords, searched for in the child's output afterwards.
const PW_OLD: &str = "Corr3ct-Horse-71q";
const PW_WRONG: &str = "Wr0ng-Guess-55x";
const PW_NEW: &str = "N3w-Battery-Staple-88k";
const PW_WEAK: &str = "zq7";
const PW_POLICY_OLD: &str = "P0licy-Start-42w";
const PW_POLICY_NEW: &str = "Str0ng-Enough-Phrase-93v";
const PW_OTHER: &str = "D1fferent-Confirm-17j";

const SVC: &str = "nc-test";
const SVC_POLICY: &str = "nc-test-policy";
const SVC_NSS: &str = "nc-test-nss";
const SVC_FAILLOCK: &str = "nc-test-faillock";
const PW_FL: &str = "F4illock-Right-63m";

/// Fails under CI, otherwise prints a loud SKIPPED line.
fn missing(why: &str) {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite missing: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// Runs `cmd` with a deadline; kills the child (by its PID) on overrun.
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Result<std::process::Output, String> {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => {
            // SAFETY: kill(2) on the PID of the child we started.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            Err(format!("{cmd:?} did not finish within {limit:?}"))
        }
    }
}

fn security_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = nodeconsole::ops::demo_pam::lib_dirs()
        .into_iter()
        .map(|d| d.join("security"))
        .collect();
    v.push(unpack_dir().join("lib"));
    v
}

/// Where the test unpacks libpam-pwquality when it is not installed:
/// installing the package would run pam-auth-update and change the
/// machine's real password policy, which a test must not do.
fn unpack_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ops-pwquality")
}

fn find_module(name: &str) -> Option<PathBuf> {
    for d in security_dirs() {
        let p = d.join(name);
        if p.is_file() {
            return Some(p);
        }
        // The unpack dir holds lib/<triple>/security/.
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path().join("security").join(name);
                if p.is_file() {
                    return Some(p);
                }
            }
        }
    }
    None
}

/// Finds pam_pwquality.so, unpacking the Debian package (without installing
/// it) into the target dir if needed.
fn pwquality_module() -> Result<PathBuf, String> {
    if let Some(p) = find_module("pam_pwquality.so") {
        return Ok(p);
    }
    let dir = unpack_dir();
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = run_with_timeout(
        Command::new("apt-get")
            .args(["download", "libpam-pwquality"])
            .current_dir(&dir),
        Duration::from_secs(180),
    )?;
    if !out.status.success() {
        return Err(format!(
            "apt-get download libpam-pwquality failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let deb = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or("apt-get download left no .deb")?;
    let out = run_with_timeout(
        Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&dir),
        Duration::from_secs(60),
    )?;
    if !out.status.success() {
        return Err(format!(
            "dpkg-deb -x failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    find_module("pam_pwquality.so").ok_or_else(|| "pam_pwquality.so not in the package".into())
}

fn libpwquality_present() -> bool {
    nodeconsole::ops::demo_pam::lib_dirs()
        .iter()
        .any(|d| d.join("libpwquality.so.1").exists())
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

#[test]
fn pam_scenarios() {
    let Some(wrapper) = libpam_wrapper_path() else {
        return missing("libpam_wrapper.so not installed (apt-get install libpam-wrapper)");
    };
    let Some(matrix) = pam_matrix_path() else {
        return missing("pam_wrapper/pam_matrix.so not installed (apt-get install libpam-wrapper)");
    };
    if !libpwquality_present() {
        return missing("libpwquality.so.1 not installed (apt-get install libpwquality1)");
    }
    let pwquality = match pwquality_module() {
        Ok(p) => p,
        Err(e) => return missing(&format!("pam_pwquality.so unavailable: {e}")),
    };

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let svc_dir = dir.join("pam.d");
    std::fs::create_dir_all(&svc_dir).unwrap();
    let passdb = dir.join("passdb");
    let passdb_policy = dir.join("passdb-policy");
    write(&passdb, &format!("root:{PW_OLD}:{SVC}\n"));
    write(
        &passdb_policy,
        &format!("root:{PW_POLICY_OLD}:{SVC_POLICY}\n"),
    );
    write(&svc_dir.join(SVC), &matrix_service_text(&matrix, &passdb));
    // The policy: a real pam_pwquality line in front of pam_matrix, as a
    // distribution's common-password has it. enforce_for_root because the
    // test runs as root, where pwquality would otherwise only warn.
    // pam_matrix answers an unknown user like a wrong password (AUTH_ERR);
    // a real "user unknown" comes from an NSS-backed module, as pam_unix
    // gives it in production. pam_succeed_if only reads the user database.
    let security = find_module("pam_succeed_if.so");
    let Some(succeed_if) = security else {
        return missing("pam_succeed_if.so not found (Debian package libpam-modules)");
    };
    write(
        &svc_dir.join(SVC_NSS),
        &format!(
            "auth requisite {} uid >= 0 quiet\n{}",
            succeed_if.display(),
            matrix_service_text(&matrix, &passdb)
        ),
    );
    let m = matrix.display();
    let p = passdb_policy.display();
    write(
        &svc_dir.join(SVC_POLICY),
        &format!(
            "auth required {m} passdb={p}\n\
             account required {m} passdb={p}\n\
             password requisite {} minlen=12 dictcheck=0 enforce_for_root retry=1\n\
             password required {m} passdb={p}\n",
            pwquality.display()
        ),
    );

    // pam_faillock, as a distribution enables it (EL: authselect
    // with-faillock; Debian: lines in common-auth): the gate must report its
    // lockout after `deny` failures even for the right password.
    let Some(faillock) = find_module("pam_faillock.so") else {
        return missing("pam_faillock.so not found (Debian package libpam-modules)");
    };
    let passdb_fl = dir.join("passdb-faillock");
    write(&passdb_fl, &format!("root:{PW_FL}:{SVC_FAILLOCK}\n"));
    let fl = faillock.display();
    let tally = dir.join("faillock");
    std::fs::create_dir_all(&tally).unwrap();
    let opts = format!(
        "dir={} deny=3 unlock_time=600 even_deny_root root_unlock_time=600",
        tally.display()
    );
    let pf = passdb_fl.display();
    write(
        &svc_dir.join(SVC_FAILLOCK),
        &format!(
            "auth required {fl} preauth {opts}\n\
             auth [success=1 default=bad] {m} passdb={pf}\n\
             auth [default=die] {fl} authfail {opts}\n\
             auth sufficient {fl} authsucc {opts}\n\
             account required {fl} dir={}\n\
             account required {m} passdb={pf}\n",
            tally.display()
        ),
    );

    let exe = std::env::current_exe().unwrap();
    let out = run_with_timeout(
        Command::new(exe)
            .args([
                "--exact",
                "pam_child_scenarios",
                "--nocapture",
                "--include-ignored",
                "--test-threads=1",
            ])
            .env("LD_PRELOAD", &wrapper)
            .env("PAM_WRAPPER", "1")
            .env("PAM_WRAPPER_SERVICE_DIR", &svc_dir)
            .env(CHILD_ENV, dir)
            .env("RUST_BACKTRACE", "0"),
        Duration::from_secs(300),
    )
    .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child scenarios failed:\n{text}");
    assert!(
        text.contains(DONE_MARKER),
        "child did not run the scenarios:\n{text}"
    );
    assert!(
        text.contains("faillock said: Err"),
        "the pam_faillock scenario did not run:\n{text}"
    );
    assert!(
        text.contains("authentication of root on tty1 failed: wrong password"),
        "failure not audited:\n{text}"
    );
    assert!(
        text.contains("authentication of root on tty1 succeeded"),
        "no audit line:\n{text}"
    );
    for pw in [
        PW_OLD,
        PW_WRONG,
        PW_NEW,
        PW_WEAK,
        PW_POLICY_OLD,
        PW_POLICY_NEW,
        PW_OTHER,
    ] {
        assert!(
            !text.contains(pw),
            "a test password leaked into the output:\n{text}"
        );
    }
    // The change really reached pam_matrix's database.
    let db = std::fs::read_to_string(&passdb).unwrap();
    assert!(
        db.contains(PW_NEW) && !db.contains(PW_OLD),
        "passdb not updated"
    );
}

fn s(x: &str) -> Secret {
    Secret::from(x)
}

#[test]
#[ignore = "runs only inside pam_scenarios, under pam_wrapper"]
fn pam_child_scenarios() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        eprintln!("pam_child_scenarios: not started by pam_scenarios, nothing to do");
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    let dir = PathBuf::from(dir);
    let root = Pam::root(SVC);

    // Right password, with the terminal set.
    root.authenticate(&s(PW_OLD), Some("tty1"))
        .expect("right password");
    // Wrong password.
    assert_eq!(
        root.authenticate(&s(PW_WRONG), Some("tty1")),
        Err(AuthError::WrongPassword)
    );
    // Unknown user: pam_matrix alone cannot tell it from a wrong password...
    assert_eq!(
        Pam::new(SVC, "nc-no-such-user").authenticate(&s(PW_OLD), None),
        Err(AuthError::WrongPassword)
    );
    // ... an NSS-backed module in the stack can, and we report it.
    // Account management runs after authentication: the passdb entry of
    // root allows only the service nc-test, so pam_matrix's account check
    // refuses nc-test-nss although the password is right.
    match Pam::root(SVC_NSS).authenticate(&s(PW_OLD), None) {
        Err(AuthError::Rejected(m)) => assert!(m.contains("account check"), "{m}"),
        other => panic!("account management not applied: {other:?}"),
    }
    assert_eq!(
        Pam::new(SVC_NSS, "nc-no-such-user").authenticate(&s(PW_OLD), None),
        Err(AuthError::UnknownUser)
    );
    // Confirmation mismatch is caught before PAM.
    assert_eq!(
        check_new_password(&s(PW_NEW), &s(PW_OTHER)),
        Err(AuthError::Mismatch)
    );
    // Change with a wrong current password: refused, nothing changed.
    assert_eq!(
        root.change_password(&s(PW_WRONG), &s(PW_NEW)),
        Err(AuthError::WrongPassword)
    );
    root.authenticate(&s(PW_OLD), None)
        .expect("old password still valid");
    // Change: success, then the old one fails and the new one works.
    let msgs = root
        .change_password(&s(PW_OLD), &s(PW_NEW))
        .expect("chauthtok");
    eprintln!("chauthtok messages: {msgs:?}");
    assert_eq!(
        root.authenticate(&s(PW_OLD), None),
        Err(AuthError::WrongPassword)
    );
    root.authenticate(&s(PW_NEW), None)
        .expect("new password works");

    // Policy: pam_pwquality refuses a weak password, with its message.
    let policy = Pam::root(SVC_POLICY);
    match policy.change_password(&s(PW_POLICY_OLD), &s(PW_WEAK)) {
        Err(AuthError::Rejected(m)) => {
            eprintln!("policy said: {m}");
            assert!(m.contains("BAD PASSWORD"), "unexpected policy message: {m}");
        }
        other => panic!("weak password not rejected: {other:?}"),
    }
    policy
        .authenticate(&s(PW_POLICY_OLD), None)
        .expect("unchanged after rejection");
    // ... and lets a strong one through the same stack.
    policy
        .change_password(&s(PW_POLICY_OLD), &s(PW_POLICY_NEW))
        .expect("strong password accepted");
    policy
        .authenticate(&s(PW_POLICY_NEW), None)
        .expect("new policy password works");

    // pam_faillock: the right password works, three failures lock the
    // account, and then even the right password is refused.
    let fl = Pam::root(SVC_FAILLOCK);
    fl.authenticate(&s(PW_FL), Some("tty1"))
        .expect("right password before any failure");
    for _ in 0..3 {
        assert!(fl.authenticate(&s(PW_WRONG), Some("tty1")).is_err());
    }
    let locked = fl.authenticate(&s(PW_FL), Some("tty1"));
    eprintln!("faillock said: {locked:?}");
    assert!(locked.is_err(), "pam_faillock did not lock the account");
    assert!(
        dir.join("faillock").join("root").is_file(),
        "no faillock tally was written"
    );

    assert!(dir.join("passdb").is_file());
    println!("{DONE_MARKER}");
}
