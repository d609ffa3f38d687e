//! What the console and the `nodeconsole-virt` helper say to each other:
//! one JSON object per line, requests on the helper's stdin, replies on
//! its stdout. Every request carries an id; the helper answers each on
//! its own thread, so replies come back in any order, tagged with the id
//! they answer. A long call (the backup) sends progress replies before
//! its final one.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::{EngineError, HostSummary, NodeStatus, VmReport, VmScope};

/// One request to the helper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub call: Call,
}

/// What is asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    Status,
    Hosts,
    Vms {
        scope: VmScope,
    },
    Backup {
        dest_dir: PathBuf,
    },
    /// The operator cancelled the call `target`; it stops where safe.
    Cancel {
        target: u64,
    },
}

/// One reply from the helper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub id: u64,
    pub msg: Msg,
}

/// Progress of a call, or its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Msg {
    Progress(ProgressEvent),
    Done(Result<Answer, WireError>),
}

/// One [`crate::job::Progress`] call, forwarded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressEvent {
    Phase(String),
    Line(String),
    Fraction(Option<f64>),
}

/// The result of a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Status(NodeStatus),
    Hosts(HostSummary),
    Vms(VmReport),
    Backup(PathBuf),
}

/// [`EngineError`] as it crosses the pipe (`Unsupported` holds a
/// `&'static str`, which cannot be read back; libvirt calls never return
/// it, and it would travel as its text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireError {
    Unreachable(String, String),
    Failed(String),
}

impl From<EngineError> for WireError {
    fn from(e: EngineError) -> WireError {
        match e {
            EngineError::Unreachable(what, why) => WireError::Unreachable(what, why),
            EngineError::Failed(text) => WireError::Failed(text),
            other @ EngineError::Unsupported(_) => WireError::Failed(other.to_string()),
        }
    }
}

impl From<WireError> for EngineError {
    fn from(e: WireError) -> EngineError {
        match e {
            WireError::Unreachable(what, why) => EngineError::Unreachable(what, why),
            WireError::Failed(text) => EngineError::Failed(text),
        }
    }
}

/// `value` as one line of JSON, newline included.
pub fn encode<T: Serialize>(value: &T) -> String {
    // Serialising these plain data types cannot fail (no maps with
    // non-string keys, no failing Serialize impls).
    let mut line = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    line.push('\n');
    line
}

/// Reads one line as `T`; the error says what was wrong, for the log.
pub fn decode<'a, T: Deserialize<'a>>(line: &'a str) -> Result<T, String> {
    serde_json::from_str(line.trim_end()).map_err(|e| format!("{e} in {:?}", clip(line)))
}

/// The first 200 characters of a line, for error messages.
fn clip(line: &str) -> &str {
    match line.char_indices().nth(200) {
        Some((i, _)) => &line[..i],
        None => line.trim_end(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{VmRow, VmState};

    #[test]
    fn requests_round_trip() {
        for call in [
            Call::Status,
            Call::Hosts,
            Call::Vms {
                scope: VmScope::ThisNode,
            },
            Call::Backup {
                dest_dir: "/tmp/x y".into(),
            },
            Call::Cancel { target: 7 },
        ] {
            let req = Request { id: 42, call };
            let line = encode(&req);
            assert!(line.ends_with('\n'));
            assert_eq!(line.matches('\n').count(), 1, "one line: {line}");
            assert_eq!(decode::<Request>(&line).unwrap(), req);
        }
    }

    #[test]
    fn replies_round_trip() {
        let report = VmReport::from_rows(vec![VmRow {
            uuid: "u".into(),
            name: "multi\nline \"name\"".into(),
            vcpus: 2,
            memory_kib: 1024,
            state: VmState::Paused,
        }]);
        for msg in [
            Msg::Progress(ProgressEvent::Phase("p".into())),
            Msg::Progress(ProgressEvent::Fraction(Some(0.5))),
            Msg::Progress(ProgressEvent::Fraction(None)),
            Msg::Done(Ok(Answer::Vms(report.clone()))),
            Msg::Done(Ok(Answer::Backup("/tmp/b.tar.gz".into()))),
            Msg::Done(Err(WireError::Unreachable("libvirt".into(), "down".into()))),
        ] {
            let reply = Reply { id: 1, msg };
            let line = encode(&reply);
            assert_eq!(line.matches('\n').count(), 1, "one line: {line}");
            assert_eq!(decode::<Reply>(&line).unwrap(), reply);
        }
    }

    #[test]
    fn errors_keep_their_kind_across_the_pipe() {
        let e = EngineError::Unreachable("libvirt".into(), "gone".into());
        assert_eq!(EngineError::from(WireError::from(e.clone())), e);
        let e = EngineError::Failed("no".into());
        assert_eq!(EngineError::from(WireError::from(e.clone())), e);
        let e = EngineError::Unsupported("libvirt");
        assert_eq!(
            EngineError::from(WireError::from(e)),
            EngineError::Failed("not supported by the libvirt engine".into())
        );
    }

    #[test]
    fn garbage_is_an_error_naming_the_line() {
        let err = decode::<Request>("not json\n").unwrap_err();
        assert!(err.contains("not json"), "{err}");
        let long = "x".repeat(1000);
        assert!(decode::<Reply>(&long).unwrap_err().len() < 400);
    }
}
