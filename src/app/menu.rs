//! The System Configuration menu: its items per role, their labels (the
//! vendor console's own English labels), and whether each is available.

use crate::config::Role;
use crate::engine::{Availability, Capabilities, Capability};

/// One entry of the System Configuration menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MenuItem {
    ChangePasswords,
    RenameNic,
    TestNetwork,
    ConfigureNetworks,
    SetManagementNetwork,
    ConsoleProxy,
    CollectLogs,
    BackupDatabase,
    ServiceControl,
    Reset,
    ResetDropDatabase,
    TerminalInfo,
}

/// The subset of compute and storage nodes (spec: passwords, Rename NIC,
/// Test Network, Configure Networks, Set Management Network, Collect Logs of
/// this node, Terminal Info).
const NODE_ITEMS: &[MenuItem] = &[
    MenuItem::ChangePasswords,
    MenuItem::RenameNic,
    MenuItem::TestNetwork,
    MenuItem::ConfigureNetworks,
    MenuItem::SetManagementNetwork,
    MenuItem::CollectLogs,
    MenuItem::TerminalInfo,
];

impl MenuItem {
    /// The menu of a role, in the spec's order.
    pub fn for_role(role: Role) -> &'static [MenuItem] {
        use MenuItem::*;
        match role {
            Role::Management => &[
                ChangePasswords,
                RenameNic,
                TestNetwork,
                ConfigureNetworks,
                SetManagementNetwork,
                ConsoleProxy,
                CollectLogs,
                BackupDatabase,
                ServiceControl,
                Reset,
                ResetDropDatabase,
                TerminalInfo,
            ],
            Role::Compute | Role::Storage => NODE_ITEMS,
        }
    }

    /// The label, with the engine's display name where the spec has one.
    pub fn label(self, engine_display: &str) -> String {
        match self {
            MenuItem::ChangePasswords => "Change Passwords".into(),
            MenuItem::RenameNic => "Rename NIC".into(),
            MenuItem::TestNetwork => "Test Network".into(),
            MenuItem::ConfigureNetworks => "Configure Networks".into(),
            MenuItem::SetManagementNetwork => "Set Management Network".into(),
            MenuItem::ConsoleProxy => "Configure Console Proxy".into(),
            MenuItem::CollectLogs => "Collect Logs".into(),
            MenuItem::BackupDatabase => "Backup Database".into(),
            MenuItem::ServiceControl => format!("Start/Stop/Restart {engine_display} Service"),
            MenuItem::Reset => format!("Reset {engine_display} Service"),
            MenuItem::ResetDropDatabase => {
                format!("Reset {engine_display} Service & Drop Database")
            }
            MenuItem::TerminalInfo => "Terminal Info".into(),
        }
    }

    /// The engine capability an item needs, if it is an engine operation.
    pub fn capability(self) -> Option<Capability> {
        match self {
            MenuItem::ConsoleProxy => Some(Capability::ConsoleProxy),
            MenuItem::BackupDatabase => Some(Capability::DatabaseBackup),
            MenuItem::ServiceControl => Some(Capability::ServiceControl),
            MenuItem::Reset => Some(Capability::Reset),
            MenuItem::ResetDropDatabase => Some(Capability::ResetDropDatabase),
            _ => None,
        }
    }
}

/// Node-side features and whether this build/host offers them; the menu
/// combines these with the engine's capabilities.
#[derive(Debug, Clone)]
pub struct NodeFeatures {
    pub network: Availability,
    pub collect_logs: Availability,
    pub exports: Availability,
}

impl Default for NodeFeatures {
    fn default() -> Self {
        let not_built = || Availability::Unavailable("not built yet".into());
        NodeFeatures {
            network: not_built(),
            collect_logs: not_built(),
            exports: not_built(),
        }
    }
}

/// Availability of every item of a role's menu.
pub fn availability(
    role: Role,
    caps: &Capabilities,
    node: &NodeFeatures,
) -> Vec<(MenuItem, Availability)> {
    MenuItem::for_role(role)
        .iter()
        .map(|&item| {
            let a = match item {
                MenuItem::ChangePasswords | MenuItem::TerminalInfo => Availability::Available,
                MenuItem::RenameNic | MenuItem::TestNetwork | MenuItem::ConfigureNetworks => {
                    node.network.clone()
                }
                // Node side (which NIC/address) plus the engine moving the
                // control plane there.
                MenuItem::SetManagementNetwork => match &node.network {
                    Availability::Available => caps.get(Capability::ManagementIp),
                    u => u.clone(),
                },
                MenuItem::CollectLogs => node.collect_logs.clone(),
                MenuItem::BackupDatabase => {
                    match (&node.exports, caps.get(Capability::DatabaseBackup)) {
                        (Availability::Available, a) => a,
                        (u, _) => u.clone(),
                    }
                }
                other => caps.get(other.capability().expect("engine item")),
            };
            (item, a)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_has_the_twelve_items_of_the_spec() {
        let labels: Vec<String> = MenuItem::for_role(Role::Management)
            .iter()
            .map(|i| i.label("ZStack"))
            .collect();
        assert_eq!(
            labels,
            [
                "Change Passwords",
                "Rename NIC",
                "Test Network",
                "Configure Networks",
                "Set Management Network",
                "Configure Console Proxy",
                "Collect Logs",
                "Backup Database",
                "Start/Stop/Restart ZStack Service",
                "Reset ZStack Service",
                "Reset ZStack Service & Drop Database",
                "Terminal Info",
            ]
        );
    }

    #[test]
    fn compute_and_storage_get_the_subset() {
        for role in [Role::Compute, Role::Storage] {
            let labels: Vec<String> = MenuItem::for_role(role)
                .iter()
                .map(|i| i.label("libvirt"))
                .collect();
            assert_eq!(
                labels,
                [
                    "Change Passwords",
                    "Rename NIC",
                    "Test Network",
                    "Configure Networks",
                    "Set Management Network",
                    "Collect Logs",
                    "Terminal Info",
                ]
            );
        }
    }

    #[test]
    fn engine_items_follow_capabilities() {
        let caps = Capabilities {
            entries: vec![(Capability::ServiceControl, Availability::Available)],
        };
        let a = availability(Role::Management, &caps, &NodeFeatures::default());
        let get = |i| a.iter().find(|(x, _)| *x == i).unwrap().1.clone();
        assert_eq!(get(MenuItem::ServiceControl), Availability::Available);
        assert!(matches!(get(MenuItem::Reset), Availability::Unavailable(_)));
        assert!(matches!(
            get(MenuItem::RenameNic),
            Availability::Unavailable(_)
        ));
        assert_eq!(get(MenuItem::TerminalInfo), Availability::Available);
    }
}
