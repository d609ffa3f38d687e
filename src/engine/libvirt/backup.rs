//! "Backup Database" on a libvirt node: libvirt's persistent definitions
//! (domains, networks, storage pools) are what a reinstall loses, so they
//! are the node's database. They go into one `.tar.gz`:
//!
//! ```text
//! MANIFEST.txt            URI, versions, counts, how to restore
//! domains/<name>.xml      virsh define domains/<name>.xml
//! networks/<name>.xml     virsh net-define networks/<name>.xml
//! pools/<name>.xml        virsh pool-define pools/<name>.xml
//! ```
//!
//! Domain XML is asked for with `INACTIVE | SECURE` (the definition as it
//! will boot next, with its secrets such as VNC passwords, so a restore is
//! complete); a read-only connection may refuse `SECURE`, then the domain
//! is exported without secrets and the manifest says so. Because of those
//! secrets the file is created mode 0600.
//!
//! The archive is written to a hidden temporary file in the destination,
//! fsynced, and renamed into place, so a crash, an error or a cancel
//! never leaves a half-written backup under the final name.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use virt::connect::Connect;
use virt::error::ErrorNumber;
use virt::sys;

use super::convert::{error_text, format_version, safe_component};
use crate::job::Progress;

/// Why an export failed. `Libvirt` errors make the engine drop its
/// connection; the others are about the destination or the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("libvirt: {what} failed: {}", error_text(err))]
    Libvirt {
        what: String,
        err: virt::error::Error,
    },
    #[error("backup directory {}: {reason}", dir.display())]
    BadDestination { dir: PathBuf, reason: String },
    #[error("writing the backup {} failed: {err}; check free space and permissions of the backup directory", path.display())]
    Io { path: PathBuf, err: io::Error },
    #[error("backup cancelled by the operator; no file was written")]
    Cancelled,
}

fn lv<T>(what: impl Into<String>, r: Result<T, virt::error::Error>) -> Result<T, BackupError> {
    r.map_err(|err| BackupError::Libvirt {
        what: what.into(),
        err,
    })
}

/// One definition to export: where it goes in the archive, and how to
/// read its XML when its turn comes.
struct Item {
    kind: Kind,
    name: String,
    entry: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Domain,
    Network,
    Pool,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Domain => "domains",
            Kind::Network => "networks",
            Kind::Pool => "pools",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Network => "network",
            Kind::Pool => "storage pool",
        }
    }
}

/// Archive entry names for `names` of one kind: `<dir>/<safe name>.xml`,
/// made unique with the object's UUID when two names map to the same
/// safe name.
fn entry_names(kind: Kind, objects: &[(String, String)]) -> Vec<String> {
    let mut seen = HashSet::new();
    objects
        .iter()
        .map(|(name, uuid)| {
            let base = safe_component(name);
            let mut entry = format!("{}/{base}.xml", kind.dir());
            if !seen.insert(entry.clone()) {
                entry = format!("{}/{base}-{}.xml", kind.dir(), safe_component(uuid));
                seen.insert(entry.clone());
            }
            entry
        })
        .collect()
}

/// The file name of a backup taken of `host` at `stamp` (`YYYYmmdd-HHMMSS`).
pub fn archive_file_name(host: &str, stamp: &str) -> String {
    format!(
        "libvirt-definitions-{}-{stamp}.tar.gz",
        safe_component(host)
    )
}

/// Removes the temporary file unless the backup was committed.
struct TempFile {
    path: PathBuf,
    committed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Lists the persistent definitions (transient objects have none to back
/// up) as `(name, uuid)` pairs, per kind.
fn list_definitions(conn: &Connect, progress: &mut dyn Progress) -> Result<Vec<Item>, BackupError> {
    let mut items = Vec::new();

    let mut doms = Vec::new();
    for d in lv(
        "listing domains",
        conn.list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT),
    )? {
        doms.push((
            lv("reading a domain name", d.name())?,
            lv("reading a domain UUID", d.uuid_string())?,
        ));
    }
    let mut nets = Vec::new();
    for n in lv(
        "listing networks",
        conn.list_all_networks(sys::VIR_CONNECT_LIST_NETWORKS_PERSISTENT),
    )? {
        nets.push((
            lv("reading a network name", n.name())?,
            lv("reading a network UUID", n.uuid_string())?,
        ));
    }
    let mut pools = Vec::new();
    for p in lv(
        "listing storage pools",
        conn.list_all_storage_pools(sys::VIR_CONNECT_LIST_STORAGE_POOLS_PERSISTENT),
    )? {
        pools.push((
            lv("reading a storage pool name", p.name())?,
            lv("reading a storage pool UUID", p.uuid_string())?,
        ));
    }
    progress.line(&format!(
        "found {} domains, {} networks, {} storage pools",
        doms.len(),
        nets.len(),
        pools.len()
    ));
    for (kind, objs) in [
        (Kind::Domain, doms),
        (Kind::Network, nets),
        (Kind::Pool, pools),
    ] {
        let entries = entry_names(kind, &objs);
        for ((name, _), entry) in objs.into_iter().zip(entries) {
            items.push(Item { kind, name, entry });
        }
    }
    Ok(items)
}

/// Reads one definition's XML. Returns the XML and whether it carries
/// secrets (`false` when libvirt refused `SECURE`).
fn definition_xml(conn: &Connect, item: &Item) -> Result<(String, bool), BackupError> {
    let what = format!("exporting {} {}", item.kind.noun(), item.name);
    match item.kind {
        Kind::Domain => {
            let dom = lv(&what, conn.lookup_domain_by_name(&item.name))?;
            match dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE | sys::VIR_DOMAIN_XML_SECURE) {
                Ok(xml) => Ok((xml, true)),
                Err(e) => {
                    tracing::info!(domain = %item.name, reason = %error_text(&e), "exporting without secrets");
                    Ok((
                        lv(&what, dom.xml_desc(sys::VIR_DOMAIN_XML_INACTIVE))?,
                        false,
                    ))
                }
            }
        }
        Kind::Network => {
            let net = lv(&what, conn.lookup_network_by_name(&item.name))?;
            let xml = inactive_or_live(|flags| net.xml_desc(flags), sys::VIR_NETWORK_XML_INACTIVE);
            Ok((lv(&what, xml)?, true))
        }
        Kind::Pool => {
            let pool = lv(&what, conn.lookup_storage_pool_by_name(&item.name))?;
            let xml = inactive_or_live(|flags| pool.xml_desc(flags), sys::VIR_STORAGE_XML_INACTIVE);
            Ok((lv(&what, xml)?, true))
        }
    }
}

/// Asks for the inactive (next-boot) definition; drivers that do not know
/// the flag (libvirt's test driver for networks) get asked for the live
/// one, which for a persistent object without pending changes is the same.
fn inactive_or_live(
    get: impl Fn(u32) -> Result<String, virt::error::Error>,
    inactive: u32,
) -> Result<String, virt::error::Error> {
    match get(inactive) {
        Err(e) if e.code().is(ErrorNumber::InvalidArg) || e.code().is(ErrorNumber::NoSupport) => {
            get(0)
        }
        other => other,
    }
}

fn append(
    tar: &mut tar::Builder<GzEncoder<BufWriter<File>>>,
    entry: &str,
    data: &[u8],
    mtime: u64,
    tmp: &Path,
) -> Result<(), BackupError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, entry, data)
        .map_err(|err| BackupError::Io {
            path: tmp.to_owned(),
            err,
        })
}

/// Facts for the manifest, read before the items.
struct NodeFacts {
    uri: String,
    host: String,
    libvirt: String,
    hypervisor: String,
}

fn node_facts(conn: &Connect) -> Result<NodeFacts, BackupError> {
    let hyp_type = lv("reading the hypervisor type", conn.driver_type())?;
    let hypervisor = match conn.hyp_version() {
        Ok(v) if v > 0 => format!("{hyp_type} {}", format_version(u64::from(v))),
        _ => hyp_type,
    };
    Ok(NodeFacts {
        uri: lv("reading the connection URI", conn.uri())?,
        host: lv("reading the host name", conn.hostname())?,
        libvirt: format_version(u64::from(lv(
            "reading the libvirt version",
            conn.lib_version(),
        )?)),
        hypervisor,
    })
}

fn manifest(
    facts: &NodeFacts,
    created: &str,
    items: &[Item],
    without_secrets: &[String],
) -> String {
    let count = |k: Kind| items.iter().filter(|i| i.kind == k).count();
    let mut m = format!(
        "nodeconsole libvirt definitions backup\n\
         created: {created}\n\
         uri: {}\n\
         host: {}\n\
         libvirt: {}\n\
         hypervisor: {}\n\
         domains: {}\n\
         networks: {}\n\
         pools: {}\n",
        facts.uri,
        facts.host,
        facts.libvirt,
        facts.hypervisor,
        count(Kind::Domain),
        count(Kind::Network),
        count(Kind::Pool),
    );
    if without_secrets.is_empty() {
        m.push_str("secrets: included (file mode 0600; keep it safe)\n");
    } else {
        m.push_str(&format!(
            "secrets: NOT included for {} domain(s) (libvirt refused SECURE XML): {}\n",
            without_secrets.len(),
            without_secrets.join(", ")
        ));
    }
    m.push_str(
        "restore:\n  virsh pool-define pools/NAME.xml\n  virsh net-define networks/NAME.xml\n  virsh define domains/NAME.xml\n",
    );
    m
}

/// Exports every persistent definition of `conn` into a new tarball in
/// `dest_dir` and returns its path.
pub fn export_definitions(
    conn: &Connect,
    dest_dir: &Path,
    progress: &mut dyn Progress,
) -> Result<PathBuf, BackupError> {
    let meta = std::fs::metadata(dest_dir).map_err(|e| BackupError::BadDestination {
        dir: dest_dir.to_owned(),
        reason: format!("{e}; create it or choose another directory"),
    })?;
    if !meta.is_dir() {
        return Err(BackupError::BadDestination {
            dir: dest_dir.to_owned(),
            reason: "is not a directory; choose a directory".into(),
        });
    }

    progress.phase("Reading libvirt's definitions");
    let facts = node_facts(conn)?;
    let items = list_definitions(conn, progress)?;
    if progress.cancelled() {
        return Err(BackupError::Cancelled);
    }

    let now = chrono::Local::now();
    let file_name = archive_file_name(&facts.host, &now.format("%Y%m%d-%H%M%S").to_string());
    let tmp_path = dest_dir.join(format!(".{file_name}.partial-{}", std::process::id()));
    let io_err = |err: io::Error| BackupError::Io {
        path: tmp_path.clone(),
        err,
    };
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp_path)
        .map_err(io_err)?;
    let mut tmp = TempFile {
        path: tmp_path.clone(),
        committed: false,
    };
    let mtime = u64::try_from(now.timestamp()).unwrap_or(0);
    let mut tar = tar::Builder::new(GzEncoder::new(BufWriter::new(file), Compression::default()));

    progress.phase(&format!("Exporting {} definitions", items.len()));
    let mut collected = Vec::with_capacity(items.len());
    let mut without_secrets = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if progress.cancelled() {
            return Err(BackupError::Cancelled);
        }
        let (xml, secure) = definition_xml(conn, item)?;
        if !secure {
            without_secrets.push(item.name.clone());
        }
        progress.line(&format!(
            "{} {} -> {}",
            item.kind.noun(),
            item.name,
            item.entry
        ));
        collected.push(xml);
        progress.fraction(Some((i + 1) as f64 / (items.len() + 1) as f64));
    }

    // The manifest goes first, so `tar tzf | head` shows what this is.
    let text = manifest(&facts, &now.to_rfc3339(), &items, &without_secrets);
    append(&mut tar, "MANIFEST.txt", text.as_bytes(), mtime, &tmp_path)?;
    for (item, xml) in items.iter().zip(&collected) {
        if progress.cancelled() {
            return Err(BackupError::Cancelled);
        }
        append(&mut tar, &item.entry, xml.as_bytes(), mtime, &tmp_path)?;
    }

    progress.phase("Writing the backup file");
    let gz = tar.into_inner().map_err(io_err)?;
    let mut buf = gz.finish().map_err(io_err)?;
    buf.flush().map_err(io_err)?;
    let file = buf.into_inner().map_err(|e| io_err(e.into_error()))?;
    file.sync_all().map_err(io_err)?;
    drop(file);
    if progress.cancelled() {
        return Err(BackupError::Cancelled);
    }

    let final_path = unused_path(dest_dir, &file_name);
    std::fs::rename(&tmp_path, &final_path).map_err(|err| BackupError::Io {
        path: final_path.clone(),
        err,
    })?;
    tmp.committed = true;
    // Make the rename itself durable.
    if let Ok(dir) = File::open(dest_dir) {
        let _ = dir.sync_all();
    }
    progress.fraction(Some(1.0));
    progress.line(&format!("wrote {}", final_path.display()));
    tracing::info!(path = %final_path.display(), items = items.len(), "libvirt definitions backed up");
    Ok(final_path)
}

/// `dir/name`, or `dir/<stem>-N.tar.gz` when a backup of the same second
/// already exists: a backup never replaces another.
fn unused_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let stem = name.strip_suffix(".tar.gz").unwrap_or(name);
    (1..)
        .map(|n| dir.join(format!("{stem}-{n}.tar.gz")))
        .find(|p| !p.exists())
        .expect("an unbounded range always yields a free name")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objs(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), format!("uuid-{i}")))
            .collect()
    }

    #[test]
    fn entry_names_are_safe_and_unique() {
        let names = entry_names(Kind::Domain, &objs(&["web-01", "a/b", "a_b", ".."]));
        assert_eq!(
            names,
            vec![
                "domains/web-01.xml",
                "domains/a_b.xml",
                "domains/a_b-uuid-2.xml",
                "domains/_..xml"
            ]
        );
        assert_eq!(
            entry_names(Kind::Pool, &objs(&["default"])),
            vec!["pools/default.xml"]
        );
        assert_eq!(
            entry_names(Kind::Network, &objs(&["default"])),
            vec!["networks/default.xml"]
        );
    }

    #[test]
    fn file_name_carries_host_and_time() {
        assert_eq!(
            archive_file_name("node-1.example", "20261122-180000"),
            "libvirt-definitions-node-1.example-20261122-180000.tar.gz"
        );
        assert_eq!(
            archive_file_name("../evil", "20261122-180000"),
            "libvirt-definitions-_._evil-20261122-180000.tar.gz"
        );
    }

    #[test]
    fn unused_path_never_clobbers() {
        let dir = tempfile::tempdir().unwrap();
        let name = "libvirt-definitions-h-20261122-180000.tar.gz";
        assert_eq!(unused_path(dir.path(), name), dir.path().join(name));
        std::fs::write(dir.path().join(name), b"x").unwrap();
        assert_eq!(
            unused_path(dir.path(), name),
            dir.path()
                .join("libvirt-definitions-h-20261122-180000-1.tar.gz")
        );
    }
}
