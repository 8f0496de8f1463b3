//! A conversation and its state machine: `open` (awaiting an admin) → admin replies →
//! `pending` (awaiting the user; the clock stops) → user writes → `open`; `resolved`
//! closes it until someone writes again.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::sla::{Sla, SlaAction, SlaTargets};
use crate::identity::Team;
use crate::{Rejection, Result};

/// How far ahead a conversation may be snoozed.
pub const MAX_SNOOZE_DAYS: i64 = 365;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationType {
    /// A user and the admin team.
    Support,
    /// A buyer and a listing's seller.
    Direct,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    General,
    Complaint,
    Technical,
    Payment,
    Account,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::General,
        Category::Complaint,
        Category::Technical,
        Category::Payment,
        Category::Account,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::General => "general",
            Category::Complaint => "complaint",
            Category::Technical => "technical",
            Category::Payment => "payment",
            Category::Account => "account",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Normal,
    Urgent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Pending,
    Resolved,
    /// A duplicate merged into another conversation of the same user (`merged_into`):
    /// its messages are read there, its clocks stopped, and nothing more is written in
    /// it.
    Merged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Pending => "pending",
            Status::Resolved => "resolved",
            Status::Merged => "merged",
        }
    }
}

/// How many conversations may be merged into one: its messages are read from each of
/// them, side by side.
pub const MAX_MERGED: usize = 20;

/// What a merge came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    /// Merged now. `repointed` were merged into the source before: they now point at
    /// the target directly (each must be written, conditioned on pointing at the source).
    Done { repointed: Vec<String> },
    /// Merged into this target before (a retry, or another admin at the same time).
    Already,
}

/// Merges `source`, a duplicate, into `target` at `at`. The source's messages stay
/// where they are: the target links to them (`merged_from`), so nothing is moved and no
/// write grows with the conversations' length. The source becomes `merged`, its clocks
/// stopped; the target keeps its own, and if the source still awaited an answer the
/// target is reopened, so that answer is not lost. Only one user's support
/// conversations merge, never into themselves nor into a merged one.
pub fn merge(
    source: &mut Conversation,
    target: &mut Conversation,
    at: DateTime<Utc>,
    targets: &SlaTargets,
) -> Result<Merge> {
    if source.id == target.id {
        return Err(Rejection::invalid(
            "into: a conversation is not merged into itself",
        ));
    }
    if source.merged_into.as_deref() == Some(target.id.as_str()) {
        return Ok(Merge::Already);
    }
    if let Some(other) = &source.merged_into {
        return Err(Rejection::conflict(format!(
            "this conversation was already merged into {other}"
        )));
    }
    if let Some(other) = &target.merged_into {
        return Err(Rejection::conflict(format!(
            "into: {} was itself merged into {other}; merge into that one",
            target.id
        )));
    }
    if source.kind != ConversationType::Support || target.kind != ConversationType::Support {
        return Err(Rejection::conflict(
            "into: buyer–seller conversations are not merged",
        ));
    }
    if source.participants != target.participants {
        return Err(Rejection::conflict(format!(
            "into: {} is another user's conversation; only one user's duplicates are merged",
            target.id
        )));
    }
    let linked = target.merged_from.len() + 1 + source.merged_from.len();
    if linked > MAX_MERGED {
        return Err(Rejection::conflict(format!(
            "into: {} would link {linked} conversations; at most {MAX_MERGED} merge into one",
            target.id
        )));
    }
    let awaited_an_answer = source.status == Status::Open;
    let repointed = std::mem::take(&mut source.merged_from);
    target.merged_from.push(source.id.clone());
    target.merged_from.extend(repointed.iter().cloned());
    for (reader, unread) in &source.unread {
        *target.unread.entry(reader.clone()).or_default() += unread;
    }
    for (reader, mark) in &source.read_marks {
        let further = target
            .read_marks
            .get(reader)
            .is_none_or(|own| own.message_id < mark.message_id);
        if further {
            target.read_marks.insert(reader.clone(), mark.clone());
        }
    }
    for (user, contact) in &source.contacts {
        target
            .contacts
            .entry(user.clone())
            .or_insert_with(|| contact.clone());
    }
    if source.last_message_at > target.last_message_at {
        target.touch(&source.last_message_id.clone(), source.last_message_at);
    }
    if awaited_an_answer && target.status != Status::Open {
        target.set_status(Status::Open, at, targets);
    }
    source.merged_into = Some(target.id.clone());
    source.apply_status(Status::Merged, at);
    Ok(Merge::Done { repointed })
}

/// How to reach someone taking part, from the claims of their own requests: kept on the
/// conversation so notifications need no extra read. Never shown in the API's views.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The key in [`Conversation::unread`] for the admin team's side of a support conversation.
pub const ADMIN_SIDE: &str = "@admins";

/// How far one side of a conversation has read: the latest message they marked read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReadMark {
    pub message_id: String,
    pub read_at: DateTime<Utc>,
}

/// A conversation as stored: the META item, and a copy in each participant's inbox row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ConversationType,
    pub listing_id: Option<String>,
    pub subject: String,
    pub category: Category,
    pub priority: Priority,
    pub status: Status,
    pub created_by: String,
    pub participants: Vec<String>,
    /// The admin team a support conversation is routed to; none for direct ones.
    pub team: Option<Team>,
    pub assignee: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_message_at: DateTime<Utc>,
    pub last_message_id: String,
    /// Unread messages per participant (and [`ADMIN_SIDE`]).
    pub unread: BTreeMap<String, u32>,
    /// How far each participant (and [`ADMIN_SIDE`]) has read: the others' "Seen".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub read_marks: BTreeMap<String, ReadMark>,
    /// Contacts of whoever has written, by user id.
    #[serde(default)]
    pub contacts: BTreeMap<String, Contact>,
    pub sla: Option<Sla>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// A pending conversation an admin snoozed: the SLA check reopens it then, unless
    /// the user writes first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Duplicates merged into this conversation: their messages are read with its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// The conversation this one was merged into (status `merged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// A recipient's copy of a broadcast: which one (their reading and answering count
    /// on it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broadcast_id: Option<String>,
    /// Bumped on every change; writes are conditioned on it (optimistic concurrency).
    pub version: u64,
}

impl Conversation {
    pub fn is_participant(&self, user: &str) -> bool {
        self.participants.iter().any(|p| p == user)
    }

    /// Who else is told about a message from `sender`: the other participants, and the
    /// admin side of a support conversation when a user writes.
    fn mark_unread_for_others(&mut self, sender: &str, sender_is_admin: bool) {
        let mut readers: Vec<String> = self
            .participants
            .iter()
            .filter(|p| *p != sender)
            .cloned()
            .collect();
        if self.kind == ConversationType::Support && !sender_is_admin {
            readers.push(ADMIN_SIDE.to_string());
        }
        for reader in readers {
            *self.unread.entry(reader).or_default() += 1;
        }
        let own = if sender_is_admin { ADMIN_SIDE } else { sender };
        self.unread.insert(own.to_string(), 0);
    }

    fn touch(&mut self, message_id: &str, at: DateTime<Utc>) {
        self.last_message_id = message_id.to_string();
        self.last_message_at = at;
    }

    /// A participant wrote. On a support conversation that awaits the user or was
    /// resolved, it reopens and the response clock restarts.
    pub fn user_wrote(
        &mut self,
        sender: &str,
        message_id: &str,
        at: DateTime<Utc>,
        targets: &SlaTargets,
    ) {
        self.touch(message_id, at);
        self.mark_unread_for_others(sender, false);
        if self.kind == ConversationType::Support {
            self.status = Status::Open;
            self.resolved_at = None;
            // Written to before its time: the snooze is over.
            self.snoozed_until = None;
            let (priority, category) = (self.priority, self.category);
            match &mut self.sla {
                Some(sla) => sla.user_wrote(at, priority, category, targets),
                // A broadcast's conversation has no clock until the user answers it.
                None => self.sla = Some(Sla::start(at, priority, category, targets)),
            }
        }
    }

    /// Automation wrote to the user (an acknowledgement, an automatic answer): unread
    /// for the participants; the team still owes an answer, so the clock runs on.
    pub fn automated_message(&mut self, message_id: &str, at: DateTime<Utc>) {
        self.touch(message_id, at);
        for participant in &self.participants {
            *self.unread.entry(participant.clone()).or_default() += 1;
        }
    }

    /// An admin replied to the user: the response clock stops and the status becomes
    /// the one asked for. An unassigned conversation is taken by whoever answers it.
    pub fn admin_replied(
        &mut self,
        admin: &str,
        message_id: &str,
        at: DateTime<Utc>,
        status: Status,
    ) {
        self.touch(message_id, at);
        self.mark_unread_for_others(admin, true);
        if let Some(sla) = &mut self.sla {
            sla.admin_answered(at);
        }
        self.assignee.get_or_insert_with(|| admin.to_string());
        // Answered: keeping it open is the admin's to-do, not a new debt to the user.
        self.apply_status(status, at);
    }

    /// An admin set the status. Reopening a pending or resolved conversation means the
    /// team owes an answer again: the response clock restarts.
    pub fn set_status(&mut self, status: Status, at: DateTime<Utc>, targets: &SlaTargets) {
        let reopened = status == Status::Open && self.status != Status::Open;
        self.apply_status(status, at);
        let (priority, category) = (self.priority, self.category);
        if let Some(sla) = self.sla.as_mut().filter(|_| reopened) {
            sla.reopened(at, priority, category, targets);
        }
    }

    fn apply_status(&mut self, status: Status, at: DateTime<Utc>) {
        self.status = status;
        // Only a conversation awaiting the user sleeps.
        if status != Status::Pending {
            self.snoozed_until = None;
        }
        match status {
            Status::Open => self.resolved_at = None,
            Status::Pending => {
                self.resolved_at = None;
                if let Some(sla) = &mut self.sla {
                    sla.paused(at);
                }
            }
            Status::Resolved => {
                self.resolved_at.get_or_insert(at);
                if let Some(sla) = &mut self.sla {
                    sla.resolved(at);
                }
            }
            Status::Merged => {
                if let Some(sla) = &mut self.sla {
                    sla.stopped(at);
                }
            }
        }
    }

    /// Snoozes a pending conversation until `until` (`None`: wakes it now, staying
    /// pending). Only a pending one sleeps: an open one awaits the team, a resolved one
    /// nobody.
    pub fn snooze(&mut self, until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<()> {
        let Some(until) = until else {
            self.snoozed_until = None;
            return Ok(());
        };
        if self.status != Status::Pending {
            return Err(Rejection::conflict(format!(
                "snoozed_until: only a pending conversation is snoozed, and this one is {}",
                self.status.as_str()
            )));
        }
        if until <= now {
            return Err(Rejection::invalid("snoozed_until: a time in the future"));
        }
        if until > now + Duration::days(MAX_SNOOZE_DAYS) {
            return Err(Rejection::invalid(format!(
                "snoozed_until: at most {MAX_SNOOZE_DAYS} days ahead"
            )));
        }
        self.snoozed_until = Some(until);
        Ok(())
    }

    /// The SLA check ran at `now`: a snooze that has ended reopens the conversation (the
    /// team owes an answer again: the response clock restarts). True if it woke.
    pub fn wake(&mut self, now: DateTime<Utc>, targets: &SlaTargets) -> bool {
        match self.snoozed_until {
            Some(until) if until <= now => {
                self.set_status(Status::Open, now, targets);
                true
            }
            _ => false,
        }
    }

    /// When the SLA check must next look at this conversation: its next SLA step, or
    /// the end of its snooze, whichever comes first.
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        let step = self
            .sla
            .as_ref()
            .and_then(|s| s.next_step())
            .map(|(at, _)| at);
        match (step, self.snoozed_until) {
            (Some(step), Some(until)) => Some(step.min(until)),
            (step, until) => step.or(until),
        }
    }

    /// The SLA check ran at `now`: takes the steps due and returns the one to announce.
    pub fn advance_sla(&mut self, now: DateTime<Utc>) -> Option<SlaAction> {
        self.sla.as_mut()?.advance(now)
    }

    pub fn set_priority(&mut self, priority: Priority, targets: &SlaTargets) {
        self.priority = priority;
        let (category, created_at) = (self.category, self.created_at);
        if let Some(sla) = &mut self.sla {
            sla.reprioritise(priority, category, created_at, targets);
        }
    }

    /// Remembers how to reach a writer; a token without an email or phone keeps what an
    /// earlier one told us.
    pub fn remember_contact(&mut self, user: &str, contact: Contact) {
        let known = self.contacts.entry(user.to_string()).or_default();
        known.name = contact.name.or(known.name.take());
        known.email = contact.email.or(known.email.take());
        known.phone = contact.phone.or(known.phone.take());
    }

    /// When the admin side must answer next, if it must.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        self.sla.as_ref().and_then(|s| s.next_response_due)
    }

    /// Unread count for a reader: a participant's own, or the admin side's.
    pub fn unread_for(&self, reader: &str) -> u32 {
        self.unread.get(reader).copied().unwrap_or(0)
    }

    /// `reader` read up to `message_id` at `at`; false if they had read as far already
    /// (a mark never moves back). Message ids are ULIDs: later sorts after.
    pub fn mark_read(&mut self, reader: &str, message_id: &str, at: DateTime<Utc>) -> bool {
        let advanced = self
            .read_marks
            .get(reader)
            .is_none_or(|mark| mark.message_id.as_str() < message_id);
        if advanced {
            let mark = ReadMark {
                message_id: message_id.to_string(),
                read_at: at,
            };
            self.read_marks.insert(reader.to_string(), mark);
        }
        advanced
    }

    /// How far the others have read, as `reader` sees it: the furthest mark of anyone
    /// but them (for a user of a support conversation, the admin side's).
    pub fn others_read_up_to(&self, reader: &str) -> Option<&ReadMark> {
        self.read_marks
            .iter()
            .filter(|(who, _)| *who != reader)
            .map(|(_, mark)| mark)
            .max_by(|a, b| a.message_id.cmp(&b.message_id))
    }
}

#[cfg(any(test, feature = "testing"))]
impl Conversation {
    /// A conversation for unit tests: open, from `buyer` (with `seller` if direct),
    /// support conversations routed to the support team.
    pub fn sample(kind: ConversationType) -> Self {
        Conversation {
            id: "c".into(),
            kind,
            listing_id: None,
            subject: "s".into(),
            category: Category::General,
            priority: Priority::Normal,
            status: Status::Open,
            created_by: "buyer".into(),
            participants: match kind {
                ConversationType::Support => vec!["buyer".into()],
                ConversationType::Direct => vec!["buyer".into(), "seller".into()],
            },
            team: (kind == ConversationType::Support).then_some(Team::Support),
            assignee: None,
            created_at: DateTime::UNIX_EPOCH,
            last_message_at: DateTime::UNIX_EPOCH,
            last_message_id: "m".into(),
            unread: BTreeMap::new(),
            read_marks: BTreeMap::new(),
            contacts: BTreeMap::new(),
            sla: None,
            resolved_at: None,
            snoozed_until: None,
            merged_from: Vec::new(),
            merged_into: None,
            broadcast_id: None,
            version: 1,
        }
    }
}

/// The API's view of a conversation (`Conversation` in the OpenAPI document), for one caller at one time.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Conversation)]
pub struct ConversationView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ConversationType,
    #[schema(required = true)]
    pub listing_id: Option<String>,
    pub subject: String,
    pub category: Category,
    pub priority: Priority,
    pub status: Status,
    pub created_by: String,
    pub participants: Vec<String>,
    #[schema(required = true)]
    pub team: Option<Team>,
    #[schema(required = true)]
    pub assignee: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_message_at: DateTime<Utc>,
    pub unread_count: u32,
    /// How far the other side has read ("Seen"); the admin side reads as the team.
    #[schema(required = true)]
    pub others_read_up_to: Option<ReadMark>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<SlaView>,
    /// A pending conversation an admin snoozed: it reopens at this time (the SLA
    /// check's), or when the user writes first.
    #[schema(required = true)]
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Status `merged`: the conversation it was merged into, where its messages are
    /// read and the conversation goes on.
    #[schema(required = true)]
    pub merged_into: Option<String>,
    /// Duplicates merged into this one: their messages are shown among its own.
    pub merged_from: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Sla)]
pub struct SlaView {
    pub first_response_due: DateTime<Utc>,
    #[schema(required = true)]
    pub next_response_due: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub first_response_at: Option<DateTime<Utc>>,
    /// Until resolved: when it should be.
    #[schema(required = true)]
    pub resolution_due: Option<DateTime<Utc>>,
    pub breached: bool,
    /// When the running response clock turns amber (the policy's warning share of its
    /// time); null once the warning was given (then `warned`) or while no clock runs.
    #[schema(required = true)]
    pub warning_at: Option<DateTime<Utc>>,
    /// The running response clock is past its warning time and not yet breached.
    pub warned: bool,
    pub escalation_level: u8,
    /// The SLA policy version these clocks run under.
    pub policy_version: u32,
}

impl ConversationView {
    /// `reader` is the caller's id, or [`ADMIN_SIDE`] for an admin.
    pub fn new(conversation: &Conversation, reader: &str, now: DateTime<Utc>) -> Self {
        let c = conversation;
        Self {
            id: c.id.clone(),
            kind: c.kind,
            listing_id: c.listing_id.clone(),
            subject: c.subject.clone(),
            category: c.category,
            priority: c.priority,
            status: c.status,
            created_by: c.created_by.clone(),
            participants: c.participants.clone(),
            team: c.team,
            assignee: c.assignee.clone(),
            created_at: c.created_at,
            last_message_at: c.last_message_at,
            unread_count: c.unread_for(reader),
            others_read_up_to: c.others_read_up_to(reader).cloned(),
            sla: c.sla.as_ref().map(|s| SlaView {
                first_response_due: s.first_response_due,
                next_response_due: s.next_response_due,
                first_response_at: s.first_response_at,
                resolution_due: s.resolution_due,
                breached: s.is_breached(now),
                warning_at: s.warn_at,
                warned: s.awaiting_since.is_some()
                    && s.warn_at.is_none_or(|at| at <= now)
                    && s.escalation_level == 0
                    && !s.is_breached(now),
                escalation_level: s.escalation_level,
                policy_version: s.policy_version,
            }),
            snoozed_until: c.snoozed_until,
            merged_into: c.merged_into.clone(),
            merged_from: c.merged_from.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::times::utc as at;

    fn targets() -> SlaTargets {
        SlaTargets::south_africa(2026)
    }

    /// A support conversation `id` of `user`, opened at `opened` (awaiting an answer).
    fn asked(id: &str, user: &str, opened: &str) -> Conversation {
        let opened = at(opened);
        Conversation {
            id: id.into(),
            created_by: user.into(),
            participants: vec![user.into()],
            created_at: opened,
            last_message_at: opened,
            last_message_id: format!("{id}-1"),
            unread: BTreeMap::from([(ADMIN_SIDE.to_string(), 1)]),
            sla: Some(Sla::start(
                opened,
                Priority::Normal,
                Category::General,
                &targets(),
            )),
            ..Conversation::sample(ConversationType::Support)
        }
    }

    #[test]
    fn a_pending_conversation_snoozes_into_the_future_and_wakes_open_at_its_time() {
        let mut c = asked("c", "thandi", "2026-11-24T07:00:00Z");
        let now = at("2026-11-24T08:00:00Z");
        assert!(
            c.snooze(Some(now + Duration::hours(2)), now).is_err(),
            "open"
        );
        c.admin_replied("sam", "m2", now, Status::Pending);
        assert!(c.next_check().is_none(), "nothing to check while it waits");
        assert!(c.snooze(Some(now), now).is_err(), "not in the future");
        assert!(c.snooze(Some(now + Duration::days(366)), now).is_err());
        let wake = now + Duration::hours(2);
        c.snooze(Some(wake), now).unwrap();
        assert_eq!(c.next_check(), Some(wake));
        assert!(!c.wake(wake - Duration::minutes(1), &targets()));
        assert!(c.wake(wake, &targets()));
        assert_eq!((c.status, c.snoozed_until), (Status::Open, None));
        assert!(c.due().is_some(), "the team owes an answer again");
    }

    #[test]
    fn a_users_message_or_another_status_ends_a_snooze() {
        let now = at("2026-11-24T08:00:00Z");
        let snoozed = || {
            let mut c = asked("c", "thandi", "2026-11-24T07:00:00Z");
            c.admin_replied("sam", "m2", now, Status::Pending);
            c.snooze(Some(now + Duration::hours(2)), now).unwrap();
            c
        };
        let mut c = snoozed();
        c.user_wrote("thandi", "m3", now, &targets());
        assert_eq!((c.status, c.snoozed_until), (Status::Open, None));
        let mut c = snoozed();
        c.set_status(Status::Resolved, now, &targets());
        assert_eq!(c.snoozed_until, None);
        let mut c = snoozed();
        c.snooze(None, now).unwrap();
        assert_eq!((c.status, c.snoozed_until), (Status::Pending, None));
    }

    #[test]
    fn a_merge_links_the_duplicate_stops_its_clocks_and_reopens_the_target_for_its_question() {
        let mut target = asked("t", "thandi", "2026-11-24T07:00:00Z");
        target.admin_replied("sam", "t-2", at("2026-11-24T07:30:00Z"), Status::Pending);
        let mut source = asked("s", "thandi", "2026-11-24T08:00:00Z");
        let now = at("2026-11-24T08:10:00Z");
        let merged = merge(&mut source, &mut target, now, &targets()).unwrap();
        assert_eq!(merged, Merge::Done { repointed: vec![] });
        assert_eq!(source.status, Status::Merged);
        assert_eq!(source.merged_into.as_deref(), Some("t"));
        assert_eq!(source.due(), None, "its clocks stopped");
        let stopped = source.sla.as_ref().unwrap().new_events.iter();
        assert_eq!(
            stopped
                .filter(|e| e.kind == crate::sla::SlaEventKind::Stopped)
                .count(),
            2
        );
        assert_eq!(target.merged_from, ["s"]);
        assert_eq!(
            target.status,
            Status::Open,
            "its question still awaits an answer"
        );
        assert_eq!(target.last_message_id, "s-1");
        assert_eq!(target.unread_for(ADMIN_SIDE), 1);
        assert_eq!(
            merge(&mut source, &mut target, now, &targets()).unwrap(),
            Merge::Already
        );
    }

    #[test]
    fn merges_are_refused_across_users_into_itself_into_a_merged_one_and_past_the_limit() {
        let now = at("2026-11-24T09:00:00Z");
        let mut a = asked("a", "thandi", "2026-11-24T07:00:00Z");
        let mut b = asked("b", "thandi", "2026-11-24T08:00:00Z");
        let mut same = a.clone();
        assert!(matches!(
            merge(&mut a, &mut same, now, &targets()),
            Err(Rejection::Invalid(_))
        ));
        let mut other = asked("o", "sipho", "2026-11-24T08:00:00Z");
        assert!(matches!(
            merge(&mut a, &mut other, now, &targets()),
            Err(Rejection::Conflict(_))
        ));
        let mut direct = Conversation {
            id: "d".into(),
            ..Conversation::sample(ConversationType::Direct)
        };
        let mut buyer = asked("x", "buyer", "2026-11-24T08:00:00Z");
        assert!(merge(&mut buyer, &mut direct, now, &targets()).is_err());
        merge(&mut a, &mut b, now, &targets()).unwrap();
        let mut c = asked("c", "thandi", "2026-11-24T08:30:00Z");
        assert!(matches!(
            merge(&mut c, &mut a, now, &targets()),
            Err(Rejection::Conflict(_))
        ));
        // Merged on, b takes a along: a must then point at c.
        let merged = merge(&mut b, &mut c, now, &targets()).unwrap();
        assert_eq!(
            merged,
            Merge::Done {
                repointed: vec!["a".into()]
            }
        );
        assert_eq!(c.merged_from, ["b", "a"]);
        c.merged_from = (0..MAX_MERGED).map(|n| n.to_string()).collect();
        let mut d = asked("d", "thandi", "2026-11-24T08:40:00Z");
        assert!(merge(&mut d, &mut c, now, &targets()).is_err());
    }
}
