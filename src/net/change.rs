//! The computed before → after of a Configure Networks change, as far as
//! the node's reachability goes: the NIC's addresses, every default route
//! and the management address. The keep-or-revert guard is decided on this
//! change, not on the NIC alone: a new or moved default route via a NIC that
//! carried none is exactly what cut nodes off (the route via the management
//! NIC was deleted without a keep window). Pure, so it is unit tested.

use std::net::Ipv4Addr;

use super::validate::Ipv4Config;
use crate::probe::Nic;

/// What the node is reachable by, as far as one change can alter it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reachability {
    /// The configured NIC's IPv4 addresses.
    pub addrs: Vec<(Ipv4Addr, u8)>,
    /// Every default route: (NIC, gateway).
    pub default_routes: Vec<(String, Option<Ipv4Addr>)>,
    /// The management address, when it is on the configured NIC.
    pub management: Option<Ipv4Addr>,
}

/// Why a change needs keep-or-revert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardReason {
    /// It adds, removes or moves a default route.
    DefaultRoute,
    /// The node's default route runs through the NIC whose addresses change.
    DefaultRouteNic,
    /// The NIC carries the management network.
    Management,
    /// The NIC is beneath the management NIC (a bond or slave of it).
    BelowManagement(String),
}

impl std::fmt::Display for GuardReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GuardReason::DefaultRoute => f.write_str("it changes the node's default route"),
            GuardReason::DefaultRouteNic => {
                f.write_str("the node's default route runs through this NIC")
            }
            GuardReason::Management => f.write_str("this NIC carries the management network"),
            GuardReason::BelowManagement(mn) => {
                write!(f, "the management NIC {mn} runs over this NIC")
            }
        }
    }
}

/// A computed Configure Networks change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Change {
    pub nic: String,
    pub before: Reachability,
    pub after: Reachability,
    /// Why it is guarded; `None`: applied and kept without a keep window.
    pub guard: Option<GuardReason>,
}

fn routes_of(nics: &[Nic]) -> Vec<(String, Option<Ipv4Addr>)> {
    nics.iter()
        .filter(|n| n.default_route)
        .map(|n| (n.name.clone(), n.gateway))
        .collect()
}

/// Computes the change of giving `nic` (one of `nics`, the current
/// listing) the configuration `cfg`.
pub fn ipv4_change(nics: &[Nic], nic: &Nic, cfg: &Ipv4Config) -> Ipv4Change {
    let before_routes = routes_of(nics);
    let mut after_routes: Vec<(String, Option<Ipv4Addr>)> = if cfg.default_route {
        Vec::new()
    } else {
        before_routes
            .iter()
            .filter(|(n, _)| *n != nic.name)
            .cloned()
            .collect()
    };
    if let Some(g) = cfg.default_gateway() {
        after_routes.push((nic.name.clone(), Some(g)));
    }
    let mn_before = nic.ipv4.first().map(|(a, _)| *a).filter(|_| nic.is_mn);
    let before = Reachability {
        addrs: nic.ipv4.clone(),
        default_routes: before_routes,
        management: mn_before,
    };
    let after = Reachability {
        addrs: vec![(cfg.ip, cfg.prefix)],
        default_routes: after_routes,
        management: mn_before.map(|_| cfg.ip),
    };
    let below_mn = nics
        .iter()
        .find(|m| m.is_mn && nic.master.as_deref() == Some(m.name.as_str()))
        .map(|m| m.name.clone());
    let guard = if before.default_routes != after.default_routes {
        Some(GuardReason::DefaultRoute)
    } else if nic.is_mn {
        Some(GuardReason::Management)
    } else if let Some(mn) = below_mn {
        Some(GuardReason::BelowManagement(mn))
    } else if nic.default_route {
        Some(GuardReason::DefaultRouteNic)
    } else {
        None
    };
    Ipv4Change {
        nic: nic.name.clone(),
        before,
        after,
        guard,
    }
}

fn addrs_text(a: &[(Ipv4Addr, u8)]) -> String {
    if a.is_empty() {
        return "no IPv4 address".into();
    }
    a.iter()
        .map(|(ip, p)| format!("{ip}/{p}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn routes_text(r: &[(String, Option<Ipv4Addr>)]) -> String {
    if r.is_empty() {
        return "none".into();
    }
    r.iter()
        .map(|(n, g)| match g {
            Some(g) => format!("via {g} ({n})"),
            None => format!("via {n}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Ipv4Change {
    /// The before → after lines of the confirmation window (fit 80 columns
    /// for usual addresses).
    pub fn lines(&self, cfg: &Ipv4Config) -> Vec<String> {
        let mut v = vec![
            format!("{}:", self.nic),
            format!("  before: {}", addrs_text(&self.before.addrs)),
            format!("  after:  {cfg}"),
        ];
        if self.before.default_routes == self.after.default_routes {
            v.push(format!(
                "Default route: {} (unchanged)",
                routes_text(&self.before.default_routes)
            ));
        } else {
            v.push(format!(
                "Default route before: {}",
                routes_text(&self.before.default_routes)
            ));
            v.push(format!(
                "Default route after:  {}",
                routes_text(&self.after.default_routes)
            ));
        }
        if let (Some(b), Some(a)) = (self.before.management, self.after.management) {
            if a == b {
                v.push(format!("Management address: {b} (unchanged)"));
            } else {
                v.push(format!("Management address: {b} -> {a}"));
            }
        }
        v
    }
}
