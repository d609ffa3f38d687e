//! The System Configuration screen and the modal windows of the widget kit
//! (password gate, message, choice, typed phrase, Y/N, form, progress).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::format;
use super::panels::usage::gauge;
use super::theme::Theme;
use crate::app::effect::GatePurpose;
use crate::app::widgets::{Form, Tone};
use crate::app::window::Window;
use crate::app::App;
use crate::engine::Availability;

/// The System Configuration menu screen.
pub fn render_sysconfig(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let items = &app.settings.menu;
    let width = area.width.min(64);
    let height = (items.len() as u16 + 5).min(area.height);
    let r = centered(area, width, height);
    let block = theme.panel(" System Configuration ");
    let inner = block.inner(r);
    f.render_widget(Clear, r);
    f.render_widget(block, r);
    let mut lines = Vec::new();
    for (i, (item, avail)) in items.iter().enumerate() {
        let label = format!(" {:>2}. {}", i + 1, item.label(app.settings.engine_display));
        let mut style = match avail {
            Availability::Available => theme.value(),
            Availability::Unavailable(_) => theme.dim(),
        };
        if i == app.menu_cursor {
            style = theme.selected();
        }
        let suffix = match avail {
            Availability::Available => "",
            Availability::Unavailable(_) => " (unavailable)",
        };
        let text = format::pad(&format!("{label}{suffix}"), inner.width as usize);
        lines.push(Line::styled(text, style));
    }
    lines.push(Line::raw(""));
    if let Some((_, Availability::Unavailable(why))) = items.get(app.menu_cursor) {
        lines.push(Line::styled(
            format::fit(why, inner.width as usize),
            theme.dim(),
        ));
    } else {
        lines.push(Line::styled(
            "Enter opens the item; F2 or c returns to the main screen.",
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// A `w` x `h` rectangle centred in `area` (clipped to it).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Footer hints while a window is open.
pub fn hints(w: &Window) -> Vec<(&'static str, &'static str)> {
    match w {
        Window::Password { .. } => vec![("Enter", "Check"), ("Esc", "Cancel")],
        Window::Message(..) => vec![("Enter", "OK")],
        Window::Choice(..) => vec![("Up/Down", "Move"), ("Enter", "Select"), ("Esc", "Back")],
        Window::Phrase(..) => vec![("Enter", "Confirm"), ("Esc", "Cancel")],
        Window::Confirm(..) => vec![("Y", "Yes"), ("N", "No")],
        Window::Form(..) => vec![
            ("Tab", "Next field"),
            ("S-Tab", "Previous"),
            ("Enter", "Submit"),
            ("Esc", "Cancel"),
        ],
        Window::Progress(p, _) => {
            if p.cancellable && !p.cancel_requested {
                vec![("Esc", "Cancel")]
            } else {
                vec![]
            }
        }
        Window::Keep { .. } => vec![("Y", "Keep"), ("N", "Revert now")],
    }
}

fn popup<'a>(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    lines: Vec<Line<'a>>,
    min_w: u16,
) {
    let content_w = lines
        .iter()
        .map(|l| l.width() as u16)
        .max()
        .unwrap_or(0)
        .max(title.chars().count() as u16 + 4)
        .max(min_w);
    let w = (content_w + 4)
        .min(area.width.saturating_sub(2))
        .max(10.min(area.width));
    // Wrapped lines may need more rows than lines.
    let inner_w = w.saturating_sub(4).max(1) as usize;
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner_w))
        .sum();
    let h = (rows as u16 + 2).min(area.height);
    let r = centered(area, w, h);
    let block = theme.panel(format!(" {title} "));
    let inner = block.inner(r);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    f.render_widget(Clear, r);
    f.render_widget(block, r);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn tone_style(theme: &Theme, tone: Tone) -> ratatui::style::Style {
    match tone {
        Tone::Info => theme.value(),
        Tone::Success => theme.good(),
        Tone::Error => theme.bad(),
    }
}

/// Draws the open window over the screen.
pub fn render_window(f: &mut Frame, area: Rect, app: &App, w: &Window) {
    let theme = &app.settings.theme;
    match w {
        Window::Password {
            purpose,
            field,
            checking,
        } => {
            let what = match purpose {
                GatePurpose::SystemConfiguration => "System Configuration",
                GatePurpose::Power => "Reboot/Poweroff",
            };
            let mut lines = vec![
                Line::raw(format!("{what} needs the root password.")),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("Password: ", theme.label()),
                    Span::styled(format::pad(&field.display(), 24), theme.selected()),
                ]),
                Line::raw(""),
            ];
            if *checking {
                lines.push(Line::styled("Checking...", theme.warn()));
            } else if let Some(wait) = app.gate_wait() {
                lines.push(Line::styled(
                    format!(
                        "Too many failures: try again in {} s",
                        wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
                    ),
                    theme.bad(),
                ));
            } else {
                lines.push(Line::styled(
                    "Enter to continue, Esc to cancel",
                    theme.dim(),
                ));
            }
            popup(f, area, theme, "Authentication", lines, 40);
        }
        Window::Message(m, _) => {
            let mut lines: Vec<Line> = m
                .lines
                .iter()
                .map(|l| Line::styled(l.clone(), tone_style(theme, m.tone)))
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled("Press Enter to continue", theme.dim()));
            popup(f, area, theme, &m.title, lines, 30);
        }
        Window::Choice(c, _) => {
            let width = c
                .options
                .iter()
                .map(|(l, d)| l.chars().count() + if d.is_some() { 15 } else { 2 })
                .max()
                .unwrap_or(0)
                .max(40);
            let mut lines = Vec::new();
            for (i, (label, disabled)) in c.options.iter().enumerate() {
                let mut style = if disabled.is_some() {
                    theme.dim()
                } else {
                    theme.value()
                };
                if i == c.cursor {
                    style = theme.selected();
                }
                let suffix = if disabled.is_some() {
                    " (unavailable)"
                } else {
                    ""
                };
                lines.push(Line::styled(
                    format::pad(&format!(" {label}{suffix}"), width),
                    style,
                ));
            }
            if let Some(e) = &c.error {
                lines.push(Line::raw(""));
                lines.push(Line::styled(e.clone(), theme.warn()));
            }
            popup(f, area, theme, &c.title, lines, 40);
        }
        Window::Phrase(p, _) => {
            let mut lines: Vec<Line> = p
                .lines
                .iter()
                .map(|l| Line::styled(l.clone(), theme.warn()))
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::from(vec![
                Span::raw("Type "),
                Span::styled(p.phrase.clone(), theme.title()),
                Span::raw(" to confirm:"),
            ]));
            lines.push(Line::styled(format::pad(&p.input, 32), theme.selected()));
            if let Some(e) = &p.error {
                lines.push(Line::styled(e.clone(), theme.bad()));
            }
            popup(f, area, theme, &p.title, lines, 40);
        }
        Window::Confirm(c, _) => {
            let style = if c.warn { theme.warn() } else { theme.value() };
            let mut lines: Vec<Line> = c
                .lines
                .iter()
                .map(|l| Line::styled(l.clone(), style))
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled("[Y] Yes    [N] No", theme.title()));
            popup(f, area, theme, &c.title, lines, 30);
        }
        Window::Form(form, _) => popup(f, area, theme, &form.title, form_lines(form, theme), 50),
        Window::Keep { lines, deadline } => {
            let left = deadline.saturating_duration_since(app.mono_now).as_secs();
            let mut l: Vec<Line> = lines.iter().map(|s| Line::raw(s.clone())).collect();
            l.push(Line::raw(""));
            l.push(Line::styled(
                format!("Keep this configuration? It is reverted in {left} s."),
                theme.warn(),
            ));
            l.push(Line::styled("[Y] Keep    [N] Revert now", theme.title()));
            popup(f, area, theme, "Keep the change?", l, 50);
        }
        Window::Progress(p, _) => {
            let w = area.width.saturating_sub(6).min(74) as usize;
            let mut lines = vec![Line::styled(p.phase.clone(), theme.title())];
            if let Some(fr) = p.fraction {
                lines.push(gauge(
                    theme,
                    (fr.clamp(0.0, 1.0) * 100.0).round() as u8,
                    w,
                    String::new(),
                ));
            }
            let room = area.height.saturating_sub(8) as usize;
            let start = p.lines.len().saturating_sub(room.min(12));
            for l in &p.lines[start..] {
                lines.push(Line::styled(format::fit(l, w), theme.dim()));
            }
            if p.cancellable && !p.cancel_requested {
                lines.push(Line::styled("Esc cancels", theme.dim()));
            }
            popup(f, area, theme, &p.title, lines, w as u16);
        }
    }
}

fn form_lines<'a>(form: &Form, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    if let Some(n) = &form.note {
        lines.push(Line::styled(n.clone(), theme.warn()));
        lines.push(Line::raw(""));
    }
    let lw = form
        .fields
        .iter()
        .map(|f| f.label.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { ">" } else { " " };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{marker}{}", format::pad(&format!("{}:", field.label), lw)),
                theme.label(),
            ),
            Span::styled(
                format::pad(&field.display(), 28),
                if focused {
                    theme.selected()
                } else {
                    theme.value().patch(theme.dim())
                },
            ),
        ]));
        if let Some(e) = &field.error {
            lines.push(Line::styled(
                format!("{}! {e}", " ".repeat(lw + 1)),
                theme.bad(),
            ));
        }
    }
    if let Some(e) = &form.error {
        lines.push(Line::raw(""));
        lines.push(Line::styled(e.clone(), theme.bad()));
    }
    lines
}
