//! Jobs and exports: node log collection, engine-delegated cluster logs and
//! database backups, and the embedded HTTP server that hands the results to
//! the operator's browser.
//!
//! The pieces, and why they are separate:
//! - [`config`]: the `[export]` section of the config file.
//! - [`collect`]: this node's logs into one tar.gz, streamed with bounded
//!   memory, with a `SUMMARY.txt` of what was and was not collected.
//! - [`command`]: runs one diagnostic command with a timeout into a file.
//! - [`registry`]: the published exports, persisted in a small JSON state
//!   file so a restarted console still lists and serves them.
//! - [`server`]: the read-only HTTP server (axum), started on demand.
//! - [`listen`]: its accept loop, connection caps and timeouts.
//! - [`browse`]: reading a tarball's entries for the online log browser.
//! - [`jobs`]: running an export off the UI thread with progress and cancel.

pub mod browse;
pub mod collect;
pub mod command;
pub mod config;
pub mod jobs;
pub mod listen;
pub mod registry;
pub mod server;

use std::path::PathBuf;

pub use collect::{collect_node_logs, CollectSpec};
pub use config::{CommandSpec, ExportConfig};
pub use jobs::{ExportJob, ExportService, JobEvent};
pub use listen::Limits;
pub use registry::{Export, ExportRegistry, Lookup};
pub use server::{server_urls, urls, ExportServer};

/// Creates `dir` (and missing parents) readable by its owner only, and
/// makes an existing `dir` so: exports hold the journal, database dumps
/// and the tokens, which no other local account may read.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = std::fs::metadata(dir)?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o1000 != 0 {
        // A shared directory such as /tmp: never narrow it, refuse it.
        return Err(std::io::Error::other(
            "a shared (sticky) directory such as /tmp; give exports a directory of their own",
        ));
    }
    if mode != 0o700 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Creates (or truncates) `path` for writing, readable by its owner only
/// whatever the umask, and narrows an existing file to that mode.
pub fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(f)
}

/// What went wrong in an export, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file or directory operation failed; `what` says which and where.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The operator cancelled the job; partial output was removed.
    #[error("cancelled by the operator; nothing was kept")]
    Cancelled,
    /// A configuration value is wrong; the message names the key.
    #[error("invalid export configuration: {0}")]
    Config(String),
    /// The HTTP server could not listen on the address.
    #[error("cannot start the export HTTP server on {addr}: {source} (check [export] bind/port)")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    /// The state file is unreadable or malformed.
    #[error("export state file {path}: {message} (move it away to start with no exports)")]
    State { path: PathBuf, message: String },
    /// The engine's own export step failed.
    #[error("{0}")]
    Engine(String),
}

impl ExportError {
    /// Wraps an I/O error with a description of what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> ExportError {
        ExportError::Io {
            what: what.into(),
            source,
        }
    }
}

/// Formats a byte count for people: `512 B`, `3.4 MiB`, `2.0 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(2 << 30), "2.0 GiB");
    }
}
