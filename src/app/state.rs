//! The application state: what every panel knows, which screen is up, and
//! the pure transitions on it. Nothing here does I/O; the event loop in
//! [`super::run`] feeds it updates and key presses and draws it.

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use super::action::Action;
use super::effect::{Effect, GatePurpose};
use super::feed::Feed;
use super::keys::{self, Binding, Key};
pub use super::lower::LowerTable;
use super::update::{Update, UpdateData};
use super::window::Window;
use crate::config::Role;
use crate::engine::Availability;
use crate::engine::{HostSummary, NodeStatus, VmReport};
use crate::ops::backoff::Backoff;
use crate::probe::{
    BlockDevice, CpuInfo, DiskEntry, FcHost, IscsiSession, MemInfo, MultipathMap, NicInfo, TimeInfo,
};

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
    /// The terminal the console runs on, for the audit log.
    pub tty: String,
    /// System Configuration locks after this long without a key.
    pub idle_timeout: Duration,
    /// The role's menu (from the feature registry) with each item's
    /// availability.
    pub menu: Vec<crate::features::MenuRow>,
    /// Availability of the four Change Passwords actions, in order.
    pub password_actions: [Availability; 4],
    /// Lines of the Terminal Info window.
    pub terminal_info: Vec<String>,
    /// Collect Logs gathers the whole cluster's logs through the engine
    /// (management node whose engine can), else this node's.
    pub cluster_logs: bool,
    /// Pre-filled target of Test Network.
    pub ping_target: String,
    /// Seconds to keep a guarded network change.
    pub rollback_s: u64,
    /// TIME INFO warns when the clock is further than this from its
    /// reference.
    pub max_clock_offset_s: f64,
    /// The resolver configuration of Test Network → DNS lookup.
    pub resolv_conf: std::path::PathBuf,
}

impl Settings {
    /// Terminal Info text for the configured terminals.
    pub fn terminal_info_lines(t: &crate::config::TerminalsConfig) -> Vec<String> {
        let n = |tty: &str| tty.trim_start_matches("tty").to_string();
        vec![
            format!(
                "Ctrl+Alt+F{}  reserved root shell (login prompt on {})",
                n(&t.shell),
                t.shell
            ),
            format!(
                "Ctrl+Alt+F{}  cloud CLI ({} on {})",
                n(&t.cli),
                t.cli_command,
                t.cli
            ),
            format!(
                "Ctrl+Alt+F{}  back to this console ({})",
                n(&t.console),
                t.console
            ),
            String::new(),
            "On a serial line or an IPMI console without these keys, log in".into(),
            "on the reserved terminal through the BMC's virtual keyboard.".into(),
        ]
    }
}

/// Which full screen is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Main,
    /// The System Configuration menu (authenticated).
    SysConfig,
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
    /// Clock discipline and offset against the reference (TIME INFO).
    pub clock: Feed<crate::probe::clock::ClockInfo>,
    pub disks: Feed<Vec<DiskEntry>>,
    pub nics: Feed<NicInfo>,
    pub cpu: Feed<CpuInfo>,
    pub mem: Feed<MemInfo>,
    pub block: Feed<Vec<BlockDevice>>,
    pub iscsi: Feed<Vec<IscsiSession>>,
    pub multipath: Feed<Vec<MultipathMap>>,
    pub fc: Feed<Vec<FcHost>>,
    pub node: Feed<NodeStatus>,
    pub hosts: Feed<HostSummary>,
    pub vms: Feed<VmReport>,
    pub cpu_history: VecDeque<u8>,
    pub mem_history: VecDeque<u8>,
    /// First visible row of the lower table.
    pub scroll: usize,
    pub lower: LowerTable,
    pub screen: Screen,
    /// The modal window, if any.
    pub window: Option<Window>,
    /// Selected menu row.
    pub menu_cursor: usize,
    /// The root session; `None` when locked.
    pub session: Option<super::session::RootSession>,
    /// Monotonic clock of the last tick or key (injected).
    pub mono_now: Instant,
    /// When the operator last pressed a key.
    pub last_input: Instant,
    /// Brute-force delay of the password gate.
    pub backoff: Backoff,
    /// Side effects waiting for the executor.
    pub effects: Vec<Effect>,
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
}

impl App {
    pub fn new(settings: Settings, now: SystemTime) -> App {
        App::new_at(settings, now, Instant::now())
    }

    /// Like `new` with the monotonic clock injected (tests).
    pub fn new_at(settings: Settings, now: SystemTime, mono: Instant) -> App {
        App {
            settings,
            now,
            utc_offset_s: 0,
            time: Feed::default(),
            clock: Feed::default(),
            disks: Feed::default(),
            nics: Feed::default(),
            cpu: Feed::default(),
            mem: Feed::default(),
            block: Feed::default(),
            iscsi: Feed::default(),
            multipath: Feed::default(),
            fc: Feed::default(),
            node: Feed::default(),
            hosts: Feed::default(),
            vms: Feed::default(),
            cpu_history: VecDeque::with_capacity(HISTORY_LEN),
            mem_history: VecDeque::with_capacity(HISTORY_LEN),
            scroll: 0,
            lower: LowerTable::Vms,
            screen: Screen::Main,
            window: None,
            menu_cursor: 0,
            session: None,
            mono_now: mono,
            last_input: mono,
            backoff: Backoff::default(),
            effects: Vec::new(),
            quit: false,
            dirty: true,
        }
    }

    /// Applies a collector snapshot.
    pub fn apply(&mut self, u: Update) {
        let at = u.at;
        let changed = match u.data {
            UpdateData::Time(r) => self.time.apply(r, at),
            UpdateData::Clock(r) => self.clock.apply(r, at),
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
            UpdateData::Block(r) => {
                let c = self.block.apply(r, at);
                self.clamp_scroll();
                c
            }
            UpdateData::Iscsi(r) => self.iscsi.apply(r, at),
            UpdateData::Multipath(r) => {
                let c = self.multipath.apply(r, at);
                self.clamp_scroll();
                c
            }
            UpdateData::Fc(r) => self.fc.apply(r, at),
            UpdateData::Node(r) => self.node.apply(r, at),
            UpdateData::Hosts(r) => self.hosts.apply(r, at),
            UpdateData::Vms(r) => {
                let c = self.vms.apply(r, at);
                self.clamp_scroll();
                c
            }
            UpdateData::Auth { purpose, result } => {
                self.on_auth_result(purpose, result);
                true
            }
            UpdateData::Job(ev) => {
                self.on_job_progress(ev);
                true
            }
            UpdateData::TaskDone(r) => {
                self.on_task_done(r);
                true
            }
            UpdateData::ConfirmKeep { seconds, lines } => {
                self.on_confirm_keep(seconds, lines);
                true
            }
            UpdateData::KeepOutcome(r) => {
                self.on_keep_outcome(r);
                true
            }
        };
        self.dirty |= changed;
    }

    /// The clock ticked: the time panel changes every second; the session
    /// may time out; a gate countdown moves.
    pub fn tick(&mut self, now: SystemTime, utc_offset_s: i32, mono: Instant) {
        if now != self.now || utc_offset_s != self.utc_offset_s {
            self.now = now;
            self.utc_offset_s = utc_offset_s;
            self.dirty = true;
        }
        self.mono_now = mono;
        self.check_idle();
    }

    /// The menu row of feature `id` on this node, if it has that feature.
    pub fn menu_row(&self, id: crate::features::FeatureId) -> Option<usize> {
        self.settings.menu.iter().position(|r| r.id() == id)
    }

    /// Takes the queued side effects.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Whether this role shows the per-node lower table.
    pub fn has_lower_table(&self) -> bool {
        self.settings.role != Role::Management
    }

    /// The key bindings of the active screen (drive both input and footer).
    pub fn bindings(&self) -> Vec<Binding> {
        if self.screen == Screen::SysConfig {
            return vec![
                Binding::new(&[Key::Up, Key::Char('k')], None, Action::ScrollUp),
                Binding::new(
                    &[Key::Down, Key::Char('j')],
                    Some("Move"),
                    Action::ScrollDown,
                ),
                Binding::new(&[Key::Home], None, Action::Home),
                Binding::new(&[Key::End], None, Action::End),
                Binding::new(&[Key::Enter], Some("Open"), Action::Open),
                Binding::new(
                    &[Key::F(2), Key::Char('c')],
                    Some("Back to main screen"),
                    Action::SystemConfiguration,
                ),
            ];
        }
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
            if self.lower == LowerTable::Block && self.lower_len() > 0 {
                // Before Scroll, so that 80 columns still show it.
                b.insert(
                    2,
                    Binding::new(&[Key::Enter], Some("Details"), Action::Open),
                );
            }
        }
        if self.settings.demo {
            b.push(Binding::new(
                &[Key::Char('q')],
                Some("Quit demo"),
                Action::Quit,
            ));
        }
        b
    }

    /// The footer hints: the open window's, else the screen's bindings.
    pub fn hints(&self) -> Vec<crate::kit::Hint> {
        match &self.window {
            Some(w) => w.hints(self.mono_now),
            None => keys::hints(&self.bindings()),
        }
    }

    /// Handles a key press: the window first, then the screen's bindings.
    pub fn on_key(&mut self, key: Key) {
        self.last_input = self.mono_now;
        if self.window.is_some() {
            self.on_window_key(key);
            return;
        }
        if let Some(action) = keys::lookup(&self.bindings(), key) {
            self.on_action(action);
        }
    }

    /// Like `on_key`, with the monotonic time of the key press (tests).
    pub fn on_key_at(&mut self, key: Key, mono: Instant) {
        self.mono_now = mono;
        self.on_key(key);
    }

    pub fn on_action(&mut self, action: Action) {
        if self.screen == Screen::SysConfig {
            self.on_menu_action(action);
            return;
        }
        match action {
            Action::ScrollUp => self.scroll_by(-1),
            Action::ScrollDown => self.scroll_by(1),
            Action::PageUp => self.scroll_by(-10),
            Action::PageDown => self.scroll_by(10),
            Action::Home => self.scroll = 0,
            Action::End => self.scroll = usize::MAX,
            Action::NextTable => {
                self.lower = self.lower.next();
                self.scroll = 0;
            }
            Action::Quit => {
                if self.settings.demo {
                    self.quit = true;
                }
            }
            Action::SystemConfiguration => self.open_gate(GatePurpose::SystemConfiguration),
            Action::Power => self.open_gate(GatePurpose::Power),
            Action::Open => self.open_block_details(),
        }
        self.clamp_scroll();
        self.dirty = true;
    }

    fn on_menu_action(&mut self, action: Action) {
        let n = self.settings.menu.len().max(1);
        match action {
            Action::ScrollUp => self.menu_cursor = (self.menu_cursor + n - 1) % n,
            Action::ScrollDown => self.menu_cursor = (self.menu_cursor + 1) % n,
            Action::Home => self.menu_cursor = 0,
            Action::End => self.menu_cursor = n - 1,
            Action::Open => {
                if let Some(row) = self.settings.menu.get(self.menu_cursor) {
                    let id = row.id();
                    self.open_feature(id);
                }
            }
            Action::SystemConfiguration => self.end_session("left System Configuration"),
            _ => {}
        }
        self.dirty = true;
    }
}

fn push_history(h: &mut VecDeque<u8>, v: u8) {
    if h.len() == HISTORY_LEN {
        h.pop_front();
    }
    h.push_back(v.min(100));
}
