//! The one way tests wait: poll a condition until a deadline, instead of
//! sleeping a fixed time and hoping the machine was fast enough. The
//! deadline only turns a hang into a failure; it is never a performance
//! assertion, so it is generous (a loaded CI machine is slow).
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// How long [`until`] waits unless told otherwise.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// Pause between two polls.
const PERIOD: Duration = Duration::from_millis(50);

/// Calls `check` until it returns `Ok`, and returns that value; panics
/// naming `what` and showing the last `Err` text after `limit`.
pub fn until_ok<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match check() {
            Ok(v) => return v,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {limit:?} waiting for {what}; last seen:\n{last}")
            }
            Err(_) => std::thread::sleep(PERIOD),
        }
    }
}

/// Waits (up to [`DEADLINE`]) until `cond` holds.
pub fn until(what: &str, mut cond: impl FnMut() -> bool) {
    until_ok(what, DEADLINE, || {
        cond()
            .then_some(())
            .ok_or_else(|| "(condition false)".to_string())
    });
}
