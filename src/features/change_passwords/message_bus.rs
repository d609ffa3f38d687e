//! The RabbitMQ zstack account's password: the system root password is
//! checked again (PAM), then the engine changes it.

use super::super::step::{Input, Step};
use super::super::task::Done;
use super::{submit_passwords, RULE};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};
use crate::secret::Secret;

pub(super) fn open(app: &mut App) {
    let form = Form::new(
        "Change RabbitMQ zstack password",
        vec![
            Field::new("System root password", FieldKind::Password),
            Field::new("New password", FieldKind::Password),
            Field::new("Confirm", FieldKind::Password),
        ],
    )
    .with_note(RULE);
    app.window = Some(Window::form(form, Submit));
}

/// The form was submitted.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Form(form) = input else { return };
        submit_passwords(app, form, Submit, |root, new| Request { root, new });
    }
}

/// Change the message bus account's password, after the system root
/// password is checked again.
#[derive(Debug, Clone)]
pub struct Request {
    pub root: Secret,
    pub new: Secret,
}

impl super::super::task::Request for Request {
    fn title(&self) -> String {
        "Change RabbitMQ zstack password".into()
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        p.phase("Checking the system root password...");
        svc.pam()?
            .authenticate(&self.root, svc.tty.as_deref())
            .map_err(|e| e.to_string())?;
        svc.engine
            .change_bus_password(&self.new, p)
            .map(|s| Done::Lines(vec![s]))
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
