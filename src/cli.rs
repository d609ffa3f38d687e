//! Command line. Flags override the configuration file.

use clap::Parser;
use std::path::PathBuf;

use crate::config::{Config, EngineKind, Role, ThemeChoice, DEFAULT_CONFIG_PATH};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "nodeconsole",
    version,
    about = "Terminal console for the physical nodes of a private cloud",
    long_about = "Shows the node at a glance and lets an operator at the server's keyboard, \
an IPMI remote console or a serial line do node chores behind the root password. \
Normally started by systemd on tty1 (see systemd/nodeconsole@.service)."
)]
pub struct Cli {
    /// Configuration file [default: /etc/nodeconsole/config.toml; not read in --demo
    /// unless given]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Node role
    #[arg(long, value_enum)]
    pub role: Option<Role>,
    /// Control plane engine
    #[arg(long, value_enum)]
    pub engine: Option<EngineKind>,
    /// libvirt connection URI [default: qemu:///system]
    #[arg(long, value_name = "URI")]
    pub libvirt_uri: Option<String>,
    /// Demo mode: libvirt's test driver with a shipped fixture; changes nothing on the host; `q` quits
    #[arg(long)]
    pub demo: bool,
    /// Colour theme
    #[arg(long, value_enum)]
    pub theme: Option<ThemeChoice>,
    /// ASCII borders and gauges (serial consoles)
    #[arg(long)]
    pub ascii: bool,
    /// Refresh period of the main screen in seconds [default: 1]
    #[arg(long, value_name = "SECONDS")]
    pub refresh: Option<f64>,
    /// PAM service for the root password gate [default: nodeconsole]
    #[arg(long, value_name = "NAME")]
    pub pam_service: Option<String>,
    /// Write logs to this file instead of journald
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

impl Cli {
    /// The configuration file to read, if any: an explicit `--config`, else
    /// the default path except in demo mode (a demo must not depend on, or
    /// be confused by, the host's real configuration).
    pub fn config_path(&self) -> Option<PathBuf> {
        match (&self.config, self.demo) {
            (Some(p), _) => Some(p.clone()),
            (None, false) => Some(DEFAULT_CONFIG_PATH.into()),
            (None, true) => None,
        }
    }

    /// Applies the flags on top of `cfg`. In demo mode the role is
    /// management unless `--role` is given, and the engine is libvirt.
    pub fn apply(&self, cfg: &mut Config) {
        if self.demo {
            cfg.role = Role::Management;
            cfg.engine = EngineKind::Libvirt;
        }
        if let Some(r) = self.role {
            cfg.role = r;
        }
        if let Some(e) = self.engine {
            cfg.engine = e;
        }
        if let Some(u) = &self.libvirt_uri {
            cfg.libvirt.uri = u.clone();
        }
        if let Some(t) = self.theme {
            cfg.theme = t;
        }
        if self.ascii {
            cfg.ascii = true;
        }
        if let Some(r) = self.refresh {
            cfg.refresh_s = r;
        }
        if let Some(p) = &self.pam_service {
            cfg.auth.pam_service = p.clone();
        }
        if let Some(l) = &self.log_file {
            cfg.log.file = Some(l.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("nodeconsole").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn flags_override_config() {
        let mut cfg = Config {
            role: Role::Storage,
            ..Default::default()
        };
        parse(&[
            "--role",
            "compute",
            "--engine",
            "zstack",
            "--libvirt-uri",
            "test:///default",
            "--theme",
            "mono",
            "--ascii",
            "--refresh",
            "2.5",
            "--pam-service",
            "other",
        ])
        .apply(&mut cfg);
        assert_eq!(cfg.role, Role::Compute);
        assert_eq!(cfg.engine, EngineKind::Zstack);
        assert_eq!(cfg.libvirt.uri, "test:///default");
        assert_eq!(cfg.theme, ThemeChoice::Mono);
        assert!(cfg.ascii);
        assert_eq!(cfg.refresh_s, 2.5);
        assert_eq!(cfg.auth.pam_service, "other");
    }

    #[test]
    fn demo_defaults() {
        let mut cfg = Config {
            role: Role::Storage,
            ..Default::default()
        };
        let c = parse(&["--demo"]);
        assert_eq!(c.config_path(), None);
        c.apply(&mut cfg);
        assert_eq!(cfg.role, Role::Management);
        let mut cfg = Config::default();
        parse(&["--demo", "--role", "compute"]).apply(&mut cfg);
        assert_eq!(cfg.role, Role::Compute);
        assert_eq!(
            parse(&[]).config_path(),
            Some(PathBuf::from(DEFAULT_CONFIG_PATH))
        );
    }

    #[test]
    fn bad_role_is_an_error() {
        assert!(Cli::try_parse_from(["nodeconsole", "--role", "router"]).is_err());
    }
}
