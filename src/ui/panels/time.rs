//! TIME INFO: boot time, now, uptime, load average, and the clock check
//! (offset against the reference, or whether a daemon keeps it synced).

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{first_line_then_status, frame, kv, title};
use crate::app::App;
use crate::ui::format;

pub fn render(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.settings.theme;
    let block = theme.panel(title("TIME INFO", &app.time, app.now));
    let inner = frame(f, area, block);
    let w = 8;
    let now = kv(
        theme,
        "Now",
        w,
        vec![
            Span::raw(format::datetime(app.now, app.utc_offset_s)),
            Span::styled(format!(" {}", format::zone(app.utc_offset_s)), theme.dim()),
        ],
    );
    let Some(t) = &app.time.value else {
        first_line_then_status(f, inner, now, &app.time, theme);
        return;
    };
    let boot = kv(
        theme,
        "Boot",
        w,
        vec![Span::raw(format::datetime(t.boot, app.utc_offset_s))],
    );
    let mut lines = vec![
        now,
        kv(
            theme,
            "Uptime",
            w,
            vec![Span::raw(format::uptime(t.uptime))],
        ),
        kv(
            theme,
            "Load",
            w,
            vec![Span::raw(format!(
                "{:.2}  {:.2}  {:.2}",
                t.load[0], t.load[1], t.load[2]
            ))],
        ),
    ];
    if let Some(clock) = clock_line(app) {
        lines.push(kv(theme, "Clock", w, clock));
    }
    if (inner.height as usize) > lines.len() {
        lines.insert(0, boot);
    } else {
        // Short panel (a node's 80x24): the boot time rides on the uptime
        // row as month-day hour:minute, so every fact stays on screen.
        let full = format::datetime(t.boot, app.utc_offset_s);
        let short = full.get(5..16).unwrap_or(&full).to_string();
        lines[1] = kv(
            theme,
            "Uptime",
            w,
            vec![
                Span::raw(format::uptime(t.uptime)),
                Span::styled(format!(" boot {short}"), theme.dim()),
            ],
        );
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// The clock check: the offset against the reference (a warning beyond
/// `time.max_offset_s`), the reason it could not be measured, or, with no
/// reference, whether the kernel clock is disciplined at all.
fn clock_line(app: &App) -> Option<Vec<Span<'static>>> {
    use crate::probe::clock::{format_offset, KernelSync};
    let theme = &app.settings.theme;
    let feed = &app.clock;
    let Some(c) = &feed.value else {
        return feed
            .error
            .as_ref()
            .map(|e| vec![Span::styled(format!("unavailable: {e}"), theme.warn())]);
    };
    let line = match (&c.reference, &c.sample) {
        (Some(r), Some(Ok(s))) => {
            let style = if s.offset_s.abs() > app.settings.max_clock_offset_s {
                theme.bad()
            } else {
                theme.good()
            };
            vec![
                Span::styled(format_offset(s.offset_s), style),
                Span::styled(format!(" vs {r}"), theme.dim()),
            ]
        }
        (Some(r), Some(Err(e))) => vec![Span::styled(format!("{r}: {e}"), theme.warn())],
        _ => match &c.kernel {
            KernelSync::Synced { .. } => vec![Span::styled("NTP-synced", theme.good())],
            KernelSync::Unsynced => vec![Span::styled("not NTP-synced", theme.warn())],
            KernelSync::Unknown(e) => vec![Span::styled(format!("unknown: {e}"), theme.warn())],
        },
    };
    Some(line)
}
