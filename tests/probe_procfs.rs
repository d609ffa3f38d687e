//! TIME, CPU, MEM and DISK collectors against fixture files and the real
//! /proc and file systems.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use nodeconsole::probe::cpu::{busy_pct, parse_stat, CpuCollector, CpuTimes};
use nodeconsole::probe::disk::DiskCollector;
use nodeconsole::probe::mem::{parse_meminfo, MemCollector};
use nodeconsole::probe::time::{parse_loadavg, parse_uptime, TimeCollector};
use nodeconsole::probe::Collector;

fn fixture(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/probe")
        .join(dir)
}

#[test]
fn time_from_fixture() {
    let t = TimeCollector::new(fixture("proc")).collect().unwrap();
    assert_eq!(t.boot, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
    assert_eq!(t.uptime.as_millis(), 12_345_670);
    assert_eq!(t.load, [0.5, 1.25, 2.0]);
}

#[test]
fn time_missing_proc_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = TimeCollector::new(dir.path().to_path_buf())
        .collect()
        .unwrap_err();
    assert!(err.contains("cannot read") && err.contains("stat"), "{err}");
}

#[test]
fn time_parsers_reject_garbage() {
    assert!(parse_uptime("").is_err());
    assert!(parse_uptime("abc 1").is_err());
    assert!(parse_uptime("-5 1").is_err());
    assert!(parse_loadavg("0.1 0.2").is_err());
    assert!(parse_loadavg("0.1 x 0.3").is_err());
}

#[test]
fn time_real_proc_in_range() {
    let t = TimeCollector::new("/proc".into()).collect().unwrap();
    let now = std::time::SystemTime::now();
    assert!(t.boot < now);
    // boot + uptime is about now (allow generous drift for suspended VMs).
    let implied = t.boot + t.uptime;
    let drift = now.duration_since(implied).unwrap_or_else(|e| e.duration());
    assert!(drift < Duration::from_secs(24 * 3600), "drift {drift:?}");
    assert!(t.load.iter().all(|l| *l >= 0.0 && l.is_finite()));
}

#[test]
fn cpu_first_sample_is_since_boot_then_delta() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("proc/stat"), dir.path().join("stat")).unwrap();
    let mut c = CpuCollector::new(dir.path().to_path_buf());
    let first = c.collect().unwrap();
    assert_eq!(first.cores, 2);
    assert!((first.usage_pct - 15.0).abs() < 0.01, "{}", first.usage_pct);

    let stat = std::fs::read_to_string(fixture("proc/stat"))
        .unwrap()
        .replace("cpu  1000 0 500 8000 500", "cpu  1600 0 700 8600 600");
    std::fs::write(dir.path().join("stat"), stat).unwrap();
    let second = c.collect().unwrap();
    // 800 busy of 1500 jiffies.
    assert!(
        (second.usage_pct - 53.333).abs() < 0.01,
        "{}",
        second.usage_pct
    );

    // Unchanged counters: no time passed, report 0 rather than NaN.
    let third = c.collect().unwrap();
    assert_eq!(third.usage_pct, 0.0);
}

#[test]
fn cpu_parse_rejects_missing_cpu_line() {
    assert!(parse_stat("intr 1\nbtime 5\n").is_err());
    assert!(parse_stat("cpu 1 2\n").is_err());
}

#[test]
fn cpu_counters_going_backwards_clamp() {
    let prev = CpuTimes {
        total: 100,
        idle: 50,
    };
    let now = CpuTimes {
        total: 90,
        idle: 40,
    };
    assert_eq!(busy_pct(prev, now), 0.0);
}

#[test]
fn cpu_real_proc_in_range() {
    let mut c = CpuCollector::new("/proc".into());
    for _ in 0..2 {
        let info = c.collect().unwrap();
        assert!((0.0..=100.0).contains(&info.usage_pct), "{info:?}");
        assert!(info.cores >= 1);
    }
}

#[test]
fn mem_from_fixture() {
    let m = MemCollector::new(fixture("proc")).collect().unwrap();
    assert_eq!(m.total_kib, 16_384_000);
    assert_eq!(m.available_kib, 8_192_000);
    assert_eq!(m.swap_total_kib, 4_096_000);
    assert_eq!(m.swap_free_kib, 3_072_000);
    assert_eq!(m.used_pct(), 50);
}

#[test]
fn mem_without_memavailable_estimates() {
    let m = MemCollector::new(fixture("proc_old")).collect().unwrap();
    assert_eq!(m.available_kib, 3_000_000);
    assert_eq!(m.swap_total_kib, 0);
}

#[test]
fn mem_without_total_is_an_error() {
    assert!(parse_meminfo("MemFree: 5 kB\n").is_err());
}

#[test]
fn mem_real_proc_in_range() {
    let m = MemCollector::new("/proc".into()).collect().unwrap();
    assert!(m.total_kib > 0);
    assert!(m.available_kib <= m.total_kib);
    assert!(m.swap_free_kib <= m.swap_total_kib);
}

#[test]
fn disk_real_and_missing_paths() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let entries = DiskCollector::new(vec![dir.path().to_path_buf(), missing.clone()])
        .collect()
        .unwrap();
    assert_eq!(entries.len(), 2);
    let ok = entries[0].usage.as_ref().unwrap();
    assert!(
        ok.total_bytes > 0 && ok.free_bytes <= ok.total_bytes,
        "{ok:?}"
    );
    assert!(ok.used_pct() <= 100);
    assert_eq!(entries[1].path, missing);
    let err = entries[1].usage.as_ref().unwrap_err();
    assert!(
        err.contains("no-such-dir") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn disk_matches_df_for_root() {
    // statvfs of "/" against the df tool's view of the same file system.
    let out = std::process::Command::new("df")
        .args(["-B1", "--output=size", "/"])
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "df (coreutils) is missing"
            );
            eprintln!("SKIPPED: df not available");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let df_size: u64 = text.lines().nth(1).unwrap().trim().parse().unwrap();
    let e = DiskCollector::new(vec!["/".into()]).collect().unwrap();
    assert_eq!(e[0].usage.as_ref().unwrap().total_bytes, df_size);
}
