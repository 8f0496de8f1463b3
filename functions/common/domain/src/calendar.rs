//! Business calendars for SLA deadlines: a time zone, the business days of the week and
//! when a business day ends, and public holidays (South Africa's by default).
//!
//! Two ways of adding time: wall-clock (urgent: 4 hours, any day), and time counted on
//! business days only (general: 24 hours of weekdays). And one snapping rule: a message
//! received outside business days is due at the end of the next business day.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday,
};
use serde::{Deserialize, Serialize};

use crate::Zone;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    /// IANA time zone the days and times are in.
    pub time_zone: Zone,
    pub business_days: Vec<Weekday>,
    /// When a business day ends (the deadline of "by the end of the next business day").
    pub business_day_end: NaiveTime,
    /// Days that are not business days although their weekday is.
    pub holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Africa/Johannesburg, Monday to Friday until 17:00, with South Africa's public
    /// holidays for `years`.
    pub fn south_africa(years: impl IntoIterator<Item = i32>) -> Self {
        Self {
            time_zone: crate::HOME_TIME_ZONE,
            business_days: [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ]
            .into(),
            business_day_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
            holidays: years
                .into_iter()
                .flat_map(south_african_public_holidays)
                .collect(),
        }
    }

    pub fn is_business_day(&self, day: NaiveDate) -> bool {
        self.business_days.contains(&day.weekday()) && !self.holidays.contains(&day)
    }

    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.time_zone).naive_local()
    }

    fn utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        // A local time skipped by a clock change moves on to the first valid instant.
        self.time_zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.time_zone
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()
            })
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
    }

    /// The end of the first business day on or after `day`.
    fn end_of_business_day_from(&self, mut day: NaiveDate) -> NaiveDateTime {
        // A calendar without business days would loop forever: give up after ten years.
        for _ in 0..3660 {
            if self.is_business_day(day) {
                break;
            }
            day = day.succ_opt().unwrap_or(day);
        }
        day.and_time(self.business_day_end)
    }

    /// Received outside business days: due at the end of the next business day.
    /// `None` on a business day.
    pub fn snap(&self, received: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = self.local(received);
        if self.is_business_day(local.date()) {
            return None;
        }
        Some(self.utc(self.end_of_business_day_from(local.date())))
    }

    /// `target` counted only during business days (whole days), from `from`.
    pub fn add_business_time(&self, from: DateTime<Utc>, target: Duration) -> DateTime<Utc> {
        let mut remaining = target;
        let mut cursor = self.local(from);
        for _ in 0..3660 {
            let midnight = cursor
                .date()
                .succ_opt()
                .unwrap_or(cursor.date())
                .and_time(NaiveTime::MIN);
            if self.is_business_day(cursor.date()) {
                let available = midnight - cursor;
                if remaining <= available {
                    return self.utc(cursor + remaining);
                }
                remaining -= available;
            }
            cursor = midnight;
        }
        self.utc(cursor)
    }

    /// The time between `from` and `to` that falls on business days (zero if `to` is
    /// not later): the inverse of [`add_business_time`](Self::add_business_time).
    pub fn business_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let (mut cursor, end) = (self.local(from), self.local(to));
        let mut counted = Duration::zero();
        while cursor < end {
            let midnight = cursor
                .date()
                .succ_opt()
                .unwrap_or(cursor.date())
                .and_time(NaiveTime::MIN);
            let until = midnight.min(end);
            if self.is_business_day(cursor.date()) {
                counted += until - cursor;
            }
            if midnight <= cursor {
                break;
            }
            cursor = until;
        }
        counted
    }
}

/// South Africa's public holidays in `year` (Public Holidays Act 36 of 1994): a holiday
/// on a Sunday moves the holiday to the Monday.
pub fn south_african_public_holidays(year: i32) -> Vec<NaiveDate> {
    let date = |month, day| NaiveDate::from_ymd_opt(year, month, day);
    let easter = easter_sunday(year);
    let fixed = [
        (1, 1),
        (3, 21),
        (4, 27),
        (5, 1),
        (6, 16),
        (8, 9),
        (9, 24),
        (12, 16),
        (12, 25),
        (12, 26),
    ];
    let mut days: Vec<NaiveDate> = fixed.iter().filter_map(|(m, d)| date(*m, *d)).collect();
    let mut observed: Vec<NaiveDate> = days
        .iter()
        .filter(|d| d.weekday() == Weekday::Sun)
        .filter_map(|d| d.succ_opt())
        .collect();
    if let Some(easter) = easter {
        days.push(easter - Duration::days(2)); // Good Friday
        days.push(easter + Duration::days(1)); // Family Day
    }
    days.append(&mut observed);
    days.sort();
    days.dedup();
    days
}

/// Easter Sunday by the anonymous Gregorian algorithm.
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::times::sast as at;

    fn calendar() -> Calendar {
        Calendar::south_africa([2026, 2027])
    }

    fn general_due(received: DateTime<Utc>) -> DateTime<Utc> {
        let calendar = calendar();
        calendar
            .snap(received)
            .unwrap_or_else(|| calendar.add_business_time(received, Duration::hours(24)))
    }

    #[test]
    fn easter_and_the_holidays_it_moves_are_right() {
        assert_eq!(easter_sunday(2026), NaiveDate::from_ymd_opt(2026, 4, 5));
        assert_eq!(easter_sunday(2027), NaiveDate::from_ymd_opt(2027, 3, 28));
        let holidays = south_african_public_holidays(2026);
        assert!(
            holidays.contains(&NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()),
            "Good Friday"
        );
        assert!(
            holidays.contains(&NaiveDate::from_ymd_opt(2026, 4, 6).unwrap()),
            "Family Day"
        );
        // A holiday on a Sunday gives the Monday off: Youth Day 2024, Women's Day 2026.
        assert!(
            south_african_public_holidays(2024)
                .contains(&NaiveDate::from_ymd_opt(2024, 6, 17).unwrap())
        );
        assert!(holidays.contains(&NaiveDate::from_ymd_opt(2026, 8, 10).unwrap()));
        assert_eq!(
            holidays.len(),
            13,
            "ten fixed, two around Easter, one Monday for a Sunday"
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Any minute of 2026 and 2027.
        fn instant() -> impl Strategy<Value = DateTime<Utc>> {
            let start = at("2026-01-01T00:00:00").timestamp();
            (0i64..(2 * 365 * 24 * 60))
                .prop_map(move |minutes| DateTime::from_timestamp(start + minutes * 60, 0).unwrap())
        }

        proptest! {
            #[test]
            fn a_deadline_is_never_before_the_message(received in instant(), hours in 0i64..200) {
                let calendar = calendar();
                prop_assert!(calendar.add_business_time(received, Duration::hours(hours)) >= received);
                prop_assert!(general_due(received) >= received);
            }

            #[test]
            fn snapping_a_snapped_deadline_changes_nothing(received in instant()) {
                let calendar = calendar();
                if let Some(snapped) = calendar.snap(received) {
                    prop_assert_eq!(calendar.snap(snapped), None, "the end of a business day is on a business day");
                }
            }

            #[test]
            fn counting_business_time_undoes_adding_it(received in instant(), minutes in 0i64..(72 * 60)) {
                let calendar = calendar();
                let due = calendar.add_business_time(received, Duration::minutes(minutes));
                prop_assert_eq!(calendar.business_time_between(received, due), Duration::minutes(minutes));
            }

            // Only added time is monotonic: a later *message* can be due earlier, by the
            // seed's own rules (Friday 23:59 counts weekday hours to Monday 23:59, Saturday
            // 00:00 snaps to Monday 17:00).
            #[test]
            fn adding_time_never_moves_a_deadline_earlier(received in instant(), a in 0i64..100, b in 0i64..100) {
                let calendar = calendar();
                let (short, long) = (a.min(b), a.max(b));
                prop_assert!(calendar.add_business_time(received, Duration::hours(short)) <= calendar.add_business_time(received, Duration::hours(long)));
            }
        }
    }

    #[test]
    fn friday_evening_general_is_due_monday_with_the_weekday_hours_counted() {
        assert_eq!(
            general_due(at("2026-11-27T20:00:00")),
            at("2026-11-30T20:00:00")
        );
    }

    #[test]
    fn saturday_morning_general_is_due_monday_at_five() {
        assert_eq!(
            general_due(at("2026-11-28T09:00:00")),
            at("2026-11-30T17:00:00")
        );
    }

    #[test]
    fn a_public_holiday_monday_moves_the_deadline_to_tuesday() {
        // Easter weekend 2026: Good Friday 3 April, Family Day Monday 6 April.
        assert_eq!(
            general_due(at("2026-04-04T10:00:00")),
            at("2026-04-07T17:00:00")
        );
        assert_eq!(
            general_due(at("2026-04-02T12:00:00")),
            at("2026-04-07T12:00:00")
        );
    }
}
