//! The modal window on top of the current screen, and what each window is
//! for (its "purpose" decides what accepting it does).

use super::effect::{GatePurpose, JobRequest, PowerChoice};
use super::widgets::{Choice, Confirm, Field, Form, Message, Phrase, Progress};
use crate::engine::ServiceAction;
use crate::secret::Secret;

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

/// The modal window.
#[derive(Debug, Clone)]
pub enum Window {
    /// The root password gate.
    Password {
        purpose: GatePurpose,
        field: Field,
        /// PAM is checking the password.
        checking: bool,
    },
    Message(Message, After),
    Choice(Choice, ChoiceFor),
    Phrase(Phrase, PhraseFor),
    Confirm(Confirm, ConfirmFor),
    Form(Form, FormFor),
    /// A running job; what it is, for the result window's title.
    Progress(Progress, Option<JobRequest>),
    /// A guarded network change waits for "keep" until `deadline`.
    Keep {
        lines: Vec<String>,
        deadline: std::time::Instant,
    },
}
