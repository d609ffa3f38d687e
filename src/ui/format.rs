//! Text formatting shared by the panels: sizes, durations, times, and
//! width-aware truncation (VM names may be wide Unicode).

use std::time::{Duration, SystemTime};

use chrono::{DateTime, FixedOffset, Utc};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `512B`, `12.3K`, `4.0G` — binary units, at most 6 characters.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if v >= 100.0 {
        format!("{:.0}{}", v, UNITS[i])
    } else {
        format!("{:.1}{}", v, UNITS[i])
    }
}

/// `3d 04:05:06` or `04:05:06`.
pub fn uptime(d: Duration) -> String {
    let s = d.as_secs();
    let (days, h, m, sec) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days}d {h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}

/// A short age: `12s`, `5m`, `3h`, `2d`.
pub fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// `2026-11-22 18:30:00` in the given offset.
pub fn datetime(t: SystemTime, utc_offset_s: i32) -> String {
    let off = FixedOffset::east_opt(utc_offset_s).unwrap_or(FixedOffset::east_opt(0).unwrap());
    let dt: DateTime<Utc> = t.into();
    dt.with_timezone(&off)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `UTC+08:00` style zone label.
pub fn zone(utc_offset_s: i32) -> String {
    let sign = if utc_offset_s < 0 { '-' } else { '+' };
    let a = utc_offset_s.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

/// Cuts `s` to at most `width` terminal columns, marking a cut with `~`.
/// Cuts `s` to `width` columns by dropping its middle (`test:///wo~node.xml`):
/// for URIs and paths, whose head says what and whose tail says which.
pub fn fit_middle(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_owned();
    }
    if width < 8 {
        return fit(s, width);
    }
    let chars: Vec<char> = s.chars().collect();
    let head_w = (width - 1) / 3;
    let tail_w = width - 1 - head_w;
    let mut head = String::new();
    let mut w = 0;
    for &c in &chars {
        let cw = c.width().unwrap_or(0);
        if w + cw > head_w {
            break;
        }
        head.push(c);
        w += cw;
    }
    let mut tail: Vec<char> = Vec::new();
    let mut w = 0;
    for &c in chars.iter().rev() {
        let cw = c.width().unwrap_or(0);
        if w + cw > tail_w {
            break;
        }
        tail.push(c);
        w += cw;
    }
    tail.reverse();
    format!("{head}~{}", tail.into_iter().collect::<String>())
}

/// The word a narrow panel shows for a failed disk check, from the
/// system error text it carries: `missing`, `no access`, `stale mount`.
pub fn disk_error_word(err: &str) -> &'static str {
    if err.contains("No such file") {
        "missing"
    } else if err.contains("Permission denied") {
        "no access"
    } else if err.contains("Stale file handle") || err.contains("not connected") {
        "stale mount"
    } else if err.contains("timed out") {
        "timed out"
    } else {
        "error"
    }
}

pub fn fit(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('~');
    out
}

/// Left-aligns `s` in exactly `width` columns (cut or padded).
pub fn pad(s: &str, width: usize) -> String {
    let f = fit(s, width);
    let w = f.width();
    format!("{f}{}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0B");
        assert_eq!(bytes(1023), "1023B");
        assert_eq!(bytes(1536), "1.5K");
        assert_eq!(bytes(50 * 1024 * 1024 * 1024), "50.0G");
        assert_eq!(bytes(500 * 1024 * 1024 * 1024), "500G");
        assert_eq!(bytes(u64::MAX), "16.0E");
    }

    #[test]
    fn durations() {
        assert_eq!(uptime(Duration::from_secs(59)), "00:00:59");
        assert_eq!(uptime(Duration::from_secs(3 * 86400 + 3723)), "3d 01:02:03");
        assert_eq!(age(Duration::from_secs(125)), "2m");
    }

    #[test]
    fn times() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(datetime(t, 8 * 3600), "2026-11-18 19:06:40");
        assert_eq!(zone(8 * 3600), "UTC+08:00");
        assert_eq!(zone(-5 * 3600 - 1800), "UTC-05:30");
    }

    #[test]
    fn fitting() {
        assert_eq!(fit("abcdef", 4), "abc~");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(fit("数据库服务器", 5), "数据~");
    }

    #[test]
    fn middle_cuts_keep_head_and_tail() {
        let uri = "test:///work/main/assets/demo-node.xml";
        assert_eq!(fit_middle(uri, 60), uri);
        let c = fit_middle(uri, 27);
        assert_eq!(c.chars().count(), 27, "{c}");
        assert!(
            c.starts_with("test:///") && c.ends_with("demo-node.xml"),
            "{c}"
        );
        assert_eq!(fit_middle(uri, 5), "test~");
    }

    #[test]
    fn disk_errors_become_one_word() {
        assert_eq!(
            disk_error_word("cannot stat /x: No such file or directory"),
            "missing"
        );
        assert_eq!(
            disk_error_word("cannot stat /x: Permission denied"),
            "no access"
        );
        assert_eq!(
            disk_error_word("cannot stat /x: Stale file handle"),
            "stale mount"
        );
        assert_eq!(disk_error_word("weird"), "error");
    }
}
