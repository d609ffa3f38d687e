//! Locking that outlives a panic.

use std::sync::{Mutex, MutexGuard};

/// Locks `m`, also when a thread panicked while holding it: the state the
/// console keeps behind its mutexes (connection slots, caches, waiting
/// calls) is replaced whole, never left half-written, so a poisoned lock
/// still holds a usable value and refusing it would only turn one failed
/// call into a console that stops refreshing.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
