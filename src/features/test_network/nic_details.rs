//! NIC details: state, MTU and MAC, ethtool's speed/duplex/carrier/driver,
//! and the LLDP neighbour (switch, port, VLAN) heard within 30 s.

use std::time::Duration;

use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::App;
use crate::diag::{ethtool, lldp};
use crate::features::nics::{self, ProbeMsg};
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::probe::Nic;

/// The label of the diagnostics entry.
pub const LABEL: &str = "NIC details and LLDP neighbour";

/// The entry of the diagnostics menu.
pub struct NicDetails;
pub static DIAG: NicDetails = NicDetails;

impl super::Diagnostic for NicDetails {
    fn id(&self) -> &'static str {
        "nic-details"
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
    nics::open_choice(app, "NIC details", LABEL, ChooseNic);
}

/// The NICs listed in the choice.
#[derive(Debug, Clone)]
pub struct ChooseNic(pub Vec<Nic>);

impl Step for ChooseNic {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Chosen(i) = input else { return };
        let Some(nic) = self.0.get(i).cloned() else {
            return;
        };
        app.start_task(
            root,
            Task::new(Request {
                nic,
                listen: lldp::LISTEN,
            }),
            None,
        );
    }
}

/// Show `nic`'s details and listen for its LLDP neighbour for `listen`.
#[derive(Debug, Clone)]
pub struct Request {
    pub nic: Nic,
    pub listen: Duration,
}

/// The lines from the NIC list (pure).
pub fn base_lines(n: &Nic) -> Vec<String> {
    vec![
        format!(
            "State      {} (operstate {})",
            if n.up { "UP" } else { "DOWN" },
            n.operstate
        ),
        format!("MTU        {}", n.mtu),
        format!("MAC        {}", n.mac.as_deref().unwrap_or("none")),
    ]
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        format!("NIC details: {}", self.nic.name)
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(
            self.listen + Duration::from_secs(15),
            "the NIC did not answer in time",
        )
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        p.phase(&format!("Reading {}...", self.nic.name));
        let (n, listen) = (self.nic.clone(), self.listen);
        let lines = nics::run_probe(svc, p, move |cancel, tx| {
            let mut lines = base_lines(&n);
            match ethtool::link_info(&n.name) {
                Ok(i) => lines.extend(i.lines()),
                Err(e) => lines.push(format!("ethtool    {e}")),
            }
            for l in &lines {
                let _ = tx.send(ProbeMsg::Line(l.clone()));
            }
            crate::ops::audit::op_ok("nic details", &format!("{}: {}", n.name, lines.join("; ")));
            let name = n.name.clone();
            let heard = lldp::listen(&n.name, listen, cancel, |left| {
                let _ = tx.send(ProbeMsg::Phase(format!(
                    "Listening for LLDP on {name}: {left} s left (Esc stops)"
                )));
            });
            match heard {
                Ok(lldp::Heard::Neighbour { from, neighbour }) => {
                    crate::ops::audit::op_ok(
                        "lldp neighbour",
                        &format!("{}: {} (from {from})", n.name, neighbour.summary()),
                    );
                    lines.push(format!("LLDP neighbour (from {from}):"));
                    lines.extend(neighbour.lines().into_iter().map(|l| format!("  {l}")));
                }
                Ok(lldp::Heard::Silent { waited }) => lines.push(format!(
                    "LLDP       no frame in {} s: the switch does not send LLDP on this \
                     port, or the NIC has no link",
                    waited.as_secs()
                )),
                Ok(lldp::Heard::Stopped) => lines.push("LLDP       stopped (Esc)".into()),
                Err(e) => lines.push(format!("LLDP       {e}")),
            }
            lines
        })?;
        Ok(Done::Lines(lines))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
