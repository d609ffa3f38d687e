//! Test Network → Clock offset: four SNTP queries to an NTP server (the
//! reference TIME INFO uses, pre-filled), each offset and round trip, the
//! best one (shortest round trip) against `time.max_offset_s`, and whether
//! a time daemon disciplines the kernel clock at all.
//!
//! Why here as well as in TIME INFO: the operator chasing "the host will
//! not connect" wants to ask a specific server now (the management node,
//! the site's NTP server) and see the numbers, not wait for the next check.

use std::net::SocketAddr;
use std::time::Duration;

use super::Diagnostic;
use crate::app::services::Services;
use crate::app::session::RootSession;
use crate::app::window::Window;
use crate::app::App;
use crate::features::step::{Input, Step};
use crate::features::task::{Deadline, Done, Task};
use crate::job::Progress;
use crate::kit::{Field, FieldKind, Form};
use crate::net::sntp::{self, Sample};
use crate::probe::clock::{
    format_offset, kernel_sync, parse_reference, server_addr, KernelSync, Reference,
};

/// Queries per run, and the pause between two.
const QUERIES: usize = 4;
const GAP: Duration = Duration::from_millis(250);
/// One query's deadline.
const TIMEOUT: Duration = Duration::from_secs(2);

pub struct Clock;
pub static DIAG: Clock = Clock;

impl Diagnostic for Clock {
    fn id(&self) -> &'static str {
        "clock"
    }
    fn label(&self) -> &'static str {
        "Clock offset (NTP)"
    }
    fn open(&self, app: &mut App, _root: &RootSession) {
        // The server TIME INFO measures against, when it has one.
        let known = app
            .clock
            .value
            .as_ref()
            .and_then(|c| c.reference.clone())
            .unwrap_or_default();
        app.window = Some(Window::form(form(known), Submit));
    }
}

fn form(server: String) -> Form {
    Form::new(
        "Clock offset",
        vec![Field::new("NTP server (host or host:port)", FieldKind::Text).with_text(server)],
    )
    .with_note("4 SNTP queries, 2 s each; the clock is only measured, never set.")
}

/// Checks the server field: a host or host:port (pure).
pub fn validate_server(text: &str) -> Result<(String, u16), String> {
    match parse_reference(text) {
        Ok(Reference::Server { host, port }) => Ok((host, port)),
        Ok(_) => Err("enter the NTP server to ask, e.g. the management node's address".into()),
        Err(e) => Err(e),
    }
}

/// The server was entered.
#[derive(Debug, Clone)]
pub struct Submit;

impl Step for Submit {
    fn accept(self: Box<Self>, app: &mut App, root: &RootSession, input: Input) {
        let Input::Form(mut form) = input else { return };
        match validate_server(&form.fields[0].text) {
            Err(e) => {
                form.fail(0, e);
                app.window = Some(Window::form(form, Submit));
            }
            Ok((host, port)) => {
                let max_offset_s = app.settings.max_clock_offset_s;
                app.start_task(
                    root,
                    Task::new(Request {
                        host,
                        port,
                        max_offset_s,
                    }),
                    None,
                )
            }
        }
    }
}

/// Measure the clock against `host:port`.
#[derive(Debug, Clone)]
pub struct Request {
    pub host: String,
    pub port: u16,
    pub max_offset_s: f64,
}

impl crate::features::task::Request for Request {
    fn title(&self) -> String {
        format!("Test Network: clock offset against {}", self.host)
    }
    fn cancellable(&self) -> bool {
        true
    }
    fn audited(&self) -> bool {
        false
    }
    fn deadline(&self) -> Deadline {
        Deadline::new(
            TIMEOUT * (QUERIES as u32 + 2) + GAP * QUERIES as u32 + Duration::from_secs(5),
            "the clock check did not finish in time",
        )
    }
    fn run(&self, svc: &Services, p: &mut dyn Progress) -> Result<Done, String> {
        p.phase(&format!("Asking {} for the time...", self.host));
        let (host, port, max) = (self.host.clone(), self.port, self.max_offset_s);
        let outcome = super::run_probe(svc, p, move |cancel, tx| {
            let server = server_addr(&host, port, TIMEOUT)?;
            let mut samples = Vec::new();
            for i in 0..QUERIES {
                if cancel.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = tx.send("stopped".into());
                    break;
                }
                if i > 0 {
                    std::thread::sleep(GAP);
                }
                let line = match sntp::query(server, TIMEOUT) {
                    Ok(s) => {
                        let l = sample_line(&s);
                        samples.push(s);
                        l
                    }
                    Err(e) => e.to_string(),
                };
                let _ = tx.send(line);
            }
            Ok(summary(&server, &samples, max, &kernel_sync()))
        })?;
        super::audited("clock", &self.host, outcome)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn sample_line(s: &Sample) -> String {
    format!(
        "offset {}  round trip {:.1} ms  stratum {}",
        format_offset(s.offset_s),
        s.delay_s * 1000.0,
        s.stratum
    )
}

/// The result lines: the best sample against the threshold, and the
/// kernel's discipline (pure).
pub fn summary(
    server: &SocketAddr,
    samples: &[Sample],
    max: f64,
    kernel: &KernelSync,
) -> Vec<String> {
    let mut out = Vec::new();
    match samples
        .iter()
        .min_by(|a, b| a.delay_s.total_cmp(&b.delay_s))
    {
        None => out.push(format!(
            "{server} gave no usable answer: is an NTP server running there, and is UDP port {} open?",
            server.port()
        )),
        Some(best) => {
            out.push(format!(
                "This node's clock is {} against {server} ({} of {} answers; best round trip {:.1} ms).",
                describe(best.offset_s),
                samples.len(),
                QUERIES,
                best.delay_s * 1000.0
            ));
            if best.offset_s.abs() > max {
                out.push(format!(
                    "That is beyond the {max} s allowed (time.max_offset_s): certificates, \
                     agent heartbeats and the database can fail. Check the time daemon \
                     (chrony) and its servers."
                ));
            } else {
                out.push(format!("Within the {max} s allowed."));
            }
        }
    }
    out.push(match kernel {
        KernelSync::Synced { est_error_us } => format!(
            "The kernel clock is disciplined by a time daemon (estimated error {:.1} ms).",
            *est_error_us as f64 / 1000.0
        ),
        KernelSync::Unsynced => {
            "No time daemon keeps the kernel clock synchronised (adjtimex: unsynchronised).".into()
        }
        KernelSync::Unknown(e) => format!("The kernel's clock state is unknown: {e}"),
    });
    out
}

/// `4 ms behind`, `2.500 s ahead`: the server's time minus ours, in words.
fn describe(offset_s: f64) -> String {
    let a = offset_s.abs();
    let amount = if a < 1.0 {
        format!("{:.1} ms", a * 1000.0)
    } else {
        format!("{a:.3} s")
    };
    // A positive offset means the server is ahead, so this clock is behind.
    if offset_s >= 0.0 {
        format!("{amount} behind")
    } else {
        format!("{amount} ahead")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(offset_s: f64, delay_s: f64) -> Sample {
        Sample {
            server: "10.0.0.2:123".parse().unwrap(),
            offset_s,
            delay_s,
            stratum: 3,
        }
    }

    #[test]
    fn the_server_field_needs_a_server() {
        assert_eq!(validate_server("10.0.0.2"), Ok(("10.0.0.2".into(), 123)));
        assert_eq!(validate_server("ntp1:1123"), Ok(("ntp1".into(), 1123)));
        assert!(validate_server("")
            .unwrap_err()
            .contains("enter the NTP server"));
        assert!(validate_server("none").is_err());
        assert!(validate_server("bad host").is_err());
        assert!(validate_server("mn:99999").is_err());
    }

    #[test]
    fn the_best_sample_is_judged_against_the_threshold() {
        let srv = "10.0.0.2:123".parse().unwrap();
        let k = KernelSync::Unsynced;
        let ok = summary(&srv, &[sample(0.5, 0.02), sample(0.004, 0.001)], 1.0, &k);
        assert!(ok[0].contains("4.0 ms behind"), "{ok:?}");
        assert!(ok[0].contains("2 of 4 answers"), "{ok:?}");
        assert!(ok[1].starts_with("Within"), "{ok:?}");
        assert!(ok[2].contains("No time daemon"), "{ok:?}");
        let bad = summary(&srv, &[sample(-5.0, 0.001)], 1.0, &k);
        assert!(bad[0].contains("5.000 s ahead"), "{bad:?}");
        assert!(bad[1].contains("beyond the 1 s"), "{bad:?}");
        let none = summary(&srv, &[], 1.0, &KernelSync::Synced { est_error_us: 1500 });
        assert!(none[0].contains("no usable answer"), "{none:?}");
        assert!(none[1].contains("1.5 ms"), "{none:?}");
    }
}
