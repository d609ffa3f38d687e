//! What the storage node shows about its shared block devices: the rows of
//! the Shared Block guide's LUN table, why a device is "in use", the
//! dm-multipath maps with their paths, and the FC HBAs. Plain data, filled
//! by the collectors in `block`, `multipath` and `fc`, drawn by
//! `ui::panels::{block, multipath, fc}`.

use std::path::{Path, PathBuf};

/// Where the storage collectors read: sysfs, `/dev` (the `disk/by-path`
/// links), udev's database and the mount table. All four are configurable
/// so that tests run against fixture trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageRoots {
    pub sysfs: PathBuf,
    pub dev: PathBuf,
    /// udev's run directory; records are `data/b<major>:<minor>`.
    pub udev: PathBuf,
    /// The mount table (`/proc/self/mountinfo`).
    pub mountinfo: PathBuf,
}

impl StorageRoots {
    /// The real node, with sysfs at `sysfs` (the `storage.sysfs_root` key).
    pub fn system(sysfs: PathBuf) -> StorageRoots {
        StorageRoots {
            sysfs,
            dev: "/dev".into(),
            udev: "/run/udev".into(),
            mountinfo: "/proc/self/mountinfo".into(),
        }
    }

    /// A fixture tree: sysfs at `dir` itself (`dir/block`, `dir/devices`,
    /// `dir/class`), and `dir/dev`, `dir/run/udev`, `dir/proc/self/mountinfo`.
    pub fn fixture(dir: &Path) -> StorageRoots {
        StorageRoots {
            sysfs: dir.to_path_buf(),
            dev: dir.join("dev"),
            udev: dir.join("run/udev"),
            mountinfo: dir.join("proc/self/mountinfo"),
        }
    }
}

/// One reason a block device is in use (the guide: a LUN with partitions
/// cannot be added). Only what sysfs, udev's database and the mount table
/// say; `dev` names the device it was seen on (the disk or a partition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InUse {
    /// A path of a dm-multipath map.
    MultipathPath { map: String, dm: String },
    /// Partitions (sysfs children of the disk).
    Partitions(Vec<String>),
    /// A partition table signature (udev `ID_PART_TABLE_TYPE`), even empty.
    PartitionTable(String),
    /// Mounted (the mount table's `major:minor`).
    Mounted { dev: String, at: String },
    /// Held by another block device (sysfs `holders/`): a dm map that is
    /// not multipath (LVM, crypt, kpartx), an md array.
    Held {
        dev: String,
        by: String,
        what: String,
    },
    /// An LVM physical volume (udev `ID_FS_TYPE=LVM2_member`).
    LvmPv { dev: String },
    /// A file system or other signature (udev `ID_FS_TYPE`).
    Filesystem { dev: String, fs: String },
}

impl InUse {
    /// A few characters for the table's IN USE column.
    pub fn short(&self) -> String {
        match self {
            InUse::MultipathPath { .. } => "mpath".into(),
            InUse::Partitions(p) => format!("{} part", p.len()),
            InUse::PartitionTable(t) => t.clone(),
            InUse::Mounted { .. } => "mounted".into(),
            InUse::Held { what, .. } => what.clone(),
            InUse::LvmPv { .. } => "LVM PV".into(),
            InUse::Filesystem { fs, .. } => fs.clone(),
        }
    }

    /// The sentence of the details window.
    pub fn describe(&self) -> String {
        match self {
            InUse::MultipathPath { map, dm } => format!("path of multipath map {map} ({dm})"),
            InUse::Partitions(p) => format!("has partitions: {}", p.join(", ")),
            InUse::PartitionTable(t) => format!("has a {t} partition table"),
            InUse::Mounted { dev, at } => format!("{dev} is mounted on {at}"),
            InUse::Held { dev, by, what } => format!("{dev} is held by {by} ({what})"),
            InUse::LvmPv { dev } => format!("{dev} is an LVM physical volume"),
            InUse::Filesystem { dev, fs } => format!("{dev} holds a {fs} signature"),
        }
    }
}

/// One block device as the storage node shows it: the guide's WWID,
/// vendor, model, WWN, HCTL, type, capacity and path, plus whether it is
/// in use and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BlockDevice {
    pub name: String,
    /// The kernel's WWID (`device/wwid`, VPD page 0x83), e.g. `naa.6001405…`.
    pub wwid: String,
    pub vendor: String,
    pub model: String,
    /// SCSI host:channel:target:lun, empty when not SCSI.
    pub hctl: String,
    /// `disk`, `rom`, `mpath`, ...
    pub dev_type: String,
    pub size_bytes: u64,
    /// `iscsi`, `fc`, `sata`, `sas`, `usb`, `nvme`, `virtio`, ...
    pub transport: String,
    /// `major:minor` (sysfs `dev`), empty when unreadable.
    pub devno: String,
    /// World wide name: udev `ID_WWN_WITH_EXTENSION`/`ID_WWN`, else the
    /// `naa.` WWID as `0x…`.
    pub wwn: String,
    /// udev `ID_SERIAL` (`36001405…`: what multipath calls the WWID and
    /// `/dev/disk/by-id/scsi-…` is named after).
    pub serial: String,
    /// The `/dev/disk/by-path` name (udev `ID_PATH`, else the link).
    pub by_path: String,
    /// Why the device is in use; empty means nothing says it is.
    pub in_use: Vec<InUse>,
    /// Sources that could not be read (no udev record, no mount table),
    /// so "not in use" is only as good as what was read.
    pub notes: Vec<String>,
}

impl BlockDevice {
    /// The IN USE column: the first reason's short form, `+N` for more,
    /// `-` for none.
    pub fn in_use_short(&self) -> String {
        match self.in_use.as_slice() {
            [] => "-".into(),
            [one] => one.short(),
            [first, rest @ ..] => format!("{}+{}", first.short(), rest.len()),
        }
    }
}

/// A path of a dm-multipath map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MpathPath {
    /// The path's block device (`sdb`).
    pub name: String,
    pub devno: String,
    pub hctl: String,
    /// The SCSI device's state (`device/state`: running, offline,
    /// blocked, transport-offline, ...); empty when not a SCSI device.
    pub scsi_state: String,
    /// device-mapper's own view of the path (`active` / `failed`), when
    /// multipathd or the map's status said.
    pub dm_state: Option<String>,
    /// multipathd's path checker (`ready`, `faulty`, `ghost` = ALUA
    /// standby, `shaky`, ...), only when multipathd answered.
    pub checker: Option<String>,
}

impl MpathPath {
    /// `running`, `running, dm active, ready`, `offline, dm failed, faulty`:
    /// every state known, SCSI first.
    pub fn state_text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.scsi_state.is_empty() {
            parts.push(self.scsi_state.clone());
        }
        if let Some(d) = &self.dm_state {
            parts.push(format!("dm {d}"));
        }
        if let Some(c) = &self.checker {
            parts.push(c.clone());
        }
        if parts.is_empty() {
            "state not known (not SCSI)".into()
        } else {
            parts.join(", ")
        }
    }

    /// A path is healthy when its SCSI device runs, device-mapper (when
    /// known) has not failed it and multipathd's checker (when known) says
    /// ready or ghost (a standby path is healthy, just not used).
    pub fn healthy(&self) -> bool {
        let scsi_ok = self.scsi_state.is_empty() || self.scsi_state == "running";
        let dm_ok = self.dm_state.as_deref().is_none_or(|s| s == "active");
        let chk_ok = self
            .checker
            .as_deref()
            .is_none_or(|s| s == "ready" || s == "ghost");
        scsi_ok && dm_ok && chk_ok
    }
}

/// One dm-multipath map (a dm device whose `dm/uuid` is `mpath-<wwid>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipathMap {
    /// `dm/name` (`mpatha` or the WWID with user_friendly_names off).
    pub name: String,
    /// The kernel's node name (`dm-0`).
    pub dm: String,
    /// `dm/uuid` without `mpath-`.
    pub wwid: String,
    pub size_bytes: u64,
    pub vendor: String,
    pub model: String,
    /// `dm/suspended` is 1 (I/O queued while multipathd reloads).
    pub suspended: bool,
    pub paths: Vec<MpathPath>,
    /// The configured path count (`storage.multipath_paths`), 0 when not
    /// configured.
    pub expected_paths: usize,
    /// The selector policy and path-group states, when a source that knows
    /// them was read; otherwise why they are not known.
    pub policy: Result<String, String>,
}

impl MultipathMap {
    /// Why the map is degraded; empty when it is not.
    pub fn degraded(&self) -> Vec<String> {
        let mut why = Vec::new();
        if self.paths.is_empty() {
            why.push("no paths".into());
        }
        for p in &self.paths {
            if !p.healthy() {
                let scsi_ok = p.scsi_state.is_empty() || p.scsi_state == "running";
                let st = match (&p.dm_state, &p.checker) {
                    _ if !scsi_ok => p.scsi_state.clone(),
                    (_, Some(c)) if c != "ready" && c != "ghost" => c.clone(),
                    (Some(d), _) => format!("dm {d}"),
                    _ => p.scsi_state.clone(),
                };
                why.push(format!("path {} {st}", p.name));
            }
        }
        if self.expected_paths > 0 && self.paths.len() < self.expected_paths {
            why.push(format!(
                "{} of {} paths",
                self.paths.len(),
                self.expected_paths
            ));
        }
        why
    }

    /// Paths that are healthy.
    pub fn healthy_paths(&self) -> usize {
        self.paths.iter().filter(|p| p.healthy()).count()
    }
}

/// One Fibre Channel HBA port (`/sys/class/fc_host/hostN`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FcHost {
    /// `host3`.
    pub host: String,
    /// `port_name`: the WWPN zoning and LUN masking use.
    pub wwpn: String,
    pub wwnn: String,
    /// `Online`, `Linkdown`, `Offline`, ...
    pub port_state: String,
    /// `8 Gbit`, `unknown`.
    pub speed: String,
    pub fabric_name: String,
}

/// Runs every storage file parser over `data` (the cargo-fuzz target
/// `storage_parsers` and the stable property test call this): each must
/// return, whatever the bytes.
pub fn fuzz_check_parsers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let rec = super::udev_db::parse(&text);
    let _ = rec.get("ID_FS_TYPE");
    let _ = super::mountinfo::parse(&text);
    let _ = super::mountinfo::unescape(&text);
    if let (Ok(t), Ok(s)) = (
        super::dm_status::parse_table(&text),
        super::dm_status::parse_status(&text),
    ) {
        let _ = super::dm_status::summary(&t, &s);
    }
    let _ = super::dm_ioctl::find_target(data, "multipath");
    let _ = super::multipathd::parse(&text);
    let _ = super::block::wwn_from_wwid(&text);
    let _ = super::block::is_devno(&text);
}
