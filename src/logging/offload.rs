//! A log writer that never blocks the thread that logs.
//!
//! Why: the UI thread writes audit records (a password try, a confirmed
//! change). A stalled journald — its socket queue full while it is busy or
//! wedged — or a log file on a hung disk would block that `send`/`write`,
//! and with it the event loop: the console would freeze with the keys dead
//! (issue #16 item 10). Here `tracing`'s formatter writes into a buffer,
//! the finished record goes into a bounded queue with `try_send`, and one
//! worker thread does the blocking I/O. When the queue is full the record
//! is dropped and counted, and the worker reports the count once the sink
//! moves again: losing a record is visible, freezing the console is not an
//! option.
//!
//! The journal gets records in its native protocol (one datagram per
//! record: `MESSAGE`, `PRIORITY`, `SYSLOG_IDENTIFIER`, `TARGET`, code
//! line), so `journalctl TARGET=audit` finds the audit trail as before.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// Records queued before new ones are dropped.
pub const QUEUE: usize = 4096;
/// A journal record's message is cut here (one datagram; journald's own
/// limit is far above, but a log line this long is a bug elsewhere).
const MAX_MESSAGE: usize = 48 * 1024;

/// Where the worker writes.
pub enum Sink {
    /// journald's native socket (`/run/systemd/journal/socket`).
    Journal { socket: PathBuf, identifier: String },
    /// An append-only file.
    File(File),
    /// Standard error (when it is not the console's terminal).
    Stderr,
}

/// One finished record.
struct Record {
    level: Level,
    target: String,
    line: Option<u32>,
    text: Vec<u8>,
}

/// Shared by the writers (on any thread) and the worker.
struct Shared {
    tx: SyncSender<Msg>,
    dropped: AtomicU64,
}

enum Msg {
    Record(Record),
    /// Answer once everything queued before it is written.
    Flush(SyncSender<()>),
}

/// The `MakeWriter` handed to `tracing_subscriber::fmt`.
#[derive(Clone)]
pub struct Offload {
    shared: Arc<Shared>,
}

/// The process's log writer, for [`flush_now`] from the panic hook.
static CURRENT: std::sync::OnceLock<Offload> = std::sync::OnceLock::new();

/// Writes out what is queued, waiting at most `timeout` (the panic hook
/// calls it before `exit`, so the panic's own record reaches the log).
pub fn flush_now(timeout: Duration) {
    if let Some(o) = CURRENT.get() {
        o.flush(timeout);
    }
}

/// Joins the worker's queue on shutdown (see [`Offload::flush`]).
pub struct Guard {
    offload: Offload,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.offload.flush(Duration::from_millis(500));
    }
}

impl Offload {
    /// Starts the worker for `sink`.
    pub fn start(sink: Sink) -> io::Result<(Offload, Guard)> {
        let (tx, rx) = sync_channel(QUEUE);
        let shared = Arc::new(Shared {
            tx,
            dropped: AtomicU64::new(0),
        });
        let worker = Worker::new(sink, shared.clone())?;
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || worker.run(rx))?;
        let o = Offload { shared };
        let _ = CURRENT.set(o.clone());
        Ok((o.clone(), Guard { offload: o }))
    }

    /// Waits at most `timeout` for the records queued so far to be
    /// written (at exit, so the last records are not lost).
    pub fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = sync_channel(1);
        let deadline = Instant::now() + timeout;
        let mut msg = Msg::Flush(tx);
        loop {
            match self.shared.tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                    msg = m;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }

    /// Records dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

/// Collects one formatted record; queues it when dropped.
pub struct RecordWriter {
    shared: Arc<Shared>,
    level: Level,
    target: String,
    line: Option<u32>,
    buf: Vec<u8>,
}

impl Write for RecordWriter {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RecordWriter {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let rec = Record {
            level: self.level,
            target: std::mem::take(&mut self.target),
            line: self.line,
            text: std::mem::take(&mut self.buf),
        };
        // Never wait: a full queue means the sink is stalled.
        if self.shared.tx.try_send(Msg::Record(rec)).is_err() {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl<'a> MakeWriter<'a> for Offload {
    type Writer = RecordWriter;

    fn make_writer(&'a self) -> RecordWriter {
        RecordWriter {
            shared: self.shared.clone(),
            level: Level::INFO,
            target: String::new(),
            line: None,
            buf: Vec::new(),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> RecordWriter {
        RecordWriter {
            shared: self.shared.clone(),
            level: *meta.level(),
            target: meta.target().to_string(),
            line: meta.line(),
            buf: Vec::with_capacity(256),
        }
    }
}

struct Worker {
    out: Out,
    shared: Arc<Shared>,
}

enum Out {
    Journal {
        sock: UnixDatagram,
        path: PathBuf,
        identifier: String,
    },
    File(Mutex<File>),
    Stderr,
}

impl Worker {
    fn new(sink: Sink, shared: Arc<Shared>) -> io::Result<Worker> {
        let out = match sink {
            Sink::Journal { socket, identifier } => Out::Journal {
                sock: UnixDatagram::unbound()?,
                path: socket,
                identifier,
            },
            Sink::File(f) => Out::File(Mutex::new(f)),
            Sink::Stderr => Out::Stderr,
        };
        Ok(Worker { out, shared })
    }

    fn run(self, rx: Receiver<Msg>) {
        let mut reported = 0u64;
        while let Ok(msg) = rx.recv() {
            match msg {
                Msg::Record(r) => {
                    let dropped = self.shared.dropped.load(Ordering::Relaxed);
                    if dropped > reported {
                        self.write(&notice(dropped - reported));
                        reported = dropped;
                    }
                    self.write(&r);
                }
                Msg::Flush(done) => {
                    let _ = done.send(());
                }
            }
        }
    }

    fn write(&self, r: &Record) {
        // A failed write is dropped: there is nowhere left to report it.
        let _ = match &self.out {
            Out::Journal {
                sock,
                path,
                identifier,
            } => sock
                .send_to(&journal_datagram(r, identifier), path)
                .map(|_| ()),
            Out::File(f) => f
                .lock()
                .map_err(|_| io::Error::other("poisoned"))
                .and_then(|mut f| f.write_all(&r.text)),
            Out::Stderr => io::stderr().lock().write_all(&r.text),
        };
    }
}

/// The record saying how many were lost while the sink was stalled.
fn notice(n: u64) -> Record {
    Record {
        level: Level::WARN,
        target: "nodeconsole::logging".into(),
        line: None,
        text: format!(
            "WARN nodeconsole::logging: {n} log record(s) dropped: the log sink was stalled and the console does not wait for it\n"
        )
        .into_bytes(),
    }
}

/// syslog priority of a tracing level (as tracing-journald maps them).
fn priority(l: Level) -> u8 {
    match l {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 5,
        Level::DEBUG => 6,
        Level::TRACE => 7,
    }
}

/// One record in journald's native protocol (pure): `KEY=value\n`, or for
/// a value with a newline `KEY\n<u64 LE length><value>\n`.
fn journal_datagram(r: &Record, identifier: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(r.text.len() + 128);
    let mut field = |k: &str, v: &[u8]| {
        if v.contains(&b'\n') {
            out.extend_from_slice(k.as_bytes());
            out.push(b'\n');
            out.extend_from_slice(&(v.len() as u64).to_le_bytes());
            out.extend_from_slice(v);
            out.push(b'\n');
        } else {
            out.extend_from_slice(k.as_bytes());
            out.push(b'=');
            out.extend_from_slice(v);
            out.push(b'\n');
        }
    };
    let mut msg: &[u8] = &r.text;
    while let [rest @ .., b'\n'] = msg {
        msg = rest;
    }
    field("MESSAGE", &msg[..msg.len().min(MAX_MESSAGE)]);
    field("PRIORITY", priority(r.level).to_string().as_bytes());
    field("SYSLOG_IDENTIFIER", identifier.as_bytes());
    field("TARGET", r.target.as_bytes());
    if let Some(l) = r.line {
        field("CODE_LINE", l.to_string().as_bytes());
    }
    out
}

/// Parses a native-protocol datagram back into its fields (tests; pure).
pub fn parse_datagram(mut d: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    while !d.is_empty() {
        let Some(nl) = d.iter().position(|&b| b == b'\n') else {
            break;
        };
        let line = &d[..nl];
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            out.push((
                String::from_utf8_lossy(&line[..eq]).into_owned(),
                line[eq + 1..].to_vec(),
            ));
            d = &d[nl + 1..];
        } else {
            let key = String::from_utf8_lossy(line).into_owned();
            let rest = &d[nl + 1..];
            if rest.len() < 8 {
                break;
            }
            let n = u64::from_le_bytes(rest[..8].try_into().unwrap());
            let Some(end) = usize::try_from(n).ok().and_then(|n| n.checked_add(8)) else {
                break;
            };
            let Some(v) = rest.get(8..end) else { break };
            out.push((key, v.to_vec()));
            d = rest.get(end + 1..).unwrap_or(&[]);
        }
    }
    out
}

/// The journal socket of this machine.
pub fn journal_socket() -> Option<&'static Path> {
    let p = Path::new("/run/systemd/journal/socket");
    p.exists().then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(text: &str) -> Record {
        Record {
            level: Level::WARN,
            target: "audit".into(),
            line: Some(7),
            text: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn datagrams_round_trip_single_and_multi_line_messages() {
        let d = journal_datagram(&rec("root password accepted\n"), "nodeconsole");
        let f = parse_datagram(&d);
        assert_eq!(f[0], ("MESSAGE".into(), b"root password accepted".to_vec()));
        assert_eq!(f[1], ("PRIORITY".into(), b"4".to_vec()));
        assert_eq!(f[2], ("SYSLOG_IDENTIFIER".into(), b"nodeconsole".to_vec()));
        assert_eq!(f[3], ("TARGET".into(), b"audit".to_vec()));
        assert_eq!(f[4], ("CODE_LINE".into(), b"7".to_vec()));
        let d = journal_datagram(&rec("two\nlines\n"), "x");
        assert_eq!(parse_datagram(&d)[0].1, b"two\nlines".to_vec());
    }

    #[test]
    fn malformed_datagrams_do_not_panic() {
        for d in [
            &b"MESSAGE\n\x05\x00"[..],
            b"\n",
            b"A",
            b"MESSAGE\n\xff\xff\xff\xff\xff\xff\xff\xffab\n",
        ] {
            let _ = parse_datagram(d);
        }
    }
}
