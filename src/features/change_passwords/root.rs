//! The system root password: old, new, confirm; Y/N; PAM chauthtok (the
//! distribution's policy applies and its messages are shown).

use std::time::Duration;

use super::super::step::{Input, Next, Step};
use super::super::task::{Deadline, Done, Reply, Task};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::{After, Window};
use crate::app::App;
use crate::job::Progress;
use crate::kit::{Confirm, Field, FieldKind, Form, Message, Tone};
use crate::secret::Secret;

const TITLE: &str = "Change system root password";

pub(super) fn open(app: &mut App) {
    app.window = Some(Window::form(
        Form::new(
            TITLE,
            vec![
                Field::new("Old password", FieldKind::Password),
                Field::new("New password", FieldKind::Password),
                Field::new("Confirm", FieldKind::Password),
            ],
        ),
        Submit,
    ));
}

/// The form was submitted: all filled, new twice the same, not the old.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        if let Some((i, why)) = refusal(&mut form) {
            form.fail(i, why);
            app.window = Some(Window::form(form, Submit));
            return;
        }
        let old = std::mem::take(&mut form.fields[0].secret);
        let new = std::mem::take(&mut form.fields[1].secret);
        app.window = Some(Window::confirm(
            Confirm {
                title: TITLE.into(),
                lines: vec![
                    "Change the password of root on this node?".into(),
                    "Press Y to change it, N to cancel.".into(),
                ],
                warn: false,
            },
            Confirmed(Request { old, new }),
        ));
    }
}

/// What is wrong with the form (field, reason), clearing the secrets the
/// operator must type again.
fn refusal(form: &mut Form) -> Option<(usize, &'static str)> {
    if let Some(i) = (0..3).find(|&i| form.fields[i].is_empty()) {
        return Some((i, "must not be empty"));
    }
    if form.fields[1].secret != form.fields[2].secret {
        form.fields[2].secret.clear();
        return Some((2, "the new passwords do not match"));
    }
    if form.fields[0].secret == form.fields[1].secret {
        form.fields[1].secret.clear();
        form.fields[2].secret.clear();
        return Some((1, "the new password equals the old one"));
    }
    None
}

/// Y: change it.
#[derive(Debug, Clone)]
pub struct Confirmed(Request);

impl Step for Confirmed {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        if let Input::Confirmed = input {
            app.start_task(root, Task::new(self.0), Some(Next::new(Changed)));
        }
    }
}

/// PAM answered.
#[derive(Debug, Clone)]
pub struct Changed;

impl Step for Changed {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let result = match input {
            Input::Reply(Reply::Done(r)) => r,
            other => Err(format!("unexpected answer {other:?}")),
        };
        let (tone, mut lines) = match result {
            Ok(msgs) => {
                tracing::info!(target: "audit", user = "root", "root password changed");
                let mut l = vec!["The root password was changed.".to_string()];
                l.extend(msgs);
                (Tone::Success, l)
            }
            Err(e) => {
                tracing::warn!(target: "audit", user = "root", error = %e, "root password change failed");
                (
                    Tone::Error,
                    vec!["The root password was NOT changed.".to_string(), e],
                )
            }
        };
        lines.retain(|l| !l.trim().is_empty());
        app.window = Some(Window::Message(
            Message::new(TITLE, lines, tone),
            After::Menu,
        ));
    }
}

/// Change root's password with PAM chauthtok.
#[derive(Debug, Clone)]
pub struct Request {
    pub old: Secret,
    pub new: Secret,
}

impl super::super::task::Request for Request {
    fn title(&self) -> String {
        TITLE.into()
    }
    fn phase(&self) -> String {
        "Changing the password through PAM...".into()
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(Duration::from_secs(60), "PAM did not answer within 60 s")
    }
    fn run(&self, svc: &Services, _p: &mut dyn Progress) -> Result<Done, String> {
        svc.pam()?
            .change_password(&self.old, &self.new)
            .map(Done::Lines)
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
