//! The single table: the [`table`] port and its adapters, every key and index entry
//! ([`keys`]), the items each record is stored as (here and in [`audience`]), the daily
//! stats' items ([`stats`]), and how lists page ([`paging`]). Access patterns are
//! written once against the port and run the same on DynamoDB and the embedded store.

mod audience;
pub mod correlation;
pub mod inbox;
pub mod keys;
mod paging;
pub mod search;
pub mod stats;
pub mod table;

pub use audience::*;
pub use keys::*;
pub use paging::{Cursor, ListError, everything, page};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::table::schema::{PK, SK};
use crate::table::{Change, Condition, Index, Item, Key, Value, WriteOp, to_item};
use domain::conversation::Conversation;
use domain::email_reply::ReplyAddress;
use domain::sla::SlaEvent;
use domain::survey::Invitation;
use domain::{Listing, Message};

/// The SLA events of one change to a conversation, stored as one item (a change often
/// has two: started and resolution started, breached and escalated).
#[derive(Debug, Serialize, Deserialize)]
pub struct SlaTimelineEntry {
    pub events: Vec<SlaEvent>,
}

fn with_key(mut item: Item, key: &Key) -> Item {
    item.insert(PK.into(), Value::s(&key.pk));
    item.insert(SK.into(), Value::s(&key.sk));
    item
}

fn set_index(item: &mut Item, index: Index, pk: String, sk: String) {
    let (pk_attr, sk_attr) = index.key_attributes();
    item.insert(pk_attr.into(), Value::S(pk));
    item.insert(sk_attr.into(), Value::S(sk));
}

/// How long a conversation is kept after its last activity, and a message after it was
/// written: `RETENTION_DAYS` (730, about 24 months, unless set), read once.
pub fn retention() -> chrono::Duration {
    static DAYS: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    let days = DAYS.get_or_init(|| {
        std::env::var("RETENTION_DAYS")
            .ok()
            .and_then(|d| d.parse().ok())
            .filter(|d| *d > 0)
            .unwrap_or(730)
    });
    chrono::Duration::days(*days)
}

/// The DynamoDB TTL attribute: the item goes once `retention()` has passed since `at`.
pub fn expiry(at: DateTime<Utc>) -> (String, Value) {
    (
        "expires_at".into(),
        Value::n((at + retention()).timestamp()),
    )
}

/// The writes that store a conversation: its META item (with the queue and due index
/// entries) and each participant's inbox row. `previous_version` is the version this
/// change was computed from (`None` for a new conversation): the write fails if anyone
/// else changed the conversation since.
pub fn conversation_writes(
    conversation: &Conversation,
    previous_version: Option<u64>,
) -> anyhow::Result<Vec<WriteOp>> {
    let mut record = to_item(conversation)?;
    let (ttl, expires) = expiry(conversation.last_message_at);
    record.insert(ttl, expires);
    let id = &conversation.id;
    let mut meta = with_key(record.clone(), &conversation_key(id));
    correlation::stamp(&mut meta);
    let activity = format!("{}#{id}", sortable_time(conversation.last_message_at));
    if let Some(team) = conversation.team {
        let queue = queue_partition(team, conversation.status);
        // The due-sorted queue: soonest due first; snoozed ones by when they wake (after
        // the others awaiting the user); the rest by activity.
        let due_order = conversation
            .due()
            .or(conversation.snoozed_until)
            .map_or_else(
                || activity.clone(),
                |due| format!("{}#{id}", sortable_time(due)),
            );
        set_index(&mut meta, Index::Gsi1, queue.clone(), due_order);
        set_index(&mut meta, Index::Gsi3, queue, activity.clone());
        // The SLA check's work list: present only while there is a next step or a
        // snooze to end.
        if let Some(at) = conversation.next_check() {
            set_index(
                &mut meta,
                Index::Gsi2,
                due_partition(id),
                format!("{}#{id}", sortable_time(at)),
            );
        }
    }
    let condition = match previous_version {
        None => Condition::NotExists,
        Some(version) => Condition::Equals("version".into(), Value::n(version as i64)),
    };
    let mut writes = vec![WriteOp::Put {
        item: meta,
        condition: Some(condition),
    }];
    if let Some(sla) = conversation
        .sla
        .as_ref()
        .filter(|s| !s.new_events.is_empty())
    {
        let entry = SlaTimelineEntry {
            events: sla.new_events.clone(),
        };
        let key = sla_timeline_key(id, sla.new_events[0].at, conversation.version);
        let mut item = record_item(&key, &entry)?;
        let (ttl, expires) = expiry(conversation.last_message_at);
        item.insert(ttl, expires);
        writes.push(WriteOp::Put {
            item,
            condition: None,
        });
    }
    for user in &conversation.participants {
        let mut row = with_key(record.clone(), &inbox_row_key(user, id));
        // A merged duplicate leaves the inbox: the user reads it in the one it joined.
        if conversation.status != domain::Status::Merged {
            set_index(
                &mut row,
                Index::Gsi1,
                inbox_partition(user),
                activity.clone(),
            );
        }
        writes.push(WriteOp::Put {
            item: row,
            condition: None,
        });
    }
    Ok(writes)
}

/// The writes that point a conversation merged into `from` at `to` instead (when `from`
/// is merged on into `to`): its META item, conditioned on still pointing at `from`, and
/// its participants' inbox rows.
pub fn repoint_writes(id: &str, participants: &[String], from: &str, to: &str) -> Vec<WriteOp> {
    let changes = vec![
        Change::Set("merged_into".into(), Value::s(to)),
        Change::Add("version".into(), 1),
    ];
    let mut writes = vec![WriteOp::Update {
        key: conversation_key(id),
        changes: changes.clone(),
        condition: Some(Condition::Equals("merged_into".into(), Value::s(from))),
    }];
    writes.extend(participants.iter().map(|user| WriteOp::Update {
        key: inbox_row_key(user, id),
        changes: changes.clone(),
        condition: Some(Condition::Exists),
    }));
    writes
}

pub fn message_write(message: &Message) -> anyhow::Result<WriteOp> {
    let mut item = with_key(
        to_item(message)?,
        &message_key(&message.conversation_id, &message.id),
    );
    let (ttl, expires) = expiry(message.created_at);
    item.insert(ttl, expires);
    correlation::stamp(&mut item);
    Ok(WriteOp::Put {
        item,
        condition: Some(Condition::NotExists),
    })
}

pub fn listing_write(listing: &Listing) -> anyhow::Result<WriteOp> {
    Ok(WriteOp::Put {
        item: with_key(to_item(listing)?, &listing_key(&listing.id)),
        condition: None,
    })
}

/// A record as the item stored under `key`.
pub fn record_item<T: Serialize>(key: &Key, record: &T) -> anyhow::Result<Item> {
    Ok(with_key(to_item(record)?, key))
}

/// A record stored under `key`, for small items with no index entries.
pub fn record_write<T: Serialize>(
    key: &Key,
    record: &T,
    condition: Option<Condition>,
) -> anyhow::Result<WriteOp> {
    Ok(WriteOp::Put {
        item: record_item(key, record)?,
        condition,
    })
}

/// A notification email's reply address, kept until it expires (TTL).
pub fn reply_address_write(address: &ReplyAddress) -> anyhow::Result<WriteOp> {
    let mut item = record_item(&keys::reply_address_key(&address.token), address)?;
    item.insert(
        crate::table::schema::TTL.into(),
        Value::n(address.expires_at),
    );
    Ok(WriteOp::Put {
        item,
        // 160 random bits never meet, but a write must not replace another's address.
        condition: Some(Condition::NotExists),
    })
}

/// The writes that store a survey invitation, once per conversation.
pub fn invitation_writes(invitation: &Invitation) -> anyhow::Result<Vec<WriteOp>> {
    let mut item = record_item(&invitation_key(&invitation.token), invitation)?;
    item.insert(
        crate::table::schema::TTL.into(),
        Value::n(invitation.expires_at),
    );
    Ok(vec![
        record_write(
            &invited_key(&invitation.conversation_id),
            &serde_json::json!({ "token": invitation.token }),
            Some(Condition::NotExists),
        )?,
        WriteOp::Put {
            item,
            condition: None,
        },
    ])
}
