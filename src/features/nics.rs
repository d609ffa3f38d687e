//! What the network features share: the NICs the app knows, how a NIC is
//! listed in a choice, and the network services.

use std::sync::Arc;

use super::task::Deadline;
use crate::app::services::{NetContext, Services};
use crate::app::window::{After, Window};
use crate::app::App;
use crate::kit::{Message, Tone};
use crate::probe::Nic;

/// The NICs of the last collection.
pub fn known(app: &App) -> Vec<Nic> {
    app.nics
        .value
        .as_ref()
        .map(|i| i.nics.clone())
        .unwrap_or_default()
}

/// A NIC as a choice row: name, kind, state, MN mark, addresses.
pub fn label(n: &Nic) -> String {
    let addr = n
        .ipv4
        .iter()
        .map(|(a, p)| format!("{a}/{p}"))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "{:<10} {:<8} {:<4}{}{}",
        n.name,
        n.kind.label(),
        if n.up { "UP" } else { "DOWN" },
        if n.is_mn { " (MN)" } else { "" },
        if addr.is_empty() {
            String::new()
        } else {
            format!(" {addr}")
        }
    )
}

/// An information window back to the menu.
pub fn info(app: &mut App, title: &str, line: String) {
    app.window = Some(Window::Message(
        Message::new(title, vec![line], Tone::Info),
        After::Menu,
    ));
}

/// The network services, or why this node has none.
pub fn context(svc: &Services) -> Result<Arc<NetContext>, String> {
    svc.net
        .clone()
        .map_err(|_| "network operations are not available here".to_string())
}

/// A network change is bounded by its own steps and the rollback window;
/// this is the outer bound.
pub fn deadline() -> Deadline {
    Deadline::new(
        std::time::Duration::from_secs(3600),
        "the network operation did not finish in time",
    )
}

/// What a diagnostic running on its own thread tells the progress window.
pub enum ProbeMsg {
    Phase(String),
    Line(String),
}

/// Runs a blocking diagnostic on a thread of its own (inside the demo's
/// namespace when there is one, like every network operation), streams
/// its messages to the progress window and turns Esc into its cancel flag.
/// Why a thread: a probe blocks in the kernel for up to its own deadline,
/// and the task thread must stay free to notice Esc.
pub fn run_probe<R, F>(svc: &Services, p: &mut dyn crate::job::Progress, f: F) -> Result<R, String>
where
    R: Send + 'static,
    F: FnOnce(&std::sync::atomic::AtomicBool, &std::sync::mpsc::Sender<ProbeMsg>) -> R
        + Send
        + 'static,
{
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{channel, RecvTimeoutError};
    let ctx = context(svc)?;
    let (tx, rx) = channel::<ProbeMsg>();
    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    let run = move || f(&c2, &tx);
    let handle = match &ctx.demo {
        Some(d) => d.spawn_thread(run),
        None => std::thread::spawn(run),
    };
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(100)) {
            Ok(ProbeMsg::Phase(t)) => p.phase(&t),
            Ok(ProbeMsg::Line(t)) => p.line(&t),
            Err(RecvTimeoutError::Timeout) => {
                if p.cancelled() {
                    cancel.store(true, Ordering::SeqCst);
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    handle
        .join()
        .map_err(|_| "the diagnostic's thread failed".to_string())
}

/// A choice of NICs for a diagnostic, each row from [`label`].
pub fn choice(app: &App, title: &str) -> (crate::kit::Choice, Vec<Nic>) {
    let list: Vec<Nic> = known(app).into_iter().filter(|n| n.name != "lo").collect();
    let opts = list.iter().map(|n| (label(n), None)).collect();
    (crate::kit::Choice::new(title, opts), list)
}

/// Opens "<what>: which NIC?" with `step` built from the listed NICs, or
/// says that none is known yet (the first step of the NIC diagnostics).
pub fn open_choice<S: crate::features::step::Step + Clone>(
    app: &mut App,
    what: &str,
    label: &str,
    step: impl FnOnce(Vec<Nic>) -> S,
) {
    let (choice, list) = self::choice(app, &format!("{what}: which NIC?"));
    if list.is_empty() {
        info(
            app,
            label,
            "No NICs are known yet: try again in a moment.".into(),
        );
        return;
    }
    app.window = Some(Window::choice(choice, step(list)));
}
