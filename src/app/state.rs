//! The application state: what every panel knows, which screen is up, and
//! the pure transitions on it. Nothing here does I/O; the event loop in
//! [`super::run`] feeds it updates and key presses and draws it.

use std::collections::VecDeque;
use std::time::SystemTime;

use super::action::Action;
use super::feed::Feed;
use super::keys::{self, Binding, Key};
use super::update::{Update, UpdateData};
use crate::config::Role;
use crate::engine::{HostSummary, NodeStatus, VmReport};
use crate::probe::{BlockDevice, CpuInfo, DiskEntry, IscsiSession, MemInfo, NicInfo, TimeInfo};

/// How many CPU/memory samples the history sparklines keep.
pub const HISTORY_LEN: usize = 120;

/// Facts fixed for the life of the process.
#[derive(Debug, Clone)]
pub struct Settings {
    pub role: Role,
    /// Lower-case engine name (`libvirt`, `zstack`).
    pub engine_name: &'static str,
    /// Display name (`libvirt`, `ZStack`).
    pub engine_display: &'static str,
    pub hostname: String,
    /// Demo mode: `q` quits and a banner says so.
    pub demo: bool,
    /// Extra text for the demo banner (e.g. the demo root password).
    pub demo_note: Option<String>,
    pub theme: crate::ui::theme::Theme,
}

/// The lower table of compute/storage nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowerTable {
    Vms,
    Block,
    Iscsi,
}

/// Which full screen is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Main,
}

/// Everything the UI draws.
#[derive(Debug, Clone)]
pub struct App {
    pub settings: Settings,
    /// Wall clock of the last tick (injected, so rendering is pure).
    pub now: SystemTime,
    /// Local time zone offset in seconds east of UTC, refreshed each tick.
    pub utc_offset_s: i32,
    pub time: Feed<TimeInfo>,
    pub disks: Feed<Vec<DiskEntry>>,
    pub nics: Feed<NicInfo>,
    pub cpu: Feed<CpuInfo>,
    pub mem: Feed<MemInfo>,
    pub block: Feed<Vec<BlockDevice>>,
    pub iscsi: Feed<Vec<IscsiSession>>,
    pub node: Feed<NodeStatus>,
    pub hosts: Feed<HostSummary>,
    pub vms: Feed<VmReport>,
    pub cpu_history: VecDeque<u8>,
    pub mem_history: VecDeque<u8>,
    /// First visible row of the lower table.
    pub scroll: usize,
    pub lower: LowerTable,
    pub screen: Screen,
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
}

impl App {
    pub fn new(settings: Settings, now: SystemTime) -> App {
        App {
            settings,
            now,
            utc_offset_s: 0,
            time: Feed::default(),
            disks: Feed::default(),
            nics: Feed::default(),
            cpu: Feed::default(),
            mem: Feed::default(),
            block: Feed::default(),
            iscsi: Feed::default(),
            node: Feed::default(),
            hosts: Feed::default(),
            vms: Feed::default(),
            cpu_history: VecDeque::with_capacity(HISTORY_LEN),
            mem_history: VecDeque::with_capacity(HISTORY_LEN),
            scroll: 0,
            lower: LowerTable::Vms,
            screen: Screen::Main,
            quit: false,
            dirty: true,
        }
    }

    /// Applies a collector snapshot.
    pub fn apply(&mut self, u: Update) {
        let at = u.at;
        let changed = match u.data {
            UpdateData::Time(r) => self.time.apply(r, at),
            UpdateData::Disks(r) => self.disks.apply(r, at),
            UpdateData::Nics(r) => {
                let c = self.nics.apply(r, at);
                self.clamp_scroll();
                c
            }
            UpdateData::Cpu(r) => {
                if let Ok(c) = &r {
                    push_history(&mut self.cpu_history, c.usage_pct.round() as u8);
                }
                self.cpu.apply(r, at)
            }
            UpdateData::Mem(r) => {
                if let Ok(m) = &r {
                    push_history(&mut self.mem_history, m.used_pct());
                }
                self.mem.apply(r, at)
            }
            UpdateData::Block(r) => self.block.apply(r, at),
            UpdateData::Iscsi(r) => self.iscsi.apply(r, at),
            UpdateData::Node(r) => self.node.apply(r, at),
            UpdateData::Hosts(r) => self.hosts.apply(r, at),
            UpdateData::Vms(r) => {
                let c = self.vms.apply(r, at);
                self.clamp_scroll();
                c
            }
        };
        self.dirty |= changed;
    }

    /// The clock ticked: the time panel changes every second.
    pub fn tick(&mut self, now: SystemTime, utc_offset_s: i32) {
        if now != self.now || utc_offset_s != self.utc_offset_s {
            self.now = now;
            self.utc_offset_s = utc_offset_s;
            self.dirty = true;
        }
    }

    /// Whether this role shows the per-node lower table.
    pub fn has_lower_table(&self) -> bool {
        self.settings.role != Role::Management
    }

    /// The key bindings of the active screen (drive both input and footer).
    pub fn bindings(&self) -> Vec<Binding> {
        let mut b = vec![
            Binding::new(
                &[Key::F(2), Key::Char('c')],
                Some("System Configuration"),
                Action::SystemConfiguration,
            ),
            Binding::new(
                &[Key::F(12), Key::Char('p')],
                Some("Reboot/Poweroff"),
                Action::Power,
            ),
        ];
        {
            b.push(Binding::new(
                &[Key::Up, Key::Char('k')],
                None,
                Action::ScrollUp,
            ));
            b.push(Binding::new(
                &[Key::Down, Key::Char('j')],
                Some("Scroll"),
                Action::ScrollDown,
            ));
            b.push(Binding::new(&[Key::PageUp], None, Action::PageUp));
            b.push(Binding::new(&[Key::PageDown], None, Action::PageDown));
            b.push(Binding::new(&[Key::Home], None, Action::Home));
            b.push(Binding::new(&[Key::End], None, Action::End));
        }
        if self.settings.role == Role::Storage {
            b.push(Binding::new(&[Key::Tab], Some("Table"), Action::NextTable));
        }
        if self.settings.demo {
            b.push(Binding::new(&[Key::Char('q')], Some("Quit demo"), Action::Quit));
        }
        b
    }

    /// Handles a key press.
    pub fn on_key(&mut self, key: Key) {
        if let Some(action) = keys::lookup(&self.bindings(), key) {
            self.on_action(action);
        }
    }

    pub fn on_action(&mut self, action: Action) {
        match action {
            Action::ScrollUp => self.scroll_by(-1),
            Action::ScrollDown => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-10),
            Action::PageDown => self.scroll_by(10),
            Action::Home => self.scroll = 0,
            Action::End => self.scroll = usize::MAX,
            Action::NextTable => {
                self.lower = match self.lower {
                    LowerTable::Vms => LowerTable::Block,
                    LowerTable::Block => LowerTable::Iscsi,
                    LowerTable::Iscsi => LowerTable::Vms,
                };
                self.scroll = 0;
            }
            Action::Quit => {
                if self.settings.demo {
                    self.quit = true;
                }
            }
            Action::SystemConfiguration | Action::Power | Action::Open => {}
        }
        self.clamp_scroll();
        self.dirty = true;
    }

    fn lower_len(&self) -> usize {
        if !self.has_lower_table() {
            return self.nics.value.as_ref().map_or(0, |n| n.nics.len());
        }
        match self.lower {
            LowerTable::Vms => self.vms.value.as_ref().map_or(0, |v| v.list.len()),
            LowerTable::Block => self.block.value.as_ref().map_or(0, |v| v.len()),
            LowerTable::Iscsi => self.iscsi.value.as_ref().map_or(0, |v| v.len()),
        }
    }

    fn scroll_by(&mut self, delta: isize) {
        self.scroll = self.scroll.saturating_add_signed(delta);
    }

    /// Keeps the scroll offset inside the table (the renderer further
    /// limits it to what fits on screen).
    fn clamp_scroll(&mut self) {
        let n = self.lower_len();
        self.scroll = self.scroll.min(n.saturating_sub(1));
    }
}

fn push_history(h: &mut VecDeque<u8>, v: u8) {
    if h.len() == HISTORY_LEN {
        h.pop_front();
    }
    h.push_back(v.min(100));
}
