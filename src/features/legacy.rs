//! Transitional: the items not yet moved into their own feature module,
//! each still opened by the old per-item code in `app::net_flow`. Every entry
//! here is one registry line; moving an item out deletes its entry.

use super::{Feature, FeatureId, NodeFeatures, ALL_ROLES};
use crate::app::menu::MenuItem;
use crate::app::session::RootSession;
use crate::app::App;
use crate::config::Role;
use crate::engine::{Availability, Capabilities, Capability};

/// An item opened through `App::open_net_item`.
pub struct Legacy {
    id: &'static str,
    item: MenuItem,
    roles: &'static [Role],
}

const fn legacy(id: &'static str, item: MenuItem, roles: &'static [Role]) -> Legacy {
    Legacy { id, item, roles }
}

pub static RENAME_NIC: Legacy = legacy("rename-nic", MenuItem::RenameNic, ALL_ROLES);
pub static TEST_NETWORK: Legacy = legacy("test-network", MenuItem::TestNetwork, ALL_ROLES);
pub static CONFIGURE_NETWORKS: Legacy =
    legacy("configure-networks", MenuItem::ConfigureNetworks, ALL_ROLES);
pub static SET_MANAGEMENT_NETWORK: Legacy = legacy(
    "set-management-network",
    MenuItem::SetManagementNetwork,
    ALL_ROLES,
);

impl Feature for Legacy {
    fn id(&self) -> FeatureId {
        FeatureId(self.id)
    }
    fn label(&self, _engine_display: &str) -> String {
        self.item.label()
    }
    fn roles(&self) -> &'static [Role] {
        self.roles
    }
    fn availability(&self, caps: &Capabilities, node: &NodeFeatures) -> Availability {
        match self.item {
            MenuItem::RenameNic | MenuItem::TestNetwork | MenuItem::ConfigureNetworks => {
                node.network.clone()
            }
            // Node side (which NIC/address) plus the engine moving the
            // control plane there.
            MenuItem::SetManagementNetwork => match &node.network {
                Availability::Available => caps.get(Capability::ManagementIp),
                u => u.clone(),
            },
        }
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        app.open_net_item(self.item);
    }
}
