//! The frame every window is drawn in: a bordered box, centred over the
//! screen, as wide as its content needs.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::theme::Theme;

/// A `w` x `h` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Draws `lines` in a titled box at least `min_w` columns wide inside.
pub fn popup<'a>(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    lines: Vec<Line<'a>>,
    min_w: u16,
) {
    let content_w = lines
        .iter()
        .map(|l| l.width() as u16)
        .max()
        .unwrap_or(0)
        .max(title.chars().count() as u16 + 4)
        .max(min_w);
    let w = (content_w + 4)
        .min(area.width.saturating_sub(2))
        .max(10.min(area.width));
    // Wrapped lines may need more rows than lines.
    let inner_w = w.saturating_sub(4).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_w))
        .sum();
    let h = (rows as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    let block = theme.panel(format!(" {title} "));
    let inner = block.inner(r);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    f.render_widget(Clear, r);
    f.render_widget(block, r);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
