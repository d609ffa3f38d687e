//! Process-wide hardening done first thing in `main`: no core dumps, and
//! enough file descriptors that a busy export server cannot starve PAM, the
//! network rollback or child processes of them.
//!
//! Why core dumps off: the console's memory holds the root password while
//! PAM checks it, and database and message-bus passwords; a core file
//! (or `ptrace` by another process of the same user, which non-dumpable
//! also refuses) would copy them to disk. The units also set `LimitCORE=0`.
//!
//! Why the descriptor limit: systemd starts services with a soft limit of
//! 1024; the export server caps its connections far below the raised
//! limit (see `export::server`), so the rest stays for the console.

/// The soft `RLIMIT_NOFILE` the console asks for (the hard limit permitting).
pub const WANT_NOFILE: u64 = 65536;

/// What [`harden`] did, for the start-up log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hardened {
    /// Whether the process was made non-dumpable.
    pub non_dumpable: bool,
    /// Whether the core size limit is now 0.
    pub no_core: bool,
    /// The soft descriptor limit now in force.
    pub nofile: u64,
    /// Anything that failed, worded for the log.
    pub problems: Vec<String>,
}

/// Makes this process non-dumpable, sets its core size limit to 0 and
/// raises its soft descriptor limit to [`WANT_NOFILE`] (or the hard limit).
/// Never fails: each step that does not work is reported in `problems`.
pub fn harden() -> Hardened {
    let mut problems = Vec::new();
    // SAFETY: prctl(PR_SET_DUMPABLE, 0) takes plain integers.
    let non_dumpable = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } == 0;
    if !non_dumpable {
        problems.push(format!(
            "cannot make the process non-dumpable: {}",
            std::io::Error::last_os_error()
        ));
    }
    let no_core =
        match nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0) {
            Ok(()) => true,
            Err(e) => {
                problems.push(format!("cannot set the core size limit to 0: {e}"));
                false
            }
        };
    let nofile = match raise_nofile(WANT_NOFILE) {
        Ok(n) => n,
        Err(e) => {
            problems.push(format!("cannot raise the descriptor limit: {e}"));
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
                .map(|(soft, _)| soft)
                .unwrap_or(0)
        }
    };
    Hardened {
        non_dumpable,
        no_core,
        nofile,
        problems,
    }
}

/// Raises the soft `RLIMIT_NOFILE` to `want`, or to the hard limit when
/// that is lower; never lowers it. Returns the soft limit in force.
pub fn raise_nofile(want: u64) -> nix::Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    let target = want.min(hard);
    if target <= soft {
        return Ok(soft);
    }
    setrlimit(Resource::RLIMIT_NOFILE, target, hard)?;
    Ok(target)
}

/// Whether this process is dumpable (`PR_GET_DUMPABLE`), for tests.
pub fn is_dumpable() -> bool {
    // SAFETY: prctl(PR_GET_DUMPABLE) takes plain integers.
    unsafe { libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 }
}
