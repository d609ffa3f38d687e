//! The root password gate and the root session it opens.
//!
//! Why a type: a feature's `open` takes a [`RootSession`], and the only way
//! to get one is PAM accepting the root password here (its constructor is
//! private to this module), so no feature can run without the gate — the
//! compiler checks it, not a runtime flag someone may forget to test.

use std::time::{Duration, Instant};

use super::effect::GatePurpose;
use super::state::{App, Screen};
use super::window::{After, Window};
use crate::kit::{Message, Password, Tone};

/// An open root session: the root password was accepted at `since` on
/// this terminal. Ends when System Configuration is left, on idle timeout
/// and at the end of F12's flow.
#[derive(Debug, Clone)]
pub struct RootSession {
    since: Instant,
}

impl RootSession {
    /// Only the gate below opens a session.
    fn open(since: Instant) -> RootSession {
        RootSession { since }
    }

    /// When the root password was accepted.
    pub fn since(&self) -> Instant {
        self.since
    }
}

impl App {
    /// Whether an authenticated session is open.
    pub fn authenticated(&self) -> bool {
        self.session.is_some()
    }

    /// The open session (cloned: a feature borrows it while it changes the
    /// app).
    pub fn root(&self) -> Option<RootSession> {
        self.session.clone()
    }

    /// Ends the authenticated session and returns to the main screen.
    pub fn end_session(&mut self, why: &str) {
        if self.session.take().is_some() {
            tracing::info!(target: "audit", user = "root", reason = why, "session ended");
        }
        self.screen = Screen::Main;
        self.window = None;
        self.dirty = true;
    }

    /// Opens the root password window for `purpose`.
    pub fn open_gate(&mut self, purpose: GatePurpose) {
        let what = match purpose {
            GatePurpose::SystemConfiguration => "System Configuration",
            GatePurpose::Power => "Reboot/Poweroff",
        };
        let retry_at = self.gate_wait().map(|w| self.mono_now + w);
        self.window = Some(Window::Password(Password::new(what, retry_at), purpose));
        self.dirty = true;
    }

    /// Seconds the operator must still wait before the next try.
    pub fn gate_wait(&self) -> Option<Duration> {
        self.backoff.remaining(self.mono_now)
    }

    /// The result of a PAM check.
    pub fn on_auth_result(&mut self, purpose: GatePurpose, result: Result<(), String>) {
        let now = self.mono_now;
        match result {
            Ok(()) => {
                self.backoff.record_success();
                let root = RootSession::open(now);
                self.session = Some(root.clone());
                tracing::info!(tty = %self.settings.tty, ?purpose, "gate opened");
                match purpose {
                    GatePurpose::SystemConfiguration => {
                        self.window = None;
                        self.screen = Screen::SysConfig;
                        self.menu_cursor = 0;
                    }
                    GatePurpose::Power => self.open_power(&root),
                }
            }
            Err(e) => {
                self.backoff.record_failure(now);
                tracing::info!(tty = %self.settings.tty, ?purpose, "gate refused");
                let mut lines = vec![e];
                if let Some(w) = self.backoff.remaining(now) {
                    lines.push(format!(
                        "Too many failures: the next try is possible in {} s.",
                        w.as_secs().max(1)
                    ));
                }
                self.window = Some(Window::Message(
                    Message::new("Authentication failed", lines, Tone::Error),
                    After::Main,
                ));
            }
        }
        self.dirty = true;
    }

    /// Idle timeout: called on every tick.
    pub fn check_idle(&mut self) {
        if self.session.is_none() {
            return;
        }
        if matches!(self.window, Some(Window::Progress(..) | Window::Keep(..))) {
            return; // never lock under a running job; the result comes first
        }
        let idle = self.mono_now.saturating_duration_since(self.last_input);
        if idle >= self.settings.idle_timeout {
            self.end_session("idle timeout");
        }
    }
}
