//! One input field of a form (or of the password gate). Password fields
//! keep their text in a [`Secret`]; nothing typed into one is ever copied
//! into a plain `String`.

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
}
