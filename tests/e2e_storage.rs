//! End to end: the real binary in tmux at 80x24, `--demo --role storage`
//! with `[storage]` pointed at a fixture tree (sysfs, udev database,
//! `/dev`, mount table) built here: the degraded multipath warning on the
//! main screen, the block table, Enter's details window with why a LUN is
//! in use, and the MULTIPATH table. A fixture because this machine's kernel
//! has no iSCSI or device-mapper modules (issue #20's VM test bed will run
//! a real target).

mod common;
use std::path::Path;

use common::tmux::{bin, q, require, Tmux};

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

fn disk(root: &Path, host: u32, lun: u32, name: &str, devno: &str, state: &str) -> String {
    let dev =
        format!("devices/platform/host{host}/session{host}/target{host}:0:0/{host}:0:0:{lun}");
    file(root, &format!("{dev}/vendor"), "LIO-ORG\n");
    file(root, &format!("{dev}/model"), "shared1\n");
    file(root, &format!("{dev}/type"), "0\n");
    file(root, &format!("{dev}/state"), &format!("{state}\n"));
    file(root, &format!("{dev}/wwid"), "naa.6001405abcdef0123\n");
    let blk = format!("{dev}/block/{name}");
    file(root, &format!("{blk}/size"), "2097152\n");
    file(root, &format!("{blk}/dev"), &format!("{devno}\n"));
    link(
        root,
        &format!("{blk}/device"),
        &format!("../../../{host}:0:0:{lun}"),
    );
    link(root, &format!("block/{name}"), &format!("../{blk}"));
    blk
}

fn build(root: &Path) {
    let sdb = disk(root, 2, 0, "sdb", "8:16", "running");
    let sdc = disk(root, 3, 0, "sdc", "8:32", "offline");
    let dm = "devices/virtual/block/dm-0";
    for (n, blk) in [("sdb", &sdb), ("sdc", &sdc)] {
        link(root, &format!("{blk}/holders/dm-0"), "../x");
        link(
            root,
            &format!("{dm}/slaves/{n}"),
            &format!("../../../../../{blk}"),
        );
    }
    file(root, &format!("{dm}/dm/uuid"), "mpath-36001405abcdef0123\n");
    file(root, &format!("{dm}/dm/name"), "mpatha\n");
    file(root, &format!("{dm}/size"), "2097152\n");
    file(root, &format!("{dm}/dev"), "253:0\n");
    link(root, "block/dm-0", &format!("../{dm}"));
    let sdd = disk(root, 4, 1, "sdd", "8:48", "running");
    file(root, &format!("{sdd}/sdd1/partition"), "1\n");
    file(root, &format!("{sdd}/sdd1/dev"), "8:49\n");
    file(root, "run/udev/data/b8:48", "E:ID_PART_TABLE_TYPE=gpt\n");
    file(
        root,
        "proc/mountinfo",
        "40 1 8:49 / /data rw - xfs /dev/sdd1 rw\n",
    );
}

#[test]
fn storage_screen_from_a_fixture_tree() {
    if !require("tmux") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    build(&root);
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[storage]\nsysfs_root = \"{r}\"\ndev_root = \"{r}/dev\"\nudev_root = \"{r}/run/udev\"\n\
             mountinfo = \"{r}/proc/mountinfo\"\nmultipathd_socket = \"\"\n",
            r = root.display()
        ),
    )
    .unwrap();
    let log = dir.path().join("log");
    let t = Tmux::start(
        &format!(
            "{} --demo --role storage --config {} --log-file {}",
            bin(),
            q(&cfg),
            q(&log)
        ),
        80,
        24,
    );
    t.wait_text("! MULTIPATH mpatha DEGRADED");
    t.key("Tab");
    let s = t.wait_text("BLOCK DEVICES");
    assert!(s.contains("IN USE") && s.contains("mpath"), "{s}");
    // dm-0, sdb, sdc, sdd: down to sdd, Enter.
    for _ in 0..3 {
        t.key("Down");
    }
    t.key("Enter");
    let d = t.wait_text("Block device sdd");
    assert!(d.contains("has partitions: sdd1"), "{d}");
    assert!(d.contains("sdd1 is mounted on /data"), "{d}");
    assert!(d.contains("cannot be added"), "{d}");
    t.key("Escape");
    t.wait_for("the details window closed", |s| {
        !s.contains("Block device sdd")
    });
    t.key("Tab");
    let m = t.wait_text("MULTIPATH 1 map, 1 DEGRADED");
    assert!(m.contains("offline") && m.contains("`- sdc"), "{m}");
    // The 4th row (why the policy is not known) is below at 80x24: End.
    t.key("End");
    let m = t.wait_text("[2-4 of 4]");
    assert!(m.contains("not known"), "{m}");
    t.key("q");
    let end = t.wait_text("EXITED:");
    assert!(end.contains("EXITED:0"), "{end}");
}
