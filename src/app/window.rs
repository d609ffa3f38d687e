//! The modal window on top of the current screen, and what each window is
//! for (its "purpose" decides what accepting it does).

use super::effect::{GatePurpose, JobRequest, PowerChoice};
use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::engine::ServiceAction;
use crate::kit::{Choice, Confirm, Form, Hint, Keep, Message, Password, Phrase, Progress};
use crate::secret::Secret;
use crate::ui::theme::Theme;

/// Where closing a message window leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Back to the main screen; the session ends.
    Main,
    /// Back to the System Configuration menu.
    Menu,
}

/// What a choice list chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceFor {
    Power,
    PasswordKind,
    ServiceAction,
    /// Index into `App::pick` (the NICs listed when the choice opened).
    RenameNic,
    ConfigureNic,
    ManagementIp,
}

/// What a typed phrase confirms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhraseFor {
    Power(PowerChoice),
    Service(ServiceAction),
    Reset { drop_database: bool },
}

/// What a form edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormFor {
    RootPassword,
    /// The index of the NIC in `App::pick`.
    RenameNic(usize),
    Ping,
    Ipv4(usize),
    Bond,
    /// MySQL root or zstack account.
    DbPassword(crate::engine::DbAccount),
    BusPassword,
    ConsoleProxy,
}

/// What a Y/N confirmation confirms (holding the validated input).
#[derive(Debug, Clone)]
pub enum ConfirmFor {
    RootPassword {
        old: Secret,
        new: Secret,
    },
    /// Run this job once confirmed.
    Job(JobRequest),
}

/// The modal window: a widget of the kit, and what accepting it is for.
#[derive(Debug, Clone)]
pub enum Window {
    /// The root password gate.
    Password(Password, GatePurpose),
    Message(Message, After),
    Choice(Choice, ChoiceFor),
    Phrase(Phrase, PhraseFor),
    Confirm(Confirm, ConfirmFor),
    Form(Form, FormFor),
    /// A running job; what it is, for the result window's title.
    Progress(Progress, Option<JobRequest>),
    /// A guarded network change waits for "keep".
    Keep(Keep),
}

impl Window {
    /// The footer hints: the widget's own, so they match its keys.
    pub fn hints(&self, now: Instant) -> Vec<Hint> {
        match self {
            Window::Password(w, _) => w.hints(now),
            Window::Message(w, _) => w.hints(),
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
            Window::Choice(w, _) => w.draw(f, area, theme),
            Window::Phrase(w, _) => w.draw(f, area, theme),
            Window::Confirm(w, _) => w.draw(f, area, theme),
            Window::Form(w, _) => w.draw(f, area, theme),
            Window::Progress(w, _) => w.draw(f, area, theme),
            Window::Keep(w) => w.draw(f, area, theme, now),
        }
    }
}
