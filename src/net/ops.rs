//! The network operations as the console runs them: run-time change plus
//! persistence, each undone if the other fails, and a revert function for the
//! confirm-or-revert guard ([`super::rollback`]).
//!
//! Typical use by the UI (off the UI thread; in `--demo` inside
//! [`super::demo::DemoNet::run`]):
//! ```no_run
//! # use std::sync::Arc;
//! # use nodeconsole::net::{change, ops, rollback, backend::{self, NicId}, validate};
//! # fn f(backend: Arc<dyn backend::NetBackend>, nic: &nodeconsole::probe::Nic) -> Result<(), ops::OpError> {
//! let cfg = validate::validate_ipv4_config("192.168.1.10", "24", "192.168.1.1").unwrap();
//! let id = NicId::new(&nic.name, nic.mac.as_deref());
//! let applied = ops::configure_ipv4(backend.as_ref(), &id, &cfg)?;
//! if change::ipv4_change(&[nic.clone()], nic, &cfg).guard.is_some() {
//!     let b = backend.clone();
//!     let pending = rollback::PendingChange::start(
//!         std::time::Duration::from_secs(60),
//!         Box::new(move || ops::revert(b.as_ref(), &applied)),
//!     );
//!     // ... show "Keep this configuration? (N s)"; then pending.keep() or pending.revert()
//! #   let _ = pending;
//! }
//! # Ok(()) }
//! ```

use std::net::Ipv4Addr;

use thiserror::Error;

use super::backend::{BackendError, NetBackend, NicId, Undo};
use super::link::{self, Ipv4Snapshot, LinkError};
use super::validate::{BondConfig, Ipv4Config};
use crate::probe::{Nic, NicKind};

/// Why an operation failed (nothing is left half done unless the message
/// says so).
#[derive(Debug, Error)]
pub enum OpError {
    #[error("{0}")]
    Link(#[from] LinkError),
    #[error("saving the change for the next boot failed: {0}; the run-time change was undone")]
    Persist(BackendError),
    #[error("saving the change for the next boot failed ({persist}); undoing the run-time change failed too ({undo}): check the NIC by hand")]
    PersistAndUndo { persist: BackendError, undo: String },
    #[error("{ip} is already in use by {mac} (it answered the ARP probe on {nic}): nothing was changed; choose another address or find that host")]
    AddressInUse {
        ip: Ipv4Addr,
        mac: String,
        nic: String,
    },
}

/// The RFC 5227 duplicate-address check Configure Networks runs before it
/// applies `ip` to `nic` (blocking, about 1.2 s): `Err(AddressInUse)` when
/// another host answers for it. An address the NIC holds already is not
/// probed (its own holder would be us). When the check cannot run (no
/// CAP_NET_RAW, NIC down) the change goes on and the returned note says
/// the check was skipped and why.
pub fn ensure_address_free(nic: &str, ip: Ipv4Addr) -> Result<Option<String>, OpError> {
    if link::ipv4_snapshot(nic).is_ok_and(|s| s.addrs.iter().any(|(a, _)| *a == ip)) {
        return Ok(None);
    }
    let never = std::sync::atomic::AtomicBool::new(false);
    match crate::diag::arp::probe(nic, ip, Default::default(), &never) {
        Ok(crate::diag::arp::ProbeResult::InUse { mac, .. }) => Err(OpError::AddressInUse {
            ip,
            mac,
            nic: nic.to_string(),
        }),
        Ok(_) => Ok(None),
        Err(e) => Ok(Some(format!("duplicate-address check skipped: {e}"))),
    }
}

/// What [`configure_ipv4`] changed, to hand to [`revert`].
#[derive(Debug, Clone)]
pub struct Applied {
    pub nic: NicId,
    /// The run-time state before (file backends; NetworkManager applies
    /// run-time changes itself).
    pub runtime_before: Option<Ipv4Snapshot>,
    /// How to undo the persisted part.
    pub persisted: Undo,
}

impl Applied {
    /// Whether applying `cfg` changed the node's default routes at run time
    /// (known for the file backends, which apply through netlink).
    pub fn default_routes_changed(&self, cfg: &Ipv4Config) -> bool {
        self.runtime_before
            .as_ref()
            .is_some_and(|b| link::plan_ipv4(b, cfg).default_routes != b.default_routes)
    }
}

/// Rename NIC: run-time rename (down → rename → up, restored on failure),
/// then persisted (systemd .link file by MAC + the backend's profile). If
/// persisting fails, the run-time rename is undone.
pub fn rename_nic(backend: &dyn NetBackend, nic: &NicId, new_name: &str) -> Result<Undo, OpError> {
    link::rename_link(&nic.name, new_name)?;
    match backend.persist_rename(nic, new_name) {
        Ok(u) => Ok(u),
        Err(persist) => match link::rename_link(new_name, &nic.name) {
            Ok(()) => Err(OpError::Persist(persist)),
            Err(e) => Err(OpError::PersistAndUndo {
                persist,
                undo: e.to_string(),
            }),
        },
    }
}

/// Undoes a [`rename_nic`] (for the confirm-or-revert guard when the
/// renamed NIC carries the management network or the default route): the
/// persisted files/profile, then the run-time name.
pub fn revert_rename(
    backend: &dyn NetBackend,
    nic: &NicId,
    new_name: &str,
    undo: &Undo,
) -> Result<(), String> {
    let mut errors = Vec::new();
    if let Err(e) = backend.undo(undo) {
        errors.push(e.to_string());
    }
    if let Err(e) = link::rename_link(new_name, &nic.name) {
        errors.push(e.to_string());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Configure Networks: applies the IPv4 address, netmask and default gateway
/// at run time and persists them. With NetworkManager the profile is updated
/// and re-activated (NetworkManager applies it); with the file backends the
/// files are written and the change applied through netlink.
pub fn configure_ipv4(
    backend: &dyn NetBackend,
    nic: &NicId,
    cfg: &Ipv4Config,
) -> Result<Applied, OpError> {
    if backend.applies_runtime() {
        let persisted = backend.persist_ipv4(nic, cfg).map_err(OpError::Persist)?;
        if let Some(nm) = as_nm(backend) {
            if let Err(e) = nm.activate(&nic.name) {
                let _ = backend.undo(&persisted);
                return Err(OpError::Persist(e));
            }
        }
        return Ok(Applied {
            nic: nic.clone(),
            runtime_before: None,
            persisted,
        });
    }
    let before = link::apply_ipv4(&nic.name, cfg)?;
    match backend.persist_ipv4(nic, cfg) {
        Ok(persisted) => Ok(Applied {
            nic: nic.clone(),
            runtime_before: Some(before),
            persisted,
        }),
        Err(persist) => match link::restore_ipv4(&before) {
            Ok(()) => Err(OpError::Persist(persist)),
            Err(e) => Err(OpError::PersistAndUndo {
                persist,
                undo: e.to_string(),
            }),
        },
    }
}

/// Puts back what [`configure_ipv4`] changed: the persisted files/profile
/// and the run-time addresses and default route. The shape of
/// [`super::rollback::RevertFn`].
pub fn revert(backend: &dyn NetBackend, applied: &Applied) -> Result<(), String> {
    let mut errors = Vec::new();
    if let Err(e) = backend.undo(&applied.persisted) {
        errors.push(e.to_string());
    }
    match &applied.runtime_before {
        Some(before) => {
            if let Err(e) = link::restore_ipv4(before) {
                errors.push(e.to_string());
            }
        }
        None => {
            // NetworkManager: re-activate the restored profile. When the
            // undo deleted a profile we had added, NetworkManager has already
            // taken its configuration off the device.
            if let Some(nm) = as_nm(backend) {
                let has_profile = nm.find(&applied.nic).map(|f| f.is_some());
                match has_profile {
                    Ok(true) => {
                        if let Err(e) = nm.activate(&applied.nic.name) {
                            errors.push(e.to_string());
                        }
                    }
                    Ok(false) => {}
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Bonds: persists the bond (the kernel applies it at the next boot or
/// `systemctl restart network`) and, where the kernel supports bonding and
/// the bond does not exist yet, creates it at run time too.
pub fn save_bond(
    backend: &dyn NetBackend,
    bond: &BondConfig,
    slaves: &[NicId],
    ipv4: Option<&Ipv4Config>,
) -> Result<Undo, OpError> {
    let undo = backend
        .persist_bond(bond, slaves, ipv4)
        .map_err(OpError::Persist)?;
    if matches!(link::get_link(&bond.name), Err(LinkError::NotFound(_))) {
        match link::create_bond(bond) {
            Ok(()) => {
                if let Some(cfg) = ipv4 {
                    link::apply_ipv4(&bond.name, cfg)?;
                }
            }
            // Persisted; the running kernel cannot do bonds. Not an error
            // for the saved configuration, but say so in the log.
            Err(LinkError::Unsupported(what)) => {
                tracing::warn!(bond = %bond.name, "kernel has no {what} support; bond saved for the next boot only")
            }
            Err(e) => {
                let _ = backend.undo(&undo);
                return Err(e.into());
            }
        }
    }
    Ok(undo)
}

fn as_nm(backend: &dyn NetBackend) -> Option<&super::backend::nm::NetworkManager> {
    backend.as_any().downcast_ref()
}

/// The NICs Configure Networks lists: those that are up, bonds first, then
/// physical NICs, then other logical ones; slaves of a bond or bridge are
/// left out (their addresses belong on the master).
pub fn configurable_nics(nics: &[Nic]) -> Vec<&Nic> {
    let rank = |k: &NicKind| match k {
        NicKind::Bond => 0,
        NicKind::Physical => 1,
        NicKind::Loopback => 9,
        _ => 2,
    };
    let mut v: Vec<&Nic> = nics
        .iter()
        .filter(|n| n.up && n.master.is_none() && n.kind != NicKind::Loopback)
        .collect();
    v.sort_by_key(|n| (rank(&n.kind), n.name.clone()));
    v
}

/// The form's pre-filled values for a NIC: its first IPv4 address and
/// netmask (the gateway is left empty on purpose: the operator must type
/// it).
pub fn prefill(nic: &Nic) -> (String, String, String) {
    match nic.ipv4.first() {
        Some((ip, prefix)) => (
            ip.to_string(),
            super::validate::prefix_to_mask(*prefix).to_string(),
            String::new(),
        ),
        None => (String::new(), String::new(), String::new()),
    }
}

/// Set Management Network, node side: the (NIC, address) pairs the
/// management network can use: every IPv4 address on an up, non-slave NIC.
pub fn management_candidates(nics: &[Nic]) -> Vec<(String, Ipv4Addr)> {
    configurable_nics(nics)
        .into_iter()
        .flat_map(|n| n.ipv4.iter().map(move |(ip, _)| (n.name.clone(), *ip)))
        .collect()
}

/// The two lines of the confirmation window ("before → after") for
/// Configure Networks, from the current run-time state and the new
/// configuration.
pub fn confirm_lines(before: &Ipv4Snapshot, after: &Ipv4Config) -> (String, String) {
    let addrs = if before.addrs.is_empty() {
        "no IPv4 address".to_string()
    } else {
        before
            .addrs
            .iter()
            .map(|(ip, p)| format!("{ip}/{p} ({})", super::validate::prefix_to_mask(*p)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let gw = before
        .gateway()
        .map_or_else(|| "no gateway".to_string(), |g| format!("gateway {g}"));
    (
        format!("before: {} {addrs} {gw}", before.link),
        format!("after:  {} {after}", before.link),
    )
}
