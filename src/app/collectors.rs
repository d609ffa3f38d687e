//! Starts every collector of the main screen on its own cadence with its
//! own timeout. Cadences follow the refresh period for what changes every
//! second (clock-adjacent facts, CPU, memory, links) and are slower for
//! what rarely changes (disk space, block devices) or costs the engine work.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::update::{Update, UpdateData};
use crate::config::{Config, Role};
use crate::engine::{Engine, HostSummary, NodeStatus, VmReport, VmScope};
use crate::probe::{self, runner, Collector};

/// Runs `Engine::status` as a collector.
pub struct EngineStatus(pub Arc<dyn Engine>);
/// Runs `Engine::hosts` as a collector.
pub struct EngineHosts(pub Arc<dyn Engine>);
/// Runs `Engine::vms` as a collector.
pub struct EngineVms(pub Arc<dyn Engine>, pub VmScope);

impl Collector for EngineStatus {
    type Output = NodeStatus;
    fn name(&self) -> &'static str {
        "engine status"
    }
    fn collect(&mut self) -> Result<NodeStatus, String> {
        self.0.status().map_err(|e| e.to_string())
    }
}

impl Collector for EngineHosts {
    type Output = HostSummary;
    fn name(&self) -> &'static str {
        "engine hosts"
    }
    fn collect(&mut self) -> Result<HostSummary, String> {
        self.0.hosts().map_err(|e| e.to_string())
    }
}

impl Collector for EngineVms {
    type Output = VmReport;
    fn name(&self) -> &'static str {
        "engine VMs"
    }
    fn collect(&mut self) -> Result<VmReport, String> {
        self.0.vms(self.1).map_err(|e| e.to_string())
    }
}

/// Runs a collector inside the demo's network namespace (the NIC panel of
/// `--demo` shows the demo's own NICs, which the network operations change).
pub struct InDemoNamespace<C: Collector> {
    inner: Option<C>,
    demo: Arc<crate::net::demo::DemoNet>,
}

impl<C: Collector> InDemoNamespace<C> {
    pub fn new(inner: C, demo: Arc<crate::net::demo::DemoNet>) -> Self {
        InDemoNamespace {
            inner: Some(inner),
            demo,
        }
    }
}

impl<C: Collector> Collector for InDemoNamespace<C> {
    type Output = C::Output;
    fn name(&self) -> &'static str {
        self.inner.as_ref().map_or("demo collector", |c| c.name())
    }
    fn collect(&mut self) -> Result<C::Output, String> {
        let Some(mut c) = self.inner.take() else {
            return Err("collector lost".into());
        };
        let (c, r) = self.demo.run(move || {
            let r = c.collect();
            (c, r)
        });
        self.inner = Some(c);
        r
    }
}

fn wrap<T>(
    f: fn(Result<T, String>) -> UpdateData,
) -> impl Fn(Result<T, String>, SystemTime) -> Update {
    move |r, at| Update { at, data: f(r) }
}

/// How long one SNTP query (and the name lookup before it) may take.
const CLOCK_QUERY: Duration = Duration::from_secs(2);

/// The clock check of TIME INFO. The demo never asks the host's own NTP
/// servers (it would send traffic off the machine): there an empty
/// reference means no check.
fn clock_collector(cfg: &Config, demo: bool) -> probe::clock::ClockCollector {
    use probe::clock::{parse_reference, ClockCollector, Reference, DAEMON_CONFIGS};
    let mut reference = parse_reference(&cfg.time.reference).unwrap_or(Reference::Off);
    if demo && reference == Reference::Auto {
        reference = Reference::Off;
    }
    let configs = DAEMON_CONFIGS.iter().map(PathBuf::from).collect();
    ClockCollector::new(reference, configs, CLOCK_QUERY)
}

/// Spawns all collectors for this role; they stop when `tx`'s receiver is
/// dropped.
pub fn spawn_all(
    cfg: &Config,
    engine: Arc<dyn Engine>,
    tx: UnboundedSender<Update>,
    demo_net: Option<Arc<crate::net::demo::DemoNet>>,
) -> Vec<JoinHandle<()>> {
    let refresh = cfg.refresh();
    let probe_timeout = Duration::from_secs(2);
    let engine_timeout = Duration::from_secs_f64(cfg.libvirt.timeout_s.max(0.5));
    let slow = refresh.max(Duration::from_secs(5));
    let engine_cadence = (refresh * 2).max(Duration::from_secs(2));
    let proc_root = PathBuf::from("/proc");
    let sys_root = cfg.storage.sysfs_root.clone();
    let mn_ip: Option<Ipv4Addr> = cfg.network.management_ip.parse().ok();
    let disk_paths = cfg.disk_paths(engine.install_dir().as_deref());

    let clock = clock_collector(cfg, demo_net.is_some());
    let mut h = vec![
        runner::spawn(
            clock,
            Duration::from_secs(cfg.time.check_s.max(8)),
            CLOCK_QUERY * 3,
            tx.clone(),
            wrap(UpdateData::Clock),
        ),
        runner::spawn(
            probe::time::TimeCollector::new(proc_root.clone()),
            refresh,
            probe_timeout,
            tx.clone(),
            wrap(UpdateData::Time),
        ),
        runner::spawn(
            probe::cpu::CpuCollector::new(proc_root.clone()),
            refresh,
            probe_timeout,
            tx.clone(),
            wrap(UpdateData::Cpu),
        ),
        runner::spawn(
            probe::mem::MemCollector::new(proc_root),
            refresh,
            probe_timeout,
            tx.clone(),
            wrap(UpdateData::Mem),
        ),
        match demo_net {
            Some(d) => runner::spawn(
                InDemoNamespace::new(probe::nic::NicCollector::new(mn_ip, sys_root.clone()), d),
                refresh,
                probe_timeout,
                tx.clone(),
                wrap(UpdateData::Nics),
            ),
            None => runner::spawn(
                probe::nic::NicCollector::new(mn_ip, sys_root.clone()),
                refresh,
                probe_timeout,
                tx.clone(),
                wrap(UpdateData::Nics),
            ),
        },
        runner::spawn(
            probe::disk::DiskCollector::new(disk_paths),
            slow,
            probe_timeout,
            tx.clone(),
            wrap(UpdateData::Disks),
        ),
        runner::spawn(
            EngineStatus(engine.clone()),
            engine_cadence,
            engine_timeout,
            tx.clone(),
            wrap(UpdateData::Node),
        ),
        runner::spawn(
            EngineHosts(engine.clone()),
            engine_cadence,
            engine_timeout,
            tx.clone(),
            wrap(UpdateData::Hosts),
        ),
        runner::spawn(
            EngineVms(
                engine,
                if cfg.role == Role::Management {
                    VmScope::Cloud
                } else {
                    VmScope::ThisNode
                },
            ),
            engine_cadence,
            engine_timeout,
            tx.clone(),
            wrap(UpdateData::Vms),
        ),
    ];
    if cfg.role == Role::Storage {
        let block_cadence = Duration::from_secs(10);
        h.push(runner::spawn(
            probe::block::BlockCollector::new(cfg.storage.roots()),
            block_cadence,
            probe_timeout,
            tx.clone(),
            wrap(UpdateData::Block),
        ));
        h.push(runner::spawn(
            probe::multipath::MultipathCollector::new(
                sys_root.clone(),
                cfg.storage.dev_root.clone(),
                cfg.storage.multipath_paths,
            )
            .with_multipathd(cfg.storage.multipathd_socket.clone()),
            block_cadence,
            probe_timeout,
            tx.clone(),
            wrap(UpdateData::Multipath),
        ));
        h.push(runner::spawn(
            probe::fc::FcCollector::new(sys_root.clone()),
            block_cadence,
            probe_timeout,
            tx.clone(),
            wrap(UpdateData::Fc),
        ));
        h.push(runner::spawn(
            probe::iscsi::IscsiCollector::new(sys_root),
            block_cadence,
            probe_timeout,
            tx,
            wrap(UpdateData::Iscsi),
        ));
    }
    h
}
