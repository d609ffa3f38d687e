//! "Create a bond...": name, mode, slaves, miimon; validated; never takes
//! a NIC that carries the management network, the default route or any
//! address (a slave loses its own).

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
use crate::net::{rollback, validate};
use crate::probe::Nic;

/// Why `n` must not become a bond slave here, if it must not.
fn slave_refusal(n: &Nic) -> Option<String> {
    if rollback::needs_guard(n) {
        Some(format!(
            "{} carries the management network or the default route; enslaving it would cut \
             this node off",
            n.name
        ))
    } else if !n.ipv4.is_empty() {
        Some(format!(
            "{} has an IPv4 address, which a bond slave loses: remove or move it first",
            n.name
        ))
    } else {
        None
    }
}

pub(super) fn open(app: &mut App) {
    let all = nics::known(app);
    let cands: Vec<String> = validate::slave_candidates(&all, None)
        .iter()
        .filter(|n| slave_refusal(n).is_none())
        .map(|n| n.name.clone())
        .collect();
    let free = (0..)
        .map(|i| format!("bond{i}"))
        .find(|b| !all.iter().any(|n| &n.name == b))
        .unwrap_or_else(|| "bond0".into());
    let modes: Vec<&str> = validate::BondMode::ALL.iter().map(|m| m.as_str()).collect();
    let mut form = Form::new(
        "Create a bond",
        vec![
            Field::new("Name", FieldKind::Text).with_text(free),
            Field::new("Mode", FieldKind::Text).with_text("active-backup"),
            Field::new("Slaves", FieldKind::Text),
            Field::new("miimon (ms)", FieldKind::Text).with_text("100"),
        ],
    );
    form.note = Some(format!(
        "Modes: {}. Slaves, separated by commas, among: {}.",
        modes.join(", "),
        if cands.is_empty() {
            "(no free physical NIC)".to_string()
        } else {
            cands.join(", ")
        }
    ));
    app.window = Some(Window::form(form, Submit(all)));
}

/// The bond form was submitted (with the NICs known when it opened).
#[derive(Debug, Clone)]
pub struct Submit(pub Vec<Nic>);

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        let all = &self.0;
        let texts: Vec<String> = form
            .fields
            .iter()
            .map(|f| f.text.trim().to_string())
            .collect();
        let slaves: Vec<&str> = texts[2]
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        let input = validate::BondInput {
            name: &texts[0],
            mode: &texts[1],
            miimon: &texts[3],
            slaves: slaves.clone(),
        };
        let bond = match validate::validate_bond(&input, all, None) {
            Ok(bond) => bond,
            Err(e) => {
                form.error = Some(e.to_string());
                app.window = Some(Window::form(form, *self));
                return;
            }
        };
        let find = |s: &str| all.iter().find(|n| n.name == s);
        if let Some(why) = slaves.iter().find_map(|s| find(s).and_then(slave_refusal)) {
            form.fail(2, why);
            app.window = Some(Window::form(form, *self));
            return;
        }
        let ids: Vec<(String, Option<String>)> = slaves
            .iter()
            .map(|s| (s.to_string(), find(s).and_then(|n| n.mac.clone())))
            .collect();
        app.window = Some(Window::confirm(
            Confirm {
                title: "Create a bond".into(),
                lines: vec![format!(
                    "Create {} ({}) from {}?",
                    texts[0],
                    texts[1],
                    slaves.join(", ")
                )],
                warn: false,
            },
            Start(Task::new(Request { bond, slaves: ids })),
        ));
    }
}

/// Create `bond` from these physical NICs (name, MAC).
#[derive(Debug, Clone)]
pub struct Request {
    pub bond: validate::BondConfig,
    pub slaves: Vec<(String, Option<String>)>,
}

impl super::super::task::Request for Request {
    fn title(&self) -> String {
        format!("Create bond {}", self.bond.name)
    }
    fn deadline(&self) -> Deadline {
        nics::deadline()
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        let ctx = nics::context(svc)?;
        let bond = self.bond.clone();
        p.phase(&format!("Creating {}...", bond.name));
        let ids: Vec<NicId> = self
            .slaves
            .iter()
            .map(|(n, m)| NicId::new(n, m.as_deref()))
            .collect();
        let backend = ctx.backend.clone();
        ctx.run(move || {
            crate::net::ops::save_bond(backend.as_ref(), &bond, &ids, None)
                .map(|_| {
                    crate::ops::audit::op_ok("create bond", &bond.name);
                    Done::Lines(vec![format!("{} was created.", bond.name)])
                })
                .map_err(|e| e.to_string())
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
