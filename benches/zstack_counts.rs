//! HOST INFO / VM INFO counts from the database (the fallback used when the
//! ZStack management server is down), on a scratch database holding
//! 100,000 hosts and 1,000,000 VMs. Target: each count query ≤ 500 ms.
//!
//! Needs the machine's MariaDB (127.0.0.1:3306, root, empty password); the
//! scratch database `nc_bench_<pid>` is dropped at the end (also on panic).
//! Filling it takes tens of seconds. Run:
//! `cargo bench --bench zstack_counts -- --warm-up-time 1 --measurement-time 3`
//!
//! Measured on the 2-core development machine (MariaDB 10.11, 128 MiB
//! buffer pool) while other builds ran (load average 3.7–5): hosts
//! 19–48 ms, user VMs 208–473 ms (single pass with conditional sums; the
//! `GROUP BY state` form took 460–630 ms, and splitting the count over two
//! connections was slower on an idle machine), engine path with REST down
//! 39 ms / 351 ms.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use mysql::prelude::Queryable;
use nodeconsole::config::ZstackConfig;
use nodeconsole::engine::zstack::{db, ZstackEngine};
use nodeconsole::engine::{Engine, VmScope};

const SCHEMA: &str = include_str!("../tests/fixtures/zstack/schema.sql");
const ROOT_URL: &str = "mysql://root@127.0.0.1:3306";

struct ScratchDb(String);

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut c) = mysql::Conn::new(mysql::Opts::from_url(ROOT_URL).unwrap()) {
            let _ = c.query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.0));
        }
    }
}

fn setup(c: &mut mysql::Conn) -> ScratchDb {
    let name = format!("nc_bench_{}", std::process::id());
    c.query_drop(format!("CREATE DATABASE `{name}`")).unwrap();
    let guard = ScratchDb(name.clone());
    c.query_drop(format!("USE `{name}`")).unwrap();
    let body: String = SCHEMA
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for stmt in body.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        c.query_drop(stmt).unwrap();
    }
    // MariaDB's SEQUENCE engine (seq_1_to_N) generates the rows server-side.
    c.query_drop(
        "INSERT INTO HostVO SELECT CONCAT('h', seq), CONCAT('host-', seq), \
         CONCAT('10.', seq DIV 65536, '.', seq DIV 256 % 256, '.', seq % 256), \
         IF(seq % 10 = 0, 'Disabled', 'Enabled'), IF(seq % 7 = 0, 'Disconnected', 'Connected'), \
         'KVM' FROM seq_1_to_100000",
    )
    .unwrap();
    c.query_drop(
        "INSERT INTO VmInstanceVO SELECT CONCAT('v', seq), CONCAT('vm-', seq), \
         CONCAT('h', 1 + seq % 100000), IF(seq % 50 = 0, 'ApplianceVm', 'UserVm'), \
         1 + seq % 8, 1073741824 * (1 + seq % 4), \
         ELT(1 + seq % 5, 'Running', 'Stopped', 'Paused', 'Running', 'Migrating') \
         FROM seq_1_to_1000000",
    )
    .unwrap();
    c.query_drop("ANALYZE TABLE HostVO, VmInstanceVO").unwrap();
    guard
}

fn counts(crit: &mut Criterion) {
    // `cargo test --all-targets` runs benches once without `--bench`:
    // filling a million rows there would only slow the test suite down.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("zstack_counts: not run under cargo test; use cargo bench --bench zstack_counts");
        return;
    }
    let mut c = match mysql::Conn::new(mysql::Opts::from_url(ROOT_URL).unwrap()) {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("MariaDB at 127.0.0.1:3306 needed: {e}");
            }
            eprintln!("SKIPPED: MariaDB at 127.0.0.1:3306: {e}");
            return;
        }
    };
    let guard = setup(&mut c);
    let name = guard.0.clone();
    // Correctness before speed.
    let h = db::host_counts(&mut c, &name).unwrap();
    assert_eq!((h.total, h.enabled, h.connected), (100_000, 90_000, 85_715));
    let v = db::vm_counts(&mut c, &name).unwrap();
    assert_eq!(v.total, 980_000);
    let mut g = crit.benchmark_group("zstack_db_counts");
    g.sample_size(10);
    g.bench_function("hosts_100k", |b| {
        b.iter(|| db::host_counts(&mut c, &name).unwrap())
    });
    g.bench_function("user_vms_1m", |b| {
        b.iter(|| db::vm_counts(&mut c, &name).unwrap())
    });
    // The engine's own path while the management server is down: REST
    // refused, then a fresh database connection and the query.
    let dir = tempfile::tempdir().unwrap();
    let props = dir.path().join("zstack.properties");
    std::fs::write(
        &props,
        "DB.url = jdbc:mysql://127.0.0.1:3306\nDB.user = root\nDB.password =\n",
    )
    .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let engine = ZstackEngine::new(&ZstackConfig {
        properties: Some(props),
        database: name.clone(),
        rest_url: Some(format!("http://127.0.0.1:{closed}/zstack/v1")),
        ..ZstackConfig::default()
    });
    assert_eq!(engine.hosts().unwrap(), h);
    g.bench_function("engine_hosts_db_fallback", |b| {
        b.iter(|| engine.hosts().unwrap())
    });
    g.bench_function("engine_vms_db_fallback", |b| {
        b.iter(|| engine.vms(VmScope::Cloud).unwrap())
    });
    g.finish();
    drop(guard);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = counts
}
criterion_main!(benches);
