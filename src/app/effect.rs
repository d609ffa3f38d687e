//! Effects: what the pure app state asks the outside world to do. The event
//! loop hands each to the runner (`app::runner`), which runs it off the UI
//! thread with a timeout and answers with an `UpdateData` message.

use crate::features::task::Task;
use crate::secret::Secret;

/// Why the root password is being asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatePurpose {
    SystemConfiguration,
    Power,
}

/// A request to the outside world.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Check the root password with PAM (authenticate + account).
    Authenticate {
        password: Secret,
        purpose: GatePurpose,
    },
    /// Run a feature's task.
    Task(Task),
    /// Ask the running task to stop.
    CancelJob,
    /// Keep (`true`) or revert (`false`) a guarded network change.
    KeepChange(bool),
}
