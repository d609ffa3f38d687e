//! Colours and border sets. Only the 16 ANSI colours are used (the Linux VT
//! maps 256-colour and RGB badly), and a monochrome + ASCII variant exists
//! for serial lines and vt100-class terminals, where box-drawing characters
//! and colour escape codes turn into garbage.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::widgets::{Block, Borders};

use crate::config::ThemeChoice;

/// The look of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Use colours (else only bold/reverse).
    pub color: bool,
    /// Use the ASCII border set and ASCII gauges.
    pub ascii: bool,
}

/// `+-+|` borders for terminals without line drawing.
pub const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Theme {
    pub const COLOR: Theme = Theme {
        color: true,
        ascii: false,
    };
    pub const MONO_ASCII: Theme = Theme {
        color: false,
        ascii: true,
    };

    /// Picks the theme from the configuration and the terminal.
    ///
    /// `auto` means: monochrome and ASCII for `TERM` = vt100, vt102, vt220,
    /// dumb (or unset: serial gettys often leave it so), monochrome when
    /// `NO_COLOR` is set, colour otherwise.
    pub fn resolve(choice: ThemeChoice, ascii: bool, term: Option<&str>, no_color: bool) -> Theme {
        let dumb = matches!(
            term.unwrap_or(""),
            "" | "dumb" | "vt100" | "vt102" | "vt220" | "vt52"
        );
        let color = match choice {
            ThemeChoice::Color => true,
            ThemeChoice::Mono => false,
            ThemeChoice::Auto => !dumb && !no_color,
        };
        let ascii = ascii || (choice == ThemeChoice::Auto && dumb);
        Theme { color, ascii }
    }

    pub fn border_set(&self) -> border::Set<'static> {
        if self.ascii {
            ASCII_BORDER
        } else {
            border::PLAIN
        }
    }

    /// A bordered panel with a title.
    pub fn panel<'a>(&self, title: impl Into<ratatui::text::Line<'a>>) -> Block<'a> {
        Block::default()
            .borders(Borders::ALL)
            .border_set(self.border_set())
            .border_style(self.border())
            .title(title.into().style(self.title()))
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn border(&self) -> Style {
        self.fg(Color::Blue)
    }
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn label(&self) -> Style {
        self.fg(Color::Gray)
    }
    pub fn value(&self) -> Style {
        Style::new()
    }
    pub fn good(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Green)
        } else {
            Style::new()
        }
    }
    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    /// Header and footer bars.
    pub fn bar(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Black).bg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    /// Key names in the footer.
    pub fn key(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Yellow)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    /// The selected row of a list or menu.
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    /// Filled and empty cells of a bar gauge.
    pub fn gauge_chars(&self) -> (&'static str, &'static str) {
        if self.ascii {
            ("#", ".")
        } else {
            ("█", "░")
        }
    }
    /// Colour for a usage percentage (green, yellow over 75, red over 90).
    pub fn level(&self, pct: u8) -> Style {
        match pct {
            0..=75 => self.good(),
            76..=90 => self.warn(),
            _ => self.bad(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_picks_mono_ascii_for_dumb_terminals() {
        for t in ["vt100", "vt220", "dumb"] {
            assert_eq!(
                Theme::resolve(ThemeChoice::Auto, false, Some(t), false),
                Theme::MONO_ASCII,
                "{t}"
            );
        }
        assert_eq!(
            Theme::resolve(ThemeChoice::Auto, false, Some("linux"), false),
            Theme::COLOR
        );
        assert!(!Theme::resolve(ThemeChoice::Auto, false, Some("xterm"), true).color);
        assert!(Theme::resolve(ThemeChoice::Color, true, Some("xterm"), false).ascii);
        assert!(!Theme::resolve(ThemeChoice::Mono, false, Some("xterm"), false).color);
    }
}
