//! Start / stop / restart a systemd unit and read its state, through the
//! systemd manager's D-Bus API (`org.freedesktop.systemd1.Manager`), the
//! same calls `systemctl` makes.
//!
//! Why wait for `JobRemoved`: `StartUnit` only queues a job and returns its
//! object path; whether the unit actually started is known when systemd
//! removes the job and reports its result ("done", "failed", "timeout",
//! "canceled", "dependency", "skipped"). The signal subscription is set up
//! before the job is queued, so a fast job cannot be missed.

use std::cell::Cell;
use std::time::Duration;

use futures::StreamExt;
use zbus::zvariant::OwnedObjectPath;

use crate::ops::{audit, connect, dbus_error_text, is_service_missing, is_transport_error};
use crate::ops::{with_deadline, BusTarget};

const SYSTEMD_NAME: &str = "org.freedesktop.systemd1";
const SYSTEMD_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER_IFACE: &str = "org.freedesktop.systemd1.Manager";
const UNIT_IFACE: &str = "org.freedesktop.systemd1.Unit";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitAction {
    Start,
    Stop,
    Restart,
}

impl UnitAction {
    fn method(self) -> &'static str {
        match self {
            UnitAction::Start => "StartUnit",
            UnitAction::Stop => "StopUnit",
            UnitAction::Restart => "RestartUnit",
        }
    }

    /// Lower-case verb, as `systemctl` spells it.
    pub fn verb(self) -> &'static str {
        match self {
            UnitAction::Start => "start",
            UnitAction::Stop => "stop",
            UnitAction::Restart => "restart",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SystemdError {
    #[error("invalid unit name {0:?}: expected a name such as libvirtd.service")]
    InvalidUnit(String),
    #[error("cannot reach the systemd manager: {0}")]
    Unreachable(String),
    #[error("unit {0} does not exist on this node: check the unit name in the configuration")]
    NoSuchUnit(String),
    #[error("systemd refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Timeout(String),
    #[error("D-Bus error talking to systemd: {0}")]
    Dbus(String),
}

/// Checks a unit name before it goes to systemd: the characters systemd
/// allows in unit names and a known unit type suffix.
pub fn check_unit_name(unit: &str) -> Result<(), SystemdError> {
    const SUFFIXES: [&str; 11] = [
        ".service",
        ".socket",
        ".target",
        ".timer",
        ".mount",
        ".path",
        ".slice",
        ".scope",
        ".device",
        ".swap",
        ".automount",
    ];
    let bad = || SystemdError::InvalidUnit(unit.to_string());
    if unit.is_empty() || unit.len() > 255 {
        return Err(bad());
    }
    if !unit
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '\\' | '@'))
    {
        return Err(bad());
    }
    let Some(suffix) = SUFFIXES.iter().find(|s| unit.ends_with(*s)) else {
        return Err(bad());
    };
    let stem = &unit[..unit.len() - suffix.len()];
    if stem.is_empty() || stem.starts_with('.') || stem == "@" {
        return Err(bad());
    }
    Ok(())
}

fn classify(e: &zbus::Error, bus: &BusTarget, unit: &str) -> SystemdError {
    if is_service_missing(e) {
        return SystemdError::Unreachable(format!(
            "systemd ({SYSTEMD_NAME}) is not on {bus}: {}",
            dbus_error_text(e)
        ));
    }
    if is_transport_error(e) {
        return SystemdError::Unreachable(format!("connection to {bus} failed: {e}"));
    }
    match e {
        zbus::Error::MethodError(name, _, _)
            if name.as_str() == "org.freedesktop.systemd1.NoSuchUnit" =>
        {
            SystemdError::NoSuchUnit(unit.to_string())
        }
        zbus::Error::MethodError(..) | zbus::Error::FDO(_) => {
            SystemdError::Refused(dbus_error_text(e))
        }
        other => SystemdError::Dbus(other.to_string()),
    }
}

async fn proxy<'a>(
    conn: &zbus::Connection,
    path: &'a str,
    iface: &'a str,
) -> zbus::Result<zbus::Proxy<'a>> {
    zbus::proxy::Builder::new(conn)
        .destination(SYSTEMD_NAME)?
        .path(path)?
        .interface(iface)?
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
}

/// Starts, stops or restarts `unit` (job mode "replace") on the systemd
/// manager at `bus`, waits for the job to finish, and returns the job's
/// result ("done" means success; "failed", "timeout", "canceled",
/// "dependency", "skipped" are systemd's words). `timeout` bounds connect,
/// call and wait together; on expiry the job keeps running in systemd and
/// the error says so. Audited.
pub fn unit_action(
    bus: &BusTarget,
    unit: &str,
    action: UnitAction,
    timeout: Duration,
) -> Result<String, SystemdError> {
    check_unit_name(unit)?;
    let op = format!("{} {unit}", action.verb());
    audit::op_started("unit", &op);
    let result = unit_action_inner(bus, unit, action, timeout);
    match &result {
        Ok(r) => audit::op::<SystemdError>("unit", Ok(&format!("{op}: job result {r}"))),
        Err(e) => audit::op("unit", Err(e)),
    }
    result
}

fn unit_action_inner(
    bus: &BusTarget,
    unit: &str,
    action: UnitAction,
    timeout: Duration,
) -> Result<String, SystemdError> {
    let queued = Cell::new(false);
    let work = async {
        let conn = connect(bus)
            .await
            .map_err(|e| SystemdError::Unreachable(format!("cannot connect to {bus}: {e}")))?;
        let mgr = proxy(&conn, SYSTEMD_PATH, MANAGER_IFACE)
            .await
            .map_err(|e| classify(&e, bus, unit))?;
        // systemd sends job signals only to subscribed clients.
        let _: () = mgr
            .call("Subscribe", &())
            .await
            .map_err(|e| classify(&e, bus, unit))?;
        let mut removed = mgr
            .receive_signal("JobRemoved")
            .await
            .map_err(|e| classify(&e, bus, unit))?;
        let job: OwnedObjectPath = mgr
            .call(action.method(), &(unit, "replace"))
            .await
            .map_err(|e| classify(&e, bus, unit))?;
        queued.set(true);
        while let Some(msg) = removed.next().await {
            let Ok((_id, path, _unit, result)) = msg
                .body()
                .deserialize::<(u32, OwnedObjectPath, String, String)>()
            else {
                continue;
            };
            if path == job {
                return Ok(result);
            }
        }
        Err(SystemdError::Dbus(format!(
            "the connection to {bus} closed before the job for {unit} finished"
        )))
    };
    match with_deadline(timeout, work) {
        Some(r) => r,
        None if queued.get() => Err(SystemdError::Timeout(format!(
            "{} {unit} did not finish within {} s; systemd goes on with it in the \
             background: check `systemctl status {unit}`",
            action.verb(),
            timeout.as_secs()
        ))),
        None => Err(SystemdError::Unreachable(format!(
            "no answer from {bus} within {} s",
            timeout.as_secs()
        ))),
    }
}

/// The unit's `(ActiveState, SubState)`, e.g. `("active", "running")` or
/// `("inactive", "dead")`. Loads the unit if systemd has not yet; a unit
/// without a unit file is [`SystemdError::NoSuchUnit`].
pub fn unit_state(
    bus: &BusTarget,
    unit: &str,
    timeout: Duration,
) -> Result<(String, String), SystemdError> {
    check_unit_name(unit)?;
    let work = async {
        let conn = connect(bus)
            .await
            .map_err(|e| SystemdError::Unreachable(format!("cannot connect to {bus}: {e}")))?;
        let mgr = proxy(&conn, SYSTEMD_PATH, MANAGER_IFACE)
            .await
            .map_err(|e| classify(&e, bus, unit))?;
        let path: OwnedObjectPath = mgr
            .call("LoadUnit", &(unit,))
            .await
            .map_err(|e| classify(&e, bus, unit))?;
        let u = proxy(&conn, path.as_str(), UNIT_IFACE)
            .await
            .map_err(|e| classify(&e, bus, unit))?;
        let get = |name: &'static str| {
            let u = &u;
            async move {
                u.get_property::<String>(name)
                    .await
                    .map_err(|e| classify(&e, bus, unit))
            }
        };
        let load = get("LoadState").await?;
        if load == "not-found" {
            return Err(SystemdError::NoSuchUnit(unit.to_string()));
        }
        Ok((get("ActiveState").await?, get("SubState").await?))
    };
    with_deadline(timeout, work).unwrap_or_else(|| {
        Err(SystemdError::Unreachable(format!(
            "no answer from {bus} within {} s",
            timeout.as_secs()
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names() {
        for ok in [
            "libvirtd.service",
            "zstack.service",
            "getty@tty1.service",
            "a-b_c:d.target",
        ] {
            assert!(check_unit_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "libvirtd",
            ".service",
            "a b.service",
            "x;rm.service",
            "../x.service/",
        ] {
            assert!(check_unit_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_unit_name(&format!("{}.service", "a".repeat(260))).is_err());
    }

    #[test]
    fn invalid_name_never_reaches_the_bus() {
        let bus = BusTarget::Address("unix:path=/nonexistent/bus".into());
        let e = unit_action(&bus, "no suffix", UnitAction::Start, Duration::from_secs(1));
        assert_eq!(e, Err(SystemdError::InvalidUnit("no suffix".into())));
    }

    #[test]
    fn dead_bus_is_unreachable() {
        let bus = BusTarget::Address("unix:path=/nonexistent/nodeconsole/bus".into());
        let e = unit_state(&bus, "x.service", Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, SystemdError::Unreachable(_)), "{e:?}");
    }
}
