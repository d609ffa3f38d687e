//! The privileged flows: the root password gate, the System Configuration
//! menu, and each operation's sequence of windows (form -> confirmation ->
//! job -> result). Pure transitions on [`App`]; side effects are queued as
//! [`Effect`]s for the executor.

use super::effect::{Effect, GatePurpose, JobRequest, PowerChoice};
use super::keys::Key;
use super::menu::MenuItem;
use super::session::RootSession;
use super::state::{App, Screen};
use super::window::{After, ChoiceFor, ConfirmFor, FormFor, PhraseFor, Window};
use crate::engine::{Availability, ServiceAction};
use crate::features::FeatureId;
use crate::kit::{
    Choice, Confirm, Field, FieldKind, Form, Handled, Message, Phrase, Progress, Tone,
};

/// Labels of the Change Passwords sub-menu.
pub const PASSWORD_ACTIONS: [&str; 4] = [
    "System root password",
    "MySQL root password",
    "MySQL zstack password",
    "RabbitMQ zstack password",
];

impl App {
    fn close_to(&mut self, after: After) {
        self.window = None;
        if after == After::Main || !self.authenticated() {
            self.end_session("closed");
        }
    }

    /// F12's flow past the gate: reboot or power off.
    pub(crate) fn open_power(&mut self, _root: &RootSession) {
        self.window = Some(Window::Choice(
            Choice::new(
                "Reboot/Poweroff",
                vec![("Reboot".into(), None), ("Poweroff".into(), None)],
            ),
            ChoiceFor::Power,
        ));
    }

    /// Enter on a menu row: an unavailable feature says why; an available
    /// one opens with the root session.
    pub fn open_feature(&mut self, id: FeatureId) {
        self.dirty = true;
        let Some(root) = self.root() else { return };
        let Some(row) = self.settings.menu.iter().find(|r| r.id() == id).cloned() else {
            return;
        };
        if let Availability::Unavailable(why) = row.availability {
            self.window = Some(Window::Message(
                Message::new(
                    row.feature.label(self.settings.engine_display),
                    vec![format!("Not available: {why}")],
                    Tone::Info,
                ),
                After::Menu,
            ));
            return;
        }
        row.feature.open(self, &root);
    }

    /// Keys while a window is open.
    pub fn on_window_key(&mut self, key: Key) {
        let Some(mut w) = self.window.take() else {
            return;
        };
        self.dirty = true;
        match &mut w {
            Window::Password(pw, purpose) => match pw.on_key(key, self.mono_now) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => {
                    let p = *purpose;
                    if p == GatePurpose::Power || !self.authenticated() {
                        self.screen = Screen::Main;
                    }
                }
                Handled::Accept => {
                    let password = std::mem::take(&mut pw.field.secret);
                    pw.checking = true;
                    self.effects.push(Effect::Authenticate {
                        password,
                        purpose: *purpose,
                    });
                    self.window = Some(w);
                }
            },
            Window::Message(m, after) => match m.on_key(key) {
                Handled::Accept | Handled::Cancel => {
                    let a = *after;
                    self.close_to(a);
                }
                Handled::Stay => self.window = Some(w),
            },
            Window::Choice(choice, purpose) => match choice.on_key(key) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => {
                    let p = *purpose;
                    self.close_to(if p == ChoiceFor::Power {
                        After::Main
                    } else {
                        After::Menu
                    });
                }
                Handled::Accept => {
                    let (cursor, p) = (choice.cursor, *purpose);
                    self.on_choice(p, cursor);
                }
            },
            Window::Phrase(phrase, purpose) => match phrase.on_key(key) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => {
                    let p = *purpose;
                    self.close_to(if matches!(p, PhraseFor::Power(_)) {
                        After::Main
                    } else {
                        After::Menu
                    });
                }
                Handled::Accept => {
                    let p = *purpose;
                    self.on_phrase(p);
                }
            },
            Window::Confirm(confirm, purpose) => match confirm.on_key(key) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => self.close_to(After::Menu),
                Handled::Accept => {
                    let p = purpose.clone();
                    self.on_confirm(p);
                }
            },
            Window::Form(form, purpose) => match form.on_key(key) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => self.close_to(After::Menu),
                Handled::Accept => {
                    let p = *purpose;
                    if let Window::Form(form, _) = w {
                        self.on_form(form, p);
                    }
                }
            },
            Window::Keep(k) => match k.on_key(key) {
                Handled::Accept => {
                    self.effects.push(Effect::KeepChange(true));
                    self.window = Some(Window::Progress(
                        Progress::new("Network change", "Keeping the new configuration..."),
                        None,
                    ));
                }
                Handled::Cancel => {
                    self.effects.push(Effect::KeepChange(false));
                    self.window = Some(Window::Progress(
                        Progress::new("Network change", "Restoring the previous configuration..."),
                        None,
                    ));
                }
                Handled::Stay => self.window = Some(w),
            },
            Window::Progress(p, _) => {
                if p.on_key(key) == Handled::Cancel {
                    self.effects.push(Effect::CancelJob);
                }
                self.window = Some(w);
            }
        }
    }

    /// Opens an item not yet moved into its own feature module.
    pub(crate) fn open_item(&mut self, item: MenuItem) {
        let engine = self.settings.engine_display;
        let label = item.label(engine);
        match item {
            MenuItem::ChangePasswords => {
                let opts = PASSWORD_ACTIONS
                    .iter()
                    .zip(self.settings.password_actions.iter())
                    .map(|(l, a)| {
                        (
                            l.to_string(),
                            match a {
                                Availability::Available => None,
                                Availability::Unavailable(w) => Some(w.clone()),
                            },
                        )
                    })
                    .collect();
                self.window = Some(Window::Choice(
                    Choice::new("Change Passwords", opts),
                    ChoiceFor::PasswordKind,
                ));
            }
            MenuItem::ServiceControl => {
                self.window = Some(Window::Choice(
                    Choice::new(
                        label,
                        vec![
                            (format!("Start {engine} Service"), None),
                            (format!("Stop {engine} Service"), None),
                            (format!("Restart {engine} Service"), None),
                        ],
                    ),
                    ChoiceFor::ServiceAction,
                ));
            }
            MenuItem::RenameNic
            | MenuItem::TestNetwork
            | MenuItem::ConfigureNetworks
            | MenuItem::SetManagementNetwork => self.open_net_item(item),
            MenuItem::ConsoleProxy => {
                self.effects.push(Effect::LoadConsoleProxy);
                self.window = Some(Window::Progress(
                    Progress {
                        title: label,
                        phase: "Reading the current settings...".into(),
                        ..Default::default()
                    },
                    None,
                ));
            }
            MenuItem::CollectLogs => {
                let cluster = self.settings.cluster_logs;
                self.start_job(JobRequest::CollectLogs { cluster });
            }
            MenuItem::BackupDatabase => self.start_job(JobRequest::BackupDatabase),
            MenuItem::Reset | MenuItem::ResetDropDatabase => {
                let drop_database = item == MenuItem::ResetDropDatabase;
                let name = self.settings.engine_name;
                let phrase = if drop_database {
                    format!("reset {name} drop database")
                } else {
                    format!("reset {name}")
                };
                let mut lines =
                    vec!["EXTREMELY DANGEROUS: this reinstalls the service.".to_string()];
                if drop_database {
                    lines.push("The database is emptied: all cloud data is lost.".into());
                }
                self.window = Some(Window::Phrase(
                    Phrase::new(label, lines, phrase),
                    PhraseFor::Reset { drop_database },
                ));
            }
        }
    }

    fn on_choice(&mut self, purpose: ChoiceFor, cursor: usize) {
        let engine = self.settings.engine_display;
        let name = self.settings.engine_name;
        match purpose {
            ChoiceFor::Power => {
                let c = if cursor == 0 {
                    PowerChoice::Reboot
                } else {
                    PowerChoice::PowerOff
                };
                let what = if c == PowerChoice::Reboot {
                    "reboots"
                } else {
                    "powers off"
                };
                self.window = Some(Window::Phrase(
                    Phrase::new(
                        if c == PowerChoice::Reboot {
                            "Reboot"
                        } else {
                            "Poweroff"
                        },
                        vec![format!("This {what} the node {}.", self.settings.hostname)],
                        c.phrase(),
                    ),
                    PhraseFor::Power(c),
                ));
            }
            ChoiceFor::PasswordKind => match cursor {
                0 => {
                    self.window = Some(Window::Form(
                        Form::new(
                            "Change system root password",
                            vec![
                                Field::new("Old password", FieldKind::Password),
                                Field::new("New password", FieldKind::Password),
                                Field::new("Confirm", FieldKind::Password),
                            ],
                        ),
                        FormFor::RootPassword,
                    ));
                }
                1 => self.open_password_form(crate::engine::DbAccount::Root),
                2 => self.open_password_form(crate::engine::DbAccount::Zstack),
                3 => self.open_bus_password_form(),
                _ => self.close_to(After::Menu),
            },
            ChoiceFor::RenameNic | ChoiceFor::ConfigureNic | ChoiceFor::ManagementIp => {
                self.on_net_choice(purpose, cursor)
            }
            ChoiceFor::ServiceAction => {
                let a = match cursor {
                    0 => ServiceAction::Start,
                    1 => ServiceAction::Stop,
                    _ => ServiceAction::Restart,
                };
                let phrase = format!("{} {name}", a.verb());
                self.window = Some(Window::Phrase(
                    Phrase::new(
                        JobRequest::Service(a).title(engine),
                        vec!["This may take several minutes.".into()],
                        phrase,
                    ),
                    PhraseFor::Service(a),
                ));
            }
        }
    }

    fn on_phrase(&mut self, purpose: PhraseFor) {
        match purpose {
            PhraseFor::Power(c) => {
                tracing::info!(target: "audit", user = "root", action = c.method(), "power action confirmed");
                self.effects.push(Effect::Power(c));
                self.window = Some(Window::Progress(
                    Progress {
                        title: format!("{} requested", c.method()),
                        phase: format!("Asking logind to {}...", c.method().to_lowercase()),
                        ..Default::default()
                    },
                    None,
                ));
            }
            PhraseFor::Service(a) => self.start_job(JobRequest::Service(a)),
            PhraseFor::Reset { drop_database } => {
                self.start_job(JobRequest::Reset { drop_database })
            }
        }
    }

    pub(crate) fn start_job(&mut self, req: JobRequest) {
        tracing::info!(target: "audit", user = "root", job = ?req, "job started");
        self.window = Some(Window::Progress(
            Progress {
                title: req.title(self.settings.engine_display),
                phase: "Starting...".into(),
                cancellable: req.cancellable(),
                ..Default::default()
            },
            Some(req.clone()),
        ));
        self.effects.push(Effect::Job(req));
    }

    fn on_form(&mut self, mut form: Form, purpose: FormFor) {
        match purpose {
            FormFor::RenameNic(_) | FormFor::Ping | FormFor::Ipv4(_) | FormFor::Bond => {
                self.on_net_form(form, purpose)
            }
            FormFor::DbPassword(_) | FormFor::BusPassword | FormFor::ConsoleProxy => {
                self.on_engine_form(form, purpose)
            }
            FormFor::RootPassword => {
                for i in 0..3 {
                    if form.fields[i].is_empty() {
                        form.fail(i, "must not be empty");
                        self.window = Some(Window::Form(form, purpose));
                        return;
                    }
                }
                if form.fields[1].secret != form.fields[2].secret {
                    form.fields[2].secret.clear();
                    form.fail(2, "the new passwords do not match");
                    self.window = Some(Window::Form(form, purpose));
                    return;
                }
                if form.fields[0].secret == form.fields[1].secret {
                    form.fields[1].secret.clear();
                    form.fields[2].secret.clear();
                    form.fail(1, "the new password equals the old one");
                    self.window = Some(Window::Form(form, purpose));
                    return;
                }
                let old = std::mem::take(&mut form.fields[0].secret);
                let new = std::mem::take(&mut form.fields[1].secret);
                self.window = Some(Window::Confirm(
                    Confirm {
                        title: "Change system root password".into(),
                        lines: vec![
                            "Change the password of root on this node?".into(),
                            "Press Y to change it, N to cancel.".into(),
                        ],
                        warn: false,
                    },
                    ConfirmFor::RootPassword { old, new },
                ));
            }
        }
    }

    fn on_confirm(&mut self, purpose: ConfirmFor) {
        match purpose {
            ConfirmFor::Job(req) => self.start_job(req),
            ConfirmFor::RootPassword { old, new } => {
                self.effects.push(Effect::ChangeRootPassword { old, new });
                self.window = Some(Window::Progress(
                    Progress {
                        title: "Change system root password".into(),
                        phase: "Changing the password through PAM...".into(),
                        ..Default::default()
                    },
                    None,
                ));
            }
        }
    }

    /// The result of a root password change.
    pub fn on_password_changed(&mut self, result: Result<Vec<String>, String>) {
        let (tone, mut lines) = match result {
            Ok(msgs) => {
                tracing::info!(target: "audit", user = "root", "root password changed");
                (Tone::Success, {
                    let mut l = vec!["The root password was changed.".to_string()];
                    l.extend(msgs);
                    l
                })
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
        self.window = Some(Window::Message(
            Message {
                title: "Change system root password".into(),
                lines,
                tone,
            },
            After::Menu,
        ));
        self.dirty = true;
    }

    /// The result of a power request. The session ends with F12's flow.
    pub fn on_power_done(&mut self, result: Result<String, String>) {
        let (tone, lines) = match result {
            Ok(m) => (Tone::Success, vec![m]),
            Err(e) => (Tone::Error, vec![e]),
        };
        self.window = Some(Window::Message(
            Message {
                title: "Reboot/Poweroff".into(),
                lines,
                tone,
            },
            After::Main,
        ));
        self.dirty = true;
    }

    /// Progress of the running job.
    pub fn on_job_progress(&mut self, ev: crate::app::update::JobEvent) {
        use crate::app::update::JobEvent;
        if let Some(Window::Progress(p, _)) = &mut self.window {
            match ev {
                JobEvent::Phase(s) => {
                    if !p.cancel_requested {
                        p.phase = s
                    }
                }
                JobEvent::Line(s) => p.push_line(&s),
                JobEvent::Fraction(f) => p.fraction = f,
            }
            self.dirty = true;
        }
    }

    /// The end of the running job.
    pub fn on_job_done(&mut self, result: Result<Vec<String>, String>) {
        let title = match &self.window {
            Some(Window::Progress(p, _)) => p.title.clone(),
            _ => "Job".into(),
        };
        let (tone, lines) = match result {
            Ok(l) => {
                tracing::info!(target: "audit", job = %title, "job succeeded");
                (Tone::Success, l)
            }
            Err(e) => {
                tracing::warn!(target: "audit", job = %title, error = %e, "job failed");
                (Tone::Error, vec![e])
            }
        };
        let after = if self.authenticated() {
            After::Menu
        } else {
            After::Main
        };
        self.window = Some(Window::Message(Message { title, lines, tone }, after));
        self.dirty = true;
    }
}
