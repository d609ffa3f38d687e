//! The control plane the console delegates to ("the engine").
//!
//! One trait, two implementations: `libvirt` (a standalone KVM node, the
//! default) and `zstack` (a ZStack management node). Every call is blocking
//! and is made from a collector or job thread with a hard timeout around it,
//! never from the UI thread; the trait stays synchronous so that engines can
//! use blocking client libraries (libvirt's C API, MariaDB) directly.

pub mod libvirt;
pub mod zstack;

use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use crate::job::Progress;
use crate::secret::Secret;

/// What went wrong talking to the engine, worded for the operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The control plane could not be reached at all.
    #[error("{0} unreachable: {1}")]
    Unreachable(String, String),
    /// The control plane answered with an error.
    #[error("{0}")]
    Failed(String),
    /// This engine cannot do that (the menu shows the item disabled).
    #[error("not supported by the {0} engine")]
    Unsupported(&'static str),
}

/// NODE INFO facts from the engine.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct NodeStatus {
    /// What the "service" is, e.g. `libvirtd` or `ZStack MN`.
    pub service_name: String,
    /// Is the cloud service running/reachable.
    pub service_running: bool,
    /// Is the web UI running; `None` when the engine has no web UI.
    pub ui_running: Option<bool>,
    /// Product/engine version, e.g. `libvirt 9.0.0`.
    pub version: String,
    /// Where the web UI is, when there is one.
    pub ui_url: Option<String>,
    /// License type, when the engine has licences.
    pub license: Option<String>,
    /// Further engine-specific facts, e.g. (`Hypervisor`, `QEMU 7.2.0`).
    pub extra: Vec<(String, String)>,
}

/// HOST INFO: the compute nodes of the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct HostSummary {
    pub total: u64,
    pub enabled: u64,
    pub connected: u64,
}

/// State of one VM, as the VM table shows it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum VmState {
    Running,
    Paused,
    Stopped,
    Starting,
    Stopping,
    Migrating,
    Crashed,
    Unknown,
}

impl VmState {
    pub fn label(self) -> &'static str {
        match self {
            VmState::Running => "Running",
            VmState::Paused => "Paused",
            VmState::Stopped => "Stopped",
            VmState::Starting => "Starting",
            VmState::Stopping => "Stopping",
            VmState::Migrating => "Migrating",
            VmState::Crashed => "Crashed",
            VmState::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for VmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One VM row of the per-node VM table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VmRow {
    pub uuid: String,
    pub name: String,
    pub vcpus: u32,
    pub memory_kib: u64,
    pub state: VmState,
}

/// VM INFO: counts, and on compute/storage nodes the VMs of this node.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct VmReport {
    pub total: u64,
    pub running: u64,
    pub stopped: u64,
    /// Neither running nor stopped (paused, migrating, ...).
    pub other: u64,
    /// Of `other`, the paused ones (shown by name when they are all of it).
    #[serde(default)]
    pub paused: u64,
    /// The VMs on this node, sorted by name; empty when not asked for.
    pub list: Vec<VmRow>,
}

impl VmReport {
    /// Builds the counts from a list of rows.
    pub fn from_rows(mut list: Vec<VmRow>) -> VmReport {
        list.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.uuid.cmp(&b.uuid)));
        let running = list.iter().filter(|v| v.state == VmState::Running).count() as u64;
        let stopped = list.iter().filter(|v| v.state == VmState::Stopped).count() as u64;
        let paused = list.iter().filter(|v| v.state == VmState::Paused).count() as u64;
        let total = list.len() as u64;
        VmReport {
            total,
            running,
            stopped,
            other: total - running - stopped,
            paused,
            list,
        }
    }
}

/// Which VMs `vms` should list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VmScope {
    /// Counts for the whole cloud (management node).
    Cloud,
    /// Counts and the list of VMs on this node (compute/storage node).
    ThisNode,
}

/// An operation an engine may or may not offer; the System Configuration
/// menu asks `capabilities()` and shows an item disabled, with the reason,
/// when its operation is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    ServiceControl,
    Reset,
    ResetDropDatabase,
    ConsoleProxy,
    DatabasePassword,
    MessageBusPassword,
    ManagementIp,
    DatabaseBackup,
    ClusterLogs,
}

/// Whether a capability is available, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available,
    Unavailable(String),
}

/// Engine capabilities, queried by the menu.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    pub entries: Vec<(Capability, Availability)>,
}

impl Capabilities {
    /// The availability of `cap`; unknown capabilities are unavailable.
    pub fn get(&self, cap: Capability) -> Availability {
        self.entries
            .iter()
            .find(|(c, _)| *c == cap)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| Availability::Unavailable("not provided by this engine".into()))
    }
}

/// The control plane. Implementations must be cheap to call repeatedly:
/// collectors call `status`, `hosts` and `vms` every refresh period.
pub trait Engine: Send + Sync + 'static {
    /// Lower-case service name used in typed phrases (`restart zstack`).
    fn name(&self) -> &'static str;
    /// Display name used in menu labels (`Start/Stop/Restart ZStack Service`).
    fn display_name(&self) -> &'static str;
    /// The product's install directory, watched by DISK INFO.
    fn install_dir(&self) -> Option<PathBuf>;
    /// What this engine can do, for the menu.
    fn capabilities(&self) -> Capabilities;
    /// NODE INFO.
    fn status(&self) -> Result<NodeStatus, EngineError>;
    /// HOST INFO.
    fn hosts(&self) -> Result<HostSummary, EngineError>;
    /// VM INFO.
    fn vms(&self, scope: VmScope) -> Result<VmReport, EngineError>;
    /// Where the last HOST INFO / VM INFO counts came from and how old
    /// they are (e.g. `database (REST down), 12 s ago`), for engines with
    /// more than one source; `None` otherwise.
    fn counts_source(&self) -> Option<String> {
        None
    }
    /// The control plane's service ports this node should reach, for Test
    /// Network → Cloud reachability. `management_ip` is this node's
    /// management address when known (an engine that cannot read its own
    /// uses it; the console finds it from the MN NIC). Reads files only,
    /// never a server; empty by default.
    fn service_endpoints(&self, management_ip: Option<Ipv4Addr>) -> Vec<ServiceEndpoint> {
        let _ = management_ip;
        Vec::new()
    }

    // Operations. Each is a long job: it reports through `progress`, may
    // take minutes, and returns a one-line result for the result window.
    // The defaults say "unsupported" so an engine implements only what it
    // has, and `capabilities()` tells the menu which these are.

    /// Start, stop or restart the cloud service.
    fn service(
        &self,
        action: ServiceAction,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let _ = (action, progress);
        Err(EngineError::Unsupported(self.name()))
    }
    /// Reinstall the service, keeping (`drop_database = false`) or emptying the database.
    fn reset(
        &self,
        drop_database: bool,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let _ = (drop_database, progress);
        Err(EngineError::Unsupported(self.name()))
    }
    /// The current console proxy settings, for pre-filling the form.
    fn console_proxy(&self) -> Result<ConsoleProxy, EngineError> {
        Err(EngineError::Unsupported(self.name()))
    }
    /// Set the console proxy and restart what needs restarting.
    fn set_console_proxy(
        &self,
        proxy: &ConsoleProxy,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let _ = (proxy, progress);
        Err(EngineError::Unsupported(self.name()))
    }
    /// Change a database account's password; `current_root` is the current
    /// password of the database's root account, used to connect.
    fn change_db_password(
        &self,
        account: DbAccount,
        current_root: &Secret,
        new: &Secret,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let _ = (account, current_root, new, progress);
        Err(EngineError::Unsupported(self.name()))
    }
    /// Change the message bus (RabbitMQ) account's password.
    fn change_bus_password(
        &self,
        new: &Secret,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let _ = (new, progress);
        Err(EngineError::Unsupported(self.name()))
    }
    /// Move the control plane to a new management IP.
    fn change_management_ip(
        &self,
        ip: Ipv4Addr,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let _ = (ip, progress);
        Err(EngineError::Unsupported(self.name()))
    }
    /// Write a database backup into `dest_dir`; returns the file written.
    fn backup_database(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        let _ = (dest_dir, progress);
        Err(EngineError::Unsupported(self.name()))
    }
    /// Collect the logs of the whole cluster into `dest_dir`; returns the file written.
    fn collect_cluster_logs(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        let _ = (dest_dir, progress);
        Err(EngineError::Unsupported(self.name()))
    }
}

/// A TCP port of the control plane and what a failure to reach it
/// usually means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEndpoint {
    /// What listens there ("management server REST API").
    pub name: String,
    /// An IPv4 address or a host name.
    pub host: String,
    pub port: u16,
    /// The question a failure raises ("is the management server running?").
    pub hint: String,
}

impl ServiceEndpoint {
    pub fn new(name: &str, host: &str, port: u16, hint: &str) -> ServiceEndpoint {
        ServiceEndpoint {
            name: name.into(),
            host: host.into(),
            port,
            hint: hint.into(),
        }
    }
}

/// Start/Stop/Restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAction {
    Start,
    Stop,
    Restart,
}

impl ServiceAction {
    pub fn verb(self) -> &'static str {
        match self {
            ServiceAction::Start => "start",
            ServiceAction::Stop => "stop",
            ServiceAction::Restart => "restart",
        }
    }
}

/// Console proxy address; either part may be unset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsoleProxy {
    pub ip: Option<Ipv4Addr>,
    pub port: Option<u16>,
}

/// Database accounts whose password the console changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbAccount {
    Root,
    Zstack,
}
