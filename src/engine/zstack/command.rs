//! Running the vendor's tools (`zstack-ctl`, the installer, `rabbitmqctl`,
//! `mysqldump`) as child processes whose output streams into the progress
//! window line by line.
//!
//! Secrets go to the child on stdin or in its environment, never in argv
//! (argv is world-readable in /proc). Every child runs in its own process
//! group with a deadline; on timeout the whole group is killed, because
//! `zstack-ctl` starts helpers of its own that would otherwise linger.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::engine::EngineError;
use crate::job::Progress;
use crate::secret::Secret;

/// A child process to run.
pub struct Run<'a> {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Written to the child's stdin, then stdin is closed.
    pub stdin: Option<&'a Secret>,
    /// Extra environment (e.g. `MYSQL_PWD`).
    pub env: Vec<(String, &'a Secret)>,
    pub cwd: Option<PathBuf>,
    pub timeout: Duration,
    /// What the operator calls it, for messages ("zstack-ctl restart_node").
    pub label: String,
}

impl<'a> Run<'a> {
    pub fn new(program: &Path, args: &[&str], timeout: Duration) -> Run<'a> {
        let label = std::iter::once(
            program
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )
        .chain(args.iter().map(|a| a.to_string()))
        .collect::<Vec<_>>()
        .join(" ");
        Run {
            program: program.to_owned(),
            args: args.iter().map(OsString::from).collect(),
            stdin: None,
            env: Vec::new(),
            cwd: None,
            timeout,
            label,
        }
    }
}

/// How a finished child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub code: Option<i32>,
    /// The last lines of output, for the result window.
    pub tail: Vec<String>,
    /// The last non-empty line written to stderr (the likeliest error).
    pub last_stderr: Option<String>,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs the child, forwarding each output line (stdout and stderr) to
/// `progress`. Errors only when the child cannot be started or times out;
/// a non-zero exit is an [`Outcome`] for the caller to judge.
pub fn run(r: Run<'_>, progress: &mut dyn Progress) -> Result<Outcome, EngineError> {
    let mut cmd = Command::new(&r.program);
    cmd.args(&r.args)
        .stdin(if r.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // zstack-ctl colours its output with termcolor, which stops when
        // this is set (zstack-utility zstackctl/zstackctl/ctl.py:15,
        // 454-456); escapes that still come are stripped per line.
        .env("ANSI_COLORS_DISABLED", "1")
        .process_group(0);
    for (k, v) in &r.env {
        cmd.env(k, v.expose());
    }
    if let Some(d) = &r.cwd {
        cmd.current_dir(d);
    }
    tracing::info!(command = %r.label, "running");
    let mut child = cmd.spawn().map_err(|e| {
        EngineError::Failed(format!(
            "cannot run {}: {e}; check that it is installed and executable",
            r.program.display()
        ))
    })?;
    let pid = child.id() as i32;
    if let (Some(secret), Some(mut sin)) = (r.stdin, child.stdin.take()) {
        // A child that exits without reading gives EPIPE; that is its answer.
        let _ = sin.write_all(secret.expose().as_bytes());
        let _ = sin.write_all(b"\n");
    }
    let (tx, rx) = mpsc::channel::<(bool, String)>();
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        readers.push(spawn_reader(out, false, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        readers.push(spawn_reader(err, true, tx.clone()));
    }
    drop(tx);
    let deadline = Instant::now() + r.timeout;
    let mut tail: Vec<String> = Vec::new();
    let mut last_stderr: Option<String> = None;
    let mut timed_out = false;
    let mut exited: Option<(std::process::ExitStatus, Instant)> = None;
    let mut pipes_closed = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            timed_out = exited.is_none();
            break;
        }
        match rx.recv_timeout(left.min(Duration::from_millis(200))) {
            Ok((is_err, line)) => {
                progress.line(&line);
                if is_err && !line.trim().is_empty() {
                    last_stderr = Some(line.clone());
                }
                tail.push(line);
                if tail.len() > 20 {
                    tail.remove(0);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Both pipes closed: the child (and its group) is done writing.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                pipes_closed = true;
                break;
            }
        }
        if exited.is_none() {
            if let Ok(Some(st)) = child.try_wait() {
                exited = Some((st, Instant::now()));
            }
        }
        // A daemon the child started may keep the pipes open for ever:
        // after the child itself exits, read what is left for 2 s only.
        if let Some((_, at)) = exited {
            if at.elapsed() > Duration::from_secs(2) {
                break;
            }
        }
    }
    if timed_out {
        // Kill the child's whole group: only processes we started.
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let status = match exited {
        Some((st, _)) => st,
        None => child
            .wait()
            .map_err(|e| EngineError::Failed(format!("waiting for {}: {e}", r.label)))?,
    };
    if pipes_closed {
        for h in readers {
            let _ = h.join();
        }
    }
    if timed_out {
        return Err(EngineError::Failed(format!(
            "{} did not finish within {} s and was stopped; check its log and try again",
            r.label,
            r.timeout.as_secs()
        )));
    }
    Ok(Outcome {
        code: status.code(),
        tail,
        last_stderr,
    })
}

/// Runs the child and turns a non-zero exit into an error that quotes the
/// last output line.
pub fn run_ok(r: Run<'_>, progress: &mut dyn Progress) -> Result<Outcome, EngineError> {
    let label = r.label.clone();
    let out = run(r, progress)?;
    if out.success() {
        Ok(out)
    } else {
        Err(EngineError::Failed(failure_message(&label, &out)))
    }
}

/// "X failed (exit 3): last line".
pub fn failure_message(label: &str, out: &Outcome) -> String {
    let code = out
        .code
        .map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit {c}"));
    let last = out
        .last_stderr
        .as_ref()
        .or_else(|| out.tail.iter().rev().find(|l| !l.trim().is_empty()));
    match last {
        Some(l) => format!("{label} failed ({code}): {}", l.trim()),
        None => format!("{label} failed ({code})"),
    }
}

fn spawn_reader<R: Read + Send + 'static>(
    r: R,
    is_err: bool,
    tx: mpsc::Sender<(bool, String)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut br = BufReader::new(r);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match br.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let s = String::from_utf8_lossy(&buf);
                    // Progress bars redraw with \r: keep the last state.
                    let s = s.trim_end_matches(['\n', '\r']);
                    let s = s.rsplit('\r').next().unwrap_or(s);
                    if tx.send((is_err, strip_ansi(s))).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// `s` without ANSI escape sequences (CSI `ESC [ ... final`, OSC `ESC ]
/// ... BEL/ST`, and two-byte `ESC x`) and without other control
/// characters except tab.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            match it.next() {
                Some('[') => {
                    // Parameters and intermediates, then one final byte.
                    for d in it.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(d) = it.next() {
                        if d == '\u{7}' {
                            break;
                        }
                        if d == '\u{1b}' && it.peek() == Some(&'\\') {
                            it.next();
                            break;
                        }
                    }
                }
                _ => {}
            }
        } else if !c.is_control() || c == '\t' {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Recorder;

    #[test]
    fn streams_lines_and_exit_code() {
        let mut rec = Recorder::default();
        let mut r = Run::new(
            Path::new("/bin/sh"),
            &["-c", "read x; echo got:$x; echo err >&2; exit 3"],
            Duration::from_secs(20),
        );
        let s = Secret::from("s3cret");
        r.stdin = Some(&s);
        let out = run(r, &mut rec).unwrap();
        assert_eq!(out.code, Some(3));
        assert!(rec.lines.contains(&"got:s3cret".to_owned()));
        assert!(rec.lines.contains(&"err".to_owned()));
        assert!(failure_message("x", &out).contains("exit 3"));
    }

    #[test]
    fn colour_is_off_and_escapes_are_stripped() {
        assert_eq!(strip_ansi("\u{1b}[31mERROR: x\n\u{1b}[0m"), "ERROR: x");
        assert_eq!(
            strip_ansi("a\u{1b}[1;32mb\u{1b}[0m c\u{1b}]0;t\u{7}d"),
            "ab cd"
        );
        assert_eq!(strip_ansi("plain\ttab"), "plain\ttab");
        let mut rec = Recorder::default();
        let r = Run::new(
            Path::new("/bin/sh"),
            &[
                "-c",
                "echo \"c=$ANSI_COLORS_DISABLED\"; printf '\\033[32mgreen\\033[0m\\n'",
            ],
            Duration::from_secs(20),
        );
        run(r, &mut rec).unwrap();
        assert_eq!(rec.lines, ["c=1", "green"]);
    }

    #[test]
    fn timeout_kills_group() {
        let mut rec = Recorder::default();
        let r = Run::new(
            Path::new("/bin/sh"),
            &["-c", "sleep 600 & sleep 600"],
            Duration::from_millis(300),
        );
        let e = run(r, &mut rec).unwrap_err().to_string();
        assert!(e.contains("did not finish"), "{e}");
    }

    #[test]
    fn missing_program_is_clear() {
        let mut rec = Recorder::default();
        let r = Run::new(
            Path::new("/nonexistent/zstack-ctl"),
            &[],
            Duration::from_secs(1),
        );
        let e = run(r, &mut rec).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/zstack-ctl"), "{e}");
    }
}
