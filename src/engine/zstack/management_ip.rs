//! Set Management Network's engine side: `zstack-ctl change_ip`, then a
//! restart of the node.
//!
//! `change_ip` exits 0 even when it refuses: its `return 1` for an invalid
//! or virtual IP, or a missing zstack.properties, is discarded by
//! `cmd(args)` (zstack-utility zstackctl/zstackctl/ctl.py:1116, 7189-7276).
//! Only a finished change prints `Change ip successfully` (ctl.py:7309), so
//! that line, not the exit status, is the success test here; anything else
//! is a refusal whose last line the operator sees, and nothing restarts.

use std::net::Ipv4Addr;

use super::command::Outcome;
use super::ZstackEngine;
use crate::engine::EngineError;
use crate::job::Progress;

/// The line zstack-ctl prints when the change is complete.
pub const CHANGE_IP_DONE: &str = "Change ip successfully";

/// Why `change_ip` did not finish, in the operator's words: its own last
/// line, and what to do for the refusals that need more than this console
/// can give (HA mode; `mysql_restrict_connection`, which wants the MySQL
/// root password on zstack-ctl's command line).
pub fn change_ip_refusal(out: &Outcome) -> String {
    let said = out
        .last_stderr
        .iter()
        .chain(out.tail.iter().rev())
        .map(|l| l.trim().trim_start_matches("ERROR:").trim())
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
        .to_owned();
    let hint = if said.contains("root-password") {
        " MySQL connections are restricted (zstack-ctl mysql_restrict_connection): run \
         zstack-ctl change_ip with --root-password on this node's shell; the console \
         does not put passwords on a command line."
    } else if said.contains("single management") {
        " This node runs in HA mode: change the IP through the HA tools."
    } else {
        ""
    };
    format!("zstack-ctl change_ip refused: {said}; nothing was restarted.{hint}")
}

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
        let out = self.ctl_run(&["change_ip", "--ip", &ip.to_string()], progress)?;
        if !out.success() || !out.tail.iter().any(|l| l.contains(CHANGE_IP_DONE)) {
            return Err(EngineError::Failed(change_ip_refusal(&out)));
        }
        self.restart_node(progress)?;
        Ok(format!(
            "Management IP changed to {ip}; management node restarted"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(code: i32, tail: &[&str], err: Option<&str>) -> Outcome {
        Outcome {
            code: Some(code),
            tail: tail.iter().map(|s| s.to_string()).collect(),
            last_stderr: err.map(str::to_owned),
        }
    }

    #[test]
    fn refusals_are_worded() {
        let m = change_ip_refusal(&out(
            0,
            &["The ip address you input: 10.0.0.9 is a virtual ip"],
            None,
        ));
        assert!(
            m.contains("is a virtual ip") && m.contains("nothing was restarted"),
            "{m}"
        );
        let m = change_ip_refusal(&out(1, &[], Some("ERROR: --root-password needs to be set")));
        assert!(m.contains("mysql_restrict_connection"), "{m}");
        let m = change_ip_refusal(&out(
            1,
            &[],
            Some("ERROR: please change to single management before change ip"),
        ));
        assert!(m.contains("HA mode"), "{m}");
    }
}
