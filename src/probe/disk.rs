//! DISK INFO: free space of the configured directories via statvfs(2).

use std::path::{Path, PathBuf};

use super::{Collector, DiskEntry, DiskUsage};

/// Watches a fixed list of directories (install dir, log dir, ...).
pub struct DiskCollector {
    paths: Vec<PathBuf>,
}

impl DiskCollector {
    pub fn new(paths: Vec<PathBuf>) -> Self {
        Self { paths }
    }
}

impl Collector for DiskCollector {
    type Output = Vec<DiskEntry>;

    fn name(&self) -> &'static str {
        "disk"
    }

    /// Never fails as a whole: one missing directory must not hide the others,
    /// so each entry carries its own result.
    fn collect(&mut self) -> Result<Vec<DiskEntry>, String> {
        Ok(self
            .paths
            .iter()
            .map(|p| DiskEntry {
                path: p.clone(),
                usage: usage_of(p),
            })
            .collect())
    }
}

/// Total and available bytes of the file system holding `path`.
pub fn usage_of(path: &Path) -> Result<DiskUsage, String> {
    let st = nix::sys::statvfs::statvfs(path).map_err(|e| {
        format!(
            "cannot stat {}: {}; check the disk directory list in the config",
            path.display(),
            e.desc()
        )
    })?;
    let frsize = st.fragment_size() as u64;
    Ok(DiskUsage {
        total_bytes: (st.blocks() as u64).saturating_mul(frsize),
        free_bytes: (st.blocks_available() as u64).saturating_mul(frsize),
    })
}
