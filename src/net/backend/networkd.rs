//! systemd-networkd `.network` / `.netdev` files under `/etc/systemd/network`.
//! A NIC's existing `.network` file (matched by `Name=` or `MACAddress=`) is
//! edited in place, keeping everything we do not manage; otherwise we create
//! `10-nodeconsole-<name>.network`, which sorts before typical distribution
//! files (networkd uses the first file that matches).

use std::path::{Path, PathBuf};

use super::files::{self, read_optional};
use super::{linkfile, under, BackendError, BackendKind, NetBackend, NicId, Undo};
use crate::net::validate::{BondConfig, Ipv4Config};

/// Where the files live.
pub const NETWORK_DIR: &str = "/etc/systemd/network";

const HEADER: &str = "# Written by nodeconsole";

/// One unit-style INI file (sections of `Key=value` lines; keys may repeat).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitFile {
    /// Lines before the first section (comments).
    pub preamble: Vec<String>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Kv(String, String),
    Other(String),
}

impl Section {
    pub fn new(name: &str) -> Self {
        Section {
            name: name.to_string(),
            lines: Vec::new(),
        }
    }
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines.iter().rev().find_map(|l| match l {
            Line::Kv(k, v) if k == key => Some(v.as_str()),
            _ => None,
        })
    }
    pub fn remove(&mut self, key: &str) {
        self.lines
            .retain(|l| !matches!(l, Line::Kv(k, _) if k == key));
    }
    /// Appends a (possibly repeated) key.
    pub fn add(&mut self, key: &str, value: &str) {
        // Keep trailing blank lines after the keys.
        let pos = self
            .lines
            .iter()
            .rposition(|l| !matches!(l, Line::Other(o) if o.trim().is_empty()))
            .map_or(0, |i| i + 1);
        self.lines
            .insert(pos, Line::Kv(key.to_string(), value.to_string()));
    }
    /// Replaces every `key` line with one `key=value` at the first one's place.
    pub fn set(&mut self, key: &str, value: &str) {
        if let Some(i) = self
            .lines
            .iter()
            .position(|l| matches!(l, Line::Kv(k, _) if k == key))
        {
            self.lines[i] = Line::Kv(key.to_string(), value.to_string());
            let mut seen = false;
            self.lines.retain(|l| match l {
                Line::Kv(k, _) if k == key => !std::mem::replace(&mut seen, true),
                _ => true,
            });
        } else {
            self.add(key, value);
        }
    }
}

impl UnitFile {
    pub fn parse(text: &str) -> Self {
        let mut u = UnitFile::default();
        for l in text.lines() {
            let t = l.trim();
            if t.starts_with('[') && t.ends_with(']') {
                u.sections.push(Section::new(&t[1..t.len() - 1]));
                continue;
            }
            let line = match t.split_once('=') {
                Some((k, v)) if !t.starts_with('#') && !t.starts_with(';') => {
                    Line::Kv(k.trim().to_string(), v.trim().to_string())
                }
                _ => Line::Other(l.to_string()),
            };
            match u.sections.last_mut() {
                Some(s) => s.lines.push(line),
                None => u.preamble.push(l.to_string()),
            }
        }
        u
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        for p in &self.preamble {
            s.push_str(p);
            s.push('\n');
        }
        for (i, sec) in self.sections.iter().enumerate() {
            if i > 0 && !s.ends_with("\n\n") && !s.is_empty() {
                s.push('\n');
            }
            s.push('[');
            s.push_str(&sec.name);
            s.push_str("]\n");
            for l in &sec.lines {
                match l {
                    Line::Kv(k, v) => {
                        s.push_str(k);
                        s.push('=');
                        s.push_str(v);
                    }
                    Line::Other(o) => s.push_str(o),
                }
                s.push('\n');
            }
        }
        s
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The first section `name`, created at the end if missing.
    pub fn section_mut(&mut self, name: &str) -> &mut Section {
        if let Some(i) = self.sections.iter().position(|s| s.name == name) {
            &mut self.sections[i]
        } else {
            self.sections.push(Section::new(name));
            self.sections.last_mut().expect("just pushed")
        }
    }

    fn new_with_header() -> Self {
        UnitFile {
            preamble: vec![HEADER.to_string()],
            sections: Vec::new(),
        }
    }

    /// Whether `[Match]` selects the NIC by name or by MAC.
    fn matches(&self, nic: &NicId) -> bool {
        self.match_kind(nic).is_some()
    }

    /// `Some(true)`: the file is for this NIC alone (one name or MAC);
    /// `Some(false)`: it also matches other NICs (a list of names/MACs).
    fn match_kind(&self, nic: &NicId) -> Option<bool> {
        let m = self.section("Match")?;
        let tokens = |k: &str| -> Vec<String> {
            m.get(k)
                .map(|v| v.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default()
        };
        let (names, macs) = (tokens("Name"), tokens("MACAddress"));
        let by_name = names.contains(&nic.name);
        let by_mac = nic
            .mac
            .as_ref()
            .is_some_and(|mac| macs.iter().any(|t| t.eq_ignore_ascii_case(mac)));
        if !(by_name || by_mac) {
            return None;
        }
        Some(names.len() + macs.len() == 1)
    }
}

/// Sets the static IPv4 configuration in a .network file.
pub fn set_ipv4(u: &mut UnitFile, cfg: &Ipv4Config) {
    // Drop other sources of addresses and default routes.
    u.sections.retain(|s| {
        !(s.name == "Address" || (s.name == "Route" && s.get("Destination").is_none()))
    });
    let n = u.section_mut("Network");
    n.remove("Address");
    n.remove("Gateway");
    n.set("DHCP", "no");
    n.add("Address", &format!("{}/{}", cfg.ip, cfg.prefix));
    // networkd has no "gateway but no default route": `Gateway=` is the
    // default route. A gateway for this subnet only is therefore not
    // written (the subnet is on-link; nothing routes through it).
    if let Some(g) = cfg.default_gateway() {
        n.add("Gateway", &g.to_string());
    }
}

/// The networkd backend below a root directory (`/` on a node).
#[derive(Debug, Clone)]
pub struct Networkd {
    root: PathBuf,
}

impl Networkd {
    pub fn new(root: &Path) -> Self {
        Networkd {
            root: root.to_path_buf(),
        }
    }

    pub fn dir(&self) -> PathBuf {
        under(&self.root, NETWORK_DIR)
    }

    fn files(&self, ext: &str) -> Vec<(PathBuf, UnitFile)> {
        let mut v: Vec<(PathBuf, UnitFile)> = std::fs::read_dir(self.dir())
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .filter_map(|p| {
                std::fs::read_to_string(&p)
                    .ok()
                    .map(|t| (p, UnitFile::parse(&t)))
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    fn own_path(&self, name: &str, ext: &str) -> PathBuf {
        self.dir().join(format!("{}{name}.{ext}", linkfile::PREFIX))
    }

    /// The .network file of `nic`: a file for this NIC alone is edited in
    /// place; a file shared with other NICs is left alone and seeds a new
    /// `10-nodeconsole-<name>.network` for this NIC only (keeping e.g. its
    /// DNS settings); otherwise a new file matching the name.
    fn find_network(&self, nic: &NicId) -> Result<(PathBuf, UnitFile, bool), BackendError> {
        let own = self.own_path(&nic.name, "network");
        let mut seed = None;
        for (p, u) in self.files("network") {
            match u.match_kind(nic) {
                Some(true) => return Ok((p, u, true)),
                Some(false) if seed.is_none() && p != own => seed = Some(u),
                _ => {}
            }
        }
        let mut u = match (read_optional(&own)?, seed) {
            (Some(t), _) => UnitFile::parse(&t),
            (None, Some(mut shared)) => {
                shared.preamble = vec![HEADER.to_string()];
                shared.section_mut("Match").remove("MACAddress");
                shared
            }
            (None, None) => UnitFile::new_with_header(),
        };
        u.section_mut("Match").set("Name", &nic.name);
        Ok((own, u, false))
    }
}

impl NetBackend for Networkd {
    fn kind(&self) -> BackendKind {
        BackendKind::Networkd
    }

    fn persist_ipv4(&self, nic: &NicId, cfg: &Ipv4Config) -> Result<Undo, BackendError> {
        let (p, mut u, _) = self.find_network(nic)?;
        set_ipv4(&mut u, cfg);
        let mut undo = Undo::default();
        undo.file(files::write_file(&p, &u.render())?);
        Ok(undo)
    }

    fn persist_rename(&self, nic: &NicId, new_name: &str) -> Result<Undo, BackendError> {
        super::all_or_nothing(|undo| {
            undo.extend(linkfile::persist(&self.root, nic, new_name)?);
            let Some((p, mut u)) = self
                .files("network")
                .into_iter()
                .find(|(_, u)| u.matches(nic))
            else {
                return Ok(());
            };
            let m = u.section_mut("Match");
            if let Some(names) = m.get("Name").map(str::to_string) {
                let renamed: Vec<&str> = names
                    .split_whitespace()
                    .map(|t| if t == nic.name { new_name } else { t })
                    .collect();
                m.set("Name", &renamed.join(" "));
            }
            let ours = p == self.own_path(&nic.name, "network");
            let target = if ours {
                self.own_path(new_name, "network")
            } else {
                p.clone()
            };
            undo.file(files::write_file(&target, &u.render())?);
            if ours {
                undo.file(files::remove_file(&p)?);
            }
            Ok(())
        })
    }

    fn persist_bond(
        &self,
        bond: &BondConfig,
        slaves: &[NicId],
        ipv4: Option<&Ipv4Config>,
    ) -> Result<Undo, BackendError> {
        super::all_or_nothing(|undo| {
            // The bond device.
            let (np, mut nd) = match self.files("netdev").into_iter().find(|(_, u)| {
                u.section("NetDev")
                    .is_some_and(|s| s.get("Name") == Some(bond.name.as_str()))
            }) {
                Some(x) => x,
                None => (
                    self.own_path(&bond.name, "netdev"),
                    UnitFile::new_with_header(),
                ),
            };
            let d = nd.section_mut("NetDev");
            d.set("Name", &bond.name);
            d.set("Kind", "bond");
            let b = nd.section_mut("Bond");
            b.set("Mode", bond.mode.as_str());
            b.set("MIIMonitorSec", &format!("{}ms", bond.miimon_ms));
            undo.file(files::write_file(&np, &nd.render())?);
            // The bond's own addressing.
            let (bp, mut bu, exists) = self.find_network(&NicId::new(&bond.name, None))?;
            if let Some(cfg) = ipv4 {
                set_ipv4(&mut bu, cfg);
            } else if !exists {
                bu.section_mut("Network").set("DHCP", "no");
            }
            undo.file(files::write_file(&bp, &bu.render())?);
            // Released slaves.
            for (p, mut u) in self.files("network") {
                let is_ours = u
                    .section("Network")
                    .is_some_and(|n| n.get("Bond") == Some(bond.name.as_str()));
                let still = slaves
                    .iter()
                    .any(|s| bond.slaves.contains(&s.name) && u.matches(s));
                if is_ours && !still {
                    u.section_mut("Network").remove("Bond");
                    undo.file(files::write_file(&p, &u.render())?);
                }
            }
            // Slaves.
            for name in &bond.slaves {
                let s = slaves.iter().find(|n| &n.name == name).ok_or_else(|| {
                    BackendError::Invalid(format!(
                        "slave {name} of {} was not described: refresh the NIC list",
                        bond.name
                    ))
                })?;
                let (p, mut u, _) = self.find_network(s)?;
                u.sections
                    .retain(|s| s.name != "Address" && s.name != "Route");
                let n = u.section_mut("Network");
                n.remove("Address");
                n.remove("Gateway");
                n.remove("DHCP");
                n.set("Bond", &bond.name);
                undo.file(files::write_file(&p, &u.render())?);
            }
            Ok(())
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn undo(&self, undo: &Undo) -> Result<(), BackendError> {
        undo.undo_files()
    }
}
