//! Node log collection: the journal, log files chosen by globs, and the
//! output of diagnostic commands, packed into one `.tar.gz` with a
//! `SUMMARY.txt` of what was collected, what failed and why, and what the
//! size cap cut.
//!
//! Memory stays bounded whatever the size of the logs: file contents are
//! streamed through the tar and gzip writers in small buffers, command
//! output goes to files first, and only the list of file names is kept.
//! A file that grows while we read it is copied up to the size it had when
//! collection planned it, so the tar header's size stays true.
//!
//! The tarball appears atomically (written as a hidden `.partial` file,
//! fsynced, then renamed); on error or cancel nothing is left behind.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use flate2::write::GzEncoder;
use flate2::Compression;

use super::command::{run_to_file, CommandStatus};
use super::config::{validate_command, CommandSpec};
use super::{human_bytes, ExportError};
use crate::job::Progress;

/// What to collect and where from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectSpec {
    /// Root under which the globs resolve: `/` on a node, a fixture
    /// directory in tests. Symlinks are followed only when they stay inside.
    pub root: PathBuf,
    /// The journal command (`journalctl --since=...`); its output becomes
    /// `commands/<name>.txt` like any other command.
    pub journal: Option<CommandSpec>,
    /// Absolute-path globs of the files to collect (`**` crosses directories).
    pub globs: Vec<String>,
    /// Diagnostic commands; each runs with its timeout.
    pub commands: Vec<CommandSpec>,
    /// Cap on the uncompressed bytes of files and command outputs.
    pub max_bytes: u64,
    /// Start of the tarball's name: `<prefix>-<host>-<UTC time>.tar.gz`.
    pub name_prefix: String,
}

/// One thing planned for the tarball.
struct Item {
    /// Path inside the tarball, below the top directory.
    tar_path: String,
    /// Where the bytes come from.
    source: PathBuf,
    /// Size when planned.
    size: u64,
    /// Bytes that go in (the last `take` bytes of the file).
    take: u64,
    mtime: u64,
    /// Label for SUMMARY.txt, e.g. the command line.
    note: String,
    /// Device and inode walked: the file opened must be this one (a file
    /// swapped for a symlink or another file after the walk is refused).
    identity: Option<(u64, u64)>,
}

/// Collects this node's logs into `dest_dir/<prefix>-<host>-<time>.tar.gz`
/// and returns its path.
pub fn collect_node_logs(
    spec: &CollectSpec,
    dest_dir: &Path,
    progress: &mut dyn Progress,
) -> Result<PathBuf, ExportError> {
    for c in spec.commands.iter().chain(spec.journal.iter()) {
        validate_command(c)?;
    }
    let globs = build_globset(&spec.globs)?;
    super::private_dir(dest_dir)
        .map_err(|e| ExportError::io(format!("cannot create {}", dest_dir.display()), e))?;
    let started = SystemTime::now();
    let host = hostname();
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S").to_string();
    let (top, final_path) = unique_name(dest_dir, &format!("{}-{host}-{stamp}", spec.name_prefix));
    let mut guard = Cleanup {
        paths: vec![
            dest_dir.join(format!(".{top}.work")),
            dest_dir.join(format!(".{top}.tar.gz.partial")),
        ],
    };
    let work = guard.paths[0].clone();
    let partial = guard.paths[1].clone();
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(0o700).create(&work)
    }
    .map_err(|e| ExportError::io(format!("cannot create {}", work.display()), e))?;

    let mut summary = Summary::default();

    // 1. Commands (and the journal) first: small, and the most useful.
    let commands: Vec<&CommandSpec> = spec.journal.iter().chain(spec.commands.iter()).collect();
    let mut items = Vec::new();
    // Command output counts toward the cap while it is written.
    let mut commands_bytes: u64 = 0;
    for (i, c) in commands.iter().enumerate() {
        check_cancel(progress)?;
        progress.phase(&format!(
            "Running commands ({}/{}): {}",
            i + 1,
            commands.len(),
            c.name
        ));
        progress.fraction(None);
        let out = work.join(format!("{}.txt", c.name));
        let budget = spec.max_bytes.saturating_sub(commands_bytes);
        let (status, written) = run_to_file(c, &out, budget, progress);
        if status == CommandStatus::Cancelled {
            return Err(ExportError::Cancelled);
        }
        commands_bytes = commands_bytes.saturating_add(written.bytes);
        if written.cut {
            summary.capped.push(format!(
                "commands/{}.txt: output cut at {} by the size cap",
                c.name,
                human_bytes(written.bytes)
            ));
        }
        let cmdline = c.argv.join(" ");
        if !status.is_success() {
            summary.failed.push(format!(
                "command {} ({cmdline}): {}",
                c.name,
                status.describe()
            ));
            progress.line(&format!("{}: {}", c.name, status.describe()));
        }
        if matches!(status, CommandStatus::NotStarted(_)) {
            continue;
        }
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        items.push(Item {
            tar_path: format!("commands/{}.txt", c.name),
            source: out,
            size,
            take: size,
            mtime: unix_now(),
            note: format!("{cmdline} ({})", status.describe()),
            identity: None,
        });
    }

    // 2. Files matching the globs under the root.
    check_cancel(progress)?;
    progress.phase("Finding log files");
    let found = find_files(&spec.root, &spec.globs, &globs, &mut summary)?;
    for (rel, f) in found {
        items.push(Item {
            tar_path: format!("files/{rel}"),
            source: f.path,
            size: f.size,
            take: f.size,
            mtime: f.mtime,
            note: String::new(),
            identity: Some(f.identity),
        });
    }

    // 3. Apply the size cap in order: commands first, then files by path.
    let mut left = spec.max_bytes;
    for it in &mut items {
        it.take = it.size.min(left);
        left -= it.take;
        if it.take == 0 && it.size > 0 {
            summary.capped.push(format!(
                "{}: left out ({})",
                it.tar_path,
                human_bytes(it.size)
            ));
        } else if it.take < it.size {
            summary.capped.push(format!(
                "{}: kept the last {} of {}",
                it.tar_path,
                human_bytes(it.take),
                human_bytes(it.size)
            ));
        }
    }
    items.retain(|it| it.take > 0 || it.size == 0);
    if !summary.capped.is_empty() {
        progress.line(&format!(
            "Size cap of {} reached: {} file(s) cut or left out; see SUMMARY.txt",
            human_bytes(spec.max_bytes),
            summary.capped.len()
        ));
    }

    // 4. Pack.
    let total: u64 = items.iter().map(|i| i.take).sum();
    progress.phase(&format!(
        "Packing {} files ({})",
        items.len(),
        human_bytes(total)
    ));
    let file = super::private_file(&partial)
        .map_err(|e| ExportError::io(format!("cannot create {}", partial.display()), e))?;
    let gz = GzEncoder::new(
        BufWriter::with_capacity(256 << 10, file),
        Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let mut done: u64 = 0;
    for it in &items {
        check_cancel(progress)?;
        match append_item(&mut tar, &top, it, &mut done, total, progress) {
            Ok(AppendOutcome::Complete) => {
                summary
                    .collected
                    .push((it.tar_path.clone(), it.take, it.note.clone()))
            }
            Ok(AppendOutcome::Shrank(got)) => {
                summary
                    .collected
                    .push((it.tar_path.clone(), it.take, it.note.clone()));
                summary.failed.push(format!(
                    "{}: shrank while being read ({} of {} bytes read; rest is zero-filled)",
                    it.tar_path, got, it.take
                ));
            }
            Ok(AppendOutcome::Unreadable(why)) => {
                summary.failed.push(format!("{}: {why}", it.tar_path))
            }
            Err(e) if progress.cancelled() => {
                tracing::info!("log collection cancelled: {e}");
                return Err(ExportError::Cancelled);
            }
            Err(e) => {
                return Err(ExportError::io(
                    format!("cannot write {} (disk full?)", partial.display()),
                    e,
                ))
            }
        }
    }

    // 5. SUMMARY.txt last: only now is everything known.
    let text = summary.render(spec, &host, started, done);
    let mut h = tar::Header::new_gnu();
    h.set_size(text.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(unix_now());
    h.set_entry_type(tar::EntryType::Regular);
    let finish = || -> io::Result<File> {
        tar.append_data(&mut h, format!("{top}/SUMMARY.txt"), text.as_bytes())?;
        let gz = tar.into_inner()?;
        let buf = gz.finish()?;
        let file = buf.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(file)
    };
    finish().map_err(|e| {
        ExportError::io(
            format!("cannot write {} (disk full?)", partial.display()),
            e,
        )
    })?;
    std::fs::rename(&partial, &final_path)
        .map_err(|e| ExportError::io(format!("cannot rename to {}", final_path.display()), e))?;
    if let Ok(d) = File::open(dest_dir) {
        let _ = d.sync_all();
    }
    guard.paths.truncate(1); // keep removing the work dir, not the tarball
    drop(guard);
    let size = std::fs::metadata(&final_path).map(|m| m.len()).unwrap_or(0);
    progress.fraction(Some(1.0));
    progress.phase(&format!(
        "Collected {} ({} files, {} failed)",
        human_bytes(size),
        summary.collected.len(),
        summary.failed.len()
    ));
    Ok(final_path)
}

enum AppendOutcome {
    Complete,
    /// The file got shorter than planned; this many bytes were real.
    Shrank(u64),
    /// Could not be opened; nothing was written.
    Unreadable(String),
}

fn append_item<W: Write>(
    tar: &mut tar::Builder<W>,
    top: &str,
    it: &Item,
    done: &mut u64,
    total: u64,
    progress: &mut dyn Progress,
) -> io::Result<AppendOutcome> {
    let mut f = match open_walked(&it.source, it.identity) {
        Ok(f) => f,
        Err(e) => return Ok(AppendOutcome::Unreadable(e)),
    };
    if it.take < it.size {
        if let Err(e) = f.seek(SeekFrom::Start(it.size - it.take)) {
            return Ok(AppendOutcome::Unreadable(format!("cannot seek: {e}")));
        }
    }
    let mut h = tar::Header::new_gnu();
    h.set_size(it.take);
    h.set_mode(0o644);
    h.set_mtime(it.mtime);
    h.set_entry_type(tar::EntryType::Regular);
    let mut reader = Streamed {
        inner: f.take(it.take),
        want: it.take,
        real: 0,
        done,
        total,
        last_report: 0,
        progress,
    };
    tar.append_data(&mut h, format!("{top}/{}", it.tar_path), &mut reader)?;
    if reader.real < it.take {
        Ok(AppendOutcome::Shrank(reader.real))
    } else {
        Ok(AppendOutcome::Complete)
    }
}

/// Yields exactly `want` bytes: the file's, then zeros if it shrank.
/// Reports progress every few MiB and stops with an error on cancel.
struct Streamed<'a> {
    inner: io::Take<File>,
    want: u64,
    real: u64,
    done: &'a mut u64,
    total: u64,
    last_report: u64,
    progress: &'a mut dyn Progress,
}

impl Read for Streamed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.want == 0 {
            return Ok(0);
        }
        if self.progress.cancelled() {
            return Err(io::Error::other("cancelled"));
        }
        let max = buf.len().min(self.want as usize);
        let mut n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            // The file shrank (rotated, truncated): pad to the promised size.
            buf[..max].fill(0);
            n = max;
        } else {
            self.real += n as u64;
        }
        self.want -= n as u64;
        *self.done += n as u64;
        if *self.done - self.last_report >= 8 << 20 {
            // Every 8 MiB: the fraction; every 128 MiB also a line with bytes.
            if *self.done >> 27 != self.last_report >> 27 {
                self.progress.line(&format!(
                    "{} of {} packed",
                    human_bytes(*self.done),
                    human_bytes(self.total)
                ));
            }
            self.last_report = *self.done;
            if self.total > 0 {
                self.progress
                    .fraction(Some((*self.done as f64 / self.total as f64).min(1.0)));
            }
        }
        Ok(n)
    }
}

#[derive(Default)]
struct Summary {
    collected: Vec<(String, u64, String)>,
    failed: Vec<String>,
    capped: Vec<String>,
    unmatched: Vec<String>,
}

impl Summary {
    fn render(&self, spec: &CollectSpec, host: &str, started: SystemTime, bytes: u64) -> String {
        let mut s = String::new();
        let when = |t: SystemTime| {
            chrono::DateTime::<chrono::Utc>::from(t).format("%Y-%m-%d %H:%M:%S UTC")
        };
        let _ = writeln!(s, "Node log collection by nodeconsole");
        let _ = writeln!(s, "host:     {host}");
        let _ = writeln!(s, "started:  {}", when(started));
        let _ = writeln!(s, "finished: {}", when(SystemTime::now()));
        let _ = writeln!(s, "root:     {}", spec.root.display());
        let _ = writeln!(
            s,
            "size:     {} collected (cap {}, uncompressed)",
            human_bytes(bytes),
            human_bytes(spec.max_bytes)
        );
        let _ = writeln!(s, "\n== Collected ({}) ==", self.collected.len());
        for (p, n, note) in &self.collected {
            if note.is_empty() {
                let _ = writeln!(s, "{p}\t{n}");
            } else {
                let _ = writeln!(s, "{p}\t{n}\t{note}");
            }
        }
        let _ = writeln!(s, "\n== Failed ({}) ==", self.failed.len());
        for f in &self.failed {
            let _ = writeln!(s, "{f}");
        }
        let _ = writeln!(s, "\n== Cut by the size cap ({}) ==", self.capped.len());
        for c in &self.capped {
            let _ = writeln!(s, "{c}");
        }
        let _ = writeln!(
            s,
            "\n== Globs without matches ({}) ==",
            self.unmatched.len()
        );
        for g in &self.unmatched {
            let _ = writeln!(s, "{g}");
        }
        s
    }
}

fn build_globset(globs: &[String]) -> Result<globset::GlobSet, ExportError> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| ExportError::Config(format!("glob {g:?}: {e}")))?;
        b.add(glob);
    }
    b.build()
        .map_err(|e| ExportError::Config(format!("globs: {e}")))
}

/// The directory part of a glob before its first wildcard: where to walk.
fn literal_base(glob: &str) -> PathBuf {
    let mut base = PathBuf::from("/");
    for comp in glob.split('/').filter(|c| !c.is_empty()) {
        if comp.contains(['*', '?', '[', '{']) {
            break;
        }
        base.push(comp);
    }
    base
}

/// Relative path under the root (`var/log/messages`) of an absolute-looking
/// glob base, refusing anything that could climb out.
fn under_root(root: &Path, abs: &Path) -> Option<PathBuf> {
    let mut p = root.to_path_buf();
    for c in abs.components() {
        match c {
            Component::RootDir => {}
            Component::Normal(n) => p.push(n),
            _ => return None,
        }
    }
    Some(p)
}

/// A file the walk chose.
struct FoundFile {
    /// The regular file itself (a symlink's resolved target).
    path: PathBuf,
    size: u64,
    mtime: u64,
    /// (device, inode) when walked.
    identity: (u64, u64),
}

type Found = BTreeMap<String, FoundFile>;

/// Opens a walked file without following a symlink in its last component
/// (`O_NOFOLLOW`) and checks with `fstat` that it is still the regular
/// file the walk saw: a log replaced by `-> /etc/shadow` between the walk
/// and the copy is refused, not collected.
fn open_walked(path: &Path, identity: Option<(u64, u64)>) -> Result<File, String> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => "became a symlink after it was found; refused".to_string(),
            _ => format!("cannot open: {e}"),
        })?;
    let m = f.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !m.is_file() {
        return Err("is no longer a regular file; refused".into());
    }
    if let Some(id) = identity {
        if (m.dev(), m.ino()) != id {
            return Err("was replaced by another file after it was found; refused".into());
        }
    }
    Ok(f)
}

/// Walks the literal base of every glob under `root`, matching each regular
/// file's root-relative path against all globs. A symlink is followed only
/// when its target is a regular file inside the directory being walked
/// (`/var/log/app.log -> /etc/shadow` is skipped and reported, though
/// /etc/shadow is inside the root `/`).
fn find_files(
    root: &Path,
    patterns: &[String],
    set: &globset::GlobSet,
    summary: &mut Summary,
) -> Result<Found, ExportError> {
    let root_canon = root
        .canonicalize()
        .map_err(|e| ExportError::io(format!("collection root {}", root.display()), e))?;
    let mut found = Found::new();
    for pat in patterns {
        let before = found.len();
        let Some(start) = under_root(&root_canon, &literal_base(pat)) else {
            continue;
        };
        if std::fs::symlink_metadata(&start).is_err() {
            summary.unmatched.push(pat.clone());
            continue;
        }
        // Where symlinks may point: the walked directory, resolved.
        let walk_root = match start.canonicalize() {
            Ok(w) if w.starts_with(&root_canon) => w,
            Ok(w) => {
                summary.failed.push(format!(
                    "{}: resolves to {} outside the collection root, skipped",
                    literal_base(pat).display(),
                    w.display()
                ));
                continue;
            }
            Err(e) => {
                summary
                    .failed
                    .push(format!("{}: {e}", literal_base(pat).display()));
                continue;
            }
        };
        let mut walk = walkdir::WalkDir::new(&start).follow_links(false);
        if !pat.contains("**") {
            // `/var/log/messages*` needs one level below `/var/log`, not the whole tree.
            let depth = |p: &str| p.split('/').filter(|c| !c.is_empty()).count();
            let base_depth = depth(&literal_base(pat).to_string_lossy());
            walk = walk.max_depth(depth(pat).saturating_sub(base_depth));
        }
        for entry in walk {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let p = e
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    summary.failed.push(format!("{p}: {e}"));
                    continue;
                }
            };
            let path = entry.path();
            let Ok(rel) = path.strip_prefix(&root_canon) else {
                continue;
            };
            let Some(rel_s) = rel.to_str() else {
                summary
                    .failed
                    .push(format!("{}: name is not UTF-8, skipped", path.display()));
                continue;
            };
            let abs = format!("/{rel_s}");
            if !set.is_match(&abs) || found.contains_key(rel_s) {
                continue;
            }
            let ft = entry.file_type();
            let meta = if ft.is_file() {
                entry.metadata().ok().map(|m| (path.to_path_buf(), m))
            } else if ft.is_symlink() {
                match path.canonicalize() {
                    Ok(t) if t.starts_with(&walk_root) => std::fs::metadata(&t)
                        .ok()
                        .filter(|m| m.is_file())
                        .map(|m| (t, m)),
                    Ok(t) => {
                        let outside = if t.starts_with(&root_canon) {
                            format!("the walked directory {}", literal_base(pat).display())
                        } else {
                            "the collection root".to_string()
                        };
                        summary.failed.push(format!(
                            "{abs}: symlink to {} outside {outside}, skipped",
                            t.display()
                        ));
                        None
                    }
                    Err(e) => {
                        summary
                            .failed
                            .push(format!("{abs}: dangling symlink ({e})"));
                        None
                    }
                }
            } else {
                None
            };
            if let Some((src, m)) = meta {
                use std::os::unix::fs::MetadataExt;
                found.insert(
                    rel_s.to_string(),
                    FoundFile {
                        path: src,
                        size: m.len(),
                        mtime: m.mtime().max(0) as u64,
                        identity: (m.dev(), m.ino()),
                    },
                );
            }
        }
        if found.len() == before && !patterns_overlap(pat, &found) {
            summary.unmatched.push(pat.clone());
        }
    }
    Ok(found)
}

/// Whether some already-found file matches `pat` (found by an earlier glob).
fn patterns_overlap(pat: &str, found: &Found) -> bool {
    let Ok(g) = globset::GlobBuilder::new(pat)
        .literal_separator(true)
        .build()
    else {
        return false;
    };
    let m = g.compile_matcher();
    found.keys().any(|k| m.is_match(format!("/{k}")))
}

fn check_cancel(progress: &dyn Progress) -> Result<(), ExportError> {
    if progress.cancelled() {
        Err(ExportError::Cancelled)
    } else {
        Ok(())
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// This node's host name, reduced to characters safe in a file name.
fn hostname() -> String {
    let h = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_default();
    let h: String = h
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if h.is_empty() {
        "node".into()
    } else {
        h
    }
}

/// `base` or `base-2`, `base-3`... so two collections in one second differ.
fn unique_name(dir: &Path, base: &str) -> (String, PathBuf) {
    let mut name = base.to_string();
    let mut n = 1;
    loop {
        let p = dir.join(format!("{name}.tar.gz"));
        if !p.exists() && !dir.join(format!(".{name}.work")).exists() {
            return (name, p);
        }
        n += 1;
        name = format!("{base}-{n}");
    }
}

/// Removes the temporary files and directories it lists when dropped.
struct Cleanup {
    paths: Vec<PathBuf>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.paths {
            if p.is_dir() {
                let _ = std::fs::remove_dir_all(p);
            } else {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_base_stops_at_wildcards() {
        assert_eq!(
            literal_base("/var/log/messages*"),
            PathBuf::from("/var/log")
        );
        assert_eq!(
            literal_base("/var/log/libvirt/**"),
            PathBuf::from("/var/log/libvirt")
        );
        assert_eq!(
            literal_base("/var/log/x.log"),
            PathBuf::from("/var/log/x.log")
        );
    }

    /// Appends a file holding `content`, planned at 10 bytes (its size when
    /// it was stat'ed), to a fresh tarball; returns the outcome, the bytes
    /// counted as done, and the entry's data as archived.
    fn append_planned_10(content: &[u8]) -> (AppendOutcome, u64, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("log");
        std::fs::write(&src, content).unwrap();
        let it = Item {
            tar_path: "files/log".into(),
            source: src,
            size: 10,
            take: 10,
            mtime: 0,
            note: String::new(),
            identity: None,
        };
        let mut tar = tar::Builder::new(Vec::new());
        let mut done = 0;
        let mut rec = crate::job::Recorder::default();
        let out = append_item(&mut tar, "top", &it, &mut done, 10, &mut rec).unwrap();
        let bytes = tar.into_inner().unwrap();
        let mut ar = tar::Archive::new(&bytes[..]);
        let mut e = ar.entries().unwrap().next().unwrap().unwrap();
        let mut v = Vec::new();
        e.read_to_end(&mut v).unwrap();
        (out, done, v)
    }

    #[test]
    fn a_file_that_shrank_is_zero_filled_and_reported() {
        let (out, done, v) = append_planned_10(b"abc");
        assert!(matches!(out, AppendOutcome::Shrank(3)));
        assert_eq!(done, 10);
        assert_eq!(v, b"abc\0\0\0\0\0\0\0");
    }

    #[test]
    fn a_growing_file_is_copied_up_to_its_planned_size() {
        let (out, _, v) = append_planned_10(b"0123456789-grown-later");
        assert!(matches!(out, AppendOutcome::Complete));
        assert_eq!(v, b"0123456789");
    }

    #[test]
    fn a_walked_file_swapped_for_a_symlink_or_another_file_is_refused() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, "x").unwrap();
        let m = std::fs::metadata(&log).unwrap();
        let id = Some((m.dev(), m.ino()));
        assert!(open_walked(&log, id).is_ok());
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s").unwrap();
        // The walked file moves away (its inode stays in use) and a
        // symlink takes its name.
        std::fs::rename(&log, dir.path().join("app.log.1")).unwrap();
        std::os::unix::fs::symlink(&secret, &log).unwrap();
        let e = open_walked(&log, id).unwrap_err();
        assert!(e.contains("symlink"), "{e}");
        std::fs::remove_file(&log).unwrap();
        std::fs::write(&log, "other").unwrap();
        let e = open_walked(&log, id).unwrap_err();
        assert!(e.contains("replaced"), "{e}");
    }

    #[test]
    fn under_root_refuses_parent() {
        let r = Path::new("/fx");
        assert_eq!(
            under_root(r, Path::new("/var/log")).unwrap(),
            PathBuf::from("/fx/var/log")
        );
        assert!(under_root(r, Path::new("/var/../etc")).is_none());
    }
}
