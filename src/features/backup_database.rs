//! Backup Database: the engine's database (libvirt: every persistent
//! definition; ZStack: mysqldump), published on the export server.

use super::task::{Done, Task};
use super::{export_task, Feature, FeatureId, NodeFeatures, MANAGEMENT};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::App;
use crate::config::Role;
use crate::engine::{Availability, Capabilities, Capability};
use crate::job::Progress;

pub const ID: FeatureId = FeatureId("backup-database");

pub struct BackupDatabase;
pub static FEATURE: BackupDatabase = BackupDatabase;

impl Feature for BackupDatabase {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        "Backup Database".into()
    }
    fn roles(&self) -> &'static [Role] {
        MANAGEMENT
    }
    fn availability(&self, caps: &Capabilities, node: &NodeFeatures) -> Availability {
        match (&node.exports, caps.get(Capability::DatabaseBackup)) {
            (Availability::Available, a) => a,
            (u, _) => u.clone(),
        }
    }
    fn open(&self, app: &mut App, root: &RootSession) {
        app.start_task(root, Task::new(Request), None);
    }
}

/// Back up the engine's database.
#[derive(Debug, Clone)]
pub struct Request;

impl super::task::Request for Request {
    fn title(&self) -> String {
        "Backup Database".into()
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        let exports = export_task::service(svc)?;
        let job = exports.backup_database(svc.engine.clone());
        export_task::finish(job, &exports, svc, p).map(Done::Lines)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
