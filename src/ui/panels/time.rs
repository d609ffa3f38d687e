//! TIME INFO: boot time, now, uptime, load average.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{first_line_then_status, frame, kv, title};
use crate::app::App;
use crate::ui::format;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let block = theme.panel(title("TIME INFO", &app.time, app.now));
    let inner = frame(f, area, block);
    let w = 8;
    let now = kv(
        theme,
        "Now",
        w,
        vec![
            Span::raw(format::datetime(app.now, app.utc_offset_s)),
            Span::styled(format!(" {}", format::zone(app.utc_offset_s)), theme.dim()),
        ],
    );
    let Some(t) = &app.time.value else {
        first_line_then_status(f, inner, now, &app.time, theme);
        return;
    };
    let lines = vec![
        kv(
            theme,
            "Boot",
            w,
            vec![Span::raw(format::datetime(t.boot, app.utc_offset_s))],
        ),
        now,
        kv(
            theme,
            "Uptime",
            w,
            vec![Span::raw(format::uptime(t.uptime))],
        ),
        kv(
            theme,
            "Load",
            w,
            vec![Span::raw(format!(
                "{:.2}  {:.2}  {:.2}",
                t.load[0], t.load[1], t.load[2]
            ))],
        ),
    ];
    f.render_widget(Paragraph::new(lines), inner);
}
