//! Engine query speed: `vms(ThisNode)` of the libvirt engine against a
//! test-driver node with 2,000 domains (generated at bench start), the
//! collector's per-refresh cost on a big compute node.

use std::fmt::Write as _;

use criterion::{criterion_group, criterion_main, Criterion};
use nodeconsole::engine::libvirt::LibvirtEngine;
use nodeconsole::engine::{Engine, VmScope};

const DOMAINS: usize = 2_000;

/// A test-driver node XML with `n` domains in rotating states.
fn node_xml(n: usize) -> String {
    let mut xml = String::from("<node>\n");
    for i in 0..n {
        // 1 running, 3 paused, 5 shut off.
        let state = [1, 1, 1, 3, 5][i % 5];
        writeln!(
            xml,
            "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\
             <name>vm-{i:05}</name><uuid>00000000-0000-4000-8000-{i:012x}</uuid>\
             <memory unit='MiB'>{}</memory><vcpu>{}</vcpu><os><type>hvm</type></os>\
             <test:runstate>{state}</test:runstate></domain>",
            512 * (1 + i % 8),
            1 + i % 4
        )
        .unwrap();
    }
    xml.push_str("</node>\n");
    xml
}

fn bench_vms(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("node-2000.xml");
    std::fs::write(&path, node_xml(DOMAINS)).expect("write fixture");
    let engine = LibvirtEngine::new(&format!("test://{}", path.display()));
    // Connect (and parse the fixture) outside the measurement.
    let first = engine.vms(VmScope::ThisNode).expect("libvirt test driver");
    assert_eq!(first.total as usize, DOMAINS);

    c.bench_function("libvirt vms(ThisNode) 2000 domains", |b| {
        b.iter(|| engine.vms(VmScope::ThisNode).expect("vms"))
    });
}

criterion_group!(benches, bench_vms);
criterion_main!(benches);
