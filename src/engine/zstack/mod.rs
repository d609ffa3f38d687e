//! The ZStack engine (`--engine zstack`): a ZStack management node.
//!
//! Sources, in the order the console trusts them:
//! - the REST API of the management server (counts, version, licence),
//!   with a short timeout and one reused session;
//! - the database (MariaDB) when the management server is down, so HOST
//!   INFO and VM INFO still show counts — the panel says which source
//!   answered and when ([`ZstackEngine::count_source`]);
//! - files: zstack.properties, the UI port file, the VERSION file.
//!
//! Operations go through the vendor's tools (`zstack-ctl`, the installer,
//! `rabbitmqctl`, `mysqldump`) with their output streamed into the progress
//! window. Construction never blocks: nothing is read until first asked.
//!
//! Layout: this file holds the engine's state and the plumbing every
//! operation shares (properties, REST client, database target, zstack-ctl);
//! [`status`], [`counts`] and [`capabilities`] answer the panels and the
//! menu; each operation is a file of its own ([`service`], [`reset`],
//! [`console_proxy`], [`db_password`], [`bus_password`],
//! [`management_ip`], [`backup`], [`cluster_logs`]); the rest are the
//! formats and clients they use.

pub mod backup;
pub mod bus_password;
pub mod capabilities;
pub mod cluster_logs;
pub mod command;
pub mod console_proxy;
pub mod counts;
pub mod crypto;
pub mod db;
pub mod db_password;
pub mod dburl;
pub mod endpoints;
pub mod management_ip;
pub mod properties;
pub mod reset;
pub mod rest;
pub mod service;
pub mod sim;
pub mod status;
pub mod validate;
pub mod version;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::ZstackConfig;
use crate::engine::{
    Capabilities, ConsoleProxy, DbAccount, Engine, EngineError, HostSummary, NodeStatus,
    ServiceAction, VmReport, VmScope,
};
use crate::job::Progress;
use crate::secret::Secret;
use crate::sync::lock;

use command::{run_ok, Run};
use properties::Properties;
use rest::RestClient;

pub use counts::{CountSource, CountVia};
pub use status::find_process;
pub use validate::{check_password_rule, validate_console_proxy};

/// Default console proxy port of ZStack.
pub const DEFAULT_CONSOLE_PROXY_PORT: u16 = 4900;
/// Default web UI port of ZStack.
pub const DEFAULT_UI_PORT: u16 = 5000;

/// The ZStack engine.
pub struct ZstackEngine {
    cfg: ZstackConfig,
    rest: Mutex<Option<Arc<RestClient>>>,
    /// Last known version, and whether it came from the REST API (the
    /// most precise source, so it is not asked again every refresh).
    version: Mutex<Option<(String, bool)>>,
    hosts_source: Mutex<Option<CountSource>>,
    vms_source: Mutex<Option<CountSource>>,
    /// When and why the REST counts last failed (see [`REST_BACKOFF`]).
    rest_down: Mutex<Option<(Instant, String)>>,
    /// The licence type and when it was read (see [`LICENSE_TTL`]).
    license: Mutex<Option<(Instant, String)>>,
}

/// How long a licence type read from the REST API is shown before it is
/// asked again: licences change a few times a year, NODE INFO refreshes
/// every second, and each ask is a round trip to the management server.
pub const LICENSE_TTL: Duration = Duration::from_secs(300);

/// After REST counts fail, the next counts within this period come from
/// the database directly: a hung management server then costs one timeout
/// per period, not one per panel per refresh.
pub const REST_BACKOFF: Duration = Duration::from_secs(15);

impl ZstackEngine {
    /// Never blocks and never fails: files and servers are read lazily.
    pub fn new(cfg: &ZstackConfig) -> ZstackEngine {
        ZstackEngine {
            cfg: cfg.clone(),
            rest: Mutex::new(None),
            version: Mutex::new(None),
            hosts_source: Mutex::new(None),
            vms_source: Mutex::new(None),
            rest_down: Mutex::new(None),
            license: Mutex::new(None),
        }
    }

    /// The zstack.properties in use.
    pub fn properties_path(&self) -> PathBuf {
        self.cfg
            .properties
            .clone()
            .unwrap_or_else(|| self.cfg.home.join("WEB-INF/classes/zstack.properties"))
    }

    fn version_file(&self) -> PathBuf {
        self.cfg
            .version_file
            .clone()
            .unwrap_or_else(|| self.cfg.home.join("VERSION"))
    }

    fn status_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.cfg.status_timeout_s.clamp(0.1, 60.0))
    }

    fn job_timeout(&self) -> Duration {
        Duration::from_secs(self.cfg.job_timeout_s.max(1))
    }

    fn props(&self) -> Result<Properties, EngineError> {
        Properties::load(&self.properties_path()).map_err(EngineError::Failed)
    }

    /// Sets properties by an atomic edit of the file (never through a
    /// command line, so secrets stay off argv).
    fn edit_properties(&self, set: &[(&str, &str)]) -> Result<(), EngineError> {
        let path = self.properties_path();
        let mut p = self.props()?;
        for (k, v) in set {
            p.set(k, v);
        }
        p.save(&path).map_err(EngineError::Failed)
    }

    /// The REST client for the configured (or properties-derived) base
    /// URL, reused while the base stays the same so its session is kept.
    fn rest(&self, props: Option<&Properties>) -> Arc<RestClient> {
        let base = match &self.cfg.rest_url {
            Some(u) => u.clone(),
            None => {
                let port = props
                    .and_then(|p| p.get_nonempty("RESTFacade.port"))
                    .unwrap_or("8080");
                format!("http://127.0.0.1:{port}/zstack/v1")
            }
        };
        let mut g = lock(&self.rest);
        if let Some(c) = g.as_ref().filter(|c| c.base() == base) {
            return c.clone();
        }
        let password = self.rest_password();
        let c = Arc::new(RestClient::new(
            &base,
            &self.cfg.rest_account,
            password.as_ref().map_err(Clone::clone),
            self.status_timeout(),
        ));
        *g = Some(c.clone());
        c
    }

    /// The REST account's password: the first line of the configured file,
    /// or ZStack's factory default when no file is configured.
    fn rest_password(&self) -> Result<Secret, String> {
        let Some(path) = &self.cfg.rest_password_file else {
            return Ok(Secret::from("password"));
        };
        let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read the ZStack API password file {}: {e}",
                path.display()
            )
        })?);
        Ok(Secret::from(text.lines().next().unwrap_or("")))
    }

    /// Database connection parameters from zstack.properties.
    fn db_target(
        &self,
        props: &Properties,
        user: Option<(&str, &Secret)>,
    ) -> Result<db::DbTarget, EngineError> {
        let url = props.get_nonempty("DB.url").ok_or_else(|| {
            EngineError::Failed(format!(
                "DB.url is missing from {}",
                self.properties_path().display()
            ))
        })?;
        let parsed = dburl::parse_db_url(url).map_err(|e| {
            EngineError::Failed(format!("{}: {e}", self.properties_path().display()))
        })?;
        let (user, password) = match user {
            Some((u, p)) => (u.to_owned(), p.clone()),
            None => (
                props.get_nonempty("DB.user").unwrap_or("zstack").to_owned(),
                crypto::read_password(props.get("DB.password").unwrap_or("")).0,
            ),
        };
        Ok(db::DbTarget {
            endpoints: parsed.endpoints,
            user,
            password,
            timeout: self.status_timeout(),
        })
    }

    fn db_conn(&self, props: &Properties) -> Result<mysql::Conn, String> {
        let t = self.db_target(props, None).map_err(|e| e.to_string())?;
        db::connect(&t, None)
    }

    fn ctl_exists(&self) -> bool {
        is_executable(&self.cfg.ctl)
    }

    fn need_ctl(&self) -> Result<(), EngineError> {
        if self.ctl_exists() {
            Ok(())
        } else {
            Err(EngineError::Failed(format!(
                "zstack-ctl not found at {}: install ZStack or set zstack.ctl in /etc/nodeconsole/config.toml",
                self.cfg.ctl.display()
            )))
        }
    }

    fn ctl(&self, args: &[&str], progress: &mut dyn Progress) -> Result<(), EngineError> {
        self.need_ctl()?;
        run_ok(Run::new(&self.cfg.ctl, args, self.job_timeout()), progress).map(|_| ())
    }

    /// Runs zstack-ctl and returns how it ended, whatever the exit status
    /// (for commands whose exit status does not tell, like `change_ip`).
    fn ctl_run(
        &self,
        args: &[&str],
        progress: &mut dyn Progress,
    ) -> Result<command::Outcome, EngineError> {
        self.need_ctl()?;
        command::run(Run::new(&self.cfg.ctl, args, self.job_timeout()), progress)
    }

    fn restart_node(&self, progress: &mut dyn Progress) -> Result<(), EngineError> {
        progress.phase("Restarting the management node (this can take minutes)");
        self.ctl(&["restart_node"], progress)
    }
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The trait's methods, each handed to the file that implements it.
impl Engine for ZstackEngine {
    fn name(&self) -> &'static str {
        "zstack"
    }

    fn display_name(&self) -> &'static str {
        "ZStack"
    }

    fn install_dir(&self) -> Option<PathBuf> {
        Some(self.cfg.install_dir.clone())
    }

    fn capabilities(&self) -> Capabilities {
        self.capability_list()
    }

    fn status(&self) -> Result<NodeStatus, EngineError> {
        self.node_status()
    }

    fn hosts(&self) -> Result<HostSummary, EngineError> {
        self.host_counts()
    }

    fn vms(&self, _scope: VmScope) -> Result<VmReport, EngineError> {
        self.vm_counts()
    }

    fn service_endpoints(
        &self,
        management_ip: Option<Ipv4Addr>,
    ) -> Vec<crate::engine::ServiceEndpoint> {
        self.endpoints(management_ip)
    }

    fn counts_source(&self) -> Option<String> {
        self.count_source()
            .map(|s| s.describe(std::time::SystemTime::now()))
    }

    fn service(
        &self,
        action: ServiceAction,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        self.op_service(action, progress)
    }

    fn reset(
        &self,
        drop_database: bool,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        self.op_reset(drop_database, progress)
    }

    fn console_proxy(&self) -> Result<ConsoleProxy, EngineError> {
        self.op_console_proxy()
    }

    fn set_console_proxy(
        &self,
        proxy: &ConsoleProxy,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        self.op_set_console_proxy(proxy, progress)
    }

    fn change_db_password(
        &self,
        account: DbAccount,
        current_root: &Secret,
        new: &Secret,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        self.op_change_db_password(account, current_root, new, progress)
    }

    fn change_bus_password(
        &self,
        new: &Secret,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        self.op_change_bus_password(new, progress)
    }

    fn change_management_ip(
        &self,
        ip: Ipv4Addr,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        self.op_change_management_ip(ip, progress)
    }

    fn backup_database(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        self.op_backup_database(dest_dir, progress)
    }

    fn collect_cluster_logs(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        self.op_collect_cluster_logs(dest_dir, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Availability, Capability};

    #[test]
    fn new_is_lazy_and_defaults_hold() {
        let cfg = ZstackConfig {
            home: "/nonexistent/zstack/".into(),
            ..ZstackConfig::default()
        };
        let e = ZstackEngine::new(&cfg);
        assert_eq!(e.name(), "zstack");
        assert_eq!(e.display_name(), "ZStack");
        assert_eq!(e.install_dir(), Some(PathBuf::from("/usr/local/zstack")));
        assert_eq!(
            e.properties_path(),
            PathBuf::from("/nonexistent/zstack/WEB-INF/classes/zstack.properties")
        );
    }

    #[test]
    fn missing_properties_are_named() {
        let cfg = ZstackConfig {
            properties: Some("/nonexistent/zstack.properties".into()),
            ..ZstackConfig::default()
        };
        let e = ZstackEngine::new(&cfg);
        let err = e.console_proxy().unwrap_err().to_string();
        assert!(err.contains("/nonexistent/zstack.properties"), "{err}");
        match e.capabilities().get(Capability::DatabaseBackup) {
            Availability::Unavailable(why) => assert!(why.contains("/nonexistent"), "{why}"),
            a => panic!("{a:?}"),
        }
    }
}
