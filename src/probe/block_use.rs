//! Whether a block device is in use, and why: partitions (sysfs children
//! with a `partition` file), holders (`holders/`: a multipath map, LVM, md),
//! mounts (the mount table's `major:minor`) and signatures (udev's
//! `ID_FS_TYPE`, `ID_PART_TABLE_TYPE`), for the disk and each partition.
//! The guide warns that a LUN with partitions cannot be added; the details
//! window shows every reason found here.

use std::path::Path;

use super::block::{is_devno, read_trim};
use super::mountinfo::Mounts;
use super::storage::InUse;
use super::udev_db::{self, UdevRecord};

/// Where the reasons are read from.
pub struct Sources<'a> {
    pub sysfs: &'a Path,
    pub udev: &'a Path,
    /// `None` when the mount table could not be read.
    pub mounts: Option<&'a Mounts>,
}

/// Every reason device `name` (its sysfs directory `dev_dir`, number
/// `devno`, udev record `rec`) is in use, in a stable order.
pub fn reasons(
    dev_dir: &Path,
    name: &str,
    devno: &str,
    rec: Option<&UdevRecord>,
    src: &Sources,
) -> Vec<InUse> {
    let mut out = Vec::new();
    let parts = partitions(dev_dir, name);
    holders_of(dev_dir, name, src.sysfs, &mut out);
    if !parts.is_empty() {
        out.push(InUse::Partitions(parts.clone()));
    } else if let Some(t) = rec.and_then(|r| r.get("ID_PART_TABLE_TYPE")) {
        out.push(InUse::PartitionTable(t.to_string()));
    }
    mounted(name, devno, src, &mut out);
    signature(name, rec, &mut out);
    for p in &parts {
        let pdir = dev_dir.join(p);
        holders_of(&pdir, p, src.sysfs, &mut out);
        let Some(pdevno) = read_trim(&pdir.join("dev")).filter(|d| is_devno(d)) else {
            continue;
        };
        mounted(p, &pdevno, src, &mut out);
        if let Ok(Some(prec)) = udev_db::read(src.udev, &pdevno) {
            signature(p, Some(&prec), &mut out);
        }
    }
    out
}

/// Partition directories of a disk: children named after it that hold the
/// kernel's `partition` file, in numeric order (`sdb2` before `sdb10`).
pub fn partitions(dev_dir: &Path, name: &str) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dev_dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() > name.len() && n.starts_with(name))
        .filter(|n| dev_dir.join(n).join("partition").is_file())
        .collect();
    out.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    out
}

/// What a holder is, from its own sysfs directory.
pub fn classify_holder(sysfs: &Path, holder: &str) -> (Option<String>, String) {
    let dir = sysfs.join("block").join(holder);
    if let Some(uuid) = read_trim(&dir.join("dm/uuid")) {
        let map = read_trim(&dir.join("dm/name"));
        let what = if uuid.starts_with("mpath-") {
            return (map, "multipath".into());
        } else if uuid.starts_with("LVM-") {
            "LVM"
        } else if uuid.starts_with("CRYPT-") {
            "crypt"
        } else if uuid.starts_with("part") {
            "partition map"
        } else {
            "device-mapper"
        };
        return (map, what.into());
    }
    if holder.starts_with("md") {
        return (None, "md RAID".into());
    }
    if holder.starts_with("dm-") {
        return (read_trim(&dir.join("dm/name")), "device-mapper".into());
    }
    (None, "holder".into())
}

fn holders_of(dir: &Path, name: &str, sysfs: &Path, out: &mut Vec<InUse>) {
    let Ok(rd) = std::fs::read_dir(dir.join("holders")) else {
        return;
    };
    let mut hs: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    hs.sort();
    for h in hs {
        let (map, what) = classify_holder(sysfs, &h);
        if what == "multipath" {
            out.push(InUse::MultipathPath {
                map: map.unwrap_or_else(|| h.clone()),
                dm: h,
            });
        } else {
            let by = match map {
                Some(m) => format!("{h} {m}"),
                None => h,
            };
            out.push(InUse::Held {
                dev: name.to_string(),
                by,
                what,
            });
        }
    }
}

fn mounted(name: &str, devno: &str, src: &Sources, out: &mut Vec<InUse>) {
    let Some(m) = src.mounts.and_then(|m| m.get(devno)) else {
        return;
    };
    for at in m {
        out.push(InUse::Mounted {
            dev: name.to_string(),
            at: at.clone(),
        });
    }
}

fn signature(name: &str, rec: Option<&UdevRecord>, out: &mut Vec<InUse>) {
    match rec.and_then(|r| r.get("ID_FS_TYPE")) {
        Some("LVM2_member") => out.push(InUse::LvmPv {
            dev: name.to_string(),
        }),
        Some(fs) => out.push(InUse::Filesystem {
            dev: name.to_string(),
            fs: fs.to_string(),
        }),
        None => {}
    }
}
