//! One full collection cycle (every probe collector once) on the real node.
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use nodeconsole::probe::runner::{collect_all_once, ProbeRoots};

fn bench_collect(c: &mut Criterion) {
    let roots = ProbeRoots::system(vec![PathBuf::from("/"), PathBuf::from("/var/log")], None);
    let snap = collect_all_once(&roots);
    assert!(snap.time.is_ok() && snap.nics.is_ok() && snap.block.is_ok());
    c.bench_function("collect_all_once", |b| {
        b.iter(|| black_box(collect_all_once(black_box(&roots))))
    });
}

criterion_group!(benches, bench_collect);
criterion_main!(benches);
