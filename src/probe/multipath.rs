//! dm-multipath maps from sysfs: every `dm-N` whose `dm/uuid` is
//! `mpath-<wwid>`, its name, size and paths (`slaves/`), and each path's
//! SCSI state (`device/state`). The selector policy and device-mapper's
//! per-path states (active/failed) come from the map's table and status
//! lines (`dm_ioctl` reads them, `dm_status` parses them); when they cannot
//! be read the UI says why they are not known rather than guessing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::block::{hctl, is_devno, read_trim, size_bytes};
use super::dm_ioctl::DmControl;
use super::storage::{MpathPath, MultipathMap};
use super::{dm_status, multipathd, Collector};

/// Why the policy and path-group states are not shown (before the
/// device-mapper status is read).
pub const POLICY_UNKNOWN: &str =
    "policy and path-group states not known (device-mapper status not read)";

/// Lists the multipath maps under `<sysfs>/block`.
pub struct MultipathCollector {
    sysfs: PathBuf,
    dev: PathBuf,
    expected_paths: usize,
    /// multipathd's socket (`@name` abstract); empty: not asked.
    multipathd: String,
}

impl MultipathCollector {
    /// `dev` holds `mapper/control`; `expected_paths` is
    /// `storage.multipath_paths` (0: not checked).
    pub fn new(sysfs: PathBuf, dev: PathBuf, expected_paths: usize) -> Self {
        Self {
            sysfs,
            dev,
            expected_paths,
            multipathd: String::new(),
        }
    }

    /// Asks multipathd at `socket` first (`storage.multipathd_socket`).
    pub fn with_multipathd(mut self, socket: String) -> Self {
        self.multipathd = socket;
        self
    }
}

/// How long one multipathd exchange may take (the collector's timeout is 2 s).
const MULTIPATHD_TIMEOUT: Duration = Duration::from_millis(700);

impl Collector for MultipathCollector {
    type Output = Vec<MultipathMap>;

    fn name(&self) -> &'static str {
        "multipath"
    }

    fn collect(&mut self) -> Result<Vec<MultipathMap>, String> {
        let mut maps = list_maps(&self.sysfs, self.expected_paths)?;
        if maps.is_empty() {
            return Ok(maps);
        }
        let asked = (!self.multipathd.is_empty()).then(|| {
            multipathd::command(&self.multipathd, "show maps json", MULTIPATHD_TIMEOUT)
                .and_then(|j| multipathd::parse(&j))
        });
        match asked {
            None => add_dm_status(&mut maps, &self.dev),
            Some(Ok(reply)) => {
                multipathd::apply(&mut maps, &reply);
                // Maps multipathd does not know get device-mapper's view.
                let mut rest: Vec<MultipathMap> =
                    maps.iter().filter(|m| m.policy.is_err()).cloned().collect();
                if !rest.is_empty() {
                    add_dm_status(&mut rest, &self.dev);
                    for r in rest {
                        if let Some(m) = maps.iter_mut().find(|m| m.dm == r.dm) {
                            *m = r;
                        }
                    }
                }
            }
            Some(Err(e)) => {
                add_dm_status(&mut maps, &self.dev);
                for m in maps.iter_mut() {
                    if let Err(why) = &mut m.policy {
                        why.push_str(&format!("; {e}"));
                    }
                }
            }
        }
        Ok(maps)
    }
}

/// Fills each map's policy and its paths' device-mapper states from the
/// `DM_TABLE_STATUS` ioctl; what fails becomes the map's "not known" reason.
pub fn add_dm_status(maps: &mut [MultipathMap], dev_root: &Path) {
    let ctl = match DmControl::open(dev_root) {
        Ok(c) => c,
        Err(e) => {
            for m in maps.iter_mut() {
                m.policy = Err(format!("policy and path-group states not known: {e}"));
            }
            return;
        }
    };
    for m in maps.iter_mut() {
        let read = |table: bool| ctl.params(&m.name, "multipath", table);
        let got = read(true)
            .and_then(|t| dm_status::parse_table(&t))
            .and_then(|t| {
                let s = read(false).and_then(|s| dm_status::parse_status(&s))?;
                Ok((t, s))
            });
        match got {
            Ok((table, status)) => {
                apply_status(m, &status);
                m.policy = Ok(dm_status::summary(&table, &status));
            }
            Err(e) => m.policy = Err(format!("policy and path-group states not known: {e}")),
        }
    }
}

/// Sets each path's device-mapper state from the status line (by
/// `major:minor`).
pub fn apply_status(m: &mut MultipathMap, status: &dm_status::MpathStatus) {
    for g in &status.groups {
        for ps in &g.paths {
            if let Some(p) = m.paths.iter_mut().find(|p| p.devno == ps.devno) {
                p.dm_state = Some(if ps.active { "active" } else { "failed" }.into());
            }
        }
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
        checker: None,
    }
}
