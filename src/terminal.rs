//! The terminal: raw mode and alternate screen, restored on every exit path
//! including panics; job-control signals ignored; VT blanking off.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::{cursor, execute, terminal};

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal into the console's mode; restores it when dropped.
pub struct TerminalGuard;

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let mut out = io::stdout();
        execute!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
        Ok(TerminalGuard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves raw mode and the alternate screen (idempotent).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(out, cursor::Show, terminal::LeaveAlternateScreen);
        let _ = terminal::disable_raw_mode();
        let _ = out.flush();
    }
}

/// A panic anywhere restores the terminal, is logged, and ends the process
/// with a non-zero status so that systemd restarts the console in a clean
/// state instead of leaving a half-dead UI on tty1.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        restore_stderr();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(target: "nodeconsole", %location, "panic: {}", panic_message(info));
        default(info);
        crate::logging::offload::flush_now(std::time::Duration::from_millis(500));
        std::process::exit(101);
    }));
}

fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    if let Some(s) = info.payload().downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = info.payload().downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".into()
    }
}

/// Ctrl+C, Ctrl+Z and Ctrl+\ must neither end nor suspend the console. Raw
/// mode already stops the terminal from turning them into signals; ignoring
/// the signals as well covers signals sent by other means (e.g. a stray
/// `kill -INT` or a terminal left in cooked mode by a crashed child).
pub fn ignore_job_control_signals() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    for s in [
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGTSTP,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
    ] {
        // SAFETY: installing SIG_IGN runs no handler code.
        unsafe {
            let _ = signal(s, SigHandler::SigIgn);
        }
    }
}

/// On a Linux virtual console, turns off screen blanking and VESA powerdown
/// (the console must stay readable on a crash cart monitor). Writes the
/// `setterm -blank 0 -powerdown 0` escape sequences; other terminals ignore
/// nothing because we only send them when TERM says `linux`.
pub fn disable_vt_blanking(term: Option<&str>) {
    if term == Some("linux") {
        let mut out = io::stdout();
        let _ = out.write_all(b"\x1b[9;0]\x1b[14;0]");
        let _ = out.flush();
    }
}

/// The original standard error, kept while it is redirected.
static SAVED_STDERR: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

/// While the UI owns the terminal, anything a library writes to standard
/// error (libvirt, libxml2, pam_wrapper, PAM modules) would land in the
/// middle of the screen. When stderr is the console's terminal, point it at
/// `target` (the log file) or /dev/null; `restore_stderr` undoes it so a
/// panic message still reaches the operator.
pub fn quiet_stderr(target: Option<&std::path::Path>) {
    use std::io::IsTerminal;
    use std::os::fd::AsRawFd;
    if !io::stderr().is_terminal() {
        return;
    }
    let file = match target {
        Some(p) => std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(p),
        None => std::fs::OpenOptions::new().write(true).open("/dev/null"),
    };
    let Ok(file) = file else { return };
    // SAFETY: plain fd duplication; fd 2 stays valid throughout.
    unsafe {
        let saved = libc::dup(2);
        if saved >= 0 && libc::dup2(file.as_raw_fd(), 2) >= 0 {
            SAVED_STDERR.store(saved, Ordering::SeqCst);
        } else if saved >= 0 {
            libc::close(saved);
        }
    }
}

/// Points standard error back at the terminal (idempotent).
pub fn restore_stderr() {
    let saved = SAVED_STDERR.swap(-1, Ordering::SeqCst);
    if saved >= 0 {
        // SAFETY: `saved` is our own duplicate of the original fd 2.
        unsafe {
            libc::dup2(saved, 2);
            libc::close(saved);
        }
    }
}
