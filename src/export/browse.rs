//! Reading an export tarball for the online log browser.
//!
//! We browse the tarball itself rather than an unpacked copy: no second copy
//! on disk, and nothing on the file system is ever opened by a name that came
//! from a URL, so symlinks and `..` cannot lead outside. The entry list is
//! read once (one pass of decompression) and cached; a file view decompresses
//! from the start and skips to the entry (gzip cannot seek), streaming only
//! that entry.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Component, Path};

use flate2::read::MultiGzDecoder;

/// At most this many entries are indexed; a larger archive is cut (and says so).
pub const MAX_ENTRIES: usize = 200_000;

/// One regular file inside a tarball.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    /// Relative path, `/`-separated, only normal components.
    pub path: String,
    pub size: u64,
    /// Offset of the entry's data in the decompressed stream.
    pub offset: u64,
    pub mtime: u64,
}

/// The regular files of a tarball, by path.
#[derive(Debug, Default)]
pub struct TarIndex {
    entries: BTreeMap<String, TarEntry>,
    /// Whether [`MAX_ENTRIES`] cut the list.
    pub truncated: bool,
}

/// One line of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirItem {
    Dir(String),
    File(TarEntry),
}

impl TarIndex {
    /// Reads the entry list of a `.tar.gz` (single or multi-member gzip).
    /// Entries that are not regular files, or whose names are not plain
    /// relative UTF-8 paths, are left out.
    pub fn build(file: &Path) -> io::Result<TarIndex> {
        let f = File::open(file)?;
        let mut ar = tar::Archive::new(MultiGzDecoder::new(BufReader::with_capacity(64 << 10, f)));
        let mut idx = TarIndex::default();
        for entry in ar.entries()? {
            let entry = entry?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let Some(path) = entry.path().ok().and_then(|p| safe_rel(&p)) else {
                continue;
            };
            if idx.entries.len() >= MAX_ENTRIES {
                idx.truncated = true;
                break;
            }
            let e = TarEntry {
                size: entry.size(),
                offset: entry.raw_file_position(),
                mtime: entry.header().mtime().unwrap_or(0),
                path: path.clone(),
            };
            idx.entries.insert(path, e);
        }
        Ok(idx)
    }

    /// The file at `path` (no leading `/`).
    pub fn get(&self, path: &str) -> Option<&TarEntry> {
        self.entries.get(path)
    }

    /// Whether `dir` (no leading or trailing `/`; empty = top) has entries.
    pub fn is_dir(&self, dir: &str) -> bool {
        dir.is_empty()
            || self
                .entries
                .range(format!("{dir}/")..)
                .next()
                .is_some_and(|(k, _)| k.starts_with(&format!("{dir}/")))
    }

    /// The directories and files directly inside `dir`, directories first,
    /// each group sorted; `None` when there is no such directory.
    pub fn list_dir(&self, dir: &str) -> Option<Vec<DirItem>> {
        if !self.is_dir(dir) {
            return None;
        }
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut dirs: Vec<String> = Vec::new();
        let mut files = Vec::new();
        for (k, e) in self.entries.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                break;
            };
            match rest.split_once('/') {
                Some((d, _)) => {
                    if dirs.last().map(String::as_str) != Some(d) {
                        dirs.push(d.to_string());
                    }
                }
                None => files.push(DirItem::File(e.clone())),
            }
        }
        dirs.dedup();
        let mut v: Vec<DirItem> = dirs.into_iter().map(DirItem::Dir).collect();
        v.extend(files);
        Some(v)
    }

    /// Number of indexed files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no file was indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A reader of exactly one entry's bytes, decompressing from the start of
/// the tarball and discarding everything before the entry.
pub fn open_entry(file: &Path, entry: &TarEntry) -> io::Result<impl Read> {
    let f = File::open(file)?;
    let mut dec = MultiGzDecoder::new(BufReader::with_capacity(64 << 10, f));
    let skipped = io::copy(&mut (&mut dec).take(entry.offset), &mut io::sink())?;
    if skipped != entry.offset {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "tarball is shorter than its index",
        ));
    }
    Ok(dec.take(entry.size))
}

/// A tar entry's path as a plain relative `/`-separated string, or `None`
/// when it has `..`, a root, or non-UTF-8 parts.
fn safe_rel(p: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => parts.push(n.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if parts.is_empty() || parts.iter().any(|s| s.contains(['\\', '\0'])) {
        return None;
    }
    Some(parts.join("/"))
}

/// Why a URL path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPath(pub &'static str);

/// Decodes the percent-encoded segments of a URL path (after `browse/`) and
/// checks each one: no `.`/`..`, no `/`, `\` or NUL after decoding, valid
/// UTF-8, no empty segment except a trailing one (which means "directory").
/// Returns the joined relative path and whether it named a directory.
pub fn clean_url_path(raw_segments: &[&str]) -> Result<(String, bool), BadPath> {
    let mut parts = Vec::new();
    let mut trailing_slash = false;
    for (i, raw) in raw_segments.iter().enumerate() {
        if raw.is_empty() {
            if i + 1 == raw_segments.len() {
                trailing_slash = true;
                continue;
            }
            return Err(BadPath("empty path segment"));
        }
        let decoded = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| BadPath("path is not UTF-8"))?;
        if decoded == "." || decoded == ".." {
            return Err(BadPath("relative path segment"));
        }
        if decoded.contains(['/', '\\', '\0']) {
            return Err(BadPath("forbidden character in path"));
        }
        parts.push(decoded.into_owned());
    }
    Ok((parts.join("/"), trailing_slash || parts.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_are_checked() {
        assert_eq!(clean_url_path(&[]).unwrap(), (String::new(), true));
        assert_eq!(
            clean_url_path(&["a", "b.txt"]).unwrap(),
            ("a/b.txt".into(), false)
        );
        assert_eq!(clean_url_path(&["a", ""]).unwrap(), ("a".into(), true));
        assert_eq!(clean_url_path(&["a%20b"]).unwrap(), ("a b".into(), false));
        for bad in [
            vec![".."],
            vec!["%2e%2e"],
            vec!["%2E%2E", "etc"],
            vec!["."],
            vec!["a%2fb"],
            vec!["a%5cb"],
            vec!["a\\b"],
            vec!["a%00"],
            vec!["", "etc"],
            vec!["%ff"],
        ] {
            assert!(clean_url_path(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tar_paths_are_checked() {
        assert_eq!(safe_rel(Path::new("./a/b")).unwrap(), "a/b");
        assert!(safe_rel(Path::new("../a")).is_none());
        assert!(safe_rel(Path::new("/etc/passwd")).is_none());
    }

    #[test]
    fn index_lists_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        let tgz = dir.path().join("t.tar.gz");
        {
            let gz = flate2::write::GzEncoder::new(
                File::create(&tgz).unwrap(),
                flate2::Compression::fast(),
            );
            let mut b = tar::Builder::new(gz);
            for (p, data) in [
                ("top/a.txt", "alpha"),
                ("top/d/b.txt", "beta"),
                ("top/d/e/c", ""),
            ] {
                let mut h = tar::Header::new_gnu();
                h.set_size(data.len() as u64);
                h.set_mode(0o644);
                b.append_data(&mut h, p, data.as_bytes()).unwrap();
            }
            b.into_inner().unwrap().finish().unwrap();
        }
        let idx = TarIndex::build(&tgz).unwrap();
        assert_eq!(idx.len(), 3);
        assert_eq!(idx.list_dir("").unwrap(), vec![DirItem::Dir("top".into())]);
        let top = idx.list_dir("top").unwrap();
        assert_eq!(top[0], DirItem::Dir("d".into()));
        assert!(matches!(&top[1], DirItem::File(e) if e.path == "top/a.txt"));
        assert!(idx.list_dir("to").is_none());
        assert!(idx.list_dir("top/a.txt").is_none());
        let mut s = String::new();
        open_entry(&tgz, idx.get("top/d/b.txt").unwrap())
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "beta");
    }
}
