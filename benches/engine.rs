//! Engine query speed: `vms(ThisNode)` of the libvirt engine against a
//! test-driver node with 2,000 domains (generated at bench start), the
//! collector's per-refresh cost on a big compute node; once in process and
//! once through the `nodeconsole-virt` helper, as the console makes it
//! (the difference is the pipe round trip and the JSON of 2,000 rows).

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use nodeconsole::engine::libvirt::LibvirtEngine;
use nodeconsole::engine::{Engine, VmScope};
use nodeconsole::testdata::libvirt_node_xml;

const DOMAINS: usize = 2_000;

/// The helper binary of this build (`cargo bench` builds the bins).
fn helper() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_nodeconsole-virt"))
}

fn bench_vms(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node-2000.xml");
    std::fs::write(&path, libvirt_node_xml(DOMAINS)).expect("write fixture");
    let uri = format!("test://{}", path.display());
    for (label, engine) in [
        ("in process", LibvirtEngine::new(&uri)),
        ("via helper", LibvirtEngine::via_helper(&uri, helper())),
    ] {
        // Connect (and parse the fixture) outside the measurement.
        let first = engine.vms(VmScope::ThisNode).expect("libvirt test driver");
        assert_eq!(first.total as usize, DOMAINS);
        c.bench_function(
            &format!("libvirt vms(ThisNode) 2000 domains, {label}"),
            |b| b.iter(|| engine.vms(VmScope::ThisNode).expect("vms")),
        );
    }
}

criterion_group!(benches, bench_vms);
criterion_main!(benches);
