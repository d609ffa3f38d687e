//! Rendering cost: the compute node's main screen with a 2,000-VM table,
//! and the management screen, into a ratatui TestBackend (pure rendering,
//! no terminal I/O).

use criterion::{criterion_group, criterion_main, Criterion};
use nodeconsole::config::Role;
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn bench(c: &mut Criterion) {
    for (name, role, vms, w, h) in [
        ("compute_2000_vms_80x24", Role::Compute, 2000, 80, 24),
        ("compute_2000_vms_120x40", Role::Compute, 2000, 120, 40),
        ("management_80x24", Role::Management, 14, 80, 24),
    ] {
        let mut app = testdata::app(role, Theme::COLOR, vms);
        app.scroll = vms / 2;
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        c.bench_function(name, |b| {
            b.iter(|| {
                term.draw(|f| nodeconsole::ui::render(f, &app)).unwrap();
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
