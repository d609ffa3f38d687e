//! Transitional: the System Configuration items not yet moved into their
//! own module under `crate::features` (which holds the registry, the
//! roles and the availability of every item).

/// An item still opened by `App::open_item`.
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
}

impl MenuItem {
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
        }
    }
}
