//! Key bindings as data. The same table maps a key press to an [`Action`]
//! and produces the footer hints, so the footer cannot drift from what the
//! keys actually do (the gitui approach).
//!
//! Every F-key binding has a plain-letter alternative because IPMI/BMC
//! remote consoles often drop F-keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// A key as the bindings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    F(u8),
    Char(char),
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Left,
    Right,
}

impl Key {
    /// The label used in footer hints.
    pub fn label(self) -> String {
        match self {
            Key::F(n) => format!("F{n}"),
            Key::Char(c) => c.to_string(),
            Key::Up => "Up".into(),
            Key::Down => "Down".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
            Key::Enter => "Enter".into(),
            Key::Esc => "Esc".into(),
            Key::Tab => "Tab".into(),
            Key::BackTab => "S-Tab".into(),
            Key::Backspace => "Bksp".into(),
            Key::Left => "Left".into(),
            Key::Right => "Right".into(),
        }
    }

    /// Converts a terminal key event; modified keys other than Shift are
    /// not bindable (Ctrl+C and friends must do nothing).
    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        if ev
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SUPER)
        {
            return None;
        }
        Some(match ev.code {
            KeyCode::F(n) => Key::F(n),
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab => Key::Tab,
            KeyCode::BackTab => Key::BackTab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            _ => return None,
        })
    }
}

/// One binding: the keys that trigger it, its footer hint (if shown) and
/// the action.
#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub hint: Option<&'static str>,
    pub action: Action,
}

impl Binding {
    pub fn new(keys: &[Key], hint: Option<&'static str>, action: Action) -> Binding {
        Binding {
            keys: keys.to_vec(),
            hint,
            action,
        }
    }
}

/// Finds the action bound to `key`.
pub fn lookup(bindings: &[Binding], key: Key) -> Option<Action> {
    bindings
        .iter()
        .find(|b| b.keys.contains(&key))
        .map(|b| b.action.clone())
}

/// Footer hints, in binding order (`F2/c  System Configuration`).
pub fn hints(bindings: &[Binding]) -> Vec<crate::kit::Hint> {
    bindings
        .iter()
        .filter_map(|b| {
            b.hint.map(|label| crate::kit::Hint {
                keys: b.keys.clone(),
                label,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_keys_are_not_bindable() {
        let ev = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ev), None);
        let ev = KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ev), None);
        let ev = KeyEvent::new(KeyCode::Char('C'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), Some(Key::Char('C')));
    }

    #[test]
    fn hints_and_lookup_agree() {
        let b = vec![
            Binding::new(&[Key::F(2), Key::Char('c')], Some("Config"), Action::Quit),
            Binding::new(&[Key::Up], None, Action::ScrollUp),
        ];
        let h = hints(&b);
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].keys_label().as_str(), h[0].label), ("F2/c", "Config"));
        assert_eq!(lookup(&b, Key::Char('c')), Some(Action::Quit));
        assert_eq!(lookup(&b, Key::Up), Some(Action::ScrollUp));
        assert_eq!(lookup(&b, Key::Down), None);
    }
}
