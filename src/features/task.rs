//! The request a feature runs, and the one reply every task answers with.
//!
//! A feature hands the app a [`Task`]; `app::runner` runs every task the
//! same way (off the UI thread on the blocking pool, under the request's
//! deadline, progress streamed back, cancel where the request allows it)
//! and answers with a [`Reply`]. The runner has no per-feature arm: what
//! a task does is its request's `run` against the [`Services`].

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::app::services::Services;
use crate::job::Progress;
use crate::net::rollback::PendingChange;

/// How long a task may take, and what the operator reads when it did not
/// finish in time.
#[derive(Debug, Clone)]
pub struct Deadline {
    pub after: Duration,
    pub message: String,
}

impl Deadline {
    pub fn new(after: Duration, message: impl Into<String>) -> Deadline {
        Deadline {
            after,
            message: message.into(),
        }
    }
}

/// A long engine job (a ZStack start can take many minutes).
pub fn job_deadline() -> Deadline {
    Deadline::new(Duration::from_secs(3600), "the job did not finish in time")
}

/// What a request does when it runs.
pub trait Request: fmt::Debug + Send + Sync + 'static {
    /// Title of the progress and result windows.
    fn title(&self) -> String;
    /// The progress window's first line.
    fn phase(&self) -> String {
        "Starting...".into()
    }
    /// Whether stopping half-way is safe (an export can be abandoned; a
    /// service operation cannot).
    fn cancellable(&self) -> bool {
        false
    }
    /// Whether its start goes to the audit trail (a read-only request
    /// does not; privileged ones do).
    fn audited(&self) -> bool {
        true
    }
    /// How long it may take.
    fn deadline(&self) -> Deadline {
        job_deadline()
    }
    /// Runs it to its end (on a blocking thread, never the UI thread).
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String>;
    /// For tests that check what a feature asked for.
    fn as_any(&self) -> &dyn Any;
}

/// How a request ended, as the runner sees it.
pub enum Done {
    /// Lines for the result window.
    Lines(Vec<String>),
    /// A network change applied under the rollback watchdog: the runner
    /// keeps it until the operator keeps or reverts it.
    Guarded(PendingChange, Vec<String>),
    /// A value for the step waiting on it.
    Value(Payload),
}

/// A typed value a task hands to the next step (e.g. the current console
/// proxy settings to pre-fill its form).
pub struct Payload(Box<dyn Any + Send>);

impl Payload {
    pub fn new<T: Any + Send>(v: T) -> Payload {
        Payload(Box::new(v))
    }
    /// The value, if it is a `T`.
    pub fn take<T: Any>(self) -> Option<T> {
        self.0.downcast().ok().map(|b| *b)
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Payload(..)")
    }
}

/// The answer of every task.
#[derive(Debug)]
pub enum Reply {
    /// Result lines, or the error.
    Done(Result<Vec<String>, String>),
    /// A value for the waiting step.
    Value(Payload),
}

/// A request to run, as an effect carries it.
#[derive(Clone)]
pub struct Task(pub Arc<dyn Request>);

impl Task {
    pub fn new(r: impl Request) -> Task {
        Task(Arc::new(r))
    }
    /// The request as its concrete type (tests look inside).
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
