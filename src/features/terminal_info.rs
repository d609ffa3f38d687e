//! Terminal Info: which virtual terminal holds the reserved root shell and
//! the cloud CLI, and how to get back here (from `[terminals]`). Read-only.

use super::{Feature, FeatureId, NodeFeatures};
use crate::app::session::RootSession;
use crate::app::window::{After, Window};
use crate::app::App;
use crate::engine::{Availability, Capabilities};
use crate::kit::{Message, Tone};

pub const ID: FeatureId = FeatureId("terminal-info");

pub struct TerminalInfo;
pub static FEATURE: TerminalInfo = TerminalInfo;

impl Feature for TerminalInfo {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        "Terminal Info".into()
    }
    fn availability(&self, _caps: &Capabilities, _node: &NodeFeatures) -> Availability {
        Availability::Available
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        app.window = Some(Window::Message(
            Message::new(
                "Terminal Info",
                app.settings.terminal_info.clone(),
                Tone::Info,
            ),
            After::Menu,
        ));
    }
}
