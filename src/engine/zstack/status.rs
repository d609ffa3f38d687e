//! NODE INFO: whether the management server answers, its process, the web
//! UI, the version and the licence.
//!
//! The version comes from the most precise source that answers (REST, then
//! the database's `schema_version`, then the VERSION file) and is cached;
//! [`ZstackEngine::version_quick`] never waits on a server, for the menu.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::properties::Properties;
use super::rest::RestClient;
use super::{db, version, ZstackEngine, DEFAULT_UI_PORT, LICENSE_TTL};
use crate::engine::{EngineError, NodeStatus};
use crate::sync::lock;

impl ZstackEngine {
    /// NODE INFO.
    pub(super) fn node_status(&self) -> Result<NodeStatus, EngineError> {
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

    /// The version from the cache or the VERSION file only: never blocks
    /// on a server (for `capabilities()`, which the menu calls).
    pub(super) fn version_quick(&self) -> Option<String> {
        if let Some((v, _)) = lock(&self.version).clone() {
            return Some(v);
        }
        read_version_file(&self.version_file())
    }

    /// The version without asking REST: cached, then `schema_version`, then
    /// the VERSION file.
    pub(super) fn version_offline(&self, props: Option<&Properties>) -> Option<String> {
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

    /// Whether the control plane still uses RabbitMQ (before 3.0.1).
    /// `quick` consults only the cache and the VERSION file.
    pub(super) fn uses_rabbitmq(&self, quick: bool) -> Result<bool, String> {
        let v = if quick {
            self.version_quick()
        } else {
            self.version_offline(self.props().ok().as_ref())
        };
        let v = v
            .ok_or("the ZStack version is unknown (management server, database and VERSION file unavailable)")?;
        version::uses_rabbitmq(&v).ok_or_else(|| format!("cannot read the ZStack version {v:?}"))
    }

    pub(super) fn ui_port(&self) -> u16 {
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
