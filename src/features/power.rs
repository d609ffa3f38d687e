//! Reboot/Poweroff (F12, not a menu item): past the gate, choose, type the
//! phrase (`REBOOT`, `POWEROFF`), ask logind. The session ends with it.

use std::time::Duration;

use super::step::{Input, Next, Step};
use super::task::{Deadline, Done, Reply, Task};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::{After, Window};
use crate::app::App;
use crate::job::Progress;
use crate::kit::{Choice, Message, Phrase, Tone};

/// Reboot or power off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerChoice {
    Reboot,
    PowerOff,
}

impl PowerChoice {
    /// The phrase the operator must type.
    pub fn phrase(self) -> &'static str {
        match self {
            PowerChoice::Reboot => "REBOOT",
            PowerChoice::PowerOff => "POWEROFF",
        }
    }
    /// The logind method called.
    pub fn method(self) -> &'static str {
        match self {
            PowerChoice::Reboot => "Reboot",
            PowerChoice::PowerOff => "PowerOff",
        }
    }
}

/// The first window past the gate.
pub fn open(app: &mut App, _root: &RootSession) {
    app.window = Some(Window::choice(
        Choice::new(
            "Reboot/Poweroff",
            vec![("Reboot".into(), None), ("Poweroff".into(), None)],
        ),
        Choose,
    ));
}

/// Reboot or power off.
#[derive(Debug, Clone)]
pub struct Choose;

impl Step for Choose {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Chosen(cursor) = input else { return };
        let (c, title, what) = if cursor == 0 {
            (PowerChoice::Reboot, "Reboot", "reboots")
        } else {
            (PowerChoice::PowerOff, "Poweroff", "powers off")
        };
        app.window = Some(Window::phrase(
            Phrase::new(
                title,
                vec![format!("This {what} the node {}.", app.settings.hostname)],
                c.phrase(),
            ),
            Confirmed(c),
        ));
    }
    fn cancel_to(&self) -> After {
        After::Main
    }
}

/// The phrase was typed: ask logind.
#[derive(Debug, Clone)]
pub struct Confirmed(pub PowerChoice);

impl Step for Confirmed {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Confirmed = input else { return };
        tracing::info!(target: "audit", user = "root", action = self.0.method(), "power action confirmed");
        app.start_task(
            root,
            Task::new(Request { choice: self.0 }),
            Some(Next::new(Answered)),
        );
    }
    fn cancel_to(&self) -> After {
        After::Main
    }
}

/// logind answered; closing the result ends the session.
#[derive(Debug, Clone)]
pub struct Answered;

impl Step for Answered {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let (tone, lines) = match input {
            Input::Reply(Reply::Done(Ok(l))) => (Tone::Success, l),
            Input::Reply(Reply::Done(Err(e))) => (Tone::Error, vec![e]),
            other => (Tone::Error, vec![format!("unexpected answer {other:?}")]),
        };
        app.window = Some(Window::Message(
            Message::new("Reboot/Poweroff", lines, tone),
            After::Main,
        ));
    }
    fn cancel_to(&self) -> After {
        After::Main
    }
}

/// Ask logind to reboot or power off (the demo only says which call).
#[derive(Debug, Clone)]
pub struct Request {
    pub choice: PowerChoice,
}

/// How long logind may take to accept a power request.
const POWER_TIMEOUT: Duration = Duration::from_secs(25);

impl super::task::Request for Request {
    fn title(&self) -> String {
        format!("{} requested", self.choice.method())
    }
    fn phase(&self) -> String {
        format!(
            "Asking logind to {}...",
            self.choice.method().to_lowercase()
        )
    }
    fn audited(&self) -> bool {
        false // logged above and by ops::power itself
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(POWER_TIMEOUT, "logind did not answer in time")
    }
    fn run(&self, svc: &Services, _p: &mut dyn Progress) -> Result<Done, String> {
        let method = self.choice.method();
        if svc.logind.demo {
            return Ok(Done::Lines(vec![format!(
                "Demo mode: nothing was done. A real node calls \
                 org.freedesktop.login1.Manager.{method}(false) on the system bus."
            )]));
        }
        let action = match self.choice {
            PowerChoice::Reboot => crate::ops::power::PowerAction::Reboot,
            PowerChoice::PowerOff => crate::ops::power::PowerAction::PowerOff,
        };
        crate::ops::power::request(action, &svc.logind.bus, POWER_TIMEOUT)
            .map(|()| {
                Done::Lines(vec![format!(
                    "logind accepted {method}; the node goes down now."
                )])
            })
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
