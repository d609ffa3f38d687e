//! The task runner: runs every effect off the UI thread. A feature's task
//! runs on tokio's blocking pool under its request's deadline, its progress
//! streams back as updates, cancel is a flag the request checks where
//! stopping is safe, and it ends in one reply type. There is no
//! per-feature arm here: what a task does is its request's `run` against
//! the [`Services`] built once in `main.rs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::UnboundedSender;

use super::effect::Effect;
use super::services::Services;
use super::update::{JobEvent, Update, UpdateData};
use crate::features::task::{Done, Reply, Task};
use crate::job::Progress;
use crate::net::rollback::{Outcome, PendingChange};

/// How long PAM may take (modules like pam_faildelay or a slow LDAP).
const PAM_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs effects against the services.
pub struct Runner {
    tx: UnboundedSender<Update>,
    svc: Arc<Services>,
    /// A guarded network change waiting for "keep".
    pending: Arc<std::sync::Mutex<Option<PendingChange>>>,
    cancel: Arc<AtomicBool>,
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

impl Runner {
    pub fn new(tx: UnboundedSender<Update>, svc: Arc<Services>) -> Runner {
        Runner {
            tx,
            svc,
            pending: Arc::new(std::sync::Mutex::new(None)),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts `effect`; the answer arrives later as an update.
    pub fn execute(&mut self, effect: Effect) {
        let tx = self.tx.clone();
        match effect {
            Effect::Authenticate { password, purpose } => {
                let svc = self.svc.clone();
                tokio::spawn(async move {
                    let r = blocking(PAM_TIMEOUT, move || {
                        svc.pam()?
                            .authenticate(&password, svc.tty.as_deref())
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
            Effect::Task(task) => self.run_task(task),
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
            Effect::CancelJob => self.cancel.store(true, Ordering::SeqCst),
        }
    }

    /// Runs a feature's task to its reply.
    fn run_task(&mut self, Task(req): Task) {
        self.cancel.store(false, Ordering::SeqCst);
        let (tx, svc, pending) = (self.tx.clone(), self.svc.clone(), self.pending.clone());
        let mut sink = ChannelProgress {
            tx: tx.clone(),
            cancel: self.cancel.clone(),
        };
        tokio::spawn(async move {
            let deadline = req.deadline();
            let r = blocking(deadline.after, move || req.run(&svc, &mut sink))
                .await
                .unwrap_or(Err(deadline.message));
            match r {
                Ok(Done::Lines(l)) => send(&tx, UpdateData::TaskDone(Reply::Done(Ok(l)))),
                Ok(Done::Value(v)) => send(&tx, UpdateData::TaskDone(Reply::Value(v))),
                Err(e) => send(&tx, UpdateData::TaskDone(Reply::Done(Err(e)))),
                Ok(Done::Guarded(p, lines)) => guard(p, lines, pending, tx).await,
            }
        });
    }
}

/// A guarded change is applied: keep it for the operator's answer, ask
/// for it, and follow the watchdog.
async fn guard(
    p: PendingChange,
    lines: Vec<String>,
    pending: Arc<std::sync::Mutex<Option<PendingChange>>>,
    tx: UnboundedSender<Update>,
) {
    let seconds = p.remaining().as_secs().max(1);
    if let Ok(mut slot) = pending.lock() {
        *slot = Some(p);
    }
    send(&tx, UpdateData::ConfirmKeep { seconds, lines });
    watch_pending(pending, tx).await;
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
