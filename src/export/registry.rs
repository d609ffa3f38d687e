//! The published exports, shared between the jobs that publish them and the
//! HTTP server that serves them, and persisted in a small JSON state file so
//! that a restarted console still lists and serves past exports.
//!
//! Each export gets an unguessable token (128 bits from the OS RNG): the URL
//! is the only credential, as with the vendor's console. After expiry the
//! file is deleted but the token is remembered for a while longer, so its
//! URL answers "410 Gone" (expired) rather than "404" (never existed).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::browse::TarIndex;
use super::ExportError;

/// How long an expired token is still answered with 410 before it is forgotten.
pub const GONE_GRACE: Duration = Duration::from_secs(7 * 24 * 3600);

/// One published file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// 32 lowercase hex digits (128 random bits); the URL path's first part.
    pub token: String,
    /// The file served, absolute.
    pub file: PathBuf,
    /// Its base name, as it appears in the download URL.
    pub file_name: String,
    /// Size in bytes when published.
    pub size: u64,
    /// Unix time in seconds.
    pub created_at: u64,
    /// Unix time in seconds after which the URL answers 410 Gone.
    pub expires_at: u64,
}

impl Export {
    /// Whether the export has expired at `now` (unix seconds).
    pub fn expired_at(&self, now: u64) -> bool {
        now >= self.expires_at
    }

    /// Whether the file is a tarball the online browser can open.
    pub fn browsable(&self) -> bool {
        self.file_name.ends_with(".tar.gz") || self.file_name.ends_with(".tgz")
    }
}

/// What a token refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Live(Export),
    Expired,
    Unknown,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    exports: Vec<Export>,
}

/// One export's tar index, `None` until built.
type IndexSlot = Arc<std::sync::Mutex<Option<Arc<TarIndex>>>>;

struct Inner {
    exports: HashMap<String, Export>,
    /// Tar indexes built on first browse, dropped with the export. Each is
    /// a slot of its own, locked while it is built: concurrent first
    /// requests wait for one build instead of each reading the tarball.
    indexes: HashMap<String, IndexSlot>,
}

/// The shared set of exports; clone freely (it is an `Arc`).
#[derive(Clone)]
pub struct ExportRegistry {
    inner: Arc<Mutex<Inner>>,
    state_file: Arc<PathBuf>,
    /// Serialises writers of the state file (jobs, the cleanup task).
    save_lock: Arc<Mutex<()>>,
}

impl std::fmt::Debug for ExportRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportRegistry")
            .field("state_file", &self.state_file)
            .finish_non_exhaustive()
    }
}

/// Unix seconds now.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// 128 random bits from the OS, as 32 lowercase hex digits.
pub fn new_token() -> Result<String, ExportError> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| {
        ExportError::io(
            "cannot get random bytes for the export token",
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Whether `s` has the shape of a token (so junk never reaches the map).
pub fn is_token(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl ExportRegistry {
    /// Loads the state file (missing = no exports), then applies expiry:
    /// files of expired exports are deleted, exports whose file vanished are
    /// dropped. A malformed file is an error, not silently emptied.
    pub fn load(state_file: &Path) -> Result<ExportRegistry, ExportError> {
        if let Ok(m) = std::fs::symlink_metadata(state_file) {
            // A state file an older version left world-readable.
            use std::os::unix::fs::PermissionsExt;
            if m.is_file() && m.permissions().mode() & 0o077 != 0 {
                let _ =
                    std::fs::set_permissions(state_file, std::fs::Permissions::from_mode(0o600));
            }
        }
        let state: StateFile = match std::fs::read(state_file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ExportError::State {
                path: state_file.to_owned(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateFile::default(),
            Err(e) => {
                return Err(ExportError::State {
                    path: state_file.to_owned(),
                    message: e.to_string(),
                })
            }
        };
        let exports = state
            .exports
            .into_iter()
            .filter(|e| is_token(&e.token))
            .map(|e| (e.token.clone(), e))
            .collect();
        let reg = ExportRegistry {
            inner: Arc::new(Mutex::new(Inner {
                exports,
                indexes: HashMap::new(),
            })),
            state_file: Arc::new(state_file.to_owned()),
            save_lock: Arc::new(Mutex::new(())),
        };
        reg.cleanup()?;
        Ok(reg)
    }

    /// The state file this registry persists to.
    pub fn state_file(&self) -> &Path {
        &self.state_file
    }

    /// Publishes `file` for `ttl` under a fresh token and saves the state.
    pub fn publish(&self, file: &Path, ttl: Duration) -> Result<Export, ExportError> {
        let file = std::path::absolute(file)
            .map_err(|e| ExportError::io(format!("{}", file.display()), e))?;
        let meta = std::fs::symlink_metadata(&file)
            .map_err(|e| ExportError::io(format!("cannot publish {}", file.display()), e))?;
        if !meta.is_file() {
            return Err(ExportError::io(
                format!("cannot publish {}", file.display()),
                std::io::Error::other("not a regular file"),
            ));
        }
        let file_name = file
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                ExportError::Config(format!("{}: file name is not UTF-8", file.display()))
            })?
            .to_string();
        // Whoever wrote it (a collection, mysqldump, the libvirt helper):
        // only the owner may read an export.
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| ExportError::io(format!("cannot publish {}", file.display()), e))?;
        }
        let now = now_unix();
        let export = Export {
            token: new_token()?,
            file,
            file_name,
            size: meta.len(),
            created_at: now,
            expires_at: now.saturating_add(ttl.as_secs()),
        };
        {
            let mut g = self.lock();
            g.exports.insert(export.token.clone(), export.clone());
        }
        self.save()?;
        tracing::info!(file = %export.file.display(), expires_at = export.expires_at, "export published");
        Ok(export)
    }

    /// Live exports, newest first.
    pub fn list(&self) -> Vec<Export> {
        let now = now_unix();
        let mut v: Vec<Export> = self
            .lock()
            .exports
            .values()
            .filter(|e| !e.expired_at(now))
            .cloned()
            .collect();
        v.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.token.cmp(&b.token)));
        v
    }

    /// What `token` refers to now.
    pub fn lookup(&self, token: &str) -> Lookup {
        if !is_token(token) {
            return Lookup::Unknown;
        }
        match self.lock().exports.get(token) {
            Some(e) if e.expired_at(now_unix()) => Lookup::Expired,
            Some(e) => Lookup::Live(e.clone()),
            None => Lookup::Unknown,
        }
    }

    /// Withdraws an export now (its URL answers 410 from then on) and deletes its file.
    pub fn revoke(&self, token: &str) -> Result<bool, ExportError> {
        let found = {
            let mut g = self.lock();
            g.indexes.remove(token);
            match g.exports.get_mut(token) {
                Some(e) => {
                    e.expires_at = now_unix().min(e.expires_at);
                    true
                }
                None => false,
            }
        };
        if found {
            self.cleanup()?;
        }
        Ok(found)
    }

    /// Expiry: deletes the files of expired exports, forgets tokens expired
    /// longer than [`GONE_GRACE`] and exports whose file vanished; saves if
    /// anything changed. Returns how many files were deleted.
    pub fn cleanup(&self) -> Result<usize, ExportError> {
        let now = now_unix();
        let mut deleted = 0;
        let mut changed = false;
        {
            let mut g = self.lock();
            let mut forget = Vec::new();
            for e in g.exports.values() {
                if e.expired_at(now) {
                    if e.file.exists() {
                        match std::fs::remove_file(&e.file) {
                            Ok(()) => deleted += 1,
                            Err(err) => {
                                tracing::warn!(file = %e.file.display(), "cannot delete expired export: {err}")
                            }
                        }
                    }
                    if now >= e.expires_at.saturating_add(GONE_GRACE.as_secs()) {
                        forget.push(e.token.clone());
                    }
                } else if !e.file.is_file() {
                    forget.push(e.token.clone());
                }
            }
            for t in forget {
                g.exports.remove(&t);
                g.indexes.remove(&t);
                changed = true;
            }
            let expired: Vec<String> = g
                .indexes
                .keys()
                .filter(|t| !matches!(g.exports.get(*t), Some(e) if !e.expired_at(now)))
                .cloned()
                .collect();
            for t in expired {
                g.indexes.remove(&t);
            }
        }
        if changed || deleted > 0 {
            self.save()?;
        }
        Ok(deleted)
    }

    /// The cached tar index of an export, built by `build` on first use
    /// (once, however many requests ask at the same time).
    pub fn tar_index(
        &self,
        export: &Export,
        build: impl FnOnce(&Path) -> Result<TarIndex, std::io::Error>,
    ) -> Result<Arc<TarIndex>, std::io::Error> {
        let slot = self
            .lock()
            .indexes
            .entry(export.token.clone())
            .or_default()
            .clone();
        let mut built = crate::sync::lock(&slot);
        if let Some(i) = built.as_ref() {
            return Ok(i.clone());
        }
        let idx = Arc::new(build(&export.file)?);
        *built = Some(idx.clone());
        Ok(idx)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        crate::sync::lock(&self.inner)
    }

    /// Writes the state atomically: temp file, fsync, rename, keeping the
    /// previous state as `<file>.bak`.
    fn save(&self) -> Result<(), ExportError> {
        let _one_writer = crate::sync::lock(&self.save_lock);
        let mut exports: Vec<Export> = self.lock().exports.values().cloned().collect();
        exports.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.token.cmp(&b.token)));
        let state = StateFile {
            version: 1,
            exports,
        };
        let path = self.state_file.as_path();
        let err = |what: &str, e: std::io::Error| ExportError::State {
            path: path.to_owned(),
            message: format!("{what}: {e}"),
        };
        let json = serde_json::to_vec_pretty(&state)
            .map_err(|e| err("cannot encode", std::io::Error::other(e.to_string())))?;
        if let Some(dir) = path.parent() {
            // Missing parents are made owner-only; an existing one is left as it is.
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| err("cannot create its directory", e))?;
        }
        let tmp = path.with_extension("json.tmp");
        {
            // The state lists every token: owner-only, whatever the umask.
            let mut f = super::private_file(&tmp).map_err(|e| err("cannot write", e))?;
            f.write_all(&json).map_err(|e| err("cannot write", e))?;
            f.sync_all().map_err(|e| err("cannot fsync", e))?;
        }
        if let Ok(old) = std::fs::read(path) {
            let bak = path.with_extension("json.bak");
            let _ = super::private_file(&bak).and_then(|mut f| f.write_all(&old));
        }
        std::fs::rename(&tmp, path).map_err(|e| err("cannot rename into place", e))?;
        if let Some(dir) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bit_hex_and_differ() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert!(is_token(&a) && is_token(&b));
        assert_ne!(a, b);
        assert!(!is_token("../etc/passwd"));
        assert!(!is_token(&a.to_uppercase()));
    }

    #[test]
    fn publish_list_lookup_persist() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.tar.gz");
        std::fs::write(&f, b"x").unwrap();
        let state = dir.path().join("state.json");
        let reg = ExportRegistry::load(&state).unwrap();
        let e = reg.publish(&f, Duration::from_secs(3600)).unwrap();
        assert_eq!(e.file_name, "a.tar.gz");
        assert_eq!(reg.list(), vec![e.clone()]);
        assert_eq!(reg.lookup(&e.token), Lookup::Live(e.clone()));
        assert_eq!(reg.lookup(&new_token().unwrap()), Lookup::Unknown);
        let again = ExportRegistry::load(&state).unwrap();
        assert_eq!(again.list(), vec![e]);
    }

    #[test]
    fn expiry_deletes_file_and_answers_expired() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.tar.gz");
        std::fs::write(&f, b"x").unwrap();
        let reg = ExportRegistry::load(&dir.path().join("s.json")).unwrap();
        let e = reg.publish(&f, Duration::ZERO).unwrap();
        assert_eq!(reg.lookup(&e.token), Lookup::Expired);
        assert!(reg.list().is_empty());
        assert_eq!(reg.cleanup().unwrap(), 1);
        assert!(!f.exists());
        let again = ExportRegistry::load(&dir.path().join("s.json")).unwrap();
        assert_eq!(again.lookup(&e.token), Lookup::Expired);
    }

    #[test]
    fn malformed_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let s = dir.path().join("s.json");
        std::fs::write(&s, b"{not json").unwrap();
        let err = ExportRegistry::load(&s).unwrap_err().to_string();
        assert!(err.contains("s.json"), "{err}");
    }
}
