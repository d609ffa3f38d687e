//! One pure render function per main-screen panel. Each takes the frame,
//! its area and the app state, and draws a bordered panel; none does I/O.

pub mod block;
pub mod disk;
pub mod fc;
pub mod hosts;
pub mod iscsi;
pub mod multipath;
pub mod nic;
pub mod node;
pub mod time;
pub mod usage;
pub mod vms;

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;
use std::time::SystemTime;

use super::format;
use super::theme::Theme;
use crate::app::{Feed, FeedState};

/// The panel's title, with a staleness note when the source is failing.
pub fn title<T>(name: &str, feed: &Feed<T>, now: SystemTime) -> String {
    match feed.state(now) {
        FeedState::Stale(age) => format!(" {name} (stale {}) ", format::age(age)),
        FeedState::Unavailable => format!(" {name} (unavailable) "),
        _ => format!(" {name} "),
    }
}

/// Draws the body of a panel whose feed has no value: "waiting" or the
/// error. Returns the value when there is one.
pub fn value_or_status<'a, T>(
    f: &mut Frame,
    inner: Rect,
    feed: &'a Feed<T>,
    theme: &Theme,
) -> Option<&'a T> {
    if let Some(v) = &feed.value {
        return Some(v);
    }
    let line = match &feed.error {
        Some(e) => Line::from(vec![
            Span::styled("unavailable: ", theme.bad()),
            Span::raw(e.clone()),
        ]),
        None => Line::styled("waiting for data...", theme.dim()),
    };
    f.render_widget(Paragraph::new(line).wrap(Wrap { trim: true }), inner);
    None
}

/// Draws the panel frame and returns the inner area.
pub fn frame(f: &mut Frame, area: Rect, block: Block) -> Rect {
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

/// `label  value` with the label padded to `w` columns.
pub fn kv<'a>(theme: &Theme, label: &str, w: usize, value: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = vec![Span::styled(format::pad(label, w), theme.label())];
    spans.extend(value);
    Line::from(spans)
}

/// For panels with a line that needs no data (the node's name, the clock):
/// draws `first` on the first row and the feed's status below it.
pub fn first_line_then_status<T>(
    f: &mut Frame,
    inner: Rect,
    first: Line,
    feed: &Feed<T>,
    theme: &Theme,
) {
    f.render_widget(
        Paragraph::new(first),
        Rect {
            height: 1.min(inner.height),
            ..inner
        },
    );
    let rest = Rect {
        y: inner.y.saturating_add(1),
        height: inner.height.saturating_sub(1),
        ..inner
    };
    value_or_status(f, rest, feed, theme);
}

/// Where the engine's host/VM counts came from and how old they are (the
/// ZStack engine: "REST API, 3 s ago" or "database (REST down), …"), from
/// NODE INFO's `Counts` fact; `None` for engines that do not say.
pub fn counts_source(app: &crate::app::App) -> Option<&str> {
    app.node
        .value
        .as_ref()?
        .extra
        .iter()
        .find(|(k, _)| k == "Counts")
        .map(|(_, v)| v.as_str())
}

/// A panel title with the counts' source appended when the engine gives one
/// (cut by the border when the panel is narrow; NODE INFO shows it in full).
pub fn counts_title(base: String, app: &crate::app::App) -> String {
    match counts_source(app) {
        Some(src) => format!("{}({src}) ", base),
        None => base,
    }
}
