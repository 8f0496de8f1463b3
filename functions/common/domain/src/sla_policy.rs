//! The SLA policy managers edit (`GET/PUT /v1/admin/sla-policy`): per priority and
//! category a target and the calendar it counts on, calendars, when to warn and when to
//! escalate further. Validated on save; versioned, so each conversation records the
//! policy its clocks run under.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, south_african_public_holidays};
use super::{Category, Priority};
use crate::{Rejection, Result, Zone};

/// How a target's time is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Every hour of every day (urgent).
    Wall,
    /// Hours of business days only; a message received outside business days is due at
    /// the end of the next business day.
    BusinessDays,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetRule {
    pub priority: Priority,
    /// `None`: any category of this priority (each priority needs one such rule).
    #[serde(default)]
    pub category: Option<Category>,
    pub minutes: u32,
    pub counting: Counting,
    pub calendar: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    pub time_zone: String,
    #[schema(value_type = Vec<BusinessDay>)]
    pub business_days: Vec<Weekday>,
    /// `HH:MM`, local.
    pub business_day_end: NaiveTime,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

/// A day of the week as a calendar names it (how chrono's `Weekday` is written).
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "the API document's name for chrono's Weekday")]
enum BusinessDay {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// The policy as managers write it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicyConfig {
    pub calendars: BTreeMap<String, CalendarConfig>,
    /// The most specific rule wins: a category rule before its priority's general rule.
    pub targets: Vec<TargetRule>,
    /// Warn the assignee when this share of the time is used (1–99).
    #[schema(maximum = 99)]
    pub warn_at_percent: u8,
    /// Still unanswered this long after the breach: escalate to a manager.
    #[schema(maximum = 43200)]
    pub manager_after_minutes: u32,
    /// Resolve within this long of the first message, counted as each conversation's
    /// response target is (the seed's 24 hours by default).
    #[serde(default = "default_resolution_minutes")]
    #[schema(maximum = 43200)]
    pub resolution_minutes: u32,
}

fn default_resolution_minutes() -> u32 {
    24 * 60
}

const MAX_TARGET_MINUTES: u32 = 30 * 24 * 60;

impl SlaPolicyConfig {
    /// The seed's rules: urgent within 4 hours any day; general within 24 hours of
    /// weekdays, weekend messages by 17:00 on the next business day; South Africa's
    /// public holidays for `year` and the next.
    pub fn default_for(year: i32) -> Self {
        let calendar = CalendarConfig {
            time_zone: crate::HOME_TIME_ZONE.name().into(),
            business_days: vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            business_day_end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
            holidays: [year, year + 1]
                .into_iter()
                .flat_map(south_african_public_holidays)
                .collect(),
        };
        let rule = |priority, minutes, counting| TargetRule {
            priority,
            category: None,
            minutes,
            counting,
            calendar: "south-africa".into(),
        };
        Self {
            calendars: BTreeMap::from([("south-africa".to_string(), calendar)]),
            targets: vec![
                rule(Priority::Urgent, 4 * 60, Counting::Wall),
                rule(Priority::Normal, 24 * 60, Counting::BusinessDays),
            ],
            warn_at_percent: 80,
            manager_after_minutes: 120,
            resolution_minutes: default_resolution_minutes(),
        }
    }

    /// Checks everything a deadline computation relies on; the message names the field.
    pub fn validate(&self) -> Result<()> {
        if self.calendars.is_empty() {
            return Err(Rejection::invalid("calendars: at least one calendar"));
        }
        for (name, calendar) in &self.calendars {
            let field = format!("calendars.{name}");
            if name.is_empty() || name.len() > 64 {
                return Err(Rejection::invalid(format!(
                    "{field}: a name of 1 to 64 characters"
                )));
            }
            if calendar.time_zone.parse::<Zone>().is_err() {
                return Err(Rejection::invalid(format!(
                    "{field}.time_zone: not an IANA time zone"
                )));
            }
            if calendar.business_days.is_empty() {
                return Err(Rejection::invalid(format!(
                    "{field}.business_days: at least one day"
                )));
            }
            if calendar.holidays.len() > 200 {
                return Err(Rejection::invalid(format!("{field}.holidays: at most 200")));
            }
        }
        for (n, rule) in self.targets.iter().enumerate() {
            if !self.calendars.contains_key(&rule.calendar) {
                return Err(Rejection::invalid(format!(
                    "targets[{n}].calendar: no calendar named {}",
                    rule.calendar
                )));
            }
            if rule.minutes == 0 || rule.minutes > MAX_TARGET_MINUTES {
                return Err(Rejection::invalid(format!(
                    "targets[{n}].minutes: between 1 and {MAX_TARGET_MINUTES}"
                )));
            }
            let same = self
                .targets
                .iter()
                .filter(|r| r.priority == rule.priority && r.category == rule.category)
                .count();
            if same > 1 {
                return Err(Rejection::invalid(format!(
                    "targets[{n}]: more than one rule for the same priority and category"
                )));
            }
        }
        for priority in [Priority::Normal, Priority::Urgent] {
            if !self
                .targets
                .iter()
                .any(|r| r.priority == priority && r.category.is_none())
            {
                return Err(Rejection::invalid(
                    format!(
                        "targets: a rule for {priority:?} priority without a category is needed"
                    )
                    .to_lowercase(),
                ));
            }
        }
        if !(1..=99).contains(&self.warn_at_percent) {
            return Err(Rejection::invalid("warn_at_percent: between 1 and 99"));
        }
        if self.manager_after_minutes == 0 || self.manager_after_minutes > MAX_TARGET_MINUTES {
            return Err(Rejection::invalid(format!(
                "manager_after_minutes: between 1 and {MAX_TARGET_MINUTES}"
            )));
        }
        if self.resolution_minutes == 0 || self.resolution_minutes > MAX_TARGET_MINUTES {
            return Err(Rejection::invalid(format!(
                "resolution_minutes: between 1 and {MAX_TARGET_MINUTES}"
            )));
        }
        Ok(())
    }

    /// The rule for a conversation: its category's, else its priority's general rule.
    pub fn rule(&self, priority: Priority, category: Category) -> Option<&TargetRule> {
        let matching = |category: Option<Category>| {
            self.targets
                .iter()
                .find(|r| r.priority == priority && r.category == category)
        };
        matching(Some(category)).or_else(|| matching(None))
    }

    /// Whether `now` is in business hours for a conversation: a business day of its
    /// rule's calendar, before the end of the business day.
    pub fn is_business_time(
        &self,
        now: DateTime<Utc>,
        priority: Priority,
        category: Category,
    ) -> bool {
        let Some(calendar) = self
            .rule(priority, category)
            .and_then(|r| self.calendar(&r.calendar))
        else {
            return true;
        };
        let local = now.with_timezone(&calendar.time_zone);
        calendar.is_business_day(local.date_naive()) && local.time() < calendar.business_day_end
    }

    /// The time zone a conversation's deadlines are read in (its rule's calendar's).
    pub fn time_zone(&self, priority: Priority, category: Category) -> Option<Zone> {
        let rule = self.rule(priority, category)?;
        self.calendars.get(&rule.calendar)?.time_zone.parse().ok()
    }

    fn calendar(&self, name: &str) -> Option<Calendar> {
        let config = self.calendars.get(name)?;
        Some(Calendar {
            time_zone: config.time_zone.parse().ok()?,
            business_days: config.business_days.clone(),
            business_day_end: config.business_day_end,
            holidays: config.holidays.iter().copied().collect(),
        })
    }

    /// When a message received at `received` must be answered. A policy that passed
    /// [`validate`](Self::validate) always has an answer; `None` otherwise.
    pub fn due(
        &self,
        received: DateTime<Utc>,
        priority: Priority,
        category: Category,
    ) -> Option<DateTime<Utc>> {
        let rule = self.rule(priority, category)?;
        self.deadline(rule, received, rule.minutes)
    }

    /// When a conversation started at `created` must be resolved.
    pub fn resolution_due(
        &self,
        created: DateTime<Utc>,
        priority: Priority,
        category: Category,
    ) -> Option<DateTime<Utc>> {
        let rule = self.rule(priority, category)?;
        self.deadline(rule, created, self.resolution_minutes)
    }

    /// When to warn about an answer due at `due`: once `warn_at_percent` of the time
    /// from `received` has passed, counted the way the target counts (business days
    /// only for a general inquiry, so a Friday-evening message is not warned about at
    /// dawn on Monday).
    pub fn warn_at(
        &self,
        received: DateTime<Utc>,
        due: DateTime<Utc>,
        priority: Priority,
        category: Category,
    ) -> Option<DateTime<Utc>> {
        let rule = self.rule(priority, category)?;
        let share = |span: Duration| span * i32::from(self.warn_at_percent) / 100;
        Some(match rule.counting {
            Counting::Wall => received + share(due - received),
            Counting::BusinessDays => {
                let calendar = self.calendar(&rule.calendar)?;
                let span = calendar.business_time_between(received, due);
                calendar.add_business_time(received, share(span))
            }
        })
    }

    fn deadline(
        &self,
        rule: &TargetRule,
        received: DateTime<Utc>,
        minutes: u32,
    ) -> Option<DateTime<Utc>> {
        let target = Duration::minutes(i64::from(minutes));
        Some(match rule.counting {
            Counting::Wall => received + target,
            Counting::BusinessDays => {
                let calendar = self.calendar(&rule.calendar)?;
                calendar
                    .snap(received)
                    .unwrap_or_else(|| calendar.add_business_time(received, target))
            }
        })
    }

    /// The year of the last holiday any calendar lists (to tell managers when to extend).
    pub fn holidays_until(&self) -> Option<i32> {
        self.calendars
            .values()
            .flat_map(|c| c.holidays.iter())
            .map(|d| d.year())
            .max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::times::sast as at;

    #[test]
    fn the_default_policy_is_the_seeds_rules_and_valid() {
        let policy = SlaPolicyConfig::default_for(2026);
        policy.validate().unwrap();
        assert_eq!(
            policy.due(
                at("2026-11-29T10:00:00"),
                Priority::Urgent,
                Category::Payment
            ),
            Some(at("2026-11-29T14:00:00"))
        );
        assert_eq!(
            policy.due(
                at("2026-11-28T09:00:00"),
                Priority::Normal,
                Category::General
            ),
            Some(at("2026-11-30T17:00:00"))
        );
        assert_eq!(policy.holidays_until(), Some(2027));
    }

    #[test]
    fn a_category_rule_wins_over_its_prioritys_general_rule() {
        let mut policy = SlaPolicyConfig::default_for(2026);
        policy.targets.push(TargetRule {
            priority: Priority::Normal,
            category: Some(Category::Complaint),
            minutes: 120,
            counting: Counting::Wall,
            calendar: "south-africa".into(),
        });
        policy.validate().unwrap();
        assert_eq!(
            policy.due(
                at("2026-11-24T09:00:00"),
                Priority::Normal,
                Category::Complaint
            ),
            Some(at("2026-11-24T11:00:00"))
        );
        assert_eq!(
            policy.due(
                at("2026-11-24T09:00:00"),
                Priority::Normal,
                Category::General
            ),
            Some(at("2026-11-25T09:00:00"))
        );
    }

    #[test]
    fn an_invalid_policy_is_refused_naming_the_field() {
        let check = |change: fn(&mut SlaPolicyConfig), field: &str| {
            let mut policy = SlaPolicyConfig::default_for(2026);
            change(&mut policy);
            let message = policy.validate().unwrap_err().to_string();
            assert!(message.starts_with(field), "{message} should name {field}");
        };
        check(|p| p.calendars.clear(), "calendars");
        check(
            |p| p.calendars.get_mut("south-africa").unwrap().time_zone = "Mars/Base".into(),
            "calendars.south-africa.time_zone",
        );
        check(
            |p| {
                p.calendars
                    .get_mut("south-africa")
                    .unwrap()
                    .business_days
                    .clear()
            },
            "calendars.south-africa.business_days",
        );
        check(
            |p| p.targets[0].calendar = "nowhere".into(),
            "targets[0].calendar",
        );
        check(|p| p.targets[1].minutes = 0, "targets[1].minutes");
        check(|p| p.targets.truncate(1), "targets");
        check(|p| p.warn_at_percent = 100, "warn_at_percent");
        check(|p| p.manager_after_minutes = 0, "manager_after_minutes");
    }
}
