//! Child processes of the console: every program the console starts (the
//! libvirt helper, diagnostic commands, `zstack-ctl`, `mysqldump`, ...)
//! starts through [`command`].
//!
//! Why: the console owns tty1 and ignores SIGINT, SIGQUIT, SIGTSTP, SIGTTIN
//! and SIGTTOU (see `terminal`). A child inherits ignored signals across
//! `exec`, its controlling terminal and, unless told otherwise, the
//! terminal as stdin. A child that reads tty1 could steal the operator's
//! keystrokes (the root password); one that calls `tcsetattr` could change
//! the console's terminal; one that ignores SIGINT cannot be interrupted
//! the usual way. So each child:
//! - gets a session of its own (`setsid`): no controlling terminal, and its
//!   own process group, so a timeout can kill it with everything it started
//!   (`killpg(pid)`);
//! - gets the default disposition of every signal and an empty signal mask;
//! - reads /dev/null unless the caller gives it a pipe;
//! - gets the usual umask 022 back: the units give the console `UMask=0077`
//!   so that its own files (exports, state) are private, but the programs
//!   it runs (`zstack-ctl`, `mysqldump`) write files that other services
//!   read. Whatever a child writes into the export directory is narrowed
//!   to 0600 when it is published.
//!
//! Output of a child is read with a bound ([`read_bounded`],
//! [`read_line_bounded`], [`copy_bounded`]): a child that prints without end
//! costs time, never unbounded memory or disk.

use std::ffi::OsStr;
use std::io::{self, BufRead, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// A [`Command`] for `program` that starts isolated from the console's
/// terminal and signal set-up (see the module doc). Stdin is /dev/null; a
/// caller that talks to the child may replace it with `Stdio::piped()`,
/// never with the terminal. Do not combine with `process_group`: the new
/// session already is the child's own process group (and `setsid` fails in
/// a process group leader).
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    isolate(&mut cmd);
    cmd
}

/// Applies [`command`]'s isolation to a `Command` built elsewhere.
pub fn isolate(cmd: &mut Command) -> &mut Command {
    cmd.stdin(Stdio::null());
    // Computed before fork: only async-signal-safe calls run in the child.
    let max_signal = libc::SIGRTMAX();
    // SAFETY: the closure runs in the forked child before exec and calls
    // only async-signal-safe functions (setsid, signal, umask,
    // sigemptyset, sigprocmask); it allocates nothing and takes no lock.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            for sig in 1..=max_signal {
                if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                    continue;
                }
                if libc::signal(sig, libc::SIG_DFL) == libc::SIG_ERR {
                    // glibc refuses the two signals it reserves for
                    // itself (32, 33), which an ignored disposition
                    // inherited from our own parent can still hold.
                    default_signal_raw(sig);
                }
            }
            libc::umask(0o022);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    cmd
}

/// The kernel's `struct sigaction` on Linux x86_64 and aarch64.
#[repr(C)]
struct KernelSigaction {
    handler: libc::sighandler_t,
    flags: libc::c_ulong,
    restorer: usize,
    mask: u64,
}

/// Sets `sig` to its default disposition with the raw system call
/// (async-signal-safe: one syscall, no allocation).
fn default_signal_raw(sig: libc::c_int) {
    let act = KernelSigaction {
        handler: libc::SIG_DFL,
        flags: 0,
        restorer: 0,
        mask: 0,
    };
    // SAFETY: rt_sigaction with a valid struct, no old action, and the
    // kernel's sigset size (8 bytes).
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            sig as libc::c_long,
            &act as *const KernelSigaction,
            std::ptr::null_mut::<KernelSigaction>(),
            8 as libc::c_long,
        );
    }
}

/// What a bounded read got.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bounded {
    /// At most the bound's bytes, from the start of the output.
    pub bytes: Vec<u8>,
    /// Whether there was more (read and thrown away).
    pub truncated: bool,
}

/// Reads `r` to its end, keeping at most `max` bytes; the rest is read and
/// discarded, so a child writing into a pipe is never blocked by us.
pub fn read_bounded(mut r: impl Read, max: usize) -> io::Result<Bounded> {
    let mut out = Bounded::default();
    let mut buf = [0u8; 8192];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let room = max.saturating_sub(out.bytes.len());
        out.bytes.extend_from_slice(&buf[..n.min(room)]);
        if n > room {
            out.truncated = true;
        }
    }
}

/// Copies `r` into `w` until `r` ends, writing at most `max` bytes; the
/// rest is read and discarded. Returns the bytes written and whether
/// anything was cut.
pub fn copy_bounded(mut r: impl Read, w: &mut impl Write, max: u64) -> io::Result<(u64, bool)> {
    let mut written = 0u64;
    let mut cut = false;
    let mut buf = [0u8; 64 << 10];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok((written, cut)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let room = max.saturating_sub(written).min(n as u64) as usize;
        if room > 0 {
            w.write_all(&buf[..room])?;
            written += room as u64;
        }
        if room < n {
            cut = true;
        }
    }
}

/// One line read by [`read_line_bounded`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A whole line (without its `\n`) of at most the bound's bytes.
    Complete,
    /// A line longer than the bound: it was read to its end and discarded;
    /// `buf` is left empty.
    TooLong,
    /// The input ended (no more lines; `buf` holds any unterminated rest).
    End,
}

/// Reads one `\n`-terminated line into `buf` (cleared first), holding at
/// most `max` bytes of it in memory: a longer line is consumed and thrown
/// away ([`Line::TooLong`]).
pub fn read_line_bounded(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            if too_long {
                buf.clear();
                return Ok(Line::TooLong);
            }
            return Ok(Line::End);
        }
        let (part, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        if !too_long {
            if buf.len() + part.len() > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(part);
            }
        }
        let used = found.unwrap_or(chunk.len());
        r.consume(used);
        if found.is_some() {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Complete
            });
        }
    }
}

/// The session id of process `pid`, from `/proc/<pid>/stat` (tests and
/// diagnostics).
pub fn session_of(pid: u32) -> io::Result<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // pid (comm) state ppid pgrp session ...; comm may hold spaces and ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| io::Error::other("malformed stat"))?;
    rest.split_whitespace()
        .nth(3)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other("malformed stat"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_read_keeps_the_start_and_drains_the_rest() {
        let data = vec![7u8; 100_000];
        let b = read_bounded(&data[..], 1000).unwrap();
        assert_eq!(b.bytes.len(), 1000);
        assert!(b.truncated);
        let b = read_bounded(&b"short"[..], 1000).unwrap();
        assert_eq!(b.bytes, b"short");
        assert!(!b.truncated);
    }

    #[test]
    fn bounded_copy_cuts_at_the_limit() {
        let data = vec![1u8; 200_000];
        let mut out = Vec::new();
        assert_eq!(
            copy_bounded(&data[..], &mut out, 70_000).unwrap(),
            (70_000, true)
        );
        assert_eq!(out.len(), 70_000);
        let mut out = Vec::new();
        assert_eq!(copy_bounded(&b"abc"[..], &mut out, 3).unwrap(), (3, false));
    }

    #[test]
    fn overlong_lines_are_skipped_whole() {
        let text = format!("ok\n{}\nnext\ntail", "x".repeat(50_000));
        let mut r = io::BufReader::with_capacity(16, text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 100).unwrap(),
            Line::Complete
        );
        assert_eq!(buf, b"ok");
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 100).unwrap(),
            Line::TooLong
        );
        assert!(buf.is_empty());
        assert_eq!(
            read_line_bounded(&mut r, &mut buf, 100).unwrap(),
            Line::Complete
        );
        assert_eq!(buf, b"next");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 100).unwrap(), Line::End);
        assert_eq!(buf, b"tail");
    }

    #[test]
    fn own_session_of_this_process_parses() {
        let sid = session_of(std::process::id()).unwrap();
        // SAFETY: getsid(0) has no preconditions.
        assert_eq!(sid, unsafe { libc::getsid(0) });
    }
}
