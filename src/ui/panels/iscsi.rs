//! Storage nodes: iSCSI sessions.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{frame, title, value_or_status};
use crate::app::App;
use crate::ui::format::pad;

pub fn render(f: &mut Frame, area: Rect, app: &App, tabs: &str) {
    let theme = &app.settings.theme;
    let t = title("iSCSI SESSIONS", &app.iscsi, app.now);
    let inner = frame(f, area, theme.panel(format!("{tabs}{t}")));
    let Some(sessions) = value_or_status(f, inner, &app.iscsi, theme) else {
        return;
    };
    let mut lines = vec![Line::styled(
        format!(
            "{}{}{}TARGET",
            pad("SID", 5),
            pad("STATE", 10),
            pad("PORTAL", 22)
        ),
        theme.dim(),
    )];
    for s in sessions
        .iter()
        .take(inner.height.saturating_sub(1) as usize)
    {
        let st = if s.state.eq_ignore_ascii_case("LOGGED_IN") {
            theme.good()
        } else {
            theme.bad()
        };
        lines.push(Line::from(vec![
            Span::raw(pad(&s.id, 5)),
            Span::styled(pad(&s.state, 10), st),
            Span::raw(pad(&s.portal, 22)),
            Span::raw(s.target.clone()),
        ]));
    }
    if sessions.is_empty() {
        lines.push(Line::styled("no iSCSI sessions", theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
