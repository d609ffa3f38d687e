//! Transitional: the System Configuration items not yet moved into their
//! own module under `crate::features` (which holds the registry, the
//! roles and the availability of every item).

/// An item still opened by `App::open_net_item`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MenuItem {
    RenameNic,
    TestNetwork,
    ConfigureNetworks,
    SetManagementNetwork,
}

impl MenuItem {
    /// The menu label.
    pub fn label(self) -> String {
        match self {
            MenuItem::RenameNic => "Rename NIC".into(),
            MenuItem::TestNetwork => "Test Network".into(),
            MenuItem::ConfigureNetworks => "Configure Networks".into(),
            MenuItem::SetManagementNetwork => "Set Management Network".into(),
        }
    }
}
