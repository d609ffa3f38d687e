//! End to end on a serial-like line: the real binary (`--demo --ascii`,
//! TERM=vt100) on a pseudo-terminal that, like a serial TTY, has no size
//! (0x0). The far end is either nobody (the bytes are drained and never
//! answered, as on a serial port with no one attached) or a VT100 emulator
//! (the `vt100` crate) that answers the cursor position query the way a
//! real terminal does. Proves issue #19's serial cases: no crash loop when
//! nobody answers, a bounded number of bytes at rest, the size set on the
//! TTY, the main screen in 7-bit ASCII for an emulator, a full redraw for
//! one that attaches later, and the VT100+ function keys (Esc 2, Esc @).

mod common;
use common::poll;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_nodeconsole");

const PANELS: [&str; 8] = [
    "NODE INFO",
    "TIME INFO",
    "DISK INFO",
    "NIC INFO",
    "HOST INFO",
    "VM INFO",
    "CPU USAGE",
    "MEM USAGE",
];

/// What is on the far end of the line.
#[derive(Default)]
struct FarEnd {
    /// Every byte the console wrote.
    bytes: Vec<u8>,
    /// When each chunk arrived, with the running total.
    times: Vec<(Instant, usize)>,
    /// An attached terminal, or nobody.
    emulator: Option<vt100::Parser>,
}

/// The console on a pty without size, and the far end of that line.
struct Line {
    child: Child,
    master: File,
    far: Arc<Mutex<FarEnd>>,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// A VT100 screen of `cols` x `rows`, no scrollback.
fn emulator_of(cols: u16, rows: u16) -> vt100::Parser {
    let nz = |n: u16| std::num::NonZero::new(n).expect("a screen has a size");
    vt100::Parser::new(nz(rows), nz(cols), 0)
}

fn winsize(fd: &impl AsRawFd) -> (u16, u16) {
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ fills the struct.
    assert!(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) } >= 0);
    (ws.ws_col, ws.ws_row)
}

impl Line {
    /// Starts the console; `emulator` = `Some((cols, rows))` attaches a
    /// terminal of that size from the start.
    fn start(emulator: Option<(u16, u16)>) -> Line {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        assert_eq!(winsize(&pty.slave), (0, 0), "a fresh pty has no size");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("console.log");
        let slave: OwnedFd = pty.slave;
        let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().unwrap());
        let mut cmd = Command::new(BIN);
        cmd.args(["--demo", "--ascii", "--log-file"])
            .arg(&log)
            .env("TERM", "vt100")
            .env("TMPDIR", dir.path())
            .stdin(io(&slave))
            .stdout(io(&slave))
            .stderr(io(&slave));
        // SAFETY: only async-signal-safe calls between fork and exec: a new
        // session whose controlling terminal is the pty, like systemd's
        // StandardInput=tty gives the serial unit.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start nodeconsole");
        drop(slave);
        let master = File::from(pty.master);
        let far = Arc::new(Mutex::new(FarEnd {
            emulator: emulator.map(|(c, r)| emulator_of(c, r)),
            ..Default::default()
        }));
        let (mut rd, mut wr) = (master.try_clone().unwrap(), master.try_clone().unwrap());
        let far2 = far.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO when the console has closed the line.
            while let Ok(n) = rd.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut f = far2.lock().unwrap();
                f.bytes.extend_from_slice(&buf[..n]);
                let total = f.bytes.len();
                f.times.push((Instant::now(), total));
                if let Some(p) = f.emulator.as_mut() {
                    // Answer each cursor position query after the bytes
                    // before it, as a terminal does.
                    let mut rest = &buf[..n];
                    while let Some(i) = rest.windows(4).position(|w| w == b"\x1b[6n") {
                        p.process(&rest[..i]);
                        let (r, c) = p.screen().cursor_position();
                        let _ = write!(wr, "\x1b[{};{}R", r + 1, c + 1);
                        rest = &rest[i + 4..];
                    }
                    p.process(rest);
                }
            }
        });
        Line {
            child,
            master,
            far,
            log,
            _dir: dir,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the console's start-up line about its terminal.
    fn wait_sized(&self) -> String {
        poll::until_ok(
            "the console to settle its terminal size",
            poll::DEADLINE,
            || {
                let l = self.log_text();
                if l.contains("fatal") {
                    panic!("the console failed:\n{l}");
                }
                l.lines()
                    .find(|l| l.contains("terminal size"))
                    .map(str::to_owned)
                    .ok_or(l)
            },
        )
    }

    fn attach(&self, cols: u16, rows: u16) {
        self.far.lock().unwrap().emulator = Some(emulator_of(cols, rows));
    }

    fn screen(&self) -> String {
        let f = self.far.lock().unwrap();
        f.emulator
            .as_ref()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        poll::until_ok(what, poll::DEADLINE, || {
            let s = self.screen();
            if pred(&s) {
                Ok(s)
            } else {
                Err(s)
            }
        })
    }

    fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
    }

    fn total(&self) -> usize {
        self.far.lock().unwrap().bytes.len()
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn all_panels(s: &str) -> bool {
    PANELS.iter().all(|p| s.contains(p))
}

#[test]
fn a_line_with_no_size_and_nobody_on_it_keeps_running_quietly() {
    let mut l = Line::start(None);
    let sized = l.wait_sized();
    assert!(sized.contains("Config"), "nobody answered: {sized}");
    assert_eq!(winsize(&l.master), (80, 24), "serial_size set on the TTY");
    // The first frame is written whole (nobody can tell us it was lost).
    poll::until("the first frame", || l.total() > 1000);
    // Watch the line at rest: the console must neither exit (the crash
    // loop of issue #19 was an exit within ~2 s, every ~3 s) nor write in
    // a loop. A fixed span is the point of this check, not a wait.
    let t0 = Instant::now();
    let before = l.total();
    std::thread::sleep(Duration::from_secs(6));
    assert!(l.alive(), "the console exited:\n{}", l.log_text());
    let at_rest = l.total() - before;
    let rate = at_rest as f64 / t0.elapsed().as_secs_f64();
    eprintln!(
        "bytes at rest: {at_rest} in {:?} ({rate:.0} B/s)",
        t0.elapsed()
    );
    assert!(rate < 1500.0, "{rate:.0} B/s written at rest");
    let f = l.far.lock().unwrap();
    assert!(f.bytes.len() < 64 * 1024, "{} bytes in all", f.bytes.len());
    assert!(
        f.bytes.iter().all(|b| b.is_ascii()),
        "a vt100 line gets 7-bit ASCII only"
    );
    assert_eq!(
        f.bytes.windows(4).filter(|w| w == b"\x1b[6n").count(),
        1,
        "the size is asked once, at start"
    );
    drop(f);
    assert!(!l.log_text().contains("fatal"), "{}", l.log_text());
}

#[test]
fn an_emulator_on_the_line_sees_the_main_screen_and_vt100_fkeys_work() {
    let mut l = Line::start(Some((100, 30)));
    let sized = l.wait_sized();
    assert!(sized.contains("Query"), "the emulator answered: {sized}");
    assert_eq!(winsize(&l.master), (100, 30), "its size is set on the TTY");
    let s = l.wait_for("the main screen in the emulator", |s| {
        all_panels(s) && s.contains("Running   7")
    });
    assert!(s.contains("F2/c"), "{s}");
    assert!(
        l.far.lock().unwrap().bytes.iter().all(|b| b.is_ascii()),
        "7-bit ASCII only"
    );
    // VT100+ F2 (Esc 2), then a plain Esc closes the window again.
    l.send(b"\x1b2");
    l.wait_for("Esc 2 to open the password window", |s| {
        s.contains("needs the root password")
    });
    l.send(b"\x1b");
    l.wait_for("a lone Esc to close it", |s| {
        !s.contains("needs the root password") && all_panels(s)
    });
    // VT100+ F12 (Esc @) also asks for the root password.
    l.send(b"\x1b@");
    l.wait_for("Esc @ to open the password window", |s| {
        s.contains("needs the root password")
    });
    assert!(l.alive());
}

#[test]
fn a_terminal_attaching_later_gets_a_full_redraw_on_a_key() {
    let mut l = Line::start(None);
    l.wait_sized();
    poll::until("the first frame", || l.total() > 1000);
    // An operator opens the SOL session: the emulator sees nothing of the
    // frame drawn before, only the clock's updates, until a key.
    l.attach(80, 24);
    l.send(b"z");
    let s = l.wait_for("a full redraw after the key", all_panels);
    assert!(s.contains("NODE INFO"), "{s}");
    // Ctrl+L redraws in full too.
    l.attach(80, 24);
    l.send(b"\x0c");
    l.wait_for("a full redraw after Ctrl+L", all_panels);
    assert!(l.alive(), "{}", l.log_text());
}
