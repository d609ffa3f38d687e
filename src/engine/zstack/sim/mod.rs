//! A simulated ZStack management node: the REST API ([`rest`]), stand-ins
//! for `zstack-ctl` and the installer ([`ctl`]), and the cloud's records.
//!
//! Two users, one implementation: the integration tests use it as the
//! contract double of the boundaries that cannot run here (ZStack's REST
//! API and its tools), and `--demo --engine zstack` runs the console
//! against it. Nothing here is reachable outside those two: the product
//! builds a [`crate::engine::zstack::ZstackEngine`] from the configuration
//! and never starts a simulation. Every answer follows ZStack's own source
//! (zstackio/zstack 5a29293, zstackio/zstack-utility f7b496e), cited where
//! it is given.

pub mod ctl;
pub mod rest;

use std::collections::BTreeMap;

use crate::engine::zstack::rest::sha512_hex;
use crate::secret::Secret;

/// One row of a query answer (`HostInventory`, `VmInstanceInventory`): the
/// fields the console asks about.
pub type Record = BTreeMap<String, String>;

/// The records and settings of the simulated cloud.
#[derive(Debug, Clone)]
pub struct SimCloud {
    pub hosts: Vec<Record>,
    pub vms: Vec<Record>,
    /// `getVersion`'s answer.
    pub version: String,
    /// `GET /licenses`' `inventory.licenseType`.
    pub license_type: String,
    /// The management node's UUID, which is also its console proxy agent's.
    pub mn_uuid: String,
    pub admin_account: String,
    /// SHA-512 hex of the admin password, as AccountVO stores it.
    pub admin_sha512: String,
    pub console_proxy_ip: String,
    pub console_proxy_port: u16,
}

fn record(fields: &[(&str, &str)]) -> Record {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl SimCloud {
    /// A mid-sized cloud: 21 hosts (20 Enabled, 18 Connected); 355 user
    /// VMs of which 5 are `Destroyed` (deleted under the default `Delay`
    /// policy, `conf/globalConfig/vm.xml:20-23`, so still in VmInstanceVO
    /// and never counted), 300 Running, 40 Stopped, 10 Paused; and 3
    /// appliance VMs, which the web UI does not count either.
    pub fn sample() -> SimCloud {
        let hosts = (0..21)
            .map(|i| {
                let name = format!("host-{:02}", i + 1);
                let ip = format!("10.0.1.{}", i + 11);
                record(&[
                    ("uuid", &format!("{:032x}", 0x4000 + i)),
                    ("name", &name),
                    ("managementIp", &ip),
                    ("state", if i < 20 { "Enabled" } else { "Disabled" }),
                    ("status", if i < 18 { "Connected" } else { "Disconnected" }),
                    ("hypervisorType", "KVM"),
                ])
            })
            .collect();
        let mut vms = Vec::new();
        let mut add = |n: usize, ty: &str, state: &str| {
            for _ in 0..n {
                let i = vms.len();
                vms.push(record(&[
                    ("uuid", &format!("{:032x}", 0x9000 + i)),
                    ("name", &format!("vm-{i:04}")),
                    ("type", ty),
                    ("state", state),
                ]));
            }
        };
        add(300, "UserVm", "Running");
        add(40, "UserVm", "Stopped");
        add(10, "UserVm", "Paused");
        add(5, "UserVm", "Destroyed");
        add(3, "ApplianceVm", "Running");
        SimCloud {
            hosts,
            vms,
            version: "4.8.0".into(),
            license_type: "Paid".into(),
            mn_uuid: "e2a4c9f0d1b34c6e8f1a2b3c4d5e6f70".into(),
            admin_account: "admin".into(),
            // ZStack's factory default `password` (ctl.py:10569).
            admin_sha512: sha512_hex(&Secret::from("password")).expose().to_owned(),
            console_proxy_ip: "0.0.0.0".into(),
            console_proxy_port: 4900,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_counts() {
        let c = SimCloud::sample();
        let user = |s: &str| {
            c.vms
                .iter()
                .filter(|r| r["type"] == "UserVm" && r["state"] == s)
                .count()
        };
        assert_eq!(c.hosts.len(), 21);
        assert_eq!(
            (user("Running"), user("Stopped"), user("Destroyed")),
            (300, 40, 5)
        );
    }
}
