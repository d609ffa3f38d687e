//! Pure validation of what the operator types into the network forms.
//!
//! Every refusal is a distinct variant whose `Display` tells the operator what
//! is wrong and what to type instead, because the console shows it verbatim in
//! the form. Nothing here touches the system, so the rules are unit tested and
//! fuzzed (see `fuzz/`).

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use thiserror::Error;

mod bond;
pub use bond::*;

/// Longest interface name the kernel accepts (IFNAMSIZ - 1).
pub const MAX_NIC_NAME_LEN: usize = 15;

/// Why a NIC (or bond) name was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    #[error("the name is empty: enter 1 to 15 characters")]
    Empty,
    #[error("the name is {len} bytes long: at most 15 are allowed")]
    TooLong { len: usize },
    #[error("the character {ch:?} is not allowed: use only letters, digits, '_', '.' and '-'")]
    BadChar { ch: char },
    #[error("\"{0}\" is reserved by the kernel: choose another name")]
    Reserved(String),
    #[error("a NIC named \"{0}\" already exists: choose another name")]
    Taken(String),
    #[error("the new name is the same as the current one: enter a different name")]
    Unchanged,
}

/// Checks a new interface name: 1–15 bytes of ASCII letters, digits, `_`,
/// `.`, `-`; not `.` or `..` (the kernel refuses those as they would clash
/// with sysfs directory entries); not one of `existing`.
///
/// ASCII only, although the kernel accepts more, because udev rules, ifcfg
/// file names and the serial console all handle anything else badly.
pub fn validate_nic_name(name: &str, existing: &[&str]) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some(ch) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(NameError::BadChar { ch });
    }
    if name.len() > MAX_NIC_NAME_LEN {
        return Err(NameError::TooLong { len: name.len() });
    }
    if name == "." || name == ".." {
        return Err(NameError::Reserved(name.to_string()));
    }
    if existing.contains(&name) {
        return Err(NameError::Taken(name.to_string()));
    }
    Ok(())
}

/// Checks a rename of `old` to `new`: the name rules plus "not unchanged".
/// `existing` may contain `old` itself.
pub fn validate_rename(old: &str, new: &str, existing: &[&str]) -> Result<(), NameError> {
    if old == new {
        return Err(NameError::Unchanged);
    }
    validate_nic_name(new, existing)
}

/// Which field of the IP form an error refers to (so the UI can focus it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Ip,
    Netmask,
    Gateway,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Ip => "IP address",
            Field::Netmask => "netmask",
            Field::Gateway => "gateway",
        })
    }
}

/// Why an IP/netmask/gateway triple was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IpConfigError {
    #[error("the {0} is empty: fill in every field")]
    Empty(Field),
    #[error("the {field} \"{value}\" is not a valid IPv4 address: enter four numbers 0-255 separated by dots, e.g. 192.168.1.10")]
    InvalidAddress { field: Field, value: String },
    #[error("the {field} {addr} cannot be used ({why}): enter a unicast address")]
    UnusableAddress {
        field: Field,
        addr: Ipv4Addr,
        why: &'static str,
    },
    #[error("the netmask \"{value}\" is not valid: enter it dotted (255.255.255.0) or as a prefix (/24)")]
    InvalidNetmask { value: String },
    #[error("the netmask {mask} is not contiguous (its one bits must all come first): e.g. 255.255.255.0")]
    NonContiguousNetmask { mask: Ipv4Addr },
    #[error("the netmask 0.0.0.0 (/0) does not describe a subnet: enter a prefix from /1 to /32")]
    ZeroNetmask,
    #[error(
        "the IP address {ip} is the network address of {network}/{prefix}: choose a host address"
    )]
    IpIsNetwork {
        ip: Ipv4Addr,
        network: Ipv4Addr,
        prefix: u8,
    },
    #[error(
        "the IP address {ip} is the broadcast address of {network}/{prefix}: choose a host address"
    )]
    IpIsBroadcast {
        ip: Ipv4Addr,
        network: Ipv4Addr,
        prefix: u8,
    },
    #[error("the gateway {gateway} is not in the subnet {network}/{prefix} of the IP address: check the IP, netmask and gateway")]
    GatewayNotInSubnet {
        gateway: Ipv4Addr,
        network: Ipv4Addr,
        prefix: u8,
    },
    #[error("the gateway {0} is the IP address itself: enter the router's address")]
    GatewayIsIp(Ipv4Addr),
    #[error(
        "the gateway {gateway} is the {what} address of the subnet: enter the router's address"
    )]
    GatewayIsSpecial {
        gateway: Ipv4Addr,
        what: &'static str,
    },
}

impl IpConfigError {
    /// The form field to put the cursor on.
    pub fn field(&self) -> Field {
        match self {
            IpConfigError::Empty(f) => *f,
            IpConfigError::InvalidAddress { field, .. } => *field,
            IpConfigError::UnusableAddress { field, .. } => *field,
            IpConfigError::InvalidNetmask { .. }
            | IpConfigError::NonContiguousNetmask { .. }
            | IpConfigError::ZeroNetmask => Field::Netmask,
            IpConfigError::IpIsNetwork { .. } | IpConfigError::IpIsBroadcast { .. } => Field::Ip,
            IpConfigError::GatewayNotInSubnet { .. }
            | IpConfigError::GatewayIsIp(_)
            | IpConfigError::GatewayIsSpecial { .. } => Field::Gateway,
        }
    }
}

/// A validated static IPv4 configuration of one NIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Config {
    pub ip: Ipv4Addr,
    pub prefix: u8,
    /// The router of this subnet; optional on a NIC that does not carry the
    /// node's default route.
    pub gateway: Option<Ipv4Addr>,
    /// Whether `gateway` becomes the node's default route (moving it from
    /// whichever NIC carries it now). When false the gateway is kept for
    /// this NIC's subnet only and no default route is touched: the operator
    /// chose explicitly, because moving the default route of a node can cut
    /// off routed access to it.
    pub default_route: bool,
}

impl Ipv4Config {
    /// The dotted netmask.
    pub fn netmask(&self) -> Ipv4Addr {
        prefix_to_mask(self.prefix)
    }
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.ip) & u32::from(self.netmask()))
    }
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.ip) | !u32::from(self.netmask()))
    }
}

impl Ipv4Config {
    /// The default route this configuration asks for, if any.
    pub fn default_gateway(&self) -> Option<Ipv4Addr> {
        self.gateway.filter(|_| self.default_route)
    }

    /// The same configuration with the gateway kept off (`false`) or made
    /// (`true`) the node's default route. Without a gateway there is no
    /// default route either way.
    pub fn with_default_route(mut self, default_route: bool) -> Self {
        self.default_route = default_route && self.gateway.is_some();
        self
    }
}

impl fmt::Display for Ipv4Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} ({})", self.ip, self.prefix, self.netmask())?;
        match (self.gateway, self.default_route) {
            (Some(g), true) => write!(f, " default gateway {g}"),
            (Some(g), false) => write!(f, " gateway {g} (this subnet only)"),
            (None, _) => write!(f, " no gateway"),
        }
    }
}

/// `/24` → 255.255.255.0. Prefixes above 32 are clamped to 32.
pub fn prefix_to_mask(prefix: u8) -> Ipv4Addr {
    let p = prefix.min(32) as u32;
    Ipv4Addr::from(if p == 0 { 0 } else { u32::MAX << (32 - p) })
}

/// 255.255.255.0 → 24; `None` when the mask is not contiguous.
pub fn mask_to_prefix(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let ones = m.leading_ones();
    if m.checked_shl(ones).unwrap_or(0) == 0 {
        Some(ones as u8)
    } else {
        None
    }
}

fn parse_addr(field: Field, text: &str) -> Result<Ipv4Addr, IpConfigError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(IpConfigError::Empty(field));
    }
    // std's parser is strict: four decimal octets, no leading zeros (which
    // inet_aton would read as octal), nothing else.
    let addr = Ipv4Addr::from_str(t).map_err(|_| IpConfigError::InvalidAddress {
        field,
        value: t.to_string(),
    })?;
    let why = if addr.is_unspecified() {
        Some("it is the unspecified address")
    } else if addr.is_loopback() {
        Some("it is a loopback address")
    } else if addr.is_multicast() {
        Some("it is a multicast address")
    } else if addr.is_broadcast() {
        Some("it is the limited broadcast address")
    } else if u32::from(addr) >> 28 == 0xF {
        Some("it is in the reserved class E range")
    } else if u32::from(addr) >> 24 == 0 {
        Some("it is in the reserved 0.0.0.0/8 range")
    } else {
        None
    };
    match why {
        Some(why) => Err(IpConfigError::UnusableAddress { field, addr, why }),
        None => Ok(addr),
    }
}

/// Parses a netmask given dotted (`255.255.255.0`) or as a prefix (`/24` or
/// `24`) into a prefix length 1..=32.
pub fn parse_netmask(text: &str) -> Result<u8, IpConfigError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(IpConfigError::Empty(Field::Netmask));
    }
    let invalid = || IpConfigError::InvalidNetmask {
        value: t.to_string(),
    };
    let prefix = if t.contains('.') {
        let mask = Ipv4Addr::from_str(t).map_err(|_| invalid())?;
        mask_to_prefix(mask).ok_or(IpConfigError::NonContiguousNetmask { mask })?
    } else {
        let digits = t.strip_prefix('/').unwrap_or(t);
        if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let p: u8 = digits.parse().map_err(|_| invalid())?;
        if p > 32 {
            return Err(invalid());
        }
        p
    };
    if prefix == 0 {
        return Err(IpConfigError::ZeroNetmask);
    }
    Ok(prefix)
}

/// Validates the Configure Networks form. Checks, in the order the operator
/// reads the form: every field present, each a valid unicast IPv4 address
/// (the mask dotted or as a prefix, contiguous), the IP not the network or
/// broadcast address of its subnet (except /31 and /32, RFC 3021), and the
/// gateway a different host inside the same subnet. The gateway is
/// required and becomes the default route (the form of the NIC that carries
/// the default route); see [`validate_ipv4_form`] for the other NICs.
pub fn validate_ipv4_config(ip: &str, mask: &str, gw: &str) -> Result<Ipv4Config, IpConfigError> {
    validate_ipv4_form(ip, mask, gw, true)
}

/// [`validate_ipv4_config`] for any NIC: `gateway_required` is true for the
/// NIC that carries the node's default route (dropping its gateway would
/// remove the default route). On another NIC an empty gateway is accepted
/// (no gateway, no route); a given one comes back with
/// `default_route: false` and the console asks whether it should become the
/// node's default gateway ([`Ipv4Config::with_default_route`]).
pub fn validate_ipv4_form(
    ip: &str,
    mask: &str,
    gw: &str,
    gateway_required: bool,
) -> Result<Ipv4Config, IpConfigError> {
    // Empty fields first, all of them, so the operator is not walked through
    // one missing field at a time after fixing syntax errors.
    for (field, text) in [
        (Field::Ip, ip),
        (Field::Netmask, mask),
        (Field::Gateway, gw),
    ] {
        if text.trim().is_empty() && (field != Field::Gateway || gateway_required) {
            return Err(IpConfigError::Empty(field));
        }
    }
    let ip = parse_addr(Field::Ip, ip)?;
    let prefix = parse_netmask(mask)?;
    let cfg = Ipv4Config {
        ip,
        prefix,
        gateway: None,
        default_route: false,
    };
    let (network, broadcast) = (cfg.network(), cfg.broadcast());
    if prefix <= 30 {
        if ip == network {
            return Err(IpConfigError::IpIsNetwork {
                ip,
                network,
                prefix,
            });
        }
        if ip == broadcast {
            return Err(IpConfigError::IpIsBroadcast {
                ip,
                network,
                prefix,
            });
        }
    }
    if gw.trim().is_empty() {
        return Ok(cfg);
    }
    let gateway = parse_addr(Field::Gateway, gw)?;
    let cfg = Ipv4Config {
        gateway: Some(gateway),
        default_route: gateway_required,
        ..cfg
    };
    let gw_network = Ipv4Addr::from(u32::from(gateway) & u32::from(cfg.netmask()));
    if gw_network != network {
        return Err(IpConfigError::GatewayNotInSubnet {
            gateway,
            network,
            prefix,
        });
    }
    if gateway == ip {
        return Err(IpConfigError::GatewayIsIp(gateway));
    }
    if prefix <= 30 {
        if gateway == network {
            return Err(IpConfigError::GatewayIsSpecial {
                gateway,
                what: "network",
            });
        }
        if gateway == broadcast {
            return Err(IpConfigError::GatewayIsSpecial {
                gateway,
                what: "broadcast",
            });
        }
    }
    Ok(cfg)
}

/// Fuzz/property oracle for [`validate_ipv4_config`]: panics if an accepted
/// triple breaks a rule or a refusal has no message. Shared by the cargo-fuzz
/// target and the stable property test so both check the same invariants.
#[doc(hidden)]
pub fn fuzz_check_ipv4(ip: &str, mask: &str, gw: &str) {
    match validate_ipv4_config(ip, mask, gw) {
        Ok(c) => {
            assert_eq!(Ok(c.ip), ip.trim().parse::<Ipv4Addr>());
            let g = c.gateway.expect("a required gateway");
            assert!(c.default_route);
            assert_eq!(Ok(g), gw.trim().parse::<Ipv4Addr>());
            assert!((1..=32).contains(&c.prefix));
            let m = u32::from(c.netmask());
            assert_eq!(u32::from(c.ip) & m, u32::from(g) & m);
            assert_ne!(c.ip, g);
            if c.prefix <= 30 {
                assert!(c.ip != c.network() && c.ip != c.broadcast());
                assert!(g != c.network() && g != c.broadcast());
            }
            assert_eq!(parse_netmask(&c.netmask().to_string()), Ok(c.prefix));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Fuzz/property oracle for [`validate_nic_name`].
#[doc(hidden)]
pub fn fuzz_check_nic_name(name: &str, existing: &[&str]) {
    match validate_nic_name(name, existing) {
        Ok(()) => {
            assert!((1..=MAX_NIC_NAME_LEN).contains(&name.len()));
            assert!(name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)));
            assert!(name != "." && name != "..");
            assert!(!existing.contains(&name));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
