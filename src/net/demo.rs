//! The `--demo` network: private namespaces that look like a small node, so
//! the network operations can be tried without touching the host.
//!
//! Layout (addresses from the TEST-NET-style private range 192.168.100.0/24,
//! which exists only inside these namespaces):
//!
//! ```text
//!  demo namespace (the "node")          switch namespace
//!  eth0 192.168.100.10/24  ─── veth ─── p0 ┐
//!  eth1                    ─── veth ─── p1 ├─ bridge sw0 192.168.100.1/24
//!  eth2                    ─── veth ─── p2 │  (the gateway; answers ping)
//!  eth3                    ─── veth ─── p3 ┘
//!  default route via 192.168.100.1 dev eth0
//! ```
//!
//! Everything the app does for the network screens in demo mode must run
//! inside the demo namespace: use [`DemoNet::run`] for short calls and
//! [`DemoNet::spawn_thread`] for long ones (ping), whose threads inherit the
//! namespace.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use thiserror::Error;

use super::backend::ifcfg::{self, Ifcfg};
use super::backend::NetBackend;
use super::link;
use super::netns::{NetnsError, NetnsThread};
use super::validate::Ipv4Config;

/// Why the demo network could not be made.
#[derive(Debug, Error)]
pub enum DemoError {
    #[error("demo network: {0}")]
    Netns(#[from] NetnsError),
    #[error("demo network: {0}")]
    Link(#[from] link::LinkError),
    #[error("demo network: {0}")]
    Other(String),
}

/// The demo node's NIC names.
pub const DEMO_NICS: [&str; 4] = ["eth0", "eth1", "eth2", "eth3"];
/// The demo gateway (the switch's bridge address).
pub const DEMO_GATEWAY: Ipv4Addr = Ipv4Addr::new(192, 168, 100, 1);
/// eth0's address.
pub const DEMO_ETH0: Ipv4Addr = Ipv4Addr::new(192, 168, 100, 10);
/// Prefix of the demo subnet.
pub const DEMO_PREFIX: u8 = 24;

/// The demo namespaces and the demo's configuration root; dropping this
/// removes both.
pub struct DemoNet {
    node: NetnsThread,
    _switch: NetnsThread,
    root: PathBuf,
}

impl DemoNet {
    /// Creates the namespaces, links and addresses (needs root).
    pub fn create() -> Result<Self, DemoError> {
        let node = NetnsThread::new("demo")?;
        let switch = NetnsThread::new("demo-switch")?;
        let switch_fd = switch
            .ns_fd()
            .try_clone_to_owned()
            .map_err(|e| DemoError::Other(e.to_string()))?;
        node.run(move || -> Result<(), DemoError> {
            // Let unprivileged ICMP datagram sockets work in the demo, as
            // on a node configured for them.
            let _ = std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
            for (i, nic) in DEMO_NICS.iter().enumerate() {
                let peer = format!("p{i}");
                link::create_veth(nic, &peer)?;
                link::move_to_netns(&peer, std::os::fd::AsFd::as_fd(&switch_fd))?;
                link::set_up(nic, true)?;
            }
            Ok(())
        })?;
        switch.run(|| -> Result<(), DemoError> {
            link::create_bridge("sw0")?;
            for i in 0..DEMO_NICS.len() {
                let peer = format!("p{i}");
                link::set_master(&peer, "sw0")?;
                link::set_up(&peer, true)?;
            }
            link::add_ipv4("sw0", DEMO_GATEWAY, DEMO_PREFIX)?;
            link::set_up("sw0", true)?;
            Ok(())
        })?;
        node.run(|| -> Result<(), DemoError> {
            let cfg = Ipv4Config {
                ip: DEMO_ETH0,
                prefix: DEMO_PREFIX,
                gateway: Some(DEMO_GATEWAY),
                default_route: true,
            };
            link::apply_ipv4("eth0", &cfg)?;
            Ok(())
        })?;
        // A private configuration root seeded like a freshly installed
        // CentOS 7 node, so persistence in the demo writes there and never
        // to the host's /etc.
        let root = std::env::temp_dir().join(format!("nodeconsole-demo-{}", std::process::id()));
        let scripts = root.join(ifcfg::SCRIPTS_DIR.trim_start_matches('/'));
        std::fs::create_dir_all(&scripts).map_err(|e| DemoError::Other(e.to_string()))?;
        for nic in DEMO_NICS {
            let mac = node
                .run(move || link::get_link(nic))?
                .mac
                .unwrap_or_default();
            let ip = if nic == "eth0" {
                format!(
                    "BOOTPROTO=none\nIPADDR={DEMO_ETH0}\nPREFIX={DEMO_PREFIX}\nGATEWAY={DEMO_GATEWAY}\nDEFROUTE=yes\n"
                )
            } else {
                "BOOTPROTO=none\n".to_string()
            };
            std::fs::write(
                scripts.join(format!("ifcfg-{nic}")),
                format!("TYPE=Ethernet\nDEVICE={nic}\nNAME={nic}\nHWADDR={mac}\nONBOOT=yes\n{ip}"),
            )
            .map_err(|e| DemoError::Other(e.to_string()))?;
        }
        tracing::info!(root = %root.display(), "demo network namespaces created");
        Ok(DemoNet {
            node,
            _switch: switch,
            root,
        })
    }

    /// The demo's configuration root (ifcfg files under
    /// `etc/sysconfig/network-scripts`, .link files under `etc/systemd/network`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The persistence backend to use in the demo: ifcfg files below
    /// [`DemoNet::root`]. (Not [`super::backend::detect`], which would find the
    /// host's NetworkManager.)
    pub fn backend(&self) -> Box<dyn NetBackend> {
        Box::new(Ifcfg::new(&self.root))
    }

    /// Runs `f` inside the demo node's namespace and returns its result.
    pub fn run<R, F>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.node.run(f)
    }

    /// Starts a thread inside the demo node's namespace (for long work such
    /// as a ping run, so the namespace thread stays free).
    pub fn spawn_thread<R, F>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.node.run(move || std::thread::spawn(f))
    }

    /// The node namespace's thread (e.g. for its namespace handle).
    pub fn namespace(&self) -> &NetnsThread {
        &self.node
    }
}

impl Drop for DemoNet {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
