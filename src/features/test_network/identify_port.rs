//! Identify port: blink a NIC's LED for N seconds (ethtool PHYS_ID) so the
//! operator in the aisle finds the cable; a driver that cannot says so.

use std::time::Duration;

use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::diag::ethtool;
use crate::features::nics::{self, ProbeMsg};
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};
use crate::probe::Nic;

/// The label of the diagnostics entry.
pub const LABEL: &str = "Identify port (blink LED)";

/// The entry of the diagnostics menu.
pub struct IdentifyPort;
pub static DIAG: IdentifyPort = IdentifyPort;

impl super::Diagnostic for IdentifyPort {
    fn id(&self) -> &'static str {
        "identify-port"
    }
    fn label(&self) -> &'static str {
        LABEL
    }
    fn open(&self, app: &mut App, root: &RootSession) {
        open(app, root)
    }
}

/// Opens the NIC choice.
pub fn open(app: &mut App, _root: &RootSession) {
    nics::open_choice(app, "Identify port", LABEL, ChooseNic);
}

/// The NICs listed in the choice.
#[derive(Debug, Clone)]
pub struct ChooseNic(pub Vec<Nic>);

impl Step for ChooseNic {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Chosen(i) = input else { return };
        let Some(n) = self.0.get(i).cloned() else {
            return;
        };
        let form = Form::new(
            format!("Identify {}", n.name),
            vec![Field::new("Seconds", FieldKind::Port)
                .with_text(ethtool::BLINK_DEFAULT_S.to_string())],
        )
        .with_note(format!(
            "Blinks {}'s port LED ({}-{} s); Esc stops it.",
            n.name,
            ethtool::BLINK_MIN_S,
            ethtool::BLINK_MAX_S
        ));
        app.window = Some(Window::form(form, Submit(n.name)));
    }
}

/// The duration was entered.
#[derive(Debug, Clone)]
pub struct Submit(pub String);

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        match ethtool::validate_blink_seconds(&form.fields[0].text) {
            Ok(seconds) => app.start_task(
                root,
                Task::new(Request {
                    nic: self.0,
                    seconds,
                }),
                None,
            ),
            Err(e) => {
                form.fail(0, e);
                app.window = Some(Window::form(form, *self));
            }
        }
    }
}

/// Blink `nic`'s LED for `seconds`.
#[derive(Debug, Clone)]
pub struct Request {
    pub nic: String,
    pub seconds: u32,
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        format!("Identify port: {}", self.nic)
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(
            Duration::from_secs(u64::from(self.seconds) + 15),
            "the driver did not end the blink in time",
        )
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        p.phase(&format!(
            "Blinking {}'s LED for {} s (Esc stops)...",
            self.nic, self.seconds
        ));
        let (nic, seconds) = (self.nic.clone(), self.seconds);
        let r = nics::run_probe(svc, p, move |cancel, tx| {
            ethtool::identify(&nic, seconds, cancel, |done| {
                let _ = tx.send(ProbeMsg::Phase(format!(
                    "Blinking {nic}'s LED: {done}/{seconds} s (Esc stops)"
                )));
            })
        })?;
        let line = match r {
            Ok(ethtool::Blink::Done { seconds }) => {
                format!("{}'s LED blinked for {seconds} s", self.nic)
            }
            Ok(ethtool::Blink::Stopped { seconds }) => {
                format!("{}'s LED blinked for {seconds} s (stopped)", self.nic)
            }
            Err(e) => {
                crate::ops::audit::op_err("identify port", &e);
                return Err(e.to_string());
            }
        };
        crate::ops::audit::op_ok("identify port", &line);
        Ok(Done::Lines(vec![line]))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
