//! Storage nodes: the shared block devices as the Shared Block guide's LUN
//! table (WWID/WWN, vendor, model, HCTL, type, capacity, by-path, in use),
//! with the columns chosen by width, a selected row (Up/Down) and its
//! details window (Enter; `details` builds its rows).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::vms::visible_offset;
use super::{frame, title, value_or_status};
use crate::app::App;
use crate::kit::DetailRow;
use crate::probe::{BlockDevice, InUse};
use crate::ui::format::{self, pad};

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Name,
    Capacity,
    Type,
    Tran,
    Vendor,
    Model,
    VendorModel,
    WwnOrWwid,
    Wwn,
    Wwid,
    Hctl,
    InUse,
    ByPath,
}

impl Col {
    fn head(self) -> &'static str {
        match self {
            Col::Name => "NAME",
            Col::Capacity => "CAPACITY",
            Col::Type => "TYPE",
            Col::Tran => "TRAN",
            Col::Vendor => "VENDOR",
            Col::Model => "MODEL",
            Col::VendorModel => "VENDOR/MODEL",
            Col::WwnOrWwid => "WWN/WWID",
            Col::Wwn => "WWN",
            Col::Wwid => "WWID",
            Col::Hctl => "HCTL",
            Col::InUse => "IN USE",
            Col::ByPath => "BY-PATH",
        }
    }

    fn cell(self, d: &BlockDevice) -> String {
        match self {
            Col::Name => d.name.clone(),
            Col::Capacity => format::bytes(d.size_bytes),
            Col::Type => d.dev_type.clone(),
            Col::Tran => d.transport.clone(),
            Col::Vendor => d.vendor.clone(),
            Col::Model => d.model.clone(),
            Col::VendorModel => match (d.vendor.is_empty(), d.model.is_empty()) {
                (false, false) => format!("{} {}", d.vendor, d.model),
                (false, true) => d.vendor.clone(),
                _ => d.model.clone(),
            },
            Col::WwnOrWwid if !d.wwn.is_empty() => d.wwn.clone(),
            Col::WwnOrWwid | Col::Wwid => d.wwid.clone(),
            Col::Wwn => d.wwn.clone(),
            Col::Hctl => d.hctl.clone(),
            Col::InUse => d.in_use_short(),
            Col::ByPath => d.by_path.clone(),
        }
    }
}

/// The columns that fit in `width`, each with its width; the one flexible
/// column gets what the others leave. 80 columns: NAME, CAPACITY, TYPE,
/// VENDOR/MODEL, WWN/WWID, HCTL, IN USE; 110 and more add TRAN, split
/// vendor and model and add BY-PATH; 150 and more split WWN and WWID.
pub fn columns(width: usize) -> Vec<(Col, usize)> {
    use Col::*;
    let (mut cols, flex): (Vec<(Col, usize)>, Col) = if width >= 150 {
        (
            vec![
                (Name, 9),
                (Capacity, 9),
                (Type, 6),
                (Tran, 7),
                (Vendor, 9),
                (Model, 17),
                (Wwid, 28),
                (Wwn, 21),
                (Hctl, 10),
                (InUse, 11),
                (ByPath, 0),
            ],
            ByPath,
        )
    } else if width >= 110 {
        (
            vec![
                (Name, 9),
                (Capacity, 9),
                (Type, 6),
                (Tran, 7),
                (Vendor, 9),
                (Model, 16),
                (WwnOrWwid, 22),
                (Hctl, 10),
                (InUse, 10),
                (ByPath, 0),
            ],
            ByPath,
        )
    } else {
        (
            vec![
                (Name, 8),
                (Capacity, 9),
                (Type, 6),
                (VendorModel, 16),
                (WwnOrWwid, 0),
                (Hctl, 10),
                (InUse, 9),
            ],
            WwnOrWwid,
        )
    };
    let fixed: usize = cols.iter().map(|(_, w)| w).sum();
    if let Some(c) = cols.iter_mut().find(|(c, _)| *c == flex) {
        c.1 = width.saturating_sub(fixed).max(8);
    }
    cols
}

fn line_of(cols: &[(Col, usize)], cell: impl Fn(Col) -> String) -> String {
    let mut s = String::new();
    for (c, w) in cols {
        // One column of gap: cut a cell one short of its width.
        s.push_str(&pad(&format::fit(&cell(*c), w.saturating_sub(1)), *w));
    }
    s
}

pub fn render(f: &mut Frame, area: Rect, app: &App, tabs: &str) {
    let theme = &app.settings.theme;
    let mut t = title("BLOCK DEVICES", &app.block, app.now);
    let rows = area.height.saturating_sub(3) as usize;
    let len = app.block.value.as_ref().map_or(0, |d| d.len());
    let off = visible_offset(app.scroll, len, rows);
    if len > rows && rows > 0 {
        t = format!("{t}[{}-{} of {len}] ", off + 1, (off + rows).min(len));
    }
    let inner = frame(f, area, theme.panel(format!("{tabs}{t}")));
    let Some(devs) = value_or_status(f, inner, &app.block, theme) else {
        return;
    };
    let width = inner.width as usize;
    let cols = columns(width);
    let mut lines = vec![Line::styled(
        format::fit(&line_of(&cols, |c| c.head().to_string()), width),
        theme.dim(),
    )];
    for (i, d) in devs.iter().enumerate().skip(off).take(rows) {
        let text = format::fit(&line_of(&cols, |c| c.cell(d)), width);
        let line = if i == app.scroll.min(len.saturating_sub(1)) {
            Line::from(Span::styled(pad(&text, width), theme.selected()))
        } else if !d.in_use.is_empty() {
            in_use_line(&cols, text, theme)
        } else {
            Line::raw(text)
        };
        lines.push(line);
    }
    if devs.is_empty() {
        lines.push(Line::styled("no block devices", theme.dim()));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// A row whose IN USE cell is drawn in the warning style.
fn in_use_line<'a>(
    cols: &[(Col, usize)],
    text: String,
    theme: &crate::ui::theme::Theme,
) -> Line<'a> {
    let mut start = 0;
    for (c, w) in cols {
        if *c == Col::InUse {
            break;
        }
        start += w;
    }
    let w = cols
        .iter()
        .find(|(c, _)| *c == Col::InUse)
        .map_or(0, |(_, w)| *w);
    let chars: Vec<char> = text.chars().collect();
    if start >= chars.len() {
        return Line::raw(text);
    }
    let end = (start + w).min(chars.len());
    let part = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    Line::from(vec![
        Span::raw(part(0, start)),
        Span::styled(part(start, end), theme.warn()),
        Span::raw(part(end, chars.len())),
    ])
}

/// The details window of one device: every field, and every reason it is
/// in use (the guide: a LUN with partitions cannot be added).
pub fn details(d: &BlockDevice) -> (String, Vec<DetailRow>) {
    let or_dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    let dev = if d.devno.is_empty() {
        format!("/dev/{}", d.name)
    } else {
        format!("/dev/{} ({})", d.name, d.devno)
    };
    let mut rows = vec![
        DetailRow::new("Device", dev),
        DetailRow::new(
            "Type",
            format!("{} ({})", or_dash(&d.dev_type), or_dash(&d.transport)),
        ),
        DetailRow::new(
            "Capacity",
            format!("{} ({} bytes)", format::bytes(d.size_bytes), d.size_bytes),
        ),
        DetailRow::new("Vendor", or_dash(&d.vendor)),
        DetailRow::new("Model", or_dash(&d.model)),
        DetailRow::new("WWID", or_dash(&d.wwid)),
        DetailRow::new("WWN", or_dash(&d.wwn)),
        DetailRow::new("Serial", or_dash(&d.serial)),
        DetailRow::new("HCTL", or_dash(&d.hctl)),
        DetailRow::new("By-path", or_dash(&d.by_path)),
    ];
    if d.in_use.is_empty() {
        rows.push(DetailRow::new(
            "In use",
            "no (nothing in sysfs, udev or the mounts says so)",
        ));
    } else {
        for (i, u) in d.in_use.iter().enumerate() {
            rows.push(DetailRow::warn(
                if i == 0 { "In use" } else { "" },
                u.describe(),
            ));
        }
    }
    let parted = d
        .in_use
        .iter()
        .any(|u| matches!(u, InUse::Partitions(_) | InUse::PartitionTable(_)));
    let verdict = if parted {
        DetailRow::warn(
            "Shared",
            "cannot be added as shared block: it has partitions",
        )
    } else if d.dev_type == "mpath" {
        DetailRow::new("Shared", "a multipath map: add this device, not its paths")
    } else if d
        .in_use
        .iter()
        .any(|u| matches!(u, InUse::MultipathPath { .. }))
    {
        DetailRow::warn(
            "Shared",
            "a multipath path: add its map (/dev/mapper/...) instead",
        )
    } else if d.in_use.is_empty() {
        DetailRow::new("Shared", "no use found")
    } else {
        DetailRow::warn("Shared", "in use: check the reasons above before adding it")
    };
    rows.push(verdict);
    for (i, n) in d.notes.iter().enumerate() {
        rows.push(DetailRow::new(if i == 0 { "Note" } else { "" }, n.clone()));
    }
    (format!("Block device {}", d.name), rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fill_the_width() {
        for w in [60usize, 78, 80, 109, 110, 118, 149, 150, 158, 300] {
            let cols = columns(w);
            let total: usize = cols.iter().map(|(_, w)| w).sum();
            assert!(total >= w.min(total), "{w}");
            if w >= 78 {
                assert_eq!(total, w, "{w}: {cols:?}");
            }
            let has = |c| cols.iter().any(|(x, _)| *x == c);
            assert!(has(Col::Name) && has(Col::InUse) && has(Col::Hctl), "{w}");
            assert_eq!(has(Col::ByPath), w >= 110, "{w}");
        }
    }

    #[test]
    fn details_say_why_a_lun_cannot_be_added() {
        let d = BlockDevice {
            name: "sdb".into(),
            devno: "8:16".into(),
            in_use: vec![
                InUse::Partitions(vec!["sdb1".into(), "sdb2".into()]),
                InUse::Mounted {
                    dev: "sdb1".into(),
                    at: "/data".into(),
                },
            ],
            ..BlockDevice::default()
        };
        let (t, rows) = details(&d);
        assert_eq!(t, "Block device sdb");
        let text: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {}", r.label, r.value))
            .collect();
        let all = text.join("\n");
        assert!(all.contains("/dev/sdb (8:16)"), "{all}");
        assert!(all.contains("In use has partitions: sdb1, sdb2"), "{all}");
        assert!(all.contains("sdb1 is mounted on /data"), "{all}");
        assert!(all.contains("cannot be added as shared block"), "{all}");
        assert_eq!(d.in_use_short(), "2 part+1");
    }
}
