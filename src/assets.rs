//! Finds the files shipped in `assets/` (the demo fixture, the PAM file):
//! installed under /usr/share/nodeconsole (`make install`, the packages),
//! under the binary's own prefix, or
//! in the source tree when run with `cargo run`.

use std::path::PathBuf;

/// The directories searched, in order.
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("NODECONSOLE_ASSETS") {
        dirs.push(PathBuf::from(d));
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(prefix) = exe.parent().and_then(|p| p.parent()) {
            dirs.push(prefix.join("share/nodeconsole"));
        }
    }
    dirs.push("/usr/share/nodeconsole".into());
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets"));
    dirs
}

/// The first existing `name` in the asset directories.
pub fn find(name: &str) -> Option<PathBuf> {
    search_dirs()
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| p.exists())
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_source_tree_assets() {
        assert!(super::find("pam.d/nodeconsole").is_some());
        assert!(super::find("no-such-asset").is_none());
    }
}
