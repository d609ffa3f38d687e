//! VM INFO: counts for the cloud (management node), or the scrollable table
//! of this node's VMs (compute and storage nodes).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{frame, kv, title, value_or_status};
use crate::app::App;
use crate::engine::{VmRow, VmState};
use crate::ui::format;
use crate::ui::theme::Theme;

/// The counts panel.
pub fn render_counts(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let mut t = super::counts_title(title("VM INFO", &app.vms, app.now), app);
    if let Some(v) = app.vms.value.as_ref().filter(|v| v.other > 0) {
        if area.height < 6 {
            // No row for "Other": say it in the title.
            t = format!("{t}+{} ", other_label(v.other, v.paused));
        }
    }
    let block = theme.panel(t);
    let inner = frame(f, area, block);
    let Some(v) = value_or_status(f, inner, &app.vms, theme) else {
        return;
    };
    let w = 10;
    let mut lines = vec![
        kv(theme, "Total", w, vec![Span::raw(v.total.to_string())]),
        kv(
            theme,
            "Running",
            w,
            vec![Span::styled(v.running.to_string(), theme.good())],
        ),
        kv(theme, "Stopped", w, vec![Span::raw(v.stopped.to_string())]),
    ];
    if v.other > 0 {
        lines.push(kv(
            theme,
            if v.paused == v.other {
                "Paused"
            } else {
                "Other"
            },
            w,
            vec![Span::styled(v.other.to_string(), theme.warn())],
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// `2 paused` when the VMs that are neither running nor stopped are all
/// paused, else `3 other`.
pub fn other_label(other: u64, paused: u64) -> String {
    if paused == other {
        format!("{other} paused")
    } else {
        format!("{other} other")
    }
}

fn state_style(theme: &Theme, s: VmState) -> ratatui::style::Style {
    match s {
        VmState::Running => theme.good(),
        VmState::Stopped => theme.dim(),
        VmState::Crashed | VmState::Unknown => theme.bad(),
        _ => theme.warn(),
    }
}

/// Clamps a scroll offset so the last page is full.
pub fn visible_offset(scroll: usize, len: usize, rows: usize) -> usize {
    scroll.min(len.saturating_sub(rows))
}

/// The per-node VM table; `tabs` is the title prefix (storage nodes show
/// which table is active).
pub fn render_table(f: &mut Frame, area: Rect, app: &App, tabs: &str) {
    let theme = &app.settings.theme;
    let mut t = title("VM INFO", &app.vms, app.now);
    let rows = area.height.saturating_sub(3) as usize;
    if let Some(v) = &app.vms.value {
        t = format!(
            "{t}{} total, {} run, {} stop{} ",
            v.total,
            v.running,
            v.stopped,
            if v.other > 0 {
                format!(", {}", other_label(v.other, v.paused))
            } else {
                String::new()
            }
        );
    }
    let len = app.vms.value.as_ref().map_or(0, |v| v.list.len());
    let off = visible_offset(app.scroll, len, rows);
    if len > rows && rows > 0 {
        t = format!("{t}[{}-{} of {len}] ", off + 1, (off + rows).min(len));
    }
    let inner = frame(f, area, theme.panel(format!("{tabs}{t}")));
    let Some(v) = value_or_status(f, inner, &app.vms, theme) else {
        return;
    };
    let mut lines = vec![header(inner.width as usize, theme)];
    for vm in v.list.iter().skip(off).take(rows) {
        lines.push(row(vm, inner.width as usize, theme));
    }
    if v.list.is_empty() {
        lines.push(Line::styled("no VMs on this node", theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

const W_UUID: usize = 37;
const W_VCPU: usize = 5;
const W_MEM: usize = 8;
const W_STATE: usize = 10;

fn name_width(total: usize) -> usize {
    total
        .saturating_sub(W_UUID + W_VCPU + W_MEM + W_STATE)
        .max(4)
}

fn header(width: usize, theme: &Theme) -> Line<'static> {
    Line::styled(
        format!(
            "{}{}{:>4} {:>7} {}",
            format::pad("UUID", W_UUID),
            format::pad("NAME", name_width(width)),
            "vCPU",
            "MEMORY",
            " STATE"
        ),
        theme.dim(),
    )
}

fn row<'a>(vm: &VmRow, width: usize, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format::pad(&vm.uuid, W_UUID), theme.dim()),
        Span::raw(format::pad(&vm.name, name_width(width))),
        Span::raw(format!(
            "{:>4} {:>7}  ",
            vm.vcpus,
            format::bytes(vm.memory_kib.saturating_mul(1024))
        )),
        Span::styled(vm.state.label().to_string(), state_style(theme, vm.state)),
    ])
}
