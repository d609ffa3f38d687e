//! A thread that lives in a private network namespace and runs submitted
//! closures there.
//!
//! The network namespace is a per-thread property on Linux: a thread that
//! calls `unshare(CLONE_NEWNET)` moves alone into a fresh namespace, and every
//! socket it (or a thread it spawns) opens afterwards belongs to that
//! namespace. So tests and `--demo` get an isolated network stack without
//! touching the host's: create a [`NetnsThread`], then do everything network
//! related inside [`NetnsThread::run`]. The namespace disappears when the
//! thread ends and the last descriptor to it is closed.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::mpsc;
use std::thread::JoinHandle;

use thiserror::Error;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Why a private namespace could not be made.
#[derive(Debug, Error)]
pub enum NetnsError {
    #[error("cannot create a private network namespace ({0}): this needs root (CAP_SYS_ADMIN)")]
    Unshare(nix::Error),
    #[error("cannot open the new namespace's handle /proc/thread-self/ns/net: {0}")]
    Open(std::io::Error),
    #[error("cannot start the namespace thread: {0}")]
    Spawn(std::io::Error),
    #[error("the namespace thread ended unexpectedly")]
    ThreadGone,
    #[error("cannot bring up the loopback interface in the new namespace: {0}")]
    Loopback(String),
}

/// A thread inside its own network namespace (with `lo` up).
pub struct NetnsThread {
    name: String,
    tx: Option<mpsc::Sender<Job>>,
    handle: Option<JoinHandle<()>>,
    ns: File,
}

impl NetnsThread {
    /// Creates the namespace. `name` names the thread (visible in `ps -L`).
    pub fn new(name: &str) -> Result<Self, NetnsError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<File, NetnsError>>();
        let handle = std::thread::Builder::new()
            .name(format!("netns-{name}"))
            .spawn(move || {
                let ns = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                    .map_err(NetnsError::Unshare)
                    .and_then(|()| {
                        File::open("/proc/thread-self/ns/net").map_err(NetnsError::Open)
                    });
                let ok = ns.is_ok();
                let _ = ready_tx.send(ns);
                if !ok {
                    return;
                }
                while let Ok(job) = rx.recv() {
                    job();
                }
            })
            .map_err(NetnsError::Spawn)?;
        let ns = match ready_rx.recv() {
            Ok(Ok(f)) => f,
            Ok(Err(e)) => {
                let _ = handle.join();
                return Err(e);
            }
            Err(_) => return Err(NetnsError::ThreadGone),
        };
        let t = NetnsThread {
            name: name.to_string(),
            tx: Some(tx),
            handle: Some(handle),
            ns,
        };
        t.run(|| crate::net::link::set_up("lo", true))
            .map_err(|e| NetnsError::Loopback(e.to_string()))?;
        Ok(t)
    }

    /// The name given at creation.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace handle (e.g. to move a link into it).
    pub fn ns_fd(&self) -> BorrowedFd<'_> {
        self.ns.as_fd()
    }

    /// Runs `f` on the namespace thread and returns its result. Panics in `f`
    /// are re-raised here.
    pub fn run<R, F>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (rtx, rrx) = mpsc::channel();
        let job: Job = Box::new(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = rtx.send(r);
        });
        self.tx
            .as_ref()
            .expect("sender lives until drop")
            .send(job)
            .expect("namespace thread alive");
        match rrx.recv().expect("namespace thread answered") {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        }
    }

    /// Submits `f` without waiting for it (the demo's long-running work).
    pub fn spawn<F>(&self, f: F) -> Result<(), NetnsError>
    where
        F: FnOnce() + Send + 'static,
    {
        self.tx
            .as_ref()
            .ok_or(NetnsError::ThreadGone)?
            .send(Box::new(f))
            .map_err(|_| NetnsError::ThreadGone)
    }
}

impl Drop for NetnsThread {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
