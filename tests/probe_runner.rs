//! The collector runner: timeouts without piling up hung calls, back-off
//! after errors, panics turned into errors, and ending with the receiver.
//! Real (small) durations; the assertions are about order and counts only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use nodeconsole::probe::runner::{collect_all_once, fmt_duration, next_delay, spawn, ProbeRoots};
use nodeconsole::probe::Collector;
use tokio::sync::mpsc;

/// Guards each await so a broken runner fails the test instead of hanging it.
const GUARD: Duration = Duration::from_secs(20);

type Msg = (Result<usize, String>, SystemTime);

async fn next(rx: &mut mpsc::UnboundedReceiver<Msg>) -> Msg {
    tokio::time::timeout(GUARD, rx.recv())
        .await
        .expect("runner sent nothing")
        .expect("runner ended early")
}

/// Blocks in `collect` until the test opens the gate once per call.
struct Gated {
    gate: std::sync::mpsc::Receiver<()>,
    started: Arc<AtomicUsize>,
}

impl Collector for Gated {
    type Output = usize;
    fn name(&self) -> &'static str {
        "gated"
    }
    fn collect(&mut self) -> Result<usize, String> {
        let n = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        self.gate.recv().map_err(|_| "gate closed".to_string())?;
        Ok(n)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_reports_and_does_not_start_a_second_call() {
    let (gate_tx, gate) = std::sync::mpsc::channel();
    let started = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let c = Gated {
        gate,
        started: started.clone(),
    };
    let handle = spawn(
        c,
        Duration::from_millis(5),
        Duration::from_millis(50),
        tx,
        |r, t| (r, t),
    );

    for _ in 0..3 {
        let (r, _) = next(&mut rx).await;
        assert_eq!(r.unwrap_err(), "gated timed out after 50ms");
    }
    assert_eq!(
        started.load(Ordering::SeqCst),
        1,
        "a hung call must not be restarted"
    );

    gate_tx.send(()).unwrap();
    // The runner may report one more timeout before it sees the call end.
    loop {
        match next(&mut rx).await.0 {
            Ok(n) => {
                assert_eq!(n, 1, "the first call's own result");
                break;
            }
            Err(e) => assert!(e.contains("timed out"), "{e}"),
        }
    }
    drop(rx);
    drop(gate_tx); // lets the next (blocked) call return so the pool can drain
    tokio::time::timeout(GUARD, handle).await.unwrap().unwrap();
}

/// Fails `fail` times, then counts successes.
struct Flaky {
    calls: usize,
    fail: usize,
}

impl Collector for Flaky {
    type Output = usize;
    fn name(&self) -> &'static str {
        "flaky"
    }
    fn collect(&mut self) -> Result<usize, String> {
        self.calls += 1;
        if self.calls <= self.fail {
            Err(format!("fail {}", self.calls))
        } else {
            Ok(self.calls)
        }
    }
}

#[tokio::test]
async fn errors_then_recovery_in_order_and_stops_with_receiver() {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let before = SystemTime::now();
    let handle = spawn(
        Flaky { calls: 0, fail: 3 },
        Duration::from_millis(2),
        Duration::from_secs(10),
        tx,
        |r, t| (r, t),
    );
    let mut got = Vec::new();
    for _ in 0..5 {
        let (r, t) = next(&mut rx).await;
        assert!(t >= before);
        got.push(r);
    }
    assert_eq!(
        got,
        vec![
            Err("fail 1".to_string()),
            Err("fail 2".to_string()),
            Err("fail 3".to_string()),
            Ok(4),
            Ok(5)
        ]
    );
    drop(rx);
    tokio::time::timeout(GUARD, handle)
        .await
        .expect("runner must end when the receiver is dropped")
        .unwrap();
}

struct Panicky {
    calls: usize,
}

impl Collector for Panicky {
    type Output = usize;
    fn name(&self) -> &'static str {
        "panicky"
    }
    fn collect(&mut self) -> Result<usize, String> {
        self.calls += 1;
        if self.calls == 1 {
            panic!("boom");
        }
        Ok(self.calls)
    }
}

#[tokio::test]
async fn panic_becomes_an_error_and_the_collector_survives() {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let handle = spawn(
        Panicky { calls: 0 },
        Duration::from_millis(1),
        Duration::from_secs(10),
        tx,
        |r, t| (r, t),
    );
    assert_eq!(
        next(&mut rx).await.0,
        Err("panicky panicked: boom".to_string())
    );
    assert_eq!(next(&mut rx).await.0, Ok(2));
    drop(rx);
    tokio::time::timeout(GUARD, handle).await.unwrap().unwrap();
}

#[test]
fn backoff_doubles_caps_and_resets() {
    let s = Duration::from_secs;
    let mut d = s(2);
    let mut seen = Vec::new();
    for _ in 0..6 {
        d = next_delay(d, s(2), false);
        seen.push(d.as_secs());
    }
    assert_eq!(seen, [4, 8, 16, 30, 30, 30]);
    assert_eq!(next_delay(d, s(2), true), s(2));
    // A cadence longer than the cap is never shortened by an error.
    assert_eq!(next_delay(s(60), s(60), false), s(60));
}

#[test]
fn duration_text() {
    assert_eq!(fmt_duration(Duration::from_secs(5)), "5s");
    assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
    assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
}

#[test]
fn collect_all_once_on_this_machine() {
    let roots = ProbeRoots::system(vec!["/".into(), "/no/such/dir".into()], None);
    let s = collect_all_once(&roots);
    s.time.as_ref().unwrap();
    s.cpu.as_ref().unwrap();
    s.mem.as_ref().unwrap();
    s.block.as_ref().unwrap();
    s.iscsi.as_ref().unwrap();
    let nics = s.nics.as_ref().unwrap();
    assert!(
        nics.nics.iter().all(|n| n.name != "lo"),
        "loopback is excluded"
    );
    let disks = s.disks.as_ref().unwrap();
    assert!(disks[0].usage.is_ok() && disks[1].usage.is_err());
}
