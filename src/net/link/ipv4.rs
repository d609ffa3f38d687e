//! A link's IPv4 addresses and the namespace's default routes: snapshot,
//! the planned target of a Configure Networks change, apply and restore.

use std::net::{IpAddr, Ipv4Addr};

use futures::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteType,
};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::{Handle, RouteMessageBuilder};

use super::{errno, get_link_h, with_handle, LinkError};
use crate::net::validate::Ipv4Config;

/// A default route of the main IPv4 table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRoute {
    pub gateway: Ipv4Addr,
    pub ifindex: u32,
    pub metric: Option<u32>,
}

/// The IPv4 state of one link plus the namespace's default routes: what
/// [`apply_ipv4`] changes and [`restore_ipv4`] puts back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Snapshot {
    pub link: String,
    pub ifindex: u32,
    pub addrs: Vec<(Ipv4Addr, u8)>,
    pub default_routes: Vec<DefaultRoute>,
}

impl Ipv4Snapshot {
    /// The default gateway reached through this link, if any.
    pub fn gateway(&self) -> Option<Ipv4Addr> {
        self.default_routes
            .iter()
            .find(|r| r.ifindex == self.ifindex)
            .map(|r| r.gateway)
    }
}

async fn addr_msgs_h(h: &Handle, index: u32) -> Result<Vec<AddressMessage>, LinkError> {
    let all: Vec<AddressMessage> = h
        .address()
        .get()
        .set_link_index_filter(index)
        .execute()
        .try_collect()
        .await
        .map_err(|e| LinkError::nl("reading addresses", e))?;
    Ok(all
        .into_iter()
        .filter(|m| m.header.family == AddressFamily::Inet && m.header.index == index)
        .collect())
}

fn addr_of(m: &AddressMessage) -> Option<(Ipv4Addr, u8)> {
    let mut addr = None;
    for a in &m.attributes {
        match a {
            AddressAttribute::Local(IpAddr::V4(v)) => addr = Some(*v),
            AddressAttribute::Address(IpAddr::V4(v)) if addr.is_none() => addr = Some(*v),
            _ => {}
        }
    }
    addr.map(|a| (a, m.header.prefix_len))
}

async fn default_route_msgs_h(h: &Handle) -> Result<Vec<RouteMessage>, LinkError> {
    let all: Vec<RouteMessage> = h
        .route()
        .get(RouteMessageBuilder::<Ipv4Addr>::new().build())
        .execute()
        .try_collect()
        .await
        .map_err(|e| LinkError::nl("reading routes", e))?;
    Ok(all
        .into_iter()
        .filter(|m| {
            m.header.destination_prefix_length == 0
                && m.header.kind == RouteType::Unicast
                && route_table(m) == RouteHeader::RT_TABLE_MAIN as u32
        })
        .collect())
}

fn route_table(m: &RouteMessage) -> u32 {
    m.attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(m.header.table as u32)
}

fn default_route_of(m: &RouteMessage) -> Option<DefaultRoute> {
    let mut gw = None;
    let mut oif = None;
    let mut metric = None;
    for a in &m.attributes {
        match a {
            RouteAttribute::Gateway(RouteAddress::Inet(g)) => gw = Some(*g),
            RouteAttribute::Oif(i) => oif = Some(*i),
            RouteAttribute::Priority(p) => metric = Some(*p),
            _ => {}
        }
    }
    Some(DefaultRoute {
        gateway: gw?,
        ifindex: oif?,
        metric,
    })
}

async fn snapshot_h(h: &Handle, name: &str) -> Result<Ipv4Snapshot, LinkError> {
    let link = get_link_h(h, name).await?;
    let addrs = addr_msgs_h(h, link.index)
        .await?
        .iter()
        .filter_map(addr_of)
        .collect();
    let default_routes = default_route_msgs_h(h)
        .await?
        .iter()
        .filter_map(default_route_of)
        .collect();
    Ok(Ipv4Snapshot {
        link: name.to_string(),
        ifindex: link.index,
        addrs,
        default_routes,
    })
}

/// Reads the IPv4 addresses of `name` and the default routes.
pub fn ipv4_snapshot(name: &str) -> Result<Ipv4Snapshot, LinkError> {
    let name = name.to_string();
    with_handle(|h| async move { snapshot_h(&h, &name).await })
}

async fn add_default_h(h: &Handle, r: &DefaultRoute) -> Result<(), rtnetlink::Error> {
    let mut b = RouteMessageBuilder::<Ipv4Addr>::new()
        .output_interface(r.ifindex)
        .gateway(r.gateway);
    if let Some(m) = r.metric {
        b = b.priority(m);
    }
    h.route().add(b.build()).replace().execute().await
}

/// Makes the link's addresses and the default routes equal to `target`.
/// A default route via another link is removed only when
/// `remove_other_links` (the operator moves the node's default gateway to
/// this link); otherwise only routes through this link are deleted, and the
/// missing ones of `target` are added (how a revert puts back a default
/// route that was moved away).
async fn set_state_h(
    h: &Handle,
    target: &Ipv4Snapshot,
    remove_other_links: bool,
) -> Result<(), LinkError> {
    let idx = target.ifindex;
    for m in addr_msgs_h(h, idx).await? {
        if addr_of(&m).is_some_and(|a| target.addrs.contains(&a)) {
            continue;
        }
        let what = addr_of(&m)
            .map(|(a, p)| format!("{a}/{p}"))
            .unwrap_or_default();
        h.address()
            .del(m)
            .execute()
            .await
            .map_err(|e| LinkError::nl(format!("removing {what} from {}", target.link), e))?;
    }
    let present: Vec<(Ipv4Addr, u8)> = addr_msgs_h(h, idx)
        .await?
        .iter()
        .filter_map(addr_of)
        .collect();
    for (a, p) in &target.addrs {
        if present.contains(&(*a, *p)) {
            continue;
        }
        h.address()
            .add(idx, IpAddr::V4(*a), *p)
            .execute()
            .await
            .map_err(|e| LinkError::nl(format!("adding {a}/{p} to {}", target.link), e))?;
    }
    for m in default_route_msgs_h(h).await? {
        let Some(r) = default_route_of(&m) else {
            continue;
        };
        if target.default_routes.contains(&r) || (r.ifindex != idx && !remove_other_links) {
            continue;
        }
        match h.route().del(m).execute().await {
            Ok(()) => {}
            // Already gone with the address it depended on.
            Err(e) if errno(&e) == Some(libc::ESRCH) => {}
            Err(e) => return Err(LinkError::nl("removing the old default route", e)),
        }
    }
    let present: Vec<DefaultRoute> = default_route_msgs_h(h)
        .await?
        .iter()
        .filter_map(default_route_of)
        .collect();
    for r in &target.default_routes {
        if present.contains(r) {
            continue;
        }
        add_default_h(h, r)
            .await
            .map_err(|e| LinkError::nl(format!("adding the default route via {}", r.gateway), e))?;
    }
    Ok(())
}

/// The state [`apply_ipv4`] aims for, from the state before (pure, so the
/// guard decision and the tests use the same computation as the change).
///
/// Only routes through the configured link are touched: the link's default
/// route becomes `cfg`'s default gateway or goes away, and default routes via
/// other links stay, unless `cfg.default_route` (the operator chose to move
/// the node's default gateway here): then they are replaced by the new one.
pub fn plan_ipv4(prev: &Ipv4Snapshot, cfg: &Ipv4Config) -> Ipv4Snapshot {
    let idx = prev.ifindex;
    let mut default_routes: Vec<DefaultRoute> = if cfg.default_route {
        Vec::new()
    } else {
        prev.default_routes
            .iter()
            .filter(|r| r.ifindex != idx)
            .copied()
            .collect()
    };
    if let Some(gateway) = cfg.default_gateway() {
        // Keep the metric of the route being replaced, so a node with
        // several default routes keeps their order.
        let metric = prev
            .default_routes
            .iter()
            .find(|r| r.ifindex == idx)
            .or_else(|| {
                Some(&prev.default_routes)
                    .filter(|v| v.len() == 1)
                    .and_then(|v| v.first())
            })
            .and_then(|r| r.metric);
        default_routes.push(DefaultRoute {
            gateway,
            ifindex: idx,
            metric,
        });
    }
    Ipv4Snapshot {
        link: prev.link.clone(),
        ifindex: idx,
        addrs: vec![(cfg.ip, cfg.prefix)],
        default_routes,
    }
}

/// Replaces the IPv4 addresses of `name` with `cfg.ip/cfg.prefix` and sets
/// the default routes as [`plan_ipv4`] computes. Returns the previous
/// state, to hand to [`restore_ipv4`] (the confirm-or-revert guard keeps it).
/// If any step fails, the previous state is restored before returning.
pub fn apply_ipv4(name: &str, cfg: &Ipv4Config) -> Result<Ipv4Snapshot, LinkError> {
    let name = name.to_string();
    let cfg = *cfg;
    with_handle(|h| async move {
        let prev = snapshot_h(&h, &name).await?;
        let target = plan_ipv4(&prev, &cfg);
        if let Err(e) = set_state_h(&h, &target, cfg.default_route).await {
            let op = format!("setting {cfg} on {name}");
            let cause = e.cause();
            return Err(match set_state_h(&h, &prev, false).await {
                Ok(()) => LinkError::RolledBack { op, cause },
                Err(r) => LinkError::RestoreFailed {
                    op,
                    cause,
                    restore: r.to_string(),
                },
            });
        }
        tracing::info!(nic = %name, config = %cfg, "applied IPv4 configuration");
        Ok(prev)
    })
}

/// Puts back a state captured by [`ipv4_snapshot`] / returned by [`apply_ipv4`].
pub fn restore_ipv4(prev: &Ipv4Snapshot) -> Result<(), LinkError> {
    let prev = prev.clone();
    with_handle(|h| async move {
        set_state_h(&h, &prev, false).await?;
        tracing::info!(nic = %prev.link, "restored previous IPv4 configuration");
        Ok(())
    })
}
