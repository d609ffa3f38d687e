//! Effects: what the pure app state asks the outside world to do. The event
//! loop hands each to the executor, which runs it off the UI thread with a
//! timeout and answers with an `UpdateData` message.

use crate::features::task::Task;
use crate::secret::Secret;

/// Why the root password is being asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatePurpose {
    SystemConfiguration,
    Power,
}

/// A network job (transitional: the network items still run through
/// these tags; every other feature hands the runner a [`Task`]).
#[derive(Debug, Clone)]
pub enum JobRequest {
    /// Test Network: ICMP echo to a target.
    Ping { target: String },
    /// Rename NIC (`guard`: carries the management network or the default
    /// route, so the change is kept only when confirmed).
    RenameNic {
        old: String,
        mac: Option<String>,
        new: String,
        guard: bool,
    },
    /// Configure Networks: static IPv4 address, netmask, gateway.
    ConfigureIpv4 {
        nic: String,
        mac: Option<String>,
        cfg: crate::net::validate::Ipv4Config,
        guard: bool,
    },
    /// Create a bond from physical NICs.
    SaveBond {
        bond: crate::net::validate::BondConfig,
        slaves: Vec<(String, Option<String>)>,
    },
    /// Set Management Network: the control plane moves to this address.
    ManagementIp(std::net::Ipv4Addr),
}

impl JobRequest {
    /// Title of the progress and result windows.
    pub fn title(&self) -> String {
        match self {
            JobRequest::Ping { target } => format!("Test Network: {target}"),
            JobRequest::RenameNic { old, new, .. } => format!("Rename NIC {old} -> {new}"),
            JobRequest::ConfigureIpv4 { nic, .. } => format!("Configure {nic}"),
            JobRequest::SaveBond { bond, .. } => format!("Create bond {}", bond.name),
            JobRequest::ManagementIp(ip) => format!("Set Management Network: {ip}"),
        }
    }
    /// Whether stopping half-way is safe (a ping is; a change is not).
    pub fn cancellable(&self) -> bool {
        matches!(self, JobRequest::Ping { .. })
    }
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
    /// Run a network job (transitional).
    Job(JobRequest),
    /// Ask the running task to stop.
    CancelJob,
    /// Keep (`true`) or revert (`false`) a guarded network change.
    KeepChange(bool),
}
