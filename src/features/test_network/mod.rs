//! Test Network: a menu of network diagnostics (issue #14) — ping, cloud
//! reachability, DNS lookup, route and gateway, and what diag-b adds.
//!
//! Why a static slice of a tiny trait: adding a diagnostic is one module
//! and one line in [`DIAGNOSTICS`]; every entry has a stable id so tests
//! and the audit trail pick it by id or label, never by its row. The
//! network libraries the diagnostics call are pure and live in
//! `crate::diag`; the modules here hold only the steps and the requests.

pub mod clock;
pub mod dns;
pub mod duplicate_address;
pub mod identify_port;
pub mod nic_details;
pub mod path_mtu;
pub mod ping;
pub mod reach;
pub mod route;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::step::{Input, Step};
use super::{Feature, FeatureId, NodeFeatures};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::engine::{Availability, Capabilities};
use crate::job::Progress;
use crate::kit::Choice;

pub use ping::{Request, Submit};

pub const ID: FeatureId = FeatureId("test-network");

/// One entry of the diagnostics menu.
pub trait Diagnostic: Sync {
    /// Stable id (tests and the audit trail).
    fn id(&self) -> &'static str;
    /// The menu label.
    fn label(&self) -> &'static str;
    /// Whether it can run on this node, and why not (a diagnostic this
    /// build or kernel lacks shows disabled with the reason).
    fn availability(&self, _app: &App) -> Availability {
        Availability::Available
    }
    /// Enter on its row: opens its first window.
    fn open(&self, app: &mut App, root: &RootSession);
}

/// The diagnostics in menu order; ping first, as Test Network was.
pub static DIAGNOSTICS: &[&dyn Diagnostic] = &[
    &ping::DIAG,
    &reach::DIAG,
    &dns::DIAG,
    &route::DIAG,
    &clock::DIAG,
    &path_mtu::DIAG,
    &duplicate_address::DIAG,
    &nic_details::DIAG,
    &identify_port::DIAG,
];

/// The row of diagnostic `id` in the menu.
pub fn position(id: &str) -> Option<usize> {
    DIAGNOSTICS.iter().position(|d| d.id() == id)
}

pub struct TestNetwork;
pub static FEATURE: TestNetwork = TestNetwork;

impl Feature for TestNetwork {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        "Test Network".into()
    }
    fn availability(&self, _caps: &Capabilities, node: &NodeFeatures) -> Availability {
        node.network.clone()
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let options = DIAGNOSTICS
            .iter()
            .map(|d| {
                let why = match d.availability(app) {
                    Availability::Available => None,
                    Availability::Unavailable(why) => Some(why),
                };
                (d.label().to_string(), why)
            })
            .collect();
        app.window = Some(Window::choice(
            Choice::new("Test Network: diagnostics", options),
            Choose,
        ));
    }
}

/// A diagnostic was chosen.
#[derive(Debug, Clone)]
pub struct Choose;

impl Step for Choose {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Chosen(i) = input else { return };
        if let Some(d) = DIAGNOSTICS.get(i) {
            d.open(app, root);
        }
    }
}

/// Runs `probe` on a thread of its own — inside the demo namespace in
/// `--demo`, like the ping — while this (runner) thread relays Esc to its
/// cancel flag and its lines to the progress window. The probe bounds
/// itself (each one has a deadline); this only waits for it.
pub(crate) fn run_probe<R: Send + 'static>(
    svc: &Services,
    p: &mut dyn Progress,
    probe: impl FnOnce(Arc<AtomicBool>, mpsc::Sender<String>) -> R + Send + 'static,
) -> Result<R, String> {
    let (tx, rx) = mpsc::channel::<String>();
    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    let run = move || probe(c2, tx);
    let demo = svc.net.as_ref().ok().and_then(|c| c.demo.clone());
    let handle = match demo {
        Some(d) => d.spawn_thread(run),
        None => std::thread::spawn(run),
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => p.line(&line),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if p.cancelled() {
                    cancel.store(true, Ordering::SeqCst);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    handle
        .join()
        .map_err(|_| "the diagnostic's thread failed".to_string())
}

/// Writes a diagnostic's outcome into the audit trail (every result is
/// audited, issue #14: what the operator saw at the node can be read back
/// later) and hands it on as the result window's lines.
pub(crate) fn audited(
    id: &str,
    subject: &str,
    outcome: Result<Vec<String>, String>,
) -> Result<super::task::Done, String> {
    match &outcome {
        Ok(lines) => tracing::info!(
            target: "audit",
            event = "diagnostic",
            diagnostic = id,
            subject,
            outcome = "done",
            "diagnostic {id} of {subject}: {}",
            lines.join("; ")
        ),
        Err(e) => tracing::warn!(
            target: "audit",
            event = "diagnostic",
            diagnostic = id,
            subject,
            outcome = "failure",
            "diagnostic {id} of {subject} failed: {e}"
        ),
    }
    outcome.map(super::task::Done::Lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_ping_is_first() {
        let mut ids: Vec<&str> = DIAGNOSTICS.iter().map(|d| d.id()).collect();
        assert_eq!(ids[0], "ping");
        assert_eq!(position("ping"), Some(0));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), DIAGNOSTICS.len(), "duplicate diagnostic id");
    }
}
