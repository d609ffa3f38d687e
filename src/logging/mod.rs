//! Logging: journald on a systemd node, a file when configured, stderr when
//! stderr is not the console's own terminal (it would scribble over the UI),
//! otherwise nowhere. Audit records use the target `audit`. Every sink is
//! written by [`offload`]'s worker thread, never by the thread that logs.

pub mod offload;

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer, Registry};

use crate::config::Config;
use offload::{Offload, Sink};

/// Installs the global subscriber. Returns where logs go, for the
/// start-up log line, and the guard that flushes the queue at exit.
pub fn init(cfg: &Config) -> anyhow::Result<(&'static str, Option<offload::Guard>)> {
    let filter = || {
        EnvFilter::try_from_env("NODECONSOLE_LOG")
            .or_else(|_| {
                // netlink-packet-route warns on every dump about kernel
                // attributes newer than itself; that is noise here.
                EnvFilter::try_new(
                    cfg.log
                        .level
                        .as_deref()
                        .unwrap_or("info,netlink_packet_route=error"),
                )
            })
            .unwrap_or_else(|_| EnvFilter::new("info"))
    };
    if let Some(path) = &cfg.log.file {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot open log file {}: {e}", path.display()))?;
        let (w, guard) = Offload::start(Sink::File(file))?;
        let layer = fmt::layer()
            .with_ansi(false)
            .with_writer(w)
            .with_filter(filter());
        Registry::default().with(layer).try_init()?;
        return Ok(("file", Some(guard)));
    }
    if let Some(socket) = offload::journal_socket() {
        let (w, guard) = Offload::start(Sink::Journal {
            socket: socket.to_owned(),
            identifier: "nodeconsole".into(),
        })?;
        // The journal stamps the time and keeps the level as PRIORITY and
        // the target as TARGET; MESSAGE is the message and its fields.
        let layer = fmt::layer()
            .with_ansi(false)
            .without_time()
            .with_level(false)
            .with_target(false)
            .with_writer(w)
            .with_filter(filter());
        Registry::default().with(layer).try_init()?;
        return Ok(("journald", Some(guard)));
    }
    if !std::io::stderr().is_terminal() {
        let (w, guard) = Offload::start(Sink::Stderr)?;
        let layer = fmt::layer()
            .with_ansi(false)
            .with_writer(w)
            .with_filter(filter());
        Registry::default().with(layer).try_init()?;
        return Ok(("stderr", Some(guard)));
    }
    Ok(("nowhere", None))
}
