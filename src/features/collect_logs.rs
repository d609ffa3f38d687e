//! Collect Logs: this node's logs (journal, /var/log globs, diagnostic
//! commands) as a tar.gz, or on a management node whose engine can, the
//! whole cluster's; published on the export server.

use super::task::{Done, Task};
use super::{export_task, Feature, FeatureId, NodeFeatures};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::App;
use crate::engine::{Availability, Capabilities};
use crate::job::Progress;

pub const ID: FeatureId = FeatureId("collect-logs");

pub struct CollectLogs;
pub static FEATURE: CollectLogs = CollectLogs;

impl Feature for CollectLogs {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        "Collect Logs".into()
    }
    fn availability(&self, _caps: &Capabilities, node: &NodeFeatures) -> Availability {
        node.collect_logs.clone()
    }
    fn open(&self, app: &mut App, root: &RootSession) {
        let cluster = app.settings.cluster_logs;
        app.start_task(root, Task::new(Request { cluster }), None);
    }
}

/// Collect this node's logs, or the cluster's through the engine.
#[derive(Debug, Clone)]
pub struct Request {
    pub cluster: bool,
}

impl super::task::Request for Request {
    fn title(&self) -> String {
        if self.cluster {
            "Collect Logs (cluster)".into()
        } else {
            "Collect Logs (this node)".into()
        }
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        let exports = export_task::service(svc)?;
        let job = if self.cluster {
            exports.collect_cluster_logs(svc.engine.clone())
        } else {
            exports
                .collect_this_node(svc.engine_kind)
                .map_err(|e| e.to_string())?
        };
        export_task::finish(job, &exports, svc, p).map(Done::Lines)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
