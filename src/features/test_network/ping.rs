//! Test Network → Ping: ICMP echo to a target (unprivileged datagram
//! socket, raw fallback), each reply's RTT, loss, summary; Esc stops it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Diagnostic;
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::features::nics;
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};

pub struct Ping;
pub static DIAG: Ping = Ping;

impl Diagnostic for Ping {
    fn id(&self) -> &'static str {
        "ping"
    }
    fn label(&self) -> &'static str {
        "Ping"
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let f = Field::new("Target (IPv4 or host)", FieldKind::Text)
            .with_text(app.settings.ping_target.clone());
        app.window = Some(Window::form(
            Form::new("Test Network", vec![f]).with_note("ICMP echo, 4 probes; Esc stops it."),
            Submit,
        ));
    }
}

/// The target was entered.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        let target = form.fields[0].text.trim().to_string();
        if let Err(e) = crate::net::ping::validate_target(&target) {
            form.fail(0, e.to_string());
            app.window = Some(Window::form(form, Submit));
            return;
        }
        app.start_task(root, Task::new(Request { target }), None);
    }
}

/// Ping `target`.
#[derive(Debug, Clone)]
pub struct Request {
    pub target: String,
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        format!("Test Network: {}", self.target)
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn deadline(&self) -> Deadline {
        nics::deadline()
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        let ctx = nics::context(svc)?;
        let opts = crate::net::ping::PingOptions::default();
        p.phase(&format!(
            "Pinging {} ({} probes)...",
            self.target, opts.count
        ));
        // The ping reports each reply; it checks the cancel flag itself.
        let (ev_tx, ev_rx) = std::sync::mpsc::channel::<String>();
        let cancel = Arc::new(AtomicBool::new(false));
        let c2 = cancel.clone();
        let t2 = self.target.clone();
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
            .map_err(|_| "the ping thread failed".to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map(|s| vec![s.to_string()]);
        super::audited("ping", &self.target, summary)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
