//! The embedded, read-only HTTP server that serves exports.
//!
//! Routes (the token is the only credential, so it is checked first and
//! every unknown path is a plain 404):
//! - `/<token>/` — an HTML page for the export: download and browse links.
//! - `/<token>/<file name>` — the file itself, streamed from disk.
//! - `/<token>/browse/<dir>/` and `/<token>/browse/<file>` — the tarball's
//!   contents: directory listings and files as `text/plain`.
//!
//! Unknown token → 404, expired → 410 Gone, a bad path (`..`, encoded
//! `%2e%2e`, `%2f`, backslash, NUL) → 400, methods other than GET/HEAD →
//! 405. All paths are parsed by hand from the raw URI so that no decoding
//! layer can turn an encoded `..` into a real one behind our back.

use std::fmt::Write as _;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::Router;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio::task::JoinHandle;

use super::browse::{clean_url_path, open_entry, DirItem, TarIndex};
use super::listen::{Gate, Limits};
use super::registry::{Export, ExportRegistry, Lookup};
use super::{human_bytes, ExportError};

/// How often expired exports are cleaned up while the server runs.
const CLEANUP_PERIOD: Duration = Duration::from_secs(60);
/// Chunk size when streaming; memory per download is a few of these.
const CHUNK: usize = 64 << 10;

/// Characters left as they are in URL path segments we generate.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A running export server; dropping it shuts it down.
///
/// It runs on a tokio runtime of its own (one worker thread and at most
/// [`Limits::blocking_threads`] blocking threads), never on the console's:
/// whatever clients do, they cannot take the threads PAM, the network
/// rollback and the collectors run on.
pub struct ExportServer {
    addrs: Vec<SocketAddr>,
    stop: tokio::sync::watch::Sender<bool>,
    /// Closed when the server's thread has finished.
    done: Option<tokio::sync::oneshot::Receiver<()>>,
    cleanup: JoinHandle<()>,
}

impl std::fmt::Debug for ExportServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportServer")
            .field("addrs", &self.addrs)
            .finish_non_exhaustive()
    }
}

/// The handlers' shared state.
#[derive(Clone)]
struct Shared {
    reg: ExportRegistry,
    /// How long a browser thread waits for a stalled client.
    stall: Duration,
}

impl ExportServer {
    /// Binds `bind` (port 0 picks a free port) and serves `registry` with
    /// the default [`Limits`]. Also runs expiry cleanup every minute.
    pub async fn start(
        bind: SocketAddr,
        registry: ExportRegistry,
    ) -> Result<ExportServer, ExportError> {
        ExportServer::start_many(&[bind], registry).await
    }

    /// Like [`ExportServer::start`] on several addresses at once (every
    /// address of the management NIC), so each URL the window shows works.
    /// Fails, binding nothing, if any address cannot be bound.
    pub async fn start_many(
        binds: &[SocketAddr],
        registry: ExportRegistry,
    ) -> Result<ExportServer, ExportError> {
        ExportServer::start_with(binds, registry, Limits::default())
    }

    /// Like [`ExportServer::start_many`] with explicit limits (tests use
    /// short timeouts and small caps).
    pub fn start_with(
        binds: &[SocketAddr],
        registry: ExportRegistry,
        limits: Limits,
    ) -> Result<ExportServer, ExportError> {
        if binds.is_empty() {
            return Err(ExportError::Config(
                "no address to serve exports on; set export.bind".into(),
            ));
        }
        let mut listeners = Vec::new();
        for bind in binds {
            let err = |source| ExportError::Bind {
                addr: *bind,
                source,
            };
            // Binding a socket does not block: no need for the runtime yet.
            let listener = std::net::TcpListener::bind(bind).map_err(err)?;
            listener.set_nonblocking(true).map_err(err)?;
            let addr = listener.local_addr().map_err(err)?;
            listeners.push((listener, addr));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(limits.blocking_threads.max(1))
            .thread_name("export-http")
            .enable_all()
            .build()
            .map_err(|source| ExportError::Io {
                what: "starting the export server's threads".into(),
                source,
            })?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let shared = Shared {
            reg: registry.clone(),
            stall: limits.stall_timeout,
        };
        let app = Router::new().fallback(handle).with_state(shared);
        let gate = Gate::new(limits);
        let mut serve = Vec::new();
        let mut addrs = Vec::new();
        for (listener, addr) in listeners {
            let listener = {
                let _in_rt = rt.enter();
                tokio::net::TcpListener::from_std(listener)
                    .map_err(|source| ExportError::Bind { addr, source })?
            };
            addrs.push(addr);
            serve.push(rt.spawn(super::listen::serve(
                listener,
                app.clone(),
                gate.clone(),
                stopped.clone(),
            )));
            tracing::info!(%addr, "export server listening");
        }
        let cleanup = rt.spawn(async move {
            let mut tick = tokio::time::interval(CLEANUP_PERIOD);
            loop {
                tick.tick().await;
                let reg = registry.clone();
                match tokio::task::spawn_blocking(move || reg.cleanup()).await {
                    Ok(Err(e)) => tracing::warn!("export cleanup: {e}"),
                    Ok(Ok(n)) if n > 0 => tracing::info!("deleted {n} expired export(s)"),
                    _ => {}
                }
            }
        });
        let (done_tx, done) = tokio::sync::oneshot::channel();
        // The runtime lives on a thread of its own until every listener
        // and connection has finished (each bounded by the timeouts).
        std::thread::Builder::new()
            .name("export-http".into())
            .spawn(move || {
                rt.block_on(async {
                    for h in serve {
                        let _ = h.await;
                    }
                });
                rt.shutdown_timeout(Duration::from_secs(1));
                drop(done_tx);
            })
            .map_err(|source| ExportError::Io {
                what: "starting the export server's thread".into(),
                source,
            })?;
        Ok(ExportServer {
            addrs,
            stop,
            done: Some(done),
            cleanup,
        })
    }

    /// The (first) address actually bound (the real port when started with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addrs[0]
    }

    /// Every address bound, in the order given to `start_many`.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// Stops accepting connections; downloads in flight may finish.
    pub fn shutdown(&mut self) {
        let _ = self.stop.send(true);
        self.cleanup.abort();
    }

    /// Stops and waits (at most 5 s) until the listeners and connections
    /// are closed.
    pub async fn stop(mut self) {
        self.shutdown();
        if let Some(done) = self.done.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), done).await;
        }
    }
}

impl Drop for ExportServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The URLs of an export's page, one per address of the management NIC,
/// for the result window. (With a server from `start_many`, prefer
/// [`server_urls`], which uses each listener's real port.)
pub fn urls(export: &Export, addrs: &[IpAddr], port: u16) -> Vec<String> {
    addrs
        .iter()
        .map(|a| match a {
            IpAddr::V4(v4) => format!("http://{v4}:{port}/{}/", export.token),
            IpAddr::V6(v6) => format!("http://[{v6}]:{port}/{}/", export.token),
        })
        .collect()
}

/// The URLs of an export on every address `server` listens on.
pub fn server_urls(export: &Export, server: &ExportServer) -> Vec<String> {
    server
        .local_addrs()
        .iter()
        .flat_map(|a| urls(export, &[a.ip()], a.port()))
        .collect()
}

async fn handle(State(sh): State<Shared>, method: Method, uri: Uri) -> Response {
    let head = method == Method::HEAD;
    if method != Method::GET && !head {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD are allowed\n",
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let mut resp = route(&sh, uri.path()).await;
    secure_headers(&mut resp);
    if head {
        // Keep the headers (Content-Length included), drop the body.
        *resp.body_mut() = Body::empty();
    }
    resp
}

async fn route(sh: &Shared, path: &str) -> Response {
    let reg = &sh.reg;
    let Some(rest) = path.strip_prefix('/') else {
        return not_found();
    };
    let segs: Vec<&str> = rest.split('/').collect();
    let export = match reg.lookup(segs[0]) {
        Lookup::Live(e) => e,
        Lookup::Expired => {
            return text(
                StatusCode::GONE,
                "this export has expired; collect again on the node's console\n",
            )
        }
        Lookup::Unknown => return not_found(),
    };
    if !export.file.is_file() {
        return text(
            StatusCode::GONE,
            "the exported file no longer exists on the node; collect again\n",
        );
    }
    match &segs[1..] {
        [] => redirect(&format!("/{}/", export.token)),
        [""] => html(StatusCode::OK, export_page(&export)),
        [name]
            if *name == export.file_name || decode(name).as_deref() == Some(&export.file_name) =>
        {
            download(&export).await
        }
        ["browse", rest @ ..] if export.browsable() => browse(sh, &export, rest).await,
        _ => not_found(),
    }
}

fn decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

async fn download(export: &Export) -> Response {
    let file = match tokio::fs::File::open(&export.file).await {
        Ok(f) => f,
        Err(e) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot open the export: {e}\n"),
            )
        }
    };
    let len = match file.metadata().await {
        Ok(m) => m.len(),
        Err(e) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("cannot stat the export: {e}\n"),
            )
        }
    };
    // Serve exactly the length we announce, even if the file changed.
    let stream = tokio_util::io::ReaderStream::with_capacity(
        tokio::io::AsyncReadExt::take(file, len),
        CHUNK,
    );
    let ctype = if export.file_name.ends_with(".gz") || export.file_name.ends_with(".tgz") {
        "application/gzip"
    } else if export.file_name.ends_with(".tar") {
        "application/x-tar"
    } else {
        "application/octet-stream"
    };
    let safe_name: String = export
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, ctype)
        .header(header::CONTENT_LENGTH, len)
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{safe_name}\""),
        )
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| internal())
}

async fn browse(sh: &Shared, export: &Export, raw: &[&str]) -> Response {
    let reg = &sh.reg;
    if raw.is_empty() {
        // `/<token>/browse` → `/<token>/browse/`, so relative links resolve.
        return redirect("browse/");
    }
    let (path, want_dir) = match clean_url_path(raw) {
        Ok(p) => p,
        Err(bad) => return text(StatusCode::BAD_REQUEST, &format!("bad path: {}\n", bad.0)),
    };
    let (reg2, exp2) = (reg.clone(), export.clone());
    let index =
        match tokio::task::spawn_blocking(move || reg2.tar_index(&exp2, TarIndex::build)).await {
            Ok(Ok(i)) => i,
            Ok(Err(e)) => {
                return text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("cannot read the tarball: {e}\n"),
                )
            }
            Err(_) => return internal(),
        };
    if let Some(items) = index.list_dir(&path) {
        if !want_dir {
            let last = raw.last().copied().unwrap_or("");
            return redirect(&format!("{last}/"));
        }
        return html(
            StatusCode::OK,
            listing_page(export, &path, &items, index.truncated),
        );
    }
    let Some(entry) = index.get(&path).cloned() else {
        return not_found();
    };
    if want_dir {
        return not_found();
    }
    // Decompression is blocking work: a thread of the server's own small
    // pool feeds a bounded channel. A client that stops reading frees the
    // thread after the stall timeout instead of holding it for ever.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let file = export.file.clone();
    let entry2 = entry.clone();
    let stall = sh.stall;
    let rt = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let send = |item| rt.block_on(tx.send_timeout(item, stall)).is_ok();
        let mut r = match open_entry(&file, &entry2) {
            Ok(r) => r,
            Err(e) => {
                send(Err(e));
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; CHUNK];
            match r.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    if !send(Ok(Bytes::from(buf))) {
                        return; // the client went away or stopped reading
                    }
                }
                Err(e) => {
                    send(Err(e));
                    return;
                }
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CONTENT_LENGTH, entry.size)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| internal())
}

fn export_page(e: &Export) -> String {
    let mut s = page_head(&format!("Export {}", e.file_name));
    let _ = write!(
        s,
        "<h1>{name}</h1>\n<p>Size: {size}<br>Created: {created}<br>Expires: {expires}</p>\n<ul>\n<li><a href=\"{href}\">Download {name}</a></li>\n",
        name = esc(&e.file_name),
        size = human_bytes(e.size),
        created = utc(e.created_at),
        expires = utc(e.expires_at),
        href = utf8_percent_encode(&e.file_name, SEGMENT),
    );
    if e.browsable() {
        s.push_str("<li><a href=\"browse/\">Browse the contents online</a></li>\n");
    }
    s.push_str("</ul>\n</body></html>\n");
    s
}

fn listing_page(e: &Export, dir: &str, items: &[DirItem], truncated: bool) -> String {
    let title = format!("{}: /{}", e.file_name, dir);
    let mut s = page_head(&title);
    let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        s,
        "<p><a href=\"/{}/\">Export page</a></p>\n<table>",
        e.token
    );
    if !dir.is_empty() {
        s.push_str("<tr><td><a href=\"../\">../</a></td><td></td></tr>\n");
    }
    for it in items {
        match it {
            DirItem::Dir(d) => {
                let _ = writeln!(
                    s,
                    "<tr><td><a href=\"{}/\">{}/</a></td><td></td></tr>",
                    utf8_percent_encode(d, SEGMENT),
                    esc(d)
                );
            }
            DirItem::File(f) => {
                let name = f.path.rsplit('/').next().unwrap_or(&f.path);
                let _ = writeln!(
                    s,
                    "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
                    utf8_percent_encode(name, SEGMENT),
                    esc(name),
                    f.size,
                    utc(f.mtime)
                );
            }
        }
    }
    s.push_str("</table>\n");
    if truncated {
        s.push_str(
            "<p>The archive has more files than the browser lists; download it for the rest.</p>\n",
        );
    }
    s.push_str("</body></html>\n");
    s
}

fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\n<style>body{{font-family:monospace}}td{{padding-right:2em}}</style></head><body>\n",
        esc(title)
    )
}

fn utc(t: u64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(t as i64, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// HTML-escapes text (file names come from the node's file system).
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn secure_headers(r: &mut Response) {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The token is in the URL: never leak it to another site.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
}

fn text(status: StatusCode, body: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|_| internal())
}

fn html(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap_or_else(|_| internal())
}

fn redirect(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::PERMANENT_REDIRECT)
        .header(header::LOCATION, location)
        .header(header::CONTENT_LENGTH, 0)
        .body(Body::empty())
        .unwrap_or_else(|_| internal())
}

fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "not found\n")
}

fn internal() -> Response {
    let mut r = Response::new(Body::from("internal error\n"));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_per_address() {
        let e = Export {
            token: "0123456789abcdef0123456789abcdef".into(),
            file: "/x/a.tar.gz".into(),
            file_name: "a.tar.gz".into(),
            size: 1,
            created_at: 0,
            expires_at: 1,
        };
        let v = urls(
            &e,
            &["10.0.0.5".parse().unwrap(), "fd00::5".parse().unwrap()],
            8089,
        );
        assert_eq!(
            v,
            vec![
                "http://10.0.0.5:8089/0123456789abcdef0123456789abcdef/".to_string(),
                "http://[fd00::5]:8089/0123456789abcdef0123456789abcdef/".to_string(),
            ]
        );
    }

    #[test]
    fn html_escaping() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
