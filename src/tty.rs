//! The line the console draws on, when it is not a virtual terminal.
//!
//! A serial TTY (IPMI serial-over-LAN, a console server) has no size: the
//! kernel reports 0x0 until someone sets one. And the far end is usually
//! nobody: a BMC whose SOL session is closed answers no query. So the
//! console never *needs* an answer: the size is what the TTY says, else
//! what a short, bounded cursor-position query learns, else the configured
//! `terminals.serial_size`; it is then set on the TTY with `TIOCSWINSZ` so
//! the children the console runs see it too. Nothing here waits longer than
//! the bound it is given.

use std::io::{self, Write};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// Size assumed on a line that has none (`terminals.serial_size`).
pub const DEFAULT_SERIAL_SIZE: &str = "80x24";

/// How long the start-up size query waits for an answer. Short: a line
/// with nobody on it is the normal case and costs this much once.
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(300);

/// Parses `COLSxROWS` (e.g. `80x24`), the form of `terminals.serial_size`.
pub fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let bad = || format!("\"{s}\" is not a terminal size like \"80x24\" (columns x rows)");
    let (c, r) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let cols: u16 = c.trim().parse().map_err(|_| bad())?;
    let rows: u16 = r.trim().parse().map_err(|_| bad())?;
    if !(20..=1000).contains(&cols) || !(5..=500).contains(&rows) {
        return Err(format!(
            "\"{s}\" is out of range (20 to 1000 columns, 5 to 500 rows)"
        ));
    }
    Ok((cols, rows))
}

/// Finds a cursor position report (`ESC [ row ; col R`) in `buf` and
/// returns it as `(cols, rows)` — after the cursor was sent to 999;999,
/// that is the size of the far terminal. Anything else in `buf` (keys the
/// operator typed meanwhile) is skipped; an implausible answer is `None`.
pub fn parse_size_report(buf: &[u8]) -> Option<(u16, u16)> {
    let mut rest = buf;
    while let Some(i) = rest.iter().position(|&b| b == 0x1b) {
        rest = &rest[i + 1..];
        let Some(body) = rest.strip_prefix(b"[") else {
            continue;
        };
        let n = body
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b';')
            .count();
        if body.get(n) != Some(&b'R') {
            continue;
        }
        let text = std::str::from_utf8(&body[..n]).ok()?;
        if let Some((r, c)) = text.split_once(';') {
            if let (Ok(rows), Ok(cols)) = (r.parse::<u16>(), c.parse::<u16>()) {
                if (20..=1000).contains(&cols) && (5..=500).contains(&rows) {
                    return Some((cols, rows));
                }
            }
        }
    }
    None
}

/// Device names of serial lines (`/dev/ttyS0`, USB adapters, ARM UARTs,
/// hypervisor consoles): a line whose far end may come and go.
pub fn is_serial_device(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    [
        "ttyS", "ttyUSB", "ttyACM", "ttyAMA", "ttymxc", "ttyO", "hvc",
    ]
    .iter()
    .any(|p| {
        name.strip_prefix(p)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The TTY's size as the kernel has it, `(cols, rows)`.
pub fn get_winsize(fd: RawFd) -> io::Result<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we own.
    if unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((ws.ws_col, ws.ws_row))
}

/// Sets the TTY's size, so `stty size` and every child see it.
pub fn set_winsize(fd: RawFd, (cols, rows): (u16, u16)) -> io::Result<()> {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ only reads the struct.
    if unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Carrier detect of a real serial port: `Some(true)` while the far end
/// holds DCD; `None` where the line has no modem lines (a pty, a VT).
pub fn carrier(fd: RawFd) -> Option<bool> {
    let mut bits: libc::c_int = 0;
    // SAFETY: TIOCMGET writes one int; it never blocks.
    if unsafe { libc::ioctl(fd, libc::TIOCMGET, &mut bits) } < 0 {
        return None;
    }
    Some(bits & libc::TIOCM_CAR != 0)
}

/// Asks the far terminal for its size: the cursor is sent to 999;999 (the
/// terminal clamps it to its last cell) and its position is requested.
/// Waits at most `timeout` for the answer on `input` (the TTY in raw
/// mode); `None` when nobody answers, which is normal.
pub fn query_size(input: RawFd, out: &mut dyn Write, timeout: Duration) -> Option<(u16, u16)> {
    out.write_all(b"\x1b7\x1b[999;999H\x1b[6n\x1b8").ok()?;
    out.flush().ok()?;
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::with_capacity(64);
    while buf.len() < 256 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let mut pfd = libc::pollfd {
            fd: input,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as libc::c_int;
        // SAFETY: one pollfd we own; bounded by `ms`.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        if n <= 0 || pfd.revents & libc::POLLIN == 0 {
            return None;
        }
        let mut chunk = [0u8; 64];
        // SAFETY: reads into our buffer; poll said it will not block.
        let got = unsafe { libc::read(input, chunk.as_mut_ptr().cast(), chunk.len()) };
        if got <= 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..got as usize]);
        if let Some(size) = parse_size_report(&buf) {
            return Some(size);
        }
    }
    None
}

/// Where the size in use came from (logged at start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeSource {
    /// The TTY had one (a VT, a pty, an `stty`-set serial line).
    Tty,
    /// The far terminal answered the bounded query.
    Query,
    /// Nobody answered: `terminals.serial_size`.
    Config,
}

/// What the console learned about its line at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub size: (u16, u16),
    pub source: SizeSource,
    /// A line whose far end may attach later: a serial device, or any TTY
    /// that had no size. It gets a full redraw when someone shows up.
    pub serial: bool,
}

/// Settles the size of the terminal on `fd` (already in raw mode): keeps
/// a real one, else queries (bounded), else takes `fallback`, and sets it
/// on the TTY. Never fails: a line that cannot be asked is drawn at
/// `fallback`.
pub fn prepare(fd: RawFd, device: Option<&str>, fallback: (u16, u16), timeout: Duration) -> Line {
    let named_serial = device.is_some_and(is_serial_device);
    match get_winsize(fd) {
        Ok((c, r)) if c > 0 && r > 0 => Line {
            size: (c, r),
            source: SizeSource::Tty,
            serial: named_serial,
        },
        _ => {
            let mut out = io::stdout();
            let (size, source) = match query_size(fd, &mut out, timeout) {
                Some(s) => (s, SizeSource::Query),
                None => (fallback, SizeSource::Config),
            };
            if let Err(e) = set_winsize(fd, size) {
                tracing::warn!("cannot set the terminal size {}x{}: {e}", size.0, size.1);
            }
            Line {
                size,
                source,
                serial: true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_size("80x24"), Ok((80, 24)));
        assert_eq!(parse_size(" 160 X 50 "), Ok((160, 50)));
        for bad in [
            "", "80", "x24", "80x", "80*24", "-80x24", "0x0", "80x2", "5000x24",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_size("80x2").unwrap_err().contains("out of range"));
    }

    #[test]
    fn size_reports_are_found_among_other_input() {
        assert_eq!(parse_size_report(b"\x1b[24;80R"), Some((80, 24)));
        assert_eq!(parse_size_report(b"ab\x1b[A\x1b[50;160R"), Some((160, 50)));
        // Incomplete, implausible or absent.
        assert_eq!(parse_size_report(b"\x1b[24;8"), None);
        assert_eq!(parse_size_report(b"\x1b[1;1R"), None);
        assert_eq!(parse_size_report(b"\x1b[x;yR"), None);
        assert_eq!(parse_size_report(b"hello"), None);
        // A plausible report after an implausible one.
        assert_eq!(parse_size_report(b"\x1b[1;1R\x1b[30;100R"), Some((100, 30)));
    }

    #[test]
    fn serial_device_names() {
        for yes in [
            "/dev/ttyS0",
            "ttyS1",
            "/dev/ttyUSB0",
            "/dev/ttyAMA0",
            "/dev/hvc0",
        ] {
            assert!(is_serial_device(yes), "{yes}");
        }
        for no in [
            "/dev/tty1",
            "/dev/pts/3",
            "/dev/ttyS",
            "/dev/ttySx",
            "/dev/console",
        ] {
            assert!(!is_serial_device(no), "{no}");
        }
    }

    #[test]
    fn a_pty_without_size_gets_the_fallback_without_waiting_long() {
        let pty = nix::pty::openpty(None, None).unwrap();
        use std::os::fd::AsRawFd;
        let fd = pty.slave.as_raw_fd();
        assert_eq!(get_winsize(fd).unwrap(), (0, 0));
        assert_eq!(carrier(fd), None, "a pty has no modem lines");
        let mut sink = Vec::new();
        let t = Instant::now();
        assert_eq!(query_size(fd, &mut sink, Duration::from_millis(100)), None);
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(sink.ends_with(b"\x1b[6n\x1b8"));
        set_winsize(fd, (100, 30)).unwrap();
        assert_eq!(get_winsize(pty.master.as_raw_fd()).unwrap(), (100, 30));
    }
}
