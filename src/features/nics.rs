//! What the network features share: the NICs the app knows, how a NIC is
//! listed in a choice, and the network services.

use std::sync::Arc;

use super::task::Deadline;
use crate::app::services::{NetContext, Services};
use crate::app::window::{After, Window};
use crate::app::App;
use crate::kit::{Message, Tone};
use crate::probe::Nic;

/// The NICs of the last collection.
pub fn known(app: &App) -> Vec<Nic> {
    app.nics
        .value
        .as_ref()
        .map(|i| i.nics.clone())
        .unwrap_or_default()
}

/// A NIC as a choice row: name, kind, state, MN mark, addresses.
pub fn label(n: &Nic) -> String {
    let addr = n
        .ipv4
        .iter()
        .map(|(a, p)| format!("{a}/{p}"))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "{:<10} {:<8} {:<4}{}{}",
        n.name,
        n.kind.label(),
        if n.up { "UP" } else { "DOWN" },
        if n.is_mn { " (MN)" } else { "" },
        if addr.is_empty() {
            String::new()
        } else {
            format!(" {addr}")
        }
    )
}

/// An information window back to the menu.
pub fn info(app: &mut App, title: &str, line: String) {
    app.window = Some(Window::Message(
        Message::new(title, vec![line], Tone::Info),
        After::Menu,
    ));
}

/// The network services, or why this node has none.
pub fn context(svc: &Services) -> Result<Arc<NetContext>, String> {
    svc.net
        .clone()
        .map_err(|_| "network operations are not available here".to_string())
}

/// A network change is bounded by its own steps and the rollback window;
/// this is the outer bound.
pub fn deadline() -> Deadline {
    Deadline::new(
        std::time::Duration::from_secs(3600),
        "the network operation did not finish in time",
    )
}
