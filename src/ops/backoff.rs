//! Brute-force backoff for the root password gate.
//!
//! Why a pure type with the clock passed in: the delay rule is a security
//! property, so it is unit-tested exactly, without sleeping and without a
//! global clock. The app passes `Instant::now()`.
//!
//! Rule: the first 3 consecutive failures cost nothing; from the 3rd
//! consecutive failure on, the next try waits 2 s, then 4, 8, 16, 32, and
//! then 60 s for every further failure. A success resets the count.

use std::time::{Duration, Instant};

/// Consecutive failures allowed before any delay applies.
pub const FREE_FAILURES: u32 = 2;
/// The longest wait between two tries.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// The wait imposed after `failures` consecutive failures.
///
/// `delay_after(0..=2)` is zero; `delay_after(3)` is 2 s, then it doubles up
/// to [`MAX_DELAY`].
pub fn delay_after(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let exp = failures - FREE_FAILURES; // 1 for the 3rd failure
    if exp >= 6 {
        return MAX_DELAY; // 2^6 = 64 s > 60 s; also avoids overflow
    }
    Duration::from_secs(1u64 << exp).min(MAX_DELAY)
}

/// Consecutive-failure counter with the time before which no new try is
/// allowed.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    failures: u32,
    not_before: Option<Instant>,
}

impl Backoff {
    pub fn new() -> Backoff {
        Backoff::default()
    }

    /// Records a failed try made at `now` and starts the delay it earns.
    pub fn record_failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        let delay = delay_after(self.failures);
        self.not_before = if delay.is_zero() {
            None
        } else {
            Some(now + delay)
        };
    }

    /// Records a successful try: the count and any delay are cleared.
    pub fn record_success(&mut self) {
        self.failures = 0;
        self.not_before = None;
    }

    /// How long the operator must still wait at `now` before the next try,
    /// or `None` when a try is allowed (show it as a countdown).
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        let until = self.not_before?;
        let left = until.checked_duration_since(now)?;
        (!left.is_zero()).then_some(left)
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn delays_follow_the_rule() {
        let got: Vec<u64> = (0..=10).map(|n| delay_after(n).as_secs()).collect();
        assert_eq!(got, vec![0, 0, 0, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn first_failures_are_free_then_delay_counts_down() {
        let t0 = Instant::now();
        let mut b = Backoff::new();
        b.record_failure(t0);
        b.record_failure(t0);
        assert_eq!(b.remaining(t0), None, "two failures cost nothing");
        b.record_failure(t0);
        assert_eq!(b.remaining(t0), Some(secs(2)));
        assert_eq!(
            b.remaining(t0 + Duration::from_millis(500)),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(b.remaining(t0 + secs(2)), None);
        assert_eq!(b.remaining(t0 + secs(100)), None);
        let t1 = t0 + secs(2);
        b.record_failure(t1);
        assert_eq!(b.remaining(t1), Some(secs(4)));
        assert_eq!(b.failures(), 4);
    }

    #[test]
    fn delay_is_capped() {
        let t0 = Instant::now();
        let mut b = Backoff::new();
        for _ in 0..50 {
            b.record_failure(t0);
        }
        assert_eq!(b.remaining(t0), Some(MAX_DELAY));
    }

    #[test]
    fn success_resets() {
        let t0 = Instant::now();
        let mut b = Backoff::new();
        for _ in 0..5 {
            b.record_failure(t0);
        }
        assert!(b.remaining(t0).is_some());
        b.record_success();
        assert_eq!(b.remaining(t0), None);
        assert_eq!(b.failures(), 0);
        b.record_failure(t0);
        assert_eq!(b.remaining(t0), None, "count restarts from zero");
    }

    #[test]
    fn clock_before_the_failure_does_not_panic() {
        let t0 = Instant::now() + secs(10);
        let mut b = Backoff::new();
        for _ in 0..3 {
            b.record_failure(t0);
        }
        // An earlier instant than the failure: still waiting the full delay
        // plus the difference, never a panic on subtraction.
        assert_eq!(b.remaining(t0 - secs(1)), Some(secs(3)));
    }
}
