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
/// (strictly increasing within one process, even within one millisecond). Each id
/// carries the time of the operation that made it: an operation run at a later time
/// (`POST /local/sla-check` "in the future") does not carry later ids along with it.
#[derive(Default)]
pub struct Ids(Mutex<Monotonic>);

#[derive(Default)]
struct Monotonic {
    generator: ulid::Generator,
    /// The time of the last id, in milliseconds.
    last: i64,
}

impl Ids {
    pub fn next(&self, now: DateTime<Utc>) -> String {
        let mut ids = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let at = now.timestamp_millis();
        if at < ids.last {
            // An earlier time than the last id's: start again at it, rather than count on
            // from the later one.
            ids.generator = ulid::Generator::new();
        }
        ids.last = at;
        match ids.generator.generate_from_datetime(now.into()) {
            Ok(id) => id.to_string(),
            // Overflow of the random part within one millisecond: fall back to a fresh ULID.
            Err(_) => ulid::Ulid::from_datetime(now.into()).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time_of(id: &str) -> i64 {
        ulid::Ulid::from_string(id).unwrap().timestamp_ms() as i64
    }

    #[test]
    fn ids_carry_their_operations_time_and_sort_within_a_millisecond() {
        let ids = Ids::default();
        let now = DateTime::from_timestamp_millis(1_700_000_000_000).unwrap();
        let (a, b) = (ids.next(now), ids.next(now));
        assert!(a < b, "strictly increasing within a millisecond");
        let later = now + Duration::hours(5);
        assert_eq!(time_of(&ids.next(later)), later.timestamp_millis());
        let after = ids.next(now + Duration::milliseconds(1));
        assert_eq!(
            time_of(&after),
            now.timestamp_millis() + 1,
            "not five hours ahead"
        );
    }
}
