//! When an answer is due (docs/admins.md, "The SLA policy and its clocks"): urgent within 4 hours, any day; general
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

    // A saved policy is validated, so it always has a rule; the fallbacks are guards.

    /// When a message received at `received` must be answered.
    pub fn due(
        &self,
        received: DateTime<Utc>,
        priority: Priority,
        category: Category,
    ) -> DateTime<Utc> {
        self.policy
            .due(received, priority, category)
            .unwrap_or(received + Duration::hours(24))
    }

    fn resolution_due(
        &self,
        created: DateTime<Utc>,
        priority: Priority,
        category: Category,
    ) -> DateTime<Utc> {
        self.policy
            .resolution_due(created, priority, category)
            .unwrap_or(created + Duration::hours(24))
    }

    fn warn_at(
        &self,
        received: DateTime<Utc>,
        due: DateTime<Utc>,
        priority: Priority,
        category: Category,
    ) -> DateTime<Utc> {
        self.policy
            .warn_at(received, due, priority, category)
            .unwrap_or(due)
    }

    fn manager_after(&self) -> Duration {
        Duration::minutes(i64::from(self.policy.manager_after_minutes))
    }
}

/// Which clock an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaClock {
    FirstResponse,
    NextResponse,
    Resolution,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaEventKind {
    Started,
    /// Set to pending without an answer: the response clock stops.
    Paused,
    /// The user wrote again, or an admin reopened it: a next-response clock starts.
    Resumed,
    Warned,
    Breached,
    Escalated,
    /// Answered, or resolved (`on_time` says whether within the deadline).
    Met,
    /// Merged into another conversation: the clock stops, neither met nor missed.
    Stopped,
}

/// One entry of a conversation's SLA timeline (`GET .../sla`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SlaEvent {
    pub at: DateTime<Utc>,
    pub kind: SlaEventKind,
    pub clock: SlaClock,
    /// The deadline in force.
    #[schema(required = true)]
    pub due: Option<DateTime<Utc>>,
    /// Escalations: 1 to seniors, 2 to managers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Met: whether within the deadline
    pub on_time: Option<bool>,
    pub policy_version: u32,
}

/// What the SLA check does next to a conversation whose response clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaAction {
    /// Tell the assignee (or the team) the deadline is near.
    Warn,
    /// The deadline passed: escalate to seniors (level 1).
    Breach,
    /// Still unanswered a further while: escalate to managers (level 2).
    EscalateToManager,
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
    #[serde(default)]
    pub resolution_due: Option<DateTime<Utc>>,
    /// While the response clock runs and no warning was given: when to give it.
    #[serde(default)]
    pub warn_at: Option<DateTime<Utc>>,
    /// When a breach of the running clock goes on to managers.
    #[serde(default)]
    pub manager_at: Option<DateTime<Utc>>,
    /// How far the running (or last) response clock was escalated: 0, 1 or 2.
    pub escalation_level: u8,
    /// Whether any deadline of this conversation was ever missed.
    pub breached: bool,
    /// The policy version the latest clock started under.
    #[serde(default)]
    pub policy_version: u32,
    /// Events not yet stored: saved as timeline items with the conversation.
    #[serde(skip)]
    pub new_events: Vec<SlaEvent>,
}

impl Sla {
    pub fn start(
        received: DateTime<Utc>,
        priority: Priority,
        category: Category,
        targets: &SlaTargets,
    ) -> Self {
        let due = targets.due(received, priority, category);
        let mut sla = Self {
            first_response_due: due,
            first_response_at: None,
            awaiting_since: None,
            next_response_due: None,
            resolution_due: Some(targets.resolution_due(received, priority, category)),
            warn_at: None,
            manager_at: None,
            escalation_level: 0,
            breached: false,
            policy_version: targets.version,
            new_events: Vec::new(),
        };
        sla.run_response_clock(received, due, priority, category, targets);
        sla.record(
            received,
            SlaEventKind::Started,
            SlaClock::FirstResponse,
            Some(due),
        );
        sla.record(
            received,
            SlaEventKind::Started,
            SlaClock::Resolution,
            sla.resolution_due,
        );
        sla
    }

    fn run_response_clock(
        &mut self,
        since: DateTime<Utc>,
        due: DateTime<Utc>,
        priority: Priority,
        category: Category,
        targets: &SlaTargets,
    ) {
        self.awaiting_since = Some(since);
        self.next_response_due = Some(due);
        self.warn_at = Some(targets.warn_at(since, due, priority, category));
        self.manager_at = Some(due + targets.manager_after());
        self.escalation_level = 0;
        self.policy_version = targets.version;
    }

    /// The response clock now running: the first response until there is one.
    fn response_clock(&self) -> SlaClock {
        if self.first_response_at.is_none() {
            SlaClock::FirstResponse
        } else {
            SlaClock::NextResponse
        }
    }

    fn record(
        &mut self,
        at: DateTime<Utc>,
        kind: SlaEventKind,
        clock: SlaClock,
        due: Option<DateTime<Utc>>,
    ) {
        self.new_events.push(SlaEvent {
            at,
            kind,
            clock,
            due,
            level: None,
            on_time: None,
            policy_version: self.policy_version,
        });
    }

    fn record_met(&mut self, at: DateTime<Utc>, clock: SlaClock, due: Option<DateTime<Utc>>) {
        self.record(at, SlaEventKind::Met, clock, due);
        if let Some(event) = self.new_events.last_mut() {
            event.on_time = Some(due.is_none_or(|due| at <= due));
        }
    }

    /// A user wrote: a stopped response clock starts again from this message (it runs
    /// from the oldest unanswered one, so a running clock is left alone).
    pub fn user_wrote(
        &mut self,
        at: DateTime<Utc>,
        priority: Priority,
        category: Category,
        targets: &SlaTargets,
    ) {
        if self.awaiting_since.is_none() {
            self.resume(at, priority, category, targets);
        }
    }

    /// An admin reopened a conversation nobody owed an answer: the clock starts now.
    pub fn reopened(
        &mut self,
        at: DateTime<Utc>,
        priority: Priority,
        category: Category,
        targets: &SlaTargets,
    ) {
        self.user_wrote(at, priority, category, targets);
    }

    fn resume(
        &mut self,
        at: DateTime<Utc>,
        priority: Priority,
        category: Category,
        targets: &SlaTargets,
    ) {
        let due = targets.due(at, priority, category);
        self.run_response_clock(at, due, priority, category, targets);
        let clock = self.response_clock();
        self.record(at, SlaEventKind::Resumed, clock, Some(due));
    }

    /// An admin answered (not an internal note): the response clock stops.
    pub fn admin_answered(&mut self, at: DateTime<Utc>) {
        if self.awaiting_since.is_some() {
            let (clock, due) = (self.response_clock(), self.next_response_due);
            self.record_met(at, clock, due);
            self.missed_if_late(at, due);
        }
        self.first_response_at.get_or_insert(at);
        self.stop_response_clock();
    }

    /// Pending: nobody owes the user an answer until they write.
    pub fn paused(&mut self, at: DateTime<Utc>) {
        if self.awaiting_since.is_some() {
            let (clock, due) = (self.response_clock(), self.next_response_due);
            self.record(at, SlaEventKind::Paused, clock, due);
            self.missed_if_late(at, due);
        }
        self.stop_response_clock();
    }

    /// Resolved: every clock stops; the resolution clock is met (on time or not) the
    /// first time.
    pub fn resolved(&mut self, at: DateTime<Utc>) {
        self.paused(at);
        if let Some(due) = self.resolution_due.take() {
            self.record_met(at, SlaClock::Resolution, Some(due));
        }
    }

    /// Merged into another conversation: every clock stops where it is, neither met
    /// nor missed (the conversation goes on in the other, on its clocks).
    pub fn stopped(&mut self, at: DateTime<Utc>) {
        if self.awaiting_since.is_some() {
            let (clock, due) = (self.response_clock(), self.next_response_due);
            self.record(at, SlaEventKind::Stopped, clock, due);
        }
        if let Some(due) = self.resolution_due.take() {
            self.record(at, SlaEventKind::Stopped, SlaClock::Resolution, Some(due));
        }
        self.stop_response_clock();
    }

    fn missed_if_late(&mut self, at: DateTime<Utc>, due: Option<DateTime<Utc>>) {
        if due.is_some_and(|due| at > due) {
            self.breached = true;
        }
    }

    fn stop_response_clock(&mut self) {
        self.awaiting_since = None;
        self.next_response_due = None;
        self.warn_at = None;
        self.manager_at = None;
    }

    /// The priority changed: deadlines still running are recomputed from when they
    /// started, and so are the warning and the manager escalation not yet done.
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
        if self.resolution_due.is_some() {
            self.resolution_due = Some(targets.resolution_due(created_at, priority, category));
        }
        if let Some(since) = self.awaiting_since {
            let due = targets.due(since, priority, category);
            self.next_response_due = Some(due);
            if self.warn_at.is_some() {
                self.warn_at = Some(targets.warn_at(since, due, priority, category));
            }
            if self.escalation_level < 2 {
                self.manager_at = Some(due + targets.manager_after());
            }
        }
    }

    /// What the SLA check does next, and when; `None` while nobody owes an answer or
    /// everything has been escalated.
    pub fn next_step(&self) -> Option<(DateTime<Utc>, SlaAction)> {
        let due = self.next_response_due?;
        match (self.warn_at, self.escalation_level) {
            (Some(warn), 0) => Some((warn, SlaAction::Warn)),
            (None, 0) => Some((due, SlaAction::Breach)),
            (_, 1) => self.manager_at.map(|at| (at, SlaAction::EscalateToManager)),
            _ => None,
        }
    }

    /// Takes every step due by `now` (a check that ran late catches up) and returns the
    /// furthest one, which is the one to tell people about. A warning overtaken by the
    /// breach is skipped, not sent.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Option<SlaAction> {
        let mut furthest = None;
        while let Some((at, action)) = self.next_step().filter(|(at, _)| *at <= now) {
            let (clock, due) = (self.response_clock(), self.next_response_due);
            match action {
                SlaAction::Warn => {
                    self.warn_at = None;
                    if due.is_some_and(|due| now > due) {
                        continue;
                    }
                    self.record(at, SlaEventKind::Warned, clock, due);
                }
                SlaAction::Breach => {
                    self.escalation_level = 1;
                    self.breached = true;
                    self.record(at, SlaEventKind::Breached, clock, due);
                    self.record_escalation(at, clock, due);
                }
                SlaAction::EscalateToManager => {
                    self.escalation_level = 2;
                    self.record_escalation(at, clock, due);
                }
            }
            furthest = Some(action);
        }
        furthest
    }

    fn record_escalation(
        &mut self,
        at: DateTime<Utc>,
        clock: SlaClock,
        due: Option<DateTime<Utc>>,
    ) {
        self.record(at, SlaEventKind::Escalated, clock, due);
        let level = self.escalation_level;
        if let Some(event) = self.new_events.last_mut() {
            event.level = Some(level);
        }
    }

    /// Breached: a response deadline that is still running has passed, or one was
    /// missed. (A late resolution shows on the timeline, not here.)
    pub fn is_breached(&self, now: DateTime<Utc>) -> bool {
        self.breached || self.next_response_due.is_some_and(|due| now > due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(received: DateTime<Utc>, priority: Priority, targets: &SlaTargets) -> DateTime<Utc> {
        targets.due(received, priority, Category::General)
    }

    /// Local (UTC+2) time to UTC.
    use crate::times::sast as at;

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

    fn urgent_at(received: &str) -> Sla {
        Sla::start(
            at(received),
            Priority::Urgent,
            Category::Payment,
            &SlaTargets::south_africa(2026),
        )
    }

    fn kinds(sla: &Sla) -> Vec<(SlaEventKind, SlaClock)> {
        sla.new_events.iter().map(|e| (e.kind, e.clock)).collect()
    }

    #[test]
    fn an_urgent_clock_warns_at_eighty_percent_then_escalates_to_seniors_then_managers() {
        let mut sla = urgent_at("2026-11-29T10:00:00");
        assert_eq!(
            sla.next_step(),
            Some((at("2026-11-29T13:12:00"), SlaAction::Warn))
        );
        assert_eq!(sla.advance(at("2026-11-29T13:11:59")), None, "not yet");
        assert_eq!(
            sla.advance(at("2026-11-29T13:12:00")),
            Some(SlaAction::Warn)
        );
        assert_eq!(
            sla.next_step(),
            Some((at("2026-11-29T14:00:00"), SlaAction::Breach))
        );
        assert_eq!(
            sla.advance(at("2026-11-29T14:05:00")),
            Some(SlaAction::Breach)
        );
        assert_eq!(sla.escalation_level, 1);
        assert!(sla.breached);
        assert_eq!(sla.advance(at("2026-11-29T14:10:00")), None, "once only");
        assert_eq!(
            sla.next_step(),
            Some((at("2026-11-29T16:00:00"), SlaAction::EscalateToManager)),
            "two hours after the deadline by default"
        );
        assert_eq!(
            sla.advance(at("2026-11-29T16:00:00")),
            Some(SlaAction::EscalateToManager)
        );
        assert_eq!(sla.next_step(), None, "nothing further");
        let levels: Vec<Option<u8>> = sla
            .new_events
            .iter()
            .filter(|e| e.kind == SlaEventKind::Escalated)
            .map(|e| e.level)
            .collect();
        assert_eq!(levels, [Some(1), Some(2)]);
    }

    #[test]
    fn a_late_check_catches_up_without_a_stale_warning() {
        let mut sla = urgent_at("2026-11-29T10:00:00");
        assert_eq!(
            sla.advance(at("2026-11-29T15:00:00")),
            Some(SlaAction::Breach)
        );
        assert!(
            !kinds(&sla).contains(&(SlaEventKind::Warned, SlaClock::FirstResponse)),
            "no warning after the deadline"
        );
    }

    #[test]
    fn an_answer_stops_the_escalation_and_a_new_message_starts_a_fresh_clock() {
        let mut sla = urgent_at("2026-11-29T10:00:00");
        sla.advance(at("2026-11-29T14:30:00"));
        sla.admin_answered(at("2026-11-29T14:40:00"));
        assert_eq!(sla.next_step(), None);
        let met = sla.new_events.last().unwrap();
        assert_eq!(
            (met.kind, met.clock, met.on_time),
            (SlaEventKind::Met, SlaClock::FirstResponse, Some(false))
        );
        sla.user_wrote(
            at("2026-11-30T09:00:00"),
            Priority::Urgent,
            Category::Payment,
            &SlaTargets::south_africa(2026),
        );
        assert_eq!(sla.escalation_level, 0, "a new clock starts unescalated");
        assert_eq!(
            sla.next_step(),
            Some((at("2026-11-30T12:12:00"), SlaAction::Warn))
        );
        assert_eq!(
            kinds(&sla).last(),
            Some(&(SlaEventKind::Resumed, SlaClock::NextResponse))
        );
        assert!(sla.breached, "the earlier breach stays on record");
    }

    #[test]
    fn a_general_inquiry_is_warned_in_business_time_not_at_dawn() {
        // Friday 20:00: due Monday 20:00 with 24 weekday hours; 80% is 19.2 of them.
        let sla = Sla::start(
            at("2026-11-27T20:00:00"),
            Priority::Normal,
            Category::General,
            &SlaTargets::south_africa(2026),
        );
        assert_eq!(
            sla.next_step(),
            Some((at("2026-11-30T15:12:00"), SlaAction::Warn))
        );
    }

    #[test]
    fn a_pending_period_does_not_count_and_reopening_restarts_next_response() {
        let targets = SlaTargets::south_africa(2026);
        let mut sla = urgent_at("2026-11-24T09:00:00");
        sla.paused(at("2026-11-24T10:00:00"));
        assert_eq!(sla.next_step(), None, "nothing runs while pending");
        assert!(!sla.is_breached(at("2026-11-26T09:00:00")));
        sla.reopened(
            at("2026-11-26T09:00:00"),
            Priority::Urgent,
            Category::Payment,
            &targets,
        );
        assert_eq!(sla.next_response_due, Some(at("2026-11-26T13:00:00")));
        assert_eq!(
            kinds(&sla)[2..],
            [
                (SlaEventKind::Paused, SlaClock::FirstResponse),
                (SlaEventKind::Resumed, SlaClock::FirstResponse)
            ]
        );
    }

    #[test]
    fn resolving_stops_every_clock_and_meets_the_resolution_target() {
        let mut sla = urgent_at("2026-11-24T09:00:00");
        assert_eq!(sla.resolution_due, Some(at("2026-11-25T09:00:00")));
        sla.admin_answered(at("2026-11-24T09:30:00"));
        sla.resolved(at("2026-11-24T12:00:00"));
        assert_eq!((sla.next_step(), sla.resolution_due), (None, None));
        let last = sla.new_events.last().unwrap();
        assert_eq!(
            (last.kind, last.clock, last.on_time),
            (SlaEventKind::Met, SlaClock::Resolution, Some(true))
        );
        assert!(!sla.breached);
    }

    #[test]
    fn a_new_policy_applies_to_new_clocks_only() {
        let mut sla = urgent_at("2026-11-24T09:00:00");
        let mut newer = SlaTargets::south_africa(2026);
        newer.version = 3;
        newer.policy.targets[0].minutes = 60;
        sla.admin_answered(at("2026-11-24T09:30:00"));
        assert_eq!(sla.policy_version, 0);
        sla.user_wrote(
            at("2026-11-24T10:00:00"),
            Priority::Urgent,
            Category::Payment,
            &newer,
        );
        assert_eq!(sla.next_response_due, Some(at("2026-11-24T11:00:00")));
        assert_eq!(sla.policy_version, 3);
        assert_eq!(sla.new_events.last().unwrap().policy_version, 3);
    }
}
