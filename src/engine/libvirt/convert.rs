//! Pure translations from libvirt's vocabulary to the console's: domain
//! states, packed version numbers, error texts and archive-safe names.
//! Kept apart from the connection code so they are unit-tested without
//! libvirt.

use virt::domain::{DomainState, DomainStateEnum};
use virt::enumutil::Enum;

use crate::engine::VmState;

/// Maps a libvirt domain state to the VM table's state.
///
/// `blocked` is a running domain waiting on I/O, and `pmsuspended` is a
/// guest-initiated sleep: to the operator they are running and paused.
pub fn vm_state(state: DomainStateEnum) -> VmState {
    match state {
        Enum::Known(DomainState::Running | DomainState::Blocked) => VmState::Running,
        Enum::Known(DomainState::Paused | DomainState::PMSuspended) => VmState::Paused,
        Enum::Known(DomainState::Shutoff) => VmState::Stopped,
        Enum::Known(DomainState::Shutdown) => VmState::Stopping,
        Enum::Known(DomainState::Crashed) => VmState::Crashed,
        Enum::Known(DomainState::NoState) | Enum::Unknown(_) => VmState::Unknown,
    }
}

/// Formats libvirt's packed version number (`major * 1_000_000 +
/// minor * 1_000 + release`) as `major.minor.release`.
pub fn format_version(packed: u64) -> String {
    format!(
        "{}.{}.{}",
        packed / 1_000_000,
        (packed / 1_000) % 1_000,
        packed % 1_000
    )
}

/// libvirt's own message, without the `[code=.. domain=..]` suffix that
/// the `virt` crate's `Display` adds: the operator reads this text.
pub fn error_text(err: &virt::error::Error) -> String {
    let msg = err.message().trim();
    if msg.is_empty() {
        "libvirt gave no reason".to_owned()
    } else {
        msg.to_owned()
    }
}

/// A name made safe to be one path component inside an archive or a file
/// name: anything outside `[A-Za-z0-9._+@:-]` becomes `_`, a leading dot
/// becomes `_` (no hidden files, no `..`), and an empty name becomes `_`.
///
/// libvirt already forbids `/` in domain names, but networks, pools and
/// the host name come from other parsers, and the archive must never
/// hold a path that escapes its directory.
pub fn safe_component(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '@' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_as_the_operator_reads_them() {
        let cases = [
            (DomainState::Running, VmState::Running),
            (DomainState::Blocked, VmState::Running),
            (DomainState::Paused, VmState::Paused),
            (DomainState::PMSuspended, VmState::Paused),
            (DomainState::Shutoff, VmState::Stopped),
            (DomainState::Shutdown, VmState::Stopping),
            (DomainState::Crashed, VmState::Crashed),
            (DomainState::NoState, VmState::Unknown),
        ];
        for (libvirt, ours) in cases {
            assert_eq!(vm_state(Enum::Known(libvirt)), ours, "{libvirt:?}");
        }
        assert_eq!(vm_state(Enum::Unknown(99)), VmState::Unknown);
    }

    #[test]
    fn versions_unpack() {
        assert_eq!(format_version(9_000_000), "9.0.0");
        assert_eq!(format_version(7_002_000), "7.2.0");
        assert_eq!(format_version(10_010_003), "10.10.3");
        assert_eq!(format_version(2), "0.0.2");
    }

    #[test]
    fn components_cannot_escape_or_hide() {
        assert_eq!(safe_component("web-01"), "web-01");
        assert_eq!(safe_component("a/b"), "a_b");
        assert_eq!(safe_component(".."), "_.");
        assert_eq!(safe_component(".hidden"), "_hidden");
        assert_eq!(safe_component(""), "_");
        assert_eq!(safe_component("host name\n"), "host_name_");
        assert_eq!(safe_component("node.example.com"), "node.example.com");
    }
}
