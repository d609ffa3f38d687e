//! Storage nodes: the dm-multipath maps, one row per map and one per path
//! under it, a degraded map (a path not running, device-mapper failed it,
//! fewer paths than `storage.multipath_paths`) in the alarm style, and a
//! last row saying what is not known (policy, path-group states) when no
//! source for them was read. `degraded_banner` is the warning the main
//! screen shows whatever table is up.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::vms::visible_offset;
use super::{frame, title, value_or_status};
use crate::app::App;
use crate::kit::DetailRow;
use crate::probe::MultipathMap;
use crate::ui::format::{self, pad};
use crate::ui::theme::Theme;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Map(usize),
    Path(usize, usize),
    /// What is not known / the policy of the maps.
    Note(String),
}

/// The rows in display order (maps, their paths, then notes).
pub fn rows(maps: &[MultipathMap]) -> Vec<Row> {
    let mut out = Vec::new();
    for (i, m) in maps.iter().enumerate() {
        out.push(Row::Map(i));
        out.extend((0..m.paths.len()).map(|j| Row::Path(i, j)));
    }
    let mut unknown = None;
    for m in maps {
        match &m.policy {
            Ok(p) => out.push(Row::Note(format!("{}: {p}", m.name))),
            Err(e) => unknown = Some(e.clone()),
        }
    }
    if let Some(e) = unknown {
        out.push(Row::Note(e));
    }
    out
}

/// How many rows `rows` gives (the scroll range).
pub fn row_count(maps: &[MultipathMap]) -> usize {
    rows(maps).len()
}

pub fn render(f: &mut Frame, area: Rect, app: &App, tabs: &str) {
    let theme = &app.settings.theme;
    let mut t = title("MULTIPATH", &app.multipath, app.now);
    let visible = area.height.saturating_sub(3) as usize;
    let all = app.multipath.value.as_deref().map(rows).unwrap_or_default();
    let off = visible_offset(app.scroll, all.len(), visible);
    if let Some(maps) = &app.multipath.value {
        let bad = maps.iter().filter(|m| !m.degraded().is_empty()).count();
        let noun = if maps.len() == 1 { "map" } else { "maps" };
        t = format!(
            "{t}{} {noun}{} ",
            maps.len(),
            if bad > 0 {
                format!(", {bad} DEGRADED")
            } else {
                String::new()
            }
        );
    }
    if all.len() > visible && visible > 0 {
        t = format!(
            "{t}[{}-{} of {}] ",
            off + 1,
            (off + visible).min(all.len()),
            all.len()
        );
    }
    let inner = frame(f, area, theme.panel(format!("{tabs}{t}")));
    let Some(maps) = value_or_status(f, inner, &app.multipath, theme) else {
        return;
    };
    let width = inner.width as usize;
    let mut lines = vec![Line::styled(
        format::fit(
            &format!(
                "{}{}{}{}{}WWID / PATH STATE",
                pad("MAP", 12),
                pad("DM", 7),
                pad("SIZE", 8),
                pad("PATHS", 7),
                pad("STATE", 10)
            ),
            width,
        ),
        theme.dim(),
    )];
    for r in all.iter().skip(off).take(visible) {
        lines.push(match r {
            Row::Map(i) => map_line(&maps[*i], width, theme),
            Row::Path(i, j) => path_line(&maps[*i], *j, width, theme),
            Row::Note(n) => Line::styled(format::fit(n, width), theme.dim()),
        });
    }
    if maps.is_empty() {
        lines.push(Line::styled(
            "no multipath maps (no dm device with an mpath- uuid)",
            theme.dim(),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn map_line<'a>(m: &MultipathMap, width: usize, theme: &Theme) -> Line<'a> {
    let degraded = m.degraded();
    let (state, style) = if !degraded.is_empty() {
        ("DEGRADED", theme.bad())
    } else if m.suspended {
        ("suspended", theme.warn())
    } else {
        ("ok", theme.good())
    };
    let paths = format!(
        "{}/{}",
        m.healthy_paths(),
        m.paths.len().max(m.expected_paths)
    );
    let head = format!(
        "{}{}{}{}",
        pad(&m.name, 12),
        pad(&m.dm, 7),
        pad(&format::bytes(m.size_bytes), 8),
        pad(&paths, 7)
    );
    let rest = if degraded.is_empty() {
        m.wwid.clone()
    } else {
        format!("{} ({})", m.wwid, degraded.join(", "))
    };
    let used = head.chars().count() + 10;
    Line::from(vec![
        Span::raw(format::fit(&head, width)),
        Span::styled(
            format::fit(&pad(state, 10), width.saturating_sub(head.chars().count())),
            style,
        ),
        Span::raw(format::fit(&rest, width.saturating_sub(used))),
    ])
}

fn path_line<'a>(m: &MultipathMap, j: usize, width: usize, theme: &Theme) -> Line<'a> {
    let p = &m.paths[j];
    let branch = if j + 1 == m.paths.len() {
        " `- "
    } else {
        " |- "
    };
    let state = p.state_text();
    let head = format!(
        "{branch}{}{}{}",
        pad(&p.name, 8),
        pad(&p.devno, 7),
        pad(&p.hctl, 15)
    );
    let style = if p.healthy() {
        theme.good()
    } else {
        theme.bad()
    };
    Line::from(vec![
        Span::raw(format::fit(&head, width)),
        Span::styled(
            format::fit(&state, width.saturating_sub(head.chars().count())),
            style,
        ),
    ])
}

/// The main screen's warning when a map is degraded (`None` when all are
/// healthy or nothing is known), e.g. ` ! MULTIPATH mpatha DEGRADED `.
pub fn degraded_banner(app: &App) -> Option<String> {
    let maps = app.multipath.value.as_ref()?;
    let bad: Vec<&str> = maps
        .iter()
        .filter(|m| !m.degraded().is_empty())
        .map(|m| m.name.as_str())
        .collect();
    match bad.as_slice() {
        [] => None,
        [one] => Some(format!(" ! MULTIPATH {one} DEGRADED ")),
        many => Some(format!(" ! {} MULTIPATH MAPS DEGRADED ", many.len())),
    }
}

/// The rows a block device's details window adds for its multipath map:
/// name, state (why degraded), each path, the policy or why it is not known.
pub fn detail_rows(m: &MultipathMap) -> Vec<DetailRow> {
    let degraded = m.degraded();
    let mut rows = vec![DetailRow::new(
        "Map",
        format!("/dev/mapper/{} ({})", m.name, m.dm),
    )];
    rows.push(if degraded.is_empty() {
        DetailRow::new("Map state", format!("ok, {} paths", m.paths.len()))
    } else {
        DetailRow::warn("Map state", format!("DEGRADED: {}", degraded.join(", ")))
    });
    for (i, p) in m.paths.iter().enumerate() {
        let state = p.state_text();
        let text = format!("{} {} {} {state}", p.name, p.devno, p.hctl);
        let label = if i == 0 { "Paths" } else { "" };
        rows.push(if p.healthy() {
            DetailRow::new(label, text)
        } else {
            DetailRow::warn(label, text)
        });
    }
    rows.push(match &m.policy {
        Ok(p) => DetailRow::new("Policy", p.clone()),
        Err(e) => DetailRow::new("Policy", e.clone()),
    });
    rows
}
