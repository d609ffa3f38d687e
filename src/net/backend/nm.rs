//! NetworkManager backend over D-Bus (zbus, blocking API).
//!
//! Where NetworkManager runs it owns the network configuration: files
//! written behind its back are ignored or overwritten, so changes go through
//! its Settings API (`AddConnection`, `Connection.Update`, `GetSettings`)
//! and are applied at run time by re-activating the profile. Every D-Bus
//! call is bounded by [`NM_TIMEOUT`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use zbus;
use zbus::blocking::{Connection, Proxy};
/// The D-Bus value types of [`Settings`], for callers that inspect profiles.
pub use zbus::zvariant;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use super::{linkfile, BackendError, BackendKind, NetBackend, NicId, Undo, UndoStep};
use crate::net::validate::{BondConfig, Ipv4Config};

/// Upper bound of one D-Bus call to NetworkManager.
pub const NM_TIMEOUT: Duration = Duration::from_secs(10);

const BUS_NAME: &str = "org.freedesktop.NetworkManager";
const NM_PATH: &str = "/org/freedesktop/NetworkManager";
const SETTINGS_PATH: &str = "/org/freedesktop/NetworkManager/Settings";
const SETTINGS_IFACE: &str = "org.freedesktop.NetworkManager.Settings";
const CONN_IFACE: &str = "org.freedesktop.NetworkManager.Settings.Connection";

/// A connection profile: setting name → property → value (`a{sa{sv}}`).
pub type Settings = HashMap<String, HashMap<String, OwnedValue>>;

fn nm_err(what: &str, e: impl std::fmt::Display) -> BackendError {
    BackendError::NetworkManager(format!(
        "{what} failed: {e}; check that NetworkManager is running (systemctl status NetworkManager)"
    ))
}

fn ov<'a>(v: impl Into<Value<'a>>) -> OwnedValue {
    OwnedValue::try_from(v.into()).expect("settings values carry no file descriptors")
}

fn get_str<'s>(s: &'s Settings, setting: &str, key: &str) -> Option<&'s str> {
    match s.get(setting)?.get(key).map(|v| &**v) {
        Some(Value::Str(x)) => Some(x.as_str()),
        _ => None,
    }
}

fn get_bytes(s: &Settings, setting: &str, key: &str) -> Option<Vec<u8>> {
    match s.get(setting)?.get(key).map(|v| &**v) {
        Some(Value::Array(a)) => Some(
            a.iter()
                .filter_map(|x| match x {
                    Value::U8(b) => Some(*b),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

fn mac_bytes(mac: &str) -> Option<Vec<u8>> {
    let b: Vec<u8> = mac
        .split(':')
        .map(|h| u8::from_str_radix(h, 16))
        .collect::<Result<_, _>>()
        .ok()?;
    (b.len() == 6).then_some(b)
}

/// A fresh connection UUID from the kernel's generator.
fn new_uuid() -> Result<String, BackendError> {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .map(|s| s.trim().to_string())
        .map_err(|e| BackendError::NetworkManager(format!("cannot make a UUID: {e}")))
}

/// The `ipv4` setting for a static configuration.
pub fn ipv4_setting(cfg: &Ipv4Config) -> HashMap<String, OwnedValue> {
    let mut addr: HashMap<String, Value> = HashMap::new();
    addr.insert("address".into(), Value::from(cfg.ip.to_string()));
    addr.insert("prefix".into(), Value::from(u32::from(cfg.prefix)));
    let mut m = HashMap::from([
        ("method".to_string(), ov("manual")),
        ("address-data".to_string(), ov(vec![addr])),
        // never-default keeps a gateway for this subnet only: NetworkManager
        // adds no default route through this profile.
        ("never-default".to_string(), ov(!cfg.default_route)),
    ]);
    if let Some(g) = cfg.gateway {
        m.insert("gateway".to_string(), ov(g.to_string()));
    }
    m
}

/// Applies a static IPv4 configuration to a profile, dropping the
/// deprecated `addresses` (which would make NetworkManager ignore
/// `address-data` and `gateway`).
pub fn set_ipv4(s: &mut Settings, cfg: &Ipv4Config) {
    let ip = s.entry("ipv4".into()).or_default();
    ip.remove("addresses");
    ip.remove("gateway");
    ip.extend(ipv4_setting(cfg));
}

fn connection_setting(id: &str, uuid: &str, ty: &str, ifname: &str) -> HashMap<String, OwnedValue> {
    HashMap::from([
        ("id".to_string(), ov(id)),
        ("uuid".to_string(), ov(uuid)),
        ("type".to_string(), ov(ty)),
        ("interface-name".to_string(), ov(ifname)),
        ("autoconnect".to_string(), ov(true)),
    ])
}

/// A new Ethernet profile for `nic` (bound by interface name and MAC).
pub fn ethernet_settings(nic: &NicId, uuid: &str, cfg: Option<&Ipv4Config>) -> Settings {
    let mut eth: HashMap<String, OwnedValue> = HashMap::new();
    if let Some(b) = nic.mac.as_deref().and_then(mac_bytes) {
        eth.insert("mac-address".into(), ov(b));
    }
    let mut s = Settings::from([
        (
            "connection".to_string(),
            connection_setting(&nic.name, uuid, "802-3-ethernet", &nic.name),
        ),
        ("802-3-ethernet".to_string(), eth),
    ]);
    if let Some(cfg) = cfg {
        s.insert("ipv4".into(), ipv4_setting(cfg));
    }
    s
}

/// The bond connection object: `connection` (type `bond`), `bond.options`
/// (`mode`, `miimon`), and `ipv4` (static, or disabled when not given).
pub fn bond_settings(bond: &BondConfig, uuid: &str, cfg: Option<&Ipv4Config>) -> Settings {
    let options: HashMap<String, String> = HashMap::from([
        ("mode".to_string(), bond.mode.as_str().to_string()),
        ("miimon".to_string(), bond.miimon_ms.to_string()),
    ]);
    let ipv4 = match cfg {
        Some(c) => ipv4_setting(c),
        None => HashMap::from([("method".to_string(), ov("disabled"))]),
    };
    Settings::from([
        (
            "connection".to_string(),
            connection_setting(&bond.name, uuid, "bond", &bond.name),
        ),
        (
            "bond".to_string(),
            HashMap::from([("options".to_string(), ov(options))]),
        ),
        ("ipv4".to_string(), ipv4),
        (
            "ipv6".to_string(),
            HashMap::from([("method".to_string(), ov("ignore"))]),
        ),
    ])
}

/// Turns a profile into a slave of `bond` (no IP configuration of its own).
pub fn make_slave(s: &mut Settings, bond: &str) {
    let c = s.entry("connection".into()).or_default();
    c.insert("master".into(), ov(bond));
    c.insert("slave-type".into(), ov("bond"));
    s.remove("ipv4");
    s.remove("ipv6");
}

/// Connects to the system bus (or `address`), bounded by `timeout` as a
/// whole: zbus bounds method calls, but not the connection handshake, so
/// that runs on a helper thread that is abandoned if the bus hangs.
fn connect(address: Option<&str>, timeout: Duration) -> Result<Connection, BackendError> {
    let address = address.map(str::to_string);
    let what = match &address {
        Some(a) => format!("connecting to the bus {a}"),
        None => "connecting to the system bus".to_string(),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("nm-connect".into())
        .spawn(move || {
            let b = match &address {
                Some(a) => zbus::blocking::connection::Builder::address(a.as_str()),
                None => zbus::blocking::connection::Builder::system(),
            };
            let _ = tx.send(
                b.map(|b| b.method_timeout(NM_TIMEOUT))
                    .and_then(|b| b.build()),
            );
        })
        .map_err(|e| nm_err(&what, e))?;
    match rx.recv_timeout(timeout) {
        Ok(r) => r.map_err(|e| nm_err(&what, e)),
        Err(_) => Err(nm_err(&what, format!("no answer within {timeout:?}"))),
    }
}

/// Whether something owns NetworkManager's name on the system bus.
pub fn is_running() -> bool {
    let Ok(conn) = connect(None, Duration::from_secs(2)) else {
        return false;
    };
    let Ok(dbus) = zbus::blocking::fdo::DBusProxy::new(&conn) else {
        return false;
    };
    zbus::names::BusName::try_from(BUS_NAME)
        .ok()
        .and_then(|n| dbus.name_has_owner(n).ok())
        .unwrap_or(false)
}

/// The NetworkManager backend.
pub struct NetworkManager {
    conn: Connection,
    root: PathBuf,
}

impl NetworkManager {
    /// Connects to NetworkManager on the system bus. `root` is where the
    /// systemd `.link` files for renames go (`/` on a node).
    pub fn system(root: &Path) -> Result<Self, BackendError> {
        let conn = connect(None, NM_TIMEOUT)?;
        Ok(NetworkManager {
            conn,
            root: root.to_path_buf(),
        })
    }

    /// Connects to NetworkManager on the bus at `address` (tests: a private bus).
    pub fn at_address(address: &str, root: &Path) -> Result<Self, BackendError> {
        let conn = connect(Some(address), NM_TIMEOUT)?;
        Ok(NetworkManager {
            conn,
            root: root.to_path_buf(),
        })
    }

    fn proxy<'a>(&'a self, path: &'a str, iface: &'a str) -> Result<Proxy<'a>, BackendError> {
        Proxy::new(&self.conn, BUS_NAME, path, iface)
            .map_err(|e| nm_err("creating a D-Bus proxy", e))
    }

    /// Paths of all connection profiles.
    pub fn list_connections(&self) -> Result<Vec<OwnedObjectPath>, BackendError> {
        self.proxy(SETTINGS_PATH, SETTINGS_IFACE)?
            .call("ListConnections", &())
            .map_err(|e| nm_err("listing connections", e))
    }

    /// A profile's settings.
    pub fn get_settings(&self, path: &str) -> Result<Settings, BackendError> {
        self.proxy(path, CONN_IFACE)?
            .call("GetSettings", &())
            .map_err(|e| nm_err(&format!("reading connection {path}"), e))
    }

    /// Replaces a profile's settings (persisted to disk by NetworkManager).
    pub fn update(&self, path: &str, s: &Settings) -> Result<(), BackendError> {
        self.proxy(path, CONN_IFACE)?
            .call::<_, _, ()>("Update", &(s,))
            .map_err(|e| nm_err(&format!("updating connection {path}"), e))
    }

    /// Adds a persistent profile; returns its path.
    pub fn add(&self, s: &Settings) -> Result<String, BackendError> {
        let p: OwnedObjectPath = self
            .proxy(SETTINGS_PATH, SETTINGS_IFACE)?
            .call("AddConnection", &(s,))
            .map_err(|e| nm_err("adding a connection", e))?;
        Ok(p.as_str().to_string())
    }

    /// Deletes a profile.
    pub fn delete(&self, path: &str) -> Result<(), BackendError> {
        self.proxy(path, CONN_IFACE)?
            .call::<_, _, ()>("Delete", &())
            .map_err(|e| nm_err(&format!("deleting connection {path}"), e))
    }

    /// The profile bound to `nic`: by `interface-name`, else by the
    /// Ethernet MAC address.
    pub fn find(&self, nic: &NicId) -> Result<Option<(String, Settings)>, BackendError> {
        let mut by_mac = None;
        let mac = nic.mac.as_deref().and_then(mac_bytes);
        for p in self.list_connections()? {
            let s = self.get_settings(p.as_str())?;
            if get_str(&s, "connection", "interface-name") == Some(nic.name.as_str()) {
                return Ok(Some((p.as_str().to_string(), s)));
            }
            if by_mac.is_none()
                && mac.is_some()
                && get_bytes(&s, "802-3-ethernet", "mac-address") == mac
            {
                by_mac = Some((p.as_str().to_string(), s));
            }
        }
        Ok(by_mac)
    }

    /// Profiles that are slaves of `bond` (by name or UUID).
    fn slaves_of(
        &self,
        bond: &str,
        bond_uuid: Option<&str>,
    ) -> Result<Vec<(String, Settings)>, BackendError> {
        let mut v = Vec::new();
        for p in self.list_connections()? {
            let s = self.get_settings(p.as_str())?;
            let m = get_str(&s, "connection", "master");
            if m.is_some() && (m == Some(bond) || m == bond_uuid) {
                v.push((p.as_str().to_string(), s));
            }
        }
        Ok(v)
    }

    /// Activates the profile of `ifname` on its device (run-time apply).
    pub fn activate(&self, ifname: &str) -> Result<(), BackendError> {
        let (path, _) = self
            .find(&NicId::new(ifname, None))?
            .ok_or_else(|| BackendError::NetworkManager(format!("no connection for {ifname}")))?;
        let conn = zbus::zvariant::ObjectPath::try_from(path.as_str())
            .map_err(|e| nm_err("activating", e))?;
        let root = zbus::zvariant::ObjectPath::try_from("/").expect("valid path");
        self.proxy(NM_PATH, "org.freedesktop.NetworkManager")?
            .call::<_, _, OwnedObjectPath>("ActivateConnection", &(conn, root.clone(), root))
            .map(|_| ())
            .map_err(|e| nm_err(&format!("activating the connection of {ifname}"), e))
    }

    /// Runs `steps`, undoing what was done if one fails.
    fn all_or_nothing(
        &self,
        steps: impl FnOnce(&mut Undo) -> Result<(), BackendError>,
    ) -> Result<Undo, BackendError> {
        let mut undo = Undo::default();
        match steps(&mut undo) {
            Ok(()) => Ok(undo),
            Err(e) => {
                let _ = self.undo(&undo);
                Err(e)
            }
        }
    }

    fn upsert(
        &self,
        undo: &mut Undo,
        existing: Option<(String, Settings)>,
        new: Settings,
    ) -> Result<(), BackendError> {
        match existing {
            Some((path, old)) => {
                self.update(&path, &new)?;
                undo.push(UndoStep::NmRestore {
                    path,
                    settings: old,
                });
            }
            None => {
                let path = self.add(&new)?;
                undo.push(UndoStep::NmDelete { path });
            }
        }
        Ok(())
    }
}

impl NetBackend for NetworkManager {
    fn kind(&self) -> BackendKind {
        BackendKind::NetworkManager
    }

    fn persist_ipv4(&self, nic: &NicId, cfg: &Ipv4Config) -> Result<Undo, BackendError> {
        self.all_or_nothing(|undo| {
            let found = self.find(nic)?;
            let new = match &found {
                Some((_, s)) => {
                    let mut s = s.clone();
                    set_ipv4(&mut s, cfg);
                    s
                }
                None => ethernet_settings(nic, &new_uuid()?, Some(cfg)),
            };
            self.upsert(undo, found, new)
        })
    }

    fn persist_rename(&self, nic: &NicId, new_name: &str) -> Result<Undo, BackendError> {
        self.all_or_nothing(|undo| {
            undo.extend(linkfile::persist(&self.root, nic, new_name)?);
            if let Some((path, old)) = self.find(nic)? {
                let mut s = old.clone();
                let c = s.entry("connection".into()).or_default();
                c.insert("interface-name".into(), ov(new_name));
                if get_str(&old, "connection", "id") == Some(nic.name.as_str()) {
                    c.insert("id".into(), ov(new_name));
                }
                self.update(&path, &s)?;
                undo.push(UndoStep::NmRestore {
                    path,
                    settings: old,
                });
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
        self.all_or_nothing(|undo| {
            let found = self.find(&NicId::new(&bond.name, None))?;
            let uuid = match &found {
                Some((_, s)) => get_str(s, "connection", "uuid").map(str::to_string),
                None => None,
            };
            let new = match &found {
                Some((_, s)) => {
                    let mut s = s.clone();
                    let fresh = bond_settings(bond, "", ipv4);
                    s.insert("bond".into(), fresh["bond"].clone());
                    if let Some(cfg) = ipv4 {
                        set_ipv4(&mut s, cfg);
                    }
                    s
                }
                None => bond_settings(bond, &new_uuid()?, ipv4),
            };
            self.upsert(undo, found, new)?;
            for (path, old) in self.slaves_of(&bond.name, uuid.as_deref())? {
                let ifname = get_str(&old, "connection", "interface-name").unwrap_or_default();
                if bond.slaves.iter().any(|s| s == ifname) {
                    continue;
                }
                let mut s = old.clone();
                let c = s.entry("connection".into()).or_default();
                c.remove("master");
                c.remove("slave-type");
                s.insert(
                    "ipv4".into(),
                    HashMap::from([("method".to_string(), ov("disabled"))]),
                );
                self.update(&path, &s)?;
                undo.push(UndoStep::NmRestore {
                    path,
                    settings: old,
                });
            }
            for name in &bond.slaves {
                let nic = slaves.iter().find(|n| &n.name == name).ok_or_else(|| {
                    BackendError::Invalid(format!(
                        "slave {name} of {} was not described: refresh the NIC list",
                        bond.name
                    ))
                })?;
                let found = self.find(nic)?;
                let mut s = match &found {
                    Some((_, s)) => s.clone(),
                    None => {
                        let mut s = ethernet_settings(nic, &new_uuid()?, None);
                        s.entry("connection".into())
                            .or_default()
                            .insert("id".into(), ov(format!("{}-slave-{}", bond.name, nic.name)));
                        s
                    }
                };
                make_slave(&mut s, &bond.name);
                self.upsert(undo, found, s)?;
            }
            Ok(())
        })
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn undo(&self, undo: &Undo) -> Result<(), BackendError> {
        let mut first_err = None;
        for step in undo.steps.iter().rev() {
            let r = match step {
                UndoStep::File(f) => f.apply(),
                UndoStep::NmRestore { path, settings } => self.update(path, settings),
                UndoStep::NmDelete { path } => self.delete(path),
            };
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    fn applies_runtime(&self) -> bool {
        true
    }
}
