//! Instants written as people read them, for the unit tests of the rules.

use chrono::{DateTime, Utc};

/// An RFC 3339 instant (`2026-11-24T07:00:00Z`).
pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A South African local time (UTC+2, no daylight saving): `2026-11-24T09:00:00`.
pub fn sast(text: &str) -> DateTime<Utc> {
    utc(&format!("{text}+02:00"))
}
