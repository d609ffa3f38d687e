//! What a key press means, independent of which key it was.

/// Actions of the main screen and the System Configuration screen. Modal
/// windows (forms, confirmations) interpret raw keys themselves because they
/// take text input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// F2: open System Configuration (asks for the root password), or leave it.
    SystemConfiguration,
    /// F12: Reboot/Poweroff (asks for the root password).
    Power,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    Home,
    End,
    /// Storage nodes: switch the lower table (VMs, block devices, iSCSI).
    NextTable,
    /// Open the selected menu item.
    Open,
    /// Demo mode only: leave the program.
    Quit,
}
