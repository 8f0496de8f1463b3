//! A broadcast: one message from "SayPro Support" to a segment of users, fanned out in
//! the background, each recipient getting it as a conversation of their own they can
//! reply to. Here: the segment, the status machine and progress, and what each
//! recipient receives.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::conversation::{ADMIN_SIDE, Category, Contact, Conversation, ConversationType};
use super::message::{Message, SenderRole};
use super::{Priority, Status, validate};
use crate::{Rejection, Result};

/// Who broadcasts are from, as the recipients see it.
pub const SAYPRO_SUPPORT: &str = "saypro-support";
/// The longest explicit list of recipients one broadcast takes (it is kept on the
/// broadcast's own item).
pub const MAX_LISTED_USERS: usize = 1_000;
/// Failures kept on the broadcast to show why; the count covers them all.
pub const MAX_FAILURES_SHOWN: usize = 20;

/// Who receives a broadcast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Segment {
    /// Every user the registry knows: synced by the website, or seen writing.
    All,
    /// Users of one membership tier (`basic`, `verified`, `premium`, ...).
    Tier { tier: String },
    /// Users who started a conversation about a listing of this category.
    ListingCategory { category: String },
    /// Users who started a conversation about a listing in this location.
    Location { location: String },
    /// These users.
    Users { user_ids: Vec<String> },
}

impl Segment {
    /// Checks a segment as asked for and puts it in the form the registry stores
    /// (tiers, categories and locations compare without case).
    pub fn checked(self) -> Result<Self> {
        Ok(match self {
            Segment::All => Segment::All,
            Segment::Tier { tier } => Segment::Tier {
                tier: validate::id("segment.tier", &normal(&tier))?,
            },
            Segment::ListingCategory { category } => Segment::ListingCategory {
                category: validate::line("segment.category", &normal(&category), 100)?,
            },
            Segment::Location { location } => Segment::Location {
                location: validate::bounded_text("segment.location", &normal(&location), 200)?,
            },
            Segment::Users { user_ids } => {
                if user_ids.is_empty() || user_ids.len() > MAX_LISTED_USERS {
                    return Err(Rejection::invalid(format!(
                        "segment.user_ids: 1 to {MAX_LISTED_USERS} user ids (got {})",
                        user_ids.len()
                    )));
                }
                let mut seen = HashSet::new();
                let mut unique = Vec::with_capacity(user_ids.len());
                for id in user_ids {
                    let id = validate::id("segment.user_ids", &id)?;
                    if seen.insert(id.clone()) {
                        unique.push(id);
                    }
                }
                Segment::Users { user_ids: unique }
            }
        })
    }
}

/// Tiers, listing categories and locations as the registry keys them.
pub fn normal(text: &str) -> String {
    text.trim().to_lowercase()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BroadcastStatus {
    /// Accepted; the fan-out has not started.
    Queued,
    Sending,
    /// Every recipient was handled (sent or failed).
    Sent,
    /// Stopped by an admin; recipients reached before that keep their message.
    Cancelled,
}

/// Where the fan-out has got to: which source of the segment (a shard of the user
/// registry, or the position in an explicit list) and where its read stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FanoutCursor {
    pub source: u32,
    pub after: Option<String>,
}

/// A recipient the fan-out could not reach, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Failure {
    pub user_id: String,
    pub reason: String,
}

/// A broadcast as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Broadcast {
    pub id: String,
    pub subject: String,
    pub body: String,
    pub segment: Segment,
    pub status: BroadcastStatus,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub cancelled_by: Option<String>,
    pub sent: u32,
    pub failed: u32,
    pub failures: Vec<Failure>,
    /// Where the next step of the fan-out starts; none once it has read everything.
    pub cursor: Option<FanoutCursor>,
    /// Bumped on every change; writes are conditioned on it.
    pub version: u64,
    /// How the recipients took it, counted by notify as it happens ([`Engagement`]);
    /// the fan-out's writes leave these alone.
    #[serde(default)]
    pub delivered: u32,
    #[serde(default)]
    pub read: u32,
    #[serde(default)]
    pub replied: u32,
    #[serde(default)]
    pub bounced: u32,
}

/// What a recipient did with a broadcast, each counted once per recipient on the
/// broadcast's item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Engagement {
    /// Its message reached their inbox and notifications (notify delivered it).
    Delivered,
    /// They read it in the app (their first read mark in its conversation).
    Read,
    /// They answered it (their first message in its conversation).
    Replied,
    /// Its email to them bounced for good.
    Bounced,
}

impl Engagement {
    pub const ALL: [Engagement; 4] = [
        Engagement::Delivered,
        Engagement::Read,
        Engagement::Replied,
        Engagement::Bounced,
    ];

    /// The broadcast's attribute it is counted in.
    pub fn attribute(self) -> &'static str {
        match self {
            Engagement::Delivered => "delivered",
            Engagement::Read => "read",
            Engagement::Replied => "replied",
            Engagement::Bounced => "bounced",
        }
    }
}

/// What a change to a recipient's copy of a broadcast shows they did: read it for the
/// first time, answered it for the first time. The copy starts with no SLA clock and
/// nobody's read mark; the recipient's first message starts the clock, their first read
/// sets their mark, and neither is ever undone.
pub fn engagement(old: &Conversation, new: &Conversation) -> Vec<Engagement> {
    if new.broadcast_id.is_none() {
        return Vec::new();
    }
    let recipient_read =
        |c: &Conversation| c.participants.iter().any(|p| c.read_marks.contains_key(p));
    let mut done = Vec::new();
    if !recipient_read(old) && recipient_read(new) {
        done.push(Engagement::Read);
    }
    if old.sla.is_none() && new.sla.is_some() {
        done.push(Engagement::Replied);
    }
    done
}

/// What one step of the fan-out did: it started at `from`, reached `sent` recipients,
/// failed `failures`, and stopped at `next` (none: the segment is exhausted).
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    pub from: FanoutCursor,
    pub next: Option<FanoutCursor>,
    pub sent: u32,
    pub failures: Vec<Failure>,
}

/// Someone a broadcast goes to, and how to reach them beyond the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub user_id: String,
    pub contact: Contact,
}

impl Broadcast {
    pub fn new(
        id: String,
        subject: String,
        body: String,
        segment: Segment,
        created_by: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            subject,
            body,
            segment,
            status: BroadcastStatus::Queued,
            created_by: created_by.to_string(),
            created_at: now,
            started_at: None,
            finished_at: None,
            cancelled_by: None,
            sent: 0,
            failed: 0,
            failures: Vec::new(),
            cursor: Some(FanoutCursor::default()),
            version: 1,
            delivered: 0,
            read: 0,
            replied: 0,
            bounced: 0,
        }
    }

    /// Queued or sending: the fan-out has more to do.
    pub fn is_active(&self) -> bool {
        matches!(
            self.status,
            BroadcastStatus::Queued | BroadcastStatus::Sending
        )
    }

    /// Counts a step. A step that ran while the broadcast was being cancelled still
    /// counts what it sent; it does not undo the cancellation.
    pub fn record_step(&mut self, step: StepReport, now: DateTime<Utc>) {
        self.sent += step.sent;
        self.failed += step.failures.len() as u32;
        let room = MAX_FAILURES_SHOWN.saturating_sub(self.failures.len());
        self.failures.extend(step.failures.into_iter().take(room));
        self.cursor = step.next;
        if self.status == BroadcastStatus::Queued {
            self.status = BroadcastStatus::Sending;
            self.started_at = Some(now);
        }
        if self.cursor.is_none() && self.status == BroadcastStatus::Sending {
            self.status = BroadcastStatus::Sent;
            self.finished_at = Some(now);
        }
    }

    /// Stops the fan-out. Cancelling a cancelled broadcast changes nothing (`false`); a
    /// sent one cannot be.
    pub fn cancel(&mut self, by: &str, now: DateTime<Utc>) -> Result<bool> {
        match self.status {
            BroadcastStatus::Sent => Err(Rejection::conflict(
                "the broadcast has already been sent to everyone",
            )),
            BroadcastStatus::Cancelled => Ok(false),
            BroadcastStatus::Queued | BroadcastStatus::Sending => {
                self.status = BroadcastStatus::Cancelled;
                self.cancelled_by = Some(by.to_string());
                self.finished_at = Some(now);
                Ok(true)
            }
        }
    }

    /// The conversation a recipient gets, with its one message. Its id is fixed by the
    /// broadcast and the recipient, so delivering twice finds the first delivery.
    /// It awaits the user and sits in no team's queue until they reply.
    pub fn conversation_for(
        &self,
        recipient: &Recipient,
        now: DateTime<Utc>,
    ) -> (Conversation, Message) {
        let id = recipient_conversation_id(&self.id, self.created_at, &recipient.user_id);
        let (mut conversation, mut message) =
            from_support(id, recipient, &self.subject, &self.body, now);
        conversation.broadcast_id = Some(self.id.clone());
        message.broadcast_id = Some(self.id.clone());
        (conversation, message)
    }
}

/// A conversation SayPro Support starts with one user (a broadcast's copy, a
/// moderator's warning): it awaits the user and sits in no team's queue until they reply.
pub fn from_support(
    id: String,
    recipient: &Recipient,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> (Conversation, Message) {
    let user = recipient.user_id.clone();
    let message = Message::new(
        id.clone(),
        id.clone(),
        SAYPRO_SUPPORT.to_string(),
        SenderRole::Admin,
        body.to_string(),
        now,
        false,
    );
    let conversation = Conversation {
        id: id.clone(),
        kind: ConversationType::Support,
        listing_id: None,
        subject: subject.to_string(),
        category: Category::General,
        priority: Priority::Normal,
        status: Status::Pending,
        created_by: SAYPRO_SUPPORT.to_string(),
        participants: vec![user.clone()],
        team: None,
        assignee: None,
        created_at: now,
        last_message_at: now,
        last_message_id: id,
        unread: BTreeMap::from([(user.clone(), 1), (ADMIN_SIDE.to_string(), 0)]),
        read_marks: BTreeMap::new(),
        contacts: BTreeMap::from([(user, recipient.contact.clone())]),
        sla: None,
        resolved_at: None,
        snoozed_until: None,
        merged_from: Vec::new(),
        merged_into: None,
        broadcast_id: None,
        version: 1,
    };
    (conversation, message)
}

/// A ULID like any other conversation's: the broadcast's time, and 80 bits of a hash of
/// the broadcast and the recipient in place of randomness.
fn recipient_conversation_id(broadcast: &str, created_at: DateTime<Utc>, user: &str) -> String {
    let digest = crate::digest::sha256(format!("{broadcast}\0{user}").as_bytes());
    let mut random = [0u8; 16];
    random[6..].copy_from_slice(&digest[..10]);
    let millis = u64::try_from(created_at.timestamp_millis()).unwrap_or_default();
    ulid::Ulid::from_parts(millis, u128::from_be_bytes(random)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::times::utc as at;

    fn broadcast() -> Broadcast {
        Broadcast::new(
            "01JBROADCAST".into(),
            "Messaging is here".into(),
            "You can now message sellers.".into(),
            Segment::All,
            "sam",
            at("2026-11-24T08:00:00Z"),
        )
    }

    fn step(sent: u32, failed: usize, next: Option<FanoutCursor>) -> StepReport {
        StepReport {
            from: FanoutCursor::default(),
            next,
            sent,
            failures: (0..failed)
                .map(|i| Failure {
                    user_id: format!("u{i}"),
                    reason: "table unavailable".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn segments_are_normalised_and_explicit_lists_deduplicated_and_bounded() {
        let tier = Segment::Tier {
            tier: " Premium ".into(),
        };
        assert_eq!(
            tier.checked().unwrap(),
            Segment::Tier {
                tier: "premium".into()
            }
        );
        let listed = Segment::Users {
            user_ids: vec!["a".into(), "b".into(), "a".into()],
        };
        assert_eq!(
            listed.checked().unwrap(),
            Segment::Users {
                user_ids: vec!["a".into(), "b".into()]
            }
        );
        let empty = Segment::Users { user_ids: vec![] }.checked().unwrap_err();
        assert!(empty.to_string().contains("segment.user_ids"), "{empty}");
        let bad = Segment::Users {
            user_ids: vec!["no spaces".into()],
        };
        assert!(bad.checked().is_err());
        let blank = Segment::Location {
            location: "  ".into(),
        };
        assert!(
            blank
                .checked()
                .unwrap_err()
                .to_string()
                .contains("segment.location")
        );
    }

    #[test]
    fn progress_moves_queued_to_sending_to_sent_and_keeps_a_few_failures() {
        let mut b = broadcast();
        let next = FanoutCursor {
            source: 1,
            after: None,
        };
        b.record_step(
            step(100, 15, Some(next.clone())),
            at("2026-11-24T08:00:05Z"),
        );
        assert_eq!(b.status, BroadcastStatus::Sending);
        assert_eq!(b.started_at, Some(at("2026-11-24T08:00:05Z")));
        assert_eq!((b.sent, b.failed), (100, 15));
        assert_eq!(b.cursor, Some(next));
        b.record_step(step(40, 10, None), at("2026-11-24T08:00:09Z"));
        assert_eq!(b.status, BroadcastStatus::Sent);
        assert_eq!((b.sent, b.failed), (140, 25));
        assert_eq!(b.failures.len(), MAX_FAILURES_SHOWN);
        assert_eq!(b.finished_at, Some(at("2026-11-24T08:00:09Z")));
    }

    #[test]
    fn a_cancelled_broadcast_stays_cancelled_but_counts_what_was_already_sent() {
        let mut b = broadcast();
        assert!(b.cancel("kim", at("2026-11-24T08:01:00Z")).unwrap());
        assert!(!b.cancel("kim", at("2026-11-24T08:02:00Z")).unwrap());
        b.record_step(step(7, 0, None), at("2026-11-24T08:01:01Z"));
        assert_eq!(b.status, BroadcastStatus::Cancelled);
        assert_eq!(b.sent, 7);
        assert!(!b.is_active());
        let mut sent = broadcast();
        sent.record_step(step(1, 0, None), at("2026-11-24T08:00:01Z"));
        sent.record_step(step(0, 0, None), at("2026-11-24T08:00:02Z"));
        assert!(sent.cancel("kim", at("2026-11-24T08:03:00Z")).is_err());
    }

    #[test]
    fn each_recipient_gets_their_own_conversation_awaiting_them_in_no_queue() {
        let b = broadcast();
        let recipient = Recipient {
            user_id: "thandi".into(),
            contact: Contact::default(),
        };
        let (conversation, message) = b.conversation_for(&recipient, at("2026-11-24T08:00:05Z"));
        let (again, _) = b.conversation_for(&recipient, at("2026-11-24T09:00:00Z"));
        assert_eq!(conversation.id, again.id, "the same recipient, the same id");
        let (other, _) = b.conversation_for(
            &Recipient {
                user_id: "sipho".into(),
                contact: Contact::default(),
            },
            at("2026-11-24T08:00:05Z"),
        );
        assert_ne!(conversation.id, other.id);
        assert!(conversation.id.parse::<ulid::Ulid>().is_ok());
        assert_eq!(conversation.status, Status::Pending);
        assert_eq!(conversation.team, None);
        assert_eq!(conversation.sla, None);
        assert_eq!(conversation.participants, vec!["thandi".to_string()]);
        assert_eq!(conversation.unread["thandi"], 1);
        assert_eq!(message.sender_id, SAYPRO_SUPPORT);
        assert_eq!(message.broadcast_id.as_deref(), Some("01JBROADCAST"));
        assert_eq!(conversation.broadcast_id.as_deref(), Some("01JBROADCAST"));
    }

    #[test]
    fn a_recipient_reads_and_answers_a_broadcast_once_each() {
        let b = broadcast();
        let recipient = Recipient {
            user_id: "thandi".into(),
            contact: Contact::default(),
        };
        let now = at("2026-11-24T08:00:05Z");
        let (delivered, message) = b.conversation_for(&recipient, now);
        let mut read = delivered.clone();
        read.mark_read("thandi", &message.id, now);
        assert_eq!(engagement(&delivered, &read), [Engagement::Read]);
        let mut again = read.clone();
        again.mark_read("thandi", "ZZZ", now);
        assert!(engagement(&read, &again).is_empty(), "read once");
        let targets = crate::sla::SlaTargets::south_africa(2026);
        let mut answered = again.clone();
        answered.user_wrote("thandi", "m2", now, &targets);
        assert_eq!(engagement(&again, &answered), [Engagement::Replied]);
        let mut more = answered.clone();
        more.user_wrote("thandi", "m3", now, &targets);
        assert!(engagement(&answered, &more).is_empty(), "answered once");
        let mut not_a_copy = answered.clone();
        not_a_copy.broadcast_id = None;
        assert!(engagement(&delivered, &not_a_copy).is_empty());
    }
}
