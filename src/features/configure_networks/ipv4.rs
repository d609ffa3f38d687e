//! A NIC's static IPv4 address, netmask and gateway: validated (empty,
//! invalid, non-contiguous mask, gateway outside the subnet, network or
//! broadcast address), shown before -> after, applied and persisted; the
//! management/default-route NIC is rolled back unless kept in time.

use super::super::step::{Input, Start, Step};
use super::super::task::{Deadline, Done, Task};
use super::nics;
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::job::Progress;
use crate::kit::{Confirm, Field, FieldKind, Form};
use crate::net::backend::NicId;
use crate::net::rollback::{self, PendingChange};
use crate::net::{ops, validate};
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
    if rollback::needs_guard(&n) {
        form.note = Some(format!(
            "{} carries the management network or the default route: the change \
             is slow and risky, and is rolled back unless you keep it within {} s.",
            n.name, app.settings.rollback_s
        ));
    }
    app.window = Some(Window::form(form, Submit(n)));
}

/// The address of this NIC was entered.
#[derive(Debug, Clone)]
pub struct Submit(pub Nic);

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        let n = &self.0;
        let text = |i: usize| form.fields[i].text.trim().to_string();
        let (ip, mask, gw) = (text(0), text(1), text(2));
        let cfg = match validate::validate_ipv4_config(&ip, &mask, &gw) {
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
        let addrs = if n.ipv4.is_empty() {
            "no IPv4 address".to_string()
        } else {
            n.ipv4
                .iter()
                .map(|(a, p)| format!("{a}/{p}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let before = match n.gateway {
            Some(g) => format!("{addrs} gateway {g}"),
            None => format!("{addrs}, no default gateway"),
        };
        let guard = rollback::needs_guard(n);
        let mut lines = vec![
            format!("{}:", n.name),
            format!("  before: {before}"),
            format!(
                "  after:  {}/{} ({}) gateway {}",
                cfg.ip,
                cfg.prefix,
                cfg.netmask(),
                cfg.gateway
            ),
        ];
        if guard {
            lines.push(format!(
                "Management NIC: slow and risky; rolled back unless kept within {} s.",
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
            let applied = crate::net::ops::configure_ipv4(backend.as_ref(), &id, &cfg)
                .map_err(|e| e.to_string())?;
            crate::ops::audit::op_ok(
                "configure network",
                &format!("{}: {}/{} gw {}", id.name, cfg.ip, cfg.prefix, cfg.gateway),
            );
            let line = format!(
                "{} now has {}/{} with gateway {} (kept across reboots).",
                id.name, cfg.ip, cfg.prefix, cfg.gateway
            );
            if !guard {
                return Ok(Done::Lines(vec![line]));
            }
            let pending = PendingChange::start(
                wait,
                Box::new(move || crate::net::ops::revert(backend.as_ref(), &applied)),
            );
            Ok(Done::Guarded(pending, vec![line]))
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
