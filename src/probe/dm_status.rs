//! device-mapper's own view of a multipath map: the `multipath` target's
//! table line (features, hardware handler, path groups with their selector
//! policy) and status line (each group's state `A`ctive / `E`nabled /
//! `D`isabled, each path's `A`ctive / `F`ailed and fail count), as the
//! kernel's dm-mpath.c prints them (what `dmsetup table` / `dmsetup status`
//! show). Pure parsers; `dm_ioctl` reads the lines. device-mapper knows no
//! "ghost" (ALUA standby): that is multipathd's checker state.

/// The parts of a table line the console shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MpathTable {
    pub features: Vec<String>,
    pub hw_handler: Option<String>,
    /// Selector of each path group (`service-time`, `round-robin`, with its arguments if any).
    pub selectors: Vec<String>,
}

/// One path in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStatus {
    /// `major:minor`.
    pub devno: String,
    pub active: bool,
    pub fail_count: u64,
}

/// One path group in the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStatus {
    /// `A` active (I/O goes here), `E` enabled, `D` disabled (bypassed).
    pub state: char,
    pub paths: Vec<PathStatus>,
}

/// The status line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MpathStatus {
    /// I/O is queued (no usable path, `queue_if_no_path`).
    pub queueing: bool,
    pub groups: Vec<GroupStatus>,
}

struct Words<'a>(std::str::SplitAsciiWhitespace<'a>);

impl<'a> Words<'a> {
    fn word(&mut self) -> Result<&'a str, String> {
        self.0.next().ok_or_else(|| "line ends early".to_string())
    }
    fn num(&mut self) -> Result<u64, String> {
        let w = self.word()?;
        w.parse().map_err(|_| format!("{w:?} is not a number"))
    }
    /// A count that must not exceed what a line can hold.
    fn count(&mut self) -> Result<usize, String> {
        let n = self.num()?;
        if n > 4096 {
            return Err(format!("count {n} too large"));
        }
        Ok(n as usize)
    }
    fn skip(&mut self, n: usize) -> Result<Vec<&'a str>, String> {
        (0..n).map(|_| self.word()).collect()
    }
}

/// Parses the parameters of a `multipath` table line (after `start len
/// multipath`).
pub fn parse_table(params: &str) -> Result<MpathTable, String> {
    let mut w = Words(params.split_ascii_whitespace());
    let nf = w.count()?;
    let features = w.skip(nf)?.into_iter().map(str::to_string).collect();
    let nh = w.count()?;
    let hw = w.skip(nh)?;
    let hw_handler = hw.first().map(|s| s.to_string());
    let groups = w.count()?;
    let _initial = w.num()?;
    let mut selectors = Vec::new();
    for _ in 0..groups {
        let name = w.word()?;
        let na = w.count()?;
        let args = w.skip(na)?;
        selectors.push(if args.is_empty() {
            name.to_string()
        } else {
            format!("{name} {}", args.join(" "))
        });
        let np = w.count()?;
        let npa = w.count()?;
        for _ in 0..np {
            w.word()?;
            w.skip(npa)?;
        }
    }
    Ok(MpathTable {
        features,
        hw_handler,
        selectors,
    })
}

/// Parses the parameters of a `multipath` status line.
pub fn parse_status(params: &str) -> Result<MpathStatus, String> {
    let mut w = Words(params.split_ascii_whitespace());
    let nf = w.count()?;
    let feats = w.skip(nf)?;
    let queueing = feats.first() == Some(&"1");
    let nh = w.count()?;
    w.skip(nh)?;
    let ngroups = w.count()?;
    let _next = w.num()?;
    let mut groups = Vec::new();
    for _ in 0..ngroups {
        let st = w.word()?;
        let state = match st {
            "A" | "E" | "D" => st.chars().next().unwrap_or('?'),
            other => return Err(format!("group state {other:?}")),
        };
        let nps = w.count()?;
        w.skip(nps)?;
        let np = w.count()?;
        let ninfo = w.count()?;
        let mut paths = Vec::new();
        for _ in 0..np {
            let devno = w.word()?.to_string();
            let active = match w.word()? {
                "A" => true,
                "F" => false,
                other => return Err(format!("path state {other:?}")),
            };
            let fail_count = w.num()?;
            w.skip(ninfo)?;
            paths.push(PathStatus {
                devno,
                active,
                fail_count,
            });
        }
        groups.push(GroupStatus { state, paths });
    }
    Ok(MpathStatus { queueing, groups })
}

/// The one line the MULTIPATH table shows for a map: policy, features,
/// groups and their states.
pub fn summary(table: &MpathTable, status: &MpathStatus) -> String {
    let mut s = match table.selectors.first() {
        Some(p) => format!("policy {p}"),
        None => "no path groups".into(),
    };
    if let Some(h) = &table.hw_handler {
        s.push_str(&format!(", hw {h}"));
    }
    if !table.features.is_empty() {
        s.push_str(&format!(", features {}", table.features.join(" ")));
    }
    for (i, g) in status.groups.iter().enumerate() {
        let st = match g.state {
            'A' => "active",
            'E' => "enabled",
            _ => "disabled",
        };
        let failed = g.paths.iter().filter(|p| !p.active).count();
        s.push_str(&format!("; group {} {st} {} paths", i + 1, g.paths.len()));
        if failed > 0 {
            s.push_str(&format!(" ({failed} failed)"));
        }
    }
    if status.queueing {
        s.push_str("; I/O QUEUED (no usable path)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    // As printed by dm-mpath.c for a service-time map over two paths, the
    // second failed (dmsetup table / dmsetup status of a test node).
    const TABLE: &str = "1 queue_if_no_path 1 alua 1 1 service-time 0 2 2 8:16 1 1 8:32 1 1";
    const STATUS: &str = "2 0 0 0 1 1 A 0 2 2 8:16 A 0 0 1 8:32 F 3 0 1";

    #[test]
    fn table_line() {
        let t = parse_table(TABLE).unwrap();
        assert_eq!(t.features, ["queue_if_no_path"]);
        assert_eq!(t.hw_handler.as_deref(), Some("alua"));
        assert_eq!(t.selectors, ["service-time"]);
    }

    #[test]
    fn status_line() {
        let s = parse_status(STATUS).unwrap();
        assert!(!s.queueing);
        assert_eq!(s.groups.len(), 1);
        assert_eq!(s.groups[0].state, 'A');
        let p: Vec<(&str, bool, u64)> = s.groups[0]
            .paths
            .iter()
            .map(|p| (p.devno.as_str(), p.active, p.fail_count))
            .collect();
        assert_eq!(p, [("8:16", true, 0), ("8:32", false, 3)]);
        assert_eq!(
            summary(&parse_table(TABLE).unwrap(), &s),
            "policy service-time, hw alua, features queue_if_no_path; group 1 active 2 paths (1 failed)"
        );
    }

    #[test]
    fn two_groups_round_robin() {
        let t =
            parse_table("0 0 2 1 round-robin 0 1 1 8:16 1000 round-robin 0 1 1 8:32 1000").unwrap();
        assert_eq!(t.selectors, ["round-robin", "round-robin"]);
        let s = parse_status("2 1 0 0 2 1 A 0 1 0 8:16 A 0 E 0 1 0 8:32 A 0").unwrap();
        assert!(s.queueing);
        assert_eq!(s.groups[1].state, 'E');
    }

    #[test]
    fn malformed_lines_are_errors_not_panics() {
        for bad in [
            "",
            "x",
            "2 0",
            "99999999999999999999",
            "0 0 1 1 Z 0 0 0",
            "0 0 1 1 A 0 1 0 8:16 Q 0",
            "0 0 5000 1",
            "1",
        ] {
            assert!(parse_status(bad).is_err(), "{bad:?}");
        }
        for bad in ["", "1", "0 0 1 1 service-time", "0 0 1 1 rr 0 1 1 8:16"] {
            assert!(parse_table(bad).is_err(), "{bad:?}");
        }
    }
}
