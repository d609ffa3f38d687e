//! CPU USAGE and MEM USAGE: a bar gauge, and the history below it: one
//! sparkline row at 80x24, a block-character chart filling the panel on
//! taller screens (a 160x50 framebuffer or KVM console would otherwise
//! show a mostly empty panel). Block characters, never braille: the Linux
//! console font has them; ASCII themes use `#` and `.`.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use std::collections::VecDeque;

use super::{frame, title, value_or_status};
use crate::app::App;
use crate::ui::format;
use crate::ui::theme::Theme;

/// `[#####.....]  45%` in `width` columns.
pub fn gauge<'a>(theme: &Theme, pct: u8, width: usize, suffix: String) -> Line<'a> {
    let label = format!(" {pct:>3}%{suffix}");
    let bar_w = width.saturating_sub(label.chars().count() + 2);
    let filled = (bar_w * pct.min(100) as usize + 50) / 100;
    let (on, off) = theme.gauge_chars();
    Line::from(vec![
        Span::styled("[", theme.dim()),
        Span::styled(on.repeat(filled), theme.level(pct)),
        Span::styled(off.repeat(bar_w - filled), theme.dim()),
        Span::styled("]", theme.dim()),
        Span::raw(label),
    ])
}

/// A text sparkline of the most recent samples, one column each.
pub fn sparkline<'a>(theme: &Theme, hist: &VecDeque<u8>, width: usize) -> Line<'a> {
    const BARS: [&str; 8] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
    const ASCII: [&str; 8] = ["_", "_", ".", "-", "-", "=", "#", "#"];
    let set = if theme.ascii { &ASCII } else { &BARS };
    let start = hist.len().saturating_sub(width);
    let s: String = hist
        .iter()
        .skip(start)
        .map(|&v| set[(v.min(100) as usize * 7 + 50) / 100])
        .collect();
    Line::styled(format!("{s:>width$}"), theme.dim())
}

/// The most recent samples as a chart `rows` high, one column each, the
/// newest on the right; each cell is filled in eighths.
pub fn chart<'a>(theme: &Theme, hist: &VecDeque<u8>, width: usize, rows: usize) -> Vec<Line<'a>> {
    const BARS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
    const ASCII: [&str; 9] = [" ", ".", ".", ".", "#", "#", "#", "#", "#"];
    let set = if theme.ascii { &ASCII } else { &BARS };
    let start = hist.len().saturating_sub(width);
    let eighths: Vec<usize> = hist
        .iter()
        .skip(start)
        .map(|&v| (v.min(100) as usize * rows * 8 + 50) / 100)
        .collect();
    (0..rows)
        .rev()
        .map(|r| {
            let s: String = eighths
                .iter()
                .map(|&e| set[e.saturating_sub(r * 8).min(8)])
                .collect();
            Line::styled(format!("{s:>width$}"), theme.dim())
        })
        .collect()
}

/// The history in `rows` rows: a chart from [`CHART_ROWS`] up, else one
/// sparkline row (a chart of two or three rows reads worse than it).
fn history<'a>(theme: &Theme, hist: &VecDeque<u8>, width: usize, rows: usize) -> Vec<Line<'a>> {
    match rows {
        0 => Vec::new(),
        n if n < CHART_ROWS => vec![sparkline(theme, hist, width)],
        n => chart(theme, hist, width, n),
    }
}

/// Rows of history from which a chart replaces the sparkline.
pub const CHART_ROWS: usize = 4;

pub fn render_cpu(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let inner = frame(f, area, theme.panel(title("CPU USAGE", &app.cpu, app.now)));
    let Some(c) = value_or_status(f, inner, &app.cpu, theme) else {
        return;
    };
    let w = inner.width as usize;
    let pct = c.usage_pct.clamp(0.0, 100.0).round() as u8;
    let mut lines = vec![gauge(theme, pct, w, format!(" {} cores", c.cores))];
    let rows = (inner.height as usize).saturating_sub(1);
    lines.extend(history(theme, &app.cpu_history, w, rows));
    f.render_widget(Paragraph::new(lines), inner);
}

pub fn render_mem(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let inner = frame(f, area, theme.panel(title("MEM USAGE", &app.mem, app.now)));
    let Some(m) = value_or_status(f, inner, &app.mem, theme) else {
        return;
    };
    let w = inner.width as usize;
    let used = m.total_kib.saturating_sub(m.available_kib) * 1024;
    let mut lines = vec![gauge(
        theme,
        m.used_pct(),
        w,
        format!(
            " {}/{}",
            format::bytes(used),
            format::bytes(m.total_kib * 1024)
        ),
    )];
    let swap = inner.height >= 3 && m.swap_total_kib > 0;
    let rows = (inner.height as usize).saturating_sub(1 + swap as usize);
    lines.extend(history(theme, &app.mem_history, w, rows));
    if swap {
        lines.push(Line::styled(
            format!(
                "swap {} of {} used",
                format::bytes(m.swap_total_kib.saturating_sub(m.swap_free_kib) * 1024),
                format::bytes(m.swap_total_kib * 1024)
            ),
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Compute/storage nodes at narrow widths: CPU and memory in one panel,
/// one gauge line each, histories below when there is room.
pub fn render_combined(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let t = format!(
        "{}/{}",
        title("CPU USAGE", &app.cpu, app.now).trim_end(),
        title("MEM USAGE", &app.mem, app.now).trim_start()
    );
    let inner = frame(f, area, theme.panel(t));
    let w = (inner.width as usize).saturating_sub(4);
    let mut lines = Vec::new();
    match (&app.cpu.value, &app.cpu.error) {
        (Some(c), _) => {
            let pct = c.usage_pct.clamp(0.0, 100.0).round() as u8;
            let mut l = gauge(theme, pct, w, String::new());
            l.spans.insert(0, Span::styled("CPU ", theme.label()));
            lines.push(l);
        }
        (None, e) => lines.push(Line::styled(
            format!("CPU {}", e.as_deref().unwrap_or("waiting...")),
            theme.dim(),
        )),
    }
    match (&app.mem.value, &app.mem.error) {
        (Some(m), _) => {
            let mut l = gauge(theme, m.used_pct(), w, String::new());
            l.spans.insert(0, Span::styled("MEM ", theme.label()));
            lines.push(l);
        }
        (None, e) => lines.push(Line::styled(
            format!("MEM {}", e.as_deref().unwrap_or("waiting...")),
            theme.dim(),
        )),
    }
    if let (Some(c), Some(m)) = (&app.cpu.value, &app.mem.value) {
        let used = m.total_kib.saturating_sub(m.available_kib) * 1024;
        lines.push(Line::styled(
            format!(
                "{} cores, mem {}/{}",
                c.cores,
                format::bytes(used),
                format::bytes(m.total_kib * 1024)
            ),
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_fills_eighths_from_the_bottom() {
        let theme = Theme::MONO_ASCII;
        let hist: VecDeque<u8> = [0, 50, 100].into_iter().collect();
        let rows: Vec<String> = chart(&theme, &hist, 4, 2)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.to_string()).collect())
            .collect();
        assert_eq!(rows, ["   #", "  ##"]);
        let colour = Theme::COLOR;
        let hist: VecDeque<u8> = [25, 100].into_iter().collect();
        let rows: Vec<String> = chart(&colour, &hist, 2, 2)
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.to_string()).collect())
            .collect();
        assert_eq!(rows, [" █", "▄█"]);
    }
}
