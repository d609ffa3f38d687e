//! The mount table (`/proc/self/mountinfo`): which `major:minor` is mounted
//! where, so a LUN whose partition is mounted shows as in use.

use std::collections::BTreeMap;
use std::path::Path;

/// `major:minor` -> mount points, in table order.
pub type Mounts = BTreeMap<String, Vec<String>>;

/// Parses mountinfo lines (`36 35 98:0 /root /mnt/point opts - fstype src
/// …`); lines without the fields are skipped. Mount points are unescaped
/// (`\040` is a space).
pub fn parse(text: &str) -> Mounts {
    let mut out = Mounts::new();
    for line in text.lines() {
        let mut f = line.split(' ');
        let (Some(_id), Some(_parent), Some(devno), Some(_root), Some(at)) =
            (f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let Some((maj, min)) = devno.split_once(':') else {
            continue;
        };
        if maj.parse::<u32>().is_err() || min.parse::<u32>().is_err() {
            continue;
        }
        out.entry(devno.to_string()).or_default().push(unescape(at));
    }
    out
}

/// Undoes the kernel's octal escapes of space, tab, newline and backslash.
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads and parses the table at `path`.
pub fn read(path: &Path) -> Result<Mounts, String> {
    std::fs::read(path)
        .map(|b| parse(&String::from_utf8_lossy(&b)))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_by_devno() {
        let m = parse(
            "22 1 8:17 / /data rw,relatime shared:1 - xfs /dev/sdb1 rw\n\
             23 1 8:17 /sub /srv/my\\040share rw - xfs /dev/sdb1 rw\n\
             24 1 0:22 / /proc rw - proc proc rw\n\
             garbage\n25 1 x:y / /bad rw - a b c\n",
        );
        assert_eq!(m["8:17"], ["/data", "/srv/my share"]);
        assert_eq!(m["0:22"], ["/proc"]);
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape("a\\040b\\011c\\134"), "a b\tc\\");
        assert_eq!(unescape("\\04"), "\\04");
        assert_eq!(unescape("\\777x"), "\\777x");
        assert_eq!(unescape("\\"), "\\");
    }
}
