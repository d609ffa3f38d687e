//! The services a feature's request runs against: the engine, the network
//! backend, PAM, logind, the exports, the management NIC's addresses.
//! Built once in `main.rs` (tests build their own) and shared read-only
//! by every task; a service this node lacks is an `Err` with the reason,
//! which the feature's availability and the request both report.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::config::EngineKind;
use crate::engine::{Availability, Engine};
use crate::export::jobs::ExportService;
use crate::features::NodeFeatures;
use crate::net::backend::NetBackend;
use crate::net::demo::DemoNet;
use crate::ops::auth::Pam;
use crate::ops::BusTarget;

/// Everything a request may call.
pub struct Services {
    pub engine: Arc<dyn Engine>,
    pub engine_kind: EngineKind,
    /// PAM of the root password gate; `Err` when it must not be used (the
    /// demo without pam_wrapper must never reach real accounts).
    pub pam: Result<Arc<Pam>, String>,
    /// The terminal the console runs on (PAM_TTY, the audit trail).
    pub tty: Option<String>,
    /// logind, for reboot and power off.
    pub logind: Logind,
    /// Exports (Collect Logs, Backup Database) and their HTTP server.
    pub exports: Result<Arc<ExportService>, String>,
    /// Network operations; `Err` when no persistence backend was found.
    pub net: Result<Arc<NetContext>, String>,
    /// Finds the management NIC's addresses for export URLs.
    pub mn: MnAddrs,
    /// Where the audit records are kept (View Audit Log reads them).
    pub audit: crate::features::audit_log::Trail,
    /// The runtime, for requests that wait on async services (exports).
    pub rt: tokio::runtime::Handle,
}

impl Services {
    /// PAM, or why it is disabled.
    pub fn pam(&self) -> Result<&Pam, String> {
        self.pam
            .as_deref()
            .map_err(|why| format!("PAM is disabled: {why}"))
    }

    /// The node side of the features' availability.
    pub fn node_features(&self) -> NodeFeatures {
        fn avail<T>(r: &Result<T, String>) -> Availability {
            match r {
                Ok(_) => Availability::Available,
                Err(e) => Availability::Unavailable(e.clone()),
            }
        }
        NodeFeatures {
            network: avail(&self.net),
            collect_logs: avail(&self.exports),
            exports: avail(&self.exports),
            audit_log: self.audit.availability(),
        }
    }
}

/// Where reboot and power off go.
#[derive(Debug, Clone)]
pub struct Logind {
    pub bus: BusTarget,
    /// Demo mode: power requests only say what would be called.
    pub demo: bool,
}

/// Where network operations run: the persistence backend, and in `--demo`
/// the private namespace every operation must run inside.
pub struct NetContext {
    pub backend: Arc<dyn NetBackend>,
    pub demo: Option<Arc<DemoNet>>,
    /// How long a guarded change waits for "keep".
    pub rollback: Duration,
}

impl NetContext {
    /// Runs `f` in the right network namespace (blocking).
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        match &self.demo {
            Some(d) => d.run(f),
            None => f(),
        }
    }
}

/// How to find the management NIC's addresses (the export server binds
/// there and the URLs name them).
#[derive(Debug, Clone)]
pub struct MnAddrs {
    pub management_ip: Option<std::net::Ipv4Addr>,
    pub sysfs_root: std::path::PathBuf,
}

impl MnAddrs {
    /// IPv4 addresses of the NIC marked MN (blocking: a netlink dump).
    pub fn lookup(&self) -> Vec<IpAddr> {
        crate::probe::nic::list_nics(self.management_ip, &self.sysfs_root)
            .map(|nics| {
                nics.into_iter()
                    .filter(|n| n.is_mn)
                    .flat_map(|n| n.ipv4.into_iter().map(|(a, _)| IpAddr::V4(a)))
                    .collect()
            })
            .unwrap_or_default()
    }
}
