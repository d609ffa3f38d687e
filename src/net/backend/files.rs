//! Atomic configuration file writes with backups and undo.
//!
//! A half-written ifcfg or .network file can leave a node without network
//! after the next reboot, so every write goes to a temporary file in the same
//! directory, is fsynced, renamed over the target, and the directory is
//! fsynced. The replaced file is kept next to it as `<name>.bak` (a suffix
//! that initscripts, NetworkManager's ifcfg-rh plugin and networkd all
//! ignore), and its previous content is kept in memory for [`FileUndo`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::BackendError;

/// How to put one file back as it was before we touched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUndo {
    pub path: PathBuf,
    /// `None`: the file did not exist (undo removes it).
    pub previous: Option<Vec<u8>>,
}

impl FileUndo {
    /// Restores the previous content (atomically) or removes a file we created.
    pub fn apply(&self) -> Result<(), BackendError> {
        match &self.previous {
            Some(content) => {
                write_atomic_raw(&self.path, content).map_err(|e| io_err(&self.path, e))
            }
            None => match fs::remove_file(&self.path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io_err(&self.path, e)),
            },
        }
    }
}

pub(crate) fn io_err(path: &Path, e: io::Error) -> BackendError {
    BackendError::Io {
        path: path.to_path_buf(),
        cause: e.to_string(),
    }
}

/// The backup path of `path`: `<path>.bak`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".bak");
    PathBuf::from(s)
}

/// `create_dir_all` with every directory it makes set to 0755 whatever the
/// umask (the daemons that read network configuration must traverse them).
fn create_dirs_0755(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs_0755(parent)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => fs::set_permissions(dir, fs::Permissions::from_mode(0o755)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

fn write_atomic_raw(path: &Path, content: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_dirs_0755(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.nodeconsole-tmp.{}", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        // Explicitly, whatever the umask: the console runs with UMask=0077,
        // and networkd (user systemd-network) must read what it writes.
        f.set_permissions(fs::Permissions::from_mode(0o644))?;
        f.write_all(content)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes `content` to `path` atomically, keeping the replaced file as
/// `<path>.bak`. Returns how to undo the write. Writing identical content
/// is a no-op (no backup churn).
pub fn write_file(path: &Path, content: &str) -> Result<FileUndo, BackendError> {
    let previous = match fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(path, e)),
    };
    let undo = FileUndo {
        path: path.to_path_buf(),
        previous: previous.clone(),
    };
    if previous.as_deref() == Some(content.as_bytes()) {
        return Ok(undo);
    }
    if let Some(prev) = &previous {
        let bak = backup_path(path);
        write_atomic_raw(&bak, prev).map_err(|e| io_err(&bak, e))?;
    }
    write_atomic_raw(path, content.as_bytes()).map_err(|e| io_err(path, e))?;
    tracing::info!(path = %path.display(), "wrote network configuration file");
    Ok(undo)
}

/// Removes `path`, keeping it as `<path>.bak`. Returns how to undo.
pub fn remove_file(path: &Path) -> Result<FileUndo, BackendError> {
    let previous = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(FileUndo {
                path: path.to_path_buf(),
                previous: None,
            })
        }
        Err(e) => return Err(io_err(path, e)),
    };
    let bak = backup_path(path);
    write_atomic_raw(&bak, &previous).map_err(|e| io_err(&bak, e))?;
    fs::remove_file(path).map_err(|e| io_err(path, e))?;
    if let Some(dir) = path.parent() {
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    tracing::info!(path = %path.display(), "removed network configuration file");
    Ok(FileUndo {
        path: path.to_path_buf(),
        previous: Some(previous),
    })
}

/// Reads a file that may not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>, BackendError> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(path, e)),
    }
}
