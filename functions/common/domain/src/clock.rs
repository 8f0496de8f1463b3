//! Time and identifiers, injected so SLA, ordering and reports are deterministic in tests.

use std::sync::Mutex;

use chrono::{DateTime, Duration, SubsecRound, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    /// Millisecond precision: what the API shows and what sort keys hold.
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(3)
    }
}

/// A clock that only moves when told to (tests, demo data, `sla-check --at`).
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }
    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// ULIDs: unique, and sortable by creation time, so message keys sort in sending order
/// (strictly increasing within one process, even within one millisecond).
#[derive(Default)]
pub struct Ids(Mutex<ulid::Generator>);

impl Ids {
    pub fn next(&self, now: DateTime<Utc>) -> String {
        let mut generator = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match generator.generate_from_datetime(now.into()) {
            Ok(id) => id.to_string(),
            // Overflow of the random part within one millisecond: fall back to a fresh ULID.
            Err(_) => ulid::Ulid::from_datetime(now.into()).to_string(),
        }
    }
}
