//! Fibre Channel HBA ports from the FC transport class
//! (`<sysfs>/class/fc_host/hostN`): WWPN, WWNN, port state, speed and
//! fabric, what zoning and LUN masking on the array side need.

use std::path::{Path, PathBuf};

use super::block::read_trim;
use super::storage::FcHost;
use super::Collector;

/// Reads `<sysfs>/class/fc_host`.
pub struct FcCollector {
    sysfs: PathBuf,
}

impl FcCollector {
    pub fn new(sysfs: PathBuf) -> Self {
        Self { sysfs }
    }
}

impl Collector for FcCollector {
    type Output = Vec<FcHost>;

    fn name(&self) -> &'static str {
        "fc"
    }

    fn collect(&mut self) -> Result<Vec<FcHost>, String> {
        list_fc_hosts(&self.sysfs)
    }
}

/// Hosts in numeric order. No FC class (no HBA driver loaded) is an empty
/// list, not an error.
pub fn list_fc_hosts(sysfs: &Path) -> Result<Vec<FcHost>, String> {
    let class = sysfs.join("class/fc_host");
    let rd = match std::fs::read_dir(&class) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot list {}: {e}", class.display())),
    };
    let mut out: Vec<(u64, FcHost)> = Vec::new();
    for entry in rd.filter_map(|e| e.ok()) {
        let host = entry.file_name().to_string_lossy().into_owned();
        let Some(n) = host
            .strip_prefix("host")
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        let dir = class.join(&host);
        let a = |f: &str| read_trim(&dir.join(f)).unwrap_or_default();
        out.push((
            n,
            FcHost {
                wwpn: a("port_name"),
                wwnn: a("node_name"),
                port_state: a("port_state"),
                speed: a("speed"),
                fabric_name: a("fabric_name"),
                host,
            },
        ));
    }
    out.sort_by_key(|(n, _)| *n);
    Ok(out.into_iter().map(|(_, h)| h).collect())
}
