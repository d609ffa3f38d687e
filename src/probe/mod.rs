//! Read-only facts about this node, each gathered by a [`Collector`] that
//! runs on its own cadence with a hard timeout (see [`runner`]).
//!
//! Collectors are synchronous and may block (they read /proc and sysfs, talk
//! netlink, call statvfs); the runner moves each call onto tokio's blocking
//! pool so that a slow NFS mount or a hung driver never reaches the UI.

pub mod block;
pub mod block_use;
pub mod clock;
pub mod cpu;
pub mod disk;
pub mod dm_ioctl;
pub mod dm_status;
pub mod fc;
pub mod iscsi;
pub mod mem;
pub mod mountinfo;
pub mod multipath;
pub mod multipathd;
pub mod nic;
pub mod runner;
pub mod storage;
pub mod time;
pub mod udev_db;

pub use storage::{BlockDevice, FcHost, InUse, MpathPath, MultipathMap, StorageRoots};

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Something that gathers one snapshot of one subsystem.
///
/// `collect` may keep state between calls (the CPU collector needs the
/// previous /proc/stat sample) and may block; it is never called
/// concurrently with itself.
pub trait Collector: Send + 'static {
    type Output: Send + 'static;
    /// Short name for logs and the "timed out" message.
    fn name(&self) -> &'static str;
    /// Gathers one snapshot. The error is shown in the panel as is.
    fn collect(&mut self) -> Result<Self::Output, String>;
}

/// TIME INFO (the current time comes from the UI clock, not from here).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeInfo {
    pub boot: SystemTime,
    pub uptime: Duration,
    /// 1, 5 and 15 minute load averages.
    pub load: [f64; 3],
}

/// One watched directory of DISK INFO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskEntry {
    pub path: PathBuf,
    pub usage: Result<DiskUsage, String>,
}

/// Space of the file system holding a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskUsage {
    pub total_bytes: u64,
    /// Space available to unprivileged users (what `df` calls Avail).
    pub free_bytes: u64,
}

impl DiskUsage {
    /// Used share in percent, 0..=100.
    pub fn used_pct(&self) -> u8 {
        if self.total_bytes == 0 {
            return 0;
        }
        let used = self.total_bytes.saturating_sub(self.free_bytes);
        ((used as u128 * 100 / self.total_bytes as u128).min(100)) as u8
    }
}

/// What kind of link a NIC is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NicKind {
    Physical,
    Bond,
    Bridge,
    Vlan,
    Veth,
    Vxlan,
    Tun,
    Loopback,
    Other(String),
}

impl NicKind {
    pub fn label(&self) -> &str {
        match self {
            NicKind::Physical => "physical",
            NicKind::Bond => "bond",
            NicKind::Bridge => "bridge",
            NicKind::Vlan => "vlan",
            NicKind::Veth => "veth",
            NicKind::Vxlan => "vxlan",
            NicKind::Tun => "tun",
            NicKind::Loopback => "loopback",
            NicKind::Other(s) => s,
        }
    }
}

/// One network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    pub index: u32,
    pub name: String,
    pub kind: NicKind,
    /// Operational state is UP (carrier and admin up).
    pub up: bool,
    /// Kernel operstate as text (`up`, `down`, `unknown`, `lowerlayerdown`).
    pub operstate: String,
    pub mac: Option<String>,
    pub mtu: u32,
    pub ipv4: Vec<(Ipv4Addr, u8)>,
    pub ipv6: Vec<(Ipv6Addr, u8)>,
    /// Bond or bridge this NIC is enslaved to.
    pub master: Option<String>,
    /// Link speed in Mb/s from sysfs, when known.
    pub speed_mbps: Option<u32>,
    /// Driver name from sysfs, when known.
    pub driver: Option<String>,
    /// Carries the management network (`MN`).
    pub is_mn: bool,
    /// Holds the default route.
    pub default_route: bool,
    /// Next hop of the IPv4 default route through this NIC (lowest
    /// metric), shown as the "before" of a change to it.
    pub gateway: Option<Ipv4Addr>,
}

/// NIC INFO: every link, loopback excluded, physical NICs first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NicInfo {
    pub nics: Vec<Nic>,
}

/// CPU USAGE: share of all cores busy since the previous sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuInfo {
    pub usage_pct: f32,
    pub cores: u32,
}

/// MEM USAGE from /proc/meminfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemInfo {
    pub total_kib: u64,
    pub available_kib: u64,
    pub swap_total_kib: u64,
    pub swap_free_kib: u64,
}

impl MemInfo {
    pub fn used_pct(&self) -> u8 {
        if self.total_kib == 0 {
            return 0;
        }
        let used = self.total_kib.saturating_sub(self.available_kib);
        ((used as u128 * 100 / self.total_kib as u128).min(100)) as u8
    }
}

/// One iSCSI session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IscsiSession {
    pub id: String,
    pub target: String,
    /// `address:port` of the portal.
    pub portal: String,
    pub state: String,
}
