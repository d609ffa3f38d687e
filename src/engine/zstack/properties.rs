//! `zstack.properties`: reading and editing the management server's Java
//! properties file.
//!
//! Edits keep every comment, blank line and the order of keys, because the
//! file is also edited by hand and by `zstack-ctl configure`; an operator
//! diffing it after a console action should see only the changed values.
//! Writes are atomic (temp file, fsync, rename) and keep a backup of the
//! replaced file, so a crash mid-write never leaves a half file behind.
//!
//! Only the subset of the properties syntax that ZStack writes is handled:
//! one `key = value` (or `key: value`) per line, `#`/`!` comments. Line
//! continuations are not used by ZStack and are kept verbatim as values.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Line {
    /// `prefix` is everything up to and including the separator and the
    /// whitespace after it, kept so that rewriting a value keeps the layout.
    Entry {
        key: String,
        prefix: String,
        value: String,
    },
    /// A comment, a blank line or anything we do not understand.
    Other(String),
}

/// A parsed properties file that can be edited and written back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Properties {
    lines: Vec<Line>,
    /// Whether the text ended with a newline (kept on write).
    trailing_newline: bool,
}

impl Properties {
    /// Parses properties text.
    pub fn parse(text: &str) -> Properties {
        let lines = text.lines().map(parse_line).collect();
        Properties {
            lines,
            trailing_newline: text.is_empty() || text.ends_with('\n'),
        }
    }

    /// Reads and parses `path`; the error names the file and the reason.
    pub fn load(path: &Path) -> Result<Properties, String> {
        fs::read_to_string(path)
            .map(|t| Properties::parse(&t))
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
    }

    /// The value of `key` (the last one wins, as in Java), trimmed.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines.iter().rev().find_map(|l| match l {
            Line::Entry { key: k, value, .. } if k == key => Some(value.trim()),
            _ => None,
        })
    }

    /// The value of `key` when present and not empty.
    pub fn get_nonempty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// Sets `key` to `value`: rewrites the existing line(s) in place, or
    /// appends a `key = value` line at the end.
    pub fn set(&mut self, key: &str, value: &str) {
        let mut found = false;
        for l in &mut self.lines {
            if let Line::Entry {
                key: k, value: v, ..
            } = l
            {
                if k == key {
                    *v = value.to_owned();
                    found = true;
                }
            }
        }
        if !found {
            self.lines.push(Line::Entry {
                key: key.to_owned(),
                prefix: format!("{key} = "),
                value: value.to_owned(),
            });
        }
    }

    /// The text of the file.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, l) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            match l {
                Line::Entry { prefix, value, .. } => {
                    out.push_str(prefix);
                    out.push_str(value);
                }
                Line::Other(s) => out.push_str(s),
            }
        }
        if self.trailing_newline && !self.lines.is_empty() {
            out.push('\n');
        }
        out
    }

    /// Writes the file atomically: a temp file in the same directory,
    /// fsync, a backup copy of the current file at [`backup_path`], rename,
    /// fsync of the directory. Keeps the current file's permissions.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        write_atomic(path, self.render().as_bytes())
    }
}

/// Where [`Properties::save`] keeps the copy of the replaced file.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".nodeconsole.bak");
    PathBuf::from(s)
}

/// Atomically replaces `path` with `data`, keeping a backup of the old file.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} is not a file path", path.display()))?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{name}.nodeconsole.tmp{}", std::process::id()));
    let what = |e: std::io::Error, doing: &str| format!("cannot {doing} {}: {e}", path.display());
    let old_mode = fs::metadata(path).ok().map(|m| m.permissions().mode());
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(|e| what(e, "create a temp file beside"))?;
        f.write_all(data).map_err(|e| what(e, "write"))?;
        if let Some(mode) = old_mode {
            f.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(|e| what(e, "set permissions of"))?;
        }
        f.sync_all().map_err(|e| what(e, "sync"))?;
        drop(f);
        if old_mode.is_some() {
            fs::copy(path, backup_path(path)).map_err(|e| what(e, "back up"))?;
        }
        fs::rename(&tmp, path).map_err(|e| what(e, "replace"))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn parse_line(raw: &str) -> Line {
    let trimmed = raw.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
        return Line::Other(raw.to_owned());
    }
    // The key ends at the first unescaped `=`, `:` or whitespace.
    let lead = raw.len() - trimmed.len();
    let key_end = trimmed
        .char_indices()
        .find(|&(_, c)| c == '=' || c == ':' || c.is_whitespace())
        .map_or(trimmed.len(), |(i, _)| i);
    let key = &trimmed[..key_end];
    let rest = &trimmed[key_end..];
    // Separator: optional whitespace, optional one `=`/`:`, optional whitespace.
    let after_ws = rest.trim_start();
    let after_sep = after_ws
        .strip_prefix('=')
        .or_else(|| after_ws.strip_prefix(':'))
        .unwrap_or(after_ws);
    let value = after_sep.trim_start();
    let prefix_len = lead + key_end + (rest.len() - value.len());
    Line::Entry {
        key: key.to_owned(),
        prefix: raw[..prefix_len].to_owned(),
        value: value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# ZStack properties\nDB.url = jdbc:mysql://localhost:3306\nDB.user=zstack\n\n! old comment\nDB.password: secret\nmanagement.server.ip   =   10.0.0.5\nempty =\n";

    #[test]
    fn parses_separators_and_comments() {
        let p = Properties::parse(SAMPLE);
        assert_eq!(p.get("DB.url"), Some("jdbc:mysql://localhost:3306"));
        assert_eq!(p.get("DB.user"), Some("zstack"));
        assert_eq!(p.get("DB.password"), Some("secret"));
        assert_eq!(p.get("management.server.ip"), Some("10.0.0.5"));
        assert_eq!(p.get("empty"), Some(""));
        assert_eq!(p.get_nonempty("empty"), None);
        assert_eq!(p.get("# ZStack"), None);
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn roundtrip_is_byte_exact() {
        assert_eq!(Properties::parse(SAMPLE).render(), SAMPLE);
        let no_nl = "a=1\nb = 2";
        assert_eq!(Properties::parse(no_nl).render(), no_nl);
    }

    #[test]
    fn set_keeps_layout_and_order() {
        let mut p = Properties::parse(SAMPLE);
        p.set("management.server.ip", "10.0.0.9");
        p.set("consoleProxyPort", "4901");
        let out = p.render();
        assert!(
            out.contains("management.server.ip   =   10.0.0.9\n"),
            "{out}"
        );
        assert!(out.ends_with("empty =\nconsoleProxyPort = 4901\n"), "{out}");
        assert!(out.starts_with("# ZStack properties\nDB.url"), "{out}");
        assert!(out.contains("! old comment"));
    }

    #[test]
    fn last_duplicate_wins_and_set_updates_all() {
        let mut p = Properties::parse("k=1\nk=2\n");
        assert_eq!(p.get("k"), Some("2"));
        p.set("k", "3");
        assert_eq!(p.render(), "k=3\nk=3\n");
    }

    #[test]
    fn atomic_save_keeps_backup_and_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("zstack.properties");
        fs::write(&path, SAMPLE).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let mut p = Properties::load(&path).unwrap();
        p.set("DB.user", "other");
        p.save(&path).unwrap();
        assert_eq!(fs::read_to_string(backup_path(&path)).unwrap(), SAMPLE);
        let now = fs::read_to_string(&path).unwrap();
        assert!(now.contains("DB.user=other\n"));
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let leftovers: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn load_error_names_file() {
        let e = Properties::load(Path::new("/nonexistent/zstack.properties")).unwrap_err();
        assert!(e.contains("/nonexistent/zstack.properties"), "{e}");
        assert!(e.contains("No such file"), "{e}");
    }
}
