//! Set Management Network: choose the address among this node's IPv4
//! addresses; the engine moves the control plane there (`zstack-ctl
//! change_ip`). Unavailable on a standalone libvirt node.

use std::net::Ipv4Addr;

use super::step::{Input, Start, Step};
use super::task::{Done, Task};
use super::{nics, Feature, FeatureId, NodeFeatures};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::engine::{Availability, Capabilities, Capability};
use crate::job::Progress;
use crate::kit::{Choice, Confirm};
use crate::net::ops;

pub const ID: FeatureId = FeatureId("set-management-network");
const TITLE: &str = "Set Management Network";

pub struct SetManagementNetwork;
pub static FEATURE: SetManagementNetwork = SetManagementNetwork;

impl Feature for SetManagementNetwork {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        TITLE.into()
    }
    /// The node side (which NIC/address) plus the engine moving the
    /// control plane there.
    fn availability(&self, caps: &Capabilities, node: &NodeFeatures) -> Availability {
        match &node.network {
            Availability::Available => caps.get(Capability::ManagementIp),
            u => u.clone(),
        }
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let list = nics::known(app);
        let cands = ops::management_candidates(&list);
        if cands.is_empty() {
            return nics::info(app, TITLE, "No NIC has an IPv4 address to use.".into());
        }
        let current: Vec<Ipv4Addr> = list
            .iter()
            .filter(|n| n.is_mn)
            .flat_map(|n| n.ipv4.iter().map(|(a, _)| *a))
            .collect();
        let opts = cands
            .iter()
            .map(|(n, ip)| {
                let cur = current.contains(ip);
                (
                    format!("{n:<12} {ip}{}", if cur { " (current)" } else { "" }),
                    cur.then(|| "this is already the management network".to_string()),
                )
            })
            .collect();
        app.window = Some(Window::choice(
            Choice::new(TITLE, opts),
            ChooseAddress(cands.iter().map(|(_, ip)| *ip).collect()),
        ));
    }
}

/// The addresses offered.
#[derive(Debug, Clone)]
pub struct ChooseAddress(pub Vec<Ipv4Addr>);

impl Step for ChooseAddress {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Chosen(cursor) = input else { return };
        let Some(ip) = self.0.get(cursor).copied() else {
            return;
        };
        app.window = Some(Window::confirm(
            Confirm {
                title: TITLE.into(),
                lines: vec![
                    format!("Move the control plane to {ip}?"),
                    "This restarts the management service and takes long.".into(),
                ],
                warn: true,
            },
            Start(Task::new(Request(ip))),
        ));
    }
}

/// Move the control plane to this address.
#[derive(Debug, Clone)]
pub struct Request(pub Ipv4Addr);

impl super::task::Request for Request {
    fn title(&self) -> String {
        format!("Set Management Network: {}", self.0)
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        svc.engine
            .change_management_ip(self.0, p)
            .map(|s| Done::Lines(vec![s]))
            .map_err(|e| e.to_string())
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
