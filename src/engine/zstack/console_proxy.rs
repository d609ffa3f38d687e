//! Configure Console Proxy: the address and port that VNC/SPICE links in
//! the web UI point browsers at (`consoleProxyOverriddenIp`,
//! `consoleProxyPort` in zstack.properties).

use std::net::Ipv4Addr;

use super::command::{run_ok, Run};
use super::{ZstackEngine, DEFAULT_CONSOLE_PROXY_PORT};
use crate::engine::{ConsoleProxy, EngineError};
use crate::job::Progress;

impl ZstackEngine {
    pub(super) fn op_console_proxy(&self) -> Result<ConsoleProxy, EngineError> {
        let p = self.props()?;
        let ip = p
            .get_nonempty("consoleProxyOverriddenIp")
            .or_else(|| p.get_nonempty("management.server.ip"))
            .and_then(|s| s.parse::<Ipv4Addr>().ok());
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
        let settings = Self::proxy_settings(proxy);
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
        progress.phase("Writing the console proxy settings");
        if self.ctl_exists() {
            for (k, v) in &settings {
                self.ctl(&["configure", &format!("{k}={v}")], progress)?;
            }
        } else {
            let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
            self.edit_properties(&pairs)?;
            return Err(EngineError::Failed(format!(
                "console proxy written to {}, but zstack-ctl was not found at {}: restart the management node by hand",
                self.properties_path().display(),
                self.cfg.ctl.display()
            )));
        }
        if self.uses_rabbitmq(false).unwrap_or(false) {
            // Before 3.0.1 the console proxy agent talks over RabbitMQ: stop
            // the node, restart the broker application (users and
            // permissions are kept; stale queues and connections go), then
            // start the node again.
            progress.phase("Stopping the management node");
            self.ctl(&["stop_node"], progress)?;
            progress.phase("Restarting the RabbitMQ application");
            let t = self.job_timeout();
            run_ok(Run::new(&self.cfg.rabbitmqctl, &["stop_app"], t), progress)?;
            run_ok(Run::new(&self.cfg.rabbitmqctl, &["start_app"], t), progress)?;
            progress.phase("Starting the management node (this can take minutes)");
            self.ctl(&["start_node"], progress)?;
        } else {
            self.restart_node(progress)?;
        }
        let shown: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Ok(format!("Console proxy set ({})", shown.join(", ")))
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
}
