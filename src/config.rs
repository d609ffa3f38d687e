//! `/etc/nodeconsole/config.toml`: what differs between nodes (role, engine,
//! directories to watch, management address, terminals).
//!
//! A missing file means defaults, so a freshly installed node works before
//! anyone writes a config. A malformed file is a hard error naming the line,
//! because silently falling back to defaults on a typo would hide the mistake
//! on exactly the node where the operator thinks they configured something.
//! Unknown keys are refused for the same reason.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default location of the configuration file.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/nodeconsole/config.toml";

/// Which kind of physical node this console runs on (spec "Node roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Runs the cloud control plane: the full feature set.
    #[default]
    Management,
    /// A KVM host: a reduced console with this host's VM list.
    Compute,
    /// Like compute, plus the shared block devices and iSCSI sessions.
    Storage,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Management => "management",
            Role::Compute => "compute",
            Role::Storage => "storage",
        }
    }
}

/// The control plane the console delegates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// A standalone libvirt/KVM node.
    #[default]
    Libvirt,
    /// A ZStack management node.
    Zstack,
}

/// Colour choice. `auto` picks monochrome for terminals that cannot do colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum ThemeChoice {
    #[default]
    Auto,
    Color,
    Mono,
}

/// The whole configuration file. Every section has defaults.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Node role: `management`, `compute` or `storage`.
    pub role: Role,
    /// Control plane: `libvirt` or `zstack`.
    pub engine: EngineKind,
    /// Main screen refresh period in seconds.
    pub refresh_s: f64,
    /// `auto`, `color` or `mono`.
    pub theme: ThemeChoice,
    /// Force the ASCII border set (serial consoles, vt100).
    pub ascii: bool,
    pub libvirt: LibvirtConfig,
    pub zstack: ZstackConfig,
    pub disk: DiskConfig,
    pub network: NetworkConfig,
    pub auth: AuthConfig,
    pub terminals: TerminalsConfig,
    pub storage: StorageConfig,
    pub log: LogConfig,
    /// TIME INFO's clock check against an NTP reference.
    pub time: TimeConfig,
    /// Collect Logs / Backup Database exports and their HTTP server.
    pub export: crate::export::ExportConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            role: Role::Management,
            engine: EngineKind::Libvirt,
            refresh_s: 1.0,
            theme: ThemeChoice::Auto,
            ascii: false,
            libvirt: LibvirtConfig::default(),
            zstack: ZstackConfig::default(),
            disk: DiskConfig::default(),
            network: NetworkConfig::default(),
            auth: AuthConfig::default(),
            terminals: TerminalsConfig::default(),
            storage: StorageConfig::default(),
            log: LogConfig::default(),
            time: TimeConfig::default(),
            export: crate::export::ExportConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LibvirtConfig {
    /// Connection URI; `qemu:///system` on a real node.
    pub uri: String,
    /// Timeout of one libvirt query, seconds.
    pub timeout_s: f64,
    /// The `nodeconsole-virt` helper that makes the libvirt calls; unset
    /// means beside the executable, else `../libexec/nodeconsole/`.
    pub helper: Option<PathBuf>,
}

impl Default for LibvirtConfig {
    fn default() -> Self {
        LibvirtConfig {
            uri: "qemu:///system".into(),
            timeout_s: 3.0,
            helper: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZstackConfig {
    /// `ZSTACK_HOME` (the management server's web application directory).
    pub home: PathBuf,
    /// Installation root shown in DISK INFO.
    pub install_dir: PathBuf,
    /// zstack.properties; unset means `<home>/WEB-INF/classes/zstack.properties`.
    pub properties: Option<PathBuf>,
    /// The `zstack-ctl` admin tool.
    pub ctl: PathBuf,
    /// The ZStack installer run by Reset (`-k`) and Reset & Drop Database (`-D`).
    pub installer: PathBuf,
    /// REST API base; unset means `http://127.0.0.1:<RESTFacade.port or 8080>/zstack/v1`.
    pub rest_url: Option<String>,
    /// Account the console logs in with to read counts, version and licence.
    pub rest_account: String,
    /// File holding that account's password (first line; keep it 0600).
    /// Unset means ZStack's factory default `password`. A file, not a
    /// value here, so the password never shows in this struct's Debug.
    pub rest_password_file: Option<PathBuf>,
    /// Database holding `HostVO`, `VmInstanceVO`, `schema_version`.
    pub database: String,
    /// Databases Backup Database dumps (those that exist).
    pub backup_databases: Vec<String>,
    /// MySQL administrator account whose password the operator types.
    pub db_admin_user: String,
    /// File holding the web UI port (default 5000 when absent).
    pub ui_port_file: PathBuf,
    /// VERSION file, last version fallback; unset means `<home>/VERSION`.
    pub version_file: Option<PathBuf>,
    /// Text in the management server's command line that identifies it.
    pub process_match: String,
    /// `rabbitmqctl` (versions before 3.0.1 only).
    pub rabbitmqctl: PathBuf,
    /// `mysqldump` used by Backup Database.
    pub mysqldump: PathBuf,
    /// Timeout of one status/count query, seconds.
    pub status_timeout_s: f64,
    /// Timeout of a long job (start, reset, backup), seconds.
    pub job_timeout_s: u64,
}

impl Default for ZstackConfig {
    fn default() -> Self {
        ZstackConfig {
            home: "/usr/local/zstack/apache-tomcat/webapps/zstack/".into(),
            install_dir: "/usr/local/zstack".into(),
            properties: None,
            ctl: "/usr/bin/zstack-ctl".into(),
            installer: "/opt/zstack-installer.bin".into(),
            rest_url: None,
            rest_account: "admin".into(),
            rest_password_file: None,
            database: "zstack".into(),
            backup_databases: vec!["zstack".into(), "zstack_rest".into(), "zstack_ui".into()],
            db_admin_user: "root".into(),
            ui_port_file: "/var/run/zstack/zstack-ui.port".into(),
            version_file: None,
            process_match: "appName=zstack".into(),
            rabbitmqctl: "/usr/sbin/rabbitmqctl".into(),
            mysqldump: "/usr/bin/mysqldump".into(),
            status_timeout_s: 2.5,
            job_timeout_s: 3600,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DiskConfig {
    /// Directories whose file system free space DISK INFO shows. Empty means
    /// `/`, `/var/log` and the engine's install directory.
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// The management IP of this node. The NIC holding it is marked `MN`;
    /// when empty, the NIC of the default route is.
    pub management_ip: String,
    /// Pre-filled target of Test Network.
    pub ping_target: String,
    /// Seconds to confirm a risky network change before it is rolled back.
    pub rollback_s: u64,
    /// The resolver configuration Test Network → DNS lookup reads.
    pub resolv_conf: PathBuf,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            management_ip: String::new(),
            ping_target: "114.114.114.114".into(),
            rollback_s: 60,
            resolv_conf: PathBuf::from(crate::diag::resolv::DEFAULT_PATH),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// PAM service checked for the root password (`/etc/pam.d/<name>`).
    pub pam_service: String,
    /// Seconds without a key press after which System Configuration locks.
    pub idle_timeout_s: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            pam_service: "nodeconsole".into(),
            idle_timeout_s: 300,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerminalsConfig {
    /// Virtual terminal the console owns.
    pub console: String,
    /// Virtual terminal with the reserved root login.
    pub shell: String,
    /// Virtual terminal running the cloud CLI.
    pub cli: String,
    /// Command started on the cloud CLI terminal.
    pub cli_command: String,
    /// `COLSxROWS` drawn on a line that has no size (a serial TTY is 0x0)
    /// when the far terminal does not answer the start-up size query.
    pub serial_size: String,
    /// On a serial line, redraw the whole screen every this many seconds
    /// (0: only on a key after a quiet spell, Ctrl+L, or carrier up).
    pub serial_redraw_s: u64,
}

impl Default for TerminalsConfig {
    fn default() -> Self {
        TerminalsConfig {
            console: "tty1".into(),
            shell: "tty2".into(),
            cli: "tty3".into(),
            cli_command: "virsh".into(),
            serial_size: crate::tty::DEFAULT_SERIAL_SIZE.into(),
            serial_redraw_s: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Root of sysfs; tests point it at a fixture tree.
    pub sysfs_root: PathBuf,
    /// Root of `/dev` (the `disk/by-path` links).
    pub dev_root: PathBuf,
    /// udev's run directory (its database is `data/b<major>:<minor>`).
    pub udev_root: PathBuf,
    /// The mount table read for "in use" (mounted).
    pub mountinfo: PathBuf,
    /// Paths every multipath map should have; a map with fewer is shown
    /// degraded. 0: not checked (only failed paths degrade a map).
    pub multipath_paths: usize,
    /// multipathd's control socket (`@name`: abstract); empty: not asked.
    pub multipathd_socket: String,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            sysfs_root: "/sys".into(),
            dev_root: "/dev".into(),
            udev_root: "/run/udev".into(),
            mountinfo: "/proc/self/mountinfo".into(),
            multipath_paths: 0,
            multipathd_socket: crate::probe::multipathd::DEFAULT_SOCKET.into(),
        }
    }
}

impl StorageConfig {
    /// Where the storage collectors read.
    pub fn roots(&self) -> crate::probe::StorageRoots {
        crate::probe::StorageRoots {
            sysfs: self.sysfs_root.clone(),
            dev: self.dev_root.clone(),
            udev: self.udev_root.clone(),
            mountinfo: self.mountinfo.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeConfig {
    /// NTP server whose clock TIME INFO compares this node's with
    /// (`host` or `host:port`). Empty: the first server of the node's own
    /// chrony/ntpd/timesyncd configuration (on a ZStack host, the
    /// management node). `none`: no check.
    pub reference: String,
    /// Offsets beyond this many seconds are shown as a warning.
    pub max_offset_s: f64,
    /// Seconds between two checks.
    pub check_s: u64,
}

impl Default for TimeConfig {
    fn default() -> Self {
        TimeConfig {
            reference: String::new(),
            max_offset_s: 1.0,
            check_s: 64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Write logs to this file instead of journald/stderr (tests use it).
    pub file: Option<PathBuf>,
    /// `tracing` filter, e.g. `info` or `nodeconsole=debug`.
    pub level: Option<String>,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The message of the toml parser names the line and column.
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Loads `path`; a missing file yields the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses configuration text; `path` only labels errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: describe_toml_error(text, &e),
        })?;
        cfg.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), String> {
        if !(self.refresh_s.is_finite() && (0.1..=3600.0).contains(&self.refresh_s)) {
            return Err(format!(
                "refresh_s = {} is out of range (0.1 to 3600 seconds)",
                self.refresh_s
            ));
        }
        if self.auth.pam_service.is_empty() || self.auth.pam_service.contains('/') {
            return Err("auth.pam_service must be a plain PAM service name".into());
        }
        crate::tty::parse_size(&self.terminals.serial_size)
            .map_err(|e| format!("terminals.serial_size: {e}"))?;
        crate::probe::clock::parse_reference(&self.time.reference)
            .map_err(|e| format!("time.reference: {e}"))?;
        if !(self.time.max_offset_s.is_finite()
            && (0.001..=86400.0).contains(&self.time.max_offset_s))
        {
            return Err(format!(
                "time.max_offset_s = {} is out of range (0.001 to 86400 seconds)",
                self.time.max_offset_s
            ));
        }
        if !(8..=86400).contains(&self.time.check_s) {
            return Err(format!(
                "time.check_s = {} is out of range (8 to 86400 seconds)",
                self.time.check_s
            ));
        }
        self.export
            .validate()
            .map_err(|e| format!("[export]: {e}"))?;
        Ok(())
    }

    /// The directories DISK INFO watches: the configured list, or the defaults.
    pub fn disk_paths(&self, engine_install_dir: Option<&Path>) -> Vec<PathBuf> {
        if !self.disk.paths.is_empty() {
            return self.disk.paths.clone();
        }
        let mut v: Vec<PathBuf> = vec!["/".into(), "/var/log".into()];
        if let Some(d) = engine_install_dir {
            if !v.iter().any(|p| p == d) {
                v.push(d.to_owned());
            }
        }
        v
    }

    pub fn refresh(&self) -> Duration {
        Duration::from_secs_f64(self.refresh_s)
    }
}

/// Formats a toml error as `line L, column C: message`, so the operator can
/// go straight to the offending line.
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().to_string();
    match e.span() {
        Some(span) => {
            let upto = &text[..span.start.min(text.len())];
            let line = upto.matches('\n').count() + 1;
            let col = upto.rfind('\n').map_or(upto.len(), |i| upto.len() - i - 1) + 1;
            format!("line {line}, column {col}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_defaults() {
        let c = Config::parse("", Path::new("x")).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.network.ping_target, "114.114.114.114");
        assert_eq!(c.auth.idle_timeout_s, 300);
    }

    #[test]
    fn missing_file_is_defaults() {
        let c = Config::load(Path::new("/nonexistent/nodeconsole.toml")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn full_file_parses() {
        let text = r#"
role = "storage"
engine = "zstack"
refresh_s = 2
theme = "mono"
ascii = true
[libvirt]
uri = "test:///default"
[disk]
paths = ["/", "/data"]
[network]
management_ip = "10.0.0.5"
[auth]
idle_timeout_s = 30
"#;
        let c = Config::parse(text, Path::new("x")).unwrap();
        assert_eq!(c.role, Role::Storage);
        assert_eq!(c.engine, EngineKind::Zstack);
        assert_eq!(c.refresh(), Duration::from_secs(2));
        assert_eq!(c.theme, ThemeChoice::Mono);
        assert!(c.ascii);
        assert_eq!(c.libvirt.uri, "test:///default");
        assert_eq!(c.disk_paths(None), vec![PathBuf::from("/"), "/data".into()]);
        assert_eq!(c.network.management_ip, "10.0.0.5");
        assert_eq!(c.auth.idle_timeout_s, 30);
    }

    #[test]
    fn malformed_file_names_the_line() {
        let text = "role = \"compute\"\n\nrefresh_s = = 3\n";
        let err = Config::parse(text, Path::new("/etc/x.toml")).unwrap_err();
        let s = err.to_string();
        assert!(s.contains("/etc/x.toml"), "{s}");
        assert!(s.contains("line 3"), "{s}");
    }

    #[test]
    fn unknown_key_is_refused_with_line() {
        let text = "role = \"compute\"\nrefesh_s = 3\n";
        let s = Config::parse(text, Path::new("c")).unwrap_err().to_string();
        assert!(s.contains("line 2") && s.contains("refesh_s"), "{s}");
    }

    #[test]
    fn bad_role_is_refused() {
        let s = Config::parse("role = \"router\"", Path::new("c"))
            .unwrap_err()
            .to_string();
        assert!(s.contains("line 1"), "{s}");
    }

    #[test]
    fn refresh_out_of_range_is_refused() {
        assert!(Config::parse("refresh_s = 0", Path::new("c")).is_err());
    }

    #[test]
    fn serial_size_is_checked() {
        let c = Config::parse("[terminals]\nserial_size = \"132x43\"\n", Path::new("c")).unwrap();
        assert_eq!(c.terminals.serial_size, "132x43");
        let e = Config::parse("[terminals]\nserial_size = \"wide\"\n", Path::new("c"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("terminals.serial_size"), "{e}");
    }

    #[test]
    fn default_disk_paths_include_engine_dir() {
        let c = Config::default();
        assert_eq!(
            c.disk_paths(Some(Path::new("/var/lib/libvirt"))),
            vec![
                PathBuf::from("/"),
                "/var/log".into(),
                "/var/lib/libvirt".into()
            ]
        );
    }
}
