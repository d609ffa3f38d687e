//! Keep or roll back: a guarded network change is applied and reverts by
//! itself at `deadline` unless the operator keeps it.

use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use super::{popup, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::theme::Theme;

#[derive(Debug, Clone)]
pub struct Keep {
    /// What changed.
    pub lines: Vec<String>,
    pub deadline: Instant,
}

impl Keep {
    /// `Accept` keeps the change, `Cancel` reverts it now.
    pub fn on_key(&mut self, key: Key) -> Handled {
        match key {
            Key::Char('y') | Key::Char('Y') => Handled::Accept,
            Key::Char('n') | Key::Char('N') | Key::Esc => Handled::Cancel,
            _ => Handled::Stay,
        }
    }

    pub fn hints(&self) -> Vec<Hint> {
        vec![
            Hint::new(&[Key::Char('Y')], "Keep"),
            Hint::new(&[Key::Char('N')], "Revert now"),
        ]
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme, now: Instant) {
        let left = self.deadline.saturating_duration_since(now).as_secs();
        let mut l: Vec<Line> = self.lines.iter().map(|s| Line::raw(s.clone())).collect();
        l.push(Line::raw(""));
        l.push(Line::styled(
            format!("Keep this configuration? It is reverted in {left} s."),
            theme.warn(),
        ));
        l.push(Line::styled("[Y] Keep    [N] Revert now", theme.title()));
        popup::popup(f, area, theme, "Keep the change?", l, 50);
    }
}
