//! Privileged operations behind the root password gate: PAM authentication
//! and password change, the brute-force backoff, the audit trail, logind
//! reboot/poweroff, systemd unit control, and the demo's PAM set-up.
//!
//! Every function here is blocking on purpose: the app runs each call on a
//! blocking thread with its own timeout, so that the UI thread never waits on
//! PAM modules or D-Bus peers. The D-Bus calls additionally carry their own
//! deadline so that a hung peer cannot pin a thread forever.

pub mod audit;
pub mod auth;
pub mod backoff;
pub mod demo_pam;
pub mod power;
pub mod process;
pub mod systemd;

use std::future::Future;
use std::time::Duration;

/// Which D-Bus bus a privileged call goes to.
///
/// Production uses the system bus; tests point at a private `dbus-daemon`
/// by address, so the same code path is exercised against a real bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusTarget {
    /// The system bus (`/run/dbus/system_bus_socket` or
    /// `DBUS_SYSTEM_BUS_ADDRESS`).
    System,
    /// A bus given by its D-Bus address, e.g. `unix:path=/tmp/x/bus`.
    Address(String),
}

impl std::fmt::Display for BusTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BusTarget::System => f.write_str("the system D-Bus"),
            BusTarget::Address(a) => write!(f, "the D-Bus at {a}"),
        }
    }
}

/// Opens a connection to `bus` (the caller bounds it with [`with_deadline`]).
pub(crate) async fn connect(bus: &BusTarget) -> zbus::Result<zbus::Connection> {
    match bus {
        BusTarget::System => zbus::Connection::system().await,
        BusTarget::Address(a) => {
            zbus::connection::Builder::address(a.as_str())?
                .build()
                .await
        }
    }
}

/// Runs `fut` to completion on the calling thread, or gives up after
/// `timeout` and returns `None`. Why: zbus has method-call timeouts but no
/// connect timeout and no bound on waiting for a signal; one outer deadline
/// covers connect, calls and waits alike.
pub(crate) fn with_deadline<T>(timeout: Duration, fut: impl Future<Output = T>) -> Option<T> {
    use futures::future::{select, Either};
    let timer = async_io::Timer::after(timeout);
    zbus::block_on(async move {
        match select(Box::pin(fut), Box::pin(timer)).await {
            Either::Left((v, _)) => Some(v),
            Either::Right(_) => None,
        }
    })
}

/// True when a D-Bus error name means "nobody owns that name on the bus".
pub(crate) fn is_service_missing(e: &zbus::Error) -> bool {
    match e {
        zbus::Error::MethodError(name, _, _) => matches!(
            name.as_str(),
            "org.freedesktop.DBus.Error.ServiceUnknown"
                | "org.freedesktop.DBus.Error.NameHasNoOwner"
                | "org.freedesktop.DBus.Error.NoServer"
        ),
        zbus::Error::FDO(fdo) => matches!(
            **fdo,
            zbus::fdo::Error::ServiceUnknown(_)
                | zbus::fdo::Error::NameHasNoOwner(_)
                | zbus::fdo::Error::NoServer(_)
        ),
        _ => false,
    }
}

/// True when a zbus error is a failure to reach the bus at all (socket,
/// address or authentication handshake), rather than an answer from a peer.
pub(crate) fn is_transport_error(e: &zbus::Error) -> bool {
    matches!(
        e,
        zbus::Error::InputOutput(_)
            | zbus::Error::Address(_)
            | zbus::Error::Handshake(_)
            | zbus::Error::Unsupported
    )
}

/// The text of a D-Bus error as a peer sent it (name and message), for
/// operator-visible errors.
pub(crate) fn dbus_error_text(e: &zbus::Error) -> String {
    match e {
        zbus::Error::MethodError(name, Some(msg), _) => format!("{msg} ({name})"),
        zbus::Error::MethodError(name, None, _) => name.to_string(),
        other => other.to_string(),
    }
}
