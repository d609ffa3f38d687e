//! The demo's own PAM set-up: pam_wrapper with a pam_matrix passdb, so
//! `--demo` has a working root password gate (root password `demo`) without
//! touching the machine's real accounts.
//!
//! pam_wrapper works by `LD_PRELOAD`, which only takes effect when a process
//! is executed; so the demo writes its service dir, then re-executes itself
//! with the variables set ([`setup_or_reexec`]). A marker variable stops the
//! re-executed process from doing it again. An explicit `--pam-service`
//! overrides all of this (the caller then does not call us), so a test can
//! bring its own pam_wrapper service and passdb.

use std::ffi::OsString;
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The PAM service name of the demo.
pub const DEMO_SERVICE: &str = "nodeconsole-demo";
/// The demo's root password, printed by `--demo`; it exists only in the
/// demo's passdb, never in the system.
pub const DEMO_ROOT_PASSWORD: &str = "demo";
/// Set in the re-executed process so it does not re-execute again.
pub const REEXEC_MARKER: &str = "NODECONSOLE_DEMO_PAM_DIR";

/// Directories that may hold shared libraries, multiarch ones first.
pub fn lib_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for base in ["/usr/lib", "/lib"] {
        if let Ok(rd) = std::fs::read_dir(base) {
            let mut multi: Vec<PathBuf> = rd
                .filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    n.contains("-linux-gnu") || n.contains("-linux-musl")
                })
                .map(|e| e.path())
                .collect();
            multi.sort();
            dirs.extend(multi);
        }
    }
    for d in ["/usr/lib64", "/lib64", "/usr/lib", "/lib", "/usr/local/lib"] {
        dirs.push(PathBuf::from(d));
    }
    dirs
}

fn first_existing(candidates: impl IntoIterator<Item = PathBuf>) -> Option<PathBuf> {
    candidates.into_iter().find(|p| p.is_file())
}

/// Where `libpam_wrapper.so` is installed (Debian: package `libpam-wrapper`).
pub fn libpam_wrapper_path() -> Option<PathBuf> {
    first_existing(
        lib_dirs()
            .into_iter()
            .flat_map(|d| [d.join("libpam_wrapper.so"), d.join("libpam_wrapper.so.0")]),
    )
}

/// Where pam_wrapper's `pam_matrix.so` test module is installed.
pub fn pam_matrix_path() -> Option<PathBuf> {
    first_existing(
        lib_dirs()
            .into_iter()
            .map(|d| d.join("pam_wrapper").join("pam_matrix.so")),
    )
}

/// The text of a pam_wrapper service file that authenticates, checks the
/// account and changes passwords with pam_matrix against `passdb`.
pub fn matrix_service_text(pam_matrix: &Path, passdb: &Path) -> String {
    let m = pam_matrix.display();
    let p = passdb.display();
    format!(
        "auth required {m} passdb={p}\n\
         account required {m} passdb={p}\n\
         password required {m} passdb={p}\n"
    )
}

/// A prepared pam_wrapper environment.
#[derive(Debug, Clone)]
pub struct DemoPamEnv {
    /// The directory holding `pam.d/` and `passdb`.
    pub dir: PathBuf,
    /// The PAM service to use in the re-executed process.
    pub service: String,
    vars: Vec<(OsString, OsString)>,
}

impl DemoPamEnv {
    /// The environment variables that activate pam_wrapper.
    pub fn vars(&self) -> &[(OsString, OsString)] {
        &self.vars
    }

    /// pam_wrapper's service directory (`PAM_WRAPPER_SERVICE_DIR`).
    pub fn service_dir(&self) -> PathBuf {
        self.dir.join("pam.d")
    }

    /// The pam_matrix password database.
    pub fn passdb(&self) -> PathBuf {
        self.dir.join("passdb")
    }
}

fn not_found(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{what} not found: install the Debian package libpam-wrapper"),
    )
}

fn write_private(path: &Path, text: &str) -> io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Writes the demo's pam_wrapper service dir under `dir` (created 0700 if
/// missing): `pam.d/nodeconsole-demo` using pam_matrix, and `passdb` with
/// `root:demo:nodeconsole-demo` (rewritten each time, so every demo starts
/// with the published password). Fails with `NotFound` when pam_wrapper is
/// not installed, and with `InvalidInput` when `dir` contains whitespace
/// (PAM configuration lines cannot quote it).
pub fn prepare(dir: &Path) -> io::Result<DemoPamEnv> {
    let lib = libpam_wrapper_path().ok_or_else(|| not_found("libpam_wrapper.so"))?;
    let matrix = pam_matrix_path().ok_or_else(|| not_found("pam_wrapper/pam_matrix.so"))?;
    let dir = std::path::absolute(dir)?;
    if dir.to_string_lossy().chars().any(char::is_whitespace) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("demo PAM dir {} contains whitespace", dir.display()),
        ));
    }
    std::fs::create_dir_all(dir.join("pam.d"))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    let passdb = dir.join("passdb");
    write_private(
        &passdb,
        &format!("root:{DEMO_ROOT_PASSWORD}:{DEMO_SERVICE}\n"),
    )?;
    write_private(
        &dir.join("pam.d").join(DEMO_SERVICE),
        &matrix_service_text(&matrix, &passdb),
    )?;
    let mut preload = lib.into_os_string();
    if let Some(old) = std::env::var_os("LD_PRELOAD").filter(|v| !v.is_empty()) {
        preload.push(":");
        preload.push(old);
    }
    let vars = vec![
        (OsString::from("LD_PRELOAD"), preload),
        (OsString::from("PAM_WRAPPER"), OsString::from("1")),
        (
            OsString::from("PAM_WRAPPER_SERVICE_DIR"),
            dir.join("pam.d").into_os_string(),
        ),
        (OsString::from(REEXEC_MARKER), dir.clone().into_os_string()),
    ];
    Ok(DemoPamEnv {
        dir,
        service: DEMO_SERVICE.to_string(),
        vars,
    })
}

/// True in the process that [`reexec_with`] started.
pub fn is_reexeced() -> bool {
    std::env::var_os(REEXEC_MARKER).is_some()
        && std::env::var_os("PAM_WRAPPER").is_some_and(|v| v == "1")
}

/// Re-executes the current binary (same arguments) with `env`'s variables
/// added. Returns only if the exec failed, with the reason.
pub fn reexec_with(env: &DemoPamEnv) -> io::Error {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return e,
    };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mut cmd = std::process::Command::new(exe);
    cmd.args(args);
    for (k, v) in env.vars() {
        cmd.env(k, v);
    }
    cmd.exec()
}

/// Outcome of [`setup_or_reexec`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoPam {
    /// pam_wrapper is active in this process: use this PAM service.
    Ready { service: String },
    /// The demo cannot have its own PAM; the text says why and what to do.
    Unavailable(String),
}

/// For `--demo` without `--pam-service`, called first thing in `main`
/// (before threads and the terminal are set up): in the re-executed process
/// it returns `Ready`; otherwise it prepares `dir` and re-executes the
/// binary (not returning), or returns `Unavailable` when pam_wrapper is
/// missing or the exec failed.
pub fn setup_or_reexec(dir: &Path) -> DemoPam {
    if is_reexeced() {
        return DemoPam::Ready {
            service: DEMO_SERVICE.to_string(),
        };
    }
    match prepare(dir) {
        Ok(env) => {
            let e = reexec_with(&env);
            DemoPam::Unavailable(format!("cannot re-execute with pam_wrapper: {e}"))
        }
        Err(e) => DemoPam::Unavailable(format!("demo PAM set-up failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_text_names_module_and_passdb() {
        let t = matrix_service_text(Path::new("/x/pam_matrix.so"), Path::new("/d/passdb"));
        assert_eq!(t.lines().count(), 3);
        for (line, kind) in t.lines().zip(["auth", "account", "password"]) {
            assert_eq!(
                line,
                format!("{kind} required /x/pam_matrix.so passdb=/d/passdb")
            );
        }
    }

    #[test]
    fn lib_dirs_include_generic_ones() {
        let d = lib_dirs();
        assert!(d.contains(&PathBuf::from("/usr/lib")));
    }

    #[test]
    fn prepare_writes_service_and_passdb() {
        if libpam_wrapper_path().is_none() {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("libpam_wrapper.so not found: install libpam-wrapper");
            }
            eprintln!("SKIPPED: libpam_wrapper.so not installed (apt-get install libpam-wrapper)");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let env = prepare(&tmp.path().join("demo")).unwrap();
        assert_eq!(env.service, DEMO_SERVICE);
        let passdb = std::fs::read_to_string(env.passdb()).unwrap();
        assert_eq!(passdb, "root:demo:nodeconsole-demo\n");
        let svc = std::fs::read_to_string(env.service_dir().join(DEMO_SERVICE)).unwrap();
        assert!(svc.contains("pam_matrix.so passdb="), "{svc}");
        let names: Vec<_> = env
            .vars()
            .iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        for want in [
            "LD_PRELOAD",
            "PAM_WRAPPER",
            "PAM_WRAPPER_SERVICE_DIR",
            REEXEC_MARKER,
        ] {
            assert!(names.iter().any(|n| n == want), "{want} missing");
        }
        let bad = prepare(&tmp.path().join("has space"));
        assert_eq!(bad.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
}
