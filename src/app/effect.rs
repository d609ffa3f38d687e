//! Effects: what the pure app state asks the outside world to do. The event
//! loop hands each to the executor, which runs it off the UI thread with a
//! timeout and answers with an `UpdateData` message.

use crate::engine::ServiceAction;
use crate::secret::Secret;

/// Why the root password is being asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatePurpose {
    SystemConfiguration,
    Power,
}

/// Reboot or power off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerChoice {
    Reboot,
    PowerOff,
}

impl PowerChoice {
    /// The phrase the operator must type.
    pub fn phrase(self) -> &'static str {
        match self {
            PowerChoice::Reboot => "REBOOT",
            PowerChoice::PowerOff => "POWEROFF",
        }
    }
    /// The logind method called.
    pub fn method(self) -> &'static str {
        match self {
            PowerChoice::Reboot => "Reboot",
            PowerChoice::PowerOff => "PowerOff",
        }
    }
}

/// A long operation run as a job with a progress window.
#[derive(Debug, Clone)]
pub enum JobRequest {
    Service(ServiceAction),
    Reset {
        drop_database: bool,
    },
    /// Collect Logs: this node's, or the whole cluster's through the engine.
    CollectLogs {
        cluster: bool,
    },
    /// Backup Database through the engine, exported for download.
    BackupDatabase,
    /// Test Network: ICMP echo to a target.
    Ping {
        target: String,
    },
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
    /// Change a database account's password (needs the current database
    /// root password).
    DbPassword {
        account: crate::engine::DbAccount,
        current_root: Secret,
        new: Secret,
    },
    /// Change the message bus account's password, after the system root
    /// password is checked again.
    BusPassword {
        root: Secret,
        new: Secret,
    },
    /// Set the console proxy.
    ConsoleProxy(crate::engine::ConsoleProxy),
}

impl JobRequest {
    /// Title of the progress and result windows.
    pub fn title(&self, engine_display: &str) -> String {
        match self {
            JobRequest::Service(a) => {
                let verb = a.verb();
                let mut v = verb.to_string();
                v[..1].make_ascii_uppercase();
                format!("{v} {engine_display} Service")
            }
            JobRequest::Reset {
                drop_database: false,
            } => format!("Reset {engine_display} Service"),
            JobRequest::Reset {
                drop_database: true,
            } => format!("Reset {engine_display} Service & Drop Database"),
            JobRequest::CollectLogs { cluster: false } => "Collect Logs (this node)".into(),
            JobRequest::CollectLogs { cluster: true } => "Collect Logs (cluster)".into(),
            JobRequest::BackupDatabase => "Backup Database".into(),
            JobRequest::Ping { target } => format!("Test Network: {target}"),
            JobRequest::RenameNic { old, new, .. } => format!("Rename NIC {old} -> {new}"),
            JobRequest::ConfigureIpv4 { nic, .. } => format!("Configure {nic}"),
            JobRequest::SaveBond { bond, .. } => format!("Create bond {}", bond.name),
            JobRequest::ManagementIp(ip) => format!("Set Management Network: {ip}"),
            JobRequest::DbPassword { account, .. } => match account {
                crate::engine::DbAccount::Root => "Change MySQL root password".into(),
                crate::engine::DbAccount::Zstack => "Change MySQL zstack password".into(),
            },
            JobRequest::BusPassword { .. } => "Change RabbitMQ zstack password".into(),
            JobRequest::ConsoleProxy(_) => "Configure Console Proxy".into(),
        }
    }
    /// Whether stopping half-way is safe: an export can be abandoned (its
    /// partial file is removed); a service operation cannot.
    pub fn cancellable(&self) -> bool {
        matches!(
            self,
            JobRequest::CollectLogs { .. } | JobRequest::BackupDatabase | JobRequest::Ping { .. }
        )
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
    /// Change the root password with PAM chauthtok.
    ChangeRootPassword { old: Secret, new: Secret },
    /// Ask logind to reboot or power off.
    Power(PowerChoice),
    /// Run a long job.
    Job(JobRequest),
    /// Ask the running job to stop.
    CancelJob,
    /// Keep (`true`) or revert (`false`) a guarded network change.
    KeepChange(bool),
    /// Read the current console proxy settings to pre-fill the form.
    LoadConsoleProxy,
}
