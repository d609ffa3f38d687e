//! Validation of the bond form (name, mode, miimon, slaves).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::{validate_nic_name, NameError};
use crate::probe::{Nic, NicKind};

/// The seven Linux bonding modes, in kernel numbering order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BondMode {
    BalanceRr,
    ActiveBackup,
    BalanceXor,
    Broadcast,
    Ieee8023ad,
    BalanceTlb,
    BalanceAlb,
}

impl BondMode {
    pub const ALL: [BondMode; 7] = [
        BondMode::BalanceRr,
        BondMode::ActiveBackup,
        BondMode::BalanceXor,
        BondMode::Broadcast,
        BondMode::Ieee8023ad,
        BondMode::BalanceTlb,
        BondMode::BalanceAlb,
    ];

    /// The kernel's name (`mode=` in BONDING_OPTS, networkd's `Mode=`).
    pub fn as_str(self) -> &'static str {
        match self {
            BondMode::BalanceRr => "balance-rr",
            BondMode::ActiveBackup => "active-backup",
            BondMode::BalanceXor => "balance-xor",
            BondMode::Broadcast => "broadcast",
            BondMode::Ieee8023ad => "802.3ad",
            BondMode::BalanceTlb => "balance-tlb",
            BondMode::BalanceAlb => "balance-alb",
        }
    }

    /// The kernel's number (0–6).
    pub fn number(self) -> u8 {
        BondMode::ALL.iter().position(|m| *m == self).unwrap_or(0) as u8
    }
}

impl fmt::Display for BondMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BondMode {
    type Err = BondError;
    /// Accepts the kernel name or number (`active-backup` or `1`).
    fn from_str(s: &str) -> Result<Self, BondError> {
        let t = s.trim();
        BondMode::ALL
            .iter()
            .copied()
            .find(|m| m.as_str().eq_ignore_ascii_case(t) || m.number().to_string() == t)
            .ok_or_else(|| BondError::BadMode(t.to_string()))
    }
}

/// Default MII link monitoring interval (ms), as the installer uses.
pub const DEFAULT_MIIMON_MS: u32 = 100;
/// Largest accepted miimon: more than a minute to notice a dead link is
/// certainly a typo.
pub const MAX_MIIMON_MS: u32 = 60_000;

/// A validated bond definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BondConfig {
    pub name: String,
    pub mode: BondMode,
    pub slaves: Vec<String>,
    pub miimon_ms: u32,
}

/// Why a bond definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BondError {
    #[error("bond name: {0}")]
    Name(NameError),
    #[error("\"{0}\" is not a bonding mode: choose balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb or balance-alb")]
    BadMode(String),
    #[error("miimon \"{0}\" is not a number of milliseconds: enter e.g. 100")]
    BadMiimon(String),
    #[error("miimon {0} is out of range: enter 1 to 60000 ms (0 would disable link monitoring, so a dead slave would never be noticed)")]
    MiimonOutOfRange(u64),
    #[error("no slave NIC is chosen: choose at least one physical NIC")]
    NoSlaves,
    #[error("the NIC \"{0}\" is chosen twice: choose each slave once")]
    DuplicateSlave(String),
    #[error("there is no NIC named \"{0}\": choose among the listed NICs")]
    UnknownSlave(String),
    #[error("the NIC \"{name}\" is a {kind} NIC: only physical NICs can be bond slaves")]
    NotPhysical { name: String, kind: String },
    #[error("the NIC \"{name}\" is already a slave of \"{master}\": release it there first")]
    AlreadyEnslaved { name: String, master: String },
}

/// The text fields of the bond form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BondInput<'a> {
    pub name: &'a str,
    pub mode: &'a str,
    pub miimon: &'a str,
    pub slaves: Vec<&'a str>,
}

/// Validates a bond to create (`editing == None`) or the bond named
/// `editing` (whose name then may stay and whose current slaves stay
/// eligible). `nics` is the current NIC listing. Empty miimon means
/// [`DEFAULT_MIIMON_MS`].
pub fn validate_bond(
    input: &BondInput<'_>,
    nics: &[Nic],
    editing: Option<&str>,
) -> Result<BondConfig, BondError> {
    let name = input.name.trim();
    let existing: Vec<&str> = nics
        .iter()
        .map(|n| n.name.as_str())
        .filter(|n| Some(*n) != editing)
        .collect();
    validate_nic_name(name, &existing).map_err(BondError::Name)?;
    let mode: BondMode = input.mode.parse()?;
    let miimon_ms = {
        let t = input.miimon.trim();
        if t.is_empty() {
            DEFAULT_MIIMON_MS
        } else {
            if t.len() > 12 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BondError::BadMiimon(t.to_string()));
            }
            let v: u64 = t.parse().map_err(|_| BondError::BadMiimon(t.to_string()))?;
            if v == 0 || v > MAX_MIIMON_MS as u64 {
                return Err(BondError::MiimonOutOfRange(v));
            }
            v as u32
        }
    };
    if input.slaves.is_empty() {
        return Err(BondError::NoSlaves);
    }
    let mut slaves: Vec<String> = Vec::with_capacity(input.slaves.len());
    for s in &input.slaves {
        let s = s.trim();
        if slaves.iter().any(|x| x == s) {
            return Err(BondError::DuplicateSlave(s.to_string()));
        }
        let nic = nics
            .iter()
            .find(|n| n.name == s)
            .ok_or_else(|| BondError::UnknownSlave(s.to_string()))?;
        if nic.kind != NicKind::Physical {
            return Err(BondError::NotPhysical {
                name: s.to_string(),
                kind: nic.kind.label().to_string(),
            });
        }
        if let Some(master) = &nic.master {
            if Some(master.as_str()) != editing {
                return Err(BondError::AlreadyEnslaved {
                    name: s.to_string(),
                    master: master.clone(),
                });
            }
        }
        slaves.push(s.to_string());
    }
    Ok(BondConfig {
        name: name.to_string(),
        mode,
        slaves,
        miimon_ms,
    })
}

/// Physical NICs that may be offered as slaves of a new bond (or of the bond
/// `editing`): not enslaved elsewhere.
pub fn slave_candidates<'n>(nics: &'n [Nic], editing: Option<&str>) -> Vec<&'n Nic> {
    nics.iter()
        .filter(|n| n.kind == NicKind::Physical)
        .filter(|n| n.master.is_none() || n.master.as_deref() == editing)
        .collect()
}
