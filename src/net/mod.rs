//! Network operations of System Configuration (Rename NIC, Test Network,
//! Configure Networks, Bonds, Set Management Network) at library level.
//!
//! - [`validate`]: pure checks of what the operator typed.
//! - [`link`]: run-time changes through rtnetlink, each undone if a later step fails.
//! - [`ping`]: ICMP echo over an unprivileged datagram socket ([`icmp`]: the
//!   socket, echo request and reply parsing it shares with the path MTU check).
//! - [`sntp`]: the clock offset against an NTP server (TIME INFO's clock check).
//! - [`change`]: the computed before → after of a change's reachability, and
//!   whether it is guarded.
//! - [`rollback`]: apply → confirm-or-revert for changes that can cut the operator off.
//! - [`backend`]: persistence (NetworkManager, ifcfg, systemd-networkd) behind one trait.
//! - [`ops`]: the operations as the console runs them (run-time + persisted +
//!   revertible), and the Configure Networks listing/prefill.
//! - [`netns`], [`demo`]: private network namespaces for tests and `--demo`.
pub mod backend;
pub mod change;
pub mod demo;
pub mod icmp;
pub mod link;
pub mod netns;
pub mod ops;
pub mod ping;
pub mod rollback;
pub mod sntp;
pub mod validate;
