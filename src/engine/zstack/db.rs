//! The cloud database (MariaDB): counts when the management server is
//! down, the schema version, password changes and the list of databases to
//! back up.
//!
//! Every connection has connect/read/write timeouts, so a dead database
//! shows as an error in its panel rather than a stuck collector.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

use super::dburl::DbEndpoint;
use crate::engine::{HostSummary, VmReport};
use crate::secret::Secret;

/// Who to connect as, where.
#[derive(Debug, Clone)]
pub struct DbTarget {
    pub endpoints: Vec<DbEndpoint>,
    pub user: String,
    pub password: Secret,
    pub timeout: Duration,
}

/// Connects to the first endpoint that answers. The error lists each
/// endpoint's failure, so "access denied" is told apart from "refused".
pub fn connect(t: &DbTarget, database: Option<&str>) -> Result<Conn, String> {
    let mut errors = Vec::new();
    for ep in &t.endpoints {
        let opts = OptsBuilder::new()
            .ip_or_hostname(Some(ep.host.clone()))
            .tcp_port(ep.port)
            .user(Some(t.user.clone()))
            .pass(Some(t.password.expose()))
            .db_name(database)
            .prefer_socket(false)
            .tcp_connect_timeout(Some(t.timeout))
            .read_timeout(Some(t.timeout))
            .write_timeout(Some(t.timeout));
        match Conn::new(opts) {
            Ok(c) => return Ok(c),
            Err(e) => errors.push(format!("{}:{}: {}", ep.host, ep.port, e)),
        }
    }
    Err(format!(
        "cannot connect to the database as {}: {}",
        t.user,
        errors.join("; ")
    ))
}

/// Whether a connection error is a refused login (wrong password), as
/// opposed to a database that cannot be reached.
pub fn is_access_denied(msg: &str) -> bool {
    msg.contains("1045") || msg.contains("Access denied")
}

fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// HOST INFO from `HostVO`.
pub fn host_counts(c: &mut Conn, database: &str) -> Result<HostSummary, String> {
    let q = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(state = 'Enabled'), 0) AS UNSIGNED), \
         CAST(COALESCE(SUM(status = 'Connected'), 0) AS UNSIGNED) FROM {}.HostVO",
        quote_ident(database)
    );
    let row: Option<(u64, u64, u64)> = c
        .query_first(q)
        .map_err(|e| format!("counting hosts in {database}.HostVO: {e}"))?;
    let (total, enabled, connected) = row.unwrap_or_default();
    Ok(HostSummary {
        total,
        enabled,
        connected,
    })
}

/// VM INFO from `VmInstanceVO`: user VMs that are not `Destroyed`, as the
/// web UI counts them (a VM deleted under the default `Delay` policy stays
/// in the table as `Destroyed` until it is expunged).
///
/// One pass with conditional sums: on 1,000,000 VMs this is markedly
/// faster than `GROUP BY state` (no grouping step over the index scan).
pub fn vm_counts(c: &mut Conn, database: &str) -> Result<VmReport, String> {
    let q = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(state = 'Running'), 0) AS UNSIGNED), \
         CAST(COALESCE(SUM(state = 'Stopped'), 0) AS UNSIGNED), \
         CAST(COALESCE(SUM(state = 'Paused'), 0) AS UNSIGNED) \
         FROM {}.VmInstanceVO WHERE type = 'UserVm' AND state <> 'Destroyed'",
        quote_ident(database)
    );
    let row: Option<(u64, u64, u64, u64)> = c
        .query_first(q)
        .map_err(|e| format!("counting VMs in {database}.VmInstanceVO: {e}"))?;
    let (total, running, stopped, paused) = row.unwrap_or_default();
    Ok(VmReport {
        total,
        running,
        stopped,
        other: total.saturating_sub(running + stopped),
        paused,
        list: Vec::new(),
    })
}

/// All `schema_version.version` values.
pub fn schema_versions(c: &mut Conn, database: &str) -> Result<Vec<String>, String> {
    let q = format!(
        "SELECT version FROM {}.schema_version WHERE version IS NOT NULL",
        quote_ident(database)
    );
    c.query(q)
        .map_err(|e| format!("reading {database}.schema_version: {e}"))
}

/// Which of `wanted` exist on the server.
pub fn existing_databases(c: &mut Conn, wanted: &[String]) -> Result<Vec<String>, String> {
    let all: Vec<String> = c
        .query("SHOW DATABASES")
        .map_err(|e| format!("listing databases: {e}"))?;
    Ok(wanted.iter().filter(|w| all.contains(w)).cloned().collect())
}

/// Approximate size in bytes of `dbs` (for the backup's progress bar).
pub fn approximate_size(c: &mut Conn, dbs: &[String]) -> u64 {
    let mut total = 0u64;
    for d in dbs {
        let r: Option<Option<u64>> = c
            .exec_first(
                "SELECT CAST(SUM(data_length) AS UNSIGNED) FROM information_schema.tables WHERE table_schema = ?",
                (d,),
            )
            .ok()
            .flatten();
        total += r.flatten().unwrap_or(0);
    }
    total
}

/// Sets the password of every host entry of `user` (`'user'@'%'`,
/// `'user'@'localhost'`, ...) and flushes privileges; returns the hosts.
///
/// `SET PASSWORD` cannot take placeholders, so the server hashes the new
/// password through a prepared `SELECT PASSWORD(?)` and the statement
/// carries only the hash: the password is never spliced into SQL text.
pub fn set_password_all_hosts(
    c: &mut Conn,
    user: &str,
    new: &Secret,
) -> Result<Vec<String>, String> {
    let hosts: Vec<String> = c
        .exec("SELECT Host FROM mysql.user WHERE User = ?", (user,))
        .map_err(|e| format!("listing the host entries of MySQL user {user}: {e}"))?;
    if hosts.is_empty() {
        return Err(format!("MySQL has no user named {user}"));
    }
    let bad = |s: &str| s.contains('\'') || s.contains('\\');
    if bad(user) || hosts.iter().any(|h| bad(h)) {
        return Err(format!(
            "MySQL user {user} has a name or host with quotes; change it by hand"
        ));
    }
    let hash: Option<String> = c
        .exec_first("SELECT PASSWORD(?)", (new.expose(),))
        .map_err(|e| format!("hashing the new password: {e}"))?;
    let hash = zeroize::Zeroizing::new(hash.ok_or("the server returned no password hash")?);
    if !hash.starts_with('*') || !hash[1..].chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("the server returned an unexpected password hash".into());
    }
    for h in &hosts {
        c.query_drop(format!("SET PASSWORD FOR '{user}'@'{h}' = '{}'", &*hash))
            .map_err(|e| format!("setting the password of '{user}'@'{h}': {e}"))?;
    }
    c.query_drop("FLUSH PRIVILEGES")
        .map_err(|e| format!("FLUSH PRIVILEGES: {e}"))?;
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_are_quoted() {
        assert_eq!(quote_ident("zstack"), "`zstack`");
        assert_eq!(quote_ident("a`b"), "`a``b`");
    }

    #[test]
    fn access_denied_is_recognised() {
        assert!(is_access_denied(
            "MySqlError { ERROR 1045 (28000): Access denied for user 'root'@'localhost' }"
        ));
        assert!(!is_access_denied("Connection refused"));
    }
}
