//! BLOCK and iSCSI collectors against a fixture sysfs tree (built here in a
//! tempdir, because sysfs is mostly symlinks) and against the real /sys.

use std::path::Path;

use nodeconsole::probe::block::{is_disk_name, transport_of, BlockCollector};
use nodeconsole::probe::iscsi::IscsiCollector;
use nodeconsole::probe::{BlockDevice, Collector, StorageRoots};

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

/// A SCSI disk as the kernel lays it out.
struct Scsi<'a> {
    /// Path below devices/ of the target directory.
    parent: &'a str,
    hctl: &'a str,
    name: &'a str,
    vendor: &'a str,
    model: &'a str,
    /// SCSI peripheral type (0 disk, 5 rom).
    ty: &'a str,
    wwid: Option<&'a str>,
    sectors: u64,
}

/// `<parent>/<hctl>/{vendor,model,type,wwid}` and
/// `<parent>/<hctl>/block/<name>/{size,device}` linked from /sys/block.
fn scsi_disk(root: &Path, d: Scsi) {
    let dev = format!("devices/{}/{}", d.parent, d.hctl);
    file(root, &format!("{dev}/vendor"), &format!("{}\n", d.vendor));
    file(root, &format!("{dev}/model"), &format!("{}\n", d.model));
    file(root, &format!("{dev}/type"), &format!("{}\n", d.ty));
    if let Some(w) = d.wwid {
        file(root, &format!("{dev}/wwid"), &format!("{w}\n"));
    }
    let name = d.name;
    let blk = format!("{dev}/block/{name}");
    file(root, &format!("{blk}/size"), &format!("{}\n", d.sectors));
    link(
        root,
        &format!("{blk}/device"),
        &format!("../../../{}", d.hctl),
    );
    // Partitions live inside the disk directory, never directly in /sys/block.
    file(root, &format!("{blk}/{name}1/size"), "2048\n");
    file(root, &format!("{blk}/{name}1/partition"), "1\n");
    link(root, &format!("block/{name}"), &format!("../{blk}"));
}

fn build_sysfs(root: &Path) {
    scsi_disk(
        root,
        Scsi {
            parent: "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0",
            hctl: "0:0:0:0",
            name: "sda",
            vendor: "ATA     ",
            model: "Samsung SSD 860 ",
            ty: "0",
            wwid: Some("t10.ATA     Samsung SSD 860"),
            sectors: 1000,
        },
    );
    scsi_disk(
        root,
        Scsi {
            parent: "pci0000:00/0000:00:1f.2/ata2/host1/target1:0:0",
            hctl: "1:0:0:0",
            name: "sr0",
            vendor: "HL-DT-ST",
            model: "DVDRAM GH24NSD1",
            ty: "5",
            wwid: None,
            sectors: 0,
        },
    );
    scsi_disk(
        root,
        Scsi {
            parent: "platform/host2/session1/target2:0:0",
            hctl: "2:0:0:1",
            name: "sdb",
            vendor: "LIO-ORG ",
            model: "shared1         ",
            ty: "0",
            wwid: Some("naa.6001405abcdef0123"),
            sectors: 2_097_152,
        },
    );
    scsi_disk(
        root,
        Scsi {
            parent: "platform/host2/session2/target2:0:0",
            hctl: "3:0:0:1",
            name: "sdf",
            vendor: "LIO-ORG ",
            model: "shared1         ",
            ty: "0",
            wwid: Some("naa.6001405abcdef0123"),
            sectors: 2_097_152,
        },
    );
    scsi_disk(
        root,
        Scsi {
            parent: "pci0000:00/0000:00:05.0/host3/rport-3:0-0/target3:0:0",
            hctl: "3:0:0:2",
            name: "sdc",
            vendor: "3PARdata",
            model: "VV",
            ty: "0",
            wwid: Some("naa.60002ac0000000000000000100001234"),
            sectors: 4096,
        },
    );
    scsi_disk(
        root,
        Scsi {
            parent: "pci0000:00/0000:00:07.0/host4/port-4:0/end_device-4:0/target4:0:0",
            hctl: "4:0:0:0",
            name: "sdd",
            vendor: "SEAGATE ",
            model: "ST4000NM0023",
            ty: "0",
            wwid: None,
            sectors: 8192,
        },
    );
    scsi_disk(
        root,
        Scsi {
            parent: "pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host5/target5:0:0",
            hctl: "5:0:0:0",
            name: "sde",
            vendor: "Kingston",
            model: "DataTraveler",
            ty: "0",
            wwid: None,
            sectors: 64,
        },
    );

    // NVMe: wwid on the namespace, model on the controller, no HCTL.
    let ns = "devices/pci0000:00/0000:00:06.0/nvme/nvme0/nvme0n1";
    file(root, &format!("{ns}/size"), "100\n");
    file(root, &format!("{ns}/wwid"), "eui.0025385b71b0a1f2\n");
    file(
        root,
        "devices/pci0000:00/0000:00:06.0/nvme/nvme0/model",
        "Samsung SSD 970 EVO Plus 1TB            \n",
    );
    link(root, &format!("{ns}/device"), "../../nvme0");
    link(root, "block/nvme0n1", &format!("../{ns}"));
    // Per-path hidden node of native NVMe multipath: not a disk to show.
    file(
        root,
        "devices/pci0000:00/0000:00:06.0/nvme/nvme0/nvme0c0n1/size",
        "100\n",
    );
    link(
        root,
        "block/nvme0c0n1",
        "../devices/pci0000:00/0000:00:06.0/nvme/nvme0/nvme0c0n1",
    );

    // virtio disk: no SCSI attributes.
    file(
        root,
        "devices/pci0000:00/0000:00:02.0/virtio1/block/vda/size",
        "42\n",
    );
    link(
        root,
        "block/vda",
        "../devices/pci0000:00/0000:00:02.0/virtio1/block/vda",
    );

    // Multipath map over the two iSCSI paths, and an LVM volume to skip.
    let dm0 = "devices/virtual/block/dm-0";
    file(
        root,
        &format!("{dm0}/dm/uuid"),
        "mpath-36001405abcdef0123\n",
    );
    file(root, &format!("{dm0}/dm/name"), "mpatha\n");
    file(root, &format!("{dm0}/size"), "2097152\n");
    link(
        root,
        &format!("{dm0}/slaves/sdb"),
        "../../../../platform/host2/session1/target2:0:0/2:0:0:1/block/sdb",
    );
    link(
        root,
        &format!("{dm0}/slaves/sdf"),
        "../../../../platform/host2/session2/target2:0:0/3:0:0:1/block/sdf",
    );
    link(root, "block/dm-0", "../devices/virtual/block/dm-0");
    file(root, "devices/virtual/block/dm-1/dm/uuid", "LVM-abcdef\n");
    file(root, "devices/virtual/block/dm-1/size", "10\n");
    link(root, "block/dm-1", "../devices/virtual/block/dm-1");

    for v in ["loop0", "ram0", "zram0", "md127"] {
        file(root, &format!("devices/virtual/block/{v}/size"), "10\n");
        link(
            root,
            &format!("block/{v}"),
            &format!("../devices/virtual/block/{v}"),
        );
    }

    // iSCSI sessions 1, 2 and 10 (numeric order), one with only the current
    // address (IPv6) and no persistent one.
    for (sid, target, state) in [
        ("1", "iqn.2003-01.org.linux-iscsi.stor1:shared", "LOGGED_IN"),
        ("2", "iqn.2003-01.org.linux-iscsi.stor2:shared", "LOGGED_IN"),
        ("10", "iqn.2003-01.org.linux-iscsi.stor3:backup", "FAILED"),
    ] {
        file(
            root,
            &format!("class/iscsi_session/session{sid}/targetname"),
            &format!("{target}\n"),
        );
        file(
            root,
            &format!("class/iscsi_session/session{sid}/state"),
            &format!("{state}\n"),
        );
    }
    file(
        root,
        "class/iscsi_connection/connection1:0/persistent_address",
        "192.0.2.10\n",
    );
    file(
        root,
        "class/iscsi_connection/connection1:0/persistent_port",
        "3260\n",
    );
    file(
        root,
        "class/iscsi_connection/connection1:0/address",
        "192.0.2.99\n",
    );
    file(
        root,
        "class/iscsi_connection/connection2:0/address",
        "2001:db8::10\n",
    );
    file(root, "class/iscsi_connection/connection2:0/port", "3261\n");
    file(
        root,
        "class/iscsi_connection/connection10:0/persistent_address",
        "192.0.2.30\n",
    );
    file(
        root,
        "class/iscsi_connection/connection10:0/persistent_port",
        "3260\n",
    );
}

fn by_name<'a>(devs: &'a [BlockDevice], name: &str) -> &'a BlockDevice {
    devs.iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} missing from {devs:#?}"))
}

#[test]
fn block_devices_from_fixture_sysfs() {
    let dir = tempfile::tempdir().unwrap();
    build_sysfs(dir.path());
    let devs = BlockCollector::new(StorageRoots::fixture(dir.path()))
        .collect()
        .unwrap();
    let names: Vec<&str> = devs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["dm-0", "nvme0n1", "sda", "sdb", "sdc", "sdd", "sde", "sdf", "sr0", "vda"]
    );

    let sda = by_name(&devs, "sda");
    assert_eq!(
        (sda.vendor.as_str(), sda.model.as_str()),
        ("ATA", "Samsung SSD 860")
    );
    assert_eq!(sda.hctl, "0:0:0:0");
    assert_eq!(sda.dev_type, "disk");
    assert_eq!(sda.transport, "sata");
    assert_eq!(sda.size_bytes, 512_000);

    let sdb = by_name(&devs, "sdb");
    assert_eq!(sdb.transport, "iscsi");
    assert_eq!(sdb.wwid, "naa.6001405abcdef0123");
    assert_eq!(sdb.hctl, "2:0:0:1");
    assert_eq!(sdb.model, "shared1");
    assert_eq!(sdb.size_bytes, 1 << 30);

    assert_eq!(by_name(&devs, "sdc").transport, "fc");
    assert_eq!(by_name(&devs, "sdd").transport, "sas");
    assert_eq!(by_name(&devs, "sde").transport, "usb");
    let sr0 = by_name(&devs, "sr0");
    assert_eq!(
        (sr0.dev_type.as_str(), sr0.transport.as_str()),
        ("rom", "sata")
    );

    let nvme = by_name(&devs, "nvme0n1");
    assert_eq!(nvme.transport, "nvme");
    assert_eq!(nvme.wwid, "eui.0025385b71b0a1f2");
    assert_eq!(nvme.model, "Samsung SSD 970 EVO Plus 1TB");
    assert_eq!(nvme.hctl, "");
    assert_eq!(nvme.dev_type, "disk");

    let vda = by_name(&devs, "vda");
    assert_eq!(
        (vda.transport.as_str(), vda.size_bytes),
        ("virtio", 42 * 512)
    );

    let mp = by_name(&devs, "dm-0");
    assert_eq!(mp.dev_type, "mpath");
    assert_eq!(mp.wwid, "36001405abcdef0123");
    assert_eq!(
        (mp.vendor.as_str(), mp.model.as_str()),
        ("LIO-ORG", "shared1")
    );
    assert_eq!(mp.transport, "iscsi");
    assert_eq!(mp.size_bytes, 1 << 30);
}

#[test]
fn block_missing_sysfs_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = BlockCollector::new(StorageRoots::fixture(dir.path()))
        .collect()
        .unwrap_err();
    assert!(
        err.contains("cannot list") && err.contains("block"),
        "{err}"
    );
}

#[test]
fn disk_name_filter() {
    for yes in [
        "sda", "sdaa", "vdb", "xvda", "hda", "sr0", "nvme0n1", "nvme12n3",
    ] {
        assert!(is_disk_name(yes), "{yes}");
    }
    for no in [
        "loop0",
        "ram0",
        "zram0",
        "md0",
        "sda1",
        "nvme0n1p1",
        "nvme0c0n1",
        "sd",
        "dm-0",
        "sr",
    ] {
        assert!(!is_disk_name(no), "{no}");
    }
}

#[test]
fn transport_from_path() {
    assert_eq!(
        transport_of("/sys/devices/platform/host7/session3/target7:0:0/7:0:0:0/block/sdx"),
        "iscsi"
    );
    assert_eq!(
        transport_of(
            "/sys/devices/pci0000:00/0000:00:05.0/host3/rport-3:0-0/target3:0:0/3:0:0:2/block/sdc"
        ),
        "fc"
    );
    assert_eq!(transport_of("/sys/devices/pci0000:00/0000:00:07.0/host4/port-4:0/expander-4:0/port-4:0:1/end_device-4:0:1/target4:0:1/4:0:1:0/block/sdq"), "sas");
    assert_eq!(
        transport_of(
            "/sys/devices/pci0000:00/0000:00:07.0/host9/port-9:0/target9:0:0/9:0:0:0/block/sdz"
        ),
        "sas"
    );
    assert_eq!(
        transport_of("/sys/devices/platform/host0/target0:0:0/0:0:0:0/block/sda"),
        "unknown"
    );
}

#[test]
fn iscsi_sessions_from_fixture_sysfs() {
    let dir = tempfile::tempdir().unwrap();
    build_sysfs(dir.path());
    let s = IscsiCollector::new(dir.path().to_path_buf())
        .collect()
        .unwrap();
    let ids: Vec<&str> = s.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "10"]);
    assert_eq!(s[0].target, "iqn.2003-01.org.linux-iscsi.stor1:shared");
    assert_eq!(s[0].portal, "192.0.2.10:3260", "persistent address wins");
    assert_eq!(s[0].state, "LOGGED_IN");
    assert_eq!(s[1].portal, "[2001:db8::10]:3261");
    assert_eq!(s[2].state, "FAILED");
}

#[test]
fn iscsi_none_is_empty_not_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(IscsiCollector::new(dir.path().to_path_buf())
        .collect()
        .unwrap()
        .is_empty());
}

#[test]
fn real_sysfs_sanity() {
    let devs = BlockCollector::new(StorageRoots::system("/sys".into()))
        .collect()
        .unwrap();
    let listed: Vec<String> = std::fs::read_dir("/sys/block")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| is_disk_name(n))
        .collect();
    // Every real disk name is reported (dm multipath maps may add more).
    for n in &listed {
        let d = by_name(&devs, n);
        assert!(!d.transport.is_empty() && !d.dev_type.is_empty(), "{d:?}");
    }
    for d in &devs {
        assert!(
            !d.name.starts_with("loop") && !d.name.starts_with("zram"),
            "{d:?}"
        );
    }
    // Sessions may or may not exist here; the call must succeed either way.
    IscsiCollector::new("/sys".into()).collect().unwrap();
}
