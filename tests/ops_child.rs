//! Child processes and the terminal: every child the console starts has a
//! session of its own, the default signal dispositions (although the
//! console ignores SIGINT, SIGQUIT, SIGTSTP, SIGTTIN and SIGTTOU) and no
//! terminal as stdin — the diagnostic commands of Collect Logs and the real
//! `nodeconsole-virt` helper alike. Also the process hardening done at the
//! start of `main` (no core dumps, a raised descriptor limit).

use std::collections::BTreeMap;
use std::path::PathBuf;

use nodeconsole::engine::libvirt::helper::{HelperCommand, HelperNode};
use nodeconsole::engine::libvirt::NodeCalls;
use nodeconsole::export::command::{run_to_file, CommandStatus};
use nodeconsole::export::CommandSpec;
use nodeconsole::job::Recorder;

/// The console's own signal set-up, applied to this test process, so that
/// a child that inherits it shows it.
fn like_the_console() {
    nodeconsole::terminal::ignore_job_control_signals();
    // SAFETY: getsid(0) has no preconditions.
    let sid = unsafe { libc::getsid(0) };
    // 0 when our session leader lives outside this PID namespace (a CI
    // container): the children's own sessions are checked against their
    // PIDs, which holds either way.
    assert!(sid >= 0, "getsid: {}", std::io::Error::last_os_error());
}

/// `Name: value` lines of /proc/<pid>/status.
fn status_of(pid: u32) -> BTreeMap<String, String> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

#[test]
fn diagnostic_commands_get_their_own_session_default_signals_and_no_stdin() {
    like_the_console();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    // The masks are read by the process the shell execs last (same PID,
    // inherited set-up): a shell blocks every signal for a moment around
    // each fork, so reading /proc/$$/status from a child of it races.
    let script = "echo \"pid=$$\"; echo \"sid=$(cut -d ' ' -f6 /proc/$$/stat)\"; \
                  echo \"stdin=$(readlink /proc/$$/fd/0)\"; \
                  exec grep -E '^(SigIgn|SigBlk|Umask):' /proc/self/status";
    let spec = CommandSpec::new("probe", &["sh", "-c", script]);
    let (status, _) = run_to_file(&spec, &out, 1 << 20, &Recorder::default());
    assert_eq!(status, CommandStatus::Exited(0));
    let text = std::fs::read_to_string(&out).unwrap();
    let got: BTreeMap<&str, &str> = text
        .lines()
        .filter_map(|l| l.split_once(['=', ':']))
        .map(|(k, v)| (k, v.trim()))
        .collect();
    assert_eq!(got["sid"], got["pid"], "own session:\n{text}");
    // SAFETY: getsid(0) has no preconditions.
    let ours = unsafe { libc::getsid(0) }.to_string();
    assert_ne!(got["sid"], ours, "not the console's session:\n{text}");
    assert_eq!(
        got["SigIgn"], "0000000000000000",
        "no ignored signals:\n{text}"
    );
    assert_eq!(
        got["SigBlk"], "0000000000000000",
        "no blocked signals:\n{text}"
    );
    assert_eq!(got["stdin"], "/dev/null", "{text}");
    assert_eq!(
        got["Umask"], "0022",
        "children get the usual umask:\n{text}"
    );
}

#[test]
fn the_libvirt_helper_gets_its_own_session_and_default_signals() {
    like_the_console();
    let node = HelperNode::new(HelperCommand {
        program: PathBuf::from(env!("CARGO_BIN_EXE_nodeconsole-virt")),
        uri: "test:///default".into(),
    });
    node.status().expect("the helper answers");
    let pid = node.pid().expect("a running helper");
    assert_eq!(
        nodeconsole::child::session_of(pid).unwrap(),
        pid as i32,
        "the helper leads its own session"
    );
    let st = status_of(pid);
    let ignored = u64::from_str_radix(&st["SigIgn"], 16).unwrap();
    // SIGPIPE (bit 12) is ignored by the helper's own Rust runtime at its
    // start; nothing else may be.
    assert_eq!(ignored & !(1 << (libc::SIGPIPE - 1)), 0, "{st:?}");
    let stdin = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap();
    assert!(
        stdin.to_string_lossy().starts_with("pipe:"),
        "the helper reads a pipe, not a terminal: {}",
        stdin.display()
    );
}

#[test]
fn hardening_turns_core_dumps_off_and_raises_the_descriptor_limit() {
    use nix::sys::resource::{getrlimit, Resource};
    let h = nodeconsole::ops::process::harden();
    assert!(h.problems.is_empty(), "{:?}", h.problems);
    assert!(!nodeconsole::ops::process::is_dumpable());
    assert_eq!(getrlimit(Resource::RLIMIT_CORE).unwrap(), (0, 0));
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    assert_eq!(soft, nodeconsole::ops::process::WANT_NOFILE.min(hard));
    assert_eq!(h.nofile, soft);
}
