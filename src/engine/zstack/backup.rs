//! Backup Database: `mysqldump --single-transaction` of the control plane's
//! databases, gzip'd as it streams, into a file in the backup directory.
//!
//! The password reaches mysqldump in its environment (`MYSQL_PWD`), never
//! on its command line. The dump is written to a temp name and renamed when
//! complete, so a half-written backup never looks like a good one.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::dburl::DbEndpoint;
use super::{db, ZstackEngine};
use crate::engine::EngineError;
use crate::job::Progress;
use crate::secret::Secret;

/// What to dump and how.
pub struct DumpRequest<'a> {
    pub mysqldump: &'a Path,
    pub endpoint: &'a DbEndpoint,
    pub user: &'a str,
    pub password: &'a Secret,
    pub databases: &'a [String],
    /// Estimated uncompressed size, for the progress fraction (0 = unknown).
    pub approx_bytes: u64,
    pub timeout: Duration,
}

/// File name of a backup taken now.
pub fn backup_file_name(now: chrono::DateTime<chrono::Local>) -> String {
    format!("zstack-db-backup-{}.sql.gz", now.format("%Y%m%d-%H%M%S"))
}

/// Dumps into `dest` (a `.sql.gz` path).
pub fn dump(
    req: &DumpRequest<'_>,
    dest: &Path,
    progress: &mut dyn Progress,
) -> Result<(), EngineError> {
    let fail = |m: String| EngineError::Failed(m);
    let tmp: PathBuf = {
        let mut s = dest.as_os_str().to_owned();
        s.push(".partial");
        s.into()
    };
    let mut cmd = Command::new(req.mysqldump);
    cmd.arg("--single-transaction")
        .arg("--quick")
        .arg("--routines")
        .arg("--host")
        .arg(&req.endpoint.host)
        .arg("--port")
        .arg(req.endpoint.port.to_string())
        .arg("--user")
        .arg(req.user)
        .arg("--databases")
        .args(req.databases)
        .env("MYSQL_PWD", req.password.expose())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| {
        fail(format!(
            "cannot run {}: {e}; install the MariaDB client or set zstack.mysqldump",
            req.mysqldump.display()
        ))
    })?;
    let pid = child.id() as i32;
    // Watchdog: kill the dump's process group when it overruns.
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    {
        let (done, killed, timeout) = (done.clone(), killed.clone(), req.timeout);
        std::thread::spawn(move || {
            let start = std::time::Instant::now();
            while !done.load(Ordering::SeqCst) {
                if start.elapsed() > timeout {
                    killed.store(true, Ordering::SeqCst);
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
    }
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let err_thread = child.stderr.take().map(|e| {
        let errors = errors.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(e).lines().map_while(Result::ok) {
                crate::sync::lock(&errors).push(l);
            }
        })
    });
    let result = (|| -> Result<u64, String> {
        let file = std::fs::File::create(&tmp)
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let mut gz = GzEncoder::new(std::io::BufWriter::new(file), Compression::default());
        let mut out = child.stdout.take().ok_or("mysqldump has no stdout")?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        let mut next_report = 0u64;
        loop {
            let n = out
                .read(&mut buf)
                .map_err(|e| format!("reading mysqldump output: {e}"))?;
            if n == 0 {
                break;
            }
            gz.write_all(&buf[..n])
                .map_err(|e| format!("writing {}: {e}", tmp.display()))?;
            total += n as u64;
            if total >= next_report {
                next_report = total + 8 * 1024 * 1024;
                progress.line(&format!("{} MiB dumped", total / (1024 * 1024)));
                if req.approx_bytes > 0 {
                    progress.fraction(Some((total as f64 / req.approx_bytes as f64).min(0.99)));
                }
            }
        }
        let w = gz
            .finish()
            .map_err(|e| format!("finishing {}: {e}", tmp.display()))?;
        let f = w
            .into_inner()
            .map_err(|e| format!("writing {}: {e}", tmp.display()))?;
        f.sync_all()
            .map_err(|e| format!("syncing {}: {e}", tmp.display()))?;
        Ok(total)
    })();
    let status = child.wait();
    done.store(true, Ordering::SeqCst);
    if let Some(t) = err_thread {
        let _ = t.join();
    }
    let errors = crate::sync::lock(&errors).clone();
    for e in &errors {
        progress.line(e);
    }
    let outcome = (|| {
        let total = result?;
        if killed.load(Ordering::SeqCst) {
            return Err(format!(
                "mysqldump did not finish within {} s and was stopped",
                req.timeout.as_secs()
            ));
        }
        let status = status.map_err(|e| format!("waiting for mysqldump: {e}"))?;
        if !status.success() {
            let last = errors.last().cloned().unwrap_or_default();
            return Err(format!("mysqldump failed ({status}): {last}"));
        }
        std::fs::rename(&tmp, dest)
            .map_err(|e| format!("cannot rename into {}: {e}", dest.display()))?;
        progress.line(&format!(
            "{} MiB dumped into {}",
            total / (1024 * 1024),
            dest.display()
        ));
        progress.fraction(Some(1.0));
        Ok(())
    })();
    if outcome.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    outcome.map_err(fail)
}

impl ZstackEngine {
    pub(super) fn op_backup_database(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        let props = self.props()?;
        let mut target = self.db_target(&props, None)?;
        target.timeout = target.timeout.max(Duration::from_secs(10));
        progress.phase("Connecting to the database");
        let mut conn = db::connect(&target, None).map_err(EngineError::Failed)?;
        let dbs = db::existing_databases(&mut conn, &self.cfg.backup_databases)
            .map_err(EngineError::Failed)?;
        if dbs.is_empty() {
            return Err(EngineError::Failed(format!(
                "none of the databases {} exists; nothing to back up",
                self.cfg.backup_databases.join(", ")
            )));
        }
        let approx = db::approximate_size(&mut conn, &dbs);
        // The endpoint that answered is the first that connects; mysqldump
        // gets the same order through its first endpoint that worked.
        let endpoint = target
            .endpoints
            .iter()
            .find(|ep| {
                let t = db::DbTarget {
                    endpoints: vec![(*ep).clone()],
                    ..target.clone()
                };
                db::connect(&t, None).is_ok()
            })
            .cloned()
            .ok_or_else(|| EngineError::Failed("the database went away".into()))?;
        drop(conn);
        std::fs::create_dir_all(dest_dir).map_err(|e| {
            EngineError::Failed(format!("cannot create {}: {e}", dest_dir.display()))
        })?;
        let dest = dest_dir.join(backup_file_name(chrono::Local::now()));
        progress.phase(&format!(
            "Dumping {} into {}",
            dbs.join(", "),
            dest.display()
        ));
        progress.fraction(Some(0.0));
        dump(
            &DumpRequest {
                mysqldump: &self.cfg.mysqldump,
                endpoint: &endpoint,
                user: &target.user,
                password: &target.password,
                databases: &dbs,
                approx_bytes: approx,
                timeout: self.job_timeout(),
            },
            &dest,
            progress,
        )?;
        Ok(dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn file_name() {
        let t = chrono::Local.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(
            backup_file_name(t),
            "zstack-db-backup-20260102-030405.sql.gz"
        );
    }
}
