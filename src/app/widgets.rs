//! State and key handling of the widget kit every operation uses: forms
//! with typed fields, Y/N confirmation, typed-phrase confirmation, choice
//! lists, progress and result windows. Rendering is in `ui::windows`.
//!
//! Password fields keep their text in a [`Secret`]; nothing typed into one
//! is ever copied into a plain `String`.

use super::keys::Key;
use crate::secret::Secret;

/// What a field accepts; also decides how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Password,
    Ipv4,
    Netmask,
    Port,
}

impl FieldKind {
    /// Whether `c` may be typed into a field of this kind; refusing other
    /// characters at the keyboard spares the operator a round of errors.
    pub fn accepts(self, c: char) -> bool {
        match self {
            FieldKind::Text | FieldKind::Password => !c.is_control(),
            FieldKind::Ipv4 => c.is_ascii_digit() || c == '.',
            FieldKind::Netmask => c.is_ascii_digit() || c == '.' || c == '/',
            FieldKind::Port => c.is_ascii_digit(),
        }
    }

    fn max_len(self) -> usize {
        match self {
            FieldKind::Text => 255,
            FieldKind::Password => 512,
            FieldKind::Ipv4 | FieldKind::Netmask => 18,
            FieldKind::Port => 5,
        }
    }
}

/// One input field.
#[derive(Debug, Clone)]
pub struct Field {
    pub label: String,
    pub kind: FieldKind,
    /// Text of non-password fields.
    pub text: String,
    /// Text of password fields.
    pub secret: Secret,
    /// Inline validation message shown under the field.
    pub error: Option<String>,
}

impl Field {
    pub fn new(label: impl Into<String>, kind: FieldKind) -> Field {
        Field {
            label: label.into(),
            kind,
            text: String::new(),
            secret: Secret::new(),
            error: None,
        }
    }

    pub fn with_text(mut self, t: impl Into<String>) -> Field {
        self.text = t.into();
        self
    }

    /// What the screen shows: `*` per character for passwords.
    pub fn display(&self) -> String {
        match self.kind {
            FieldKind::Password => "*".repeat(self.secret.char_count()),
            _ => self.text.clone(),
        }
    }

    fn len(&self) -> usize {
        match self.kind {
            FieldKind::Password => self.secret.char_count(),
            _ => self.text.chars().count(),
        }
    }

    pub fn input(&mut self, c: char) {
        if !self.kind.accepts(c) || self.len() >= self.kind.max_len() {
            return;
        }
        self.error = None;
        match self.kind {
            FieldKind::Password => self.secret.push(c),
            _ => self.text.push(c),
        }
    }

    pub fn backspace(&mut self) {
        self.error = None;
        match self.kind {
            FieldKind::Password => self.secret.pop(),
            _ => {
                self.text.pop();
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a key did to a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing further to do.
    Stay,
    /// The window's action was accepted (Enter, `Y`, the right phrase, ...).
    Accept,
    /// Closed without action (Esc, `N`).
    Cancel,
}

/// A form: labelled fields, one focused, with a general error line.
#[derive(Debug, Clone)]
pub struct Form {
    pub title: String,
    /// Help or warning shown above the fields.
    pub note: Option<String>,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// A form-wide error (e.g. "the passwords do not match").
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
    pub fn on_key(&mut self, key: Key) -> Outcome {
        let n = self.fields.len().max(1);
        match key {
            Key::Esc => return Outcome::Cancel,
            Key::Tab | Key::Down => self.focus = (self.focus + 1) % n,
            Key::BackTab | Key::Up => self.focus = (self.focus + n - 1) % n,
            Key::Enter => {
                if self.focus + 1 >= self.fields.len() {
                    return Outcome::Accept;
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
        Outcome::Stay
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
}

/// A list to choose one entry from; entries may be disabled with a reason.
#[derive(Debug, Clone)]
pub struct Choice {
    pub title: String,
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

    pub fn on_key(&mut self, key: Key) -> Outcome {
        let n = self.options.len().max(1);
        self.error = None;
        match key {
            Key::Esc => return Outcome::Cancel,
            Key::Up | Key::Char('k') => self.cursor = (self.cursor + n - 1) % n,
            Key::Down | Key::Char('j') | Key::Tab => self.cursor = (self.cursor + 1) % n,
            Key::Home => self.cursor = 0,
            Key::End => self.cursor = n - 1,
            Key::Enter => match self.options.get(self.cursor) {
                Some((_, None)) => return Outcome::Accept,
                Some((label, Some(why))) => {
                    self.error = Some(format!("{label}: {why}"));
                }
                None => {}
            },
            _ => {}
        }
        Outcome::Stay
    }
}

/// Confirmation by typing a phrase exactly (case-sensitive).
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

    pub fn on_key(&mut self, key: Key) -> Outcome {
        match key {
            Key::Esc => Outcome::Cancel,
            Key::Enter => {
                if self.input == self.phrase {
                    Outcome::Accept
                } else {
                    self.error = Some(format!(
                        "Typed text does not match. Type exactly: {}",
                        self.phrase
                    ));
                    self.input.clear();
                    Outcome::Stay
                }
            }
            Key::Backspace => {
                self.input.pop();
                Outcome::Stay
            }
            Key::Char(c) if !c.is_control() && self.input.chars().count() < 64 => {
                self.error = None;
                self.input.push(c);
                Outcome::Stay
            }
            _ => Outcome::Stay,
        }
    }
}

/// A Y/N question.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    /// Show the lines as a warning.
    pub warn: bool,
}

impl Confirm {
    pub fn on_key(&mut self, key: Key) -> Outcome {
        match key {
            Key::Char('y') | Key::Char('Y') => Outcome::Accept,
            Key::Char('n') | Key::Char('N') | Key::Esc => Outcome::Cancel,
            _ => Outcome::Stay,
        }
    }
}

/// Tone of a message window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    Error,
}

/// A result or information window; Enter or Esc closes it.
#[derive(Debug, Clone)]
pub struct Message {
    pub title: String,
    pub lines: Vec<String>,
    pub tone: Tone,
}

/// A long job's window.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub title: String,
    pub phase: String,
    /// The most recent output lines.
    pub lines: Vec<String>,
    pub fraction: Option<f64>,
    /// Esc asks the job to stop (only where stopping is safe).
    pub cancellable: bool,
    pub cancel_requested: bool,
}

impl Progress {
    /// Lines kept for display.
    pub const KEEP: usize = 200;

    pub fn push_line(&mut self, l: &str) {
        if self.lines.len() == Self::KEEP {
            self.lines.remove(0);
        }
        self.lines.push(l.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_kinds_filter_input() {
        let mut f = Field::new("IP", FieldKind::Ipv4);
        for c in "10.0.a0.1x".chars() {
            f.input(c);
        }
        assert_eq!(f.text, "10.0.0.1");
        let mut p = Field::new("Port", FieldKind::Port);
        for c in "12345678".chars() {
            p.input(c);
        }
        assert_eq!(p.text, "12345");
    }

    #[test]
    fn password_fields_are_masked_and_secret() {
        let mut f = Field::new("Password", FieldKind::Password);
        for c in "s3cr3t!".chars() {
            f.input(c);
        }
        assert_eq!(f.display(), "*******");
        assert!(f.text.is_empty());
        assert_eq!(f.secret.expose(), "s3cr3t!");
        assert!(!format!("{f:?}").contains("s3cr3t"));
        f.backspace();
        assert_eq!(f.secret.expose(), "s3cr3t");
    }

    #[test]
    fn form_navigation() {
        let mut form = Form::new(
            "t",
            vec![
                Field::new("a", FieldKind::Text),
                Field::new("b", FieldKind::Text),
            ],
        );
        assert_eq!(form.on_key(Key::Char('x')), Outcome::Stay);
        assert_eq!(form.on_key(Key::Enter), Outcome::Stay);
        assert_eq!(form.focus, 1);
        assert_eq!(form.on_key(Key::BackTab), Outcome::Stay);
        assert_eq!(form.focus, 0);
        form.on_key(Key::Tab);
        assert_eq!(form.on_key(Key::Enter), Outcome::Accept);
        assert_eq!(form.on_key(Key::Esc), Outcome::Cancel);
        assert_eq!(form.fields[0].text, "x");
    }

    #[test]
    fn phrase_is_exact_and_case_sensitive() {
        let mut p = Phrase::new("t", vec![], "REBOOT");
        for c in "reboot".chars() {
            p.on_key(Key::Char(c));
        }
        assert_eq!(p.on_key(Key::Enter), Outcome::Stay);
        assert!(p.error.is_some());
        assert!(p.input.is_empty());
        for c in "REBOOT".chars() {
            p.on_key(Key::Char(c));
        }
        assert_eq!(p.on_key(Key::Enter), Outcome::Accept);
    }

    #[test]
    fn confirm_and_choice() {
        let mut c = Confirm {
            title: "t".into(),
            lines: vec![],
            warn: false,
        };
        assert_eq!(c.on_key(Key::Char('x')), Outcome::Stay);
        assert_eq!(c.on_key(Key::Char('Y')), Outcome::Accept);
        assert_eq!(c.on_key(Key::Char('n')), Outcome::Cancel);
        let mut ch = Choice::new(
            "t",
            vec![("a".into(), None), ("b".into(), Some("not here".into()))],
        );
        ch.on_key(Key::Char('j'));
        assert_eq!(ch.on_key(Key::Enter), Outcome::Stay);
        assert_eq!(ch.error.as_deref(), Some("b: not here"));
        ch.on_key(Key::Up);
        assert_eq!(ch.on_key(Key::Enter), Outcome::Accept);
    }
}
