//! Node log collection from a fixture root: tarball contents, SUMMARY.txt,
//! failures and their reasons, the size cap, cancel, and the job wrapper.

mod export_common;

use export_common::*;
use nodeconsole::export::{collect_node_logs, ExportConfig, ExportError, ExportService, JobEvent};
use nodeconsole::job::Recorder;
use std::path::Path;

fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(FIXTURE).join(rel)).unwrap()
}

#[test]
fn collects_files_commands_and_summary() {
    let root = fixture_root();
    let dest = tempfile::tempdir().unwrap();
    let mut rec = Recorder::default();
    let tgz = collect_node_logs(&spec(root.path()), dest.path(), &mut rec).unwrap();

    // Only the tarball is left in the destination: no temp files.
    assert_eq!(entries_of(dest.path()), vec![tgz.clone()]);
    let name = tgz.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("node-logs-") && name.ends_with(".tar.gz"),
        "{name}"
    );

    let top = top_of(&tgz);
    let files = read_tgz(&tgz);
    let get = |p: &str| {
        files
            .get(&format!("{top}/{p}"))
            .unwrap_or_else(|| panic!("{p} missing; have {:?}", files.keys()))
    };
    for rel in [
        "var/log/messages",
        "var/log/messages-20261121",
        "var/log/syslog",
        "var/log/libvirt/libvirtd.log",
        "var/log/libvirt/qemu/vm-1.log",
        "var/log/zstack/management-server.log",
    ] {
        assert_eq!(get(&format!("files/{rel}")), &fixture_bytes(rel), "{rel}");
    }
    // A symlink inside the root is followed; one pointing out is not.
    assert_eq!(
        get("files/var/log/zstack/current.log"),
        &fixture_bytes("var/log/zstack/management-server.log")
    );
    assert!(!files.keys().any(|k| k.contains("escape.log")));
    assert!(!files
        .values()
        .any(|v| v.windows(16).any(|w| w == b"OUTSIDE-THE-ROOT")));
    // Files no glob matches are not collected.
    assert!(!files
        .keys()
        .any(|k| k.contains("unrelated") || k.contains("shadow")));

    // Command outputs, stdout and stderr, including a timed-out one's partial output.
    assert!(String::from_utf8_lossy(get("commands/journal.txt")).contains("fixture-journal: hello"));
    assert_eq!(get("commands/echo.txt"), b"hello from a command\n");
    assert_eq!(get("commands/failing.txt"), b"to-stderr\n");
    let slow = String::from_utf8_lossy(get("commands/slow.txt"));
    assert!(slow.contains("begun") && !slow.contains("never"), "{slow}");
    assert!(!files.keys().any(|k| k.contains("commands/missing")));

    let summary = String::from_utf8_lossy(get("SUMMARY.txt")).into_owned();
    for needle in [
        "== Collected",
        "files/var/log/messages\t",
        "commands/echo.txt\t21\techo hello from a command (exit status 0)",
        "command failing (sh -c echo to-stderr >&2; exit 2): exit status 2",
        "command missing (/nonexistent/diagnostic-tool): could not start",
        "No such file",
        "command slow (sh -c echo begun; sleep 20; echo never): timed out after 1 s and was killed",
        "symlink to",
        "outside the collection root",
        "== Cut by the size cap (0) ==",
        "== Globs without matches (1) ==\n/var/log/nothing-here/**",
    ] {
        assert!(
            summary.contains(needle),
            "SUMMARY.txt lacks {needle:?}:\n{summary}"
        );
    }

    // Progress: phases, and a fraction that ends at 1.
    assert!(
        rec.phases.iter().any(|p| p.starts_with("Packing")),
        "{:?}",
        rec.phases
    );
    assert!(rec.phases.iter().any(|p| p.starts_with("Running commands")));
    assert_eq!(rec.fraction, Some(1.0));

    // GNU tar agrees that it is a valid archive.
    let out = std::process::Command::new("tar")
        .arg("-tzf")
        .arg(&tgz)
        .output()
        .expect("tar is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("SUMMARY.txt"));
}

#[test]
fn size_cap_keeps_the_newest_part_and_says_so() {
    let root = fixture_root();
    let big: String = (0..2000).map(|i| format!("line {i:05}\n")).collect();
    std::fs::write(root.path().join("var/log/messages"), &big).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let mut s = spec(root.path());
    s.commands.clear();
    s.journal = None;
    s.globs = vec!["/var/log/messages*".into()];
    s.max_bytes = 1000;
    let mut rec = Recorder::default();
    let tgz = collect_node_logs(&s, dest.path(), &mut rec).unwrap();
    let top = top_of(&tgz);
    let files = read_tgz(&tgz);
    let kept = &files[&format!("{top}/files/var/log/messages")];
    assert_eq!(kept.len(), 1000);
    assert!(big.as_bytes().ends_with(kept), "the tail is kept");
    assert!(!files.contains_key(&format!("{top}/files/var/log/messages-20261121")));
    let summary = String::from_utf8_lossy(&files[&format!("{top}/SUMMARY.txt")]).into_owned();
    assert!(
        summary.contains("files/var/log/messages: kept the last 1000 B of 21.5 KiB"),
        "{summary}"
    );
    assert!(
        summary.contains("files/var/log/messages-20261121: left out"),
        "{summary}"
    );
    assert!(
        rec.lines
            .iter()
            .any(|l| l.contains("Size cap") && l.contains("SUMMARY.txt")),
        "{:?}",
        rec.lines
    );
}

#[test]
fn cancel_leaves_nothing_behind() {
    let root = fixture_root();
    let dest = tempfile::tempdir().unwrap();
    let mut rec = Recorder {
        cancel: true,
        ..Default::default()
    };
    let err = collect_node_logs(&spec(root.path()), dest.path(), &mut rec).unwrap_err();
    assert!(matches!(err, ExportError::Cancelled), "{err}");
    assert!(entries_of(dest.path()).is_empty());
}

#[test]
fn missing_root_is_a_clear_error_and_leaves_nothing() {
    let dest = tempfile::tempdir().unwrap();
    let mut s = spec(Path::new("/nonexistent/root"));
    s.commands.clear();
    s.journal = None;
    let err = collect_node_logs(&s, dest.path(), &mut Recorder::default()).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/root"), "{err}");
    assert!(entries_of(dest.path()).is_empty());
}

#[test]
fn job_collects_publishes_and_persists() {
    let root = fixture_root();
    let work = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        dir: work.path().join("exports"),
        state_file: work.path().join("state/exports.json"),
        ..Default::default()
    };
    let svc = ExportService::new(cfg.clone()).unwrap();
    let mut job = svc.collect_node_logs(spec(root.path()));
    let mut events = Vec::new();
    let export = loop {
        match job.events.blocking_recv().expect("job ends with Finished") {
            JobEvent::Finished(r) => break r.unwrap(),
            ev => events.push(ev),
        }
    };
    assert!(events
        .iter()
        .any(|e| matches!(e, JobEvent::Phase(p) if p.starts_with("Packing"))));
    assert!(export.file.starts_with(&cfg.dir));
    assert!(export.file.is_file());
    assert_eq!(export.size, std::fs::metadata(&export.file).unwrap().len());
    assert!(export.expires_at >= export.created_at + 24 * 3600);
    // A restarted console (a new service over the same state file) lists it.
    let again = ExportService::new(cfg).unwrap();
    assert_eq!(again.registry().list(), vec![export]);
}

/// The required `Engine` methods of an engine that reports nothing
/// (default status, no hosts, no VMs), for the engines below that only
/// differ in the operation they provide.
macro_rules! engine_without_data {
    ($name:literal, $display:literal) => {
        fn name(&self) -> &'static str {
            $name
        }
        fn display_name(&self) -> &'static str {
            $display
        }
        fn install_dir(&self) -> Option<std::path::PathBuf> {
            None
        }
        fn capabilities(&self) -> nodeconsole::engine::Capabilities {
            nodeconsole::engine::Capabilities::default()
        }
        fn status(&self) -> Result<nodeconsole::engine::NodeStatus, EngineError> {
            Ok(nodeconsole::engine::NodeStatus::default())
        }
        fn hosts(&self) -> Result<nodeconsole::engine::HostSummary, EngineError> {
            Ok(nodeconsole::engine::HostSummary::default())
        }
        fn vms(
            &self,
            _: nodeconsole::engine::VmScope,
        ) -> Result<nodeconsole::engine::VmReport, EngineError> {
            Ok(nodeconsole::engine::VmReport::default())
        }
    };
}

#[test]
fn job_reports_engine_failure() {
    use nodeconsole::engine::{Engine, EngineError};
    /// An engine without backup support: the default trait methods answer
    /// Unsupported, which the job must pass on as a failure.
    struct NoBackup;
    impl Engine for NoBackup {
        engine_without_data!("nobackup", "NoBackup");
    }
    let work = tempfile::tempdir().unwrap();
    let svc = ExportService::new(ExportConfig {
        dir: work.path().join("exports"),
        state_file: work.path().join("exports.json"),
        ..Default::default()
    })
    .unwrap();
    let err = svc
        .backup_database(std::sync::Arc::new(NoBackup))
        .wait()
        .unwrap_err();
    assert!(
        err.contains("database backup failed") && err.contains("not supported"),
        "{err}"
    );
    assert!(svc.registry().list().is_empty());
}

/// The default configuration end to end: the real diagnostic commands of
/// this machine (read-only: ip, lsblk, df, free, uptime, dmesg, journalctl,
/// virsh) with the default globs resolved under the fixture root.
#[test]
fn default_config_collects_real_commands() {
    let root = fixture_root();
    let dest = tempfile::tempdir().unwrap();
    let spec = ExportConfig::default()
        .collect_spec(root.path(), nodeconsole::config::EngineKind::Libvirt)
        .unwrap();
    let tgz = collect_node_logs(&spec, dest.path(), &mut Recorder::default()).unwrap();
    let top = top_of(&tgz);
    let files = read_tgz(&tgz);
    let text = |p: &str| String::from_utf8_lossy(&files[&format!("{top}/{p}")]).into_owned();
    assert!(
        text("commands/ip-addr.txt").contains("127.0.0.1"),
        "ip addr shows loopback"
    );
    assert!(text("commands/ip-link.txt").contains("lo:"));
    assert!(text("commands/free.txt").contains("Mem:"));
    assert!(text("commands/df.txt").contains("Filesystem"));
    assert!(text("commands/uptime.txt").contains("load average"));
    assert!(files.contains_key(&format!("{top}/files/var/log/messages")));
    assert!(files.contains_key(&format!("{top}/files/var/log/libvirt/qemu/vm-1.log")));
    let summary = text("SUMMARY.txt");
    // journalctl and virsh may or may not work in this sandbox, but each is
    // accounted for: collected, or failed with a reason.
    for name in ["journal", "virsh-list", "dmesg", "lsblk"] {
        let collected = files.contains_key(&format!("{top}/commands/{name}.txt"));
        let failed = summary.contains(&format!("command {name} ("));
        assert!(
            collected || failed,
            "{name} neither collected nor failed:\n{summary}"
        );
    }
    assert!(
        summary.contains("--since=-24h"),
        "journal window in SUMMARY:\n{summary}"
    );
}

#[test]
fn job_cancel_stops_a_running_command_and_keeps_nothing() {
    let root = fixture_root();
    let work = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        dir: work.path().join("exports"),
        state_file: work.path().join("exports.json"),
        ..Default::default()
    };
    let svc = ExportService::new(cfg.clone()).unwrap();
    let mut s = spec(root.path());
    let mut long = nodeconsole::export::CommandSpec::new("long", &["sleep", "120"]);
    long.timeout_s = 600;
    s.commands = vec![long];
    s.journal = None;
    let mut job = svc.collect_node_logs(s);
    // Wait until the long command runs, then cancel.
    loop {
        match job.events.blocking_recv().expect("events until Finished") {
            JobEvent::Phase(p) if p.contains("long") => break,
            JobEvent::Finished(r) => panic!("finished early: {r:?}"),
            _ => {}
        }
    }
    job.cancel();
    let err = job.wait().unwrap_err();
    assert!(err.contains("cancelled"), "{err}");
    assert!(
        entries_of(&cfg.dir).is_empty(),
        "{:?}",
        entries_of(&cfg.dir)
    );
    assert!(svc.registry().list().is_empty());
}

#[test]
fn cluster_logs_from_the_engine_are_published() {
    use nodeconsole::engine::{Engine, EngineError};
    use nodeconsole::job::Progress;
    /// Contract double of `zstack-ctl configured_collect_log` (cannot run
    /// here): per its documented contract it leaves
    /// `collect-log-<version>-<date>.tar.gz` in the destination directory.
    struct ContractDoubleZstackCtl;
    impl Engine for ContractDoubleZstackCtl {
        engine_without_data!("zstack", "ZStack");
        fn collect_cluster_logs(
            &self,
            dest_dir: &Path,
            progress: &mut dyn Progress,
        ) -> Result<std::path::PathBuf, EngineError> {
            progress.phase("zstack-ctl configured_collect_log");
            let out = dest_dir.join("collect-log-2.2.0-2026-11-22_10-00.tar.gz");
            let gz = flate2::write::GzEncoder::new(
                std::fs::File::create(&out).unwrap(),
                flate2::Compression::default(),
            );
            let mut b = tar::Builder::new(gz);
            let data = b"management-server log line\n";
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, "collect-log/mn/management-server.log", &data[..])
                .unwrap();
            b.into_inner().unwrap().finish().unwrap();
            Ok(out)
        }
    }
    let work = tempfile::tempdir().unwrap();
    let svc = ExportService::new(ExportConfig {
        dir: work.path().join("exports"),
        state_file: work.path().join("exports.json"),
        ..Default::default()
    })
    .unwrap();
    let mut job = svc.collect_cluster_logs(std::sync::Arc::new(ContractDoubleZstackCtl));
    let mut phases = Vec::new();
    let export = loop {
        match job.events.blocking_recv().unwrap() {
            JobEvent::Phase(p) => phases.push(p),
            JobEvent::Finished(r) => break r.unwrap(),
            _ => {}
        }
    };
    assert_eq!(
        phases,
        vec!["zstack-ctl configured_collect_log".to_string()]
    );
    assert_eq!(
        export.file_name,
        "collect-log-2.2.0-2026-11-22_10-00.tar.gz"
    );
    assert!(export.browsable());
    assert_eq!(svc.registry().list(), vec![export]);
}

/// Issue #16 item 4: `app.log -> /etc/shadow` planted in a collected
/// directory must not put /etc/shadow into the tarball, although
/// /etc/shadow is inside the collection root (`/` on a node). A symlink is
/// followed only within the directory its glob walks.
#[test]
fn a_symlink_to_a_secret_elsewhere_in_the_root_is_not_collected() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::create_dir_all(r.join("var/log/app")).unwrap();
    std::fs::write(r.join("etc/shadow"), "root:SECRET-HASH:19000::::::\n").unwrap();
    std::fs::write(r.join("var/log/app/real.log"), "a log line\n").unwrap();
    std::os::unix::fs::symlink("../../../etc/shadow", r.join("var/log/app/app.log")).unwrap();
    std::os::unix::fs::symlink("real.log", r.join("var/log/app/current.log")).unwrap();
    let mut s = spec(r);
    s.globs = vec!["/var/log/app/**".into()];
    s.commands.clear();
    s.journal = None;
    let dest = tempfile::tempdir().unwrap();
    let mut rec = Recorder::default();
    let tgz = collect_node_logs(&s, dest.path(), &mut rec).unwrap();
    let top = top_of(&tgz);
    let files = read_tgz(&tgz);
    assert!(
        !files
            .values()
            .any(|v| v.windows(11).any(|w| w == b"SECRET-HASH")),
        "the secret was collected: {:?}",
        files.keys()
    );
    assert!(!files.contains_key(&format!("{top}/files/var/log/app/app.log")));
    // A symlink within the walked directory is still followed.
    assert_eq!(
        files[&format!("{top}/files/var/log/app/current.log")],
        b"a log line\n"
    );
    let summary = String::from_utf8_lossy(&files[&format!("{top}/SUMMARY.txt")]).into_owned();
    assert!(
        summary.contains("app.log: symlink to") && summary.contains("outside the walked directory"),
        "{summary}"
    );
}
