//! A result or information window; Enter, Esc or Space closes it.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::Frame;

use super::{popup, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::theme::Theme;

/// Tone of a message window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Error,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub title: String,
    pub lines: Vec<String>,
    pub tone: Tone,
}

impl Message {
    pub fn new(title: impl Into<String>, lines: Vec<String>, tone: Tone) -> Message {
        Message {
            title: title.into(),
            lines,
            tone,
        }
    }

    /// `Accept` means "close".
    pub fn on_key(&mut self, key: Key) -> Handled {
        match key {
            Key::Enter | Key::Esc | Key::Char(' ') => Handled::Accept,
            _ => Handled::Stay,
        }
    }

    pub fn hints(&self) -> Vec<Hint> {
        vec![Hint::new(&[Key::Enter], "OK")]
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let style = tone_style(theme, self.tone);
        let mut lines: Vec<Line> = self
            .lines
            .iter()
            .map(|l| Line::styled(l.clone(), style))
            .collect();
        lines.push(Line::raw(""));
        lines.push(Line::styled("Press Enter to continue", theme.dim()));
        popup::popup(f, area, theme, &self.title, lines, 30);
    }
}

fn tone_style(theme: &Theme, tone: Tone) -> Style {
    match tone {
        Tone::Info => theme.value(),
        Tone::Success => theme.good(),
        Tone::Error => theme.bad(),
    }
}
