//! CPU USAGE: the busy share of all cores between two /proc/stat samples.

use std::path::PathBuf;

use super::{Collector, CpuInfo};

/// Aggregate jiffies of the `cpu` line of /proc/stat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// All time counted (user..steal; guest time is already inside user).
    pub total: u64,
    /// Idle plus iowait: time the cores had nothing to run.
    pub idle: u64,
}

/// Keeps the previous sample, so each call reports the share since the last
/// one; the first call reports the average since boot.
pub struct CpuCollector {
    proc_root: PathBuf,
    prev: CpuTimes,
}

impl CpuCollector {
    /// `proc_root` is `/proc` on a real node, a fixture directory in tests.
    pub fn new(proc_root: PathBuf) -> Self {
        Self {
            proc_root,
            prev: CpuTimes::default(),
        }
    }
}

impl Collector for CpuCollector {
    type Output = CpuInfo;

    fn name(&self) -> &'static str {
        "cpu"
    }

    fn collect(&mut self) -> Result<CpuInfo, String> {
        let path = self.proc_root.join("stat");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}; is procfs mounted?", path.display()))?;
        let (now, cores) = parse_stat(&text)?;
        let usage_pct = busy_pct(self.prev, now);
        self.prev = now;
        Ok(CpuInfo { usage_pct, cores })
    }
}

/// The aggregate counters and the number of `cpuN` lines.
pub fn parse_stat(text: &str) -> Result<(CpuTimes, u32), String> {
    let mut times = None;
    let mut cores = 0u32;
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("cpu") => {
                let v: Vec<u64> = fields
                    .take(8)
                    .map(|f| f.parse::<u64>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("bad cpu line in /proc/stat: {e}"))?;
                if v.len() < 4 {
                    return Err("short cpu line in /proc/stat".into());
                }
                let idle = v[3] + v.get(4).copied().unwrap_or(0);
                times = Some(CpuTimes {
                    total: v.iter().sum(),
                    idle,
                });
            }
            Some(tag) if tag.starts_with("cpu") && tag[3..].parse::<u32>().is_ok() => cores += 1,
            _ => {}
        }
    }
    let times = times.ok_or("no cpu line in /proc/stat")?;
    Ok((times, cores.max(1)))
}

/// Busy percent between two samples; 0 when no time passed (or the counters
/// went backwards, as after a CPU hot-unplug).
pub fn busy_pct(prev: CpuTimes, now: CpuTimes) -> f32 {
    let total = now.total.saturating_sub(prev.total);
    let idle = now.idle.saturating_sub(prev.idle);
    if total == 0 {
        return 0.0;
    }
    let busy = total.saturating_sub(idle);
    ((busy as f64 * 100.0 / total as f64) as f32).clamp(0.0, 100.0)
}
