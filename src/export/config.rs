//! The `[export]` section of `/etc/nodeconsole/config.toml`.
//!
//! Everything an operator may want to tune about log collection and the
//! export server lives here, with defaults that work on a stock node, so the
//! section can be absent.

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::collect::CollectSpec;
use super::ExportError;
use crate::config::EngineKind;

/// The `[export]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExportConfig {
    /// Address the export HTTP server listens on. Empty means the first IPv4
    /// address of the management NIC (see [`ExportConfig::resolve`]), so the
    /// URL works from the management network and nowhere else.
    pub bind: String,
    /// TCP port of the export HTTP server.
    pub port: u16,
    /// Directory where collected tarballs and backups are written.
    pub dir: PathBuf,
    /// Hours an export stays downloadable; afterwards its URL answers
    /// "410 Gone" and the file is deleted.
    pub ttl_h: u64,
    /// JSON file listing the published exports, so that a restarted console
    /// still serves them.
    pub state_file: PathBuf,
    /// How far back the journal is collected, as a number and a unit
    /// (`s`, `min`, `h`, `d`, `w`), e.g. `24h`. Empty collects the whole journal.
    pub since: String,
    /// Whether the systemd journal is collected at all.
    pub journal: bool,
    /// Files collected, as globs (`*`, `?`, `[...]`, `**`) for absolute paths;
    /// they are resolved under the collection root (`/` on a node).
    pub globs: Vec<String>,
    /// Diagnostic commands whose output is collected.
    pub commands: Vec<CommandSpec>,
    /// Whether the engine's own listing (`virsh list --all`, `zstack-ctl
    /// status`) is added to `commands`.
    pub engine_listing: bool,
    /// Cap on the uncompressed bytes put into one collection; files beyond it
    /// are cut (their newest part is kept) or left out, and SUMMARY.txt says so.
    pub max_bytes: u64,
}

/// One diagnostic command whose output goes into the collection.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// File name of the output inside the tarball (`commands/<name>.txt`);
    /// letters, digits, `-`, `_` and `.` only.
    pub name: String,
    /// Program and arguments; run directly, never through a shell.
    pub argv: Vec<String>,
    /// Seconds before the command is killed.
    #[serde(default = "default_command_timeout")]
    pub timeout_s: u64,
}

fn default_command_timeout() -> u64 {
    30
}

impl CommandSpec {
    /// A command with the default timeout.
    pub fn new(name: &str, argv: &[&str]) -> CommandSpec {
        CommandSpec {
            name: name.into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            timeout_s: default_command_timeout(),
        }
    }

    /// The timeout as a `Duration`.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_s)
    }

    /// The engine's own listing of what it runs.
    pub fn engine_listing(engine: EngineKind) -> CommandSpec {
        match engine {
            EngineKind::Libvirt => CommandSpec::new(
                "virsh-list",
                &["virsh", "-c", "qemu:///system", "list", "--all"],
            ),
            EngineKind::Zstack => CommandSpec::new("zstack-ctl-status", &["zstack-ctl", "status"]),
        }
    }
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            bind: String::new(),
            port: 8089,
            dir: "/var/lib/nodeconsole/exports".into(),
            ttl_h: 24,
            state_file: "/var/lib/nodeconsole/exports.json".into(),
            since: "24h".into(),
            journal: true,
            globs: [
                "/var/log/messages*",
                "/var/log/syslog*",
                "/var/log/kern.log*",
                "/var/log/dmesg*",
                "/var/log/boot.log*",
                "/var/log/libvirt/**",
                "/var/log/zstack/**",
                "/usr/local/zstack/apache-tomcat/logs/**",
                "/usr/local/zstack/zstack-ui/logs/**",
                "/var/log/nodeconsole/**",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            commands: vec![
                CommandSpec::new("ip-addr", &["ip", "addr"]),
                CommandSpec::new("ip-route", &["ip", "route"]),
                CommandSpec::new("ip-link", &["ip", "-s", "link"]),
                CommandSpec::new(
                    "lsblk",
                    &["lsblk", "-o", "NAME,SIZE,TYPE,FSTYPE,MOUNTPOINT,MODEL"],
                ),
                CommandSpec::new("df", &["df", "-h"]),
                CommandSpec::new("free", &["free", "-m"]),
                CommandSpec::new("uptime", &["uptime"]),
                CommandSpec::new("dmesg", &["dmesg"]),
            ],
            engine_listing: true,
            max_bytes: 2 << 30,
        }
    }
}

impl ExportConfig {
    /// Checks every value; the message names the offending key.
    pub fn validate(&self) -> Result<(), ExportError> {
        if !self.bind.is_empty() && self.bind.parse::<IpAddr>().is_err() {
            return Err(ExportError::Config(format!(
                "export.bind = {:?} is not an IP address (leave it empty for the management NIC)",
                self.bind
            )));
        }
        if self.ttl_h == 0 {
            return Err(ExportError::Config(
                "export.ttl_h must be at least 1 hour".into(),
            ));
        }
        if !self.dir.is_absolute() || !self.state_file.is_absolute() {
            return Err(ExportError::Config(
                "export.dir and export.state_file must be absolute paths".into(),
            ));
        }
        journal_since_arg(&self.since)?;
        for g in &self.globs {
            validate_glob(g)?;
        }
        for c in &self.commands {
            validate_command(c)?;
        }
        if self.max_bytes < 1 << 20 {
            return Err(ExportError::Config(
                "export.max_bytes must be at least 1 MiB".into(),
            ));
        }
        Ok(())
    }

    /// The address the server binds: `bind` when set, else the first IPv4
    /// address among `candidates` (the management NIC's addresses, in the
    /// order the NIC lists them), else the first address at all.
    pub fn resolve(&self, candidates: &[IpAddr]) -> Result<SocketAddr, ExportError> {
        if !self.bind.is_empty() {
            let ip: IpAddr = self.bind.parse().map_err(|_| {
                ExportError::Config(format!(
                    "export.bind = {:?} is not an IP address",
                    self.bind
                ))
            })?;
            return Ok(SocketAddr::new(ip, self.port));
        }
        candidates
            .iter()
            .find(|a| a.is_ipv4())
            .or_else(|| candidates.first())
            .map(|ip| SocketAddr::new(*ip, self.port))
            .ok_or_else(|| {
                ExportError::Config(
                    "the management NIC has no address to serve exports on; set export.bind".into(),
                )
            })
    }

    /// Every address the server binds: `bind` when set, else each address
    /// of the management NIC (`candidates`) that can be bound without a
    /// scope (IPv6 link-local addresses are left out), so that the window's
    /// URL for every address works.
    pub fn resolve_all(&self, candidates: &[IpAddr]) -> Result<Vec<SocketAddr>, ExportError> {
        if !self.bind.is_empty() {
            return self.resolve(candidates).map(|a| vec![a]);
        }
        let v: Vec<SocketAddr> = candidates
            .iter()
            .filter(|ip| match ip {
                IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
                IpAddr::V4(_) => true,
            })
            .map(|ip| SocketAddr::new(*ip, self.port))
            .collect();
        if v.is_empty() {
            return Err(ExportError::Config(
                "the management NIC has no address to serve exports on; set export.bind".into(),
            ));
        }
        Ok(v)
    }

    /// How long a new export stays downloadable.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_h * 3600)
    }

    /// The collection spec for this node, with files resolved under `root`
    /// (`/` in production).
    pub fn collect_spec(
        &self,
        root: &Path,
        engine: EngineKind,
    ) -> Result<CollectSpec, ExportError> {
        self.validate()?;
        let mut commands = self.commands.clone();
        if self.engine_listing {
            let listing = CommandSpec::engine_listing(engine);
            if !commands.iter().any(|c| c.name == listing.name) {
                commands.push(listing);
            }
        }
        let journal = if self.journal {
            let mut argv = vec![
                "journalctl".to_string(),
                "--no-pager".into(),
                "--output=short-iso".into(),
            ];
            if let Some(arg) = journal_since_arg(&self.since)? {
                argv.push(arg);
            }
            Some(CommandSpec {
                name: "journal".into(),
                argv,
                timeout_s: 300,
            })
        } else {
            None
        };
        Ok(CollectSpec {
            root: root.to_owned(),
            journal,
            globs: self.globs.clone(),
            commands,
            max_bytes: self.max_bytes,
            name_prefix: "node-logs".into(),
        })
    }
}

/// Turns `since` (`24h`, `30min`, `2d`) into journalctl's `--since=-24h`;
/// empty means no window. The value is checked here because a typo would
/// otherwise only show as a failed journal in SUMMARY.txt.
pub fn journal_since_arg(since: &str) -> Result<Option<String>, ExportError> {
    let s = since.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let digits = s.chars().take_while(|c| c.is_ascii_digit()).count();
    let (num, unit) = s.split_at(digits);
    let ok_unit = matches!(unit, "s" | "min" | "m" | "h" | "d" | "w");
    match num.parse::<u64>() {
        Ok(n) if n > 0 && ok_unit => Ok(Some(format!("--since=-{n}{unit}"))),
        _ => Err(ExportError::Config(format!(
            "export.since = {since:?}: expected a number and a unit (s, min, h, d, w), e.g. \"24h\""
        ))),
    }
}

fn validate_glob(g: &str) -> Result<(), ExportError> {
    if !g.starts_with('/') {
        return Err(ExportError::Config(format!(
            "export.globs: {g:?} must be an absolute path"
        )));
    }
    if g.split('/').any(|c| c == "..") {
        return Err(ExportError::Config(format!(
            "export.globs: {g:?} must not contain \"..\""
        )));
    }
    globset::Glob::new(g)
        .map(|_| ())
        .map_err(|e| ExportError::Config(format!("export.globs: {g:?}: {e}")))
}

/// Checks a command: a safe output name, a program, a timeout.
pub fn validate_command(c: &CommandSpec) -> Result<(), ExportError> {
    let name_ok = !c.name.is_empty()
        && c.name.len() <= 64
        && !c.name.starts_with('.')
        && c.name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch));
    if !name_ok {
        return Err(ExportError::Config(format!(
            "export.commands: name {:?} must be letters, digits, '-', '_' or '.'",
            c.name
        )));
    }
    if c.argv.is_empty() || c.argv[0].is_empty() {
        return Err(ExportError::Config(format!(
            "export.commands: {:?} has an empty argv",
            c.name
        )));
    }
    if c.timeout_s == 0 || c.timeout_s > 3600 {
        return Err(ExportError::Config(format!(
            "export.commands: {:?} timeout_s must be 1 to 3600",
            c.name
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ExportConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_are_valid() {
        let c = ExportConfig::default();
        c.validate().unwrap();
        assert_eq!(c.port, 8089);
        assert_eq!(c.ttl(), Duration::from_secs(24 * 3600));
        assert_eq!(parse("").unwrap(), c);
    }

    #[test]
    fn parses_commands_with_default_timeout() {
        let c = parse(
            r#"
port = 9000
since = "2d"
globs = ["/var/log/x*"]
commands = [{ name = "ls", argv = ["ls", "-l"] }, { name = "w", argv = ["w"], timeout_s = 5 }]
"#,
        )
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.commands[0].timeout_s, 30);
        assert_eq!(c.commands[1].timeout(), Duration::from_secs(5));
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(parse("prot = 1").is_err());
        assert!(parse("commands = [{ name = \"a\", argv = [\"a\"], tmeout = 1 }]").is_err());
    }

    #[test]
    fn since_forms() {
        assert_eq!(journal_since_arg("24h").unwrap().unwrap(), "--since=-24h");
        assert_eq!(
            journal_since_arg("30min").unwrap().unwrap(),
            "--since=-30min"
        );
        assert_eq!(journal_since_arg("").unwrap(), None);
        for bad in ["h", "24", "0h", "-1h", "24 hours", "1y", "1h;rm"] {
            assert!(journal_since_arg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_values_are_refused() {
        let base = ExportConfig::default();
        let cases: Vec<fn(&mut ExportConfig)> = vec![
            |c| c.bind = "eth0".into(),
            |c| c.ttl_h = 0,
            |c| c.dir = "relative".into(),
            |c| c.globs = vec!["var/log/*".into()],
            |c| c.globs = vec!["/var/log/../../etc/*".into()],
            |c| c.globs = vec!["/var/log/[".into()],
            |c| c.commands = vec![CommandSpec::new("../x", &["ls"])],
            |c| c.commands = vec![CommandSpec::new("x", &[])],
            |c| c.max_bytes = 10,
        ];
        for (i, f) in cases.iter().enumerate() {
            let mut c = base.clone();
            f(&mut c);
            assert!(c.validate().is_err(), "case {i}");
        }
    }

    #[test]
    fn resolve_prefers_bind_then_first_ipv4() {
        let mut c = ExportConfig::default();
        let v6: IpAddr = "fe80::1".parse().unwrap();
        let a: IpAddr = "10.0.0.5".parse().unwrap();
        let b: IpAddr = "10.0.0.6".parse().unwrap();
        assert_eq!(c.resolve(&[v6, a, b]).unwrap(), SocketAddr::new(a, 8089));
        assert_eq!(c.resolve(&[v6]).unwrap(), SocketAddr::new(v6, 8089));
        assert!(c.resolve(&[]).is_err());
        let g: IpAddr = "fd00::5".parse().unwrap();
        assert_eq!(
            c.resolve_all(&[a, v6, g]).unwrap(),
            vec![SocketAddr::new(a, 8089), SocketAddr::new(g, 8089)]
        );
        assert!(c.resolve_all(&[v6]).is_err());
        c.bind = "127.0.0.1".into();
        c.port = 0;
        assert_eq!(
            c.resolve_all(&[a]).unwrap(),
            vec!["127.0.0.1:0".parse().unwrap()]
        );
        assert_eq!(c.resolve(&[a]).unwrap(), "127.0.0.1:0".parse().unwrap());
    }

    #[test]
    fn collect_spec_adds_journal_and_engine_listing_once() {
        let c = ExportConfig::default();
        let s = c.collect_spec(Path::new("/"), EngineKind::Zstack).unwrap();
        assert!(s
            .journal
            .as_ref()
            .unwrap()
            .argv
            .contains(&"--since=-24h".into()));
        assert_eq!(
            s.commands
                .iter()
                .filter(|c| c.name == "zstack-ctl-status")
                .count(),
            1
        );
    }
}
