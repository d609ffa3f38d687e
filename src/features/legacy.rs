//! Transitional: the items not yet moved into their own feature module,
//! each still opened by the old per-item code in `app::flow`. Every entry
//! here is one registry line; moving an item out deletes its entry.

use super::{Feature, FeatureId, NodeFeatures, ALL_ROLES, MANAGEMENT};
use crate::app::menu::MenuItem;
use crate::app::session::RootSession;
use crate::app::App;
use crate::config::Role;
use crate::engine::{Availability, Capabilities, Capability};

/// An item opened through `App::open_item`.
pub struct Legacy {
    id: &'static str,
    item: MenuItem,
    roles: &'static [Role],
}

const fn legacy(id: &'static str, item: MenuItem, roles: &'static [Role]) -> Legacy {
    Legacy { id, item, roles }
}

pub static CHANGE_PASSWORDS: Legacy =
    legacy("change-passwords", MenuItem::ChangePasswords, ALL_ROLES);
pub static RENAME_NIC: Legacy = legacy("rename-nic", MenuItem::RenameNic, ALL_ROLES);
pub static TEST_NETWORK: Legacy = legacy("test-network", MenuItem::TestNetwork, ALL_ROLES);
pub static CONFIGURE_NETWORKS: Legacy =
    legacy("configure-networks", MenuItem::ConfigureNetworks, ALL_ROLES);
pub static SET_MANAGEMENT_NETWORK: Legacy = legacy(
    "set-management-network",
    MenuItem::SetManagementNetwork,
    ALL_ROLES,
);
pub static CONSOLE_PROXY: Legacy = legacy("console-proxy", MenuItem::ConsoleProxy, MANAGEMENT);
pub static COLLECT_LOGS: Legacy = legacy("collect-logs", MenuItem::CollectLogs, ALL_ROLES);
pub static BACKUP_DATABASE: Legacy =
    legacy("backup-database", MenuItem::BackupDatabase, MANAGEMENT);
pub static SERVICE_CONTROL: Legacy =
    legacy("service-control", MenuItem::ServiceControl, MANAGEMENT);
pub static RESET: Legacy = legacy("reset", MenuItem::Reset, MANAGEMENT);
pub static RESET_DROP_DATABASE: Legacy = legacy(
    "reset-drop-database",
    MenuItem::ResetDropDatabase,
    MANAGEMENT,
);

impl Feature for Legacy {
    fn id(&self) -> FeatureId {
        FeatureId(self.id)
    }
    fn label(&self, engine_display: &str) -> String {
        self.item.label(engine_display)
    }
    fn roles(&self) -> &'static [Role] {
        self.roles
    }
    fn availability(&self, caps: &Capabilities, node: &NodeFeatures) -> Availability {
        match self.item {
            MenuItem::ChangePasswords => Availability::Available,
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
            MenuItem::ConsoleProxy => caps.get(Capability::ConsoleProxy),
            MenuItem::ServiceControl => caps.get(Capability::ServiceControl),
            MenuItem::Reset => caps.get(Capability::Reset),
            MenuItem::ResetDropDatabase => caps.get(Capability::ResetDropDatabase),
        }
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        app.open_item(self.item);
    }
}
