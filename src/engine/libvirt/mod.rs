//! The libvirt engine: a standalone KVM node (or libvirt's test driver for
//! the demo and the tests).
//!
//! The node's "cloud" is the node itself: one host, its domains are the
//! VMs, its "service" is `libvirtd`, and its "database" is libvirt's set of
//! persistent definitions (domains, networks, storage pools), which
//! [`backup`] exports as a tarball.
//!
//! The libvirt calls sit behind [`NodeCalls`], made either in this process
//! ([`LibvirtNode`], for tests, benchmarks and the helper itself) or, in the
//! console, in the `nodeconsole-virt` helper process ([`helper`]). The
//! helper keeps libvirt's C library chain (libvirt, gnutls, libxml2, glib,
//! ICU, libcrypto, ...) out of the console process, where it was two
//! thirds of the resident size, and turns a libvirt call that hangs for
//! good into a helper that is stopped and started again instead of a
//! thread stuck forever inside the console.

mod backup;
pub mod convert;
pub mod helper;
mod node;

use std::path::{Path, PathBuf};

use crate::engine::{
    Availability, Capabilities, Capability, Engine, EngineError, HostSummary, NodeStatus, VmReport,
    VmScope,
};
use crate::job::Progress;

pub use node::LibvirtNode;

/// The URI a real compute node uses.
pub const SYSTEM_URI: &str = "qemu:///system";

/// Name used in typed phrases and in errors.
const NAME: &str = "libvirt";

/// The libvirt calls the engine makes, wherever they run. All blocking;
/// callers bound them with their own timeouts.
pub trait NodeCalls: Send + Sync + 'static {
    /// NODE INFO facts.
    fn status(&self) -> Result<NodeStatus, EngineError>;
    /// HOST INFO: this node, if it answers.
    fn hosts(&self) -> Result<HostSummary, EngineError>;
    /// VM INFO: the domains.
    fn vms(&self, scope: VmScope) -> Result<VmReport, EngineError>;
    /// Writes the definitions tarball into `dest_dir`.
    fn backup_database(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError>;
    /// Drops the connection so the next call reconnects (the daemon is
    /// about to be stopped or restarted).
    fn forget_connection(&self);
    /// Whether a connection (or, for the helper, a helper process) is
    /// currently held; it may still be dead.
    fn is_connected(&self) -> bool;
}

/// A libvirt node as the console's engine.
pub struct LibvirtEngine {
    uri: String,
    calls: Box<dyn NodeCalls>,
    /// The systemd unit that is "the service" and the bus of its manager;
    /// `None` for the test driver, which has no service.
    service: Option<(String, crate::ops::BusTarget)>,
}

impl std::fmt::Debug for LibvirtEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibvirtEngine")
            .field("uri", &self.uri)
            .field("connected", &self.calls.is_connected())
            .finish()
    }
}

impl LibvirtEngine {
    /// An engine for `uri` (e.g. `qemu:///system`, `test:///default`,
    /// `test:///abs/path/node.xml`) that calls libvirt in this process.
    /// Never blocks and never fails: the connection is made on the first
    /// call.
    pub fn new(uri: &str) -> LibvirtEngine {
        LibvirtEngine::with_calls(uri, Box::new(LibvirtNode::new(uri)))
    }

    /// An engine for `uri` whose libvirt calls run in the helper program
    /// `helper` (see [`helper::locate`]); what the console uses. Never
    /// blocks: the helper starts on the first call.
    pub fn via_helper(uri: &str, helper: PathBuf) -> LibvirtEngine {
        let node = helper::HelperNode::new(helper::HelperCommand {
            program: helper,
            uri: uri.to_owned(),
        });
        LibvirtEngine::with_calls(uri, Box::new(node))
    }

    /// An engine for `uri` over any [`NodeCalls`].
    pub fn with_calls(uri: &str, calls: Box<dyn NodeCalls>) -> LibvirtEngine {
        let service = (!uri.starts_with("test:")).then(|| {
            (
                "libvirtd.service".to_string(),
                crate::ops::BusTarget::System,
            )
        });
        LibvirtEngine {
            uri: uri.to_owned(),
            calls,
            service,
        }
    }

    /// Uses `unit` on the systemd manager at `bus` as the service
    /// (tests point it at a private `systemd --user`).
    pub fn with_service(mut self, unit: &str, bus: crate::ops::BusTarget) -> LibvirtEngine {
        self.service = Some((unit.to_owned(), bus));
        self
    }

    /// The URI this engine connects to.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Whether a connection is currently held (it may still be dead).
    pub fn is_connected(&self) -> bool {
        self.calls.is_connected()
    }
}

/// libvirtd's remote ports on the management address (loopback when it
/// is unknown). They are open only when libvirtd listens on TCP
/// (`libvirtd-tcp.socket` / `libvirtd-tls.socket`, or `--listen`): a
/// standalone node usually uses the local socket only, so the hint says
/// that a refusal may be normal.
pub fn service_endpoints(
    management_ip: Option<std::net::Ipv4Addr>,
) -> Vec<crate::engine::ServiceEndpoint> {
    use crate::engine::ServiceEndpoint;
    let host = management_ip
        .unwrap_or(std::net::Ipv4Addr::LOCALHOST)
        .to_string();
    vec![
        ServiceEndpoint::new(
            "libvirtd TCP",
            &host,
            16509,
            "open only when libvirtd listens on TCP (libvirtd-tcp.socket)",
        ),
        ServiceEndpoint::new(
            "libvirtd TLS",
            &host,
            16514,
            "open only when libvirtd listens on TLS (libvirtd-tls.socket)",
        ),
    ]
}

impl Engine for LibvirtEngine {
    fn name(&self) -> &'static str {
        NAME
    }

    fn display_name(&self) -> &'static str {
        "libvirt"
    }

    fn install_dir(&self) -> Option<PathBuf> {
        Some(PathBuf::from("/var/lib/libvirt"))
    }

    fn service_endpoints(
        &self,
        management_ip: Option<std::net::Ipv4Addr>,
    ) -> Vec<crate::engine::ServiceEndpoint> {
        service_endpoints(management_ip)
    }

    fn service(
        &self,
        action: crate::engine::ServiceAction,
        progress: &mut dyn crate::job::Progress,
    ) -> Result<String, EngineError> {
        use crate::ops::systemd::{unit_action, UnitAction};
        let Some((unit, bus)) = &self.service else {
            return Err(EngineError::Unsupported("libvirt test driver"));
        };
        let (ua, verb) = match action {
            crate::engine::ServiceAction::Start => (UnitAction::Start, "start"),
            crate::engine::ServiceAction::Stop => (UnitAction::Stop, "stop"),
            crate::engine::ServiceAction::Restart => (UnitAction::Restart, "restart"),
        };
        progress.phase(&format!("Asking systemd to {verb} {unit}..."));
        // The daemon goes away under a stop/restart: drop our connection
        // so the collectors reconnect cleanly.
        self.calls.forget_connection();
        let result = unit_action(bus, unit, ua, std::time::Duration::from_secs(180))
            .map_err(|e| EngineError::Failed(e.to_string()))?;
        progress.line(&format!("systemd job result: {result}"));
        if result == "done" {
            Ok(format!("{unit}: {verb} done"))
        } else {
            Err(EngineError::Failed(format!(
                "the {verb} job of {unit} ended as \"{result}\"; see journalctl -u {unit}"
            )))
        }
    }

    fn capabilities(&self) -> Capabilities {
        use Availability::{Available, Unavailable};
        let no = |why: &str| Unavailable(why.to_owned());
        Capabilities {
            entries: vec![
                (Capability::DatabaseBackup, Available),
                (
                    Capability::ServiceControl,
                    match &self.service {
                        Some(_) => Available,
                        None => no("the test driver lives inside the libvirt helper; there is no service to start or stop"),
                    },
                ),
                (
                    Capability::Reset,
                    no("a standalone libvirt node has no reinstall; reinstall from the ISO"),
                ),
                (
                    Capability::ResetDropDatabase,
                    no("a standalone libvirt node has no database to drop; reinstall from the ISO"),
                ),
                (Capability::ConsoleProxy, no("libvirt has no console proxy")),
                (
                    Capability::DatabasePassword,
                    no("a standalone libvirt node has no database accounts"),
                ),
                (
                    Capability::MessageBusPassword,
                    no("a standalone libvirt node has no message bus"),
                ),
                (
                    Capability::ManagementIp,
                    no("a standalone libvirt node has no management server; use Configure Networks"),
                ),
                (
                    Capability::ClusterLogs,
                    no("a standalone libvirt node has no cluster; collect this node's logs instead"),
                ),
            ],
        }
    }

    fn status(&self) -> Result<NodeStatus, EngineError> {
        self.calls.status()
    }

    fn hosts(&self) -> Result<HostSummary, EngineError> {
        self.calls.hosts()
    }

    fn vms(&self, scope: VmScope) -> Result<VmReport, EngineError> {
        self.calls.vms(scope)
    }

    fn backup_database(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        self.calls.backup_database(dest_dir, progress)
    }
}
