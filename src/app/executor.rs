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
use crate::net::backend::{NetBackend, NicId};
use crate::net::demo::DemoNet;
use crate::net::rollback::{Outcome, PendingChange};
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
    /// Network operations; `None` when no persistence backend was found.
    pub net: Option<Arc<NetContext>>,
    /// A guarded network change waiting for "keep".
    pending: Arc<std::sync::Mutex<Option<PendingChange>>>,
    cancel: Arc<AtomicBool>,
}

/// Where network operations run: the persistence backend, and in `--demo`
/// the private namespace every operation must run inside.
pub struct NetContext {
    pub backend: Arc<dyn NetBackend>,
    pub demo: Option<Arc<DemoNet>>,
    /// How long a guarded change waits for "keep".
    pub rollback: Duration,
}

impl NetContext {
    /// Runs `f` in the right network namespace (blocking).
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        match &self.demo {
            Some(d) => d.run(f),
            None => f(),
        }
    }
}

/// The end of a network job.
enum NetDone {
    Lines(Vec<String>),
    /// Applied, now waiting for "keep".
    Guarded(PendingChange, Vec<String>),
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
            net: None,
            pending: Arc::new(std::sync::Mutex::new(None)),
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
            Effect::Job(
                req @ (JobRequest::Ping { .. }
                | JobRequest::RenameNic { .. }
                | JobRequest::ConfigureIpv4 { .. }
                | JobRequest::SaveBond { .. }),
            ) => {
                self.cancel.store(false, Ordering::SeqCst);
                let Some(ctx) = self.net.clone() else {
                    send(
                        &tx,
                        UpdateData::JobDone(
                            Err("network operations are not available here".into()),
                        ),
                    );
                    return;
                };
                let cancel = self.cancel.clone();
                let pending = self.pending.clone();
                tokio::spawn(async move {
                    let mut sink = ChannelProgress {
                        tx: tx.clone(),
                        cancel,
                    };
                    let ctx2 = ctx.clone();
                    let r = blocking(JOB_TIMEOUT, move || run_net_job(&ctx2, req, &mut sink))
                        .await
                        .unwrap_or_else(|| {
                            Err("the network operation did not finish in time".into())
                        });
                    match r {
                        Ok(NetDone::Lines(l)) => send(&tx, UpdateData::JobDone(Ok(l))),
                        Err(e) => send(&tx, UpdateData::JobDone(Err(e))),
                        Ok(NetDone::Guarded(p, lines)) => {
                            let secs = p.remaining().as_secs().max(1);
                            if let Ok(mut slot) = pending.lock() {
                                *slot = Some(p);
                            }
                            send(
                                &tx,
                                UpdateData::ConfirmKeep {
                                    seconds: secs,
                                    lines,
                                },
                            );
                            watch_pending(pending, tx).await;
                        }
                    }
                });
            }
            Effect::KeepChange(keep) => {
                let taken = self.pending.lock().ok().and_then(|mut s| s.take());
                if let Some(p) = taken {
                    tokio::spawn(async move {
                        let o =
                            tokio::task::spawn_blocking(
                                move || {
                                    if keep {
                                        p.keep()
                                    } else {
                                        p.revert()
                                    }
                                },
                            )
                            .await;
                        send(&tx, UpdateData::KeepOutcome(outcome_text(o.ok())));
                    });
                }
            }
            Effect::Job(req) => {
                self.cancel.store(false, Ordering::SeqCst);
                let engine = self.engine.clone();
                let cancel = self.cancel.clone();
                let pam = self.pam.clone();
                let tty = self.tty.clone();
                tokio::spawn(async move {
                    let mut sink = ChannelProgress {
                        tx: tx.clone(),
                        cancel,
                    };
                    let r = blocking(JOB_TIMEOUT, move || {
                        run_job(&*engine, &pam, tty.as_deref(), &req, &mut sink)
                    })
                    .await
                    .unwrap_or_else(|| Err("the job did not finish in time".into()));
                    send(&tx, UpdateData::JobDone(r));
                });
            }
            Effect::CancelJob => self.cancel.store(true, Ordering::SeqCst),
            Effect::LoadConsoleProxy => {
                let engine = self.engine.clone();
                tokio::spawn(async move {
                    let r = blocking(Duration::from_secs(10), move || {
                        engine.console_proxy().map_err(|e| e.to_string())
                    })
                    .await
                    .unwrap_or_else(|| Err("reading the console proxy settings timed out".into()));
                    send(&tx, UpdateData::ConsoleProxyLoaded(r));
                });
            }
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

/// Waits for the rollback watchdog of a pending change to decide by itself
/// (the timeout) while the operator has not answered.
async fn watch_pending(
    pending: Arc<std::sync::Mutex<Option<PendingChange>>>,
    tx: UnboundedSender<Update>,
) {
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let finished = {
            let Ok(mut slot) = pending.lock() else { return };
            match slot.as_ref() {
                None => return, // the operator answered
                Some(p) if p.is_finished() => slot.take(),
                Some(_) => None,
            }
        };
        if let Some(p) = finished {
            let o = tokio::task::spawn_blocking(move || p.wait()).await;
            send(&tx, UpdateData::KeepOutcome(outcome_text(o.ok())));
            return;
        }
    }
}

fn outcome_text(o: Option<Outcome>) -> Result<String, String> {
    match o {
        Some(Outcome::Kept) => Ok("The new configuration is kept.".into()),
        Some(o @ Outcome::Reverted(_)) => Ok(format!("Rolled back: {o}.")),
        Some(o @ Outcome::RevertFailed { .. }) => Err(o.to_string()),
        None => Err("the rollback watchdog failed".into()),
    }
}

/// Runs a network job in the right namespace.
fn run_net_job(ctx: &NetContext, req: JobRequest, p: &mut dyn Progress) -> Result<NetDone, String> {
    let backend = ctx.backend.clone();
    let rollback = ctx.rollback;
    match req {
        JobRequest::Ping { target } => {
            let opts = crate::net::ping::PingOptions::default();
            p.phase(&format!("Pinging {target} ({} probes)...", opts.count));
            // The ping reports each reply; it checks the cancel flag itself.
            let (ev_tx, ev_rx) = std::sync::mpsc::channel::<String>();
            let cancel = Arc::new(AtomicBool::new(false));
            let c2 = cancel.clone();
            let t2 = target.clone();
            let run = move || {
                crate::net::ping::ping(&t2, &opts, &c2, |ev| {
                    let _ = ev_tx.send(ev.to_string());
                })
            };
            let handle = match &ctx.demo {
                Some(d) => d.spawn_thread(run),
                None => std::thread::spawn(run),
            };
            loop {
                match ev_rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(line) => p.line(&line),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if p.cancelled() {
                            cancel.store(true, Ordering::SeqCst);
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            let summary = handle
                .join()
                .map_err(|_| "the ping thread failed".to_string())?
                .map_err(|e| e.to_string())?;
            Ok(NetDone::Lines(vec![summary.to_string()]))
        }
        JobRequest::RenameNic {
            old,
            mac,
            new,
            guard,
        } => {
            p.phase(&format!("Renaming {old} to {new}..."));
            let id = NicId::new(&old, mac.as_deref());
            let new2 = new.clone();
            ctx.run(move || {
                let undo = crate::net::ops::rename_nic(backend.as_ref(), &id, &new2)
                    .map_err(|e| e.to_string())?;
                crate::ops::audit::op_ok("rename NIC", &format!("{} -> {new2}", id.name));
                if !guard {
                    return Ok(NetDone::Lines(vec![format!(
                        "{} is now {new2} (kept across reboots).",
                        id.name
                    )]));
                }
                let b = backend.clone();
                let (id2, n2) = (id.clone(), new2.clone());
                let pending = PendingChange::start(
                    rollback,
                    Box::new(move || crate::net::ops::revert_rename(b.as_ref(), &id2, &n2, &undo)),
                );
                Ok(NetDone::Guarded(
                    pending,
                    vec![format!("{} is now {new2}.", id.name)],
                ))
            })
        }
        JobRequest::ConfigureIpv4 {
            nic,
            mac,
            cfg,
            guard,
        } => {
            p.phase(&format!("Applying {}/{} to {nic}...", cfg.ip, cfg.prefix));
            let id = NicId::new(&nic, mac.as_deref());
            ctx.run(move || {
                let applied = crate::net::ops::configure_ipv4(backend.as_ref(), &id, &cfg)
                    .map_err(|e| e.to_string())?;
                crate::ops::audit::op_ok(
                    "configure network",
                    &format!("{}: {}/{} gw {}", id.name, cfg.ip, cfg.prefix, cfg.gateway),
                );
                let line = format!(
                    "{} now has {}/{} with gateway {} (kept across reboots).",
                    id.name, cfg.ip, cfg.prefix, cfg.gateway
                );
                if !guard {
                    return Ok(NetDone::Lines(vec![line]));
                }
                let b = backend.clone();
                let pending = PendingChange::start(
                    rollback,
                    Box::new(move || crate::net::ops::revert(b.as_ref(), &applied)),
                );
                Ok(NetDone::Guarded(pending, vec![line]))
            })
        }
        JobRequest::SaveBond { bond, slaves } => {
            p.phase(&format!("Creating {}...", bond.name));
            let ids: Vec<NicId> = slaves
                .iter()
                .map(|(n, m)| NicId::new(n, m.as_deref()))
                .collect();
            ctx.run(move || {
                crate::net::ops::save_bond(backend.as_ref(), &bond, &ids, None)
                    .map(|_| {
                        crate::ops::audit::op_ok("create bond", &bond.name);
                        NetDone::Lines(vec![format!("{} was created.", bond.name)])
                    })
                    .map_err(|e| e.to_string())
            })
        }
        _ => Err("not a network job".into()),
    }
}

/// Runs one job to its end.
fn run_job(
    engine: &dyn Engine,
    pam: &Pam,
    tty: Option<&str>,
    req: &JobRequest,
    p: &mut dyn Progress,
) -> Result<Vec<String>, String> {
    let one = |r: Result<String, crate::engine::EngineError>| {
        r.map(|s| vec![s]).map_err(|e| e.to_string())
    };
    match req {
        JobRequest::DbPassword {
            account,
            current_root,
            new,
        } => one(engine.change_db_password(*account, current_root, new, p)),
        JobRequest::BusPassword { root, new } => {
            p.phase("Checking the system root password...");
            pam.authenticate(root, tty).map_err(|e| e.to_string())?;
            one(engine.change_bus_password(new, p))
        }
        JobRequest::ConsoleProxy(proxy) => one(engine.set_console_proxy(proxy, p)),
        JobRequest::ManagementIp(ip) => one(engine.change_management_ip(*ip, p)),
        JobRequest::Service(a) => engine
            .service(*a, p)
            .map(|s| vec![s])
            .map_err(|e| e.to_string()),
        JobRequest::Reset { drop_database } => engine
            .reset(*drop_database, p)
            .map(|s| vec![s])
            .map_err(|e| e.to_string()),
        _ => Err("this job runs through its own service".into()),
    }
}
