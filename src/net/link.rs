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
use rtnetlink::packet_route::link::{InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage};
use rtnetlink::{Handle, LinkBridge, LinkUnspec, LinkVeth};
use thiserror::Error;

use super::validate::{validate_rename, BondConfig, NameError};

mod ipv4;
pub use ipv4::*;

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
