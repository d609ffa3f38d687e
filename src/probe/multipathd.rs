//! multipathd's own interface: `show maps json` over its control socket
//! (abstract `@/org/kernel/linux/storage/multipathd` by default), with
//! libmpathcmd's framing (a native `size_t` length, then the NUL-terminated
//! text, both ways). Only multipathd knows each path's checker state
//! (ready, faulty, ghost = ALUA standby, shaky, ...), so when it runs it is
//! read first; device-mapper's status is the fallback. Every read and
//! write has a timeout, so a hung daemon costs the collector one round.

use std::io::{Read, Write};
use std::os::unix::net::{SocketAddr, UnixStream};
use std::time::Duration;

use serde::Deserialize;

use super::storage::MultipathMap;

/// The default socket (`@` = Linux abstract namespace).
pub const DEFAULT_SOCKET: &str = "@/org/kernel/linux/storage/multipathd";
/// Largest reply accepted (a node with thousands of paths stays far below).
const MAX_REPLY: u64 = 16 << 20;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MpathdReply {
    #[serde(default)]
    pub maps: Vec<MpathdMap>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MpathdMap {
    pub name: String,
    #[serde(default)]
    pub uuid: String,
    #[serde(default)]
    pub sysfs: String,
    #[serde(default)]
    pub features: String,
    #[serde(default)]
    pub hwhandler: String,
    #[serde(default)]
    pub path_groups: Vec<MpathdGroup>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MpathdGroup {
    #[serde(default)]
    pub selector: String,
    #[serde(default)]
    pub dm_st: String,
    #[serde(default)]
    pub paths: Vec<MpathdPath>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MpathdPath {
    pub dev: String,
    #[serde(default)]
    pub dev_t: String,
    #[serde(default)]
    pub dm_st: String,
    #[serde(default)]
    pub chk_st: String,
}

/// Parses the JSON of `show maps json`.
pub fn parse(json: &str) -> Result<MpathdReply, String> {
    serde_json::from_str(json.trim_end_matches('\0'))
        .map_err(|e| format!("multipathd's reply is not its JSON: {e}"))
}

/// Connects to `socket` (`@name` abstract, else a path).
fn connect(socket: &str) -> std::io::Result<UnixStream> {
    match socket.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = SocketAddr::from_abstract_name(name.as_bytes())?;
            UnixStream::connect_addr(&addr)
        }
        None => UnixStream::connect(socket),
    }
}

/// Sends `cmd` and returns the reply text, each step within `timeout`.
pub fn command(socket: &str, cmd: &str, timeout: Duration) -> Result<String, String> {
    let err = |what: &str, e: std::io::Error| format!("multipathd ({socket}): {what}: {e}");
    let mut s = connect(socket).map_err(|e| err("cannot connect", e))?;
    s.set_read_timeout(Some(timeout))
        .and_then(|()| s.set_write_timeout(Some(timeout)))
        .map_err(|e| err("socket", e))?;
    let mut msg = Vec::with_capacity(cmd.len() + 9);
    msg.extend_from_slice(&((cmd.len() + 1) as u64).to_ne_bytes());
    msg.extend_from_slice(cmd.as_bytes());
    msg.push(0);
    s.write_all(&msg).map_err(|e| err("send", e))?;
    let mut len = [0u8; 8];
    s.read_exact(&mut len).map_err(|e| err("no reply", e))?;
    let len = u64::from_ne_bytes(len);
    if len > MAX_REPLY {
        return Err(format!(
            "multipathd ({socket}): reply of {len} bytes refused"
        ));
    }
    let mut body = Vec::with_capacity(len as usize);
    (&mut s)
        .take(len)
        .read_to_end(&mut body)
        .map_err(|e| err("reply", e))?;
    if (body.len() as u64) < len {
        return Err(format!("multipathd ({socket}): reply cut short"));
    }
    Ok(String::from_utf8_lossy(&body)
        .trim_end_matches('\0')
        .to_string())
}

/// Fills the maps (matched by dm node, else name) from multipathd's
/// reply: each path's device-mapper and checker states, and the policy.
/// Returns how many maps it knew.
pub fn apply(maps: &mut [MultipathMap], reply: &MpathdReply) -> usize {
    let mut known = 0;
    for m in maps.iter_mut() {
        let Some(d) = reply
            .maps
            .iter()
            .find(|d| (!d.sysfs.is_empty() && d.sysfs == m.dm) || d.name == m.name)
        else {
            continue;
        };
        known += 1;
        let mut policy = match d.path_groups.first() {
            Some(g) if !g.selector.is_empty() => format!("policy {}", g.selector),
            _ => "no path groups".to_string(),
        };
        if !d.hwhandler.is_empty() && d.hwhandler != "0" {
            policy.push_str(&format!(", hw {}", d.hwhandler));
        }
        if !d.features.is_empty() && d.features != "0" {
            policy.push_str(&format!(", features {}", d.features));
        }
        for (i, g) in d.path_groups.iter().enumerate() {
            policy.push_str(&format!(
                "; group {} {} {} paths",
                i + 1,
                g.dm_st,
                g.paths.len()
            ));
            for p in &g.paths {
                let Some(mp) = m
                    .paths
                    .iter_mut()
                    .find(|x| x.name == p.dev || (!p.dev_t.is_empty() && x.devno == p.dev_t))
                else {
                    continue;
                };
                if !p.dm_st.is_empty() && p.dm_st != "undef" {
                    mp.dm_state = Some(p.dm_st.clone());
                }
                if !p.chk_st.is_empty() && p.chk_st != "undef" {
                    mp.checker = Some(p.chk_st.clone());
                }
            }
        }
        policy.push_str(" (multipathd)");
        m.policy = Ok(policy);
    }
    known
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_show_maps_json() {
        let r = parse(
            r#"{"major_version":0,"minor_version":1,"maps":[{"name":"mpatha","uuid":"36001405a",
            "sysfs":"dm-0","features":"1 queue_if_no_path","hwhandler":"1 alua","paths":2,
            "path_groups":[{"selector":"service-time 0","pri":50,"dm_st":"active","group":1,
            "paths":[{"dev":"sdb","dev_t":"8:16","dm_st":"active","dev_st":"running","chk_st":"ready"},
                     {"dev":"sdc","dev_t":"8:32","dm_st":"failed","dev_st":"running","chk_st":"faulty"}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(r.maps[0].path_groups[0].paths[1].chk_st, "faulty");
        assert!(parse("not json").is_err());
        assert!(parse("{\"maps\":[{}]}").is_err(), "a map needs a name");
        assert_eq!(parse("{}\0").unwrap().maps, []);
    }
}
