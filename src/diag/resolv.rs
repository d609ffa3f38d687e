//! The node's resolver configuration (`resolv.conf(5)`), read the way
//! glibc reads it: `nameserver` (at most 3, in order), `search` / `domain`
//! (the last one wins), `options timeout:N attempts:N ndots:N`. Pure
//! (unit-tested, fuzzed by `fuzz/fuzz_targets/diag_resolv.rs`); what it
//! skips is listed in [`ResolvConf::notes`] so the DNS window can say so.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// The default path (config `network.resolv_conf`).
pub const DEFAULT_PATH: &str = "/etc/resolv.conf";

/// glibc's limits: MAXNS, RES_MAXRETRANS, RES_MAXRETRY, RES_MAXNDOTS.
pub const MAX_SERVERS: usize = 3;
const MAX_TIMEOUT_S: u64 = 30;
const MAX_ATTEMPTS: u32 = 5;
const MAX_NDOTS: u32 = 15;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvConf {
    /// In the order they are asked; glibc's default (the local host) when
    /// the file names none.
    pub nameservers: Vec<IpAddr>,
    pub search: Vec<String>,
    /// Per query and server (glibc default 5 s).
    pub timeout: Duration,
    /// Rounds over the servers (glibc default 2).
    pub attempts: u32,
    /// Names with fewer dots try the search list first (default 1).
    pub ndots: u32,
    /// Lines ignored and why (a bad address, a fourth server).
    pub notes: Vec<String>,
}

impl Default for ResolvConf {
    fn default() -> Self {
        ResolvConf {
            nameservers: Vec::new(),
            search: Vec::new(),
            timeout: Duration::from_secs(5),
            attempts: 2,
            ndots: 1,
            notes: Vec::new(),
        }
    }
}

/// Parses resolv.conf text. Never fails: like glibc, unknown keywords and
/// bad values are skipped (and noted).
pub fn parse(text: &str) -> ResolvConf {
    let mut c = ResolvConf::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.split(['#', ';']).next().unwrap_or("");
        let mut words = line.split_whitespace();
        let Some(key) = words.next() else { continue };
        match key {
            "nameserver" => match words.next().map(parse_server) {
                Some(Some(ip)) if c.nameservers.len() < MAX_SERVERS => c.nameservers.push(ip),
                Some(Some(ip)) => c.notes.push(format!(
                    "line {}: nameserver {ip} ignored (only the first {MAX_SERVERS} are used)",
                    n + 1
                )),
                Some(None) | None => c.notes.push(format!(
                    "line {}: nameserver without a valid address ignored",
                    n + 1
                )),
            },
            "search" | "domain" => {
                c.search = words
                    .filter(|w| crate::diag::input::is_host_name(w))
                    .map(|w| w.trim_end_matches('.').to_string())
                    .take(6)
                    .collect();
            }
            "options" => {
                for w in words {
                    let num = |p: &str| w.strip_prefix(p).and_then(|v| v.parse::<u64>().ok());
                    if let Some(v) = num("timeout:") {
                        c.timeout = Duration::from_secs(v.clamp(1, MAX_TIMEOUT_S));
                    } else if let Some(v) = num("attempts:") {
                        c.attempts = (v.min(u64::from(MAX_ATTEMPTS)) as u32).max(1);
                    } else if let Some(v) = num("ndots:") {
                        c.ndots = v.min(u64::from(MAX_NDOTS)) as u32;
                    }
                }
            }
            _ => {}
        }
    }
    if c.nameservers.is_empty() {
        c.nameservers.push(IpAddr::V4(Ipv4Addr::LOCALHOST));
        c.notes
            .push("no nameserver configured: the local host is asked (glibc's default)".into());
    }
    c
}

/// A nameserver address; an IPv6 one may carry a `%zone`, which is not
/// supported here.
fn parse_server(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>().ok()
}

/// The names to ask, in glibc's order: a name with at least `ndots` dots
/// (or a trailing dot) as typed first, then with each search domain;
/// otherwise the search domains first.
pub fn candidates(conf: &ResolvConf, name: &str) -> Vec<String> {
    if let Some(abs) = name.strip_suffix('.') {
        return vec![abs.to_string()];
    }
    let with: Vec<String> = conf
        .search
        .iter()
        .map(|d| format!("{name}.{d}"))
        .filter(|n| n.len() <= crate::diag::input::MAX_NAME)
        .collect();
    let dots = name.matches('.').count() as u32;
    let mut v = Vec::new();
    if dots >= conf.ndots {
        v.push(name.to_string());
        v.extend(with);
    } else {
        v.extend(with);
        v.push(name.to_string());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typical_file() {
        let c = parse(
            "# Generated\nnameserver 10.0.0.2\nnameserver 10.0.0.3 ; second\n\
             search lab.example example.org\noptions timeout:2 attempts:3 rotate ndots:2\n",
        );
        assert_eq!(
            c.nameservers,
            vec![
                "10.0.0.2".parse::<IpAddr>().unwrap(),
                "10.0.0.3".parse().unwrap()
            ]
        );
        assert_eq!(c.search, vec!["lab.example", "example.org"]);
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert_eq!((c.attempts, c.ndots), (3, 2));
        assert!(c.notes.is_empty(), "{:?}", c.notes);
    }

    #[test]
    fn limits_bad_values_and_the_default_server() {
        let c = parse(
            "nameserver 1.1.1.1\nnameserver bogus\nnameserver ::1\nnameserver 2.2.2.2\n\
             nameserver 3.3.3.3\noptions timeout:0 attempts:99 ndots:x\ndomain a.example\n",
        );
        assert_eq!(c.nameservers.len(), 3);
        assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
        assert!(c.notes[1].contains("only the first 3"));
        assert_eq!(c.timeout, Duration::from_secs(1));
        assert_eq!((c.attempts, c.ndots), (5, 1));
        assert_eq!(c.search, vec!["a.example"]);
        let e = parse("");
        assert_eq!(e.nameservers, vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        assert_eq!(e.notes.len(), 1);
    }

    #[test]
    fn search_order_follows_ndots() {
        let c = parse("search lab.example\n");
        assert_eq!(candidates(&c, "mn"), ["mn.lab.example", "mn"]);
        assert_eq!(
            candidates(&c, "mn.corp"),
            ["mn.corp", "mn.corp.lab.example"]
        );
        assert_eq!(candidates(&c, "mn.corp."), ["mn.corp"]);
    }
}
