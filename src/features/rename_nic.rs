//! Rename NIC: choose the NIC, type the new name (validated against the
//! kernel's rules and the names in use), confirm; down -> rename -> up
//! (restored on failure), persisted by MAC. The management NIC's rename
//! goes through the keep-or-rollback window.

use super::step::{Input, Start, Step};
use super::task::{Deadline, Done, Task};
use super::{nics, Feature, FeatureId, NodeFeatures};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::engine::{Availability, Capabilities};
use crate::job::Progress;
use crate::kit::{Choice, Confirm, Field, FieldKind, Form};
use crate::net::backend::NicId;
use crate::net::rollback::{self, PendingChange};
use crate::net::validate;
use crate::probe::Nic;

pub const ID: FeatureId = FeatureId("rename-nic");
const TITLE: &str = "Rename NIC";

pub struct RenameNic;
pub static FEATURE: RenameNic = RenameNic;

impl Feature for RenameNic {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        TITLE.into()
    }
    fn availability(&self, _caps: &Capabilities, node: &NodeFeatures) -> Availability {
        node.network.clone()
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let list = nics::known(app);
        if list.is_empty() {
            return nics::info(
                app,
                TITLE,
                "No NIC is known yet; try again in a moment.".into(),
            );
        }
        let opts = list.iter().map(|n| (nics::label(n), None)).collect();
        app.window = Some(Window::choice(
            Choice::new("Rename NIC: choose the NIC", opts),
            ChooseNic(list),
        ));
    }
}

/// The NICs listed when the choice opened.
#[derive(Debug, Clone)]
pub struct ChooseNic(pub Vec<Nic>);

impl Step for ChooseNic {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Chosen(cursor) = input else { return };
        let Some(n) = self.0.into_iter().nth(cursor) else {
            return;
        };
        let mut form = Form::new(
            format!("Rename NIC {}", n.name),
            vec![Field::new("New name", FieldKind::Text).with_text(n.name.clone())],
        );
        form.note = Some("1-15 characters: letters, digits, _ . -; kept across reboots.".into());
        app.window = Some(Window::form(form, NewName(n)));
    }
}

/// The new name for this NIC was entered.
#[derive(Debug, Clone)]
pub struct NewName(pub Nic);

impl Step for NewName {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        let n = &self.0;
        let new = form.fields[0].text.trim().to_string();
        let names: Vec<String> = nics::known(app).into_iter().map(|n| n.name).collect();
        let existing: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
        if let Err(e) = validate::validate_rename(&n.name, &new, &existing) {
            form.fail(0, e.to_string());
            app.window = Some(Window::form(form, *self));
            return;
        }
        let guard = rollback::needs_guard(n);
        let mut lines = vec![format!("Rename {} to {new}?", n.name)];
        if guard {
            lines.push(format!(
                "WARNING: {} carries the management network; the console will ask \
                 you to keep the change and reverts it after {} s.",
                n.name, app.settings.rollback_s
            ));
        }
        let req = Request {
            old: n.name.clone(),
            mac: n.mac.clone(),
            new,
            guard,
        };
        app.window = Some(Window::confirm(
            Confirm {
                title: TITLE.into(),
                lines,
                warn: guard,
            },
            Start(Task::new(req)),
        ));
    }
}

/// Rename `old` (found by `mac` when known) to `new`; `guard`: it carries
/// the management network or the default route, so the change is kept
/// only when confirmed.
#[derive(Debug, Clone)]
pub struct Request {
    pub old: String,
    pub mac: Option<String>,
    pub new: String,
    pub guard: bool,
}

impl super::task::Request for Request {
    fn title(&self) -> String {
        format!("Rename NIC {} -> {}", self.old, self.new)
    }
    fn deadline(&self) -> Deadline {
        nics::deadline()
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        let ctx = nics::context(svc)?;
        p.phase(&format!("Renaming {} to {}...", self.old, self.new));
        let id = NicId::new(&self.old, self.mac.as_deref());
        let (new, guard, backend, wait) = (
            self.new.clone(),
            self.guard,
            ctx.backend.clone(),
            ctx.rollback,
        );
        ctx.run(move || {
            let undo = crate::net::ops::rename_nic(backend.as_ref(), &id, &new)
                .map_err(|e| e.to_string())?;
            crate::ops::audit::op_ok("rename NIC", &format!("{} -> {new}", id.name));
            if !guard {
                return Ok(Done::Lines(vec![format!(
                    "{} is now {new} (kept across reboots).",
                    id.name
                )]));
            }
            let line = format!("{} is now {new}.", id.name);
            let pending = PendingChange::start(
                wait,
                Box::new(move || {
                    crate::net::ops::revert_rename(backend.as_ref(), &id, &new, &undo)
                }),
            );
            Ok(Done::Guarded(pending, vec![line]))
        })
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
