//! End to end: the real binary in tmux at 80x24 with `--demo` (libvirt's
//! test driver and the shipped fixture): every panel, the fixture's VM
//! counts, resize below the minimum and back, and the job-control keys
//! that must neither end nor suspend the console.

mod common;
use common::poll;
use common::tmux::{bin, children_named, q, require, Tmux};

const PANELS: [&str; 8] = [
    "NODE INFO",
    "TIME INFO",
    "DISK INFO",
    "NIC INFO",
    "HOST INFO",
    "VM INFO",
    "CPU USAGE",
    "MEM USAGE",
];

fn now_line(screen: &str) -> String {
    screen
        .lines()
        .find(|l| l.contains("Now "))
        .unwrap_or_default()
        .to_string()
}

/// The demo at 80x24 with a log file; `None` when tmux is missing (outside CI).
fn start_demo() -> Option<(Tmux, tempfile::NamedTempFile)> {
    if !require("tmux") {
        return None;
    }
    let log = tempfile::NamedTempFile::new().unwrap();
    let t = Tmux::start(
        &format!("{} --demo --log-file {}", bin(), q(log.path())),
        80,
        24,
    );
    Some((t, log))
}

#[test]
fn demo_main_screen_resize_and_job_control_keys() {
    let Some((t, _log)) = start_demo() else {
        return;
    };
    let s = t.wait_for("all panels with data", |s| {
        PANELS.iter().all(|p| s.contains(p)) && s.contains("Running   7")
    });
    // The fixture: 14 domains, 7 running, 5 shut off, 2 paused.
    assert!(s.contains("Total     14"), "{s}");
    assert!(s.contains("Stopped   5"), "{s}");
    assert!(s.contains("VM INFO +2 paused"), "{s}");
    assert!(s.contains("F2/c") && s.contains("F12/p"), "{s}");
    assert!(s.contains("DEMO"), "{s}");

    t.resize(60, 20);
    t.wait_text("terminal too small");
    t.resize(80, 24);
    t.wait_for("full screen again", |s| {
        !s.contains("terminal too small") && PANELS.iter().all(|p| s.contains(p))
    });

    for k in ["C-c", "C-z", "C-\\"] {
        t.key(k);
    }
    let before = now_line(&t.capture());
    let after = t.wait_for("the clock to move after Ctrl+C/Ctrl+Z", |s| {
        now_line(s) != before && !s.contains("EXITED")
    });
    assert!(PANELS.iter().all(|p| after.contains(p)), "{after}");

    t.key("q");
    let end = t.wait_text("EXITED:");
    assert!(end.contains("EXITED:0"), "{end}");
}

#[test]
fn demo_compute_role_lists_the_vms() {
    if !require("tmux") {
        return;
    }
    let t = Tmux::start(&format!("{} --demo --role compute", bin()), 120, 40);
    let s = t.wait_for("VM table", |s| {
        s.contains("web-01") && s.contains("win-build")
    });
    assert!(s.contains("14 total, 7 run, 5 stop, 2 paused"), "{s}");
    assert!(s.contains("compute node"), "{s}");
    t.key("q");
    t.wait_text("EXITED:0");
}

/// The console runs libvirt's calls in its `nodeconsole-virt` helper: the
/// console process never maps libvirt, and when the helper dies the console
/// starts a new one and the VM panel carries on.
#[test]
fn demo_libvirt_helper_is_separate_and_replaced_when_killed() {
    let Some((t, log)) = start_demo() else {
        return;
    };
    t.wait_text("Running   7");
    let shell = t.pane_pid();
    let console = children_named(shell, "nodeconsole");
    assert_eq!(console.len(), 1, "one console under the pane's shell");
    let console = console[0];
    let maps = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    assert!(
        !maps(console).contains("libvirt"),
        "the console maps libvirt"
    );

    let helpers = children_named(console, "nodeconsole-vir");
    assert_eq!(helpers.len(), 1, "{helpers:?}");
    let first = helpers[0];
    assert!(maps(first).contains("libvirt.so"));

    // SAFETY: plain syscall on a process this test started (indirectly).
    assert_eq!(unsafe { libc::kill(first as i32, libc::SIGKILL) }, 0);
    let second = poll::until_ok("a new helper", poll::DEADLINE, || {
        match children_named(console, "nodeconsole-vir")[..] {
            [pid] if pid != first => Ok(pid),
            ref now => Err(format!("{now:?}")),
        }
    });
    assert_ne!(second, first);
    let s = t.wait_for("VM counts from the new helper", |s| {
        s.contains("Running   7") && s.contains("Total     14")
    });
    assert!(!s.contains("EXITED"), "{s}");
    let logged = std::fs::read_to_string(log.path()).unwrap();
    assert!(logged.contains("the libvirt helper ended"), "{logged}");

    t.key("q");
    t.wait_text("EXITED:0");
    // The helper ends with the console.
    poll::until(&format!("helper {second} to end with the console"), || {
        !std::path::Path::new(&format!("/proc/{second}")).exists()
    });
}

/// TIME INFO's clock check in the real program: the demo with
/// `time.reference` set to an NTP server the test runs on loopback, 5 s
/// ahead, shows the offset as a fault (beyond `time.max_offset_s`).
#[test]
fn demo_time_info_shows_the_clock_offset_against_its_reference() {
    if !require("tmux") {
        return;
    }
    let srv = common::sntp::serve(common::sntp::Answer::Skewed(5.0));
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[time]\nreference = \"{}\"\nmax_offset_s = 0.5\ncheck_s = 8\n",
            srv.addr
        ),
    )
    .unwrap();
    let log = dir.path().join("log");
    let t = Tmux::start(
        &format!(
            "{} --demo --config {} --log-file {}",
            bin(),
            q(&cfg),
            q(&log)
        ),
        80,
        24,
    );
    let s = t.wait_for("the clock line", |s| s.contains("Clock   +"));
    let line = s.lines().find(|l| l.contains("Clock   +")).unwrap();
    assert!(line.contains(&format!("vs {}", srv.addr)), "{line}");
    let off: f64 = line
        .split("Clock   +")
        .nth(1)
        .and_then(|r| r.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no offset in {line:?}"));
    assert!((off - 5.0).abs() < 0.3, "{line}");
    drop(srv);
}
