//! Change Passwords: the system root password (PAM chauthtok), the MySQL
//! root and zstack accounts and the RabbitMQ zstack account (engine
//! capabilities). One menu item; one file per account.

mod database;
mod message_bus;
mod root;

use super::step::{Input, Step};
use super::{Feature, FeatureId, NodeFeatures};
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::engine::zstack::check_password_rule;
use crate::engine::{Availability, Capabilities, DbAccount};
use crate::kit::{Choice, Form};

pub use database::Request as DatabaseRequest;
pub use message_bus::Request as MessageBusRequest;
pub use root::Request as RootRequest;

pub const ID: FeatureId = FeatureId("change-passwords");

/// Labels of the sub-menu, in the order of `Settings::password_actions`.
pub const ACTIONS: [&str; 4] = [
    "System root password",
    "MySQL root password",
    "MySQL zstack password",
    "RabbitMQ zstack password",
];

/// The rule every engine password keeps, shown under the forms.
const RULE: &str = "At least 8 characters with a letter, a digit and a special character.";

pub struct ChangePasswords;
pub static FEATURE: ChangePasswords = ChangePasswords;

impl Feature for ChangePasswords {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        "Change Passwords".into()
    }
    fn availability(&self, _caps: &Capabilities, _node: &NodeFeatures) -> Availability {
        Availability::Available
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let opts = ACTIONS
            .iter()
            .zip(app.settings.password_actions.iter())
            .map(|(l, a)| {
                let why = match a {
                    Availability::Available => None,
                    Availability::Unavailable(w) => Some(w.clone()),
                };
                (l.to_string(), why)
            })
            .collect();
        app.window = Some(Window::choice(
            Choice::new("Change Passwords", opts),
            ChooseAccount,
        ));
    }
}

/// Which account's password.
#[derive(Debug, Clone)]
pub struct ChooseAccount;

impl Step for ChooseAccount {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Chosen(cursor) = input else { return };
        match cursor {
            0 => root::open(app),
            1 => database::open(app, DbAccount::Root),
            2 => database::open(app, DbAccount::Zstack),
            _ => message_bus::open(app),
        }
    }
}

/// What both engine-account forms do on submit: [`check_new_password`]
/// (back to `again` on failure), then the request built from the current
/// and the new secret, confirmed as a slow change.
fn submit_passwords<R: super::task::Request>(
    app: &mut App,
    mut form: Form,
    again: impl Step + Clone,
    request: impl FnOnce(crate::secret::Secret, crate::secret::Secret) -> R,
) {
    if !check_new_password(&mut form) {
        app.window = Some(Window::form(form, again));
        return;
    }
    let req = request(
        std::mem::take(&mut form.fields[0].secret),
        std::mem::take(&mut form.fields[1].secret),
    );
    let title = req.title();
    app.window = Some(super::confirm_slow(
        &title,
        format!("{title}?"),
        super::step::Start(super::task::Task::new(req)),
    ));
}

/// Validates the three password fields (current, new, confirm) of an
/// engine account against the engine's password rule; on failure the
/// error is under its field and the secrets typed there are cleared.
fn check_new_password(form: &mut Form) -> bool {
    for i in 0..3 {
        if form.fields[i].is_empty() {
            form.fail(i, "must not be empty");
            return false;
        }
    }
    if form.fields[1].secret != form.fields[2].secret {
        form.fields[2].secret.clear();
        form.fail(2, "the new passwords do not match");
        return false;
    }
    if let Err(e) = check_password_rule(&form.fields[1].secret) {
        form.fields[1].secret.clear();
        form.fields[2].secret.clear();
        form.fail(1, e);
        return false;
    }
    true
}
