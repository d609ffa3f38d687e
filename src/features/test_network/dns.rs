//! Test Network → DNS lookup: resolves a name with the node's resolver
//! configuration (`network.resolv_conf`, default /etc/resolv.conf) and our
//! own UDP client, so the window shows each server asked and how it
//! answered: which one answered, the addresses and the time; or that no
//! server answered (each timed out or refused), or NXDOMAIN, or SERVFAIL.

use std::path::PathBuf;
use std::time::Duration;

use super::Diagnostic;
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::diag::input::validate_name;
use crate::diag::lookup::lookup;
use crate::diag::resolv::{self, ResolvConf};
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};

pub struct Dns;
pub static DIAG: Dns = Dns;

impl Diagnostic for Dns {
    fn id(&self) -> &'static str {
        "dns"
    }
    fn label(&self) -> &'static str {
        "DNS lookup"
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let note = format!(
            "A and AAAA from the servers of {}; Esc stops it.",
            app.settings.resolv_conf.display()
        );
        app.window = Some(Window::form(
            Form::new("DNS lookup", vec![Field::new("Name", FieldKind::Text)]).with_note(note),
            Submit,
        ));
    }
}

/// The name was entered.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        match validate_name(&form.fields[0].text) {
            Err(e) => {
                form.fail(0, e);
                app.window = Some(Window::form(form, Submit));
            }
            Ok(name) => app.start_task(
                root,
                Task::new(Request {
                    name,
                    resolv_conf: app.settings.resolv_conf.clone(),
                }),
                None,
            ),
        }
    }
}

/// Look `name` up with the configuration at `resolv_conf`.
#[derive(Debug, Clone)]
pub struct Request {
    pub name: String,
    pub resolv_conf: PathBuf,
}

/// The diagnostic waits at most this long per server and query, and makes
/// at most [`MAX_ATTEMPTS`] rounds, whatever resolv.conf allows (glibc's
/// defaults): an operator wants the answer in seconds, and a server that
/// needs longer is broken enough to report.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(5);
pub const MAX_ATTEMPTS: u32 = 2;

/// The configuration as the diagnostic uses it.
pub fn capped(mut c: ResolvConf) -> ResolvConf {
    c.timeout = c.timeout.min(MAX_TIMEOUT);
    c.attempts = c.attempts.min(MAX_ATTEMPTS);
    c
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        format!("DNS lookup: {}", self.name)
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn audited(&self) -> bool {
        false
    }
    fn deadline(&self) -> Deadline {
        // 5 s x 2 rounds x 3 servers while no server answers (the lookup
        // stops there); answered names go quickly.
        Deadline::new(
            Duration::from_secs(240),
            "the DNS lookup did not finish in time",
        )
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        let text = match std::fs::read_to_string(&self.resolv_conf) {
            Ok(t) => t,
            Err(e) => {
                let why = format!(
                    "cannot read {}: {e}; the node has no resolver configuration",
                    self.resolv_conf.display()
                );
                return super::audited("dns", &self.name, Err(why));
            }
        };
        let conf = capped(resolv::parse(&text));
        let servers: Vec<String> = conf.nameservers.iter().map(|s| s.to_string()).collect();
        let mut lines: Vec<String> = conf.notes.clone();
        lines.push(format!(
            "servers {} (timeout {} s, attempts {})",
            servers.join(", "),
            conf.timeout.as_secs(),
            conf.attempts
        ));
        p.phase(&format!("Looking up {}...", self.name));
        let name = self.name.clone();
        let (asked, summary) = super::run_probe(svc, p, move |cancel, tx| {
            let mut asked = Vec::new();
            let (_, summary) = lookup(&conf, &name, &cancel, |l| {
                let _ = tx.send(l.clone());
                asked.push(l);
            });
            (asked, summary)
        })?;
        lines.extend(asked);
        lines.push(summary);
        super::audited("dns", &self.name, Ok(lines))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
