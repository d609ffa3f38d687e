//! A list to choose one entry from; entries may be disabled with a reason
//! (Enter on one says why instead of choosing it).

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use super::{popup, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::format;
use crate::ui::theme::Theme;

#[derive(Debug, Clone)]
pub struct Choice {
    pub title: String,
    /// Label, and the reason when the entry is disabled.
    pub options: Vec<(String, Option<String>)>,
    pub cursor: usize,
    /// Shown when Enter is pressed on a disabled entry.
    pub error: Option<String>,
}

impl Choice {
    pub fn new(title: impl Into<String>, options: Vec<(String, Option<String>)>) -> Choice {
        Choice {
            title: title.into(),
            options,
            cursor: 0,
            error: None,
        }
    }

    pub fn on_key(&mut self, key: Key) -> Handled {
        let n = self.options.len().max(1);
        self.error = None;
        match key {
            Key::Esc => return Handled::Cancel,
            Key::Up | Key::Char('k') => self.cursor = (self.cursor + n - 1) % n,
            Key::Down | Key::Char('j') | Key::Tab => self.cursor = (self.cursor + 1) % n,
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = n - 1,
            Key::Enter => match self.options.get(self.cursor) {
                Some((_, None)) => return Handled::Accept,
                Some((label, Some(why))) => {
                    self.error = Some(format!("{label}: {why}"));
                }
                None => {}
            },
            _ => {}
        }
        Handled::Stay
    }

    pub fn hints(&self) -> Vec<Hint> {
        let mut h = Vec::new();
        if self.options.len() > 1 {
            h.push(Hint::new(&[Key::Up, Key::Down], "Move"));
        }
        if !self.options.is_empty() {
            h.push(Hint::new(&[Key::Enter], "Select"));
        }
        h.push(Hint::new(&[Key::Esc], "Back"));
        h
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let width = self
            .options
            .iter()
            .map(|(l, d)| l.chars().count() + if d.is_some() { 15 } else { 2 })
            .max()
            .unwrap_or(0)
            .max(40);
        let mut lines = Vec::new();
        for (i, (label, disabled)) in self.options.iter().enumerate() {
            let mut style = if disabled.is_some() {
                theme.dim()
            } else {
                theme.value()
            };
            if i == self.cursor {
                style = theme.selected();
            }
            let suffix = if disabled.is_some() {
                " (unavailable)"
            } else {
                ""
            };
            lines.push(Line::styled(
                format::pad(&format!(" {label}{suffix}"), width),
                style,
            ));
        }
        if let Some(e) = &self.error {
            lines.push(Line::raw(""));
            lines.push(Line::styled(e.clone(), theme.warn()));
        }
        popup::popup(f, area, theme, &self.title, lines, 40);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_entries_explain_and_enabled_ones_accept() {
        let mut ch = Choice::new(
            "t",
            vec![("a".into(), None), ("b".into(), Some("not here".into()))],
        );
        ch.on_key(Key::Char('j'));
        assert_eq!(ch.on_key(Key::Enter), Handled::Stay);
        assert_eq!(ch.error.as_deref(), Some("b: not here"));
        ch.on_key(Key::Up);
        assert_eq!(ch.on_key(Key::Enter), Handled::Accept);
    }
}
