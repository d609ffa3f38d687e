//! Confirmation by typing a phrase exactly (case-sensitive), for the
//! actions that cannot be undone.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{popup, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::format;
use crate::ui::theme::Theme;

#[derive(Debug, Clone)]
pub struct Phrase {
    pub title: String,
    pub lines: Vec<String>,
    pub phrase: String,
    pub input: String,
    pub error: Option<String>,
}

impl Phrase {
    pub fn new(title: impl Into<String>, lines: Vec<String>, phrase: impl Into<String>) -> Phrase {
        Phrase {
            title: title.into(),
            lines,
            phrase: phrase.into(),
            input: String::new(),
            error: None,
        }
    }

    pub fn on_key(&mut self, key: Key) -> Handled {
        match key {
            Key::Esc => Handled::Cancel,
            Key::Enter => {
                if self.input == self.phrase {
                    Handled::Accept
                } else {
                    self.error = Some(format!(
                        "Typed text does not match. Type exactly: {}",
                        self.phrase
                    ));
                    self.input.clear();
                    Handled::Stay
                }
            }
            Key::Backspace => {
                self.input.pop();
                Handled::Stay
            }
            Key::Char(c) if !c.is_control() && self.input.chars().count() < 64 => {
                self.error = None;
                self.input.push(c);
                Handled::Stay
            }
            _ => Handled::Stay,
        }
    }

    pub fn hints(&self) -> Vec<Hint> {
        vec![
            Hint::new(&[Key::Enter], "Confirm"),
            Hint::new(&[Key::Esc], "Cancel"),
        ]
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let mut lines: Vec<Line> = self
            .lines
            .iter()
            .map(|l| Line::styled(l.clone(), theme.warn()))
            .collect();
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::raw("Type "),
            Span::styled(self.phrase.clone(), theme.title()),
            Span::raw(" to confirm:"),
        ]));
        lines.push(Line::styled(format::pad(&self.input, 32), theme.selected()));
        if let Some(e) = &self.error {
            lines.push(Line::styled(e.clone(), theme.bad()));
        }
        popup::popup(f, area, theme, &self.title, lines, 40);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrase_is_exact_and_case_sensitive() {
        let mut p = Phrase::new("t", vec![], "REBOOT");
        for c in "reboot".chars() {
            p.on_key(Key::Char(c));
        }
        assert_eq!(p.on_key(Key::Enter), Handled::Stay);
        assert!(p.error.is_some());
        assert!(p.input.is_empty());
        for c in "REBOOT".chars() {
            p.on_key(Key::Char(c));
        }
        assert_eq!(p.on_key(Key::Enter), Handled::Accept);
    }
}
