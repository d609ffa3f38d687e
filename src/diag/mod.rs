//! Network diagnostics of Test Network (issue #14): the pure libraries the
//! diagnostics call, with no UI in them.
//!
//! Why a module of its own: `net` changes the node (links, addresses,
//! persistence); these only look. Each file is one question an operator
//! at a dead node asks — is the service port open (`tcp`), does the name
//! resolve (`dns`, `resolv`), which way does traffic go (`route`), and
//! (diag-b) the path MTU, an address clash, the NIC and its switch port.
//! (diag-b's: `mtu` don't-fragment ICMP; `arp` the RFC 5227 probe that
//! Configure Networks also runs; `ethtool` the SIOCETHTOOL ioctl for speed,
//! duplex, carrier, driver and the identify LED; `lldp` the switch port.)
//! Every call has a deadline and a cancel flag; the parsers and decoders
//! are pure, unit-tested and fuzzed.

pub mod arp;
pub mod dns;
pub mod ethtool;
#[doc(hidden)]
pub mod fuzz;
pub mod input;
pub mod lldp;
pub mod lookup;
pub mod mtu;
pub mod resolv;
pub mod route;
pub mod tcp;
