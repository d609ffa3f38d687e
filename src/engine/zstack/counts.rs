//! HOST INFO and VM INFO counts: the REST API first, the database when the
//! management server does not answer, and a record of which one answered
//! (the panels say so, with the age of the numbers).

use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use super::{db, rest::RestClient, ZstackEngine, REST_BACKOFF};
use crate::engine::{EngineError, HostSummary, VmReport};
use crate::sync::lock;

/// Where HOST INFO / VM INFO counts came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountVia {
    /// The management server's REST API.
    Rest,
    /// The database, because the REST API did not answer.
    Database,
}

/// The source of the last counts, and when they were taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountSource {
    pub via: CountVia,
    pub at: SystemTime,
    /// Why REST was not used (when `via` is `Database`).
    pub rest_error: Option<String>,
}

impl CountSource {
    /// `REST API, 3 s ago` / `database (REST down), 12 s ago`.
    pub fn describe(&self, now: SystemTime) -> String {
        let age = now.duration_since(self.at).unwrap_or_default().as_secs();
        match self.via {
            CountVia::Rest => format!("REST API, {age} s ago"),
            CountVia::Database => format!("database (REST down), {age} s ago"),
        }
    }
}

impl ZstackEngine {
    /// The source of the last HOST INFO counts.
    pub fn hosts_source(&self) -> Option<CountSource> {
        lock(&self.hosts_source).clone()
    }

    /// The source of the last VM INFO counts (HOST INFO and VM INFO may
    /// come from different sources when REST fails in between).
    pub fn count_source(&self) -> Option<CountSource> {
        lock(&self.vms_source).clone()
    }

    /// HOST INFO.
    pub(super) fn host_counts(&self) -> Result<HostSummary, EngineError> {
        let database = self.cfg.database.clone();
        self.counts(&self.hosts_source, hosts_rest, |c| {
            db::host_counts(c, &database)
        })
    }

    /// VM INFO: cloud-wide counts; a management node lists no VMs of its own.
    pub(super) fn vm_counts(&self) -> Result<VmReport, EngineError> {
        let database = self.cfg.database.clone();
        self.counts(&self.vms_source, vms_rest, |c| db::vm_counts(c, &database))
    }

    /// REST first, then the database; records which one answered.
    fn counts<T>(
        &self,
        source: &Mutex<Option<CountSource>>,
        via_rest: impl FnOnce(&RestClient) -> Result<T, String>,
        via_db: impl FnOnce(&mut mysql::Conn) -> Result<T, String>,
    ) -> Result<T, EngineError> {
        let props = self.props();
        let rest = self.rest(props.as_ref().ok());
        let recent_failure = lock(&self.rest_down)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < REST_BACKOFF)
            .map(|(at, e)| {
                format!(
                    "{e} ({} s ago; retried every {} s)",
                    at.elapsed().as_secs(),
                    REST_BACKOFF.as_secs()
                )
            });
        let rest_err = match recent_failure {
            // The server just failed: go straight to the database rather
            // than pay another timeout on every refresh.
            Some(e) => e,
            None => match via_rest(&rest) {
                Ok(v) => {
                    *lock(&self.rest_down) = None;
                    *lock(source) = Some(CountSource {
                        via: CountVia::Rest,
                        at: SystemTime::now(),
                        rest_error: None,
                    });
                    return Ok(v);
                }
                Err(e) => {
                    *lock(&self.rest_down) = Some((Instant::now(), e.clone()));
                    e
                }
            },
        };
        tracing::debug!(error = %rest_err, "REST counts failed; using the database");
        let db_result = props
            .map_err(|e| e.to_string())
            .and_then(|p| self.db_conn(&p))
            .and_then(|mut c| via_db(&mut c));
        match db_result {
            Ok(v) => {
                *lock(source) = Some(CountSource {
                    via: CountVia::Database,
                    at: SystemTime::now(),
                    rest_error: Some(rest_err),
                });
                Ok(v)
            }
            Err(db_err) => Err(EngineError::Unreachable(
                "ZStack".into(),
                format!("REST: {rest_err}; database: {db_err}"),
            )),
        }
    }
}

fn hosts_rest(rest: &RestClient) -> Result<HostSummary, String> {
    let total = rest.count("/hosts", &[]).map_err(|e| e.to_string())?;
    let enabled = rest
        .count("/hosts", &["state=Enabled"])
        .map_err(|e| e.to_string())?;
    let connected = rest
        .count("/hosts", &["status=Connected"])
        .map_err(|e| e.to_string())?;
    Ok(HostSummary {
        total,
        enabled,
        connected,
    })
}

/// VM INFO over REST: user VMs that are not `Destroyed`. Under ZStack's
/// default deletion policy `Delay` a deleted VM stays in VmInstanceVO as
/// `Destroyed` until expunged (zstack conf/globalConfig/vm.xml:20-23,
/// header/.../vm/VmInstanceState.java:20), and the web UI does not show it.
fn vms_rest(rest: &RestClient) -> Result<VmReport, String> {
    let q = |extra: Option<&str>| {
        let mut c = vec!["type=UserVm", "state!=Destroyed"];
        c.extend(extra);
        rest.count("/vm-instances", &c).map_err(|e| e.to_string())
    };
    let total = q(None)?;
    let running = q(Some("state=Running"))?;
    let stopped = q(Some("state=Stopped"))?;
    let other = total.saturating_sub(running + stopped);
    // One more query only when there is something to name.
    let paused = if other > 0 {
        q(Some("state=Paused"))?
    } else {
        0
    };
    Ok(VmReport {
        total,
        running,
        stopped,
        other,
        paused,
        list: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn count_source_describes_age() {
        let at = SystemTime::UNIX_EPOCH;
        let s = CountSource {
            via: CountVia::Database,
            at,
            rest_error: None,
        };
        assert_eq!(
            s.describe(at + Duration::from_secs(7)),
            "database (REST down), 7 s ago"
        );
    }
}
