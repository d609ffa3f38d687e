//! Unit tests of the pure validators behind the Rename NIC, Configure
//! Networks and Bond forms, plus a stable-toolchain property run of the same
//! invariants the cargo-fuzz targets check (fuzz/fuzz_targets/*).

use nodeconsole::net::validate::*;
use nodeconsole::probe::{Nic, NicKind};
use std::net::Ipv4Addr;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

#[test]
fn nic_names_accepted() {
    for n in [
        "eth0",
        "a",
        "bond0",
        "mgmt_net",
        "eth0.100",
        "br-ex",
        "ABCDEFGHIJKLMNO",
        "..a",
        "-x",
    ] {
        assert_eq!(validate_nic_name(n, &["eth1"]), Ok(()), "{n}");
    }
}

#[test]
fn nic_names_refused_with_reason() {
    assert_eq!(validate_nic_name("", &[]), Err(NameError::Empty));
    assert_eq!(
        validate_nic_name("abcdefghijklmnop", &[]),
        Err(NameError::TooLong { len: 16 })
    );
    assert_eq!(
        validate_nic_name("eth 0", &[]),
        Err(NameError::BadChar { ch: ' ' })
    );
    assert_eq!(
        validate_nic_name("eth/0", &[]),
        Err(NameError::BadChar { ch: '/' })
    );
    assert_eq!(
        validate_nic_name("eth:0", &[]),
        Err(NameError::BadChar { ch: ':' })
    );
    assert_eq!(
        validate_nic_name("ethé", &[]),
        Err(NameError::BadChar { ch: 'é' })
    );
    assert_eq!(
        validate_nic_name(".", &[]),
        Err(NameError::Reserved(".".into()))
    );
    assert_eq!(
        validate_nic_name("..", &[]),
        Err(NameError::Reserved("..".into()))
    );
    assert_eq!(
        validate_nic_name("eth1", &["eth0", "eth1"]),
        Err(NameError::Taken("eth1".into()))
    );
    assert_eq!(
        validate_rename("eth0", "eth0", &["eth0"]),
        Err(NameError::Unchanged)
    );
    assert_eq!(validate_rename("eth0", "mgmt0", &["eth0"]), Ok(()));
    // Reasons are operator-readable.
    let msg = NameError::Taken("eth1".into()).to_string();
    assert!(
        msg.contains("eth1") && msg.contains("already exists"),
        "{msg}"
    );
    assert!(NameError::TooLong { len: 16 }.to_string().contains("15"));
}

#[test]
fn ipv4_config_accepted() {
    let c = validate_ipv4_config("192.168.1.10", "255.255.255.0", "192.168.1.1").unwrap();
    assert_eq!(c.ip, ip("192.168.1.10"));
    assert_eq!(c.prefix, 24);
    assert_eq!(c.gateway, Some(ip("192.168.1.1")));
    assert_eq!(c.netmask(), ip("255.255.255.0"));
    assert_eq!(c.network(), ip("192.168.1.0"));
    assert_eq!(c.broadcast(), ip("192.168.1.255"));
    // Prefix forms and surrounding blanks.
    assert_eq!(
        validate_ipv4_config(" 10.0.0.5 ", "/8", "10.255.0.1")
            .unwrap()
            .prefix,
        8
    );
    assert_eq!(
        validate_ipv4_config("10.0.0.5", "16", "10.0.255.254")
            .unwrap()
            .prefix,
        16
    );
    // /31 point-to-point: both addresses are hosts (RFC 3021).
    assert!(validate_ipv4_config("10.0.0.0", "/31", "10.0.0.1").is_ok());
    assert!(validate_ipv4_config("10.0.0.1", "255.255.255.254", "10.0.0.0").is_ok());
}

#[test]
fn ipv4_config_refused_with_reason() {
    use IpConfigError::*;
    assert_eq!(
        validate_ipv4_config("", "24", "1.1.1.1"),
        Err(Empty(Field::Ip))
    );
    assert_eq!(
        validate_ipv4_config("1.1.1.2", " ", "1.1.1.1"),
        Err(Empty(Field::Netmask))
    );
    assert_eq!(
        validate_ipv4_config("1.1.1.2", "24", ""),
        Err(Empty(Field::Gateway))
    );
    // Empty beats invalid.
    assert_eq!(
        validate_ipv4_config("x", "24", ""),
        Err(Empty(Field::Gateway))
    );
    for bad in [
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "01.2.3.4",
        "a.b.c.d",
        "1.2.3.4/24",
        "::1",
    ] {
        assert!(
            matches!(
                validate_ipv4_config(bad, "24", "1.2.3.1"),
                Err(InvalidAddress {
                    field: Field::Ip,
                    ..
                })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        validate_ipv4_config("10.0.0.2", "24", "10.0.0.x"),
        Err(InvalidAddress {
            field: Field::Gateway,
            ..
        })
    ));
    for bad in [
        "0.0.0.0",
        "127.0.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "0.1.2.3",
    ] {
        assert!(
            matches!(
                validate_ipv4_config(bad, "24", "1.2.3.1"),
                Err(UnusableAddress {
                    field: Field::Ip,
                    ..
                })
            ),
            "{bad}"
        );
    }
    for bad in [
        "255.255.255",
        "33",
        "/33",
        "/",
        "2a",
        "255.255.255.0/24",
        "-1",
        "024x",
    ] {
        assert!(
            matches!(
                validate_ipv4_config("10.0.0.2", bad, "10.0.0.1"),
                Err(InvalidNetmask { .. })
            ),
            "{bad}"
        );
    }
    assert_eq!(
        validate_ipv4_config("10.0.0.2", "255.0.255.0", "10.0.0.1"),
        Err(NonContiguousNetmask {
            mask: ip("255.0.255.0")
        })
    );
    assert_eq!(
        validate_ipv4_config("10.0.0.2", "0.0.0.0", "10.0.0.1"),
        Err(ZeroNetmask)
    );
    assert_eq!(
        validate_ipv4_config("10.0.0.2", "/0", "10.0.0.1"),
        Err(ZeroNetmask)
    );
    assert_eq!(
        validate_ipv4_config("10.0.0.0", "24", "10.0.0.1"),
        Err(IpIsNetwork {
            ip: ip("10.0.0.0"),
            network: ip("10.0.0.0"),
            prefix: 24
        })
    );
    assert_eq!(
        validate_ipv4_config("10.0.0.255", "24", "10.0.0.1"),
        Err(IpIsBroadcast {
            ip: ip("10.0.0.255"),
            network: ip("10.0.0.0"),
            prefix: 24
        })
    );
    assert_eq!(
        validate_ipv4_config("10.0.0.2", "24", "10.0.1.1"),
        Err(GatewayNotInSubnet {
            gateway: ip("10.0.1.1"),
            network: ip("10.0.0.0"),
            prefix: 24
        })
    );
    // /32: no gateway can be on-subnet.
    assert!(matches!(
        validate_ipv4_config("10.0.0.2", "32", "10.0.0.1"),
        Err(GatewayNotInSubnet { .. })
    ));
    assert_eq!(
        validate_ipv4_config("10.0.0.2", "24", "10.0.0.2"),
        Err(GatewayIsIp(ip("10.0.0.2")))
    );
    assert_eq!(
        validate_ipv4_config("10.0.0.2", "24", "10.0.0.255"),
        Err(GatewayIsSpecial {
            gateway: ip("10.0.0.255"),
            what: "broadcast"
        })
    );
    assert_eq!(
        validate_ipv4_config("10.0.0.2", "24", "10.0.0.0"),
        Err(GatewayIsSpecial {
            gateway: ip("10.0.0.0"),
            what: "network"
        })
    );
    // Field focus and readable messages.
    let e = validate_ipv4_config("10.0.0.2", "24", "10.0.1.1").unwrap_err();
    assert_eq!(e.field(), Field::Gateway);
    assert!(
        e.to_string().contains("not in the subnet 10.0.0.0/24"),
        "{e}"
    );
    let e = validate_ipv4_config("10.0.0.2", "255.0.255.0", "10.0.0.1").unwrap_err();
    assert_eq!(e.field(), Field::Netmask);
    assert!(e.to_string().contains("not contiguous"), "{e}");
}

#[test]
fn mask_prefix_round_trip() {
    for p in 0..=32u8 {
        assert_eq!(mask_to_prefix(prefix_to_mask(p)), Some(p));
    }
    assert_eq!(mask_to_prefix(ip("255.255.0.255")), None);
    assert_eq!(mask_to_prefix(ip("0.0.0.1")), None);
    assert_eq!(parse_netmask("255.255.255.128"), Ok(25));
}

fn nic(name: &str, kind: NicKind, master: Option<&str>) -> Nic {
    Nic {
        index: 1,
        name: name.into(),
        kind,
        up: true,
        operstate: "up".into(),
        mac: None,
        mtu: 1500,
        ipv4: vec![],
        ipv6: vec![],
        master: master.map(String::from),
        speed_mbps: None,
        driver: None,
        is_mn: false,
        default_route: false,
        gateway: None,
    }
}

fn nics() -> Vec<Nic> {
    vec![
        nic("eth0", NicKind::Physical, None),
        nic("eth1", NicKind::Physical, None),
        nic("eth2", NicKind::Physical, Some("bond0")),
        nic("eth3", NicKind::Physical, Some("br0")),
        nic("bond0", NicKind::Bond, None),
        nic("br0", NicKind::Bridge, None),
        nic("veth9", NicKind::Veth, None),
    ]
}

#[test]
fn bond_modes_parse() {
    for (i, m) in BondMode::ALL.iter().enumerate() {
        assert_eq!(m.number() as usize, i);
        assert_eq!(m.as_str().parse::<BondMode>(), Ok(*m));
        assert_eq!(i.to_string().parse::<BondMode>(), Ok(*m));
    }
    assert_eq!("802.3ad".parse::<BondMode>(), Ok(BondMode::Ieee8023ad));
    assert_eq!(
        "Active-Backup".parse::<BondMode>(),
        Ok(BondMode::ActiveBackup)
    );
    assert!(matches!(
        "lacp".parse::<BondMode>(),
        Err(BondError::BadMode(_))
    ));
    assert!(matches!(
        "7".parse::<BondMode>(),
        Err(BondError::BadMode(_))
    ));
}

#[test]
fn bond_create_and_edit() {
    let n = nics();
    let ok = validate_bond(
        &BondInput {
            name: "bond1",
            mode: "active-backup",
            miimon: "",
            slaves: vec!["eth0", "eth1"],
        },
        &n,
        None,
    )
    .unwrap();
    assert_eq!(ok.miimon_ms, DEFAULT_MIIMON_MS);
    assert_eq!(ok.mode, BondMode::ActiveBackup);
    assert_eq!(ok.slaves, vec!["eth0", "eth1"]);
    // Editing bond0 keeps its name and its own slave eth2.
    let ed = validate_bond(
        &BondInput {
            name: "bond0",
            mode: "4",
            miimon: "200",
            slaves: vec!["eth2", "eth0"],
        },
        &n,
        Some("bond0"),
    )
    .unwrap();
    assert_eq!(ed.mode, BondMode::Ieee8023ad);
    assert_eq!(ed.miimon_ms, 200);
    let cands: Vec<&str> = slave_candidates(&n, None)
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(cands, vec!["eth0", "eth1"]);
    let cands: Vec<&str> = slave_candidates(&n, Some("bond0"))
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(cands, vec!["eth0", "eth1", "eth2"]);
}

#[test]
fn bond_refusals() {
    let n = nics();
    let v = |name, mode, miimon, slaves: Vec<&'static str>| {
        validate_bond(
            &BondInput {
                name,
                mode,
                miimon,
                slaves,
            },
            &n,
            None,
        )
        .unwrap_err()
    };
    assert_eq!(
        v("bond0", "1", "", vec!["eth0"]),
        BondError::Name(NameError::Taken("bond0".into()))
    );
    assert_eq!(
        v("", "1", "", vec!["eth0"]),
        BondError::Name(NameError::Empty)
    );
    assert!(matches!(
        v("bond1", "fast", "", vec!["eth0"]),
        BondError::BadMode(_)
    ));
    assert!(matches!(
        v("bond1", "1", "abc", vec!["eth0"]),
        BondError::BadMiimon(_)
    ));
    assert!(matches!(
        v("bond1", "1", "-5", vec!["eth0"]),
        BondError::BadMiimon(_)
    ));
    assert_eq!(
        v("bond1", "1", "0", vec!["eth0"]),
        BondError::MiimonOutOfRange(0)
    );
    assert_eq!(
        v("bond1", "1", "60001", vec!["eth0"]),
        BondError::MiimonOutOfRange(60001)
    );
    assert_eq!(v("bond1", "1", "", vec![]), BondError::NoSlaves);
    assert_eq!(
        v("bond1", "1", "", vec!["eth0", "eth0"]),
        BondError::DuplicateSlave("eth0".into())
    );
    assert_eq!(
        v("bond1", "1", "", vec!["eth7"]),
        BondError::UnknownSlave("eth7".into())
    );
    assert_eq!(
        v("bond1", "1", "", vec!["veth9"]),
        BondError::NotPhysical {
            name: "veth9".into(),
            kind: "veth".into()
        }
    );
    assert_eq!(
        v("bond1", "1", "", vec!["eth2"]),
        BondError::AlreadyEnslaved {
            name: "eth2".into(),
            master: "bond0".into()
        }
    );
    assert_eq!(
        v("bond1", "1", "", vec!["eth3"]),
        BondError::AlreadyEnslaved {
            name: "eth3".into(),
            master: "br0".into()
        }
    );
    assert!(v("bond1", "1", "", vec!["eth2"])
        .to_string()
        .contains("release it there first"));
}

/// The same invariants as `fuzz/fuzz_targets/ipv4_config.rs` and
/// `nic_name.rs`, over pseudo-random inputs, so that they run on the stable
/// toolchain in `make test` too.
#[test]
fn property_validators_never_panic_and_accept_only_valid() {
    let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15);
    let alphabet: &[u8] = b"0123456789./ abcxyzABC_-:\xc3\xa9255";
    for _ in 0..50_000 {
        let mut field = || {
            let len = rng.next() as usize % 20;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    // Mostly plausible address characters, sometimes anything.
                    if rng.next() % 8 == 0 {
                        (rng.next() % 256) as u8
                    } else {
                        alphabet[rng.next() as usize % alphabet.len()]
                    }
                })
                .collect();
            String::from_utf8_lossy(&bytes).into_owned()
        };
        let (a, m, g) = (field(), field(), field());
        nodeconsole::net::validate::fuzz_check_ipv4(&a, &m, &g);
        nodeconsole::net::validate::fuzz_check_nic_name(&a, &[&m, "eth0"]);
    }
    // Also plausible-looking triples built from random numbers.
    for _ in 0..50_000 {
        let a = Ipv4Addr::from(rng.next() as u32);
        let g = Ipv4Addr::from((u32::from(a) & 0xFFFF_FF00) | (rng.next() as u32 & 0xFF));
        let p = rng.next() % 34;
        nodeconsole::net::validate::fuzz_check_ipv4(
            &a.to_string(),
            &format!("/{p}"),
            &g.to_string(),
        );
    }
}

struct Xorshift(u64);
impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
