//! Window dispatch: a key goes to the open window's widget; what the
//! widget answers (accept, cancel) goes to the window's step, one generic
//! path for every feature (no per-feature arm here). Also starting a
//! feature's task and showing its result. Pure transitions on [`App`];
//! side effects are queued as [`Effect`]s for the runner.

use super::effect::{Effect, GatePurpose};
use super::keys::Key;
use super::session::RootSession;
use super::state::{App, Screen};
use super::window::{After, Window};
use crate::engine::Availability;
use crate::features::step::{Input, Next};
use crate::features::task::{Reply, Task};
use crate::features::FeatureId;
use crate::kit::{Handled, Keep, Message, Progress, Tone};

impl App {
    pub(crate) fn close_to(&mut self, after: After) {
        self.window = None;
        if after == After::Main || !self.authenticated() {
            self.end_session("closed");
        }
    }

    /// F12's flow past the gate: reboot or power off.
    pub(crate) fn open_power(&mut self, root: &RootSession) {
        crate::features::power::open(self, root);
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

    /// Hands `input` to `next`, which needs the root session; without one
    /// (it ended) the window just closes to the main screen.
    fn step(&mut self, next: Next, input: Input) {
        match self.root() {
            Some(root) => next.accept(self, &root, input),
            None => self.close_to(After::Main),
        }
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
                    if *purpose == GatePurpose::Power || !self.authenticated() {
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
            Window::Details(d) => match d.on_key(key) {
                Handled::Accept | Handled::Cancel => self.window = None,
                Handled::Stay => self.window = Some(w),
            },
            Window::Choice(choice, purpose) => match choice.on_key(key) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => self.close_to(purpose.cancel_to()),
                Handled::Accept => {
                    let (cursor, next) = (choice.cursor, purpose.clone());
                    self.step(next, Input::Chosen(cursor));
                }
            },
            Window::Phrase(phrase, next) => match phrase.on_key(key) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => self.close_to(next.cancel_to()),
                Handled::Accept => {
                    let next = next.clone();
                    self.step(next, Input::Confirmed);
                }
            },
            Window::Confirm(confirm, purpose) => match confirm.on_key(key) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => self.close_to(purpose.cancel_to()),
                Handled::Accept => {
                    let next = purpose.clone();
                    self.step(next, Input::Confirmed);
                }
            },
            Window::Form(form, next) => match form.on_key(key) {
                Handled::Stay => self.window = Some(w),
                Handled::Cancel => self.close_to(next.cancel_to()),
                Handled::Accept => {
                    if let Window::Form(form, next) = w {
                        self.step(next, Input::Form(form));
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

    /// Starts `task` under the progress window; its reply goes to `then`,
    /// or without one to the generic result window. Needs the root
    /// session: no task runs without the gate.
    pub fn start_task(&mut self, _root: &RootSession, task: Task, then: Option<Next>) {
        let req = &task.0;
        if req.audited() {
            tracing::info!(target: "audit", user = "root", job = ?req, "job started");
        }
        self.window = Some(Window::Progress(
            Progress {
                title: req.title(),
                phase: req.phase(),
                cancellable: req.cancellable(),
                ..Default::default()
            },
            then,
        ));
        self.effects.push(Effect::Task(task));
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

    /// The end of the running task: to the step waiting on it, else the
    /// generic result window titled like the progress window.
    pub fn on_task_done(&mut self, reply: Reply) {
        self.dirty = true;
        let (title, then) = match self.window.take() {
            Some(Window::Progress(p, then)) => (p.title, then),
            other => {
                self.window = other;
                ("Job".to_string(), None)
            }
        };
        if let Some(next) = then {
            return self.step(next, Input::Reply(reply));
        }
        let (tone, lines) = match reply {
            Reply::Done(Ok(l)) => {
                tracing::info!(target: "audit", job = %title, "job succeeded");
                (Tone::Success, l)
            }
            Reply::Done(Err(e)) => {
                tracing::warn!(target: "audit", job = %title, error = %e, "job failed");
                (Tone::Error, vec![e])
            }
            Reply::Value(_) => (Tone::Error, vec!["the task answered no result".into()]),
        };
        let after = if self.authenticated() {
            After::Menu
        } else {
            After::Main
        };
        self.window = Some(Window::Message(Message::new(title, lines, tone), after));
    }

    /// A guarded change is applied: ask to keep it.
    pub fn on_confirm_keep(&mut self, seconds: u64, lines: Vec<String>) {
        self.window = Some(Window::Keep(Keep {
            lines,
            deadline: self.mono_now + std::time::Duration::from_secs(seconds),
        }));
        self.dirty = true;
    }

    /// How a guarded change ended.
    pub fn on_keep_outcome(&mut self, r: Result<String, String>) {
        let (tone, line) = match r {
            Ok(s) => (Tone::Success, s),
            Err(e) => (Tone::Error, e),
        };
        self.window = Some(Window::Message(
            Message::new("Network change", vec![line], tone),
            if self.authenticated() {
                After::Menu
            } else {
                After::Main
            },
        ));
        self.dirty = true;
    }
}
