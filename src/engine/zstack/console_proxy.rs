//! Configure Console Proxy: the address and port that VNC/SPICE links in
//! the web UI point browsers at (`consoleProxyOverriddenIp`,
//! `consoleProxyPort` in zstack.properties).
//!
//! The management server's own API does this best: `updateConsoleProxyAgent`
//! (`PUT /consoles/agents/{mnUuid}/actions`, zstack
//! header/.../console/APIUpdateConsoleProxyAgentMsg.java:10-22) updates the
//! database row, the running values and the file, and reconnects the proxy
//! without restarting the node (console/.../ManagementServerConsoleProxyBackend.java:474-570).
//! Where that API is absent (an older ZStack, or the server is down), the
//! file is changed with `zstack-ctl configure` and the node restarted.
//! RabbitMQ is not restarted: nothing in the console proxy path needs it.

use std::net::Ipv4Addr;

use serde_json::{json, Value};

use super::properties::Properties;
use super::rest::RestError;
use super::{ZstackEngine, DEFAULT_CONSOLE_PROXY_PORT};
use crate::engine::{ConsoleProxy, EngineError};
use crate::job::Progress;

/// The value that means "no override: use the management IP". It is the
/// property's default (zstack core/.../CoreGlobalProperty.java:31), and the
/// server treats it and an empty value alike (console/.../ConsoleManagerImpl.java:128-130).
pub const NO_OVERRIDE: &str = "0.0.0.0";

/// The address browsers are sent to for `overridden` (the property's
/// value) on a node whose management IP is `management_ip`.
pub fn effective_proxy_ip(
    overridden: Option<&str>,
    management_ip: Option<&str>,
) -> Option<Ipv4Addr> {
    overridden
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != NO_OVERRIDE)
        .or(management_ip)
        .and_then(|s| s.trim().parse::<Ipv4Addr>().ok())
}

/// Why the REST path was not taken.
enum ViaRest {
    /// The API is not there (or the server is not up): use the fallback.
    Absent(String),
    /// The server refused the change: report it, change nothing else.
    Failed(String),
}

impl ZstackEngine {
    /// The current settings; an IP of `0.0.0.0` or none shows as the
    /// management IP, which is what browsers are sent to then.
    pub(super) fn op_console_proxy(&self) -> Result<ConsoleProxy, EngineError> {
        let p = self.props()?;
        let ip = effective_proxy_ip(
            p.get("consoleProxyOverriddenIp"),
            p.get_nonempty("management.server.ip"),
        );
        let port = match p.get_nonempty("consoleProxyPort") {
            Some(s) => s.parse::<u16>().ok(),
            None => Some(DEFAULT_CONSOLE_PROXY_PORT),
        };
        Ok(ConsoleProxy { ip, port })
    }

    pub(super) fn op_set_console_proxy(
        &self,
        proxy: &ConsoleProxy,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        let settings = proxy_settings(proxy);
        if settings.is_empty() {
            return Err(EngineError::Failed(
                "nothing to change: give the console proxy IP, the port, or both".into(),
            ));
        }
        if let Some(port) = proxy.port {
            if port < 1024 {
                return Err(EngineError::Failed(format!(
                    "port {port} is not from 1024 to 65535"
                )));
            }
        }
        let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let props = self.props()?;
        progress.phase("Asking the management server to update the console proxy");
        progress.fraction(None);
        match self.update_proxy_via_rest(&props, proxy) {
            Ok(()) => {
                return Ok(format!(
                    "Console proxy set ({}) by the management server; no restart was needed",
                    shown.join(", ")
                ))
            }
            Err(ViaRest::Failed(e)) => {
                return Err(EngineError::Failed(format!(
                "the management server refused the console proxy change: {e}; nothing was changed"
            )))
            }
            Err(ViaRest::Absent(why)) => {
                progress.line(&format!(
                    "updateConsoleProxyAgent not available ({why}); using zstack-ctl configure and a restart"
                ));
            }
        }
        progress.phase("Writing the console proxy settings");
        if !self.ctl_exists() {
            let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.edit_properties(&pairs)?;
            return Err(EngineError::Failed(format!(
                "console proxy written to {}, but zstack-ctl was not found at {}: restart the management node by hand",
                self.properties_path().display(),
                self.cfg.ctl.display()
            )));
        }
        for (k, v) in &settings {
            self.ctl(&["configure", &format!("{k}={v}")], progress)?;
        }
        self.restart_node(progress)?;
        Ok(format!(
            "Console proxy set ({}); management node restarted",
            shown.join(", ")
        ))
    }

    /// `updateConsoleProxyAgent` for this node's agent (the agent's UUID is
    /// the management node's).
    fn update_proxy_via_rest(
        &self,
        props: &Properties,
        proxy: &ConsoleProxy,
    ) -> Result<(), ViaRest> {
        let rest = self.rest(Some(props));
        let absent = |e: RestError| ViaRest::Absent(e.to_string());
        let agents = rest.call("GET", "/consoles/agents", None).map_err(absent)?;
        let list = agents
            .get("inventories")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let my_ip = props.get_nonempty("management.server.ip");
        let mine = list
            .iter()
            .find(|a| a.get("managementIp").and_then(Value::as_str) == my_ip)
            .or(if list.len() == 1 { list.first() } else { None })
            .ok_or_else(|| {
                ViaRest::Absent(format!(
                    "no console proxy agent for management IP {}",
                    my_ip.unwrap_or("(unset)")
                ))
            })?;
        let uuid = mine
            .get("uuid")
            .and_then(Value::as_str)
            .ok_or_else(|| ViaRest::Absent("the agent has no uuid".into()))?;
        // The IP is a required parameter (APIUpdateConsoleProxyAgentMsg.java:19-20):
        // keep the current one when only the port changes; port 0 keeps the port
        // (ManagementServerConsoleProxyBackend.java:483).
        let ip = match proxy.ip {
            Some(ip) => ip.to_string(),
            None => mine
                .get("consoleProxyOverriddenIp")
                .and_then(Value::as_str)
                .or_else(|| props.get_nonempty("consoleProxyOverriddenIp"))
                .unwrap_or(NO_OVERRIDE)
                .to_owned(),
        };
        let body = json!({"updateConsoleProxyAgent": {
            "consoleProxyOverriddenIp": ip,
            "consoleProxyPort": proxy.port.unwrap_or(0),
        }});
        match rest.call(
            "PUT",
            &format!("/consoles/agents/{uuid}/actions"),
            Some(&body),
        ) {
            Ok(_) => Ok(()),
            Err(e @ RestError::Api { status: 404, .. }) => Err(absent(e)),
            Err(e) => Err(ViaRest::Failed(e.to_string())),
        }
    }
}

fn proxy_settings(proxy: &ConsoleProxy) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    if let Some(ip) = proxy.ip {
        v.push(("consoleProxyOverriddenIp", ip.to_string()));
    }
    if let Some(p) = proxy.port {
        v.push(("consoleProxyPort", p.to_string()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_override_means_the_management_ip() {
        let mn = Some("10.0.0.5");
        let want = Some(Ipv4Addr::new(10, 0, 0, 5));
        assert_eq!(effective_proxy_ip(Some("0.0.0.0"), mn), want);
        assert_eq!(effective_proxy_ip(Some(""), mn), want);
        assert_eq!(effective_proxy_ip(None, mn), want);
        assert_eq!(
            effective_proxy_ip(Some("10.0.0.9"), mn),
            Some(Ipv4Addr::new(10, 0, 0, 9))
        );
        assert_eq!(effective_proxy_ip(Some("0.0.0.0"), None), None);
    }
}
