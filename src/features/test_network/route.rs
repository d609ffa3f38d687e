//! Test Network → Route and gateway: which route the kernel takes to a
//! target (device, source, gateway or directly connected), then whether
//! the next hop answers one ICMP echo and what its neighbour entry says
//! (the MAC and REACHABLE/STALE/FAILED/INCOMPLETE) — a gateway that does
//! not answer ARP points at the cable, the switch port or the VLAN.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Diagnostic;
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::diag::input::validate_ipv4;
use crate::diag::route::{neighbour, route_get};
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};
use crate::net::ping::{ping, PingOptions};

pub struct Route;
pub static DIAG: Route = Route;

impl Diagnostic for Route {
    fn id(&self) -> &'static str {
        "route"
    }
    fn label(&self) -> &'static str {
        "Route and gateway"
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let target = app
            .settings
            .ping_target
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .unwrap_or_default();
        app.window = Some(Window::form(
            Form::new(
                "Route and gateway",
                vec![Field::new("Target", FieldKind::Ipv4).with_text(target)],
            )
            .with_note("The kernel's route, then ping and ARP of the next hop; Esc stops it."),
            Submit,
        ));
    }
}

/// The target was entered.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        match validate_ipv4("Target", &form.fields[0].text) {
            Err(e) => {
                form.fail(0, e);
                app.window = Some(Window::form(form, Submit));
            }
            Ok(target) => app.start_task(root, Task::new(Request { target }), None),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub target: Ipv4Addr,
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        format!("Route and gateway: {}", self.target)
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn audited(&self) -> bool {
        false
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(
            Duration::from_secs(30),
            "the route check did not finish in time",
        )
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        p.phase(&format!(
            "Asking the kernel for the route to {}...",
            self.target
        ));
        let target = self.target;
        let lines = super::run_probe(svc, p, move |cancel, tx| {
            check(target, &cancel, |l| {
                let _ = tx.send(l.to_string());
            })
        })?;
        super::audited("route", &self.target.to_string(), lines)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// How long the neighbour entry may stay INCOMPLETE before it is reported
/// (the kernel gives up ARP after 3 probes, 1 s apart).
pub const ARP_WAIT: Duration = Duration::from_secs(4);

/// The route, the next hop's ping and neighbour entry, as result lines
/// (each also sent to `line`); `Err` when there is no route. Blocking and
/// bounded (ping 2 s, ARP wait [`ARP_WAIT`]); `cancel` stops it.
pub fn check(
    target: Ipv4Addr,
    cancel: &AtomicBool,
    mut line: impl FnMut(&str),
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut say = |s: String, out: &mut Vec<String>| {
        line(&s);
        out.push(s);
    };
    let r = route_get(target).map_err(|e| e.to_string())?;
    say(r.describe(), &mut out);
    if r.local {
        return Ok(out);
    }
    let hop = r.next_hop();
    let what = if r.gateway.is_some() {
        "the gateway"
    } else {
        "the target"
    };
    let opts = PingOptions {
        count: 1,
        timeout: Duration::from_secs(2),
        ..PingOptions::default()
    };
    match ping(&hop.to_string(), &opts, cancel, |_| {}) {
        Ok(s) if s.received > 0 => say(
            format!(
                "{what} {hop} answers ping ({:.1} ms)",
                s.rtt_min.unwrap_or_default().as_secs_f64() * 1000.0
            ),
            &mut out,
        ),
        Ok(s) if s.cancelled => {
            say("cancelled".into(), &mut out);
            return Ok(out);
        }
        Ok(_) => say(format!("{what} {hop} does not answer ping"), &mut out),
        Err(e) => say(format!("ping of {hop} not possible: {e}"), &mut out),
    }
    // The ping made the kernel resolve the next hop; wait for ARP to end.
    let deadline = Instant::now() + ARP_WAIT;
    let n = loop {
        let n = neighbour(r.ifindex, hop)?;
        let pending = n
            .as_ref()
            .is_none_or(|n| !n.answered() && n.state_label() == "INCOMPLETE");
        if !pending || Instant::now() >= deadline || cancel.load(Ordering::Relaxed) {
            break n;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    match n {
        Some(n) if n.answered() => say(
            format!(
                "{what} {hop} is at {} ({}) on {}",
                n.mac.as_deref().unwrap_or("?"),
                n.state_label(),
                r.dev
            ),
            &mut out,
        ),
        Some(n) => say(
            format!(
                "{what} {hop} does not answer ARP ({}): check the cable, the switch port, the VLAN",
                n.state_label()
            ),
            &mut out,
        ),
        None => say(
            format!(
                "no neighbour entry for {hop} on {}: it was never asked for",
                r.dev
            ),
            &mut out,
        ),
    }
    Ok(out)
}
