//! A read-only, scrollable window of `label  value` rows (a device's every
//! field): long values wrap under their label, Up/Down and PgUp/PgDn
//! scroll when the rows do not fit (80x24), Enter or Esc closes.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

use super::{popup, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::format;
use crate::ui::theme::Theme;

/// One row; `warn` draws the value in the warning style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailRow {
    pub label: String,
    pub value: String,
    pub warn: bool,
}

impl DetailRow {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> DetailRow {
        DetailRow {
            label: label.into(),
            value: value.into(),
            warn: false,
        }
    }
    pub fn warn(label: impl Into<String>, value: impl Into<String>) -> DetailRow {
        DetailRow {
            warn: true,
            ..DetailRow::new(label, value)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Details {
    pub title: String,
    pub rows: Vec<DetailRow>,
    /// First visible (wrapped) line; clamped when drawn.
    pub offset: usize,
}

const LABEL_W: usize = 12;
const MAX_W: usize = 96;

impl Details {
    pub fn new(title: impl Into<String>, rows: Vec<DetailRow>) -> Details {
        Details {
            title: title.into(),
            rows,
            offset: 0,
        }
    }

    /// `Accept` means "close".
    pub fn on_key(&mut self, key: Key) -> Handled {
        let max = self.rows.len() * 4;
        match key {
            Key::Enter | Key::Esc | Key::Char(' ') => return Handled::Accept,
            Key::Up | Key::Char('k') => self.offset = self.offset.saturating_sub(1),
            Key::Down | Key::Char('j') => self.offset = (self.offset + 1).min(max),
            Key::PageUp => self.offset = self.offset.saturating_sub(10),
            Key::PageDown => self.offset = (self.offset + 10).min(max),
            Key::Home => self.offset = 0,
            Key::End => self.offset = max,
            _ => {}
        }
        Handled::Stay
    }

    pub fn hints(&self) -> Vec<Hint> {
        vec![
            Hint::new(&[Key::Down, Key::Char('j')], "Scroll"),
            Hint::new(&[Key::Enter, Key::Esc], "Close"),
        ]
    }

    /// The rows wrapped to `width` columns: (label or blank, piece, warn).
    pub fn wrapped(&self, width: usize) -> Vec<(String, String, bool)> {
        let vw = width.saturating_sub(LABEL_W).max(8);
        let mut out = Vec::new();
        for r in &self.rows {
            for (i, piece) in wrap(&r.value, vw).into_iter().enumerate() {
                let label = if i == 0 {
                    r.label.clone()
                } else {
                    String::new()
                };
                out.push((label, piece, r.warn));
            }
        }
        out
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let longest = self
            .rows
            .iter()
            .map(|r| LABEL_W + r.value.chars().count())
            .max()
            .unwrap_or(0)
            .max(self.title.chars().count() + 4)
            .clamp(30, MAX_W);
        let w = (longest as u16 + 4)
            .min(area.width.saturating_sub(2))
            .max(10.min(area.width));
        let inner_w = w.saturating_sub(4) as usize;
        let lines = self.wrapped(inner_w);
        let room = area.height.saturating_sub(2) as usize;
        let h = (lines.len().min(room) + 2) as u16;
        let off = self.offset.min(lines.len().saturating_sub(room));
        let mut title = self.title.clone();
        if lines.len() > room && room > 0 {
            title = format!(
                "{title} [{}-{} of {}]",
                off + 1,
                (off + room).min(lines.len()),
                lines.len()
            );
        }
        let r = popup::centered(area, w, h.min(area.height));
        let block = theme.panel(format!(" {title} "));
        let inner = block.inner(r);
        let inner = Rect {
            x: inner.x + 1,
            width: inner.width.saturating_sub(2),
            ..inner
        };
        let body: Vec<Line> = lines
            .into_iter()
            .skip(off)
            .take(room)
            .map(|(label, piece, warn)| {
                let style = if warn { theme.warn() } else { theme.value() };
                Line::from(vec![
                    Span::styled(format::pad(&label, LABEL_W), theme.label()),
                    Span::styled(piece, style),
                ])
            })
            .collect();
        f.render_widget(Clear, r);
        f.render_widget(block, r);
        f.render_widget(Paragraph::new(body), inner);
    }
}

/// Cuts `s` into pieces of at most `width` columns (at spaces when one is
/// near, else anywhere: by-path names have none).
pub fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width && !cur.is_empty() {
            // Break at the last space of the piece when it is not too far back.
            match cur.rfind(' ') {
                Some(i) if i > 0 && cur.len() - i < width / 3 + 1 => {
                    let rest = cur[i + 1..].to_string();
                    cur.truncate(i);
                    out.push(std::mem::take(&mut cur));
                    cur = rest;
                    w = cur.chars().map(|c| c.width().unwrap_or(0)).sum();
                }
                _ => {
                    out.push(std::mem::take(&mut cur));
                    w = 0;
                }
            }
        }
        cur.push(c);
        w += cw;
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_within_width() {
        for s in [
            "",
            "short",
            "ip-192.0.2.10:3260-iscsi-iqn.2003-01.org.linux-iscsi.stor1:shared-lun-0",
            "sdb1 is mounted on /srv/a very long mount point name with spaces",
            "日本語のディスク名前がとても長い",
        ] {
            for w in [1usize, 5, 8, 20, 40] {
                let pieces = wrap(s, w);
                assert!(!pieces.is_empty());
                for p in &pieces {
                    let pw: usize = p.chars().map(|c| c.width().unwrap_or(0)).sum();
                    assert!(pw <= w.max(2), "{p:?} wider than {w}");
                }
                let joined: String = pieces.concat();
                assert_eq!(
                    joined.replace(' ', ""),
                    s.replace(' ', ""),
                    "nothing lost at width {w}"
                );
            }
        }
    }

    #[test]
    fn scroll_keys_and_close() {
        let mut d = Details::new("x", vec![DetailRow::new("a", "b"); 30]);
        assert_eq!(d.on_key(Key::Down), Handled::Stay);
        assert_eq!(d.offset, 1);
        d.on_key(Key::Up);
        d.on_key(Key::Up);
        assert_eq!(d.offset, 0);
        d.on_key(Key::End);
        assert_eq!(d.offset, 120);
        assert_eq!(d.on_key(Key::Esc), Handled::Accept);
        assert_eq!(d.on_key(Key::Enter), Handled::Accept);
    }
}
