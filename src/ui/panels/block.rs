//! Storage nodes: the shared block devices this node sees.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::vms::visible_offset;
use super::{frame, title, value_or_status};
use crate::app::App;
use crate::ui::format::{self, pad};

pub fn render(f: &mut Frame, area: Rect, app: &App, tabs: &str) {
    let theme = &app.settings.theme;
    let t = title("BLOCK DEVICES", &app.block, app.now);
    let inner = frame(f, area, theme.panel(format!("{tabs}{t}")));
    let Some(devs) = value_or_status(f, inner, &app.block, theme) else {
        return;
    };
    let rows = inner.height.saturating_sub(1) as usize;
    let wide = inner.width >= 110;
    let head = if wide {
        format!(
            "{}{}{}{}{}{}{}{}",
            pad("NAME", 9),
            pad("TYPE", 6),
            pad("SIZE", 8),
            pad("TRAN", 7),
            pad("HCTL", 10),
            pad("VENDOR", 9),
            pad("MODEL", 17),
            "WWID"
        )
    } else {
        format!(
            "{}{}{}{}{}{}",
            pad("NAME", 9),
            pad("TYPE", 6),
            pad("SIZE", 8),
            pad("TRAN", 7),
            pad("HCTL", 10),
            "WWID"
        )
    };
    let mut lines = vec![Line::styled(head, theme.dim())];
    let off = visible_offset(app.scroll, devs.len(), rows);
    for d in devs.iter().skip(off).take(rows) {
        let mut s = format!(
            "{}{}{}{}{}",
            pad(&d.name, 9),
            pad(&d.dev_type, 6),
            pad(&format::bytes(d.size_bytes), 8),
            pad(&d.transport, 7),
            pad(&d.hctl, 10)
        );
        if wide {
            s.push_str(&pad(&d.vendor, 9));
            s.push_str(&pad(&d.model, 17));
        }
        s.push_str(&d.wwid);
        lines.push(Line::raw(format::fit(&s, inner.width as usize)));
    }
    if devs.is_empty() {
        lines.push(Line::styled("no block devices", theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}
