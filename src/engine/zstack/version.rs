//! ZStack version strings and the one comparison the console needs: did
//! this control plane still use RabbitMQ (versions before 3.0.1)?

use std::cmp::Ordering;

/// The numeric components of the first dotted number in `s`
/// (`"2.2.0 (ZStack 2.2.0.67)"` → `[2, 2, 0]`); `None` when there is none.
pub fn parse_version(s: &str) -> Option<Vec<u64>> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let tail = &s[start..];
    let end = tail
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(tail.len());
    let parts: Vec<u64> = tail[..end]
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then_some(parts)
}

/// Compares two parsed versions; missing components count as 0, so
/// `3.0` == `3.0.0`.
pub fn compare(a: &[u64], b: &[u64]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        match x.cmp(&y) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

/// Whether `version` is before 3.0.1, where ZStack dropped RabbitMQ.
/// `None` when the version cannot be parsed.
pub fn uses_rabbitmq(version: &str) -> Option<bool> {
    parse_version(version).map(|v| compare(&v, &[3, 0, 1]) == Ordering::Less)
}

/// The highest of several version strings (e.g. `schema_version` rows).
pub fn highest<'a>(versions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    versions
        .into_iter()
        .filter_map(|s| parse_version(s).map(|v| (v, s)))
        .max_by(|a, b| compare(&a.0, &b.0))
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(
            parse_version("2.2.0 (ZStack 2.2.0.67)"),
            Some(vec![2, 2, 0])
        );
        assert_eq!(parse_version("ZStack 3.10.8.1"), Some(vec![3, 10, 8, 1]));
        assert_eq!(parse_version("4"), Some(vec![4]));
        assert_eq!(parse_version("unknown"), None);
    }

    #[test]
    fn rabbitmq_cutoff() {
        assert_eq!(uses_rabbitmq("2.2.0"), Some(true));
        assert_eq!(uses_rabbitmq("3.0.0"), Some(true));
        assert_eq!(uses_rabbitmq("3.0"), Some(true));
        assert_eq!(uses_rabbitmq("3.0.1"), Some(false));
        assert_eq!(uses_rabbitmq("3.0.1.5"), Some(false));
        assert_eq!(uses_rabbitmq("3.10.0"), Some(false));
        assert_eq!(uses_rabbitmq("2.10.99"), Some(true));
        assert_eq!(uses_rabbitmq("x"), None);
    }

    #[test]
    fn highest_is_numeric() {
        assert_eq!(highest(["3.9.0", "3.10.0", "2.6.0"]), Some("3.10.0"));
        assert_eq!(highest(["bad"]), None);
    }
}
