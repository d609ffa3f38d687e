//! A form: labelled fields, one focused, with inline errors under the
//! field they concern and a form-wide error line.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{popup, Field, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::format;
use crate::ui::theme::Theme;

#[derive(Debug, Clone)]
pub struct Form {
    pub title: String,
    /// Help or warning shown above the fields.
    pub note: Option<String>,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// A form-wide error (e.g. a rule about several fields).
    pub error: Option<String>,
}

impl Form {
    pub fn new(title: impl Into<String>, fields: Vec<Field>) -> Form {
        Form {
            title: title.into(),
            note: None,
            fields,
            focus: 0,
            error: None,
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Form {
        self.note = Some(note.into());
        self
    }

    /// Tab/Down and Shift+Tab/Up move between fields; Enter on the last
    /// field submits (on another field it moves on); Esc cancels.
    pub fn on_key(&mut self, key: Key) -> Handled {
        let n = self.fields.len().max(1);
        match key {
            Key::Esc => return Handled::Cancel,
            Key::Tab | Key::Down => self.focus = (self.focus + 1) % n,
            Key::BackTab | Key::Up => self.focus = (self.focus + n - 1) % n,
            Key::Enter => {
                if self.focus + 1 >= self.fields.len() {
                    return Handled::Accept;
                }
                self.focus += 1;
            }
            Key::Backspace => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.backspace();
                    self.error = None;
                }
            }
            Key::Char(c) => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.input(c);
                    self.error = None;
                }
            }
            _ => {}
        }
        Handled::Stay
    }

    /// The keys of `on_key` worth a hint; moving between fields only when
    /// there is more than one.
    pub fn hints(&self) -> Vec<Hint> {
        let mut h = Vec::new();
        if self.fields.len() > 1 {
            h.push(Hint::new(&[Key::Tab], "Next field"));
            h.push(Hint::new(&[Key::BackTab], "Previous"));
        }
        h.push(Hint::new(&[Key::Enter], "Submit"));
        h.push(Hint::new(&[Key::Esc], "Cancel"));
        h
    }

    /// Puts `msg` under field `i` and focuses it.
    pub fn fail(&mut self, i: usize, msg: impl Into<String>) {
        if let Some(f) = self.fields.get_mut(i) {
            f.error = Some(msg.into());
            self.focus = i;
        }
    }

    pub fn has_errors(&self) -> bool {
        self.error.is_some() || self.fields.iter().any(|f| f.error.is_some())
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        popup::popup(f, area, theme, &self.title, self.lines(theme), 50);
    }

    fn lines<'a>(&self, theme: &Theme) -> Vec<Line<'a>> {
        let mut lines = Vec::new();
        if let Some(n) = &self.note {
            lines.push(Line::styled(n.clone(), theme.warn()));
            lines.push(Line::raw(""));
        }
        let lw = self
            .fields
            .iter()
            .map(|f| f.label.chars().count())
            .max()
            .unwrap_or(0)
            + 2;
        for (i, field) in self.fields.iter().enumerate() {
            let focused = i == self.focus;
            let marker = if focused { ">" } else { " " };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{marker}{}", format::pad(&format!("{}:", field.label), lw)),
                    theme.label(),
                ),
                Span::styled(
                    format::pad(&field.display(), 28),
                    if focused {
                        theme.selected()
                    } else {
                        theme.value().patch(theme.dim())
                    },
                ),
            ]));
            if let Some(e) = &field.error {
                lines.push(Line::styled(
                    format!("{}! {e}", " ".repeat(lw + 1)),
                    theme.bad(),
                ));
            }
        }
        if let Some(e) = &self.error {
            lines.push(Line::raw(""));
            lines.push(Line::styled(e.clone(), theme.bad()));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::FieldKind;

    #[test]
    fn form_navigation() {
        let mut form = Form::new(
            "t",
            vec![
                Field::new("a", FieldKind::Text),
                Field::new("b", FieldKind::Text),
            ],
        );
        assert_eq!(form.on_key(Key::Char('x')), Handled::Stay);
        assert_eq!(form.on_key(Key::Enter), Handled::Stay);
        assert_eq!(form.focus, 1);
        assert_eq!(form.on_key(Key::BackTab), Handled::Stay);
        assert_eq!(form.focus, 0);
        form.on_key(Key::Tab);
        assert_eq!(form.on_key(Key::Enter), Handled::Accept);
        assert_eq!(form.on_key(Key::Esc), Handled::Cancel);
        assert_eq!(form.fields[0].text, "x");
    }

    #[test]
    fn a_single_field_form_does_not_hint_tab() {
        let one = Form::new("t", vec![Field::new("a", FieldKind::Text)]);
        assert!(!one.hints().iter().any(|h| h.keys.contains(&Key::Tab)));
    }
}
