//! A conversation and its state machine: `open` (awaiting an admin) → admin replies →
//! `pending` (awaiting the user; the clock stops) → user writes → `open`; `resolved`
//! closes it until someone writes again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::sla::{Sla, SlaAction, SlaTargets};
use crate::identity::Team;

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
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Pending => "pending",
            Status::Resolved => "resolved",
        }
    }
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
        }
    }
}
