//! Collect Cluster Logs: `zstack-ctl configured_collect_log`, run in the
//! export directory, which writes a `collect-log-*.tar.gz` there.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::command::{run_ok, Run};
use super::ZstackEngine;
use crate::engine::EngineError;
use crate::job::Progress;

impl ZstackEngine {
    pub(super) fn op_collect_cluster_logs(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        self.need_ctl()?;
        std::fs::create_dir_all(dest_dir).map_err(|e| {
            EngineError::Failed(format!("cannot create {}: {e}", dest_dir.display()))
        })?;
        let started = SystemTime::now() - Duration::from_secs(2);
        progress.phase("Collecting the logs of the management node and every host");
        progress.fraction(None);
        let mut r = Run::new(
            &self.cfg.ctl,
            &["configured_collect_log"],
            self.job_timeout(),
        );
        r.cwd = Some(dest_dir.to_owned());
        run_ok(r, progress)?;
        newest_collect_log(dest_dir, started).ok_or_else(|| {
            EngineError::Failed(format!(
                "zstack-ctl configured_collect_log finished but wrote no collect-log-*.tar.gz into {}",
                dest_dir.display()
            ))
        })
    }
}

/// The newest `collect-log-*.tar.gz` in `dir` modified after `since`.
fn newest_collect_log(dir: &Path, since: SystemTime) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with("collect-log-") && n.ends_with(".tar.gz")
        })
        .filter_map(|e| {
            let m = e.metadata().ok()?.modified().ok()?;
            (m >= since).then(|| (m, e.path()))
        })
        .max_by_key(|(m, _)| *m)
        .map(|(_, p)| p)
}
