//! The ratatui backend the console draws through: crossterm's, except that
//! it never asks the terminal anything and writes nothing it need not.
//!
//! ratatui's `Terminal::clear` (at start and on every resize) asks the
//! backend for the cursor position, which crossterm answers by sending
//! `ESC [6n` and waiting for the reply; on a serial line with nobody on
//! the far end that is a fatal "cursor position could not be read" and a
//! crash loop. This backend answers from where it last put the cursor. It
//! also reports a fixed fallback size while the TTY says 0x0, and skips the
//! colour resets and cursor hides a frame without changes would write
//! anyway, so a console at rest writes only what changed (a serial line
//! at 115200 baud, or a BMC, pays for every byte).

use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

/// Crossterm's backend without terminal queries.
pub struct ConsoleBackend<W: Write> {
    inner: CrosstermBackend<W>,
    cursor: Position,
    /// Whether the terminal's cursor is hidden (`None`: not known yet).
    hidden: Option<bool>,
    fallback: Size,
}

impl<W: Write> ConsoleBackend<W> {
    /// `fallback` is the size used while the TTY reports none.
    pub fn new(writer: W, (cols, rows): (u16, u16)) -> ConsoleBackend<W> {
        ConsoleBackend {
            inner: CrosstermBackend::new(writer),
            cursor: Position::ORIGIN,
            hidden: None,
            fallback: Size::new(cols, rows),
        }
    }
}

impl<W: Write> Backend for ConsoleBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        let mut last = None;
        self.inner
            .draw(content.inspect(|(x, y, _)| last = Some((*x, *y))))?;
        if let Some((x, y)) = last {
            // Where the terminal's cursor is after the last cell printed.
            self.cursor = Position::new(x.saturating_add(1), y);
        }
        Ok(())
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        if self.hidden != Some(true) {
            self.inner.hide_cursor()?;
            self.hidden = Some(true);
        }
        Ok(())
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        if self.hidden != Some(false) {
            self.inner.show_cursor()?;
            self.hidden = Some(false);
        }
        Ok(())
    }

    /// Answered from our own bookkeeping: the terminal is never asked.
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let p = position.into();
        self.inner.set_cursor_position(p)?;
        self.cursor = p;
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        match self.inner.size() {
            Ok(s) if s.width > 0 && s.height > 0 => Ok(s),
            _ => Ok(self.fallback),
        }
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        let columns_rows = self.size()?;
        Ok(match self.inner.window_size() {
            Ok(w) if w.columns_rows.width > 0 && w.columns_rows.height > 0 => w,
            _ => WindowSize {
                columns_rows,
                pixels: Size::new(0, 0),
            },
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::widgets::Paragraph;
    use ratatui::{Terminal, TerminalOptions, Viewport};

    use std::cell::RefCell;
    use std::rc::Rc;

    /// The bytes the backend wrote, readable while it holds the writer.
    #[derive(Clone, Default)]
    struct Out(Rc<RefCell<Vec<u8>>>);

    impl Write for Out {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Out {
        fn bytes(&self) -> Vec<u8> {
            self.0.borrow().clone()
        }
        fn len(&self) -> usize {
            self.0.borrow().len()
        }
    }

    fn term() -> (Terminal<ConsoleBackend<Out>>, Out) {
        // A fixed viewport: the test process may have no terminal at all.
        let area = ratatui::layout::Rect::new(0, 0, 20, 3);
        let out = Out::default();
        let t = Terminal::with_options(
            ConsoleBackend::new(out.clone(), (20, 3)),
            TerminalOptions {
                viewport: Viewport::Fixed(area),
            },
        )
        .unwrap();
        (t, out)
    }

    #[test]
    fn clear_asks_the_terminal_nothing() {
        let (mut t, out) = term();
        t.clear().unwrap();
        let out = out.bytes();
        assert!(
            !out.windows(4).any(|w| w == b"\x1b[6n"),
            "a cursor position query was written: {:?}",
            String::from_utf8_lossy(&out)
        );
    }

    #[test]
    fn an_unchanged_frame_writes_nothing() {
        let (mut t, out) = term();
        t.draw(|f| f.render_widget(Paragraph::new("12:00:00"), f.area()))
            .unwrap();
        let first = out.len();
        assert!(first > 8);
        t.draw(|f| f.render_widget(Paragraph::new("12:00:00"), f.area()))
            .unwrap();
        assert_eq!(out.len(), first, "no change, no bytes");
        t.draw(|f| f.render_widget(Paragraph::new("12:00:01"), f.area()))
            .unwrap();
        let third = out.len() - first;
        assert!(third < 40, "one changed cell cost {third} bytes");
    }

    #[test]
    fn cursor_is_tracked_and_a_zero_size_falls_back() {
        let mut b = ConsoleBackend::new(Vec::new(), (80, 24));
        b.set_cursor_position((5, 7)).unwrap();
        assert_eq!(b.get_cursor_position().unwrap(), Position::new(5, 7));
        let cell = Cell::new("x");
        b.draw([(3u16, 2u16, &cell)].into_iter()).unwrap();
        assert_eq!(b.get_cursor_position().unwrap(), Position::new(4, 2));
        // The test process's own terminal may be anything; a size is
        // always there and never 0x0.
        let s = b.size().unwrap();
        assert!(s.width > 0 && s.height > 0);
    }
}
