//! NIC INFO: every link with its kind, state, addresses and master, read with
//! a synchronous rtnetlink dump (links, addresses, IPv4 default routes).
//!
//! Synchronous on purpose: the collector runs on tokio's blocking pool under
//! the runner's timeout, and a plain socket with `SO_RCVTIMEO` means even a
//! stuck kernel cannot keep the thread forever. Network operations reuse the
//! same model through [`list_nics`].

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use netlink_packet_core::{
    NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkLayerType, LinkMessage, State,
};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteType};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use super::{Collector, Nic, NicInfo, NicKind};

/// How long one netlink receive may block before the dump is abandoned.
const RECV_TIMEOUT: Duration = Duration::from_secs(3);
/// Room for one netlink datagram; the kernel's dump chunks stay below 32 KiB.
const RECV_BUF: usize = 64 * 1024;

/// Collects [`NicInfo`] from the network namespace of the calling thread.
pub struct NicCollector {
    management_ip: Option<Ipv4Addr>,
    sysfs_root: PathBuf,
}

impl NicCollector {
    /// `management_ip` marks the NIC holding it as `MN` (else the NIC of the
    /// default route); `sysfs_root` is `/sys` on a real node.
    pub fn new(management_ip: Option<Ipv4Addr>, sysfs_root: PathBuf) -> Self {
        Self {
            management_ip,
            sysfs_root,
        }
    }
}

impl Collector for NicCollector {
    type Output = NicInfo;

    fn name(&self) -> &'static str {
        "nic"
    }

    fn collect(&mut self) -> Result<NicInfo, String> {
        Ok(NicInfo {
            nics: list_nics(self.management_ip, &self.sysfs_root)?,
        })
    }
}

/// Every NIC but loopback, physical first, then bond, bridge, vlan, others,
/// each group by name.
pub fn list_nics(management_ip: Option<Ipv4Addr>, sysfs_root: &Path) -> Result<Vec<Nic>, String> {
    let mut rtnl = Rtnl::open().map_err(|e| {
        format!("cannot open a netlink socket: {e}; the console needs Linux rtnetlink")
    })?;
    let mut links = Vec::new();
    for m in rtnl.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))? {
        if let RouteNetlinkMessage::NewLink(l) = m {
            links.push(RawLink::from_message(&l));
        }
    }
    let mut addrs = Vec::new();
    for m in rtnl.dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))? {
        if let RouteNetlinkMessage::NewAddress(a) = m {
            addrs.extend(RawAddr::from_message(&a));
        }
    }
    let mut req = RouteMessage::default();
    req.header.address_family = AddressFamily::Inet;
    let mut routes = Vec::new();
    for m in rtnl.dump(RouteNetlinkMessage::GetRoute(req))? {
        if let RouteNetlinkMessage::NewRoute(r) = m {
            routes.extend(default_route_oifs(&r));
        }
    }
    Ok(build_nics(
        &links,
        &addrs,
        &routes,
        management_ip,
        &SysfsNet::new(sysfs_root),
    ))
}

/// What the link dump says about one link, before classification.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawLink {
    pub index: u32,
    pub name: String,
    /// IFLA_LINKINFO kind (`bridge`, `veth`, ...), absent for plain devices.
    pub kind: Option<String>,
    pub loopback: bool,
    pub admin_up: bool,
    pub running: bool,
    /// Kernel operstate as `ip link` prints it, lower case.
    pub operstate: String,
    pub mac: Option<String>,
    pub mtu: u32,
    pub master_index: Option<u32>,
}

impl RawLink {
    fn from_message(l: &LinkMessage) -> Self {
        let flags = l.header.flags;
        let mut raw = RawLink {
            index: l.header.index,
            loopback: flags.contains(LinkFlags::Loopback)
                || l.header.link_layer_type == LinkLayerType::Loopback,
            admin_up: flags.contains(LinkFlags::Up),
            running: flags.contains(LinkFlags::Running),
            operstate: "unknown".into(),
            ..Default::default()
        };
        for attr in &l.attributes {
            match attr {
                LinkAttribute::IfName(n) => raw.name = n.clone(),
                LinkAttribute::Mtu(m) => raw.mtu = *m,
                LinkAttribute::Controller(m) => raw.master_index = Some(*m),
                LinkAttribute::OperState(s) => raw.operstate = operstate_text(*s),
                LinkAttribute::Address(a) => raw.mac = format_mac(a),
                LinkAttribute::LinkInfo(infos) => {
                    for info in infos {
                        if let LinkInfo::Kind(k) = info {
                            raw.kind = Some(kind_text(k));
                        }
                    }
                }
                _ => {}
            }
        }
        raw
    }
}

fn kind_text(k: &InfoKind) -> String {
    k.to_string()
}

fn operstate_text(s: State) -> String {
    match s {
        State::Unknown => "unknown".into(),
        State::NotPresent => "notpresent".into(),
        State::Down => "down".into(),
        State::LowerLayerDown => "lowerlayerdown".into(),
        State::Testing => "testing".into(),
        State::Dormant => "dormant".into(),
        State::Up => "up".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// Colon-separated hex; `None` for links without a hardware address (tun,
/// ipip) or with an all-zero one.
pub fn format_mac(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() || bytes.iter().all(|b| *b == 0) {
        return None;
    }
    Some(
        bytes
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}

/// One address from the address dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAddr {
    pub index: u32,
    pub addr: IpAddr,
    pub prefix: u8,
}

impl RawAddr {
    fn from_message(a: &AddressMessage) -> Option<Self> {
        // IFA_LOCAL is the interface's own address on point-to-point links,
        // where IFA_ADDRESS is the peer; prefer it when present.
        let mut address = None;
        let mut local = None;
        for attr in &a.attributes {
            match attr {
                AddressAttribute::Address(ip) => address = Some(*ip),
                AddressAttribute::Local(ip) => local = Some(*ip),
                _ => {}
            }
        }
        Some(RawAddr {
            index: a.header.index,
            addr: local.or(address)?,
            prefix: a.header.prefix_len,
        })
    }
}

/// One IPv4 default route of the main table, per output interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRoute {
    /// Output interface index.
    pub oif: u32,
    /// Route metric (lower wins).
    pub metric: u32,
    /// Next hop; `None` for a device route or a multipath hop.
    pub gateway: Option<Ipv4Addr>,
}

/// The IPv4 default routes in the main table `r` describes, one per output
/// interface.
fn default_route_oifs(r: &RouteMessage) -> Vec<DefaultRoute> {
    let h = &r.header;
    if h.address_family != AddressFamily::Inet
        || h.destination_prefix_length != 0
        || h.kind != RouteType::Unicast
    {
        return Vec::new();
    }
    let mut table = u32::from(h.table);
    let mut metric = 0;
    let mut oifs = Vec::new();
    let mut gateway = None;
    for attr in &r.attributes {
        match attr {
            RouteAttribute::Table(t) => table = *t,
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::Gateway(RouteAddress::Inet(g)) => gateway = Some(*g),
            RouteAttribute::Oif(i) => oifs.push(*i),
            RouteAttribute::MultiPath(hops) => oifs.extend(hops.iter().map(|h| h.interface_index)),
            RouteAttribute::Destination(RouteAddress::Inet(d)) if !d.is_unspecified() => {
                return Vec::new()
            }
            _ => {}
        }
    }
    if table != u32::from(netlink_packet_route::route::RouteHeader::RT_TABLE_MAIN) {
        return Vec::new();
    }
    let single = oifs.len() == 1;
    oifs.into_iter()
        .map(|oif| DefaultRoute {
            oif,
            metric,
            gateway: if single { gateway } else { None },
        })
        .collect()
}

/// The sysfs facts about a NIC that netlink does not carry.
pub struct SysfsNet {
    class_net: PathBuf,
}

impl SysfsNet {
    pub fn new(sysfs_root: &Path) -> Self {
        Self {
            class_net: sysfs_root.join("class/net"),
        }
    }

    /// A bus device behind the NIC: what makes a kind-less link physical.
    fn has_device(&self, name: &str) -> bool {
        self.class_net.join(name).join("device").exists()
    }

    /// Mb/s; `None` when unknown (the kernel reports -1 or refuses the read
    /// when the link is down).
    fn speed(&self, name: &str) -> Option<u32> {
        let s = std::fs::read_to_string(self.class_net.join(name).join("speed")).ok()?;
        s.trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .map(|v| v as u32)
    }

    fn driver(&self, name: &str) -> Option<String> {
        let link = std::fs::read_link(self.class_net.join(name).join("device/driver")).ok()?;
        Some(link.file_name()?.to_string_lossy().into_owned())
    }
}

/// Kind of a link from its IFLA_LINKINFO kind, or physical when it has none
/// and sysfs shows a device behind it.
pub fn classify(raw: &RawLink, has_device: bool) -> NicKind {
    if raw.loopback {
        return NicKind::Loopback;
    }
    match raw.kind.as_deref() {
        Some("bond") => NicKind::Bond,
        Some("bridge") => NicKind::Bridge,
        Some("vlan") => NicKind::Vlan,
        Some("veth") => NicKind::Veth,
        Some("vxlan") => NicKind::Vxlan,
        Some("tun") => NicKind::Tun,
        Some(other) => NicKind::Other(other.to_string()),
        None if has_device => NicKind::Physical,
        None => NicKind::Other("virtual".into()),
    }
}

/// UP as the operator means it: operstate `up`, or `unknown` (drivers that
/// do not report carrier, e.g. tun) with the interface administratively up
/// and running.
pub fn is_up(raw: &RawLink) -> bool {
    raw.operstate == "up" || (raw.operstate == "unknown" && raw.admin_up && raw.running)
}

fn sort_rank(kind: &NicKind) -> u8 {
    match kind {
        NicKind::Physical => 0,
        NicKind::Bond => 1,
        NicKind::Bridge => 2,
        NicKind::Vlan => 3,
        _ => 4,
    }
}

/// Joins the three dumps into the NIC model (pure apart from sysfs reads).
pub fn build_nics(
    links: &[RawLink],
    addrs: &[RawAddr],
    default_routes: &[DefaultRoute],
    management_ip: Option<Ipv4Addr>,
    sysfs: &SysfsNet,
) -> Vec<Nic> {
    let names: HashMap<u32, &str> = links.iter().map(|l| (l.index, l.name.as_str())).collect();
    let best_default = default_routes
        .iter()
        .min_by_key(|r| r.metric)
        .map(|r| r.oif);
    let mn_by_ip = management_ip.and_then(|ip| {
        addrs
            .iter()
            .find(|a| a.addr == IpAddr::V4(ip))
            .map(|a| a.index)
    });
    let mn_index = mn_by_ip.or(best_default);
    let mut nics: Vec<Nic> = links
        .iter()
        .filter(|l| !l.loopback)
        .map(|l| {
            let kind = classify(l, sysfs.has_device(&l.name));
            let mut ipv4: Vec<(Ipv4Addr, u8)> = Vec::new();
            let mut ipv6: Vec<(Ipv6Addr, u8)> = Vec::new();
            for a in addrs.iter().filter(|a| a.index == l.index) {
                match a.addr {
                    IpAddr::V4(v4) => ipv4.push((v4, a.prefix)),
                    IpAddr::V6(v6) => ipv6.push((v6, a.prefix)),
                }
            }
            Nic {
                index: l.index,
                name: l.name.clone(),
                up: is_up(l),
                operstate: l.operstate.clone(),
                mac: l.mac.clone(),
                mtu: l.mtu,
                ipv4,
                ipv6,
                master: l.master_index.map(|m| {
                    names
                        .get(&m)
                        .map_or_else(|| format!("if{m}"), |n| n.to_string())
                }),
                speed_mbps: sysfs.speed(&l.name),
                driver: sysfs.driver(&l.name),
                is_mn: mn_index == Some(l.index),
                default_route: default_routes.iter().any(|r| r.oif == l.index),
                gateway: default_routes
                    .iter()
                    .filter(|r| r.oif == l.index)
                    .min_by_key(|r| r.metric)
                    .and_then(|r| r.gateway),
                kind,
            }
        })
        .collect();
    nics.sort_by(|a, b| {
        sort_rank(&a.kind)
            .cmp(&sort_rank(&b.kind))
            .then_with(|| a.name.cmp(&b.name))
    });
    nics
}

/// A blocking rtnetlink socket that does one dump at a time (also used
/// by `diag::route` for its single requests).
pub(crate) struct Rtnl {
    sock: Socket,
    seq: u32,
    buf: Vec<u8>,
}

impl Rtnl {
    pub(crate) fn open() -> std::io::Result<Self> {
        let mut sock = Socket::new(NETLINK_ROUTE)?;
        sock.bind_auto()?;
        sock.connect(&SocketAddr::new(0, 0))?;
        set_timeout(&sock, libc::SO_RCVTIMEO, RECV_TIMEOUT)?;
        set_timeout(&sock, libc::SO_SNDTIMEO, RECV_TIMEOUT)?;
        Ok(Self {
            sock,
            seq: 0,
            buf: Vec::with_capacity(RECV_BUF),
        })
    }

    /// Sends one request (no dump) and returns its answer, or the kernel's
    /// errno (e.g. ENETUNREACH for RTM_GETROUTE without a route).
    pub(crate) fn get(
        &mut self,
        req: RouteNetlinkMessage,
    ) -> Result<RouteNetlinkMessage, Result<i32, String>> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST;
        header.sequence_number = seq;
        let mut msg = NetlinkMessage::new(header, NetlinkPayload::from(req));
        msg.finalize();
        let mut out_buf = vec![0u8; msg.buffer_len()];
        msg.serialize(&mut out_buf);
        self.sock
            .send(&out_buf, 0)
            .map_err(|e| Err(format!("netlink request failed: {e}")))?;
        loop {
            self.buf.clear();
            let n = self
                .sock
                .recv(&mut self.buf, libc::MSG_TRUNC)
                .map_err(|e| Err(format!("netlink receive failed: {e}")))?;
            let n = n.min(self.buf.len());
            let mut off = 0;
            while off < n {
                let data = &self.buf[off..n];
                let len = NetlinkBuffer::new_checked(data)
                    .map_err(|e| Err(format!("malformed netlink message: {e}")))?
                    .length() as usize;
                if len == 0 || len > data.len() {
                    return Err(Err("malformed netlink message length".into()));
                }
                off += (len + 3) & !3;
                let Ok(parsed) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&data[..len])
                else {
                    continue;
                };
                if parsed.header.sequence_number != seq {
                    continue;
                }
                match parsed.payload {
                    NetlinkPayload::Error(e) if e.code.is_some() => {
                        return Err(Ok(e.code.map_or(0, |c| -c.get())))
                    }
                    NetlinkPayload::InnerMessage(m) => return Ok(m),
                    _ => {}
                }
            }
        }
    }

    /// Sends one dump request and gathers every answer up to NLMSG_DONE.
    pub(crate) fn dump(
        &mut self,
        req: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>, String> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        header.sequence_number = seq;
        let mut msg = NetlinkMessage::new(header, NetlinkPayload::from(req));
        msg.finalize();
        let mut out_buf = vec![0u8; msg.buffer_len()];
        msg.serialize(&mut out_buf);
        self.sock
            .send(&out_buf, 0)
            .map_err(|e| format!("netlink request failed: {e}"))?;

        let mut out = Vec::new();
        loop {
            self.buf.clear();
            let n = self
                .sock
                .recv(&mut self.buf, libc::MSG_TRUNC)
                .map_err(|e| {
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) {
                        format!(
                        "netlink dump got no answer within {}s; the kernel is stuck or overloaded",
                        RECV_TIMEOUT.as_secs()
                    )
                    } else {
                        format!("netlink receive failed: {e}")
                    }
                })?;
            if n > self.buf.len() {
                return Err(format!("netlink message of {n} bytes too large for buffer"));
            }
            let mut off = 0;
            while off < n {
                let data = &self.buf[off..n];
                let len = NetlinkBuffer::new_checked(data)
                    .map_err(|e| format!("malformed netlink message: {e}"))?
                    .length() as usize;
                if len == 0 || len > data.len() {
                    return Err("malformed netlink message length".into());
                }
                off += (len + 3) & !3;
                let parsed = match NetlinkMessage::<RouteNetlinkMessage>::deserialize(&data[..len])
                {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(error = %e, "skipping netlink message we cannot parse");
                        continue;
                    }
                };
                if parsed.header.sequence_number != seq {
                    continue;
                }
                match parsed.payload {
                    NetlinkPayload::Done(_) => return Ok(out),
                    NetlinkPayload::Error(e) if e.code.is_some() => {
                        return Err(format!("netlink dump refused: {}", e.to_io()))
                    }
                    NetlinkPayload::InnerMessage(m) => out.push(m),
                    _ => {}
                }
            }
        }
    }
}

fn set_timeout(sock: &Socket, opt: libc::c_int, d: Duration) -> std::io::Result<()> {
    let tv = libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: d.subsec_micros() as libc::suseconds_t,
    };
    // SAFETY: valid fd owned by `sock`, pointer and length describe `tv`.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
