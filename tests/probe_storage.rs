//! The storage node's LUN table, multipath maps and FC HBAs against fixture
//! trees built here in a tempdir (sysfs is mostly symlinks): sysfs, udev's
//! database (`run/udev/data`), `/dev/disk/by-path` and a mount table.
//!
//! Fixtures, not the real system: the build machine's kernel has no iSCSI,
//! FC or device-mapper (multipath) modules, so no LUN, map or HBA exists
//! here; the layouts below are the kernel's and udev's (paths, file names,
//! contents) as on a Debian 12 / EL 8 storage node. The VM test bed proves
//! them against a real target later (issue #20).

mod common;

use std::path::Path;

use common::screen::{draw, text};
use nodeconsole::app::keys::Key;
use nodeconsole::app::update::{Update, UpdateData};
use nodeconsole::config::Role;
use nodeconsole::probe::block::{list_block_devices, wwn_from_wwid};
use nodeconsole::probe::fc::list_fc_hosts;
use nodeconsole::probe::multipath::list_maps;
use nodeconsole::probe::{BlockDevice, InUse, StorageRoots};
use nodeconsole::testdata;
use nodeconsole::ui::theme::Theme;

fn file(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn link(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, p).unwrap();
}

/// A SCSI disk `name` (`devno`) at `<parent>/<hctl>`, with its SCSI
/// device state, linked from /sys/block; returns its sysfs directory.
fn scsi(root: &Path, parent: &str, hctl: &str, name: &str, devno: &str, state: &str) -> String {
    let dev = format!("devices/{parent}/{hctl}");
    file(root, &format!("{dev}/vendor"), "LIO-ORG \n");
    file(root, &format!("{dev}/model"), "shared1         \n");
    file(root, &format!("{dev}/type"), "0\n");
    file(root, &format!("{dev}/state"), &format!("{state}\n"));
    let blk = format!("{dev}/block/{name}");
    file(root, &format!("{blk}/size"), "2097152\n");
    file(root, &format!("{blk}/dev"), &format!("{devno}\n"));
    link(root, &format!("{blk}/device"), &format!("../../../{hctl}"));
    link(root, &format!("block/{name}"), &format!("../{blk}"));
    blk
}

fn partition(root: &Path, disk_blk: &str, name: &str, num: u32, devno: &str) {
    let p = format!("{disk_blk}/{name}");
    file(root, &format!("{p}/partition"), &format!("{num}\n"));
    file(root, &format!("{p}/size"), "1024\n");
    file(root, &format!("{p}/dev"), &format!("{devno}\n"));
}

const WWID: &str = "naa.6001405abcdef0123";

fn build(root: &Path) {
    // Two iSCSI paths of one LUN (same WWID), the second offline, both
    // held by the multipath map dm-0.
    let sdb = scsi(
        root,
        "platform/host2/session1/target2:0:0",
        "2:0:0:0",
        "sdb",
        "8:16",
        "running",
    );
    let sdc = scsi(
        root,
        "platform/host3/session2/target3:0:0",
        "3:0:0:0",
        "sdc",
        "8:32",
        "offline",
    );
    for blk in [&sdb, &sdc] {
        let hctl_dir = blk.rsplit_once("/block/").unwrap().0;
        file(root, &format!("{hctl_dir}/wwid"), &format!("{WWID}\n"));
        link(
            root,
            &format!("{blk}/holders/dm-0"),
            "../../../../../../../virtual/block/dm-0",
        );
    }
    let dm0 = "devices/virtual/block/dm-0";
    file(
        root,
        &format!("{dm0}/dm/uuid"),
        "mpath-36001405abcdef0123\n",
    );
    file(root, &format!("{dm0}/dm/name"), "mpatha\n");
    file(root, &format!("{dm0}/dm/suspended"), "0\n");
    file(root, &format!("{dm0}/size"), "2097152\n");
    file(root, &format!("{dm0}/dev"), "253:0\n");
    link(
        root,
        &format!("{dm0}/slaves/sdb"),
        &format!("../../../../../{sdb}"),
    );
    link(
        root,
        &format!("{dm0}/slaves/sdc"),
        &format!("../../../../../{sdc}"),
    );
    link(root, "block/dm-0", &format!("../{dm0}"));

    // A local disk with a GPT, two partitions: sdd1 mounted, sdd2 an LVM PV.
    let sdd = scsi(
        root,
        "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0",
        "0:0:0:0",
        "sdd",
        "8:48",
        "running",
    );
    partition(root, &sdd, "sdd1", 1, "8:49");
    partition(root, &sdd, "sdd2", 2, "8:50");
    file(
        root,
        "run/udev/data/b8:48",
        "E:ID_PART_TABLE_TYPE=gpt\nE:ID_PATH=pci-0000:00:1f.2-ata-1\n",
    );
    file(root, "run/udev/data/b8:49", "E:ID_FS_TYPE=xfs\n");
    file(root, "run/udev/data/b8:50", "E:ID_FS_TYPE=LVM2_member\n");

    // A free LUN with a full udev record.
    scsi(
        root,
        "platform/host2/session1/target2:0:1",
        "2:0:1:1",
        "sde",
        "8:64",
        "running",
    );
    file(
        root,
        "run/udev/data/b8:64",
        "S:disk/by-id/scsi-36001405ffe\nS:disk/by-path/ip-192.0.2.10:3260-iscsi-iqn.2003-01.org.linux-iscsi.stor1:shared-lun-1\n\
         E:ID_WWN=0x6001405ffe\nE:ID_WWN_WITH_EXTENSION=0x6001405ffe0c2d3b\nE:ID_SERIAL=36001405ffe\n\
         E:ID_PATH=ip-192.0.2.10:3260-iscsi-iqn.2003-01.org.linux-iscsi.stor1:shared-lun-1\n",
    );
    // A LUN without a udev record: by-path from the /dev link.
    scsi(
        root,
        "platform/host2/session1/target2:0:2",
        "2:0:2:1",
        "sdf",
        "8:80",
        "running",
    );
    link(
        root,
        "dev/disk/by-path/ip-192.0.2.10:3260-iscsi-iqn.x-lun-2",
        "../../sdf",
    );
    link(
        root,
        "dev/disk/by-path/ip-192.0.2.10:3260-iscsi-iqn.x-lun-2-part1",
        "../../sdf1",
    );

    file(
        root,
        "proc/self/mountinfo",
        "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n\
         40 22 8:49 / /data rw,relatime shared:9 - xfs /dev/sdd1 rw\n",
    );

    for (h, wwpn, state) in [
        ("host7", "0x21000024ff3a1b2c", "Online"),
        ("host10", "0x21000024ff3a1b2d", "Linkdown"),
    ] {
        let d = format!("class/fc_host/{h}");
        file(root, &format!("{d}/port_name"), &format!("{wwpn}\n"));
        file(root, &format!("{d}/node_name"), "0x20000024ff3a1b2c\n");
        file(root, &format!("{d}/port_state"), &format!("{state}\n"));
        file(root, &format!("{d}/speed"), "16 Gbit\n");
        file(root, &format!("{d}/fabric_name"), "0x100000051e0c1a2b\n");
    }
}

fn by_name<'a>(devs: &'a [BlockDevice], name: &str) -> &'a BlockDevice {
    devs.iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} missing from {devs:#?}"))
}

#[test]
fn two_paths_one_map_one_offline_is_degraded() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let maps = list_maps(dir.path(), 0).unwrap();
    assert_eq!(maps.len(), 1, "{maps:#?}");
    let m = &maps[0];
    assert_eq!((m.name.as_str(), m.dm.as_str()), ("mpatha", "dm-0"));
    assert_eq!(m.wwid, "36001405abcdef0123");
    assert_eq!(m.size_bytes, 1 << 30);
    assert_eq!(
        (m.vendor.as_str(), m.model.as_str()),
        ("LIO-ORG", "shared1")
    );
    let paths: Vec<(&str, &str, &str, &str)> = m
        .paths
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.devno.as_str(),
                p.hctl.as_str(),
                p.scsi_state.as_str(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("sdb", "8:16", "2:0:0:0", "running"),
            ("sdc", "8:32", "3:0:0:0", "offline")
        ]
    );
    assert_eq!(m.degraded(), ["path sdc offline"]);
    assert_eq!(m.healthy_paths(), 1);
    assert!(m.policy.is_err(), "no source for the policy here");

    // Both paths carry the LUN's WWID and say they are the map's.
    let devs = list_block_devices(&StorageRoots::fixture(dir.path())).unwrap();
    for p in ["sdb", "sdc"] {
        let d = by_name(&devs, p);
        assert_eq!(d.wwid, WWID);
        assert_eq!(d.wwn, "0x6001405abcdef0123", "WWN from the naa. WWID");
        assert_eq!(
            d.in_use,
            [InUse::MultipathPath {
                map: "mpatha".into(),
                dm: "dm-0".into()
            }]
        );
    }
    let dm = by_name(&devs, "dm-0");
    assert_eq!(
        (dm.dev_type.as_str(), dm.devno.as_str()),
        ("mpath", "253:0")
    );
    assert!(dm.in_use.is_empty(), "{:?}", dm.in_use);
}

#[test]
fn fewer_paths_than_configured_is_degraded() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    std::fs::write(
        dir.path()
            .join("devices/platform/host3/session2/target3:0:0/3:0:0:0/state"),
        "running\n",
    )
    .unwrap();
    assert!(list_maps(dir.path(), 2).unwrap()[0].degraded().is_empty());
    assert_eq!(
        list_maps(dir.path(), 3).unwrap()[0].degraded(),
        ["2 of 3 paths"]
    );
}

#[test]
fn partitions_and_a_mount_are_in_use_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let devs = list_block_devices(&StorageRoots::fixture(dir.path())).unwrap();
    let sdd = by_name(&devs, "sdd");
    assert_eq!(
        sdd.in_use,
        [
            InUse::Partitions(vec!["sdd1".into(), "sdd2".into()]),
            InUse::Mounted {
                dev: "sdd1".into(),
                at: "/data".into()
            },
            InUse::Filesystem {
                dev: "sdd1".into(),
                fs: "xfs".into()
            },
            InUse::LvmPv { dev: "sdd2".into() },
        ]
    );
    assert_eq!(sdd.by_path, "pci-0000:00:1f.2-ata-1");
    assert_eq!(sdd.in_use_short(), "2 part+3");
    let (_, rows) = nodeconsole::ui::panels::block::details(sdd);
    let all: Vec<String> = rows
        .iter()
        .map(|r| format!("{}|{}", r.label, r.value))
        .collect();
    let all = all.join("\n");
    assert!(all.contains("In use|has partitions: sdd1, sdd2"), "{all}");
    assert!(all.contains("|sdd1 is mounted on /data"), "{all}");
    assert!(all.contains("|sdd2 is an LVM physical volume"), "{all}");
    assert!(
        all.contains("cannot be added as shared block: it has partitions"),
        "{all}"
    );
}

#[test]
fn udev_record_and_by_path_links() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let devs = list_block_devices(&StorageRoots::fixture(dir.path())).unwrap();
    let sde = by_name(&devs, "sde");
    assert_eq!(sde.wwn, "0x6001405ffe0c2d3b", "the extended WWN wins");
    assert_eq!(sde.serial, "36001405ffe");
    assert!(
        sde.by_path.starts_with("ip-192.0.2.10:3260-iscsi-"),
        "{}",
        sde.by_path
    );
    assert!(sde.in_use.is_empty() && sde.notes.is_empty(), "{sde:#?}");
    let sdf = by_name(&devs, "sdf");
    assert_eq!(sdf.by_path, "ip-192.0.2.10:3260-iscsi-iqn.x-lun-2");
    assert!(
        sdf.notes
            .iter()
            .any(|n| n.contains("no udev record for 8:80")),
        "{:?}",
        sdf.notes
    );
    assert_eq!(wwn_from_wwid("naa.60014ABC"), "0x60014abc");
    assert_eq!(wwn_from_wwid("eui.0025385b71b0a1f2"), "");
    assert_eq!(wwn_from_wwid("naa.xyz"), "");
}

#[test]
fn no_mount_table_is_a_note_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    std::fs::remove_file(dir.path().join("proc/self/mountinfo")).unwrap();
    let devs = list_block_devices(&StorageRoots::fixture(dir.path())).unwrap();
    let sdd = by_name(&devs, "sdd");
    assert!(!sdd
        .in_use
        .iter()
        .any(|u| matches!(u, InUse::Mounted { .. })));
    assert!(
        sdd.notes.iter().any(|n| n.starts_with("mounts not known")),
        "{:?}",
        sdd.notes
    );
}

#[test]
fn fc_hosts_in_numeric_order_and_none_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let hosts = list_fc_hosts(dir.path()).unwrap();
    let got: Vec<(&str, &str, &str, &str)> = hosts
        .iter()
        .map(|h| {
            (
                h.host.as_str(),
                h.wwpn.as_str(),
                h.port_state.as_str(),
                h.speed.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("host7", "0x21000024ff3a1b2c", "Online", "16 Gbit"),
            ("host10", "0x21000024ff3a1b2d", "Linkdown", "16 Gbit")
        ]
    );
    assert_eq!(hosts[0].fabric_name, "0x100000051e0c1a2b");
    let empty = tempfile::tempdir().unwrap();
    assert!(list_fc_hosts(empty.path()).unwrap().is_empty());
}

/// The collectors' output on the storage screen: the degraded map's
/// warning on the main screen whatever table is up, the MULTIPATH table,
/// the FC table, and Enter's details window.
#[test]
fn fixture_on_the_storage_screen() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let roots = StorageRoots::fixture(dir.path());
    let mut app = testdata::app(Role::Storage, Theme::MONO_ASCII, 3);
    let at = app.now;
    for data in [
        UpdateData::Block(list_block_devices(&roots)),
        UpdateData::Multipath(list_maps(dir.path(), 0)),
        UpdateData::Fc(list_fc_hosts(dir.path())),
    ] {
        app.apply(Update { at, data });
    }
    let main = text(&draw(&app, 80, 24));
    assert!(main.contains("! MULTIPATH mpatha DEGRADED"), "{main}");
    app.on_key(Key::Tab);
    let block = text(&draw(&app, 80, 24));
    assert!(
        block.contains("IN USE") && block.contains("mpath"),
        "{block}"
    );
    assert!(block.contains("Enter  Details"), "{block}");
    app.on_key(Key::Tab);
    let mp = text(&draw(&app, 120, 40));
    assert!(mp.contains("mpatha") && mp.contains("DEGRADED"), "{mp}");
    assert!(
        mp.contains("path sdc offline") && mp.contains("`- sdc"),
        "{mp}"
    );
    assert!(
        mp.contains("policy and path-group states not known"),
        "{mp}"
    );
    app.on_key(Key::Tab);
    app.on_key(Key::Tab);
    let fc = text(&draw(&app, 80, 24));
    assert!(
        fc.contains("0x21000024ff3a1b2c") && fc.contains("Linkdown"),
        "{fc}"
    );
    // Back to the block table, down to sdd, Enter.
    app.on_key(Key::Tab);
    app.on_key(Key::Tab);
    let idx = app
        .block
        .value
        .as_ref()
        .unwrap()
        .iter()
        .position(|d| d.name == "sdd")
        .unwrap();
    for _ in 0..idx {
        app.on_key(Key::Down);
    }
    app.on_key(Key::Enter);
    let det = text(&draw(&app, 80, 24));
    assert!(det.contains("Block device sdd"), "{det}");
    assert!(det.contains("has partitions: sdd1, sdd2"), "{det}");
    app.on_key(Key::End);
    let det_end = text(&draw(&app, 80, 24));
    assert!(det_end.contains("cannot be added"), "{det_end}");
    app.on_key(Key::Esc);
    assert!(app.window.is_none());
}

/// xorshift64*: a stable, dependency-free source of test bytes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self) -> Vec<u8> {
        let n = (self.next() % 40) as usize;
        let pool: &[u8] = b"0123456789:abcdefx-.mpath \n\t\\E=S:/\xff\x00";
        (0..n)
            .map(|_| pool[(self.next() % pool.len() as u64) as usize])
            .collect()
    }
}

/// Every file the collectors read, overwritten with random bytes, many
/// times: the collectors return (a value or an error), never panic.
#[test]
fn malformed_sysfs_contents_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let mut files = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() {
                files.push(e.path());
            }
        }
    }
    assert!(files.len() > 40, "{}", files.len());
    let roots = StorageRoots::fixture(dir.path());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..120 {
        for f in &files {
            if rng.next() % 3 == 0 {
                std::fs::write(f, rng.bytes()).unwrap();
            }
        }
        let devs = list_block_devices(&roots).unwrap();
        for d in &devs {
            let _ = nodeconsole::ui::panels::block::details(d);
            let _ = d.in_use_short();
        }
        for m in list_maps(dir.path(), 2).unwrap() {
            let _ = m.degraded();
        }
        let _ = list_fc_hosts(dir.path()).unwrap();
    }
}

/// The collector asks device-mapper for the policy and path states; this
/// kernel has no device-mapper, so the fixture's `dev/` has no
/// `mapper/control` and the map says why they are not known.
#[test]
fn without_device_mapper_the_policy_says_why_it_is_unknown() {
    use nodeconsole::probe::multipath::MultipathCollector;
    use nodeconsole::probe::Collector;
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let maps = MultipathCollector::new(dir.path().into(), dir.path().join("dev"), 0)
        .collect()
        .unwrap();
    let e = maps[0].policy.as_ref().unwrap_err();
    assert!(
        e.starts_with("policy and path-group states not known: cannot open")
            && e.contains("mapper/control"),
        "{e}"
    );
}

/// device-mapper's status line marks a path failed whose SCSI device
/// still runs: the map is degraded for that reason.
#[test]
fn a_path_failed_by_device_mapper_degrades_the_map() {
    use nodeconsole::probe::dm_status::parse_status;
    use nodeconsole::probe::multipath::apply_status;
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    std::fs::write(
        dir.path()
            .join("devices/platform/host3/session2/target3:0:0/3:0:0:0/state"),
        "running\n",
    )
    .unwrap();
    let mut m = list_maps(dir.path(), 0).unwrap().remove(0);
    assert!(m.degraded().is_empty());
    apply_status(
        &mut m,
        &parse_status("2 0 0 0 1 1 A 0 2 2 8:16 A 0 0 1 8:32 F 3 0 1").unwrap(),
    );
    assert_eq!(m.paths[0].dm_state.as_deref(), Some("active"));
    assert_eq!(m.paths[1].dm_state.as_deref(), Some("failed"));
    assert_eq!(m.degraded(), ["path sdc dm failed"]);
}

/// The stable-toolchain run of the `storage_parsers` fuzz target's check:
/// random words of the parsers' own vocabulary, and random bytes.
#[test]
fn parsers_never_panic_on_random_input() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let vocab = [
        "0",
        "1",
        "2",
        "3",
        "4096",
        "4097",
        "A",
        "E",
        "D",
        "F",
        "8:16",
        "8:32",
        "multipath",
        "service-time",
        "E:ID_FS_TYPE=xfs",
        "S:disk/by-path/x",
        "-",
        "\\040",
        "\n",
        " ",
    ];
    for _ in 0..5000 {
        let n = (rng.next() % 30) as usize;
        let words: Vec<&str> = (0..n)
            .map(|_| vocab[(rng.next() % vocab.len() as u64) as usize])
            .collect();
        nodeconsole::probe::storage::fuzz_check_parsers(words.join(" ").as_bytes());
        nodeconsole::probe::storage::fuzz_check_parsers(&rng.bytes());
    }
    // A well-formed status line is one of the inputs that parse.
    let s = "2 0 0 0 1 1 A 0 2 2 8:16 A 0 0 1 8:32 F 3 0 1";
    assert!(nodeconsole::probe::dm_status::parse_status(s).is_ok());
}

/// A large storage node: 128 LUNs with two iSCSI paths each (256 disks,
/// each with a udev record) under 128 multipath maps. Every path is found
/// in use by its map and every map has both paths; the time is printed
/// (a figure for the README, never asserted).
#[test]
fn many_luns_and_maps() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut n = 0u32;
    for lun in 0..128u32 {
        let dm = format!("devices/virtual/block/dm-{lun}");
        for host in [2u32, 3] {
            let name = format!("sd{}", disk_letters(n));
            let devno = format!("{}:{}", 8 + (n / 16) * 57, (n % 16) * 16);
            let blk = scsi(
                root,
                &format!("platform/host{host}/session{host}/target{host}:0:0"),
                &format!("{host}:0:0:{lun}"),
                &name,
                &devno,
                "running",
            );
            link(root, &format!("{blk}/holders/dm-{lun}"), "../x");
            link(
                root,
                &format!("{dm}/slaves/{name}"),
                &format!("../../../../../{blk}"),
            );
            file(
                root,
                &format!("run/udev/data/b{devno}"),
                &format!("E:ID_WWN=0x6001405{lun:08x}\nE:ID_PATH=ip-192.0.2.{host}:3260-iscsi-iqn.x-lun-{lun}\n"),
            );
            n += 1;
        }
        file(
            root,
            &format!("{dm}/dm/uuid"),
            &format!("mpath-36001405{lun:08x}\n"),
        );
        file(root, &format!("{dm}/dm/name"), &format!("mpath{lun}\n"));
        file(root, &format!("{dm}/size"), "2097152\n");
        file(root, &format!("{dm}/dev"), &format!("253:{lun}\n"));
        link(root, &format!("block/dm-{lun}"), &format!("../{dm}"));
    }
    file(
        root,
        "proc/self/mountinfo",
        "22 1 254:1 / / rw - ext4 /dev/vda1 rw\n",
    );
    let roots = StorageRoots::fixture(root);
    let t0 = std::time::Instant::now();
    let devs = list_block_devices(&roots).unwrap();
    let t_block = t0.elapsed();
    let t1 = std::time::Instant::now();
    let maps = list_maps(root, 2).unwrap();
    let t_maps = t1.elapsed();
    assert_eq!(devs.len(), 256 + 128);
    assert_eq!(maps.len(), 128);
    assert!(maps
        .iter()
        .all(|m| m.paths.len() == 2 && m.degraded().is_empty()));
    let paths = devs
        .iter()
        .filter(|d| matches!(d.in_use.as_slice(), [InUse::MultipathPath { .. }]))
        .count();
    assert_eq!(paths, 256);
    assert!(devs
        .iter()
        .filter(|d| d.dev_type == "disk")
        .all(|d| d.by_path.starts_with("ip-")));
    eprintln!(
        "FIGURE: 256 paths + 128 maps: block table {:.1} ms, multipath {:.1} ms",
        t_block.as_secs_f64() * 1e3,
        t_maps.as_secs_f64() * 1e3
    );
}

/// `sda`, …, `sdz`, `sdaa`, … as the kernel names disks.
fn disk_letters(mut n: u32) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'a' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

/// A stand-in for multipathd on a unique abstract socket: libmpathcmd's
/// framing (native `size_t` length, NUL-terminated text) both ways.
/// `reply: None` accepts and never answers (a hung daemon).
fn fake_multipathd(reply: Option<&'static str>) -> (String, std::thread::JoinHandle<String>) {
    use std::io::{Read, Write};
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixListener};
    let name = format!(
        "nodeconsole-test-multipathd-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    );
    let l =
        UnixListener::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut len = [0u8; 8];
        s.read_exact(&mut len).unwrap();
        let mut cmd = vec![0u8; u64::from_ne_bytes(len) as usize];
        s.read_exact(&mut cmd).unwrap();
        let cmd = String::from_utf8_lossy(&cmd).into_owned();
        match reply {
            Some(r) => {
                let mut body = r.as_bytes().to_vec();
                body.push(0);
                s.write_all(&(body.len() as u64).to_ne_bytes()).unwrap();
                s.write_all(&body).unwrap();
            }
            // Hold the connection open without answering until the client
            // gives up (it closes its end).
            None => {
                let _ = s.read(&mut [0u8; 1]);
            }
        }
        cmd
    });
    (format!("@{name}"), h)
}

const SHOW_MAPS: &str = r#"{"major_version":0,"minor_version":1,"maps":[{"name":"mpatha",
 "uuid":"36001405abcdef0123","sysfs":"dm-0","features":"1 queue_if_no_path","hwhandler":"1 alua",
 "path_groups":[
  {"selector":"service-time 0","pri":50,"dm_st":"active","group":1,
   "paths":[{"dev":"sdb","dev_t":"8:16","dm_st":"active","dev_st":"running","chk_st":"ready"}]},
  {"selector":"service-time 0","pri":10,"dm_st":"enabled","group":2,
   "paths":[{"dev":"sdc","dev_t":"8:32","dm_st":"failed","dev_st":"running","chk_st":"faulty"}]}]}]}"#;

/// multipathd answers first: its policy, group states and each path's
/// checker state; a faulty path degrades the map.
#[test]
fn multipathd_answers_policy_and_checker_states() {
    use nodeconsole::probe::multipath::MultipathCollector;
    use nodeconsole::probe::Collector;
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    std::fs::write(
        dir.path()
            .join("devices/platform/host3/session2/target3:0:0/3:0:0:0/state"),
        "running\n",
    )
    .unwrap();
    let (sock, server) = fake_multipathd(Some(SHOW_MAPS));
    let maps = MultipathCollector::new(dir.path().into(), dir.path().join("dev"), 0)
        .with_multipathd(sock)
        .collect()
        .unwrap();
    assert_eq!(server.join().unwrap(), "show maps json\0");
    let m = &maps[0];
    assert_eq!(
        m.policy.as_deref(),
        Ok(
            "policy service-time 0, hw 1 alua, features 1 queue_if_no_path; \
            group 1 active 1 paths; group 2 enabled 1 paths (multipathd)"
        )
    );
    assert_eq!(m.paths[0].state_text(), "running, dm active, ready");
    assert_eq!(m.paths[1].state_text(), "running, dm failed, faulty");
    assert_eq!(m.degraded(), ["path sdc faulty"]);
}

/// A multipathd that accepts and never answers costs one timeout; the map
/// then falls back to device-mapper (absent here) and says both reasons.
#[test]
fn a_hung_multipathd_times_out_and_falls_back() {
    use nodeconsole::probe::multipath::MultipathCollector;
    use nodeconsole::probe::Collector;
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let (sock, server) = fake_multipathd(None);
    let t0 = std::time::Instant::now();
    let maps = MultipathCollector::new(dir.path().into(), dir.path().join("dev"), 0)
        .with_multipathd(sock)
        .collect()
        .unwrap();
    // Liveness bound, not a speed claim: the client's own timeout is 0.7 s.
    assert!(t0.elapsed() < std::time::Duration::from_secs(10));
    let e = maps[0].policy.as_ref().unwrap_err();
    assert!(
        e.contains("cannot open") && e.contains("mapper/control"),
        "{e}"
    );
    assert!(e.contains("multipathd (@") && e.contains("no reply"), "{e}");
    server.join().unwrap();
    // No daemon at all: "cannot connect".
    let maps = MultipathCollector::new(dir.path().into(), dir.path().join("dev"), 0)
        .with_multipathd("@nodeconsole-test-no-such-multipathd".into())
        .collect()
        .unwrap();
    let e = maps[0].policy.as_ref().unwrap_err();
    assert!(e.contains("cannot connect"), "{e}");
}
