//! The modal window on top of the current screen: a widget of the kit and
//! the feature step that accepting it runs.

use super::effect::GatePurpose;
use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::features::step::{Next, Step};
use crate::kit::{Choice, Confirm, Details, Form, Hint, Keep, Message, Password, Phrase, Progress};
use crate::ui::theme::Theme;

/// Where closing a message window leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Back to the main screen; the session ends.
    Main,
    /// Back to the System Configuration menu.
    Menu,
}

/// The modal window: a widget of the kit, and what accepting it is for.
#[derive(Debug, Clone)]
pub enum Window {
    /// The root password gate.
    Password(Password, GatePurpose),
    Message(Message, After),
    /// A read-only details window over the main screen (a block device's
    /// fields); closing it goes back to the main screen.
    Details(Details),
    Choice(Choice, Next),
    Phrase(Phrase, Next),
    Confirm(Confirm, Next),
    Form(Form, Next),
    /// A running task; the step that takes its reply, if not the
    /// generic result window.
    Progress(Progress, Option<Next>),
    /// A guarded network change waits for "keep".
    Keep(Keep),
}

impl Window {
    /// A form whose submission goes to `step`.
    pub fn form(form: Form, step: impl Step + Clone) -> Window {
        Window::Form(form, Next::new(step))
    }
    /// A choice list whose chosen row goes to `step`.
    pub fn choice(choice: Choice, step: impl Step + Clone) -> Window {
        Window::Choice(choice, Next::new(step))
    }
    /// A Y/N window whose Y goes to `step`.
    pub fn confirm(confirm: Confirm, step: impl Step + Clone) -> Window {
        Window::Confirm(confirm, Next::new(step))
    }
    /// A typed phrase whose exact entry goes to `step`.
    pub fn phrase(phrase: Phrase, step: impl Step + Clone) -> Window {
        Window::Phrase(phrase, Next::new(step))
    }

    /// The footer hints: the widget's own, so they match its keys.
    pub fn hints(&self, now: Instant) -> Vec<Hint> {
        match self {
            Window::Password(w, _) => w.hints(now),
            Window::Message(w, _) => w.hints(),
            Window::Details(w) => w.hints(),
            Window::Choice(w, _) => w.hints(),
            Window::Phrase(w, _) => w.hints(),
            Window::Confirm(w, _) => w.hints(),
            Window::Form(w, _) => w.hints(),
            Window::Progress(w, _) => w.hints(),
            Window::Keep(w) => w.hints(),
        }
    }

    /// Draws the window over `area` (pure).
    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme, now: Instant) {
        match self {
            Window::Password(w, _) => w.draw(f, area, theme, now),
            Window::Message(w, _) => w.draw(f, area, theme),
            Window::Details(w) => w.draw(f, area, theme),
            Window::Choice(w, _) => w.draw(f, area, theme),
            Window::Phrase(w, _) => w.draw(f, area, theme),
            Window::Confirm(w, _) => w.draw(f, area, theme),
            Window::Form(w, _) => w.draw(f, area, theme),
            Window::Progress(w, _) => w.draw(f, area, theme),
            Window::Keep(w) => w.draw(f, area, theme, now),
        }
    }
}
