//! The invariants the diagnostics' fuzz targets check
//! (`fuzz/fuzz_targets/diag_*.rs`), shared with the stable property test
//! `tests/diag_validate.rs` so `make test` checks them too.

use std::net::Ipv4Addr;

use super::{dns, input, resolv};

/// Host, port and name validation: never panics; what is accepted obeys
/// the rules, and every refusal names its field.
pub fn check_input(host: &str, port: &str, name: &str) {
    match input::extra_endpoint(host, port) {
        Ok(None) => assert!(host.trim().is_empty() && port.trim().is_empty()),
        Ok(Some((h, p))) => {
            assert!(p >= 1);
            assert!(
                h.parse::<Ipv4Addr>().is_ok() || input::is_host_name(&h),
                "{h:?}"
            );
            assert_eq!(h, host.trim());
        }
        Err(e) => {
            let label = if e.field == 0 { "Host:" } else { "Port:" };
            assert!(e.field <= 1 && e.message.starts_with(label), "{e:?}");
        }
    }
    match input::validate_name(name) {
        Ok(n) => {
            assert!(input::is_host_name(&n) && !n.ends_with('.'), "{n:?}");
            assert!(dns::encode_query(1, &n, dns::QType::A).is_some(), "{n:?}");
        }
        Err(e) => assert!(e.starts_with("Name:"), "{e}"),
    }
    if let Err(e) = input::validate_ipv4("Target", name) {
        assert!(e.starts_with("Target:"));
    }
}

/// resolv.conf parsing: never panics, always has 1–3 servers and bounded
/// options; the search candidates of a valid name encode.
pub fn check_resolv(text: &str) {
    let c = resolv::parse(text);
    assert!((1..=resolv::MAX_SERVERS).contains(&c.nameservers.len()));
    assert!(c.timeout.as_secs() >= 1 && c.timeout.as_secs() <= 30);
    assert!((1..=5).contains(&c.attempts) && c.ndots <= 15);
    assert!(c.search.iter().all(|d| input::is_host_name(d)));
    for n in resolv::candidates(&c, "mn") {
        assert!(n.len() <= input::MAX_NAME);
    }
}

/// The DNS decoder on any bytes: never panics; what it returns is bounded
/// by the message.
pub fn check_dns(data: &[u8]) {
    for q in [dns::QType::A, dns::QType::Aaaa] {
        if let Ok(r) = dns::decode_response(data, q) {
            assert!(data.len() >= 12);
            assert!(r.addrs.len() * 4 <= data.len());
        }
    }
    if data.len() > 2 {
        let _ = dns::read_name(data, data[0] as usize % data.len());
    }
}
