//! View Audit Log: the last privileged actions from the audit trail (the
//! records `ops::audit` and the gate write with tracing target `audit`),
//! read-only. The trail is the journal (`journalctl TARGET=audit`) or the
//! configured log file; with logs going nowhere the item says so.

use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::task::{Deadline, Done, Task};
use super::{Feature, FeatureId, NodeFeatures};
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::App;
use crate::engine::{Availability, Capabilities};
use crate::job::Progress;

pub const ID: FeatureId = FeatureId("audit-log");
const TITLE: &str = "View Audit Log";
/// How many records the window shows (it fits 80x24).
pub const LAST: usize = 12;
/// How long reading the trail may take.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of the trail is read at most.
const MAX_BYTES: usize = 1 << 20;

/// Where the audit records go (decided by `logging::init`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trail {
    /// journald, under `SYSLOG_IDENTIFIER=nodeconsole`.
    Journal,
    /// A log file (`log.file`).
    File(PathBuf),
    /// Not kept anywhere readable, and why.
    Missing(String),
}

impl Trail {
    /// The trail for where `logging::init` sent the logs.
    pub fn for_sink(sink: &str, file: Option<PathBuf>) -> Trail {
        match (sink, file) {
            ("journald", _) => Trail::Journal,
            ("file", Some(f)) => Trail::File(f),
            (other, _) => Trail::Missing(format!("the console logs to {other}")),
        }
    }

    pub fn availability(&self) -> Availability {
        match self {
            Trail::Missing(why) => Availability::Unavailable(why.clone()),
            _ => Availability::Available,
        }
    }
}

pub struct AuditLog;
pub static FEATURE: AuditLog = AuditLog;

impl Feature for AuditLog {
    fn id(&self) -> FeatureId {
        ID
    }
    fn label(&self, _engine_display: &str) -> String {
        TITLE.into()
    }
    fn availability(&self, _caps: &Capabilities, node: &NodeFeatures) -> Availability {
        node.audit_log.clone()
    }
    fn open(&self, app: &mut App, root: &RootSession) {
        app.start_task(root, Task::new(Request), None);
    }
}

/// Read the last records.
#[derive(Debug, Clone)]
pub struct Request;

impl super::task::Request for Request {
    fn title(&self) -> String {
        TITLE.into()
    }
    fn phase(&self) -> String {
        "Reading the audit trail...".into()
    }
    fn audited(&self) -> bool {
        false // reading the trail is not a privileged change
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(READ_TIMEOUT * 2, "reading the audit trail timed out")
    }
    fn run(&self, svc: &Services, _p: &mut dyn Progress) -> Result<Done, String> {
        let records = match &svc.audit {
            Trail::Journal => journal_records(&read_journal()?),
            Trail::File(f) => file_records(&read_tail(f)?),
            Trail::Missing(why) => return Err(format!("no audit trail: {why}")),
        };
        Ok(Done::Lines(window_lines(records)))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// One audit record: when (as the trail wrote it) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub when: String,
    pub what: String,
}

/// The result window: the last [`LAST`] records, oldest first.
pub fn window_lines(records: Vec<Record>) -> Vec<String> {
    if records.is_empty() {
        return vec!["No privileged action is recorded yet.".into()];
    }
    let skip = records.len().saturating_sub(LAST);
    records
        .into_iter()
        .skip(skip)
        .map(|r| format!("{} {}", r.when, r.what))
        .collect()
}

/// Records from `journalctl -o json` output (one JSON object per line).
pub fn journal_records(out: &str) -> Vec<Record> {
    out.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["TARGET"] == "audit")
        .filter_map(|v| {
            let what = v["MESSAGE"].as_str()?.to_string();
            let us: u64 = v["__REALTIME_TIMESTAMP"].as_str()?.parse().ok()?;
            let at = std::time::UNIX_EPOCH + Duration::from_micros(us);
            let when = chrono::DateTime::<chrono::Utc>::from(at)
                .format("%m-%d %H:%M:%S")
                .to_string();
            Some(Record { when, what })
        })
        .collect()
}

/// Records from the log file's text (`<time> <LEVEL> audit: <message>`,
/// tracing's plain format).
pub fn file_records(text: &str) -> Vec<Record> {
    text.lines()
        .filter_map(|l| {
            let (head, what) = l.split_once(" audit: ")?;
            let when = head.split_whitespace().next()?;
            // 2026-12-03T08:00:00.123456Z -> 12-03 08:00:00
            let when = match (when.get(5..10), when.get(11..19)) {
                (Some(d), Some(t)) => format!("{d} {t}"),
                _ => when.to_string(),
            };
            Some(Record {
                when,
                what: what.trim().to_string(),
            })
        })
        .collect()
}

/// The journal's audit records of the console, newest last.
fn read_journal() -> Result<String, String> {
    let mut child = crate::child::command("journalctl")
        .args([
            "--no-pager",
            "-o",
            "json",
            "-n",
            "100",
            "SYSLOG_IDENTIFIER=nodeconsole",
            "TARGET=audit",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run journalctl: {e}"))?;
    let stdout = child.stdout.take().ok_or("journalctl has no output")?;
    let reader = std::thread::spawn(move || crate::child::read_bounded(stdout, MAX_BYTES));
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() < READ_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                // Its own session: the group dies with it.
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(child.id() as i32),
                    nix::sys::signal::Signal::SIGKILL,
                );
                let _ = child.wait();
                return Err(format!(
                    "journalctl did not answer within {} s",
                    READ_TIMEOUT.as_secs()
                ));
            }
        }
    }
    let out = reader
        .join()
        .map_err(|_| "reading journalctl failed".to_string())?
        .map_err(|e| format!("reading journalctl: {e}"))?;
    Ok(String::from_utf8_lossy(&out.bytes).into_owned())
}

/// The last [`MAX_BYTES`] of the log file.
fn read_tail(path: &std::path::Path) -> Result<String, String> {
    use std::io::{Seek, SeekFrom};
    let mut f =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(MAX_BYTES as u64)));
    let mut buf = Vec::new();
    f.take(MAX_BYTES as u64)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_lines_become_records_and_others_are_ignored() {
        let out = concat!(
            r#"{"TARGET":"audit","MESSAGE":"rename NIC succeeded: eth1 -> data1","__REALTIME_TIMESTAMP":"1795343400000000"}"#,
            "\n",
            r#"{"TARGET":"nodeconsole::app","MESSAGE":"gate opened","__REALTIME_TIMESTAMP":"1795343401000000"}"#,
            "\nnot json\n",
        );
        assert_eq!(
            journal_records(out),
            [Record {
                when: "11-22 10:30:00".into(),
                what: "rename NIC succeeded: eth1 -> data1".into()
            }]
        );
    }

    #[test]
    fn file_lines_become_records() {
        let text = "2026-12-03T08:00:01.123456Z  INFO audit: authentication of root on /dev/tty1 succeeded event=\"auth\"\n\
                    2026-12-03T08:00:02.000000Z  INFO nodeconsole::app: gate opened\n";
        let r = file_records(text);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].when, "12-03 08:00:01");
        assert!(r[0].what.starts_with("authentication of root"), "{r:?}");
    }

    #[test]
    fn the_window_shows_the_last_records_or_says_there_are_none() {
        assert_eq!(
            window_lines(vec![]),
            ["No privileged action is recorded yet."]
        );
        let many: Vec<Record> = (0..30)
            .map(|i| Record {
                when: format!("t{i}"),
                what: "x".into(),
            })
            .collect();
        let l = window_lines(many);
        assert_eq!(l.len(), LAST);
        assert_eq!(l.last().unwrap(), "t29 x");
    }

    #[test]
    fn a_trail_nowhere_is_unavailable_with_the_reason() {
        assert_eq!(Trail::for_sink("journald", None), Trail::Journal);
        assert!(matches!(
            Trail::for_sink("nowhere", None).availability(),
            Availability::Unavailable(w) if w.contains("nowhere")
        ));
    }
}
