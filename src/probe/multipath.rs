//! dm-multipath maps from sysfs: every `dm-N` whose `dm/uuid` is
//! `mpath-<wwid>`, its name, size and paths (`slaves/`), and each path's
//! SCSI state (`device/state`). The selector policy and device-mapper's
//! per-path states (active/failed) come from the map's status line, which
//! `dm_status` parses when it has been read; without it the UI says they
//! are not known rather than guessing.

use std::path::{Path, PathBuf};

use super::block::{hctl, is_devno, read_trim, size_bytes};
use super::storage::{MpathPath, MultipathMap};
use super::Collector;

/// Why the policy and path-group states are not shown.
pub const POLICY_UNKNOWN: &str =
    "policy and path-group states not known (multipathd and the device-mapper status are not read)";

/// Lists the multipath maps under `<sysfs>/block`.
pub struct MultipathCollector {
    sysfs: PathBuf,
    expected_paths: usize,
}

impl MultipathCollector {
    /// `expected_paths` is `storage.multipath_paths` (0: not checked).
    pub fn new(sysfs: PathBuf, expected_paths: usize) -> Self {
        Self {
            sysfs,
            expected_paths,
        }
    }
}

impl Collector for MultipathCollector {
    type Output = Vec<MultipathMap>;

    fn name(&self) -> &'static str {
        "multipath"
    }

    fn collect(&mut self) -> Result<Vec<MultipathMap>, String> {
        list_maps(&self.sysfs, self.expected_paths)
    }
}

/// The maps sorted by name. No multipath maps is an empty list.
pub fn list_maps(sysfs: &Path, expected_paths: usize) -> Result<Vec<MultipathMap>, String> {
    let dir = sysfs.join("block");
    let rd = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}; is sysfs mounted?", dir.display()))?;
    let mut out = Vec::new();
    for entry in rd.filter_map(|e| e.ok()) {
        let dm = entry.file_name().to_string_lossy().into_owned();
        if !dm.starts_with("dm-") {
            continue;
        }
        if let Some(m) = read_map(&dir.join(&dm), &dm, expected_paths) {
            out.push(m);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.dm.cmp(&b.dm)));
    Ok(out)
}

fn read_map(dir: &Path, dm: &str, expected_paths: usize) -> Option<MultipathMap> {
    let uuid = read_trim(&dir.join("dm/uuid"))?;
    let wwid = uuid.strip_prefix("mpath-")?.to_string();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("slaves"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let paths: Vec<MpathPath> = names
        .iter()
        .map(|n| read_path(&dir.join("slaves").join(n), n))
        .collect();
    let first = names.first().map(|n| dir.join("slaves").join(n));
    let attr = |a: &str| {
        first
            .as_ref()
            .and_then(|p| read_trim(&p.join("device").join(a)))
            .unwrap_or_default()
    };
    Some(MultipathMap {
        name: read_trim(&dir.join("dm/name")).unwrap_or_else(|| dm.to_string()),
        dm: dm.to_string(),
        wwid,
        size_bytes: size_bytes(dir),
        vendor: attr("vendor"),
        model: attr("model"),
        suspended: read_trim(&dir.join("dm/suspended")).as_deref() == Some("1"),
        paths,
        expected_paths,
        policy: Err(POLICY_UNKNOWN.into()),
    })
}

fn read_path(dir: &Path, name: &str) -> MpathPath {
    MpathPath {
        name: name.to_string(),
        devno: read_trim(&dir.join("dev"))
            .filter(|d| is_devno(d))
            .unwrap_or_default(),
        hctl: hctl(dir),
        scsi_state: read_trim(&dir.join("device/state")).unwrap_or_default(),
        dm_state: None,
    }
}
