//! The libvirt calls themselves, made in this process through libvirt's C
//! library (the `virt` crate).
//!
//! The console process does not run this code: it talks to the
//! `nodeconsole-virt` helper ([`super::helper`]), which does. Tests,
//! benchmarks and the helper use it directly.
//!
//! The connection is opened lazily, on the first call, and dropped on any
//! error so the next call reconnects: the collector runner calls again with
//! backoff, and a restarted libvirtd is picked up without restarting
//! anything. Every call here is blocking; remote connections get libvirt
//! keepalives so a dead daemon turns into an error, not a hang.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};

use virt::connect::Connect;
use virt::error::ErrorNumber;

use crate::engine::{EngineError, HostSummary, NodeStatus, VmReport, VmRow, VmScope};
use crate::job::Progress;

use super::backup;
use super::convert::{error_text, format_version, vm_state};
use super::{NodeCalls, NAME};

/// Keepalive for remote connections: a probe every 5 s, give up after 3
/// unanswered ones, so a hung daemon fails a call in about 20 s.
const KEEPALIVE_INTERVAL_S: i32 = 5;
const KEEPALIVE_COUNT: u32 = 3;

/// A connection (made on demand) to one libvirt URI.
///
/// `Send + Sync`: libvirt connections are thread-safe (the `virt` crate
/// marks `Connect` `Send + Sync`), and the slot holding it is a mutex
/// that is held only to take or replace the handle, never during a call,
/// so a slow call cannot stall other collectors behind the lock.
pub struct LibvirtNode {
    uri: String,
    conn: Mutex<Option<Connect>>,
}

impl std::fmt::Debug for LibvirtNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LibvirtNode")
            .field("uri", &self.uri)
            .field("connected", &self.slot().is_some())
            .finish()
    }
}

impl LibvirtNode {
    /// A node for `uri` (e.g. `qemu:///system`, `test:///default`,
    /// `test:///abs/path/node.xml`). Never blocks and never fails: the
    /// connection is made on the first call.
    pub fn new(uri: &str) -> LibvirtNode {
        silence_libvirt_stderr();
        LibvirtNode {
            uri: uri.to_owned(),
            conn: Mutex::new(None),
        }
    }

    /// Whether a connection is currently held (it may still be dead).
    pub fn is_connected(&self) -> bool {
        self.slot().is_some()
    }

    fn slot(&self) -> MutexGuard<'_, Option<Connect>> {
        crate::sync::lock(&self.conn)
    }

    /// The held connection, or a new one. The open happens outside the
    /// lock: two callers may race to open, and the loser's handle is
    /// simply closed.
    fn connection(&self) -> Result<Connect, EngineError> {
        if let Some(c) = self.slot().as_ref() {
            return Ok(c.clone());
        }
        if self.uri.contains('\0') {
            return Err(EngineError::Unreachable(
                NAME.into(),
                format!("the configured URI {:?} contains a NUL byte; fix the engine URI in the configuration", self.uri),
            ));
        }
        let conn = Connect::open(Some(&self.uri)).map_err(|e| self.unreachable(&e))?;
        if is_remote(&self.uri) {
            // Errors here only mean "no keepalive"; calls still work.
            let _ = conn.set_keep_alive(KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT);
        }
        tracing::info!(uri = %self.uri, "connected to libvirt");
        let mut slot = self.slot();
        match slot.as_ref() {
            Some(existing) => Ok(existing.clone()),
            None => {
                *slot = Some(conn.clone());
                Ok(conn)
            }
        }
    }

    /// Closes the held connection, so the next call reconnects.
    pub fn forget_connection(&self) {
        if self.slot().take().is_some() {
            tracing::info!(uri = %self.uri, "dropped the libvirt connection");
        }
    }

    fn unreachable(&self, err: &virt::error::Error) -> EngineError {
        let mut reason = error_text(err);
        if !self.uri.starts_with("test:") {
            reason.push_str(&format!(
                " (URI {}; check that libvirtd is running: systemctl status libvirtd)",
                self.uri
            ));
        }
        EngineError::Unreachable(NAME.into(), reason)
    }

    /// Runs `f` on the connection. On an error the connection is dropped;
    /// the error is `Unreachable` when the connection itself is gone and
    /// `Failed` (naming `what`) when libvirt refused the request.
    fn with_conn<T>(
        &self,
        what: &str,
        f: impl FnOnce(&Connect) -> Result<T, virt::error::Error>,
    ) -> Result<T, EngineError> {
        let conn = self.connection()?;
        f(&conn).map_err(|e| self.call_failed(&conn, what, &e))
    }

    fn call_failed(&self, conn: &Connect, what: &str, err: &virt::error::Error) -> EngineError {
        let alive = conn.is_alive().unwrap_or(false);
        tracing::warn!(uri = %self.uri, "libvirt: {what} failed: {}", error_text(err));
        self.forget_connection();
        if alive {
            EngineError::Failed(format!("libvirt: {what} failed: {}", error_text(err)))
        } else {
            self.unreachable(err)
        }
    }
}

/// libvirt's default error handler prints every error to stderr, which
/// would scribble over the console's screen on tty1; errors reach us as
/// return values anyway.
fn silence_libvirt_stderr() {
    static ONCE: Once = Once::new();
    ONCE.call_once(virt::error::clear_error_callback);
}

/// Whether `uri` goes through a daemon socket (where keepalive applies).
fn is_remote(uri: &str) -> bool {
    !uri.starts_with("test:")
}

/// Reads the rows of all domains, active and inactive. A domain that
/// disappears between listing and reading (undefined meanwhile) is
/// skipped, not an error.
fn read_vm_rows(conn: &Connect) -> Result<Vec<VmRow>, virt::error::Error> {
    let domains = conn.list_all_domains(0)?;
    let mut rows = Vec::with_capacity(domains.len());
    for dom in domains {
        let info = match dom.info() {
            Ok(info) => info,
            Err(e) if e.code().is(ErrorNumber::NoDomain) => continue,
            Err(e) => return Err(e),
        };
        rows.push(VmRow {
            uuid: dom.uuid_string()?,
            name: dom.name()?,
            vcpus: info.nr_virt_cpu,
            // The configured size (<memory>), as the cloud's VM tables
            // show it; the balloon's current size varies with the guest.
            memory_kib: info.max_mem,
            state: vm_state(info.state),
        });
    }
    Ok(rows)
}

fn hypervisor_label(conn: &Connect) -> Result<String, virt::error::Error> {
    let driver = conn.driver_type()?;
    Ok(match conn.hyp_version() {
        Ok(v) if v > 0 => format!("{driver} {}", format_version(u64::from(v))),
        _ => driver,
    })
}

impl NodeCalls for LibvirtNode {
    fn status(&self) -> Result<NodeStatus, EngineError> {
        self.with_conn("reading the node status", |c| {
            let version = format!("libvirt {}", format_version(u64::from(c.lib_version()?)));
            let hypervisor = hypervisor_label(c)?;
            let uri = c.uri()?;
            let host = c.hostname()?;
            let alive = c.is_alive()?;
            Ok(NodeStatus {
                service_name: "libvirtd".into(),
                service_running: alive,
                ui_running: None,
                version,
                ui_url: None,
                license: None,
                extra: vec![
                    ("Hypervisor".into(), hypervisor),
                    ("URI".into(), uri),
                    ("Host".into(), host),
                ],
            })
        })
    }

    fn hosts(&self) -> Result<HostSummary, EngineError> {
        // A round trip proves the node answers, not just that a handle exists.
        self.with_conn("asking the node for its host name", |c| c.hostname())?;
        Ok(HostSummary {
            total: 1,
            enabled: 1,
            connected: 1,
        })
    }

    fn vms(&self, scope: VmScope) -> Result<VmReport, EngineError> {
        let rows = self.with_conn("listing the domains", read_vm_rows)?;
        let mut report = VmReport::from_rows(rows);
        if scope == VmScope::Cloud {
            report.list.clear();
        }
        Ok(report)
    }

    fn backup_database(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        progress.phase(&format!("Connecting to libvirt at {}", self.uri));
        let conn = self.connection()?;
        backup::export_definitions(&conn, dest_dir, progress).map_err(|e| match e {
            backup::BackupError::Libvirt { what, err } => self.call_failed(&conn, &what, &err),
            other => EngineError::Failed(other.to_string()),
        })
    }

    fn forget_connection(&self) {
        LibvirtNode::forget_connection(self);
    }

    fn is_connected(&self) -> bool {
        LibvirtNode::is_connected(self)
    }
}
