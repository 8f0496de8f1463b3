//! When an answer is due (DESIGN.md "SLA policy"): urgent within 4 hours, any day; general
//! within 24 hours counted on business days only; received outside business days, by
//! the end of the next business day. Targets and the calendar are configuration.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::sla_policy::SlaPolicyConfig;
use super::{Category, Priority};

/// The SLA policy in force, with its version.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaTargets {
    /// 0 for the built-in default, then 1, 2, ... as managers save changes.
    pub version: u32,
    pub policy: SlaPolicyConfig,
}

impl SlaTargets {
    /// The built-in policy (the seed's rules), with South Africa's public holidays of
    /// `year` and the next.
    pub fn south_africa(year: i32) -> Self {
        Self {
            version: 0,
            policy: SlaPolicyConfig::default_for(year),
        }
    }

    /// When a message received at `received` must be answered.
    pub fn due(
        &self,
        received: DateTime<Utc>,
        priority: Priority,
        category: Category,
    ) -> DateTime<Utc> {
        // A saved policy is validated, so it always has a rule; the fallback is a guard.
        self.policy
            .due(received, priority, category)
            .unwrap_or(received + Duration::hours(24))
    }
}

/// The SLA clocks of a support conversation, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sla {
    pub first_response_due: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// When the oldest user message still awaiting an admin arrived; `None` while the
    /// conversation waits on the user (pending) or is resolved.
    pub awaiting_since: Option<DateTime<Utc>>,
    pub next_response_due: Option<DateTime<Utc>>,
    pub escalation_level: u8,
    pub breached: bool,
    /// The policy version these clocks started under.
    #[serde(default)]
    pub policy_version: u32,
}

impl Sla {
    pub fn start(
        received: DateTime<Utc>,
        priority: Priority,
        category: Category,
        targets: &SlaTargets,
    ) -> Self {
        let due = targets.due(received, priority, category);
        Self {
            first_response_due: due,
            first_response_at: None,
            awaiting_since: Some(received),
            next_response_due: Some(due),
            escalation_level: 0,
            breached: false,
            policy_version: targets.version,
        }
    }

    /// A user wrote: the response clock runs from the oldest unanswered message.
    pub fn user_wrote(
        &mut self,
        at: DateTime<Utc>,
        priority: Priority,
        category: Category,
        targets: &SlaTargets,
    ) {
        if self.awaiting_since.is_none() {
            self.awaiting_since = Some(at);
            self.next_response_due = Some(targets.due(at, priority, category));
        }
    }

    /// An admin answered (not an internal note): the response clock stops.
    pub fn admin_answered(&mut self, at: DateTime<Utc>) {
        self.first_response_at.get_or_insert(at);
        self.stop();
    }

    /// Pending or resolved: nobody owes the user an answer.
    pub fn stop(&mut self) {
        self.awaiting_since = None;
        self.next_response_due = None;
    }

    /// The priority changed: deadlines still running are recomputed from when they started.
    pub fn reprioritise(
        &mut self,
        priority: Priority,
        category: Category,
        created_at: DateTime<Utc>,
        targets: &SlaTargets,
    ) {
        if self.first_response_at.is_none() {
            self.first_response_due = targets.due(created_at, priority, category);
        }
        if let Some(since) = self.awaiting_since {
            self.next_response_due = Some(targets.due(since, priority, category));
        }
    }

    /// Breached: a deadline that is still running has passed (or an escalation recorded it).
    pub fn is_breached(&self, now: DateTime<Utc>) -> bool {
        self.breached
            || (self.first_response_at.is_none() && now > self.first_response_due)
            || self.next_response_due.is_some_and(|due| now > due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(received: DateTime<Utc>, priority: Priority, targets: &SlaTargets) -> DateTime<Utc> {
        targets.due(received, priority, Category::General)
    }

    /// Local (UTC+2) time to UTC.
    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{text}+02:00"))
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn general_on_a_tuesday_morning_is_due_wednesday_morning() {
        assert_eq!(
            due(
                at("2026-11-24T09:00:00"),
                Priority::Normal,
                &SlaTargets::south_africa(2026)
            ),
            at("2026-11-25T09:00:00")
        );
    }

    #[test]
    fn general_on_friday_evening_counts_only_weekday_hours() {
        // 4 hours of Friday, then 20 hours of Monday.
        assert_eq!(
            due(
                at("2026-11-27T20:00:00"),
                Priority::Normal,
                &SlaTargets::south_africa(2026)
            ),
            at("2026-11-30T20:00:00")
        );
    }

    #[test]
    fn general_on_saturday_morning_is_due_monday_at_five() {
        assert_eq!(
            due(
                at("2026-11-28T09:00:00"),
                Priority::Normal,
                &SlaTargets::south_africa(2026)
            ),
            at("2026-11-30T17:00:00")
        );
    }

    #[test]
    fn urgent_on_sunday_is_due_four_hours_later() {
        assert_eq!(
            due(
                at("2026-11-29T10:00:00"),
                Priority::Urgent,
                &SlaTargets::south_africa(2026)
            ),
            at("2026-11-29T14:00:00")
        );
    }

    #[test]
    fn pending_stops_the_clock_and_a_new_user_message_restarts_it() {
        let targets = SlaTargets::south_africa(2026);
        let mut sla = Sla::start(
            at("2026-11-24T09:00:00"),
            Priority::Urgent,
            Category::General,
            &targets,
        );
        sla.admin_answered(at("2026-11-24T10:00:00"));
        assert_eq!(sla.next_response_due, None);
        assert!(!sla.is_breached(at("2026-11-30T00:00:00")));
        sla.user_wrote(
            at("2026-11-25T08:00:00"),
            Priority::Urgent,
            Category::General,
            &targets,
        );
        sla.user_wrote(
            at("2026-11-25T09:00:00"),
            Priority::Urgent,
            Category::General,
            &targets,
        );
        assert_eq!(
            sla.next_response_due,
            Some(at("2026-11-25T12:00:00")),
            "runs from the oldest unanswered"
        );
        assert!(sla.is_breached(at("2026-11-25T12:00:01")));
        assert_eq!(sla.first_response_at, Some(at("2026-11-24T10:00:00")));
    }
}
