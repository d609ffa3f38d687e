//! NODE INFO: is the cloud service up, UI, version, URL, licence, plus the
//! node's own name and role.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{first_line_then_status, frame, kv, title};
use crate::app::App;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let block = theme.panel(title("NODE INFO", &app.node, app.now));
    let inner = frame(f, area, block);
    let w = 11;
    let mut lines = vec![kv(
        theme,
        "Node",
        w,
        vec![Span::raw(format!(
            "{} ({})",
            app.settings.hostname,
            app.settings.role.as_str()
        ))],
    )];
    let Some(st) = &app.node.value else {
        let first = lines.remove(0);
        first_line_then_status(f, inner, first, &app.node, theme);
        return;
    };
    let running = |up: bool| {
        if up {
            Span::styled("Running", theme.good())
        } else {
            Span::styled("Stopped", theme.bad())
        }
    };
    lines.push(kv(
        theme,
        "Service",
        w,
        vec![
            running(st.service_running),
            Span::styled(format!(" ({})", st.service_name), theme.dim()),
        ],
    ));
    if let Some(ui) = st.ui_running {
        lines.push(kv(theme, "Web UI", w, vec![running(ui)]));
    }
    lines.push(kv(theme, "Version", w, vec![Span::raw(st.version.clone())]));
    // URIs and URLs lose their middle, not their end, when the panel is narrow.
    let room = (inner.width as usize).saturating_sub(w);
    if let Some(url) = &st.ui_url {
        lines.push(kv(
            theme,
            "UI URL",
            w,
            vec![Span::raw(crate::ui::format::fit_middle(url, room))],
        ));
    }
    if let Some(l) = &st.license {
        lines.push(kv(theme, "License", w, vec![Span::raw(l.clone())]));
    }
    for (k, v) in &st.extra {
        lines.push(kv(
            theme,
            k,
            w,
            vec![Span::raw(crate::ui::format::fit_middle(v, room))],
        ));
    }
    if let Some(e) = &app.node.error {
        lines.push(Line::styled(format!("error: {e}"), theme.bad()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
