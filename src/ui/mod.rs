//! Pure rendering: `render(frame, app)` draws the whole screen from the app
//! state and nothing else, so every screen can be snapshot-tested with a
//! `TestBackend` and injected data.
//!
//! Main screen layout (management role, 80x24):
//! ```text
//! +--------------------------------------------------------------+ header
//! | NODE INFO                    | TIME INFO                     |
//! | NIC INFO (full width, grows with the number of NICs)         |
//! | DISK INFO            | HOST INFO     | VM INFO               |
//! | CPU USAGE                    | MEM USAGE                     |
//! +--------------------------------------------------------------+ footer
//! ```
//! Compute and storage roles put DISK | HOST | CPU | MEM in one row and give
//! the rest of the height to the scrollable VM table (storage: Tab switches
//! it to block devices and iSCSI sessions).

pub mod format;
pub mod panels;
pub mod sysconfig;
pub mod theme;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{App, LowerTable};
use crate::config::Role;

/// The size the console is designed for; smaller still works, with a note.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen.
pub fn render(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    if area.height < 3 {
        render_header(f, Rect { height: 1, ..area }, app);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(f, header, app);
    match app.screen {
        crate::app::Screen::Main => render_main(f, body, app),
        crate::app::Screen::SysConfig => sysconfig::render(f, body, app),
    }
    if let Some(w) = &app.window {
        w.draw(f, body, &app.settings.theme, app.mono_now);
    }
    render_footer(f, footer, app);
}

fn render_header(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let s = &app.settings;
    let small = f.area().width < MIN_WIDTH || f.area().height < MIN_HEIGHT;
    let role = s.role.as_str();
    // Longest first; the narrowest still names the host and its role whole.
    let lefts = [
        format!(
            " nodeconsole | {} | {role} node | {}",
            s.hostname, s.engine_display
        ),
        format!(" {} | {role} node | {}", s.hostname, s.engine_display),
        format!(" {} | {role} | {}", s.hostname, s.engine_display),
        format!(" {} | {role}", s.hostname),
    ];
    let right = if small {
        format!(
            "terminal too small: {}x{} (need {}x{}) ",
            f.area().width,
            f.area().height,
            MIN_WIDTH,
            MIN_HEIGHT
        )
    } else if s.demo {
        match &s.demo_note {
            Some(n) => format!("DEMO - {n} "),
            None => "DEMO ".into(),
        }
    } else {
        String::new()
    };
    let w = area.width as usize;
    let (left, right) = if small {
        (String::new(), format::fit(&right, w))
    } else {
        let r = format::fit(&right, w);
        let room = w.saturating_sub(r.chars().count() + 1);
        let l = lefts
            .iter()
            .find(|l| l.chars().count() <= room)
            .cloned()
            .unwrap_or_else(|| format::fit(&lefts[3], room));
        (l, r)
    };
    let gap = w.saturating_sub(left.chars().count() + right.chars().count());
    let right_style = if small || s.demo {
        theme.bar().patch(theme.warn())
    } else {
        theme.bar()
    };
    let line = Line::from(vec![
        Span::styled(left, theme.bar()),
        Span::styled(" ".repeat(gap), theme.bar()),
        Span::styled(right, right_style),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn render_footer(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let mut spans = Vec::new();
    for h in app.hints() {
        spans.push(Span::styled(format!(" {} ", h.keys_label()), theme.key()));
        spans.push(Span::styled(format!(" {}  ", h.label), theme.bar()));
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    spans.push(Span::styled(
        " ".repeat((area.width as usize).saturating_sub(used)),
        theme.bar(),
    ));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn nic_rows(app: &App) -> u16 {
    app.nics.value.as_ref().map_or(1, |n| n.nics.len().max(1)) as u16
}

fn render_main(f: &mut Frame, area: Rect, app: &App) {
    if app.settings.role == Role::Management {
        render_management(f, area, app)
    } else {
        render_node(f, area, app)
    }
}

/// Draws NODE | TIME (height `top`) and NIC INFO (what its NICs need, at
/// most `nic_max`), and returns the two rows below: a 5-high middle row and
/// the rest.
fn render_upper(f: &mut Frame, area: Rect, app: &App, top: u16, nic_max: u16) -> [Rect; 2] {
    let nic = (nic_rows(app) + 3).clamp(4, nic_max);
    let [r_top, r_nic, r_mid, r_rest] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(nic),
        Constraint::Length(5),
        Constraint::Min(3),
    ])
    .areas(area);
    let [node, time] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(r_top);
    panels::node::render(f, node, app);
    panels::time::render(f, time, app);
    panels::nic::render(f, r_nic, app);
    [r_mid, r_rest]
}

fn render_management(f: &mut Frame, area: Rect, app: &App) {
    let top = 8u16;
    let spare = area.height.saturating_sub(top + 5 + 3);
    let [r_mid, r_use] = render_upper(f, area, app, top, spare.max(4));
    let [disk, hosts, vms] = Layout::horizontal([
        Constraint::Fill(2),
        Constraint::Fill(1),
        Constraint::Fill(1),
    ])
    .areas(r_mid);
    panels::disk::render(f, disk, app);
    panels::hosts::render(f, hosts, app);
    panels::vms::render_counts(f, vms, app);
    let [cpu, mem] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(r_use);
    panels::usage::render_cpu(f, cpu, app);
    panels::usage::render_mem(f, mem, app);
}

/// DISK | HOST | CPU | MEM; CPU and MEM share a panel when narrow.
fn panels_mid_node(f: &mut Frame, area: Rect, app: &App) {
    if area.width >= 110 {
        let [disk, hosts, cpu, mem] = Layout::horizontal([
            Constraint::Fill(2),
            Constraint::Length(16),
            Constraint::Fill(1),
            Constraint::Fill(1),
        ])
        .areas(area);
        panels::disk::render(f, disk, app);
        panels::hosts::render(f, hosts, app);
        panels::usage::render_cpu(f, cpu, app);
        panels::usage::render_mem(f, mem, app);
    } else {
        let [disk, hosts, usage] = Layout::horizontal([
            Constraint::Fill(1),
            Constraint::Length(16),
            Constraint::Fill(1),
        ])
        .areas(area);
        panels::disk::render(f, disk, app);
        panels::hosts::render(f, hosts, app);
        panels::usage::render_combined(f, usage, app);
    }
}

fn render_node(f: &mut Frame, area: Rect, app: &App) {
    let top = if area.height >= 30 { 7u16 } else { 6 };
    // The NIC panel gets what it needs, up to half of what the VM table
    // would otherwise have.
    let spare = area.height.saturating_sub(top + 5);
    let [r_mid, r_table] = render_upper(f, area, app, top, (spare / 2).max(4));
    panels_mid_node(f, r_mid, app);
    let tabs = if app.settings.role == Role::Storage {
        storage_tabs(app.lower)
    } else {
        String::new()
    };
    match (app.settings.role, app.lower) {
        (Role::Storage, LowerTable::Block) => panels::block::render(f, r_table, app, &tabs),
        (Role::Storage, LowerTable::Multipath) => panels::multipath::render(f, r_table, app, &tabs),
        (Role::Storage, LowerTable::Iscsi) => panels::iscsi::render(f, r_table, app, &tabs),
        (Role::Storage, LowerTable::Fc) => panels::fc::render(f, r_table, app, &tabs),
        _ => panels::vms::render_table(f, r_table, app, &tabs),
    }
    if app.settings.role == Role::Storage {
        degraded_warning(f, r_table, app);
    }
}

/// The storage node's tab row, the active table in brackets; short
/// names so that the VM table's counts still fit at 80 columns.
fn storage_tabs(active: LowerTable) -> String {
    let mut s = String::new();
    for (t, name) in [
        (LowerTable::Vms, "VMs"),
        (LowerTable::Block, "Blk"),
        (LowerTable::Multipath, "MP"),
        (LowerTable::Iscsi, "iSCSI"),
        (LowerTable::Fc, "FC"),
    ] {
        if t == active {
            s.push_str(&format!("[{name}] "));
        } else {
            s.push_str(&format!("{name} "));
        }
    }
    s.push('|');
    s
}

/// A degraded multipath map, on the lower table's bottom border whatever
/// table is up, in the alarm style.
fn degraded_warning(f: &mut Frame, table: Rect, app: &App) {
    let Some(text) = panels::multipath::degraded_banner(app) else {
        return;
    };
    if table.height < 2 || table.width < 4 {
        return;
    }
    let w = (text.chars().count() as u16).min(table.width - 2);
    let area = Rect {
        x: table.x + 1,
        y: table.y + table.height - 1,
        width: w,
        height: 1,
    };
    let text = format::fit(&text, w as usize);
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(text, app.settings.theme.bad()))),
        area,
    );
}
