//! What the package installs to keep the node's keyboard from going past
//! the console's root password gate (Ctrl+Alt+Del, magic SysRq), and the
//! unit settings that keep the console's files private and its memory out
//! of core dumps. The maintainer scripts run for real with `systemctl
//! --root` on a scratch tree (never the host's /etc).

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The `key=value` lines of one `[section]` of a unit or drop-in file.
fn section(text: &str, name: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == format!("[{name}]");
            continue;
        }
        if inside && !line.starts_with('#') {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    out
}

fn has(lines: &[(String, String)], key: &str, value: &str) -> bool {
    lines.iter().any(|(k, v)| k == key && v == value)
}

#[test]
fn console_units_use_a_private_umask_and_no_core_dumps() {
    for unit in [
        "systemd/nodeconsole@.service",
        "systemd/nodeconsole-serial@.service",
    ] {
        let service = section(&read(unit), "Service");
        assert!(has(&service, "UMask", "0077"), "{unit}: UMask=0077");
        assert!(has(&service, "LimitCORE", "0"), "{unit}: LimitCORE=0");
    }
}

#[test]
fn ctrl_alt_del_burst_and_sysrq_are_restricted() {
    let manager = section(
        &read("systemd/system.conf.d/60-nodeconsole.conf"),
        "Manager",
    );
    assert!(has(&manager, "CtrlAltDelBurstAction", "none"));
    let sysctl = read("systemd/sysctl.d/60-nodeconsole.conf");
    let sysrq: Vec<&str> = sysctl
        .lines()
        .map(str::trim)
        .filter(|l| l.trim_start_matches('-').starts_with("kernel.sysrq"))
        .collect();
    assert_eq!(sysrq.len(), 1, "{sysctl}");
    let value: u32 = sysrq[0].split('=').nth(1).unwrap().trim().parse().unwrap();
    // Bits of Documentation/admin-guide/sysrq.rst: 4 keyboard control (SAK,
    // unraw), 64 signalling processes, 128 reboot/poweroff.
    assert_eq!(value & (1 | 4 | 64 | 128), 0, "kernel.sysrq = {value}");
    // The undo is documented where the operator looks.
    let install = read("docs/install.md");
    assert!(install.contains("systemctl unmask ctrl-alt-del.target"));
    assert!(install.contains("kernel.sysrq"));
}

fn systemctl() -> Option<PathBuf> {
    for p in ["/usr/bin/systemctl", "/bin/systemctl"] {
        if Path::new(p).exists() {
            return Some(p.into());
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true and systemctl is missing (Debian package systemd)");
    }
    eprintln!("SKIPPED: systemctl not installed (Debian package systemd)");
    None
}

#[test]
fn deb_scripts_mask_ctrl_alt_del_and_give_it_back() {
    let Some(_) = systemctl() else { return };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/lib/systemd/system")).unwrap();
    std::fs::create_dir_all(root.join("etc/systemd/system")).unwrap();
    for unit in ["ctrl-alt-del.target", "reboot.target"] {
        std::fs::write(
            root.join("usr/lib/systemd/system").join(unit),
            "[Unit]\nDescription=scratch copy\n",
        )
        .unwrap();
    }
    let script = |name: &str, arg: &str| {
        let out = Command::new("sh")
            .arg(repo().join("systemd/pkg/deb").join(name))
            .arg(arg)
            .env("DPKG_ROOT", root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name} {arg}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let link = root.join("etc/systemd/system/ctrl-alt-del.target");
    script("postinst", "configure");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("/dev/null"),
        "postinst masks ctrl-alt-del.target"
    );
    script("postrm", "remove");
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "postrm unmasks ctrl-alt-del.target"
    );
    // The rpm scriptlets do the same.
    assert!(read("systemd/pkg/rpm/post").contains("systemctl mask ctrl-alt-del.target"));
    assert!(read("systemd/pkg/rpm/preun").contains("systemctl unmask ctrl-alt-del.target"));
}

#[test]
fn network_files_stay_readable_under_the_units_umask() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask(2) has no preconditions; this binary's other tests
    // create no files whose modes they check.
    let old = unsafe { libc::umask(0o077) };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("etc/systemd/network/10-nc.network");
    let r = nodeconsole::net::backend::files::write_file(&file, "[Match]\nName=eth0\n");
    // SAFETY: as above.
    unsafe { libc::umask(old) };
    r.unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o644, "networkd (not root) reads it");
    assert_eq!(mode(file.parent().unwrap()), 0o755);
    assert_eq!(mode(&dir.path().join("etc")), 0o755);
}
