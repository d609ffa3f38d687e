//! Pure input checks for the forms that call this engine: the vendor's
//! password rule and the Configure Console Proxy form. Pure so that the UI
//! can check a field before anything is run, and so they are unit tested.

use std::net::Ipv4Addr;

use crate::engine::ConsoleProxy;
use crate::secret::Secret;

/// The vendor's rule for MySQL and RabbitMQ passwords: at least 8
/// characters with a letter, a digit and a special character.
pub fn check_password_rule(p: &Secret) -> Result<(), String> {
    let s = p.expose();
    let mut missing = Vec::new();
    if s.chars().count() < 8 {
        missing.push("at least 8 characters");
    }
    if !s.chars().any(|c| c.is_alphabetic()) {
        missing.push("a letter");
    }
    if !s.chars().any(|c| c.is_ascii_digit()) {
        missing.push("a digit");
    }
    if !s
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control())
    {
        missing.push("a special character such as ! @ # % _");
    }
    if s.chars().any(|c| c.is_control()) {
        return Err("The password must not contain control characters.".into());
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("The password needs {}.", missing.join(", ")))
    }
}

/// Validates the Configure Console Proxy form. An empty field leaves that
/// part unchanged; both empty is an error, as is an IP that is not a valid
/// IPv4 address or a port outside 1024–65535.
pub fn validate_console_proxy(ip: &str, port: &str) -> Result<ConsoleProxy, String> {
    let (ip, port) = (ip.trim(), port.trim());
    if ip.is_empty() && port.is_empty() {
        return Err("Enter the console proxy IP, the port, or both.".into());
    }
    let ip = if ip.is_empty() {
        None
    } else {
        let a: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("{ip:?} is not a valid IPv4 address (e.g. 192.168.1.10)."))?;
        if a.is_unspecified() || a.is_broadcast() || a.is_multicast() {
            return Err(format!("{a} cannot be a console proxy address."));
        }
        // The address goes into the VNC/SPICE links that operators'
        // browsers open: a loopback address would point each browser at
        // its own machine.
        if a.is_loopback() {
            return Err(format!(
                "{a} is a loopback address, which other machines cannot reach; \
                 enter an address browsers reach this node on."
            ));
        }
        Some(a)
    };
    let port = if port.is_empty() {
        None
    } else {
        match port.parse::<u32>() {
            Ok(p) if (1024..=65535).contains(&p) => Some(p as u16),
            _ => {
                return Err(format!(
                    "Port {port:?} must be a number from 1024 to 65535."
                ))
            }
        }
    };
    Ok(ConsoleProxy { ip, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule() {
        assert!(check_password_rule(&Secret::from("Passw0rd!")).is_ok());
        assert!(check_password_rule(&Secret::from("zstack.pass1")).is_ok());
        let e = check_password_rule(&Secret::from("short1!")).unwrap_err();
        assert!(e.contains("8 characters"), "{e}");
        let e = check_password_rule(&Secret::from("longpassword")).unwrap_err();
        assert!(e.contains("a digit") && e.contains("special"), "{e}");
        let e = check_password_rule(&Secret::from("12345678!")).unwrap_err();
        assert!(e.contains("a letter"), "{e}");
        assert!(check_password_rule(&Secret::from("abc\n1234!x")).is_err());
    }

    #[test]
    fn console_proxy() {
        assert!(validate_console_proxy("", " ").is_err());
        assert_eq!(
            validate_console_proxy("10.0.0.1", "4900").unwrap(),
            ConsoleProxy {
                ip: Some("10.0.0.1".parse().unwrap()),
                port: Some(4900)
            }
        );
        assert_eq!(
            validate_console_proxy("", "65535").unwrap(),
            ConsoleProxy {
                ip: None,
                port: Some(65535)
            }
        );
        assert_eq!(validate_console_proxy("10.0.0.1", "").unwrap().port, None);
        for (ip, port) in [
            ("10.0.0.256", "4900"),
            ("abc", "4900"),
            ("10.0.0.1", "1023"),
            ("10.0.0.1", "65536"),
            ("10.0.0.1", "49a"),
            ("10.0.0.1", "-1"),
            ("0.0.0.0", "4900"),
            ("127.0.0.1", "4900"),
            ("127.10.0.1", ""),
            ("224.0.0.1", "4900"),
            ("255.255.255.255", "4900"),
        ] {
            assert!(validate_console_proxy(ip, port).is_err(), "{ip} {port}");
        }
        let e = validate_console_proxy("127.0.0.1", "4900").unwrap_err();
        assert!(e.contains("loopback"), "{e}");
    }
}
