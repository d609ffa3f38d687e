//! Runs one diagnostic command with a hard timeout, its stdout and stderr
//! going straight to a file (never into memory: `dmesg` or the journal can
//! be large).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
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

/// Runs `spec` with stdin from /dev/null and stdout+stderr into `out`
/// (created or truncated). The child gets its own process group so a
/// timeout kills whatever it spawned too. Polls `progress.cancelled()`.
pub fn run_to_file(spec: &CommandSpec, out: &Path, progress: &dyn Progress) -> CommandStatus {
    let file = match File::create(out) {
        Ok(f) => f,
        Err(e) => {
            return CommandStatus::NotStarted(format!("cannot create {}: {e}", out.display()))
        }
    };
    let err_file = match file.try_clone() {
        Ok(f) => f,
        Err(e) => return CommandStatus::NotStarted(format!("cannot duplicate output file: {e}")),
    };
    let mut cmd = Command::new(&spec.argv[0]);
    cmd.args(&spec.argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err_file))
        .env("LC_ALL", "C")
        .env("SYSTEMD_PAGER", "")
        .env("PAGER", "cat")
        .process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return CommandStatus::NotStarted(format!("{}: {e}", spec.argv[0])),
    };
    let pid = child.id() as i32;
    let start = Instant::now();
    let timeout = spec.timeout();
    let kill_group = |child: &mut std::process::Child| {
        // SAFETY-free: nix's killpg on the group we created for this child.
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
                kill_group(&mut child);
                return CommandStatus::NotStarted(format!("cannot wait for the command: {e}"));
            }
        }
        if progress.cancelled() {
            kill_group(&mut child);
            return CommandStatus::Cancelled;
        }
        if start.elapsed() >= timeout {
            kill_group(&mut child);
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
        let st = run_to_file(&spec, &out, &Recorder::default());
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
        let st = run_to_file(&spec, &out, &Recorder::default());
        assert_eq!(st, CommandStatus::TimedOut(Duration::from_secs(1)));
        assert!(st.describe().contains("timed out"));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("started") && !text.contains("late"));
    }

    #[test]
    fn missing_program_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let spec = CommandSpec::new("x", &["/nonexistent/prog"]);
        let st = run_to_file(&spec, &dir.path().join("o"), &Recorder::default());
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
            run_to_file(&spec, &dir.path().join("o"), &rec),
            CommandStatus::Cancelled
        );
    }
}
