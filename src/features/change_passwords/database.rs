//! A MySQL account's password (root or zstack): the current MySQL root
//! password, the new one twice; the engine's password rule; a slow-change
//! confirmation; the engine changes it.

use super::super::step::{Input, Step};
use super::super::task::Done;
use super::{submit_passwords, RULE};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::engine::DbAccount;
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};
use crate::secret::Secret;

pub(super) fn open(app: &mut App, account: DbAccount) {
    let form = Form::new(
        format!("Change {} password", who(account)),
        vec![
            Field::new("Current MySQL root password", FieldKind::Password),
            Field::new("New password", FieldKind::Password),
            Field::new("Confirm", FieldKind::Password),
        ],
    )
    .with_note(RULE);
    app.window = Some(Window::form(form, Submit(account)));
}

fn who(account: DbAccount) -> &'static str {
    match account {
        DbAccount::Root => "MySQL root",
        DbAccount::Zstack => "MySQL zstack",
    }
}

/// The form was submitted.
#[derive(Debug, Clone)]
pub struct Submit(pub DbAccount);

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Form(form) = input else { return };
        let account = self.0;
        submit_passwords(app, form, *self, |current_root, new| Request {
            account,
            current_root,
            new,
        });
    }
}

/// Change a database account's password (needs the current database root
/// password).
#[derive(Debug, Clone)]
pub struct Request {
    pub account: DbAccount,
    pub current_root: Secret,
    pub new: Secret,
}

impl super::super::task::Request for Request {
    fn title(&self) -> String {
        format!("Change {} password", who(self.account))
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        svc.engine
            .change_db_password(self.account, &self.current_root, &self.new, p)
            .map(|s| Done::Lines(vec![s]))
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
