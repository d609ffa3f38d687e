//! Terminal input before it becomes a [`Key`](crate::app::keys::Key): the
//! VT100+ function keys of serial consoles, and when a line whose far end
//! may have just attached needs a full redraw.
//!
//! Server BIOS console redirection (and the terminals of most BMCs' SOL)
//! send F1 … F12 as `Esc 1` … `Esc 9`, `Esc 0`, `Esc !`, `Esc @` ("VT100+").
//! crossterm reads a pair that arrives together as Alt+digit; a pair split
//! across two reads (a slow line, SOL packets) comes as a lone Esc and then
//! the digit. So a lone Esc is held for [`ESC_WAIT`]: the mapped character
//! within that time makes it an F-key, anything else (or nothing) lets the
//! Esc through as itself. Plain Esc stays usable, [`ESC_WAIT`] later.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// How long a lone Esc waits for the second half of a VT100+ F-key.
pub const ESC_WAIT: Duration = Duration::from_millis(200);

/// The F-key a VT100+ `Esc <c>` stands for.
pub fn vt100_fkey(c: char) -> Option<u8> {
    match c {
        '1'..='9' => Some(c as u8 - b'0'),
        '0' => Some(10),
        '!' => Some(11),
        '@' => Some(12),
        _ => None,
    }
}

fn plain(ev: &KeyEvent) -> bool {
    (ev.modifiers - KeyModifiers::SHIFT).is_empty()
}

fn fkey(n: u8) -> KeyEvent {
    KeyEvent::new(KeyCode::F(n), KeyModifiers::NONE)
}

/// Decodes VT100+ function keys from crossterm's key events (pure: the
/// caller passes the time and arms a timer for [`EscKeys::deadline`]).
#[derive(Debug, Default)]
pub struct EscKeys {
    /// When a lone Esc arrived that may start a VT100+ F-key.
    pending: Option<Instant>,
}

impl EscKeys {
    /// The keys `ev` stands for, in order (none while an Esc is held).
    pub fn feed(&mut self, ev: KeyEvent, now: Instant) -> Vec<KeyEvent> {
        let mut out = Vec::new();
        if let Some(esc) = self.expire(now) {
            out.push(esc);
        }
        let held = self.pending.take().is_some();
        match ev.code {
            // Both halves in one read: crossterm says Alt+<c>.
            KeyCode::Char(c) if ev.modifiers.contains(KeyModifiers::ALT) => {
                if held {
                    out.push(KeyCode::Esc.into());
                }
                match vt100_fkey(c) {
                    Some(n) => out.push(fkey(n)),
                    None => out.push(ev),
                }
            }
            KeyCode::Char(c) if held && plain(&ev) && vt100_fkey(c).is_some() => {
                out.extend(vt100_fkey(c).map(fkey));
            }
            KeyCode::Esc if ev.modifiers.is_empty() => {
                if held {
                    out.push(KeyCode::Esc.into());
                }
                self.pending = Some(now);
            }
            _ => {
                if held {
                    out.push(KeyCode::Esc.into());
                }
                out.push(ev);
            }
        }
        out
    }

    /// When the held Esc is to be let through, if one is held.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.map(|t| t + ESC_WAIT)
    }

    /// The held Esc, once its wait is over.
    pub fn expire(&mut self, now: Instant) -> Option<KeyEvent> {
        match self.pending {
            Some(t) if now >= t + ESC_WAIT => {
                self.pending = None;
                Some(KeyCode::Esc.into())
            }
            _ => None,
        }
    }
}

/// Without a key, a line with no one on it looks the same as a line with
/// someone who just opened a session; so a serial line is redrawn in full
/// on the first key after a quiet spell, whenever the carrier comes up
/// (where the port has modem lines), and, if configured, every
/// `every`. Ctrl+L redraws in full on any terminal.
#[derive(Debug)]
pub struct Reattach {
    serial: bool,
    quiet: Duration,
    every: Option<Duration>,
    last_key: Option<Instant>,
    last_full: Instant,
    carrier: Option<bool>,
}

/// Silence after which a key on a serial line brings a full redraw.
pub const QUIET: Duration = Duration::from_secs(10);

impl Reattach {
    pub fn new(serial: bool, every: Option<Duration>, now: Instant) -> Reattach {
        Reattach {
            serial,
            quiet: QUIET,
            every: every.filter(|d| !d.is_zero()),
            last_key: None,
            last_full: now,
            carrier: None,
        }
    }

    /// Whether this key asks for a full redraw.
    pub fn on_key(&mut self, ev: &KeyEvent, now: Instant) -> bool {
        let ctrl_l = ev.code == KeyCode::Char('l') && ev.modifiers == KeyModifiers::CONTROL;
        let after_quiet = self.serial
            && self
                .last_key
                .is_none_or(|t| now.duration_since(t) >= self.quiet);
        self.last_key = Some(now);
        ctrl_l || after_quiet
    }

    /// Whether the clock's tick asks for a full redraw; `carrier` is the
    /// line's DCD where it has one.
    pub fn on_tick(&mut self, now: Instant, carrier: Option<bool>) -> bool {
        let rose = self.serial && carrier == Some(true) && self.carrier == Some(false);
        self.carrier = carrier;
        let due = self.serial
            && self
                .every
                .is_some_and(|e| now.duration_since(self.last_full) >= e);
        rose || due
    }

    /// Records that a full redraw was made.
    pub fn redrawn(&mut self, now: Instant) {
        self.last_full = now;
    }

    pub fn serial(&self) -> bool {
        self.serial
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }
    fn alt(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
    }
    fn esc() -> KeyEvent {
        KeyCode::Esc.into()
    }
    fn codes(v: &[KeyEvent]) -> Vec<KeyCode> {
        v.iter().map(|e| e.code).collect()
    }

    #[test]
    fn all_twelve_vt100_plus_keys() {
        let seq = "1234567890!@";
        for (i, c) in seq.chars().enumerate() {
            let n = i as u8 + 1;
            // Read together (Alt+c) and split across reads (Esc, then c).
            let t = Instant::now();
            let mut d = EscKeys::default();
            assert_eq!(codes(&d.feed(alt(c), t)), [KeyCode::F(n)], "{c}");
            assert!(d.feed(esc(), t).is_empty());
            assert_eq!(d.deadline(), Some(t + ESC_WAIT));
            let got = d.feed(ch(c), t + Duration::from_millis(50));
            assert_eq!(codes(&got), [KeyCode::F(n)], "{c}");
            assert_eq!(d.deadline(), None);
        }
    }

    #[test]
    fn a_lone_esc_is_an_esc_after_the_wait() {
        let t = Instant::now();
        let mut d = EscKeys::default();
        assert!(d.feed(esc(), t).is_empty());
        assert_eq!(d.expire(t + Duration::from_millis(10)), None);
        assert_eq!(d.expire(t + ESC_WAIT), Some(esc()));
        assert_eq!(d.expire(t + ESC_WAIT * 2), None, "only once");
        // A digit after the wait is a digit.
        assert!(d.feed(esc(), t).is_empty());
        let got = d.feed(ch('1'), t + ESC_WAIT + Duration::from_millis(1));
        assert_eq!(codes(&got), [KeyCode::Esc, KeyCode::Char('1')]);
    }

    #[test]
    fn other_keys_after_esc_pass_through_in_order() {
        let t = Instant::now();
        let mut d = EscKeys::default();
        d.feed(esc(), t);
        assert_eq!(
            codes(&d.feed(ch('c'), t)),
            [KeyCode::Esc, KeyCode::Char('c')]
        );
        d.feed(esc(), t);
        let up = KeyEvent::from(KeyCode::Up);
        assert_eq!(codes(&d.feed(up, t)), [KeyCode::Esc, KeyCode::Up]);
        // Esc Esc: the first is let through, the second held.
        d.feed(esc(), t);
        assert_eq!(codes(&d.feed(esc(), t)), [KeyCode::Esc]);
        assert!(d.deadline().is_some());
        // A held Esc then Alt+2 (Esc Esc 2 in one read).
        assert_eq!(codes(&d.feed(alt('2'), t)), [KeyCode::Esc, KeyCode::F(2)]);
        // Alt with an unmapped key stays what it was (and is not bindable).
        assert_eq!(d.feed(alt('x'), t), [alt('x')]);
        // Keys without an Esc are untouched.
        assert_eq!(d.feed(ch('1'), t), [ch('1')]);
        let f5 = KeyEvent::from(KeyCode::F(5));
        assert_eq!(d.feed(f5, t), [f5]);
    }

    #[test]
    fn serial_lines_redraw_on_the_first_key_after_a_quiet_spell() {
        let t = Instant::now();
        let mut r = Reattach::new(true, None, t);
        assert!(r.on_key(&ch('x'), t), "first key ever");
        assert!(!r.on_key(&ch('x'), t + Duration::from_secs(1)));
        assert!(r.on_key(&ch('x'), t + Duration::from_secs(1) + QUIET));
        let mut vt = Reattach::new(false, Some(Duration::from_secs(1)), t);
        assert!(!vt.on_key(&ch('x'), t), "a VT is never attached later");
        let ctrl_l = KeyEvent::new(KeyCode::Char('l'), KeyModifiers::CONTROL);
        assert!(vt.on_key(&ctrl_l, t), "Ctrl+L anywhere");
        assert!(!vt.on_tick(t + Duration::from_secs(9), Some(true)));
    }

    #[test]
    fn carrier_rise_and_period_redraw_serial_lines() {
        let t = Instant::now();
        let mut r = Reattach::new(true, None, t);
        assert!(!r.on_tick(t, None));
        assert!(!r.on_tick(t, Some(false)));
        assert!(r.on_tick(t, Some(true)), "carrier came up");
        assert!(!r.on_tick(t, Some(true)));
        let mut p = Reattach::new(true, Some(Duration::from_secs(30)), t);
        assert!(!p.on_tick(t + Duration::from_secs(29), None));
        assert!(p.on_tick(t + Duration::from_secs(30), None));
        p.redrawn(t + Duration::from_secs(30));
        assert!(!p.on_tick(t + Duration::from_secs(31), None));
        let z = Reattach::new(true, Some(Duration::ZERO), t);
        assert_eq!(z.every, None, "0 turns the period off");
    }
}
