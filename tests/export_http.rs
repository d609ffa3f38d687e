//! The export HTTP server on 127.0.0.1 (port 0) with a real HTTP client
//! (ureq) and raw requests over TcpStream for the encoded path forms a
//! client would normalise away.

mod export_common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use export_common::*;
use nodeconsole::export::{collect_node_logs, urls, Export, ExportRegistry, ExportServer};
use nodeconsole::job::Recorder;

struct Fixture {
    rt: tokio::runtime::Runtime,
    server: Option<ExportServer>,
    reg: ExportRegistry,
    export: Export,
    top: String,
    work: tempfile::TempDir,
    _root: Root,
}

impl Fixture {
    fn new() -> Fixture {
        let root = fixture_root();
        let work = tempfile::tempdir().unwrap();
        let tgz = collect_node_logs(
            &spec(root.path()),
            &work.path().join("exports"),
            &mut Recorder::default(),
        )
        .unwrap();
        let reg = ExportRegistry::load(&work.path().join("exports.json")).unwrap();
        let export = reg.publish(&tgz, Duration::from_secs(3600)).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt
            .block_on(ExportServer::start(
                "127.0.0.1:0".parse().unwrap(),
                reg.clone(),
            ))
            .unwrap();
        Fixture {
            rt,
            server: Some(server),
            reg,
            top: top_of(&tgz),
            export,
            work,
            _root: root,
        }
    }
    fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().local_addr()
    }
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr(), path)
    }
    fn base(&self) -> String {
        format!("/{}/", self.export.token)
    }
}

struct Reply {
    status: u16,
    ctype: String,
    length: Option<u64>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(30))
        .build()
}

fn call(method: &str, url: &str) -> Reply {
    let resp = match agent().request(method, url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let headers = resp
        .headers_names()
        .into_iter()
        .map(|n| (n.clone(), resp.header(&n).unwrap_or("").to_string()))
        .collect();
    let status = resp.status();
    let ctype = resp.header("content-type").unwrap_or("").to_string();
    let length = resp.header("content-length").map(|v| v.parse().unwrap());
    let mut body = Vec::new();
    if method != "HEAD" {
        resp.into_reader().read_to_end(&mut body).unwrap();
    }
    Reply {
        status,
        ctype,
        length,
        headers,
        body,
    }
}

fn get(url: &str) -> Reply {
    call("GET", url)
}

/// Sends `path` byte for byte (no client-side normalisation) and returns
/// the status code and the whole response.
fn raw(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line for {path:?}: {text:?}"));
    (code, text)
}

/// Reads one response head (status line and headers, up to the blank
/// line) byte by byte, leaving the connection open for what follows.
fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            other => panic!("response head cut short ({other:?}): {head:?}"),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[test]
fn unknown_or_missing_token_is_404() {
    let f = Fixture::new();
    assert_eq!(get(&f.url("/")).status, 404);
    assert_eq!(get(&f.url("/favicon.ico")).status, 404);
    assert_eq!(
        get(&f.url("/0123456789abcdef0123456789abcdef/")).status,
        404
    );
    let wrong_case = f.export.token.to_uppercase();
    assert_eq!(get(&f.url(&format!("/{wrong_case}/"))).status, 404);
    // A file name under a token that is not this export's file.
    assert_eq!(
        get(&f.url(&format!("{}other.tar.gz", f.base()))).status,
        404
    );
}

#[test]
fn expired_is_410_and_revoked_is_410() {
    let f = Fixture::new();
    let other = f.work.path().join("exports/other.tar.gz");
    std::fs::copy(&f.export.file, &other).unwrap();
    let expired = f.reg.publish(&other, Duration::ZERO).unwrap();
    let r = get(&f.url(&format!("/{}/", expired.token)));
    assert_eq!(r.status, 410);
    assert!(String::from_utf8_lossy(&r.body).contains("expired"));
    assert_eq!(
        get(&f.url(&format!("/{}/other.tar.gz", expired.token))).status,
        410
    );

    assert_eq!(get(&f.url(&f.base())).status, 200);
    assert!(f.reg.revoke(&f.export.token).unwrap());
    assert_eq!(get(&f.url(&f.base())).status, 410);
    assert!(!f.export.file.exists(), "revoking deletes the file");
}

#[test]
fn index_page_download_and_head() {
    let f = Fixture::new();
    let page = get(&f.url(&f.base()));
    assert_eq!(page.status, 200);
    assert_eq!(page.ctype, "text/html; charset=utf-8");
    let html = String::from_utf8(page.body).unwrap();
    assert!(
        html.contains(&format!("href=\"{}\"", f.export.file_name)),
        "{html}"
    );
    assert!(html.contains("href=\"browse/\""), "{html}");
    let find = |h: &[(String, String)], n: &str| {
        h.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        find(&page.headers, "referrer-policy").as_deref(),
        Some("no-referrer")
    );

    // `/<token>` without the slash redirects to the page.
    let r = get(&f.url(&format!("/{}", f.export.token)));
    assert_eq!(r.status, 308);
    assert_eq!(find(&r.headers, "location").unwrap(), f.base());

    let dl = get(&f.url(&format!("{}{}", f.base(), f.export.file_name)));
    let on_disk = std::fs::read(&f.export.file).unwrap();
    assert_eq!(dl.status, 200);
    assert_eq!(dl.ctype, "application/gzip");
    assert_eq!(dl.length, Some(on_disk.len() as u64));
    assert_eq!(dl.body, on_disk);
    assert_eq!(
        find(&dl.headers, "content-disposition").unwrap(),
        format!("attachment; filename=\"{}\"", f.export.file_name)
    );

    let head = call(
        "HEAD",
        &f.url(&format!("{}{}", f.base(), f.export.file_name)),
    );
    assert_eq!(head.status, 200);
    assert_eq!(head.length, Some(on_disk.len() as u64));
    let (code, text) = raw(
        f.addr(),
        "HEAD",
        &format!("{}{}", f.base(), f.export.file_name),
    );
    assert_eq!(code, 200);
    assert!(text.ends_with("\r\n\r\n"), "HEAD has no body: {text:?}");
}

#[test]
fn other_methods_are_405() {
    let f = Fixture::new();
    for m in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = call(m, &f.url(&format!("{}{}", f.base(), f.export.file_name)));
        assert_eq!(r.status, 405, "{m}");
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("allow") && v == "GET, HEAD"));
    }
    assert!(f.export.file.exists());
}

#[test]
fn browse_lists_and_shows_files() {
    let f = Fixture::new();
    let b = format!("{}browse/", f.base());
    let top = get(&f.url(&b));
    assert_eq!(top.status, 200);
    assert_eq!(top.ctype, "text/html; charset=utf-8");
    assert!(String::from_utf8_lossy(&top.body).contains(&format!("href=\"{}/\"", f.top)));

    let dir = get(&f.url(&format!("{b}{}/files/var/log/", f.top)));
    assert_eq!(dir.status, 200);
    let html = String::from_utf8_lossy(&dir.body).into_owned();
    for needle in [
        "href=\"libvirt/\"",
        "href=\"zstack/\"",
        "href=\"messages\"",
        "href=\"messages-20261121\"",
        "href=\"../\"",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }

    let file = get(&f.url(&format!("{b}{}/files/var/log/libvirt/qemu/vm-1.log", f.top)));
    let want = std::fs::read(format!("{FIXTURE}/var/log/libvirt/qemu/vm-1.log")).unwrap();
    assert_eq!(file.status, 200);
    assert_eq!(file.ctype, "text/plain; charset=utf-8");
    assert_eq!(file.length, Some(want.len() as u64));
    assert_eq!(file.body, want);

    let summary = get(&f.url(&format!("{b}{}/SUMMARY.txt", f.top)));
    assert_eq!(summary.status, 200);
    assert!(String::from_utf8_lossy(&summary.body).contains("== Collected"));

    // A directory without its slash redirects; missing names are 404.
    assert_eq!(get(&f.url(&format!("{b}{}/files", f.top))).status, 308);
    assert_eq!(get(&f.url(&format!("{b}{}/nope.txt", f.top))).status, 404);
    assert_eq!(
        get(&f.url(&format!("{b}{}/SUMMARY.txt/", f.top))).status,
        404
    );
}

#[test]
fn traversal_attempts_are_refused() {
    let f = Fixture::new();
    let t = &f.export.token;
    let top = &f.top;
    let attempts = [
        format!("/{t}/browse/../../../../etc/passwd"),
        format!("/{t}/browse/{top}/../../../../etc/passwd"),
        format!("/{t}/browse/%2e%2e/%2e%2e/%2e%2e/etc/passwd"),
        format!("/{t}/browse/%2E%2E/%2E%2E/etc/passwd"),
        format!("/{t}/browse/..%2f..%2f..%2fetc%2fpasswd"),
        format!("/{t}/browse/{top}%2f..%2f..%2fetc%2fpasswd"),
        format!("/{t}/browse/..\\..\\..\\etc\\passwd"),
        format!("/{t}/browse/..%5c..%5cetc%5cpasswd"),
        format!("/{t}/browse//etc/passwd"),
        format!("/{t}/browse/%2fetc%2fpasswd"),
        format!("/{t}/browse/{top}/SUMMARY.txt%00.html"),
        format!("/{t}/browse/%c0%ae%c0%ae/etc/passwd"),
        format!("/{t}/..%2f..%2f..%2fetc%2fpasswd"),
        format!("/{t}/%2e%2e/%2e%2e/etc/passwd"),
        format!("/{t}/../../etc/passwd"),
        "/../../../etc/passwd".to_string(),
        "/%2e%2e/%2e%2e/etc/passwd".to_string(),
        // A file that is inside the collection root but was never collected.
        format!("/{t}/browse/{top}/files/var/log/unrelated/other.txt"),
        format!("/{t}/browse/{top}/files/var/log/libvirt/escape.log"),
    ];
    for path in &attempts {
        let (code, text) = raw(f.addr(), "GET", path);
        assert!(code == 400 || code == 404, "{path} answered {code}: {text}");
        for secret in [
            "root:x:",
            "root:*:",
            "OUTSIDE-THE-ROOT",
            "not a log we collect",
        ] {
            assert!(!text.contains(secret), "{path} leaked {secret:?}");
        }
    }
    // The encoded dot-dot is a 400 specifically (refused, not just missing).
    let (code, _) = raw(f.addr(), "GET", &format!("/{t}/browse/%2e%2e/etc/passwd"));
    assert_eq!(code, 400);
}

#[test]
fn restart_restores_exports_from_the_state_file() {
    let mut f = Fixture::new();
    let page = f.base();
    assert_eq!(get(&f.url(&page)).status, 200);
    let state = f.reg.state_file().to_owned();
    let old_addr = f.addr();
    // A keep-alive connection the old server has answered on: when that
    // server stops, it (and only it) closes this connection. A new connect
    // to `old_addr` proves nothing, since the freed port may already belong
    // to another test's server.
    let mut idle = TcpStream::connect(old_addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        idle,
        "HEAD {page} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
    )
    .unwrap();
    let head = read_head(&mut idle);
    assert!(head.starts_with("HTTP/1.1 200"), "{head:?}");
    f.rt.block_on(f.server.take().unwrap().stop());
    let mut rest = Vec::new();
    match idle.read_to_end(&mut rest) {
        // EOF, or a reset: the server closed its side.
        Ok(_) => assert!(rest.is_empty(), "old server sent more: {rest:?}"),
        Err(e) => assert_eq!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset,
            "old server still holds its connection open after stop: {e}"
        ),
    }
    // Whatever answers on the old address now (nothing, or another test's
    // server that took the freed port) does not serve our export.
    if let Ok(mut s) = TcpStream::connect(old_addr) {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = write!(
            s,
            "HEAD {page} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        );
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        let text = String::from_utf8_lossy(&buf);
        assert!(
            !text.starts_with("HTTP/1.1 200"),
            "old export still served: {text:?}"
        );
    }

    // A new console process: a registry loaded from the same state file.
    let reg = ExportRegistry::load(&state).unwrap();
    assert_eq!(reg.list(), vec![f.export.clone()]);
    let server =
        f.rt.block_on(ExportServer::start("127.0.0.1:0".parse().unwrap(), reg))
            .unwrap();
    let urls = urls(
        &f.export,
        &[server.local_addr().ip()],
        server.local_addr().port(),
    );
    assert_eq!(urls.len(), 1);
    let r = get(&urls[0]);
    assert_eq!(r.status, 200);
    let dl = get(&format!("{}{}", urls[0], f.export.file_name));
    assert_eq!(dl.body, std::fs::read(&f.export.file).unwrap());
}

#[test]
fn bind_failure_is_a_clear_error() {
    let f = Fixture::new();
    let err =
        f.rt.block_on(ExportServer::start(f.addr(), f.reg.clone()))
            .unwrap_err()
            .to_string();
    assert!(
        err.contains(&f.addr().to_string()) && err.contains("[export]"),
        "{err}"
    );
}

#[test]
fn service_serves_on_every_management_address_and_restores() {
    use nodeconsole::export::{ExportConfig, ExportService};
    let root = fixture_root();
    let work = tempfile::tempdir().unwrap();
    let cfg = ExportConfig {
        port: 0,
        dir: work.path().join("exports"),
        state_file: work.path().join("exports.json"),
        ..Default::default()
    };
    let mn: Vec<std::net::IpAddr> =
        vec!["127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap()];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let svc = ExportService::new(cfg.clone()).unwrap();
    // Nothing published yet: the server stays off.
    assert_eq!(rt.block_on(svc.restore(&mn)).unwrap(), None);
    assert!(rt.block_on(svc.server_addrs()).is_empty());
    let export = svc.collect_node_logs(spec(root.path())).wait().unwrap();
    let addrs = rt.block_on(svc.ensure_server(&mn)).unwrap();
    assert_eq!(addrs.iter().map(|a| a.ip()).collect::<Vec<_>>(), mn);
    let list = rt.block_on(svc.urls(&export));
    assert_eq!(list.len(), 2);
    for u in &list {
        assert!(u.contains(&export.token), "{u}");
        assert_eq!(get(u).status, 200, "{u}");
    }
    rt.block_on(svc.stop_server());

    // Restart: a new service over the same state file serves it again.
    let again = ExportService::new(cfg).unwrap();
    let addrs = rt.block_on(again.restore(&mn)).unwrap().expect("restored");
    assert_eq!(addrs.len(), 2);
    for u in rt.block_on(again.urls(&export)) {
        let dl = get(&format!("{u}{}", export.file_name));
        assert_eq!(dl.status, 200);
        assert_eq!(dl.body, std::fs::read(&export.file).unwrap());
    }
    rt.block_on(again.stop_server());
}
