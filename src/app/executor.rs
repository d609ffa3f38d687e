//! Executes the app's effects off the UI thread: PAM checks, the password
//! change, logind power requests and engine jobs. Each runs on tokio's
//! blocking pool under a timeout and answers with an [`Update`]; a job's
//! progress streams back through the same channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::UnboundedSender;

use super::effect::{Effect, JobRequest, PowerChoice};
use super::update::{JobEvent, Update, UpdateData};
use crate::config::EngineKind;
use crate::engine::Engine;
use crate::export::jobs::{ExportJob, ExportService, JobEvent as ExportEvent};
use crate::job::Progress;
use crate::ops::auth::Pam;
use crate::ops::BusTarget;
use std::net::IpAddr;

/// How long PAM may take (modules like pam_faildelay or a slow LDAP).
const PAM_TIMEOUT: Duration = Duration::from_secs(60);
/// How long logind may take to accept a power request.
const POWER_TIMEOUT: Duration = Duration::from_secs(25);
/// Engine jobs (a ZStack start can take many minutes).
const JOB_TIMEOUT: Duration = Duration::from_secs(3600);

/// Runs effects. Cheap to clone pieces are shared with the spawned tasks.
pub struct Executor {
    pub tx: UnboundedSender<Update>,
    pub pam: Arc<Pam>,
    pub tty: Option<String>,
    pub engine: Arc<dyn Engine>,
    /// Demo mode: power requests only say what would be called.
    pub demo: bool,
    pub bus: BusTarget,
    /// When set, PAM is not used and every check fails with this reason
    /// (demo mode without pam_wrapper must never reach real accounts).
    pub pam_block: Option<String>,
    /// Exports (Collect Logs, Backup Database) and their HTTP server.
    pub exports: Option<Arc<ExportService>>,
    /// Finds the management NIC's addresses for export URLs.
    pub mn: MnAddrs,
    pub engine_kind: EngineKind,
    cancel: Arc<AtomicBool>,
}

/// How to find the management NIC's addresses (the export server binds
/// there and the URLs name them).
#[derive(Debug, Clone)]
pub struct MnAddrs {
    pub management_ip: Option<std::net::Ipv4Addr>,
    pub sysfs_root: std::path::PathBuf,
}

impl MnAddrs {
    /// IPv4 addresses of the NIC marked MN (blocking: a netlink dump).
    pub fn lookup(&self) -> Vec<IpAddr> {
        crate::probe::nic::list_nics(self.management_ip, &self.sysfs_root)
            .map(|nics| {
                nics.into_iter()
                    .filter(|n| n.is_mn)
                    .flat_map(|n| n.ipv4.into_iter().map(|(a, _)| IpAddr::V4(a)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn send(tx: &UnboundedSender<Update>, data: UpdateData) {
    let _ = tx.send(Update {
        at: SystemTime::now(),
        data,
    });
}

/// Progress sink that forwards to the app.
struct ChannelProgress {
    tx: UnboundedSender<Update>,
    cancel: Arc<AtomicBool>,
}

impl Progress for ChannelProgress {
    fn phase(&mut self, text: &str) {
        send(&self.tx, UpdateData::Job(JobEvent::Phase(text.to_owned())));
    }
    fn line(&mut self, text: &str) {
        send(&self.tx, UpdateData::Job(JobEvent::Line(text.to_owned())));
    }
    fn fraction(&mut self, f: Option<f64>) {
        send(&self.tx, UpdateData::Job(JobEvent::Fraction(f)));
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// Runs `f` on the blocking pool; `None` if it did not finish in time.
async fn blocking<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    match tokio::time::timeout(timeout, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(v)) => Some(v),
        // A panic inside the job has already ended the process through the
        // panic hook; treat a join error like a timeout for completeness.
        Ok(Err(_)) | Err(_) => None,
    }
}

impl Executor {
    pub fn new(
        tx: UnboundedSender<Update>,
        pam: Pam,
        tty: Option<String>,
        engine: Arc<dyn Engine>,
        demo: bool,
        bus: BusTarget,
    ) -> Executor {
        Executor {
            tx,
            pam: Arc::new(pam),
            tty,
            engine,
            demo,
            bus,
            pam_block: None,
            exports: None,
            mn: MnAddrs {
                management_ip: None,
                sysfs_root: "/sys".into(),
            },
            engine_kind: EngineKind::Libvirt,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts `effect`; the answer arrives later as an update.
    pub fn execute(&mut self, effect: Effect) {
        let tx = self.tx.clone();
        if let Some(why) = &self.pam_block {
            match effect {
                Effect::Authenticate { purpose, .. } => {
                    send(
                        &tx,
                        UpdateData::Auth {
                            purpose,
                            result: Err(format!("PAM is disabled: {why}")),
                        },
                    );
                    return;
                }
                Effect::ChangeRootPassword { .. } => {
                    send(
                        &tx,
                        UpdateData::PasswordChanged(Err(format!("PAM is disabled: {why}"))),
                    );
                    return;
                }
                _ => {}
            }
        }
        match effect {
            Effect::Authenticate { password, purpose } => {
                let pam = self.pam.clone();
                let tty = self.tty.clone();
                tokio::spawn(async move {
                    let r = blocking(PAM_TIMEOUT, move || {
                        pam.authenticate(&password, tty.as_deref())
                            .map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|| {
                        Err(format!(
                            "PAM did not answer within {} s",
                            PAM_TIMEOUT.as_secs()
                        ))
                    });
                    send(&tx, UpdateData::Auth { purpose, result: r });
                });
            }
            Effect::ChangeRootPassword { old, new } => {
                let pam = self.pam.clone();
                tokio::spawn(async move {
                    let r = blocking(PAM_TIMEOUT, move || {
                        pam.change_password(&old, &new).map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|| {
                        Err(format!(
                            "PAM did not answer within {} s",
                            PAM_TIMEOUT.as_secs()
                        ))
                    });
                    send(&tx, UpdateData::PasswordChanged(r));
                });
            }
            Effect::Power(choice) => {
                let demo = self.demo;
                let bus = self.bus.clone();
                tokio::spawn(async move {
                    let r = if demo {
                        Ok(format!(
                            "Demo mode: nothing was done. A real node calls \
                             org.freedesktop.login1.Manager.{}(false) on the system bus.",
                            choice.method()
                        ))
                    } else {
                        let action = match choice {
                            PowerChoice::Reboot => crate::ops::power::PowerAction::Reboot,
                            PowerChoice::PowerOff => crate::ops::power::PowerAction::PowerOff,
                        };
                        blocking(POWER_TIMEOUT, move || {
                            crate::ops::power::request(action, &bus, POWER_TIMEOUT)
                                .map(|()| {
                                    format!(
                                        "logind accepted {}; the node goes down now.",
                                        choice.method()
                                    )
                                })
                                .map_err(|e| e.to_string())
                        })
                        .await
                        .unwrap_or_else(|| Err("logind did not answer in time".into()))
                    };
                    send(&tx, UpdateData::PowerDone(r));
                });
            }
            Effect::Job(req @ (JobRequest::CollectLogs { .. } | JobRequest::BackupDatabase)) => {
                self.cancel.store(false, Ordering::SeqCst);
                let Some(svc) = self.exports.clone() else {
                    send(
                        &tx,
                        UpdateData::JobDone(Err("exports are not available on this node".into())),
                    );
                    return;
                };
                let job = match req {
                    JobRequest::CollectLogs { cluster: true } => {
                        Ok(svc.collect_cluster_logs(self.engine.clone()))
                    }
                    JobRequest::CollectLogs { cluster: false } => svc
                        .collect_this_node(self.engine_kind)
                        .map_err(|e| e.to_string()),
                    _ => Ok(svc.backup_database(self.engine.clone())),
                };
                let cancel = self.cancel.clone();
                let mn = self.mn.clone();
                tokio::spawn(async move {
                    let r = match job {
                        Ok(job) => run_export(job, &svc, cancel, &tx, mn).await,
                        Err(e) => Err(e),
                    };
                    send(&tx, UpdateData::JobDone(r));
                });
            }
            Effect::Job(req) => {
                self.cancel.store(false, Ordering::SeqCst);
                let engine = self.engine.clone();
                let cancel = self.cancel.clone();
                tokio::spawn(async move {
                    let mut sink = ChannelProgress {
                        tx: tx.clone(),
                        cancel,
                    };
                    let r = blocking(JOB_TIMEOUT, move || run_job(&*engine, &req, &mut sink))
                        .await
                        .unwrap_or_else(|| Err("the job did not finish in time".into()));
                    send(&tx, UpdateData::JobDone(r));
                });
            }
            Effect::CancelJob => self.cancel.store(true, Ordering::SeqCst),
        }
    }
}

/// Follows an export job, forwarding its progress, then publishes it and
/// answers with the URLs to download and browse it.
async fn run_export(
    mut job: ExportJob,
    svc: &ExportService,
    cancel: Arc<AtomicBool>,
    tx: &UnboundedSender<Update>,
    mn: MnAddrs,
) -> Result<Vec<String>, String> {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let result = loop {
        tokio::select! {
            ev = job.events.recv() => match ev {
                Some(ExportEvent::Phase(s)) => send(tx, UpdateData::Job(JobEvent::Phase(s))),
                Some(ExportEvent::Line(s)) => send(tx, UpdateData::Job(JobEvent::Line(s))),
                Some(ExportEvent::Fraction(f)) => {
                    if let Some(eta) = f.and_then(|f| job.eta(f)) {
                        send(tx, UpdateData::Job(JobEvent::Line(format!("about {} s left", eta.as_secs()))));
                    }
                    send(tx, UpdateData::Job(JobEvent::Fraction(f)))
                }
                Some(ExportEvent::Finished(r)) => break r,
                None => break Err("the job ended without a result".into()),
            },
            _ = tick.tick() => {
                if cancel.load(Ordering::SeqCst) {
                    job.cancel();
                }
            }
        }
    };
    let export = result?;
    send(
        tx,
        UpdateData::Job(JobEvent::Phase("Publishing on the export server...".into())),
    );
    let addrs = tokio::task::spawn_blocking(move || mn.lookup())
        .await
        .unwrap_or_default();
    svc.ensure_server(&addrs).await.map_err(|e| e.to_string())?;
    let urls = svc.urls(&export).await;
    if urls.is_empty() {
        return Err("the export server has no address to publish on".into());
    }
    let until = std::time::UNIX_EPOCH + Duration::from_secs(export.expires_at);
    let off = chrono::Local::now().offset().local_minus_utc();
    let mut lines = vec![
        format!(
            "{} ({})",
            export.file_name,
            crate::ui::format::bytes(export.size)
        ),
        format!(
            "downloadable until {} {}:",
            crate::ui::format::datetime(until, off),
            crate::ui::format::zone(off)
        ),
    ];
    // The export's own page (download and browse links) has a short URL
    // that fits an 80-column screen and can be typed from a BMC console.
    for u in &urls {
        let page = u.rsplit_once('/').map_or(u.as_str(), |(b, _)| b);
        lines.push(format!("Open: {page}/"));
    }
    lines.push("The page links the download and, for logs, an online browser.".into());
    Ok(lines)
}

/// Runs one job to its end.
fn run_job(
    engine: &dyn Engine,
    req: &JobRequest,
    p: &mut dyn Progress,
) -> Result<Vec<String>, String> {
    match req {
        JobRequest::Service(a) => engine
            .service(*a, p)
            .map(|s| vec![s])
            .map_err(|e| e.to_string()),
        JobRequest::Reset { drop_database } => engine
            .reset(*drop_database, p)
            .map(|s| vec![s])
            .map_err(|e| e.to_string()),
        JobRequest::CollectLogs { .. } | JobRequest::BackupDatabase => {
            Err("exports run through the export service".into())
        }
    }
}
