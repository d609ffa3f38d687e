//! Helpers shared by the export integration tests: a collection root built
//! from the fixture tree, a spec with known commands, and tarball reading.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use nodeconsole::export::{CollectSpec, CommandSpec};

pub const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/export/root");

/// A temporary collection root: a copy of the fixture tree plus symlinks
/// made here (one inside the root, one pointing out of it).
pub struct Root {
    pub dir: tempfile::TempDir,
    pub outside: tempfile::TempDir,
}

impl Root {
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

pub fn fixture_root() -> Root {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(Path::new(FIXTURE), dir.path());
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("outside.log"), "OUTSIDE-THE-ROOT\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("outside.log"),
        dir.path().join("var/log/libvirt/escape.log"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "management-server.log",
        dir.path().join("var/log/zstack/current.log"),
    )
    .unwrap();
    Root { dir, outside }
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// The spec used by the tests: the default globs plus one that matches
/// nothing, a fixture "journal", and commands that succeed, fail, cannot
/// start, and time out.
pub fn spec(root: &Path) -> CollectSpec {
    let mut slow = CommandSpec::new("slow", &["sh", "-c", "echo begun; sleep 20; echo never"]);
    slow.timeout_s = 1;
    CollectSpec {
        root: root.to_owned(),
        journal: Some(CommandSpec::new(
            "journal",
            &[
                "sh",
                "-c",
                "echo 'Nov 22 10:00:00 node1 fixture-journal: hello'",
            ],
        )),
        globs: vec![
            "/var/log/messages*".into(),
            "/var/log/syslog*".into(),
            "/var/log/libvirt/**".into(),
            "/var/log/zstack/**".into(),
            "/var/log/nothing-here/**".into(),
        ],
        commands: vec![
            CommandSpec::new("echo", &["echo", "hello from a command"]),
            CommandSpec::new("failing", &["sh", "-c", "echo to-stderr >&2; exit 2"]),
            CommandSpec::new("missing", &["/nonexistent/diagnostic-tool"]),
            slow,
        ],
        max_bytes: 1 << 30,
        name_prefix: "node-logs".into(),
    }
}

/// Every regular file of a .tar.gz (single- or multi-member gzip), by path.
pub fn read_tgz(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let f = std::fs::File::open(path).unwrap();
    let mut ar = tar::Archive::new(flate2::read::MultiGzDecoder::new(f));
    let mut out = BTreeMap::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().to_string_lossy().into_owned();
        let mut v = Vec::new();
        e.read_to_end(&mut v).unwrap();
        out.insert(p, v);
    }
    out
}

/// The top directory name of a collection tarball (its file stem).
pub fn top_of(tgz: &Path) -> String {
    tgz.file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .trim_end_matches(".tar.gz")
        .to_string()
}

pub fn entries_of(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}
