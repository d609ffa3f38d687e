//! Deterministic sample state for render snapshot tests and benchmarks
//! (shared so the two cannot drift apart). Not used by the product.

use std::net::Ipv4Addr;
use std::time::{Duration, SystemTime};

use crate::app::{App, Feed, Settings, Update, UpdateData};
use crate::config::Role;
use crate::engine::{
    Availability, Capabilities, Capability, HostSummary, NodeStatus, VmReport, VmRow, VmState,
};
use crate::probe::{
    BlockDevice, CpuInfo, DiskEntry, DiskUsage, FcHost, InUse, IscsiSession, MemInfo, MpathPath,
    MultipathMap, Nic, NicInfo, NicKind, TimeInfo,
};
use crate::ui::theme::Theme;

/// 2026-11-22 10:30:00 UTC.
pub fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_343_400)
}

pub fn settings(role: Role, theme: Theme) -> Settings {
    Settings {
        role,
        engine_name: "libvirt",
        engine_display: "libvirt",
        hostname: "node-a01".into(),
        demo: false,
        demo_note: None,
        theme,
        tty: "tty1".into(),
        idle_timeout: Duration::from_secs(300),
        menu: crate::features::menu(role, &libvirt_like_caps(), &Default::default()),
        password_actions: [
            Availability::Available,
            Availability::Unavailable("not supported by the libvirt engine".into()),
            Availability::Unavailable("not supported by the libvirt engine".into()),
            Availability::Unavailable("not supported by the libvirt engine".into()),
        ],
        terminal_info: Settings::terminal_info_lines(&Default::default()),
        cluster_logs: false,
        ping_target: "114.114.114.114".into(),
        rollback_s: 60,
        max_clock_offset_s: 1.0,
        resolv_conf: crate::diag::resolv::DEFAULT_PATH.into(),
    }
}

/// A ZStack-like management node's settings: every engine capability, the
/// network items and exports available (flow tests of every menu item).
pub fn zstack_like_settings(theme: Theme) -> Settings {
    let mut s = settings(Role::Management, theme);
    let caps = Capabilities {
        entries: [
            Capability::ServiceControl,
            Capability::Reset,
            Capability::ResetDropDatabase,
            Capability::ConsoleProxy,
            Capability::DatabasePassword,
            Capability::MessageBusPassword,
            Capability::ManagementIp,
            Capability::DatabaseBackup,
            Capability::ClusterLogs,
        ]
        .into_iter()
        .map(|c| (c, Availability::Available))
        .collect(),
    };
    s.menu = crate::features::menu(
        Role::Management,
        &caps,
        &crate::features::NodeFeatures {
            network: Availability::Available,
            collect_logs: Availability::Available,
            exports: Availability::Available,
            audit_log: Availability::Available,
        },
    );
    s.password_actions = std::array::from_fn(|_| Availability::Available);
    s.engine_name = "zstack";
    s.engine_display = "ZStack";
    s
}

/// Capabilities like the libvirt engine's: service control and backup.
pub fn libvirt_like_caps() -> Capabilities {
    Capabilities {
        entries: vec![
            (Capability::ServiceControl, Availability::Available),
            (Capability::DatabaseBackup, Availability::Available),
            (
                Capability::Reset,
                Availability::Unavailable("a standalone libvirt node has no reinstall".into()),
            ),
        ],
    }
}

fn nic(name: &str, kind: NicKind, up: bool, mac: &str, v4: Option<(&str, u8)>) -> Nic {
    Nic {
        index: 0,
        name: name.into(),
        kind,
        up,
        operstate: if up { "up".into() } else { "down".into() },
        mac: Some(mac.into()),
        mtu: 1500,
        ipv4: v4
            .map(|(a, p)| vec![(a.parse::<Ipv4Addr>().unwrap(), p)])
            .unwrap_or_default(),
        ipv6: vec![],
        master: None,
        speed_mbps: Some(10000),
        driver: Some("ixgbe".into()),
        is_mn: false,
        default_route: false,
        gateway: None,
    }
}

pub fn nics() -> NicInfo {
    let mut eth0 = nic(
        "eth0",
        NicKind::Physical,
        true,
        "52:54:00:a1:00:01",
        Some(("192.168.10.23", 24)),
    );
    eth0.is_mn = true;
    eth0.default_route = true;
    eth0.gateway = Some(Ipv4Addr::new(192, 168, 10, 1));
    let mut eth1 = nic("eth1", NicKind::Physical, true, "52:54:00:a1:00:02", None);
    eth1.master = Some("bond0".into());
    let mut eth2 = nic("eth2", NicKind::Physical, true, "52:54:00:a1:00:03", None);
    eth2.master = Some("bond0".into());
    let eth3 = nic("eth3", NicKind::Physical, false, "52:54:00:a1:00:04", None);
    let bond0 = nic(
        "bond0",
        NicKind::Bond,
        true,
        "52:54:00:a1:00:02",
        Some(("10.20.0.23", 16)),
    );
    NicInfo {
        nics: vec![eth0, eth1, eth2, eth3, bond0],
    }
}

pub fn vm_rows(n: usize) -> Vec<VmRow> {
    let names = [
        "web-01",
        "web-02",
        "db-primary",
        "db-replica",
        "cache-01",
        "build-runner",
        "monitoring",
        "ldap",
        "mail-relay",
        "backup-proxy",
        "k8s-master",
        "k8s-worker-1",
        "k8s-worker-2",
        "win2019-jump",
    ];
    let states = [
        VmState::Running,
        VmState::Running,
        VmState::Running,
        VmState::Paused,
        VmState::Stopped,
        VmState::Running,
        VmState::Stopped,
    ];
    (0..n)
        .map(|i| VmRow {
            uuid: format!("6695eb01-f6a4-8304-79aa-{:012x}", 0x97f2_0000 + i),
            name: if i < names.len() {
                names[i].to_string()
            } else {
                format!("vm-{i:05}")
            },
            vcpus: [1, 2, 4, 8][i % 4],
            memory_kib: [1, 2, 4, 16][i % 4] * 1024 * 1024,
            state: states[i % states.len()],
        })
        .collect()
}

/// An app with every panel filled, as a real node would show it.
pub fn app(role: Role, theme: Theme, vms: usize) -> App {
    let now = now();
    let mut a = App::new(settings(role, theme), now);
    a.utc_offset_s = 8 * 3600;
    let at = now;
    let up = |data| Update { at, data };
    a.apply(up(UpdateData::Time(Ok(TimeInfo {
        boot: now - Duration::from_secs(3 * 86400 + 4 * 3600 + 5 * 60 + 6),
        uptime: Duration::from_secs(3 * 86400 + 4 * 3600 + 5 * 60 + 6),
        load: [0.42, 0.35, 0.30],
    }))));
    a.apply(up(UpdateData::Clock(Ok(crate::probe::clock::ClockInfo {
        kernel: crate::probe::clock::KernelSync::Synced { est_error_us: 500 },
        reference: Some("10.0.0.2".into()),
        sample: Some(Ok(crate::net::sntp::Sample {
            server: "10.0.0.2:123".parse().unwrap(),
            offset_s: 0.0042,
            delay_s: 0.0008,
            stratum: 3,
        })),
    }))));
    let gib = 1024 * 1024 * 1024u64;
    a.apply(up(UpdateData::Disks(Ok(vec![
        DiskEntry {
            path: "/".into(),
            usage: Ok(DiskUsage {
                total_bytes: 50 * gib,
                free_bytes: 31 * gib,
            }),
        },
        DiskEntry {
            path: "/var/log".into(),
            usage: Ok(DiskUsage {
                total_bytes: 20 * gib,
                free_bytes: 2 * gib,
            }),
        },
        DiskEntry {
            path: "/var/lib/libvirt".into(),
            usage: Ok(DiskUsage {
                total_bytes: 2000 * gib,
                free_bytes: 1200 * gib,
            }),
        },
    ]))));
    a.apply(up(UpdateData::Nics(Ok(nics()))));
    for i in 0..60u32 {
        a.apply(up(UpdateData::Cpu(Ok(CpuInfo {
            usage_pct: ((i * 37) % 100) as f32 * 0.5,
            cores: 16,
        }))));
        a.apply(up(UpdateData::Mem(Ok(MemInfo {
            total_kib: 64 * 1024 * 1024,
            available_kib: (40 - (i % 10) as u64) * 1024 * 1024,
            swap_total_kib: 8 * 1024 * 1024,
            swap_free_kib: 8 * 1024 * 1024,
        }))));
    }
    a.apply(up(UpdateData::Cpu(Ok(CpuInfo {
        usage_pct: 23.4,
        cores: 16,
    }))));
    a.apply(up(UpdateData::Node(Ok(NodeStatus {
        service_name: "libvirtd".into(),
        service_running: true,
        ui_running: None,
        version: "libvirt 9.0.0".into(),
        ui_url: None,
        license: None,
        extra: vec![
            ("Hypervisor".into(), "QEMU 7.2.0".into()),
            ("URI".into(), "qemu:///system".into()),
        ],
    }))));
    a.apply(up(UpdateData::Hosts(Ok(HostSummary {
        total: 1,
        enabled: 1,
        connected: 1,
    }))));
    let mut report = VmReport::from_rows(vm_rows(vms));
    if role == Role::Management {
        report.list.clear();
    }
    a.apply(up(UpdateData::Vms(Ok(report))));
    a.apply(up(UpdateData::Block(Ok(storage_block_devices()))));
    a.apply(up(UpdateData::Multipath(Ok(storage_multipath()))));
    a.apply(up(UpdateData::Fc(Ok(vec![FcHost {
        host: "host7".into(),
        wwpn: "0x21000024ff3a1b2c".into(),
        wwnn: "0x20000024ff3a1b2c".into(),
        port_state: "Online".into(),
        speed: "16 Gbit".into(),
        fabric_name: "0x100000051e0c1a2b".into(),
    }]))));
    a.apply(up(UpdateData::Iscsi(Ok(vec![IscsiSession {
        id: "1".into(),
        target: "iqn.2003-01.org.linux-iscsi.stor1:lun0".into(),
        portal: "10.20.0.50:3260".into(),
        state: "LOGGED_IN".into(),
    }]))));
    a.dirty = true;
    a
}

/// The storage node's LUNs: the system disk (partitions, one mounted), a
/// multipath map over two iSCSI paths, and a free LUN.
pub fn storage_block_devices() -> Vec<BlockDevice> {
    let gib = 1u64 << 30;
    let lio = |name: &str, hctl: &str, portal: &str, in_use: Vec<InUse>| BlockDevice {
        name: name.into(),
        wwid: "naa.6001405a3b5e2c1f9d8e7c6b5a493827".into(),
        vendor: "LIO-ORG".into(),
        model: "shared-lun0".into(),
        hctl: hctl.into(),
        dev_type: "disk".into(),
        size_bytes: 2048 * gib,
        transport: "iscsi".into(),
        wwn: "0x6001405a3b5e2c1f9d8e7c6b5a493827".into(),
        serial: "36001405a3b5e2c1f9d8e7c6b5a493827".into(),
        by_path: format!("ip-{portal}-iscsi-iqn.2003-01.org.linux-iscsi.stor1:lun0-lun-0"),
        in_use,
        ..BlockDevice::default()
    };
    let member = || {
        vec![InUse::MultipathPath {
            map: "mpatha".into(),
            dm: "dm-0".into(),
        }]
    };
    vec![
        BlockDevice {
            name: "dm-0".into(),
            wwid: "36001405a3b5e2c1f9d8e7c6b5a493827".into(),
            vendor: "LIO-ORG".into(),
            model: "shared-lun0".into(),
            dev_type: "mpath".into(),
            size_bytes: 2048 * gib,
            transport: "iscsi".into(),
            devno: "253:0".into(),
            ..BlockDevice::default()
        },
        BlockDevice {
            name: "sda".into(),
            wwid: "naa.600508b1001c4d8a".into(),
            vendor: "HPE".into(),
            model: "LOGICAL VOLUME".into(),
            hctl: "0:1:0:0".into(),
            dev_type: "disk".into(),
            size_bytes: 480 * gib,
            transport: "sas".into(),
            devno: "8:0".into(),
            wwn: "0x600508b1001c4d8a".into(),
            by_path: "pci-0000:03:00.0-scsi-0:1:0:0".into(),
            in_use: vec![
                InUse::Partitions(vec!["sda1".into(), "sda2".into()]),
                InUse::Mounted {
                    dev: "sda1".into(),
                    at: "/boot".into(),
                },
                InUse::LvmPv { dev: "sda2".into() },
            ],
            ..BlockDevice::default()
        },
        BlockDevice {
            devno: "8:16".into(),
            ..lio("sdb", "3:0:0:0", "10.20.0.50:3260", member())
        },
        BlockDevice {
            devno: "8:32".into(),
            ..lio("sdc", "4:0:0:0", "10.20.0.51:3260", member())
        },
        BlockDevice {
            devno: "8:48".into(),
            wwid: "naa.6001405ffe0c2d3b4a5968778695a4b3".into(),
            wwn: "0x6001405ffe0c2d3b4a5968778695a4b3".into(),
            model: "shared-lun1".into(),
            size_bytes: 300 * gib,
            ..lio("sdd", "3:0:0:1", "10.20.0.50:3260", vec![])
        },
    ]
}

/// `mpatha` over sdb (running) and sdc (offline): degraded.
pub fn storage_multipath() -> Vec<MultipathMap> {
    let path = |name: &str, devno: &str, hctl: &str, state: &str| MpathPath {
        name: name.into(),
        devno: devno.into(),
        hctl: hctl.into(),
        scsi_state: state.into(),
        dm_state: None,
        checker: None,
    };
    vec![MultipathMap {
        name: "mpatha".into(),
        dm: "dm-0".into(),
        wwid: "36001405a3b5e2c1f9d8e7c6b5a493827".into(),
        size_bytes: 2048 << 30,
        vendor: "LIO-ORG".into(),
        model: "shared-lun0".into(),
        suspended: false,
        paths: vec![
            path("sdb", "8:16", "3:0:0:0", "running"),
            path("sdc", "8:32", "4:0:0:0", "offline"),
        ],
        expected_paths: 2,
        policy: Err(crate::probe::multipath::POLICY_UNKNOWN.into()),
    }]
}

/// An app on which every source has failed, one never answered.
pub fn app_failing(role: Role, theme: Theme) -> App {
    let mut a = app(role, theme, 14);
    a.node = Feed::failed("libvirt unreachable: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory");
    a.hosts = Feed::failed("libvirt unreachable");
    a.vms = Feed::failed("libvirt unreachable");
    a.apply(Update {
        at: now() + Duration::from_secs(130),
        data: UpdateData::Nics(Err("netlink timed out after 2s".into())),
    });
    a.now = now() + Duration::from_secs(130);
    a.disks = Feed::default();
    a
}

/// A libvirt test-driver node XML with `n` domains in rotating states
/// (3 of 5 running, 1 paused, 1 shut off), for benchmarks and tests that
/// need a big node.
pub fn libvirt_node_xml(n: usize) -> String {
    use std::fmt::Write as _;
    let mut xml = String::from("<node>\n");
    for i in 0..n {
        let state = [1, 1, 1, 3, 5][i % 5];
        let _ = writeln!(
            xml,
            "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\
             <name>vm-{i:05}</name><uuid>00000000-0000-4000-8000-{i:012x}</uuid>\
             <memory unit='MiB'>{}</memory><vcpu>{}</vcpu><os><type>hvm</type></os>\
             <test:runstate>{state}</test:runstate></domain>",
            512 * (1 + i % 8),
            1 + i % 4
        );
    }
    xml.push_str("</node>\n");
    xml
}
