//! The export server's accept loop and the limits that keep anyone on the
//! management network from starving the console.
//!
//! Why not `axum::serve`: it sets no header-read timeout (hyper needs a
//! timer for that, which axum 0.8 does not give it), accepts connections
//! without bound and keeps idle sockets open for ever. On a node, the
//! console's file descriptors and threads are the ones PAM, the network
//! rollback and child processes need; a thousand idle sockets from one
//! host on the management network would take them. So each connection:
//! - is admitted only under a total cap and a per-peer cap (beyond them the
//!   socket is closed at once, costing no descriptor for longer than the
//!   accept);
//! - must send its request head within [`Limits::header_timeout`], which in
//!   hyper also bounds how long an idle keep-alive connection waits for its
//!   next request;
//! - must take the bytes it asked for: a write that makes no progress for
//!   [`Limits::stall_timeout`] ends the connection.
//!
//! Every request is logged (peer, token prefix, path, status, length) on
//! the `audit` target: the token is the only credential of an export, so
//! the log shows its first characters, never the whole token.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt as _;

/// How many characters of a token the request log shows.
const TOKEN_SHOWN: usize = 6;

/// The server's resource bounds (see the module doc).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once, from everyone.
    pub max_connections: usize,
    /// Connections open at once from one peer address.
    pub max_per_peer: usize,
    /// Time for a request head to arrive (also the keep-alive idle time).
    pub header_timeout: Duration,
    /// Time a response write may make no progress.
    pub stall_timeout: Duration,
    /// Threads that decompress tarball entries for the online browser.
    pub blocking_threads: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 64,
            max_per_peer: 8,
            header_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(60),
            blocking_threads: 4,
        }
    }
}

/// Counts open connections, in total and per peer.
#[derive(Debug, Default)]
struct Admission {
    total: usize,
    per_peer: HashMap<IpAddr, usize>,
}

/// Shared admission state of one server (all its listeners).
#[derive(Debug, Clone)]
pub struct Gate {
    limits: Limits,
    open: Arc<Mutex<Admission>>,
}

/// An admitted connection; dropping it frees its slot.
#[derive(Debug)]
pub struct Slot {
    peer: IpAddr,
    open: Arc<Mutex<Admission>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut a = crate::sync::lock(&self.open);
        a.total = a.total.saturating_sub(1);
        if let Some(n) = a.per_peer.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                a.per_peer.remove(&self.peer);
            }
        }
    }
}

impl Gate {
    pub fn new(limits: Limits) -> Gate {
        Gate {
            limits,
            open: Arc::default(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A slot for a connection from `peer`, or `None` over a cap.
    pub fn admit(&self, peer: IpAddr) -> Option<Slot> {
        let mut a = crate::sync::lock(&self.open);
        let mine = a.per_peer.get(&peer).copied().unwrap_or(0);
        if a.total >= self.limits.max_connections || mine >= self.limits.max_per_peer {
            return None;
        }
        a.total += 1;
        *a.per_peer.entry(peer).or_insert(0) += 1;
        Some(Slot {
            peer,
            open: self.open.clone(),
        })
    }
}

/// Accepts on `listener` until `stopped` turns true, then lets the
/// connections in flight finish (each is bounded by the timeouts) and
/// returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    gate: Gate,
    mut stopped: watch::Receiver<bool>,
) {
    let addr = listener.local_addr().ok();
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = async { let _ = stopped.wait_for(|s| *s).await; } => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            r = listener.accept() => r,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE/ENFILE and friends: back off instead of spinning;
                // the caps make this rare.
                tracing::warn!(?addr, "export server accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = gate.admit(peer.ip()) else {
            tracing::warn!(target: "audit", event = "export-refused", %peer,
                "export server: connection refused, too many connections");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        conns.spawn(connection(
            stream,
            peer,
            app.clone(),
            gate.limits().clone(),
            slot,
            stopped.clone(),
        ));
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

/// Serves one connection with the header timeout and the stall guard; on
/// stop, finishes the request in flight and closes.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Limits,
    _slot: Slot,
    mut stopped: watch::Receiver<bool>,
) {
    let io = TokioIo::new(StallGuard::new(stream, limits.stall_timeout));
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let app = app.clone();
        async move {
            let method = req.method().clone();
            let path = req.uri().path().to_string();
            let resp = app.oneshot(req).await;
            if let Ok(r) = &resp {
                log_request(peer, method.as_str(), &path, r);
            }
            resp
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .max_buf_size(64 << 10);
    let conn = builder.serve_connection(io, svc);
    tokio::pin!(conn);
    let r = tokio::select! {
        r = conn.as_mut() => r,
        _ = async { let _ = stopped.wait_for(|s| *s).await; } => {
            conn.as_mut().graceful_shutdown();
            conn.as_mut().await
        }
    };
    if let Err(e) = r {
        tracing::debug!(%peer, "export connection ended: {e}");
    }
}

/// The request log line (see the module doc).
fn log_request(peer: SocketAddr, method: &str, path: &str, resp: &Response<Body>) {
    let status = resp.status();
    let length = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let path = redact_token(path);
    if status == StatusCode::OK {
        tracing::info!(target: "audit", event = "export-request", %peer, method, path, status = status.as_u16(), length,
            "export {method} {path} from {peer}: {status} ({length} bytes)");
    } else {
        tracing::warn!(target: "audit", event = "export-request", %peer, method, path, status = status.as_u16(), length,
            "export {method} {path} from {peer}: {status}");
    }
}

/// `/<token>/rest` with the token cut to its first characters.
pub fn redact_token(path: &str) -> String {
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (tok, tail) = match rest.split_once('/') {
        Some((t, r)) => (t, Some(r)),
        None => (rest, None),
    };
    let shown: String = tok.chars().take(TOKEN_SHOWN).collect();
    let tok = if tok.chars().count() > TOKEN_SHOWN {
        format!("{shown}…")
    } else {
        shown
    };
    // The rest is the client's text: cap it so a log line stays a line.
    let tail: String = tail
        .map(|t| t.chars().take(200).collect())
        .unwrap_or_default();
    match tail.is_empty() && !rest.contains('/') {
        true => format!("/{tok}"),
        false => format!("/{tok}/{tail}").replace(['\n', '\r'], "?"),
    }
}

/// A stream whose writes fail once they make no progress for `limit`: a
/// client that stops reading its download frees its connection (and the
/// browser thread feeding it) instead of holding them for ever.
pub struct StallGuard<S> {
    inner: S,
    limit: Duration,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> StallGuard<S> {
    pub fn new(inner: S, limit: Duration) -> StallGuard<S> {
        StallGuard {
            inner,
            limit,
            deadline: None,
        }
    }

    /// After a write: progress disarms the deadline; a pending write arms
    /// it, or fails once it has passed.
    fn progress(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match r {
            Poll::Pending => self.stalled(cx),
            done => {
                self.deadline = None;
                done
            }
        }
    }

    /// Called when a write is pending: arms the deadline, or fails the
    /// write when it has passed.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let limit = self.limit;
        let d = self
            .deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match d.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for StallGuard<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for StallGuard<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.progress(cx, r)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.progress(cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_total_and_per_peer_and_free_on_drop() {
        let g = Gate::new(Limits {
            max_connections: 3,
            max_per_peer: 2,
            ..Limits::default()
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        let a1 = g.admit(a).unwrap();
        let _a2 = g.admit(a).unwrap();
        assert!(g.admit(a).is_none(), "per-peer cap");
        let _b1 = g.admit(b).unwrap();
        assert!(g.admit(c).is_none(), "total cap");
        drop(a1);
        assert!(g.admit(c).is_some(), "a freed slot is reused");
    }

    #[test]
    fn tokens_are_cut_in_the_log() {
        let t = "0123456789abcdef0123456789abcdef";
        assert_eq!(redact_token(&format!("/{t}/")), "/012345…/");
        assert_eq!(
            redact_token(&format!("/{t}/browse/a/b.log")),
            "/012345…/browse/a/b.log"
        );
        assert_eq!(redact_token(&format!("/{t}")), "/012345…");
        assert_eq!(redact_token("/abc"), "/abc");
        assert_eq!(redact_token("/"), "/");
        assert!(!redact_token(&format!("/{t}/x\ny")).contains('\n'));
    }
}
