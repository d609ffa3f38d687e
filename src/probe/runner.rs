//! Runs a [`Collector`] on its cadence, each call on tokio's blocking pool
//! under a hard timeout, and sends every result (or the reason there is
//! none) to the app as one message.
//!
//! A call that times out is not abandoned and replaced: the next round waits
//! on the same call again. A hung driver or NFS mount therefore costs one
//! blocking thread, never one more per round.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::block::BlockCollector;
use super::cpu::CpuCollector;
use super::disk::DiskCollector;
use super::iscsi::IscsiCollector;
use super::mem::MemCollector;
use super::nic::NicCollector;
use super::time::TimeCollector;
use super::{BlockDevice, Collector, CpuInfo, DiskEntry, IscsiSession, MemInfo, NicInfo, TimeInfo};

/// The longest wait between rounds after repeated errors.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Starts the collection loop of `collector` on the current tokio runtime.
///
/// Every round sends `wrap(result, completion time)` on `tx`: the snapshot,
/// the collector's own error, `"<name> timed out after N s"`, or
/// `"<name> panicked: ..."`. After an error the pause doubles (from
/// `cadence`, at most [`MAX_BACKOFF`], never below `cadence`) and returns to
/// `cadence` after the next success. The task ends when the receiver is
/// dropped.
pub fn spawn<C, U, F>(
    collector: C,
    cadence: Duration,
    timeout: Duration,
    tx: UnboundedSender<U>,
    wrap: F,
) -> JoinHandle<()>
where
    C: Collector,
    U: Send + 'static,
    F: Fn(Result<C::Output, String>, SystemTime) -> U + Send + 'static,
{
    tokio::spawn(async move {
        let name = collector.name();
        let mut idle: Option<C> = Some(collector);
        let mut running: Option<JoinHandle<CallResult<C>>> = None;
        let mut delay = cadence;
        loop {
            let mut call = match (running.take(), idle.take()) {
                (Some(call), _) => call,
                (None, Some(c)) => tokio::task::spawn_blocking(move || run_once(c)),
                // Unreachable: the collector is always either idle or running.
                (None, None) => return,
            };
            let result = match tokio::time::timeout(timeout, &mut call).await {
                Ok(Ok((c, result))) => {
                    idle = Some(c);
                    result
                }
                Ok(Err(join_err)) => {
                    // run_once catches panics, so only a cancelled runtime
                    // gets here; the collector is gone with it.
                    let _ = tx.send(wrap(
                        Err(format!("{name} stopped: {join_err}")),
                        SystemTime::now(),
                    ));
                    return;
                }
                Err(_) => {
                    tracing::warn!(collector = name, "collection timed out");
                    running = Some(call);
                    Err(format!("{name} timed out after {}", fmt_duration(timeout)))
                }
            };
            let ok = result.is_ok();
            if tx.send(wrap(result, SystemTime::now())).is_err() {
                return;
            }
            delay = next_delay(delay, cadence, ok);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = tx.closed() => return,
            }
        }
    })
}

/// A finished call hands the collector back with its result.
type CallResult<C> = (C, Result<<C as Collector>::Output, String>);

/// One call, with a panic turned into an error so the collector survives.
fn run_once<C: Collector>(mut c: C) -> CallResult<C> {
    let name = c.name();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.collect()));
    let r = r.unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(format!("{name} panicked: {msg}"))
    });
    (c, r)
}

/// The pause before the next round: `cadence` after a success, doubled
/// after each error up to [`MAX_BACKOFF`] (or `cadence` if that is longer).
pub fn next_delay(prev: Duration, cadence: Duration, ok: bool) -> Duration {
    if ok {
        cadence
    } else {
        prev.saturating_mul(2)
            .min(MAX_BACKOFF.max(cadence))
            .max(cadence)
    }
}

/// `5s`, `1.5s` or `250ms`, for the timed-out message.
pub fn fmt_duration(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Where the collectors look; [`ProbeRoots::system`] is the real node.
#[derive(Debug, Clone)]
pub struct ProbeRoots {
    pub proc_root: PathBuf,
    pub sysfs_root: PathBuf,
    pub disk_paths: Vec<PathBuf>,
    pub management_ip: Option<Ipv4Addr>,
}

impl ProbeRoots {
    /// `/proc`, `/sys` and the given watched directories.
    pub fn system(disk_paths: Vec<PathBuf>, management_ip: Option<Ipv4Addr>) -> Self {
        Self {
            proc_root: PathBuf::from("/proc"),
            sysfs_root: PathBuf::from("/sys"),
            disk_paths,
            management_ip,
        }
    }
}

/// One result of every collector.
#[derive(Debug, Clone)]
pub struct FullSnapshot {
    pub time: Result<TimeInfo, String>,
    pub disks: Result<Vec<DiskEntry>, String>,
    pub nics: Result<NicInfo, String>,
    pub cpu: Result<CpuInfo, String>,
    pub mem: Result<MemInfo, String>,
    pub block: Result<Vec<BlockDevice>, String>,
    pub iscsi: Result<Vec<IscsiSession>, String>,
}

/// Runs every collector once, in the calling thread, without timeouts (for
/// the benchmark and for one-shot dumps such as `--once`; the live console
/// uses [`spawn`]). CPU usage is the average since boot.
pub fn collect_all_once(roots: &ProbeRoots) -> FullSnapshot {
    FullSnapshot {
        time: TimeCollector::new(roots.proc_root.clone()).collect(),
        disks: DiskCollector::new(roots.disk_paths.clone()).collect(),
        nics: NicCollector::new(roots.management_ip, roots.sysfs_root.clone()).collect(),
        cpu: CpuCollector::new(roots.proc_root.clone()).collect(),
        mem: MemCollector::new(roots.proc_root.clone()).collect(),
        block: BlockCollector::new(super::StorageRoots::system(roots.sysfs_root.clone())).collect(),
        iscsi: IscsiCollector::new(roots.sysfs_root.clone()).collect(),
    }
}
