//! Drives the real `nodeconsole` binary in a private tmux server: one
//! socket per test, so tests never touch anyone else's tmux, and the server
//! is killed (by its own socket) when the handle drops.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// Fails the test in CI, or skips loudly elsewhere, when `tool` is missing.
/// Returns false when the caller should return (skip).
pub fn require(tool: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("prerequisite `{tool}` is missing (run `make test`, which installs it)");
    }
    eprintln!("SKIPPED: `{tool}` is not installed (make test installs it)");
    false
}

pub struct Tmux {
    socket: String,
    pub dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts `cmd` (a shell command line) in a detached session of `w`x`h`.
    pub fn start(cmd: &str, w: u16, h: u16) -> Tmux {
        let socket = format!(
            "nctest-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let dir = tempfile::tempdir().unwrap();
        let t = Tmux { socket, dir };
        // `remain-on-exit` keeps the pane after the program ends so its
        // exit status and last screen can be inspected.
        let status = t
            .cmd()
            .args([
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
                "-s",
                "t",
            ])
            .arg(format!("{cmd}; echo EXITED:$? ; sleep 30"))
            .env("TERM", "xterm")
            // A private TMPDIR: `--demo` keeps its export dir, state file
            // and PAM files under the temp dir, per user; tests running at
            // the same time must not share (or inherit) them.
            .env("TMPDIR", t.dir.path())
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// Sends one key (tmux key name: `F2`, `Escape`, `C-c`, `j`, ...).
    pub fn key(&self, k: &str) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "t", k])
            .status()
            .unwrap()
            .success();
        assert!(ok, "send-keys {k}");
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Types literal text.
    pub fn type_text(&self, s: &str) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", "t", "-l", s])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        std::thread::sleep(Duration::from_millis(60));
    }

    pub fn capture(&self) -> String {
        let o = self
            .cmd()
            .args(["capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    pub fn resize(&self, w: u16, h: u16) {
        let ok = self
            .cmd()
            .args([
                "resize-window",
                "-t",
                "t",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "resize-window");
    }

    /// Waits until the screen satisfies `pred` (a deadline so a broken build
    /// fails instead of hanging; not a performance assertion). Returns the
    /// screen; panics with the last screen when it never happens.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        super::poll::until_ok(what, super::poll::DEADLINE, || {
            let s = self.capture();
            if pred(&s) {
                Ok(s)
            } else {
                Err(s)
            }
        })
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The pid of the pane's shell (the program under test is its child).
    pub fn pane_pid(&self) -> u32 {
        let o = self
            .cmd()
            .args(["display", "-p", "-t", "t", "#{pane_pid}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
    }
}

/// The children of `pid` whose command name (`/proc/PID/comm`, at most 15
/// characters) starts with `comm`.
pub fn children_named(pid: u32, comm: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return found;
    };
    for task in tasks.flatten() {
        let list = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in list
            .split_whitespace()
            .filter_map(|c| c.parse::<u32>().ok())
        {
            let name = std::fs::read_to_string(format!("/proc/{child}/comm")).unwrap_or_default();
            if name.trim_end().starts_with(comm) {
                found.push(child);
            }
        }
    }
    found
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_nodeconsole")
}

/// Shell-quotes a path.
pub fn q(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}
