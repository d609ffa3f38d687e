//! Render helpers for snapshot tests: draw an `App` into a `TestBackend`
//! and turn the buffer into text, plus a colour layer so colour snapshots
//! show which cells are coloured how.
#![allow(dead_code)]

use nodeconsole::app::App;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;

pub fn draw(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| nodeconsole::ui::render(f, app)).unwrap();
    t.backend().buffer().clone()
}

pub fn text(b: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..b.area.height {
        let mut line = String::new();
        for x in 0..b.area.width {
            line.push_str(b[(x, y)].symbol());
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

fn code(c: Color) -> char {
    match c {
        Color::Reset => '.',
        Color::Black => 'k',
        Color::Red => 'r',
        Color::Green => 'g',
        Color::Yellow => 'y',
        Color::Blue => 'b',
        Color::Magenta => 'm',
        Color::Cyan => 'c',
        Color::Gray => 'w',
        Color::DarkGray => 'K',
        Color::LightRed => 'R',
        Color::LightGreen => 'G',
        Color::LightYellow => 'Y',
        Color::LightBlue => 'B',
        Color::LightMagenta => 'M',
        Color::LightCyan => 'C',
        Color::White => 'W',
        other => panic!("colour outside the 16 ANSI colours: {other:?}"),
    }
}

/// One character per cell: the foreground colour code, upper-case... no:
/// foreground code, and `*` where the cell is bold, `!` where reversed.
pub fn colours(b: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            let c = &b[(x, y)];
            let ch = if c.modifier.contains(Modifier::REVERSED) {
                '!'
            } else if c.bg != Color::Reset {
                code(c.bg).to_ascii_uppercase()
            } else {
                code(c.fg)
            };
            s.push(ch);
        }
        s.push('\n');
    }
    s
}

/// Asserts that only the 16 ANSI colours occur.
pub fn assert_ansi16(b: &Buffer) {
    for c in b.content() {
        code(c.fg);
        code(c.bg);
    }
}

/// Asserts that no colour at all occurs and every symbol is ASCII.
pub fn assert_mono_ascii(b: &Buffer) {
    for c in b.content() {
        assert_eq!(c.fg, Color::Reset, "colour in mono theme");
        assert_eq!(c.bg, Color::Reset, "colour in mono theme");
        assert!(c.symbol().is_ascii(), "non-ASCII symbol {:?}", c.symbol());
    }
}
