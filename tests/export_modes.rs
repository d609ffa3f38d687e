//! Modes of every file and directory an export creates: the export
//! directory 0700; the tarball, its work files, the state file and its
//! backup, and an engine's backup 0600 — under the usual umask 022, so that
//! only the code (not the unit's `UMask=0077`) is tested here. A directory
//! and state file left world-readable by an older version are narrowed.

mod export_common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use export_common::{fixture_root, spec};
use nodeconsole::engine::libvirt::LibvirtEngine;
use nodeconsole::export::{CommandSpec, ExportConfig, ExportService};

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn umask_022() {
    // SAFETY: umask(2) has no preconditions; the whole test binary wants it.
    unsafe { libc::umask(0o022) };
}

#[test]
fn every_file_an_export_creates_is_private() {
    umask_022();
    let root = fixture_root();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("exports");
    let cfg = ExportConfig {
        dir: dir.clone(),
        state_file: work.path().join("state/exports.json"),
        ..Default::default()
    };
    let svc = ExportService::new(cfg.clone()).unwrap();
    let mut s = spec(root.path());
    // Runs while the collection is under way: the modes of the work
    // directory and of the outputs of the commands before it.
    s.commands.push(CommandSpec::new(
        "modes",
        &[
            "sh",
            "-c",
            &format!(
                "stat -c '%a %n' {d}/.*.work {d}/.*.work/*",
                d = dir.display()
            ),
        ],
    ));
    let export = svc.collect_node_logs(s).wait().expect("collection");
    assert_eq!(mode(&dir), 0o700, "export directory");
    assert_eq!(mode(&export.file), 0o600, "tarball");
    assert_eq!(mode(&cfg.state_file), 0o600, "state file");
    assert_eq!(
        mode(cfg.state_file.parent().unwrap()),
        0o700,
        "state directory it made"
    );
    let files = export_common::read_tgz(&export.file);
    let top = export_common::top_of(&export.file);
    let modes = String::from_utf8(files[&format!("{top}/commands/modes.txt")].clone()).unwrap();
    let lines: Vec<&str> = modes.lines().collect();
    assert!(
        lines.len() >= 3,
        "work dir and command outputs listed:\n{modes}"
    );
    for l in &lines {
        let (m, name) = l.split_once(' ').unwrap();
        let want = if name.ends_with(".work") {
            "700"
        } else {
            "600"
        };
        assert_eq!(m, want, "{name}:\n{modes}");
    }

    // A second export: the state's backup copy is private too.
    let second = svc.collect_node_logs(spec(root.path())).wait().unwrap();
    assert_eq!(mode(&second.file), 0o600);
    assert_eq!(mode(&cfg.state_file.with_extension("json.bak")), 0o600);

    // An engine's own output (the libvirt definitions backup, written by
    // the nodeconsole-virt helper under umask 022) is narrowed when it is
    // published.
    let engine = Arc::new(LibvirtEngine::via_helper(
        "test:///default",
        PathBuf::from(env!("CARGO_BIN_EXE_nodeconsole-virt")),
    ));
    let backup = svc.backup_database(engine).wait().expect("backup");
    assert_eq!(mode(&backup.file), 0o600, "engine backup");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&p), want, "{}", p.display());
    }
}

#[test]
fn an_older_world_readable_directory_and_state_file_are_narrowed() {
    umask_022();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("exports");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let state = work.path().join("exports.json");
    std::fs::write(&state, "{\"version\":1,\"exports\":[]}").unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _svc = ExportService::new(ExportConfig {
        dir: dir.clone(),
        state_file: state.clone(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&state), 0o600);
}

#[test]
fn a_shared_sticky_directory_is_refused_not_narrowed() {
    umask_022();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let Err(err) = ExportService::new(ExportConfig {
        dir: dir.clone(),
        state_file: work.path().join("s.json"),
        ..Default::default()
    }) else {
        panic!("a sticky export directory was accepted");
    };
    let err = err.to_string();
    assert!(err.contains("a directory of their own"), "{err}");
    assert_eq!(mode(&dir), 0o1777);
}
