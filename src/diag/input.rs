//! What the operator types into a diagnostic's form, checked before
//! anything is sent: host, port, and a name to look up. Pure (unit-tested,
//! fuzzed by `fuzz/fuzz_targets/diag_input.rs`, property-tested by
//! `tests/diag_validate.rs`); every error names its field.

use std::net::Ipv4Addr;

/// A bad value and the field it came from (the form shows the message
/// under that field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's index in the form.
    pub field: usize,
    pub message: String,
}

impl FieldError {
    fn new(field: usize, message: String) -> FieldError {
        FieldError { field, message }
    }
}

/// Longest DNS name (RFC 1035: 255 octets on the wire, 253 as text).
pub const MAX_NAME: usize = 253;

/// Whether `name` is an RFC 1123 host name (labels of letters, digits and
/// inner hyphens, 1–63 characters each; one trailing dot allowed). An
/// all-numeric dotted string is a mistyped address, not a name.
pub fn is_host_name(name: &str) -> bool {
    let host = name.strip_suffix('.').unwrap_or(name);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let all_numeric = host.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    !host.is_empty() && host.len() <= MAX_NAME && !all_numeric && host.split('.').all(label_ok)
}

/// A host: an IPv4 address or a DNS name (trimmed).
pub fn validate_host(label: &str, text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("{label}: enter an IPv4 address or a host name"));
    }
    if t.parse::<Ipv4Addr>().is_ok() || is_host_name(t) {
        return Ok(t.to_string());
    }
    Err(format!(
        "{label}: \"{}\" is not an IPv4 address or a host name",
        shorten(t)
    ))
}

/// A TCP port, 1 to 65535.
pub fn validate_port(label: &str, text: &str) -> Result<u16, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("{label}: enter a port from 1 to 65535"));
    }
    match t.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(p as u16),
        _ => Err(format!(
            "{label}: \"{}\" is not a port from 1 to 65535",
            shorten(t)
        )),
    }
}

/// The optional extra endpoint of Cloud reachability: both fields empty
/// means none; a host needs a port and a port needs a host.
pub fn extra_endpoint(host: &str, port: &str) -> Result<Option<(String, u16)>, FieldError> {
    if host.trim().is_empty() && port.trim().is_empty() {
        return Ok(None);
    }
    if host.trim().is_empty() {
        return Err(FieldError::new(
            0,
            "Host: enter the host the port belongs to, or clear the port".into(),
        ));
    }
    let h = validate_host("Host", host).map_err(|m| FieldError::new(0, m))?;
    let p = validate_port("Port", port).map_err(|m| FieldError::new(1, m))?;
    Ok(Some((h, p)))
}

/// A name for the DNS lookup: a host name (an address has nothing to
/// resolve). Returned without the trailing dot.
pub fn validate_name(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("Name: enter a host name to look up".into());
    }
    if t.parse::<Ipv4Addr>().is_ok() {
        return Err(format!(
            "Name: {t} is already an address; enter a host name"
        ));
    }
    if !is_host_name(t) {
        return Err(format!(
            "Name: \"{}\" is not a host name (letters, digits, '-', '.')",
            shorten(t)
        ));
    }
    Ok(t.strip_suffix('.').unwrap_or(t).to_string())
}

/// A target address for the route lookup: IPv4 only (the kernel is asked
/// about an address, not a name).
pub fn validate_ipv4(label: &str, text: &str) -> Result<Ipv4Addr, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("{label}: enter an IPv4 address"));
    }
    t.parse::<Ipv4Addr>()
        .map_err(|_| format!("{label}: \"{}\" is not an IPv4 address", shorten(t)))
}

/// The first 40 characters of a bad value, so a pasted page does not
/// fill the window.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(40).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(validate_host("Host", " 10.0.0.1 ").unwrap(), "10.0.0.1");
        assert_eq!(validate_host("Host", "mn.example.").unwrap(), "mn.example.");
        for bad in ["", "1.2.3", "300.1.1.1", "a_b", "-x", "a..b", "x y"] {
            let e = validate_host("Host", bad).unwrap_err();
            assert!(e.starts_with("Host:"), "{bad:?}: {e}");
        }
        assert_eq!(validate_port("Port", "8080").unwrap(), 8080);
        for bad in ["", "0", "65536", "-1", "80a", "99999999999"] {
            let e = validate_port("Port", bad).unwrap_err();
            assert!(e.starts_with("Port:"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_extra_endpoint_names_its_field() {
        assert_eq!(extra_endpoint(" ", "").unwrap(), None);
        assert_eq!(
            extra_endpoint("db1", "3306").unwrap(),
            Some(("db1".into(), 3306))
        );
        assert_eq!(extra_endpoint("", "80").unwrap_err().field, 0);
        assert_eq!(extra_endpoint("db1", "").unwrap_err().field, 1);
        assert_eq!(extra_endpoint("db 1", "80").unwrap_err().field, 0);
        assert_eq!(extra_endpoint("db1", "0").unwrap_err().field, 1);
    }

    #[test]
    fn names() {
        assert_eq!(validate_name("Mn.Example.").unwrap(), "Mn.Example");
        assert!(validate_name("10.0.0.1")
            .unwrap_err()
            .contains("already an address"));
        assert!(validate_name("").unwrap_err().starts_with("Name:"));
        assert!(validate_name(&"a".repeat(64)).is_err());
        assert!(validate_name(&["a"; 128].join(".")).is_err(), "over 253");
        assert!(validate_ipv4("Target", "10.1.1").is_err());
        assert!(validate_host("Host", &"x".repeat(500))
            .unwrap_err()
            .contains("..."));
    }
}
