//! Configure Console Proxy (ZStack): read the current proxy address to
//! pre-fill the form, validate it, confirm, set it through the engine.

use std::time::Duration;

use super::step::{Input, Next, Start, Step};
use super::task::{Deadline, Done, Payload, Reply, Task};
use super::{Feature, FeatureId, NodeFeatures, MANAGEMENT};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::{After, Window};
use crate::app::App;
use crate::config::Role;
use crate::engine::zstack::validate_console_proxy;
use crate::engine::{Availability, Capabilities, Capability, ConsoleProxy};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form, Message, Tone};

pub const ID: FeatureId = FeatureId("console-proxy");
const TITLE: &str = "Configure Console Proxy";

pub struct ConsoleProxyFeature;
pub static FEATURE: ConsoleProxyFeature = ConsoleProxyFeature;

impl Feature for ConsoleProxyFeature {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        TITLE.into()
    }
    fn roles(&self) -> &'static [Role] {
        MANAGEMENT
    }
    fn availability(&self, caps: &Capabilities, _node: &NodeFeatures) -> Availability {
        caps.get(Capability::ConsoleProxy)
    }
    fn open(&self, app: &mut App, root: &RootSession) {
        app.start_task(root, Task::new(Load), Some(Next::new(Loaded)));
    }
}

/// Reads the current settings (to pre-fill the form).
#[derive(Debug, Clone)]
pub struct Load;

impl super::task::Request for Load {
    fn title(&self) -> String {
        TITLE.into()
    }
    fn phase(&self) -> String {
        "Reading the current settings...".into()
    }
    fn audited(&self) -> bool {
        false
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(
            Duration::from_secs(10),
            "reading the console proxy settings timed out",
        )
    }
    fn run(&self, svc: &Services, _p: &mut dyn Progress) -> Result<Done, String> {
        svc.engine
            .console_proxy()
            .map(|p| Done::Value(Payload::new(p)))
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The current settings arrived: the form, pre-filled.
#[derive(Debug, Clone)]
pub struct Loaded;

impl Step for Loaded {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let current = match input {
            Input::Reply(Reply::Value(v)) => v
                .take::<ConsoleProxy>()
                .ok_or_else(|| "the engine answered something else".to_string()),
            Input::Reply(Reply::Done(Err(e))) => Err(e),
            _ => Err("the engine gave no answer".to_string()),
        };
        app.window = Some(match current {
            Ok(p) => Window::form(form(&p), Submit),
            Err(e) => Window::Message(Message::new(TITLE, vec![e], Tone::Error), After::Menu),
        });
    }
}

/// The console proxy form with `p` filled in.
pub fn form(p: &ConsoleProxy) -> Form {
    Form::new(
        TITLE,
        vec![
            Field::new("Proxy IP", FieldKind::Ipv4)
                .with_text(p.ip.map(|i| i.to_string()).unwrap_or_default()),
            Field::new("Proxy port", FieldKind::Port)
                .with_text(p.port.map(|i| i.to_string()).unwrap_or_default()),
        ],
    )
    .with_note("Port 1024-65535. Restarts the management service (slow).")
}

/// The form was submitted: validate, then confirm.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        match validate_console_proxy(&form.fields[0].text, &form.fields[1].text) {
            Err(e) => {
                form.error = Some(e);
                app.window = Some(Window::form(form, *self));
            }
            Ok(p) => {
                let show = |v: Option<String>| v.unwrap_or("(unchanged)".into());
                let what = format!(
                    "Set the console proxy to {}:{}?",
                    show(p.ip.map(|i| i.to_string())),
                    show(p.port.map(|i| i.to_string()))
                );
                app.window = Some(super::confirm_slow(TITLE, what, Start(Task::new(Set(p)))));
            }
        }
    }
}

/// Set the console proxy.
#[derive(Debug, Clone)]
pub struct Set(pub ConsoleProxy);

impl super::task::Request for Set {
    fn title(&self) -> String {
        TITLE.into()
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        svc.engine
            .set_console_proxy(&self.0, p)
            .map(|s| Done::Lines(vec![s]))
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
