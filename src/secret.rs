//! Secrets (passwords) in buffers that are wiped when dropped and that never
//! print: `Debug` and `Display` show `<redacted>`, so a secret cannot leak
//! through a log line, an error message or a panic by accident.

use zeroize::{Zeroize, Zeroizing};

/// A password or other secret text.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new() -> Secret {
        Secret(Zeroizing::new(String::with_capacity(64)))
    }

    /// Takes ownership of `s`; the caller's copy is moved, not duplicated.
    pub fn from_string(s: String) -> Secret {
        Secret(Zeroizing::new(s))
    }

    /// The secret text. Use only to hand it to the system (PAM, a child's
    /// stdin, a database driver).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of characters (for masking with `*`).
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }

    pub fn push(&mut self, c: char) {
        // Reserve ahead so that growing never reallocates and leaves an
        // unwiped copy of the prefix behind in freed memory.
        if self.0.len() + c.len_utf8() > self.0.capacity() {
            let mut bigger = Zeroizing::new(String::with_capacity(self.0.capacity() * 2 + 8));
            bigger.push_str(&self.0);
            self.0 = bigger;
        }
        self.0.push(c);
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    pub fn clear(&mut self) {
        self.0.zeroize();
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        let mut out = Secret(Zeroizing::new(String::with_capacity(s.len() + 8)));
        out.0.push_str(s);
        out
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints() {
        let s = Secret::from("hunter2");
        assert_eq!(format!("{s:?} {s}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn edit() {
        let mut s = Secret::new();
        for c in "päss".chars() {
            s.push(c);
        }
        assert_eq!(s.char_count(), 4);
        s.pop();
        assert_eq!(s.expose(), "päs");
        s.clear();
        assert!(s.is_empty());
    }
}
