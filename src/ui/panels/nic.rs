//! NIC INFO: every link with kind, state, MN mark, MAC and addresses.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{frame, title, value_or_status};
use crate::app::App;
use crate::probe::Nic;
use crate::ui::format;

/// The address column: IPv4 addresses, else the master, else the first
/// global IPv6 address.
pub fn addresses(n: &Nic) -> String {
    if !n.ipv4.is_empty() {
        return n
            .ipv4
            .iter()
            .map(|(a, p)| format!("{a}/{p}"))
            .collect::<Vec<_>>()
            .join(", ");
    }
    if let Some(m) = &n.master {
        return format!("-> {m}");
    }
    n.ipv6
        .iter()
        .find(|(a, _)| (a.segments()[0] & 0xffc0) != 0xfe80)
        .map(|(a, p)| format!("{a}/{p}"))
        .unwrap_or_default()
}

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let mut t = title("NIC INFO", &app.nics, app.now);
    let Some(info) = &app.nics.value else {
        let inner = frame(f, area, theme.panel(t));
        value_or_status(f, inner, &app.nics, theme);
        return;
    };
    let rows = area.height.saturating_sub(3) as usize;
    // On management nodes the arrow keys scroll this panel (there is no
    // lower table there).
    let off = if app.has_lower_table() {
        0
    } else {
        super::vms::visible_offset(app.scroll, info.nics.len(), rows)
    };
    if info.nics.len() > rows && rows > 0 {
        t = format!(
            "{}[{}-{} of {}] ",
            t,
            off + 1,
            (off + rows).min(info.nics.len()),
            info.nics.len()
        );
    }
    let inner = frame(f, area, theme.panel(t));
    let wide = inner.width >= 100;
    let head = format!(
        "{}{}{}{}{}{}ADDRESS",
        format::pad("NAME", 13),
        format::pad("KIND", 9),
        format::pad("STATE", 6),
        format::pad("MN", 3),
        format::pad("MAC", 18),
        if wide {
            format::pad("SPEED", 8)
        } else {
            String::new()
        }
    );
    let mut lines = vec![Line::styled(head, theme.dim())];
    for n in info.nics.iter().skip(off).take(rows) {
        let state = if n.up {
            Span::styled(format::pad("UP", 6), theme.good())
        } else {
            Span::styled(format::pad("DOWN", 6), theme.bad())
        };
        let mut spans = vec![
            Span::raw(format::pad(&n.name, 13)),
            Span::styled(format::pad(n.kind.label(), 9), theme.label()),
            state,
            Span::styled(
                format::pad(if n.is_mn { "MN" } else { "" }, 3),
                theme.warn(),
            ),
            Span::styled(
                format::pad(n.mac.as_deref().unwrap_or("-"), 18),
                theme.dim(),
            ),
        ];
        if wide {
            let speed = n
                .speed_mbps
                .map(|s| {
                    if s >= 1000 {
                        format!("{}G", s / 1000)
                    } else {
                        format!("{s}M")
                    }
                })
                .unwrap_or_default();
            spans.push(Span::styled(format::pad(&speed, 8), theme.dim()));
        }
        spans.push(Span::raw(addresses(n)));
        lines.push(Line::from(spans));
    }
    if info.nics.is_empty() {
        lines.push(Line::styled("no network interfaces", theme.warn()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
