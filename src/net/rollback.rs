//! Confirm-or-revert for network changes that can cut the operator off
//! (the NIC carrying the management network or the default route).
//!
//! After such a change is applied, the console asks "keep this
//! configuration?" and reverts to the previous one unless the operator
//! confirms within `network.rollback_s` seconds. An operator who just lost
//! the node (the BMC console still works, the SSH session does not) gets it
//! back without doing anything. [`Guard`] is the pure state machine (time
//! is passed in, so tests need no sleeping); [`PendingChange`] runs it on a
//! watchdog thread so the revert happens even if the UI is stuck.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::probe::Nic;

/// Why a change was reverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevertReason {
    /// Not confirmed in time.
    Timeout,
    /// The operator answered "no".
    Declined,
}

/// What to do with the applied change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Keep,
    Revert(RevertReason),
}

/// The confirm-or-revert state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    deadline: Instant,
    decided: Option<Decision>,
}

impl Guard {
    /// Starts the countdown at `now` (right after the change was applied).
    pub fn new(now: Instant, timeout: Duration) -> Self {
        Guard {
            deadline: now + timeout,
            decided: None,
        }
    }

    /// Time left to confirm (for the countdown on screen).
    pub fn remaining(&self, now: Instant) -> Duration {
        self.deadline.saturating_duration_since(now)
    }

    /// The decision, once taken.
    pub fn decision(&self) -> Option<Decision> {
        self.decided
    }

    /// The operator confirmed. Too late counts as a timeout: a confirmation
    /// racing the deadline must not keep a change that is already due.
    pub fn confirm(&mut self, now: Instant) -> Decision {
        if let Some(d) = self.decided {
            return d;
        }
        let d = if now < self.deadline {
            Decision::Keep
        } else {
            Decision::Revert(RevertReason::Timeout)
        };
        self.decided = Some(d);
        d
    }

    /// The operator declined.
    pub fn decline(&mut self) -> Decision {
        *self
            .decided
            .get_or_insert(Decision::Revert(RevertReason::Declined))
    }

    /// Clock tick: decides `Revert(Timeout)` once the deadline has passed.
    pub fn tick(&mut self, now: Instant) -> Option<Decision> {
        if self.decided.is_none() && now >= self.deadline {
            self.decided = Some(Decision::Revert(RevertReason::Timeout));
        }
        self.decided
    }
}

/// Whether a change to `nic` needs the confirm-or-revert guard: it carries
/// the management network or the default route.
pub fn needs_guard(nic: &Nic) -> bool {
    nic.is_mn || nic.default_route
}

/// How a guarded change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Kept,
    Reverted(RevertReason),
    /// The revert itself failed: the message says what to fix by hand.
    RevertFailed {
        reason: RevertReason,
        error: String,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Kept => f.write_str("the new configuration is kept"),
            Outcome::Reverted(RevertReason::Timeout) => {
                f.write_str("not confirmed in time: the previous configuration was restored")
            }
            Outcome::Reverted(RevertReason::Declined) => {
                f.write_str("the previous configuration was restored")
            }
            Outcome::RevertFailed { error, .. } => write!(
                f,
                "restoring the previous configuration FAILED ({error}): fix the network by hand from this console"
            ),
        }
    }
}

enum Msg {
    Confirm,
    Decline,
}

/// The function that puts the previous configuration back (run-time state
/// and persisted files). It runs on the watchdog thread, which starts in the
/// network namespace of the thread that called [`PendingChange::start`]; for
/// the demo namespace, make the closure submit its work to the namespace
/// thread.
pub type RevertFn = Box<dyn FnOnce() -> Result<(), String> + Send + 'static>;

/// An applied change waiting for confirmation, watched by its own thread.
pub struct PendingChange {
    tx: mpsc::Sender<Msg>,
    handle: Option<JoinHandle<Outcome>>,
    deadline: Instant,
}

impl PendingChange {
    /// Starts the countdown for a change that has just been applied.
    pub fn start(timeout: Duration, revert: RevertFn) -> Self {
        let now = Instant::now();
        let (tx, rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("net-rollback".into())
            .spawn(move || {
                let mut guard = Guard::new(now, timeout);
                let decision = loop {
                    let wait = guard.remaining(Instant::now());
                    match rx.recv_timeout(wait) {
                        Ok(Msg::Confirm) => break guard.confirm(Instant::now()),
                        Ok(Msg::Decline) => break guard.decline(),
                        // The UI dropped us without an answer: that is no confirmation.
                        Err(RecvTimeoutError::Disconnected) => break guard.decline(),
                        Err(RecvTimeoutError::Timeout) => {
                            if let Some(d) = guard.tick(Instant::now()) {
                                break d;
                            }
                        }
                    }
                };
                match decision {
                    Decision::Keep => {
                        tracing::info!("network change confirmed and kept");
                        Outcome::Kept
                    }
                    Decision::Revert(reason) => {
                        tracing::warn!(?reason, "reverting network change");
                        match revert() {
                            Ok(()) => Outcome::Reverted(reason),
                            Err(error) => {
                                tracing::error!(%error, "reverting network change failed");
                                Outcome::RevertFailed { reason, error }
                            }
                        }
                    }
                }
            })
            .expect("spawn rollback watchdog");
        PendingChange {
            tx,
            handle: Some(handle),
            deadline: now + timeout,
        }
    }

    /// Time left to confirm.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// The watchdog already decided (the UI polls this to close the dialog).
    pub fn is_finished(&self) -> bool {
        match &self.handle {
            Some(h) => h.is_finished(),
            None => true,
        }
    }

    /// Operator said "keep". Returns the outcome (a revert if it was too late).
    pub fn keep(mut self) -> Outcome {
        let _ = self.tx.send(Msg::Confirm);
        self.join()
    }

    /// Operator said "no": revert now.
    pub fn revert(mut self) -> Outcome {
        let _ = self.tx.send(Msg::Decline);
        self.join()
    }

    /// Blocks until the watchdog decided (confirmation or timeout).
    pub fn wait(mut self) -> Outcome {
        self.join()
    }

    fn join(&mut self) -> Outcome {
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(o)) => o,
            _ => Outcome::RevertFailed {
                reason: RevertReason::Declined,
                error: "the rollback watchdog crashed".into(),
            },
        }
    }
}

impl Drop for PendingChange {
    /// Dropping without an answer reverts (never silently keeps).
    fn drop(&mut self) {
        if self.handle.is_some() {
            let _ = self.tx.send(Msg::Decline);
            let _ = self.join();
        }
    }
}
