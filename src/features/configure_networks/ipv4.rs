//! A NIC's static IPv4 address, netmask and gateway: validated (empty,
//! invalid, non-contiguous mask, gateway outside the subnet, network or
//! broadcast address), shown before -> after of the node's reachability
//! ([`change`]), applied and persisted; a change of a default route or of
//! the management NIC is rolled back unless kept in time. A gateway on a
//! NIC without the default route is optional, and the operator chooses
//! whether it becomes the node's default gateway.

use super::super::step::{Input, Start, Step};
use super::super::task::{Deadline, Done, Task};
use super::nics;
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::job::Progress;
use crate::kit::{Choice, Confirm, Field, FieldKind, Form};
use crate::net::backend::NicId;
use crate::net::rollback::PendingChange;
use crate::net::{change, ops, validate};
use crate::probe::Nic;

pub(super) fn open(app: &mut App, n: Nic) {
    let (ip, mask, gw) = ops::prefill(&n);
    let mut form = Form::new(
        format!("Configure {}", n.name),
        vec![
            Field::new("IP address", FieldKind::Ipv4).with_text(ip),
            Field::new("Netmask", FieldKind::Netmask).with_text(mask),
            Field::new("Gateway", FieldKind::Ipv4).with_text(gw),
        ],
    );
    form.note = Some(if n.is_mn || n.default_route {
        format!(
            "{} carries the management network or the default route: the change \
             is slow and risky, and is rolled back unless you keep it within {} s.",
            n.name, app.settings.rollback_s
        )
    } else {
        "The gateway is optional here; if you give one, you choose next whether it \
         becomes the node's default gateway."
            .to_string()
    });
    app.window = Some(Window::form(form, Submit(n)));
}

/// The address of this NIC was entered.
#[derive(Debug, Clone)]
pub struct Submit(pub Nic);

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        let n = self.0.clone();
        let text = |i: usize| form.fields[i].text.trim().to_string();
        let (ip, mask, gw) = (text(0), text(1), text(2));
        // The NIC carrying the default route keeps a (default) gateway:
        // dropping it would remove the node's default route.
        let cfg = match validate::validate_ipv4_form(&ip, &mask, &gw, n.default_route) {
            Ok(c) => c,
            Err(e) => {
                let idx = match e.field() {
                    validate::Field::Ip => 0,
                    validate::Field::Netmask => 1,
                    validate::Field::Gateway => 2,
                };
                form.fail(idx, e.to_string());
                app.window = Some(Window::form(form, *self));
                return;
            }
        };
        match cfg.gateway {
            Some(g) if !n.default_route => ask_default(app, n, cfg, g),
            _ => confirm(app, n, cfg),
        }
    }
}

/// A gateway was given on a NIC that does not carry the default route: ask
/// whether it becomes the node's default gateway. The first (preselected)
/// answer leaves every default route as it is.
fn ask_default(app: &mut App, n: Nic, cfg: validate::Ipv4Config, g: std::net::Ipv4Addr) {
    let current: Vec<String> = nics::known(app)
        .iter()
        .filter(|m| m.default_route)
        .map(|m| match m.gateway {
            Some(gw) => format!("{gw} via {}", m.name),
            None => m.name.clone(),
        })
        .collect();
    let now = if current.is_empty() {
        "the node has no default route".to_string()
    } else {
        format!("the default route stays {}", current.join(", "))
    };
    let opts = vec![
        (
            format!("{g} for {}/{} only: {now}", cfg.network(), cfg.prefix),
            None,
        ),
        (
            format!("{g} becomes the node's default gateway (guarded, keep-or-revert)"),
            None,
        ),
    ];
    app.window = Some(Window::choice(
        Choice::new(format!("Gateway {g} on {}", n.name), opts),
        ChooseDefault(n, cfg),
    ));
}

/// The operator's answer to "default gateway or this subnet only".
#[derive(Debug, Clone)]
pub struct ChooseDefault(pub Nic, pub validate::Ipv4Config);

impl Step for ChooseDefault {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Chosen(cursor) = input else { return };
        let ChooseDefault(n, cfg) = *self;
        confirm(app, n, cfg.with_default_route(cursor == 1));
    }
}

/// The before -> after of the node's reachability, then Y to apply.
fn confirm(app: &mut App, n: Nic, cfg: validate::Ipv4Config) {
    let change = change::ipv4_change(&nics::known(app), &n, &cfg);
    let mut lines = change.lines(&cfg);
    let guard = change.guard.is_some();
    if let Some(why) = &change.guard {
        lines.push(format!(
            "Guarded ({why}): rolled back unless kept within {} s.",
            app.settings.rollback_s
        ));
    }
    let req = Request {
        nic: n.name.clone(),
        mac: n.mac.clone(),
        cfg,
        guard,
    };
    app.window = Some(Window::confirm(
        Confirm {
            title: "Configure Networks".into(),
            lines,
            warn: guard,
        },
        Start(Task::new(req)),
    ));
}

/// Give `nic` this static IPv4 configuration (`guard`: kept only when
/// confirmed).
#[derive(Debug, Clone)]
pub struct Request {
    pub nic: String,
    pub mac: Option<String>,
    pub cfg: validate::Ipv4Config,
    pub guard: bool,
}

impl super::super::task::Request for Request {
    fn title(&self) -> String {
        format!("Configure {}", self.nic)
    }
    fn deadline(&self) -> Deadline {
        nics::deadline()
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        let ctx = nics::context(svc)?;
        let cfg = self.cfg;
        p.phase(&format!(
            "Applying {}/{} to {}...",
            cfg.ip, cfg.prefix, self.nic
        ));
        let id = NicId::new(&self.nic, self.mac.as_deref());
        let (guard, backend, wait) = (self.guard, ctx.backend.clone(), ctx.rollback);
        ctx.run(move || {
            // Another host holding the address would make both unreachable:
            // refuse before anything changes (RFC 5227 probe).
            let note = crate::net::ops::ensure_address_free(&id.name, cfg.ip).map_err(|e| {
                crate::ops::audit::op_err("configure network", &e);
                e.to_string()
            })?;
            let applied = crate::net::ops::configure_ipv4(backend.as_ref(), &id, &cfg)
                .map_err(|e| e.to_string())?;
            crate::ops::audit::op_ok("configure network", &format!("{}: {cfg}", id.name));
            let mut lines = vec![format!("{} now has {cfg} (kept across reboots).", id.name)];
            lines.extend(note);
            // The live state may differ from the listing the screen was
            // computed from: a change of the default routes is guarded
            // whatever the screen said.
            if !guard && !applied.default_routes_changed(&cfg) {
                return Ok(Done::Lines(lines));
            }
            let pending = PendingChange::start(
                wait,
                Box::new(move || crate::net::ops::revert(backend.as_ref(), &applied)),
            );
            Ok(Done::Guarded(pending, lines))
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
