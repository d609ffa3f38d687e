//! The audit trail of privileged actions: who tried what from which
//! terminal, and how it ended. Everything goes through `tracing` with target
//! `audit` (the binary routes it to journald), so an operator can filter it
//! with `journalctl SYSLOG_IDENTIFIER=nodeconsole` and a `target` match.
//!
//! Why helpers and not ad-hoc `info!` calls: the field names stay the same
//! everywhere, and the signatures take no secret at all, so no password can
//! reach the log through here.
//!
//! The backends in `ops` already audit themselves (`auth::Pam`,
//! `power::request`, `systemd::unit_action`); callers audit only the
//! actions they implement elsewhere.

use std::fmt::Display;

/// Logs one authentication attempt: `result` is `Ok` on success or the
/// error's operator text on failure.
pub fn auth<E: Display>(result: Result<(), &E>, user: &str, tty: Option<&str>, service: &str) {
    let tty = tty.unwrap_or("-");
    match result {
        Ok(()) => tracing::info!(
            target: "audit",
            event = "auth",
            user,
            tty,
            service,
            outcome = "success",
            "authentication of {user} on {tty} succeeded"
        ),
        Err(e) => tracing::warn!(
            target: "audit",
            event = "auth",
            user,
            tty,
            service,
            outcome = "failure",
            reason = %e,
            "authentication of {user} on {tty} failed: {e}"
        ),
    }
}

/// Logs that a privileged operation was started (before its result is
/// known, so that a crash mid-way still leaves a trace).
pub fn op_started(name: &str, detail: &str) {
    tracing::info!(target: "audit", event = "op", op = name, detail, outcome = "started",
        "{name} started ({detail})");
}

/// Logs the result of a privileged operation. `outcome` is `Ok(summary)` or
/// the error.
pub fn op<E: Display>(name: &str, outcome: Result<&str, &E>) {
    match outcome {
        Ok(summary) => tracing::info!(
            target: "audit",
            event = "op",
            op = name,
            outcome = "success",
            summary,
            "{name} succeeded: {summary}"
        ),
        Err(e) => tracing::warn!(
            target: "audit",
            event = "op",
            op = name,
            outcome = "failure",
            reason = %e,
            "{name} failed: {e}"
        ),
    }
}

/// Shorthand for `op(name, Ok(summary))`.
pub fn op_ok(name: &str, summary: &str) {
    op::<&str>(name, Ok(summary));
}

/// Shorthand for `op(name, Err(error))`.
pub fn op_err<E: Display>(name: &str, error: &E) {
    op(name, Err(error));
}
