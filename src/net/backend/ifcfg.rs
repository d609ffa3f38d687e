//! CentOS 7 style `ifcfg-*` files under `/etc/sysconfig/network-scripts`,
//! the layout the product's installer writes (including bonds with
//! `BONDING_OPTS` and `MASTER`/`SLAVE`). Existing files are edited in place:
//! keys we do not manage, comments and order are kept, so an operator's
//! extra settings (MTU, ETHTOOL_OPTS, DNS1, ...) survive.

use std::path::{Path, PathBuf};

use super::files::{self, read_optional};
use super::{linkfile, under, BackendError, BackendKind, NetBackend, NicId, Undo};
use crate::net::validate::{BondConfig, Ipv4Config};

/// Where the files live.
pub const SCRIPTS_DIR: &str = "/etc/sysconfig/network-scripts";

const HEADER: &str = "# Written by nodeconsole";

/// Keys describing IPv4 addressing, removed before writing a new static
/// configuration (numbered variants included) or from a bond slave.
const IP_KEYS: &[&str] = &["IPADDR", "PREFIX", "NETMASK", "GATEWAY"];

/// One ifcfg file: `KEY=value` lines, comments and blank lines kept as is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IfcfgFile {
    lines: Vec<Line>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    Kv(String, String),
    Other(String),
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2 && v.starts_with('\'') && v.ends_with('\'') {
        return v[1..v.len() - 1].to_string();
    }
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        let inner = &v[1..v.len() - 1];
        let mut out = String::new();
        let mut esc = false;
        for c in inner.chars() {
            if esc {
                out.push(c);
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else {
                out.push(c);
            }
        }
        return out;
    }
    v.to_string()
}

fn quote(v: &str) -> String {
    let plain = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/@+-,%".contains(&b));
    if plain {
        return v.to_string();
    }
    let mut s = String::from("\"");
    for c in v.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

impl IfcfgFile {
    pub fn parse(text: &str) -> Self {
        let lines = text
            .lines()
            .map(|l| {
                let t = l.trim();
                match t.split_once('=') {
                    Some((k, v))
                        if !t.starts_with('#')
                            && !k.is_empty()
                            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
                    {
                        Line::Kv(k.to_string(), unquote(v))
                    }
                    _ => Line::Other(l.to_string()),
                }
            })
            .collect();
        IfcfgFile { lines }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines.iter().rev().find_map(|l| match l {
            Line::Kv(k, v) if k == key => Some(v.as_str()),
            _ => None,
        })
    }

    /// Sets `key` (keeping its position if present, else appending).
    pub fn set(&mut self, key: &str, value: &str) {
        let mut done = false;
        self.lines.retain_mut(|l| match l {
            Line::Kv(k, v) if k == key => {
                if done {
                    false
                } else {
                    *v = value.to_string();
                    done = true;
                    true
                }
            }
            _ => true,
        });
        if !done {
            self.lines
                .push(Line::Kv(key.to_string(), value.to_string()));
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.lines
            .retain(|l| !matches!(l, Line::Kv(k, _) if k == key));
    }

    /// Removes `key` and its numbered variants (`IPADDR0`, `IPADDR1`, ...).
    pub fn remove_family(&mut self, key: &str) {
        self.lines.retain(|l| match l {
            Line::Kv(k, _) => {
                !(k == key
                    || k.strip_prefix(key).is_some_and(|rest| {
                        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
                    }))
            }
            _ => true,
        });
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            match l {
                Line::Kv(k, v) => {
                    s.push_str(k);
                    s.push('=');
                    s.push_str(&quote(v));
                }
                Line::Other(o) => s.push_str(o),
            }
            s.push('\n');
        }
        s
    }

    fn new_with_header() -> Self {
        IfcfgFile {
            lines: vec![Line::Other(HEADER.to_string())],
        }
    }
}

/// Sets the static IPv4 keys on an ifcfg file.
pub fn set_ipv4(f: &mut IfcfgFile, cfg: &Ipv4Config) {
    for k in IP_KEYS {
        f.remove_family(k);
    }
    f.set("BOOTPROTO", "none");
    f.set("IPADDR", &cfg.ip.to_string());
    f.set("PREFIX", &cfg.prefix.to_string());
    // DEFROUTE=no keeps a gateway for this NIC's subnet only: initscripts
    // and NetworkManager's ifcfg plugin then add no default route through it.
    if let Some(g) = cfg.gateway {
        f.set("GATEWAY", &g.to_string());
    }
    f.set("DEFROUTE", if cfg.default_route { "yes" } else { "no" });
}

/// The ifcfg backend below a root directory (`/` on a node).
#[derive(Debug, Clone)]
pub struct Ifcfg {
    root: PathBuf,
}

impl Ifcfg {
    pub fn new(root: &Path) -> Self {
        Ifcfg {
            root: root.to_path_buf(),
        }
    }

    pub fn dir(&self) -> PathBuf {
        under(&self.root, SCRIPTS_DIR)
    }

    fn all_files(&self) -> Vec<(PathBuf, IfcfgFile)> {
        let mut v: Vec<(PathBuf, IfcfgFile)> = std::fs::read_dir(self.dir())
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with("ifcfg-")
                        && !n.ends_with(".bak")
                        && !n.ends_with('~')
                        && !n.ends_with(".orig")
                        && !n.contains(".rpm")
                })
            })
            .filter_map(|p| {
                std::fs::read_to_string(&p)
                    .ok()
                    .map(|t| (p, IfcfgFile::parse(&t)))
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// The file describing `nic`: `ifcfg-<name>`, else one whose DEVICE is
    /// the name, else one whose HWADDR is the MAC; or a new `ifcfg-<name>`.
    fn find(&self, nic: &NicId) -> Result<(PathBuf, IfcfgFile, bool), BackendError> {
        let own = self.dir().join(format!("ifcfg-{}", nic.name));
        if let Some(t) = read_optional(&own)? {
            return Ok((own, IfcfgFile::parse(&t), true));
        }
        let all = self.all_files();
        if let Some((p, f)) = all
            .iter()
            .find(|(_, f)| f.get("DEVICE") == Some(nic.name.as_str()))
        {
            return Ok((p.clone(), f.clone(), true));
        }
        if let Some(mac) = &nic.mac {
            if let Some((p, f)) = all
                .iter()
                .find(|(_, f)| f.get("HWADDR").is_some_and(|h| h.eq_ignore_ascii_case(mac)))
            {
                return Ok((p.clone(), f.clone(), true));
            }
        }
        Ok((own, IfcfgFile::new_with_header(), false))
    }

    fn base_ethernet(f: &mut IfcfgFile, nic: &NicId, exists: bool) {
        f.set("DEVICE", &nic.name);
        if !exists || f.get("NAME").is_some() {
            f.set("NAME", &nic.name);
        }
        if let Some(mac) = &nic.mac {
            f.set("HWADDR", mac);
        }
        if f.get("TYPE").is_none() {
            f.set("TYPE", "Ethernet");
        }
        f.set("ONBOOT", "yes");
    }
}

impl NetBackend for Ifcfg {
    fn kind(&self) -> BackendKind {
        BackendKind::Ifcfg
    }

    fn persist_ipv4(&self, nic: &NicId, cfg: &Ipv4Config) -> Result<Undo, BackendError> {
        let (path, mut f, exists) = self.find(nic)?;
        if !exists {
            Self::base_ethernet(&mut f, nic, false);
        }
        set_ipv4(&mut f, cfg);
        let mut undo = Undo::default();
        undo.file(files::write_file(&path, &f.render())?);
        Ok(undo)
    }

    fn persist_rename(&self, nic: &NicId, new_name: &str) -> Result<Undo, BackendError> {
        super::all_or_nothing(|undo| {
            undo.extend(linkfile::persist(&self.root, nic, new_name)?);
            let (old_path, mut f, exists) = self.find(nic)?;
            let renamed = NicId {
                name: new_name.to_string(),
                mac: nic.mac.clone(),
            };
            Self::base_ethernet(&mut f, &renamed, exists);
            if exists && f.get("NAME").is_none() {
                f.set("NAME", new_name);
            }
            let new_path = self.dir().join(format!("ifcfg-{new_name}"));
            undo.file(files::write_file(&new_path, &f.render())?);
            let old_own = self.dir().join(format!("ifcfg-{}", nic.name));
            if exists && old_path == old_own && old_path != new_path {
                undo.file(files::remove_file(&old_path)?);
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
        for s in &bond.slaves {
            if !slaves.iter().any(|n| &n.name == s) {
                return Err(BackendError::Invalid(format!(
                    "slave {s} of {} was not described: refresh the NIC list",
                    bond.name
                )));
            }
        }
        super::all_or_nothing(|undo| {
            let bond_id = NicId::new(&bond.name, None);
            let (path, mut f, exists) = self.find(&bond_id)?;
            f.set("DEVICE", &bond.name);
            if !exists || f.get("NAME").is_some() {
                f.set("NAME", &bond.name);
            }
            f.set("TYPE", "Bond");
            f.set("BONDING_MASTER", "yes");
            f.set(
                "BONDING_OPTS",
                &format!("mode={} miimon={}", bond.mode.as_str(), bond.miimon_ms),
            );
            f.set("ONBOOT", "yes");
            if let Some(cfg) = ipv4 {
                set_ipv4(&mut f, cfg);
            } else if f.get("BOOTPROTO").is_none() {
                f.set("BOOTPROTO", "none");
            }
            undo.file(files::write_file(&path, &f.render())?);
            // Slaves no longer in the bond are released.
            for (p, mut other) in self.all_files() {
                let dev = other.get("DEVICE").unwrap_or_default().to_string();
                if other.get("MASTER") == Some(bond.name.as_str()) && !bond.slaves.contains(&dev) {
                    other.remove("MASTER");
                    other.remove("SLAVE");
                    undo.file(files::write_file(&p, &other.render())?);
                }
            }
            for s in slaves.iter().filter(|n| bond.slaves.contains(&n.name)) {
                let (p, mut sf, exists) = self.find(s)?;
                Self::base_ethernet(&mut sf, s, exists);
                for k in IP_KEYS {
                    sf.remove_family(k);
                }
                sf.remove("DEFROUTE");
                sf.set("BOOTPROTO", "none");
                sf.set("MASTER", &bond.name);
                sf.set("SLAVE", "yes");
                undo.file(files::write_file(&p, &sf.render())?);
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
