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

pub mod backup;
pub mod command;
pub mod crypto;
pub mod db;
pub mod dburl;
pub mod properties;
pub mod rest;
pub mod validate;
pub mod version;

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::config::ZstackConfig;
use crate::engine::{
    Availability, Capabilities, Capability, ConsoleProxy, DbAccount, Engine, EngineError,
    HostSummary, NodeStatus, ServiceAction, VmReport, VmScope,
};
use crate::job::Progress;
use crate::secret::Secret;
use crate::sync::lock;

use command::{run_ok, Run};
use properties::Properties;
use rest::RestClient;

pub use validate::{check_password_rule, validate_console_proxy};

/// Default console proxy port of ZStack.
pub const DEFAULT_CONSOLE_PROXY_PORT: u16 = 4900;
/// Default web UI port of ZStack.
pub const DEFAULT_UI_PORT: u16 = 5000;

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

    /// The licence type: the cached one while fresh, else asked of `rest`
    /// (when the API is up); a failed ask keeps the last known type.
    fn license(&self, rest: &RestClient, rest_up: bool) -> String {
        let cached = lock(&self.license).clone();
        if let Some((at, kind)) = &cached {
            if at.elapsed() < LICENSE_TTL {
                return kind.clone();
            }
        }
        let fetched = if rest_up { rest.license().ok() } else { None };
        match (fetched, cached) {
            (Some(kind), _) => {
                *lock(&self.license) = Some((Instant::now(), kind.clone()));
                kind
            }
            (None, Some((_, kind))) => kind,
            (None, None) => "unknown".into(),
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

    /// The source of the last HOST INFO counts.
    pub fn hosts_source(&self) -> Option<CountSource> {
        lock(&self.hosts_source).clone()
    }

    /// The source of the last VM INFO counts (HOST INFO and VM INFO may
    /// come from different sources when REST fails in between).
    pub fn count_source(&self) -> Option<CountSource> {
        lock(&self.vms_source).clone()
    }

    fn props(&self) -> Result<Properties, EngineError> {
        Properties::load(&self.properties_path()).map_err(EngineError::Failed)
    }

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

    /// The version from the cache or the VERSION file only: never blocks
    /// on a server (for `capabilities()`, which the menu calls).
    fn version_quick(&self) -> Option<String> {
        if let Some((v, _)) = lock(&self.version).clone() {
            return Some(v);
        }
        read_version_file(&self.version_file())
    }

    /// The version without asking REST: cached, then `schema_version`, then
    /// the VERSION file.
    fn version_offline(&self, props: Option<&Properties>) -> Option<String> {
        if let Some((v, _)) = lock(&self.version).clone() {
            return Some(v);
        }
        if let Some(p) = props {
            if let Ok(mut c) = self.db_conn(p) {
                if let Ok(vs) = db::schema_versions(&mut c, &self.cfg.database) {
                    if let Some(v) = version::highest(vs.iter().map(String::as_str)) {
                        return Some(v.to_owned());
                    }
                }
            }
        }
        read_version_file(&self.version_file())
    }

    /// The version, asking REST first when the server is up.
    fn version_any(&self, props: Option<&Properties>, rest_up: bool) -> Option<String> {
        let cached = lock(&self.version).clone();
        if let Some((v, true)) = cached {
            return Some(v);
        }
        if rest_up {
            if let Ok(v) = self.rest(props).version() {
                *lock(&self.version) = Some((v.clone(), true));
                return Some(v);
            }
        }
        let v = self.version_offline(props);
        if let Some(v) = &v {
            *lock(&self.version) = Some((v.clone(), false));
        }
        v
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

    fn restart_node(&self, progress: &mut dyn Progress) -> Result<(), EngineError> {
        progress.phase("Restarting the management node (this can take minutes)");
        self.ctl(&["restart_node"], progress)
    }

    /// Whether the control plane still uses RabbitMQ (before 3.0.1).
    /// `quick` consults only the cache and the VERSION file.
    fn uses_rabbitmq(&self, quick: bool) -> Result<bool, String> {
        let v = if quick {
            self.version_quick()
        } else {
            self.version_offline(self.props().ok().as_ref())
        };
        let v = v
            .ok_or("the ZStack version is unknown (management server, database and VERSION file unavailable)")?;
        version::uses_rabbitmq(&v).ok_or_else(|| format!("cannot read the ZStack version {v:?}"))
    }

    fn hosts_rest(&self, rest: &RestClient) -> Result<HostSummary, String> {
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

    fn vms_rest(&self, rest: &RestClient) -> Result<VmReport, String> {
        let q = |extra: Option<&str>| {
            let mut c = vec!["type=UserVm"];
            c.extend(extra);
            rest.count("/vm-instances", &c).map_err(|e| e.to_string())
        };
        let total = q(None)?;
        let running = q(Some("state=Running"))?;
        let stopped = q(Some("state=Stopped"))?;
        Ok(VmReport {
            total,
            running,
            stopped,
            other: total.saturating_sub(running + stopped),
            list: Vec::new(),
        })
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

    /// Keys to write for a console proxy change.
    fn proxy_settings(proxy: &ConsoleProxy) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if let Some(ip) = proxy.ip {
            v.push(("consoleProxyOverriddenIp", ip.to_string()));
        }
        if let Some(p) = proxy.port {
            v.push(("consoleProxyPort", p.to_string()));
        }
        v
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

    fn ui_port(&self) -> u16 {
        std::fs::read_to_string(&self.cfg.ui_port_file)
            .ok()
            .and_then(|s| s.trim().parse::<u16>().ok())
            .filter(|&p| p != 0)
            .unwrap_or(DEFAULT_UI_PORT)
    }
}

fn read_version_file(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| version::parse_version(s).is_some())
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// PID of the first process whose command line contains `needle`.
pub fn find_process(needle: &str) -> Option<u32> {
    if needle.is_empty() {
        return None;
    }
    let me = std::process::id();
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        if let Ok(raw) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
            if cmd.contains(needle) {
                return Some(pid);
            }
        }
    }
    None
}

fn tcp_open(port: u16, timeout: Duration) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    TcpStream::connect_timeout(&addr, timeout).is_ok()
}

fn avail(ok: bool, why: impl FnOnce() -> String) -> Availability {
    if ok {
        Availability::Available
    } else {
        Availability::Unavailable(why())
    }
}

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
        let ctl = self.ctl_exists();
        let no_ctl = || format!("zstack-ctl not found at {}", self.cfg.ctl.display());
        let installer = self.cfg.installer.is_file();
        let no_installer = || format!("installer not found at {}", self.cfg.installer.display());
        let props = self.props();
        let props_ok = props.is_ok();
        let props_err = || {
            props
                .as_ref()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let bus = match self.uses_rabbitmq(true) {
            Ok(true) if !is_executable(&self.cfg.rabbitmqctl) => {
                Availability::Unavailable(format!(
                    "rabbitmqctl not found at {}",
                    self.cfg.rabbitmqctl.display()
                ))
            }
            Ok(true) => Availability::Available,
            Ok(false) => {
                Availability::Unavailable("ZStack 3.0.1 and later do not use RabbitMQ".into())
            }
            Err(e) => Availability::Unavailable(e),
        };
        let dump = is_executable(&self.cfg.mysqldump);
        Capabilities {
            entries: vec![
                (Capability::ServiceControl, avail(ctl, no_ctl)),
                (Capability::Reset, avail(installer, no_installer)),
                (
                    Capability::ResetDropDatabase,
                    avail(installer, no_installer),
                ),
                (
                    Capability::ConsoleProxy,
                    if !props_ok {
                        Availability::Unavailable(props_err())
                    } else {
                        avail(ctl, no_ctl)
                    },
                ),
                (
                    Capability::DatabasePassword,
                    if !props_ok {
                        Availability::Unavailable(props_err())
                    } else {
                        avail(ctl, no_ctl)
                    },
                ),
                (Capability::MessageBusPassword, bus),
                (Capability::ManagementIp, avail(ctl, no_ctl)),
                (
                    Capability::DatabaseBackup,
                    if !props_ok {
                        Availability::Unavailable(props_err())
                    } else {
                        avail(dump, || {
                            format!("mysqldump not found at {}", self.cfg.mysqldump.display())
                        })
                    },
                ),
                (Capability::ClusterLogs, avail(ctl, no_ctl)),
            ],
        }
    }

    fn status(&self) -> Result<NodeStatus, EngineError> {
        let props = self.props();
        let rest = self.rest(props.as_ref().ok());
        let ready = rest.ready();
        let rest_up = ready.is_ok();
        let pid = find_process(&self.cfg.process_match);
        let ui_port = self.ui_port();
        let ui_running = tcp_open(ui_port, self.status_timeout());
        let ip = props
            .as_ref()
            .ok()
            .and_then(|p| p.get_nonempty("management.server.ip"))
            .unwrap_or("127.0.0.1")
            .to_owned();
        let version = self
            .version_any(props.as_ref().ok(), rest_up)
            .unwrap_or_else(|| "unknown".into());
        let license = self.license(&rest, rest_up);
        let mut extra = vec![(
            "MN process".to_owned(),
            match pid {
                Some(p) => format!("present (PID {p})"),
                None => "absent".to_owned(),
            },
        )];
        if let Err(e) = &ready {
            extra.push(("MN API".into(), e.to_string()));
        }
        if let Err(e) = &props {
            extra.push(("Config".into(), e.to_string()));
        }
        if let Some(s) = self.count_source() {
            extra.push(("Counts".into(), s.describe(SystemTime::now())));
        }
        Ok(NodeStatus {
            service_name: "ZStack MN".into(),
            service_running: rest_up,
            ui_running: Some(ui_running),
            version,
            ui_url: Some(format!("http://{ip}:{ui_port}")),
            license: Some(license),
            extra,
        })
    }

    fn hosts(&self) -> Result<HostSummary, EngineError> {
        let database = self.cfg.database.clone();
        self.counts(
            &self.hosts_source,
            |r| self.hosts_rest(r),
            |c| db::host_counts(c, &database),
        )
    }

    /// Cloud-wide counts; a management node lists no VMs of its own.
    fn vms(&self, _scope: VmScope) -> Result<VmReport, EngineError> {
        let database = self.cfg.database.clone();
        self.counts(
            &self.vms_source,
            |r| self.vms_rest(r),
            |c| db::vm_counts(c, &database),
        )
    }

    fn counts_source(&self) -> Option<String> {
        self.count_source().map(|s| s.describe(SystemTime::now()))
    }

    fn service(
        &self,
        action: ServiceAction,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let (arg, phase, done) = match action {
            ServiceAction::Start => (
                "start",
                "Starting ZStack (this can take minutes)",
                "ZStack started",
            ),
            ServiceAction::Stop => ("stop", "Stopping ZStack", "ZStack stopped"),
            ServiceAction::Restart => (
                "restart_node",
                "Restarting the ZStack management node (this can take minutes)",
                "ZStack management node restarted",
            ),
        };
        progress.phase(phase);
        progress.fraction(None);
        self.ctl(&[arg], progress)?;
        Ok(done.into())
    }

    fn reset(
        &self,
        drop_database: bool,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let inst = &self.cfg.installer;
        if !inst.is_file() {
            return Err(EngineError::Failed(format!(
                "the ZStack installer was not found at {}: copy it there or set zstack.installer in /etc/nodeconsole/config.toml",
                inst.display()
            )));
        }
        let flag = if drop_database { "-D" } else { "-k" };
        progress.phase(if drop_database {
            "Reinstalling ZStack and dropping the database"
        } else {
            "Reinstalling ZStack (keeping the database)"
        });
        progress.fraction(None);
        // The installer is a self-extracting shell archive: run it through
        // bash when it is not marked executable.
        let mut r = if is_executable(inst) {
            Run::new(inst, &[flag], self.job_timeout())
        } else {
            let mut r = Run::new(Path::new("/bin/bash"), &[], self.job_timeout());
            r.args = vec![inst.as_os_str().to_owned(), flag.into()];
            r
        };
        r.label = format!("{} {flag}", inst.display());
        run_ok(r, progress)?;
        Ok(if drop_database {
            "ZStack reinstalled with an empty database".into()
        } else {
            "ZStack reinstalled; database kept".into()
        })
    }

    fn console_proxy(&self) -> Result<ConsoleProxy, EngineError> {
        let p = self.props()?;
        let ip = p
            .get_nonempty("consoleProxyOverriddenIp")
            .or_else(|| p.get_nonempty("management.server.ip"))
            .and_then(|s| s.parse::<Ipv4Addr>().ok());
        let port = match p.get_nonempty("consoleProxyPort") {
            Some(s) => s.parse::<u16>().ok(),
            None => Some(DEFAULT_CONSOLE_PROXY_PORT),
        };
        Ok(ConsoleProxy { ip, port })
    }

    fn set_console_proxy(
        &self,
        proxy: &ConsoleProxy,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let settings = Self::proxy_settings(proxy);
        if settings.is_empty() {
            return Err(EngineError::Failed(
                "nothing to change: give the console proxy IP, the port, or both".into(),
            ));
        }
        if let Some(port) = proxy.port {
            if port < 1024 {
                return Err(EngineError::Failed(format!(
                    "port {port} is not from 1024 to 65535"
                )));
            }
        }
        progress.phase("Writing the console proxy settings");
        if self.ctl_exists() {
            for (k, v) in &settings {
                self.ctl(&["configure", &format!("{k}={v}")], progress)?;
            }
        } else {
            let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.edit_properties(&pairs)?;
            return Err(EngineError::Failed(format!(
                "console proxy written to {}, but zstack-ctl was not found at {}: restart the management node by hand",
                self.properties_path().display(),
                self.cfg.ctl.display()
            )));
        }
        if self.uses_rabbitmq(false).unwrap_or(false) {
            // Before 3.0.1 the console proxy agent talks over RabbitMQ: stop
            // the node, restart the broker application (users and
            // permissions are kept; stale queues and connections go), then
            // start the node again.
            progress.phase("Stopping the management node");
            self.ctl(&["stop_node"], progress)?;
            progress.phase("Restarting the RabbitMQ application");
            let t = self.job_timeout();
            run_ok(Run::new(&self.cfg.rabbitmqctl, &["stop_app"], t), progress)?;
            run_ok(Run::new(&self.cfg.rabbitmqctl, &["start_app"], t), progress)?;
            progress.phase("Starting the management node (this can take minutes)");
            self.ctl(&["start_node"], progress)?;
        } else {
            self.restart_node(progress)?;
        }
        let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Ok(format!("Console proxy set ({})", shown.join(", ")))
    }

    fn change_db_password(
        &self,
        account: DbAccount,
        current_root: &Secret,
        new: &Secret,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        check_password_rule(new).map_err(EngineError::Failed)?;
        let props = self.props()?;
        let admin = self.cfg.db_admin_user.as_str();
        let mut target = self.db_target(&props, Some((admin, current_root)))?;
        target.timeout = target.timeout.max(Duration::from_secs(10));
        progress.phase("Checking the current MySQL root password");
        let mut conn = db::connect(&target, None).map_err(|e| {
            if db::is_access_denied(&e) {
                EngineError::Failed(format!(
                    "the current MySQL {admin} password is wrong; nothing was changed"
                ))
            } else {
                EngineError::Failed(format!("{e}; nothing was changed"))
            }
        })?;
        let user = match account {
            DbAccount::Root => admin.to_owned(),
            DbAccount::Zstack => props.get_nonempty("DB.user").unwrap_or("zstack").to_owned(),
        };
        progress.phase(&format!("Changing the password of MySQL user {user}"));
        let hosts =
            db::set_password_all_hosts(&mut conn, &user, new).map_err(EngineError::Failed)?;
        drop(conn);
        for h in &hosts {
            progress.line(&format!("password set for '{user}'@'{h}'"));
        }
        if account == DbAccount::Zstack {
            progress.phase("Updating DB.password in zstack.properties");
            let (_, was_encrypted) = crypto::read_password(props.get("DB.password").unwrap_or(""));
            let value = if was_encrypted {
                crypto::encrypt(new)
            } else {
                new.expose().to_owned()
            };
            let value = zeroize::Zeroizing::new(value);
            self.edit_properties(&[("DB.password", value.as_str())])
                .map_err(|e| {
                    EngineError::Failed(format!(
                        "MySQL password of {user} changed, but {e}: put the new password into DB.password by hand"
                    ))
                })?;
        }
        self.restart_node(progress).map_err(|e| {
            EngineError::Failed(format!(
                "MySQL password of {user} changed, but the restart failed: {e}"
            ))
        })?;
        Ok(format!(
            "MySQL password of {user} changed; management node restarted"
        ))
    }

    fn change_bus_password(
        &self,
        new: &Secret,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        match self.uses_rabbitmq(false) {
            Ok(true) => {}
            Ok(false) => {
                return Err(EngineError::Failed(
                    "this ZStack (3.0.1 or later) does not use RabbitMQ; nothing to change".into(),
                ))
            }
            Err(e) => return Err(EngineError::Failed(format!("{e}; nothing was changed"))),
        }
        check_password_rule(new).map_err(EngineError::Failed)?;
        let props = self.props()?;
        let user = props
            .get_nonempty("CloudBus.rabbitmqUsername")
            .unwrap_or("zstack")
            .to_owned();
        progress.phase(&format!("Changing the RabbitMQ password of {user}"));
        // rabbitmqctl reads the password from stdin when it is omitted.
        let mut r = Run::new(
            &self.cfg.rabbitmqctl,
            &["change_password", &user],
            self.job_timeout(),
        );
        r.stdin = Some(new);
        run_ok(r, progress)?;
        progress.phase("Updating CloudBus.rabbitmqPassword in zstack.properties");
        self.edit_properties(&[("CloudBus.rabbitmqPassword", new.expose())])
            .map_err(|e| {
                EngineError::Failed(format!(
                    "RabbitMQ password of {user} changed, but {e}: put it into CloudBus.rabbitmqPassword by hand"
                ))
            })?;
        self.restart_node(progress).map_err(|e| {
            EngineError::Failed(format!(
                "RabbitMQ password of {user} changed, but the restart failed: {e}"
            ))
        })?;
        Ok(format!(
            "RabbitMQ password of {user} changed; management node restarted"
        ))
    }

    fn change_management_ip(
        &self,
        ip: Ipv4Addr,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        if ip.is_unspecified() || ip.is_loopback() || ip.is_broadcast() || ip.is_multicast() {
            return Err(EngineError::Failed(format!(
                "{ip} cannot be a management IP; nothing was changed"
            )));
        }
        progress.phase(&format!("Moving the management node to {ip}"));
        self.ctl(&["change_ip", "--ip", &ip.to_string()], progress)?;
        self.restart_node(progress)?;
        Ok(format!(
            "Management IP changed to {ip}; management node restarted"
        ))
    }

    fn backup_database(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        let props = self.props()?;
        let mut target = self.db_target(&props, None)?;
        target.timeout = target.timeout.max(Duration::from_secs(10));
        progress.phase("Connecting to the database");
        let mut conn = db::connect(&target, None).map_err(EngineError::Failed)?;
        let dbs = db::existing_databases(&mut conn, &self.cfg.backup_databases)
            .map_err(EngineError::Failed)?;
        if dbs.is_empty() {
            return Err(EngineError::Failed(format!(
                "none of the databases {} exists; nothing to back up",
                self.cfg.backup_databases.join(", ")
            )));
        }
        let approx = db::approximate_size(&mut conn, &dbs);
        // The endpoint that answered is the first that connects; mysqldump
        // gets the same order through its first endpoint that worked.
        let endpoint = target
            .endpoints
            .iter()
            .find(|ep| {
                let t = db::DbTarget {
                    endpoints: vec![(*ep).clone()],
                    ..target.clone()
                };
                db::connect(&t, None).is_ok()
            })
            .cloned()
            .ok_or_else(|| EngineError::Failed("the database went away".into()))?;
        drop(conn);
        std::fs::create_dir_all(dest_dir).map_err(|e| {
            EngineError::Failed(format!("cannot create {}: {e}", dest_dir.display()))
        })?;
        let dest = dest_dir.join(backup::backup_file_name(chrono::Local::now()));
        progress.phase(&format!(
            "Dumping {} into {}",
            dbs.join(", "),
            dest.display()
        ));
        progress.fraction(Some(0.0));
        backup::dump(
            &backup::DumpRequest {
                mysqldump: &self.cfg.mysqldump,
                endpoint: &endpoint,
                user: &target.user,
                password: &target.password,
                databases: &dbs,
                approx_bytes: approx,
                timeout: self.job_timeout(),
            },
            &dest,
            progress,
        )?;
        Ok(dest)
    }

    fn collect_cluster_logs(
        &self,
        dest_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<PathBuf, EngineError> {
        self.need_ctl()?;
        std::fs::create_dir_all(dest_dir).map_err(|e| {
            EngineError::Failed(format!("cannot create {}: {e}", dest_dir.display()))
        })?;
        let started = SystemTime::now() - Duration::from_secs(2);
        progress.phase("Collecting the logs of the management node and every host");
        progress.fraction(None);
        let mut r = Run::new(
            &self.cfg.ctl,
            &["configured_collect_log"],
            self.job_timeout(),
        );
        r.cwd = Some(dest_dir.to_owned());
        run_ok(r, progress)?;
        newest_collect_log(dest_dir, started).ok_or_else(|| {
            EngineError::Failed(format!(
                "zstack-ctl configured_collect_log finished but wrote no collect-log-*.tar.gz into {}",
                dest_dir.display()
            ))
        })
    }
}

/// The newest `collect-log-*.tar.gz` in `dir` modified after `since`.
fn newest_collect_log(dir: &Path, since: SystemTime) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with("collect-log-") && n.ends_with(".tar.gz")
        })
        .filter_map(|e| {
            let m = e.metadata().ok()?.modified().ok()?;
            (m >= since).then(|| (m, e.path()))
        })
        .max_by_key(|(m, _)| *m)
        .map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

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
