//! A [`Feed`] is what a panel knows about one data source: the last good
//! value, when it arrived, and the current error if the source is failing.
//!
//! Keeping the last good value next to the error lets a panel show "stale
//! (2m)" with the old numbers instead of going blank when a source hiccups,
//! which is what an operator glancing at the console needs.

use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, PartialEq)]
pub struct Feed<T> {
    pub value: Option<T>,
    /// When `value` was collected.
    pub updated: Option<SystemTime>,
    /// The current failure, if the latest collection failed.
    pub error: Option<String>,
}

impl<T> Default for Feed<T> {
    fn default() -> Self {
        Feed {
            value: None,
            updated: None,
            error: None,
        }
    }
}

/// What a panel should show for a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedState {
    /// Nothing collected yet.
    Waiting,
    /// Fresh value.
    Fresh,
    /// A value, but the source failed since; shown with its age.
    Stale(Duration),
    /// No value and the source fails.
    Unavailable,
}

impl<T: PartialEq> Feed<T> {
    /// Applies one collection result; returns whether anything visible changed.
    pub fn apply(&mut self, result: Result<T, String>, at: SystemTime) -> bool {
        match result {
            Ok(v) => {
                let changed = self.value.as_ref() != Some(&v) || self.error.is_some();
                self.value = Some(v);
                self.updated = Some(at);
                self.error = None;
                changed
            }
            Err(e) => {
                let changed = self.error.as_ref() != Some(&e);
                self.error = Some(e);
                changed
            }
        }
    }
}

impl<T> Feed<T> {
    pub fn ready(value: T, at: SystemTime) -> Feed<T> {
        Feed {
            value: Some(value),
            updated: Some(at),
            error: None,
        }
    }

    pub fn failed(error: impl Into<String>) -> Feed<T> {
        Feed {
            value: None,
            updated: None,
            error: Some(error.into()),
        }
    }

    pub fn state(&self, now: SystemTime) -> FeedState {
        match (&self.value, &self.error) {
            (None, None) => FeedState::Waiting,
            (Some(_), None) => FeedState::Fresh,
            (Some(_), Some(_)) => FeedState::Stale(
                self.updated
                    .and_then(|u| now.duration_since(u).ok())
                    .unwrap_or_default(),
            ),
            (None, Some(_)) => FeedState::Unavailable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let mut f: Feed<u32> = Feed::default();
        assert_eq!(f.state(t0), FeedState::Waiting);
        assert!(f.apply(Ok(1), t0));
        assert!(!f.apply(Ok(1), t0), "same value is no change");
        assert_eq!(f.state(t0), FeedState::Fresh);
        assert!(f.apply(Err("down".into()), t0));
        assert!(!f.apply(Err("down".into()), t0));
        assert_eq!(
            f.state(t0 + Duration::from_secs(90)),
            FeedState::Stale(Duration::from_secs(90))
        );
        assert!(f.apply(Ok(1), t0), "recovery is a change");
        let g: Feed<u32> = Feed::failed("x");
        assert_eq!(g.state(t0), FeedState::Unavailable);
    }
}
