//! iSCSI sessions from the kernel's iscsi transport class in sysfs (what
//! `iscsiadm -m session` prints), so no iscsiadm call can hang the panel.

use std::path::{Path, PathBuf};

use super::{Collector, IscsiSession};

/// Reads `<sysfs_root>/class/iscsi_session` and `.../iscsi_connection`.
pub struct IscsiCollector {
    sysfs_root: PathBuf,
}

impl IscsiCollector {
    /// `sysfs_root` is `/sys` on a real node, a fixture tree in tests.
    pub fn new(sysfs_root: PathBuf) -> Self {
        Self { sysfs_root }
    }
}

impl Collector for IscsiCollector {
    type Output = Vec<IscsiSession>;

    fn name(&self) -> &'static str {
        "iscsi"
    }

    fn collect(&mut self) -> Result<Vec<IscsiSession>, String> {
        list_sessions(&self.sysfs_root)
    }
}

fn read_trim(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Sessions sorted by session id. No iscsi class (module not loaded, no
/// initiator) means no sessions, not an error.
pub fn list_sessions(sysfs_root: &Path) -> Result<Vec<IscsiSession>, String> {
    let class = sysfs_root.join("class/iscsi_session");
    let rd = match std::fs::read_dir(&class) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot list {}: {e}", class.display())),
    };
    let conn_dir = sysfs_root.join("class/iscsi_connection");
    let connections: Vec<String> = std::fs::read_dir(&conn_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut out: Vec<(u64, IscsiSession)> = Vec::new();
    for entry in rd.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(sid) = name.strip_prefix("session") else {
            continue;
        };
        let Ok(num) = sid.parse::<u64>() else {
            continue;
        };
        let dir = class.join(&name);
        let prefix = format!("connection{sid}:");
        let mut conns: Vec<&String> = connections
            .iter()
            .filter(|c| c.starts_with(&prefix))
            .collect();
        conns.sort();
        let portal = conns
            .first()
            .and_then(|c| portal_of(&conn_dir.join(c)))
            .unwrap_or_default();
        out.push((
            num,
            IscsiSession {
                id: sid.to_string(),
                target: read_trim(&dir.join("targetname")).unwrap_or_default(),
                portal,
                state: read_trim(&dir.join("state")).unwrap_or_else(|| "unknown".into()),
            },
        ));
    }
    out.sort_by_key(|(n, _)| *n);
    Ok(out.into_iter().map(|(_, s)| s).collect())
}

/// `address:port` (`[v6]:port`) of a connection, preferring the persistent
/// portal (the one the login used) over the current one.
fn portal_of(conn: &Path) -> Option<String> {
    let addr =
        read_trim(&conn.join("persistent_address")).or_else(|| read_trim(&conn.join("address")))?;
    let port = read_trim(&conn.join("persistent_port"))
        .or_else(|| read_trim(&conn.join("port")))
        .unwrap_or_else(|| "3260".into());
    Some(if addr.contains(':') {
        format!("[{addr}]:{port}")
    } else {
        format!("{addr}:{port}")
    })
}
