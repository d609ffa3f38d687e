//! Network diagnostics at library level (issue #14): pure parsers and
//! validators plus the probes that call the kernel, no UI. The Test Network
//! menu (`features::test_network`) runs them as tasks.
//!
//! - [`mtu`]: path MTU with don't-fragment ICMP echo.
//! - [`arp`]: RFC 5227 duplicate-address probe (also run by Configure
//!   Networks before a new address is applied).
//! - [`ethtool`]: speed, duplex, carrier, driver and the identify LED
//!   through the `SIOCETHTOOL` ioctl.
//! - [`lldp`]: the switch and port at the other end of a NIC's cable.
pub mod arp;
pub mod ethtool;
pub mod lldp;
pub mod mtu;
