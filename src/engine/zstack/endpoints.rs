//! The ZStack control plane's service ports, for Test Network → Cloud
//! reachability: the management server's REST API (`RESTFacade.port`,
//! 8080), the web UI (the UI port file, 5000), MariaDB (every host of
//! `DB.url`, 3306), the console proxy (`consoleProxyOverriddenIp` or the
//! management IP, `consoleProxyPort`, 4900) and, only on a control plane
//! before 3.0.1 that still uses it, RabbitMQ (`CloudBus.serverIp.N`, 5672).
//! Built from zstack.properties alone (pure, [`from_properties`]), so a
//! dead server or database never delays the list.

use std::net::Ipv4Addr;

use super::console_proxy::effective_proxy_ip;
use super::dburl::parse_db_url;
use super::properties::Properties;
use super::{ZstackEngine, DEFAULT_CONSOLE_PROXY_PORT};
use crate::engine::ServiceEndpoint;

/// RabbitMQ's AMQP port.
pub const RABBITMQ_PORT: u16 = 5672;

/// The endpoints named by `p`. `management_ip` stands in when
/// `management.server.ip` is unset (then loopback: the console runs on the
/// management node); `ui_port` comes from the UI port file; `rabbitmq` is
/// whether this control plane still uses RabbitMQ.
pub fn from_properties(
    p: &Properties,
    management_ip: Option<Ipv4Addr>,
    ui_port: u16,
    rabbitmq: bool,
) -> Vec<ServiceEndpoint> {
    let mn = p
        .get_nonempty("management.server.ip")
        .map(str::to_string)
        .or(management_ip.map(|a| a.to_string()))
        .unwrap_or_else(|| Ipv4Addr::LOCALHOST.to_string());
    let rest_port = p
        .get_nonempty("RESTFacade.port")
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(8080);
    let mut v = vec![
        ServiceEndpoint::new(
            "MN REST API",
            &mn,
            rest_port,
            "is the management server running? (zstack-ctl status)",
        ),
        ServiceEndpoint::new(
            "web UI",
            &mn,
            ui_port,
            "is the UI running? (zstack-ctl ui_status)",
        ),
    ];
    match p.get_nonempty("DB.url").map(parse_db_url) {
        Some(Ok(url)) => v.extend(url.endpoints.iter().map(|e| {
            ServiceEndpoint::new(
                "MariaDB",
                &e.host,
                e.port,
                "is MariaDB running and bound to this address? (systemctl status mariadb)",
            )
        })),
        _ => v.push(ServiceEndpoint::new(
            "MariaDB",
            &mn,
            3306,
            "is MariaDB running? (DB.url unreadable: its default is tried)",
        )),
    }
    let proxy = effective_proxy_ip(p.get("consoleProxyOverriddenIp"), Some(&mn))
        .map(|a| a.to_string())
        .unwrap_or_else(|| mn.clone());
    let proxy_port = p
        .get_nonempty("consoleProxyPort")
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(DEFAULT_CONSOLE_PROXY_PORT);
    v.push(ServiceEndpoint::new(
        "console proxy",
        &proxy,
        proxy_port,
        "VM consoles will not open: is the console proxy up? (Configure Console Proxy)",
    ));
    if rabbitmq {
        let mut hosts: Vec<&str> = (0..16)
            .filter_map(|i| p.get_nonempty(&format!("CloudBus.serverIp.{i}")))
            .collect();
        if hosts.is_empty() {
            hosts.push(&mn);
        }
        for h in hosts {
            let (host, port) = match h.rsplit_once(':') {
                Some((h, port)) => (h, port.parse().unwrap_or(RABBITMQ_PORT)),
                None => (h, RABBITMQ_PORT),
            };
            v.push(ServiceEndpoint::new(
                "RabbitMQ",
                host,
                port,
                "is rabbitmq-server running? (rabbitmqctl status)",
            ));
        }
    }
    v
}

impl ZstackEngine {
    /// The endpoints of this node's zstack.properties; when the file is
    /// unreadable, the defaults on the management address.
    pub(super) fn endpoints(&self, management_ip: Option<Ipv4Addr>) -> Vec<ServiceEndpoint> {
        let props = self.props().unwrap_or_else(|_| Properties::parse(""));
        // Only the quick version sources (cache, VERSION file): listing
        // the endpoints must not wait on a server.
        let rabbitmq = self.uses_rabbitmq(true).unwrap_or(false);
        from_properties(&props, management_ip, self.ui_port(), rabbitmq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(v: &[ServiceEndpoint]) -> Vec<(String, String, u16)> {
        v.iter()
            .map(|e| (e.name.clone(), e.host.clone(), e.port))
            .collect()
    }

    #[test]
    fn a_current_zstack_has_no_rabbitmq() {
        let p = Properties::parse(
            "management.server.ip = 10.0.0.5\nDB.url = jdbc:mysql://10.0.0.6:3306\n",
        );
        let v = from_properties(&p, None, 5000, false);
        assert_eq!(
            ports(&v),
            [
                ("MN REST API".into(), "10.0.0.5".into(), 8080),
                ("web UI".into(), "10.0.0.5".into(), 5000),
                ("MariaDB".into(), "10.0.0.6".into(), 3306),
                ("console proxy".into(), "10.0.0.5".into(), 4900),
            ]
        );
        assert!(v[0].hint.contains("management server"));
    }

    #[test]
    fn overrides_a_db_cluster_and_legacy_rabbitmq() {
        let p = Properties::parse(
            "RESTFacade.port = 8989\n\
             DB.url = jdbc:mysql:loadbalance://db1:3306,db2:3307\n\
             consoleProxyOverriddenIp = 192.0.2.9\nconsoleProxyPort = 4443\n\
             CloudBus.serverIp.0 = 10.0.0.7\nCloudBus.serverIp.1 = 10.0.0.8:5673\n",
        );
        let v = from_properties(&p, Some(Ipv4Addr::new(10, 0, 0, 9)), 5001, true);
        assert_eq!(
            ports(&v),
            [
                ("MN REST API".into(), "10.0.0.9".into(), 8989),
                ("web UI".into(), "10.0.0.9".into(), 5001),
                ("MariaDB".into(), "db1".into(), 3306),
                ("MariaDB".into(), "db2".into(), 3307),
                ("console proxy".into(), "192.0.2.9".into(), 4443),
                ("RabbitMQ".into(), "10.0.0.7".into(), 5672),
                ("RabbitMQ".into(), "10.0.0.8".into(), 5673),
            ]
        );
    }

    #[test]
    fn empty_properties_give_the_defaults_on_loopback() {
        let v = from_properties(&Properties::parse(""), None, 5000, true);
        let l = ports(&v);
        assert_eq!(l.len(), 5, "{l:?}");
        assert!(l.iter().all(|(_, h, _)| h == "127.0.0.1"), "{l:?}");
        assert_eq!(l[2].2, 3306);
        assert_eq!(l[4], ("RabbitMQ".into(), "127.0.0.1".into(), 5672));
    }
}
