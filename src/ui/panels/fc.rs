//! Storage nodes: the Fibre Channel HBA ports (WWPN, WWNN, port state,
//! speed, fabric), "no FC HBA" when the FC transport class has none.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{frame, title, value_or_status};
use crate::app::App;
use crate::ui::format::{self, pad};

pub fn render(f: &mut Frame, area: Rect, app: &App, tabs: &str) {
    let theme = &app.settings.theme;
    let t = title("FC HBAs", &app.fc, app.now);
    let inner = frame(f, area, theme.panel(format!("{tabs}{t}")));
    let Some(hosts) = value_or_status(f, inner, &app.fc, theme) else {
        return;
    };
    let width = inner.width as usize;
    let mut lines = vec![Line::styled(
        format::fit(
            &format!(
                "{}{}{}{}{}FABRIC",
                pad("HOST", 8),
                pad("WWPN", 20),
                pad("WWNN", 20),
                pad("STATE", 10),
                pad("SPEED", 10)
            ),
            width,
        ),
        theme.dim(),
    )];
    let rows = inner.height.saturating_sub(1) as usize;
    let off = app.scroll.min(hosts.len().saturating_sub(rows));
    for h in hosts.iter().skip(off).take(rows) {
        let st = if h.port_state.eq_ignore_ascii_case("online") {
            theme.good()
        } else {
            theme.bad()
        };
        let head = format!(
            "{}{}{}",
            pad(&h.host, 8),
            pad(&h.wwpn, 20),
            pad(&h.wwnn, 20)
        );
        let tail = format!("{}{}", pad(&h.speed, 10), h.fabric_name);
        let used = head.chars().count() + 10;
        lines.push(Line::from(vec![
            Span::raw(format::fit(&head, width)),
            Span::styled(
                format::fit(
                    &pad(&h.port_state, 10),
                    width.saturating_sub(head.chars().count()),
                ),
                st,
            ),
            Span::raw(format::fit(&tail, width.saturating_sub(used))),
        ]));
    }
    if hosts.is_empty() {
        lines.push(Line::styled("no FC HBA", theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
