//! `DB.url` of zstack.properties: the JDBC URL of the cloud database.
//!
//! ZStack writes it without a database name (`jdbc:mysql://localhost:3306`)
//! and, for a multi-node database, in the Connector/J load-balancing form
//! `jdbc:mysql:loadbalance://h1:3306,h2:3306`. The console tries the hosts
//! in order, so it still finds a live one when the first is down.

/// One database endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbEndpoint {
    pub host: String,
    pub port: u16,
}

/// The parsed URL: endpoints in order, and the database name if present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbUrl {
    pub endpoints: Vec<DbEndpoint>,
    pub database: Option<String>,
}

/// Parses a MySQL JDBC URL (plain, `loadbalance`, `replication` or
/// `failover` forms). Port defaults to 3306.
pub fn parse_db_url(url: &str) -> Result<DbUrl, String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("jdbc:mysql:")
        .or_else(|| url.strip_prefix("jdbc:mariadb:"))
        .ok_or_else(|| format!("DB.url {url:?} is not a jdbc:mysql: URL"))?;
    let rest = ["loadbalance:", "replication:", "failover:", "sequential:"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
        .unwrap_or(rest);
    let rest = rest
        .strip_prefix("//")
        .ok_or_else(|| format!("DB.url {url:?} has no //host part"))?;
    let rest = rest.split('?').next().unwrap_or("");
    let (hosts, db) = match rest.find('/') {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut endpoints = Vec::new();
    for h in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        endpoints.push(parse_host_port(h).map_err(|e| format!("DB.url {url:?}: {e}"))?);
    }
    if endpoints.is_empty() {
        return Err(format!("DB.url {url:?} names no host"));
    }
    Ok(DbUrl {
        endpoints,
        database: db.filter(|d| !d.is_empty()).map(str::to_owned),
    })
}

fn parse_host_port(s: &str) -> Result<DbEndpoint, String> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let end = v6
            .find(']')
            .ok_or_else(|| format!("unclosed [ in host {s:?}"))?;
        let port = v6[end + 1..].strip_prefix(':');
        (&v6[..end], port)
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty() {
        return Err(format!("empty host in {s:?}"));
    }
    let port = match port {
        None => 3306,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("bad port {p:?} in {s:?}"))?,
    };
    Ok(DbEndpoint {
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(h: &str, p: u16) -> DbEndpoint {
        DbEndpoint {
            host: h.into(),
            port: p,
        }
    }

    #[test]
    fn plain() {
        let u = parse_db_url("jdbc:mysql://localhost:3306").unwrap();
        assert_eq!(u.endpoints, vec![ep("localhost", 3306)]);
        assert_eq!(u.database, None);
    }

    #[test]
    fn default_port_and_db_and_params() {
        let u = parse_db_url("jdbc:mysql://10.0.0.5/zstack?useSSL=false").unwrap();
        assert_eq!(u.endpoints, vec![ep("10.0.0.5", 3306)]);
        assert_eq!(u.database.as_deref(), Some("zstack"));
    }

    #[test]
    fn loadbalance() {
        let u = parse_db_url("jdbc:mysql:loadbalance://h1:3306,h2:3307").unwrap();
        assert_eq!(u.endpoints, vec![ep("h1", 3306), ep("h2", 3307)]);
    }

    #[test]
    fn ipv6() {
        let u = parse_db_url("jdbc:mysql://[::1]:3306").unwrap();
        assert_eq!(u.endpoints, vec![ep("::1", 3306)]);
    }

    #[test]
    fn errors() {
        assert!(parse_db_url("postgres://x").is_err());
        assert!(parse_db_url("jdbc:mysql://").is_err());
        assert!(parse_db_url("jdbc:mysql://h:99999").is_err());
        assert!(parse_db_url("jdbc:mysql:h:1").is_err());
    }
}
