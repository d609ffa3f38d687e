//! Running exports as jobs: off the UI thread, with progress events, a
//! cancel flag, publication of the result, and the HTTP server started on
//! demand.
//!
//! The UI holds an [`ExportJob`] and drains its events (from the tokio
//! event loop with `events.recv().await`, or with `try_next()` on a tick);
//! the job ends with exactly one [`JobEvent::Finished`].

use std::net::{IpAddr, SocketAddr};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::collect::{collect_node_logs, CollectSpec};
use super::config::ExportConfig;
use super::registry::{Export, ExportRegistry};
use super::server::{server_urls, ExportServer};
use super::ExportError;
use crate::engine::Engine;
use crate::job::Progress;

/// What a running export job reports.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    Phase(String),
    Line(String),
    Fraction(Option<f64>),
    /// The last event: the published export, or the error for the operator.
    Finished(Result<Export, String>),
}

/// A [`Progress`] that forwards to a channel and reads a shared cancel flag.
struct ChannelProgress {
    tx: UnboundedSender<JobEvent>,
    cancel: Arc<AtomicBool>,
}

impl Progress for ChannelProgress {
    fn phase(&mut self, text: &str) {
        let _ = self.tx.send(JobEvent::Phase(text.to_owned()));
    }
    fn line(&mut self, text: &str) {
        let _ = self.tx.send(JobEvent::Line(text.to_owned()));
    }
    fn fraction(&mut self, f: Option<f64>) {
        let _ = self.tx.send(JobEvent::Fraction(f));
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// A running export job.
#[derive(Debug)]
pub struct ExportJob {
    /// Progress events, ending with `Finished`.
    pub events: UnboundedReceiver<JobEvent>,
    started: std::time::Instant,
    cancel: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ExportJob {
    /// Asks the job to stop where that is safe (log collection stops and
    /// removes its partial output; an engine step may run to its end).
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Estimated time left, from the elapsed time and the last reported
    /// fraction; `None` until there is enough progress to estimate.
    pub fn eta(&self, fraction: f64) -> Option<std::time::Duration> {
        eta(self.started.elapsed(), fraction)
    }

    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<JobEvent> {
        self.events.try_recv().ok()
    }

    /// Blocks until the job ends and returns its result (tests, CLI).
    /// Never call it from async code: it blocks the thread (and tokio
    /// panics on `blocking_recv` inside a runtime).
    pub fn wait(mut self) -> Result<Export, String> {
        let mut result = Err("the job ended without a result".to_string());
        while let Some(ev) = self.events.blocking_recv() {
            if let JobEvent::Finished(r) = ev {
                result = r;
            }
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        result
    }
}

/// Exports for the console: configuration, the registry, the server.
pub struct ExportService {
    cfg: ExportConfig,
    registry: ExportRegistry,
    server: tokio::sync::Mutex<Option<ExportServer>>,
}

impl ExportService {
    /// Validates `cfg` and loads the registry from its state file (restoring
    /// the exports of an earlier run).
    pub fn new(cfg: ExportConfig) -> Result<ExportService, ExportError> {
        cfg.validate()?;
        let registry = ExportRegistry::load(&cfg.state_file)?;
        // An export directory made by an older version (0755) is narrowed
        // now, before anything is served from it.
        if cfg.dir.exists() {
            super::private_dir(&cfg.dir)
                .map_err(|e| ExportError::io(format!("export.dir {}", cfg.dir.display()), e))?;
        }
        remove_stale_partials(&cfg.dir);
        Ok(ExportService {
            cfg,
            registry,
            server: tokio::sync::Mutex::new(None),
        })
    }

    /// The shared registry.
    pub fn registry(&self) -> &ExportRegistry {
        &self.registry
    }

    /// The configuration.
    pub fn config(&self) -> &ExportConfig {
        &self.cfg
    }

    /// Starts the HTTP server if it is not running (on the addresses
    /// [`ExportConfig::resolve_all`] gives for the management NIC's
    /// addresses) and returns the addresses it listens on.
    pub async fn ensure_server(&self, mn_addrs: &[IpAddr]) -> Result<Vec<SocketAddr>, ExportError> {
        let mut g = self.server.lock().await;
        if let Some(s) = g.as_ref() {
            return Ok(s.local_addrs().to_vec());
        }
        let binds = self.cfg.resolve_all(mn_addrs)?;
        let s = ExportServer::start_many(&binds, self.registry.clone()).await?;
        let addrs = s.local_addrs().to_vec();
        *g = Some(s);
        Ok(addrs)
    }

    /// Stops the HTTP server (it starts again on demand).
    pub async fn stop_server(&self) {
        if let Some(s) = self.server.lock().await.take() {
            s.stop().await;
        }
    }

    /// At console start: serves the exports of an earlier run again, if
    /// there are live ones; otherwise the server stays off until needed.
    pub async fn restore(
        &self,
        mn_addrs: &[IpAddr],
    ) -> Result<Option<Vec<SocketAddr>>, ExportError> {
        if self.registry.list().is_empty() {
            return Ok(None);
        }
        self.ensure_server(mn_addrs).await.map(Some)
    }

    /// The addresses the server listens on; empty when it is not running.
    pub async fn server_addrs(&self) -> Vec<SocketAddr> {
        self.server
            .lock()
            .await
            .as_ref()
            .map(|s| s.local_addrs().to_vec())
            .unwrap_or_default()
    }

    /// The URLs of `export`, one per address the server listens on (every
    /// address of the management NIC, or the configured `bind`); empty when
    /// the server is not running.
    pub async fn urls(&self, export: &Export) -> Vec<String> {
        match self.server.lock().await.as_ref() {
            Some(s) => server_urls(export, s),
            None => Vec::new(),
        }
    }

    /// Runs `work(export_dir, progress)` on its own thread and publishes the
    /// file it returns. `what` names the job in logs.
    pub fn spawn<F>(&self, what: &str, work: F) -> ExportJob
    where
        F: FnOnce(&Path, &mut dyn Progress) -> Result<PathBuf, ExportError> + Send + 'static,
    {
        let (tx, rx) = unbounded_channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let mut progress = ChannelProgress {
            tx: tx.clone(),
            cancel: cancel.clone(),
        };
        let dir = self.cfg.dir.clone();
        let ttl = self.cfg.ttl();
        let registry = self.registry.clone();
        let what = what.to_string();
        let done_tx = tx.clone();
        let thread = std::thread::Builder::new()
            .name(format!("export-{what}"))
            .spawn(move || {
                let result = super::private_dir(&dir)
                    .map_err(|e| ExportError::io(format!("cannot create {}", dir.display()), e))
                    .and_then(|()| work(&dir, &mut progress))
                    .and_then(|file| registry.publish(&file, ttl));
                match &result {
                    Ok(e) => tracing::info!(job = %what, file = %e.file.display(), "export done"),
                    Err(e) => tracing::warn!(job = %what, "export failed: {e}"),
                }
                drop(progress);
                let _ = done_tx.send(JobEvent::Finished(result.map_err(|e| e.to_string())));
            });
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                let _ = tx.send(JobEvent::Finished(Err(format!(
                    "cannot start the job thread: {e}"
                ))));
                None
            }
        };
        ExportJob {
            events: rx,
            started: std::time::Instant::now(),
            cancel,
            thread,
        }
    }

    /// Collect Logs on this node, as configured: files under `/`, the
    /// journal, the commands, and `engine`'s own listing.
    pub fn collect_this_node(
        &self,
        engine: crate::config::EngineKind,
    ) -> Result<ExportJob, ExportError> {
        let spec = self.cfg.collect_spec(Path::new("/"), engine)?;
        Ok(self.collect_node_logs(spec))
    }

    /// Collect Logs on this node with an explicit spec (tests use a fixture root).
    pub fn collect_node_logs(&self, spec: CollectSpec) -> ExportJob {
        self.spawn("node-logs", move |dir, p| collect_node_logs(&spec, dir, p))
    }

    /// Collect Logs of the whole cluster, delegated to the engine (ZStack:
    /// `zstack-ctl configured_collect_log`).
    pub fn collect_cluster_logs(&self, engine: Arc<dyn Engine>) -> ExportJob {
        self.spawn("cluster-logs", move |dir, p| {
            engine
                .collect_cluster_logs(dir, p)
                .map_err(|e| ExportError::Engine(format!("cluster log collection failed: {e}")))
        })
    }

    /// Backup Database, delegated to the engine (libvirt: definitions
    /// tarball; ZStack: database dump).
    pub fn backup_database(&self, engine: Arc<dyn Engine>) -> ExportJob {
        self.spawn("db-backup", move |dir, p| {
            engine
                .backup_database(dir, p)
                .map_err(|e| ExportError::Engine(format!("database backup failed: {e}")))
        })
    }
}

/// Removes what a collection killed mid-way (power loss, console crash)
/// left in the export directory: hidden `.<name>.work` directories and
/// `.<name>.partial` files. Only names of that shape are touched.
pub fn remove_stale_partials(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with('.') {
            continue;
        }
        let r = if name.ends_with(".work") && e.path().is_dir() {
            std::fs::remove_dir_all(e.path())
        } else if name.ends_with(".partial") {
            std::fs::remove_file(e.path())
        } else {
            continue;
        };
        match r {
            Ok(()) => tracing::info!(path = %e.path().display(), "removed a stale partial export"),
            Err(err) => {
                tracing::warn!(path = %e.path().display(), "cannot remove a stale partial export: {err}")
            }
        }
    }
}

/// Time left if `fraction` of the work took `elapsed`; `None` below 2 %
/// (too early to say) or when the fraction is not a number in (0, 1].
pub fn eta(elapsed: std::time::Duration, fraction: f64) -> Option<std::time::Duration> {
    if !(0.02..=1.0).contains(&fraction) {
        return None;
    }
    Some(elapsed.mul_f64((1.0 - fraction) / fraction))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stale_partials_are_removed_and_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join(".node-logs-x.work")).unwrap();
        std::fs::write(d.path().join(".node-logs-x.work/journal.txt"), b"j").unwrap();
        std::fs::write(d.path().join(".node-logs-x.tar.gz.partial"), b"p").unwrap();
        std::fs::write(d.path().join("node-logs-y.tar.gz"), b"keep").unwrap();
        std::fs::write(d.path().join(".keep-me"), b"keep").unwrap();
        remove_stale_partials(d.path());
        let mut left: Vec<String> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, vec![".keep-me", "node-logs-y.tar.gz"]);
    }

    #[test]
    fn eta_from_fraction() {
        assert_eq!(
            eta(Duration::from_secs(10), 0.25),
            Some(Duration::from_secs(30))
        );
        assert_eq!(eta(Duration::from_secs(10), 1.0), Some(Duration::ZERO));
        assert_eq!(eta(Duration::from_secs(10), 0.01), None);
        assert_eq!(eta(Duration::from_secs(10), f64::NAN), None);
    }
}
