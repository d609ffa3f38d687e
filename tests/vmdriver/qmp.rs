//! A minimal QMP client (QEMU's JSON machine protocol over a unix socket):
//! the greeting, `qmp_capabilities`, then one command at a time. Events
//! that arrive between are skipped.
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde_json::{json, Value};

pub struct Qmp {
    tx: UnixStream,
    rx: BufReader<UnixStream>,
}

impl Qmp {
    /// Reads the greeting and enters command mode.
    pub fn new(s: UnixStream) -> Result<Qmp, String> {
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let rx = BufReader::new(s.try_clone().map_err(|e| e.to_string())?);
        let mut q = Qmp { tx: s, rx };
        let greeting = q.read_msg()?;
        if greeting.get("QMP").is_none() {
            return Err(format!("not a QMP greeting: {greeting}"));
        }
        q.execute("qmp_capabilities", None)?;
        Ok(q)
    }

    fn read_msg(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        let n = self
            .rx
            .read_line(&mut line)
            .map_err(|e| format!("QMP read: {e}"))?;
        if n == 0 {
            return Err("QMP socket closed (QEMU exited?)".into());
        }
        serde_json::from_str(&line).map_err(|e| format!("QMP reply {line:?}: {e}"))
    }

    /// Runs one command and returns its `return` value.
    pub fn execute(&mut self, cmd: &str, args: Option<Value>) -> Result<Value, String> {
        let mut msg = json!({ "execute": cmd });
        if let Some(a) = args {
            msg["arguments"] = a;
        }
        writeln!(self.tx, "{msg}").map_err(|e| format!("QMP write: {e}"))?;
        loop {
            let v = self.read_msg()?;
            if let Some(r) = v.get("return") {
                return Ok(r.clone());
            }
            if let Some(e) = v.get("error") {
                return Err(format!("QMP {cmd}: {e}"));
            }
            // An event ({"event": ...}): not our answer.
        }
    }

    /// Presses and releases a key combination (QEMU qcodes, e.g. "ctrl", "alt", "f2").
    pub fn send_key(&mut self, combo: &[&str]) -> Result<(), String> {
        let keys: Vec<Value> = combo
            .iter()
            .map(|k| json!({ "type": "qcode", "data": k }))
            .collect();
        self.execute("send-key", Some(json!({ "keys": keys })))
            .map(|_| ())
    }
}
