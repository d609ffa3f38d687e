//! Run-time link changes through rtnetlink: rename, IPv4 addresses and the
//! default route, and the link plumbing the demo and tests need (veth,
//! bridge, moving a link into another namespace).
//!
//! Every multi-step change undoes its earlier steps when a later one fails,
//! so a refused request leaves the NIC as it was. Each public function is
//! synchronous: it opens its own netlink connection on a short-lived helper
//! thread (inheriting the caller's network namespace, see [`super::netns`])
//! with a small current-thread runtime, so it can be called from anywhere,
//! including from inside the app's tokio runtime via `spawn_blocking`, and
//! every request is bounded by [`NETLINK_TIMEOUT`].

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use futures::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::{InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteType,
};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::{Handle, LinkBridge, LinkUnspec, LinkVeth, RouteMessageBuilder};
use thiserror::Error;

use super::validate::{validate_rename, BondConfig, Ipv4Config, NameError};

/// Upper bound of one whole operation (all its netlink round trips).
pub const NETLINK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a run-time link change failed.
#[derive(Debug, Error)]
pub enum LinkError {
    #[error("there is no network interface named \"{0}\": refresh the NIC list and choose again")]
    NotFound(String),
    #[error("{0}")]
    Name(#[from] NameError),
    #[error("{op} failed: {cause}")]
    Netlink { op: String, cause: String },
    #[error("{op} failed ({cause}); the previous state was restored")]
    RolledBack { op: String, cause: String },
    #[error("{op} failed ({cause}) and restoring the previous state failed too ({restore}): check the NIC with `ip addr` and fix it by hand")]
    RestoreFailed {
        op: String,
        cause: String,
        restore: String,
    },
    #[error("the kernel did not answer within {0:?}: try again")]
    Timeout(Duration),
    #[error("cannot talk to the kernel over netlink: {0}")]
    Io(String),
    #[error("this kernel has no {0} support (module not available): nothing was changed")]
    Unsupported(&'static str),
}

impl LinkError {
    fn nl(op: impl Into<String>, e: rtnetlink::Error) -> Self {
        LinkError::Netlink {
            op: op.into(),
            cause: describe(&e),
        }
    }
    /// The underlying errno, when the kernel refused.
    fn cause(&self) -> String {
        match self {
            LinkError::Netlink { cause, .. } => cause.clone(),
            other => other.to_string(),
        }
    }
}

fn describe(e: &rtnetlink::Error) -> String {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.to_io().to_string(),
        other => other.to_string(),
    }
}

fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| -c.get()),
        _ => None,
    }
}

/// Runs `f` with a fresh netlink handle on a helper thread in the caller's
/// network namespace.
fn with_handle<R, F, Fut>(f: F) -> Result<R, LinkError>
where
    F: FnOnce(Handle) -> Fut + Send,
    Fut: Future<Output = Result<R, LinkError>>,
    R: Send,
{
    std::thread::scope(|s| {
        s.spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| LinkError::Io(e.to_string()))?;
            rt.block_on(async move {
                let (conn, handle, _) =
                    rtnetlink::new_connection().map_err(|e| LinkError::Io(e.to_string()))?;
                tokio::spawn(conn);
                tokio::time::timeout(NETLINK_TIMEOUT, f(handle))
                    .await
                    .map_err(|_| LinkError::Timeout(NETLINK_TIMEOUT))?
            })
        })
        .join()
        .unwrap_or_else(|_| Err(LinkError::Io("netlink helper thread panicked".into())))
    })
}

/// One link as netlink reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    pub index: u32,
    pub name: String,
    /// Administratively up (IFF_UP).
    pub admin_up: bool,
    /// Carrier and up (IFF_LOWER_UP).
    pub lower_up: bool,
    /// `aa:bb:cc:dd:ee:ff`, when the link has an Ethernet address.
    pub mac: Option<String>,
    /// rtnetlink kind (`veth`, `bridge`, `bond`, ...); `None` for plain
    /// hardware NICs.
    pub kind: Option<String>,
    /// Index of the bond/bridge this link is enslaved to.
    pub master: Option<u32>,
}

fn link_state(m: &LinkMessage) -> LinkState {
    let mut s = LinkState {
        index: m.header.index,
        name: String::new(),
        admin_up: m.header.flags.contains(LinkFlags::Up),
        lower_up: m.header.flags.contains(LinkFlags::LowerUp),
        mac: None,
        kind: None,
        master: None,
    };
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => s.name = n.clone(),
            LinkAttribute::Address(b) if b.len() == 6 => {
                s.mac = Some(
                    b.iter()
                        .map(|x| format!("{x:02x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                )
            }
            LinkAttribute::Controller(i) => s.master = Some(*i),
            LinkAttribute::LinkInfo(infos) => {
                for i in infos {
                    if let LinkInfo::Kind(k) = i {
                        s.kind = Some(kind_name(k));
                    }
                }
            }
            _ => {}
        }
    }
    s
}

fn kind_name(k: &InfoKind) -> String {
    match k {
        InfoKind::Other(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn get_link_h(h: &Handle, name: &str) -> Result<LinkState, LinkError> {
    let mut stream = h.link().get().match_name(name.to_string()).execute();
    match stream.try_next().await {
        Ok(Some(m)) => Ok(link_state(&m)),
        Ok(None) => Err(LinkError::NotFound(name.to_string())),
        Err(e) if errno(&e) == Some(libc::ENODEV) => Err(LinkError::NotFound(name.to_string())),
        Err(e) => Err(LinkError::nl(format!("reading NIC {name}"), e)),
    }
}

async fn list_links_h(h: &Handle) -> Result<Vec<LinkState>, LinkError> {
    let msgs: Vec<LinkMessage> = h
        .link()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(|e| LinkError::nl("listing NICs", e))?;
    Ok(msgs.iter().map(link_state).collect())
}

async fn set_up_h(h: &Handle, index: u32, up: bool) -> Result<(), rtnetlink::Error> {
    let b = LinkUnspec::new_with_index(index);
    let msg = if up { b.up() } else { b.down() }.build();
    h.link().set(msg).execute().await
}

async fn set_name_h(h: &Handle, index: u32, name: &str) -> Result<(), rtnetlink::Error> {
    h.link()
        .set(
            LinkUnspec::new_with_index(index)
                .name(name.to_string())
                .build(),
        )
        .execute()
        .await
}

/// All links of the current namespace.
pub fn list_links() -> Result<Vec<LinkState>, LinkError> {
    with_handle(|h| async move { list_links_h(&h).await })
}

/// One link by name.
pub fn get_link(name: &str) -> Result<LinkState, LinkError> {
    let name = name.to_string();
    with_handle(|h| async move { get_link_h(&h, &name).await })
}

/// Sets a link administratively up or down.
pub fn set_up(name: &str, up: bool) -> Result<(), LinkError> {
    let name = name.to_string();
    with_handle(|h| async move {
        let l = get_link_h(&h, &name).await?;
        set_up_h(&h, l.index, up).await.map_err(|e| {
            LinkError::nl(
                format!("setting {name} {}", if up { "up" } else { "down" }),
                e,
            )
        })
    })
}

/// Renames a link at run time: down → rename → up (kernels before 6.x
/// refuse to rename an UP link), restoring the old name and state if any
/// step fails. The new name is validated against the live link list first.
pub fn rename_link(old: &str, new: &str) -> Result<(), LinkError> {
    let (old, new) = (old.to_string(), new.to_string());
    with_handle(|h| async move {
        let links = list_links_h(&h).await?;
        let link = links
            .iter()
            .find(|l| l.name == old)
            .ok_or_else(|| LinkError::NotFound(old.clone()))?;
        let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
        validate_rename(&old, &new, &names)?;
        let (idx, was_up) = (link.index, link.admin_up);
        if was_up {
            set_up_h(&h, idx, false)
                .await
                .map_err(|e| LinkError::nl(format!("setting {old} down before renaming"), e))?;
        }
        if let Err(e) = set_name_h(&h, idx, &new).await {
            let op = format!("renaming {old} to {new}");
            let cause = describe(&e);
            if was_up {
                if let Err(r) = set_up_h(&h, idx, true).await {
                    return Err(LinkError::RestoreFailed {
                        op,
                        cause,
                        restore: format!("setting {old} up again: {}", describe(&r)),
                    });
                }
            }
            return Err(LinkError::RolledBack { op, cause });
        }
        if was_up {
            if let Err(e) = set_up_h(&h, idx, true).await {
                let op = format!("setting {new} up after renaming");
                let cause = describe(&e);
                let restore = async {
                    set_name_h(&h, idx, &old).await?;
                    set_up_h(&h, idx, true).await
                };
                return Err(match restore.await {
                    Ok(()) => LinkError::RolledBack { op, cause },
                    Err(r) => LinkError::RestoreFailed {
                        op,
                        cause,
                        restore: format!("renaming back to {old}: {}", describe(&r)),
                    },
                });
            }
        }
        tracing::info!(old = %old, new = %new, "renamed NIC");
        Ok(())
    })
}

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

/// Adds one IPv4 address to a link (demo and test plumbing).
pub fn add_ipv4(name: &str, ip: Ipv4Addr, prefix: u8) -> Result<(), LinkError> {
    let name = name.to_string();
    with_handle(|h| async move {
        let l = get_link_h(&h, &name).await?;
        h.address()
            .add(l.index, IpAddr::V4(ip), prefix)
            .execute()
            .await
            .map_err(|e| LinkError::nl(format!("adding {ip}/{prefix} to {name}"), e))
    })
}

/// Creates a veth pair.
pub fn create_veth(name: &str, peer: &str) -> Result<(), LinkError> {
    let (name, peer) = (name.to_string(), peer.to_string());
    with_handle(|h| async move {
        h.link()
            .add(LinkVeth::new(&name, &peer).build())
            .execute()
            .await
            .map_err(|e| LinkError::nl(format!("creating veth pair {name}/{peer}"), e))
    })
}

/// Creates a bridge.
pub fn create_bridge(name: &str) -> Result<(), LinkError> {
    let name = name.to_string();
    with_handle(|h| async move {
        h.link()
            .add(LinkBridge::new(&name).build())
            .execute()
            .await
            .map_err(|e| LinkError::nl(format!("creating bridge {name}"), e))
    })
}

/// Enslaves `name` to the bridge or bond `master`.
pub fn set_master(name: &str, master: &str) -> Result<(), LinkError> {
    let (name, master) = (name.to_string(), master.to_string());
    with_handle(|h| async move {
        let l = get_link_h(&h, &name).await?;
        let m = get_link_h(&h, &master).await?;
        h.link()
            .set(
                LinkUnspec::new_with_index(l.index)
                    .controller(m.index)
                    .build(),
            )
            .execute()
            .await
            .map_err(|e| LinkError::nl(format!("attaching {name} to {master}"), e))
    })
}

/// Moves a link into the network namespace `ns` (e.g.
/// [`super::netns::NetnsThread::ns_fd`]).
pub fn move_to_netns(name: &str, ns: BorrowedFd<'_>) -> Result<(), LinkError> {
    let name = name.to_string();
    let fd = ns.as_raw_fd();
    with_handle(|h| async move {
        let l = get_link_h(&h, &name).await?;
        h.link()
            .set(LinkUnspec::new_with_index(l.index).setns_by_fd(fd).build())
            .execute()
            .await
            .map_err(|e| LinkError::nl(format!("moving {name} to another namespace"), e))
    })
}

/// Deletes a link.
pub fn delete_link(name: &str) -> Result<(), LinkError> {
    let name = name.to_string();
    with_handle(|h| async move {
        let l = get_link_h(&h, &name).await?;
        h.link()
            .del(l.index)
            .execute()
            .await
            .map_err(|e| LinkError::nl(format!("deleting {name}"), e))
    })
}

/// Creates a bond at run time and enslaves its slaves (each set down first,
/// as the kernel requires). On a kernel without the bonding module this
/// returns [`LinkError::Unsupported`] and changes nothing; if enslaving fails
/// half way, the new bond is deleted again (which releases the slaves).
pub fn create_bond(cfg: &BondConfig) -> Result<(), LinkError> {
    use rtnetlink::packet_route::link::BondMode as NlMode;
    let cfg = cfg.clone();
    with_handle(|h| async move {
        let mode = match cfg.mode.number() {
            0 => NlMode::BalanceRr,
            1 => NlMode::ActiveBackup,
            2 => NlMode::BalanceXor,
            3 => NlMode::Broadcast,
            4 => NlMode::Ieee8023Ad,
            5 => NlMode::BalanceTlb,
            _ => NlMode::BalanceAlb,
        };
        let msg = rtnetlink::LinkBond::new(&cfg.name)
            .mode(mode)
            .miimon(cfg.miimon_ms)
            .build();
        if let Err(e) = h.link().add(msg).execute().await {
            return Err(match errno(&e) {
                Some(libc::EOPNOTSUPP) | Some(libc::ENODEV) => LinkError::Unsupported("bonding"),
                _ => LinkError::nl(format!("creating bond {}", cfg.name), e),
            });
        }
        let bond = get_link_h(&h, &cfg.name).await?;
        let enslave = async {
            for s in &cfg.slaves {
                let l = get_link_h(&h, s).await?;
                set_up_h(&h, l.index, false)
                    .await
                    .map_err(|e| LinkError::nl(format!("setting {s} down"), e))?;
                h.link()
                    .set(
                        LinkUnspec::new_with_index(l.index)
                            .controller(bond.index)
                            .build(),
                    )
                    .execute()
                    .await
                    .map_err(|e| LinkError::nl(format!("enslaving {s} to {}", cfg.name), e))?;
                set_up_h(&h, l.index, true)
                    .await
                    .map_err(|e| LinkError::nl(format!("setting {s} up"), e))?;
            }
            set_up_h(&h, bond.index, true)
                .await
                .map_err(|e| LinkError::nl(format!("setting {} up", cfg.name), e))
        };
        if let Err(e) = enslave.await {
            let _ = h.link().del(bond.index).execute().await;
            return Err(LinkError::RolledBack {
                op: format!("creating bond {}", cfg.name),
                cause: e.cause(),
            });
        }
        Ok(())
    })
}
