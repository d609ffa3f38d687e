//! Which way traffic to a target goes, asked of the kernel: RTM_GETROUTE
//! with RTA_DST (what `ip route get` does) for the device, the source
//! address and the gateway; and RTM_GETNEIGH for the next hop's neighbour
//! entry (its MAC and NUD state). Blocking netlink calls with receive
//! timeouts, in the calling thread's network namespace.

use std::net::Ipv4Addr;

use netlink_packet_route::link::{LinkAttribute, LinkMessage};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteType};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::probe::nic::Rtnl;

/// The kernel's answer for one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub dst: Ipv4Addr,
    pub ifindex: u32,
    pub dev: String,
    pub src: Option<Ipv4Addr>,
    /// `None`: directly connected (on-link).
    pub gateway: Option<Ipv4Addr>,
    /// The target is one of this node's own addresses.
    pub local: bool,
}

impl RouteInfo {
    /// The address that must answer ARP: the gateway, or the target itself.
    pub fn next_hop(&self) -> Ipv4Addr {
        self.gateway.unwrap_or(self.dst)
    }

    /// One line, like `ip route get`.
    pub fn describe(&self) -> String {
        let src = self
            .src
            .map(|s| format!(", source {s}"))
            .unwrap_or_default();
        if self.local {
            return format!(
                "{} is an address of this node ({}{src})",
                self.dst, self.dev
            );
        }
        match self.gateway {
            Some(g) => format!("{} via gateway {g} on {}{src}", self.dst, self.dev),
            None => format!("{} is directly connected on {}{src}", self.dst, self.dev),
        }
    }
}

/// Why the lookup gave no route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// ENETUNREACH, or an unreachable/blackhole/prohibit route.
    NoRoute(String),
    Failed(String),
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteError::NoRoute(why) => write!(f, "{why}"),
            RouteError::Failed(e) => write!(f, "the route lookup failed: {e}"),
        }
    }
}

fn v4(a: &RouteAddress) -> Option<Ipv4Addr> {
    match a {
        RouteAddress::Inet(ip) => Some(*ip),
        _ => None,
    }
}

/// Asks the kernel how it would send to `dst`.
pub fn route_get(dst: Ipv4Addr) -> Result<RouteInfo, RouteError> {
    let mut nl = Rtnl::open().map_err(|e| RouteError::Failed(e.to_string()))?;
    let mut req = RouteMessage::default();
    req.header.address_family = AddressFamily::Inet;
    req.header.destination_prefix_length = 32;
    req.attributes
        .push(RouteAttribute::Destination(RouteAddress::Inet(dst)));
    let no_route = || {
        RouteError::NoRoute(format!(
            "no route to {dst}: this node has neither a route to that network nor a default gateway"
        ))
    };
    let m = match nl.get(RouteNetlinkMessage::GetRoute(req)) {
        Ok(RouteNetlinkMessage::NewRoute(m)) => m,
        Ok(other) => return Err(RouteError::Failed(format!("unexpected answer {other:?}"))),
        Err(Ok(e)) if e == libc::ENETUNREACH || e == libc::EHOSTUNREACH => return Err(no_route()),
        Err(Ok(e)) => {
            return Err(RouteError::Failed(
                std::io::Error::from_raw_os_error(e).to_string(),
            ))
        }
        Err(Err(e)) => return Err(RouteError::Failed(e)),
    };
    match m.header.kind {
        RouteType::Unreachable | RouteType::BlackHole | RouteType::Prohibit => {
            return Err(RouteError::NoRoute(format!(
                "the route to {dst} is of type {:?}: the node refuses to send there",
                m.header.kind
            )))
        }
        _ => {}
    }
    let mut info = RouteInfo {
        dst,
        ifindex: 0,
        dev: String::new(),
        src: None,
        gateway: None,
        local: m.header.kind == RouteType::Local,
    };
    for a in &m.attributes {
        match a {
            RouteAttribute::Oif(i) => info.ifindex = *i,
            RouteAttribute::PrefSource(s) => info.src = v4(s),
            RouteAttribute::Gateway(g) => info.gateway = v4(g),
            _ => {}
        }
    }
    info.dev =
        link_name(&mut nl, info.ifindex).unwrap_or_else(|| format!("ifindex {}", info.ifindex));
    Ok(info)
}

fn link_name(nl: &mut Rtnl, index: u32) -> Option<String> {
    let mut req = LinkMessage::default();
    req.header.index = index;
    match nl.get(RouteNetlinkMessage::GetLink(req)) {
        Ok(RouteNetlinkMessage::NewLink(l)) => l.attributes.iter().find_map(|a| match a {
            LinkAttribute::IfName(n) => Some(n.clone()),
            _ => None,
        }),
        _ => None,
    }
}

/// A neighbour entry: the MAC (if known) and the NUD state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub mac: Option<String>,
    pub state: NeighbourState,
}

impl Neighbour {
    /// The state as `ip neigh` prints it.
    pub fn state_label(&self) -> String {
        match self.state {
            NeighbourState::Incomplete => "INCOMPLETE".into(),
            NeighbourState::Reachable => "REACHABLE".into(),
            NeighbourState::Stale => "STALE".into(),
            NeighbourState::Delay => "DELAY".into(),
            NeighbourState::Probe => "PROBE".into(),
            NeighbourState::Failed => "FAILED".into(),
            NeighbourState::Noarp => "NOARP".into(),
            NeighbourState::Permanent => "PERMANENT".into(),
            NeighbourState::None => "NONE".into(),
            NeighbourState::Other(v) => format!("state {v:#x}"),
            _ => "UNKNOWN".into(),
        }
    }
    /// Whether the neighbour answered ARP (recently or not).
    pub fn answered(&self) -> bool {
        self.mac.is_some()
            && !matches!(
                self.state,
                NeighbourState::Incomplete | NeighbourState::Failed | NeighbourState::None
            )
    }
}

/// The neighbour entry of `ip` on link `ifindex`, if the kernel has one
/// (a dump of the IPv4 neighbour table, filtered).
pub fn neighbour(ifindex: u32, ip: Ipv4Addr) -> Result<Option<Neighbour>, String> {
    let mut nl = Rtnl::open().map_err(|e| e.to_string())?;
    let mut req = NeighbourMessage::default();
    req.header.family = AddressFamily::Inet;
    for m in nl.dump(RouteNetlinkMessage::GetNeighbour(req))? {
        let RouteNetlinkMessage::NewNeighbour(n) = m else {
            continue;
        };
        if n.header.ifindex != ifindex {
            continue;
        }
        let is_ip = n.attributes.iter().any(
            |a| matches!(a, NeighbourAttribute::Destination(NeighbourAddress::Inet(d)) if *d == ip),
        );
        if !is_ip {
            continue;
        }
        let mac = n.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::LinkLocalAddress(b) if !b.is_empty() => Some(
                b.iter()
                    .map(|x| format!("{x:02x}"))
                    .collect::<Vec<_>>()
                    .join(":"),
            ),
            _ => None,
        });
        return Ok(Some(Neighbour {
            mac,
            state: n.header.state,
        }));
    }
    Ok(None)
}
