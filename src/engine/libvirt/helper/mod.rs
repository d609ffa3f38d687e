//! The `nodeconsole-virt` helper process, which makes the console's
//! libvirt calls.
//!
//! Why a process: libvirt's C library drags in gnutls, libxml2, glib, ICU,
//! libcrypto, Kerberos and more; mapped into the console they were about
//! 15 MiB of its 26 MiB resident size, and the console's target is 20 MB.
//! Out of process, the console stays small, a libvirt call that hangs for
//! good is ended by killing the helper (a thread stuck inside libvirt
//! cannot be), and a crash inside libvirt costs a helper restart, not the
//! console. The price is one pipe round trip and a JSON encoding per
//! call (see README "Performance").
//!
//! [`protocol`] is the wire format, [`client`] the console's side,
//! [`server`] the helper's.

pub mod client;
pub mod protocol;
pub mod server;

use std::path::{Path, PathBuf};

pub use client::{HelperCommand, HelperNode};

/// The helper's file name.
pub const HELPER_NAME: &str = "nodeconsole-virt";

/// Where installs put the helper (`make install`, the packages).
pub const LIBEXEC_HELPER: &str = "/usr/libexec/nodeconsole/nodeconsole-virt";

/// The helper to run: `configured` (`libvirt.helper`) if set; else the
/// one beside the console's own executable `exe` (a cargo build); else
/// `../libexec/nodeconsole/` from the executable's directory (an install
/// under any prefix); else [`LIBEXEC_HELPER`], which the error then names
/// if it is missing too.
pub fn locate(configured: Option<&Path>, exe: Option<&Path>) -> PathBuf {
    if let Some(path) = configured {
        return path.to_owned();
    }
    if let Some(bin_dir) = exe.and_then(Path::parent) {
        let beside = bin_dir.join(HELPER_NAME);
        if beside.is_file() {
            return beside;
        }
        if let Some(prefix) = bin_dir.parent() {
            let libexec = prefix.join("libexec/nodeconsole").join(HELPER_NAME);
            if libexec.is_file() {
                return libexec;
            }
        }
    }
    PathBuf::from(LIBEXEC_HELPER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_path_wins() {
        let p = locate(
            Some(Path::new("/opt/x/helper")),
            Some(Path::new("/usr/bin/nodeconsole")),
        );
        assert_eq!(p, PathBuf::from("/opt/x/helper"));
    }

    #[test]
    fn beside_the_executable_then_libexec_then_the_default() {
        let root = tempfile::tempdir().unwrap();
        let bin = root.path().join("bin");
        let libexec = root.path().join("libexec/nodeconsole");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&libexec).unwrap();
        let exe = bin.join("nodeconsole");

        assert_eq!(locate(None, Some(&exe)), PathBuf::from(LIBEXEC_HELPER));
        assert_eq!(locate(None, None), PathBuf::from(LIBEXEC_HELPER));

        std::fs::write(libexec.join(HELPER_NAME), "").unwrap();
        assert_eq!(locate(None, Some(&exe)), libexec.join(HELPER_NAME));

        std::fs::write(bin.join(HELPER_NAME), "").unwrap();
        assert_eq!(locate(None, Some(&exe)), bin.join(HELPER_NAME));
    }
}
