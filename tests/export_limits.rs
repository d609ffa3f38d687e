//! The export server under hostile clients (issue #16 items 1, 2 and 5):
//! request heads that stop half-way, idle sockets, more connections than
//! the caps, hundreds of slow clients, readers that stop reading a file
//! view — against the real server on 127.0.0.x. Each test proves the
//! console keeps what it needs (descriptors, its runtime's threads) and
//! that other clients are still served.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::poll;
use nodeconsole::export::{Export, ExportRegistry, ExportServer, Limits};

/// A published tarball (`dump/big.log`, `dump/small.log`) and its server.
struct Served {
    rt: tokio::runtime::Runtime,
    server: Option<ExportServer>,
    export: Export,
    _dir: tempfile::TempDir,
}

/// The "console's" runtime: few blocking threads, as the pool PAM and the
/// network rollback use is bounded in the real console too.
fn console_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

fn tarball(path: &std::path::Path, big: usize) {
    let f = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (name, data) in [
        ("dump/big.log", vec![b'x'; big]),
        ("dump/small.log", b"small file\n".to_vec()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        h.set_cksum();
        tar.append_data(&mut h, name, &data[..]).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn serve(limits: Limits, big: usize) -> Served {
    init_log();
    let dir = tempfile::tempdir().unwrap();
    let tgz = dir.path().join("logs.tar.gz");
    tarball(&tgz, big);
    let reg = ExportRegistry::load(&dir.path().join("exports.json")).unwrap();
    let export = reg.publish(&tgz, Duration::from_secs(3600)).unwrap();
    let rt = console_runtime();
    let server = {
        let _in = rt.enter();
        ExportServer::start_with(&["127.0.0.1:0".parse().unwrap()], reg, limits).unwrap()
    };
    Served {
        rt,
        server: Some(server),
        export,
        _dir: dir,
    }
}

impl Served {
    fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().local_addr()
    }
    /// The console's runtime can still run blocking work (PAM does).
    fn console_threads_free(&self) -> bool {
        self.rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), tokio::task::spawn_blocking(|| 42))
                .await
                .map(|r| r.unwrap() == 42)
                .unwrap_or(false)
        })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.stop());
        }
    }
}

/// A client socket from `from` (any 127.0.0.x is this host's loopback).
fn connect_from(from: &str, to: SocketAddr, rcvbuf: Option<usize>) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    if let Some(n) = rcvbuf {
        s.set_recv_buffer_size(n).unwrap();
    }
    s.bind(&format!("{from}:0").parse::<SocketAddr>().unwrap().into())
        .unwrap();
    s.connect(&to.into()).unwrap();
    s.into()
}

/// Sends a whole request on `s` (keep-alive) and returns its status line.
fn request(s: &mut TcpStream, path: &str) -> Result<String, String> {
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: node\r\n\r\n").map_err(|e| e.to_string())?;
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            other => return Err(format!("no response ({other:?}) after {head:?}")),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok(head.lines().next().unwrap_or("").to_string())
}

/// Waits until the server closes `s`; the time it took.
fn closed_within(s: &mut TcpStream, limit: Duration) -> Result<Duration, String> {
    let start = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(start.elapsed()),
            Ok(_) => continue, // e.g. a 408 response before the close
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(start.elapsed()),
            Err(e) => return Err(format!("still open after {:?}: {e}", start.elapsed())),
        }
    }
}

fn short(header_timeout: Duration) -> Limits {
    Limits {
        header_timeout,
        ..Limits::default()
    }
}

#[test]
fn a_request_head_that_stops_half_way_is_closed() {
    let s = serve(short(Duration::from_secs(1)), 16);
    let mut c = connect_from("127.0.0.1", s.addr(), None);
    c.write_all(b"GET /abc HTTP/1.1\r\nHost: no").unwrap();
    let t = closed_within(&mut c, Duration::from_secs(30)).unwrap();
    assert!(t >= Duration::from_millis(900), "closed too early: {t:?}");
}

#[test]
fn idle_connections_are_closed_before_and_between_requests() {
    let s = serve(short(Duration::from_secs(1)), 16);
    let mut silent = connect_from("127.0.0.1", s.addr(), None);
    closed_within(&mut silent, Duration::from_secs(30)).expect("a silent socket is closed");
    let mut kept = connect_from("127.0.0.1", s.addr(), None);
    let page = format!("/{}/", s.export.token);
    assert!(request(&mut kept, &page).unwrap().contains(" 200 "));
    closed_within(&mut kept, Duration::from_secs(30)).expect("an idle keep-alive socket is closed");
}

#[test]
fn connections_are_capped_per_peer_and_in_total() {
    let s = serve(
        Limits {
            max_connections: 5,
            max_per_peer: 3,
            header_timeout: Duration::from_secs(60),
            ..Limits::default()
        },
        16,
    );
    let page = format!("/{}/", s.export.token);
    let admitted = |from: &str| {
        let mut c = connect_from(from, s.addr(), None);
        let status = request(&mut c, &page).unwrap_or_else(|e| panic!("{from} not served: {e}"));
        assert!(status.contains(" 200 "), "{status}");
        c
    };
    let refused = |from: &str| {
        let mut c = connect_from(from, s.addr(), None);
        let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: node\r\n\r\n");
        closed_within(&mut c, Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("{from} should be refused: {e}"));
    };
    let mut a: Vec<TcpStream> = (0..3).map(|_| admitted("127.0.0.1")).collect();
    refused("127.0.0.1");
    let _b: Vec<TcpStream> = (0..2).map(|_| admitted("127.0.0.2")).collect();
    refused("127.0.0.3");
    drop(a.pop());
    // The server frees the slot once it sees the close.
    poll::until_ok("a freed slot", poll::DEADLINE, || {
        let mut c = connect_from("127.0.0.3", s.addr(), None);
        request(&mut c, &page).map(|_| c)
    });
}

/// Open descriptors of this process.
fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn hundreds_of_slow_clients_take_no_descriptors_and_others_are_served() {
    let s = serve(short(Duration::from_secs(60)), 16);
    let before = fds();
    let slow: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut c = connect_from("127.0.0.1", s.addr(), None);
            let _ = c.write_all(b"GET / HTTP/1.1\r\nHo");
            c
        })
        .collect();
    // Our 300 client sockets, plus at most the per-peer cap on the
    // server's side (the rest are closed as they are accepted).
    poll::until_ok("refused sockets closed", poll::DEADLINE, || {
        let extra = fds() - before;
        (extra <= slow.len() + Limits::default().max_per_peer + 4)
            .then_some(())
            .ok_or(format!("{extra} descriptors for {} clients", slow.len()))
    });
    let mut other = connect_from("127.0.0.2", s.addr(), None);
    let page = format!("/{}/", s.export.token);
    assert!(request(&mut other, &page).unwrap().contains(" 200 "));
    assert!(s.console_threads_free());
}

#[test]
fn stalled_readers_of_file_views_do_not_take_the_consoles_threads() {
    let s = serve(
        Limits {
            max_connections: 64,
            max_per_peer: 64,
            header_timeout: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(2),
            blocking_threads: 2,
        },
        64 << 20,
    );
    let big = format!("/{}/browse/dump/big.log", s.export.token);
    let small = format!("/{}/browse/dump/small.log", s.export.token);
    let stalled: Vec<TcpStream> = (0..32)
        .map(|_| {
            let mut c = connect_from("127.0.0.1", s.addr(), Some(4096));
            write!(c, "GET {big} HTTP/1.1\r\nHost: node\r\n\r\n").unwrap();
            c
        })
        .collect();
    // Give the server time to start feeding every one of them.
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        s.console_threads_free(),
        "the console's blocking pool is free"
    );
    // Every stalled download is ended by the stall timeout, its thread
    // freed: a small view is served again.
    poll::until_ok(
        "a file view after the stall timeout",
        Duration::from_secs(120),
        || {
            let mut c = connect_from("127.0.0.2", s.addr(), None);
            let status = request(&mut c, &small)?;
            status.contains(" 200 ").then_some(()).ok_or(status)
        },
    );
    let mut first = stalled.into_iter().next().unwrap();
    let mut sink = Vec::new();
    first
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let _ = first.read_to_end(&mut sink);
    assert!(
        sink.len() < 64 << 20,
        "a stalled download was cut, not completed ({} bytes)",
        sink.len()
    );
}

/// Everything the server logs, captured (one global subscriber per test
/// binary; the server logs from its own threads).
fn log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(Arc::default)
}

struct Capture;
impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        log().lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_log() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        tracing_subscriber::fmt()
            .with_writer(|| Capture)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .init();
    });
}

#[test]
fn every_request_is_logged_with_the_token_cut() {
    let s = serve(Limits::default(), 16);
    let mut c = connect_from("127.0.0.1", s.addr(), None);
    let page = format!("/{}/", s.export.token);
    request(&mut c, &page).unwrap();
    request(&mut c, &format!("{page}nope")).unwrap();
    let prefix = &s.export.token[..6];
    poll::until_ok("the request log", poll::DEADLINE, || {
        let text = String::from_utf8_lossy(&log().lock().unwrap()).into_owned();
        let ok = text.lines().any(|l| {
            l.contains("export-request")
                && l.contains("127.0.0.1")
                && l.contains(&format!("/{prefix}…/"))
                && l.contains("200")
        });
        let missing = text
            .lines()
            .any(|l| l.contains(&format!("/{prefix}…/nope")) && l.contains("404"));
        (ok && missing).then_some(()).ok_or(text)
    });
    let text = String::from_utf8_lossy(&log().lock().unwrap()).into_owned();
    assert!(
        !text.contains(&s.export.token),
        "the whole token is never logged"
    );
}
