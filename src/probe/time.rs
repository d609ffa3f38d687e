//! TIME INFO: boot time, uptime and load average from procfs.
//!
//! Boot time comes from `btime` in /proc/stat (what `uptime -s` and `who -b`
//! use) rather than "now minus uptime", so it does not wobble between samples.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Collector, TimeInfo};

/// Reads `<proc_root>/stat`, `<proc_root>/uptime` and `<proc_root>/loadavg`.
pub struct TimeCollector {
    proc_root: PathBuf,
}

impl TimeCollector {
    /// `proc_root` is `/proc` on a real node, a fixture directory in tests.
    pub fn new(proc_root: PathBuf) -> Self {
        Self { proc_root }
    }

    fn read(&self, name: &str) -> Result<String, String> {
        let path = self.proc_root.join(name);
        std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}; is procfs mounted?", path.display()))
    }
}

impl Collector for TimeCollector {
    type Output = TimeInfo;

    fn name(&self) -> &'static str {
        "time"
    }

    fn collect(&mut self) -> Result<TimeInfo, String> {
        let boot = parse_btime(&self.read("stat")?)?;
        let uptime = parse_uptime(&self.read("uptime")?)?;
        let load = parse_loadavg(&self.read("loadavg")?)?;
        Ok(TimeInfo { boot, uptime, load })
    }
}

/// Boot time from the `btime <epoch seconds>` line of /proc/stat.
pub fn parse_btime(stat: &str) -> Result<SystemTime, String> {
    let secs = stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .ok_or("no btime line in /proc/stat")?
        .trim()
        .parse::<u64>()
        .map_err(|e| format!("bad btime in /proc/stat: {e}"))?;
    Ok(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Uptime from the first field of /proc/uptime (seconds with fraction).
pub fn parse_uptime(text: &str) -> Result<Duration, String> {
    let first = text.split_whitespace().next().ok_or("empty /proc/uptime")?;
    let secs: f64 = first
        .parse()
        .map_err(|e| format!("bad /proc/uptime value {first:?}: {e}"))?;
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("bad /proc/uptime value {first:?}"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The 1, 5 and 15 minute load averages from /proc/loadavg.
pub fn parse_loadavg(text: &str) -> Result<[f64; 3], String> {
    let mut out = [0.0; 3];
    let mut fields = text.split_whitespace();
    for slot in out.iter_mut() {
        let f = fields.next().ok_or("short /proc/loadavg")?;
        *slot = f
            .parse()
            .map_err(|e| format!("bad /proc/loadavg value {f:?}: {e}"))?;
    }
    Ok(out)
}
