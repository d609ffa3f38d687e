//! MEM USAGE from /proc/meminfo.

use std::path::PathBuf;

use super::{Collector, MemInfo};

/// Reads `<proc_root>/meminfo`.
pub struct MemCollector {
    proc_root: PathBuf,
}

impl MemCollector {
    /// `proc_root` is `/proc` on a real node, a fixture directory in tests.
    pub fn new(proc_root: PathBuf) -> Self {
        Self { proc_root }
    }
}

impl Collector for MemCollector {
    type Output = MemInfo;

    fn name(&self) -> &'static str {
        "mem"
    }

    fn collect(&mut self) -> Result<MemInfo, String> {
        let path = self.proc_root.join("meminfo");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}; is procfs mounted?", path.display()))?;
        parse_meminfo(&text)
    }
}

/// Parses /proc/meminfo. Kernels before 3.14 (and CentOS 7 before its
/// backport) have no `MemAvailable`; there the estimate is free + buffers +
/// page cache, which is what `free` did before the field existed.
pub fn parse_meminfo(text: &str) -> Result<MemInfo, String> {
    let field = |key: &str| -> Option<u64> {
        text.lines().find_map(|l| {
            let rest = l.strip_prefix(key)?.strip_prefix(':')?;
            rest.split_whitespace().next()?.parse().ok()
        })
    };
    let total_kib = field("MemTotal").ok_or("no MemTotal in /proc/meminfo")?;
    let available_kib = match field("MemAvailable") {
        Some(v) => v,
        None => {
            let free = field("MemFree").ok_or("no MemAvailable or MemFree in /proc/meminfo")?;
            free + field("Buffers").unwrap_or(0) + field("Cached").unwrap_or(0)
        }
    };
    Ok(MemInfo {
        total_kib,
        available_kib: available_kib.min(total_kib),
        swap_total_kib: field("SwapTotal").unwrap_or(0),
        swap_free_kib: field("SwapFree").unwrap_or(0),
    })
}
