//! Path MTU: the largest packet that reaches a target with don't-fragment
//! set, and what a shortfall means (jumbo-frame mismatch, a smaller MTU on
//! the path); see [`crate::diag::mtu`]. Esc stops it.

use std::time::Duration;

use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::features::nics::{self, ProbeMsg};
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};

/// The label of the diagnostics entry.
pub const LABEL: &str = "Path MTU";

/// The entry of the diagnostics menu.
pub struct PathMtu;
pub static DIAG: PathMtu = PathMtu;

impl super::Diagnostic for PathMtu {
    fn id(&self) -> &'static str {
        "path-mtu"
    }
    fn label(&self) -> &'static str {
        LABEL
    }
    fn open(&self, app: &mut App, root: &RootSession) {
        open(app, root)
    }
}

/// Opens the target form, pre-filled with the default gateway when known
/// (always on the path), else the configured ping target.
pub fn open(app: &mut App, _root: &RootSession) {
    let gw = nics::known(app)
        .iter()
        .find(|n| n.default_route)
        .and_then(|n| n.gateway)
        .map(|g| g.to_string());
    let f = Field::new("Target (IPv4 or host)", FieldKind::Text)
        .with_text(gw.unwrap_or_else(|| app.settings.ping_target.clone()));
    app.window = Some(Window::form(
        Form::new("Path MTU", vec![f]).with_note(
            "Don't-fragment ICMP echo at the NIC's MTU, 1500 and 9000, then a search \
             for the largest size that passes. Esc stops it.",
        ),
        Submit,
    ));
}

/// The target was entered.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        let target = form.fields[0].text.trim().to_string();
        if let Err(e) = crate::net::ping::validate_target(&target) {
            form.fail(0, format!("Target: {e}"));
            app.window = Some(Window::form(form, Submit));
            return;
        }
        app.start_task(root, Task::new(Request { target }), None);
    }
}

/// Measure the path MTU to `target`.
#[derive(Debug, Clone)]
pub struct Request {
    pub target: String,
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        format!("Path MTU: {}", self.target)
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn deadline(&self) -> Deadline {
        // The search's own budget is 60 s; resolution and the route lookup
        // are bounded too.
        Deadline::new(
            Duration::from_secs(90),
            "the path MTU search did not finish in time",
        )
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        p.phase(&format!("Probing {} with don't-fragment...", self.target));
        let target = self.target.clone();
        let r = nics::run_probe(svc, p, move |cancel, tx| {
            crate::diag::mtu::path_mtu(
                &target,
                &crate::diag::mtu::MtuOptions::default(),
                cancel,
                |ev| {
                    let _ = tx.send(ProbeMsg::Line(ev.to_string()));
                },
            )
        })?;
        match r {
            Ok(report) => {
                let lines = report.lines();
                crate::ops::audit::op_ok(
                    "path mtu",
                    &format!("{}: {}", self.target, lines.join("; ")),
                );
                Ok(Done::Lines(lines))
            }
            Err(e) => {
                crate::ops::audit::op_err("path mtu", &e);
                Err(e.to_string())
            }
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
