//! The console's side: starts the helper on the first call, sends it
//! requests, and hands each reply to the thread waiting for it.
//!
//! Failure handling, which is the point of the helper besides its memory:
//! - the helper cannot be started: the call fails as "unreachable" with
//!   the path and the OS error, and the next call tries again;
//! - the helper dies (crash, OOM kill, `kill`): every waiting call fails
//!   at once naming how it ended, and the next call starts a new one;
//! - a call gets no answer within its deadline (libvirt hung for good):
//!   the helper is killed, so the stuck libvirt call dies with it instead
//!   of pinning a thread in the console forever, and the next call starts
//!   a new one.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::protocol::{self, Answer, Call, Msg, ProgressEvent, Reply, Request};
use crate::engine::libvirt::{NodeCalls, NAME};
use crate::engine::{EngineError, HostSummary, NodeStatus, VmReport, VmScope};
use crate::job::Progress;
use crate::sync::lock;

/// How long a query (status, hosts, VMs) may go unanswered before the
/// helper is declared hung. Longer than libvirt's own keepalive verdict on
/// a dead daemon (about 20 s), so libvirt reports first when it can; the
/// collectors give up waiting much earlier (`libvirt.timeout_s`) and show
/// the panel as unavailable meanwhile.
pub const QUERY_DEADLINE: Duration = Duration::from_secs(30);

/// The same for a backup, which writes every definition to disk.
pub const JOB_DEADLINE: Duration = Duration::from_secs(600);

/// How often a waiting job checks whether the operator cancelled it.
const CANCEL_POLL: Duration = Duration::from_millis(200);

/// How long a helper whose output ended may take to exit before it is
/// killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Longest helper stderr line copied into the log.
const MAX_LOG_LINE: usize = 2048;

/// What to run: the helper program and the URI it connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperCommand {
    pub program: PathBuf,
    pub uri: String,
}

/// [`NodeCalls`] answered by a `nodeconsole-virt` process.
pub struct HelperNode {
    cmd: HelperCommand,
    query_deadline: Duration,
    job_deadline: Duration,
    next_id: AtomicU64,
    slot: Mutex<Option<Arc<Running>>>,
}

impl std::fmt::Debug for HelperNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelperNode")
            .field("cmd", &self.cmd)
            .field("pid", &self.pid())
            .finish()
    }
}

/// One started helper process.
struct Running {
    pid: u32,
    child: Mutex<Child>,
    /// `None` once closed (the helper then exits).
    stdin: Mutex<Option<ChildStdin>>,
    calls: Mutex<Waiting>,
}

/// The calls waiting for a reply, or why none will come.
#[derive(Default)]
struct Waiting {
    by_id: HashMap<u64, Sender<Msg>>,
    /// How the helper ended, once it has.
    ended: Option<String>,
}

impl HelperNode {
    /// Does not start anything: the helper starts on the first call.
    pub fn new(cmd: HelperCommand) -> HelperNode {
        HelperNode {
            cmd,
            query_deadline: QUERY_DEADLINE,
            job_deadline: JOB_DEADLINE,
            next_id: AtomicU64::new(1),
            slot: Mutex::new(None),
        }
    }

    /// Other deadlines than [`QUERY_DEADLINE`] and [`JOB_DEADLINE`]
    /// (tests use short ones).
    pub fn with_deadlines(mut self, query: Duration, job: Duration) -> HelperNode {
        self.query_deadline = query;
        self.job_deadline = job;
        self
    }

    /// The process id of the running helper, if one is running.
    pub fn pid(&self) -> Option<u32> {
        lock(&self.slot)
            .as_ref()
            .filter(|r| !r.has_ended())
            .map(|r| r.pid)
    }

    /// Lets go of the running helper, if any: closing its stdin ends it
    /// (calls still running in it end with it), and its reader thread
    /// reaps it.
    fn retire(&self) {
        if let Some(run) = lock(&self.slot).take() {
            lock(&run.stdin).take();
        }
    }

    /// The running helper, started if there is none or the last one ended.
    fn running(&self) -> Result<Arc<Running>, EngineError> {
        let mut slot = lock(&self.slot);
        if let Some(r) = slot.as_ref().filter(|r| !r.has_ended()) {
            return Ok(r.clone());
        }
        let r = self.start()?;
        *slot = Some(r.clone());
        Ok(r)
    }

    fn start(&self) -> Result<Arc<Running>, EngineError> {
        let program = &self.cmd.program;
        // Own session, default signals, no terminal (crate::child).
        let mut cmd = crate::child::command(program);
        cmd.arg("--uri")
            .arg(&self.cmd.uri)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in helper_env_changes(std::env::vars_os()) {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        let mut child = cmd.spawn().map_err(|e| {
            EngineError::Unreachable(
                NAME.into(),
                format!(
                    "cannot start the libvirt helper {}: {e}; install it beside nodeconsole \
                     or set libvirt.helper in the configuration",
                    program.display()
                ),
            )
        })?;
        let pid = child.id();
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let running = Arc::new(Running {
            pid,
            child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            calls: Mutex::new(Waiting::default()),
        });
        let reader = running.clone();
        let started = std::thread::Builder::new()
            .name("libvirt-helper-out".into())
            .spawn(move || {
                if let Some(out) = stdout {
                    read_replies(&reader, out);
                }
                reader.reap();
            });
        if let Err(e) = started {
            running.kill();
            running.reap();
            return Err(EngineError::Unreachable(
                NAME.into(),
                format!("cannot start a thread for the libvirt helper: {e}"),
            ));
        }
        if let Some(err) = stderr {
            // Without this thread the helper's log lines are lost, nothing else.
            let _ = std::thread::Builder::new()
                .name("libvirt-helper-log".into())
                .spawn(move || copy_log(err, pid));
        }
        tracing::info!(pid, program = %program.display(), uri = %self.cmd.uri, "started the libvirt helper");
        Ok(running)
    }

    /// Sends `call` and waits for its answer, forwarding progress and
    /// cancellation when `progress` is given.
    fn call(
        &self,
        call: Call,
        deadline: Duration,
        mut progress: Option<&mut dyn Progress>,
    ) -> Result<Answer, EngineError> {
        let run = self.running()?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        run.expect(id, tx)?;
        if let Err(e) = run.send(&Request { id, call }) {
            run.forget(id);
            run.kill();
            return Err(EngineError::Unreachable(
                NAME.into(),
                format!("cannot write to the libvirt helper (pid {}): {e}", run.pid),
            ));
        }
        let until = Instant::now() + deadline;
        let mut cancel_sent = false;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let wait = match progress {
                Some(_) => left.min(CANCEL_POLL),
                None => left,
            };
            match rx.recv_timeout(wait) {
                Ok(Msg::Done(result)) => return result.map_err(EngineError::from),
                Ok(Msg::Progress(event)) => {
                    if let Some(p) = progress.as_deref_mut() {
                        apply(p, event);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(EngineError::Unreachable(
                        NAME.into(),
                        format!(
                            "the libvirt helper (pid {}) ended before answering: {}; \
                             a new one starts on the next call",
                            run.pid,
                            run.how_it_ended()
                        ),
                    ));
                }
                Err(RecvTimeoutError::Timeout) if Instant::now() >= until => {
                    run.forget(id);
                    tracing::error!(
                        pid = run.pid,
                        ?deadline,
                        "libvirt helper did not answer; killing it"
                    );
                    run.kill();
                    return Err(EngineError::Unreachable(
                        NAME.into(),
                        format!(
                            "no answer from libvirt ({}) within {} s; its helper process was \
                             stopped and a new one starts on the next call",
                            self.cmd.uri,
                            deadline.as_secs()
                        ),
                    ));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            // Checked after every progress event as well as every poll, so
            // a cancel reaches the helper as soon as the operator asks.
            let cancelled = progress.as_deref().is_some_and(|p| p.cancelled());
            if cancelled && !cancel_sent {
                cancel_sent = true;
                // If this cannot be sent the helper is gone, which the
                // next receive reports.
                let _ = run.send(&Request {
                    id: self.next_id.fetch_add(1, Ordering::Relaxed),
                    call: Call::Cancel { target: id },
                });
            }
        }
    }
}

impl Drop for HelperNode {
    fn drop(&mut self) {
        self.retire();
    }
}

impl NodeCalls for HelperNode {
    fn status(&self) -> Result<NodeStatus, EngineError> {
        match self.call(Call::Status, self.query_deadline, None)? {
            Answer::Status(s) => Ok(s),
            other => Err(unexpected(&other)),
        }
    }

    fn hosts(&self) -> Result<HostSummary, EngineError> {
        match self.call(Call::Hosts, self.query_deadline, None)? {
            Answer::Hosts(h) => Ok(h),
            other => Err(unexpected(&other)),
        }
    }

    fn vms(&self, scope: VmScope) -> Result<VmReport, EngineError> {
        match self.call(Call::Vms { scope }, self.query_deadline, None)? {
            Answer::Vms(v) => Ok(v),
            other => Err(unexpected(&other)),
        }
    }

    fn backup_database(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        let call = Call::Backup {
            dest_dir: dest_dir.to_owned(),
        };
        match self.call(call, self.job_deadline, Some(progress))? {
            Answer::Backup(path) => Ok(path),
            other => Err(unexpected(&other)),
        }
    }

    /// Retires the helper, and its connection with it: no round trip
    /// that a hung helper could hold up, and the next call starts afresh.
    fn forget_connection(&self) {
        self.retire();
    }

    fn is_connected(&self) -> bool {
        self.pid().is_some()
    }
}

impl Running {
    fn has_ended(&self) -> bool {
        lock(&self.calls).ended.is_some()
    }

    fn how_it_ended(&self) -> String {
        lock(&self.calls)
            .ended
            .clone()
            .unwrap_or_else(|| "it closed its output".into())
    }

    /// Registers a waiting call; fails when the helper has already ended.
    fn expect(&self, id: u64, tx: Sender<Msg>) -> Result<(), EngineError> {
        let mut calls = lock(&self.calls);
        if let Some(how) = &calls.ended {
            return Err(EngineError::Unreachable(
                NAME.into(),
                format!("the libvirt helper (pid {}) ended: {how}", self.pid),
            ));
        }
        calls.by_id.insert(id, tx);
        Ok(())
    }

    fn forget(&self, id: u64) {
        lock(&self.calls).by_id.remove(&id);
    }

    fn send(&self, req: &Request) -> std::io::Result<()> {
        let line = protocol::encode(req);
        let mut stdin = lock(&self.stdin);
        let pipe = stdin
            .as_mut()
            .ok_or_else(|| std::io::Error::other("the helper's input is closed"))?;
        pipe.write_all(line.as_bytes())?;
        pipe.flush()
    }

    /// Hands a reply to its waiting call; the final one unregisters it.
    fn deliver(&self, reply: Reply) {
        let mut calls = lock(&self.calls);
        let done = matches!(reply.msg, Msg::Done(_));
        let tx = if done {
            calls.by_id.remove(&reply.id)
        } else {
            calls.by_id.get(&reply.id).cloned()
        };
        drop(calls);
        if let Some(tx) = tx {
            // The caller may have given up (deadline); nothing to do then.
            let _ = tx.send(reply.msg);
        }
    }

    /// SIGKILL; `Child::kill` does nothing once the child was reaped, so
    /// this can never hit a recycled pid.
    fn kill(&self) {
        let _ = lock(&self.child).kill();
    }

    /// After the helper's output ended: make sure it is gone, collect its
    /// exit status, and fail every call still waiting.
    fn reap(&self) {
        let status = {
            let mut child = lock(&self.child);
            // Its output ends as it exits: give it a moment to finish
            // exiting on its own, so its real exit status is reported.
            let grace = Instant::now() + EXIT_GRACE;
            loop {
                match child.try_wait() {
                    Ok(None) if Instant::now() < grace => {
                        std::thread::sleep(Duration::from_millis(10))
                    }
                    Ok(None) => {
                        let _ = child.kill();
                        break child.wait();
                    }
                    other => break other.map(|s| s.unwrap_or_default()),
                }
            }
        };
        let how = match &status {
            Ok(s) => s.to_string(),
            Err(e) => format!("unknown exit status ({e})"),
        };
        if status.is_ok_and(|s| s.success()) {
            tracing::info!(pid = self.pid, "the libvirt helper ended: {how}");
        } else {
            tracing::warn!(pid = self.pid, "the libvirt helper ended: {how}");
        }
        let mut calls = lock(&self.calls);
        calls.ended = Some(how);
        // Dropping the senders wakes every waiting call.
        calls.by_id.clear();
    }
}

/// The longest reply line read into memory (a 2,000-VM list is well under
/// 1 MiB); a longer one is skipped, and the call it answered times out.
const MAX_REPLY_LINE: usize = 32 << 20;

/// Reads reply lines until the helper's stdout ends.
fn read_replies(run: &Running, out: impl Read) {
    use crate::child::{read_line_bounded, Line};
    let mut out = BufReader::new(out);
    let mut buf = Vec::new();
    loop {
        match read_line_bounded(&mut out, &mut buf, MAX_REPLY_LINE) {
            Ok(Line::Complete) => {}
            Ok(Line::TooLong) => {
                tracing::warn!(
                    pid = run.pid,
                    "libvirt helper sent a reply longer than {MAX_REPLY_LINE} bytes; ignored"
                );
                continue;
            }
            Ok(Line::End) | Err(_) => return,
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            tracing::warn!(
                pid = run.pid,
                "libvirt helper sent a reply that is not UTF-8"
            );
            continue;
        };
        match protocol::decode::<Reply>(line) {
            Ok(reply) => run.deliver(reply),
            Err(e) => tracing::warn!(
                pid = run.pid,
                "libvirt helper said something unreadable: {e}"
            ),
        }
    }
}

/// Copies the helper's stderr into the console's log.
fn copy_log(err: impl Read, pid: u32) {
    use crate::child::{read_line_bounded, Line};
    let mut err = BufReader::new(err);
    let mut line = Vec::new();
    loop {
        match read_line_bounded(&mut err, &mut line, MAX_LOG_LINE) {
            Ok(Line::Complete) => {
                let text = String::from_utf8_lossy(&line);
                tracing::info!(pid, "libvirt helper: {}", text.trim_end());
            }
            Ok(Line::TooLong) => {
                tracing::info!(
                    pid,
                    "libvirt helper: (a line over {MAX_LOG_LINE} bytes, left out)"
                )
            }
            Ok(Line::End) | Err(_) => return,
        }
    }
}

fn apply(p: &mut dyn Progress, event: ProgressEvent) {
    match event {
        ProgressEvent::Phase(t) => p.phase(&t),
        ProgressEvent::Line(t) => p.line(&t),
        ProgressEvent::Fraction(f) => p.fraction(f),
    }
}

fn unexpected(answer: &Answer) -> EngineError {
    EngineError::Failed(format!("libvirt helper: unexpected answer {answer:?}"))
}

/// The environment changes for the helper: the demo runs the console under
/// pam_wrapper (LD_PRELOAD plus PAM_WRAPPER* variables), which the helper
/// must not load. Anything else is inherited as it is.
fn helper_env_changes(
    vars: impl Iterator<Item = (OsString, OsString)>,
) -> Vec<(OsString, Option<OsString>)> {
    let mut changes = Vec::new();
    for (key, value) in vars {
        let k = key.to_string_lossy();
        if k.starts_with("PAM_WRAPPER") {
            changes.push((key, None));
        } else if k == "LD_PRELOAD" {
            let v = value.to_string_lossy();
            let kept: Vec<&str> = v
                .split([':', ' '])
                .filter(|lib| !lib.is_empty() && !lib.contains("pam_wrapper"))
                .collect();
            if kept.len() != v.split([':', ' ']).filter(|l| !l.is_empty()).count() {
                let new = (!kept.is_empty()).then(|| OsString::from(kept.join(":")));
                changes.push((key, new));
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn pam_wrapper_is_not_passed_to_the_helper() {
        let changes = helper_env_changes(
            env(&[
                ("PATH", "/usr/bin"),
                ("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libpam_wrapper.so"),
                ("PAM_WRAPPER", "1"),
                ("PAM_WRAPPER_SERVICE_DIR", "/tmp/x"),
            ])
            .into_iter(),
        );
        assert_eq!(
            changes,
            vec![
                (OsString::from("LD_PRELOAD"), None),
                (OsString::from("PAM_WRAPPER"), None),
                (OsString::from("PAM_WRAPPER_SERVICE_DIR"), None),
            ]
        );
    }

    #[test]
    fn other_preloads_are_kept() {
        let changes = helper_env_changes(
            env(&[(
                "LD_PRELOAD",
                "/lib/libfoo.so:/lib/libpam_wrapper.so /lib/libbar.so",
            )])
            .into_iter(),
        );
        assert_eq!(
            changes,
            vec![(
                OsString::from("LD_PRELOAD"),
                Some(OsString::from("/lib/libfoo.so:/lib/libbar.so"))
            )]
        );
        assert!(
            helper_env_changes(env(&[("LD_PRELOAD", "/lib/libfoo.so")]).into_iter()).is_empty()
        );
    }

    #[test]
    fn a_missing_helper_is_unreachable_with_its_path() {
        let node = HelperNode::new(HelperCommand {
            program: "/nonexistent/nodeconsole-virt".into(),
            uri: "test:///default".into(),
        });
        let err = node.status().unwrap_err();
        let EngineError::Unreachable(what, why) = err else {
            panic!("{err:?}")
        };
        assert_eq!(what, "libvirt");
        assert!(why.contains("/nonexistent/nodeconsole-virt"), "{why}");
        assert!(why.contains("libvirt.helper"), "{why}");
        assert!(!node.is_connected());
    }
}
