//! udev's database record of a block device (`/run/udev/data/b<maj>:<min>`),
//! read as a file: `E:KEY=value` lines are the properties (`ID_WWN`,
//! `ID_PATH`, `ID_FS_TYPE`, ...), `S:` lines the `/dev` links. Reading the
//! record instead of running `udevadm info` keeps the collector free of
//! child processes and of udevd's socket.

use std::collections::BTreeMap;
use std::path::Path;

/// The properties and links of one record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UdevRecord {
    pub props: BTreeMap<String, String>,
    /// Links below `/dev`, e.g. `disk/by-path/ip-…-lun-0`.
    pub links: Vec<String>,
}

impl UdevRecord {
    /// A property, when present and not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.props
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// Parses a record; unknown or malformed lines are skipped (the format
/// belongs to systemd and grows new line types).
pub fn parse(text: &str) -> UdevRecord {
    let mut rec = UdevRecord::default();
    for line in text.lines() {
        if let Some(kv) = line.strip_prefix("E:") {
            if let Some((k, v)) = kv.split_once('=') {
                if !k.is_empty() {
                    rec.props.insert(k.to_string(), v.to_string());
                }
            }
        } else if let Some(l) = line.strip_prefix("S:") {
            if !l.is_empty() {
                rec.links.push(l.to_string());
            }
        }
    }
    rec
}

/// The record of block device `devno` (`8:16`): `Ok(None)` when udev has
/// none (not started yet, a container), `Err` when it cannot be read.
pub fn read(udev_root: &Path, devno: &str) -> Result<Option<UdevRecord>, String> {
    let p = udev_root.join(format!("data/b{devno}"));
    match std::fs::read(&p) {
        Ok(bytes) => Ok(Some(parse(&String::from_utf8_lossy(&bytes)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", p.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_properties_and_links() {
        let r = parse(
            "S:disk/by-id/scsi-36001405ce1\nS:disk/by-path/ip-192.0.2.10:3260-iscsi-iqn.x-lun-0\n\
             W:12\nI:123456\nE:ID_WWN=0x6001405ce1\nE:ID_FS_TYPE=LVM2_member\nE:EMPTY=\n\
             E:=novalue\nE:noequals\nG:systemd\nQ:systemd\nV:1\n",
        );
        assert_eq!(r.get("ID_WWN"), Some("0x6001405ce1"));
        assert_eq!(r.get("ID_FS_TYPE"), Some("LVM2_member"));
        assert_eq!(r.get("EMPTY"), None);
        assert_eq!(r.props.len(), 3);
        assert_eq!(r.links.len(), 2);
        assert!(r.links[1].starts_with("disk/by-path/ip-"));
    }

    #[test]
    fn value_may_hold_equals_signs() {
        let r = parse("E:ID_PATH=pci-0000:00:1f.2-ata-1=x\n");
        assert_eq!(r.get("ID_PATH"), Some("pci-0000:00:1f.2-ata-1=x"));
    }

    #[test]
    fn garbage_is_empty_not_a_panic() {
        for s in [
            "",
            "\n\n",
            "E:",
            "S:",
            "E=",
            "\u{0}\u{ffff}E:a=b",
            "E:a=b\r\n",
        ] {
            let _ = parse(s);
        }
        // `lines()` drops the \n and the \r before it.
        assert_eq!(parse("E:a=b\r\n").get("a"), Some("b"));
    }
}
