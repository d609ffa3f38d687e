//! The test overlay's control shell (image/test-overlay/files/usr/local/
//! lib/nodeconsole-test/control.sh) on a virtio-serial port: one request a
//! line, "ID BASE64(script)", one reply a line, "@@ID RC BASE64(output)".
//! Every request has a deadline; a reply for an older (timed-out) request
//! is skipped by its id.
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;

pub struct Ctl {
    s: UnixStream,
    buf: Vec<u8>,
    next_id: u64,
    log: PathBuf,
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

impl Ctl {
    pub fn new(s: UnixStream, log: PathBuf) -> Ctl {
        Ctl {
            s,
            buf: Vec::new(),
            next_id: 1,
            log,
        }
    }

    fn note(&self, line: &str) {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
        {
            let _ = writeln!(f, "{line}");
        }
    }

    /// Runs `script` with bash in the guest; returns (exit code, output).
    pub fn run(&mut self, script: &str, limit: Duration) -> Result<(i32, Vec<u8>), String> {
        let id = self.next_id;
        self.next_id += 1;
        self.note(&format!("> {id} {script}"));
        let line = format!("{id} {}\n", B64.encode(script));
        self.s
            .write_all(line.as_bytes())
            .map_err(|e| format!("control write: {e}"))?;
        let deadline = Instant::now() + limit;
        loop {
            while let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&line);
                let Some(rest) = text.trim_end().strip_prefix("@@") else {
                    continue;
                };
                let mut it = rest.splitn(3, ' ');
                let rid: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                let rc: i32 = it.next().and_then(|s| s.parse().ok()).unwrap_or(-1);
                let out = B64.decode(it.next().unwrap_or("")).unwrap_or_default();
                if rid == id {
                    self.note(&format!("< {id} rc={rc} {} bytes", out.len()));
                    return Ok((rc, out));
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("no reply to control request {id} within {limit:?}"));
            }
            self.s
                .set_read_timeout(Some((deadline - now).min(Duration::from_millis(500))))
                .map_err(|e| e.to_string())?;
            let mut chunk = [0u8; 65536];
            match self.s.read(&mut chunk) {
                Ok(0) => return Err("control socket closed (QEMU exited?)".into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => return Err(format!("control read: {e}")),
            }
        }
    }

    /// Polls with `true` until the guest answers (bytes sent before the
    /// guest opened its port are lost, hence the repeats).
    pub fn wait_ready(&mut self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        loop {
            match self.run("true", Duration::from_secs(2)) {
                Ok(_) => return Ok(()),
                Err(e) if e.contains("closed") => return Err(e),
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!("control shell silent for {limit:?}: {e}"))
                }
                Err(_) => {}
            }
        }
    }
}
