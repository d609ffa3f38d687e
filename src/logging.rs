//! Logging: journald on a systemd node, a file when configured, stderr when
//! stderr is not the console's own terminal (it would scribble over the UI),
//! otherwise nowhere. Audit records use the target `audit`.

use std::io::IsTerminal;
use std::path::Path;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer, Registry};

use crate::config::Config;

/// Installs the global subscriber. Returns where logs go, for the
/// start-up log line.
pub fn init(cfg: &Config) -> anyhow::Result<&'static str> {
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
        let layer = fmt::layer()
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .with_filter(filter());
        Registry::default().with(layer).try_init()?;
        return Ok("file");
    }
    if Path::new("/run/systemd/journal/socket").exists() {
        if let Ok(j) = tracing_journald::layer() {
            Registry::default()
                .with(
                    j.with_syslog_identifier("nodeconsole".into())
                        .with_filter(filter()),
                )
                .try_init()?;
            return Ok("journald");
        }
    }
    if !std::io::stderr().is_terminal() {
        let layer = fmt::layer()
            .with_ansi(false)
            .with_writer(std::io::stderr)
            .with_filter(filter());
        Registry::default().with(layer).try_init()?;
        return Ok("stderr");
    }
    Ok("nowhere")
}
