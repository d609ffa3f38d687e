//! The helper's side: reads requests from stdin, makes the libvirt calls
//! through [`LibvirtNode`], writes replies to stdout.
//!
//! Each request runs on its own thread, so a slow `vms` does not hold up
//! `status`, as with the in-process engine. The helper ends when its stdin
//! closes, that is when the console ends or drops it; it keeps no state
//! but the libvirt connection.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::protocol::{self, Answer, Call, Msg, ProgressEvent, Reply, Request, WireError};
use crate::engine::libvirt::{LibvirtNode, NodeCalls};
use crate::job::Progress;
use crate::sync::lock;

/// Cancel flags of the calls in flight, by request id.
type CancelFlags = Arc<Mutex<HashMap<u64, Arc<AtomicBool>>>>;

/// Where replies go; shared by the call threads, one line at a time.
type Output = Arc<Mutex<dyn Write + Send>>;

/// `nodeconsole-virt --uri URI`: the helper program's main.
pub fn main(mut args: impl Iterator<Item = String>) -> ExitCode {
    let mut uri = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--uri" => uri = args.next(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("nodeconsole-virt: unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(uri) = uri else {
        eprintln!("nodeconsole-virt: --uri is required\n{USAGE}");
        return ExitCode::from(2);
    };
    // Plain lines on stderr: the console copies them into its own log.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
    let node: Arc<dyn NodeCalls> = Arc::new(LibvirtNode::new(&uri));
    serve(
        node,
        std::io::stdin().lock(),
        Arc::new(Mutex::new(std::io::stdout())),
    );
    ExitCode::SUCCESS
}

const USAGE: &str = "usage: nodeconsole-virt --uri URI\n\
Makes nodeconsole's libvirt calls: JSON requests on stdin, replies on stdout.\n\
Started by nodeconsole; not meant to be run by hand.";

/// Answers the requests read from `input` until it ends. Calls still
/// running then are abandoned: the helper process exits when this returns.
pub fn serve(node: Arc<dyn NodeCalls>, input: impl BufRead, output: Output) {
    let cancels: CancelFlags = Arc::default();
    for line in input.lines() {
        let Ok(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let req: Request = match protocol::decode(&line) {
            Ok(req) => req,
            Err(e) => {
                tracing::warn!("ignoring a request that is not understood: {e}");
                continue;
            }
        };
        if let Call::Cancel { target } = req.call {
            if let Some(flag) = lock(&cancels).get(&target) {
                flag.store(true, Ordering::Relaxed);
            }
            continue;
        }
        let flag = Arc::new(AtomicBool::new(false));
        lock(&cancels).insert(req.id, flag.clone());
        let id = req.id;
        let (node, out, flags) = (node.clone(), output.clone(), cancels.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("call-{id}"))
            .spawn(move || {
                let result = answer(&*node, req, &out, flag);
                lock(&flags).remove(&id);
                send(&out, id, Msg::Done(result));
            });
        if let Err(e) = spawned {
            // Out of threads: say so instead of leaving the caller waiting.
            let why = WireError::Failed(format!("libvirt helper: cannot start a thread: {e}"));
            lock(&cancels).remove(&id);
            send(&output, id, Msg::Done(Err(why)));
        }
    }
}

fn answer(
    node: &dyn NodeCalls,
    req: Request,
    output: &Output,
    cancel: Arc<AtomicBool>,
) -> Result<Answer, WireError> {
    Ok(match req.call {
        Call::Status => Answer::Status(node.status()?),
        Call::Hosts => Answer::Hosts(node.hosts()?),
        Call::Vms { scope } => Answer::Vms(node.vms(scope)?),
        Call::Backup { dest_dir } => {
            let mut progress = Forward {
                id: req.id,
                output: output.clone(),
                cancel,
            };
            Answer::Backup(node.backup_database(&dest_dir, &mut progress)?)
        }
        Call::Cancel { .. } => unreachable!("handled by the reader"),
    })
}

/// Writes one reply line. A console that has gone away cannot be told
/// anything; the reader sees stdin end and the helper exits.
fn send(output: &Output, id: u64, msg: Msg) {
    let line = protocol::encode(&Reply { id, msg });
    let mut out = lock(output);
    let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
}

/// A [`Progress`] that forwards to the console.
struct Forward {
    id: u64,
    output: Output,
    cancel: Arc<AtomicBool>,
}

impl Progress for Forward {
    fn phase(&mut self, text: &str) {
        send(
            &self.output,
            self.id,
            Msg::Progress(ProgressEvent::Phase(text.into())),
        );
    }
    fn line(&mut self, text: &str) {
        send(
            &self.output,
            self.id,
            Msg::Progress(ProgressEvent::Line(text.into())),
        );
    }
    fn fraction(&mut self, f: Option<f64>) {
        send(
            &self.output,
            self.id,
            Msg::Progress(ProgressEvent::Fraction(f)),
        );
    }
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}
