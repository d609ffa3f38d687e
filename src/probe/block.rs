//! Block devices a storage node sees (shared LUNs over iSCSI/FC, multipath
//! maps, local disks) as the Shared Block guide's table: read from sysfs,
//! udev's database records and the mount table as files. No `lsblk`, no
//! `udevadm`, no root helpers, so the panel works even when those tools
//! hang; a source that cannot be read becomes a note on the device.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::block_use::{self, Sources};
use super::storage::StorageRoots;
use super::{mountinfo, udev_db, BlockDevice, Collector};

/// Walks `<sysfs>/block` and enriches each device from udev and the mount
/// table.
pub struct BlockCollector {
    roots: StorageRoots,
}

impl BlockCollector {
    /// `roots` are the real node's (`StorageRoots::system`) or a fixture's.
    pub fn new(roots: StorageRoots) -> Self {
        Self { roots }
    }
}

impl Collector for BlockCollector {
    type Output = Vec<BlockDevice>;

    fn name(&self) -> &'static str {
        "block"
    }

    fn collect(&mut self) -> Result<Vec<BlockDevice>, String> {
        list_block_devices(&self.roots)
    }
}

/// All real disks and multipath maps under `<sysfs>/block`, sorted by name.
pub fn list_block_devices(roots: &StorageRoots) -> Result<Vec<BlockDevice>, String> {
    let dir = roots.sysfs.join("block");
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}; is sysfs mounted?", dir.display()))?;
    let (mounts, mount_note) = match mountinfo::read(&roots.mountinfo) {
        Ok(m) => (Some(m), None),
        Err(e) => (None, Some(format!("mounts not known: {e}"))),
    };
    let src = Sources {
        sysfs: &roots.sysfs,
        udev: &roots.udev,
        mounts: mounts.as_ref(),
    };
    let links = by_path_links(&roots.dev);
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let dev_dir = dir.join(&name);
        let dev = if is_disk_name(&name) {
            read_disk(&dev_dir, &name)
        } else if name.starts_with("dm-") {
            match read_mpath(&dev_dir, &name) {
                Some(d) => d,
                None => continue,
            }
        } else {
            continue;
        };
        let mut dev = enrich(dev, &dev_dir, &src, &links);
        if let Some(n) = &mount_note {
            dev.notes.push(n.clone());
        }
        out.push(dev);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Adds what udev, the mount table and `holders/` know.
fn enrich(
    mut dev: BlockDevice,
    dev_dir: &Path,
    src: &Sources,
    links: &BTreeMap<String, String>,
) -> BlockDevice {
    dev.devno = read_trim(&dev_dir.join("dev"))
        .filter(|d| is_devno(d))
        .unwrap_or_default();
    let rec = if dev.devno.is_empty() {
        dev.notes
            .push("no major:minor in sysfs: udev record and mounts not looked up".into());
        None
    } else {
        match udev_db::read(src.udev, &dev.devno) {
            Ok(Some(r)) => Some(r),
            Ok(None) => {
                dev.notes.push(format!(
                    "no udev record for {} (udev not running?): WWN, by-path and signatures from sysfs only",
                    dev.devno
                ));
                None
            }
            Err(e) => {
                dev.notes.push(e);
                None
            }
        }
    };
    let get = |k: &str| rec.as_ref().and_then(|r| r.get(k)).map(str::to_string);
    dev.wwn = get("ID_WWN_WITH_EXTENSION")
        .or_else(|| get("ID_WWN"))
        .unwrap_or_else(|| wwn_from_wwid(&dev.wwid));
    dev.serial = get("ID_SERIAL").unwrap_or_default();
    dev.by_path = get("ID_PATH")
        .or_else(|| links.get(&dev.name).cloned())
        .unwrap_or_default();
    dev.in_use = block_use::reasons(dev_dir, &dev.name, &dev.devno, rec.as_ref(), src);
    dev
}

/// `major:minor` with both numbers decimal.
pub fn is_devno(s: &str) -> bool {
    s.split_once(':').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.chars().all(|c| c.is_ascii_digit())
            && b.chars().all(|c| c.is_ascii_digit())
    })
}

/// The WWN a `naa.` WWID spells (`naa.6001405ce…` -> `0x6001405ce…`);
/// other designators (`eui.`, `t10.`) have none.
pub fn wwn_from_wwid(wwid: &str) -> String {
    match wwid.strip_prefix("naa.") {
        Some(hex) if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
            format!("0x{}", hex.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

/// device name -> its `/dev/disk/by-path` link name (the first in sort
/// order when several point at it). No directory means no links.
pub fn by_path_links(dev_root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(dev_root.join("disk/by-path")) else {
        return out;
    };
    let mut names: Vec<(String, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    names.sort();
    for (link, path) in names {
        let Ok(target) = std::fs::read_link(&path) else {
            continue;
        };
        if let Some(dev) = target.file_name() {
            out.entry(dev.to_string_lossy().into_owned())
                .or_insert(link);
        }
    }
    out
}

/// Whole-disk names we show. Partitions never appear directly under
/// /sys/block; loop, ram, zram and md devices are deliberately left out.
pub fn is_disk_name(name: &str) -> bool {
    let tail_is = |prefix: &str, f: fn(char) -> bool| {
        name.strip_prefix(prefix)
            .is_some_and(|t| !t.is_empty() && t.chars().all(f))
    };
    let lower = |c: char| c.is_ascii_lowercase();
    if tail_is("sd", lower)
        || tail_is("vd", lower)
        || tail_is("xvd", lower)
        || tail_is("hd", lower)
        || tail_is("sr", |c| c.is_ascii_digit())
    {
        return true;
    }
    // nvme<ctrl>n<ns>, not the nvme<ctrl>c<x>n<y> per-path hidden nodes.
    if let Some(rest) = name.strip_prefix("nvme") {
        if let Some((ctrl, ns)) = rest.split_once('n') {
            let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
            return digits(ctrl) && digits(ns);
        }
    }
    false
}

pub(crate) fn read_trim(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

pub(crate) fn size_bytes(dev_dir: &Path) -> u64 {
    read_trim(&dev_dir.join("size"))
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0)
        .saturating_mul(512)
}

/// Last component of the `device` link when it looks like `h:c:t:l`.
pub(crate) fn hctl(dev_dir: &Path) -> String {
    let Ok(target) = std::fs::read_link(dev_dir.join("device")) else {
        return String::new();
    };
    let last = target
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parts: Vec<&str> = last.split(':').collect();
    if parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        last
    } else {
        String::new()
    }
}

fn dev_type(dev_dir: &Path) -> String {
    match read_trim(&dev_dir.join("device/type")).as_deref() {
        None | Some("0") | Some("14") => "disk".into(),
        Some("5") => "rom".into(),
        Some("1") => "tape".into(),
        Some("7") => "optical".into(),
        Some(other) => format!("type {other}"),
    }
}

fn read_disk(dev_dir: &Path, name: &str) -> BlockDevice {
    let resolved = std::fs::canonicalize(dev_dir).unwrap_or_else(|_| dev_dir.to_path_buf());
    BlockDevice {
        name: name.to_string(),
        wwid: read_trim(&dev_dir.join("device/wwid"))
            .or_else(|| read_trim(&dev_dir.join("wwid")))
            .unwrap_or_default(),
        vendor: read_trim(&dev_dir.join("device/vendor")).unwrap_or_default(),
        model: read_trim(&dev_dir.join("device/model")).unwrap_or_default(),
        hctl: hctl(dev_dir),
        dev_type: dev_type(dev_dir),
        size_bytes: size_bytes(dev_dir),
        transport: transport_of(&resolved.to_string_lossy()).to_string(),
        ..BlockDevice::default()
    }
}

/// A device-mapper node that is a multipath map (dm/uuid `mpath-<wwid>`);
/// other dm targets (LVM, crypt) are not shared block devices and are skipped.
/// Vendor, model and transport come from the first path (slave) of the map.
fn read_mpath(dev_dir: &Path, name: &str) -> Option<BlockDevice> {
    let uuid = read_trim(&dev_dir.join("dm/uuid"))?;
    let wwid = uuid.strip_prefix("mpath-")?.to_string();
    let mut slaves: Vec<String> = std::fs::read_dir(dev_dir.join("slaves"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    slaves.sort();
    let first = slaves
        .first()
        .map(|s| read_disk(&dev_dir.join("slaves").join(s), s));
    Some(BlockDevice {
        name: name.to_string(),
        wwid,
        vendor: first.as_ref().map(|d| d.vendor.clone()).unwrap_or_default(),
        model: first.as_ref().map(|d| d.model.clone()).unwrap_or_default(),
        hctl: String::new(),
        dev_type: "mpath".into(),
        size_bytes: size_bytes(dev_dir),
        transport: first
            .map(|d| d.transport)
            .unwrap_or_else(|| "unknown".into()),
        ..BlockDevice::default()
    })
}

/// Transport from the resolved sysfs device path of a disk.
pub fn transport_of(resolved: &str) -> &'static str {
    let has = |s: &str| resolved.contains(s);
    if has("/session") {
        "iscsi"
    } else if has("/rport-") {
        "fc"
    } else if has("/usb") {
        "usb"
    } else if has("/ata") {
        "sata"
    } else if has("/nvme") {
        "nvme"
    } else if has("/virtio") {
        "virtio"
    } else if has("/end_device-") || has("/sas_") || is_sas_port(resolved) {
        "sas"
    } else {
        "unknown"
    }
}

/// `/host<N>/port-<...>`: the SAS transport class's port objects.
fn is_sas_port(resolved: &str) -> bool {
    resolved.split('/').collect::<Vec<_>>().windows(2).any(|w| {
        w[0].strip_prefix("host")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            && w[1].starts_with("port-")
    })
}
