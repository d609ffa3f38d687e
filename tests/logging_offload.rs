//! Logging never blocks the thread that logs (issue #16 item 10): a
//! journal socket that nobody reads (a stalled journald) fills up, and the
//! logging thread keeps going; what could not be queued is counted and
//! reported once the sink drains. Also: the records reach the socket in
//! journald's native protocol with TARGET, and a file sink is flushed.

mod common;

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use nodeconsole::logging::offload::{parse_datagram, Offload, Sink, QUEUE};
use tracing_subscriber::layer::SubscriberExt;

fn subscriber(w: Offload) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::Registry::default().with(
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .without_time()
            .with_level(false)
            .with_target(false)
            .with_writer(w),
    )
}

fn field(d: &[u8], key: &str) -> Option<String> {
    parse_datagram(d)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
}

#[test]
fn a_stalled_journal_does_not_block_the_logging_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.socket");
    // journald that never reads: its queue fills and a blocking send waits.
    let journal = UnixDatagram::bind(&path).unwrap();
    let (w, _guard) = Offload::start(Sink::Journal {
        socket: path.clone(),
        identifier: "nodeconsole-test".into(),
    })
    .unwrap();
    let n = QUEUE * 4;
    let w2 = w.clone();
    let logger = std::thread::spawn(move || {
        tracing::subscriber::with_default(subscriber(w2), || {
            for i in 0..n {
                tracing::info!(target: "audit", event = "test", "record {i}");
            }
        })
    });
    // Liveness, not speed: a blocked send would never finish.
    common::poll::until("the logging thread to finish", || logger.is_finished());
    logger.join().unwrap();
    assert!(
        w.dropped() > 0,
        "the queue never filled: the test proves nothing"
    );

    // The sink drains: records arrive in the native protocol.
    journal.set_nonblocking(true).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let first = journal.recv(&mut buf).expect("a record in the socket");
    let d = &buf[..first];
    assert_eq!(field(d, "TARGET").as_deref(), Some("audit"));
    assert_eq!(
        field(d, "SYSLOG_IDENTIFIER").as_deref(),
        Some("nodeconsole-test")
    );
    assert_eq!(field(d, "PRIORITY").as_deref(), Some("5"));
    let msg = field(d, "MESSAGE").unwrap();
    assert!(
        msg.starts_with("record 0") && msg.contains("event=\"test\""),
        "{msg}"
    );

    // Keep reading while the worker catches up; once it can write again it
    // says how many records were lost.
    let mut notice = None;
    common::poll::until("the dropped-records notice", || {
        while let Ok(k) = journal.recv(&mut buf) {
            let m = field(&buf[..k], "MESSAGE").unwrap_or_default();
            if m.contains("dropped") {
                notice = Some(m);
            }
        }
        if notice.is_none() {
            tracing::subscriber::with_default(subscriber(w.clone()), || {
                tracing::info!(target: "audit", "after the stall");
            });
        }
        notice.is_some()
    });
    let notice = notice.unwrap();
    assert!(notice.contains("log record(s) dropped"), "{notice}");
}

#[test]
fn a_file_sink_is_written_by_the_worker_and_flushed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let file = std::fs::File::create(&path).unwrap();
    let (w, guard) = Offload::start(Sink::File(file)).unwrap();
    tracing::subscriber::with_default(subscriber(w.clone()), || {
        tracing::warn!(target: "audit", "root password refused");
    });
    assert!(w.flush(Duration::from_secs(10)), "flush answered");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("root password refused"), "{text:?}");
    drop(guard);
}
