//! IANA time zones, from the tz database as jiff bundles it, behind chrono's `TimeZone`:
//! the rest of the code reads `at.with_timezone(&zone)` as with any chrono zone.
//!
//! Not chrono-tz: it compiles every transition of every zone into tables holding a
//! pointer each (the abbreviation), which the dynamic loader relocates, page by page,
//! in every cold start of every function: 28,500 of `send`'s 52,800 relocations and
//! some 250 page faults of its start, for the one or two zones a run looks at
//! (docs/operators.md#cold-starts). jiff's bundle is one block of bytes, and a zone's
//! rules are read from it the first time that zone is named.

use std::fmt;
use std::str::FromStr;

use chrono::{
    Duration, FixedOffset, MappedLocalTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone,
};
use jiff::tz::AmbiguousOffset;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The time zone SayPro works in: days, hours, business days and working hours are
/// South African unless a calendar says otherwise. Compiled in: SAST, UTC+2.
pub const HOME_TIME_ZONE: Zone = Zone(jiff::tz::get!("Africa/Johannesburg"));

/// An IANA time zone (`Africa/Johannesburg`), named exactly as the database names it.
#[derive(Clone)]
pub struct Zone(jiff::tz::TimeZone);

/// By name: the compiled-in home zone and the same zone read from the database are one.
impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Zone {}

#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an IANA time zone")]
pub struct UnknownZone(String);

impl Zone {
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// The offset in force at `at`, an instant.
    fn offset_at(&self, at: jiff::Timestamp) -> ZoneOffset {
        let seconds = self.0.to_offset(at).seconds();
        ZoneOffset {
            zone: self.clone(),
            fixed: FixedOffset::east_opt(seconds).unwrap_or_else(|| chrono::Utc.fix()),
            at,
        }
    }

    /// The offset `offset` of a local time, as the instant it names.
    fn local_offset(&self, local: &NaiveDateTime, offset: jiff::tz::Offset) -> ZoneOffset {
        self.offset_at(instant(
            &(*local - Duration::seconds(i64::from(offset.seconds()))),
        ))
    }
}

impl FromStr for Zone {
    type Err = UnknownZone;

    /// Exactly as the database spells it: jiff would also take other casings.
    fn from_str(name: &str) -> Result<Self, UnknownZone> {
        jiff::tz::TimeZone::get(name)
            .ok()
            .filter(|zone| zone.iana_name() == Some(name))
            .map(Zone)
            .ok_or_else(|| UnknownZone(name.to_string()))
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// A zone's offset at one instant: its UTC offset, and its abbreviation (`%Z`, `SAST`).
#[derive(Clone)]
pub struct ZoneOffset {
    zone: Zone,
    fixed: FixedOffset,
    at: jiff::Timestamp,
}

impl Offset for ZoneOffset {
    fn fix(&self) -> FixedOffset {
        self.fixed
    }
}

impl fmt::Debug for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.fixed)
    }
}

impl fmt::Display for ZoneOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zone.0.to_offset_info(self.at).abbreviation())
    }
}

impl TimeZone for Zone {
    type Offset = ZoneOffset;

    fn from_offset(offset: &ZoneOffset) -> Self {
        offset.zone.clone()
    }

    fn offset_from_local_date(&self, local: &NaiveDate) -> MappedLocalTime<ZoneOffset> {
        self.offset_from_local_datetime(&local.and_time(NaiveTime::MIN))
    }

    /// A local time a clock change skipped has none; one it repeated has two, the
    /// earlier first.
    fn offset_from_local_datetime(&self, local: &NaiveDateTime) -> MappedLocalTime<ZoneOffset> {
        let Some(civil) = civil(local) else {
            return MappedLocalTime::None;
        };
        match self.0.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => {
                MappedLocalTime::Single(self.local_offset(local, offset))
            }
            AmbiguousOffset::Gap { .. } => MappedLocalTime::None,
            AmbiguousOffset::Fold { before, after } => MappedLocalTime::Ambiguous(
                self.local_offset(local, before),
                self.local_offset(local, after),
            ),
        }
    }

    fn offset_from_utc_date(&self, utc: &NaiveDate) -> ZoneOffset {
        self.offset_from_utc_datetime(&utc.and_time(NaiveTime::MIN))
    }

    fn offset_from_utc_datetime(&self, utc: &NaiveDateTime) -> ZoneOffset {
        self.offset_at(instant(utc))
    }
}

/// A UTC date and time as jiff's instant, clamped to its years (-9999 to 9999).
fn instant(utc: &NaiveDateTime) -> jiff::Timestamp {
    let seconds = utc.and_utc().timestamp();
    jiff::Timestamp::from_second(seconds).unwrap_or(if seconds < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    })
}

/// A local date and time as jiff's, if within its years.
fn civil(local: &NaiveDateTime) -> Option<jiff::civil::DateTime> {
    use chrono::{Datelike, Timelike};
    jiff::civil::DateTime::new(
        i16::try_from(local.year()).ok()?,
        local.month() as i8,
        local.day() as i8,
        local.hour() as i8,
        local.minute() as i8,
        local.second() as i8,
        0,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn johannesburg_is_two_hours_ahead_and_called_sast() {
        let local = utc("2026-07-01T10:00:00Z").with_timezone(&HOME_TIME_ZONE);
        assert_eq!(local.format("%H:%M %Z").to_string(), "12:00 SAST");
        assert_eq!(HOME_TIME_ZONE.name(), "Africa/Johannesburg");
        assert_eq!(
            "Africa/Johannesburg".parse::<Zone>().unwrap(),
            HOME_TIME_ZONE
        );
    }

    #[test]
    fn zones_are_named_exactly_as_the_database_names_them() {
        let london: Zone = "Europe/London".parse().unwrap();
        assert_eq!(london.name(), "Europe/London");
        assert!("europe/london".parse::<Zone>().is_err());
        assert!("Mars/Base".parse::<Zone>().is_err());
        assert_eq!(
            serde_json::to_string(&london).unwrap(),
            r#""Europe/London""#
        );
        let back: Zone = serde_json::from_str(r#""Europe/London""#).unwrap();
        assert_eq!(back, london);
        assert!(serde_json::from_str::<Zone>(r#""Nowhere/City""#).is_err());
    }

    #[test]
    fn daylight_saving_in_london_follows_the_rules() {
        let london: Zone = "Europe/London".parse().unwrap();
        let summer = utc("2026-07-01T12:00:00Z").with_timezone(&london);
        let winter = utc("2026-12-01T12:00:00Z").with_timezone(&london);
        assert_eq!(summer.format("%H:%M %Z").to_string(), "13:00 BST");
        assert_eq!(winter.format("%H:%M %Z").to_string(), "12:00 GMT");
    }

    #[test]
    fn a_skipped_local_time_has_none_and_a_repeated_one_the_earlier_first() {
        let london: Zone = "Europe/London".parse().unwrap();
        let at = |text: &str| text.parse::<NaiveDateTime>().unwrap();
        // 29 March 2026: 01:00 GMT becomes 02:00 BST.
        assert!(matches!(
            london.from_local_datetime(&at("2026-03-29T01:30:00")),
            MappedLocalTime::None
        ));
        // 25 October 2026: 02:00 BST becomes 01:00 GMT.
        let MappedLocalTime::Ambiguous(earlier, later) =
            london.from_local_datetime(&at("2026-10-25T01:30:00"))
        else {
            panic!("01:30 happens twice on 25 October");
        };
        assert_eq!(earlier.with_timezone(&Utc), utc("2026-10-25T00:30:00Z"));
        assert_eq!(later.with_timezone(&Utc), utc("2026-10-25T01:30:00Z"));
    }
}
