//! End to end through real PAM: the binary in tmux with pam_wrapper
//! preloaded and its own pam_matrix service and passdb (never a real
//! account). The root password gate, the menu, the root password change
//! through PAM chauthtok, F12 with its typed phrase, and the idle timeout;
//! then a search of every captured screen and the log for the passwords.

mod common;
use common::tmux::{bin, q, require, Tmux};
use nodeconsole::ops::demo_pam::{libpam_wrapper_path, matrix_service_text, pam_matrix_path};

const RIGHT: &str = "Right-Pass-7x";
const WRONG: &str = "Wrong-Pass-3q";
const NEWPW: &str = "Fresh-Pass-9z";
const SERVICE: &str = "nodeconsole-e2e";

struct Pam {
    preload: String,
}

fn pam_setup(t: &Tmux) -> Option<Pam> {
    let (Some(wrapper), Some(matrix)) = (libpam_wrapper_path(), pam_matrix_path()) else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("libpam-wrapper (libpam_wrapper.so, pam_matrix.so) is missing: make test installs it");
        }
        eprintln!("SKIPPED: libpam-wrapper is not installed");
        return None;
    };
    let dir = t.path("pam.d");
    std::fs::create_dir_all(&dir).unwrap();
    let passdb = t.path("passdb");
    std::fs::write(&passdb, format!("root:{RIGHT}:{SERVICE}\n")).unwrap();
    std::fs::write(dir.join(SERVICE), matrix_service_text(&matrix, &passdb)).unwrap();
    Some(Pam {
        preload: format!(
            "LD_PRELOAD={} PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR={}",
            q(&wrapper),
            q(&dir)
        ),
    })
}

fn start(role: &str, idle: u64) -> Option<(Tmux, std::path::PathBuf)> {
    start_with(role, &format!("[auth]\nidle_timeout_s = {idle}\n"))
}

fn start_with(role: &str, config: &str) -> Option<(Tmux, std::path::PathBuf)> {
    if !require("tmux") {
        return None;
    }
    // Created first so the pam files live in the session's temp dir.
    let t = Tmux::start("true", 10, 5);
    let pam = pam_setup(&t)?;
    let log = t.path("console.log");
    let cfg = t.path("config.toml");
    std::fs::write(&cfg, config).unwrap();
    let cmd = format!(
        "{} {} --demo --role {role} --config {} --pam-service {SERVICE} --log-file {}",
        pam.preload,
        bin(),
        q(&cfg),
        q(&log)
    );
    // A second session in a fresh server with the real command.
    let t2 = Tmux::start(&cmd, 80, 24);
    // Keep the first one's directory alive by moving its files' owner:
    // simplest is to leak it for the test's lifetime.
    std::mem::forget(t);
    t2.wait_text("NODE INFO");
    Some((t2, log))
}

/// Moves the cursor of a NIC choice list (on screen `s`) to `name`.
fn choose_nic(t: &Tmux, s: &str, name: &str) {
    let row = s
        .lines()
        .filter(|l| l.contains("veth"))
        .position(|l| l.contains(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} not listed:\n{s}"));
    for _ in 0..row {
        t.key("Down");
    }
}

/// Opens the System Configuration item labelled `label`: its row number is
/// read off the menu on screen (items are picked by what they are, never
/// by a position that moves when features are added).
fn open_item(t: &Tmux, label: &str) {
    let s = t.wait_text(label);
    let n: usize = s
        .lines()
        .find_map(|l| {
            let (head, _) = l.split_once(&format!(". {label}"))?;
            head.rsplit(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{label} is not on the menu:\n{s}"));
    t.key("Home");
    for _ in 1..n {
        t.key("Down");
    }
    t.key("Enter");
}

fn password(t: &Tmux, open: &str, pw: &str) {
    t.key(open);
    t.wait_text("needs the root password");
    t.type_text(pw);
    t.key("Enter");
}

#[test]
fn gate_menu_password_change_power_and_idle() {
    let Some((t, log)) = start("management", 600) else {
        return;
    };
    let mut screens = Vec::new();

    // Wrong password: an error window, then the main screen.
    password(&t, "F2", WRONG);
    screens.push(t.wait_text("Authentication failed"));
    t.key("Enter");
    screens.push(t.wait_for("main screen", |s| {
        s.contains("NIC INFO") && !s.contains("Authentication")
    }));

    // Right password: the 12 items; j/k; Esc; F2 back; F2 asks again.
    password(&t, "F2", RIGHT);
    let s = t.wait_text("12. Terminal Info");
    assert!(s.contains("Start/Stop/Restart libvirt Service"), "{s}");
    screens.push(s);
    open_item(&t, "Terminal Info");
    screens.push(t.wait_text("Ctrl+Alt+F2"));
    t.key("Escape");
    screens.push(t.wait_for("menu again", |s| {
        s.contains("System Configuration") && !s.contains("Ctrl+Alt+F2")
    }));
    t.key("k");
    t.key("j");
    t.key("F2");
    screens.push(t.wait_for("main screen", |s| s.contains("NIC INFO")));
    t.key("F2");
    screens.push(t.wait_text("needs the root password"));
    t.key("Escape");
    // Wait for the Esc to land: a key sent while the console has not read
    // the bare ESC yet would reach it as Alt+key (one escape sequence).
    t.wait_for("the password prompt closed", |s| {
        s.contains("NIC INFO") && !s.contains("needs the root password")
    });

    // Root password change through PAM chauthtok (pam_matrix's passdb).
    password(&t, "c", RIGHT);
    t.wait_text("12. Terminal Info");
    t.key("Enter");
    t.wait_text("System root password");
    t.key("Enter");
    t.wait_text("Old password");
    t.type_text(RIGHT);
    t.key("Tab");
    t.type_text(NEWPW);
    t.key("Tab");
    t.type_text(NEWPW);
    t.key("Enter");
    screens.push(t.wait_text("[Y] Yes"));
    t.key("Y");
    let s = t.wait_for("password change result", |s| {
        s.contains("was changed") || s.contains("NOT changed")
    });
    assert!(s.contains("The root password was changed"), "{s}");
    screens.push(s);
    t.key("Enter");
    t.key("F2");
    t.wait_text("NIC INFO");
    password(&t, "F2", RIGHT);
    screens.push(t.wait_text("Authentication failed"));
    t.key("Enter");
    // Three failures so far in a row? No: one success in between. Now the
    // new password works.
    password(&t, "F2", NEWPW);
    screens.push(t.wait_text("12. Terminal Info"));
    t.key("F2");
    t.wait_text("NIC INFO");

    // F12: Reboot; the phrase is exact; the demo only says what it would do.
    password(&t, "F12", NEWPW);
    t.wait_text("Enter  Select");
    t.key("Enter");
    t.wait_text("to confirm");
    t.type_text("reboot");
    t.key("Enter");
    screens.push(t.wait_text("Type exactly: REBOOT"));
    t.type_text("REBOOT");
    t.key("Enter");
    let s = t.wait_text("Demo mode: nothing was done");
    assert!(s.contains("Reboot"), "{s}");
    screens.push(s);
    t.key("Enter");
    screens.push(t.wait_for("main screen", |s| {
        s.contains("NIC INFO") && !s.contains("Demo mode")
    }));

    // Nothing secret anywhere.
    let logtext = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logtext.contains("outcome=\"failure\""),
        "audit log: {logtext}"
    );
    assert!(
        logtext.contains("outcome=\"success\""),
        "audit log: {logtext}"
    );
    for pw in [RIGHT, WRONG, NEWPW] {
        assert!(!logtext.contains(pw), "password in the log");
        for s in &screens {
            assert!(!s.contains(pw), "password on screen:\n{s}");
        }
    }
    t.key("q");
    t.wait_text("EXITED:0");
}

#[test]
fn idle_timeout_drops_the_session() {
    // 5 s: long enough that a loaded machine still shows the menu before
    // the timeout, short enough to keep the test quick.
    let Some((t, _log)) = start("compute", 5) else {
        return;
    };
    password(&t, "F2", RIGHT);
    let s = t.wait_text("7. Terminal Info");
    assert!(!s.contains("Backup Database"), "compute subset:\n{s}");
    // No keys: after the 5 s idle timeout the console locks itself.
    t.wait_for("the main screen after the idle timeout", |s| {
        s.contains("NIC INFO") && !s.contains("Terminal Info")
    });
    t.key("F2");
    t.wait_text("needs the root password");
}

/// Opens menu item `label`, waits for its window `title` and
/// the export URL it ends with, downloads the tarball the export page links
/// with curl, and returns the names in it.
fn export_through_menu(label: &str, title: &str) -> Option<String> {
    if !require("curl") || !require("tmux") {
        return None;
    }
    // Port 0: the console's server takes a free port itself and its URLs
    // carry the real one (a port probed free here could be taken by another
    // test before the console binds it).
    let (t, _log) = start_with("management", "[export]\nport = 0\n")?;
    password(&t, "F2", RIGHT);
    t.wait_text("12. Terminal Info");
    open_item(&t, label);
    t.wait_text(title);
    let s = t.wait_for("the export URL", |s| s.contains("Open: http"));
    let page = s
        .lines()
        .find_map(|l| l.split("Open: ").nth(1))
        .map(|u| u.trim_end_matches(|c: char| c == '|' || c == '│' || c.is_whitespace()))
        .expect("url line")
        .to_string();
    let port: u16 = page
        .strip_prefix("http://127.0.0.1:")
        .and_then(|r| r.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("not a loopback URL with a port: {page}"));
    assert_ne!(port, 0, "{page}");
    let html = std::process::Command::new("curl")
        .args(["-sSf", &page])
        .output()
        .unwrap();
    assert!(html.status.success(), "curl {page}");
    let html = String::from_utf8_lossy(&html.stdout);
    let file = html
        .split("href=\"")
        .skip(1)
        .filter_map(|h| h.split('"').next())
        .find(|h| h.ends_with(".tar.gz"))
        .unwrap_or_else(|| panic!("no tarball link in {html}"));
    let url = if file.starts_with("http") {
        file.to_string()
    } else {
        format!("{page}{}", file.trim_start_matches("./"))
    };
    let out = t.path("export.tar.gz");
    let ok = std::process::Command::new("curl")
        .args(["-sSf", "-o"])
        .arg(&out)
        .arg(&url)
        .status()
        .unwrap()
        .success();
    assert!(ok, "curl {url}");
    let list = std::process::Command::new("tar")
        .arg("-tzf")
        .arg(&out)
        .output()
        .unwrap();
    assert!(list.status.success());
    t.key("Enter");
    t.wait_text("12. Terminal Info");
    Some(String::from_utf8_lossy(&list.stdout).into_owned())
}

#[test]
fn collect_logs_in_demo_gives_a_url_that_downloads() {
    let Some(names) = export_through_menu("Collect Logs", "Collect Logs (this node)") else {
        return;
    };
    assert!(names.contains("SUMMARY.txt"), "{names}");
}

/// Backup Database on the libvirt engine: the definitions are exported by
/// the `nodeconsole-virt` helper process and served like any export.
#[test]
fn backup_database_in_demo_exports_the_fixture_definitions() {
    let Some(names) = export_through_menu("Backup Database", "Backup Database") else {
        return;
    };
    assert!(names.contains("MANIFEST.txt"), "{names}");
    assert!(names.contains("web-01.xml"), "{names}");
    assert!(names.contains("win-build.xml"), "{names}");
}

/// Network operations in `--demo` act on the demo's private namespace
/// (eth0-eth3 veths, a gateway at 192.168.100.1 behind a bridge in a second
/// namespace), never on the host: rename a NIC and see the NIC panel change,
/// ping the demo gateway, and have Configure Networks refuse a gateway
/// outside the subnet.
#[test]
fn demo_network_rename_ping_and_refused_gateway() {
    let Some((t, _log)) = start("management", 600) else {
        return;
    };
    t.wait_for("the demo NICs", |s| {
        s.contains("eth1") && s.contains("veth")
    });
    password(&t, "F2", RIGHT);
    t.wait_text("12. Terminal Info");

    // Rename eth1 -> data1.
    open_item(&t, "Rename NIC");
    t.wait_text("Rename NIC: choose the NIC");
    let s = t.capture();
    choose_nic(&t, &s, "eth1");
    t.key("Enter");
    t.wait_text("Rename NIC eth1");
    for _ in 0..4 {
        t.key("BSpace");
    }
    t.type_text("data1");
    t.key("Enter");
    t.wait_text("Rename eth1 to data1?");
    t.key("Y");
    t.wait_text("eth1 is now data1");
    t.key("Enter");
    t.key("F2");
    t.wait_for("data1 in the NIC panel", |s| {
        s.contains("NIC INFO") && s.contains("data1") && !s.contains("eth1 ")
    });

    // Test Network to the demo gateway.
    password(&t, "F2", RIGHT);
    open_item(&t, "Test Network");
    t.wait_text("Test Network: diagnostics");
    t.key("Home");
    t.key("Enter");
    t.wait_text("Target");
    for _ in 0..20 {
        t.key("BSpace");
    }
    t.type_text("192.168.100.1");
    t.key("Enter");
    let s = t.wait_for("the ping summary", |s| s.contains("% loss"));
    assert!(s.contains("4 received, 0% loss"), "{s}");
    t.key("Enter");

    // Configure Networks: a gateway outside the subnet is refused.
    t.wait_text("12. Terminal Info");
    open_item(&t, "Configure Networks");
    let s = t.wait_text("Configure Networks: NICs that are up");
    choose_nic(&t, &s, "eth0");
    t.key("Enter");
    let s = t.wait_text("Gateway");
    assert!(s.contains("192.168.100.10"), "pre-filled IP:\n{s}");
    t.key("Tab");
    t.key("Tab");
    t.type_text("10.9.9.1");
    t.key("Enter");
    t.wait_text("is not in the subnet");
    t.key("Escape");
    t.wait_text("12. Terminal Info");
}

/// Safety: a change to the management NIC that is not kept in time is
/// rolled back by itself (network.rollback_s = 8 here), in the demo's
/// namespace, and the NIC panel shows the old address again.
#[test]
fn demo_unconfirmed_management_change_rolls_back() {
    // 8 s: the question must still be on screen when a loaded machine
    // captures it.
    let Some((t, _log)) = start_with("management", "[network]\nrollback_s = 8\n") else {
        return;
    };
    t.wait_for("the demo NICs", |s| s.contains("192.168.100.10/24"));
    password(&t, "F2", RIGHT);
    t.wait_text("12. Terminal Info");
    open_item(&t, "Configure Networks");
    let s = t.wait_text("Configure Networks: NICs that are up");
    choose_nic(&t, &s, "eth0");
    t.key("Enter");
    t.wait_text("rolled back unless you keep it");
    t.key("BSpace");
    t.key("BSpace");
    t.type_text("20");
    t.key("Tab");
    t.key("Tab");
    t.type_text("192.168.100.1");
    t.key("Enter");
    // The demo's eth0 holds the default route via the demo gateway: the
    // change is shown as before -> after of the node's reachability, and
    // guarded.
    t.wait_text("Default route: via 192.168.100.1 (eth0) (unchanged)");
    t.wait_text("Management address: 192.168.100.10 -> 192.168.100.20");
    t.key("Y");
    t.wait_text("Keep this configuration?");
    // No answer: the watchdog restores the previous configuration.
    t.wait_text("not confirmed in time");
    t.key("Enter");
    t.key("F2");
    t.wait_for("the old address back in the NIC panel", |s| {
        s.contains("NIC INFO") && s.contains("192.168.100.10/24") && !s.contains("192.168.100.20")
    });
}
