//! Start/Stop/Restart ZStack Service, through `zstack-ctl`.

use super::ZstackEngine;
use crate::engine::{EngineError, ServiceAction};
use crate::job::Progress;

impl ZstackEngine {
    pub(super) fn op_service(
        &self,
        action: ServiceAction,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let (arg, phase, done) = match action {
            ServiceAction::Start => (
                "start",
                "Starting ZStack (this can take minutes)",
                "ZStack started",
            ),
            ServiceAction::Stop => ("stop", "Stopping ZStack", "ZStack stopped"),
            ServiceAction::Restart => (
                "restart_node",
                "Restarting the ZStack management node (this can take minutes)",
                "ZStack management node restarted",
            ),
        };
        progress.phase(phase);
        progress.fraction(None);
        self.ctl(&[arg], progress)?;
        Ok(done.into())
    }
}
