//! Reset the engine's service (reinstall), optionally dropping its
//! database: two menu items, one module; each behind its own typed phrase
//! (`reset zstack`, `reset zstack drop database`).

use super::step::Start;
use super::task::{Done, Request as _, Task};
use super::{Feature, FeatureId, NodeFeatures, MANAGEMENT};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::config::Role;
use crate::engine::{Availability, Capabilities, Capability};
use crate::job::Progress;
use crate::kit::Phrase;

pub const ID: FeatureId = FeatureId("reset");
pub const DROP_DATABASE_ID: FeatureId = FeatureId("reset-drop-database");

/// Reset, keeping or dropping the database.
pub struct Reset {
    drop_database: bool,
}
pub static FEATURE: Reset = Reset {
    drop_database: false,
};
pub static DROP_DATABASE: Reset = Reset {
    drop_database: true,
};

fn title(engine_display: &str, drop_database: bool) -> String {
    if drop_database {
        format!("Reset {engine_display} Service & Drop Database")
    } else {
        format!("Reset {engine_display} Service")
    }
}

impl Feature for Reset {
    fn id(&self) -> FeatureId {
        if self.drop_database {
            DROP_DATABASE_ID
        } else {
            ID
        }
    }
    fn label(&self, engine_display: &str) -> String {
        title(engine_display, self.drop_database)
    }
    fn roles(&self) -> &'static [Role] {
        MANAGEMENT
    }
    fn availability(&self, caps: &Capabilities, _node: &NodeFeatures) -> Availability {
        caps.get(if self.drop_database {
            Capability::ResetDropDatabase
        } else {
            Capability::Reset
        })
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let name = app.settings.engine_name;
        let phrase = if self.drop_database {
            format!("reset {name} drop database")
        } else {
            format!("reset {name}")
        };
        let mut lines = vec!["EXTREMELY DANGEROUS: this reinstalls the service.".to_string()];
        if self.drop_database {
            lines.push("The database is emptied: all cloud data is lost.".into());
        }
        let req = Request {
            drop_database: self.drop_database,
            engine: app.settings.engine_display,
        };
        app.window = Some(Window::phrase(
            Phrase::new(req.title(), lines, phrase),
            Start(Task::new(req)),
        ));
    }
}

/// Reinstall the engine's service.
#[derive(Debug, Clone)]
pub struct Request {
    pub drop_database: bool,
    engine: &'static str,
}

impl super::task::Request for Request {
    fn title(&self) -> String {
        title(self.engine, self.drop_database)
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        svc.engine
            .reset(self.drop_database, p)
            .map(|s| Done::Lines(vec![s]))
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
