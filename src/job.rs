//! Long operations ("jobs") report through a [`Progress`] sink, so the same
//! operation code drives the progress window, a log, or a test recorder.

/// Receives a job's progress. Implementations must be cheap: the job calls
/// them from its own thread as often as it likes.
pub trait Progress: Send {
    /// A new phase, e.g. "Stopping the management server".
    fn phase(&mut self, text: &str);
    /// One line of output (a child's stdout/stderr, a file collected).
    fn line(&mut self, text: &str);
    /// Completed fraction 0.0..=1.0, or `None` when unknown.
    fn fraction(&mut self, f: Option<f64>);
    /// Whether the operator asked to cancel; jobs check this where stopping
    /// is safe and ignore it where it is not.
    fn cancelled(&self) -> bool;
}

/// A `Progress` that records everything; for tests and for the audit log.
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    pub phases: Vec<String>,
    pub lines: Vec<String>,
    pub fraction: Option<f64>,
    pub cancel: bool,
}

impl Progress for Recorder {
    fn phase(&mut self, text: &str) {
        self.phases.push(text.to_owned());
    }
    fn line(&mut self, text: &str) {
        self.lines.push(text.to_owned());
    }
    fn fraction(&mut self, f: Option<f64>) {
        self.fraction = f;
    }
    fn cancelled(&self) -> bool {
        self.cancel
    }
}
