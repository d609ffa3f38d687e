//! DISK INFO: free space of the watched directories.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{frame, title, value_or_status};
use crate::app::App;
use crate::ui::format;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let block = theme.panel(title("DISK INFO", &app.disks, app.now));
    let inner = frame(f, area, block);
    let Some(entries) = value_or_status(f, inner, &app.disks, theme) else {
        return;
    };
    let width = inner.width as usize;
    // "path  12.3G free/ 50.0G  75%": the path gets what the numbers leave.
    let compact = width < 40;
    let nums = if compact { 17 } else { 24 };
    let pw = width.saturating_sub(nums).clamp(4, 24);
    let lines: Vec<Line> = entries
        .iter()
        .map(|e| {
            let path = format::pad(&e.path.display().to_string(), pw);
            match &e.usage {
                Ok(u) => {
                    let pct = u.used_pct();
                    Line::from(vec![
                        Span::styled(path, theme.label()),
                        Span::raw(if compact {
                            format!(
                                " {:>5}/{:>5} ",
                                format::bytes(u.free_bytes),
                                format::bytes(u.total_bytes)
                            )
                        } else {
                            format!(
                                " {:>6} free/{:>6} ",
                                format::bytes(u.free_bytes),
                                format::bytes(u.total_bytes)
                            )
                        }),
                        Span::styled(format!("{pct:>3}%"), theme.level(pct)),
                    ])
                }
                Err(err) => {
                    // The whole message where it fits, else one word: a
                    // message cut mid-word reads as a different fault.
                    let room = width.saturating_sub(pw + 1);
                    let text = if err.chars().count() <= room {
                        err.clone()
                    } else {
                        format::disk_error_word(err).to_string()
                    };
                    Line::from(vec![
                        Span::styled(path, theme.label()),
                        Span::styled(format!(" {text}"), theme.warn()),
                    ])
                }
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
