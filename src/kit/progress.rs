//! A long job's window: phase, an optional gauge, the latest output lines,
//! and Esc to stop where stopping is safe.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::Frame;

use super::{popup, Handled, Hint};
use crate::app::keys::Key;
use crate::ui::format;
use crate::ui::panels::usage::gauge;
use crate::ui::theme::Theme;

#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub title: String,
    pub phase: String,
    /// The most recent output lines.
    pub lines: Vec<String>,
    pub fraction: Option<f64>,
    /// Esc asks the job to stop (only where stopping is safe).
    pub cancellable: bool,
    pub cancel_requested: bool,
}

impl Progress {
    /// Lines kept for display.
    pub const KEEP: usize = 200;

    pub fn new(title: impl Into<String>, phase: impl Into<String>) -> Progress {
        Progress {
            title: title.into(),
            phase: phase.into(),
            ..Default::default()
        }
    }

    pub fn push_line(&mut self, l: &str) {
        if self.lines.len() == Self::KEEP {
            self.lines.remove(0);
        }
        self.lines.push(l.to_owned());
    }

    fn can_cancel(&self) -> bool {
        self.cancellable && !self.cancel_requested
    }

    /// `Cancel`: the operator asked the job to stop (once); the window
    /// stays until the job ends.
    pub fn on_key(&mut self, key: Key) -> Handled {
        if key == Key::Esc && self.can_cancel() {
            self.cancel_requested = true;
            self.phase = format!("{} (cancelling...)", self.phase);
            return Handled::Cancel;
        }
        Handled::Stay
    }

    pub fn hints(&self) -> Vec<Hint> {
        if self.can_cancel() {
            vec![Hint::new(&[Key::Esc], "Cancel")]
        } else {
            vec![]
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let w = area.width.saturating_sub(6).min(74) as usize;
        let mut lines = vec![Line::styled(self.phase.clone(), theme.title())];
        if let Some(fr) = self.fraction {
            lines.push(gauge(
                theme,
                (fr.clamp(0.0, 1.0) * 100.0).round() as u8,
                w,
                String::new(),
            ));
        }
        let room = area.height.saturating_sub(8) as usize;
        let start = self.lines.len().saturating_sub(room.min(12));
        for l in &self.lines[start..] {
            lines.push(Line::styled(format::fit(l, w), theme.dim()));
        }
        if self.can_cancel() {
            lines.push(Line::styled("Esc cancels", theme.dim()));
        }
        popup::popup(f, area, theme, &self.title, lines, w as u16);
    }
}
