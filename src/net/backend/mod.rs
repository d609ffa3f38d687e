//! Persistence of network changes across reboot, behind one trait.
//!
//! Three backends, one chosen at start by [`detect`]:
//! - [`nm::NetworkManager`] over D-Bus, wherever NetworkManager runs (it
//!   owns the configuration there, writing files under it would be undone);
//! - [`ifcfg::Ifcfg`], CentOS 7 `network-scripts` files, when NetworkManager
//!   is not running;
//! - [`networkd::Networkd`], systemd-networkd `.network`/`.netdev` files.
//!
//! The file backends only write files; run-time changes go through
//! [`crate::net::link`]. Every method returns an [`Undo`] that the
//! confirm-or-revert guard keeps, so a reverted change also reverts what was
//! persisted. All file paths hang below a configurable root, so tests write
//! into temporary directories.

pub mod files;
pub mod ifcfg;
pub mod linkfile;
pub mod networkd;
pub mod nm;

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::validate::{BondConfig, Ipv4Config};
use files::FileUndo;

/// Why persisting a change failed.
#[derive(Debug, Error)]
pub enum BackendError {
    #[error("cannot write {path}: {cause}; check the file system (is it read-only or full?)")]
    Io { path: PathBuf, cause: String },
    #[error("NetworkManager: {0}")]
    NetworkManager(String),
    #[error("the NIC \"{0}\" has no MAC address, so its name cannot be pinned across reboots")]
    NoMac(String),
    #[error("{0}")]
    Invalid(String),
    #[error("no network configuration backend found (NetworkManager not running, no {0}): changes cannot be persisted")]
    NoBackend(String),
}

/// A NIC as the backends need it: name and (for matching across renames and
/// reboots) MAC address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NicId {
    pub name: String,
    /// `aa:bb:cc:dd:ee:ff`, lower case.
    pub mac: Option<String>,
}

impl NicId {
    pub fn new(name: &str, mac: Option<&str>) -> Self {
        NicId {
            name: name.to_string(),
            mac: mac.map(|m| m.to_ascii_lowercase()),
        }
    }
}

impl From<&crate::probe::Nic> for NicId {
    fn from(n: &crate::probe::Nic) -> Self {
        NicId::new(&n.name, n.mac.as_deref())
    }
}

/// Which backend persists changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    NetworkManager,
    Ifcfg,
    Networkd,
}

impl BackendKind {
    pub fn label(self) -> &'static str {
        match self {
            BackendKind::NetworkManager => "NetworkManager",
            BackendKind::Ifcfg => "ifcfg (network-scripts)",
            BackendKind::Networkd => "systemd-networkd",
        }
    }
}

/// One step of undoing a persisted change.
#[derive(Debug, Clone, PartialEq)]
pub enum UndoStep {
    File(FileUndo),
    /// Put these settings back on the NetworkManager connection at `path`.
    NmRestore {
        path: String,
        settings: nm::Settings,
    },
    /// Delete the NetworkManager connection we added at `path`.
    NmDelete {
        path: String,
    },
}

/// How to undo a persisted change (steps run in reverse order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Undo {
    pub steps: Vec<UndoStep>,
}

impl Undo {
    pub fn push(&mut self, s: UndoStep) {
        self.steps.push(s);
    }
    pub fn file(&mut self, f: FileUndo) {
        self.steps.push(UndoStep::File(f));
    }
    pub fn extend(&mut self, other: Undo) {
        self.steps.extend(other.steps);
    }
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
    /// Undoes the file steps; NetworkManager steps need the backend
    /// ([`NetBackend::undo`]).
    pub(crate) fn undo_files(&self) -> Result<(), BackendError> {
        let mut first_err = None;
        for s in self.steps.iter().rev() {
            if let UndoStep::File(f) = s {
                if let Err(e) = f.apply() {
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}

/// Runs `steps` of a file backend, undoing the files already written if one
/// fails, so a change is saved whole or not at all.
pub(crate) fn all_or_nothing(
    steps: impl FnOnce(&mut Undo) -> Result<(), BackendError>,
) -> Result<Undo, BackendError> {
    let mut undo = Undo::default();
    match steps(&mut undo) {
        Ok(()) => Ok(undo),
        Err(e) => {
            let _ = undo.undo_files();
            Err(e)
        }
    }
}

/// Persists network changes so they survive a reboot.
pub trait NetBackend: Send + Sync {
    fn kind(&self) -> BackendKind;

    /// Persists a static IPv4 address, netmask and default gateway for `nic`.
    fn persist_ipv4(&self, nic: &NicId, cfg: &Ipv4Config) -> Result<Undo, BackendError>;

    /// Persists a rename: the systemd `.link` file matched by MAC (so the
    /// kernel name is right from boot on) and the backend's own profile.
    fn persist_rename(&self, nic: &NicId, new_name: &str) -> Result<Undo, BackendError>;

    /// Persists a bond (create or edit): the bond with its mode and miimon,
    /// the slaves pointing at it, slaves removed from it released, and the
    /// bond's IPv4 configuration when given.
    fn persist_bond(
        &self,
        bond: &BondConfig,
        slaves: &[NicId],
        ipv4: Option<&Ipv4Config>,
    ) -> Result<Undo, BackendError>;

    /// Reverts what an earlier call persisted.
    fn undo(&self, undo: &Undo) -> Result<(), BackendError>;

    /// Whether this backend also applies changes at run time (NetworkManager
    /// does, by reactivating the profile); the file backends leave that to
    /// [`crate::net::link`].
    fn applies_runtime(&self) -> bool {
        false
    }

    /// For downcasting to a concrete backend (NetworkManager's `activate`).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// What [`detect`] looks at (gathered by [`Facts::gather`], or made up in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facts {
    pub nm_running: bool,
    pub networkd_running: bool,
    pub has_network_scripts: bool,
    pub has_networkd_dir: bool,
}

impl Facts {
    /// Looks at the running system below `root` (`/` on a node): NetworkManager
    /// and networkd by their run-time state directories, the file layouts by
    /// their directories.
    pub fn gather(root: &Path) -> Facts {
        let p = |s: &str| root.join(s.trim_start_matches('/'));
        Facts {
            nm_running: nm::is_running(),
            networkd_running: p("/run/systemd/netif/state").exists()
                || p("/run/systemd/netif/links").is_dir(),
            has_network_scripts: p(ifcfg::SCRIPTS_DIR).is_dir(),
            has_networkd_dir: p(networkd::NETWORK_DIR).is_dir(),
        }
    }
}

/// Chooses the backend: NetworkManager wherever it runs; else networkd where
/// it runs; else ifcfg where network-scripts exist; else networkd's files if
/// the directory exists.
pub fn choose(f: Facts) -> Option<BackendKind> {
    if f.nm_running {
        Some(BackendKind::NetworkManager)
    } else if f.networkd_running {
        Some(BackendKind::Networkd)
    } else if f.has_network_scripts {
        Some(BackendKind::Ifcfg)
    } else if f.has_networkd_dir {
        Some(BackendKind::Networkd)
    } else {
        None
    }
}

/// Detects and builds the backend for the system below `root`.
pub fn detect(root: &Path) -> Result<Box<dyn NetBackend>, BackendError> {
    match choose(Facts::gather(root)) {
        Some(BackendKind::NetworkManager) => Ok(Box::new(nm::NetworkManager::system(root)?)),
        Some(BackendKind::Ifcfg) => Ok(Box::new(ifcfg::Ifcfg::new(root))),
        Some(BackendKind::Networkd) => Ok(Box::new(networkd::Networkd::new(root))),
        None => Err(BackendError::NoBackend(format!(
            "{} or {} below {}",
            ifcfg::SCRIPTS_DIR,
            networkd::NETWORK_DIR,
            root.display()
        ))),
    }
}

/// `root` + absolute path.
pub(crate) fn under(root: &Path, abs: &str) -> PathBuf {
    root.join(abs.trim_start_matches('/'))
}
