//! The systemd `.link` file that pins a renamed NIC's name to its MAC
//! address, so udev gives it the new name at every boot (before any network
//! backend looks at it). Works on every systemd-based node, CentOS 7
//! included, whatever backend persists the addresses.

use std::path::{Path, PathBuf};

use super::files::{self, read_optional};
use super::{under, BackendError, NicId, Undo};

/// Where .link files live.
pub const LINK_DIR: &str = "/etc/systemd/network";

/// File name prefix of the files we own. `10-` sorts before distribution
/// defaults (`99-default.link`), and udev applies the first match.
pub const PREFIX: &str = "10-nodeconsole-";

/// The .link file content for `mac` → `name`.
pub fn render(mac: &str, name: &str) -> String {
    format!(
        "# Written by nodeconsole (Rename NIC): keeps this NIC's name across reboots.\n\
         [Match]\nMACAddress={mac}\n\n[Link]\nName={name}\n"
    )
}

/// Path of our .link file for `name` below `root`.
pub fn path_for(root: &Path, name: &str) -> PathBuf {
    under(root, LINK_DIR).join(format!("{PREFIX}{name}.link"))
}

/// Writes the .link file for the NIC's new name and removes our older .link
/// files for the same MAC (an earlier rename), keeping backups.
pub fn persist(root: &Path, nic: &NicId, new_name: &str) -> Result<Undo, BackendError> {
    let mac = nic
        .mac
        .as_deref()
        .ok_or_else(|| BackendError::NoMac(nic.name.clone()))?;
    let mut undo = Undo::default();
    let dir = under(root, LINK_DIR);
    let target = path_for(root, new_name);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut stale: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.starts_with(PREFIX) && n.ends_with(".link")
                })
            })
            .filter(|p| *p != target)
            .collect();
        stale.sort();
        for p in stale {
            let matches = read_optional(&p)?.is_some_and(|c| {
                c.lines().any(|l| {
                    l.trim()
                        .strip_prefix("MACAddress=")
                        .is_some_and(|m| m.trim().eq_ignore_ascii_case(mac))
                })
            });
            if matches {
                undo.file(files::remove_file(&p)?);
            }
        }
    }
    match files::write_file(&target, &render(mac, new_name)) {
        Ok(u) => undo.file(u),
        Err(e) => {
            let _ = undo.undo_files();
            return Err(e);
        }
    }
    Ok(undo)
}
