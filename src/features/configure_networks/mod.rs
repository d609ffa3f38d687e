//! Configure Networks: the NICs that are up (bonds first) and "Create a
//! bond...". A NIC gets a static IPv4 address, netmask and gateway
//! (`ipv4`); a bond is made from free physical NICs (`bond`).

mod bond;
mod ipv4;

use super::step::{Input, Step};
use super::{nics, Feature, FeatureId, NodeFeatures};
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::engine::{Availability, Capabilities};
use crate::kit::Choice;
use crate::net::ops;
use crate::probe::Nic;

pub use bond::Request as BondRequest;
pub use ipv4::Request as Ipv4Request;

pub const ID: FeatureId = FeatureId("configure-networks");

/// Label of the extra entry.
pub const CREATE_BOND: &str = "Create a bond...";

pub struct ConfigureNetworks;
pub static FEATURE: ConfigureNetworks = ConfigureNetworks;

impl Feature for ConfigureNetworks {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        "Configure Networks".into()
    }
    fn availability(&self, _caps: &Capabilities, node: &NodeFeatures) -> Availability {
        node.network.clone()
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        let all = nics::known(app);
        let list: Vec<Nic> = ops::configurable_nics(&all).into_iter().cloned().collect();
        let mut opts: Vec<(String, Option<String>)> =
            list.iter().map(|n| (nics::label(n), None)).collect();
        opts.push((CREATE_BOND.into(), None));
        app.window = Some(Window::choice(
            Choice::new("Configure Networks: NICs that are up", opts),
            ChooseNic(list),
        ));
    }
}

/// The NICs listed when the choice opened; the row after them is
/// "Create a bond...".
#[derive(Debug, Clone)]
pub struct ChooseNic(pub Vec<Nic>);

impl Step for ChooseNic {
    fn accept(self: Box<Self>, app: &mut App, _root: &RootSession, input: Input) {
        let Input::Chosen(cursor) = input else { return };
        match self.0.into_iter().nth(cursor) {
            Some(n) => ipv4::open(app, n),
            None => bond::open(app),
        }
    }
}
