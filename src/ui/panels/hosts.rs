//! HOST INFO: compute nodes of the cloud, Enabled and Connected.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{frame, kv, title, value_or_status};
use crate::app::App;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let block = theme.panel(super::counts_title(
        title("HOST INFO", &app.hosts, app.now),
        app,
    ));
    let inner = frame(f, area, block);
    let Some(h) = value_or_status(f, inner, &app.hosts, theme) else {
        return;
    };
    let w = 10;
    let lines = vec![
        kv(theme, "Total", w, vec![Span::raw(h.total.to_string())]),
        kv(theme, "Enabled", w, vec![Span::raw(h.enabled.to_string())]),
        kv(
            theme,
            "Connected",
            w,
            vec![Span::styled(
                h.connected.to_string(),
                if h.connected < h.enabled {
                    theme.warn()
                } else {
                    theme.value()
                },
            )],
        ),
    ];
    f.render_widget(Paragraph::new(lines), inner);
}
