//! A Y/N question.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use super::{popup, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::theme::Theme;

#[derive(Debug, Clone)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    /// Show the lines as a warning.
    pub warn: bool,
}

impl Confirm {
    pub fn on_key(&mut self, key: Key) -> Handled {
        match key {
            Key::Char('y') | Key::Char('Y') => Handled::Accept,
            Key::Char('n') | Key::Char('N') | Key::Esc => Handled::Cancel,
            _ => Handled::Stay,
        }
    }

    pub fn hints(&self) -> Vec<Hint> {
        vec![
            Hint::new(&[Key::Char('Y')], "Yes"),
            Hint::new(&[Key::Char('N')], "No"),
        ]
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let style = if self.warn {
            theme.warn()
        } else {
            theme.value()
        };
        let mut lines: Vec<Line> = self
            .lines
            .iter()
            .map(|l| Line::styled(l.clone(), style))
            .collect();
        lines.push(Line::raw(""));
        lines.push(Line::styled("[Y] Yes    [N] No", theme.title()));
        popup::popup(f, area, theme, &self.title, lines, 30);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y_accepts_n_cancels_others_stay() {
        let mut c = Confirm {
            title: "t".into(),
            lines: vec![],
            warn: false,
        };
        assert_eq!(c.on_key(Key::Char('x')), Handled::Stay);
        assert_eq!(c.on_key(Key::Char('Y')), Handled::Accept);
        assert_eq!(c.on_key(Key::Char('n')), Handled::Cancel);
    }
}
