//! The System Configuration screen: the role's menu built from the feature
//! registry, each item with its availability. (The windows drawn over it
//! are the widget kit's, in `crate::kit`.)

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::format;
use crate::app::App;
use crate::engine::Availability;
use crate::kit::popup::centered;

/// The System Configuration menu screen.
pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let items = &app.settings.menu;
    let width = area.width.min(64);
    let height = (items.len() as u16 + 5).min(area.height);
    let r = centered(area, width, height);
    let block = theme.panel(" System Configuration ");
    let inner = block.inner(r);
    f.render_widget(Clear, r);
    f.render_widget(block, r);
    let mut lines = Vec::new();
    for (i, row) in items.iter().enumerate() {
        let avail = &row.availability;
        let label = format!(
            " {:>2}. {}",
            i + 1,
            row.feature.label(app.settings.engine_display)
        );
        let mut style = match avail {
            Availability::Available => theme.value(),
            Availability::Unavailable(_) => theme.dim(),
        };
        if i == app.menu_cursor {
            style = theme.selected();
        }
        let suffix = match avail {
            Availability::Available => "",
            Availability::Unavailable(_) => " (unavailable)",
        };
        let text = format::pad(&format!("{label}{suffix}"), inner.width as usize);
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::raw(""));
    if let Some(Availability::Unavailable(why)) =
        items.get(app.menu_cursor).map(|r| &r.availability)
    {
        lines.push(Line::styled(
            format::fit(why, inner.width as usize),
            theme.dim(),
        ));
    } else {
        lines.push(Line::styled(
            "Enter opens the item; F2 or c returns to the main screen.",
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
