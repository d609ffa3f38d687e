//! The root password prompt of the gate: one masked field, a "checking"
//! state while PAM answers, and the brute-force countdown.

use std::time::{Duration, Instant};

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::Frame;

use super::{popup, Field, FieldKind, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::format;
use crate::ui::theme::Theme;

#[derive(Debug, Clone)]
pub struct Password {
    /// What the password opens ("System Configuration").
    pub what: String,
    pub field: Field,
    /// PAM is checking the password: keys are ignored until it answers.
    pub checking: bool,
    /// The brute-force delay: no try before this instant.
    pub retry_at: Option<Instant>,
}

impl Password {
    pub fn new(what: impl Into<String>, retry_at: Option<Instant>) -> Password {
        Password {
            what: what.into(),
            field: Field::new("root password", FieldKind::Password),
            checking: false,
            retry_at,
        }
    }

    /// How long the operator must still wait at `now`.
    pub fn wait(&self, now: Instant) -> Option<Duration> {
        self.retry_at
            .map(|t| t.saturating_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    /// `Accept`: the typed password may be checked (take it from `field`).
    pub fn on_key(&mut self, key: Key, now: Instant) -> Handled {
        if self.checking {
            return Handled::Stay;
        }
        match key {
            Key::Esc => return Handled::Cancel,
            Key::Enter if self.wait(now).is_none() && !self.field.is_empty() => {
                return Handled::Accept;
            }
            Key::Backspace => self.field.backspace(),
            Key::Char(c) => self.field.input(c),
            _ => {}
        }
        Handled::Stay
    }

    pub fn hints(&self, now: Instant) -> Vec<Hint> {
        if self.checking {
            return vec![];
        }
        let mut h = Vec::new();
        if self.wait(now).is_none() && !self.field.is_empty() {
            h.push(Hint::new(&[Key::Enter], "Check"));
        }
        h.push(Hint::new(&[Key::Esc], "Cancel"));
        h
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme, now: Instant) {
        let mut lines = vec![
            Line::raw(format!("{} needs the root password.", self.what)),
            Line::raw(""),
            Line::from(vec![
                Span::styled("Password: ", theme.label()),
                Span::styled(format::pad(&self.field.display(), 24), theme.selected()),
            ]),
            Line::raw(""),
        ];
        if self.checking {
            lines.push(Line::styled("Checking...", theme.warn()));
        } else if let Some(wait) = self.wait(now) {
            lines.push(Line::styled(
                format!(
                    "Too many failures: try again in {} s",
                    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
                ),
                theme.bad(),
            ));
        } else {
            lines.push(Line::styled(
                "Enter to continue, Esc to cancel",
                theme.dim(),
            ));
        }
        popup::popup(f, area, theme, "Authentication", lines, 40);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_needs_a_password_and_the_delay_over() {
        let t0 = Instant::now();
        let mut p = Password::new("x", Some(t0 + Duration::from_secs(2)));
        assert_eq!(p.on_key(Key::Enter, t0), Handled::Stay, "empty");
        p.on_key(Key::Char('a'), t0);
        assert_eq!(p.on_key(Key::Enter, t0), Handled::Stay, "delay");
        assert!(!p.hints(t0).iter().any(|h| h.keys == [Key::Enter]));
        let later = t0 + Duration::from_secs(3);
        assert!(p.hints(later).iter().any(|h| h.keys == [Key::Enter]));
        assert_eq!(p.on_key(Key::Enter, later), Handled::Accept);
        p.checking = true;
        assert_eq!(p.on_key(Key::Esc, later), Handled::Stay);
        assert!(p.hints(later).is_empty());
    }
}
