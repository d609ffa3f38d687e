//! Test Network → Cloud reachability: TCP connects from this node to the
//! control plane's service ports (the engine lists them) and to one
//! host:port the operator may type; each line says open / refused / timed
//! out / no route / unreachable and what that usually means. All checks
//! run at once under one per-check deadline; Esc stops them.

use std::net::SocketAddrV4;
use std::time::Duration;

use super::Diagnostic;
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::diag::input::extra_endpoint;
use crate::diag::tcp::{self, Target, DEFAULT_TIMEOUT};
use crate::engine::ServiceEndpoint;
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};

pub struct Reach;
pub static DIAG: Reach = Reach;

impl Diagnostic for Reach {
    fn id(&self) -> &'static str {
        "reach"
    }
    fn label(&self) -> &'static str {
        "Cloud reachability"
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        app.window = Some(Window::form(form(), Submit));
    }
}

fn form() -> Form {
    Form::new(
        "Cloud reachability",
        vec![
            Field::new("Also check host (optional)", FieldKind::Text),
            Field::new("Port", FieldKind::Port),
        ],
    )
    .with_note("TCP connect to the control plane's ports, 3 s each; Esc stops it.")
}

/// The optional extra endpoint was entered.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        match extra_endpoint(&form.fields[0].text, &form.fields[1].text) {
            Err(e) => {
                form.fail(e.field, e.message);
                app.window = Some(Window::form(form, Submit));
            }
            Ok(extra) => app.start_task(
                root,
                Task::new(Request {
                    extra,
                    timeout: DEFAULT_TIMEOUT,
                }),
                None,
            ),
        }
    }
}

/// Check the engine's endpoints and `extra`.
#[derive(Debug, Clone)]
pub struct Request {
    pub extra: Option<(String, u16)>,
    /// Per-check deadline.
    pub timeout: Duration,
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        "Test Network: cloud reachability".into()
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn audited(&self) -> bool {
        false
    }
    fn deadline(&self) -> Deadline {
        // Resolution (3 s) and the connects (one deadline, all at once).
        Deadline::new(
            self.timeout * 2 + Duration::from_secs(10),
            "the reachability checks did not finish in time",
        )
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        p.phase("Finding the control plane's service ports...");
        let mn_cfg = svc.mn.management_ip;
        let mn = svc.mn.clone();
        let engine = svc.engine.clone();
        let extra = self.extra.clone();
        let timeout = self.timeout;
        let lines = super::run_probe(svc, p, move |cancel, tx| {
            // The MN address is looked up in the namespace the checks run in.
            let mn_ip = mn_cfg.or_else(|| {
                mn.lookup().into_iter().find_map(|a| match a {
                    std::net::IpAddr::V4(v4) => Some(v4),
                    _ => None,
                })
            });
            let mut eps = engine.service_endpoints(mn_ip);
            if let Some((host, port)) = extra {
                eps.push(ServiceEndpoint::new(
                    "your endpoint",
                    &host,
                    port,
                    "is the service on that port running?",
                ));
            }
            let _ = tx.send(format!(
                "Connecting to {} endpoint(s), {} each...",
                eps.len(),
                tcp::fmt_time(timeout)
            ));
            check(&eps, timeout, &cancel)
        })?;
        let subject = match &self.extra {
            Some((h, port)) => format!("the service ports and {h}:{port}"),
            None => "the service ports".into(),
        };
        super::audited("reach", &subject, Ok(lines))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Resolves and checks `eps` (blocking, bounded by `timeout` for the
/// names and once more for the connects): the result lines, a summary
/// last.
pub fn check(
    eps: &[ServiceEndpoint],
    timeout: Duration,
    cancel: &std::sync::atomic::AtomicBool,
) -> Vec<String> {
    if eps.is_empty() {
        return vec!["this engine names no service ports; enter a host and a port".into()];
    }
    let mut lines = Vec::new();
    let mut targets = Vec::new();
    for e in eps {
        match tcp::resolve(&e.host, timeout) {
            Ok(ip) => targets.push(Target {
                name: e.name.clone(),
                addr: SocketAddrV4::new(ip, e.port),
                hint: e.hint.clone(),
            }),
            Err(why) => lines.push(format!(
                "{:<11} {} {}:{}: {why}",
                "no address", e.name, e.host, e.port
            )),
        }
    }
    let outcomes = tcp::check_all(&targets, timeout, cancel);
    let open = outcomes.iter().filter(|o| o.is_open()).count();
    for (t, o) in targets.iter().zip(&outcomes) {
        lines.extend(tcp::describe(t, o));
    }
    lines.push(format!("{open} of {} open", eps.len()));
    lines
}
