//! TIME INFO's clock check: is the kernel clock disciplined by a time
//! daemon (adjtimex), and how far is it from the node's reference clock
//! (an SNTP query to the management node or the configured NTP server)?
//!
//! Why: a compute host whose clock drifts from the management node's
//! fails certificate checks and agent heartbeats in ways that look like
//! network faults; the operator at the console should see the offset
//! before chasing cables.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::Collector;
use crate::net::sntp::{self, Sample};

/// Where the offset is measured against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// No check (`time.reference = "none"`).
    Off,
    /// The first server of the node's own time daemon configuration.
    Auto,
    /// This server.
    Server { host: String, port: u16 },
}

/// Parses `time.reference` (pure; fuzzed through the config validation).
pub fn parse_reference(text: &str) -> Result<Reference, String> {
    let t = text.trim();
    match t {
        "" => return Ok(Reference::Auto),
        "none" => return Ok(Reference::Off),
        _ => {}
    }
    if let Ok(sa) = t.parse::<SocketAddr>() {
        return Ok(Reference::Server {
            host: sa.ip().to_string(),
            port: sa.port(),
        });
    }
    if t.parse::<IpAddr>().is_ok() {
        return Ok(Reference::Server {
            host: t.to_string(),
            port: sntp::PORT,
        });
    }
    let (host, port) = match t.rsplit_once(':') {
        Some((h, p)) => {
            let port: u16 = p
                .parse()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("{p:?} is not a port number (1 to 65535)"))?;
            (h, port)
        }
        None => (t, sntp::PORT),
    };
    crate::net::ping::validate_target(host).map_err(|e| e.to_string())?;
    Ok(Reference::Server {
        host: host.to_string(),
        port,
    })
}

/// What the kernel says about its clock discipline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelSync {
    /// A time daemon keeps the clock synchronised; estimated error in µs.
    Synced { est_error_us: i64 },
    /// Nobody disciplines the clock (no daemon, or it lost its servers).
    Unsynced,
    /// adjtimex failed.
    Unknown(String),
}

/// One clock check.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockInfo {
    pub kernel: KernelSync,
    /// The reference as configured or found (`None`: no check configured).
    pub reference: Option<String>,
    /// The measurement, when a reference is known.
    pub sample: Option<Result<Sample, String>>,
}

/// The kernel's view, by `adjtimex` with no modes (read-only, unprivileged).
pub fn kernel_sync() -> KernelSync {
    // SAFETY: a zeroed timex with modes = 0 only reads the kernel's state.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    if state < 0 {
        return KernelSync::Unknown(std::io::Error::last_os_error().to_string());
    }
    if state == libc::TIME_ERROR || tx.status & libc::STA_UNSYNC != 0 {
        KernelSync::Unsynced
    } else {
        KernelSync::Synced {
            est_error_us: tx.esterror,
        }
    }
}

/// The time daemons' configuration files, in the order they are asked.
pub const DAEMON_CONFIGS: &[&str] = &[
    "/etc/chrony/chrony.conf",
    "/etc/chrony.conf",
    "/etc/ntpsec/ntp.conf",
    "/etc/ntp.conf",
    "/etc/systemd/timesyncd.conf",
];

/// Measures the offset on each call (every `time.check_s`).
pub struct ClockCollector {
    reference: Reference,
    daemon_configs: Vec<PathBuf>,
    timeout: Duration,
}

impl ClockCollector {
    /// `daemon_configs` is [`DAEMON_CONFIGS`] on a node, temp files in tests.
    pub fn new(reference: Reference, daemon_configs: Vec<PathBuf>, timeout: Duration) -> Self {
        ClockCollector {
            reference,
            daemon_configs,
            timeout,
        }
    }

    /// The server to ask: the configured one, or the first of the daemon's.
    fn server(&self) -> Option<(String, u16)> {
        match &self.reference {
            Reference::Off => None,
            Reference::Server { host, port } => Some((host.clone(), *port)),
            Reference::Auto => self.daemon_configs.iter().find_map(|p| {
                let text = std::fs::read_to_string(p).ok()?;
                let host = sntp::configured_servers(&text).into_iter().next()?;
                Some((host, sntp::PORT))
            }),
        }
    }

    fn measure(&self, host: &str, port: u16) -> Result<Sample, String> {
        let server = server_addr(host, port, self.timeout)?;
        sntp::query(server, self.timeout).map_err(|e| e.to_string())
    }
}

/// `host:port` as a socket address: an address literal as is, a name
/// resolved (IPv4) within `timeout`. Shared by TIME INFO's check and the
/// Clock offset diagnostic.
pub fn server_addr(host: &str, port: u16, timeout: Duration) -> Result<SocketAddr, String> {
    let ip: IpAddr = match host.parse() {
        Ok(ip) => ip,
        Err(_) => IpAddr::V4(crate::net::ping::resolve(host, timeout).map_err(|e| e.to_string())?),
    };
    Ok(SocketAddr::new(ip, port))
}

impl Collector for ClockCollector {
    type Output = ClockInfo;

    fn name(&self) -> &'static str {
        "clock"
    }

    fn collect(&mut self) -> Result<ClockInfo, String> {
        let kernel = kernel_sync();
        let Some((host, port)) = self.server() else {
            return Ok(ClockInfo {
                kernel,
                reference: None,
                sample: None,
            });
        };
        let shown = if port == sntp::PORT {
            host.clone()
        } else {
            format!("{host}:{port}")
        };
        Ok(ClockInfo {
            kernel,
            sample: Some(self.measure(&host, port)),
            reference: Some(shown),
        })
    }
}

/// `+0.004s`, `-1.25s`, `+312s`: the offset as TIME INFO shows it.
pub fn format_offset(s: f64) -> String {
    let a = s.abs();
    if a < 10.0 {
        format!("{s:+.3}s")
    } else if a < 1000.0 {
        format!("{s:+.1}s")
    } else {
        format!("{s:+.0}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(parse_reference(""), Ok(Reference::Auto));
        assert_eq!(parse_reference(" none "), Ok(Reference::Off));
        let s = |h: &str, p| Reference::Server {
            host: h.into(),
            port: p,
        };
        assert_eq!(parse_reference("10.0.0.2"), Ok(s("10.0.0.2", 123)));
        assert_eq!(parse_reference("10.0.0.2:1123"), Ok(s("10.0.0.2", 1123)));
        assert_eq!(parse_reference("fd00::2"), Ok(s("fd00::2", 123)));
        assert_eq!(parse_reference("[fd00::2]:124"), Ok(s("fd00::2", 124)));
        assert_eq!(parse_reference("mn.example"), Ok(s("mn.example", 123)));
        assert_eq!(parse_reference("mn:5000"), Ok(s("mn", 5000)));
        assert!(parse_reference("mn:0").is_err());
        assert!(parse_reference("mn:x").is_err());
        assert!(parse_reference("bad host!").is_err());
    }

    #[test]
    fn offsets_keep_three_significant_places() {
        assert_eq!(format_offset(0.0042), "+0.004s");
        assert_eq!(format_offset(-1.25), "-1.250s");
        assert_eq!(format_offset(312.44), "+312.4s");
        assert_eq!(format_offset(-86400.0), "-86400s");
    }

    #[test]
    fn auto_takes_the_first_daemon_server_and_off_checks_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let none = dir.path().join("absent.conf");
        let chrony = dir.path().join("chrony.conf");
        std::fs::write(&chrony, "server 127.0.0.1 iburst\n").unwrap();
        let c = ClockCollector::new(
            Reference::Auto,
            vec![none.clone(), chrony],
            Duration::from_millis(200),
        );
        assert_eq!(c.server(), Some(("127.0.0.1".into(), 123)));
        let mut off = ClockCollector::new(Reference::Off, vec![none], Duration::from_millis(200));
        let info = off.collect().unwrap();
        assert_eq!(info.reference, None);
        assert_eq!(info.sample, None);
    }

    #[test]
    fn the_kernel_answers_adjtimex() {
        assert!(!matches!(kernel_sync(), KernelSync::Unknown(_)));
    }
}
