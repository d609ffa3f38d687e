//! Set Management Network's engine side: `zstack-ctl change_ip`, then a
//! restart of the node.

use std::net::Ipv4Addr;

use super::ZstackEngine;
use crate::engine::EngineError;
use crate::job::Progress;

impl ZstackEngine {
    pub(super) fn op_change_management_ip(
        &self,
        ip: Ipv4Addr,
        progress: &mut dyn Progress,
    ) -> Result<String, EngineError> {
        if ip.is_unspecified() || ip.is_loopback() || ip.is_broadcast() || ip.is_multicast() {
            return Err(EngineError::Failed(format!(
                "{ip} cannot be a management IP; nothing was changed"
            )));
        }
        progress.phase(&format!("Moving the management node to {ip}"));
        self.ctl(&["change_ip", "--ip", &ip.to_string()], progress)?;
        self.restart_node(progress)?;
        Ok(format!(
            "Management IP changed to {ip}; management node restarted"
        ))
    }
}
