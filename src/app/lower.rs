//! The lower table of compute and storage nodes: which one is up (storage
//! nodes cycle VMs, block devices, multipath maps, iSCSI sessions and FC
//! HBAs with `Tab`), its length and scroll offset (on the block table the
//! offset is also the selected row), and Enter's details window.

use super::state::App;
use super::window::Window;
use crate::config::Role;

/// The lower table of compute/storage nodes (storage: `Tab` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowerTable {
    Vms,
    Block,
    Multipath,
    Iscsi,
    Fc,
}

impl LowerTable {
    /// The next table `Tab` switches to.
    pub fn next(self) -> LowerTable {
        match self {
            LowerTable::Vms => LowerTable::Block,
            LowerTable::Block => LowerTable::Multipath,
            LowerTable::Multipath => LowerTable::Iscsi,
            LowerTable::Iscsi => LowerTable::Fc,
            LowerTable::Fc => LowerTable::Vms,
        }
    }
}

impl App {
    /// Enter on the block table: the selected device's every field and
    /// why it is in use, and for a multipath map its paths and policy, in a
    /// scrollable window (no root session needed: it only shows what the
    /// tables show, in full).
    pub(crate) fn open_block_details(&mut self) {
        if self.settings.role != Role::Storage || self.lower != LowerTable::Block {
            return;
        }
        let Some(dev) = self.block.value.as_ref().and_then(|d| d.get(self.scroll)) else {
            return;
        };
        let (title, mut rows) = crate::ui::panels::block::details(dev);
        let map = self
            .multipath
            .value
            .as_ref()
            .and_then(|ms| ms.iter().find(|m| m.dm == dev.name));
        if let Some(m) = map {
            rows.extend(crate::ui::panels::multipath::detail_rows(m));
        }
        self.window = Some(Window::Details(crate::kit::Details::new(title, rows)));
    }

    pub(crate) fn lower_len(&self) -> usize {
        if !self.has_lower_table() {
            return self.nics.value.as_ref().map_or(0, |n| n.nics.len());
        }
        match self.lower {
            LowerTable::Vms => self.vms.value.as_ref().map_or(0, |v| v.list.len()),
            LowerTable::Block => self.block.value.as_ref().map_or(0, |v| v.len()),
            LowerTable::Multipath => self
                .multipath
                .value
                .as_ref()
                .map_or(0, |m| crate::ui::panels::multipath::row_count(m)),
            LowerTable::Iscsi => self.iscsi.value.as_ref().map_or(0, |v| v.len()),
            LowerTable::Fc => self.fc.value.as_ref().map_or(0, |v| v.len()),
        }
    }

    pub(crate) fn scroll_by(&mut self, delta: isize) {
        self.scroll = self.scroll.saturating_add_signed(delta);
    }

    /// Keeps the scroll offset inside the table (the renderer further
    /// limits it to what fits on screen).
    pub(crate) fn clamp_scroll(&mut self) {
        let n = self.lower_len();
        self.scroll = self.scroll.min(n.saturating_sub(1));
    }
}
