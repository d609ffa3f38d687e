//! The widget kit every window is built from. Each widget is one file that
//! holds its state, its key handling, the hints it shows in the footer and
//! its pure draw function, so the footer cannot promise a key the widget
//! does not take (gitui's `commands()` beside `event()`).
//!
//! A widget never decides what accepting it means: it answers a key with a
//! [`Handled`], and the window that holds it (in `app::window`) knows what
//! comes next.

mod choice;
mod confirm;
mod details;
mod field;
mod form;
mod keep;
mod message;
mod password;
mod phrase;
pub mod popup;
mod progress;

pub use choice::Choice;
pub use confirm::Confirm;
pub use details::{DetailRow, Details};
pub use field::{Field, FieldKind};
pub use form::Form;
pub use keep::Keep;
pub use message::{Message, Tone};
pub use password::Password;
pub use phrase::Phrase;
pub use progress::Progress;

use crate::app::keys::Key;

/// What a key did to a widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Nothing further to do (the widget may have changed itself).
    Stay,
    /// The widget's action was accepted (Enter, `Y`, the right phrase, ...).
    Accept,
    /// Closed or stopped without the action (Esc, `N`).
    Cancel,
}

/// One footer hint: the keys, and what they do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub keys: Vec<Key>,
    pub label: &'static str,
}

impl Hint {
    pub fn new(keys: &[Key], label: &'static str) -> Hint {
        Hint {
            keys: keys.to_vec(),
            label,
        }
    }

    /// `Up/Down` style label of the keys.
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join("/")
    }
}
