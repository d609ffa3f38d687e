//! Start/Stop/Restart the engine's service: choose the action, type the
//! phrase (`restart zstack`), run it through the engine.

use super::step::{Input, Step};
use super::task::{Done, Request as _, Task};
use super::{Feature, FeatureId, NodeFeatures, MANAGEMENT};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::config::Role;
use crate::engine::{Availability, Capabilities, Capability, ServiceAction};
use crate::job::Progress;
use crate::kit::{Choice, Phrase};

pub const ID: FeatureId = FeatureId("service-control");

pub struct ServiceControl;
pub static FEATURE: ServiceControl = ServiceControl;

impl Feature for ServiceControl {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, engine_display: &str) -> String {
        format!("Start/Stop/Restart {engine_display} Service")
    }
    fn roles(&self) -> &'static [Role] {
        MANAGEMENT
    }
    fn availability(&self, caps: &Capabilities, _node: &NodeFeatures) -> Availability {
        caps.get(Capability::ServiceControl)
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let engine = app.settings.engine_display;
        app.window = Some(Window::choice(
            Choice::new(
                self.label(engine),
                [
                    ServiceAction::Start,
                    ServiceAction::Stop,
                    ServiceAction::Restart,
                ]
                .iter()
                .map(|a| (Request::title_of(*a, engine), None))
                .collect(),
            ),
            ChooseAction,
        ));
    }
}

/// Which action: start, stop or restart.
#[derive(Debug, Clone)]
pub struct ChooseAction;

impl Step for ChooseAction {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Chosen(cursor) = input else { return };
        let action = match cursor {
            0 => ServiceAction::Start,
            1 => ServiceAction::Stop,
            _ => ServiceAction::Restart,
        };
        let req = Request {
            action,
            engine: app.settings.engine_display,
        };
        app.window = Some(Window::phrase(
            Phrase::new(
                req.title(),
                vec!["This may take several minutes.".into()],
                format!("{} {}", action.verb(), app.settings.engine_name),
            ),
            super::step::Start(Task::new(req)),
        ));
    }
}

/// Start, stop or restart the engine's service.
#[derive(Debug, Clone)]
pub struct Request {
    pub action: ServiceAction,
    engine: &'static str,
}

impl Request {
    fn title_of(action: ServiceAction, engine_display: &str) -> String {
        let mut v = action.verb().to_string();
        v[..1].make_ascii_uppercase();
        format!("{v} {engine_display} Service")
    }
}

impl super::task::Request for Request {
    fn title(&self) -> String {
        Request::title_of(self.action, self.engine)
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        svc.engine
            .service(self.action, p)
            .map(|s| Done::Lines(vec![s]))
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
