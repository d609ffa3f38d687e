//! Messages from collectors and jobs to the app: whole snapshots, never
//! partial state, so applying one is a plain replace.

use crate::engine::{HostSummary, NodeStatus, VmReport};
use crate::probe::{
    BlockDevice, CpuInfo, DiskEntry, FcHost, IscsiSession, MemInfo, MultipathMap, NicInfo, TimeInfo,
};
use std::time::SystemTime;

/// A collected snapshot and when it was taken.
#[derive(Debug)]
pub struct Update {
    pub at: SystemTime,
    pub data: UpdateData,
}

#[derive(Debug)]
pub enum UpdateData {
    Time(Result<TimeInfo, String>),
    Clock(Result<crate::probe::clock::ClockInfo, String>),
    Disks(Result<Vec<DiskEntry>, String>),
    Nics(Result<NicInfo, String>),
    Cpu(Result<CpuInfo, String>),
    Mem(Result<MemInfo, String>),
    Block(Result<Vec<BlockDevice>, String>),
    Iscsi(Result<Vec<IscsiSession>, String>),
    Multipath(Result<Vec<MultipathMap>, String>),
    Fc(Result<Vec<FcHost>, String>),
    Node(Result<NodeStatus, String>),
    Hosts(Result<HostSummary, String>),
    Vms(Result<VmReport, String>),
    /// PAM answered the root password gate.
    Auth {
        purpose: super::effect::GatePurpose,
        result: Result<(), String>,
    },
    /// Progress of the running job.
    Job(JobEvent),
    /// The running task ended (every task answers with this one type).
    TaskDone(crate::features::task::Reply),
    /// A guarded network change is applied and waits for "keep" within
    /// this many seconds; the lines say what changed.
    ConfirmKeep {
        seconds: u64,
        lines: Vec<String>,
    },
    /// How a guarded change ended (kept, reverted, revert failed).
    KeepOutcome(Result<String, String>),
}

/// One progress report of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    Phase(String),
    Line(String),
    Fraction(Option<f64>),
}
