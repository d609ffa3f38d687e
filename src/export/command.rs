//! Runs one diagnostic command with a hard timeout, its stdout and stderr
//! copied into a file with a size bound (never into memory: `dmesg` or the
//! journal can be large).

use std::fs::File;
use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::config::CommandSpec;
use crate::job::Progress;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandStatus {
    /// Exited with this code (0 is success).
    Exited(i32),
    /// Killed by this signal (not by us).
    Signalled(i32),
    /// Ran past its timeout and was killed (with its process group).
    TimedOut(Duration),
    /// The operator cancelled; the command was killed.
    Cancelled,
    /// Could not be started, e.g. the program is not installed.
    NotStarted(String),
}

impl CommandStatus {
    /// Whether the command ran and exited 0.
    pub fn is_success(&self) -> bool {
        matches!(self, CommandStatus::Exited(0))
    }

    /// A short, operator-readable description for SUMMARY.txt.
    pub fn describe(&self) -> String {
        match self {
            CommandStatus::Exited(c) => format!("exit status {c}"),
            CommandStatus::Signalled(s) => format!("killed by signal {s}"),
            CommandStatus::TimedOut(d) => {
                format!("timed out after {} s and was killed", d.as_secs())
            }
            CommandStatus::Cancelled => "cancelled".into(),
            CommandStatus::NotStarted(why) => format!("could not start: {why}"),
        }
    }
}

/// What [`run_to_file`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    /// Bytes of output in the file.
    pub bytes: u64,
    /// Whether the command printed more than the cap (the rest was read
    /// and thrown away).
    pub cut: bool,
}

/// Runs `spec` with stdin from /dev/null and stdout+stderr into `out`
/// (created or truncated, mode 0600), writing at most `max_bytes` of output:
/// the output goes through a pipe that this process copies with that
/// bound, so a command that prints without end fills neither the disk nor
/// the size cap of the collection. The child starts isolated
/// ([`crate::child::command`]: own session, default signals), so a timeout
/// kills its whole process group. Polls `progress.cancelled()`.
pub fn run_to_file(
    spec: &CommandSpec,
    out: &Path,
    max_bytes: u64,
    progress: &dyn Progress,
) -> (CommandStatus, Written) {
    let file = match super::private_file(out) {
        Ok(f) => f,
        Err(e) => {
            return (
                CommandStatus::NotStarted(format!("cannot create {}: {e}", out.display())),
                Written::default(),
            )
        }
    };
    let (reader, writer) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok((r, w)) => (File::from(r), w),
        Err(e) => {
            return (
                CommandStatus::NotStarted(format!("cannot create a pipe: {e}")),
                Written::default(),
            )
        }
    };
    let err_writer = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => {
            return (
                CommandStatus::NotStarted(format!("cannot duplicate the pipe: {e}")),
                Written::default(),
            )
        }
    };
    let mut cmd = crate::child::command(&spec.argv[0]);
    cmd.args(&spec.argv[1..])
        .stdout(Stdio::from(writer))
        .stderr(Stdio::from(err_writer))
        .env("LC_ALL", "C")
        .env("SYSTEMD_PAGER", "")
        .env("PAGER", "cat");
    let spawned = cmd.spawn();
    // Our copies of the write end go with `cmd`: the pipe ends when the
    // command (and whatever it started) closes its copies.
    drop(cmd);
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            return (
                CommandStatus::NotStarted(format!("{}: {e}", spec.argv[0])),
                Written::default(),
            )
        }
    };
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let copier = std::thread::Builder::new()
        .name("export-cmd-out".into())
        .spawn(move || {
            let mut w = std::io::BufWriter::new(file);
            let r = crate::child::copy_bounded(reader, &mut w, max_bytes)
                .and_then(|got| w.flush().map(|()| got));
            let _ = done_tx.send(r);
        });
    if let Err(e) = copier {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = child.kill();
        let _ = child.wait();
        return (
            CommandStatus::NotStarted(format!("cannot start a thread: {e}")),
            Written::default(),
        );
    }
    let status = wait_for(&mut child, spec.timeout(), progress);
    // The copier ends when every writer of the pipe is gone; a grandchild
    // that left the process group may hold it longer: do not wait for it.
    let written = match done_rx.recv_timeout(COPY_GRACE) {
        Ok(Ok((bytes, cut))) => Written { bytes, cut },
        Ok(Err(e)) => {
            tracing::warn!(command = %spec.name, "cannot write the command's output: {e}");
            Written::default()
        }
        Err(_) => {
            tracing::warn!(command = %spec.name, "the command's output is still open; not waiting for it");
            Written::default()
        }
    };
    (status, written)
}

/// How long to wait, after the command ended, for its output to be copied.
const COPY_GRACE: Duration = Duration::from_secs(2);

/// Waits for `child`, killing its process group on timeout or cancel.
fn wait_for(
    child: &mut std::process::Child,
    timeout: Duration,
    progress: &dyn Progress,
) -> CommandStatus {
    let pid = child.id() as i32;
    let start = Instant::now();
    let kill_group = |child: &mut std::process::Child| {
        // The child leads its own session and process group (child::command).
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = child.kill();
        let _ = child.wait();
    };
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                use std::os::unix::process::ExitStatusExt;
                return match (status.code(), status.signal()) {
                    (Some(c), _) => CommandStatus::Exited(c),
                    (None, Some(s)) => CommandStatus::Signalled(s),
                    _ => CommandStatus::Exited(-1),
                };
            }
            Ok(None) => {}
            Err(e) => {
                kill_group(child);
                return CommandStatus::NotStarted(format!("cannot wait for the command: {e}"));
            }
        }
        if progress.cancelled() {
            kill_group(child);
            return CommandStatus::Cancelled;
        }
        if start.elapsed() >= timeout {
            kill_group(child);
            return CommandStatus::TimedOut(timeout);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Recorder;

    #[test]
    fn captures_stdout_and_stderr() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.txt");
        let spec = CommandSpec::new("x", &["sh", "-c", "echo out; echo err >&2; exit 3"]);
        let st = run_to_file(&spec, &out, u64::MAX, &Recorder::default()).0;
        assert_eq!(st, CommandStatus::Exited(3));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("out") && text.contains("err"), "{text}");
    }

    #[test]
    fn timeout_kills_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.txt");
        let mut spec = CommandSpec::new("x", &["sh", "-c", "echo started; sleep 30; echo late"]);
        spec.timeout_s = 1;
        let st = run_to_file(&spec, &out, u64::MAX, &Recorder::default()).0;
        assert_eq!(st, CommandStatus::TimedOut(Duration::from_secs(1)));
        assert!(st.describe().contains("timed out"));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("started") && !text.contains("late"));
    }

    #[test]
    fn output_beyond_the_cap_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o.txt");
        let spec = CommandSpec::new("x", &["sh", "-c", "head -c 1000000 /dev/zero; echo done"]);
        let (st, w) = run_to_file(&spec, &out, 4096, &Recorder::default());
        assert_eq!(st, CommandStatus::Exited(0));
        assert_eq!(
            w,
            Written {
                bytes: 4096,
                cut: true
            }
        );
        assert_eq!(std::fs::metadata(&out).unwrap().len(), 4096);
    }

    #[test]
    fn missing_program_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let spec = CommandSpec::new("x", &["/nonexistent/prog"]);
        let st = run_to_file(&spec, &dir.path().join("o"), u64::MAX, &Recorder::default()).0;
        assert!(matches!(st, CommandStatus::NotStarted(ref w) if w.contains("No such file")));
    }

    #[test]
    fn cancel_kills() {
        let dir = tempfile::tempdir().unwrap();
        let spec = CommandSpec::new("x", &["sleep", "30"]);
        let rec = Recorder {
            cancel: true,
            ..Default::default()
        };
        assert_eq!(
            run_to_file(&spec, &dir.path().join("o"), u64::MAX, &rec).0,
            CommandStatus::Cancelled
        );
    }
}
