//! The engine's own forms: database and message bus passwords, and the
//! console proxy (ZStack). Pure transitions; the executor calls the engine.

use super::effect::JobRequest;
use super::state::App;
use super::window::{After, ConfirmFor, FormFor, Window};
use crate::engine::zstack::{check_password_rule, validate_console_proxy};
use crate::engine::{ConsoleProxy, DbAccount};
use crate::kit::{Confirm, Field, FieldKind, Form, Message, Tone};

impl App {
    pub(crate) fn open_password_form(&mut self, account: DbAccount) {
        let who = match account {
            DbAccount::Root => "MySQL root",
            DbAccount::Zstack => "MySQL zstack",
        };
        let form = Form::new(
            format!("Change {who} password"),
            vec![
                Field::new("Current MySQL root password", FieldKind::Password),
                Field::new("New password", FieldKind::Password),
                Field::new("Confirm", FieldKind::Password),
            ],
        )
        .with_note("At least 8 characters with a letter, a digit and a special character.");
        self.window = Some(Window::Form(form, FormFor::DbPassword(account)));
    }

    pub(crate) fn open_bus_password_form(&mut self) {
        let form = Form::new(
            "Change RabbitMQ zstack password",
            vec![
                Field::new("System root password", FieldKind::Password),
                Field::new("New password", FieldKind::Password),
                Field::new("Confirm", FieldKind::Password),
            ],
        )
        .with_note("At least 8 characters with a letter, a digit and a special character.");
        self.window = Some(Window::Form(form, FormFor::BusPassword));
    }

    /// The current console proxy arrived: open its form pre-filled.
    pub fn on_console_proxy_loaded(&mut self, r: Result<ConsoleProxy, String>) {
        self.dirty = true;
        match r {
            Ok(p) => {
                let form = Form::new(
                    "Configure Console Proxy",
                    vec![
                        Field::new("Proxy IP", FieldKind::Ipv4)
                            .with_text(p.ip.map(|i| i.to_string()).unwrap_or_default()),
                        Field::new("Proxy port", FieldKind::Port)
                            .with_text(p.port.map(|i| i.to_string()).unwrap_or_default()),
                    ],
                )
                .with_note("Port 1024-65535. Restarts the management service (slow).");
                self.window = Some(Window::Form(form, FormFor::ConsoleProxy));
            }
            Err(e) => {
                self.window = Some(Window::Message(
                    Message {
                        title: "Configure Console Proxy".into(),
                        lines: vec![e],
                        tone: Tone::Error,
                    },
                    After::Menu,
                ))
            }
        }
    }

    /// Validates the three password fields (current, new, confirm).
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

    pub(crate) fn on_engine_form(&mut self, mut form: Form, purpose: FormFor) {
        let confirm = |title: &str, what: String, job: JobRequest| {
            Window::Confirm(
                Confirm {
                    title: title.into(),
                    lines: vec![
                        what,
                        "This restarts the management service and takes a while.".into(),
                        "Press Y to go on, N to cancel.".into(),
                    ],
                    warn: true,
                },
                ConfirmFor::Job(job),
            )
        };
        match purpose {
            FormFor::DbPassword(account) => {
                if !Self::check_new_password(&mut form) {
                    self.window = Some(Window::Form(form, purpose));
                    return;
                }
                let current_root = std::mem::take(&mut form.fields[0].secret);
                let new = std::mem::take(&mut form.fields[1].secret);
                let job = JobRequest::DbPassword {
                    account,
                    current_root,
                    new,
                };
                let title = job.title(self.settings.engine_display);
                self.window = Some(confirm(&title, format!("{title}?"), job));
            }
            FormFor::BusPassword => {
                if !Self::check_new_password(&mut form) {
                    self.window = Some(Window::Form(form, purpose));
                    return;
                }
                let root = std::mem::take(&mut form.fields[0].secret);
                let new = std::mem::take(&mut form.fields[1].secret);
                let job = JobRequest::BusPassword { root, new };
                let title = job.title(self.settings.engine_display);
                self.window = Some(confirm(&title, format!("{title}?"), job));
            }
            FormFor::ConsoleProxy => {
                match validate_console_proxy(&form.fields[0].text, &form.fields[1].text) {
                    Err(e) => {
                        form.error = Some(e);
                        self.window = Some(Window::Form(form, purpose));
                    }
                    Ok(p) => {
                        let what = format!(
                            "Set the console proxy to {}:{}?",
                            p.ip.map(|i| i.to_string()).unwrap_or("(unchanged)".into()),
                            p.port
                                .map(|i| i.to_string())
                                .unwrap_or("(unchanged)".into())
                        );
                        self.window = Some(confirm(
                            "Configure Console Proxy",
                            what,
                            JobRequest::ConsoleProxy(p),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}
