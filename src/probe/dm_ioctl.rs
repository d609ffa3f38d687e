//! Reads a device-mapper map's table and status lines with the
//! `DM_TABLE_STATUS` ioctl on `/dev/mapper/control` (what `dmsetup table`
//! and `dmsetup status` do, without running them). Needs CAP_SYS_ADMIN
//! (the console runs as root); the build machine's kernel has no
//! device-mapper, so here every call ends in "cannot open", which the
//! MULTIPATH table shows as the reason the policy is not known.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::Path;

/// `struct dm_ioctl` is 312 bytes; `struct dm_target_spec` 40.
const DM_IOCTL_SIZE: usize = 312;
const SPEC_SIZE: usize = 40;
const DM_TABLE_STATUS: libc::c_ulong = nix::request_code_readwrite!(0xfd, 12, DM_IOCTL_SIZE);
/// `DM_STATUS_TABLE_FLAG`: the table instead of the status.
const TABLE_FLAG: u32 = 1 << 4;
const BUFFER_FULL_FLAG: u32 = 1 << 8;
const BUF: usize = 16 * 1024;

/// The open control device.
pub struct DmControl(File);

impl DmControl {
    pub fn open(dev_root: &Path) -> Result<DmControl, String> {
        let p = dev_root.join("mapper/control");
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&p)
            .map(DmControl)
            .map_err(|e| format!("cannot open {}: {e}", p.display()))
    }

    /// The parameters of the first target of map `name` whose type is
    /// `target` (`multipath`): its table line when `table`, else its status.
    pub fn params(&self, name: &str, target: &str, table: bool) -> Result<String, String> {
        if name.is_empty() || name.len() >= 128 || name.contains('\0') {
            return Err(format!("bad map name {name:?}"));
        }
        let mut buf = vec![0u8; BUF];
        put_u32(&mut buf, 0, 4); // version 4.0.0
        put_u32(&mut buf, 12, BUF as u32); // data_size
        put_u32(&mut buf, 16, DM_IOCTL_SIZE as u32); // data_start
        put_u32(&mut buf, 28, if table { TABLE_FLAG } else { 0 }); // flags
        buf[48..48 + name.len()].copy_from_slice(name.as_bytes()); // name
                                                                   // SAFETY: `buf` is a writable dm_ioctl header followed by its data
                                                                   // area, `data_size` says how large, and it outlives the call.
        let rc = unsafe { libc::ioctl(self.0.as_raw_fd(), DM_TABLE_STATUS as _, buf.as_mut_ptr()) };
        if rc < 0 {
            return Err(format!(
                "DM_TABLE_STATUS {name}: {}",
                std::io::Error::last_os_error()
            ));
        }
        if get_u32(&buf, 28) & BUFFER_FULL_FLAG != 0 {
            return Err(format!(
                "DM_TABLE_STATUS {name}: reply larger than {BUF} bytes"
            ));
        }
        find_target(&buf, target)
    }
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

fn get_u32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_ne_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(0)
}

/// Walks the target specs of a reply (pure, bounds-checked: a reply is
/// the kernel's, but a bad offset must not read past the buffer).
pub fn find_target(buf: &[u8], target: &str) -> Result<String, String> {
    let data_start = get_u32(buf, 16) as usize;
    let count = get_u32(buf, 20);
    let data = buf.get(data_start..).ok_or("bad data_start")?;
    let mut at = 0usize;
    for _ in 0..count.min(1024) {
        let spec = data
            .get(at..at + SPEC_SIZE)
            .ok_or("target spec out of range")?;
        let next = get_u32(spec, 20) as usize;
        let ttype = cstr(&spec[24..40]);
        let params = cstr(data.get(at + SPEC_SIZE..).unwrap_or_default());
        if ttype == target {
            return Ok(params);
        }
        if next <= at {
            break;
        }
        at = next;
    }
    Err(format!("no {target} target"))
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(targets: &[(&str, &str)]) -> Vec<u8> {
        let mut b = vec![0u8; DM_IOCTL_SIZE];
        put_u32(&mut b, 16, DM_IOCTL_SIZE as u32);
        put_u32(&mut b, 20, targets.len() as u32);
        let mut data = Vec::new();
        for (t, p) in targets {
            let start = data.len();
            let mut spec = vec![0u8; SPEC_SIZE];
            spec[24..24 + t.len()].copy_from_slice(t.as_bytes());
            data.extend_from_slice(&spec);
            data.extend_from_slice(p.as_bytes());
            data.push(0);
            while data.len() % 8 != 0 {
                data.push(0);
            }
            let next = data.len() as u32;
            data[start + 20..start + 24].copy_from_slice(&next.to_ne_bytes());
        }
        b.extend_from_slice(&data);
        b
    }

    #[test]
    fn finds_the_target_params() {
        let b = reply(&[("linear", "8:0 0"), ("multipath", "2 0 0 0 1 1 A 0 0 0")]);
        assert_eq!(find_target(&b, "multipath").unwrap(), "2 0 0 0 1 1 A 0 0 0");
        assert!(find_target(&b, "crypt").is_err());
    }

    #[test]
    fn bad_replies_are_errors() {
        assert!(find_target(&[], "multipath").is_err());
        let mut b = reply(&[("multipath", "x")]);
        put_u32(&mut b, 16, 1 << 30);
        assert!(find_target(&b, "multipath").is_err());
        let mut b = reply(&[("linear", "x")]);
        put_u32(&mut b, 20, 50);
        assert!(find_target(&b, "multipath").is_err());
    }

    #[test]
    fn ioctl_number_is_dmsetups() {
        // _IOWR(0xfd, 12, struct dm_ioctl) as in <linux/dm-ioctl.h>.
        assert_eq!(DM_TABLE_STATUS, 0xc138_fd0c);
    }

    #[test]
    fn no_control_device_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let e = DmControl::open(dir.path()).err().unwrap();
        assert!(
            e.starts_with("cannot open") && e.contains("mapper/control"),
            "{e}"
        );
    }
}
