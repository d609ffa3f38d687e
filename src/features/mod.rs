//! System Configuration features: one module per menu item.
//!
//! Why: a feature used to be sliced by layer (menu enum, window tag, flow
//! arm, effect, executor arm, ui table), so adding one took a dozen edits
//! and a missed edit was a window that silently closed. Here a feature is
//! one module holding its entry (a stable [`FeatureId`], its label, roles
//! and availability), its steps (form -> validation -> confirm or typed
//! phrase -> task -> result) and the request it runs; the [`REGISTRY`]
//! lists the features in menu order and the menu of a role is built from
//! it (xsconsole's one plugin per feature).

pub mod audit_log;
pub mod backup_database;
pub mod change_passwords;
pub mod collect_logs;
pub mod configure_networks;
pub mod console_proxy;
mod export_task;
mod nics;
pub mod power;
pub mod rename_nic;
pub mod reset;
pub mod service_control;
pub mod set_management_network;
pub mod step;
pub mod task;
pub mod terminal_info;
pub mod test_network;

use std::fmt;

use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::config::Role;
use crate::engine::{Availability, Capabilities};

/// A feature's stable name. Tests and the audit trail select a feature by
/// it, never by its row in the menu (rows move when features are added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeatureId(pub &'static str);

impl fmt::Display for FeatureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Every role (the default of [`Feature::roles`]).
pub const ALL_ROLES: &[Role] = &[Role::Management, Role::Compute, Role::Storage];
/// The management node only (engine operations on the control plane).
pub const MANAGEMENT: &[Role] = &[Role::Management];

/// One System Configuration item.
pub trait Feature: Sync {
    /// The stable id.
    fn id(&self) -> FeatureId;
    /// The menu label, with the engine's display name where the spec has one.
    fn label(&self, engine_display: &str) -> String;
    /// The roles whose menu shows this item.
    fn roles(&self) -> &'static [Role] {
        ALL_ROLES
    }
    /// Whether this engine and node can do it, and why not.
    fn availability(&self, caps: &Capabilities, node: &NodeFeatures) -> Availability;
    /// Enter on the menu row: opens the feature's first window. The root
    /// session is a parameter so that no feature can open without one.
    fn open(&self, app: &mut App, root: &RootSession);
}

impl fmt::Debug for dyn Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Feature({})", self.id())
    }
}

/// The features in the spec's menu order; a role's menu keeps this order
/// and drops the items it does not have.
pub static REGISTRY: &[&dyn Feature] = &[
    &change_passwords::FEATURE,
    &rename_nic::FEATURE,
    &test_network::FEATURE,
    &configure_networks::FEATURE,
    &set_management_network::FEATURE,
    &console_proxy::FEATURE,
    &collect_logs::FEATURE,
    &backup_database::FEATURE,
    &service_control::FEATURE,
    &reset::FEATURE,
    &reset::DROP_DATABASE,
    &terminal_info::FEATURE,
    &audit_log::FEATURE,
];

/// The feature with this id.
pub fn find(id: FeatureId) -> Option<&'static dyn Feature> {
    REGISTRY.iter().copied().find(|f| f.id() == id)
}

/// A row of the menu with the availability computed once at start.
#[derive(Debug, Clone)]
pub struct MenuRow {
    pub feature: &'static dyn Feature,
    pub availability: Availability,
}

impl MenuRow {
    pub fn id(&self) -> FeatureId {
        self.feature.id()
    }
}

/// The menu of `role`: the registry's features for that role, each with its
/// availability on this engine and node.
pub fn menu(role: Role, caps: &Capabilities, node: &NodeFeatures) -> Vec<MenuRow> {
    REGISTRY
        .iter()
        .filter(|f| f.roles().contains(&role))
        .map(|&feature| MenuRow {
            feature,
            availability: feature.availability(caps, node),
        })
        .collect()
}

/// Node-side services and whether this build/host offers them; a feature's
/// availability combines these with the engine's capabilities.
#[derive(Debug, Clone)]
pub struct NodeFeatures {
    pub network: Availability,
    pub collect_logs: Availability,
    pub exports: Availability,
    /// A readable audit trail (journal or log file).
    pub audit_log: Availability,
}

impl Default for NodeFeatures {
    fn default() -> Self {
        let not_built = || Availability::Unavailable("not built yet".into());
        NodeFeatures {
            network: not_built(),
            collect_logs: not_built(),
            exports: not_built(),
            audit_log: not_built(),
        }
    }
}

/// The Y/N window of an engine change that restarts the management
/// service: `what` asks the question, `then` runs on Y.
pub(crate) fn confirm_slow(title: &str, what: String, then: impl step::Step + Clone) -> Window {
    Window::confirm(
        crate::kit::Confirm {
            title: title.into(),
            lines: vec![
                what,
                "This restarts the management service and takes a while.".into(),
                "Press Y to go on, N to cancel.".into(),
            ],
            warn: true,
        },
        then,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Capability;

    fn labels(role: Role, engine: &str) -> Vec<String> {
        menu(role, &Capabilities::default(), &NodeFeatures::default())
            .iter()
            .map(|r| r.feature.label(engine))
            .collect()
    }

    #[test]
    fn management_has_the_items_of_the_spec_in_order_then_the_audit_log() {
        assert_eq!(
            labels(Role::Management, "ZStack"),
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
                "View Audit Log",
            ]
        );
    }

    #[test]
    fn compute_and_storage_get_the_subset() {
        for role in [Role::Compute, Role::Storage] {
            assert_eq!(
                labels(role, "libvirt"),
                [
                    "Change Passwords",
                    "Rename NIC",
                    "Test Network",
                    "Configure Networks",
                    "Set Management Network",
                    "Collect Logs",
                    "Terminal Info",
                    "View Audit Log",
                ]
            );
        }
    }

    #[test]
    fn ids_are_unique_and_found() {
        let mut ids: Vec<FeatureId> = REGISTRY.iter().map(|f| f.id()).collect();
        for id in &ids {
            assert_eq!(find(*id).map(|f| f.id()), Some(*id));
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), REGISTRY.len(), "duplicate feature id");
    }

    #[test]
    fn engine_items_follow_capabilities() {
        let caps = Capabilities {
            entries: vec![(Capability::ServiceControl, Availability::Available)],
        };
        let m = menu(Role::Management, &caps, &NodeFeatures::default());
        let get = |id: &'static str| {
            m.iter()
                .find(|r| r.id() == FeatureId(id))
                .unwrap()
                .availability
                .clone()
        };
        assert_eq!(get("service-control"), Availability::Available);
        assert!(matches!(get("reset"), Availability::Unavailable(_)));
        assert!(matches!(get("rename-nic"), Availability::Unavailable(_)));
        assert_eq!(get("terminal-info"), Availability::Available);
    }
}
