//! Duplicate address: an RFC 5227 ARP probe for an address on a chosen NIC
//! ([`crate::diag::arp`]); the answer names the MAC that holds it.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::diag::arp;
use crate::features::nics::{self, ProbeMsg};
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};
use crate::probe::Nic;

/// The label of the diagnostics entry.
pub const LABEL: &str = "Duplicate address";

/// The entry of the diagnostics menu.
pub struct DuplicateAddress;
pub static DIAG: DuplicateAddress = DuplicateAddress;

impl super::Diagnostic for DuplicateAddress {
    fn id(&self) -> &'static str {
        "duplicate-address"
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
    nics::open_choice(app, "Duplicate address", LABEL, ChooseNic);
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
        let names: Vec<String> = self.0.iter().map(|n| n.name.clone()).collect();
        let form = Form::new(
            format!("Duplicate address on {}", n.name),
            vec![Field::new("Address", FieldKind::Ipv4)],
        )
        .with_note("Three ARP probes over about a second; any host holding the address answers.");
        app.window = Some(Window::form(form, Submit { nic: n.name, names }));
    }
}

/// The address was entered.
#[derive(Debug, Clone)]
pub struct Submit {
    pub nic: String,
    pub names: Vec<String>,
}

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        match arp::validate_probe(&self.nic, &form.fields[0].text, &names) {
            Ok((nic, ip)) => app.start_task(root, Task::new(Request { nic, ip }), None),
            Err(e) => {
                form.fail(0, e);
                app.window = Some(Window::form(form, *self));
            }
        }
    }
}

/// Probe for `ip` on `nic`.
#[derive(Debug, Clone)]
pub struct Request {
    pub nic: String,
    pub ip: Ipv4Addr,
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        format!("Duplicate address: {} on {}", self.ip, self.nic)
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(
            Duration::from_secs(10),
            "the ARP probe did not finish in time",
        )
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        p.phase(&format!(
            "Sending ARP probes for {} on {}...",
            self.ip, self.nic
        ));
        let (nic, ip) = (self.nic.clone(), self.ip);
        let r = nics::run_probe(svc, p, move |cancel, tx| {
            let _ = tx.send(ProbeMsg::Line("3 probes, sender 0.0.0.0 (RFC 5227)".into()));
            arp::probe(&nic, ip, arp::ProbeTiming::default(), cancel)
        })?;
        match r {
            Ok(res) => {
                crate::ops::audit::op_ok("duplicate address check", &res.to_string());
                Ok(Done::Lines(vec![res.to_string()]))
            }
            Err(e) => {
                crate::ops::audit::op_err("duplicate address check", &e);
                Err(e.to_string())
            }
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
