//! Reboot / power off through logind (`org.freedesktop.login1.Manager`),
//! the same request `systemctl reboot` makes: logind runs the shutdown
//! inhibitor checks and starts `reboot.target` / `poweroff.target`.
//!
//! `interactive` is always false: the console has already authenticated
//! root, and there is nobody to answer a polkit question on tty1.

use std::time::Duration;

use crate::ops::{audit, connect, dbus_error_text, is_service_missing, is_transport_error};
use crate::ops::{with_deadline, BusTarget};

const LOGIN1_NAME: &str = "org.freedesktop.login1";
const LOGIN1_PATH: &str = "/org/freedesktop/login1";
const LOGIN1_MANAGER: &str = "org.freedesktop.login1.Manager";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Reboot,
    PowerOff,
}

impl PowerAction {
    /// The login1 Manager method for this action.
    pub fn method(self) -> &'static str {
        match self {
            PowerAction::Reboot => "Reboot",
            PowerAction::PowerOff => "PowerOff",
        }
    }

    /// The word the operator types to confirm (spec: `REBOOT`/`POWEROFF`).
    pub fn confirm_phrase(self) -> &'static str {
        match self {
            PowerAction::Reboot => "REBOOT",
            PowerAction::PowerOff => "POWEROFF",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PowerError {
    /// The bus or logind cannot be reached or did not answer in time.
    #[error("cannot reach logind: {0}. Reboot from the reserved shell (Ctrl+Alt+F2) with `systemctl reboot`, or use the server's power button / BMC")]
    Unreachable(String),
    /// logind answered with a refusal (inhibitor, access denied, ...).
    #[error("logind refused: {0}")]
    Refused(String),
}

/// Asks logind to reboot or power off (`interactive = false`) on `bus`,
/// waiting at most `timeout` for connect and answer. Success means logind
/// accepted the request; the machine goes down shortly after. Audited.
pub fn request(action: PowerAction, bus: &BusTarget, timeout: Duration) -> Result<(), PowerError> {
    let name = match action {
        PowerAction::Reboot => "reboot",
        PowerAction::PowerOff => "poweroff",
    };
    audit::op_started(name, &format!("via logind on {bus}"));
    let result = request_inner(action, bus, timeout);
    match &result {
        Ok(()) => audit::op::<PowerError>(name, Ok("accepted by logind")),
        Err(e) => audit::op(name, Err(e)),
    }
    result
}

fn request_inner(
    action: PowerAction,
    bus: &BusTarget,
    timeout: Duration,
) -> Result<(), PowerError> {
    let call = async {
        let conn = connect(bus)
            .await
            .map_err(|e| PowerError::Unreachable(format!("cannot connect to {bus}: {e}")))?;
        conn.call_method(
            Some(LOGIN1_NAME),
            LOGIN1_PATH,
            Some(LOGIN1_MANAGER),
            action.method(),
            &(false,),
        )
        .await
        .map(|_| ())
        .map_err(|e| classify(&e, bus))
    };
    with_deadline(timeout, call).unwrap_or_else(|| {
        Err(PowerError::Unreachable(format!(
            "no answer from {bus} within {} s",
            timeout.as_secs_f32()
        )))
    })
}

fn classify(e: &zbus::Error, bus: &BusTarget) -> PowerError {
    if is_service_missing(e) {
        PowerError::Unreachable(format!(
            "logind ({LOGIN1_NAME}) is not running on {bus}: {}",
            dbus_error_text(e)
        ))
    } else if is_transport_error(e) {
        PowerError::Unreachable(format!("connection to {bus} failed: {e}"))
    } else {
        PowerError::Refused(dbus_error_text(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_and_phrases() {
        assert_eq!(PowerAction::Reboot.method(), "Reboot");
        assert_eq!(PowerAction::PowerOff.method(), "PowerOff");
        assert_eq!(PowerAction::PowerOff.confirm_phrase(), "POWEROFF");
    }

    #[test]
    fn bad_address_is_unreachable() {
        let e = request(
            PowerAction::Reboot,
            &BusTarget::Address("unix:path=/nonexistent/nodeconsole/bus".into()),
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(matches!(e, PowerError::Unreachable(_)), "{e:?}");
        assert!(e.to_string().contains("cannot reach logind"), "{e}");
    }
}
